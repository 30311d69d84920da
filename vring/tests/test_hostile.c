// SPDX-License-Identifier: BSD-3-Clause
/*
 * Hostile-driver tests: each bad ring must fail the burst with -EIO, count exactly one
 * stats->err[] of the right kind and break the queue. Guest memory sits between PROT_NONE
 * guard pages, so any access outside it kills the test.
 */
#include "vt.h"

#define MODE(state) (*(uint64_t *)*(state))

enum hf { H_ADDR, H_LEN, H_FLAGS, H_NEXT, H_ID };

/* Sets one field of the 16-byte descriptor at d (split or packed layout). H_FLAGS ORs. */
static void hset(struct vt *t, uint8_t *d, enum hf f, uint64_t v)
{
	uint16_t v16 = (uint16_t)v, old;
	uint32_t v32 = (uint32_t)v;
	unsigned fo = t->d.packed ? 14 : 12;

	switch (f) {
	case H_ADDR:
		memcpy(d, &v, 8);
		break;
	case H_LEN:
		memcpy(d + 8, &v32, 4);
		break;
	case H_FLAGS:
		memcpy(&old, d + fo, 2);
		old |= v16;
		memcpy(d + fo, &old, 2);
		break;
	case H_NEXT:
		memcpy(d + 14, &v16, 2);
		break;
	case H_ID:
		memcpy(d + 12, &v16, 2);
		break;
	}
}

/* k-th ring descriptor of chain id (posted without indirect). */
static uint8_t *hring(struct vt *t, int id, unsigned k)
{
	unsigned pos = t->d.packed ? k : t->d.slot[id].desc[k];

	return (uint8_t *)t->d.desc + 16 * pos;
}

static uint8_t *hind(struct vt *t, int id, unsigned k)
{
	return fg_host(&t->m, t->d.slot[id].ind_gpa + 16 * k);
}

/* A good 100-byte TX frame in n descriptors (through an indirect table if ind). */
static int htx(struct vt *t, unsigned n, bool ind)
{
	uint64_t g = vt_frame(t, 100, 1);
	uint32_t all = t->hdr + 100, part = all / n;
	struct fd_seg s[FD_MAX_SEGS];
	unsigned i;
	int id;

	for (i = 0; i < n; i++)
		s[i] = (struct fd_seg){g + i * part, i + 1 < n ? part : all - i * part, 0};
	id = fd_post(&t->d, s, n, ind);
	assert_true(id >= 0);
	return id;
}

static int hrx(struct vt *t, unsigned n, bool ind)
{
	uint64_t g = fg_alloc(&t->m, 2048, 8);
	struct fd_seg s[FD_MAX_SEGS];
	unsigned i;
	int id;

	for (i = 0; i < n; i++)
		s[i] = (struct fd_seg){g + i * 512, 512, FD_W};
	id = fd_post(&t->d, s, n, ind);
	assert_true(id >= 0);
	return id;
}

static void htx_expect(struct vt *t, enum vring_err e)
{
	struct vt_pkt *k = malloc(sizeof(*k));

	vt_pkt_init(k, 2048);
	assert_int_equal(vring_dequeue_burst(t->q, &k->p, 8), -EIO);
	vt_assert_broken(t, e);
	free(k);
	vt_free(t);
}

static void hrx_expect(struct vt *t, enum vring_err e)
{
	struct vt_pkt *k = malloc(sizeof(*k));

	vt_pkt_init(k, 2048);
	vt_fill(k->data, 1000, 1);
	k->b.len = 1000;
	k->p.len = 1000;
	assert_int_equal(vring_enqueue_burst(t->q, &k->p, 1), -EIO);
	vt_assert_broken(t, e);
	free(k);
	vt_free(t);
}

static struct vt *hnew(void **state, uint32_t size, uint64_t extra)
{
	return vt_new(size, F_V1 | F_IND | MODE(state) | extra);
}

static void test_loop(void **state)
{
	struct vt *t = hnew(state, 4, 0);
	int id = htx(t, t->d.packed ? 4 : 2, false);

	if (t->d.packed) /* NEXT on the last one too: the chain runs round the ring */
		hset(t, hring(t, id, 3), H_FLAGS, 1);
	else /* second descriptor points back at the head */
		hset(t, hring(t, id, 1), H_FLAGS, 1), hset(t, hring(t, id, 1), H_NEXT, id);
	htx_expect(t, VRING_ERR_DESC_LOOP);
}

static void test_loop_indirect(void **state)
{
	struct vt *t = hnew(state, 16, 0);
	int id = htx(t, 3, true);

	if (t->d.packed) { /* packed tables have no links: a nested table instead */
		hset(t, hind(t, id, 2), H_FLAGS, 4);
		htx_expect(t, VRING_ERR_INDIRECT);
		return;
	}
	hset(t, hind(t, id, 2), H_FLAGS, 1);
	hset(t, hind(t, id, 2), H_NEXT, 0);
	htx_expect(t, VRING_ERR_DESC_LOOP);
}

static void test_next_range(void **state)
{
	struct vt *t = hnew(state, 16, 0);
	int id = htx(t, 2, MODE(state) != 0);

	if (t->d.packed) /* packed: a buffer id out of range instead */
		hset(t, hring(t, id, 0), H_ID, 16);
	else
		hset(t, hring(t, id, 0), H_NEXT, 16);
	htx_expect(t, t->d.packed ? VRING_ERR_PACKED_ID : VRING_ERR_DESC_INDEX);
}

static void test_next_range_indirect(void **state)
{
	struct vt *t = hnew(state, 16, 0);
	int id = htx(t, 2, true);

	if (t->d.packed) { /* the id in the last (only) ring descriptor */
		hset(t, hring(t, id, 0), H_ID, 0xffff);
		htx_expect(t, VRING_ERR_PACKED_ID);
		return;
	}
	hset(t, hind(t, id, 0), H_NEXT, 2); /* table has 2 entries */
	htx_expect(t, VRING_ERR_DESC_INDEX);
}

static void test_head_range(void **state)
{
	struct vt *t = hnew(state, 16, 0);

	htx(t, 1, false);
	if (t->d.packed) {
		hset(t, hring(t, 0, 0), H_ID, 17);
		htx_expect(t, VRING_ERR_PACKED_ID);
		return;
	}
	((uint16_t *)t->d.drv)[2] = 16;
	htx_expect(t, VRING_ERR_DESC_INDEX);
}

static void test_avail_jump(void **state)
{
	struct vt *t = hnew(state, 16, 0);

	(void)state;
	htx(t, 1, false);
	((uint16_t *)t->d.drv)[1] = 17;
	assert_int_equal(vring_avail_count(t->q), 16);
	htx_expect(t, VRING_ERR_AVAIL_IDX);
}

static void hind_len(void **state, uint32_t len)
{
	struct vt *t = hnew(state, 16, 0);
	int id = htx(t, 2, true);

	hset(t, hring(t, id, 0), H_LEN, 0);
	hset(t, hring(t, id, 0), H_LEN, len);
	htx_expect(t, VRING_ERR_INDIRECT);
}

static void test_ind_len_odd(void **state)
{
	hind_len(state, 17);
}

static void test_ind_len_zero(void **state)
{
	hind_len(state, 0);
}

static void test_ind_len_big(void **state)
{
	hind_len(state, 17 * 16); /* more entries than the queue size */
}

static void test_ind_nested(void **state)
{
	struct vt *t = hnew(state, 16, 0);
	int id = htx(t, 2, true);

	hset(t, hind(t, id, 1), H_FLAGS, 4);
	htx_expect(t, VRING_ERR_INDIRECT);
}

static void test_ind_next(void **state)
{
	struct vt *t = hnew(state, 16, 0);
	int id = htx(t, 2, true);

	hset(t, hring(t, id, 0), H_FLAGS, 1);
	htx_expect(t, VRING_ERR_INDIRECT);
}

static void test_ind_unnegotiated(void **state)
{
	struct vt *t = vt_new(16, F_V1 | MODE(state));
	int id = htx(t, 2, true);

	(void)id;
	htx_expect(t, VRING_ERR_INDIRECT);
}

static void test_ind_table_hole(void **state)
{
	struct vt *t = hnew(state, 16, 0);
	int id = htx(t, 2, true);

	hset(t, hring(t, id, 0), H_ADDR, FG_HOLE + 64);
	htx_expect(t, VRING_ERR_INDIRECT);
}

/* An indirect table straddling R0 and R1 is legal and must work. */
static void test_ind_table_straddle(void **state)
{
	struct vt *t = hnew(state, 16, 0);
	int id = htx(t, 3, true);
	uint8_t tbl[48];
	struct vt_pkt *k = malloc(sizeof(*k));

	fg_read(&t->m, t->d.slot[id].ind_gpa, tbl, 48);
	fg_write(&t->m, FG_R1_GPA - 24, tbl, 48);
	hset(t, hring(t, id, 0), H_ADDR, 0);
	hset(t, hring(t, id, 0), H_ADDR, FG_R1_GPA - 24);
	vt_pkt_init(k, 2048);
	assert_int_equal(vring_dequeue_burst(t->q, &k->p, 1), 1);
	vt_check_pkt(&k->p, 100, 1);
	assert_false(vring_queue_broken(t->q));
	free(k);
	vt_free(t);
}

static void haddr(void **state, uint64_t addr, uint32_t len, bool rx)
{
	struct vt *t = hnew(state, 16, 0);
	int id = rx ? hrx(t, 2, false) : htx(t, 2, false);

	hset(t, hring(t, id, 1), H_ADDR, addr);
	hset(t, hring(t, id, 1), H_LEN, 0);
	hset(t, hring(t, id, 1), H_LEN, len);
	if (rx)
		hrx_expect(t, VRING_ERR_DESC_ADDR);
	else
		htx_expect(t, VRING_ERR_DESC_ADDR);
}

static void test_addr_wrap(void **state)
{
	haddr(state, UINT64_MAX - 10, 100, false);
	haddr(state, UINT64_MAX - 10, 1000, true);
}

static void test_addr_outside(void **state)
{
	haddr(state, FG_HOLE + 4096, 100, false);
	haddr(state, FG_R2_GPA + FG_R2_SIZE, 100, true);
	haddr(state, 0, 100, false);
}

static void test_addr_into_hole(void **state)
{
	/* Starts mapped at the end of R1, runs into the hole: the first part may be touched,
	 * nothing past it. */
	haddr(state, FG_HOLE - 20, 100, false);
	haddr(state, FG_HOLE - 20, 1000, true);
}

static void test_zero_len(void **state)
{
	struct vt *t = hnew(state, 16, 0);
	int id = htx(t, 3, false);

	hset(t, hring(t, id, 1), H_LEN, 0);
	hset(t, hring(t, id, 1), H_LEN, 0);
	htx_expect(t, VRING_ERR_DESC_LEN);
}

static void test_chain_too_long(void **state)
{
	struct vt *t = hnew(state, 16, 0);
	int id = htx(t, 2, false);

	/* 2 x 40000 bytes of R0: more than any packet. */
	hset(t, hring(t, id, 0), H_ADDR, 0);
	hset(t, hring(t, id, 0), H_ADDR, FG_R0_GPA);
	hset(t, hring(t, id, 0), H_LEN, 40000);
	hset(t, hring(t, id, 1), H_ADDR, 0);
	hset(t, hring(t, id, 1), H_ADDR, FG_R0_GPA);
	hset(t, hring(t, id, 1), H_LEN, 40000);
	htx_expect(t, VRING_ERR_DESC_LEN);
}

static void test_short_hdr(void **state)
{
	struct vt *t = hnew(state, 16, 0);
	struct fd_seg s = {vt_frame(t, 0, 1), 8, 0};

	fd_post(&t->d, &s, 1, false);
	htx_expect(t, VRING_ERR_HDR);
	t = hnew(state, 16, 0);
	s = (struct fd_seg){fg_alloc(&t->m, 8, 8), 8, FD_W};
	fd_post(&t->d, &s, 1, false);
	hrx_expect(t, VRING_ERR_HDR);
}

static void test_flags_dir(void **state)
{
	struct vt *t = hnew(state, 16, 0);
	int id = htx(t, 2, false);

	hset(t, hring(t, id, 1), H_FLAGS, 2); /* TX buffer marked device-writable */
	htx_expect(t, VRING_ERR_DESC_FLAGS);
	t = hnew(state, 16, 0);
	id = hrx(t, 2, true);
	memset(hind(t, id, 1) + (t->d.packed ? 14 : 12), 0, 1); /* RX buffer read-only */
	hrx_expect(t, VRING_ERR_DESC_FLAGS);
}

/* RX into a buffer straddling R0 and R1 works and leaves the bytes around it alone. */
static void test_rx_straddle(void **state)
{
	struct vt *t = hnew(state, 16, 0);
	struct vt_pkt *k = malloc(sizeof(*k));
	struct fd_seg s = {FG_R1_GPA - 100, 600, FD_W};
	uint8_t got[700], want[600];
	uint16_t id;
	uint32_t len;

	fd_post(&t->d, &s, 1, false);
	vt_pkt_init(k, 2048);
	vt_fill(k->data, 500, 4);
	k->b.len = 500;
	k->p.len = 500;
	memcpy(&k->p.hdr, &(struct vring_net_hdr){1, 3, 0x0102, 0x0304, 0x0506, 0x0708, 0},
	       sizeof(k->p.hdr));
	assert_int_equal(vring_enqueue_burst(t->q, &k->p, 1), 1);
	assert_int_equal(fd_get_used(&t->d, &id, &len), 1);
	assert_int_equal(len, 512);
	memcpy(want, vt_hdr_bytes, 10);
	want[10] = 1;
	want[11] = 0;
	vt_fill(want + 12, 500, 4);
	fg_read(&t->m, FG_R1_GPA - 150, got, 700);
	for (int i = 0; i < 50; i++)
		assert_int_equal(got[i], FG_CANARY);
	assert_memory_equal(got + 50, want, 512);
	for (int i = 50 + 512; i < 700; i++)
		assert_int_equal(got[i], FG_CANARY);
	free(k);
	vt_free(t);
}

/* Packed descriptor at pos, written raw (flags last, as a driver publishes). */
static void hpdesc(struct vt *t, unsigned pos, uint64_t addr, uint32_t len, uint16_t id,
		   uint16_t flags)
{
	uint8_t *d = (uint8_t *)t->d.desc + 16 * pos;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &id, 2);
	memcpy(d + 14, &flags, 2);
}

/*
 * Packed, in order: a chain whose tail wraps onto a head taken earlier in the same burst
 * makes one burst take more descriptors than the ring holds (3 of 2). The used position
 * once left the ring (position 2 of 2: the next flush wrote past the descriptor ring);
 * now the queue breaks and the position stays inside. Found by tests/fuzz/fuzz_vring.
 */
static void test_packed_overlap_batch(void **state)
{
	struct vt *t = vt_new(2, F_V1 | F_PACKED | F_INO);
	struct vt_pkt *k = malloc(2 * sizeof(*k));
	struct vring_pkt pk[2];
	uint32_t len = t->hdr + 100;
	uint16_t avail1 = 1u << 7, used1 = 1u << 15, next = 1;

	(void)state;
	vt_pkt_init(&k[0], 2048);
	vt_pkt_init(&k[1], 2048);
	/* One honest round first: both indices move to position 1. */
	hpdesc(t, 0, vt_frame(t, 100, 1), len, 0, avail1);
	assert_int_equal(vring_dequeue_burst(t->q, &k[0].p, 1), 1);
	assert_int_equal(vring_last_avail(t->q), 0x8001);
	assert_int_equal(vring_last_used(t->q), 0x8001);
	/* A at position 1 (wrap 1); B at position 0 (wrap 0) chained onto A's descriptor. */
	hpdesc(t, 1, vt_frame(t, 100, 2), len, 1, avail1);
	hpdesc(t, 0, vt_frame(t, 100, 3), len, 0, used1 | next);
	pk[0] = k[0].p; /* the burst wants an array of packets */
	pk[1] = k[1].p;
	assert_int_equal(vring_dequeue_burst(t->q, pk, 2), 2);
	vt_check_pkt(&pk[0], 100, 2);
	assert_int_equal(pk[1].len, 100 + len);
	assert_true((vring_last_used(t->q) & 0x7fff) < 2);
	vt_assert_broken(t, VRING_ERR_DESC_LOOP);
	free(k);
	vt_free(t);
}

static uint64_t split_mode = 0, packed_mode = F_PACKED;

#define BOTH(f)                                                                                    \
	cmocka_unit_test_prestate(f, &split_mode), cmocka_unit_test_prestate(f, &packed_mode)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    BOTH(test_loop),	       BOTH(test_loop_indirect),
	    BOTH(test_next_range),     BOTH(test_next_range_indirect),
	    BOTH(test_head_range),     cmocka_unit_test_prestate(test_avail_jump, &split_mode),
	    BOTH(test_ind_len_odd),    BOTH(test_ind_len_zero),
	    BOTH(test_ind_len_big),    BOTH(test_ind_nested),
	    BOTH(test_ind_next),       BOTH(test_ind_unnegotiated),
	    BOTH(test_ind_table_hole), BOTH(test_ind_table_straddle),
	    BOTH(test_addr_wrap),      BOTH(test_addr_outside),
	    BOTH(test_addr_into_hole), BOTH(test_zero_len),
	    BOTH(test_chain_too_long), BOTH(test_short_hdr),
	    BOTH(test_flags_dir),      BOTH(test_rx_straddle),
	    cmocka_unit_test(test_packed_overlap_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
