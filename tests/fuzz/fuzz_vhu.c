// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz target for the vhost-user message path, through the real control thread: each input
 * gets a fresh vhu_ctrl and one VHU_MODE_FD port on a socketpair, and is a script of
 *  - messages: header fields and payload from the input, with 0..15 real fds it creates
 *    (eventfds, pipe ends, memfds of the full or a too-small size) sent as SCM_RIGHTS;
 *  - raw bytes (a stream out of step with the framing);
 *  - pokes into the last full-size memfd (guest memory as the front-end sees it);
 *  - data-plane bursts on whatever queue is running, from this thread registered as a
 *    reader, after a GET_QUEUE_NUM round trip has synchronised with the control thread.
 * Then our end is shut for writing and every reply is read up to EOF.
 *
 * Invariants: no crash, sanitizer or LeakSanitizer report; every reply is well formed
 * (version and reply flags, a payload of at most 8 bytes) and answers a request we sent, in
 * order; the port closes the connection once we stop (it answers or drops, never hangs); after
 * vhu_ctrl_destroy() every fd and every guest mapping it received is gone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "vhu.h"
#include "vhu_proto.h"

#define FZ_MEM_SIZE   0x40000u /* a full memfd; the seeds map it at gpa 0x100000 */
#define FZ_SMALL_SIZE 0x1000u
#define FZ_MAX_MSGS   64u
#define FZ_FD_MAX     15u
#define FZ_WAIT_MS    10000

enum fz_fd_kind { FZ_FD_EVENT, FZ_FD_PIPE, FZ_FD_MEM, FZ_FD_MEM_SMALL };

struct fz_vhu {
	int sock;
	struct vhu_ctrl *ctrl;
	struct vhu_port *port;
	uint8_t *mem;		    /* our mapping of the last full memfd */
	uint32_t sent[FZ_MAX_MSGS]; /* requests sent, in order */
	unsigned nsent, nmatched;
	bool in_step; /* every byte sent so far was whole messages */
	bool gone;    /* the port closed the connection */
	int reader;
};

static int fz_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	FZ_CHECK(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int fz_count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	FZ_CHECK(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "memfd:fz-guest") != NULL;
	fclose(f);
	return n;
}

static int fz_memfd(struct fz_vhu *z, bool full)
{
	int fd = memfd_create("fz-guest", MFD_CLOEXEC);

	FZ_CHECK(fd >= 0);
	FZ_CHECK(ftruncate(fd, full ? FZ_MEM_SIZE : FZ_SMALL_SIZE) == 0);
	if (full) {
		if (z->mem)
			munmap(z->mem, FZ_MEM_SIZE);
		z->mem = mmap(NULL, FZ_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		FZ_CHECK(z->mem != MAP_FAILED);
	}
	return fd;
}

/* Makes n fds of the kind asked; returns how many were made (pipes come in pairs). */
static unsigned fz_make_fds(struct fz_vhu *z, uint8_t spec, int *fds)
{
	unsigned n = spec & FZ_FD_MAX, i;
	int pp[2];

	for (i = 0; i < n; i++) {
		switch ((enum fz_fd_kind)(spec >> 6)) {
		case FZ_FD_EVENT:
			fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			break;
		case FZ_FD_PIPE:
			FZ_CHECK(pipe2(pp, O_CLOEXEC) == 0);
			close(pp[1]);
			fds[i] = pp[0];
			break;
		case FZ_FD_MEM:
			fds[i] = fz_memfd(z, true);
			break;
		case FZ_FD_MEM_SMALL:
			fds[i] = fz_memfd(z, false);
			break;
		}
		FZ_CHECK(fds[i] >= 0);
	}
	return n;
}

/* Sends buf with fds; false once the port has closed the connection. */
static bool fz_send(struct fz_vhu *z, const void *buf, size_t len, const int *fds, unsigned nfds)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * FZ_FD_MAX)];
		struct cmsghdr align;
	} cm;
	struct iovec iov = {(void *)(uintptr_t)buf, len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;
	ssize_t r;

	if (nfds) {
		mh.msg_control = cm.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	while (len) {
		r = sendmsg(z->sock, &mh, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* Only the peer going away may stop us; anything else is a hang. */
			FZ_CHECK(errno == EPIPE || errno == ECONNRESET);
			z->gone = true;
			return false;
		}
		iov.iov_base = (uint8_t *)iov.iov_base + r;
		iov.iov_len -= (size_t)r;
		len -= (size_t)r;
		mh.msg_control = NULL; /* fds go with the first byte only */
		mh.msg_controllen = 0;
	}
	return true;
}

static void fz_op_msg(struct fz_vhu *z, struct fz_in *in)
{
	struct {
		struct vhu_hdr h;
		uint8_t pl[VHU_PAYLOAD_MAX];
	} __attribute__((packed)) m;
	int fds[FZ_FD_MAX];
	unsigned nfds;
	size_t got;

	m.h.request = fz_u32(in);
	m.h.flags = fz_u32(in);
	m.h.size = fz_u32(in);
	nfds = fz_make_fds(z, fz_u8(in), fds);
	/* A size over the limit is sent as is (the port must drop us) with no payload. */
	got = m.h.size <= VHU_PAYLOAD_MAX ? fz_bytes(in, m.pl, m.h.size) : 0;
	if (got != m.h.size)
		z->in_step = false;
	if (z->nsent < FZ_MAX_MSGS)
		z->sent[z->nsent++] = m.h.request;
	else
		z->in_step = false; /* replies past the log cannot be matched */
	fz_send(z, &m, sizeof(m.h) + got, fds, nfds);
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
}

static void fz_op_raw(struct fz_vhu *z, struct fz_in *in)
{
	uint8_t buf[64];
	size_t n = fz_bytes(in, buf, 1 + fz_u8(in) % sizeof(buf));

	z->in_step = false;
	fz_send(z, buf, n, NULL, 0);
}

static void fz_op_poke(struct fz_vhu *z, struct fz_in *in)
{
	uint32_t off = fz_u32(in) % FZ_MEM_SIZE;
	uint8_t buf[32];
	size_t n = fz_bytes(in, buf, 1 + fz_u8(in) % sizeof(buf));

	if (!z->mem)
		return;
	if (n > FZ_MEM_SIZE - off)
		n = FZ_MEM_SIZE - off;
	memcpy(z->mem + off, buf, n);
}

/*
 * Receives exactly len bytes: len, or 0 at EOF (or a reset) before any byte. Signals
 * (libFuzzer's -timeout timer is a SIGALRM) only restart the wait; no byte for FZ_WAIT_MS
 * means the port neither answers nor drops: a finding.
 */
static size_t fz_recv_all(struct fz_vhu *z, void *buf, size_t len)
{
	struct timespec t0, now;
	size_t got = 0;
	ssize_t r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (got < len) {
		struct pollfd pfd = {z->sock, POLLIN, 0};
		long ms;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= FZ_WAIT_MS) {
			/* stdout: libFuzzer's -close_fd_mask=2 hides stderr. */
			printf("no reply and no EOF for %d ms: %u sent, %u answered, port %s\n",
			       FZ_WAIT_MS, z->nsent, z->nmatched,
			       vhu_port_connected(z->port) ? "connected" : "disconnected");
			fflush(stdout);
			abort();
		}
		if (poll(&pfd, 1, (int)(FZ_WAIT_MS - ms)) <= 0)
			continue;
		r = recv(z->sock, (uint8_t *)buf + got, len - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 || (r < 0 && errno == ECONNRESET)) {
			FZ_CHECK(got == 0); /* replies are whole, even when the port then drops */
			return 0;
		}
		FZ_CHECK(r > 0);
		got += (size_t)r;
	}
	return got;
}

/* Reads one reply; false at EOF (the port dropped us). Checks its form and its request. */
static bool fz_read_reply(struct fz_vhu *z)
{
	struct vhu_hdr h;
	uint8_t pl[16];

	if (!fz_recv_all(z, &h, sizeof(h))) {
		z->gone = true;
		return false;
	}
	FZ_CHECK(h.flags == (VHU_VERSION | VHU_FLAG_REPLY));
	FZ_CHECK(h.size <= 8);
	if (h.size)
		FZ_CHECK(fz_recv_all(z, pl, h.size) == h.size);
	/* Replies come in request order: skip requests that had none. */
	while (z->nmatched < z->nsent && z->sent[z->nmatched] != h.request)
		z->nmatched++;
	FZ_CHECK(!z->in_step || z->nmatched < z->nsent);
	z->nmatched++;
	return true;
}

/* GET_QUEUE_NUM, then replies up to its own: every earlier message has been handled. */
static bool fz_sync(struct fz_vhu *z)
{
	struct vhu_hdr h = {VHU_REQ_GET_QUEUE_NUM, VHU_VERSION, 0};
	unsigned mine;

	if (!z->in_step || z->gone || z->nsent >= FZ_MAX_MSGS)
		return false;
	mine = z->nsent;
	z->sent[z->nsent++] = h.request;
	if (!fz_send(z, &h, sizeof(h), NULL, 0))
		return false;
	while (z->nmatched <= mine)
		if (!fz_read_reply(z))
			return false;
	return true;
}

static struct vring_buf fz_seg[VRING_BURST_MAX];
static uint8_t fz_seg_data[VRING_BURST_MAX][2048];

static void fz_op_burst(struct fz_vhu *z, struct fz_in *in)
{
	struct vring_pkt pkts[VRING_BURST_MAX];
	uint8_t ctl = fz_u8(in);
	unsigned n = 1 + fz_u8(in) % VRING_BURST_MAX;
	struct vhu_dpq *q;
	int rc;

	if (!fz_sync(z))
		return;
	/* Online only around the burst, as a polling thread between its quiescent points:
	 * a later message that stops a queue must not wait for us while we wait for it. */
	z->reader = vhu_dp_register(z->ctrl);
	FZ_CHECK(z->reader >= 0);
	q = vhu_dp_queue(z->port, ctl % VHU_MAX_VQS);
	if (q) {
		memset(pkts, 0, sizeof(pkts));
		for (unsigned i = 0; i < n; i++) {
			fz_seg[i] = (struct vring_buf){
			    .data = fz_seg_data[i], .len = 60, .cap = sizeof(fz_seg_data[i])};
			pkts[i].seg = &fz_seg[i];
			pkts[i].len = 60;
		}
		if (ctl & 0x80)
			rc = vring_enqueue_burst(q->vq, pkts, n);
		else
			rc = vring_dequeue_burst(q->vq, pkts, n);
		FZ_CHECK(rc == -EIO || (rc >= 0 && (unsigned)rc <= n));
		if (rc == -EIO)
			vhu_dp_broken(q);
		vhu_dp_notify(q);
	}
	vhu_dp_quiescent(z->ctrl, z->reader);
	vhu_dp_unregister(z->ctrl, z->reader);
	z->reader = -1;
}

enum fz_vhu_op { FZ_OP_MSG, FZ_OP_RAW, FZ_OP_POKE, FZ_OP_BURST, FZ_OP_MAX };

static void fz_run(struct fz_vhu *z, struct fz_in *in)
{
	unsigned steps = 0;

	while (in->left && !z->gone && steps++ < 2 * FZ_MAX_MSGS) {
		switch (fz_u8(in) % FZ_OP_MAX) {
		case FZ_OP_MSG:
			fz_op_msg(z, in);
			break;
		case FZ_OP_RAW:
			fz_op_raw(z, in);
			break;
		case FZ_OP_POKE:
			fz_op_poke(z, in);
			break;
		default:
			fz_op_burst(z, in);
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = {data, size};
	struct fz_vhu z = {.sock = -1, .in_step = true, .reader = -1};
	struct vhu_port_config pc = {.name = "fz", .mode = VHU_MODE_FD};
	int fds0 = fz_count_fds(), maps0 = fz_count_maps(), sv[2];

	pc.queue_pairs = 1 + fz_u8(&in) % 2;
	pc.mtu = fz_u8(&in) & 1 ? 1500 : 0;
	FZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	z.sock = sv[0];
	pc.fd = sv[1];
	FZ_CHECK(vhu_ctrl_create(&z.ctrl) == 0);
	FZ_CHECK(vhu_port_add(z.ctrl, &pc, &z.port) == 0);
	fz_run(&z, &in);
	/* No more requests: the port must answer what it owes and close on our EOF. */
	shutdown(z.sock, SHUT_WR);
	while (fz_read_reply(&z))
		;
	vhu_ctrl_destroy(z.ctrl);
	close(z.sock);
	if (z.mem)
		munmap(z.mem, FZ_MEM_SIZE);
	FZ_CHECK(fz_count_fds() == fds0);
	FZ_CHECK(fz_count_maps() == maps0);
	return 0;
}
