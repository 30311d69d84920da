// SPDX-License-Identifier: BSD-3-Clause
/* cmocka tests of the INI parser: every accepted form and every rejected one, with the
 * exact one-line error an operator would read. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg.h"

static const char full[] = "[dataplane]\n"
			   "lcores = 0            ; polling cores\n"
			   "eal = --no-pci        ; extra EAL arguments (optional)\n"
			   "stats_interval = 5    ; seconds (optional)\n"
			   "[vhost vm1]\n"
			   "socket = /run/vhostd/vm1.sock\n"
			   "mode = server         ; or client\n"
			   "queues = 1\n"
			   "[nic uplink]\n"
			   "device = 0000:02:00.0 ; DPDK devargs\n"
			   "queues = 1\n"
			   "[link]\n"
			   "vm1 = uplink\n";

static void test_full_example(void **state)
{
	struct cfg c;
	char err[CFG_ERR_MAX];
	const struct cfg_vhost *v;
	const struct cfg_nic *n;

	(void)state;
	assert_int_equal(cfg_parse_string(full, "t.ini", &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(c.dp.lcores, "0");
	assert_string_equal(c.dp.eal, "--no-pci");
	assert_int_equal(c.dp.stats_interval, 5);
	assert_int_equal(c.dp.burst, 32);
	assert_int_equal(c.n_vhost, 1);
	assert_int_equal(c.n_nic, 1);
	assert_int_equal(c.n_link, 1);
	v = cfg_find_vhost(&c, "vm1");
	assert_non_null(v);
	assert_string_equal(v->socket, "/run/vhostd/vm1.sock");
	assert_int_equal(v->mode, CFG_MODE_SERVER);
	assert_int_equal(v->queues, 1);
	assert_false(v->has_mac);
	n = cfg_find_nic(&c, "uplink");
	assert_non_null(n);
	assert_string_equal(n->device, "0000:02:00.0");
	assert_int_equal(n->queues, 1);
	assert_int_equal(n->rx_ring, 0);
	assert_null(cfg_find_nic(&c, "vm1"));
	assert_null(cfg_find_vhost(&c, "uplink"));
	assert_string_equal(c.link[0].a, "vm1");
	assert_string_equal(c.link[0].b, "uplink");
	assert_string_equal(cfg_link_peer(&c, "vm1"), "uplink");
	assert_string_equal(cfg_link_peer(&c, "uplink"), "vm1");
}

static void test_every_key(void **state)
{
	static const char text[] = "# full comment line\n"
				   "  ; indented comment\n"
				   "[dataplane]\r\n"
				   "lcores=0@1,1@1\r\n"
				   "eal =  --no-pci   --log-level=8\t\n"
				   "burst = 64\n"
				   "[vhost  vm-2.a ]\n"
				   "socket = /tmp/s\n"
				   "mode = client\n"
				   "queues = 16\n"
				   "reconnect_ms = 250\n"
				   "mtu = 9000\n"
				   "mac = 52:54:00:AB:cd:01 # trailing hash comment\n"
				   "rx_queue_size = 1024\n"
				   "tx_queue_size = 256\n"
				   "[nic n_1]\n"
				   "device = net_tap0,iface=vhostd0\n"
				   "queues = 2\n"
				   "rx_ring = 64\n"
				   "tx_ring = 32768\n"
				   "mtu = 68\n"
				   "promisc = yes\n"
				   "mac = 02:00:00:00:00:01";
	struct cfg c;
	char err[CFG_ERR_MAX];
	const struct cfg_vhost *v;
	const struct cfg_nic *n;
	static const uint8_t vmac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0x01};
	static const uint8_t nmac[6] = {0x02, 0, 0, 0, 0, 0x01};

	(void)state;
	assert_int_equal(cfg_parse_string(text, "t.ini", &c, err, sizeof(err)), 0);
	assert_string_equal(c.dp.lcores, "0@1,1@1");
	assert_string_equal(c.dp.eal, "--no-pci   --log-level=8");
	assert_int_equal(c.dp.burst, 64);
	v = cfg_find_vhost(&c, "vm-2.a");
	assert_non_null(v);
	assert_string_equal(v->socket, "/tmp/s");
	assert_int_equal(v->mode, CFG_MODE_CLIENT);
	assert_int_equal(v->queues, 16);
	assert_int_equal(v->reconnect_ms, 250);
	assert_int_equal(v->mtu, 9000);
	assert_true(v->has_mac);
	assert_memory_equal(v->mac, vmac, 6);
	assert_int_equal(v->rx_queue_size, 1024);
	assert_int_equal(v->tx_queue_size, 256);
	n = cfg_find_nic(&c, "n_1");
	assert_non_null(n);
	assert_string_equal(n->device, "net_tap0,iface=vhostd0");
	assert_int_equal(n->queues, 2);
	assert_int_equal(n->rx_ring, 64);
	assert_int_equal(n->tx_ring, 32768);
	assert_int_equal(n->mtu, 68);
	assert_true(n->promisc);
	assert_true(n->has_mac);
	assert_memory_equal(n->mac, nmac, 6);
	assert_int_equal(c.n_link, 0);
	assert_null(cfg_link_peer(&c, "n_1"));
}

/* Links may name ports declared later; a port linked to itself is a loopback. */
static void test_links_forward_and_loopback(void **state)
{
	static const char text[] = "[link]\n"
				   "a = b\n"
				   "lo = lo\n"
				   "[vhost a]\nsocket = /a\n"
				   "[vhost b]\nsocket = /b\n"
				   "[vhost lo]\nsocket = /lo\n"
				   "[link]\n"
				   "c = d\n"
				   "[nic c]\ndevice = net_null0\n"
				   "[nic d]\ndevice = net_null1\n";
	struct cfg c;
	char err[CFG_ERR_MAX];

	(void)state;
	assert_int_equal(cfg_parse_string(text, "t.ini", &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_link, 3);
	assert_string_equal(cfg_link_peer(&c, "lo"), "lo");
	assert_string_equal(cfg_link_peer(&c, "d"), "c");
	assert_string_equal(cfg_link_peer(&c, "a"), "b");
}

static void test_empty_and_defaults(void **state)
{
	struct cfg c;
	char err[CFG_ERR_MAX];

	(void)state;
	assert_int_equal(cfg_parse_string("", "t.ini", &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_vhost + c.n_nic + c.n_link, 0);
	assert_string_equal(c.dp.lcores, "0");
	assert_int_equal(c.dp.burst, 32);
	assert_int_equal(cfg_parse_string("[vhost v]\nsocket=/s\n", "t.ini", &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.vhost[0].mode, CFG_MODE_SERVER);
	assert_int_equal(c.vhost[0].queues, 1);
	assert_int_equal(c.vhost[0].reconnect_ms, 1000);
	assert_int_equal(c.vhost[0].mtu, 0);
	assert_int_equal(c.vhost[0].rx_queue_size, 0);

	cfg_default(&c);
	assert_int_equal(c.n_vhost, 1);
	assert_int_equal(c.n_nic, 0);
	assert_string_equal(c.vhost[0].name, "vhost0");
	assert_string_equal(c.vhost[0].socket, "/run/vhostd/vhost0.sock");
	assert_int_equal(c.vhost[0].mode, CFG_MODE_SERVER);
	assert_int_equal(c.vhost[0].queues, 1);
}

static void test_socket_path_limit(void **state)
{
	char text[300], err[CFG_ERR_MAX], path[CFG_PATH_MAX + 1];
	struct cfg c;

	(void)state;
	/* 107 bytes plus the NUL fill sun_path exactly: accepted. */
	memset(path, 'p', CFG_PATH_MAX - 1);
	path[0] = '/';
	path[CFG_PATH_MAX - 1] = '\0';
	snprintf(text, sizeof(text), "[vhost v]\nsocket = %s\n", path);
	assert_int_equal(cfg_parse_string(text, "t.ini", &c, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.vhost[0].socket), 107);
	/* One more byte does not fit. */
	path[CFG_PATH_MAX - 1] = 'p';
	path[CFG_PATH_MAX] = '\0';
	snprintf(text, sizeof(text), "[vhost v]\nsocket = %s\n", path);
	assert_int_equal(cfg_parse_string(text, "t.ini", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.ini:2: key 'socket': path is 108 bytes, sun_path holds at "
				 "most 107; use a shorter path");
}

static void test_file(void **state)
{
	char path[] = "/tmp/test_cfg_XXXXXX";
	char err[CFG_ERR_MAX], want[CFG_ERR_MAX + 64];
	struct cfg c;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, full, sizeof(full) - 1), (ssize_t)sizeof(full) - 1);
	close(fd);
	assert_int_equal(cfg_parse_file(path, &c, err, sizeof(err)), 0);
	assert_non_null(cfg_find_nic(&c, "uplink"));

	/* A NUL byte would hide the rest of a line: refused. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[link]\0x", 8), 8);
	close(fd);
	assert_int_equal(cfg_parse_file(path, &c, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:0: file: contains a NUL byte; save it as plain text",
		 path);
	assert_string_equal(err, want);
	unlink(path);

	assert_int_equal(cfg_parse_file(path, &c, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want),
		 "%s:0: file: cannot open: No such file or directory; check "
		 "the path",
		 path);
	assert_string_equal(err, want);
}

/* A short error buffer is cut, never overrun, and still NUL-terminated. */
static void test_short_err_buffer(void **state)
{
	char err[12];
	struct cfg c;

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(cfg_parse_string("[bogus]\n", "t.ini", &c, err, 8), -EINVAL);
	assert_string_equal(err, "t.ini:1");
	assert_int_equal(err[8], 'x');
	assert_int_equal(cfg_parse_string("[bogus]\n", "t.ini", &c, NULL, 0), -EINVAL);
}

static void test_too_many_ports(void **state)
{
	char *text = malloc(8192), err[CFG_ERR_MAX];
	size_t n = 0;
	struct cfg c;

	(void)state;
	assert_non_null(text);
	for (unsigned i = 0; i <= CFG_MAX_PORTS; i++)
		n += (size_t)snprintf(text + n, 8192 - n, "[vhost p%u]\nsocket = /s%u\n", i, i);
	assert_int_equal(cfg_parse_string(text, "t.ini", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.ini:65: section '[vhost p32]': more than 32 vhost ports; use "
				 "fewer");
	free(text);
}

static void test_eal_split(void **state)
{
	struct cfg_dataplane dp = {.eal = "  --no-pci\t-m 256 "};
	char buf[64], small[8];
	char *argv[4];

	(void)state;
	assert_int_equal(cfg_eal_split(&dp, buf, sizeof(buf), argv, 4), 3);
	assert_string_equal(argv[0], "--no-pci");
	assert_string_equal(argv[1], "-m");
	assert_string_equal(argv[2], "256");
	assert_int_equal(cfg_eal_split(&dp, buf, sizeof(buf), argv, 2), -E2BIG);
	assert_int_equal(cfg_eal_split(&dp, small, sizeof(small), argv, 4), -E2BIG);
	dp.eal[0] = '\0';
	assert_int_equal(cfg_eal_split(&dp, buf, sizeof(buf), argv, 4), 0);
}

static void test_value_parsers(void **state)
{
	struct cfg_pci_addr a;
	unsigned long v;
	uint8_t mac[6];
	bool b;

	(void)state;
	assert_int_equal(cfg_parse_pci("0000:02:00.0", &a), 0);
	assert_int_equal(a.domain, 0);
	assert_int_equal(a.bus, 2);
	assert_int_equal(cfg_parse_pci("ffff:ff:1f.7", &a), 0);
	assert_int_equal(a.domain, 0xffff);
	assert_int_equal(a.bus, 0xff);
	assert_int_equal(a.slot, 0x1f);
	assert_int_equal(a.function, 7);
	assert_int_equal(cfg_parse_pci("81:10.3", &a), 0);
	assert_int_equal(a.domain, 0);
	assert_int_equal(a.bus, 0x81);
	assert_int_equal(a.slot, 0x10);
	assert_int_equal(a.function, 3);
	assert_int_equal(cfg_parse_pci("0000:02:20.0", &a), -EINVAL);
	assert_int_equal(cfg_parse_pci("0000:02:00.8", &a), -EINVAL);
	assert_int_equal(cfg_parse_pci("0000:02:00", &a), -EINVAL);
	assert_int_equal(cfg_parse_pci("00000:2:00.0", &a), -EINVAL);
	assert_int_equal(cfg_parse_pci("0000:0g:00.0", &a), -EINVAL);
	assert_int_equal(cfg_parse_pci("-000:02:00.0", &a), -EINVAL);
	assert_int_equal(cfg_parse_pci("", &a), -EINVAL);
	assert_int_equal(cfg_parse_uint("4095", 4095, &v), 0);
	assert_int_equal(v, 4095);
	assert_int_equal(cfg_parse_uint("4096", 4095, &v), -ERANGE);
	assert_int_equal(cfg_parse_uint("+1", 10, &v), -EINVAL);
	assert_int_equal(cfg_parse_uint(" 1", 10, &v), -EINVAL);
	assert_int_equal(cfg_parse_uint("1x", 10, &v), -EINVAL);
	assert_int_equal(cfg_parse_uint("99999999999999999999999", ~0ul, &v), -EINVAL);
	assert_int_equal(cfg_parse_mac("01:00:5e:00:00:01", mac), -EINVAL);
	assert_int_equal(cfg_parse_mac("00:00:00:00:00:00", mac), -EINVAL);
	assert_int_equal(cfg_parse_mac("52-54-00-00-00-01", mac), -EINVAL);
	assert_int_equal(cfg_parse_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(cfg_parse_bool("maybe", &b), -EINVAL);
	assert_true(cfg_is_pow2(1));
	assert_false(cfg_is_pow2(0));
	assert_false(cfg_is_pow2(384));
	assert_true(cfg_valid_name("a"));
	assert_false(cfg_valid_name(""));
	assert_false(cfg_valid_name("a b"));
	assert_false(cfg_valid_name("0123456789012345678901234567890x"));
}

struct reject {
	const char *text;
	const char *err;
};

#define V "[vhost v]\nsocket = /s\n"
#define N "[nic n]\ndevice = 0000:02:00.0\n"

static const struct reject rejects[] = {
    {"[bogus]\n", "t.ini:1: section '[bogus]': unknown section; use [dataplane], [vhost NAME], "
		  "[nic NAME] or [link]"},
    {"[vhost v\n", "t.ini:1: section '[vhost v': missing ']'; close the section header"},
    {"[vhost]\n", "t.ini:1: section '[vhost]': port name missing; write [vhost NAME]"},
    {"[nic ]\n", "t.ini:1: section '[nic ]': port name missing; write [nic NAME]"},
    {"[vhost a b]\n", "t.ini:1: section '[vhost a b]': 'a b' is not a valid port name; use "
		      "1..31 letters, digits, '_', '-' or '.'"},
    {"[vhost 0123456789012345678901234567890x]\n",
     "t.ini:1: section '[vhost 0123456789012345678901234567890x]': "
     "'0123456789012345678901234567890x' is not a valid port name; use 1..31 letters, digits, "
     "'_', '-' or '.'"},
    {"[link x]\n", "t.ini:1: section '[link x]': [link] takes no name; write [link]"},
    {"[dataplane]\n[dataplane]\n",
     "t.ini:2: section '[dataplane]': declared twice (first at line 1); merge them"},
    {V "[vhost v]\n", "t.ini:3: section '[vhost v]': port 'v' already declared at line 1; "
		      "give each port its own name"},
    {V "[nic v]\n", "t.ini:3: section '[nic v]': port 'v' already declared at line 1; give "
		    "each port its own name"},
    {"lcores = 1\n", "t.ini:1: key 'lcores': outside any section; put it under [dataplane], "
		     "[vhost NAME], [nic NAME] or [link]"},
    {"[dataplane]\nlcores\n", "t.ini:2: key 'lcores': no '=' after the key; write key = value"},
    {"[dataplane]\n= 1\n", "t.ini:2: key '': missing before '='; write key = value"},
    {"[dataplane]\nlcores = ; empty\n",
     "t.ini:2: key 'lcores': empty value; give a value or remove the line"},
    {"[dataplane]\ncores = 1\n", "t.ini:2: key 'cores': unknown key in [dataplane]; use one of "
				 "lcores, eal, stats_interval, burst"},
    {"[dataplane]\nlcores = 1\nlcores = 2\n",
     "t.ini:3: key 'lcores': set twice (first at line 2); keep one"},
    {"[dataplane]\nlcores = all\n", "t.ini:2: key 'lcores': 'all' is not an lcore list; use "
				    "DPDK's form such as 0, 1-3 or 0@1,1@1"},
    {"[dataplane]\nburst = 0\n", "t.ini:2: key 'burst': 0 is out of range; use 1..64"},
    {"[dataplane]\nburst = 65\n", "t.ini:2: key 'burst': 65 is out of range; use 1..64"},
    {"[dataplane]\nstats_interval = -1\n",
     "t.ini:2: key 'stats_interval': '-1' is not a number; use 0..86400"},
    {"[dataplane]\nstats_interval = 5s\n",
     "t.ini:2: key 'stats_interval': '5s' is not a number; use 0..86400"},
    {"[vhost v]\nmode = server\n", "t.ini:1: key 'socket': missing in [vhost v]; add socket = "
				   "/run/vhostd/v.sock"},
    {V "queues = 0\n", "t.ini:3: key 'queues': 0 is out of range; use 1..16"},
    {V "queues = 17\n", "t.ini:3: key 'queues': 17 is out of range; use 1..16"},
    {V "mode = listen\n", "t.ini:3: key 'mode': 'listen' is not a mode; use server or client"},
    {V "reconnect_ms = 100\n", "t.ini:3: key 'reconnect_ms': only used with mode = client; "
			       "remove it or set mode = client"},
    {V "mode = client\nreconnect_ms = 0\n",
     "t.ini:4: key 'reconnect_ms': 0 is out of range; use 1..600000"},
    {V "mtu = 67\n", "t.ini:3: key 'mtu': 67 is out of range; use 68..65535"},
    {V "mac = 01:00:5e:00:00:01\n",
     "t.ini:3: key 'mac': '01:00:5e:00:00:01' is not a unicast MAC address; write six hex "
     "bytes such as 52:54:00:12:34:56 (first byte even)"},
    {V "mac = 52:54:00:12:34\n", "t.ini:3: key 'mac': '52:54:00:12:34' is not a unicast MAC "
				 "address; write six hex bytes such as 52:54:00:12:34:56 "
				 "(first byte even)"},
    {V "mac = 52:54:00:12:34:zz\n", "t.ini:3: key 'mac': '52:54:00:12:34:zz' is not a unicast "
				    "MAC address; write six hex bytes such as "
				    "52:54:00:12:34:56 (first byte even)"},
    {V "rx_queue_size = 384\n", "t.ini:3: key 'rx_queue_size': 384 is not a power of two; use "
				"a power of two in 256..1024"},
    {V "tx_queue_size = 2048\n",
     "t.ini:3: key 'tx_queue_size': 2048 is out of range; use 256..1024"},
    {V "sockets = /x\n", "t.ini:3: key 'sockets': unknown key in [vhost]; use one of socket, "
			 "mode, queues, reconnect_ms, mtu, mac, rx_queue_size, tx_queue_size"},
    {V "[vhost w]\nsocket = /s\n", "t.ini:4: key 'socket': '/s' is also the socket of [vhost "
				   "v]; give each port its own socket"},
    {"[nic n]\nqueues = 1\n", "t.ini:1: key 'device': missing in [nic n]; add device = a PCI "
			      "address or a vdev such as net_tap0,iface=vhostd0"},
    {N "queues = 99\n", "t.ini:3: key 'queues': 99 is out of range; use 1..16"},
    {N "rx_ring = 1000\n", "t.ini:3: key 'rx_ring': 1000 is not a power of two; use a power "
			   "of two in 64..32768"},
    {N "tx_ring = 32\n", "t.ini:3: key 'tx_ring': 32 is out of range; use 64..32768"},
    {N "promisc = sometimes\n",
     "t.ini:3: key 'promisc': 'sometimes' is not a boolean; use yes or no"},
    {N "mac = ff:ff:ff:ff:ff:ff\n",
     "t.ini:3: key 'mac': 'ff:ff:ff:ff:ff:ff' is not a unicast MAC address; write six hex "
     "bytes such as 52:54:00:12:34:56 (first byte even)"},
    {N "socket = /s\n", "t.ini:3: key 'socket': unknown key in [nic]; use one of device, "
			"queues, rx_ring, tx_ring, mtu, promisc, mac"},
    {N "[nic m]\ndevice = 0000:02:00.0\n", "t.ini:4: key 'device': '0000:02:00.0' is also the "
					   "device of [nic n]; give each port its own device"},
    {V "[link]\nv = uplink\n", "t.ini:4: key 'v': unknown port 'uplink'; declare it as [vhost "
			       "uplink] or [nic uplink]"},
    {V "[link]\nghost = v\n", "t.ini:4: key 'ghost': unknown port 'ghost'; declare it as "
			      "[vhost ghost] or [nic ghost]"},
    {V N "[vhost w]\nsocket = /w\n[link]\nv = n\nw = n\n",
     "t.ini:9: key 'w': port 'n' is already linked at line 8; link each port once"},
    {V N "[link]\nv = n\nv = v\n",
     "t.ini:7: key 'v': port 'v' is already linked at line 6; link each port once"},
    {V "[link]\nv = 0123456789012345678901234567890x\n",
     "t.ini:4: key 'v': unknown port '0123456789012345678901234567890x'; declare it as [vhost "
     "0123456789012345678901234567890x] or [nic 0123456789012345678901234567890x]"},
};

static void test_reject(void **state)
{
	const struct reject *r = *state;
	char err[CFG_ERR_MAX];
	struct cfg c;

	assert_int_equal(cfg_parse_string(r->text, "t.ini", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, r->err);
	assert_null(strchr(err, '\n'));
}

static void test_long_line(void **state)
{
	char text[2048], err[CFG_ERR_MAX];
	struct cfg c;

	(void)state;
	snprintf(text, sizeof(text), "[dataplane]\neal = %01100d\n", 0);
	assert_int_equal(cfg_parse_string(text, "t.ini", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.ini:2: line: longer than 1023 bytes; shorten it");
	snprintf(text, sizeof(text), "[dataplane]\neal = %0600d\n", 0);
	assert_int_equal(cfg_parse_string(text, "t.ini", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.ini:2: key 'eal': value is 600 bytes, at most 511 fit; "
				 "shorten it");
}

/*
 * Hostile input: thousands of deterministic mutations of a valid file (bytes flipped to
 * separators, brackets, high bytes) must each give 0 or -EINVAL with a one-line error,
 * never a crash or an overrun (run under ASan in build-config-san).
 */
static void test_mutations(void **state)
{
	static const char alphabet[] = "[]=;#\n\r \t,:.0x9-\xff";
	char text[sizeof(full)], err[CFG_ERR_MAX];
	unsigned seed = 12345, accepted = 0;
	struct cfg c;

	(void)state;
	for (unsigned round = 0; round < 5000; round++) {
		int rc;

		memcpy(text, full, sizeof(full));
		for (unsigned k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			text[(seed >> 8) % (sizeof(full) - 1)] =
			    alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
		}
		rc = cfg_parse_string(text, "m.ini", &c, err, sizeof(err));
		assert_true(rc == 0 || rc == -EINVAL);
		if (rc == 0) {
			accepted++;
			assert_true(c.n_vhost <= CFG_MAX_PORTS && c.n_nic <= CFG_MAX_PORTS);
			continue;
		}
		assert_null(strchr(err, '\n'));
		assert_int_equal(strncmp(err, "m.ini:", 6), 0);
	}
	/* Some mutations land in comments or values and stay valid: both paths ran. */
	assert_true(accepted > 0 && accepted < 5000);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(test_full_example),
	    cmocka_unit_test(test_every_key),
	    cmocka_unit_test(test_links_forward_and_loopback),
	    cmocka_unit_test(test_empty_and_defaults),
	    cmocka_unit_test(test_socket_path_limit),
	    cmocka_unit_test(test_file),
	    cmocka_unit_test(test_short_err_buffer),
	    cmocka_unit_test(test_too_many_ports),
	    cmocka_unit_test(test_eal_split),
	    cmocka_unit_test(test_value_parsers),
	    cmocka_unit_test(test_long_line),
	    cmocka_unit_test(test_mutations),
	};
	size_t nf = sizeof(fixed) / sizeof(fixed[0]);
	size_t nr = sizeof(rejects) / sizeof(rejects[0]);
	struct CMUnitTest *t = calloc(nf + nr, sizeof(*t));
	char(*names)[32] = calloc(nr, sizeof(*names));
	int rc;

	if (!t || !names)
		return 1;
	memcpy(t, fixed, sizeof(fixed));
	/* One named test per rejected input, so a failure says which one. */
	for (size_t i = 0; i < nr; i++) {
		snprintf(names[i], sizeof(names[i]), "reject_%02zu", i);
		t[nf + i].name = names[i];
		t[nf + i].test_func = test_reject;
		t[nf + i].initial_state = (void *)&rejects[i];
	}
	rc = _cmocka_run_group_tests("config", t, nf + nr, NULL, NULL);
	free(names);
	free(t);
	return rc;
}
