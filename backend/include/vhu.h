/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu: the vhost-user back-end of vhostd (QEMU docs/interop/vhost-user.rst).
 *
 * A control thread (struct vhu_ctrl) runs one liburing event loop for every port: it listens
 * or connects, reads and answers vhost-user messages, maps guest memory and builds one
 * struct vring_queue per started virtqueue. Polling threads reach those queues only through
 * vhu_dp_queue(), under a quiescent-state scheme: each polling thread registers as a reader
 * and calls vhu_dp_quiescent() once per loop, outside any use of a queue. The control thread
 * unpublishes a queue (or a memory table) and frees it only after every online reader passed
 * a quiescent point, so no polling thread ever touches a freed queue or an unmapped page.
 *
 * virtio-net queue numbering: queue 2k is the guest's RX ring k (the device writes), 2k + 1
 * its TX ring k (the device reads).
 *
 * Conventions: actions return 0 or -errno; counts a count or -errno; predicates bool.
 */
#ifndef VHOSTD_VHU_H
#define VHOSTD_VHU_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vring.h"

#define VHU_MAX_QUEUE_PAIRS 16u
#define VHU_MAX_VQS	    (2u * VHU_MAX_QUEUE_PAIRS)
#define VHU_MAX_MEM_SLOTS   32u /* GET_MAX_MEM_SLOTS: regions through ADD_MEM_REG */
#define VHU_MEM_TABLE_MAX   8u	/* regions one SET_MEM_TABLE may carry */
#define VHU_MAX_READERS	    64u /* polling threads */
#define VHU_NAME_MAX	    32u
#define VHU_PATH_MAX	    108u

enum vhu_mode {
	VHU_MODE_SERVER, /* listen on path, one front-end at a time */
	VHU_MODE_CLIENT, /* connect to path; reconnect with backoff when it goes away */
	VHU_MODE_FD,	 /* an already connected socket (tests, socket activation) */
};

struct vhu_port_config {
	const char *name; /* copied */
	const char *path; /* copied; unused for VHU_MODE_FD */
	enum vhu_mode mode;
	unsigned queue_pairs;  /* 1..VHU_MAX_QUEUE_PAIRS */
	unsigned reconnect_ms; /* client: first retry delay, doubling up to 1 s; 0 = 100 */
	uint16_t mtu;	       /* offered VIRTIO_NET_F_MTU when non-zero */
	int fd;		       /* VHU_MODE_FD: the socket; the port owns it from then on */
	/* Passed to every vring_queue_config of this port (may be NULL). */
	vring_extend_fn extend;
	void *extend_ctx;
};

/* Ways a front-end can get a message wrong, counted per port. */
enum vhu_err {
	VHU_ERR_IO,	 /* socket error, short read, peer gone mid-message */
	VHU_ERR_HDR,	 /* bad version flags or payload size over the limit */
	VHU_ERR_SIZE,	 /* payload size not what the request takes */
	VHU_ERR_FDS,	 /* wrong number of fds for the request */
	VHU_ERR_INDEX,	 /* queue index out of range */
	VHU_ERR_PAYLOAD, /* a field out of range: features, sizes, flags */
	VHU_ERR_MEM,	 /* bad memory region: overlap, too many, mmap failed */
	VHU_ERR_ADDR,	 /* ring address outside guest memory */
	VHU_ERR_RING,	 /* the ring engine refused the queue */
	VHU_ERR_UNKNOWN, /* unknown or unsupported request (answered, not fatal) */
	VHU_ERR_MAX
};

const char *vhu_err_name(enum vhu_err e);

struct vhu_port_stats {
	uint64_t connects;
	uint64_t disconnects;
	uint64_t dropped; /* connections dropped for a malformed message */
	uint64_t messages;
	uint64_t err[VHU_ERR_MAX];
};

struct vhu_ctrl;
struct vhu_port;

/* Creates the control plane and starts its thread. */
int vhu_ctrl_create(struct vhu_ctrl **out);
/* Stops the thread, closes every connection, unmaps all guest memory, removes the sockets
 * it created and frees every port. Polling threads must have stopped using queues. */
void vhu_ctrl_destroy(struct vhu_ctrl *c);

/* Adds a port; the control thread starts listening/connecting at once. */
int vhu_port_add(struct vhu_ctrl *c, const struct vhu_port_config *cfg, struct vhu_port **out);

const char *vhu_port_name(const struct vhu_port *p);
unsigned vhu_port_queue_pairs(const struct vhu_port *p);
bool vhu_port_connected(const struct vhu_port *p);
uint64_t vhu_port_features(const struct vhu_port *p); /* negotiated device features */
void vhu_port_stats(struct vhu_port *p, struct vhu_port_stats *out);
/* Counters of queue idx over the port's life (queues rebuilt on reconnect included). */
int vhu_queue_stats(struct vhu_port *p, unsigned idx, struct vring_stats *out);
/* Whether queue idx is published to the data plane now (for tests and stats). */
bool vhu_queue_running(struct vhu_port *p, unsigned idx);

/* ---------------------------------------------------------------- data plane */

/* What a polling thread sees of a running queue. */
struct vhu_dpq {
	struct vring_queue *vq;
	int callfd; /* -1: the driver polls */
	uint64_t features;
	_Atomic bool broken; /* set through vhu_dp_broken() */
};

/* A polling thread registers once (an id) and goes offline when it stops. */
int vhu_dp_register(struct vhu_ctrl *c);
void vhu_dp_unregister(struct vhu_ctrl *c, int id);
/* Once per loop, while holding no vhu_dpq pointer. */
void vhu_dp_quiescent(struct vhu_ctrl *c, int id);
/* The running queue idx of p, or NULL. Valid until this thread's next quiescent point. */
struct vhu_dpq *vhu_dp_queue(struct vhu_port *p, unsigned idx);
/*
 * Whether queue idx is down: not running, and not merely paused by the control thread while
 * it applies a message (a new memory table, a new call fd). A link drops what it cannot
 * deliver to a queue that is down (the guest has no driver on it, or went away) and holds
 * it for a queue that is only paused.
 */
bool vhu_dp_queue_down(struct vhu_port *p, unsigned idx);
/* Signals the guest when vring_notify_needed() says so (one eventfd write). */
void vhu_dp_notify(struct vhu_dpq *q);
/*
 * Tells the control thread that q's ring engine returned -EIO (the driver broke the ring):
 * it logs the cause once and signals the front-end's error eventfd (SET_VRING_ERR).
 */
void vhu_dp_broken(struct vhu_dpq *q);
/* Takes a pending SEND_RARP request: true and the MAC once per request. */
bool vhu_dp_rarp_take(struct vhu_port *p, uint8_t mac[6]);

#endif /* VHOSTD_VHU_H */
