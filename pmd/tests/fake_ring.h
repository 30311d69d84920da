/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tiny fake virtio driver for the pmd glue tests: one split ring in malloc'd "guest
 * memory" (guest-physical addresses start at FR_GPA_BASE), filled the way a driver does.
 */
#ifndef VHOSTD_PMD_FAKE_RING_H
#define VHOSTD_PMD_FAKE_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "vring.h"

#define FR_GPA_BASE 0x100000ull
#define FR_MEM_SIZE (4u << 20)
#define FR_SIZE	    256u

struct fr {
	uint8_t *mem;
	uint64_t brk; /* next free guest byte (bump allocator) */
	uint64_t features;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t avail_idx;
	uint16_t used_seen;
	uint16_t next_desc; /* descriptors are handed out round-robin */
};

int fr_init(struct fr *r, uint64_t features);
void fr_fini(struct fr *r);
/* A queue config for this ring (extend may be NULL). */
void fr_config(struct fr *r, struct vring_queue_config *cfg, vring_extend_fn extend);
void *fr_host(struct fr *r, uint64_t gpa);
/* Guest TX: header (hdr_len bytes) then data, cut into descriptors of at most seg bytes. */
int fr_post_tx(struct fr *r, const void *hdr, unsigned hdr_len, const void *data, unsigned len,
	       unsigned seg);
/* Guest RX: one device-writable buffer of len bytes; returns its guest address. */
uint64_t fr_post_rx(struct fr *r, unsigned len);
/* One used entry: 1 with head id and len, 0 when none. */
int fr_used(struct fr *r, uint32_t *id, uint32_t *len);
/* Guest address of the buffer of descriptor id. */
uint64_t fr_desc_addr(struct fr *r, uint32_t id);

#endif
