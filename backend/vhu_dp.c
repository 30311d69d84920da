/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's side of vhu: reader registration, quiescent points, published queues.
 * Quiescent-state RCU in miniature: the control thread bumps a global token and waits until
 * every online reader has stored a value at least as new.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vhu_int.h"

int vhu_dp_register(struct vhu_ctrl *c)
{
	for (unsigned i = 0; i < VHU_MAX_READERS; i++) {
		bool f = false;

		if (!atomic_compare_exchange_strong(&c->readers[i].used, &f, true))
			continue;
		/* seq_cst: the reader is online before it can load any queue pointer. */
		atomic_store(&c->readers[i].seen, atomic_load(&c->token));
		return (int)i;
	}
	return -ENOSPC;
}

void vhu_dp_unregister(struct vhu_ctrl *c, int id)
{
	if (id < 0 || (unsigned)id >= VHU_MAX_READERS)
		return;
	/* release: every access to queues happened before the reader goes offline. */
	atomic_store_explicit(&c->readers[id].seen, 0, memory_order_release);
	atomic_store(&c->readers[id].used, false);
}

void vhu_dp_quiescent(struct vhu_ctrl *c, int id)
{
	/* acquire: pairs with the writer's bump, so that the next vhu_dp_queue() sees the
	 * unpublish that preceded it; release: our earlier queue accesses are done before
	 * the writer can see the new value and free. */
	uint64_t t = atomic_load_explicit(&c->token, memory_order_acquire);

	atomic_store_explicit(&c->readers[id].seen, t, memory_order_release);
}

void vhu_rcu_synchronize(struct vhu_ctrl *c)
{
	/* seq_cst: orders the caller's unpublish stores before the new token. */
	uint64_t t = atomic_fetch_add(&c->token, 1) + 1;
	struct timespec ts = {0, 20000};

	for (unsigned i = 0; i < VHU_MAX_READERS; i++) {
		for (;;) {
			/* acquire: the reader's accesses before its quiescent store are over. */
			uint64_t s =
			    atomic_load_explicit(&c->readers[i].seen, memory_order_acquire);

			if (s == 0 || s >= t)
				break;
			nanosleep(&ts, NULL);
		}
	}
}

struct vhu_dpq *vhu_dp_queue(struct vhu_port *p, unsigned idx)
{
	if (idx >= VHU_MAX_VQS)
		return NULL;
	/* acquire: the queue was fully built before it was published. */
	return atomic_load_explicit(&p->vq[idx].pub, memory_order_acquire);
}

bool vhu_dp_queue_down(struct vhu_port *p, unsigned idx)
{
	if (idx >= VHU_MAX_VQS)
		return true;
	/* relaxed: a stale answer costs one burst held or dropped a round late. */
	return !atomic_load_explicit(&p->vq[idx].up, memory_order_relaxed);
}

void vhu_dp_notify(struct vhu_dpq *q)
{
	uint64_t one = 1;

	if (!vring_notify_needed(q->vq) || q->callfd < 0)
		return;
	/* A full eventfd counter (EAGAIN) still means the guest will be woken. */
	if (write(q->callfd, &one, sizeof(one)) < 0)
		return;
}

void vhu_dp_broken(struct vhu_dpq *q)
{
	/* relaxed: the control thread only needs to see it eventually. */
	atomic_store_explicit(&q->broken, true, memory_order_relaxed);
}

bool vhu_dp_rarp_take(struct vhu_port *p, uint8_t mac[6])
{
	/* acquire: the MAC was stored before the request count moved. */
	uint64_t req = atomic_load_explicit(&p->rarp_req, memory_order_acquire);
	uint64_t m;

	if (req == p->rarp_seen)
		return false;
	p->rarp_seen = req;
	m = atomic_load_explicit(&p->rarp_mac, memory_order_relaxed);
	memcpy(mac, &m, 6);
	return true;
}
