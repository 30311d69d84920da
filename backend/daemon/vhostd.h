/* SPDX-License-Identifier: BSD-3-Clause */
/* vhostd internals: ports as the polling loop sees them, links, stats printing. */
#ifndef VHOSTD_DAEMON_H
#define VHOSTD_DAEMON_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_config.h>

#include "cfg.h"
#include "pmd.h"
#include "vhu.h"
#include "vring.h"

struct rte_mbuf;
struct rte_mempool;
struct vd_port;

/*
 * What a link needs from a port, per queue: the seam NIC ports plug into. All three run
 * on the polling core that owns the (port, queue) pair; none may block or allocate beyond
 * the mempool.
 */
struct vd_port_ops {
	/* Packets the queue can take now (0 while the port is down). */
	unsigned (*room)(struct vd_port *p, unsigned q);
	/* Whether queue q is down (not merely full or paused): a link then drops what it
	 * would send there, as a switch does towards a port whose link is down. */
	bool (*down)(struct vd_port *p, unsigned q);
	/* Takes at most n packets from queue q; count or 0. */
	unsigned (*rx)(struct vd_port *p, unsigned q, struct rte_mbuf **pkts, unsigned n,
		       struct pmd_vq_stats *st);
	/* Offers n packets to queue q; returns how many it took (freed or sent). */
	unsigned (*tx)(struct vd_port *p, unsigned q, struct rte_mbuf **pkts, unsigned n,
		       struct pmd_vq_stats *st);
};

enum vd_port_kind { VD_PORT_VHOST, VD_PORT_NIC };

struct vd_port {
	char name[CFG_NAME_MAX];
	enum vd_port_kind kind;
	const struct vd_port_ops *ops;
	unsigned queues;	/* queue pairs */
	struct vhu_port *vhu;	/* VD_PORT_VHOST */
	struct pmd_port *nic;	/* VD_PORT_NIC */
	struct rte_mempool *mp; /* where packets taken from it live: its socket's pool */
	int socket;		/* NUMA socket of the device (NIC) or of its polling lcore */
	/*
	 * VD_PORT_NIC: the link state as the control side last read it. Written once a
	 * second by the signal thread (vd_links_watch), read by polling cores through
	 * ops->down: a relaxed flag, so the hot path never asks the driver (a syscall for
	 * some PMDs).
	 */
	_Atomic bool link_down;
	bool link_known;     /* link state read at least once (signal thread only) */
	uint64_t link_downs; /* up -> down transitions seen (signal thread only) */
};

/* One direction of a link for one queue: src queue sq feeds dst queue dq. */
struct vd_item {
	struct vd_port *src;
	unsigned sq;
	struct vd_port *dst;
	unsigned dq;
	unsigned lcore;	 /* the polling core that owns it */
	unsigned weight; /* packets at most per visit: one busy queue cannot starve the rest */
	bool rarp_owner; /* forwards src's SEND_RARP requests (src queue 0) */
	/*
	 * When dst is down: false (a guest source) drains and drops, as a switch does, so a
	 * dead peer cannot stall the guest; true (a NIC source) leaves packets in the NIC,
	 * which drops them itself and counts imissed.
	 */
	bool hold_when_down;
	unsigned npend; /* taken from src, not yet accepted by dst */
	struct rte_mbuf *pend[VRING_BURST_MAX + 1];
	struct pmd_vq_stats deq; /* src side */
	struct pmd_vq_stats enq; /* dst side */
	_Alignas(64) uint64_t rarp_sent;
	uint64_t dst_down; /* packets dropped: the destination queue was down */
};

struct vd {
	struct cfg cfg;
	struct vhu_ctrl *ctrl;
	/* One mbuf pool per NUMA socket that has a port: pools[i] lives on pool_socket[i]. */
	struct rte_mempool *pools[2 * CFG_MAX_PORTS];
	int pool_socket[2 * CFG_MAX_PORTS];
	unsigned n_pools;
	struct vd_port ports[2 * CFG_MAX_PORTS];
	unsigned n_ports;
	struct vd_item *items;
	unsigned n_items;
	/* Items grouped by owning lcore (read-only once polling starts): lcore L runs
	 * lc_items[lc_first[L] .. lc_first[L + 1] - 1] and touches no other item. */
	struct vd_item **lc_items;
	unsigned lc_first[RTE_MAX_LCORE + 1];
	unsigned burst;
	_Atomic bool stop;
};

extern const struct vd_port_ops vd_vhost_ops;

/* dp.c */
int vd_items_build(struct vd *d);
/* Each vhost port's socket: that of the lcore polling its first queue (after items). */
void vd_vhost_sockets(struct vd *d);
int vd_poll_main(void *arg); /* rte lcore entry */

/* stats.c */
void vd_stats_print(struct vd *d);
/* Reads every NIC's link state, logs each change once, publishes it to the data plane. */
void vd_links_watch(struct vd *d);
/* /vhostd/ports and /vhostd/stats,NAME through DPDK telemetry. */
int vd_telemetry_start(struct vd *d);

#endif /* VHOSTD_DAEMON_H */
