/* SPDX-License-Identifier: BSD-3-Clause */
/* vhu internals shared by the back-end's source files. */
#ifndef VHOSTD_VHU_INT_H
#define VHOSTD_VHU_INT_H

#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "vhu.h"
#include "vhu_proto.h"

#define VHU_LOG(p, fmt, ...) vhu_log((p) ? (p)->name : "-", fmt, ##__VA_ARGS__)
void vhu_log(const char *port, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One mapped region of guest memory. */
struct vhu_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint8_t *host; /* host address of gpa */
	void *map;     /* what mmap returned */
	size_t map_len;
	unsigned refs; /* ADD_MEM_REG of the same region again (QEMU: once per queue pair) */
};

/* A memory table; sorted by gpa, never edited once published. */
struct vhu_mem {
	unsigned n;
	struct vhu_region r[VHU_MAX_MEM_SLOTS];
};

/* A published queue: what the data plane sees, plus its translation cache. */
struct vhu_dpq_priv {
	struct vhu_dpq pub;
	const struct vhu_mem *mem;
	unsigned hint; /* last region hit: written only by the polling thread */
};

struct vhu_vq {
	uint32_t num;
	bool has_addr;
	struct vhu_vring_addr addr;
	uint16_t last_avail;
	uint16_t last_used;
	int kickfd;
	int callfd;
	int errfd;
	bool started; /* kick received, GET_VRING_BASE not yet */
	bool enabled; /* SET_VRING_ENABLE */
	/* Guest RX only: the driver has kicked the current kick fd (see vhu_vq_kicked()). */
	bool kicked;
	bool kick_asked; /* notifications turned on in the ring while waiting for that kick */
	bool broken_reported;
	struct vhu_dpq_priv *live; /* control thread's view of what is published */
	_Atomic(struct vhu_dpq *) pub;
	_Atomic bool up;	    /* running as of the last message handled */
	struct vring_stats retired; /* counters of queues already destroyed */
};

/* What a completion belongs to. */
enum vhu_ev_kind {
	VHU_EV_WAKE,
	VHU_EV_TICK,
	VHU_EV_LISTEN,
	VHU_EV_CONNECT,
	VHU_EV_TIMER,
	VHU_EV_CONN,
	VHU_EV_KICK_WAIT
};

struct vhu_ev {
	enum vhu_ev_kind kind;
	struct vhu_port *port;
};

enum vhu_conn_state { VHU_CONN_NONE, VHU_CONN_HDR, VHU_CONN_PAYLOAD, VHU_CONN_REPLY };

struct vhu_msg {
	struct vhu_hdr hdr;
	union vhu_payload pl;
	int fds[VHU_MAX_FDS];
	unsigned nfds;
};

struct vhu_reply {
	struct vhu_hdr hdr;
	union {
		uint64_t u64;
		struct vhu_vring_state state;
	} pl;
} __attribute__((packed));

struct vhu_port {
	struct vhu_ctrl *ctrl;
	struct vhu_port *next;
	char name[VHU_NAME_MAX];
	char path[VHU_PATH_MAX];
	enum vhu_mode mode;
	unsigned qp;
	unsigned reconnect_ms;
	unsigned backoff_ms;
	uint16_t cfg_mtu;
	vring_extend_fn extend;
	void *extend_ctx;
	bool armed;	   /* the control thread has started it */
	bool created_sock; /* we bound path: unlink it at exit */

	int listen_fd;
	int conn_fd;
	enum vhu_conn_state cstate;
	struct vhu_ev ev_listen, ev_connect, ev_timer, ev_conn;
	struct __kernel_timespec ts;
	struct msghdr mh;
	struct iovec iov;
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHU_MAX_FDS)];
		struct cmsghdr align;
	} cmsg;
	struct vhu_msg msg;
	struct vhu_reply reply;

	/* Device state negotiated on this connection. */
	uint64_t features;
	uint64_t proto_features;
	bool features_set;
	uint8_t status;
	uint16_t mtu;
	struct vhu_mem *mem;
	struct vhu_vq vq[VHU_MAX_VQS];

	_Atomic bool connected;
	_Atomic uint64_t rarp_req; /* bumped by SEND_RARP */
	uint64_t rarp_seen;	   /* polling thread's copy */
	_Atomic uint64_t rarp_mac; /* 6 bytes */
	struct vhu_port_stats stats;
};

struct vhu_reader {
	_Alignas(64) _Atomic uint64_t seen; /* 0: offline */
	_Atomic bool used;
};

struct vhu_ctrl {
	struct io_uring ring;
	pthread_t thread;
	int wakefd;
	uint64_t wakebuf;
	struct vhu_ev ev_wake;
	struct vhu_ev ev_tick;
	struct __kernel_timespec tick;
	struct vhu_ev ev_kick_wait; /* re-polls kick fds while a guest RX queue waits */
	struct __kernel_timespec kick_wait_ts;
	bool kick_wait_armed;
	_Atomic bool stop;
	pthread_mutex_t lock; /* ports list, queue lifetimes vs stats readers */
	struct vhu_port *ports;
	_Alignas(64) _Atomic uint64_t token;
	struct vhu_reader readers[VHU_MAX_READERS];
};

/* vhu_rcu.c */
void vhu_rcu_synchronize(struct vhu_ctrl *c);

/* vhu_mem.c */
int vhu_mem_add(struct vhu_port *p, struct vhu_mem *m, const struct vhu_region_desc *d, int fd);
int vhu_mem_remove(struct vhu_mem *m, const struct vhu_region_desc *d, struct vhu_region *out);
void vhu_region_unmap(struct vhu_region *r);
/* The region identical to d (same addresses, size and offset), or NULL. */
struct vhu_region *vhu_mem_find(struct vhu_mem *m, const struct vhu_region_desc *d);
void vhu_mem_unmap_all(struct vhu_mem *m);
/* Unmaps what old has and new lacks. */
void vhu_mem_unmap_dropped(struct vhu_mem *old, const struct vhu_mem *new_mem);
void *vhu_uva_to_host(const struct vhu_mem *m, uint64_t uva, uint64_t len);
void *vhu_gpa_to_host(void *ctx, uint64_t gpa, uint64_t want, uint64_t *contig);

/* vhu_queue.c */
int vhu_vq_check_addr(struct vhu_port *p, unsigned idx);
/* Unpublishes the queues in mask, waits a grace period, keeps their indices. */
void vhu_vqs_stop(struct vhu_port *p, uint64_t mask);
uint64_t vhu_vqs_running(const struct vhu_port *p);
/*
 * Starts every queue that is ready and not running; -errno drops the connection. A guest RX
 * queue that is otherwise ready waits for the driver's first kick (vhu_vqs_kick_waiting()).
 */
int vhu_vqs_refresh(struct vhu_port *p);
/* Whether a guest RX queue of p is ready but for the driver's first kick. */
bool vhu_vqs_kick_waiting(struct vhu_port *p);
void vhu_vq_reset(struct vhu_vq *vq);
void vhu_vq_close_fds(struct vhu_vq *vq);
/* Stops everything and returns the device to its state before any message. */
void vhu_dev_reset(struct vhu_port *p);
/* Swaps in a new memory table: pause, swap, unmap, resume. */
int vhu_mem_swap(struct vhu_port *p, struct vhu_mem *new_mem);

/* Refreshes every queue's up flag from what runs now (after each message). */
void vhu_vqs_mark_up(struct vhu_port *p);
/* Logs and signals (error eventfd) queues the data plane found broken. */
void vhu_vqs_check_broken(struct vhu_port *p);

/* vhu_msg.c */
enum vhu_verdict { VHU_V_NO_REPLY, VHU_V_REPLY, VHU_V_DROP };
/* Validates and runs one message; fills p->reply when it answers. */
enum vhu_verdict vhu_msg_dispatch(struct vhu_port *p);
void vhu_msg_close_fds(struct vhu_msg *m);
uint64_t vhu_offered_features(const struct vhu_port *p);
uint64_t vhu_offered_proto_features(void);

#endif /* VHOSTD_VHU_INT_H */
