// SPDX-License-Identifier: BSD-3-Clause
/*
 * "No double fetch": a guest may rewrite a descriptor the moment the device has read it. Here
 * the memory translation itself does that: when the engine asks for a packet's buffer k, the
 * fake to_host first rewrites descriptors 0..k of that chain (those the engine must already
 * have read), and the ring descriptor pointing at an indirect table, to hostile values: the
 * address of a decoy buffer, a longer length, flipped direction plus NEXT|INDIRECT, a wild
 * next / buffer id. The engine must still move exactly the bytes, lengths and ids it fetched
 * first, report no error, and leave the decoy alone. Each case on a split and a packed ring.
 */
#include "vt.h"

#define MODE(state) (*(uint64_t *)*(state)) /* F_PACKED or 0 */
#define DECOY_LEN   4096u
#define DECOY_BYTE  0xee

struct df {
	struct vt *t;
	uint64_t gpa[FD_MAX_SEGS]; /* the armed chain's buffers */
	uint32_t len[FD_MAX_SEGS];
	unsigned nbuf;
	uint8_t *desc[FD_MAX_SEGS]; /* its descriptors (ring or table entries), chain order */
	uint8_t *ring_ind;	    /* the ring descriptor naming the indirect table, or NULL */
	uint64_t decoy;
	unsigned hits; /* to_host calls that rewrote something */
};

static void df_clobber(struct df *f, uint8_t *d)
{
	uint64_t addr = f->decoy;
	uint32_t len;
	uint16_t flags, wild = 0xfff3;
	unsigned fo = f->t->d.packed ? 14 : 12; /* flags offset; the other u16 is next / id */

	memcpy(&len, d + 8, 4);
	len += 100;
	memcpy(&flags, d + fo, 2);
	flags ^= FD_W;
	flags |= 1 | 4; /* NEXT | INDIRECT */
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + fo, &flags, 2);
	memcpy(d + (f->t->d.packed ? 12 : 14), &wild, 2);
}

static void *df_to_host(void *ctx, uint64_t gpa, uint64_t want, uint64_t *contig)
{
	struct df *f = ctx;
	unsigned i, k;

	for (i = 0; i < f->nbuf; i++) {
		if (gpa < f->gpa[i] || gpa >= f->gpa[i] + f->len[i])
			continue;
		for (k = 0; k <= i && k < f->nbuf; k++)
			df_clobber(f, f->desc[k]);
		if (f->ring_ind)
			df_clobber(f, f->ring_ind);
		f->hits++;
		break;
	}
	return fg_to_host(&f->t->m, gpa, want, contig);
}

static struct df *df_new(void **state, uint64_t extra)
{
	struct df *f = calloc(1, sizeof(*f));
	struct vring_queue_config cfg;

	assert_non_null(f);
	f->t = vt_new(64, F_V1 | F_IND | MODE(state) | extra);
	f->decoy = fg_alloc(&f->t->m, DECOY_LEN, 64);
	memset(fg_host(&f->t->m, f->decoy), DECOY_BYTE, DECOY_LEN);
	vring_queue_destroy(f->t->q);
	fd_config(&f->t->d, &cfg);
	cfg.mem.to_host = df_to_host;
	cfg.mem.ctx = f;
	assert_int_equal(vring_queue_create(&cfg, &f->t->q), 0);
	return f;
}

/* Posts segs as one chain and arms the rewrite on it. */
static int df_post(struct df *f, const struct fd_seg *s, unsigned n, bool ind)
{
	struct fd_drv *d = &f->t->d;
	unsigned pos = d->avail_idx, i;
	int id = fd_post(d, s, n, ind);

	assert_true(id >= 0);
	f->nbuf = n;
	f->ring_ind = NULL;
	for (i = 0; i < n; i++) {
		f->gpa[i] = s[i].gpa;
		f->len[i] = s[i].len;
		if (ind)
			f->desc[i] = fg_host(&f->t->m, d->slot[id].ind_gpa + 16 * i);
		else if (d->packed)
			f->desc[i] = (uint8_t *)d->desc + 16 * ((pos + i) % d->size);
		else
			f->desc[i] = (uint8_t *)d->desc + 16 * d->slot[id].desc[i];
	}
	if (ind)
		f->ring_ind = (uint8_t *)d->desc + 16 * (d->packed ? pos : (unsigned)id);
	return id;
}

static void df_assert_clean(struct df *f)
{
	const uint8_t *p = fg_host(&f->t->m, f->decoy);
	unsigned i;

	assert_false(vring_queue_broken(f->t->q));
	for (i = 0; i < VRING_ERR_MAX; i++)
		assert_int_equal(vt_stats(f->t)->err[i], 0);
	for (i = 0; i < DECOY_LEN; i++)
		assert_int_equal(p[i], DECOY_BYTE);
	assert_true(f->hits >= f->nbuf); /* the rewrite really ran, once per buffer at least */
}

static void df_free(struct df *f)
{
	vt_free(f->t);
	free(f);
}

/* Guest TX: a 300-byte frame in n pieces (the header alone in the first if n > 1). */
static void df_tx(void **state, unsigned n, bool ind)
{
	struct df *f = df_new(state, 0);
	struct vt *t = f->t;
	uint64_t g = vt_frame(t, 300, 5);
	uint32_t all = t->hdr + 300, at = 0;
	struct fd_seg s[FD_MAX_SEGS];
	struct vt_pkt *k = malloc(sizeof(*k));
	uint16_t id;
	uint32_t len;
	unsigned i;
	int pid;

	for (i = 0; i < n; i++) {
		uint32_t l = i + 1 == n ? all - at : (i ? 100 : t->hdr);

		s[i] = (struct fd_seg){g + at, l, 0};
		at += l;
	}
	pid = df_post(f, s, n, ind);
	vt_pkt_init(k, 2048);
	assert_int_equal(vring_dequeue_burst(t->q, &k->p, 4), 1);
	vt_check_pkt(&k->p, 300, 5);
	assert_int_equal(k->b.len, 300);
	assert_int_equal(fd_get_used(&t->d, &id, &len), 1);
	assert_int_equal(id, pid);
	assert_int_equal(len, 0);
	df_assert_clean(f);
	free(k);
	df_free(f);
}

static void test_tx_one(void **state)
{
	df_tx(state, 1, false);
}

static void test_tx_chain(void **state)
{
	df_tx(state, 3, false);
}

static void test_tx_indirect(void **state)
{
	df_tx(state, 3, true);
}

/* Guest RX: a plen-byte packet into one chain of n 512-byte buffers (canary-filled). */
static void df_rx(void **state, unsigned n, bool ind, uint32_t plen)
{
	struct df *f = df_new(state, F_MRG);
	struct vt *t = f->t;
	uint64_t g = fg_alloc(&t->m, 512 * n + 64, 64);
	struct vt_pkt *k = malloc(sizeof(*k));
	uint8_t *want = malloc(512 * n + 64), *got = malloc(512 * n + 64);
	struct fd_seg s[FD_MAX_SEGS];
	uint32_t used = t->hdr + plen, len;
	uint16_t id;
	unsigned i;
	int pid;

	memset(want, 0x5a, 512 * n + 64);
	fg_write(&t->m, g, want, 512 * n + 64);
	for (i = 0; i < n; i++)
		s[i] = (struct fd_seg){g + 512 * i, 512, FD_W};
	pid = df_post(f, s, n, ind);
	vt_pkt_init(k, 4096);
	vt_fill(k->data, plen, 3);
	k->b.len = plen;
	k->p.len = plen;
	memcpy(&k->p.hdr, &(struct vring_net_hdr){1, 3, 0x102, 0x304, 0x506, 0x708, 0}, 12);
	assert_int_equal(vring_enqueue_burst(t->q, &k->p, 1), 1);
	assert_int_equal(fd_get_used(&t->d, &id, &len), 1);
	assert_int_equal(id, pid);
	assert_int_equal(len, used);
	/* Exactly header (num_buffers 1) and data, and not one byte past them. */
	memcpy(want, vt_hdr_bytes, t->hdr);
	want[10] = 1;
	vt_fill(want + t->hdr, plen, 3);
	fg_read(&t->m, g, got, 512 * n + 64);
	assert_memory_equal(got, want, 512 * n + 64);
	df_assert_clean(f);
	free(want);
	free(got);
	free(k);
	df_free(f);
}

static void test_rx_one(void **state)
{
	df_rx(state, 1, false, 200);
}

static void test_rx_chain(void **state)
{
	df_rx(state, 3, false, 1100);
}

static void test_rx_indirect(void **state)
{
	df_rx(state, 3, true, 1100);
}

static uint64_t split_mode = 0, packed_mode = F_PACKED;

#define BOTH(f)                                                                                    \
	cmocka_unit_test_prestate(f, &split_mode), cmocka_unit_test_prestate(f, &packed_mode)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    BOTH(test_tx_one), BOTH(test_tx_chain), BOTH(test_tx_indirect),
	    BOTH(test_rx_one), BOTH(test_rx_chain), BOTH(test_rx_indirect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
