/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fake guest for the vring tests and bench: guest memory in a few regions, each fenced by
 * PROT_NONE guard pages (a stray access crashes the test), and a fake virtio driver that fills
 * split or packed rings the way Linux's virtio_ring or DPDK's virtio PMD does.
 */
#ifndef VHOSTD_VRING_FAKE_GUEST_H
#define VHOSTD_VRING_FAKE_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "vring.h"

/* Layout: R0 and R1 are adjacent in guest-physical space but not on the host, so a buffer may
 * straddle them; then a hole; then R2. */
#define FG_R0_GPA  0x100000ull
#define FG_R0_SIZE 0x400000ull
#define FG_R1_GPA  0x500000ull
#define FG_R1_SIZE 0x100000ull
#define FG_HOLE	   0x600000ull
#define FG_R2_GPA  0x700000ull
#define FG_R2_SIZE 0x100000ull
#define FG_CANARY  0xa5

struct fg_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
	uint8_t *map;
	uint64_t map_len;
};

struct fg_mem {
	struct fg_region r[3];
	unsigned n;
	uint64_t brk; /* bump allocator inside R0 */
	uint64_t lookups;
	unsigned last; /* region of the last hit: tried first */
};

int fg_init(struct fg_mem *m);
void fg_fini(struct fg_mem *m);
void *fg_to_host(void *ctx, uint64_t gpa, uint64_t want, uint64_t *contig);
uint64_t fg_alloc(struct fg_mem *m, uint64_t len, uint64_t align);
void *fg_host(struct fg_mem *m, uint64_t gpa); /* NULL if unmapped */
int fg_write(struct fg_mem *m, uint64_t gpa, const void *src, uint64_t len);
int fg_read(struct fg_mem *m, uint64_t gpa, void *dst, uint64_t len);

#define FD_MAX_SEGS 16
#define FD_W	    2u /* device-writable, as VRING_DESC_F_WRITE */

struct fd_seg {
	uint64_t gpa;
	uint32_t len;
	uint16_t flags; /* FD_W or 0 */
};

struct fd_slot {
	uint16_t ndesc; /* ring descriptors the chain takes */
	uint16_t desc[FD_MAX_SEGS];
	uint64_t ind_gpa;
	bool busy;
};

struct fd_drv {
	struct fg_mem *m;
	uint32_t size;
	uint64_t features;
	bool packed, event_idx, in_order;
	uint64_t desc_gpa, drv_gpa, dev_gpa;
	void *desc, *drv, *dev;
	struct fd_slot *slot;
	uint16_t *free_ids;
	unsigned nfree;
	uint16_t *order; /* ids in posting order (for in-order completion) */
	unsigned ohead, otail;
	int batch_last; /* in-order batch being handed out, or -1 */
	uint32_t batch_len;
	uint16_t avail_idx; /* split: next avail idx; packed: next position */
	bool avail_wrap;
	uint16_t used_idx; /* split: last used idx seen; packed: next used position */
	bool used_wrap;
	uint16_t kick_old; /* avail position at the last kick decision */
	bool kick_old_wrap;
	unsigned free_descs;  /* packed ring slots free */
	uint16_t *split_free; /* split: free descriptor stack */
	unsigned nsplit_free;
};

int fd_init(struct fd_drv *d, struct fg_mem *m, uint32_t size, uint64_t features);
void fd_fini(struct fd_drv *d);
void fd_config(struct fd_drv *d, struct vring_queue_config *cfg);
/* Posts one chain (indirect: through an indirect table); returns its id or -1 when full. */
int fd_post(struct fd_drv *d, const struct fd_seg *segs, unsigned n, bool indirect);
/* Pops one completed chain as a driver would: 1 with id and len, 0 when none. */
int fd_get_used(struct fd_drv *d, uint16_t *id, uint32_t *len);
/* Would the driver kick now (avail_event / NO_NOTIFY / packed device event)? */
bool fd_kick_needed(struct fd_drv *d);
/* Driver interrupt suppression: off, on, or (event idx) at the next used entry. */
void fd_interrupts(struct fd_drv *d, bool on);
void fd_set_used_event(struct fd_drv *d, uint16_t idx, bool wrap);

#endif
