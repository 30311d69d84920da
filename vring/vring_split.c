// SPDX-License-Identifier: BSD-3-Clause
/*
 * vring: the split virtqueue (virtio 1.2 section 2.7). The device side reads avail->idx and
 * avail->ring[], walks descriptor chains (vring.c) and publishes used->ring[] and used->idx.
 */
#include "vring_private.h"

static struct vring_split_avail *vring_avail(struct vring_queue *q)
{
	return q->driver;
}

static struct vring_split_used *vring_used(struct vring_queue *q)
{
	return q->device;
}

/* avail_event lives just past the used ring, used_event just past the avail ring. */
static uint16_t *vring_avail_event(struct vring_queue *q)
{
	return (uint16_t *)(void *)&vring_used(q)->ring[q->size];
}

static uint16_t *vring_used_event(struct vring_queue *q)
{
	return &vring_avail(q)->ring[q->size];
}

void vring_split_flush(struct vring_queue *q, bool batch)
{
	struct vring_used_elem *ring = vring_used(q)->ring;
	const struct vring_shadow *sh = q->shadow;
	uint16_t idx = q->last_used, mask = q->mask;
	unsigned i, n = q->nshadow;

	if (batch) {
		/* In order: one entry, at the batch's first slot, naming the batch's last chain. */
		ring[idx & mask].id = htole32(sh[n - 1].id);
		ring[idx & mask].len = htole32(sh[n - 1].len);
	} else {
		for (i = 0; i < n; i++) {
			ring[(idx + i) & mask].id = htole32(sh[i].id);
			ring[(idx + i) & mask].len = htole32(sh[i].len);
		}
	}
	idx = (uint16_t)(idx + n);
	/* Release: the used entries written above are visible before the index that hands
	 * them to the driver. */
	__atomic_store_n(&vring_used(q)->idx, htole16(idx), __ATOMIC_RELEASE);
	q->last_used = idx;
}

unsigned vring_split_avail_count(struct vring_queue *q)
{
	uint16_t idx, n;

	/* Acquire: pairs with the driver's release of avail->idx. */
	idx = le16toh(__atomic_load_n(&vring_avail(q)->idx, __ATOMIC_ACQUIRE));
	n = (uint16_t)(idx - q->last_avail);
	return n > q->size ? q->size : n;
}

bool vring_split_notify(struct vring_queue *q)
{
	uint16_t ev, flags;

	if (!q->event_idx) {
		flags = le16toh(__atomic_load_n(&vring_avail(q)->flags, __ATOMIC_RELAXED));
		return !(flags & VRING_AVAIL_F_NO_INTERRUPT);
	}
	ev = le16toh(__atomic_load_n(vring_used_event(q), __ATOMIC_RELAXED));
	return vring_need_event(ev, q->last_used, q->signalled_used);
}

void vring_split_update_event(struct vring_queue *q)
{
	/* Relaxed: ordered against later avail reads by the caller's fence when it matters
	 * (vring_set_driver_kicks); between bursts a late kick is only a wasted wake-up. */
	__atomic_store_n(vring_avail_event(q), htole16(q->last_avail), __ATOMIC_RELAXED);
}

void vring_split_kicks(struct vring_queue *q, bool enable)
{
	uint16_t flags = enable ? 0 : VRING_USED_F_NO_NOTIFY;

	if (q->event_idx) {
		/* With event idx the flag is ignored (2.7.10); the event index rules. Leaving
		 * avail_event behind makes the driver stop kicking until it catches up. */
		if (enable)
			vring_split_update_event(q);
		return;
	}
	__atomic_store_n(&vring_used(q)->flags, htole16(flags), __ATOMIC_RELAXED);
}
