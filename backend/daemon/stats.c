/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters as one JSON object per line on stdout. Ring counters come from vhu (summed over
 * every queue the port ever had); glue counters from the link items, read while the
 * polling cores write them (aligned 64-bit loads: each value is a snapshot).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vhostd.h"

static uint64_t vd_rd(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static void vd_glue_sum(struct vd *d, struct vd_port *p, unsigned q, bool src,
			struct pmd_vq_stats *s, uint64_t *extra)
{
	for (unsigned i = 0; i < d->n_items; i++) {
		struct vd_item *it = &d->items[i];
		const struct pmd_vq_stats *g = src ? &it->deq : &it->enq;

		if (src ? (it->src != p || it->sq != q) : (it->dst != p || it->dq != q))
			continue;
		s->no_mbuf += vd_rd(&g->no_mbuf);
		s->no_mbuf_drop += vd_rd(&g->no_mbuf_drop);
		s->offload_drop += vd_rd(&g->offload_drop);
		s->burst_full += vd_rd(&g->burst_full);
		s->csum_sw += vd_rd(&g->csum_sw);
		if (src) {
			extra[0] += vd_rd(&it->rarp_sent);
			extra[1] += vd_rd(&it->dst_down);
		}
	}
}

static void vd_print_ring(const char *dir, const struct vring_stats *s,
			  const struct pmd_vq_stats *g, bool src, const uint64_t *extra)
{
	printf("\"%s\":{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"notifies\":%" PRIu64, dir,
	       s->packets, s->bytes, s->notifies);
	printf(",\"drops\":{");
	for (int i = 0; i < VRING_DROP_MAX; i++)
		printf("\"%s\":%" PRIu64 ",", vring_drop_name(i), s->drop[i]);
	printf("\"no_mbuf_jumbo\":%" PRIu64 ",\"offload\":%" PRIu64, g->no_mbuf_drop,
	       g->offload_drop);
	if (src)
		printf(",\"dst_down\":%" PRIu64, extra[1]);
	printf("}");
	printf(",\"errors\":{");
	for (int i = 0; i < VRING_ERR_MAX; i++)
		printf("%s\"%s\":%" PRIu64, i ? "," : "", vring_err_name(i), s->err[i]);
	printf("}");
	if (src)
		printf(",\"no_mbuf_waits\":%" PRIu64 ",\"rarp_sent\":%" PRIu64, g->no_mbuf,
		       extra[0]);
	else
		printf(",\"ring_full\":%" PRIu64, g->burst_full);
	printf(",\"csum_sw\":%" PRIu64, g->csum_sw);
	printf("}");
}

static void vd_print_vhost(struct vd *d, struct vd_port *p)
{
	struct vhu_port_stats ps;

	vhu_port_stats(p->vhu, &ps);
	printf("\"%s\":{\"kind\":\"vhost\",\"connected\":%s,\"connects\":%" PRIu64
	       ",\"disconnects\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"messages\":%" PRIu64
	       ",\"errors\":{",
	       p->name, vhu_port_connected(p->vhu) ? "true" : "false", ps.connects, ps.disconnects,
	       ps.dropped, ps.messages);
	for (int i = 0; i < VHU_ERR_MAX; i++)
		printf("%s\"%s\":%" PRIu64, i ? "," : "", vhu_err_name(i), ps.err[i]);
	printf("},\"queues\":[");
	for (unsigned q = 0; q < p->queues; q++) {
		struct vring_stats rs;
		struct pmd_vq_stats g = {0};
		uint64_t extra[2] = {0, 0}; /* rarp_sent, dst_down */

		printf("%s{\"q\":%u,", q ? "," : "", q);
		/* Guest RX (ring 2q) is where we deliver; guest TX (2q + 1) where we take. */
		vhu_queue_stats(p->vhu, 2 * q, &rs);
		vd_glue_sum(d, p, q, false, &g, extra);
		vd_print_ring("rx", &rs, &g, false, extra);
		printf(",");
		vhu_queue_stats(p->vhu, 2 * q + 1, &rs);
		g = (struct pmd_vq_stats){0};
		vd_glue_sum(d, p, q, true, &g, extra);
		vd_print_ring("tx", &rs, &g, true, extra);
		printf("}");
	}
	printf("]}");
}

/* Packets taken from NIC queue q and dropped: its link partner's queue was down. */
static uint64_t vd_nic_dst_down(struct vd *d, struct vd_port *p, unsigned q)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < d->n_items; i++)
		if (d->items[i].src == p && d->items[i].sq == q)
			n += vd_rd(&d->items[i].dst_down);
	return n;
}

static void vd_print_nic_queues(struct vd *d, struct vd_port *p)
{
	printf(",\"queues\":[");
	for (unsigned q = 0; q < p->queues; q++) {
		const struct pmd_rxq_stats *r = pmd_port_rxq_stats(p->nic, (uint16_t)q);
		const struct pmd_txq_stats *t = pmd_port_txq_stats(p->nic, (uint16_t)q);

		printf("%s{\"q\":%u,\"rx\":{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
		       ",\"polls_full\":%" PRIu64 ",\"drops\":{\"dst_down\":%" PRIu64
		       "}},\"tx\":{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"full\":%" PRIu64
		       ",\"drops\":{\"too_big\":%" PRIu64 "}}}",
		       q ? "," : "", q, vd_rd(&r->packets), vd_rd(&r->bytes), vd_rd(&r->polls_full),
		       vd_nic_dst_down(d, p, q), vd_rd(&t->packets), vd_rd(&t->bytes),
		       vd_rd(&t->full), vd_rd(&t->too_big));
	}
	printf("]");
}

static void vd_print_nic(struct vd *d, struct vd_port *p)
{
	struct pmd_port_stats s;

	pmd_port_stats_read(p->nic, &s);
	printf("\"%s\":{\"kind\":\"nic\",\"link_up\":%s,\"link_speed\":%" PRIu32
	       ",\"link_downs\":%" PRIu64 ",\"rx_packets\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
	       ",\"rx_missed\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64 ",\"rx_errors\":%" PRIu64
	       ",\"tx_packets\":%" PRIu64 ",\"tx_bytes\":%" PRIu64 ",\"tx_full\":%" PRIu64
	       ",\"tx_too_big\":%" PRIu64 ",\"tx_errors\":%" PRIu64,
	       p->name, s.link_up ? "true" : "false", s.link_speed,
	       __atomic_load_n(&p->link_downs, __ATOMIC_RELAXED), s.rx_packets, s.rx_bytes,
	       s.rx_missed, s.rx_nombuf, s.rx_errors, s.tx_packets, s.tx_bytes, s.tx_full,
	       s.tx_too_big, s.tx_errors);
	vd_print_nic_queues(d, p);
	printf("}");
}

void vd_links_watch(struct vd *d)
{
	for (unsigned i = 0; i < d->n_ports; i++) {
		struct vd_port *p = &d->ports[i];
		struct pmd_port_stats s;
		bool down;

		if (p->kind != VD_PORT_NIC)
			continue;
		pmd_port_stats_read(p->nic, &s);
		down = !s.link_up;
		if (p->link_known && down == atomic_load(&p->link_down))
			continue;
		if (down && p->link_known)
			__atomic_store_n(&p->link_downs, p->link_downs + 1, __ATOMIC_RELAXED);
		p->link_known = true;
		/* relaxed: polling cores only need to see the new state eventually. */
		atomic_store_explicit(&p->link_down, down, memory_order_relaxed);
		if (down)
			fprintf(stderr,
				"vhostd: nic '%s': link down; packets from its link partner are "
				"dropped (counted as dst_down) until it is up\n",
				p->name);
		else
			fprintf(stderr, "vhostd: nic '%s': link up, %" PRIu32 " Mbps\n", p->name,
				s.link_speed);
	}
}

void vd_stats_print(struct vd *d)
{
	struct timespec ts;
	uint64_t pending = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	for (unsigned i = 0; i < d->n_items; i++)
		pending += __atomic_load_n(&d->items[i].npend, __ATOMIC_RELAXED);
	printf("{\"time\":%lld.%03ld,\"pending\":%" PRIu64 ",\"ports\":{", (long long)ts.tv_sec,
	       ts.tv_nsec / 1000000, pending);
	for (unsigned i = 0, n = 0; i < d->n_ports; i++) {
		struct vd_port *p = &d->ports[i];

		printf("%s", n++ ? "," : "");
		if (p->kind == VD_PORT_VHOST)
			vd_print_vhost(d, p);
		else
			vd_print_nic(d, p);
	}
	printf("}}\n");
	fflush(stdout);
}

/* ---------------------------------------------------------------- DPDK telemetry */

static unsigned vd_tm_ports(void *ctx, const char **names, unsigned max)
{
	struct vd *d = ctx;

	for (unsigned i = 0; i < d->n_ports && i < max; i++)
		names[i] = d->ports[i].name;
	return d->n_ports;
}

static void vd_tm_nic(struct vd *d, struct vd_port *p, pmd_stat_emit_fn emit, void *e)
{
	char key[48];

	pmd_port_stats_emit(p->nic, emit, e);
	emit(e, "link_downs", __atomic_load_n(&p->link_downs, __ATOMIC_RELAXED));
	for (unsigned q = 0; q < p->queues; q++) {
		snprintf(key, sizeof(key), "q%u_rx_drop_dst_down", q);
		emit(e, key, vd_nic_dst_down(d, p, q));
	}
}

/* One direction of guest queue q: ring and glue counters summed into the totals. */
static void vd_tm_vq(struct vd *d, struct vd_port *p, unsigned q, bool src, struct vring_stats *t,
		     struct pmd_vq_stats *g, uint64_t *extra, pmd_stat_emit_fn emit, void *e)
{
	struct vring_stats s;
	char key[48];

	/* Guest RX (ring 2q) is where we deliver; guest TX (2q + 1) where we take. */
	vhu_queue_stats(p->vhu, 2 * q + (src ? 1 : 0), &s);
	vd_glue_sum(d, p, q, src, g, extra);
	snprintf(key, sizeof(key), "q%u_%s_packets", q, src ? "tx" : "rx");
	emit(e, key, s.packets);
	snprintf(key, sizeof(key), "q%u_%s_bytes", q, src ? "tx" : "rx");
	emit(e, key, s.bytes);
	t->packets += s.packets;
	t->bytes += s.bytes;
	for (int k = 0; k < VRING_DROP_MAX; k++)
		t->drop[k] += s.drop[k];
	for (int k = 0; k < VRING_ERR_MAX; k++)
		t->err[k] += s.err[k];
}

static void vd_tm_dir(const char *dir, const struct vring_stats *t, const struct pmd_vq_stats *g,
		      pmd_stat_emit_fn emit, void *e)
{
	char key[64];

	snprintf(key, sizeof(key), "%s_packets", dir);
	emit(e, key, t->packets);
	snprintf(key, sizeof(key), "%s_bytes", dir);
	emit(e, key, t->bytes);
	for (int k = 0; k < VRING_DROP_MAX; k++) {
		snprintf(key, sizeof(key), "%s_drop_%s", dir, vring_drop_name(k));
		emit(e, key, t->drop[k]);
	}
	snprintf(key, sizeof(key), "%s_drop_no_mbuf_jumbo", dir);
	emit(e, key, g->no_mbuf_drop);
	snprintf(key, sizeof(key), "%s_drop_offload", dir);
	emit(e, key, g->offload_drop);
	for (int k = 0; k < VRING_ERR_MAX; k++) {
		snprintf(key, sizeof(key), "%s_err_%s", dir, vring_err_name(k));
		emit(e, key, t->err[k]);
	}
}

static void vd_tm_vhost(struct vd *d, struct vd_port *p, pmd_stat_emit_fn emit, void *e)
{
	struct vring_stats rx = {0}, tx = {0};
	struct pmd_vq_stats grx = {0}, gtx = {0};
	uint64_t extra[2] = {0, 0}; /* rarp_sent, dst_down */
	struct vhu_port_stats ps;

	for (unsigned q = 0; q < p->queues; q++) {
		vd_tm_vq(d, p, q, false, &rx, &grx, extra, emit, e);
		vd_tm_vq(d, p, q, true, &tx, &gtx, extra, emit, e);
	}
	/* Named from the guest's side, like the per-queue JSON: rx = into the guest. */
	vd_tm_dir("rx", &rx, &grx, emit, e);
	vd_tm_dir("tx", &tx, &gtx, emit, e);
	emit(e, "tx_drop_dst_down", extra[1]);
	emit(e, "tx_no_mbuf_waits", gtx.no_mbuf);
	emit(e, "rx_ring_full", grx.burst_full);
	emit(e, "rarp_sent", extra[0]);
	vhu_port_stats(p->vhu, &ps);
	emit(e, "connected", vhu_port_connected(p->vhu));
	emit(e, "connects", ps.connects);
	emit(e, "dropped_connections", ps.dropped);
	for (int k = 0; k < VHU_ERR_MAX; k++) {
		char key[48];

		snprintf(key, sizeof(key), "msg_err_%s", vhu_err_name(k));
		emit(e, key, ps.err[k]);
	}
}

static int vd_tm_stats(void *ctx, const char *name, pmd_stat_emit_fn emit, void *e)
{
	struct vd *d = ctx;

	for (unsigned i = 0; i < d->n_ports; i++) {
		struct vd_port *p = &d->ports[i];

		if (strcmp(p->name, name))
			continue;
		if (p->kind == VD_PORT_NIC)
			vd_tm_nic(d, p, emit, e);
		else
			vd_tm_vhost(d, p, emit, e);
		return 0;
	}
	return -ENOENT;
}

int vd_telemetry_start(struct vd *d)
{
	struct pmd_telemetry_source src = {vd_tm_ports, vd_tm_stats, d};

	return pmd_telemetry_register(&src);
}
