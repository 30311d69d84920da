/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu tests: a scripted front-end talks to the real control thread over a socketpair (or a
 * real unix socket), with memfd guest memory. Every malformed case must drop that
 * connection (EOF on our end), count the error and leave no fd or mapping behind.
 */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "vhu.h"
#include "vhu_proto.h"

#define MEM_SIZE  (2u << 20)
#define GPA_BASE  0x100000ull
#define UVA_BASE  0x7f0000000000ull
#define RING_SIZE 256u
/* Ring layout inside the fake guest memory (offsets from its start). */
#define DESC_OFF  0x0000u
#define AVAIL_OFF 0x1000u
#define USED_OFF  0x2000u
#define BUF_OFF	  0x10000u

static struct vhu_ctrl *ctrl;

struct fe {
	int fd; /* our end */
	struct vhu_port *port;
	int memfd;
	uint8_t *mem; /* our own view of guest memory */
};

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int count_maps(const char *needle)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += !needle || strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

struct leak_mark {
	int fds;
	int maps;
};

static void leak_mark(struct leak_mark *m)
{
	m->fds = count_dir("/proc/self/fd");
	m->maps = count_maps(NULL);
}

/*
 * The back-end maps nothing but guest memory (our memfds, named vhu-test): those must all be
 * gone. The total line count is exact too, except under ASan, whose allocator maps new
 * regions of its own as the test allocates.
 */
static void leak_check(const struct leak_mark *m)
{
	assert_int_equal(count_maps("memfd:vhu-test"), 0);
	assert_int_equal(count_dir("/proc/self/fd"), m->fds);
#ifndef __SANITIZE_ADDRESS__
	assert_int_equal(count_maps(NULL), m->maps);
#endif
}

static void fe_open(struct fe *f, unsigned qp)
{
	struct vhu_port_config pc = {.name = "t", .mode = VHU_MODE_FD, .queue_pairs = qp};
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pc.fd = sv[1];
	assert_int_equal(vhu_port_add(ctrl, &pc, &f->port), 0);
	f->fd = sv[0];
	f->memfd = memfd_create("vhu-test", MFD_CLOEXEC);
	assert_true(f->memfd >= 0);
	assert_int_equal(ftruncate(f->memfd, MEM_SIZE), 0);
	f->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
	assert_true(f->mem != MAP_FAILED);
}

/* Our side gone: the back-end must tear the connection down. */
static void fe_close(struct fe *f)
{
	if (f->mem)
		munmap(f->mem, MEM_SIZE);
	if (f->memfd >= 0)
		close(f->memfd);
	f->mem = NULL;
	f->memfd = -1;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	for (int i = 0; i < 1000 && vhu_port_connected(f->port); i++)
		usleep(5000);
	assert_false(vhu_port_connected(f->port));
}

static void send_msg(int fd, uint32_t req, uint32_t flags, const void *pl, uint32_t size,
		     const int *fds, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} cm;
	struct vhu_hdr h = {req, flags ? flags : VHU_VERSION, size};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)pl, size}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = size ? 2 : 1};

	if (nfds) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	assert_int_equal(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t)(sizeof(h) + size));
}

static void send_u64(int fd, uint32_t req, uint32_t flags, uint64_t v)
{
	send_msg(fd, req, flags, &v, sizeof(v), NULL, 0);
}

static bool readable(int fd, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, ms) == 1;
}

/* Reads one reply to req; returns its payload size. */
static uint32_t recv_reply(int fd, uint32_t req, void *pl, uint32_t max)
{
	struct vhu_hdr h;

	assert_true(readable(fd, 5000));
	assert_int_equal(recv(fd, &h, sizeof(h), MSG_WAITALL), sizeof(h));
	assert_int_equal(h.request, req);
	assert_int_equal(h.flags, VHU_VERSION | VHU_FLAG_REPLY);
	assert_true(h.size <= max);
	if (h.size)
		assert_int_equal(recv(fd, pl, h.size, MSG_WAITALL), h.size);
	return h.size;
}

static uint64_t get_u64(int fd, uint32_t req)
{
	uint64_t v = 0;

	send_msg(fd, req, 0, NULL, 0, NULL, 0);
	assert_int_equal(recv_reply(fd, req, &v, sizeof(v)), sizeof(v));
	return v;
}

static void expect_ack(int fd, uint32_t req, uint64_t want)
{
	uint64_t v = ~0ull;

	assert_int_equal(recv_reply(fd, req, &v, sizeof(v)), sizeof(v));
	assert_int_equal(v, want);
}

static void expect_no_data(int fd)
{
	assert_false(readable(fd, 50));
}

/* The back-end closed the connection. */
static void expect_eof(struct fe *f)
{
	char c;
	ssize_t n;

	assert_true(readable(f->fd, 5000));
	/* A close with our bytes still unread reaches us as ECONNRESET instead of EOF. */
	n = recv(f->fd, &c, 1, 0);
	assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
	for (int i = 0; i < 1000 && vhu_port_connected(f->port); i++)
		usleep(5000);
	assert_false(vhu_port_connected(f->port));
}

static uint64_t port_err(struct fe *f, enum vhu_err e)
{
	struct vhu_port_stats s;

	vhu_port_stats(f->port, &s);
	return s.err[e];
}

static void negotiate(struct fe *f, uint64_t features)
{
	send_msg(f->fd, VHU_REQ_SET_OWNER, 0, NULL, 0, NULL, 0);
	send_u64(f->fd, VHU_REQ_SET_PROTOCOL_FEATURES, 0, 1ull << VHU_PF_REPLY_ACK);
	send_u64(f->fd, VHU_REQ_SET_FEATURES, VHU_VERSION | VHU_FLAG_NEED_REPLY, features);
	expect_ack(f->fd, VHU_REQ_SET_FEATURES, 0);
}

static struct vhu_region_desc region(uint64_t gpa, uint64_t size, uint64_t uva, uint64_t off)
{
	return (struct vhu_region_desc){gpa, size, uva, off};
}

static void set_mem_one(struct fe *f)
{
	struct vhu_mem_table t = {.nregions = 1};

	t.regions[0] = region(GPA_BASE, MEM_SIZE, UVA_BASE, 0);
	send_msg(f->fd, VHU_REQ_SET_MEM_TABLE, VHU_VERSION | VHU_FLAG_NEED_REPLY, &t,
		 VHU_MEM_TABLE_HDR_SIZE + sizeof(t.regions[0]), &f->memfd, 1);
	expect_ack(f->fd, VHU_REQ_SET_MEM_TABLE, 0);
}

static void ack_state(struct fe *f, uint32_t req, uint32_t idx, uint32_t num)
{
	struct vhu_vring_state s = {idx, num};

	send_msg(f->fd, req, VHU_VERSION | VHU_FLAG_NEED_REPLY, &s, sizeof(s), NULL, 0);
	expect_ack(f->fd, req, 0);
}

/*
 * Queue idx laid out at ring slot idx of the fake memory (0x4000 apart). The kick eventfd
 * starts at kicks (QEMU's start signalled, DPDK's virtio_user's at 0); *kick_out, when
 * given, keeps our copy of it open.
 */
static void setup_vring_kick(struct fe *f, unsigned idx, unsigned kicks, int *kick_out)
{
	uint64_t base = UVA_BASE + idx * 0x4000ull;
	struct vhu_vring_addr a = {idx, 0, base + DESC_OFF, base + USED_OFF, base + AVAIL_OFF, 0};
	int kick = eventfd(kicks, EFD_CLOEXEC), call = eventfd(0, EFD_CLOEXEC);
	uint64_t v = idx;

	ack_state(f, VHU_REQ_SET_VRING_NUM, idx, RING_SIZE);
	ack_state(f, VHU_REQ_SET_VRING_BASE, idx, 0);
	send_msg(f->fd, VHU_REQ_SET_VRING_ADDR, VHU_VERSION | VHU_FLAG_NEED_REPLY, &a, sizeof(a),
		 NULL, 0);
	expect_ack(f->fd, VHU_REQ_SET_VRING_ADDR, 0);
	send_msg(f->fd, VHU_REQ_SET_VRING_CALL, VHU_VERSION | VHU_FLAG_NEED_REPLY, &v, 8, &call, 1);
	expect_ack(f->fd, VHU_REQ_SET_VRING_CALL, 0);
	send_msg(f->fd, VHU_REQ_SET_VRING_KICK, VHU_VERSION | VHU_FLAG_NEED_REPLY, &v, 8, &kick, 1);
	expect_ack(f->fd, VHU_REQ_SET_VRING_KICK, 0);
	if (kick_out)
		*kick_out = kick;
	else
		close(kick);
	close(call);
}

static void setup_vring(struct fe *f, unsigned idx)
{
	setup_vring_kick(f, idx, 1, NULL);
}

static const uint64_t base_features =
    1ull << VRING_F_VERSION_1 | 1ull << VRING_F_NET_MRG_RXBUF | 1ull << VHU_F_PROTOCOL_FEATURES;

/* ------------------------------------------------------------------ happy paths */

static void test_get_features(void **state)
{
	struct fe f;
	uint64_t want = 1ull << VRING_F_VERSION_1 | 1ull << VRING_F_RING_PACKED |
			1ull << VRING_F_IN_ORDER | 1ull << VRING_F_EVENT_IDX |
			1ull << VRING_F_INDIRECT_DESC | 1ull << VRING_F_NET_MRG_RXBUF |
			1ull << VHU_F_NET_STATUS | 1ull << VHU_F_PROTOCOL_FEATURES |
			1ull << VHU_F_NET_MQ;

	(void)state;
	fe_open(&f, 2);
	assert_int_equal(get_u64(f.fd, VHU_REQ_GET_FEATURES), want);
	assert_int_equal(get_u64(f.fd, VHU_REQ_GET_PROTOCOL_FEATURES),
			 1ull << VHU_PF_MQ | 1ull << VHU_PF_REPLY_ACK | 1ull << VHU_PF_RARP |
			     1ull << VHU_PF_MTU | 1ull << VHU_PF_CONFIGURE_MEM_SLOTS |
			     1ull << VHU_PF_STATUS | 1ull << VHU_PF_RESET_DEVICE);
	assert_int_equal(get_u64(f.fd, VHU_REQ_GET_QUEUE_NUM), 2);
	assert_int_equal(get_u64(f.fd, VHU_REQ_GET_MAX_MEM_SLOTS), VHU_MAX_MEM_SLOTS);
	/* Without REPLY_ACK negotiated, NEED_REPLY on a SET gets no answer. */
	send_u64(f.fd, VHU_REQ_SET_FEATURES, VHU_VERSION | VHU_FLAG_NEED_REPLY, base_features);
	expect_no_data(f.fd);
	negotiate(&f, base_features);
	assert_int_equal(vhu_port_features(f.port), base_features);
	fe_close(&f);
}

static void test_status_mtu_rarp(void **state)
{
	struct fe f;
	uint8_t mac[6];
	int id;

	(void)state;
	fe_open(&f, 1);
	negotiate(&f, base_features);
	send_u64(f.fd, VHU_REQ_SET_STATUS, VHU_VERSION | VHU_FLAG_NEED_REPLY, 0x0f);
	expect_ack(f.fd, VHU_REQ_SET_STATUS, 0);
	assert_int_equal(get_u64(f.fd, VHU_REQ_GET_STATUS), 0x0f);
	send_u64(f.fd, VHU_REQ_NET_SET_MTU, VHU_VERSION | VHU_FLAG_NEED_REPLY, 9000);
	expect_ack(f.fd, VHU_REQ_NET_SET_MTU, 0);
	id = vhu_dp_register(ctrl);
	assert_true(id >= 0);
	assert_false(vhu_dp_rarp_take(f.port, mac));
	send_u64(f.fd, VHU_REQ_SEND_RARP, VHU_VERSION | VHU_FLAG_NEED_REPLY, 0x665544332211ull);
	expect_ack(f.fd, VHU_REQ_SEND_RARP, 0);
	assert_true(vhu_dp_rarp_take(f.port, mac));
	assert_memory_equal(mac, "\x11\x22\x33\x44\x55\x66", 6);
	assert_false(vhu_dp_rarp_take(f.port, mac));
	vhu_dp_unregister(ctrl, id);
	fe_close(&f);
}

/* Memory, a queue pair, a packet through the published TX queue, then GET_VRING_BASE. */
static void test_vring_lifecycle(void **state)
{
	struct leak_mark lm;
	struct fe f;
	struct vhu_vring_state st = {1, 0};
	uint8_t *txq = NULL, data[2048];
	struct vring_buf seg = {.data = data, .cap = sizeof(data)};
	struct vring_pkt pkt = {.seg = &seg};
	struct vhu_dpq *q;
	int id;

	(void)state;
	leak_mark(&lm);
	fe_open(&f, 1);
	negotiate(&f, base_features);
	set_mem_one(&f);
	setup_vring(&f, 0);
	setup_vring(&f, 1);
	/* PROTOCOL_FEATURES negotiated: rings start disabled. */
	assert_false(vhu_queue_running(f.port, 1));
	ack_state(&f, VHU_REQ_SET_VRING_ENABLE, 0, 1);
	ack_state(&f, VHU_REQ_SET_VRING_ENABLE, 1, 1);
	assert_true(vhu_queue_running(f.port, 0));
	assert_true(vhu_queue_running(f.port, 1));

	/* The driver posts one 60-byte packet (12-byte header first) on TX queue 1. */
	txq = f.mem + 0x4000;
	{
		uint64_t addr = GPA_BASE + BUF_OFF;
		uint32_t len = 12 + 60;
		uint16_t zero = 0, one = 1;

		memcpy(txq + DESC_OFF, &addr, 8);
		memcpy(txq + DESC_OFF + 8, &len, 4);
		memset(f.mem + BUF_OFF, 0, 12);
		for (int i = 0; i < 60; i++)
			f.mem[BUF_OFF + 12 + i] = (uint8_t)i;
		memcpy(txq + AVAIL_OFF + 4, &zero, 2);
		__atomic_store_n((uint16_t *)(txq + AVAIL_OFF + 2), one, __ATOMIC_RELEASE);
	}
	id = vhu_dp_register(ctrl);
	q = vhu_dp_queue(f.port, 1);
	assert_non_null(q);
	assert_int_equal(vring_dequeue_burst(q->vq, &pkt, 1), 1);
	assert_int_equal(pkt.len, 60);
	for (int i = 0; i < 60; i++)
		assert_int_equal(data[i], i);
	assert_int_equal(*(uint16_t *)(txq + USED_OFF + 2), 1);
	vhu_dp_quiescent(ctrl, id);
	vhu_dp_unregister(ctrl, id);

	send_msg(f.fd, VHU_REQ_GET_VRING_BASE, 0, &st, sizeof(st), NULL, 0);
	assert_int_equal(recv_reply(f.fd, VHU_REQ_GET_VRING_BASE, &st, sizeof(st)), sizeof(st));
	assert_int_equal(st.index, 1);
	assert_int_equal(st.num, 1);
	assert_false(vhu_queue_running(f.port, 1));
	assert_true(vhu_queue_running(f.port, 0));
	{
		struct vring_stats s;

		assert_int_equal(vhu_queue_stats(f.port, 1, &s), 0);
		assert_int_equal(s.packets, 1);
		assert_int_equal(s.bytes, 60);
	}
	/* Disable stops queue 0; RESET_DEVICE forgets everything. */
	ack_state(&f, VHU_REQ_SET_VRING_ENABLE, 0, 0);
	assert_false(vhu_queue_running(f.port, 0));
	send_msg(f.fd, VHU_REQ_RESET_DEVICE, 0, NULL, 0, NULL, 0);
	assert_int_equal(get_u64(f.fd, VHU_REQ_GET_FEATURES) & base_features, base_features);
	assert_int_equal(vhu_port_features(f.port), 0);
	fe_close(&f);
	leak_check(&lm);
}

/* A driver that breaks its ring: the data plane reports it, the control thread signals the
 * front-end's error eventfd. */
static void test_broken_ring_signals_err(void **state)
{
	struct fe f;
	struct vring_pkt pkt;
	uint8_t data[256];
	struct vring_buf seg = {.data = data, .cap = sizeof(data)};
	struct vhu_dpq *q;
	int errfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t v = 1, count = 0;
	int id;

	(void)state;
	fe_open(&f, 1);
	negotiate(&f, base_features);
	set_mem_one(&f);
	setup_vring(&f, 1);
	send_msg(f.fd, VHU_REQ_SET_VRING_ERR, VHU_VERSION | VHU_FLAG_NEED_REPLY, &v, 8, &errfd, 1);
	expect_ack(f.fd, VHU_REQ_SET_VRING_ERR, 0);
	ack_state(&f, VHU_REQ_SET_VRING_ENABLE, 1, 1);
	/* avail idx 1000 ahead of a 256-entry ring: impossible for a sane driver. */
	*(uint16_t *)(f.mem + 0x4000 + AVAIL_OFF + 2) = 1000;
	id = vhu_dp_register(ctrl);
	q = vhu_dp_queue(f.port, 1);
	assert_non_null(q);
	pkt = (struct vring_pkt){.seg = &seg};
	assert_int_equal(vring_dequeue_burst(q->vq, &pkt, 1), -EIO);
	vhu_dp_broken(q);
	vhu_dp_quiescent(ctrl, id);
	vhu_dp_unregister(ctrl, id);
	assert_true(readable(errfd, 5000));
	assert_int_equal(read(errfd, &count, sizeof(count)), sizeof(count));
	assert_int_equal(count, 1);
	{
		struct vring_stats s;

		assert_int_equal(vhu_queue_stats(f.port, 1, &s), 0);
		assert_int_equal(s.err[VRING_ERR_AVAIL_IDX], 1);
	}
	close(errfd);
	fe_close(&f);
}

/* Packed ring: same setup, the base carries the wrap counter in bit 15 both ways. */
static void test_packed_base(void **state)
{
	struct leak_mark lm;
	struct fe f;
	struct vhu_vring_state st = {0, 0};

	(void)state;
	leak_mark(&lm);
	fe_open(&f, 1);
	negotiate(&f, base_features | 1ull << VRING_F_RING_PACKED);
	set_mem_one(&f);
	setup_vring(&f, 0);
	ack_state(&f, VHU_REQ_SET_VRING_BASE, 0, 0x8000 | 5);
	ack_state(&f, VHU_REQ_SET_VRING_ENABLE, 0, 1);
	assert_true(vhu_queue_running(f.port, 0));
	send_msg(f.fd, VHU_REQ_GET_VRING_BASE, 0, &st, sizeof(st), NULL, 0);
	assert_int_equal(recv_reply(f.fd, VHU_REQ_GET_VRING_BASE, &st, sizeof(st)), sizeof(st));
	assert_int_equal(st.num, 0x8000 | 5);
	assert_false(vhu_queue_running(f.port, 0));
	fe_close(&f);
	leak_check(&lm);
}

/*
 * A guest RX queue starts only at the driver's first kick. DPDK's virtio PMD fills its RX
 * rings, then drops whatever the device used before it finished starting the port, and
 * kicks only after that: a queue that took packets earlier lost them (the first frames of
 * RX queue 0, packed ring, 4 queue pairs, tests/nic/pcap.sh). Until the kick the ring asks
 * the driver for kicks; the TX queue does not wait.
 */
static void test_rx_waits_for_first_kick(void **state)
{
	struct leak_mark lm;
	struct fe f;
	int kick0 = -1, kick1 = -1;
	uint64_t one = 1;
	uint16_t dev_flags;
	int i;

	(void)state;
	leak_mark(&lm);
	fe_open(&f, 1);
	negotiate(&f, base_features | 1ull << VRING_F_RING_PACKED);
	set_mem_one(&f);
	setup_vring_kick(&f, 0, 0, &kick0);
	setup_vring_kick(&f, 1, 0, &kick1);
	/* A previous run of the queue left kicks off (packed device event flags: DISABLE). */
	dev_flags = 1;
	memcpy(f.mem + USED_OFF + 2, &dev_flags, 2);
	ack_state(&f, VHU_REQ_SET_VRING_ENABLE, 0, 1);
	ack_state(&f, VHU_REQ_SET_VRING_ENABLE, 1, 1);
	assert_true(vhu_queue_running(f.port, 1));
	/* Well past a few 10 ms re-polls: still not started, and it asks for kicks (ENABLE). */
	usleep(100000);
	assert_false(vhu_queue_running(f.port, 0));
	assert_true(vhu_dp_queue_down(f.port, 0));
	memcpy(&dev_flags, f.mem + USED_OFF + 2, 2);
	assert_int_equal(dev_flags, 0);
	assert_int_equal(write(kick0, &one, sizeof(one)), sizeof(one));
	for (i = 0; i < 500 && !vhu_queue_running(f.port, 0); i++)
		usleep(2000);
	assert_true(vhu_queue_running(f.port, 0));
	assert_false(vhu_dp_queue_down(f.port, 0));
	/* Started: we poll, so kicks are off again. */
	memcpy(&dev_flags, f.mem + USED_OFF + 2, 2);
	assert_int_equal(dev_flags, 1);
	/* A new kick fd is a new driver start: wait again for its first kick. */
	close(kick0);
	setup_vring_kick(&f, 0, 0, &kick0);
	usleep(50000);
	assert_false(vhu_queue_running(f.port, 0));
	assert_int_equal(write(kick0, &one, sizeof(one)), sizeof(one));
	for (i = 0; i < 500 && !vhu_queue_running(f.port, 0); i++)
		usleep(2000);
	assert_true(vhu_queue_running(f.port, 0));
	close(kick0);
	close(kick1);
	fe_close(&f);
	leak_check(&lm);
}

/* A new memory table under a running queue: paused, swapped, resumed where it was. */
static void test_mem_swap_running(void **state)
{
	struct leak_mark lm;
	struct fe f;

	(void)state;
	leak_mark(&lm);
	fe_open(&f, 1);
	negotiate(&f, base_features);
	set_mem_one(&f);
	setup_vring(&f, 0);
	ack_state(&f, VHU_REQ_SET_VRING_ENABLE, 0, 1);
	assert_true(vhu_queue_running(f.port, 0));
	set_mem_one(&f);
	assert_true(vhu_queue_running(f.port, 0));
	assert_int_equal(count_maps("memfd:vhu-test"), 2); /* ours and the back-end's */
	fe_close(&f);
	leak_check(&lm);
}

static void test_add_rem_mem_reg(void **state)
{
	struct leak_mark lm;
	struct fe f;
	struct vhu_mem_single one = {0, region(GPA_BASE, MEM_SIZE / 2, UVA_BASE, 0)};
	struct vhu_mem_single two = {0, region(GPA_BASE + MEM_SIZE / 2, MEM_SIZE / 2,
					       UVA_BASE + MEM_SIZE / 2, MEM_SIZE / 2)};

	(void)state;
	leak_mark(&lm);
	fe_open(&f, 1);
	negotiate(&f, base_features);
	send_msg(f.fd, VHU_REQ_ADD_MEM_REG, VHU_VERSION | VHU_FLAG_NEED_REPLY, &one, sizeof(one),
		 &f.memfd, 1);
	expect_ack(f.fd, VHU_REQ_ADD_MEM_REG, 0);
	send_msg(f.fd, VHU_REQ_ADD_MEM_REG, VHU_VERSION | VHU_FLAG_NEED_REPLY, &two, sizeof(two),
		 &f.memfd, 1);
	expect_ack(f.fd, VHU_REQ_ADD_MEM_REG, 0);
	assert_int_equal(count_maps("memfd:vhu-test"), 3);
	setup_vring(&f, 0);
	ack_state(&f, VHU_REQ_SET_VRING_ENABLE, 0, 1);
	assert_true(vhu_queue_running(f.port, 0));
	/* The same region again (QEMU: one vhost device per queue pair) only takes a
	 * reference: mapped once, unmapped on the second removal. */
	send_msg(f.fd, VHU_REQ_ADD_MEM_REG, VHU_VERSION | VHU_FLAG_NEED_REPLY, &two, sizeof(two),
		 &f.memfd, 1);
	expect_ack(f.fd, VHU_REQ_ADD_MEM_REG, 0);
	assert_int_equal(count_maps("memfd:vhu-test"), 3);
	send_msg(f.fd, VHU_REQ_REM_MEM_REG, VHU_VERSION | VHU_FLAG_NEED_REPLY, &two, sizeof(two),
		 NULL, 0);
	expect_ack(f.fd, VHU_REQ_REM_MEM_REG, 0);
	assert_int_equal(count_maps("memfd:vhu-test"), 3);
	send_msg(f.fd, VHU_REQ_REM_MEM_REG, VHU_VERSION | VHU_FLAG_NEED_REPLY, &two, sizeof(two),
		 NULL, 0);
	expect_ack(f.fd, VHU_REQ_REM_MEM_REG, 0);
	assert_int_equal(count_maps("memfd:vhu-test"), 2);
	assert_true(vhu_queue_running(f.port, 0));
	fe_close(&f);
	leak_check(&lm);
}

static void test_unknown_request(void **state)
{
	struct fe f;

	(void)state;
	fe_open(&f, 1);
	send_u64(f.fd, VHU_REQ_SET_PROTOCOL_FEATURES, 0, 1ull << VHU_PF_REPLY_ACK);
	/* Unknown with NEED_REPLY: NACK, connection lives. */
	send_u64(f.fd, 99, VHU_VERSION | VHU_FLAG_NEED_REPLY, 0);
	expect_ack(f.fd, 99, 1);
	/* Known but unsupported (SET_LOG_BASE): NACK too. */
	send_u64(f.fd, VHU_REQ_SET_LOG_BASE, VHU_VERSION | VHU_FLAG_NEED_REPLY, 0);
	expect_ack(f.fd, VHU_REQ_SET_LOG_BASE, 1);
	/* Without NEED_REPLY: silence, and an fd it carried is closed. */
	{
		int e = eventfd(0, EFD_CLOEXEC);
		uint64_t v = 0;

		send_msg(f.fd, 200, 0, &v, 8, &e, 1);
		close(e);
	}
	expect_no_data(f.fd);
	assert_int_equal(get_u64(f.fd, VHU_REQ_GET_QUEUE_NUM), 1);
	assert_int_equal(port_err(&f, VHU_ERR_UNKNOWN), 3);
	fe_close(&f);
}

/* A real unix socket: server mode, two connections one after the other. */
static void test_server_socket(void **state)
{
	char dir[] = "/tmp/vhu-test-XXXXXX", path[128];
	struct vhu_port_config pc = {.name = "srv", .mode = VHU_MODE_SERVER, .queue_pairs = 1};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vhu_port *p;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	pc.path = path;
	assert_int_equal(vhu_port_add(ctrl, &pc, &p), 0);
	strcpy(sa.sun_path, path);
	for (int round = 0; round < 2; round++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ret = -1;

		for (int i = 0; i < 200 && ret; i++) {
			ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
			if (ret)
				usleep(5000);
		}
		assert_int_equal(ret, 0);
		assert_int_equal(get_u64(fd, VHU_REQ_GET_QUEUE_NUM), 1);
		close(fd);
		for (int i = 0; i < 1000 && vhu_port_connected(p); i++)
			usleep(5000);
	}
	{
		struct vhu_port_stats s;

		vhu_port_stats(p, &s);
		assert_int_equal(s.connects, 2);
	}
	/* The socket stays until the control plane goes (teardown removes it). */
	assert_int_equal(access(path, F_OK), 0);
}

/* Client mode: connects, and reconnects after we drop it. */
static void test_client_reconnect(void **state)
{
	char dir[] = "/tmp/vhu-test-XXXXXX", path[128];
	struct vhu_port_config pc = {
	    .name = "cli", .mode = VHU_MODE_CLIENT, .queue_pairs = 1, .reconnect_ms = 10};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vhu_port *p;
	int lfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.sock", dir);
	pc.path = path;
	/* Nobody listens yet: the port must keep retrying. */
	assert_int_equal(vhu_port_add(ctrl, &pc, &p), 0);
	usleep(50000);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	for (int round = 0; round < 2; round++) {
		int fd;

		assert_true(readable(lfd, 5000));
		fd = accept(lfd, NULL, NULL);
		assert_true(fd >= 0);
		assert_int_equal(get_u64(fd, VHU_REQ_GET_QUEUE_NUM), 1);
		close(fd);
	}
	close(lfd);
	unlink(path);
	rmdir(dir);
}

/* ------------------------------------------------------------------ hostile peer */

/* Runs one malformed script on a fresh connection, with a second port that must survive. */
static void hostile(void (*script)(struct fe *f), enum vhu_err counted)
{
	struct leak_mark lm;
	struct fe f, other;

	fe_open(&other, 1);
	munmap(other.mem, MEM_SIZE);
	close(other.memfd);
	other.mem = NULL;
	other.memfd = -1;
	leak_mark(&lm);
	fe_open(&f, 2);
	negotiate(&f, base_features);
	script(&f);
	expect_eof(&f);
	assert_true(port_err(&f, counted) >= 1);
	{
		struct vhu_port_stats s;

		vhu_port_stats(f.port, &s);
		assert_int_equal(s.dropped, 1);
	}
	munmap(f.mem, MEM_SIZE);
	close(f.memfd);
	close(f.fd);
	leak_check(&lm);
	assert_int_equal(get_u64(other.fd, VHU_REQ_GET_QUEUE_NUM), 1);
	fe_close(&other);
}

static void s_short_payload(struct fe *f)
{
	uint32_t v = 0;

	send_msg(f->fd, VHU_REQ_SET_FEATURES, 0, &v, sizeof(v), NULL, 0);
}

static void s_fd_on_set_features(struct fe *f)
{
	uint64_t v = base_features;

	send_msg(f->fd, VHU_REQ_SET_FEATURES, 0, &v, 8, &f->memfd, 1);
}

static void s_kick_without_fd(struct fe *f)
{
	send_u64(f->fd, VHU_REQ_SET_VRING_KICK, 0, 0);
}

static void s_kick_nofd_with_fd(struct fe *f)
{
	uint64_t v = VHU_VRING_NOFD;
	int e = eventfd(0, EFD_CLOEXEC);

	send_msg(f->fd, VHU_REQ_SET_VRING_KICK, 0, &v, 8, &e, 1);
	close(e);
}

static void s_index_out_of_range(struct fe *f)
{
	struct vhu_vring_state s = {4, 256}; /* 2 pairs: 0..3 */

	send_msg(f->fd, VHU_REQ_SET_VRING_NUM, 0, &s, sizeof(s), NULL, 0);
}

static void s_call_index_out_of_range(struct fe *f)
{
	uint64_t v = 200;
	int e = eventfd(0, EFD_CLOEXEC);

	send_msg(f->fd, VHU_REQ_SET_VRING_CALL, 0, &v, 8, &e, 1);
	close(e);
}

static void s_region_overlap(struct fe *f)
{
	struct vhu_mem_table t = {.nregions = 2};
	int fds[2] = {f->memfd, f->memfd};

	t.regions[0] = region(GPA_BASE, MEM_SIZE / 2, UVA_BASE, 0);
	t.regions[1] = region(GPA_BASE + 4096, MEM_SIZE / 2, UVA_BASE + MEM_SIZE, MEM_SIZE / 2);
	send_msg(f->fd, VHU_REQ_SET_MEM_TABLE, 0, &t, VHU_MEM_TABLE_HDR_SIZE + 2 * 32, fds, 2);
}

static void s_region_past_file(struct fe *f)
{
	struct vhu_mem_table t = {.nregions = 1};

	t.regions[0] = region(GPA_BASE, MEM_SIZE, UVA_BASE, 4096);
	send_msg(f->fd, VHU_REQ_SET_MEM_TABLE, 0, &t, VHU_MEM_TABLE_HDR_SIZE + 32, &f->memfd, 1);
}

static void s_ring_outside_memory(struct fe *f)
{
	struct vhu_vring_addr a = {
	    0, 0, UVA_BASE + MEM_SIZE - 16, UVA_BASE + USED_OFF, UVA_BASE + AVAIL_OFF, 0};

	set_mem_one(f);
	ack_state(f, VHU_REQ_SET_VRING_NUM, 0, RING_SIZE);
	send_msg(f->fd, VHU_REQ_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0);
}

static void s_too_many_regions(struct fe *f)
{
	struct {
		struct vhu_mem_table t;
		struct vhu_region_desc extra;
	} big = {.t = {.nregions = 9}};
	int fds[8];

	for (int i = 0; i < 8; i++) {
		big.t.regions[i] = region(GPA_BASE + i * 0x10000ull, 0x10000,
					  UVA_BASE + i * 0x10000ull, i * 0x10000ull);
		fds[i] = f->memfd;
	}
	big.extra = region(GPA_BASE + 8 * 0x10000ull, 0x10000, UVA_BASE + 8 * 0x10000ull, 0);
	send_msg(f->fd, VHU_REQ_SET_MEM_TABLE, 0, &big, VHU_MEM_TABLE_HDR_SIZE + 9 * 32, fds, 8);
}

static void s_regions_fds_mismatch(struct fe *f)
{
	struct vhu_mem_table t = {.nregions = 2};

	t.regions[0] = region(GPA_BASE, MEM_SIZE / 2, UVA_BASE, 0);
	t.regions[1] =
	    region(GPA_BASE + MEM_SIZE / 2, MEM_SIZE / 2, UVA_BASE + MEM_SIZE / 2, MEM_SIZE / 2);
	send_msg(f->fd, VHU_REQ_SET_MEM_TABLE, 0, &t, VHU_MEM_TABLE_HDR_SIZE + 64, &f->memfd, 1);
}

static void s_oversize(struct fe *f)
{
	struct vhu_hdr h = {VHU_REQ_SET_FEATURES, VHU_VERSION, 1u << 20};

	assert_int_equal(send(f->fd, &h, sizeof(h), MSG_NOSIGNAL), sizeof(h));
}

static void s_bad_version(struct fe *f)
{
	send_u64(f->fd, VHU_REQ_SET_FEATURES, 2, 0);
}

static void s_unoffered_feature(struct fe *f)
{
	send_u64(f->fd, VHU_REQ_SET_FEATURES, 0, 1ull << 63);
}

static void s_truncated(struct fe *f)
{
	struct vhu_hdr h = {VHU_REQ_SET_FEATURES, VHU_VERSION, 8};

	/* Header promises 8 bytes, 3 come, then the peer half-closes. */
	assert_int_equal(send(f->fd, &h, sizeof(h), MSG_NOSIGNAL), sizeof(h));
	assert_int_equal(send(f->fd, "abc", 3, MSG_NOSIGNAL), 3);
	shutdown(f->fd, SHUT_WR);
}

static void s_rem_unknown_region(struct fe *f)
{
	struct vhu_mem_single one = {0, region(GPA_BASE, 4096, UVA_BASE, 0)};

	send_msg(f->fd, VHU_REQ_REM_MEM_REG, 0, &one, sizeof(one), NULL, 0);
}

#define HOSTILE(fn, err)                                                                           \
	static void test_##fn(void **state)                                                        \
	{                                                                                          \
		(void)state;                                                                       \
		hostile(fn, err);                                                                  \
	}
HOSTILE(s_short_payload, VHU_ERR_SIZE)
HOSTILE(s_fd_on_set_features, VHU_ERR_FDS)
HOSTILE(s_kick_without_fd, VHU_ERR_FDS)
HOSTILE(s_kick_nofd_with_fd, VHU_ERR_FDS)
HOSTILE(s_index_out_of_range, VHU_ERR_INDEX)
HOSTILE(s_call_index_out_of_range, VHU_ERR_INDEX)
HOSTILE(s_region_overlap, VHU_ERR_MEM)
HOSTILE(s_region_past_file, VHU_ERR_MEM)
HOSTILE(s_ring_outside_memory, VHU_ERR_ADDR)
HOSTILE(s_too_many_regions, VHU_ERR_MEM)
HOSTILE(s_regions_fds_mismatch, VHU_ERR_FDS)
HOSTILE(s_oversize, VHU_ERR_HDR)
HOSTILE(s_bad_version, VHU_ERR_HDR)
HOSTILE(s_unoffered_feature, VHU_ERR_PAYLOAD)
HOSTILE(s_truncated, VHU_ERR_IO)
HOSTILE(s_rem_unknown_region, VHU_ERR_MEM)

static int group_setup(void **state)
{
	(void)state;
	/* One malloc arena: per-thread arenas would show up as new mappings mid-test. */
	mallopt(M_ARENA_MAX, 1);
	return vhu_ctrl_create(&ctrl);
}

static int group_teardown(void **state)
{
	(void)state;
	vhu_ctrl_destroy(ctrl);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_features),
	    cmocka_unit_test(test_status_mtu_rarp),
	    cmocka_unit_test(test_vring_lifecycle),
	    cmocka_unit_test(test_broken_ring_signals_err),
	    cmocka_unit_test(test_packed_base),
	    cmocka_unit_test(test_rx_waits_for_first_kick),
	    cmocka_unit_test(test_mem_swap_running),
	    cmocka_unit_test(test_add_rem_mem_reg),
	    cmocka_unit_test(test_unknown_request),
	    cmocka_unit_test(test_server_socket),
	    cmocka_unit_test(test_client_reconnect),
	    cmocka_unit_test(test_s_short_payload),
	    cmocka_unit_test(test_s_fd_on_set_features),
	    cmocka_unit_test(test_s_kick_without_fd),
	    cmocka_unit_test(test_s_kick_nofd_with_fd),
	    cmocka_unit_test(test_s_index_out_of_range),
	    cmocka_unit_test(test_s_call_index_out_of_range),
	    cmocka_unit_test(test_s_region_overlap),
	    cmocka_unit_test(test_s_region_past_file),
	    cmocka_unit_test(test_s_ring_outside_memory),
	    cmocka_unit_test(test_s_too_many_regions),
	    cmocka_unit_test(test_s_regions_fds_mismatch),
	    cmocka_unit_test(test_s_oversize),
	    cmocka_unit_test(test_s_bad_version),
	    cmocka_unit_test(test_s_unoffered_feature),
	    cmocka_unit_test(test_s_truncated),
	    cmocka_unit_test(test_s_rem_unknown_region),
	};

	return cmocka_run_group_tests_name("vhu", tests, group_setup, group_teardown);
}
