/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fake_ring.h"

struct fr_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

#define FR_F_NEXT  1
#define FR_F_WRITE 2

static uint64_t fr_alloc(struct fr *r, uint64_t len, uint64_t align)
{
	uint64_t at = (r->brk + align - 1) & ~(align - 1);

	if (at + len > FR_MEM_SIZE)
		abort();
	r->brk = at + len;
	return FR_GPA_BASE + at;
}

void *fr_host(struct fr *r, uint64_t gpa)
{
	if (gpa < FR_GPA_BASE || gpa >= FR_GPA_BASE + FR_MEM_SIZE)
		return NULL;
	return r->mem + (gpa - FR_GPA_BASE);
}

static void *fr_to_host(void *ctx, uint64_t gpa, uint64_t want, uint64_t *contig)
{
	struct fr *r = ctx;
	uint64_t left;

	if (gpa < FR_GPA_BASE || gpa >= FR_GPA_BASE + FR_MEM_SIZE)
		return NULL;
	left = FR_GPA_BASE + FR_MEM_SIZE - gpa;
	*contig = want < left ? want : left;
	return r->mem + (gpa - FR_GPA_BASE);
}

int fr_init(struct fr *r, uint64_t features)
{
	memset(r, 0, sizeof(*r));
	r->mem = calloc(1, FR_MEM_SIZE);
	if (!r->mem)
		return -ENOMEM;
	r->features = features;
	r->desc_gpa = fr_alloc(r, 16 * FR_SIZE, 16);
	r->avail_gpa = fr_alloc(r, 6 + 2 * FR_SIZE, 2);
	r->used_gpa = fr_alloc(r, 6 + 8 * FR_SIZE, 4);
	return 0;
}

void fr_fini(struct fr *r)
{
	free(r->mem);
	r->mem = NULL;
}

void fr_config(struct fr *r, struct vring_queue_config *cfg, vring_extend_fn extend)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = FR_SIZE;
	cfg->features = r->features;
	cfg->desc = fr_host(r, r->desc_gpa);
	cfg->driver = fr_host(r, r->avail_gpa);
	cfg->device = fr_host(r, r->used_gpa);
	cfg->mem.to_host = fr_to_host;
	cfg->mem.ctx = r;
	cfg->extend = extend;
}

static struct fr_desc *fr_desc(struct fr *r, unsigned i)
{
	return (struct fr_desc *)fr_host(r, r->desc_gpa) + i;
}

/* Publishes head in the avail ring (release: descriptors before the index). */
static void fr_publish(struct fr *r, uint16_t head)
{
	uint16_t *avail = fr_host(r, r->avail_gpa);

	avail[2 + r->avail_idx % FR_SIZE] = head;
	r->avail_idx++;
	__atomic_store_n(&avail[1], r->avail_idx, __ATOMIC_RELEASE);
}

int fr_post_tx(struct fr *r, const void *hdr, unsigned hdr_len, const void *data, unsigned len,
	       unsigned seg)
{
	unsigned total = hdr_len + len, off = 0;
	uint8_t *tmp = malloc(total);
	uint16_t head = r->next_desc % FR_SIZE;
	struct fr_desc *d = NULL;

	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, hdr, hdr_len);
	memcpy(tmp + hdr_len, data, len);
	while (off < total) {
		unsigned n = total - off < seg ? total - off : seg;
		uint64_t gpa = fr_alloc(r, n, 1);
		uint16_t i = r->next_desc++ % FR_SIZE;

		if (d) {
			d->flags |= FR_F_NEXT;
			d->next = i;
		}
		d = fr_desc(r, i);
		memcpy(fr_host(r, gpa), tmp + off, n);
		d->addr = gpa;
		d->len = n;
		d->flags = 0;
		d->next = 0;
		off += n;
	}
	free(tmp);
	fr_publish(r, head);
	return head;
}

uint64_t fr_post_rx(struct fr *r, unsigned len)
{
	uint64_t gpa = fr_alloc(r, len, 64);
	uint16_t i = r->next_desc++ % FR_SIZE;
	struct fr_desc *d = fr_desc(r, i);

	memset(fr_host(r, gpa), 0xee, len);
	d->addr = gpa;
	d->len = len;
	d->flags = FR_F_WRITE;
	d->next = 0;
	fr_publish(r, i);
	return gpa;
}

int fr_used(struct fr *r, uint32_t *id, uint32_t *len)
{
	uint16_t *used = fr_host(r, r->used_gpa);
	uint32_t *ring = (uint32_t *)(used + 2);
	uint16_t idx = __atomic_load_n(&used[1], __ATOMIC_ACQUIRE);

	if (idx == r->used_seen)
		return 0;
	*id = ring[2 * (r->used_seen % FR_SIZE)];
	*len = ring[2 * (r->used_seen % FR_SIZE) + 1];
	r->used_seen++;
	return 1;
}

uint64_t fr_desc_addr(struct fr *r, uint32_t id)
{
	return fr_desc(r, id % FR_SIZE)->addr;
}
