// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz target for the ring engine: the input is a script a hostile driver plays against one
 * queue over fake guest memory. It picks the ring size, split or packed and the features,
 * then interleaves raw descriptor / avail / event writes, well-formed chain posts (so that
 * deep states are reachable), arbitrary pokes at guest addresses, dequeue and enqueue bursts,
 * queries, and a stop/resume through the saved indices (as GET/SET_VRING_BASE do).
 *
 * Guest memory: R0 and R1 adjacent in guest-physical space but in separate host arrays (a
 * buffer may straddle them), then a hole, then R2. Each host array is fenced by canary bytes
 * that must never change (ASan builds also have the arrays' red zones).
 *
 * Invariants, checked after every step: no crash or sanitizer report; a burst returns
 * 0..n or -EIO; -EIO iff the queue is broken; once broken, every burst returns -EIO; a
 * dequeued packet's length is the sum of its segments, each within its capacity; avail
 * counts stay within the ring size; the canaries are intact.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "vring.h"

#define FZ_CANARY     64u
#define FZ_CANARY_VAL 0x5a
#define FZ_R0_GPA     0x10000ull
#define FZ_R0_SIZE    0x40000ull
#define FZ_R1_GPA     (FZ_R0_GPA + FZ_R0_SIZE) /* adjacent: buffers may straddle */
#define FZ_R1_SIZE    0x4000ull
#define FZ_HOLE_GPA   (FZ_R1_GPA + FZ_R1_SIZE)
#define FZ_R2_GPA     0x60000ull
#define FZ_R2_SIZE    0x4000ull
/* Ring areas inside R0 (room for a 4096-entry split ring), then buffers and tables. */
#define FZ_DESC_GPA  0x10000ull
#define FZ_DRV_GPA   0x20000ull
#define FZ_DEV_GPA   0x22000ull
#define FZ_BUF_GPA   0x2c000ull
#define FZ_IND_GPA   0x48000ull /* indirect tables of well-formed posts */
#define FZ_MAX_SPLIT 4096u
#define FZ_SEG_POOL  64u

#define F_NEXT	   1u
#define F_WRITE	   2u
#define F_INDIRECT 4u
#define F_AVAIL	   (1u << 7)
#define F_USED	   (1u << 15)

struct fz_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host; /* past the leading canary */
};

static uint8_t fz_r0[FZ_CANARY + FZ_R0_SIZE + FZ_CANARY] __attribute__((aligned(4096)));
static uint8_t fz_r1[FZ_CANARY + FZ_R1_SIZE + FZ_CANARY] __attribute__((aligned(64)));
static uint8_t fz_r2[FZ_CANARY + FZ_R2_SIZE + FZ_CANARY] __attribute__((aligned(64)));

static struct fz_region fz_mem[3] = {
    {FZ_R0_GPA, FZ_R0_SIZE, fz_r0 + FZ_CANARY},
    {FZ_R1_GPA, FZ_R1_SIZE, fz_r1 + FZ_CANARY},
    {FZ_R2_GPA, FZ_R2_SIZE, fz_r2 + FZ_CANARY},
};

/* The hostile driver's own bookkeeping (what a real driver would track). */
struct fz_drv {
	struct vring_queue *q;
	struct vring_queue_config cfg;
	uint32_t size;
	bool packed;
	uint16_t avail_idx; /* split: next avail idx; packed: next position */
	bool avail_wrap;
	uint16_t desc_cur; /* split: next descriptor slot a post uses */
	uint32_t ind_cur;  /* next indirect table slot */
	uint8_t *bufs[2 * FZ_SEG_POOL];
	unsigned nbufs;
};

static void *fz_to_host(void *ctx, uint64_t gpa, uint64_t want, uint64_t *contig)
{
	uint64_t room;

	(void)ctx;
	for (unsigned i = 0; i < 3; i++) {
		const struct fz_region *r = &fz_mem[i];

		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		room = r->size - (gpa - r->gpa);
		*contig = want < room ? want : room;
		return r->host + (gpa - r->gpa);
	}
	return NULL;
}

/* Writes what lands in guest memory, piecewise; what falls in a hole is skipped. */
static void fz_poke(uint64_t gpa, const uint8_t *src, size_t n)
{
	uint64_t c;
	uint8_t *p;

	while (n) {
		p = fz_to_host(NULL, gpa, n, &c);
		if (!p) {
			gpa++;
			src++;
			n--;
			continue;
		}
		memcpy(p, src, c);
		gpa += c;
		src += c;
		n -= c;
	}
}

static void fz_mem_reset(void)
{
	static uint8_t *const arr[3] = {fz_r0, fz_r1, fz_r2};

	for (unsigned i = 0; i < 3; i++) {
		memset(arr[i], FZ_CANARY_VAL, FZ_CANARY);
		memset(fz_mem[i].host, 0, fz_mem[i].size);
		memset(fz_mem[i].host + fz_mem[i].size, FZ_CANARY_VAL, FZ_CANARY);
	}
}

static bool fz_canaries_ok(void)
{
	static uint8_t *const arr[3] = {fz_r0, fz_r1, fz_r2};

	for (unsigned i = 0; i < 3; i++)
		for (unsigned k = 0; k < FZ_CANARY; k++)
			if (arr[i][k] != FZ_CANARY_VAL ||
			    fz_mem[i].host[fz_mem[i].size + k] != FZ_CANARY_VAL)
				return false;
	return true;
}

/* A guest address the script picks: mostly inside memory, often at edges and holes. */
static uint64_t fz_addr(struct fz_in *in)
{
	uint8_t sel = fz_u8(in);
	uint16_t off = fz_u16(in);

	switch (sel & 7) {
	case 0:
		return FZ_BUF_GPA + off % (FZ_IND_GPA - FZ_BUF_GPA);
	case 1:
		return FZ_R0_GPA + off;
	case 2:
		return FZ_R1_GPA + off % FZ_R1_SIZE;
	case 3:
		return FZ_R1_GPA - 1 - off % 64; /* straddles R0 and R1 */
	case 4:
		return FZ_R2_GPA + off % FZ_R2_SIZE;
	case 5:
		return FZ_HOLE_GPA + off % (FZ_R2_GPA - FZ_HOLE_GPA);
	case 6:
		return FZ_R2_GPA + FZ_R2_SIZE - 1 - off % 64; /* runs off the end */
	default:
		return fz_u64(in);
	}
}

static uint32_t fz_len(struct fz_in *in)
{
	uint8_t sel = fz_u8(in);

	switch (sel & 3) {
	case 0:
		return fz_u8(in);
	case 1:
		return fz_u16(in) % 4096;
	case 2:
		return fz_u32(in);
	default:
		return 12u + fz_u8(in);
	}
}

static uint16_t fz_flags(struct fz_in *in)
{
	uint8_t b = fz_u8(in);

	if (b & 0x80)
		return fz_u16(in);
	return (uint16_t)((b & 7) | (b & 8 ? F_AVAIL : 0) | (b & 16 ? F_USED : 0));
}

static void fz_desc_store(struct fz_drv *d, uint32_t pos, uint64_t addr, uint32_t len,
			  uint16_t flags, uint16_t link)
{
	uint8_t *e = (uint8_t *)d->cfg.desc + 16ull * pos;

	memcpy(e, &addr, 8);
	memcpy(e + 8, &len, 4);
	if (d->packed) {
		memcpy(e + 12, &link, 2);
		__atomic_store_n((uint16_t *)(e + 14), flags, __ATOMIC_RELEASE);
	} else {
		memcpy(e + 12, &flags, 2);
		memcpy(e + 14, &link, 2);
	}
}

static uint16_t *fz_split_avail(struct fz_drv *d)
{
	return d->cfg.driver;
}

static void fz_op_desc(struct fz_drv *d, struct fz_in *in)
{
	uint32_t pos = fz_u16(in) % d->size;
	uint64_t addr = fz_addr(in);
	uint32_t len = fz_len(in);
	uint16_t flags = fz_flags(in);
	uint16_t link = fz_u16(in);

	if (!(link & 0x8000))
		link = (uint16_t)(link % d->size);
	fz_desc_store(d, pos, addr, len, flags, link);
}

static void fz_op_avail(struct fz_drv *d, struct fz_in *in)
{
	uint16_t a = fz_u16(in), b = fz_u16(in);

	if (d->packed) {
		/* Packed: flip a descriptor's flags alone (the avail bit is the publish). */
		uint8_t *e = (uint8_t *)d->cfg.desc + 16ull * (a % d->size);

		__atomic_store_n((uint16_t *)(e + 14), b, __ATOMIC_RELEASE);
		return;
	}
	if (a & 1) {
		/* The index itself, by a small step or anywhere. */
		d->avail_idx = (uint16_t)(a & 2 ? d->avail_idx + (b & 0xff) : b);
		__atomic_store_n(&fz_split_avail(d)[1], d->avail_idx, __ATOMIC_RELEASE);
	} else {
		fz_split_avail(d)[2 + (a >> 1) % d->size] =
		    (uint16_t)(b & 0x8000 ? b : b % d->size);
	}
}

/* Packed: the chain at the driver's position, the head's flags stored last. */
static void fz_post_packed(struct fz_drv *d, const uint64_t *addr, const uint32_t *len, unsigned n,
			   uint16_t base, uint16_t id)
{
	uint32_t pos = d->avail_idx, head = pos;
	uint16_t head_flags = 0, f;
	bool wrap = d->avail_wrap;

	for (unsigned i = 0; i < n; i++) {
		f = (uint16_t)(base | (i + 1 < n ? F_NEXT : 0) | (wrap ? F_AVAIL : F_USED));
		if (i == 0)
			head_flags = f;
		fz_desc_store(d, pos, addr[i], len[i], i ? f : 0, id);
		if (++pos == d->size) {
			pos = 0;
			wrap = !wrap;
		}
	}
	/* The head's flags make the whole chain available: written last, with release. */
	fz_desc_store(d, head, addr[0], len[0], head_flags, id);
	d->avail_idx = (uint16_t)pos;
	d->avail_wrap = wrap;
}

/* A well-formed chain of 1..4 buffers (maybe through an indirect table), then published. */
static void fz_op_post(struct fz_drv *d, struct fz_in *in)
{
	uint8_t ctl = fz_u8(in);
	unsigned n = 1 + (ctl & 3), i;
	bool ind = ctl & 4, wr = ctl & 8;
	uint16_t id = (uint16_t)(fz_u16(in) % d->size);
	uint64_t addr[4], tbl;
	uint32_t len[4];
	uint16_t head = 0;

	for (i = 0; i < n; i++) {
		addr[i] = fz_addr(in);
		len[i] = fz_len(in);
	}
	if (ind) {
		tbl = FZ_IND_GPA + (d->ind_cur++ % 256) * 64;
		for (i = 0; i < n; i++) {
			uint8_t e[16];
			uint16_t f = (uint16_t)(wr ? F_WRITE : 0);
			uint16_t nx = (uint16_t)(i + 1);

			if (!d->packed && i + 1 < n)
				f |= F_NEXT;
			memcpy(e, &addr[i], 8);
			memcpy(e + 8, &len[i], 4);
			memcpy(e + 12, d->packed ? (const void *)&nx : (const void *)&f, 2);
			memcpy(e + 14, d->packed ? (const void *)&f : (const void *)&nx, 2);
			fz_poke(tbl + 16ull * i, e, 16);
		}
		addr[0] = tbl;
		len[0] = 16 * n;
		n = 1;
	}
	if (d->packed) {
		fz_post_packed(d, addr, len, n, ind ? F_INDIRECT : (wr ? F_WRITE : 0), id);
		return;
	}
	for (i = 0; i < n; i++) {
		uint16_t f = (uint16_t)(ind ? F_INDIRECT : (wr ? F_WRITE : 0));
		uint32_t pos = (d->desc_cur + i) % d->size;

		if (i + 1 < n)
			f |= F_NEXT;
		if (i == 0)
			head = (uint16_t)pos;
		fz_desc_store(d, pos, addr[i], len[i], f, (uint16_t)((pos + 1) % d->size));
	}
	d->desc_cur = (uint16_t)((d->desc_cur + n) % d->size);
	fz_split_avail(d)[2 + (d->avail_idx & (d->size - 1))] = head;
	d->avail_idx++;
	/* Release: descriptors and ring entry before the index the device reads. */
	__atomic_store_n(&fz_split_avail(d)[1], d->avail_idx, __ATOMIC_RELEASE);
}

static void fz_op_event(struct fz_drv *d, struct fz_in *in)
{
	uint16_t v = fz_u16(in);
	uint8_t which = fz_u8(in);
	uint16_t *drv = d->cfg.driver;

	if (d->packed) {
		drv[which & 1] = v; /* off_wrap or flags */
		return;
	}
	if (which & 1)
		drv[2 + d->size] = v; /* used_event */
	else
		drv[0] = v; /* avail flags */
}

static void fz_op_poke(struct fz_in *in)
{
	uint64_t gpa = fz_addr(in);
	uint8_t buf[32];
	size_t n = fz_bytes(in, buf, 1 + fz_u8(in) % sizeof(buf));

	fz_poke(gpa, buf, n);
}

static void fz_free_bufs(struct fz_drv *d)
{
	while (d->nbufs)
		free(d->bufs[--d->nbufs]);
}

static struct vring_buf *fz_seg_new(struct fz_drv *d, uint32_t cap)
{
	struct vring_buf *b;

	if (d->nbufs + 2 > 2 * FZ_SEG_POOL)
		return NULL;
	b = calloc(1, sizeof(*b));
	d->bufs[d->nbufs++] = (uint8_t *)b;
	/* Exactly cap bytes: an overrun hits ASan's red zone. */
	b->data = malloc(cap ? cap : 1);
	d->bufs[d->nbufs++] = b->data;
	b->cap = cap;
	return b;
}

static uint32_t fz_ext_cap;

static struct vring_buf *fz_extend(void *ctx, struct vring_pkt *pkt, struct vring_buf *last)
{
	(void)pkt;
	(void)last;
	return fz_ext_cap ? fz_seg_new(ctx, fz_ext_cap) : NULL;
}

static void fz_check_burst(struct fz_drv *d, bool was_broken, int rc, unsigned n)
{
	FZ_CHECK(rc == -EIO || (rc >= 0 && (unsigned)rc <= n));
	FZ_CHECK(!was_broken || rc == -EIO);
	FZ_CHECK(rc != -EIO || vring_queue_broken(d->q));
	FZ_CHECK(vring_queue_broken(d->q) == (vring_queue_last_error(d->q) >= 0));
	FZ_CHECK(vring_queue_last_error(d->q) < VRING_ERR_MAX);
}

static void fz_op_dequeue(struct fz_drv *d, struct fz_in *in)
{
	struct vring_pkt pkts[VRING_BURST_MAX];
	unsigned n = 1 + fz_u8(in) % VRING_BURST_MAX, i;
	uint32_t cap = fz_u16(in) % 4096;
	bool was = vring_queue_broken(d->q);
	int rc;

	fz_ext_cap = fz_u8(in) & 1 ? 2048 : 0;
	memset(pkts, 0, sizeof(pkts));
	for (i = 0; i < n; i++) {
		pkts[i].seg = fz_seg_new(d, cap);
		if (!pkts[i].seg)
			break;
	}
	n = i;
	rc = vring_dequeue_burst(d->q, pkts, n);
	fz_check_burst(d, was, rc, n);
	for (i = 0; rc > 0 && i < (unsigned)rc; i++) {
		uint64_t sum = 0;

		for (const struct vring_buf *b = pkts[i].seg; b; b = b->next) {
			FZ_CHECK(b->len <= b->cap);
			sum += b->len;
		}
		FZ_CHECK(sum == pkts[i].len);
	}
	fz_free_bufs(d);
}

static void fz_op_enqueue(struct fz_drv *d, struct fz_in *in)
{
	struct vring_pkt pkts[VRING_BURST_MAX];
	unsigned n = 1 + fz_u8(in) % 16, i, k;
	bool was = vring_queue_broken(d->q);
	int rc;

	memset(pkts, 0, sizeof(pkts));
	for (i = 0; i < n; i++) {
		uint8_t ctl = fz_u8(in);
		unsigned nseg = 1 + (ctl & 1);
		struct vring_buf *prev = NULL;

		pkts[i].hdr.flags = ctl >> 4;
		pkts[i].hdr.gso_size = fz_u8(in);
		for (k = 0; k < nseg; k++) {
			uint32_t len = fz_u16(in) % 9100;
			struct vring_buf *b = fz_seg_new(d, len);

			if (!b)
				break;
			memset(b->data, 0x40 + (int)k, len);
			b->len = len;
			pkts[i].len += len;
			if (prev)
				prev->next = b;
			else
				pkts[i].seg = b;
			prev = b;
		}
		if (!pkts[i].seg)
			break;
	}
	n = i;
	rc = vring_enqueue_burst(d->q, pkts, n);
	fz_check_burst(d, was, rc, n);
	fz_free_bufs(d);
}

static void fz_op_query(struct fz_drv *d, struct fz_in *in)
{
	uint8_t b = fz_u8(in);
	unsigned c;

	c = vring_avail_count_max(d->q, b);
	FZ_CHECK(c <= b && c <= d->size);
	c = vring_avail_count(d->q);
	FZ_CHECK(c <= d->size);
	FZ_CHECK(!vring_queue_broken(d->q) || c == 0);
	(void)vring_notify_needed(d->q);
	vring_set_driver_kicks(d->q, b & 1);
}

/* Stop and resume from the saved indices, as GET_VRING_BASE then SET_VRING_BASE do. */
static int fz_op_restart(struct fz_drv *d)
{
	d->cfg.last_avail = vring_last_avail(d->q);
	d->cfg.last_used = vring_last_used(d->q);
	vring_queue_destroy(d->q);
	d->q = NULL;
	return vring_queue_create(&d->cfg, &d->q);
}

static int fz_setup(struct fz_drv *d, struct fz_in *in)
{
	uint8_t fb = fz_u8(in), sb = fz_u8(in);
	uint16_t la = fz_u16(in), lu = fz_u16(in);
	uint64_t f = 0;

	d->packed = fb & 1;
	f |= d->packed ? 1ull << VRING_F_RING_PACKED : 0;
	f |= fb & 2 ? 1ull << VRING_F_EVENT_IDX : 0;
	f |= fb & 4 ? 1ull << VRING_F_INDIRECT_DESC : 0;
	f |= fb & 8 ? 1ull << VRING_F_IN_ORDER : 0;
	f |= fb & 16 ? 1ull << VRING_F_NET_MRG_RXBUF : 0;
	f |= fb & 32 ? 0 : 1ull << VRING_F_VERSION_1;
	if (d->packed)
		d->size = 1 + (sb | (fb & 0xc0) << 2) % 1024; /* any size: packed allows it */
	else
		d->size = 1u << sb % 13; /* 1..4096 */
	/* Split resumes anywhere; packed needs a position in the ring plus the wrap bit. */
	if (d->packed) {
		la = (uint16_t)((la & 0x8000) | (la & 0x7fff) % d->size);
		lu = (uint16_t)((lu & 0x8000) | (lu & 0x7fff) % d->size);
	}
	d->cfg.size = d->size;
	d->cfg.features = f;
	d->cfg.desc = fz_to_host(NULL, FZ_DESC_GPA, 1, &(uint64_t){0});
	d->cfg.driver = fz_to_host(NULL, FZ_DRV_GPA, 1, &(uint64_t){0});
	d->cfg.device = fz_to_host(NULL, FZ_DEV_GPA, 1, &(uint64_t){0});
	d->cfg.last_avail = la;
	d->cfg.last_used = lu;
	d->cfg.mem.to_host = fz_to_host;
	d->cfg.extend = fz_extend;
	d->cfg.extend_ctx = d;
	d->avail_idx = d->packed ? (uint16_t)(la & 0x7fff) : la;
	d->avail_wrap = d->packed ? la >> 15 : false;
	if (!d->packed)
		fz_split_avail(d)[1] = la; /* the driver resumes where the device does */
	return vring_queue_create(&d->cfg, &d->q);
}

enum fz_op {
	FZ_OP_DESC,
	FZ_OP_AVAIL,
	FZ_OP_POST,
	FZ_OP_DEQUEUE,
	FZ_OP_ENQUEUE,
	FZ_OP_EVENT,
	FZ_OP_POKE,
	FZ_OP_QUERY,
	FZ_OP_RESTART,
	FZ_OP_MAX
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = {data, size};
	struct fz_drv d;
	unsigned steps = 0;

	memset(&d, 0, sizeof(d));
	fz_mem_reset();
	FZ_CHECK(fz_setup(&d, &in) == 0);
	while (in.left && steps++ < 256) {
		switch (fz_u8(&in) % FZ_OP_MAX) {
		case FZ_OP_DESC:
			fz_op_desc(&d, &in);
			break;
		case FZ_OP_AVAIL:
			fz_op_avail(&d, &in);
			break;
		case FZ_OP_POST:
			fz_op_post(&d, &in);
			break;
		case FZ_OP_DEQUEUE:
			fz_op_dequeue(&d, &in);
			break;
		case FZ_OP_ENQUEUE:
			fz_op_enqueue(&d, &in);
			break;
		case FZ_OP_EVENT:
			fz_op_event(&d, &in);
			break;
		case FZ_OP_POKE:
			fz_op_poke(&in);
			break;
		case FZ_OP_QUERY:
			fz_op_query(&d, &in);
			break;
		default:
			FZ_CHECK(fz_op_restart(&d) == 0);
			break;
		}
		FZ_CHECK(fz_canaries_ok());
	}
	vring_queue_destroy(d.q);
	return 0;
}
