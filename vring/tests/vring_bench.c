// SPDX-License-Identifier: BSD-3-Clause
/*
 * vring microbenchmark: one process, the engine against the fake driver. For each ring type,
 * direction and packet size, the driver posts a burst of 32 chains, the engine moves them, the
 * driver reaps them; only the engine's burst call is timed (TSC), so the numbers are the
 * device side's cost per packet.
 *
 * usage: vring_bench [bursts per case (default 200000)] [case name filter]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "fake_guest.h"

#define BURST 32u
#define RING  256u

struct bench {
	struct fg_mem m;
	struct fd_drv d;
	struct vring_queue *q;
	uint64_t buf[RING]; /* guest buffer per id, posted again and again */
	struct vring_pkt pkt[BURST];
	struct vring_buf seg[BURST];
	uint8_t data[BURST][2048];
	uint32_t hdr;
};

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int bench_init(struct bench *b, uint64_t features)
{
	struct vring_queue_config cfg;
	unsigned i;

	if (fg_init(&b->m) || fd_init(&b->d, &b->m, RING, features))
		return -1;
	fd_config(&b->d, &cfg);
	if (vring_queue_create(&cfg, &b->q))
		return -1;
	b->hdr = vring_net_hdr_len(features);
	for (i = 0; i < RING; i++) {
		b->buf[i] = fg_alloc(&b->m, 2048, 64);
		memset(fg_host(&b->m, b->buf[i]), 0, 2048);
	}
	for (i = 0; i < BURST; i++) {
		b->seg[i].data = b->data[i];
		b->pkt[i].seg = &b->seg[i];
		memset(b->data[i], 0x42, sizeof(b->data[i]));
	}
	return 0;
}

static void bench_fini(struct bench *b)
{
	vring_queue_destroy(b->q);
	fd_fini(&b->d);
	fg_fini(&b->m);
}

/* Posts BURST chains: TX frames of len bytes, or 2048-byte RX buffers. */
static void bench_post(struct bench *b, bool rx, uint32_t len)
{
	static unsigned next;
	struct fd_seg s;
	unsigned i;

	for (i = 0; i < BURST; i++) {
		uint64_t g = b->buf[next++ % RING];

		s = (struct fd_seg){g, rx ? 2048 : b->hdr + len, rx ? FD_W : 0};
		if (fd_post(&b->d, &s, 1, false) < 0)
			abort();
	}
}

static void bench_reap(struct bench *b)
{
	uint16_t id;
	uint32_t len;
	unsigned n = 0;

	while (fd_get_used(&b->d, &id, &len) == 1)
		n++;
	if (n != BURST)
		abort();
}

static uint64_t bench_run(struct bench *b, bool rx, uint32_t len, unsigned bursts)
{
	uint64_t cycles = 0, t0;
	unsigned i, j;
	int n;

	for (j = 0; j < BURST; j++) {
		b->seg[j].cap = 2048;
		b->seg[j].len = len;
		b->pkt[j].len = len;
	}
	for (i = 0; i < bursts; i++) {
		bench_post(b, rx, len);
		t0 = __rdtsc();
		n = rx ? vring_enqueue_burst(b->q, b->pkt, BURST)
		       : vring_dequeue_burst(b->q, b->pkt, BURST);
		cycles += __rdtsc() - t0;
		if (n != (int)BURST)
			abort();
		bench_reap(b);
	}
	return cycles;
}

static double bench_tsc_hz(void)
{
	double t0 = bench_now(), t1;
	uint64_t c0 = __rdtsc();

	do
		t1 = bench_now();
	while (t1 - t0 < 0.1);
	return (__rdtsc() - c0) / (t1 - t0);
}

int main(int argc, char **argv)
{
	unsigned bursts = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 200000;
	const char *filter = argc > 2 ? argv[2] : "";
	static const uint32_t sizes[] = {64, 1518};
	double hz = bench_tsc_hz();
	struct bench *b;
	char name[64];
	uint64_t cyc;

	printf("# TSC %.3f GHz, %u bursts of %u per case, ring %u, features VERSION_1|MRG_RXBUF\n",
	       hz / 1e9, bursts, BURST, RING);
	printf("%-22s %10s %10s\n", "case", "ns/pkt", "cyc/pkt");
	for (int packed = 0; packed < 2; packed++)
		for (int rx = 0; rx < 2; rx++)
			for (unsigned s = 0; s < 2; s++) {
				snprintf(name, sizeof(name), "%s-%s-%u",
					 packed ? "packed" : "split", rx ? "enqueue" : "dequeue",
					 sizes[s]);
				if (!strstr(name, filter))
					continue;
				b = calloc(1, sizeof(*b));
				if (!b ||
				    bench_init(b, (1ull << VRING_F_VERSION_1) |
						      (1ull << VRING_F_NET_MRG_RXBUF) |
						      ((uint64_t)packed << VRING_F_RING_PACKED)))
					return 1;
				bench_run(b, rx, sizes[s], bursts / 10 + 1); /* warm up */
				cyc = bench_run(b, rx, sizes[s], bursts);
				printf("%-22s %10.1f %10.1f\n", name,
				       cyc / hz * 1e9 / ((double)bursts * BURST),
				       (double)cyc / ((double)bursts * BURST));
				bench_fini(b);
				free(b);
			}
	return 0;
}
