/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vring <-> mbuf glue against a fake guest ring: exact bytes both ways, jumbo frames as
 * mbuf chains, an empty pool, lossless partial enqueue, and the offload mappings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fake_ring.h"
#include "pmd.h"

#define F_V1	  (1ull << VRING_F_VERSION_1)
#define HDR_LEN	  12u
#define POOL_SIZE 2047u

static struct rte_mempool *pool;

struct ctx {
	struct fr r;
	struct vring_queue *q;
	struct pmd_vq_stats st;
};

static int ctx_open(struct ctx *c, uint64_t features, vring_extend_fn ext)
{
	struct vring_queue_config cfg;

	memset(c, 0, sizeof(*c));
	if (fr_init(&c->r, features))
		return -1;
	fr_config(&c->r, &cfg, ext);
	return vring_queue_create(&cfg, &c->q);
}

static void ctx_close(struct ctx *c)
{
	vring_queue_destroy(c->q);
	fr_fini(&c->r);
}

static void fill(uint8_t *p, unsigned len, unsigned seed)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

/* Copies an mbuf chain out, checking the chain's own bookkeeping on the way. */
static unsigned flatten(const struct rte_mbuf *m, uint8_t *out, unsigned max)
{
	unsigned n = 0, segs = 0;

	for (const struct rte_mbuf *s = m; s; s = s->next, segs++) {
		assert_true(n + s->data_len <= max);
		memcpy(out + n, rte_pktmbuf_mtod(s, const uint8_t *), s->data_len);
		n += s->data_len;
	}
	assert_int_equal(segs, m->nb_segs);
	assert_int_equal(n, m->pkt_len);
	return n;
}

static struct rte_mbuf *mk_mbuf(const uint8_t *data, unsigned len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *last = m;
	unsigned off = 0;

	assert_non_null(m);
	while (off < len) {
		unsigned n = len - off;
		struct rte_mbuf *s = off ? rte_pktmbuf_alloc(pool) : m;

		assert_non_null(s);
		if (n > rte_pktmbuf_tailroom(s))
			n = rte_pktmbuf_tailroom(s);
		memcpy(rte_pktmbuf_mtod(s, uint8_t *), data + off, n);
		s->data_len = (uint16_t)n;
		if (s != m) {
			last->next = s;
			m->nb_segs++;
		}
		last = s;
		off += n;
	}
	m->pkt_len = len;
	return m;
}

static void assert_pool_full(void)
{
	assert_int_equal(rte_mempool_avail_count(pool), POOL_SIZE);
}

static void test_dequeue_small(void **state)
{
	static const unsigned lens[] = {60, 1000, 1514};
	uint8_t hdr[HDR_LEN] = {0}, data[2048], out[2048];
	struct rte_mbuf *pkts[32];
	struct ctx c;
	uint32_t id, len;
	int n;

	(void)state;
	assert_int_equal(ctx_open(&c, F_V1, pmd_vring_extend), 0);
	for (unsigned i = 0; i < 3; i++) {
		fill(data, lens[i], i);
		assert_true(fr_post_tx(&c.r, hdr, HDR_LEN, data, lens[i], 700) >= 0);
	}
	n = pmd_vring_dequeue(c.q, pool, pkts, 32, &c.st);
	assert_int_equal(n, 3);
	for (unsigned i = 0; i < 3; i++) {
		fill(data, lens[i], i);
		assert_int_equal(flatten(pkts[i], out, sizeof(out)), lens[i]);
		assert_memory_equal(out, data, lens[i]);
		assert_int_equal(pkts[i]->nb_segs, 1);
		assert_int_equal(pkts[i]->ol_flags, 0);
		rte_pktmbuf_free(pkts[i]);
	}
	assert_int_equal(c.st.packets, 3);
	assert_int_equal(c.st.bytes, 60 + 1000 + 1514);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(fr_used(&c.r, &id, &len), 1);
	assert_int_equal(fr_used(&c.r, &id, &len), 0);
	/* Nothing left: no mbuf taken from the pool for an empty ring. */
	assert_int_equal(pmd_vring_dequeue(c.q, pool, pkts, 32, &c.st), 0);
	assert_pool_full();
	ctx_close(&c);
}

static void test_dequeue_jumbo_chain(void **state)
{
	uint8_t hdr[HDR_LEN] = {0}, data[9000], out[9000];
	struct rte_mbuf *pkts[4];
	struct ctx c;

	(void)state;
	assert_int_equal(ctx_open(&c, F_V1, pmd_vring_extend), 0);
	fill(data, sizeof(data), 3);
	assert_true(fr_post_tx(&c.r, hdr, HDR_LEN, data, sizeof(data), 4000) >= 0);
	fill(data, 100, 9);
	assert_true(fr_post_tx(&c.r, hdr, HDR_LEN, data, 100, 4000) >= 0);
	assert_int_equal(pmd_vring_dequeue(c.q, pool, pkts, 4, &c.st), 2);
	/* 9000 bytes in 2048-byte data rooms: 4 full segments and 808 bytes. */
	assert_int_equal(pkts[0]->nb_segs, 5);
	assert_int_equal(pkts[0]->data_len, PMD_MBUF_DATA_ROOM);
	assert_int_equal(rte_pktmbuf_lastseg(pkts[0])->data_len, 9000 - 4 * PMD_MBUF_DATA_ROOM);
	fill(data, sizeof(data), 3);
	assert_int_equal(flatten(pkts[0], out, sizeof(out)), 9000);
	assert_memory_equal(out, data, 9000);
	assert_int_equal(pkts[1]->nb_segs, 1);
	assert_int_equal(pkts[1]->pkt_len, 100);
	rte_pktmbuf_free(pkts[0]);
	rte_pktmbuf_free(pkts[1]);
	assert_pool_full();
	ctx_close(&c);
}

static void test_dequeue_jumbo_no_extend(void **state)
{
	uint8_t hdr[HDR_LEN] = {0}, data[3000];
	struct rte_mbuf *pkts[4];
	struct ctx c;

	(void)state;
	assert_int_equal(ctx_open(&c, F_V1, NULL), 0);
	fill(data, sizeof(data), 1);
	assert_true(fr_post_tx(&c.r, hdr, HDR_LEN, data, 3000, 4000) >= 0);
	assert_true(fr_post_tx(&c.r, hdr, HDR_LEN, data, 64, 4000) >= 0);
	assert_int_equal(pmd_vring_dequeue(c.q, pool, pkts, 4, &c.st), 1);
	assert_int_equal(pkts[0]->pkt_len, 64);
	assert_int_equal(vring_queue_stats(c.q)->drop[VRING_DROP_TOO_BIG], 1);
	rte_pktmbuf_free(pkts[0]);
	assert_pool_full();
	ctx_close(&c);
}

/* Takes every mbuf out of the pool but keep; returns how many it took. */
static unsigned drain_pool(struct rte_mbuf **hold, unsigned max, unsigned keep)
{
	unsigned n = 0;

	while (n < max && (hold[n] = rte_pktmbuf_alloc(pool)))
		n++;
	for (unsigned i = 0; i < keep && n; i++)
		rte_pktmbuf_free(hold[--n]);
	return n;
}

static void test_dequeue_no_mbuf(void **state)
{
	uint8_t hdr[HDR_LEN] = {0}, data[5000];
	static struct rte_mbuf *hold[POOL_SIZE];
	struct rte_mbuf *pkts[4];
	struct ctx c;
	unsigned held;

	(void)state;
	assert_int_equal(ctx_open(&c, F_V1, pmd_vring_extend), 0);
	fill(data, sizeof(data), 5);
	assert_true(fr_post_tx(&c.r, hdr, HDR_LEN, data, 5000, 4000) >= 0);
	held = drain_pool(hold, POOL_SIZE, 0);
	assert_int_equal(held, POOL_SIZE);
	/* Empty pool: the packet stays in the guest ring. */
	assert_int_equal(pmd_vring_dequeue(c.q, pool, pkts, 4, &c.st), 0);
	assert_int_equal(c.st.no_mbuf, 1);
	assert_int_equal(vring_avail_count(c.q), 1);
	/* Two mbufs back: the head and one more, but a 5000-byte frame needs three. */
	rte_pktmbuf_free(hold[--held]);
	rte_pktmbuf_free(hold[--held]);
	assert_int_equal(pmd_vring_dequeue(c.q, pool, pkts, 4, &c.st), 0);
	assert_int_equal(c.st.no_mbuf_drop, 1);
	assert_int_equal(vring_queue_stats(c.q)->drop[VRING_DROP_TOO_BIG], 1);
	assert_int_equal(vring_avail_count(c.q), 0);
	while (held)
		rte_pktmbuf_free(hold[--held]);
	assert_pool_full();
	ctx_close(&c);
}

static void test_enqueue_lossless(void **state)
{
	uint8_t data[3][1500], out[2048];
	struct rte_mbuf *pkts[3];
	uint64_t gpa[3];
	struct ctx c;
	uint32_t id, len;

	(void)state;
	assert_int_equal(ctx_open(&c, F_V1, NULL), 0);
	for (unsigned i = 0; i < 3; i++) {
		fill(data[i], 1500, 20 + i);
		pkts[i] = mk_mbuf(data[i], 100 + i * 500);
	}
	gpa[0] = fr_post_rx(&c.r, 2048);
	gpa[1] = fr_post_rx(&c.r, 2048);
	assert_int_equal(pmd_vring_enqueue(c.q, F_V1, pkts, 3, &c.st), 2);
	assert_int_equal(c.st.burst_full, 1);
	/* The third is still ours, intact. */
	assert_int_equal(pkts[2]->pkt_len, 1100);
	assert_memory_equal(rte_pktmbuf_mtod(pkts[2], uint8_t *), data[2], 1100);
	gpa[2] = fr_post_rx(&c.r, 2048);
	assert_int_equal(pmd_vring_enqueue(c.q, F_V1, pkts + 2, 1, &c.st), 1);
	for (unsigned i = 0; i < 3; i++) {
		/* VERSION_1 without MRG_RXBUF: num_buffers is 1 (virtio 1.2, 5.1.6.4). */
		static const uint8_t plain[HDR_LEN] = {[10] = 1};

		assert_int_equal(fr_used(&c.r, &id, &len), 1);
		assert_int_equal(len, HDR_LEN + 100 + i * 500);
		memcpy(out, fr_host(&c.r, gpa[i]), len);
		assert_memory_equal(out, plain, HDR_LEN);
		assert_memory_equal(out + HDR_LEN, data[i], 100 + i * 500);
	}
	assert_int_equal(c.st.packets, 3);
	assert_int_equal(c.st.bytes, 100 + 600 + 1100);
	assert_pool_full();
	ctx_close(&c);
}

static void test_roundtrip_jumbo(void **state)
{
	uint8_t hdr[HDR_LEN] = {0}, data[9000];
	struct rte_mbuf *pkts[2];
	struct ctx tx, rx;
	uint64_t gpa;
	uint32_t id, len;

	(void)state;
	assert_int_equal(ctx_open(&tx, F_V1, pmd_vring_extend), 0);
	assert_int_equal(ctx_open(&rx, F_V1, NULL), 0);
	fill(data, sizeof(data), 77);
	assert_true(fr_post_tx(&tx.r, hdr, HDR_LEN, data, 9000, 1500) >= 0);
	assert_int_equal(pmd_vring_dequeue(tx.q, pool, pkts, 2, &tx.st), 1);
	gpa = fr_post_rx(&rx.r, 9100);
	assert_int_equal(pmd_vring_enqueue(rx.q, F_V1, pkts, 1, &rx.st), 1);
	assert_int_equal(fr_used(&rx.r, &id, &len), 1);
	assert_int_equal(len, HDR_LEN + 9000);
	assert_memory_equal((uint8_t *)fr_host(&rx.r, gpa) + HDR_LEN, data, 9000);
	assert_pool_full();
	ctx_close(&tx);
	ctx_close(&rx);
}

/* ---- offloads ---- */

static uint32_t sum16(const uint8_t *p, unsigned len, uint32_t s)
{
	for (unsigned i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Ethernet + IPv4 + TCP (or UDP) with len payload bytes; the L4 checksum field holds the
 * pseudo-header sum, as a guest leaves it for NEEDS_CSUM. Returns the frame length. */
static unsigned mk_v4(uint8_t *f, uint8_t proto, unsigned payload)
{
	unsigned l4 = proto == 6 ? 20 : 8, iplen = 20 + l4 + payload;
	uint32_t ps;

	memset(f, 0, 14 + iplen);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	f[14] = 0x45;
	f[16] = (uint8_t)(iplen >> 8);
	f[17] = (uint8_t)iplen;
	f[22] = 64;
	f[23] = proto;
	memcpy(f + 26, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	f[34] = 0x12, f[35] = 0x34, f[36] = 0x00, f[37] = 0x50;
	if (proto == 6)
		f[46] = 0x50; /* data offset 5 words */
	else
		f[38] = (uint8_t)((8 + payload) >> 8), f[39] = (uint8_t)(8 + payload);
	fill(f + 34 + l4, payload, 11);
	ps = fold(sum16(f + 26, 8, proto + l4 + payload));
	f[34 + (proto == 6 ? 16 : 6)] = (uint8_t)(ps >> 8);
	f[34 + (proto == 6 ? 17 : 7)] = (uint8_t)ps;
	return 14 + iplen;
}

/* Whether the L4 checksum of an IPv4 frame verifies (pseudo-header included). */
static bool v4_l4_ok(const uint8_t *f, unsigned flen)
{
	unsigned l4len = flen - 34;
	uint32_t s = sum16(f + 26, 8, (uint32_t)f[23] + l4len);

	return fold(sum16(f + 34, l4len, s)) == 0xffff;
}

static struct rte_mbuf *dq_one(struct ctx *c, const struct vring_net_hdr *h, const uint8_t *f,
			       unsigned len, int expect)
{
	uint8_t hdr[HDR_LEN] = {h->flags, h->gso_type};
	struct rte_mbuf *m = NULL;

	memcpy(hdr + 2, &h->hdr_len, 2);
	memcpy(hdr + 4, &h->gso_size, 2);
	memcpy(hdr + 6, &h->csum_start, 2);
	memcpy(hdr + 8, &h->csum_offset, 2);
	assert_true(fr_post_tx(&c->r, hdr, HDR_LEN, f, len, 4096) >= 0);
	assert_int_equal(pmd_vring_dequeue(c->q, pool, &m, 1, &c->st), expect);
	return m;
}

static void test_offload_dequeue_csum(void **state)
{
	struct vring_net_hdr h = {
	    .flags = PMD_VNET_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 16};
	uint8_t f[2048], out[2048];
	struct rte_mbuf *m;
	struct ctx c;
	unsigned len;

	(void)state;
	assert_int_equal(ctx_open(&c, F_V1, pmd_vring_extend), 0);
	len = mk_v4(f, 6, 100);
	m = dq_one(&c, &h, f, len, 1);
	assert_int_equal(m->ol_flags, RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4);
	assert_int_equal(m->l2_len, 14);
	assert_int_equal(m->l3_len, 20);
	rte_pktmbuf_free(m);
	/* UDP */
	len = mk_v4(f, 17, 33);
	h.csum_offset = 6;
	m = dq_one(&c, &h, f, len, 1);
	assert_int_equal(m->ol_flags, RTE_MBUF_F_TX_UDP_CKSUM | RTE_MBUF_F_TX_IPV4);
	rte_pktmbuf_free(m);
	/* Not the TCP field (csum_offset 10): done in software, result verifies. */
	len = mk_v4(f, 6, 101);
	f[44] = f[50], f[45] = f[51]; /* move the partial sum to offset 10 */
	f[50] = f[51] = 0;
	h.csum_offset = 10;
	m = dq_one(&c, &h, f, len, 1);
	assert_int_equal(m->ol_flags, 0);
	assert_int_equal(c.st.csum_sw, 1);
	flatten(m, out, sizeof(out));
	out[50] = out[44], out[51] = out[45]; /* put it back where TCP keeps it */
	out[44] = out[45] = 0;
	assert_true(v4_l4_ok(out, len));
	rte_pktmbuf_free(m);
	/* csum_start + csum_offset past the end: dropped, counted. */
	h.csum_start = 1000;
	dq_one(&c, &h, f, len, 0);
	assert_int_equal(c.st.offload_drop, 1);
	assert_pool_full();
	ctx_close(&c);
}

static void test_offload_dequeue_gso(void **state)
{
	struct vring_net_hdr h = {.flags = PMD_VNET_HDR_F_NEEDS_CSUM,
				  .gso_type = PMD_VNET_GSO_TCPV4,
				  .hdr_len = 54,
				  .gso_size = 1448,
				  .csum_start = 34,
				  .csum_offset = 16};
	uint8_t f[9100];
	struct rte_mbuf *m;
	struct ctx c;
	unsigned len;

	(void)state;
	assert_int_equal(ctx_open(&c, F_V1, pmd_vring_extend), 0);
	len = mk_v4(f, 6, 8000);
	m = dq_one(&c, &h, f, len, 1);
	assert_int_equal(m->ol_flags, RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4);
	assert_int_equal(m->tso_segsz, 1448);
	assert_int_equal(m->l2_len + m->l3_len + m->l4_len, 54);
	assert_int_equal(m->nb_segs, 4);
	rte_pktmbuf_free(m);
	/* GSO with gso_size 0, and TCPV4 on a UDP packet: refused. */
	h.gso_size = 0;
	dq_one(&c, &h, f, len, 0);
	h.gso_size = 1448;
	len = mk_v4(f, 17, 3000);
	dq_one(&c, &h, f, len, 0);
	assert_int_equal(c.st.offload_drop, 2);
	assert_pool_full();
	ctx_close(&c);
}

static struct rte_mbuf *mk_tx_csum_mbuf(uint8_t *f, unsigned *len)
{
	struct rte_mbuf *m;

	*len = mk_v4(f, 6, 300);
	m = mk_mbuf(f, *len);
	m->ol_flags = RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4;
	m->l2_len = 14;
	m->l3_len = 20;
	return m;
}

static void test_offload_enqueue(void **state)
{
	const uint64_t gcsum = F_V1 | 1ull << PMD_VIRTIO_NET_F_GUEST_CSUM;
	uint8_t f[2048], *g;
	struct rte_mbuf *m;
	struct ctx c;
	uint64_t gpa;
	uint32_t id, len;
	unsigned flen;

	(void)state;
	assert_int_equal(ctx_open(&c, F_V1, NULL), 0);
	/* GUEST_CSUM: the partial checksum goes to the guest as NEEDS_CSUM. */
	m = mk_tx_csum_mbuf(f, &flen);
	gpa = fr_post_rx(&c.r, 2048);
	assert_int_equal(pmd_vring_enqueue(c.q, gcsum, &m, 1, &c.st), 1);
	assert_int_equal(fr_used(&c.r, &id, &len), 1);
	g = fr_host(&c.r, gpa);
	assert_memory_equal(g, "\x01\x00\x00\x00\x00\x00\x22\x00\x10\x00\x01\x00", HDR_LEN);
	assert_memory_equal(g + HDR_LEN, f, flen);
	/* No GUEST_CSUM: completed in software, header clean. */
	m = mk_tx_csum_mbuf(f, &flen);
	gpa = fr_post_rx(&c.r, 2048);
	assert_int_equal(pmd_vring_enqueue(c.q, F_V1, &m, 1, &c.st), 1);
	assert_int_equal(fr_used(&c.r, &id, &len), 1);
	g = fr_host(&c.r, gpa);
	assert_memory_equal(g, "\0\0\0\0\0\0\0\0\0\0\x01\0", HDR_LEN);
	assert_true(v4_l4_ok(g + HDR_LEN, flen));
	assert_false(v4_l4_ok(f, flen)); /* the partial alone does not verify */
	assert_int_equal(c.st.csum_sw, 1);
	/* TSO to a guest without GUEST_TSO4: dropped and counted, reported as gone. */
	m = mk_tx_csum_mbuf(f, &flen);
	m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4;
	m->l4_len = 20;
	m->tso_segsz = 100;
	assert_int_equal(pmd_vring_enqueue(c.q, gcsum, &m, 1, &c.st), 1);
	assert_int_equal(c.st.offload_drop, 1);
	assert_int_equal(fr_used(&c.r, &id, &len), 0);
	assert_pool_full();
	ctx_close(&c);
}

static void test_offload_mbuf_to_hdr(void **state)
{
	const uint64_t all =
	    1ull << PMD_VIRTIO_NET_F_GUEST_CSUM | 1ull << PMD_VIRTIO_NET_F_GUEST_TSO4 |
	    1ull << PMD_VIRTIO_NET_F_GUEST_TSO6 | 1ull << PMD_VIRTIO_NET_F_GUEST_UFO;
	struct vring_net_hdr h;
	uint8_t f[2048];
	struct rte_mbuf *m;
	unsigned flen;
	bool sw;

	(void)state;
	m = mk_tx_csum_mbuf(f, &flen);
	m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV6;
	m->l3_len = 40;
	m->l4_len = 32;
	m->tso_segsz = 1220;
	assert_int_equal(pmd_offload_mbuf_to_hdr(m, all, &h, &sw), 0);
	assert_int_equal(h.gso_type, PMD_VNET_GSO_TCPV6);
	assert_int_equal(h.gso_size, 1220);
	assert_int_equal(h.hdr_len, 14 + 40 + 32);
	assert_int_equal(h.csum_start, 54);
	assert_int_equal(h.csum_offset, 16);
	assert_int_equal(h.flags, PMD_VNET_HDR_F_NEEDS_CSUM);
	assert_int_equal(
	    pmd_offload_mbuf_to_hdr(m, all & ~(1ull << PMD_VIRTIO_NET_F_GUEST_TSO6), &h, &sw),
	    -ENOTSUP);
	m->ol_flags = RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_IPV4;
	m->l4_len = 8;
	assert_int_equal(pmd_offload_mbuf_to_hdr(m, all, &h, &sw), 0);
	assert_int_equal(h.gso_type, PMD_VNET_GSO_UDP);
	assert_int_equal(h.csum_offset, 6);
	/* A NIC's good L4 checksum: DATA_VALID, only under GUEST_CSUM. */
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	assert_int_equal(pmd_offload_mbuf_to_hdr(m, all, &h, &sw), 0);
	assert_int_equal(h.flags, PMD_VNET_HDR_F_DATA_VALID);
	assert_int_equal(pmd_offload_mbuf_to_hdr(m, 0, &h, &sw), 0);
	assert_int_equal(h.flags, 0);
	m->ol_flags = RTE_MBUF_F_TX_SCTP_CKSUM;
	assert_int_equal(pmd_offload_mbuf_to_hdr(m, all, &h, &sw), -ENOTSUP);
	rte_pktmbuf_free(m);
	assert_pool_full();
}

static void test_bad_pool(void **state)
{
	struct rte_mempool *bare = rte_pktmbuf_pool_create("bare", 63, 0, 0, 2176, -1);
	struct rte_mbuf *pkts[1];
	struct ctx c;

	(void)state;
	assert_non_null(bare);
	assert_int_equal(ctx_open(&c, F_V1, pmd_vring_extend), 0);
	assert_int_equal(pmd_vring_dequeue(c.q, bare, pkts, 1, &c.st), -EINVAL);
	ctx_close(&c);
	rte_mempool_free(bare);
}

int main(void)
{
	char prefix[64], rundir[160];
	char *argv[] = {"test_pmd_glue", "--no-huge",	  "-m",	  "256", "--no-pci", "-l", "0",
			"--log-level=3", "--file-prefix", prefix, NULL};
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dequeue_small),
	    cmocka_unit_test(test_dequeue_jumbo_chain),
	    cmocka_unit_test(test_dequeue_jumbo_no_extend),
	    cmocka_unit_test(test_dequeue_no_mbuf),
	    cmocka_unit_test(test_enqueue_lossless),
	    cmocka_unit_test(test_roundtrip_jumbo),
	    cmocka_unit_test(test_offload_dequeue_csum),
	    cmocka_unit_test(test_offload_dequeue_gso),
	    cmocka_unit_test(test_offload_enqueue),
	    cmocka_unit_test(test_offload_mbuf_to_hdr),
	    cmocka_unit_test(test_bad_pool),
	};
	int ret;

	snprintf(prefix, sizeof(prefix), "pmd-glue-%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	/* One lcore's cache would hide mbufs from rte_mempool_avail_count: use a pool
	 * without one, so "every mbuf back" is exact. */
	pool = rte_pktmbuf_pool_create("glue", POOL_SIZE, 0, PMD_MBUF_PRIV_SIZE,
				       PMD_MBUF_DATA_ROOM + RTE_PKTMBUF_HEADROOM, -1);
	if (!pool)
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	rte_mempool_free(pool);
	/* EAL leaves its runtime directory behind: remove it, it is ours alone. */
	snprintf(rundir, sizeof(rundir), "rm -rf '%s'", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	if (system(rundir))
		ret = 1;
	return ret;
}
