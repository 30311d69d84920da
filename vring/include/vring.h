/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vring: the virtqueue engine of vhostd (device side of virtio 1.2, sections 2.7 and 2.8).
 *
 * Pure ring logic: no sockets, no fds, no DPDK. Guest memory is reached only through
 * struct vring_mem_ops, so the same code runs on QEMU's mmapped memory table in the daemon
 * and on malloc'd fake guest memory in the tests.
 *
 * Threading: one queue is driven by one thread at a time (its polling core). Creation and
 * destruction happen on the control thread while no polling core can see the queue.
 *
 * Conventions: actions return 0 or -errno; counts return a count or -errno; predicates
 * return bool.
 */
#ifndef VHOSTD_VRING_H
#define VHOSTD_VRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VRING_MAX_SIZE 32768u /* the largest queue size virtio allows */
#define VRING_BURST_MAX 64u   /* most packets one burst call moves */

/* Feature bit numbers (virtio 1.2 section 6 and 5.1.3). */
#define VRING_F_NET_MRG_RXBUF 15
#define VRING_F_INDIRECT_DESC 28
#define VRING_F_EVENT_IDX     29
#define VRING_F_VERSION_1     32
#define VRING_F_RING_PACKED   34
#define VRING_F_IN_ORDER      35

/* Every way a hostile or broken driver can upset a queue, counted separately. */
enum vring_err {
	VRING_ERR_AVAIL_IDX,   /* avail index moved by more than the queue size */
	VRING_ERR_DESC_INDEX,  /* head or next index not below the queue size */
	VRING_ERR_DESC_LOOP,   /* chain longer than the queue size (a loop) */
	VRING_ERR_DESC_ADDR,   /* buffer not inside guest memory, or wrapping */
	VRING_ERR_DESC_LEN,    /* zero length, or a chain too long to be a packet */
	VRING_ERR_DESC_FLAGS,  /* write-only where read-only is due, or the reverse */
	VRING_ERR_INDIRECT,    /* bad indirect table: length, nesting, address */
	VRING_ERR_HDR,         /* chain shorter than the virtio-net header */
	VRING_ERR_PACKED_ID,   /* packed ring buffer id out of range */
	VRING_ERR_MAX
};

/* Packets the device itself let go, by cause (not the driver's fault). */
enum vring_drop {
	VRING_DROP_TOO_BIG,   /* guest TX packet larger than the caller's buffers */
	VRING_DROP_RX_SMALL,  /* guest RX buffers too small for the packet (no MRG_RXBUF) */
	VRING_DROP_MAX
};

const char *vring_err_name(enum vring_err e);
const char *vring_drop_name(enum vring_drop d);

struct vring_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t notifies;      /* times vring_notify_needed() said yes */
	uint64_t err[VRING_ERR_MAX];
	uint64_t drop[VRING_DROP_MAX];
};

/*
 * Guest memory as the ring engine sees it. to_host() returns the host address of
 * guest-physical address gpa and stores in *contig how many bytes from there lie in the same
 * mapping (at most want; at least 1), or returns NULL when gpa is in no region. A buffer that
 * straddles two regions is therefore walked in pieces. It runs on the hot path: keep it cheap.
 */
struct vring_mem_ops {
	void *(*to_host)(void *ctx, uint64_t gpa, uint64_t want, uint64_t *contig);
	void *ctx;
};

/* The virtio-net header, in host byte order (virtio_net_hdr_v1 fields). */
struct vring_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers; /* written by the device on RX; ignored on TX */
};

/*
 * One segment of a packet held by the caller (an mbuf's data area, a test buffer).
 * Dequeue fills data up to cap and sets len; enqueue reads len bytes from data.
 */
struct vring_buf {
	uint8_t *data;
	uint32_t len;
	uint32_t cap;
	struct vring_buf *next;
	void *opaque; /* the caller's, never touched */
};

struct vring_pkt {
	struct vring_buf *seg; /* first segment */
	uint32_t len;          /* packet bytes, without the virtio-net header */
	struct vring_net_hdr hdr;
	void *opaque; /* the caller's, never touched */
};

/*
 * Called by dequeue when a guest packet is longer than the segments the caller gave: returns a
 * new empty segment to chain after last, or NULL (the packet is then dropped and counted as
 * VRING_DROP_TOO_BIG; its descriptors still go back to the guest).
 */
typedef struct vring_buf *(*vring_extend_fn)(void *ctx, struct vring_pkt *pkt,
					      struct vring_buf *last);

struct vring_queue_config {
	uint32_t size;     /* descriptors; a power of two for split rings, 1..32768 */
	uint64_t features; /* negotiated feature bits (VRING_F_*) */
	/* Host addresses of the three ring areas, already checked by the caller to lie
	 * whole inside guest memory. Split: desc table, avail ring, used ring. Packed:
	 * desc ring, driver event suppression, device event suppression. */
	void *desc;
	void *driver;
	void *device;
	/* Where to resume (SET_VRING_BASE). Packed: bit 15 is the wrap counter. */
	uint16_t last_avail;
	uint16_t last_used;
	struct vring_mem_ops mem;
	vring_extend_fn extend; /* may be NULL: no chaining, oversize packets drop */
	void *extend_ctx;
};

struct vring_queue;

/* Validates the config (sizes, alignment, feature combinations) and allocates a queue. */
int vring_queue_create(const struct vring_queue_config *cfg, struct vring_queue **out);
void vring_queue_destroy(struct vring_queue *q);

/*
 * Guest TX: take up to n packets the driver made available and copy each into the caller's
 * segments (pkts[i].seg must point at an empty segment with cap set). Used entries are written
 * once per burst. Returns how many pkts[] were filled, or -EIO once the queue is broken.
 */
int vring_dequeue_burst(struct vring_queue *q, struct vring_pkt *pkts, unsigned n);

/*
 * Guest RX: copy up to n packets into buffers the driver made available, with the virtio-net
 * header (num_buffers set for MRG_RXBUF). Returns how many of pkts[] went in, in order; the
 * rest are still the caller's (nothing is dropped for lack of room). -EIO once broken.
 */
int vring_enqueue_burst(struct vring_queue *q, struct vring_pkt *pkts, unsigned n);

/* Descriptor chains the driver has made available and the device not yet taken. */
unsigned vring_avail_count(struct vring_queue *q);

/*
 * The same, but stops counting at max: what a burst needs to know ("room for up to max
 * now?"). On packed rings counting means walking the descriptors, so this is much cheaper.
 */
unsigned vring_avail_count_max(struct vring_queue *q, unsigned max);

/*
 * Whether the driver asked to be interrupted for what the device published since the last
 * call (used_event / VRING_AVAIL_F_NO_INTERRUPT, or packed event suppression). The caller then
 * signals the call eventfd; this function never touches an fd.
 */
bool vring_notify_needed(struct vring_queue *q);

/* Ask the driver to kick (or, polling, not to kick) when it adds buffers. */
void vring_set_driver_kicks(struct vring_queue *q, bool enable);

/* A queue turns broken on the first driver error; it then moves nothing more. */
bool vring_queue_broken(const struct vring_queue *q);

/* The enum vring_err that broke the queue (for the caller's log line), or -1 if none. */
int vring_queue_last_error(const struct vring_queue *q);

/* The index GET_VRING_BASE returns: next avail to take (packed: bit 15 the wrap counter). */
uint16_t vring_last_avail(const struct vring_queue *q);
/* The next used index the device will write (packed: bit 15 the wrap counter). */
uint16_t vring_last_used(const struct vring_queue *q);

const struct vring_stats *vring_queue_stats(const struct vring_queue *q);

/* Length of the virtio-net header the features imply (12, or 10 for legacy without MRG). */
unsigned vring_net_hdr_len(uint64_t features);

#endif /* VHOSTD_VRING_H */
