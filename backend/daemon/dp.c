/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The polling loop. A link moves from its source only what the destination can take now;
 * whatever the destination still refuses stays in the item's pending array for the next
 * round, so nothing is dropped while both ports are up. Hot path: no syscalls but the
 * guest kick, no locks, no allocation beyond the mempool, no logging.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "vhostd.h"

static unsigned vd_vhost_room(struct vd_port *p, unsigned q)
{
	struct vhu_dpq *rx = vhu_dp_queue(p->vhu, 2 * q);

	return rx ? vring_avail_count_max(rx->vq, VRING_BURST_MAX) : 0;
}

static unsigned vd_vhost_rx(struct vd_port *p, unsigned q, struct rte_mbuf **pkts, unsigned n,
			    struct pmd_vq_stats *st)
{
	struct vhu_dpq *tx = vhu_dp_queue(p->vhu, 2 * q + 1);
	int got;

	if (!tx)
		return 0;
	got = pmd_vring_dequeue(tx->vq, p->mp, pkts, n, st);
	if (got == -EIO)
		vhu_dp_broken(tx);
	if (got <= 0)
		return 0;
	/* Used entries for the guest's TX went out: it may want to hear of them. */
	vhu_dp_notify(tx);
	return (unsigned)got;
}

static unsigned vd_vhost_tx(struct vd_port *p, unsigned q, struct rte_mbuf **pkts, unsigned n,
			    struct pmd_vq_stats *st)
{
	struct vhu_dpq *rx = vhu_dp_queue(p->vhu, 2 * q);
	int put;

	if (!rx)
		return 0;
	put = pmd_vring_enqueue(rx->vq, rx->features, pkts, n, st);
	if (put == -EIO)
		vhu_dp_broken(rx);
	if (put <= 0)
		return 0;
	vhu_dp_notify(rx);
	return (unsigned)put;
}

static bool vd_vhost_down(struct vd_port *p, unsigned q)
{
	return vhu_dp_queue_down(p->vhu, 2 * q);
}

const struct vd_port_ops vd_vhost_ops = {
    .room = vd_vhost_room,
    .down = vd_vhost_down,
    .rx = vd_vhost_rx,
    .tx = vd_vhost_tx,
};

/* A RARP request (RFC 903) announcing mac, what a switch learns a migrated guest from. */
static struct rte_mbuf *vd_rarp_build(struct rte_mempool *mp, const uint8_t mac[6])
{
	static const uint8_t arp_hdr[8] = {0, 1, 8, 0, 6, 4, 0, 3}; /* eth, ipv4, req. reverse */
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *b;

	if (!m)
		return NULL;
	b = (uint8_t *)rte_pktmbuf_append(m, 60);
	if (!b) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(b, 0, 60);
	memset(b, 0xff, 6);
	memcpy(b + 6, mac, 6);
	b[12] = 0x80; /* ethertype 0x8035: RARP */
	b[13] = 0x35;
	memcpy(b + 14, arp_hdr, sizeof(arp_hdr));
	memcpy(b + 22, mac, 6); /* sender hardware address */
	memcpy(b + 32, mac, 6); /* target hardware address */
	return m;
}

static void vd_item_rarp(struct vd_item *it)
{
	uint8_t mac[6];
	struct rte_mbuf *m;

	if (it->src->kind != VD_PORT_VHOST || it->npend > VRING_BURST_MAX - 1 ||
	    !vhu_dp_rarp_take(it->src->vhu, mac))
		return;
	m = vd_rarp_build(it->src->mp, mac);
	if (!m)
		return;
	it->pend[it->npend++] = m;
	it->rarp_sent++;
}

static void vd_item_drop(struct vd_item *it, struct rte_mbuf **pkts, unsigned n)
{
	if (!n)
		return;
	rte_pktmbuf_free_bulk(pkts, n);
	it->dst_down += n;
}

/* Offers the pending packets to dst; keeps, in order, what it did not take. */
static void vd_item_flush(struct vd_item *it)
{
	unsigned took = it->dst->ops->tx(it->dst, it->dq, it->pend, it->npend, &it->enq);

	if (took && took < it->npend)
		memmove(it->pend, it->pend + took, (it->npend - took) * sizeof(it->pend[0]));
	it->npend -= took;
}

static void vd_item_run(struct vd_item *it)
{
	unsigned burst = it->weight, room, n, got;

	if (it->rarp_owner)
		vd_item_rarp(it);
	if (it->npend) {
		vd_item_flush(it);
		if (it->npend && !it->dst->ops->down(it->dst, it->dq))
			return;
		vd_item_drop(it, it->pend, it->npend);
		it->npend = 0;
	}
	room = it->dst->ops->room(it->dst, it->dq);
	n = room < burst ? room : burst;
	if (!n) {
		/* Full or paused: hold. Down: the source's packets have nowhere to go; a NIC
		 * keeps them (and drops on its own, counted as imissed). */
		if (!it->hold_when_down && it->dst->ops->down(it->dst, it->dq)) {
			got = it->src->ops->rx(it->src, it->sq, it->pend, burst, &it->deq);
			vd_item_drop(it, it->pend, got);
		}
		return;
	}
	got = it->src->ops->rx(it->src, it->sq, it->pend, n, &it->deq);
	if (!got)
		return;
	it->npend = got;
	vd_item_flush(it);
}

int vd_poll_main(void *arg)
{
	struct vd *d = arg;
	unsigned lcore = rte_lcore_id();
	/* Only this lcore's own items: no other core's item (or its cache lines) is read. */
	struct vd_item **mine = d->lc_items + d->lc_first[lcore];
	unsigned n = d->lc_first[lcore + 1] - d->lc_first[lcore];
	int id = vhu_dp_register(d->ctrl);

	if (id < 0) {
		fprintf(stderr, "vhostd: lcore %u: no reader slot: %s\n", lcore, strerror(-id));
		return id;
	}
	/* relaxed: the flag only needs to be seen eventually. */
	while (!atomic_load_explicit(&d->stop, memory_order_relaxed)) {
		for (unsigned i = 0; i < n; i++)
			vd_item_run(mine[i]);
		vhu_dp_quiescent(d->ctrl, id);
	}
	vhu_dp_unregister(d->ctrl, id);
	return 0;
}

static struct vd_port *vd_port_find(struct vd *d, const char *name)
{
	for (unsigned i = 0; i < d->n_ports; i++)
		if (!strcmp(d->ports[i].name, name))
			return &d->ports[i];
	return NULL;
}

static void vd_item_add(struct vd *d, struct vd_port *src, unsigned sq, struct vd_port *dst,
			unsigned dq)
{
	struct vd_item *it = &d->items[d->n_items++];

	memset(it, 0, sizeof(*it));
	it->src = src;
	it->sq = sq;
	it->dst = dst;
	it->dq = dq;
	it->weight = d->burst;
	it->rarp_owner = sq == 0;
	it->hold_when_down = src->kind == VD_PORT_NIC;
}

/* Fills lc_items / lc_first from each item's lcore, and says who polls what. */
static void vd_lcores_group(struct vd *d)
{
	unsigned k = 0, lc;

	memset(d->lc_first, 0, sizeof(d->lc_first));
	for (lc = 0; lc < RTE_MAX_LCORE; lc++) {
		d->lc_first[lc] = k;
		for (unsigned i = 0; i < d->n_items; i++)
			if (d->items[i].lcore == lc)
				d->lc_items[k++] = &d->items[i];
	}
	d->lc_first[RTE_MAX_LCORE] = k;
	RTE_LCORE_FOREACH(lc)
	{
		unsigned n = d->lc_first[lc + 1] - d->lc_first[lc];

		fprintf(stderr, "vhostd: lcore %u polls %u link queue%s%s", lc, n,
			n == 1 ? "" : "s", n ? ":" : " (idle)");
		for (unsigned i = d->lc_first[lc]; i < d->lc_first[lc + 1]; i++)
			fprintf(stderr, " %s.%u->%s.%u", d->lc_items[i]->src->name,
				d->lc_items[i]->sq, d->lc_items[i]->dst->name, d->lc_items[i]->dq);
		fprintf(stderr, "\n");
	}
}

/*
 * Source queue q of A feeds queue q mod nB of B. Every source queue is in exactly one item;
 * a destination queue may be fed by several, so items are given to polling cores by
 * destination, which keeps every ring single-producer and single-consumer.
 */
int vd_items_build(struct vd *d)
{
	unsigned max = 0, n_lcores = rte_lcore_count(), k = 0;
	unsigned lcores[RTE_MAX_LCORE];
	unsigned lc;

	for (unsigned i = 0; i < d->cfg.n_link; i++)
		max += 2 * CFG_MAX_QUEUES;
	/* Aligned: each item's cache lines belong to its owning core alone. */
	d->items = aligned_alloc(_Alignof(struct vd_item), (max ? max : 1) * sizeof(*d->items));
	d->lc_items = calloc(max ? max : 1, sizeof(*d->lc_items));
	if (!d->items || !d->lc_items)
		return -ENOMEM;
	for (unsigned i = 0; i < d->cfg.n_link; i++) {
		struct vd_port *a = vd_port_find(d, d->cfg.link[i].a);
		struct vd_port *b = vd_port_find(d, d->cfg.link[i].b);

		if (!a || !b) {
			fprintf(stderr,
				"vhostd: [link] %s = %s: no such port; declare it in a "
				"[vhost NAME] or [nic NAME] section\n",
				d->cfg.link[i].a, d->cfg.link[i].b);
			return -EINVAL;
		}
		for (unsigned j = 0; j < d->n_items; j++) {
			if (d->items[j].src == a || d->items[j].src == b) {
				fprintf(stderr,
					"vhostd: [link] %s = %s: port %s is already in a "
					"link; a port belongs to one link only\n",
					a->name, b->name, d->items[j].src->name);
				return -EINVAL;
			}
		}
		for (unsigned q = 0; q < a->queues; q++)
			vd_item_add(d, a, q, b, q % b->queues);
		if (a == b)
			continue;
		for (unsigned q = 0; q < b->queues; q++)
			vd_item_add(d, b, q, a, q % a->queues);
	}
	RTE_LCORE_FOREACH(lc)
	lcores[k++] = lc;
	/* Same destination, same core: round-robin over distinct destinations. */
	for (unsigned i = 0, next = 0; i < d->n_items; i++) {
		struct vd_item *it = &d->items[i];
		bool placed = false;

		for (unsigned j = 0; j < i && !placed; j++) {
			if (d->items[j].dst == it->dst && d->items[j].dq == it->dq) {
				it->lcore = d->items[j].lcore;
				placed = true;
			}
		}
		if (!placed)
			it->lcore = lcores[next++ % n_lcores];
	}
	vd_lcores_group(d);
	return 0;
}

/*
 * A vhost port's mbufs are taken and its rings touched by the lcores polling its queues:
 * its pool belongs on their socket. Queues spread over sockets get the first one's, said
 * once; a port in no link gets the main lcore's.
 */
void vd_vhost_sockets(struct vd *d)
{
	for (unsigned i = 0; i < d->n_ports; i++) {
		struct vd_port *p = &d->ports[i];
		bool found = false, mixed = false;

		if (p->kind != VD_PORT_VHOST)
			continue;
		p->socket = (int)rte_lcore_to_socket_id(rte_get_main_lcore());
		/* The first queue it is polled for: that lcore allocates from its pool. */
		for (unsigned j = 0; j < d->n_items && !found; j++) {
			if (d->items[j].src == p) {
				p->socket = (int)rte_lcore_to_socket_id(d->items[j].lcore);
				found = true;
			}
		}
		for (unsigned j = 0; j < d->n_items; j++) {
			const struct vd_item *it = &d->items[j];

			if (it->src == p || it->dst == p)
				mixed |= (int)rte_lcore_to_socket_id(it->lcore) != p->socket;
		}
		if (mixed)
			fprintf(stderr,
				"vhostd: [vhost %s]: its queues are polled by lcores on several "
				"sockets; mbufs come from socket %d\n",
				p->name, p->socket);
	}
}
