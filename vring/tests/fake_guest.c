// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fake guest memory and fake virtio driver (see fake_guest.h). The driver side follows the
 * virtio 1.2 driver rules (2.7.13, 2.8.13): descriptors first, then the avail entry / head
 * flags with a release, event checks after a full fence.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_guest.h"

#define FD_F_NEXT     1u
#define FD_F_INDIRECT 4u
#define FD_F_AVAIL    (1u << 7)
#define FD_F_USED     (1u << 15)

static int fg_map(struct fg_region *r, uint64_t gpa, uint64_t size)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	r->gpa = gpa;
	r->size = size;
	r->map_len = size + 2 * page;
	r->map = mmap(NULL, r->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->map == MAP_FAILED)
		return -1;
	r->host = r->map + page;
	/* Guard pages stay PROT_NONE on both sides: any access past the region faults. */
	if (mprotect(r->host, size, PROT_READ | PROT_WRITE))
		return -1;
	memset(r->host, FG_CANARY, size);
	return 0;
}

int fg_init(struct fg_mem *m)
{
	memset(m, 0, sizeof(*m));
	if (fg_map(&m->r[0], FG_R0_GPA, FG_R0_SIZE) || fg_map(&m->r[1], FG_R1_GPA, FG_R1_SIZE) ||
	    fg_map(&m->r[2], FG_R2_GPA, FG_R2_SIZE))
		return -1;
	m->n = 3;
	m->brk = FG_R0_GPA;
	return 0;
}

void fg_fini(struct fg_mem *m)
{
	unsigned i;

	for (i = 0; i < m->n; i++)
		munmap(m->r[i].map, m->r[i].map_len);
	m->n = 0;
}

static bool fg_in(const struct fg_region *r, uint64_t gpa)
{
	return gpa >= r->gpa && gpa - r->gpa < r->size;
}

void *fg_to_host(void *ctx, uint64_t gpa, uint64_t want, uint64_t *contig)
{
	struct fg_mem *m = ctx;
	struct fg_region *r = &m->r[m->last]; /* last < 3 always */
	uint64_t room;
	unsigned i;

	m->lookups++;
	/* Packets come from one region mostly: the last hit first, then the linear scan. */
	if (!fg_in(r, gpa)) {
		for (i = 0; i < m->n && !fg_in(&m->r[i], gpa); i++)
			;
		if (i == m->n)
			return NULL;
		m->last = i;
		r = &m->r[i];
	}
	room = r->size - (gpa - r->gpa);
	*contig = want < room ? want : room;
	return r->host + (gpa - r->gpa);
}

void *fg_host(struct fg_mem *m, uint64_t gpa)
{
	uint64_t c;

	return fg_to_host(m, gpa, 1, &c);
}

uint64_t fg_alloc(struct fg_mem *m, uint64_t len, uint64_t align)
{
	uint64_t at = (m->brk + align - 1) & ~(align - 1);

	if (at + len > FG_R0_GPA + FG_R0_SIZE)
		abort();
	m->brk = at + len;
	return at;
}

static int fg_copy(struct fg_mem *m, uint64_t gpa, uint8_t *buf, uint64_t len, bool to_guest)
{
	uint64_t c;
	uint8_t *p;

	while (len) {
		p = fg_to_host(m, gpa, len, &c);
		if (!p)
			return -1;
		if (to_guest)
			memcpy(p, buf, c);
		else
			memcpy(buf, p, c);
		buf += c;
		gpa += c;
		len -= c;
	}
	return 0;
}

int fg_write(struct fg_mem *m, uint64_t gpa, const void *src, uint64_t len)
{
	return fg_copy(m, gpa, (uint8_t *)(uintptr_t)src, len, true);
}

int fg_read(struct fg_mem *m, uint64_t gpa, void *dst, uint64_t len)
{
	return fg_copy(m, gpa, dst, len, false);
}

/* ---- driver ---- */

struct fd_sdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct fd_pdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

static uint16_t *fd_avail_ring(struct fd_drv *d)
{
	return (uint16_t *)d->drv + 2;
}

static uint16_t *fd_used_idx(struct fd_drv *d)
{
	return (uint16_t *)d->dev + 1;
}

static uint32_t *fd_used_ring(struct fd_drv *d)
{
	return (uint32_t *)d->dev + 1;
}

int fd_init(struct fd_drv *d, struct fg_mem *m, uint32_t size, uint64_t features)
{
	uint32_t i;

	memset(d, 0, sizeof(*d));
	d->m = m;
	d->size = size;
	d->features = features;
	d->packed = features & (1ull << VRING_F_RING_PACKED);
	d->event_idx = features & (1ull << VRING_F_EVENT_IDX);
	d->in_order = features & (1ull << VRING_F_IN_ORDER);
	d->desc_gpa = fg_alloc(m, 16ull * size, 4096);
	if (d->packed) {
		d->drv_gpa = fg_alloc(m, 4, 4);
		d->dev_gpa = fg_alloc(m, 4, 4);
	} else {
		d->drv_gpa = fg_alloc(m, 6 + 2ull * size, 2);
		d->dev_gpa = fg_alloc(m, 6 + 8ull * size, 4096);
	}
	d->desc = fg_host(m, d->desc_gpa);
	d->drv = fg_host(m, d->drv_gpa);
	d->dev = fg_host(m, d->dev_gpa);
	memset(d->desc, 0, 16ull * size);
	memset(d->drv, 0, d->packed ? 4 : 6 + 2ull * size);
	memset(d->dev, 0, d->packed ? 4 : 6 + 8ull * size);
	d->slot = calloc(size, sizeof(*d->slot));
	d->free_ids = calloc(size, sizeof(uint16_t));
	d->order = calloc(size, sizeof(uint16_t));
	d->split_free = calloc(size, sizeof(uint16_t));
	if (!d->slot || !d->free_ids || !d->order || !d->split_free)
		return -1;
	for (i = 0; i < size; i++) {
		d->free_ids[i] = (uint16_t)(size - 1 - i);
		d->split_free[i] = (uint16_t)(size - 1 - i);
		d->slot[i].ind_gpa = fg_alloc(m, 16 * FD_MAX_SEGS, 16);
	}
	d->nfree = size;
	d->nsplit_free = size;
	d->free_descs = size;
	d->avail_wrap = true;
	d->used_wrap = true;
	d->kick_old_wrap = true;
	d->batch_last = -1;
	return 0;
}

void fd_fini(struct fd_drv *d)
{
	free(d->slot);
	free(d->free_ids);
	free(d->order);
	free(d->split_free);
}

void fd_config(struct fd_drv *d, struct vring_queue_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = d->size;
	cfg->features = d->features;
	cfg->desc = d->desc;
	cfg->driver = d->drv;
	cfg->device = d->dev;
	cfg->last_avail = d->packed ? 0x8000 : 0;
	cfg->last_used = d->packed ? 0x8000 : 0;
	cfg->mem.to_host = fg_to_host;
	cfg->mem.ctx = d->m;
}

static void fd_write_ind(struct fd_drv *d, uint64_t gpa, const struct fd_seg *s, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (d->packed) {
			struct fd_pdesc e = {s[i].gpa, s[i].len, 0, s[i].flags};

			fg_write(d->m, gpa + 16ull * i, &e, 16);
		} else {
			struct fd_sdesc e = {s[i].gpa, s[i].len,
					     (uint16_t)(s[i].flags | (i + 1 < n ? FD_F_NEXT : 0)),
					     (uint16_t)(i + 1)};

			fg_write(d->m, gpa + 16ull * i, &e, 16);
		}
	}
}

static int fd_post_split(struct fd_drv *d, const struct fd_seg *s, unsigned n, bool ind)
{
	struct fd_sdesc *t = d->desc;
	unsigned need = ind ? 1 : n, i;
	uint16_t head, cur;

	if (d->nsplit_free < need)
		return -1;
	head = d->split_free[d->nsplit_free - 1];
	d->slot[head].ndesc = (uint16_t)need;
	for (i = 0; i < need; i++)
		d->slot[head].desc[i] = d->split_free[--d->nsplit_free];
	if (ind) {
		fd_write_ind(d, d->slot[head].ind_gpa, s, n);
		t[head] = (struct fd_sdesc){d->slot[head].ind_gpa, 16 * n, FD_F_INDIRECT, 0};
	} else {
		for (i = 0; i < n; i++) {
			cur = d->slot[head].desc[i];
			t[cur].addr = s[i].gpa;
			t[cur].len = s[i].len;
			t[cur].flags = (uint16_t)(s[i].flags | (i + 1 < n ? FD_F_NEXT : 0));
			t[cur].next = i + 1 < n ? d->slot[head].desc[i + 1] : 0;
		}
	}
	fd_avail_ring(d)[d->avail_idx & (d->size - 1)] = head;
	d->avail_idx++;
	/* Release: descriptors and the ring entry before the index the device polls. */
	__atomic_store_n((uint16_t *)d->drv + 1, d->avail_idx, __ATOMIC_RELEASE);
	return head;
}

static int fd_post_packed(struct fd_drv *d, const struct fd_seg *s, unsigned n, bool ind)
{
	struct fd_pdesc *t = d->desc;
	unsigned need = ind ? 1 : n, i;
	uint16_t id, pos = d->avail_idx, head = d->avail_idx, head_flags = 0, f;
	bool wrap = d->avail_wrap;

	if (d->free_descs < need || !d->nfree)
		return -1;
	id = d->free_ids[--d->nfree];
	d->slot[id].ndesc = (uint16_t)need;
	if (ind)
		fd_write_ind(d, d->slot[id].ind_gpa, s, n);
	for (i = 0; i < need; i++) {
		f = ind ? FD_F_INDIRECT : (uint16_t)(s[i].flags | (i + 1 < n ? FD_F_NEXT : 0));
		f |= wrap ? FD_F_AVAIL : FD_F_USED;
		t[pos].addr = ind ? d->slot[id].ind_gpa : s[i].gpa;
		t[pos].len = ind ? 16 * n : s[i].len;
		t[pos].id = id;
		if (i)
			t[pos].flags = f;
		else
			head_flags = f;
		if (++pos == d->size) {
			pos = 0;
			wrap = !wrap;
		}
	}
	/* Release: the whole chain before the head flags that make it available. */
	__atomic_store_n(&t[head].flags, head_flags, __ATOMIC_RELEASE);
	d->avail_idx = pos;
	d->avail_wrap = wrap;
	d->free_descs -= need;
	return id;
}

int fd_post(struct fd_drv *d, const struct fd_seg *segs, unsigned n, bool indirect)
{
	int id;

	if (!n || n > FD_MAX_SEGS)
		return -1;
	id = d->packed ? fd_post_packed(d, segs, n, indirect) : fd_post_split(d, segs, n, indirect);
	if (id < 0)
		return id;
	d->slot[id].busy = true;
	if (d->in_order)
		d->order[d->otail++ % d->size] = (uint16_t)id;
	return id;
}

static void fd_release(struct fd_drv *d, uint16_t id)
{
	unsigned i;

	d->slot[id].busy = false;
	if (d->packed) {
		d->free_ids[d->nfree++] = id;
		d->free_descs += d->slot[id].ndesc;
		return;
	}
	for (i = d->slot[id].ndesc; i > 0; i--)
		d->split_free[d->nsplit_free++] = d->slot[id].desc[i - 1];
}

/* In order: hand out the next chain of the batch that ends at batch_last. */
static int fd_batch_pop(struct fd_drv *d, uint16_t *id, uint32_t *len)
{
	*id = d->order[d->ohead++ % d->size];
	*len = 0;
	if (*id == d->batch_last) {
		*len = d->batch_len;
		d->batch_last = -1;
	}
	fd_release(d, *id);
	return 1;
}

/* In order: how many chains (and ring descriptors) the batch ending at id covers. */
static int fd_batch_span(struct fd_drv *d, uint16_t id, unsigned *descs)
{
	unsigned k;

	*descs = 0;
	for (k = d->ohead; k != d->otail; k++) {
		*descs += d->slot[d->order[k % d->size]].ndesc;
		if (d->order[k % d->size] == id)
			return (int)(k - d->ohead + 1);
	}
	return -1;
}

static void fd_used_advance(struct fd_drv *d, unsigned n)
{
	unsigned pos = d->used_idx + n;

	if (!d->packed) {
		d->used_idx = (uint16_t)pos;
		return;
	}
	if (pos >= d->size) {
		pos -= d->size;
		d->used_wrap = !d->used_wrap;
	}
	d->used_idx = (uint16_t)pos;
}

int fd_get_used(struct fd_drv *d, uint16_t *id, uint32_t *len)
{
	unsigned descs;
	int span;

	if (d->batch_last >= 0)
		return fd_batch_pop(d, id, len);
	if (d->packed) {
		struct fd_pdesc *t = &((struct fd_pdesc *)d->desc)[d->used_idx];
		uint16_t f = __atomic_load_n(&t->flags, __ATOMIC_ACQUIRE);

		if (!!(f & FD_F_AVAIL) != d->used_wrap || !!(f & FD_F_USED) != d->used_wrap)
			return 0;
		*id = t->id;
		*len = t->len;
	} else {
		uint16_t uidx = __atomic_load_n(fd_used_idx(d), __ATOMIC_ACQUIRE);
		uint32_t *e = fd_used_ring(d) + 2 * (d->used_idx & (d->size - 1));

		if (uidx == d->used_idx)
			return 0;
		*id = (uint16_t)e[0];
		*len = e[1];
	}
	if (*id >= d->size || !d->slot[*id].busy)
		return -1;
	if (!d->in_order) {
		fd_used_advance(d, d->packed ? d->slot[*id].ndesc : 1);
		fd_release(d, *id);
		return 1;
	}
	span = fd_batch_span(d, *id, &descs);
	if (span < 0)
		return -1;
	fd_used_advance(d, d->packed ? descs : (unsigned)span);
	d->batch_last = *id;
	d->batch_len = *len;
	return fd_batch_pop(d, id, len);
}

static bool fd_need_event(uint16_t ev, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - ev - 1) < (uint16_t)(new_idx - old_idx);
}

bool fd_kick_needed(struct fd_drv *d)
{
	uint16_t old = d->kick_old, new_idx = d->avail_idx, flags, ow, off;

	/* Full fence: our avail stores before the load of the device's suppression fields. */
	atomic_thread_fence(memory_order_seq_cst);
	d->kick_old = new_idx;
	if (!d->packed) {
		if (d->event_idx)
			return fd_need_event(*(uint16_t *)(fd_used_ring(d) + 2 * d->size), new_idx,
					     old);
		return !(*(uint16_t *)d->dev & 1);
	}
	flags = ((uint16_t *)d->dev)[1] & 3;
	if (flags == 1)
		return false;
	if (flags == 0 || !d->event_idx)
		return true;
	ow = ((uint16_t *)d->dev)[0];
	off = ow & 0x7fff;
	if (new_idx <= old)
		old = (uint16_t)(old - d->size);
	if ((bool)(ow >> 15) != d->avail_wrap)
		off = (uint16_t)(off - d->size);
	return fd_need_event(off, new_idx, old);
}

void fd_set_used_event(struct fd_drv *d, uint16_t idx, bool wrap)
{
	if (!d->packed) {
		fd_avail_ring(d)[d->size] = idx;
		return;
	}
	((uint16_t *)d->drv)[0] = (uint16_t)(idx | (wrap << 15));
	__atomic_store_n(&((uint16_t *)d->drv)[1], 2, __ATOMIC_RELEASE);
}

void fd_interrupts(struct fd_drv *d, bool on)
{
	if (!d->packed) {
		if (d->event_idx && on)
			fd_set_used_event(d, d->used_idx, false);
		else
			*(uint16_t *)d->drv = on ? 0 : 1;
		return;
	}
	if (on && d->event_idx)
		fd_set_used_event(d, d->used_idx, d->used_wrap);
	else
		__atomic_store_n(&((uint16_t *)d->drv)[1], on ? 0 : 1, __ATOMIC_RELEASE);
}
