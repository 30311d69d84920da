/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What pmd/ derives from the config before DPDK runs: the EAL argv, the pool size, PCI
 * address recognition and the PCI driver check (against a fake sysfs tree).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pmd.h"

static void base_cfg(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->dp.lcores, sizeof(c->dp.lcores), "1-2");
	c->dp.burst = 32;
}

static void add_nic(struct cfg *c, const char *name, const char *dev)
{
	struct cfg_nic *n = &c->nic[c->n_nic++];

	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->device, sizeof(n->device), "%s", dev);
	n->queues = 1;
}

/* Joins argv with single blanks. */
static const char *joined(const struct pmd_eal_argv *a)
{
	static char buf[4096];
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < a->argc; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "", a->argv[i]);
	assert_null(a->argv[a->argc]);
	return buf;
}

static void test_argv_vdev(void **state)
{
	struct pmd_eal_argv a;
	struct cfg c;

	(void)state;
	base_cfg(&c);
	snprintf(c.dp.eal, sizeof(c.dp.eal), "  --no-huge\t-m 256 ");
	add_nic(&c, "n0", "net_null0,size=64");
	assert_int_equal(pmd_eal_argv_build(&c, "vhostd", "vt", &a, NULL, 0), 0);
	assert_string_equal(joined(&a),
			    "vhostd --lcores 1-2 --file-prefix vt --no-pci --no-huge -m 256");
	/* Lcores mapped onto CPUs (two lcores on CPU 0) pass whole: -l would refuse them. */
	snprintf(c.dp.lcores, sizeof(c.dp.lcores), "0@0,1@0");
	assert_int_equal(pmd_eal_argv_build(&c, "vhostd", "vt", &a, NULL, 0), 0);
	assert_string_equal(joined(&a),
			    "vhostd --lcores 0@0,1@0 --file-prefix vt --no-pci --no-huge -m 256");
	/* No lcores, no prefix given: EAL's defaults for cores, ours for the prefix. */
	c.dp.lcores[0] = '\0';
	c.dp.eal[0] = '\0';
	assert_int_equal(pmd_eal_argv_build(&c, NULL, NULL, &a, NULL, 0), 0);
	assert_string_equal(joined(&a), "vhostd --file-prefix vhostd --no-pci");
}

static void test_argv_pci(void **state)
{
	struct pmd_eal_argv a;
	struct cfg c;

	(void)state;
	base_cfg(&c);
	add_nic(&c, "n0", "0000:02:00.0");
	add_nic(&c, "n1", "03:00.1,rxq_pkt_fill=1");
	add_nic(&c, "n2", "net_tap0,iface=t0");
	snprintf(c.dp.eal, sizeof(c.dp.eal), "--file-prefix=mine --socket-mem 1024");
	assert_int_equal(pmd_eal_argv_build(&c, "vhostd", "vt", &a, NULL, 0), 0);
	assert_string_equal(joined(&a),
			    "vhostd --lcores 1-2 -a 0000:02:00.0 -a 03:00.1,rxq_pkt_fill=1 "
			    "--file-prefix=mine --socket-mem 1024");
	/* A device allow-listed through 'eal' alone: no --no-pci either. */
	c.n_nic = 0;
	snprintf(c.dp.eal, sizeof(c.dp.eal), "-a 0000:05:00.0");
	assert_int_equal(pmd_eal_argv_build(&c, "vhostd", "vt", &a, NULL, 0), 0);
	assert_string_equal(joined(&a), "vhostd --lcores 1-2 --file-prefix vt -a 0000:05:00.0");
}

static void test_argv_too_big(void **state)
{
	struct pmd_eal_argv a;
	char err[256];
	struct cfg c;
	size_t n = 0;

	(void)state;
	base_cfg(&c);
	for (int i = 0; i < 70; i++)
		n += (size_t)snprintf(c.dp.eal + n, sizeof(c.dp.eal) - n, "-v ");
	assert_int_equal(pmd_eal_argv_build(&c, "vhostd", "vt", &a, err, sizeof(err)), -E2BIG);
	assert_string_equal(err, "dataplane: key 'eal': EAL arguments do not fit (at most 64 "
				 "words, 1536 bytes); shorten 'eal'");
}

static void test_is_pci(void **state)
{
	(void)state;
	assert_true(pmd_device_is_pci("0000:02:00.0"));
	assert_true(pmd_device_is_pci("02:00.0"));
	assert_true(pmd_device_is_pci("0000:af:10.7,rxq_desc=512"));
	assert_false(pmd_device_is_pci("net_null0"));
	assert_false(pmd_device_is_pci("net_pcap0,rx_pcap=/tmp/02:00.0"));
	assert_false(pmd_device_is_pci(""));
	assert_false(pmd_device_is_pci("0000:02:00"));
}

static void test_mempool_size(void **state)
{
	struct cfg c;

	(void)state;
	base_cfg(&c);
	/* One vhost queue pair: 4 bursts x 32 x 5 segments + 1 cache = 896 -> the minimum. */
	c.n_vhost = 1;
	c.vhost[0].queues = 1;
	assert_int_equal(pmd_mempool_size(&c, 1), 2047);
	/* + a NIC with 2 queues of 512+512: 2048 descriptors; 4 queues x 640 held; 2 caches:
	 * 2048 + 2560 + 512 = 5120 -> 8191. */
	c.vhost[0].queues = 2;
	add_nic(&c, "n0", "net_null0");
	c.nic[0].queues = 2;
	c.nic[0].rx_ring = 512;
	c.nic[0].tx_ring = 512;
	assert_int_equal(pmd_mempool_size(&c, 2), 8191);
	/* Rings left at 0 count as PMD_RING_DEFAULT (1024): 4096 + 2560 + 512 -> 8191. */
	c.nic[0].rx_ring = c.nic[0].tx_ring = 0;
	assert_int_equal(pmd_mempool_size(&c, 2), 8191);
	c.nic[0].queues = 4; /* 8192 + 6 x 640 + 512 = 12544 -> 16383 */
	assert_int_equal(pmd_mempool_size(&c, 2), 16383);
}

static char sysfs[128];

static void mk(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", sysfs, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void ln(const char *target, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", sysfs, rel);
	assert_int_equal(symlink(target, path), 0);
}

static int sysfs_setup(void **state)
{
	(void)state;
	snprintf(sysfs, sizeof(sysfs), "/tmp/pmd-sysfs-XXXXXX");
	if (!mkdtemp(sysfs))
		return -1;
	mk("bus");
	mk("bus/pci");
	mk("bus/pci/devices");
	mk("bus/pci/devices/0000:02:00.0"); /* unbound */
	mk("bus/pci/devices/0000:02:00.1");
	ln("../../../bus/pci/drivers/ixgbe", "bus/pci/devices/0000:02:00.1/driver");
	mk("bus/pci/devices/0000:02:00.2");
	ln("../../../bus/pci/drivers/vfio-pci", "bus/pci/devices/0000:02:00.2/driver");
	return 0;
}

static int sysfs_teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sysfs);
	return system(cmd);
}

static void test_pci_driver_check(void **state)
{
	char err[512], want[512];

	(void)state;
	assert_int_equal(pmd_pci_driver_check(sysfs, "n0", "02:00.2", err, sizeof(err)), 0);
	assert_int_equal(pmd_pci_driver_check(sysfs, "n0", "0000:02:00.1", err, sizeof(err)),
			 -ENODEV);
	assert_string_equal(err, "nic 'n0': key 'device': PCI device 0000:02:00.1 is bound to "
				 "ixgbe, not vfio-pci; bind it: modprobe vfio-pci && "
				 "dpdk-devbind.py -b vfio-pci 0000:02:00.1");
	assert_int_equal(pmd_pci_driver_check(sysfs, "n0", "0000:02:00.0,x=1", err, sizeof(err)),
			 -ENODEV);
	assert_string_equal(err, "nic 'n0': key 'device': PCI device 0000:02:00.0 is bound to no "
				 "driver; bind it: modprobe vfio-pci && dpdk-devbind.py -b "
				 "vfio-pci 0000:02:00.0");
	assert_int_equal(pmd_pci_driver_check(sysfs, "n1", "0000:09:00.0", err, sizeof(err)),
			 -ENODEV);
	snprintf(want, sizeof(want),
		 "nic 'n1': key 'device': no PCI device 0000:09:00.0 on this host "
		 "(%s/bus/pci/devices/0000:09:00.0 is missing); check the address with "
		 "'lspci -D'",
		 sysfs);
	assert_string_equal(err, want);
	assert_int_equal(pmd_pci_driver_check(sysfs, "n1", "net_null0", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "nic 'n1': key 'device': 'net_null0' is not a PCI address; "
				 "write it as DDDD:BB:DD.F (see 'lspci -D')");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_argv_vdev),
	    cmocka_unit_test(test_argv_pci),
	    cmocka_unit_test(test_argv_too_big),
	    cmocka_unit_test(test_is_pci),
	    cmocka_unit_test(test_mempool_size),
	    cmocka_unit_test_setup_teardown(test_pci_driver_check, sysfs_setup, sysfs_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
