/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread: one liburing loop for every port. Each connection has exactly one
 * operation in flight (header recvmsg, payload recvmsg or reply sendmsg), so a completion
 * always finds the connection in a known state and tearing it down never races the kernel.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhu_int.h"

#define VHU_RING_ENTRIES   256
#define VHU_BACKOFF_MAX_MS 1000u

static const char *const vhu_err_names[VHU_ERR_MAX] = {
    [VHU_ERR_IO] = "io",	   [VHU_ERR_HDR] = "header",	 [VHU_ERR_SIZE] = "size",
    [VHU_ERR_FDS] = "fds",	   [VHU_ERR_INDEX] = "index",	 [VHU_ERR_PAYLOAD] = "payload",
    [VHU_ERR_MEM] = "memory",	   [VHU_ERR_ADDR] = "ring_addr", [VHU_ERR_RING] = "ring",
    [VHU_ERR_UNKNOWN] = "unknown",
};

const char *vhu_err_name(enum vhu_err e)
{
	return (unsigned)e < VHU_ERR_MAX ? vhu_err_names[e] : "?";
}

void vhu_log(const char *port, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vhostd: port %s: %s\n", port, line);
}

static struct io_uring_sqe *vhu_sqe(struct vhu_ctrl *c)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&c->ring);

	if (!sqe) {
		io_uring_submit(&c->ring);
		sqe = io_uring_get_sqe(&c->ring);
	}
	return sqe; /* never NULL right after a submit of a ring this size */
}

static void vhu_arm_wake(struct vhu_ctrl *c)
{
	struct io_uring_sqe *sqe = vhu_sqe(c);

	io_uring_prep_read(sqe, c->wakefd, &c->wakebuf, sizeof(c->wakebuf), 0);
	io_uring_sqe_set_data(sqe, &c->ev_wake);
}

static void vhu_arm_tick(struct vhu_ctrl *c)
{
	struct io_uring_sqe *sqe = vhu_sqe(c);

	c->tick.tv_sec = 1;
	c->tick.tv_nsec = 0;
	io_uring_prep_timeout(sqe, &c->tick, 0, 0);
	io_uring_sqe_set_data(sqe, &c->ev_tick);
}

static void vhu_on_tick(struct vhu_ctrl *c)
{
	pthread_mutex_lock(&c->lock);
	for (struct vhu_port *p = c->ports; p; p = p->next)
		vhu_vqs_check_broken(p);
	pthread_mutex_unlock(&c->lock);
	vhu_arm_tick(c);
}

/* 10 ms: how late a guest RX queue may start after its driver's first kick. */
static void vhu_arm_kick_wait(struct vhu_ctrl *c)
{
	struct io_uring_sqe *sqe;

	if (c->kick_wait_armed)
		return;
	sqe = vhu_sqe(c);
	c->kick_wait_ts.tv_sec = 0;
	c->kick_wait_ts.tv_nsec = 10000000;
	io_uring_prep_timeout(sqe, &c->kick_wait_ts, 0, 0);
	io_uring_sqe_set_data(sqe, &c->ev_kick_wait);
	c->kick_wait_armed = true;
}

/* Starts the guest RX queues whose first kick came; polls again while any still waits. */
static void vhu_on_kick_wait(struct vhu_ctrl *c)
{
	bool waiting = false;

	c->kick_wait_armed = false;
	pthread_mutex_lock(&c->lock);
	for (struct vhu_port *p = c->ports; p; p = p->next) {
		int ret;

		if (!vhu_vqs_kick_waiting(p))
			continue;
		ret = vhu_vqs_refresh(p);
		if (ret)
			VHU_LOG(p, "starting a queue after its first kick: %s", strerror(-ret));
		vhu_vqs_mark_up(p);
		waiting |= !ret && vhu_vqs_kick_waiting(p);
	}
	pthread_mutex_unlock(&c->lock);
	if (waiting)
		vhu_arm_kick_wait(c);
}

static void vhu_arm_timer(struct vhu_port *p, unsigned ms)
{
	struct io_uring_sqe *sqe = vhu_sqe(p->ctrl);

	p->ts.tv_sec = ms / 1000;
	p->ts.tv_nsec = (long long)(ms % 1000) * 1000000;
	io_uring_prep_timeout(sqe, &p->ts, 0, 0);
	io_uring_sqe_set_data(sqe, &p->ev_timer);
}

static void vhu_arm_accept(struct vhu_port *p)
{
	struct io_uring_sqe *sqe = vhu_sqe(p->ctrl);

	io_uring_prep_accept(sqe, p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data(sqe, &p->ev_listen);
}

static void vhu_sun(const struct vhu_port *p, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, p->path, strnlen(p->path, sizeof(sa->sun_path) - 1));
}

static void vhu_arm_connect(struct vhu_port *p)
{
	static struct sockaddr_un sa; /* only the control thread connects */
	struct io_uring_sqe *sqe;

	p->conn_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->conn_fd < 0) {
		VHU_LOG(p, "socket: %s; retrying", strerror(errno));
		vhu_arm_timer(p, p->backoff_ms);
		return;
	}
	vhu_sun(p, &sa);
	sqe = vhu_sqe(p->ctrl);
	io_uring_prep_connect(sqe, p->conn_fd, (struct sockaddr *)&sa, sizeof(sa));
	io_uring_sqe_set_data(sqe, &p->ev_connect);
	/* The kernel copies the address at submission: submit before sa is reused. */
	io_uring_submit(&p->ctrl->ring);
}

/* One recvmsg into buf; fds that come with it are collected on completion. */
static void vhu_arm_recv(struct vhu_port *p, void *buf, size_t len)
{
	struct io_uring_sqe *sqe = vhu_sqe(p->ctrl);

	p->iov.iov_base = buf;
	p->iov.iov_len = len;
	memset(&p->mh, 0, sizeof(p->mh));
	p->mh.msg_iov = &p->iov;
	p->mh.msg_iovlen = 1;
	p->mh.msg_control = p->cmsg.buf;
	p->mh.msg_controllen = sizeof(p->cmsg.buf);
	io_uring_prep_recvmsg(sqe, p->conn_fd, &p->mh, MSG_WAITALL | MSG_CMSG_CLOEXEC);
	io_uring_sqe_set_data(sqe, &p->ev_conn);
}

static void vhu_arm_hdr(struct vhu_port *p)
{
	p->cstate = VHU_CONN_HDR;
	p->msg.nfds = 0;
	vhu_arm_recv(p, &p->msg.hdr, sizeof(p->msg.hdr));
}

static void vhu_arm_reply(struct vhu_port *p)
{
	struct io_uring_sqe *sqe = vhu_sqe(p->ctrl);

	p->cstate = VHU_CONN_REPLY;
	p->iov.iov_base = &p->reply;
	p->iov.iov_len = sizeof(p->reply.hdr) + p->reply.hdr.size;
	memset(&p->mh, 0, sizeof(p->mh));
	p->mh.msg_iov = &p->iov;
	p->mh.msg_iovlen = 1;
	io_uring_prep_sendmsg(sqe, p->conn_fd, &p->mh, MSG_NOSIGNAL);
	io_uring_sqe_set_data(sqe, &p->ev_conn);
}

static void vhu_conn_up(struct vhu_port *p, int fd)
{
	p->conn_fd = fd;
	p->stats.connects++;
	atomic_store(&p->connected, true);
	VHU_LOG(p, "front-end connected");
	vhu_arm_hdr(p);
}

/* Frees everything the connection set up, then closes the socket last, so that a peer
 * seeing EOF knows every fd and mapping is gone. */
static void vhu_conn_down(struct vhu_port *p, bool rearm)
{
	pthread_mutex_lock(&p->ctrl->lock);
	vhu_dev_reset(p);
	vhu_vqs_mark_up(p);
	vhu_msg_close_fds(&p->msg);
	pthread_mutex_unlock(&p->ctrl->lock);
	if (p->conn_fd >= 0)
		close(p->conn_fd);
	p->conn_fd = -1;
	p->cstate = VHU_CONN_NONE;
	atomic_store(&p->connected, false);
	p->stats.disconnects++;
	if (!rearm)
		return;
	if (p->mode == VHU_MODE_SERVER)
		vhu_arm_accept(p);
	else if (p->mode == VHU_MODE_CLIENT)
		vhu_arm_timer(p, p->backoff_ms);
}

/* Moves the fds of the last recvmsg into the message; false when there were too many. */
static bool vhu_collect_fds(struct vhu_port *p)
{
	bool ok = !(p->mh.msg_flags & MSG_CTRUNC);

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&p->mh); cm; cm = CMSG_NXTHDR(&p->mh, cm)) {
		unsigned n;
		int fds[VHU_MAX_FDS + 1];

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		if (n > VHU_MAX_FDS + 1)
			n = VHU_MAX_FDS + 1;
		memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
		for (unsigned i = 0; i < n; i++) {
			if (p->msg.nfds < VHU_MAX_FDS) {
				p->msg.fds[p->msg.nfds++] = fds[i];
			} else {
				close(fds[i]);
				ok = false;
			}
		}
	}
	return ok;
}

static void vhu_conn_drop(struct vhu_port *p, enum vhu_err e, const char *why)
{
	VHU_LOG(p, "dropping the connection: %s", why);
	p->stats.err[e]++;
	p->stats.dropped++;
	vhu_conn_down(p, true);
}

static void vhu_conn_dispatch(struct vhu_port *p)
{
	enum vhu_verdict v;

	pthread_mutex_lock(&p->ctrl->lock);
	v = vhu_msg_dispatch(p);
	vhu_vqs_mark_up(p);
	if (v != VHU_V_DROP && vhu_vqs_kick_waiting(p))
		vhu_arm_kick_wait(p->ctrl);
	pthread_mutex_unlock(&p->ctrl->lock);
	if (v == VHU_V_REPLY) {
		vhu_arm_reply(p);
	} else if (v == VHU_V_NO_REPLY) {
		vhu_arm_hdr(p);
	} else {
		p->stats.dropped++;
		vhu_conn_down(p, true);
	}
}

static void vhu_on_hdr(struct vhu_port *p, int res)
{
	bool fds_ok = res > 0 && vhu_collect_fds(p);

	if (res == 0) {
		VHU_LOG(p, "front-end disconnected");
		vhu_conn_down(p, true);
		return;
	}
	if (res != (int)sizeof(p->msg.hdr))
		return vhu_conn_drop(p, VHU_ERR_IO, res < 0 ? strerror(-res) : "short header");
	if (!fds_ok)
		return vhu_conn_drop(p, VHU_ERR_FDS, "more than 8 fds");
	if ((p->msg.hdr.flags & VHU_FLAG_VERSION_MASK) != VHU_VERSION ||
	    (p->msg.hdr.flags & VHU_FLAG_REPLY))
		return vhu_conn_drop(p, VHU_ERR_HDR, "bad version or reply flag");
	if (p->msg.hdr.size > VHU_PAYLOAD_MAX)
		return vhu_conn_drop(p, VHU_ERR_HDR, "payload size over 4096");
	if (p->msg.hdr.size == 0)
		return vhu_conn_dispatch(p);
	p->cstate = VHU_CONN_PAYLOAD;
	vhu_arm_recv(p, &p->msg.pl, p->msg.hdr.size);
}

static void vhu_on_payload(struct vhu_port *p, int res)
{
	bool fds_ok = res > 0 && vhu_collect_fds(p);

	if (res != (int)p->msg.hdr.size)
		return vhu_conn_drop(p, VHU_ERR_IO, res < 0 ? strerror(-res) : "short payload");
	if (!fds_ok)
		return vhu_conn_drop(p, VHU_ERR_FDS, "more than 8 fds");
	vhu_conn_dispatch(p);
}

static void vhu_on_conn(struct vhu_port *p, int res)
{
	switch (p->cstate) {
	case VHU_CONN_HDR:
		vhu_on_hdr(p, res);
		break;
	case VHU_CONN_PAYLOAD:
		vhu_on_payload(p, res);
		break;
	case VHU_CONN_REPLY:
		if (res != (int)p->iov.iov_len)
			return vhu_conn_drop(p, VHU_ERR_IO, "reply not sent");
		vhu_arm_hdr(p);
		break;
	case VHU_CONN_NONE:
		break;
	}
}

static int vhu_listen(struct vhu_port *p)
{
	struct sockaddr_un sa;
	struct stat st;
	char dir[VHU_PATH_MAX];
	char *slash;
	int ret;

	strcpy(dir, p->path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		/* The default /run/vhostd may not exist yet; one level is all we create. */
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			VHU_LOG(p, "mkdir %s: %s", dir, strerror(errno));
	}
	/* A stale socket from a killed run would make bind fail; anything else we keep. */
	if (lstat(p->path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(p->path);
	p->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->listen_fd < 0)
		return -errno;
	vhu_sun(p, &sa);
	if (bind(p->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(p->listen_fd, 4) < 0) {
		ret = -errno;
		close(p->listen_fd);
		p->listen_fd = -1;
		return ret;
	}
	p->created_sock = true;
	return 0;
}

static void vhu_port_arm(struct vhu_port *p)
{
	p->armed = true;
	switch (p->mode) {
	case VHU_MODE_SERVER:
		VHU_LOG(p, "listening on %s", p->path);
		vhu_arm_accept(p);
		break;
	case VHU_MODE_CLIENT:
		vhu_arm_connect(p);
		break;
	case VHU_MODE_FD:
		vhu_conn_up(p, p->conn_fd);
		break;
	}
}

static void vhu_on_wake(struct vhu_ctrl *c)
{
	pthread_mutex_lock(&c->lock);
	for (struct vhu_port *p = c->ports; p; p = p->next)
		if (!p->armed)
			vhu_port_arm(p);
	pthread_mutex_unlock(&c->lock);
	vhu_arm_wake(c);
}

/* Doubles the retry delay up to 1 s, or up to reconnect_ms when that is longer. */
static unsigned vhu_backoff_next(const struct vhu_port *p)
{
	unsigned cap = p->reconnect_ms > VHU_BACKOFF_MAX_MS ? p->reconnect_ms : VHU_BACKOFF_MAX_MS;

	return p->backoff_ms * 2 > cap ? cap : p->backoff_ms * 2;
}

static void vhu_on_connect(struct vhu_port *p, int res)
{
	if (res == 0) {
		p->backoff_ms = p->reconnect_ms;
		vhu_conn_up(p, p->conn_fd);
		return;
	}
	close(p->conn_fd);
	p->conn_fd = -1;
	vhu_arm_timer(p, p->backoff_ms);
	p->backoff_ms = vhu_backoff_next(p);
}

static void vhu_on_accept(struct vhu_port *p, int res)
{
	if (res >= 0)
		return vhu_conn_up(p, res);
	VHU_LOG(p, "accept: %s; retrying", strerror(-res));
	vhu_arm_timer(p, 100);
}

static void vhu_on_cqe(struct vhu_ctrl *c, struct vhu_ev *ev, int res)
{
	switch (ev->kind) {
	case VHU_EV_WAKE:
		if (!atomic_load(&c->stop))
			vhu_on_wake(c);
		break;
	case VHU_EV_TICK:
		if (!atomic_load(&c->stop))
			vhu_on_tick(c);
		break;
	case VHU_EV_KICK_WAIT:
		if (!atomic_load(&c->stop))
			vhu_on_kick_wait(c);
		break;
	case VHU_EV_LISTEN:
		vhu_on_accept(ev->port, res);
		break;
	case VHU_EV_CONNECT:
		vhu_on_connect(ev->port, res);
		break;
	case VHU_EV_TIMER:
		if (ev->port->mode == VHU_MODE_CLIENT)
			vhu_arm_connect(ev->port);
		else
			vhu_arm_accept(ev->port);
		break;
	case VHU_EV_CONN:
		vhu_on_conn(ev->port, res);
		break;
	}
}

static void *vhu_ctrl_main(void *arg)
{
	struct vhu_ctrl *c = arg;
	struct io_uring_cqe *cqe;

	vhu_arm_wake(c);
	vhu_arm_tick(c);
	while (!atomic_load(&c->stop)) {
		int ret = io_uring_submit_and_wait(&c->ring, 1);

		if (ret < 0 && ret != -EINTR && ret != -ETIME) {
			fprintf(stderr, "vhostd: control loop: %s\n", strerror(-ret));
			break;
		}
		while (io_uring_peek_cqe(&c->ring, &cqe) == 0) {
			struct vhu_ev *ev = io_uring_cqe_get_data(cqe);
			int res = cqe->res;

			io_uring_cqe_seen(&c->ring, cqe);
			if (ev)
				vhu_on_cqe(c, ev, res);
		}
	}
	return NULL;
}

static void vhu_wake(struct vhu_ctrl *c)
{
	uint64_t one = 1;

	if (write(c->wakefd, &one, sizeof(one)) < 0)
		fprintf(stderr, "vhostd: wake control thread: %s\n", strerror(errno));
}

int vhu_ctrl_create(struct vhu_ctrl **out)
{
	struct vhu_ctrl *c = calloc(1, sizeof(*c));
	int ret;

	if (!c)
		return -ENOMEM;
	c->ev_wake.kind = VHU_EV_WAKE;
	c->ev_tick.kind = VHU_EV_TICK;
	c->ev_kick_wait.kind = VHU_EV_KICK_WAIT;
	atomic_store(&c->token, 1);
	pthread_mutex_init(&c->lock, NULL);
	c->wakefd = eventfd(0, EFD_CLOEXEC);
	if (c->wakefd < 0) {
		ret = -errno;
		goto out_free;
	}
	ret = io_uring_queue_init(VHU_RING_ENTRIES, &c->ring, 0);
	if (ret)
		goto out_wake;
	ret = -pthread_create(&c->thread, NULL, vhu_ctrl_main, c);
	if (ret)
		goto out_ring;
	*out = c;
	return 0;
out_ring:
	io_uring_queue_exit(&c->ring);
out_wake:
	close(c->wakefd);
out_free:
	pthread_mutex_destroy(&c->lock);
	free(c);
	return ret;
}

void vhu_ctrl_destroy(struct vhu_ctrl *c)
{
	struct vhu_port *p, *next;

	if (!c)
		return;
	atomic_store(&c->stop, true);
	vhu_wake(c);
	pthread_join(c->thread, NULL);
	/* Cancels and waits out every operation still in flight before we free buffers. */
	io_uring_queue_exit(&c->ring);
	for (p = c->ports; p; p = next) {
		next = p->next;
		if (p->conn_fd >= 0 || p->mem)
			vhu_conn_down(p, false);
		if (p->listen_fd >= 0)
			close(p->listen_fd);
		if (p->created_sock)
			unlink(p->path);
		free(p);
	}
	close(c->wakefd);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int vhu_port_add(struct vhu_ctrl *c, const struct vhu_port_config *cfg, struct vhu_port **out)
{
	struct vhu_port *p;

	if (!cfg->name || strlen(cfg->name) >= VHU_NAME_MAX || cfg->queue_pairs == 0 ||
	    cfg->queue_pairs > VHU_MAX_QUEUE_PAIRS)
		return -EINVAL;
	if (cfg->mode != VHU_MODE_FD &&
	    (!cfg->path || !cfg->path[0] || strlen(cfg->path) >= VHU_PATH_MAX))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ctrl = c;
	strcpy(p->name, cfg->name);
	if (cfg->path && cfg->mode != VHU_MODE_FD)
		strcpy(p->path, cfg->path);
	p->mode = cfg->mode;
	p->qp = cfg->queue_pairs;
	p->reconnect_ms = cfg->reconnect_ms ? cfg->reconnect_ms : 100;
	p->backoff_ms = p->reconnect_ms;
	p->cfg_mtu = cfg->mtu;
	p->extend = cfg->extend;
	p->extend_ctx = cfg->extend_ctx;
	p->listen_fd = -1;
	p->conn_fd = cfg->mode == VHU_MODE_FD ? cfg->fd : -1;
	p->ev_listen = (struct vhu_ev){VHU_EV_LISTEN, p};
	p->ev_connect = (struct vhu_ev){VHU_EV_CONNECT, p};
	p->ev_timer = (struct vhu_ev){VHU_EV_TIMER, p};
	p->ev_conn = (struct vhu_ev){VHU_EV_CONN, p};
	for (unsigned i = 0; i < VHU_MAX_VQS; i++)
		vhu_vq_reset(&p->vq[i]);
	/* Listen here, so that a bad path is the caller's error and not a silent dead port. */
	if (p->mode == VHU_MODE_SERVER) {
		int ret = vhu_listen(p);

		if (ret) {
			VHU_LOG(p, "cannot listen on %s: %s", p->path, strerror(-ret));
			free(p);
			return ret;
		}
	}
	pthread_mutex_lock(&c->lock);
	p->next = c->ports;
	c->ports = p;
	pthread_mutex_unlock(&c->lock);
	vhu_wake(c);
	*out = p;
	return 0;
}

const char *vhu_port_name(const struct vhu_port *p)
{
	return p->name;
}

unsigned vhu_port_queue_pairs(const struct vhu_port *p)
{
	return p->qp;
}

bool vhu_port_connected(const struct vhu_port *p)
{
	return atomic_load(&((struct vhu_port *)p)->connected);
}

uint64_t vhu_port_features(const struct vhu_port *p)
{
	pthread_mutex_lock(&p->ctrl->lock);
	uint64_t f = p->features;
	pthread_mutex_unlock(&p->ctrl->lock);
	return f;
}

void vhu_port_stats(struct vhu_port *p, struct vhu_port_stats *out)
{
	pthread_mutex_lock(&p->ctrl->lock);
	*out = p->stats;
	pthread_mutex_unlock(&p->ctrl->lock);
}

int vhu_queue_stats(struct vhu_port *p, unsigned idx, struct vring_stats *out)
{
	const struct vring_stats *live;

	if (idx >= 2 * p->qp)
		return -EINVAL;
	pthread_mutex_lock(&p->ctrl->lock);
	*out = p->vq[idx].retired;
	if (p->vq[idx].live) {
		/* Written by the polling thread: aligned 64-bit loads, a snapshot per field. */
		live = vring_queue_stats(p->vq[idx].live->pub.vq);
		out->packets += live->packets;
		out->bytes += live->bytes;
		out->notifies += live->notifies;
		for (int i = 0; i < VRING_ERR_MAX; i++)
			out->err[i] += live->err[i];
		for (int i = 0; i < VRING_DROP_MAX; i++)
			out->drop[i] += live->drop[i];
	}
	pthread_mutex_unlock(&p->ctrl->lock);
	return 0;
}

bool vhu_queue_running(struct vhu_port *p, unsigned idx)
{
	bool r;

	if (idx >= VHU_MAX_VQS)
		return false;
	pthread_mutex_lock(&p->ctrl->lock);
	r = p->vq[idx].live != NULL;
	pthread_mutex_unlock(&p->ctrl->lock);
	return r;
}
