/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user messages: one bounds-checked table says, per request, what payload size and
 * how many fds it takes and whether it answers; vhu_msg_dispatch() checks all of that in one
 * place before any handler runs. A handler that finds a bad field returns -errno and the
 * connection is dropped; unknown or unsupported requests are answered (NACK when asked) and
 * the connection lives on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vhu_int.h"

enum vhu_fd_rule {
	VHU_FDS_NONE,
	VHU_FDS_ONE,
	VHU_FDS_VRING,	 /* one unless the payload's no-fd bit is set */
	VHU_FDS_REGIONS, /* one per region of a memory table */
	VHU_FDS_OPT_ONE, /* zero or one (older front-ends send one) */
};

struct vhu_handler {
	const char *name;
	int (*fn)(struct vhu_port *p, struct vhu_msg *m);
	uint32_t size_min;
	uint32_t size_max;
	enum vhu_fd_rule fds;
	bool replies; /* answers always (GET_*), not only on NEED_REPLY */
};

void vhu_msg_close_fds(struct vhu_msg *m)
{
	for (unsigned i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	m->nfds = 0;
}

/* The fd a handler keeps: taken out of the message so the generic close skips it. */
static int vhu_take_fd(struct vhu_msg *m, unsigned i)
{
	int fd = m->fds[i];

	m->fds[i] = -1;
	return fd;
}

uint64_t vhu_offered_features(const struct vhu_port *p)
{
	uint64_t f = 1ull << VRING_F_VERSION_1 | 1ull << VRING_F_RING_PACKED |
		     1ull << VRING_F_IN_ORDER | 1ull << VRING_F_EVENT_IDX |
		     1ull << VRING_F_INDIRECT_DESC | 1ull << VRING_F_NET_MRG_RXBUF |
		     1ull << VHU_F_NET_STATUS | 1ull << VHU_F_PROTOCOL_FEATURES;

	if (p->qp > 1)
		f |= 1ull << VHU_F_NET_MQ;
	if (p->cfg_mtu)
		f |= 1ull << VHU_F_NET_MTU;
	return f;
}

uint64_t vhu_offered_proto_features(void)
{
	return 1ull << VHU_PF_MQ | 1ull << VHU_PF_REPLY_ACK | 1ull << VHU_PF_RARP |
	       1ull << VHU_PF_MTU | 1ull << VHU_PF_CONFIGURE_MEM_SLOTS | 1ull << VHU_PF_STATUS |
	       1ull << VHU_PF_RESET_DEVICE;
}

static void vhu_reply_u64(struct vhu_port *p, uint64_t v)
{
	p->reply.hdr.size = sizeof(uint64_t);
	p->reply.pl.u64 = v;
}

/* Queue index from a vring message; -EINVAL (counted) when out of range. */
static int vhu_vq_index(struct vhu_port *p, uint32_t idx)
{
	if (idx >= 2 * p->qp) {
		VHU_LOG(p, "queue index %u out of range (%u queues)", idx, 2 * p->qp);
		p->stats.err[VHU_ERR_INDEX]++;
		return -EINVAL;
	}
	return (int)idx;
}

static int vhu_bad_payload(struct vhu_port *p, const char *what, unsigned long long v)
{
	VHU_LOG(p, "%s 0x%llx refused", what, v);
	p->stats.err[VHU_ERR_PAYLOAD]++;
	return -EINVAL;
}

static int vhu_h_get_features(struct vhu_port *p, struct vhu_msg *m)
{
	(void)m;
	vhu_reply_u64(p, vhu_offered_features(p));
	return 0;
}

static int vhu_h_set_features(struct vhu_port *p, struct vhu_msg *m)
{
	uint64_t f = m->pl.u64;

	if (f & ~vhu_offered_features(p))
		return vhu_bad_payload(p, "features not offered", f & ~vhu_offered_features(p));
	if (f != p->features) {
		/* Running queues were built for the old features. */
		uint64_t running = vhu_vqs_running(p);

		vhu_vqs_stop(p, running);
		p->features = f;
	}
	p->features_set = true;
	return vhu_vqs_refresh(p);
}

static int vhu_h_nop(struct vhu_port *p, struct vhu_msg *m)
{
	(void)p;
	(void)m;
	return 0;
}

static int vhu_h_reset(struct vhu_port *p, struct vhu_msg *m)
{
	uint64_t proto = p->proto_features;

	(void)m;
	vhu_dev_reset(p);
	/* The protocol features describe the connection, not the device. */
	p->proto_features = proto;
	return 0;
}

static int vhu_h_set_mem_table(struct vhu_port *p, struct vhu_msg *m)
{
	const struct vhu_mem_table *t = &m->pl.mem;
	struct vhu_mem *nm;
	int ret = 0;

	if (t->nregions > VHU_MEM_TABLE_MAX) {
		VHU_LOG(p, "SET_MEM_TABLE with %u regions, at most %u", t->nregions,
			VHU_MEM_TABLE_MAX);
		p->stats.err[VHU_ERR_MEM]++;
		return -EINVAL;
	}
	if (m->hdr.size != VHU_MEM_TABLE_HDR_SIZE + t->nregions * sizeof(t->regions[0])) {
		VHU_LOG(p, "SET_MEM_TABLE size %u does not match %u regions", m->hdr.size,
			t->nregions);
		p->stats.err[VHU_ERR_SIZE]++;
		return -EINVAL;
	}
	if (m->nfds != t->nregions) {
		VHU_LOG(p, "SET_MEM_TABLE with %u regions carries %u fds", t->nregions, m->nfds);
		p->stats.err[VHU_ERR_FDS]++;
		return -EINVAL;
	}
	nm = calloc(1, sizeof(*nm));
	if (!nm)
		return -ENOMEM;
	for (unsigned i = 0; i < t->nregions && !ret; i++)
		ret = vhu_mem_add(p, nm, &t->regions[i], m->fds[i]);
	if (ret) {
		p->stats.err[VHU_ERR_MEM]++;
		vhu_mem_unmap_all(nm);
		free(nm);
		return ret;
	}
	return vhu_mem_swap(p, nm);
}

/*
 * QEMU gives each queue pair its own vhost device on the one connection, and each adds (and
 * later removes) the whole guest memory: the same region again only takes a reference.
 * refs is control-thread bookkeeping the data plane never reads, so it changes in place.
 */
static int vhu_h_add_mem_reg(struct vhu_port *p, struct vhu_msg *m)
{
	struct vhu_region *same = vhu_mem_find(p->mem, &m->pl.one.region);
	struct vhu_mem *nm;
	int ret;

	if (same) {
		same->refs++;
		return 0;
	}
	nm = calloc(1, sizeof(*nm));
	if (!nm)
		return -ENOMEM;
	if (p->mem)
		*nm = *p->mem;
	ret = vhu_mem_add(p, nm, &m->pl.one.region, m->fds[0]);
	if (ret) {
		p->stats.err[VHU_ERR_MEM]++;
		free(nm); /* its other regions still belong to p->mem */
		return ret;
	}
	return vhu_mem_swap(p, nm);
}

static int vhu_h_rem_mem_reg(struct vhu_port *p, struct vhu_msg *m)
{
	struct vhu_region *same = vhu_mem_find(p->mem, &m->pl.one.region);
	struct vhu_mem *nm;
	struct vhu_region gone;

	if (same && same->refs > 1) {
		same->refs--;
		return 0;
	}
	nm = calloc(1, sizeof(*nm));
	if (!nm)
		return -ENOMEM;
	if (p->mem)
		*nm = *p->mem;
	if (vhu_mem_remove(nm, &m->pl.one.region, &gone)) {
		free(nm);
		VHU_LOG(p, "REM_MEM_REG: no region at gpa 0x%llx size 0x%llx",
			(unsigned long long)m->pl.one.region.gpa,
			(unsigned long long)m->pl.one.region.size);
		p->stats.err[VHU_ERR_MEM]++;
		return -ENOENT;
	}
	/* vhu_mem_swap unmaps `gone`: the old table has it, the new one not. */
	return vhu_mem_swap(p, nm);
}

static int vhu_h_set_vring_num(struct vhu_port *p, struct vhu_msg *m)
{
	int idx = vhu_vq_index(p, m->pl.state.index);

	if (idx < 0)
		return idx;
	if (m->pl.state.num == 0 || m->pl.state.num > VRING_MAX_SIZE)
		return vhu_bad_payload(p, "queue size", m->pl.state.num);
	vhu_vqs_stop(p, 1ull << idx);
	p->vq[idx].num = m->pl.state.num;
	return vhu_vqs_refresh(p);
}

static int vhu_h_set_vring_addr(struct vhu_port *p, struct vhu_msg *m)
{
	int idx = vhu_vq_index(p, m->pl.addr.index);
	int ret;

	if (idx < 0)
		return idx;
	if (m->pl.addr.flags & ~VHU_VRING_F_LOG)
		return vhu_bad_payload(p, "vring address flags", m->pl.addr.flags);
	vhu_vqs_stop(p, 1ull << idx);
	p->vq[idx].addr = m->pl.addr;
	p->vq[idx].has_addr = true;
	ret = vhu_vq_check_addr(p, (unsigned)idx);
	return ret ? ret : vhu_vqs_refresh(p);
}

static int vhu_h_set_vring_base(struct vhu_port *p, struct vhu_msg *m)
{
	int idx = vhu_vq_index(p, m->pl.state.index);

	if (idx < 0)
		return idx;
	if (m->pl.state.num > 0xffff)
		return vhu_bad_payload(p, "vring base", m->pl.state.num);
	vhu_vqs_stop(p, 1ull << idx);
	/* Everything taken before a stop was also used: both indices resume together. */
	p->vq[idx].last_avail = (uint16_t)m->pl.state.num;
	p->vq[idx].last_used = (uint16_t)m->pl.state.num;
	return vhu_vqs_refresh(p);
}

static int vhu_h_get_vring_base(struct vhu_port *p, struct vhu_msg *m)
{
	int idx = vhu_vq_index(p, m->pl.state.index);
	struct vhu_vq *vq;

	if (idx < 0)
		return idx;
	vq = &p->vq[idx];
	vhu_vqs_stop(p, 1ull << idx);
	vq->started = false;
	vq->kicked = false;
	vq->kick_asked = false;
	if (vq->kickfd >= 0)
		close(vq->kickfd);
	vq->kickfd = -1;
	p->reply.hdr.size = sizeof(struct vhu_vring_state);
	p->reply.pl.state.index = (uint32_t)idx;
	p->reply.pl.state.num = vq->last_avail;
	return 0;
}

/* KICK, CALL and ERR share a payload: index and the no-fd bit. */
static int vhu_vring_fd(struct vhu_port *p, struct vhu_msg *m)
{
	uint64_t v = m->pl.u64;

	if (v & ~(uint64_t)(VHU_VRING_IDX_MASK | VHU_VRING_NOFD))
		return vhu_bad_payload(p, "vring fd payload", v);
	return vhu_vq_index(p, (uint32_t)(v & VHU_VRING_IDX_MASK));
}

/* Replaces *fd with the message's fd, or -1 for the no-fd form; the old one is closed. */
static void vhu_vring_fd_swap(struct vhu_msg *m, int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = m->nfds ? vhu_take_fd(m, 0) : -1;
}

static int vhu_h_set_vring_kick(struct vhu_port *p, struct vhu_msg *m)
{
	int idx = vhu_vring_fd(p, m);
	struct vhu_vq *vq;

	if (idx < 0)
		return idx;
	vq = &p->vq[idx];
	vhu_vqs_stop(p, 1ull << idx);
	vhu_vring_fd_swap(m, &vq->kickfd);
	/* A kick, with or without an fd (then the ring is polled), starts the ring; a guest
	 * RX ring then waits for the first kick on the new fd (vhu_vqs_refresh()). */
	vq->started = true;
	vq->kicked = false;
	vq->kick_asked = false;
	return vhu_vqs_refresh(p);
}

static int vhu_h_set_vring_call(struct vhu_port *p, struct vhu_msg *m)
{
	int idx = vhu_vring_fd(p, m);
	struct vhu_vq *vq;

	if (idx < 0)
		return idx;
	vq = &p->vq[idx];
	/* The polling thread may be writing the old fd: unpublish before closing it. */
	vhu_vqs_stop(p, 1ull << idx);
	vhu_vring_fd_swap(m, &vq->callfd);
	return vhu_vqs_refresh(p);
}

static int vhu_h_set_vring_err(struct vhu_port *p, struct vhu_msg *m)
{
	int idx = vhu_vring_fd(p, m);

	if (idx < 0)
		return idx;
	vhu_vring_fd_swap(m, &p->vq[idx].errfd);
	return 0;
}

static int vhu_h_get_proto_features(struct vhu_port *p, struct vhu_msg *m)
{
	(void)m;
	vhu_reply_u64(p, vhu_offered_proto_features());
	return 0;
}

static int vhu_h_set_proto_features(struct vhu_port *p, struct vhu_msg *m)
{
	uint64_t f = m->pl.u64;

	if (f & ~vhu_offered_proto_features())
		return vhu_bad_payload(p, "protocol features not offered",
				       f & ~vhu_offered_proto_features());
	p->proto_features = f;
	return 0;
}

static int vhu_h_get_queue_num(struct vhu_port *p, struct vhu_msg *m)
{
	(void)m;
	vhu_reply_u64(p, p->qp);
	return 0;
}

static int vhu_h_set_vring_enable(struct vhu_port *p, struct vhu_msg *m)
{
	int idx = vhu_vq_index(p, m->pl.state.index);

	if (idx < 0)
		return idx;
	if (m->pl.state.num > 1)
		return vhu_bad_payload(p, "vring enable", m->pl.state.num);
	p->vq[idx].enabled = m->pl.state.num;
	if (!p->vq[idx].enabled)
		vhu_vqs_stop(p, 1ull << idx);
	return vhu_vqs_refresh(p);
}

static int vhu_h_send_rarp(struct vhu_port *p, struct vhu_msg *m)
{
	uint64_t mac = m->pl.u64 & 0xffffffffffffull;

	atomic_store_explicit(&p->rarp_mac, mac, memory_order_relaxed);
	/* release: the MAC is stored before the polling thread can see the request. */
	atomic_fetch_add_explicit(&p->rarp_req, 1, memory_order_release);
	return 0;
}

static int vhu_h_net_set_mtu(struct vhu_port *p, struct vhu_msg *m)
{
	if (m->pl.u64 < 68 || m->pl.u64 > 65535)
		return vhu_bad_payload(p, "MTU", m->pl.u64);
	p->mtu = (uint16_t)m->pl.u64;
	return 0;
}

static int vhu_h_get_max_mem_slots(struct vhu_port *p, struct vhu_msg *m)
{
	(void)m;
	vhu_reply_u64(p, VHU_MAX_MEM_SLOTS);
	return 0;
}

static int vhu_h_set_status(struct vhu_port *p, struct vhu_msg *m)
{
	if (m->pl.u64 > 0xff)
		return vhu_bad_payload(p, "status", m->pl.u64);
	p->status = (uint8_t)m->pl.u64;
	return 0;
}

static int vhu_h_get_status(struct vhu_port *p, struct vhu_msg *m)
{
	(void)m;
	vhu_reply_u64(p, p->status);
	return 0;
}

#define U64	sizeof(uint64_t)
#define STATE	sizeof(struct vhu_vring_state)
#define ONE_REG sizeof(struct vhu_mem_single)

static const struct vhu_handler vhu_handlers[VHU_REQ_MAX] = {
    [VHU_REQ_GET_FEATURES] = {"GET_FEATURES", vhu_h_get_features, 0, 0, VHU_FDS_NONE, true},
    [VHU_REQ_SET_FEATURES] = {"SET_FEATURES", vhu_h_set_features, U64, U64, VHU_FDS_NONE, false},
    [VHU_REQ_SET_OWNER] = {"SET_OWNER", vhu_h_nop, 0, 0, VHU_FDS_NONE, false},
    [VHU_REQ_RESET_OWNER] = {"RESET_OWNER", vhu_h_reset, 0, 0, VHU_FDS_NONE, false},
    [VHU_REQ_SET_MEM_TABLE] = {"SET_MEM_TABLE", vhu_h_set_mem_table, VHU_MEM_TABLE_HDR_SIZE,
			       VHU_PAYLOAD_MAX, VHU_FDS_REGIONS, false},
    [VHU_REQ_SET_LOG_BASE] = {"SET_LOG_BASE", NULL, 0, VHU_PAYLOAD_MAX, VHU_FDS_NONE, false},
    [VHU_REQ_SET_LOG_FD] = {"SET_LOG_FD", NULL, 0, VHU_PAYLOAD_MAX, VHU_FDS_NONE, false},
    [VHU_REQ_SET_VRING_NUM] = {"SET_VRING_NUM", vhu_h_set_vring_num, STATE, STATE, VHU_FDS_NONE,
			       false},
    [VHU_REQ_SET_VRING_ADDR] = {"SET_VRING_ADDR", vhu_h_set_vring_addr,
				sizeof(struct vhu_vring_addr), sizeof(struct vhu_vring_addr),
				VHU_FDS_NONE, false},
    [VHU_REQ_SET_VRING_BASE] = {"SET_VRING_BASE", vhu_h_set_vring_base, STATE, STATE, VHU_FDS_NONE,
				false},
    [VHU_REQ_GET_VRING_BASE] = {"GET_VRING_BASE", vhu_h_get_vring_base, STATE, STATE, VHU_FDS_NONE,
				true},
    [VHU_REQ_SET_VRING_KICK] = {"SET_VRING_KICK", vhu_h_set_vring_kick, U64, U64, VHU_FDS_VRING,
				false},
    [VHU_REQ_SET_VRING_CALL] = {"SET_VRING_CALL", vhu_h_set_vring_call, U64, U64, VHU_FDS_VRING,
				false},
    [VHU_REQ_SET_VRING_ERR] = {"SET_VRING_ERR", vhu_h_set_vring_err, U64, U64, VHU_FDS_VRING,
			       false},
    [VHU_REQ_GET_PROTOCOL_FEATURES] = {"GET_PROTOCOL_FEATURES", vhu_h_get_proto_features, 0, 0,
				       VHU_FDS_NONE, true},
    [VHU_REQ_SET_PROTOCOL_FEATURES] = {"SET_PROTOCOL_FEATURES", vhu_h_set_proto_features, U64, U64,
				       VHU_FDS_NONE, false},
    [VHU_REQ_GET_QUEUE_NUM] = {"GET_QUEUE_NUM", vhu_h_get_queue_num, 0, 0, VHU_FDS_NONE, true},
    [VHU_REQ_SET_VRING_ENABLE] = {"SET_VRING_ENABLE", vhu_h_set_vring_enable, STATE, STATE,
				  VHU_FDS_NONE, false},
    [VHU_REQ_SEND_RARP] = {"SEND_RARP", vhu_h_send_rarp, U64, U64, VHU_FDS_NONE, false},
    [VHU_REQ_NET_SET_MTU] = {"NET_SET_MTU", vhu_h_net_set_mtu, U64, U64, VHU_FDS_NONE, false},
    [VHU_REQ_RESET_DEVICE] = {"RESET_DEVICE", vhu_h_reset, 0, 0, VHU_FDS_NONE, false},
    [VHU_REQ_GET_MAX_MEM_SLOTS] = {"GET_MAX_MEM_SLOTS", vhu_h_get_max_mem_slots, 0, 0, VHU_FDS_NONE,
				   true},
    [VHU_REQ_ADD_MEM_REG] = {"ADD_MEM_REG", vhu_h_add_mem_reg, ONE_REG, ONE_REG, VHU_FDS_ONE,
			     false},
    [VHU_REQ_REM_MEM_REG] = {"REM_MEM_REG", vhu_h_rem_mem_reg, ONE_REG, ONE_REG, VHU_FDS_OPT_ONE,
			     false},
    [VHU_REQ_SET_STATUS] = {"SET_STATUS", vhu_h_set_status, U64, U64, VHU_FDS_NONE, false},
    [VHU_REQ_GET_STATUS] = {"GET_STATUS", vhu_h_get_status, 0, 0, VHU_FDS_NONE, true},
};

/* The one place fd counts are checked. */
static bool vhu_fds_ok(const struct vhu_handler *h, const struct vhu_msg *m)
{
	switch (h->fds) {
	case VHU_FDS_NONE:
		return m->nfds == 0;
	case VHU_FDS_ONE:
		return m->nfds == 1;
	case VHU_FDS_OPT_ONE:
		return m->nfds <= 1;
	case VHU_FDS_VRING:
		return m->nfds == ((m->pl.u64 & VHU_VRING_NOFD) ? 0u : 1u);
	case VHU_FDS_REGIONS:
		/* Exactly one per region: checked against nregions by the handler. */
		return m->nfds <= VHU_MEM_TABLE_MAX;
	}
	return false;
}

static const char *vhu_req_name(uint32_t req)
{
	if (req < VHU_REQ_MAX && vhu_handlers[req].name)
		return vhu_handlers[req].name;
	return "unknown";
}

static enum vhu_verdict vhu_msg_refuse(struct vhu_port *p)
{
	struct vhu_msg *m = &p->msg;
	bool ack = (m->hdr.flags & VHU_FLAG_NEED_REPLY) &&
		   (p->proto_features & (1ull << VHU_PF_REPLY_ACK));

	VHU_LOG(p, "request %u (%s) not supported%s", m->hdr.request, vhu_req_name(m->hdr.request),
		ack ? ": NACK" : "");
	p->stats.err[VHU_ERR_UNKNOWN]++;
	if (!ack)
		return VHU_V_NO_REPLY;
	vhu_reply_u64(p, 1);
	return VHU_V_REPLY;
}

enum vhu_verdict vhu_msg_dispatch(struct vhu_port *p)
{
	struct vhu_msg *m = &p->msg;
	const struct vhu_handler *h;
	enum vhu_verdict v;
	int ret;

	p->stats.messages++;
	p->reply.hdr.request = m->hdr.request;
	p->reply.hdr.flags = VHU_VERSION | VHU_FLAG_REPLY;
	p->reply.hdr.size = 0;
	h = m->hdr.request < VHU_REQ_MAX ? &vhu_handlers[m->hdr.request] : NULL;
	if (!h || !h->fn) {
		v = vhu_msg_refuse(p);
		goto out_close;
	}
	if (m->hdr.size < h->size_min || m->hdr.size > h->size_max) {
		VHU_LOG(p, "%s: payload size %u, expected %u..%u", h->name, m->hdr.size,
			h->size_min, h->size_max);
		p->stats.err[VHU_ERR_SIZE]++;
		v = VHU_V_DROP;
		goto out_close;
	}
	if (!vhu_fds_ok(h, m)) {
		VHU_LOG(p, "%s: carries %u fds, which it may not", h->name, m->nfds);
		p->stats.err[VHU_ERR_FDS]++;
		v = VHU_V_DROP;
		goto out_close;
	}
	ret = h->fn(p, m);
	if (ret) {
		VHU_LOG(p, "%s failed: %s; dropping the connection", h->name, strerror(-ret));
		v = VHU_V_DROP;
	} else if (h->replies) {
		v = VHU_V_REPLY;
	} else if ((m->hdr.flags & VHU_FLAG_NEED_REPLY) &&
		   (p->proto_features & (1ull << VHU_PF_REPLY_ACK))) {
		vhu_reply_u64(p, 0);
		v = VHU_V_REPLY;
	} else {
		v = VHU_V_NO_REPLY;
	}
out_close:
	vhu_msg_close_fds(m);
	return v;
}
