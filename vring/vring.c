// SPDX-License-Identifier: BSD-3-Clause
/*
 * vring: queue life cycle, the descriptor-chain walker shared by split and packed rings, and
 * the burst loops (guest TX -> caller's segments, caller's packets -> guest RX buffers).
 *
 * Safety rules followed everywhere here:
 *  - every descriptor is copied out of guest memory once (vring_desc_copy) and only the copy
 *    is used afterwards;
 *  - every guest buffer is reached through to_host() piece by piece, never past the contiguous
 *    length it reported;
 *  - every chain walk is capped (queue size for the ring, table size for an indirect table);
 *  - the first driver error marks the queue broken and counts stats.err[]; nothing moves after.
 */
#include <stdlib.h>

#include "vring_private.h"

static const char *const vring_err_names[VRING_ERR_MAX] = {
    [VRING_ERR_AVAIL_IDX] = "avail_idx", [VRING_ERR_DESC_INDEX] = "desc_index",
    [VRING_ERR_DESC_LOOP] = "desc_loop", [VRING_ERR_DESC_ADDR] = "desc_addr",
    [VRING_ERR_DESC_LEN] = "desc_len",	 [VRING_ERR_DESC_FLAGS] = "desc_flags",
    [VRING_ERR_INDIRECT] = "indirect",	 [VRING_ERR_HDR] = "net_hdr",
    [VRING_ERR_PACKED_ID] = "packed_id",
};

static const char *const vring_drop_names[VRING_DROP_MAX] = {
    [VRING_DROP_TOO_BIG] = "too_big",
    [VRING_DROP_RX_SMALL] = "rx_small",
};

const char *vring_err_name(enum vring_err e)
{
	if ((unsigned)e >= VRING_ERR_MAX)
		return "unknown";
	return vring_err_names[e];
}

const char *vring_drop_name(enum vring_drop d)
{
	if ((unsigned)d >= VRING_DROP_MAX)
		return "unknown";
	return vring_drop_names[d];
}

unsigned vring_net_hdr_len(uint64_t features)
{
	/* 5.1.6.1: the legacy header lacks num_buffers unless MRG_RXBUF was negotiated. */
	if (features & ((1ull << VRING_F_VERSION_1) | (1ull << VRING_F_NET_MRG_RXBUF)))
		return 12;
	return 10;
}

int vring_fail(struct vring_queue *q, enum vring_err e)
{
	q->stats.err[e]++;
	if (!q->broken)
		q->last_err = (int)e;
	q->broken = true;
	return -EIO;
}

static bool vring_is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static bool vring_aligned(const void *p, uintptr_t a)
{
	return !((uintptr_t)p & (a - 1));
}

static int vring_check_config(const struct vring_queue_config *cfg)
{
	bool packed = cfg->features & (1ull << VRING_F_RING_PACKED);

	if (!cfg->size || cfg->size > VRING_MAX_SIZE || !cfg->mem.to_host)
		return -EINVAL;
	if (!cfg->desc || !cfg->driver || !cfg->device)
		return -EINVAL;
	/* 2.7 and 2.8: descriptors 16-aligned; split avail 2, used 4; packed events 4. */
	if (!vring_aligned(cfg->desc, 16))
		return -EINVAL;
	if (packed) {
		if (!vring_aligned(cfg->driver, 4) || !vring_aligned(cfg->device, 4))
			return -EINVAL;
		if ((cfg->last_avail & 0x7fff) >= cfg->size ||
		    (cfg->last_used & 0x7fff) >= cfg->size)
			return -EINVAL;
		return 0;
	}
	if (!vring_is_pow2(cfg->size))
		return -EINVAL;
	if (!vring_aligned(cfg->driver, 2) || !vring_aligned(cfg->device, 4))
		return -EINVAL;
	return 0;
}

int vring_queue_create(const struct vring_queue_config *cfg, struct vring_queue **out)
{
	struct vring_queue *q;
	uint64_t f;
	int rc;

	if (!cfg || !out)
		return -EINVAL;
	rc = vring_check_config(cfg);
	if (rc)
		return rc;
	q = aligned_alloc(VRING_CACHE_LINE, sizeof(*q));
	if (!q)
		return -ENOMEM;
	memset(q, 0, sizeof(*q));
	f = cfg->features;
	q->desc = cfg->desc;
	q->driver = cfg->driver;
	q->device = cfg->device;
	q->to_host = cfg->mem.to_host;
	q->mem_ctx = cfg->mem.ctx;
	q->size = cfg->size;
	q->packed = f & (1ull << VRING_F_RING_PACKED);
	q->event_idx = f & (1ull << VRING_F_EVENT_IDX);
	q->in_order = f & (1ull << VRING_F_IN_ORDER);
	q->mrg = f & (1ull << VRING_F_NET_MRG_RXBUF);
	q->indirect = f & (1ull << VRING_F_INDIRECT_DESC);
	q->hdr_len = (uint8_t)vring_net_hdr_len(f);
	if (q->packed) {
		q->last_avail = cfg->last_avail & 0x7fff;
		q->avail_wrap = cfg->last_avail >> 15;
		q->last_used = cfg->last_used & 0x7fff;
		q->used_wrap = cfg->last_used >> 15;
	} else {
		q->mask = (uint16_t)(cfg->size - 1);
		q->last_avail = cfg->last_avail;
		q->last_used = cfg->last_used;
	}
	q->signalled_used = q->last_used;
	q->signalled_wrap = q->used_wrap;
	q->kicks = true;
	q->last_err = -1;
	q->extend = cfg->extend;
	q->extend_ctx = cfg->extend_ctx;
	*out = q;
	return 0;
}

void vring_queue_destroy(struct vring_queue *q)
{
	free(q);
}

bool vring_queue_broken(const struct vring_queue *q)
{
	return q->broken;
}

int vring_queue_last_error(const struct vring_queue *q)
{
	return q->last_err;
}

uint16_t vring_last_avail(const struct vring_queue *q)
{
	if (q->packed)
		return (uint16_t)(q->last_avail | (q->avail_wrap << 15));
	return q->last_avail;
}

uint16_t vring_last_used(const struct vring_queue *q)
{
	if (q->packed)
		return (uint16_t)(q->last_used | (q->used_wrap << 15));
	return q->last_used;
}

const struct vring_stats *vring_queue_stats(const struct vring_queue *q)
{
	return &q->stats;
}

/* ---- descriptor fetch and chain walk ---- */

/* Reads len bytes at guest address gpa into dst, region by region; false on a hole. */
static bool vring_read_guest(struct vring_queue *q, uint64_t gpa, void *dst, uint32_t len)
{
	uint8_t *out = dst;
	uint64_t contig;
	const void *p;

	while (len) {
		p = q->to_host(q->mem_ctx, gpa, len, &contig);
		if (!p || !contig)
			return false;
		if (contig > len)
			contig = len;
		memcpy(out, p, contig);
		out += contig;
		gpa += contig;
		len -= (uint32_t)contig;
	}
	return true;
}

static int vring_fetch_ind(struct vring_queue *q, struct vring_walk *w, struct vring_seg *d,
			   uint16_t *link)
{
	uint8_t raw[16];

	if (w->ind) {
		vring_desc_copy(w->ind + (size_t)w->idx * 16, d, link, q->packed);
		return 0;
	}
	/* A table that straddles regions (or is unaligned on the host) is read piecewise. */
	if (!vring_read_guest(q, w->ind_gpa + (uint64_t)w->idx * 16, raw, sizeof(raw)))
		return vring_fail(q, VRING_ERR_INDIRECT);
	vring_desc_copy(raw, d, link, q->packed);
	return 0;
}

static void vring_fetch_ring(struct vring_queue *q, struct vring_walk *w, struct vring_seg *d,
			     uint16_t *link)
{
	const uint8_t *src = (const uint8_t *)q->desc + (size_t)w->idx * 16;

	if (w->have_pre) {
		/* The peek fetched the head already (packed: with the acquire-loaded flags):
		 * use that one copy, never a second read. */
		*d = w->pre;
		*link = w->pre_link;
		w->have_pre = false;
	} else {
		vring_desc_copy(src, d, link, q->packed);
	}
	w->ndesc++;
	if (q->packed)
		w->id = *link;
}

/* The chain continues in an indirect table (2.7.5.3, 2.8.19). */
static int vring_enter_ind(struct vring_queue *q, struct vring_walk *w, const struct vring_seg *d)
{
	uint64_t contig;
	const uint8_t *p;

	if (w->in_ind || !q->indirect || (d->flags & VRING_DESC_F_NEXT))
		return vring_fail(q, VRING_ERR_INDIRECT);
	if (!d->len || (d->len & 15) || d->len / 16 > q->size)
		return vring_fail(q, VRING_ERR_INDIRECT);
	if (d->addr + d->len < d->addr)
		return vring_fail(q, VRING_ERR_INDIRECT);
	p = q->to_host(q->mem_ctx, d->addr, d->len, &contig);
	if (!p)
		return vring_fail(q, VRING_ERR_INDIRECT);
	w->ind = (contig >= d->len && vring_aligned(p, 16)) ? p : NULL;
	w->ind_gpa = d->addr;
	w->tbl_n = d->len / 16;
	w->left = w->tbl_n;
	w->idx = 0;
	w->in_ind = true;
	w->more = true;
	return 0;
}

/* Moves the walk to the descriptor after d. */
static int vring_walk_advance(struct vring_queue *q, struct vring_walk *w,
			      const struct vring_seg *d, uint16_t link)
{
	bool next = d->flags & VRING_DESC_F_NEXT;

	if (q->packed) {
		/* Packed chains are consecutive; in an indirect table every entry counts. */
		if (w->in_ind) {
			w->more = ++w->idx < w->tbl_n;
			return 0;
		}
		w->more = next;
		if (next && ++w->idx == q->size) {
			w->idx = 0;
			w->wrap = !w->wrap;
		}
		return 0;
	}
	w->more = next;
	if (!next)
		return 0;
	if (link >= (w->in_ind ? w->tbl_n : q->size))
		return vring_fail(q, VRING_ERR_DESC_INDEX);
	w->idx = link;
	return 0;
}

/*
 * Next buffer of the chain into *s: 1, or 0 at the end, or -EIO (the queue is now broken).
 * Indirect descriptors are followed here, so callers see only data buffers.
 */
int vring_walk_next(struct vring_queue *q, struct vring_walk *w, struct vring_seg *s)
{
	uint16_t link = 0;
	int rc;

	for (;;) {
		if (!w->more)
			return 0;
		if (!w->left)
			return vring_fail(q, VRING_ERR_DESC_LOOP);
		w->left--;
		if (w->in_ind) {
			rc = vring_fetch_ind(q, w, s, &link);
			if (rc)
				return rc;
			if (s->flags & VRING_DESC_F_INDIRECT)
				return vring_fail(q, VRING_ERR_INDIRECT);
		} else {
			vring_fetch_ring(q, w, s, &link);
			if (q->packed && link >= q->size)
				return vring_fail(q, VRING_ERR_PACKED_ID);
		}
		if (s->flags & VRING_DESC_F_INDIRECT) {
			rc = vring_enter_ind(q, w, s);
			if (rc)
				return rc;
			continue;
		}
		if (!s->len)
			return vring_fail(q, VRING_ERR_DESC_LEN);
		if (s->addr + s->len - 1 < s->addr)
			return vring_fail(q, VRING_ERR_DESC_ADDR);
		rc = vring_walk_advance(q, w, s, link);
		return rc ? rc : 1;
	}
}

/* ---- ring-type dispatch ---- */

/* From a fast path: this chain is not the simple kind, take the general walk. */
#define VRING_SLOW 2

static inline int vring_peek(struct vring_queue *q, struct vring_walk *w)
{
	return q->packed ? vring_packed_peek(q, w) : vring_split_peek(q, w);
}

/* The device has taken the chain w walked: move last_avail past it. */
static void vring_consume(struct vring_queue *q, const struct vring_walk *w)
{
	uint32_t pos;

	if (!q->packed) {
		q->last_avail++;
		return;
	}
	pos = (uint32_t)q->last_avail + w->ndesc;
	if (pos >= q->size) {
		pos -= q->size;
		q->avail_wrap = !q->avail_wrap;
	}
	q->last_avail = (uint16_t)pos;
}

static void vring_flush(struct vring_queue *q, bool batch)
{
	if (!q->nshadow)
		return;
	if (q->packed)
		vring_packed_flush(q, batch);
	else
		vring_split_flush(q, batch);
	q->nshadow = 0;
	q->published = true;
}

static void vring_burst_end(struct vring_queue *q, bool batch)
{
	vring_flush(q, batch);
	if (!q->kicks || !q->event_idx || q->broken)
		return;
	if (q->packed)
		vring_packed_update_event(q);
	else
		vring_split_update_event(q);
}

static int vring_burst_begin(struct vring_queue *q)
{
	uint16_t idx;

	q->nshadow = 0;
	if (q->packed)
		return 0;
	/* Acquire: the ring entries and descriptors read after this are at least as new as
	 * the index (the driver wrote them before its release of avail->idx). */
	idx = le16toh(
	    __atomic_load_n(&((struct vring_split_avail *)q->driver)->idx, __ATOMIC_ACQUIRE));
	if ((uint16_t)(idx - q->last_avail) > q->size)
		return vring_fail(q, VRING_ERR_AVAIL_IDX);
	q->avail_cache = idx;
	return 0;
}

/* ---- guest TX: dequeue ---- */

struct vring_tx {
	struct vring_pkt *pkt;
	struct vring_buf *cur;
	uint32_t hfill;
	uint32_t total;
	bool drop;
	uint8_t hdr[12];
};

/* The next caller segment to fill: one already chained, or one from the extend callback. */
static struct vring_buf *vring_tx_grow(struct vring_queue *q, struct vring_tx *t)
{
	struct vring_buf *b = t->cur;
	struct vring_buf *nb = b->next;

	if (!nb) {
		nb = q->extend ? q->extend(q->extend_ctx, t->pkt, b) : NULL;
		if (!nb)
			return NULL;
		b->next = nb;
		nb->next = NULL;
	}
	nb->len = 0;
	t->cur = nb;
	return nb;
}

/* Consumes n bytes of a guest buffer: header bytes first, then packet data. */
static void vring_tx_piece(struct vring_queue *q, struct vring_tx *t, const uint8_t *p, uint32_t n)
{
	struct vring_buf *b = t->cur;
	uint32_t take;

	if (t->hfill < q->hdr_len) {
		take = q->hdr_len - t->hfill;
		if (take > n)
			take = n;
		memcpy(t->hdr + t->hfill, p, take);
		t->hfill += take;
		p += take;
		n -= take;
	}
	while (n && !t->drop) {
		if (b->len == b->cap) {
			b = vring_tx_grow(q, t);
			if (!b) {
				t->drop = true;
				return;
			}
			continue;
		}
		take = b->cap - b->len;
		if (take > n)
			take = n;
		memcpy(b->data + b->len, p, take);
		b->len += take;
		p += take;
		n -= take;
	}
}

static int vring_tx_seg(struct vring_queue *q, struct vring_tx *t, const struct vring_seg *s)
{
	uint64_t addr = s->addr, contig;
	uint32_t rem = s->len;
	const uint8_t *p;

	if (s->flags & VRING_DESC_F_WRITE)
		return vring_fail(q, VRING_ERR_DESC_FLAGS);
	if (rem > VRING_PKT_MAX - t->total)
		return vring_fail(q, VRING_ERR_DESC_LEN);
	t->total += rem;
	while (rem) {
		p = q->to_host(q->mem_ctx, addr, rem, &contig);
		if (!p || !contig)
			return vring_fail(q, VRING_ERR_DESC_ADDR);
		if (contig > rem)
			contig = rem;
		vring_tx_piece(q, t, p, (uint32_t)contig);
		addr += contig;
		rem -= (uint32_t)contig;
	}
	return 0;
}

static uint16_t vring_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static void vring_hdr_decode(struct vring_net_hdr *h, const uint8_t *b)
{
	h->flags = b[0];
	h->gso_type = b[1];
	h->hdr_len = vring_get16(b + 2);
	h->gso_size = vring_get16(b + 4);
	h->csum_start = vring_get16(b + 6);
	h->csum_offset = vring_get16(b + 8);
	h->num_buffers = 0; /* meaningless on TX */
}

/*
 * The header's wire layout (virtio_net_hdr_v1, little-endian) is the layout of struct
 * vring_net_hdr on a little-endian host: one copy of the first 10 bytes does the decode.
 */
_Static_assert(offsetof(struct vring_net_hdr, csum_offset) == 8, "vring_net_hdr layout");
_Static_assert(offsetof(struct vring_net_hdr, num_buffers) == 10, "vring_net_hdr layout");

static void vring_hdr_load(struct vring_net_hdr *h, const uint8_t *b)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(h, b, 10);
	h->num_buffers = 0; /* meaningless on TX */
#else
	vring_hdr_decode(h, b);
#endif
}

static void vring_segs_reset(struct vring_buf *b)
{
	for (; b; b = b->next)
		b->len = 0;
}

/* One guest TX chain into pkt: 1 filled, 0 dropped (counted), -EIO. */
static int vring_tx_chain(struct vring_queue *q, struct vring_walk *w, struct vring_pkt *pkt)
{
	struct vring_tx t;
	struct vring_seg s;
	int rc;

	t.pkt = pkt;
	t.cur = pkt->seg;
	t.hfill = 0;
	t.total = 0;
	t.drop = false;
	vring_segs_reset(pkt->seg);
	vring_walk_start(q, w);
	while ((rc = vring_walk_next(q, w, &s)) > 0) {
		rc = vring_tx_seg(q, &t, &s);
		if (rc)
			return rc;
	}
	if (rc < 0)
		return rc;
	if (t.hfill < q->hdr_len)
		return vring_fail(q, VRING_ERR_HDR);
	vring_hdr_decode(&pkt->hdr, t.hdr);
	pkt->len = t.total - q->hdr_len;
	if (t.drop) {
		q->stats.drop[VRING_DROP_TOO_BIG]++;
		vring_segs_reset(pkt->seg);
		return 0;
	}
	q->stats.packets++;
	q->stats.bytes += pkt->len;
	return 1;
}

/*
 * The common guest TX chain: one read-only descriptor with header and data, in one mapping,
 * fitting the caller's first segment. Anything else goes to the general walk, which starts
 * from the same fetched head (w->pre): nothing is fetched twice, and a bad chain gets exactly
 * the errors the walk reports.
 */
static bool vring_tx_simple(const struct vring_queue *q, const struct vring_walk *w)
{
	const struct vring_seg *s = &w->pre;

	if (s->flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE))
		return false;
	/* hdr_len <= len <= VRING_PKT_MAX, in one unsigned compare */
	if ((uint32_t)(s->len - q->hdr_len) > VRING_PKT_MAX - q->hdr_len)
		return false;
	if (s->addr + s->len - 1 < s->addr)
		return false;
	return !q->packed || w->pre_link < q->size;
}

/* A simple chain (vring_tx_simple) into pkt: 1, -EIO, or VRING_SLOW with nothing changed. */
static int vring_tx_fast(struct vring_queue *q, struct vring_walk *w, struct vring_pkt *pkt)
{
	const struct vring_seg *s = &w->pre;
	struct vring_buf *b = pkt->seg;
	uint32_t dlen = s->len - q->hdr_len;
	uint64_t contig;
	const uint8_t *p;

	if (vring_unlikely(dlen > b->cap))
		return VRING_SLOW;
	p = q->to_host(q->mem_ctx, s->addr, s->len, &contig);
	if (vring_unlikely(!p))
		return vring_fail(q, VRING_ERR_DESC_ADDR);
	if (vring_unlikely(contig < s->len)) {
		if (!contig)
			return vring_fail(q, VRING_ERR_DESC_ADDR);
		return VRING_SLOW; /* straddles two regions: copied piecewise */
	}
	vring_hdr_load(&pkt->hdr, p);
	memcpy(b->data, p + q->hdr_len, dlen);
	b->len = dlen;
	for (b = b->next; b; b = b->next)
		b->len = 0;
	pkt->len = dlen;
	w->ndesc = 1;
	w->id = q->packed ? w->pre_link : (uint16_t)w->idx;
	q->stats.packets++;
	q->stats.bytes += dlen;
	return 1;
}

int vring_dequeue_burst(struct vring_queue *q, struct vring_pkt *pkts, unsigned n)
{
	struct vring_walk w;
	unsigned done = 0;
	int rc;

	if (q->broken)
		return -EIO;
	if (n > VRING_BURST_MAX)
		n = VRING_BURST_MAX;
	if (vring_burst_begin(q))
		return -EIO;
	/* Dropped chains also fill the shadow: stop at a burst's worth of chains. */
	while (done < n && q->nshadow < VRING_BURST_MAX) {
		rc = vring_peek(q, &w);
		if (rc <= 0)
			break;
		rc = VRING_SLOW;
		if (vring_likely(vring_tx_simple(q, &w)))
			rc = vring_tx_fast(q, &w, &pkts[done]);
		if (rc == VRING_SLOW)
			rc = vring_tx_chain(q, &w, &pkts[done]);
		if (rc < 0)
			break;
		q->shadow[q->nshadow++] = (struct vring_shadow){w.id, w.ndesc, 0};
		vring_consume(q, &w);
		done += (unsigned)rc;
	}
	/* In-order lets one used entry stand for the whole burst (2.7.9, 2.8.21). */
	vring_burst_end(q, q->in_order);
	if (!done && q->broken)
		return -EIO;
	return (int)done;
}

/* ---- guest RX: enqueue ---- */

struct vring_rx {
	const struct vring_buf *b;
	uint32_t boff;
	uint32_t hoff;
	uint32_t left;	/* header and data bytes still to write */
	uint8_t *nb[2]; /* where num_buffers landed in guest memory */
	uint8_t hdr[12];
};

static void vring_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* The header in wire order (little-endian), num_buffers 1: for the one-buffer fast path. */
static void vring_hdr_store(struct vring_net_hdr *dst, const struct vring_net_hdr *h)
{
	dst->flags = h->flags;
	dst->gso_type = h->gso_type;
	dst->hdr_len = htole16(h->hdr_len);
	dst->gso_size = htole16(h->gso_size);
	dst->csum_start = htole16(h->csum_start);
	dst->csum_offset = htole16(h->csum_offset);
	dst->num_buffers = htole16(1);
}

static void vring_rx_init(struct vring_queue *q, struct vring_rx *r, const struct vring_pkt *pkt)
{
	const struct vring_net_hdr *h = &pkt->hdr;

	r->b = pkt->seg;
	r->boff = 0;
	r->hoff = 0;
	r->left = q->hdr_len + pkt->len;
	r->nb[0] = r->nb[1] = NULL;
	r->hdr[0] = h->flags;
	r->hdr[1] = h->gso_type;
	vring_put16(r->hdr + 2, h->hdr_len);
	vring_put16(r->hdr + 4, h->gso_size);
	vring_put16(r->hdr + 6, h->csum_start);
	vring_put16(r->hdr + 8, h->csum_offset);
	vring_put16(r->hdr + 10, 1); /* num_buffers: fixed up for mergeable packets */
}

static uint32_t vring_rx_hdr(struct vring_queue *q, struct vring_rx *r, uint8_t *p, uint32_t n)
{
	uint32_t take = q->hdr_len - r->hoff;
	uint32_t k;

	if (take > n)
		take = n;
	memcpy(p, r->hdr + r->hoff, take);
	for (k = 10; k < 12 && k < q->hdr_len; k++)
		if (k >= r->hoff && k < r->hoff + take)
			r->nb[k - 10] = p + (k - r->hoff);
	r->hoff += take;
	return take;
}

/* Writes up to n bytes at p (one mapped piece of a guest buffer); returns bytes written. */
static uint32_t vring_rx_piece(struct vring_queue *q, struct vring_rx *r, uint8_t *p, uint32_t n)
{
	uint32_t done = 0, take;

	if (n > r->left)
		n = r->left;
	if (r->hoff < q->hdr_len)
		done = vring_rx_hdr(q, r, p, n);
	while (done < n && r->b) {
		take = r->b->len - r->boff;
		if (!take) {
			r->b = r->b->next;
			r->boff = 0;
			continue;
		}
		if (take > n - done)
			take = n - done;
		memcpy(p + done, r->b->data + r->boff, take);
		r->boff += take;
		done += take;
	}
	r->left -= done;
	/* The caller's segments ended before pkt->len: nothing more to write. */
	if (!r->b && r->hoff == q->hdr_len)
		r->left = 0;
	return done;
}

static int vring_rx_seg(struct vring_queue *q, struct vring_rx *r, const struct vring_seg *s,
			uint32_t *used)
{
	uint64_t addr = s->addr, contig;
	uint32_t rem = s->len, n;
	uint8_t *p;

	if (!(s->flags & VRING_DESC_F_WRITE))
		return vring_fail(q, VRING_ERR_DESC_FLAGS);
	while (rem && r->left) {
		p = q->to_host(q->mem_ctx, addr, rem, &contig);
		if (!p || !contig)
			return vring_fail(q, VRING_ERR_DESC_ADDR);
		if (contig > rem)
			contig = rem;
		n = vring_rx_piece(q, r, p, (uint32_t)contig);
		*used += n;
		addr += contig;
		rem -= (uint32_t)contig;
	}
	return 0;
}

/* Fills one guest buffer (chain) with what is left of the packet; the bytes written in *used. */
static int vring_rx_buffer(struct vring_queue *q, struct vring_rx *r, struct vring_walk *w,
			   uint32_t *used)
{
	struct vring_seg s;
	int rc = 0;

	*used = 0;
	while (r->left && (rc = vring_walk_next(q, w, &s)) > 0) {
		rc = vring_rx_seg(q, r, &s, used);
		if (rc)
			return rc;
	}
	if (rc < 0)
		return rc;
	/* Packed rings need the whole chain (its length and buffer id); the rest must still be
	 * device-writable. */
	while (q->packed && (rc = vring_walk_next(q, w, &s)) > 0)
		if (!(s.flags & VRING_DESC_F_WRITE))
			return vring_fail(q, VRING_ERR_DESC_FLAGS);
	return rc < 0 ? rc : 0;
}

struct vring_rx_save {
	uint16_t last_avail;
	uint16_t nshadow;
	bool avail_wrap;
};

static void vring_rx_rollback(struct vring_queue *q, const struct vring_rx_save *sv)
{
	q->last_avail = sv->last_avail;
	q->avail_wrap = sv->avail_wrap;
	q->nshadow = sv->nshadow;
}

/*
 * The common guest RX case: the packet in one caller segment, the guest buffer one writable
 * descriptor in one mapping with room for header and packet. As on TX, anything else takes
 * the general path from the same fetched head.
 */
static bool vring_rx_simple(const struct vring_queue *q, const struct vring_walk *w,
			    const struct vring_pkt *pkt)
{
	const struct vring_seg *s = &w->pre;

	if ((s->flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE)) !=
	    VRING_DESC_F_WRITE)
		return false;
	if ((uint64_t)q->hdr_len + pkt->len > s->len)
		return false;
	if (!pkt->seg || pkt->seg->len < pkt->len)
		return false;
	if (s->addr + s->len - 1 < s->addr)
		return false;
	return !q->packed || w->pre_link < q->size;
}

/* A simple packet (vring_rx_simple) into the peeked buffer: 1, -EIO, or VRING_SLOW. */
static int vring_rx_fast(struct vring_queue *q, struct vring_walk *w, const struct vring_pkt *pkt)
{
	uint32_t need = q->hdr_len + pkt->len;
	struct vring_net_hdr h;
	uint64_t contig;
	uint8_t *p;

	p = q->to_host(q->mem_ctx, w->pre.addr, need, &contig);
	if (vring_unlikely(!p))
		return vring_fail(q, VRING_ERR_DESC_ADDR);
	if (vring_unlikely(contig < need)) {
		if (!contig)
			return vring_fail(q, VRING_ERR_DESC_ADDR);
		return VRING_SLOW; /* straddles two regions: written piecewise */
	}
	vring_hdr_store(&h, &pkt->hdr);
	/* Constant sizes: a variable one becomes a byte loop (rep movsb) for 12 bytes. */
	if (vring_likely(q->hdr_len == 12))
		memcpy(p, &h, 12);
	else
		memcpy(p, &h, 10);
	memcpy(p + q->hdr_len, pkt->seg->data, pkt->len);
	w->ndesc = 1;
	w->id = q->packed ? w->pre_link : (uint16_t)w->idx;
	q->shadow[q->nshadow++] = (struct vring_shadow){w->id, 1, need};
	vring_consume(q, w);
	q->stats.packets++;
	q->stats.bytes += pkt->len;
	return 1;
}

/* One packet into guest buffers: 1 done (or dropped, counted), 0 no room, -EIO. */
static int vring_rx_pkt(struct vring_queue *q, const struct vring_pkt *pkt)
{
	struct vring_rx_save sv;
	struct vring_walk w;
	struct vring_rx r;
	uint32_t used;
	uint16_t nbufs = 0;
	bool peeked = false;
	int rc;

	if (vring_likely(q->nshadow < VRING_SHADOW_MAX)) {
		rc = vring_peek(q, &w);
		if (rc <= 0)
			return rc; /* nothing taken yet: nothing to roll back */
		if (vring_likely(vring_rx_simple(q, &w, pkt))) {
			rc = vring_rx_fast(q, &w, pkt);
			if (rc != VRING_SLOW)
				return rc;
		}
		peeked = true;
	}
	/* A peek changes nothing in q: this is still the state before the packet. */
	sv = (struct vring_rx_save){q->last_avail, q->nshadow, q->avail_wrap};
	vring_rx_init(q, &r, pkt);
	while (r.left) {
		if (!peeked && q->nshadow == VRING_SHADOW_MAX)
			goto out_small;
		rc = peeked ? 1 : vring_peek(q, &w);
		peeked = false;
		if (rc < 0)
			return rc;
		if (!rc) {
			vring_rx_rollback(q, &sv);
			return 0;
		}
		vring_walk_start(q, &w);
		rc = vring_rx_buffer(q, &r, &w, &used);
		if (rc)
			return rc;
		/* 5.1.6.3: the header goes whole into the first buffer. */
		if (r.hoff < q->hdr_len)
			return vring_fail(q, VRING_ERR_HDR);
		q->shadow[q->nshadow++] = (struct vring_shadow){w.id, w.ndesc, used};
		vring_consume(q, &w);
		nbufs++;
		if (!q->mrg)
			break;
	}
	if (r.left)
		goto out_small;
	if (nbufs > 1) {
		*r.nb[0] = (uint8_t)nbufs;
		*r.nb[1] = (uint8_t)(nbufs >> 8);
	}
	q->stats.packets++;
	q->stats.bytes += pkt->len;
	return 1;

out_small:
	/* Too big for the guest's buffers: drop it, keep the buffers for the next packet. A
	 * burst that already holds entries just stops here and retries next time. */
	if (sv.nshadow && r.left && q->mrg) {
		vring_rx_rollback(q, &sv);
		return 0;
	}
	vring_rx_rollback(q, &sv);
	q->stats.drop[VRING_DROP_RX_SMALL]++;
	return 1;
}

int vring_enqueue_burst(struct vring_queue *q, struct vring_pkt *pkts, unsigned n)
{
	unsigned i;
	int rc = 0;

	if (q->broken)
		return -EIO;
	if (n > VRING_BURST_MAX)
		n = VRING_BURST_MAX;
	if (vring_burst_begin(q))
		return -EIO;
	for (i = 0; i < n; i++) {
		rc = vring_rx_pkt(q, &pkts[i]);
		if (rc <= 0)
			break;
	}
	vring_burst_end(q, false);
	if (!i && rc < 0)
		return -EIO;
	return (int)i;
}

/* ---- notifications ---- */

unsigned vring_avail_count(struct vring_queue *q)
{
	return vring_avail_count_max(q, VRING_AVAIL_SCAN_MAX);
}

unsigned vring_avail_count_max(struct vring_queue *q, unsigned max)
{
	unsigned n;

	if (q->broken)
		return 0;
	if (max > VRING_AVAIL_SCAN_MAX)
		max = VRING_AVAIL_SCAN_MAX;
	if (q->packed)
		return vring_packed_avail_count(q, max);
	n = vring_split_avail_count(q);
	return n < max ? n : max;
}

bool vring_notify_needed(struct vring_queue *q)
{
	bool need;

	if (!q->published)
		return false;
	q->published = false;
	/* Full fence: our used-index (or used flags) stores must be visible before we load
	 * the driver's used_event / flags, or both sides could miss each other (2.7.10). */
	atomic_thread_fence(memory_order_seq_cst);
	need = q->packed ? vring_packed_notify(q) : vring_split_notify(q);
	q->signalled_used = q->last_used;
	q->signalled_wrap = q->used_wrap;
	if (need)
		q->stats.notifies++;
	return need;
}

void vring_set_driver_kicks(struct vring_queue *q, bool enable)
{
	q->kicks = enable;
	if (q->packed)
		vring_packed_kicks(q, enable);
	else
		vring_split_kicks(q, enable);
	/* Full fence: the flag / event store above must be visible before the caller's next
	 * look at the avail ring, else a buffer added meanwhile gets neither seen nor kicked. */
	atomic_thread_fence(memory_order_seq_cst);
}
