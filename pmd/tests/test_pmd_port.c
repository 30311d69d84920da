/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NIC ports on DPDK's virtual devices (net_null, net_ring, net_pcap): bursts, lossless TX,
 * counters, pcap bytes out and in, every bad-config error, and telemetry over its socket.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "pmd.h"

static struct rte_mempool *pool;
static char tmpdir[64];

static struct cfg_nic nic(const char *name, const char *dev, unsigned queues)
{
	struct cfg_nic n;

	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "%s", name);
	snprintf(n.device, sizeof(n.device), "%s", dev);
	n.queues = queues;
	return n;
}

static struct pmd_port *open_port(const struct cfg_nic *n)
{
	struct pmd_port *p = NULL;
	char err[512] = "";
	int ret;

	ret = pmd_port_probe(n, &p, err, sizeof(err));
	if (!ret)
		ret = pmd_port_start(p, pool, err, sizeof(err));
	if (ret)
		fail_msg("%s: %s", n->device, err);
	return p;
}

static void fill(uint8_t *p, unsigned len, unsigned seed)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + seed);
}

static struct rte_mbuf *mk(unsigned len, unsigned seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *d;

	assert_non_null(m);
	d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(d);
	fill(d, len, seed);
	return m;
}

static void assert_bytes(struct rte_mbuf *m, unsigned len, unsigned seed)
{
	uint8_t want[2048], got[2048];

	assert_int_equal(m->pkt_len, len);
	fill(want, len, seed);
	assert_memory_equal(rte_pktmbuf_read(m, 0, len, got), want, len);
}

static void test_null_bursts(void **state)
{
	struct cfg_nic n = nic("n0", "net_null0,size=64", 1);
	struct rte_mbuf *pkts[16];
	struct pmd_port_stats s;
	struct pmd_port *p;

	(void)state;
	p = open_port(&n);
	assert_string_equal(pmd_port_name(p), "n0");
	assert_true(pmd_port_link_up(p));
	assert_int_equal(pmd_port_mtu(p), 1500);
	/* An endless source, but never more than the room the caller gives. */
	assert_int_equal(pmd_port_rx(p, 0, pkts, 8), 8);
	assert_int_equal(pmd_port_rx(p, 0, pkts + 8, 3), 3);
	assert_int_equal(pkts[10]->pkt_len, 64);
	assert_int_equal(pmd_port_tx(p, 0, pkts, 11), 11);
	assert_int_equal(pmd_port_rxq_stats(p, 0)->polls_full, 2);
	assert_null(pmd_port_rxq_stats(p, 1));
	pmd_port_stats_read(p, &s);
	assert_int_equal(s.rx_packets, 11);
	assert_int_equal(s.rx_bytes, 11 * 64);
	assert_int_equal(s.tx_packets, 11);
	assert_int_equal(s.tx_bytes, 11 * 64);
	assert_int_equal(s.tx_full, 0);
	assert_true(s.link_up);
	pmd_port_close(p);
	/* Closing removed the device: the same name probes again. */
	p = open_port(&n);
	pmd_port_close(p);
}

static void test_null_rss(void **state)
{
	struct cfg_nic n = nic("n1", "net_null1", 4);
	struct rte_mbuf *pkts[4];
	struct rte_eth_rss_conf rss = {0};
	struct rte_ether_addr mac;
	struct pmd_port *p;

	(void)state;
	n.rx_ring = 256;
	n.tx_ring = 512;
	n.promisc = true;
	n.has_mac = true;
	memcpy(n.mac, "\x02\x11\x22\x33\x44\x55", 6);
	p = open_port(&n);
	assert_int_equal(pmd_port_queues(p), 4);
	assert_int_equal(rte_eth_promiscuous_get(pmd_port_id(p)), 1);
	assert_int_equal(rte_eth_macaddr_get(pmd_port_id(p), &mac), 0);
	assert_memory_equal(mac.addr_bytes, "\x02\x11\x22\x33\x44\x55", 6);
	assert_int_equal(rte_eth_dev_rss_hash_conf_get(pmd_port_id(p), &rss), 0);
	assert_true(rss.rss_hf & RTE_ETH_RSS_IP);
	assert_int_equal(pmd_port_rx(p, 3, pkts, 4), 4);
	assert_int_equal(pmd_port_tx(p, 2, pkts, 4), 4);
	assert_int_equal(pmd_port_txq_stats(p, 2)->packets, 4);
	assert_int_equal(pmd_port_rxq_stats(p, 3)->packets, 4);
	pmd_port_close(p);
}

static void test_ring_loopback_too_big(void **state)
{
	struct cfg_nic n = nic("r0", "net_ring0", 1);
	struct rte_mbuf *pkts[4], *back[8];
	struct pmd_port *p;

	(void)state;
	p = open_port(&n);
	pkts[0] = mk(60, 1);
	pkts[1] = mk(1600, 2); /* over the 1500 MTU */
	pkts[2] = mk(1518, 3); /* MTU + Ethernet header + one VLAN tag: fits */
	assert_int_equal(pmd_port_tx(p, 0, pkts, 3), 3);
	assert_int_equal(pmd_port_txq_stats(p, 0)->too_big, 1);
	assert_int_equal(pmd_port_rx(p, 0, back, 8), 2);
	assert_bytes(back[0], 60, 1);
	assert_bytes(back[1], 1518, 3);
	rte_pktmbuf_free_bulk(back, 2);
	pmd_port_close(p);
}

static void test_ring_tx_full(void **state)
{
	struct cfg_nic n = nic("r1", "net_ring1", 1);
	struct rte_mbuf *pkts[64], *back[64];
	unsigned sent = 0, r, got = 0;
	struct pmd_port *p;

	(void)state;
	p = open_port(&n);
	/* Fill the ring until a burst is not taken whole. */
	for (;;) {
		for (unsigned i = 0; i < 64; i++)
			pkts[i] = mk(64, (unsigned)i);
		r = pmd_port_tx(p, 0, pkts, 64);
		sent += r;
		if (r < 64)
			break;
	}
	assert_int_equal(pmd_port_txq_stats(p, 0)->full, 64 - r);
	rte_pktmbuf_free_bulk(pkts + r, 64 - r);
	/* Room for exactly one: [a, too big, b, c] -> a sent, too big freed, b and c kept,
	 * in order, at the end of the array. */
	assert_int_equal(pmd_port_rx(p, 0, back, 1), 1);
	rte_pktmbuf_free(back[0]);
	pkts[0] = mk(100, 1);
	pkts[1] = mk(2000, 0);
	pkts[2] = mk(100, 2);
	pkts[3] = mk(100, 3);
	assert_int_equal(pmd_port_tx(p, 0, pkts, 4), 2);
	assert_bytes(pkts[2], 100, 2);
	assert_bytes(pkts[3], 100, 3);
	rte_pktmbuf_free_bulk(pkts + 2, 2);
	while ((r = pmd_port_rx(p, 0, back, 64))) {
		got += r;
		rte_pktmbuf_free_bulk(back, r);
	}
	assert_int_equal(got, sent);
	pmd_port_close(p);
}

/* pcap record header: ts_sec, ts_frac, caplen, len. */
static void rd_u32s(FILE *f, uint32_t *v, unsigned n)
{
	assert_int_equal(fread(v, sizeof(*v), n, f), n);
}

static void test_pcap_tx_bytes(void **state)
{
	char path[128], dev[256];
	struct rte_mbuf *pkts[2], *seg;
	uint32_t gh[6], rh[4];
	uint8_t got[2048], want[2048];
	struct cfg_nic n;
	struct pmd_port *p;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/out.pcap", tmpdir);
	snprintf(dev, sizeof(dev), "net_pcap0,tx_pcap=%s", path);
	n = nic("p0", dev, 1);
	p = open_port(&n);
	pkts[0] = mk(60, 9);
	/* A two-segment chain: 600 + 400 bytes. */
	pkts[1] = mk(600, 4);
	seg = rte_pktmbuf_alloc(pool);
	fill((uint8_t *)rte_pktmbuf_append(seg, 400), 400, 5);
	assert_int_equal(rte_pktmbuf_chain(pkts[1], seg), 0);
	assert_int_equal(pmd_port_tx(p, 0, pkts, 2), 2);
	pmd_port_close(p); /* flushes the dump */
	f = fopen(path, "rb");
	assert_non_null(f);
	rd_u32s(f, gh, 6);
	assert_true(gh[0] == 0xa1b2c3d4 || gh[0] == 0xa1b23c4d);
	assert_int_equal(gh[5], 1); /* LINKTYPE_ETHERNET */
	rd_u32s(f, rh, 4);
	assert_int_equal(rh[2], 60);
	assert_int_equal(rh[3], 60);
	assert_int_equal(fread(got, 1, 60, f), 60);
	fill(want, 60, 9);
	assert_memory_equal(got, want, 60);
	rd_u32s(f, rh, 4);
	assert_int_equal(rh[2], 1000);
	assert_int_equal(fread(got, 1, 1000, f), 1000);
	fill(want, 600, 4);
	fill(want + 600, 400, 5);
	assert_memory_equal(got, want, 1000);
	assert_int_equal(fread(got, 1, 1, f), 0); /* nothing more */
	fclose(f);
}

static void test_pcap_rx_bytes(void **state)
{
	const uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
	const unsigned lens[2] = {64, 1514};
	struct rte_mbuf *pkts[8];
	char path[128], dev[256];
	uint8_t buf[2048];
	struct cfg_nic n;
	struct pmd_port *p;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/in.pcap", tmpdir);
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(gh, sizeof(gh), 1, f);
	for (unsigned i = 0; i < 2; i++) {
		uint32_t rh[4] = {1 + i, 0, lens[i], lens[i]};

		fill(buf, lens[i], 30 + i);
		fwrite(rh, sizeof(rh), 1, f);
		fwrite(buf, lens[i], 1, f);
	}
	fclose(f);
	snprintf(dev, sizeof(dev), "net_pcap1,rx_pcap=%s,tx_pcap=%s/drop.pcap", path, tmpdir);
	n = nic("p1", dev, 1);
	p = open_port(&n);
	assert_int_equal(pmd_port_rx(p, 0, pkts, 8), 2);
	assert_bytes(pkts[0], 64, 30);
	assert_bytes(pkts[1], 1514, 31);
	assert_int_equal(pmd_port_rx(p, 0, pkts + 2, 8), 0);
	rte_pktmbuf_free_bulk(pkts, 2);
	pmd_port_close(p);
}

static void probe_fails(struct cfg_nic n, int want_ret, const char *want)
{
	struct pmd_port *p = NULL;
	char err[512] = "";

	assert_int_equal(pmd_port_probe(&n, &p, err, sizeof(err)), want_ret);
	assert_null(p);
	assert_string_equal(err, want);
}

static void test_bad_configs(void **state)
{
	struct cfg_nic n;
	struct pmd_port *p;
	char dev[256];

	(void)state;
	snprintf(dev, sizeof(dev), "net_pcap2,tx_pcap=%s/q.pcap", tmpdir);
	probe_fails(nic("p2", dev, 2), -EINVAL,
		    "nic 'p2': key 'queues': 2 queues asked, net_pcap2 has at most 1 (rx 1, tx "
		    "1); set queues = 1 or less");
	/* The failed probe removed the device: fixed, it probes. */
	n = nic("p2", dev, 1);
	p = open_port(&n);
	pmd_port_close(p);
	/* A vdev's queues are separate sources: no RSS needed (only a PCI NIC must have it). */
	n = nic("r2", "net_ring2", 2);
	p = open_port(&n);
	assert_int_equal(pmd_port_queues(p), 2);
	pmd_port_close(p);
	probe_fails(nic("n2", "net_null2", 20), -EINVAL,
		    "nic 'n2': key 'queues': 20 queues asked, net_null2 has at most 16 (rx 1024, "
		    "tx 1024); set queues = 16 or less");
	n = nic("n3", "net_null3", 1);
	n.rx_ring = 70000;
	probe_fails(n, -EINVAL,
		    "nic 'n3': key 'rx_ring': 70000 descriptors asked, net_null3 takes 0..65535 "
		    "in multiples of 1; set rx_ring in that range");
	n = nic("n3", "net_null3", 1);
	n.tx_ring = 65536;
	probe_fails(n, -EINVAL,
		    "nic 'n3': key 'tx_ring': 65536 descriptors asked, net_null3 takes 0..65535 "
		    "in multiples of 1; set tx_ring in that range");
	n = nic("n4", "net_null4", 1);
	n.mtu = 40;
	probe_fails(n, -EINVAL,
		    "nic 'n4': key 'mtu': 40 is outside what net_null4 takes (46..65535); set "
		    "mtu in that range");
	probe_fails(nic("x", "net_bogus0", 1), -ENODEV,
		    "nic 'x': key 'device': cannot probe 'net_bogus0' (error -14); check the "
		    "driver name and its arguments");
	probe_fails(nic("x", "net_null5,nosuchkey=1", 1), -ENODEV,
		    "nic 'x': key 'device': cannot probe 'net_null5,nosuchkey=1' (error -1); "
		    "check the driver name and its arguments");
	probe_fails(nic("x", "0000:99:1f.7", 1), -ENODEV,
		    "nic 'x': key 'device': no PCI device 0000:99:1f.7 on this host "
		    "(/sys/bus/pci/devices/0000:99:1f.7 is missing); check the address with "
		    "'lspci -D'");
}

/* ---- telemetry ---- */

struct fake_daemon {
	struct pmd_port *nic;
};

static unsigned fd_ports(void *ctx, const char **names, unsigned max)
{
	struct fake_daemon *d = ctx;

	if (max >= 2) {
		names[0] = "vhost0";
		names[1] = pmd_port_name(d->nic);
	}
	return 2;
}

static int fd_stats(void *ctx, const char *name, pmd_stat_emit_fn emit, void *e)
{
	struct fake_daemon *d = ctx;

	if (!strcmp(name, "vhost0")) {
		emit(e, "rx_packets", 7);
		return 0;
	}
	if (!strcmp(name, pmd_port_name(d->nic)))
		return pmd_port_stats_emit(d->nic, emit, e);
	return -ENOENT;
}

static int tm_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[1024];
	int s;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dpdk_telemetry.v2",
		 rte_eal_get_runtime_dir());
	s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_true(s >= 0);
	assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_true(read(s, buf, sizeof(buf)) > 0); /* the greeting */
	return s;
}

static const char *tm_ask(int s, const char *cmd)
{
	static char buf[16384];
	ssize_t n;

	assert_int_equal(write(s, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	n = read(s, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	return buf;
}

static void test_telemetry(void **state)
{
	struct cfg_nic n = nic("nic0", "net_null6,size=100", 1);
	struct fake_daemon d;
	struct pmd_telemetry_source src = {.ports = fd_ports, .stats = fd_stats, .ctx = &d};
	struct rte_mbuf *pkts[5];
	int s;

	(void)state;
	d.nic = open_port(&n);
	assert_int_equal(pmd_port_rx(d.nic, 0, pkts, 5), 5);
	assert_int_equal(pmd_port_tx(d.nic, 0, pkts, 5), 5);
	assert_int_equal(pmd_telemetry_register(&src), 0);
	s = tm_connect();
	assert_string_equal(tm_ask(s, "/vhostd/ports"),
			    "{\"/vhostd/ports\":[\"vhost0\",\"nic0\"]}");
	assert_string_equal(tm_ask(s, "/vhostd/stats,vhost0"),
			    "{\"/vhostd/stats\":{\"rx_packets\":7}}");
	assert_string_equal(tm_ask(s, "/vhostd/stats,nic0"),
			    "{\"/vhostd/stats\":{\"rx_packets\":5,\"rx_bytes\":500,"
			    "\"rx_missed\":0,\"rx_nombuf\":0,\"rx_errors\":0,\"tx_packets\":5,"
			    "\"tx_bytes\":500,\"tx_full\":0,\"tx_too_big\":0,\"tx_errors\":0,"
			    "\"link_up\":1,\"link_speed\":10000,\"q0_rx_packets\":5,"
			    "\"q0_rx_bytes\":500,\"q0_rx_polls_full\":1,\"q0_tx_packets\":5,"
			    "\"q0_tx_bytes\":500,\"q0_tx_full\":0,\"q0_tx_too_big\":0}}");
	assert_string_equal(tm_ask(s, "/vhostd/stats,nope"), "{\"/vhostd/stats\":null}");
	assert_string_equal(tm_ask(s, "/vhostd/stats"), "{\"/vhostd/stats\":null}");
	/* Cleared: the commands answer, with nothing. */
	pmd_telemetry_source_clear();
	assert_string_equal(tm_ask(s, "/vhostd/ports"), "{\"/vhostd/ports\":[]}");
	close(s);
	pmd_port_close(d.nic);
}

int main(void)
{
	char prefix[64], rundir[160];
	char *argv[] = {"test_pmd_port", "--no-huge",	  "-m",	  "256", "--no-pci", "-l", "0",
			"--log-level=3", "--file-prefix", prefix, NULL};
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_null_bursts),		  cmocka_unit_test(test_null_rss),
	    cmocka_unit_test(test_ring_loopback_too_big), cmocka_unit_test(test_ring_tx_full),
	    cmocka_unit_test(test_pcap_tx_bytes),	  cmocka_unit_test(test_pcap_rx_bytes),
	    cmocka_unit_test(test_bad_configs),		  cmocka_unit_test(test_telemetry),
	};
	char cmd[128];
	int ret;

	snprintf(prefix, sizeof(prefix), "pmd-port-%d", (int)getpid());
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pmd-port-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	if (pmd_mempool_create("port", 4095, -1, &pool))
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	pmd_mempool_free(pool);
	/* EAL leaves its runtime directory behind: remove it, it is ours alone. */
	snprintf(rundir, sizeof(rundir), "rm -rf '%s'", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	if (system(rundir))
		ret = 1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		ret = 1;
	return ret;
}
