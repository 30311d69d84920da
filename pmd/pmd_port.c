/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NIC ports from struct cfg_nic: probe, check against rte_eth_dev_info, configure, start,
 * close (control thread); rx/tx bursts and their counters (data path).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_bus_pci.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_pci.h>

#include "pmd_priv.h"

/* Offloads vhostd asks of a port when the port has them. */
#define PMD_TX_OFFLOADS                                                                            \
	(RTE_ETH_TX_OFFLOAD_MULTI_SEGS | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |                           \
	 RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |                             \
	 RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_UDP_TSO)
#define PMD_RX_OFFLOADS (RTE_ETH_RX_OFFLOAD_CHECKSUM | RTE_ETH_RX_OFFLOAD_SCATTER)
#define PMD_RSS_HF	(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)

static const char *const pmd_pci_ok_drivers[] = {"vfio-pci", "uio_pci_generic", "igb_uio"};

int pmd_pci_driver_check(const char *sysfs, const char *nic_name, const char *addr, char *err,
			 size_t errlen)
{
	char path[PATH_MAX], link[PATH_MAX], name[64];
	struct stat sb;
	const char *drv;
	ssize_t n;

	if (!pmd_pci_name(addr, name, sizeof(name))) {
		pmd_err(err, errlen,
			"nic '%s': key 'device': '%s' is not a PCI address; write it as "
			"DDDD:BB:DD.F (see 'lspci -D')",
			nic_name, addr);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sysfs, name);
	if (stat(path, &sb)) {
		pmd_err(err, errlen,
			"nic '%s': key 'device': no PCI device %s on this host (%s is missing); "
			"check the address with 'lspci -D'",
			nic_name, name, path);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", sysfs, name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		pmd_err(err, errlen,
			"nic '%s': key 'device': PCI device %s is bound to no driver; bind it: "
			"modprobe vfio-pci && dpdk-devbind.py -b vfio-pci %s",
			nic_name, name, name);
		return -ENODEV;
	}
	link[n] = '\0';
	drv = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	for (size_t i = 0; i < RTE_DIM(pmd_pci_ok_drivers); i++)
		if (!strcmp(drv, pmd_pci_ok_drivers[i]))
			return 0;
	pmd_err(err, errlen,
		"nic '%s': key 'device': PCI device %s is bound to %s, not vfio-pci; bind it: "
		"modprobe vfio-pci && dpdk-devbind.py -b vfio-pci %s",
		nic_name, name, drv, name);
	return -ENODEV;
}

/* Finds (probing it if need be) the ethdev port of the configured device. */
static int port_find(struct pmd_port *p, char *err, size_t errlen)
{
	const char *dev = p->nic.device;
	int ret;

	if (!rte_eth_dev_get_port_by_name(p->devname, &p->port_id))
		return 0;
	if (p->is_pci) {
		ret = pmd_pci_driver_check("/sys", p->name, dev, err, errlen);
		if (ret)
			return ret;
	}
	ret = rte_dev_probe(dev);
	if (ret < 0) {
		/* rte_dev_probe's codes say little (-14 for an unknown driver): print the
		 * number, and the log above this line has DPDK's own words. */
		pmd_err(err, errlen,
			"nic '%s': key 'device': cannot probe '%s' (error %d); check the driver "
			"name and its arguments%s",
			p->name, dev, ret,
			p->is_pci ? " (and that vhostd's EAL allow-lists it with -a)" : "");
		return -ENODEV;
	}
	p->probed_by_us = true;
	if (rte_eth_dev_get_port_by_name(p->devname, &p->port_id)) {
		pmd_err(err, errlen,
			"nic '%s': key 'device': '%s' probed but is no ethernet port named '%s'; "
			"use a net_* driver or a NIC",
			p->name, dev, p->devname);
		return -ENODEV;
	}
	return 0;
}

static int check_ring(const struct pmd_port *p, const char *key, unsigned want,
		      const struct rte_eth_desc_lim *lim, char *err, size_t errlen)
{
	unsigned align = lim->nb_align ? lim->nb_align : 1;

	if (!want)
		return 0;
	if (want <= UINT16_MAX && want >= lim->nb_min && want <= lim->nb_max && !(want % align))
		return 0;
	pmd_err(err, errlen,
		"nic '%s': key '%s': %u descriptors asked, %s takes %u..%u in multiples of %u; "
		"set %s in that range",
		p->name, key, want, p->devname, lim->nb_min, lim->nb_max, align, key);
	return -EINVAL;
}

static int check_queues(const struct pmd_port *p, const struct rte_eth_dev_info *di, char *err,
			size_t errlen)
{
	unsigned q = p->nic.queues ? p->nic.queues : 1;
	unsigned max = RTE_MIN(di->max_rx_queues, di->max_tx_queues);

	if (q > CFG_MAX_QUEUES || q > max) {
		max = RTE_MIN(max, (unsigned)CFG_MAX_QUEUES);
		pmd_err(
		    err, errlen,
		    "nic '%s': key 'queues': %u queues asked, %s has at most %u (rx %u, tx %u); "
		    "set queues = %u or less",
		    p->name, q, p->devname, max, di->max_rx_queues, di->max_tx_queues, max);
		return -EINVAL;
	}
	/*
	 * A NIC without RSS would put every packet on queue 0. A virtual device's queues are
	 * separate sources by construction (one rx_pcap file, one ring per queue), so only a
	 * PCI device needs RSS to make several queues worth having.
	 */
	if (q > 1 && p->is_pci && !(di->flow_type_rss_offloads & PMD_RSS_HF)) {
		pmd_err(err, errlen,
			"nic '%s': key 'queues': %u queues asked, but %s cannot spread packets "
			"over queues (no RSS); set queues = 1",
			p->name, q, p->devname);
		return -EINVAL;
	}
	return 0;
}

static int check_limits(const struct pmd_port *p, const struct rte_eth_dev_info *di, char *err,
			size_t errlen)
{
	const struct cfg_nic *n = &p->nic;
	int ret;

	ret = check_queues(p, di, err, errlen);
	if (!ret)
		ret = check_ring(p, "rx_ring", n->rx_ring, &di->rx_desc_lim, err, errlen);
	if (!ret)
		ret = check_ring(p, "tx_ring", n->tx_ring, &di->tx_desc_lim, err, errlen);
	if (ret)
		return ret;
	if (n->mtu && (n->mtu < di->min_mtu || n->mtu > di->max_mtu)) {
		pmd_err(err, errlen,
			"nic '%s': key 'mtu': %u is outside what %s takes (%u..%u); set mtu in "
			"that range",
			p->name, n->mtu, p->devname, di->min_mtu, di->max_mtu);
		return -EINVAL;
	}
	return 0;
}

static void port_release(struct pmd_port *p)
{
	struct rte_eth_dev_info di;

	if (p->probed_by_us && !rte_eth_dev_info_get(p->port_id, &di) && di.device) {
		rte_eth_dev_close(p->port_id);
		rte_dev_remove(di.device);
	}
	rte_free(p);
}

int pmd_port_probe(const struct cfg_nic *nic, struct pmd_port **out, char *err, size_t errlen)
{
	struct rte_eth_dev_info di;
	struct pmd_port *p;
	int ret;

	p = rte_zmalloc("pmd_port", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (!p) {
		pmd_err(err, errlen, "nic '%s': out of memory for the port", nic->name);
		return -ENOMEM;
	}
	p->nic = *nic;
	snprintf(p->name, sizeof(p->name), "%s", nic->name);
	p->is_pci = pmd_pci_name(nic->device, p->devname, sizeof(p->devname));
	if (!p->is_pci)
		snprintf(p->devname, sizeof(p->devname), "%.*s", (int)strcspn(nic->device, ","),
			 nic->device);
	ret = port_find(p, err, errlen);
	if (ret)
		goto out_free;
	ret = rte_eth_dev_info_get(p->port_id, &di);
	if (ret) {
		pmd_err(err, errlen, "nic '%s': key 'device': cannot read %s's limits: %s", p->name,
			p->devname, rte_strerror(-ret));
		goto out_free;
	}
	ret = check_limits(p, &di, err, errlen);
	if (ret)
		goto out_free;
	*out = p;
	return 0;
out_free:
	port_release(p);
	return ret;
}

int pmd_port_socket(const struct pmd_port *p)
{
	int s = rte_eth_dev_socket_id(p->port_id);

	return s < 0 ? (int)rte_socket_id() : s;
}

static int port_conf(struct pmd_port *p, const struct rte_eth_dev_info *di,
		     struct rte_eth_conf *conf, char *err, size_t errlen)
{
	unsigned q = p->nic.queues ? p->nic.queues : 1;
	uint16_t mtu = p->nic.mtu;
	unsigned frame;

	memset(conf, 0, sizeof(*conf));
	if (!mtu && rte_eth_dev_get_mtu(p->port_id, &mtu))
		mtu = RTE_ETHER_MTU;
	conf->rxmode.mtu = mtu;
	conf->rxmode.offloads = di->rx_offload_capa & PMD_RX_OFFLOADS;
	conf->txmode.offloads = di->tx_offload_capa & PMD_TX_OFFLOADS;
	if (q > 1) {
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_hf = di->flow_type_rss_offloads & PMD_RSS_HF;
	}
	p->tx_capa = conf->txmode.offloads;
	frame = (unsigned)mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
	if (frame <= PMD_MBUF_DATA_ROOM || di->rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		return 0;
	/* Virtual devices copy into chains themselves; a NIC without scatter cannot. */
	if (p->is_pci) {
		pmd_err(err, errlen,
			"nic '%s': key 'mtu': %u needs frames longer than one %u-byte mbuf and %s "
			"cannot scatter RX; set mtu to %u or less",
			p->name, mtu, PMD_MBUF_DATA_ROOM, p->devname,
			PMD_MBUF_DATA_ROOM - RTE_ETHER_HDR_LEN - RTE_VLAN_HLEN);
		return -EINVAL;
	}
	return 0;
}

static int port_queues_setup(struct pmd_port *p, const struct rte_eth_dev_info *di,
			     const struct rte_eth_conf *conf, struct rte_mempool *mp, char *err,
			     size_t errlen)
{
	unsigned q = p->nic.queues ? p->nic.queues : 1;
	struct rte_eth_txconf txc = di->default_txconf;
	struct rte_eth_rxconf rxc = di->default_rxconf;
	int sock = pmd_port_socket(p);
	int ret = 0;

	txc.offloads = conf->txmode.offloads;
	rxc.offloads = conf->rxmode.offloads;
	for (unsigned i = 0; i < q && !ret; i++) {
		ret = rte_eth_rx_queue_setup(p->port_id, (uint16_t)i, (uint16_t)p->nic.rx_ring,
					     (unsigned)sock, &rxc, mp);
		if (ret) {
			pmd_err(err, errlen,
				"nic '%s': key 'rx_ring': RX queue %u setup failed: %s", p->name, i,
				rte_strerror(-ret));
			break;
		}
		ret = rte_eth_tx_queue_setup(p->port_id, (uint16_t)i, (uint16_t)p->nic.tx_ring,
					     (unsigned)sock, &txc);
		if (ret)
			pmd_err(err, errlen,
				"nic '%s': key 'tx_ring': TX queue %u setup failed: %s", p->name, i,
				rte_strerror(-ret));
	}
	return ret;
}

static int port_mac_promisc(struct pmd_port *p, char *err, size_t errlen)
{
	int ret;

	if (p->nic.has_mac) {
		struct rte_ether_addr a;

		memcpy(a.addr_bytes, p->nic.mac, sizeof(a.addr_bytes));
		ret = rte_eth_dev_default_mac_addr_set(p->port_id, &a);
		if (ret) {
			pmd_err(err, errlen,
				"nic '%s': key 'mac': %s cannot take this MAC address: %s; remove "
				"'mac' to keep the device's own",
				p->name, p->devname, rte_strerror(-ret));
			return ret;
		}
	}
	ret = p->nic.promisc ? rte_eth_promiscuous_enable(p->port_id)
			     : rte_eth_promiscuous_disable(p->port_id);
	/* Off is the default: a device that cannot switch it is already off. */
	if (ret && (p->nic.promisc || ret != -ENOTSUP)) {
		pmd_err(err, errlen,
			"nic '%s': key 'promisc': %s cannot %s promiscuous mode: %s; set promisc "
			"= %s",
			p->name, p->devname, p->nic.promisc ? "enter" : "leave", rte_strerror(-ret),
			p->nic.promisc ? "false" : "true");
		return ret;
	}
	return 0;
}

static int port_configure(struct pmd_port *p, struct rte_mempool *mp, char *err, size_t errlen)
{
	unsigned q = p->nic.queues ? p->nic.queues : 1;
	struct rte_eth_dev_info di;
	struct rte_eth_conf conf;
	int ret;

	ret = rte_eth_dev_info_get(p->port_id, &di);
	if (!ret)
		ret = port_conf(p, &di, &conf, err, errlen);
	if (ret)
		return ret;
	ret = rte_eth_dev_configure(p->port_id, (uint16_t)q, (uint16_t)q, &conf);
	if (ret) {
		pmd_err(err, errlen, "nic '%s': key 'device': %s refused its configuration: %s",
			p->name, p->devname, rte_strerror(-ret));
		return ret;
	}
	ret = port_queues_setup(p, &di, &conf, mp, err, errlen);
	if (ret)
		return ret;
	return port_mac_promisc(p, err, errlen);
}

int pmd_port_start(struct pmd_port *p, struct rte_mempool *mp, char *err, size_t errlen)
{
	int ret;

	if (p->started)
		return 0;
	ret = port_configure(p, mp, err, errlen);
	if (ret)
		return ret;
	ret = rte_eth_dev_start(p->port_id);
	if (ret) {
		pmd_err(err, errlen, "nic '%s': key 'device': %s did not start: %s", p->name,
			p->devname, rte_strerror(-ret));
		return ret;
	}
	if (rte_eth_dev_get_mtu(p->port_id, &p->mtu))
		p->mtu = p->nic.mtu ? p->nic.mtu : RTE_ETHER_MTU;
	p->max_frame = p->mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
	p->started = true;
	return 0;
}

void pmd_port_close(struct pmd_port *p)
{
	if (!p)
		return;
	if (p->started)
		rte_eth_dev_stop(p->port_id);
	if (!p->probed_by_us)
		rte_eth_dev_close(p->port_id);
	port_release(p);
}

const char *pmd_port_name(const struct pmd_port *p)
{
	return p->name;
}

uint16_t pmd_port_id(const struct pmd_port *p)
{
	return p->port_id;
}

unsigned pmd_port_queues(const struct pmd_port *p)
{
	return p->nic.queues ? p->nic.queues : 1;
}

uint16_t pmd_port_mtu(const struct pmd_port *p)
{
	return p->mtu;
}

unsigned pmd_port_rx(struct pmd_port *p, uint16_t q, struct rte_mbuf **pkts, unsigned n)
{
	struct pmd_rxq_stats *st = &p->rxq[q];
	uint64_t bytes = 0;
	uint16_t nb;

	nb = rte_eth_rx_burst(p->port_id, q, pkts, (uint16_t)RTE_MIN(n, (unsigned)UINT16_MAX));
	if (!nb)
		return 0;
	for (uint16_t i = 0; i < nb; i++)
		bytes += pkts[i]->pkt_len;
	PMD_STAT_ADD(st->packets, nb);
	PMD_STAT_ADD(st->bytes, bytes);
	if (nb == n)
		PMD_STAT_ADD(st->polls_full, 1);
	return nb;
}

/* Whether m can go out this port: offloads the port lacks done in software, else false. */
static bool tx_ok(const struct pmd_port *p, struct rte_mbuf *m)
{
	bool tso = m->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG);

	if (m->pkt_len > p->max_frame && !tso)
		return false;
	return pmd_offload_tx_fixup(m, p->tx_capa) == 0;
}

unsigned pmd_port_tx(struct pmd_port *p, uint16_t q, struct rte_mbuf **pkts, unsigned n)
{
	struct pmd_txq_stats *st = &p->txq[q];
	unsigned k = 0, left;
	uint64_t bytes = 0;
	uint16_t sent;

	n = RTE_MIN(n, (unsigned)UINT16_MAX);
	for (unsigned i = 0; i < n; i++) {
		if (unlikely(!tx_ok(p, pkts[i]))) {
			PMD_STAT_ADD(st->too_big, 1);
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		bytes += pkts[i]->pkt_len;
		pkts[k++] = pkts[i];
	}
	/* Read lengths before the burst: a sent mbuf may be freed by another core at once. */
	sent = rte_eth_tx_burst(p->port_id, q, pkts, (uint16_t)k);
	left = k - sent;
	for (unsigned i = sent; i < k; i++)
		bytes -= pkts[i]->pkt_len;
	PMD_STAT_ADD(st->packets, sent);
	PMD_STAT_ADD(st->bytes, bytes);
	if (left) {
		PMD_STAT_ADD(st->full, left);
		if (k < n)
			memmove(pkts + n - left, pkts + sent, left * sizeof(*pkts));
	}
	return n - left;
}

bool pmd_port_link_up(const struct pmd_port *p)
{
	struct rte_eth_link l;

	if (rte_eth_link_get_nowait(p->port_id, &l))
		return false;
	return l.link_status == RTE_ETH_LINK_UP;
}

const struct pmd_rxq_stats *pmd_port_rxq_stats(const struct pmd_port *p, uint16_t q)
{
	return q < pmd_port_queues(p) ? &p->rxq[q] : NULL;
}

const struct pmd_txq_stats *pmd_port_txq_stats(const struct pmd_port *p, uint16_t q)
{
	return q < pmd_port_queues(p) ? &p->txq[q] : NULL;
}

int pmd_port_stats_read(const struct pmd_port *p, struct pmd_port_stats *s)
{
	struct rte_eth_stats es;
	struct rte_eth_link l;

	memset(s, 0, sizeof(*s));
	for (unsigned q = 0; q < pmd_port_queues(p); q++) {
		s->rx_packets += PMD_STAT_READ(p->rxq[q].packets);
		s->rx_bytes += PMD_STAT_READ(p->rxq[q].bytes);
		s->tx_packets += PMD_STAT_READ(p->txq[q].packets);
		s->tx_bytes += PMD_STAT_READ(p->txq[q].bytes);
		s->tx_full += PMD_STAT_READ(p->txq[q].full);
		s->tx_too_big += PMD_STAT_READ(p->txq[q].too_big);
	}
	if (!rte_eth_stats_get(p->port_id, &es)) {
		s->rx_missed = es.imissed;
		s->rx_nombuf = es.rx_nombuf;
		s->rx_errors = es.ierrors;
		s->tx_errors = es.oerrors;
	}
	if (!rte_eth_link_get_nowait(p->port_id, &l)) {
		s->link_up = l.link_status == RTE_ETH_LINK_UP;
		s->link_speed = l.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : l.link_speed;
	}
	return 0;
}

/* One queue's vhostd-side counters as "qN_rx_packets" and the like (flat: telemetry
 * dicts take u64 values, and a flat dict reads well in dpdk-telemetry.py). */
static void queue_stats_emit(const struct pmd_port *p, unsigned q, pmd_stat_emit_fn emit, void *e)
{
	const struct {
		const char *key;
		const uint64_t *v;
	} f[] = {
	    {"rx_packets", &p->rxq[q].packets},	      {"rx_bytes", &p->rxq[q].bytes},
	    {"rx_polls_full", &p->rxq[q].polls_full}, {"tx_packets", &p->txq[q].packets},
	    {"tx_bytes", &p->txq[q].bytes},	      {"tx_full", &p->txq[q].full},
	    {"tx_too_big", &p->txq[q].too_big},
	};
	char key[48];

	for (size_t i = 0; i < RTE_DIM(f); i++) {
		snprintf(key, sizeof(key), "q%u_%s", q, f[i].key);
		emit(e, key, PMD_STAT_READ(*f[i].v));
	}
}

int pmd_port_stats_emit(const struct pmd_port *p, pmd_stat_emit_fn emit, void *e)
{
	struct pmd_port_stats s;

	pmd_port_stats_read(p, &s);
	emit(e, "rx_packets", s.rx_packets);
	emit(e, "rx_bytes", s.rx_bytes);
	emit(e, "rx_missed", s.rx_missed);
	emit(e, "rx_nombuf", s.rx_nombuf);
	emit(e, "rx_errors", s.rx_errors);
	emit(e, "tx_packets", s.tx_packets);
	emit(e, "tx_bytes", s.tx_bytes);
	emit(e, "tx_full", s.tx_full);
	emit(e, "tx_too_big", s.tx_too_big);
	emit(e, "tx_errors", s.tx_errors);
	emit(e, "link_up", s.link_up);
	emit(e, "link_speed", s.link_speed);
	for (unsigned q = 0; q < pmd_port_queues(p); q++)
		queue_stats_emit(p, q, emit, e);
	return 0;
}
