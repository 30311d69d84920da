// SPDX-License-Identifier: BSD-3-Clause
/*
 * vring data-path tests against the fake driver, each run on a split and on a packed ring:
 * exact packet and header bytes, used lengths, num_buffers, in-order batching, notify and kick
 * decisions.
 */
#include "vt.h"

#define MODE(state) (*(uint64_t *)*(state)) /* F_PACKED or 0 */

/* A burst's worth of caller packets, each with one segment of cap bytes. */
struct vt_set {
	struct vring_pkt p[100];
	struct vring_buf b[100];
	uint8_t data[100][4096];
};

static struct vt_set *vt_pkts(unsigned n, uint32_t cap)
{
	struct vt_set *k = calloc(1, sizeof(*k));
	unsigned i;

	assert_non_null(k);
	for (i = 0; i < n; i++) {
		k->b[i].data = k->data[i];
		k->b[i].cap = cap;
		k->p[i].seg = &k->b[i];
	}
	return k;
}

/* ---- guest TX ---- */

static void test_tx_one(void **state)
{
	struct vt *t = vt_new(256, F_V1 | MODE(state));
	struct vt_set *k = vt_pkts(1, 2048);
	struct fd_seg s = {vt_frame(t, 64, 9), t->hdr + 64, 0};
	uint16_t id;
	uint32_t len;
	int pid = fd_post(&t->d, &s, 1, false);

	assert_int_equal(vring_avail_count(t->q), 1);
	assert_int_equal(vring_dequeue_burst(t->q, &k->p[0], 4), 1);
	vt_check_pkt(&k->p[0], 64, 9);
	assert_int_equal(k->b[0].len, 64);
	assert_int_equal(fd_get_used(&t->d, &id, &len), 1);
	assert_int_equal(id, pid);
	assert_int_equal(len, 0);
	assert_int_equal(fd_get_used(&t->d, &id, &len), 0);
	assert_int_equal(vring_dequeue_burst(t->q, &k->p[0], 4), 0);
	assert_int_equal(vt_stats(t)->packets, 1);
	assert_int_equal(vt_stats(t)->bytes, 64);
	free(k);
	vt_free(t);
}

enum vt_layout { L_HDR_SEP, L_HDR_SPLIT, L_INDIRECT, L_STRADDLE, L_MANY };

/* Posts a len-byte frame laid out as lay; the data is seeded with seed. */
static void vt_post_layout(struct vt *t, enum vt_layout lay, uint32_t len, uint32_t seed)
{
	uint64_t g = vt_frame(t, len, seed), h = t->hdr;
	struct fd_seg s[8];
	unsigned n = 0, i;

	switch (lay) {
	case L_HDR_SEP:
	case L_INDIRECT:
		s[n++] = (struct fd_seg){g, (uint32_t)h, 0};
		s[n++] = (struct fd_seg){g + h, len, 0};
		break;
	case L_HDR_SPLIT: /* 4 + 4 + rest of the header with the first 10 data bytes */
		s[n++] = (struct fd_seg){g, 4, 0};
		s[n++] = (struct fd_seg){g + 4, 4, 0};
		s[n++] = (struct fd_seg){g + 8, (uint32_t)(h - 8 + 10), 0};
		s[n++] = (struct fd_seg){g + h + 10, len - 10, 0};
		break;
	case L_STRADDLE: { /* the buffer crosses from R0 into R1: legal, both mapped */
		uint8_t buf[2048];
		uint64_t at = FG_R1_GPA - 40;

		fg_read(&t->m, g, buf, h + len);
		fg_write(&t->m, at, buf, h + len);
		s[n++] = (struct fd_seg){at, (uint32_t)(h + len), 0};
		break;
	}
	case L_MANY:
		for (i = 0; i < 8; i++) {
			uint32_t part = (uint32_t)(h + len) / 8;
			uint32_t l = i < 7 ? part : (uint32_t)(h + len) - 7 * part;

			s[n++] = (struct fd_seg){g + i * part, l, 0};
		}
		break;
	}
	assert_true(fd_post(&t->d, s, n, lay == L_INDIRECT) >= 0);
}

static void test_tx_layouts(void **state)
{
	struct vt *t = vt_new(256, F_V1 | F_IND | MODE(state));
	struct vt_set *k = vt_pkts(8, 2048);
	uint16_t id;
	uint32_t len;
	int i;

	vt_post_layout(t, L_HDR_SEP, 100, 1);
	vt_post_layout(t, L_HDR_SPLIT, 60, 2);
	vt_post_layout(t, L_INDIRECT, 1500, 3);
	vt_post_layout(t, L_STRADDLE, 1000, 4);
	vt_post_layout(t, L_MANY, 1518, 5);
	assert_int_equal(vring_dequeue_burst(t->q, &k->p[0], 8), 5);
	vt_check_pkt(&k->p[0], 100, 1);
	vt_check_pkt(&k->p[1], 60, 2);
	vt_check_pkt(&k->p[2], 1500, 3);
	vt_check_pkt(&k->p[3], 1000, 4);
	vt_check_pkt(&k->p[4], 1518, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(fd_get_used(&t->d, &id, &len), 1);
	assert_int_equal(fd_get_used(&t->d, &id, &len), 0);
	free(k);
	vt_free(t);
}

static void test_tx_legacy_hdr(void **state)
{
	struct vt *t = vt_new(64, MODE(state) ? F_PACKED | F_V1 : 0);
	struct vt_set *k = vt_pkts(1, 2048);
	struct fd_seg s;

	assert_int_equal(t->hdr, MODE(state) ? 12 : 10);
	s = (struct fd_seg){vt_frame(t, 64, 7), t->hdr + 64, 0};
	fd_post(&t->d, &s, 1, false);
	assert_int_equal(vring_dequeue_burst(t->q, &k->p[0], 1), 1);
	vt_check_pkt(&k->p[0], 64, 7);
	free(k);
	vt_free(t);
}

static void test_tx_burst_cap(void **state)
{
	struct vt *t = vt_new(256, F_V1 | MODE(state));
	struct vt_set *k = vt_pkts(100, 2048);
	struct fd_seg s;
	uint16_t id;
	uint32_t len;
	int i, ids[100];

	for (i = 0; i < 100; i++) {
		s = (struct fd_seg){vt_frame(t, 64, (uint32_t)i), t->hdr + 64, 0};
		ids[i] = fd_post(&t->d, &s, 1, false);
	}
	assert_int_equal(vring_avail_count(t->q), 100);
	assert_int_equal(vring_avail_count_max(t->q, 32), 32);
	assert_int_equal(vring_avail_count_max(t->q, 100), 100);
	assert_int_equal(vring_avail_count_max(t->q, 5000), 100);
	assert_int_equal(vring_dequeue_burst(t->q, &k->p[0], 100), 64);
	assert_int_equal(vring_dequeue_burst(t->q, &k->p[64], 100), 36);
	for (i = 0; i < 100; i++) {
		vt_check_pkt(&k->p[i], 64, (uint32_t)i);
		assert_int_equal(fd_get_used(&t->d, &id, &len), 1);
		assert_int_equal(id, ids[i]);
	}
	free(k);
	vt_free(t);
}

static struct vring_buf vt_ext[8];
static uint8_t vt_ext_data[8][512];
static unsigned vt_ext_n;

static struct vring_buf *vt_extend(void *ctx, struct vring_pkt *pkt, struct vring_buf *last)
{
	(void)pkt;
	(void)last;
	if (vt_ext_n == (uintptr_t)ctx)
		return NULL;
	vt_ext[vt_ext_n].data = vt_ext_data[vt_ext_n];
	vt_ext[vt_ext_n].cap = 512;
	return &vt_ext[vt_ext_n++];
}

/* Recreates t's (still unused) queue with the extend callback, limit more segments. */
static void vt_use_extend(struct vt *t, uintptr_t limit)
{
	struct vring_queue_config cfg;

	vring_queue_destroy(t->q);
	fd_config(&t->d, &cfg);
	cfg.extend = vt_extend;
	cfg.extend_ctx = (void *)limit;
	assert_int_equal(vring_queue_create(&cfg, &t->q), 0);
	vt_ext_n = 0;
}

static void test_tx_extend(void **state)
{
	struct vt *t = vt_new(256, F_V1 | MODE(state));
	struct vt_set *k = vt_pkts(1, 512);
	struct fd_seg s = {vt_frame(t, 1518, 3), t->hdr + 1518, 0};
	uint16_t id;
	uint32_t len;

	vt_use_extend(t, 8);
	fd_post(&t->d, &s, 1, false);
	assert_int_equal(vring_dequeue_burst(t->q, &k->p[0], 1), 1);
	assert_int_equal(vt_ext_n, 2);
	assert_ptr_equal(k->b[0].next, &vt_ext[0]);
	assert_ptr_equal(vt_ext[0].next, &vt_ext[1]);
	assert_null(vt_ext[1].next);
	assert_int_equal(k->b[0].len, 512);
	assert_int_equal(vt_ext[0].len, 512);
	assert_int_equal(vt_ext[1].len, 1518 - 1024);
	vt_check_pkt(&k->p[0], 1518, 3);
	assert_int_equal(fd_get_used(&t->d, &id, &len), 1);
	free(k);
	vt_free(t);
}

/* The caller's segments run out: the packet drops, its buffers go back, the next one works. */
static void test_tx_too_big(void **state)
{
	struct vt *t = vt_new(256, F_V1 | MODE(state));
	struct vt_set *k = vt_pkts(1, 512);
	struct fd_seg s = {vt_frame(t, 1518, 3), t->hdr + 1518, 0};
	uint16_t id;
	uint32_t len;

	vt_use_extend(t, 1);
	fd_post(&t->d, &s, 1, false);
	s = (struct fd_seg){vt_frame(t, 300, 4), t->hdr + 300, 0};
	fd_post(&t->d, &s, 1, false);
	assert_int_equal(vring_dequeue_burst(t->q, &k->p[0], 1), 1);
	vt_check_pkt(&k->p[0], 300, 4);
	assert_int_equal(vt_stats(t)->drop[VRING_DROP_TOO_BIG], 1);
	assert_int_equal(vt_stats(t)->packets, 1);
	assert_false(vring_queue_broken(t->q));
	assert_int_equal(fd_get_used(&t->d, &id, &len), 1);
	assert_int_equal(fd_get_used(&t->d, &id, &len), 1);
	assert_int_equal(fd_get_used(&t->d, &id, &len), 0);
	free(k);
	vt_free(t);
}

/* ---- guest RX ---- */

struct vt_rx {
	uint64_t gpa[64];
	uint32_t cap[64];
};

/* Posts one device-writable buffer of cap bytes split in nseg descriptors. */
static int vt_rx_post(struct vt *t, struct vt_rx *r, uint32_t cap, unsigned nseg, bool ind)
{
	uint64_t g = fg_alloc(&t->m, cap, 8);
	struct fd_seg s[FD_MAX_SEGS];
	uint32_t off = 0, part = cap / nseg;
	unsigned i;
	int id;

	for (i = 0; i < nseg; i++) {
		s[i] = (struct fd_seg){g + off, i + 1 < nseg ? part : cap - off, FD_W};
		off += part;
	}
	id = fd_post(&t->d, s, nseg, ind);
	assert_true(id >= 0);
	r->gpa[id] = g;
	r->cap[id] = cap;
	return id;
}

/* Two descriptors: the first ends after first bytes. */
static int vt_rx_post2(struct vt *t, struct vt_rx *r, uint32_t cap, uint32_t first)
{
	uint64_t g = fg_alloc(&t->m, cap, 8);
	struct fd_seg s[2] = {{g, first, FD_W}, {g + first, cap - first, FD_W}};
	int id = fd_post(&t->d, s, 2, false);

	assert_true(id >= 0);
	r->gpa[id] = g;
	r->cap[id] = cap;
	return id;
}

static void vt_src(struct vt_set *k, unsigned i, uint32_t len, uint32_t seed)
{
	memcpy(&k->p[i].hdr, &(struct vring_net_hdr){1, 3, 0x0102, 0x0304, 0x0506, 0x0708, 0},
	       sizeof(k->p[i].hdr));
	vt_fill(k->data[i], len, seed);
	k->b[i].len = len;
	k->p[i].len = len;
}

/* Checks the guest buffer of id: used len, header (num_buffers nb), data, canary after. */
static void vt_rx_check2(struct vt *t, struct vt_rx *r, uint16_t id, uint32_t used,
			 const uint8_t *want, uint32_t wlen, bool canary)
{
	uint8_t got[70000];

	assert_int_equal(used, wlen);
	fg_read(&t->m, r->gpa[id], got, r->cap[id]);
	assert_memory_equal(got, want, wlen);
	for (uint32_t i = wlen; canary && i < r->cap[id]; i++)
		assert_int_equal(got[i], FG_CANARY);
}

static void vt_rx_check(struct vt *t, struct vt_rx *r, uint16_t id, uint32_t used,
			const uint8_t *want, uint32_t wlen)
{
	vt_rx_check2(t, r, id, used, want, wlen, true);
}

static void vt_rx_expect(uint8_t *w, unsigned hdr, uint16_t nb, uint32_t len, uint32_t seed)
{
	memcpy(w, vt_hdr_bytes, 10);
	if (hdr == 12) {
		w[10] = (uint8_t)nb;
		w[11] = (uint8_t)(nb >> 8);
	}
	vt_fill(w + hdr, len, seed);
}

static void test_rx_one(void **state)
{
	struct vt *t = vt_new(256, F_V1 | MODE(state));
	struct vt_set *k = vt_pkts(2, 2048);
	struct vt_rx r;
	uint8_t want[2048];
	uint16_t id;
	uint32_t len;

	vt_rx_post(t, &r, 2048, 1, false);
	vt_rx_post(t, &r, 2048, 3, false); /* header split over descriptors 0 and 1 */
	vt_src(k, 0, 64, 1);
	vt_src(k, 1, 1518, 2);
	assert_int_equal(vring_enqueue_burst(t->q, &k->p[0], 2), 2);
	assert_int_equal(fd_get_used(&t->d, &id, &len), 1);
	vt_rx_expect(want, 12, 1, 64, 1);
	vt_rx_check(t, &r, id, len, want, 12 + 64);
	assert_int_equal(fd_get_used(&t->d, &id, &len), 1);
	vt_rx_expect(want, 12, 1, 1518, 2);
	vt_rx_check(t, &r, id, len, want, 12 + 1518);
	assert_int_equal(vt_stats(t)->packets, 2);
	assert_int_equal(vt_stats(t)->bytes, 64 + 1518);
	/* No buffers left: the packet stays with the caller. */
	assert_int_equal(vring_enqueue_burst(t->q, &k->p[0], 1), 0);
	free(k);
	vt_free(t);
}

static void test_rx_legacy(void **state)
{
	struct vt *t = vt_new(64, MODE(state) ? F_PACKED : 0);
	struct vt_set *k = vt_pkts(1, 2048);
	struct vt_rx r;
	uint8_t want[2048];
	uint16_t id;
	uint32_t len;

	/* Neither VERSION_1 nor MRG_RXBUF: the 10-byte legacy header. */
	assert_int_equal(t->hdr, 10);
	vt_rx_post(t, &r, 1024, 2, false);
	vt_src(k, 0, 200, 5);
	assert_int_equal(vring_enqueue_burst(t->q, &k->p[0], 1), 1);
	assert_int_equal(fd_get_used(&t->d, &id, &len), 1);
	vt_rx_expect(want, 10, 1, 200, 5);
	vt_rx_check(t, &r, id, len, want, 10 + 200);
	free(k);
	vt_free(t);
}

static void test_rx_mrg(void **state)
{
	struct vt *t = vt_new(256, F_V1 | F_MRG | F_IND | MODE(state));
	struct vt_set *k = vt_pkts(2, 4096);
	struct vt_rx r;
	uint8_t want[4096];
	uint16_t id[4];
	uint32_t len[4];
	int i;

	/* The first buffer ends inside num_buffers: the patch straddles descriptors. */
	vt_rx_post2(t, &r, 1024, 11);
	for (i = 0; i < 3; i++)
		vt_rx_post(t, &r, 1024, 1, false);
	vt_src(k, 0, 3000, 8);
	assert_int_equal(vring_enqueue_burst(t->q, &k->p[0], 1), 1);
	vt_rx_expect(want, 12, 3, 3000, 8);
	for (i = 0; i < 3; i++)
		assert_int_equal(fd_get_used(&t->d, &id[i], &len[i]), 1);
	assert_int_equal(fd_get_used(&t->d, &id[3], &len[3]), 0);
	vt_rx_check(t, &r, id[0], len[0], want, 1024);
	vt_rx_check(t, &r, id[1], len[1], want + 1024, 1024);
	vt_rx_check(t, &r, id[2], len[2], want + 2048, 12 + 3000 - 2048);
	/* One 1024-byte buffer left: a 2000-byte packet needs two, so it waits. */
	vt_src(k, 1, 2000, 9);
	assert_int_equal(vring_enqueue_burst(t->q, &k->p[1], 1), 0);
	assert_int_equal(vt_stats(t)->drop[VRING_DROP_RX_SMALL], 0);
	vt_rx_post(t, &r, 1024, 1, true);
	assert_int_equal(vring_enqueue_burst(t->q, &k->p[1], 1), 1);
	vt_rx_expect(want, 12, 2, 2000, 9);
	assert_int_equal(fd_get_used(&t->d, &id[0], &len[0]), 1);
	assert_int_equal(fd_get_used(&t->d, &id[1], &len[1]), 1);
	vt_rx_check(t, &r, id[0], len[0], want, 1024);
	vt_rx_check(t, &r, id[1], len[1], want + 1024, 12 + 2000 - 1024);
	free(k);
	vt_free(t);
}

/* Without MRG_RXBUF a packet too big for one buffer drops, and the buffer stays posted. */
static void test_rx_small(void **state)
{
	struct vt *t = vt_new(256, F_V1 | MODE(state));
	struct vt_set *k = vt_pkts(2, 2048);
	struct vt_rx r;
	uint8_t want[2048];
	uint16_t id;
	uint32_t len;

	vt_rx_post(t, &r, 1000, 1, false);
	vt_src(k, 0, 1518, 1);
	vt_src(k, 1, 100, 2);
	assert_int_equal(vring_enqueue_burst(t->q, &k->p[0], 2), 2);
	assert_int_equal(vt_stats(t)->drop[VRING_DROP_RX_SMALL], 1);
	assert_int_equal(vt_stats(t)->packets, 1);
	assert_int_equal(fd_get_used(&t->d, &id, &len), 1);
	vt_rx_expect(want, 12, 1, 100, 2);
	/* Past byte 112 the buffer holds the start of the dropped packet: no canary. */
	vt_rx_check2(t, &r, id, len, want, 112, false);
	assert_int_equal(fd_get_used(&t->d, &id, &len), 0);
	free(k);
	vt_free(t);
}

static void test_rx_indirect(void **state)
{
	struct vt *t = vt_new(256, F_V1 | F_IND | MODE(state));
	struct vt_set *k = vt_pkts(1, 2048);
	struct vt_rx r;
	uint8_t want[2048];
	uint16_t id;
	uint32_t len;

	vt_rx_post(t, &r, 1600, 4, true);
	vt_src(k, 0, 1500, 3);
	assert_int_equal(vring_enqueue_burst(t->q, &k->p[0], 1), 1);
	assert_int_equal(fd_get_used(&t->d, &id, &len), 1);
	vt_rx_expect(want, 12, 1, 1500, 3);
	vt_rx_check(t, &r, id, len, want, 1512);
	free(k);
	vt_free(t);
}

/* ---- in order ---- */

static void test_in_order_tx(void **state)
{
	struct vt *t = vt_new(64, F_V1 | F_INO | MODE(state));
	struct vt_set *k = vt_pkts(10, 2048);
	struct fd_seg s;
	uint16_t id;
	uint32_t len;
	int i, ids[10];

	for (i = 0; i < 10; i++) {
		s = (struct fd_seg){vt_frame(t, 64, (uint32_t)i), t->hdr + 64, 0};
		ids[i] = fd_post(&t->d, &s, 1, false);
	}
	assert_int_equal(vring_dequeue_burst(t->q, &k->p[0], 10), 10);
	/* One used entry for the whole burst, naming the last chain. */
	if (MODE(state)) {
		uint16_t *d0 = (uint16_t *)t->d.desc;

		assert_int_equal(d0[6], ids[9]);
		assert_int_equal(((uint16_t *)t->d.desc)[8 * 1 + 7] & 0x8080, 0x0080);
	} else {
		uint32_t *u = (uint32_t *)t->d.dev;

		assert_int_equal(((uint16_t *)u)[1], 10);
		assert_int_equal(u[1], ids[9]);
		assert_int_equal(u[3], 0);
	}
	for (i = 0; i < 10; i++) {
		vt_check_pkt(&k->p[i], 64, (uint32_t)i);
		assert_int_equal(fd_get_used(&t->d, &id, &len), 1);
		assert_int_equal(id, ids[i]);
	}
	assert_int_equal(fd_get_used(&t->d, &id, &len), 0);
	free(k);
	vt_free(t);
}

/* ---- notifications ---- */

static void vt_tx_n(struct vt *t, struct vt_set *k, int n)
{
	struct fd_seg s;
	uint16_t id;
	uint32_t len;
	int i;

	for (i = 0; i < n; i++) {
		s = (struct fd_seg){vt_frame(t, 60, 1), t->hdr + 60, 0};
		assert_true(fd_post(&t->d, &s, 1, false) >= 0);
	}
	assert_int_equal(vring_dequeue_burst(t->q, &k->p[0], 1), 1);
	for (i = 1; i < n; i++)
		assert_int_equal(vring_dequeue_burst(t->q, &k->p[0], 1), 1);
	(void)id;
	(void)len;
}

static void vt_reap(struct vt *t)
{
	uint16_t id;
	uint32_t len;

	while (fd_get_used(&t->d, &id, &len) == 1)
		;
}

static void test_notify_flags(void **state)
{
	struct vt *t = vt_new(16, F_V1 | MODE(state));
	struct vt_set *k = vt_pkts(1, 2048);

	assert_false(vring_notify_needed(t->q)); /* nothing published yet */
	vt_tx_n(t, k, 1);
	assert_true(vring_notify_needed(t->q));
	assert_false(vring_notify_needed(t->q)); /* nothing new since */
	vt_reap(t);
	fd_interrupts(&t->d, false);
	vt_tx_n(t, k, 1);
	assert_false(vring_notify_needed(t->q));
	fd_interrupts(&t->d, true);
	vt_tx_n(t, k, 1);
	assert_true(vring_notify_needed(t->q));
	assert_int_equal(vt_stats(t)->notifies, 2);
	free(k);
	vt_free(t);
}

static void test_notify_event_idx(void **state)
{
	struct vt *t = vt_new(16, F_V1 | F_EVT | MODE(state));
	struct vt_set *k = vt_pkts(1, 2048);
	int i;

	/* Used entries 0..2 go out; the driver asked for an interrupt at entry 4. */
	fd_set_used_event(&t->d, 4, true);
	vt_tx_n(t, k, 3);
	assert_false(vring_notify_needed(t->q));
	vt_tx_n(t, k, 2); /* entries 3 and 4: crosses 4 */
	assert_true(vring_notify_needed(t->q));
	vt_tx_n(t, k, 3); /* 5..7: event still 4 */
	assert_false(vring_notify_needed(t->q));
	vt_reap(t);
	/* Around the ring: event at entry 18 (position 2 of the next lap). */
	fd_set_used_event(&t->d, MODE(state) ? 2 : 18, false);
	for (i = 0; i < 8; i++)
		vt_tx_n(t, k, 1);
	assert_false(vring_notify_needed(t->q)); /* up to 15 */
	vt_reap(t);
	vt_tx_n(t, k, 3); /* 16..18 */
	assert_true(vring_notify_needed(t->q));
	free(k);
	vt_free(t);
}

static void test_driver_kicks(void **state)
{
	struct vt *t = vt_new(16, F_V1 | MODE(state));
	struct vt_set *k = vt_pkts(1, 2048);
	struct fd_seg s = {vt_frame(t, 60, 1), t->hdr + 60, 0};

	fd_post(&t->d, &s, 1, false);
	assert_true(fd_kick_needed(&t->d));
	vring_set_driver_kicks(t->q, false);
	fd_post(&t->d, &s, 1, false);
	assert_false(fd_kick_needed(&t->d));
	vring_set_driver_kicks(t->q, true);
	fd_post(&t->d, &s, 1, false);
	assert_true(fd_kick_needed(&t->d));
	free(k);
	vt_free(t);
}

static void test_driver_kicks_event_idx(void **state)
{
	struct vt *t = vt_new(16, F_V1 | F_EVT | MODE(state));
	struct vt_set *k = vt_pkts(4, 2048);
	struct fd_seg s = {vt_frame(t, 60, 1), t->hdr + 60, 0};

	vring_set_driver_kicks(t->q, true); /* avail_event = 0: kick on the first buffer */
	fd_post(&t->d, &s, 1, false);
	assert_true(fd_kick_needed(&t->d));
	fd_post(&t->d, &s, 1, false);
	assert_false(fd_kick_needed(&t->d)); /* device has not caught up: no second kick */
	assert_int_equal(vring_dequeue_burst(t->q, &k->p[0], 4), 2);
	fd_post(&t->d, &s, 1, false); /* the burst moved avail_event to 2 */
	assert_true(fd_kick_needed(&t->d));
	vring_set_driver_kicks(t->q, false);
	assert_int_equal(vring_dequeue_burst(t->q, &k->p[0], 4), 1);
	fd_post(&t->d, &s, 1, false); /* event left at 2 while polling */
	assert_false(fd_kick_needed(&t->d));
	free(k);
	vt_free(t);
}

/* Many laps of a small ring, mixed sizes, both directions' bookkeeping intact. */
static void test_laps(void **state)
{
	struct vt *t = vt_new(8, F_V1 | F_IND | F_MRG | MODE(state));
	struct vt_set *k = vt_pkts(4, 2048);
	uint64_t g = vt_frame(t, 1500, 6);
	struct fd_seg s[3] = {{g, 5, 0}, {g + 5, 500, 0}, {g + 505, t->hdr + 995, 0}};
	uint16_t id;
	uint32_t len;
	int i, j, n;

	for (i = 0; i < 200; i++) {
		n = 1 + i % 3;
		for (j = 0; j < n; j++)
			assert_true(fd_post(&t->d, s, 3, (i + j) % 2) >= 0);
		assert_int_equal(vring_dequeue_burst(t->q, &k->p[0], 4), n);
		for (j = 0; j < n; j++) {
			vt_check_pkt(&k->p[j], 1500, 6);
			assert_int_equal(fd_get_used(&t->d, &id, &len), 1);
		}
	}
	assert_int_equal(vt_stats(t)->packets, 399); /* 67 * 1 + 67 * 2 + 66 * 3 */
	free(k);
	vt_free(t);
}

static void test_create_checks(void **state)
{
	struct vt *t = vt_new(16, F_V1 | MODE(state));
	struct vring_queue_config cfg;
	struct vring_queue *q;

	fd_config(&t->d, &cfg);
	cfg.size = 0;
	assert_int_equal(vring_queue_create(&cfg, &q), -EINVAL);
	cfg.size = VRING_MAX_SIZE * 2;
	assert_int_equal(vring_queue_create(&cfg, &q), -EINVAL);
	cfg.size = 12; /* packed: fine; split: not a power of two */
	assert_int_equal(vring_queue_create(&cfg, &q), MODE(state) ? 0 : -EINVAL);
	if (MODE(state))
		vring_queue_destroy(q);
	cfg.size = 16;
	cfg.desc = (uint8_t *)cfg.desc + 8;
	assert_int_equal(vring_queue_create(&cfg, &q), -EINVAL);
	fd_config(&t->d, &cfg);
	cfg.mem.to_host = NULL;
	assert_int_equal(vring_queue_create(&cfg, &q), -EINVAL);
	fd_config(&t->d, &cfg);
	cfg.last_avail = 0x8000 | 16;
	assert_int_equal(vring_queue_create(&cfg, &q), MODE(state) ? -EINVAL : 0);
	if (!MODE(state))
		vring_queue_destroy(q);
	assert_string_equal(vring_err_name(VRING_ERR_DESC_LOOP), "desc_loop");
	assert_string_equal(vring_drop_name(VRING_DROP_RX_SMALL), "rx_small");
	vt_free(t);
}

static uint64_t split_mode = 0, packed_mode = F_PACKED;

#define BOTH(f)                                                                                    \
	cmocka_unit_test_prestate(f, &split_mode), cmocka_unit_test_prestate(f, &packed_mode)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    BOTH(test_tx_one),	      BOTH(test_tx_layouts),
	    BOTH(test_tx_legacy_hdr), BOTH(test_tx_burst_cap),
	    BOTH(test_tx_extend),     BOTH(test_tx_too_big),
	    BOTH(test_rx_one),	      BOTH(test_rx_legacy),
	    BOTH(test_rx_mrg),	      BOTH(test_rx_small),
	    BOTH(test_rx_indirect),   BOTH(test_in_order_tx),
	    BOTH(test_notify_flags),  BOTH(test_notify_event_idx),
	    BOTH(test_driver_kicks),  BOTH(test_driver_kicks_event_idx),
	    BOTH(test_laps),	      BOTH(test_create_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
