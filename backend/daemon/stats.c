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

static void vd_print_nic(struct vd_port *p)
{
	struct pmd_port_stats s;

	if (pmd_port_stats_read(p->nic, &s)) {
		printf("\"%s\":{\"kind\":\"nic\"}", p->name);
		return;
	}
	printf("\"%s\":{\"kind\":\"nic\",\"link_up\":%s,\"rx_packets\":%" PRIu64
	       ",\"rx_bytes\":%" PRIu64 ",\"rx_missed\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64
	       ",\"rx_errors\":%" PRIu64 ",\"tx_packets\":%" PRIu64 ",\"tx_bytes\":%" PRIu64
	       ",\"tx_full\":%" PRIu64 ",\"tx_too_big\":%" PRIu64 ",\"tx_errors\":%" PRIu64 "}",
	       p->name, s.link_up ? "true" : "false", s.rx_packets, s.rx_bytes, s.rx_missed,
	       s.rx_nombuf, s.rx_errors, s.tx_packets, s.tx_bytes, s.tx_full, s.tx_too_big,
	       s.tx_errors);
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
			vd_print_nic(p);
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

static int vd_tm_stats(void *ctx, const char *name, pmd_stat_emit_fn emit, void *e)
{
	struct vd *d = ctx;

	for (unsigned i = 0; i < d->n_ports; i++) {
		struct vd_port *p = &d->ports[i];
		struct vring_stats rx = {0}, tx = {0}, s;
		struct vhu_port_stats ps;

		if (strcmp(p->name, name))
			continue;
		if (p->kind == VD_PORT_NIC)
			return pmd_port_stats_emit(p->nic, emit, e);
		for (unsigned q = 0; q < p->queues; q++) {
			vhu_queue_stats(p->vhu, 2 * q, &s);
			rx.packets += s.packets;
			rx.bytes += s.bytes;
			vhu_queue_stats(p->vhu, 2 * q + 1, &s);
			tx.packets += s.packets;
			tx.bytes += s.bytes;
		}
		vhu_port_stats(p->vhu, &ps);
		/* Named from the guest's side, like the per-queue JSON: rx = into the guest. */
		emit(e, "rx_packets", rx.packets);
		emit(e, "rx_bytes", rx.bytes);
		emit(e, "tx_packets", tx.packets);
		emit(e, "tx_bytes", tx.bytes);
		emit(e, "connected", vhu_port_connected(p->vhu));
		emit(e, "connects", ps.connects);
		emit(e, "dropped_connections", ps.dropped);
		for (int k = 0; k < VHU_ERR_MAX; k++) {
			char key[48];

			snprintf(key, sizeof(key), "msg_err_%s", vhu_err_name(k));
			emit(e, key, ps.err[k]);
		}
		return 0;
	}
	return -ENOENT;
}

int vd_telemetry_start(struct vd *d)
{
	struct pmd_telemetry_source src = {vd_tm_ports, vd_tm_stats, d};

	return pmd_telemetry_register(&src);
}
