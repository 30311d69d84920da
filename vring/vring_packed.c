// SPDX-License-Identifier: BSD-3-Clause
/*
 * vring: the packed virtqueue (virtio 1.2 section 2.8). One descriptor ring shared both ways:
 * a descriptor is available when its AVAIL bit equals the driver's wrap counter and its USED
 * bit does not; the device marks it used by writing both bits equal to its own wrap counter.
 */
#include "vring_private.h"

static struct vring_packed_desc *vring_pdesc(struct vring_queue *q, uint32_t pos)
{
	return (struct vring_packed_desc *)q->desc + pos;
}

static uint32_t vring_padvance(struct vring_queue *q, uint32_t pos, uint32_t n, bool *wrap)
{
	pos += n;
	if (pos >= q->size) {
		pos -= q->size;
		*wrap = !*wrap;
	}
	return pos;
}

static void vring_pput(struct vring_queue *q, uint32_t pos, const struct vring_shadow *s)
{
	struct vring_packed_desc *d = vring_pdesc(q, pos);

	d->id = htole16(s->id);
	d->len = htole32(s->len);
}

static uint16_t vring_pused_flags(bool wrap, uint32_t len)
{
	uint16_t f = wrap ? (VRING_DESC_F_AVAIL | VRING_DESC_F_USED) : 0;

	/* 2.8.4: WRITE in a used descriptor says len counts bytes the device wrote. */
	return len ? (uint16_t)(f | VRING_DESC_F_WRITE) : f;
}

static void vring_pflush_batch(struct vring_queue *q)
{
	const struct vring_shadow *last = &q->shadow[q->nshadow - 1];
	uint32_t pos = q->last_used, total = 0;
	bool wrap = q->used_wrap;
	unsigned i;

	for (i = 0; i < q->nshadow; i++)
		total += q->shadow[i].ndesc;
	/* In order (2.8.21): one used descriptor with the last buffer's id covers the batch;
	 * the driver skips forward by the batch's descriptor count. */
	vring_pput(q, pos, last);
	/* Release: id and len above are visible before the flags that mark them used. */
	atomic_thread_fence(memory_order_release);
	__atomic_store_n(&vring_pdesc(q, pos)->flags, htole16(vring_pused_flags(wrap, last->len)),
			 __ATOMIC_RELAXED);
	/*
	 * An honest driver never has more than the ring in flight, but only chain heads are
	 * checked for availability: a chain whose tail wraps onto a head this burst already
	 * took counts those descriptors twice and total can pass the ring size (found by
	 * tests/fuzz/fuzz_vring). One vring_padvance() would then leave last_used outside the
	 * ring and the next flush would write past the descriptor ring. Break the queue, and
	 * still keep the position inside the ring.
	 */
	if (vring_unlikely(total > q->size)) {
		vring_fail(q, VRING_ERR_DESC_LOOP);
		total %= q->size;
	}
	q->last_used = (uint16_t)vring_padvance(q, pos, total, &q->used_wrap);
}

void vring_packed_flush(struct vring_queue *q, bool batch)
{
	struct vring_packed_desc *ring = q->desc;
	const struct vring_shadow *sh = q->shadow;
	uint32_t pos = q->last_used, size = q->size;
	unsigned i, n = q->nshadow;
	uint16_t uf;

	if (batch) {
		vring_pflush_batch(q);
		return;
	}
	for (i = 0; i < n; i++) {
		ring[pos].id = htole16(sh[i].id);
		ring[pos].len = htole32(sh[i].len);
		pos += sh[i].ndesc;
		if (pos >= size)
			pos -= size;
	}
	/* Release: every id and len above is visible before any of the flags below, which
	 * are what hands a descriptor back to the driver. */
	atomic_thread_fence(memory_order_release);
	pos = q->last_used;
	uf = vring_pused_flags(q->used_wrap, 0);
	for (i = 0; i < n; i++) {
		__atomic_store_n(&ring[pos].flags,
				 htole16((uint16_t)(uf | (sh[i].len ? VRING_DESC_F_WRITE : 0))),
				 __ATOMIC_RELAXED);
		pos += sh[i].ndesc;
		if (pos >= size) {
			pos -= size;
			uf ^= VRING_DESC_F_AVAIL | VRING_DESC_F_USED; /* the used wrap flips */
		}
	}
	q->last_used = (uint16_t)pos;
	q->used_wrap = uf & VRING_DESC_F_USED;
}

/* Descriptors in the chain starting at pos, or 0 when the chain looks endless. */
static uint32_t vring_pchain_len(struct vring_queue *q, uint32_t pos, uint16_t flags)
{
	uint32_t n = 1;
	bool wrap = false;

	while (flags & VRING_DESC_F_NEXT) {
		if (++n > q->size)
			return 0;
		pos = vring_padvance(q, pos, 1, &wrap);
		flags = le16toh(__atomic_load_n(&vring_pdesc(q, pos)->flags, __ATOMIC_RELAXED));
	}
	return n;
}

unsigned vring_packed_avail_count(struct vring_queue *q, unsigned max)
{
	uint32_t pos = q->last_avail, seen = 0, len;
	bool wrap = q->avail_wrap;
	unsigned n = 0;
	uint16_t flags;

	while (n < max && seen < q->size) {
		/* Acquire: pairs with the driver's release of the head's flags. */
		flags = le16toh(__atomic_load_n(&vring_pdesc(q, pos)->flags, __ATOMIC_ACQUIRE));
		if (!vring_pavail(flags, wrap))
			break;
		len = vring_pchain_len(q, pos, flags);
		if (!len || seen + len > q->size)
			break;
		seen += len;
		pos = vring_padvance(q, pos, len, &wrap);
		n++;
	}
	return n;
}

bool vring_packed_notify(struct vring_queue *q)
{
	struct vring_packed_event *ev = q->driver;
	uint16_t flags, off_wrap, off, old_idx, new_idx;

	/* Acquire: off_wrap is read after the flags the driver released after writing it. */
	flags = le16toh(__atomic_load_n(&ev->flags, __ATOMIC_ACQUIRE)) & 3;
	if (flags == VRING_EVENT_F_DISABLE)
		return false;
	if (flags != VRING_EVENT_F_DESC || !q->event_idx)
		return true;
	off_wrap = le16toh(__atomic_load_n(&ev->off_wrap, __ATOMIC_RELAXED));
	off = off_wrap & 0x7fff;
	new_idx = q->last_used;
	old_idx = q->signalled_used;
	/* Put old, new and the event on one line modulo 2^16: positions of the previous lap
	 * move back by the ring size. */
	if (new_idx <= old_idx)
		old_idx = (uint16_t)(old_idx - q->size);
	if ((bool)(off_wrap >> 15) != q->used_wrap)
		off = (uint16_t)(off - q->size);
	return vring_need_event(off, new_idx, old_idx);
}

void vring_packed_update_event(struct vring_queue *q)
{
	struct vring_packed_event *ev = q->device;
	uint16_t off_wrap = (uint16_t)(q->last_avail | (q->avail_wrap << 15));

	/* Relaxed: see vring_split_update_event(). */
	__atomic_store_n(&ev->off_wrap, htole16(off_wrap), __ATOMIC_RELAXED);
}

void vring_packed_kicks(struct vring_queue *q, bool enable)
{
	struct vring_packed_event *ev = q->device;
	uint16_t flags = VRING_EVENT_F_DISABLE;

	if (enable && q->event_idx) {
		vring_packed_update_event(q);
		flags = VRING_EVENT_F_DESC;
	} else if (enable) {
		flags = VRING_EVENT_F_ENABLE;
	}
	/* Release: off_wrap above is visible before the flags that tell the driver to use it. */
	__atomic_store_n(&ev->flags, htole16(flags), __ATOMIC_RELEASE);
}
