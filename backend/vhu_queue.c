/* SPDX-License-Identifier: BSD-3-Clause */
/* Virtqueue life cycle on the control thread: build, publish, unpublish, free. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vhu_int.h"

static bool vhu_packed(const struct vhu_port *p)
{
	return p->features & (1ull << VRING_F_RING_PACKED);
}

/* Bytes of the three ring areas for queue size num. */
static void vhu_ring_sizes(const struct vhu_port *p, uint32_t num, uint64_t len[3])
{
	len[0] = 16ull * num;
	if (vhu_packed(p)) {
		len[1] = 4;
		len[2] = 4;
	} else {
		/* flags, idx, ring[num], used_event / avail_event */
		len[1] = 4 + 2ull * num + 2;
		len[2] = 4 + 8ull * num + 2;
	}
}

/* Translates the ring addresses of queue idx; -EFAULT when one is outside memory. */
static int vhu_vq_translate(struct vhu_port *p, unsigned idx, void *host[3])
{
	struct vhu_vq *vq = &p->vq[idx];
	uint64_t len[3];
	uint64_t uva[3] = {vq->addr.desc, vq->addr.avail, vq->addr.used};
	uint32_t num = vq->num ? vq->num : 1;

	vhu_ring_sizes(p, num, len);
	for (int i = 0; i < 3; i++) {
		host[i] = vhu_uva_to_host(p->mem, uva[i], len[i]);
		if (!host[i]) {
			VHU_LOG(p,
				"queue %u: ring area %d at 0x%llx (%llu bytes) is outside guest "
				"memory",
				idx, i, (unsigned long long)uva[i], (unsigned long long)len[i]);
			p->stats.err[VHU_ERR_ADDR]++;
			return -EFAULT;
		}
	}
	return 0;
}

int vhu_vq_check_addr(struct vhu_port *p, unsigned idx)
{
	void *host[3];

	if (!p->mem || !p->vq[idx].has_addr)
		return 0;
	return vhu_vq_translate(p, idx, host);
}

static bool vhu_vq_ready(const struct vhu_port *p, const struct vhu_vq *vq)
{
	bool enabled = vq->enabled || !(p->features & (1ull << VHU_F_PROTOCOL_FEATURES));

	return p->mem && vq->num && vq->has_addr && vq->started && enabled;
}

/*
 * A split ring's used index lives in guest memory and survives a back-end restart. A
 * front-end that reconnects without knowing where we stopped (DPDK virtio_user sends base 0)
 * leaves it ahead of the base: resume from what the ring says was used, as QEMU and DPDK's
 * vhost do, instead of re-reading descriptors the driver has already reclaimed.
 */
static void vhu_vq_sync_used(struct vhu_port *p, unsigned idx, const void *used)
{
	struct vhu_vq *vq = &p->vq[idx];
	uint16_t ring_used;

	if (vhu_packed(p))
		return;
	/* acquire: read the index before anything the driver published with it. */
	ring_used = __atomic_load_n((const uint16_t *)used + 1, __ATOMIC_ACQUIRE);
	if (ring_used == vq->last_used)
		return;
	VHU_LOG(p, "queue %u: base %u but the used ring is at %u; resuming from the ring", idx,
		vq->last_used, ring_used);
	vq->last_avail = ring_used;
	vq->last_used = ring_used;
}

/* Builds the ring engine's queue for idx, not yet published. */
static int vhu_vq_build(struct vhu_port *p, unsigned idx, struct vhu_dpq_priv **out)
{
	struct vhu_vq *vq = &p->vq[idx];
	struct vring_queue_config qc = {0};
	struct vhu_dpq_priv *d;
	void *host[3];
	int ret = vhu_vq_translate(p, idx, host);

	if (ret)
		return ret;
	vhu_vq_sync_used(p, idx, host[2]);
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->mem = p->mem;
	qc.size = vq->num;
	qc.features = p->features;
	qc.desc = host[0];
	qc.driver = host[1];
	qc.device = host[2];
	qc.last_avail = vq->last_avail;
	qc.last_used = vq->last_used;
	qc.mem.to_host = vhu_gpa_to_host;
	qc.mem.ctx = d;
	qc.extend = p->extend;
	qc.extend_ctx = p->extend_ctx;
	ret = vring_queue_create(&qc, &d->pub.vq);
	if (ret) {
		VHU_LOG(p, "queue %u: ring engine refused it (size %u, features 0x%llx): %s", idx,
			vq->num, (unsigned long long)p->features, strerror(-ret));
		p->stats.err[VHU_ERR_RING]++;
		free(d);
		return ret;
	}
	*out = d;
	return 0;
}

/*
 * A guest RX queue (even index) takes packets only once the driver has kicked it. A driver
 * may fill its RX ring and then throw away whatever the device used before it finished
 * starting the port: DPDK's virtio PMD refills every RX ring, sends the multi-queue control
 * command, then flushes the used entries of each RX ring without receiving them, and only
 * then kicks each queue (virtio_dev_start()). Packets a NIC delivered into that window were
 * lost (the first frames of guest RX queue 0 with a packed ring and 4 queue pairs). The kick
 * after the flush is the driver's only word that it is ready; until it comes the queue is
 * not started and a NIC link holds its packets. QEMU's kick eventfds start signalled, so a
 * QEMU front-end (first start and reconnect alike) is never held back; with no kick fd
 * (the driver polls) there is nothing to wait for. The kick is seen, not consumed: poll().
 */
static bool vhu_vq_kicked(struct vhu_vq *vq, unsigned idx)
{
	struct pollfd pfd = {.fd = vq->kickfd, .events = POLLIN};

	if (vq->kicked || idx % 2 || vq->kickfd < 0)
		return true;
	/* Any event counts, so a kick fd the peer hung up on cannot stall the queue. */
	if (poll(&pfd, 1, 0) == 1)
		vq->kicked = true;
	return vq->kicked;
}

/*
 * While it waits, the ring asks the driver for kicks: a previous run of the queue may have
 * turned them off, and a driver that honours event suppression would then never kick.
 */
static int vhu_vq_ask_kick(struct vhu_port *p, unsigned idx)
{
	struct vhu_dpq_priv *d;
	int ret;

	if (p->vq[idx].kick_asked)
		return 0;
	ret = vhu_vq_build(p, idx, &d);
	if (ret)
		return ret;
	vring_set_driver_kicks(d->pub.vq, true);
	vring_queue_destroy(d->pub.vq);
	free(d);
	p->vq[idx].kick_asked = true;
	return 0;
}

static int vhu_vq_start(struct vhu_port *p, unsigned idx)
{
	struct vhu_vq *vq = &p->vq[idx];
	struct vhu_dpq_priv *d;
	int ret = vhu_vq_build(p, idx, &d);

	if (ret)
		return ret;
	/* We poll: ask the driver not to kick. */
	vring_set_driver_kicks(d->pub.vq, false);
	d->pub.callfd = vq->callfd;
	d->pub.features = p->features;
	vq->live = d;
	vq->broken_reported = false;
	/* release: the queue is fully built before a polling thread can load it. */
	atomic_store_explicit(&vq->pub, &d->pub, memory_order_release);
	return 0;
}

uint64_t vhu_vqs_running(const struct vhu_port *p)
{
	uint64_t mask = 0;

	for (unsigned i = 0; i < VHU_MAX_VQS; i++)
		if (p->vq[i].live)
			mask |= 1ull << i;
	return mask;
}

static void vhu_stats_add(struct vring_stats *to, const struct vring_stats *s)
{
	to->packets += s->packets;
	to->bytes += s->bytes;
	to->notifies += s->notifies;
	for (int i = 0; i < VRING_ERR_MAX; i++)
		to->err[i] += s->err[i];
	for (int i = 0; i < VRING_DROP_MAX; i++)
		to->drop[i] += s->drop[i];
}

void vhu_vqs_stop(struct vhu_port *p, uint64_t mask)
{
	mask &= vhu_vqs_running(p);
	if (!mask)
		return;
	for (unsigned i = 0; i < VHU_MAX_VQS; i++)
		if (mask & (1ull << i))
			atomic_store_explicit(&p->vq[i].pub, NULL, memory_order_release);
	/* After this no polling thread holds any of the queues just unpublished. */
	vhu_rcu_synchronize(p->ctrl);
	for (unsigned i = 0; i < VHU_MAX_VQS; i++) {
		struct vhu_vq *vq = &p->vq[i];

		if (!(mask & (1ull << i)))
			continue;
		vq->last_avail = vring_last_avail(vq->live->pub.vq);
		vq->last_used = vring_last_used(vq->live->pub.vq);
		vhu_stats_add(&vq->retired, vring_queue_stats(vq->live->pub.vq));
		vring_queue_destroy(vq->live->pub.vq);
		free(vq->live);
		vq->live = NULL;
	}
}

int vhu_vqs_refresh(struct vhu_port *p)
{
	for (unsigned i = 0; i < 2 * p->qp; i++) {
		struct vhu_vq *vq = &p->vq[i];
		int ret;

		if (vq->live || !vhu_vq_ready(p, vq))
			continue;
		if (vhu_vq_kicked(vq, i))
			ret = vhu_vq_start(p, i);
		else
			ret = vhu_vq_ask_kick(p, i);
		if (ret)
			return ret;
	}
	return 0;
}

bool vhu_vqs_kick_waiting(struct vhu_port *p)
{
	for (unsigned i = 0; i < 2 * p->qp; i += 2)
		if (!p->vq[i].live && vhu_vq_ready(p, &p->vq[i]) && !p->vq[i].kicked &&
		    p->vq[i].kickfd >= 0)
			return true;
	return false;
}

static void vhu_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void vhu_vq_close_fds(struct vhu_vq *vq)
{
	vhu_close(&vq->kickfd);
	vhu_close(&vq->callfd);
	vhu_close(&vq->errfd);
}

/*
 * Forgets everything a connection set, keeping the lifetime counters. The queue is stopped:
 * pub is NULL already; pub and up are left to their atomic writers (polling threads read
 * them at any time).
 */
void vhu_vq_reset(struct vhu_vq *vq)
{
	vq->num = 0;
	vq->has_addr = false;
	memset(&vq->addr, 0, sizeof(vq->addr));
	vq->last_avail = 0;
	vq->last_used = 0;
	vq->kickfd = vq->callfd = vq->errfd = -1;
	vq->started = false;
	vq->enabled = false;
	vq->kicked = false;
	vq->kick_asked = false;
	vq->broken_reported = false;
	vq->live = NULL;
}

void vhu_dev_reset(struct vhu_port *p)
{
	vhu_vqs_stop(p, ~0ull);
	for (unsigned i = 0; i < VHU_MAX_VQS; i++) {
		vhu_vq_close_fds(&p->vq[i]);
		vhu_vq_reset(&p->vq[i]);
	}
	if (p->mem) {
		vhu_mem_unmap_all(p->mem);
		free(p->mem);
		p->mem = NULL;
	}
	p->features = 0;
	p->proto_features = 0;
	p->features_set = false;
	p->status = 0;
	p->mtu = 0;
}

/* Takes ownership of new_mem (NULL: no memory). */
int vhu_mem_swap(struct vhu_port *p, struct vhu_mem *new_mem)
{
	struct vhu_mem *old = p->mem;

	/* Pause every running queue: they hold translations into the old table. */
	vhu_vqs_stop(p, ~0ull);
	p->mem = new_mem;
	if (old) {
		vhu_mem_unmap_dropped(old, new_mem);
		free(old);
	}
	return vhu_vqs_refresh(p);
}

void vhu_vqs_check_broken(struct vhu_port *p)
{
	for (unsigned i = 0; i < VHU_MAX_VQS; i++) {
		struct vhu_vq *vq = &p->vq[i];
		uint64_t one = 1;
		int e;

		if (!vq->live || vq->broken_reported ||
		    !atomic_load_explicit(&vq->live->pub.broken, memory_order_relaxed))
			continue;
		vq->broken_reported = true;
		e = vring_queue_last_error(vq->live->pub.vq);
		VHU_LOG(p,
			"queue %u: the driver broke the ring (%s); it moves nothing until the "
			"front-end resets it",
			i, e >= 0 ? vring_err_name(e) : "?");
		if (vq->errfd >= 0 && write(vq->errfd, &one, sizeof(one)) < 0)
			VHU_LOG(p, "queue %u: error eventfd: %s", i, strerror(errno));
	}
}

void vhu_vqs_mark_up(struct vhu_port *p)
{
	for (unsigned i = 0; i < VHU_MAX_VQS; i++)
		atomic_store_explicit(&p->vq[i].up, p->vq[i].live != NULL, memory_order_relaxed);
}
