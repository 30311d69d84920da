/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared helpers of the vring cmocka tests: a queue against the fake driver. */
#ifndef VHOSTD_VRING_VT_H
#define VHOSTD_VRING_VT_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_guest.h"

#define F(b)	 (1ull << (b))
#define F_V1	 F(VRING_F_VERSION_1)
#define F_PACKED F(VRING_F_RING_PACKED)
#define F_MRG	 F(VRING_F_NET_MRG_RXBUF)
#define F_IND	 F(VRING_F_INDIRECT_DESC)
#define F_EVT	 F(VRING_F_EVENT_IDX)
#define F_INO	 F(VRING_F_IN_ORDER)

struct vt {
	struct fg_mem m;
	struct fd_drv d;
	struct vring_queue *q;
	uint32_t hdr;
};

/* A caller-side packet with one segment of cap bytes (the rest come from vt_extend). */
struct vt_pkt {
	struct vring_pkt p;
	struct vring_buf b;
	uint8_t data[70000];
};

/* The test header: every field a distinct value. */
static const uint8_t vt_hdr_bytes[12] = {1, 3, 2, 1, 4, 3, 6, 5, 8, 7, 0, 0};

static inline struct vt *vt_new(uint32_t size, uint64_t features)
{
	struct vring_queue_config cfg;
	struct vt *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	assert_int_equal(fg_init(&t->m), 0);
	assert_int_equal(fd_init(&t->d, &t->m, size, features), 0);
	fd_config(&t->d, &cfg);
	assert_int_equal(vring_queue_create(&cfg, &t->q), 0);
	t->hdr = vring_net_hdr_len(features);
	return t;
}

static inline void vt_free(struct vt *t)
{
	vring_queue_destroy(t->q);
	fd_fini(&t->d);
	fg_fini(&t->m);
	free(t);
}

static inline void vt_pkt_init(struct vt_pkt *k, uint32_t cap)
{
	memset(&k->p, 0, sizeof(k->p));
	memset(&k->b, 0, sizeof(k->b));
	k->b.data = k->data;
	k->b.cap = cap;
	k->p.seg = &k->b;
}

static inline void vt_fill(uint8_t *p, uint32_t len, uint32_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

/* Frame as the guest sends it: header then data, in one guest buffer. */
static inline uint64_t vt_frame(struct vt *t, uint32_t len, uint32_t seed)
{
	uint8_t buf[70000];
	uint64_t gpa = fg_alloc(&t->m, t->hdr + len, 8);

	memcpy(buf, vt_hdr_bytes, t->hdr);
	vt_fill(buf + t->hdr, len, seed);
	fg_write(&t->m, gpa, buf, t->hdr + len);
	return gpa;
}

/* Checks a dequeued packet: header fields and len data bytes (across all segments). */
static inline void vt_check_pkt(const struct vring_pkt *p, uint32_t len, uint32_t seed)
{
	uint8_t want[70000];
	uint32_t off = 0;
	const struct vring_buf *b;

	assert_int_equal(p->len, len);
	assert_int_equal(p->hdr.flags, 1);
	assert_int_equal(p->hdr.gso_type, 3);
	assert_int_equal(p->hdr.hdr_len, 0x0102);
	assert_int_equal(p->hdr.gso_size, 0x0304);
	assert_int_equal(p->hdr.csum_start, 0x0506);
	assert_int_equal(p->hdr.csum_offset, 0x0708);
	vt_fill(want, len, seed);
	for (b = p->seg; b; b = b->next) {
		assert_true(off + b->len <= len);
		assert_memory_equal(b->data, want + off, b->len);
		off += b->len;
	}
	assert_int_equal(off, len);
}

static inline const struct vring_stats *vt_stats(struct vt *t)
{
	return vring_queue_stats(t->q);
}

/* The queue is broken by exactly one error of kind e, and stays broken. */
static inline void vt_assert_broken(struct vt *t, enum vring_err e)
{
	struct vt_pkt k;
	unsigned i;

	assert_true(vring_queue_broken(t->q));
	assert_int_equal(vring_queue_last_error(t->q), e);
	for (i = 0; i < VRING_ERR_MAX; i++)
		assert_int_equal(vt_stats(t)->err[i], i == e ? 1 : 0);
	vt_pkt_init(&k, 2048);
	assert_int_equal(vring_dequeue_burst(t->q, &k.p, 1), -EIO);
	assert_int_equal(vring_enqueue_burst(t->q, &k.p, 1), -EIO);
}

#endif
