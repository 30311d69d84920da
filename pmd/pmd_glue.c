/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ring engine <-> rte_mbuf glue. Data path: no syscalls, no locks, no logging, no
 * allocation but from the caller's mempool.
 *
 * Guest TX: every mbuf of a vhostd pool carries a struct vring_buf in its private area
 * (PMD_MBUF_PRIV_SIZE), pointing at the mbuf's data room, with opaque = the mbuf. So the
 * segment list the ring engine fills is the mbuf chain itself, and the extend callback
 * needs no storage of its own, however many segments a frame takes.
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include "pmd_priv.h"

_Static_assert(sizeof(struct vring_buf) <= PMD_MBUF_PRIV_SIZE,
	       "a vring_buf must fit in an mbuf's private area");
_Static_assert(PMD_MBUF_PRIV_SIZE % RTE_MBUF_PRIV_ALIGN == 0, "mbuf private area alignment");

#define PMD_ENQ_SEGS 256u /* segments one enqueue burst may describe */

static struct vring_buf *buf_init(struct rte_mbuf *m)
{
	struct vring_buf *b = rte_mbuf_to_priv(m);

	b->data = rte_pktmbuf_mtod(m, uint8_t *);
	b->len = 0;
	b->cap = rte_pktmbuf_tailroom(m);
	b->next = NULL;
	b->opaque = m;
	return b;
}

struct vring_buf *pmd_vring_extend(void *ctx, struct vring_pkt *pkt, struct vring_buf *last)
{
	struct pmd_vq_stats *st = pkt->opaque;
	struct rte_mbuf *lm = last->opaque;
	struct rte_mbuf *m;

	(void)ctx;
	/* A tail left by an earlier, dropped frame in this slot: give it back first. */
	if (lm->next) {
		rte_pktmbuf_free(lm->next);
		lm->next = NULL;
	}
	m = rte_pktmbuf_alloc(lm->pool);
	if (!m) {
		if (st)
			PMD_STAT_ADD(st->no_mbuf_drop, 1);
		return NULL;
	}
	lm->next = m;
	last->next = buf_init(m);
	return last->next;
}

/*
 * Makes the mbuf chain match the segment list the ring engine filled: data lengths from
 * the segments, and mbufs past the last used segment freed.
 */
static void chain_fixup(struct rte_mbuf *head, const struct vring_buf *b)
{
	struct rte_mbuf *m = head, *prev = NULL;
	uint32_t total = 0;
	uint16_t nseg = 0;

	while (m) {
		if (m != head && (!b || rte_mbuf_to_priv(m) != b || !b->len)) {
			prev->next = NULL;
			rte_pktmbuf_free(m);
			break;
		}
		m->data_len = (uint16_t)(b ? b->len : 0);
		total += m->data_len;
		nseg++;
		prev = m;
		m = m->next;
		b = b ? b->next : NULL;
	}
	head->nb_segs = nseg;
	head->pkt_len = total;
}

/* Turns filled slot i into a finished mbuf; false when its offload request is refused. */
static bool dq_finish(struct vring_pkt *vp, struct pmd_vq_stats *st, struct rte_mbuf **out)
{
	struct rte_mbuf *m = vp->seg->opaque;
	bool sw;

	chain_fixup(m, vp->seg);
	m->ol_flags = 0;
	m->packet_type = 0;
	if (pmd_offload_hdr_to_mbuf(&vp->hdr, m, &sw)) {
		PMD_STAT_ADD(st->offload_drop, 1);
		rte_pktmbuf_free(m);
		return false;
	}
	if (sw)
		PMD_STAT_ADD(st->csum_sw, 1);
	*out = m;
	return true;
}

int pmd_vring_dequeue(struct vring_queue *q, struct rte_mempool *mp, struct rte_mbuf **pkts,
		      unsigned n, struct pmd_vq_stats *st)
{
	struct vring_pkt vp[VRING_BURST_MAX];
	unsigned avail, out = 0;
	uint64_t bytes = 0;
	int ret;

	if (rte_pktmbuf_priv_size(mp) < PMD_MBUF_PRIV_SIZE)
		return -EINVAL;
	if (vring_queue_broken(q))
		return -EIO;
	n = RTE_MIN(n, VRING_BURST_MAX);
	avail = vring_avail_count_max(q, n);
	n = RTE_MIN(n, avail);
	if (!n)
		return 0;
	if (rte_pktmbuf_alloc_bulk(mp, pkts, n)) {
		PMD_STAT_ADD(st->no_mbuf, 1);
		return 0;
	}
	for (unsigned i = 0; i < n; i++) {
		vp[i].seg = buf_init(pkts[i]);
		vp[i].len = 0;
		vp[i].opaque = st;
	}
	ret = vring_dequeue_burst(q, vp, n);
	/* Slots the ring engine did not fill (fewer packets, or broken): whole chains back. */
	for (unsigned i = ret < 0 ? 0 : (unsigned)ret; i < n; i++)
		rte_pktmbuf_free(vp[i].seg->opaque);
	if (ret < 0)
		return ret;
	for (int i = 0; i < ret; i++) {
		if (dq_finish(&vp[i], st, &pkts[out]))
			bytes += pkts[out++]->pkt_len;
	}
	PMD_STAT_ADD(st->packets, out);
	PMD_STAT_ADD(st->bytes, bytes);
	return (int)out;
}

/* Describes mbuf chain m as segments bufs[0..]; false when fewer than nb_segs remain. */
static bool enq_segs(struct rte_mbuf *m, struct vring_buf *bufs, unsigned room)
{
	unsigned k = 0;

	if (m->nb_segs > room)
		return false;
	for (struct rte_mbuf *s = m; s; s = s->next, k++) {
		if (k == room)
			return false;
		bufs[k].data = rte_pktmbuf_mtod(s, uint8_t *);
		bufs[k].len = s->data_len;
		bufs[k].cap = s->data_len;
		bufs[k].next = s->next ? &bufs[k + 1] : NULL;
		bufs[k].opaque = s;
	}
	return true;
}

/*
 * Prepares vp[] for pkts[0..n): stops at the first packet whose segments do not fit in
 * what is left of bufs[], or (unless it is the first) whose offloads must be refused.
 * Returns how many were prepared; *drop_first says pkts[0] must be dropped instead.
 */
static unsigned enq_prepare(struct rte_mbuf **pkts, unsigned n, uint64_t f, struct vring_pkt *vp,
			    struct vring_buf *bufs, struct pmd_vq_stats *st, bool *drop_first)
{
	unsigned k = 0, used = 0;
	bool sw;

	*drop_first = false;
	for (; k < n; k++) {
		struct rte_mbuf *m = pkts[k];

		if (!enq_segs(m, bufs + used, PMD_ENQ_SEGS - used)) {
			*drop_first = k == 0; /* more segments than a whole burst holds */
			break;
		}
		if (pmd_offload_mbuf_to_hdr(m, f, &vp[k].hdr, &sw)) {
			*drop_first = k == 0;
			break;
		}
		if (sw)
			PMD_STAT_ADD(st->csum_sw, 1);
		vp[k].seg = bufs + used;
		vp[k].len = m->pkt_len;
		vp[k].opaque = m;
		used += m->nb_segs;
	}
	return k;
}

int pmd_vring_enqueue(struct vring_queue *q, uint64_t guest_features, struct rte_mbuf **pkts,
		      unsigned n, struct pmd_vq_stats *st)
{
	struct vring_pkt vp[VRING_BURST_MAX];
	struct vring_buf bufs[PMD_ENQ_SEGS];
	unsigned done = 0, moved = 0;
	uint64_t bytes = 0;

	n = RTE_MIN(n, VRING_BURST_MAX);
	while (done < n) {
		bool drop_first;
		unsigned k =
		    enq_prepare(pkts + done, n - done, guest_features, vp, bufs, st, &drop_first);
		int r;

		if (drop_first) {
			PMD_STAT_ADD(st->offload_drop, 1);
			rte_pktmbuf_free(pkts[done++]);
			continue;
		}
		r = vring_enqueue_burst(q, vp, k);
		if (r < 0) {
			if (!done)
				return r;
			break;
		}
		for (int i = 0; i < r; i++) {
			bytes += pkts[done + i]->pkt_len;
			rte_pktmbuf_free(pkts[done + i]);
		}
		done += (unsigned)r;
		moved += (unsigned)r;
		if ((unsigned)r < k) {
			PMD_STAT_ADD(st->burst_full, 1);
			break;
		}
	}
	PMD_STAT_ADD(st->packets, moved);
	PMD_STAT_ADD(st->bytes, bytes);
	return (int)done;
}
