/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhostd: vhost-user ports (and NIC ports) joined by [link]s, moved by DPDK polling lcores.
 * The main lcore polls too; a small thread waits for SIGINT/SIGTERM and prints counters
 * every stats_interval seconds.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vhostd.h"

/* The embedded default's NIC: a tap the host kernel sees as vhostd0. */
#define VD_DEFAULT_NIC	      "uplink"
#define VD_DEFAULT_NIC_DEVICE "net_tap0,iface=vhostd0"

struct vd_opts {
	const char *config;
	const char *socket;
	const char *lcores;
	const char *eal;
	const char *prefix;
	bool client;
	bool loopback;
	int queues;
	int stats_interval;
};

static void vd_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: vhostd [--config FILE] [--socket PATH [--client] [--queues N] [--loopback]]\n"
	    "              [--lcores LIST] [--file-prefix NAME] [--eal 'ARGS'] "
	    "[--stats-interval S]\n"
	    "Without --config: one vhost-user server port vhost0 (at /run/vhostd/vhost0.sock "
	    "unless --socket)\nlinked to a net_tap NIC named vhostd0, or with --loopback to "
	    "itself. See docs/config.md.\n");
}

static int vd_int_arg(const char *flag, const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 86400) {
		fprintf(stderr, "vhostd: %s '%s': not a number in 0..86400\n", flag, s);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

static int vd_parse_args(int argc, char **argv, struct vd_opts *o)
{
	static const struct option lo[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"socket", required_argument, NULL, 's'},
	    {"client", no_argument, NULL, 'C'},
	    {"queues", required_argument, NULL, 'q'},
	    {"loopback", no_argument, NULL, 'L'},
	    {"lcores", required_argument, NULL, 'l'},
	    {"eal", required_argument, NULL, 'e'},
	    {"file-prefix", required_argument, NULL, 'p'},
	    {"stats-interval", required_argument, NULL, 'i'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->queues = -1;
	o->stats_interval = -1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 'C':
			o->client = true;
			break;
		case 'q':
			if (vd_int_arg("--queues", optarg, &o->queues))
				return -EINVAL;
			break;
		case 'L':
			o->loopback = true;
			break;
		case 'l':
			o->lcores = optarg;
			break;
		case 'e':
			o->eal = optarg;
			break;
		case 'p':
			o->prefix = optarg;
			break;
		case 'i':
			if (vd_int_arg("--stats-interval", optarg, &o->stats_interval))
				return -EINVAL;
			break;
		case 'h':
			vd_usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vhostd: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int vd_link_add(struct cfg *c, const char *a, const char *b)
{
	if (c->n_link >= CFG_MAX_LINKS)
		return -ENOSPC;
	snprintf(c->link[c->n_link].a, CFG_NAME_MAX, "%s", a);
	snprintf(c->link[c->n_link].b, CFG_NAME_MAX, "%s", b);
	c->n_link++;
	return 0;
}

/*
 * The embedded default's link: the one vhost port to a net_tap NIC named vhostd0 (the guest
 * reaches the host kernel through it), or, with --loopback, to itself.
 */
static int vd_default_link(struct cfg *c, bool loopback)
{
	struct cfg_nic *nic = &c->nic[0];

	if (c->n_link)
		return 0;
	if (loopback)
		return vd_link_add(c, c->vhost[0].name, c->vhost[0].name);
	memset(nic, 0, sizeof(*nic));
	snprintf(nic->name, CFG_NAME_MAX, "%s", VD_DEFAULT_NIC);
	snprintf(nic->device, sizeof(nic->device), "%s", VD_DEFAULT_NIC_DEVICE);
	nic->queues = c->vhost[0].queues;
	c->n_nic = 1;
	return vd_link_add(c, c->vhost[0].name, nic->name);
}

/* The config file, or the embedded default shaped by the one-port flags. */
static int vd_config(const struct vd_opts *o, struct cfg *c)
{
	char err[CFG_ERR_MAX];
	int ret;

	if (o->config) {
		if (o->socket || o->client || o->queues >= 0 || o->loopback) {
			fprintf(stderr,
				"vhostd: --socket/--client/--queues/--loopback describe the "
				"one-port setup; with --config, put them in the file\n");
			return -EINVAL;
		}
		ret = cfg_parse_file(o->config, c, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "vhostd: %s\n", err);
			return ret;
		}
	} else {
		cfg_default(c);
		if (o->socket)
			snprintf(c->vhost[0].socket, CFG_PATH_MAX, "%s", o->socket);
		if (o->client)
			c->vhost[0].mode = CFG_MODE_CLIENT;
		if (o->queues >= 0) {
			if (o->queues < 1 || o->queues > CFG_MAX_QUEUES) {
				fprintf(stderr, "vhostd: --queues %d: use 1..%d\n", o->queues,
					CFG_MAX_QUEUES);
				return -EINVAL;
			}
			c->vhost[0].queues = (unsigned)o->queues;
		}
		if (vd_default_link(c, o->loopback))
			return -ENOSPC;
	}
	if (o->lcores)
		snprintf(c->dp.lcores, sizeof(c->dp.lcores), "%s", o->lcores);
	if (o->eal) {
		size_t len = strlen(c->dp.eal);

		if (len + strlen(o->eal) + 2 > sizeof(c->dp.eal)) {
			fprintf(stderr, "vhostd: --eal: too long (at most %zu bytes in all)\n",
				sizeof(c->dp.eal) - 1);
			return -E2BIG;
		}
		snprintf(c->dp.eal + len, sizeof(c->dp.eal) - len, "%s%s", len ? " " : "", o->eal);
	}
	if (o->stats_interval >= 0)
		c->dp.stats_interval = (unsigned)o->stats_interval;
	if (!c->dp.burst || c->dp.burst > VRING_BURST_MAX)
		c->dp.burst = 32;
	return 0;
}

/* ---------------------------------------------------------------- NIC ports (pmd seam) */

static unsigned vd_nic_room(struct vd_port *p, unsigned q)
{
	(void)p;
	(void)q;
	/* A NIC says how much it took only when offered: what it refuses stays pending. */
	return VRING_BURST_MAX;
}

static bool vd_nic_down(struct vd_port *p, unsigned q)
{
	(void)q;
	/* relaxed: a link change seen a round late costs one burst held or dropped. */
	return atomic_load_explicit(&p->link_down, memory_order_relaxed);
}

static unsigned vd_nic_rx(struct vd_port *p, unsigned q, struct rte_mbuf **pkts, unsigned n,
			  struct pmd_vq_stats *st)
{
	(void)st;
	return pmd_port_rx(p->nic, (uint16_t)q, pkts, n);
}

static unsigned vd_nic_tx(struct vd_port *p, unsigned q, struct rte_mbuf **pkts, unsigned n,
			  struct pmd_vq_stats *st)
{
	(void)st;
	return pmd_port_tx(p->nic, (uint16_t)q, pkts, n);
}

static const struct vd_port_ops vd_nic_ops = {
    .room = vd_nic_room,
    .down = vd_nic_down,
    .rx = vd_nic_rx,
    .tx = vd_nic_tx,
};

static int vd_ports_open(struct vd *d)
{
	char err[CFG_ERR_MAX];
	int ret;

	for (unsigned i = 0; i < d->cfg.n_vhost; i++) {
		const struct cfg_vhost *v = &d->cfg.vhost[i];
		struct vd_port *p = &d->ports[d->n_ports];
		struct vhu_port_config pc = {
		    .name = v->name,
		    .path = v->socket,
		    .mode = v->mode == CFG_MODE_CLIENT ? VHU_MODE_CLIENT : VHU_MODE_SERVER,
		    .queue_pairs = v->queues,
		    .reconnect_ms = v->reconnect_ms,
		    .mtu = v->mtu,
		    .extend = pmd_vring_extend,
		};

		ret = vhu_port_add(d->ctrl, &pc, &p->vhu);
		if (ret) {
			fprintf(stderr, "vhostd: [vhost %s]: cannot add the port: %s\n", v->name,
				strerror(-ret));
			return ret;
		}
		memcpy(p->name, v->name, sizeof(p->name));
		p->kind = VD_PORT_VHOST;
		p->ops = &vd_vhost_ops;
		p->queues = v->queues;
		d->n_ports++;
	}
	for (unsigned i = 0; i < d->cfg.n_nic; i++) {
		struct vd_port *p = &d->ports[d->n_ports];

		/* Started once its socket's pool exists (vd_nics_start). */
		ret = pmd_port_probe(&d->cfg.nic[i], &p->nic, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "vhostd: %s\n", err);
			pmd_port_close(p->nic);
			p->nic = NULL;
			return ret;
		}
		memcpy(p->name, d->cfg.nic[i].name, sizeof(p->name));
		p->kind = VD_PORT_NIC;
		p->ops = &vd_nic_ops;
		p->queues = pmd_port_queues(p->nic);
		/* Never negative: an unknown socket reads as ours, the main lcore's. */
		p->socket = pmd_port_socket(p->nic);
		d->n_ports++;
	}
	return 0;
}

static int vd_nics_start(struct vd *d)
{
	char err[CFG_ERR_MAX];

	for (unsigned i = 0; i < d->n_ports; i++) {
		struct vd_port *p = &d->ports[i];
		int ret;

		if (p->kind != VD_PORT_NIC)
			continue;
		ret = pmd_port_start(p->nic, p->mp, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "vhostd: %s\n", err);
			return ret;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- mbuf pools per socket */

/*
 * The config cut down to the ports on socket s (d->ports follows the config's order:
 * vhost ports, then NICs), so pmd_mempool_size() sizes s's pool for its own queues and
 * rings; with one socket it is the whole config and the pool is as big as ever.
 */
static void vd_cfg_on_socket(const struct vd *d, int s, struct cfg *c)
{
	unsigned k = 0, nv = 0, nn = 0;

	*c = d->cfg;
	for (unsigned i = 0; i < d->cfg.n_vhost; i++, k++)
		if (d->ports[k].socket == s)
			c->vhost[nv++] = d->cfg.vhost[i];
	for (unsigned i = 0; i < d->cfg.n_nic; i++, k++)
		if (d->ports[k].socket == s)
			c->nic[nn++] = d->cfg.nic[i];
	c->n_vhost = nv;
	c->n_nic = nn;
}

static void vd_pool_log(const struct vd *d, unsigned i)
{
	const char *sep = "";

	fprintf(stderr, "vhostd: mbuf pool on socket %d: %u mbufs for ports ", d->pool_socket[i],
		d->pools[i]->size);
	for (unsigned j = 0; j < d->n_ports; j++) {
		if (d->ports[j].mp != d->pools[i])
			continue;
		fprintf(stderr, "%s%s", sep, d->ports[j].name);
		sep = ",";
	}
	fprintf(stderr, "\n");
}

/* Creates the pool of socket s unless there is one; returns it in *out. */
static int vd_pool_get(struct vd *d, int s, struct cfg *scratch, struct rte_mempool **out)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	unsigned i;
	int ret;

	for (i = 0; i < d->n_pools; i++) {
		if (d->pool_socket[i] == s) {
			*out = d->pools[i];
			return 0;
		}
	}
	vd_cfg_on_socket(d, s, scratch);
	snprintf(name, sizeof(name), "vhostd_mbufs_s%d", s);
	/* Every lcore may cache this pool's mbufs: any of them frees packets into it. */
	ret =
	    pmd_mempool_create(name, pmd_mempool_size(scratch, rte_lcore_count()), s, &d->pools[i]);
	if (ret) {
		fprintf(stderr, "vhostd: mbuf pool on socket %d: %s\n", s, strerror(-ret));
		return ret;
	}
	d->pool_socket[i] = s;
	d->n_pools++;
	*out = d->pools[i];
	return 0;
}

/* One pool per socket that has a port, each port using its own socket's. */
static int vd_pools_create(struct vd *d)
{
	struct cfg *scratch = malloc(sizeof(*scratch)); /* too big for the stack */
	int ret = 0;

	if (!scratch)
		return -ENOMEM;
	vd_vhost_sockets(d);
	for (unsigned i = 0; i < d->n_ports && !ret; i++)
		ret = vd_pool_get(d, d->ports[i].socket, scratch, &d->ports[i].mp);
	free(scratch);
	for (unsigned i = 0; i < d->n_pools && !ret; i++)
		vd_pool_log(d, i);
	return ret;
}

/* ---------------------------------------------------------------- signals and stats */

static void *vd_signal_main(void *arg)
{
	struct vd *d = arg;
	unsigned iv = d->cfg.dp.stats_interval, ticks = 0;
	struct timespec ts = {1, 0}; /* one tick: link states are read once a second */
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	for (;;) {
		int sig = sigtimedwait(&set, NULL, &ts);

		if (sig == SIGINT || sig == SIGTERM) {
			fprintf(stderr, "vhostd: signal %d, stopping\n", sig);
			break;
		}
		if (atomic_load(&d->stop))
			break;
		if (sig < 0 && errno == EAGAIN) {
			vd_links_watch(d);
			if (iv && ++ticks % iv == 0)
				vd_stats_print(d);
		}
	}
	atomic_store(&d->stop, true);
	return NULL;
}

static void vd_teardown(struct vd *d)
{
	pmd_telemetry_source_clear();
	vhu_ctrl_destroy(d->ctrl);
	for (unsigned i = 0; i < d->n_items; i++)
		for (unsigned j = 0; j < d->items[i].npend; j++)
			rte_pktmbuf_free(d->items[i].pend[j]);
	free(d->items);
	free(d->lc_items);
	for (unsigned i = 0; i < d->n_ports; i++)
		if (d->ports[i].kind == VD_PORT_NIC)
			pmd_port_close(d->ports[i].nic);
	/* After the ports: a closed NIC has handed its RX buffers back. */
	for (unsigned i = 0; i < d->n_pools; i++)
		pmd_mempool_free(d->pools[i]);
}

int main(int argc, char **argv)
{
	static struct vd d;
	struct vd_opts o;
	char err[CFG_ERR_MAX];
	pthread_t sig_thread;
	sigset_t set;
	int ret;

	if (vd_parse_args(argc, argv, &o)) {
		vd_usage(stderr);
		return 2;
	}
	if (vd_config(&o, &d.cfg))
		return 2;
	d.burst = d.cfg.dp.burst;
	/* Blocked in every thread (EAL's included): only vd_signal_main takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	ret = pmd_eal_init(&d.cfg, argv[0], o.prefix ? o.prefix : "vhostd", err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vhostd: EAL: %s\n", err);
		return 1;
	}
	ret = vhu_ctrl_create(&d.ctrl);
	if (ret) {
		fprintf(stderr, "vhostd: control thread: %s\n", strerror(-ret));
		goto out_eal;
	}
	/* Pools after items: a vhost port's socket is that of the lcore polling it. */
	ret = vd_ports_open(&d);
	if (!ret)
		ret = vd_items_build(&d);
	if (!ret)
		ret = vd_pools_create(&d);
	if (!ret)
		ret = vd_nics_start(&d);
	if (ret)
		goto out_ports;
	if (vd_telemetry_start(&d))
		fprintf(stderr,
			"vhostd: DPDK telemetry commands not registered; running without\n");
	vd_links_watch(&d);
	ret = -pthread_create(&sig_thread, NULL, vd_signal_main, &d);
	if (ret)
		goto out_ports;
	fprintf(stderr, "vhostd: %u ports, %u link queues, %u polling lcores\n", d.n_ports,
		d.n_items, rte_lcore_count());
	rte_eal_mp_remote_launch(vd_poll_main, &d, CALL_MAIN);
	rte_eal_mp_wait_lcore();
	pthread_join(sig_thread, NULL);
	vd_stats_print(&d);
out_ports:
	vd_teardown(&d);
	pmd_eal_fini();
	return ret ? 1 : 0;
out_eal:
	pmd_eal_fini();
	return 1;
}
