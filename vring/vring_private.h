/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vring internals: guest ring layouts (virtio 1.2 sections 2.7 and 2.8), the queue struct and
 * the helpers shared by the split and packed code. Never included from outside vring/.
 */
#ifndef VHOSTD_VRING_PRIVATE_H
#define VHOSTD_VRING_PRIVATE_H

#include <endian.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "vring.h"

#define VRING_CACHE_LINE 64

/* Error paths are rare: keep them out of the hot straight line. */
#define vring_likely(x)	  __builtin_expect(!!(x), 1)
#define vring_unlikely(x) __builtin_expect(!!(x), 0)

/* Descriptor flags, split and packed (2.7.5, 2.8.1). */
#define VRING_DESC_F_NEXT     1u
#define VRING_DESC_F_WRITE    2u
#define VRING_DESC_F_INDIRECT 4u
#define VRING_DESC_F_AVAIL    (1u << 7)
#define VRING_DESC_F_USED     (1u << 15)

#define VRING_AVAIL_F_NO_INTERRUPT 1u
#define VRING_USED_F_NO_NOTIFY	   1u

/* Packed event suppression flags (2.8.10). */
#define VRING_EVENT_F_ENABLE  0u
#define VRING_EVENT_F_DISABLE 1u
#define VRING_EVENT_F_DESC    2u

/*
 * Longest chain we accept as one packet, virtio-net header included: a 64 KiB GSO frame plus
 * link headers. Anything longer is a driver error, not a packet; the cap also bounds how much
 * one hostile chain (up to 32768 descriptors of 4 GiB) could make the device copy.
 */
#define VRING_PKT_MAX (65536u + 512u)

/* Used entries one burst can collect before it must stop (mergeable RX takes several each). */
#define VRING_SHADOW_MAX (VRING_BURST_MAX * 16u)

/* Packed rings: vring_avail_count() scans at most this many chains (a walk of the ring). */
#define VRING_AVAIL_SCAN_MAX 1024u

/* Guest layouts: all little-endian, 16 bytes per descriptor. */
struct vring_split_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_packed_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

struct vring_split_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* then used_event */
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vring_split_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[]; /* then avail_event */
};

struct vring_packed_event {
	uint16_t off_wrap;
	uint16_t flags;
};

/* One used entry waiting in the shadow until the burst publishes it. */
struct vring_shadow {
	uint16_t id;	/* split: head index; packed: buffer id */
	uint16_t ndesc; /* packed: ring descriptors the buffer took */
	uint32_t len;	/* bytes the device wrote */
};

/* One descriptor, copied out of guest memory once. */
struct vring_seg {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
};

/* Walking one descriptor chain (ring part, then an indirect table if any). */
struct vring_walk {
	uint32_t idx;	      /* next position in the ring or in the indirect table */
	uint32_t left;	      /* descriptors still allowed before we call it a loop */
	uint32_t tbl_n;	      /* entries of the indirect table */
	uint64_t ind_gpa;     /* indirect table, guest address */
	const uint8_t *ind;   /* indirect table, host address when contiguous, else NULL */
	uint16_t ndesc;	      /* ring descriptors consumed so far */
	uint16_t id;	      /* split: head; packed: buffer id of the last ring descriptor */
	uint16_t pre_link;    /* head's next (split) or buffer id (packed) */
	struct vring_seg pre; /* the head descriptor, fetched once by the peek */
	bool have_pre;	      /* pre not yet handed out by vring_walk_next() */
	bool more;
	bool in_ind;
	bool wrap; /* packed: wrap counter of position idx */
};

/*
 * The queue: hot fields (touched every burst) first, in the first cache line; the shadow and
 * the stats after them. Allocated cache-aligned.
 */
struct vring_queue {
	/* cache line 0: hot */
	void *desc;
	void *driver; /* split: avail ring; packed: driver event suppression */
	void *device; /* split: used ring; packed: device event suppression */
	void *(*to_host)(void *ctx, uint64_t gpa, uint64_t want, uint64_t *contig);
	void *mem_ctx;
	uint32_t size;
	uint16_t mask;	      /* split: size - 1 */
	uint16_t last_avail;  /* split: free-running; packed: position */
	uint16_t last_used;   /* split: free-running; packed: position */
	uint16_t avail_cache; /* split: avail->idx as read this burst */
	uint16_t nshadow;
	uint8_t hdr_len;
	bool avail_wrap;
	bool used_wrap;
	bool packed;
	bool event_idx;
	bool in_order;
	bool mrg;
	bool indirect;
	bool broken;
	bool kicks;
	/* cache line 1: cold-ish */
	vring_extend_fn extend __attribute__((aligned(VRING_CACHE_LINE)));
	void *extend_ctx;
	uint16_t signalled_used; /* last_used when vring_notify_needed() last ran */
	bool signalled_wrap;
	bool published; /* used entries went out since vring_notify_needed() */
	int last_err;	/* first enum vring_err hit, or -1 */
	struct vring_stats stats __attribute__((aligned(VRING_CACHE_LINE)));
	struct vring_shadow shadow[VRING_SHADOW_MAX] __attribute__((aligned(VRING_CACHE_LINE)));
};

/* Marks the queue broken for driver error e; returns -EIO for the burst to pass up. */
int vring_fail(struct vring_queue *q, enum vring_err e);

int vring_walk_next(struct vring_queue *q, struct vring_walk *w, struct vring_seg *s);

/* split ring (vring_split.c) */
void vring_split_flush(struct vring_queue *q, bool batch);
unsigned vring_split_avail_count(struct vring_queue *q);
bool vring_split_notify(struct vring_queue *q);
void vring_split_kicks(struct vring_queue *q, bool enable);
void vring_split_update_event(struct vring_queue *q);

/* packed ring (vring_packed.c) */
void vring_packed_flush(struct vring_queue *q, bool batch);
unsigned vring_packed_avail_count(struct vring_queue *q, unsigned max);
bool vring_packed_notify(struct vring_queue *q);
void vring_packed_kicks(struct vring_queue *q, bool enable);
void vring_packed_update_event(struct vring_queue *q);

/*
 * The virtio event-index test (2.7.10): did the index move past event when going from old to
 * new? All arithmetic modulo 2^16.
 */
static inline bool vring_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

/*
 * Copies one 16-byte descriptor out of guest memory into locals, once. The two 8-byte loads
 * happen before the signal fence, a compiler-only barrier: it stops the compiler from
 * re-reading guest memory later in place of the local copy (the guest may rewrite the
 * descriptor at any moment). Split: flags then next; packed: buffer id then flags.
 */
static inline void vring_desc_copy(const void *src, struct vring_seg *d, uint16_t *link,
				   bool packed)
{
	uint64_t lo, hi;
	uint16_t a, b;

	memcpy(&lo, src, 8);
	memcpy(&hi, (const uint8_t *)src + 8, 8);
	atomic_signal_fence(memory_order_seq_cst);
	lo = le64toh(lo);
	hi = le64toh(hi);
	a = (uint16_t)(hi >> 32);
	b = (uint16_t)(hi >> 48);
	d->addr = lo;
	d->len = (uint32_t)hi;
	d->flags = packed ? b : a;
	*link = packed ? a : b;
}

/* Readies w for vring_walk_next() after a peek (the fast paths never need it). */
static inline void vring_walk_start(struct vring_queue *q, struct vring_walk *w)
{
	w->left = q->size;
	w->ndesc = 0;
	w->id = (uint16_t)w->idx;
	w->have_pre = true;
	w->more = true;
	w->in_ind = false;
	w->wrap = q->avail_wrap;
	w->ind = NULL;
}

/*
 * Split: the next available chain, its head descriptor fetched into w->pre (its position in
 * w->idx): 1, 0 when none, -EIO. Ordered after the acquire load of avail->idx in
 * vring_burst_begin().
 */
static inline int vring_split_peek(struct vring_queue *q, struct vring_walk *w)
{
	const struct vring_split_avail *avail = q->driver;
	uint16_t head;

	if (q->last_avail == q->avail_cache)
		return 0;
	head = le16toh(__atomic_load_n(&avail->ring[q->last_avail & q->mask], __ATOMIC_RELAXED));
	if (vring_unlikely(head >= q->size))
		return vring_fail(q, VRING_ERR_DESC_INDEX);
	w->idx = head;
	vring_desc_copy((const uint8_t *)q->desc + (size_t)head * 16, &w->pre, &w->pre_link, false);
	return 1;
}

static inline bool vring_pavail(uint16_t flags, bool wrap)
{
	bool avail = flags & VRING_DESC_F_AVAIL;
	bool used = flags & VRING_DESC_F_USED;

	return avail == wrap && used != wrap;
}

/* Packed: as vring_split_peek(); the head's flags are the ones of the one acquire load. */
static inline int vring_packed_peek(struct vring_queue *q, struct vring_walk *w)
{
	const struct vring_packed_desc *d =
	    (const struct vring_packed_desc *)q->desc + q->last_avail;
	uint16_t flags;

	/* Acquire: the rest of the descriptor (and the chain behind it, and the buffers) is
	 * read after the flags that made it available; pairs with the driver's release. */
	flags = le16toh(__atomic_load_n(&d->flags, __ATOMIC_ACQUIRE));
	if (!vring_pavail(flags, q->avail_wrap))
		return 0;
	w->idx = q->last_avail;
	vring_desc_copy(d, &w->pre, &w->pre_link, true);
	w->pre.flags = flags;
	return 1;
}

#endif /* VHOSTD_VRING_PRIVATE_H */
