/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared bits of the fuzz targets: the libFuzzer entry point (also called by the replay
 * driver in gcc builds), a byte reader that yields zeros once the input runs out (so every
 * prefix of an input is itself a valid script), and a check that aborts loudly: an invariant
 * broken is a finding, whatever sanitizers the build has.
 */
#ifndef VHOSTD_FUZZ_H
#define VHOSTD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_in {
	const uint8_t *p;
	size_t left;
};

static inline uint8_t fz_u8(struct fz_in *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static inline uint16_t fz_u16(struct fz_in *in)
{
	uint16_t lo = fz_u8(in);

	return (uint16_t)(lo | fz_u8(in) << 8);
}

static inline uint32_t fz_u32(struct fz_in *in)
{
	uint32_t lo = fz_u16(in);

	return lo | (uint32_t)fz_u16(in) << 16;
}

static inline uint64_t fz_u64(struct fz_in *in)
{
	uint64_t lo = fz_u32(in);

	return lo | (uint64_t)fz_u32(in) << 32;
}

static inline size_t fz_bytes(struct fz_in *in, void *dst, size_t n)
{
	uint8_t *d = dst;
	size_t i;

	for (i = 0; i < n && in->left; i++)
		d[i] = fz_u8(in);
	return i;
}

/* stdout: fuzzing runs close stderr (-close_fd_mask=2) to mute the back-end's log. */
#define FZ_CHECK(cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);        \
			fflush(stdout);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif /* VHOSTD_FUZZ_H */
