/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmd: everything vhostd does with DPDK.
 *
 *  - EAL start-up from struct cfg (argv building, rte_eal_init) and mbuf pool sizing.
 *  - The glue between the ring engine (vring.h) and rte_mbufs: guest TX -> mbufs and
 *    mbufs -> guest RX, with the virtio-net header mapped to and from mbuf offload flags.
 *  - NIC ports from devargs (struct cfg_nic): probe, check against the device's limits,
 *    configure, start, burst functions, counters and link state.
 *  - DPDK telemetry commands /vhostd/ports and /vhostd/stats,NAME.
 *
 * Threading: pmd_eal_*, pmd_mempool_*, pmd_port_probe/start/close and pmd_telemetry_*
 * run on the control thread. pmd_vring_*, pmd_port_rx and pmd_port_tx are the data path:
 * no syscalls, no locks, no allocation beyond the mempool, no logging; each (port, queue)
 * is driven by one polling core at a time, which alone writes that queue's counters.
 * Readers (stats printer, telemetry) read counters with relaxed loads and sum them.
 *
 * Conventions: actions return 0 or -errno; counts a count or -errno; predicates bool.
 * Functions taking (char *err, size_t errlen) leave there, on failure, one line that names
 * the config key and says how to fix it.
 */
#ifndef VHOSTD_PMD_H
#define VHOSTD_PMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "vring.h"

struct rte_mbuf;
struct rte_mempool;

/* ---------------------------------------------------------------- EAL and mempool */

#define PMD_EAL_ARGV_MAX 64 /* arguments pmd_eal_argv_build() may produce */

/* An argv for rte_eal_init(): argv[] points into store[]; argv[argc] is NULL. */
struct pmd_eal_argv {
	int argc;
	char *argv[PMD_EAL_ARGV_MAX + 1];
	char store[CFG_ARGS_MAX * 3];
};

/*
 * Builds the EAL argv from the config: prog, "--lcores LCORES" (when set; EAL's
 * main lcore is then the lowest lcore id listed), "--file-prefix PREFIX"
 * (unless the extra EAL args carry one), "-a ADDR[,args]" for every NIC whose device is a PCI
 * address, "--no-pci" when no NIC is PCI (and the extra args allow-list nothing), then
 * c->dp.eal split on blanks. file_prefix may be NULL (then "vhostd"). -E2BIG when it does not
 * fit; err names the key.
 */
int pmd_eal_argv_build(const struct cfg *c, const char *prog, const char *file_prefix,
		       struct pmd_eal_argv *out, char *err, size_t errlen);

/* pmd_eal_argv_build() then rte_eal_init(). Once per process. */
int pmd_eal_init(const struct cfg *c, const char *prog, const char *file_prefix, char *err,
		 size_t errlen);
/* rte_eal_cleanup(). Every port closed, every pool freed first. */
void pmd_eal_fini(void);

/* Whether a cfg_nic device string is a PCI address ("0000:02:00.0" or "02:00.0", with
 * optional ",devargs"), as opposed to a vdev ("net_null0,..."). */
bool pmd_device_is_pci(const char *device);

/*
 * Bytes of private area every vhostd mbuf carries (the glue keeps its struct vring_buf
 * there). pmd_vring_dequeue() refuses pools with less (-EINVAL): create pools with
 * pmd_mempool_create().
 */
#define PMD_MBUF_PRIV_SIZE 32u
#define PMD_MBUF_DATA_ROOM 2048u /* data bytes per mbuf, after RTE_PKTMBUF_HEADROOM */
#define PMD_MEMPOOL_CACHE  256u	 /* per-lcore cache (smaller for tiny pools) */
#define PMD_RING_DEFAULT   1024u /* descriptors assumed for a NIC ring left at 0 */

/*
 * mbufs a pool needs for this config: every NIC descriptor (queues x (rx_ring + tx_ring)),
 * plus, for every queue of every port and both directions, two bursts (one held back by a
 * lossless link, one in flight) times the segments a 9 KB frame takes, plus one cache per
 * lcore; rounded up to 2^k - 1 (what rte_mempool sizes best), at least 2047.
 */
unsigned pmd_mempool_size(const struct cfg *c, unsigned n_lcores);

/* rte_pktmbuf_pool_create() with PMD_MBUF_PRIV_SIZE, PMD_MBUF_DATA_ROOM and a cache fitted
 * to n_mbufs, on NUMA socket `socket` (pmd_port_socket(), or -1 for any). */
int pmd_mempool_create(const char *name, unsigned n_mbufs, int socket, struct rte_mempool **out);
void pmd_mempool_free(struct rte_mempool *mp);

/* ---------------------------------------------------------------- vring <-> mbuf glue */

/* virtio-net feature bits the glue looks at (virtio 1.2 section 5.1.3). */
#define PMD_VIRTIO_NET_F_CSUM	    0
#define PMD_VIRTIO_NET_F_GUEST_CSUM 1
#define PMD_VIRTIO_NET_F_GUEST_TSO4 7
#define PMD_VIRTIO_NET_F_GUEST_TSO6 8
#define PMD_VIRTIO_NET_F_GUEST_UFO  10
#define PMD_VIRTIO_NET_F_HOST_TSO4  11
#define PMD_VIRTIO_NET_F_HOST_TSO6  12
#define PMD_VIRTIO_NET_F_HOST_UFO   14

/* virtio_net_hdr flags and gso_type values (virtio 1.2 section 5.1.6). */
#define PMD_VNET_HDR_F_NEEDS_CSUM 1
#define PMD_VNET_HDR_F_DATA_VALID 2
#define PMD_VNET_GSO_NONE	  0
#define PMD_VNET_GSO_TCPV4	  1
#define PMD_VNET_GSO_UDP	  3
#define PMD_VNET_GSO_TCPV6	  4
#define PMD_VNET_GSO_ECN	  0x80

/*
 * Counters of one guest queue in one direction, kept by the caller (one per call site, so
 * they outlive a queue rebuilt on reconnect), written only by the polling core that calls
 * the glue with it. Packet, byte and driver-error counts live in vring_queue_stats().
 */
struct pmd_vq_stats {
	_Alignas(64) uint64_t packets; /* packets moved by the glue */
	uint64_t bytes;
	uint64_t no_mbuf;      /* dequeue: bursts left in the ring, the pool being empty */
	uint64_t no_mbuf_drop; /* dequeue: jumbo frames dropped, no mbuf to chain */
	uint64_t csum_sw;      /* checksums the glue completed in software */
	uint64_t offload_drop; /* packets whose offload request cannot be met, dropped */
	uint64_t burst_full;   /* enqueue: bursts the guest ring could not take whole */
};

/*
 * The vring_extend_fn the glue needs: whoever fills a struct vring_queue_config for a queue
 * that pmd_vring_dequeue() will drain sets .extend = pmd_vring_extend, .extend_ctx = NULL.
 * Without it, guest TX frames longer than one mbuf are dropped (VRING_DROP_TOO_BIG).
 */
struct vring_buf *pmd_vring_extend(void *ctx, struct vring_pkt *pkt, struct vring_buf *last);

/*
 * Guest TX -> mbufs. Allocates min(n, packets available) mbufs from mp in one bulk, copies
 * the guest's packets into them (chaining more mbufs for frames longer than one), maps the
 * virtio-net header to ol_flags (NEEDS_CSUM -> RTE_MBUF_F_TX_{TCP,UDP}_CKSUM with l2/l3_len,
 * or a software checksum when the headers are not plain IPv4/IPv6 + TCP/UDP; GSO ->
 * RTE_MBUF_F_TX_TCP_SEG / _UDP_SEG with tso_segsz and l4_len). pkts[0..ret-1] are then the
 * caller's. An empty pool leaves the packets in the guest ring (st->no_mbuf) and returns 0.
 * n is at most VRING_BURST_MAX. Returns the count, -EINVAL for a pool without
 * PMD_MBUF_PRIV_SIZE, or -EIO once the queue is broken.
 */
int pmd_vring_dequeue(struct vring_queue *q, struct rte_mempool *mp, struct rte_mbuf **pkts,
		      unsigned n, struct pmd_vq_stats *st);

/*
 * mbufs -> guest RX, lossless. Copies pkts[0..] into the guest's buffers in order and FREES
 * the ones that went in; returns how many (ret). pkts[ret..n-1] are untouched and still the
 * caller's: keep them and offer them again next round. Offloads follow the guest's
 * negotiated features: pending TX checksums become NEEDS_CSUM when GUEST_CSUM is on, else
 * are completed in software; RX_L4_CKSUM_GOOD becomes DATA_VALID under GUEST_CSUM; TSO/UFO
 * becomes GSO when GUEST_TSO4/6/UFO is on, else the packet is freed and counted
 * (st->offload_drop): the daemon should only offer HOST_TSO to guests whose peers take it.
 * Dropped packets count as went in. n at most VRING_BURST_MAX. -EIO once broken.
 */
int pmd_vring_enqueue(struct vring_queue *q, uint64_t guest_features, struct rte_mbuf **pkts,
		      unsigned n, struct pmd_vq_stats *st);

/*
 * The two mappings alone (the glue calls them; exposed for tests and for callers that
 * build packets themselves). hdr_to_mbuf returns 0, or -EINVAL for a header that cannot be
 * honoured (the packet should be dropped); mbuf_to_hdr returns 0, or -ENOTSUP when the
 * mbuf needs an offload the features lack (drop it), and may complete a checksum in the
 * mbuf's data (setting *sw_csum).
 */
int pmd_offload_hdr_to_mbuf(const struct vring_net_hdr *h, struct rte_mbuf *m, bool *sw_csum);
int pmd_offload_mbuf_to_hdr(struct rte_mbuf *m, uint64_t guest_features, struct vring_net_hdr *h,
			    bool *sw_csum);

/* ---------------------------------------------------------------- NIC ports */

/* One NIC RX queue's counters, written only by the polling core that polls it. */
struct pmd_rxq_stats {
	_Alignas(64) uint64_t packets;
	uint64_t bytes;
	uint64_t polls_full; /* bursts that filled all the room the caller gave */
};

/* One NIC TX queue's counters, written only by the polling core that feeds it. */
struct pmd_txq_stats {
	_Alignas(64) uint64_t packets;
	uint64_t bytes;
	uint64_t full;	  /* packets the NIC did not accept at once (kept by the caller) */
	uint64_t too_big; /* packets longer than the port's MTU frame, freed */
};

struct pmd_port;

/*
 * Probes nic->device (a vdev through rte_dev_probe, or a PCI device allow-listed at EAL
 * init), finds its ethdev port and checks the config against rte_eth_dev_info (queues,
 * ring sizes, MTU range, MAC). Configures nothing yet. Errors, in err:
 *   -ENODEV  device did not probe (for PCI: not bound to vfio-pci, with the bind command)
 *   -EINVAL  a key the device cannot honour (queues, rx_ring, tx_ring, mtu)
 */
int pmd_port_probe(const struct cfg_nic *nic, struct pmd_port **out, char *err, size_t errlen);

/* NUMA socket of the port (for pmd_mempool_create), the caller's socket when unknown. */
int pmd_port_socket(const struct pmd_port *p);

/*
 * Configures queues (RSS over IP/TCP/UDP when queues > 1), rings, MTU, MAC and promiscuous
 * mode, with RX buffers from mp, then starts the port. 0 or -errno with err set.
 */
int pmd_port_start(struct pmd_port *p, struct rte_mempool *mp, char *err, size_t errlen);

/* Stops and closes the port and removes the device (it may be probed again). NULL is fine. */
void pmd_port_close(struct pmd_port *p);

const char *pmd_port_name(const struct pmd_port *p); /* the cfg_nic name */
uint16_t pmd_port_id(const struct pmd_port *p);	     /* the ethdev port id */
unsigned pmd_port_queues(const struct pmd_port *p);
uint16_t pmd_port_mtu(const struct pmd_port *p);

/*
 * Data path. rx takes at most n packets (n = the room the destination has now: lossless)
 * from RX queue q. tx offers n packets to TX queue q and returns how many the caller no
 * longer owns (sent, or freed as too big); pkts[ret..n-1] are the caller's to keep and offer
 * again (they may have moved within the array). q must be below pmd_port_queues().
 */
unsigned pmd_port_rx(struct pmd_port *p, uint16_t q, struct rte_mbuf **pkts, unsigned n);
unsigned pmd_port_tx(struct pmd_port *p, uint16_t q, struct rte_mbuf **pkts, unsigned n);

/* Link state, without waiting (control thread or stats reader). */
bool pmd_port_link_up(const struct pmd_port *p);

/* A port's counters summed over its queues, plus what the NIC counts itself. */
struct pmd_port_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t rx_missed; /* rte_eth_stats imissed: the NIC had no descriptor */
	uint64_t rx_nombuf; /* rte_eth_stats rx_nombuf: the PMD had no mbuf to refill */
	uint64_t rx_errors; /* rte_eth_stats ierrors */
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_full;
	uint64_t tx_too_big;
	uint64_t tx_errors; /* rte_eth_stats oerrors */
	bool link_up;
	uint32_t link_speed; /* Mbps, 0 unknown */
};
int pmd_port_stats_read(const struct pmd_port *p, struct pmd_port_stats *s);
const struct pmd_rxq_stats *pmd_port_rxq_stats(const struct pmd_port *p, uint16_t q);
const struct pmd_txq_stats *pmd_port_txq_stats(const struct pmd_port *p, uint16_t q);

/*
 * For messages: checks the sysfs driver of a PCI address (sysfs = "/sys" normally).
 * 0 when bound to vfio-pci (or uio_pci_generic / igb_uio), else -ENODEV with err saying
 * which driver holds it and how to bind it.
 */
int pmd_pci_driver_check(const char *sysfs, const char *nic_name, const char *addr, char *err,
			 size_t errlen);

/* ---------------------------------------------------------------- telemetry */

/* Called once per counter; key is a short identifier ("rx_packets"). */
typedef void (*pmd_stat_emit_fn)(void *e, const char *key, uint64_t value);

/*
 * What the daemon exposes through DPDK telemetry. Callbacks run on DPDK's telemetry thread
 * and must only read (relaxed loads of counters, names that do not change while
 * registered).
 */
struct pmd_telemetry_source {
	/* Stores up to max port names in names[]; returns how many there are. */
	unsigned (*ports)(void *ctx, const char **names, unsigned max);
	/* Emits every counter of port name; 0, or -ENOENT for no such port. */
	int (*stats)(void *ctx, const char *name, pmd_stat_emit_fn emit, void *e);
	void *ctx;
};

/*
 * Registers /vhostd/ports (a list of names) and /vhostd/stats,NAME (a dict of counters),
 * readable with dpdk-telemetry.py. The source is copied; a later call replaces it.
 * pmd_telemetry_source_clear() makes both commands answer empty (call it before freeing
 * what ctx points to).
 */
int pmd_telemetry_register(const struct pmd_telemetry_source *src);
void pmd_telemetry_source_clear(void);

/*
 * Emits a NIC port's counters (pmd_port_stats_read), then each queue's vhostd-side counters
 * as q<N>_rx_packets, q<N>_rx_bytes, q<N>_rx_polls_full, q<N>_tx_packets, q<N>_tx_bytes,
 * q<N>_tx_full, q<N>_tx_too_big, for a stats callback to pass along.
 */
int pmd_port_stats_emit(const struct pmd_port *p, pmd_stat_emit_fn emit, void *e);

#endif /* VHOSTD_PMD_H */
