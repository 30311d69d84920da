// SPDX-License-Identifier: BSD-3-Clause
/*
 * host-check: the seed article's manual checks, automated. Every check prints one line
 * "VERDICT check: finding[; fix]" with VERDICT one of PASS, FAIL, WARN, INFO. Reads only
 * sysfs, procfs, /dev and /boot under --root, so tests can point it at a fake tree.
 * Exit 1 when any check fails.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vx.h"

struct hc {
	const char *root;
	unsigned fails;
};

static void verdict(struct hc *h, const char *v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void verdict(struct hc *h, const char *v, const char *fmt, ...)
{
	va_list ap;

	if (!strcmp(v, "FAIL"))
		h->fails++;
	printf("%s ", v);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* root + rel, or "" when it does not fit (every later open then fails cleanly). */
static const char *at(const struct hc *h, char *buf, const char *rel)
{
	int n = snprintf(buf, PATH_MAX, "%s%s", h->root, rel);

	if (n < 0 || n >= PATH_MAX)
		buf[0] = '\0';
	return buf;
}

static bool exists(const struct hc *h, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	return !stat(at(h, p, rel), &st);
}

/* Entries of a directory whose names start with prefix, sorted; -errno if unreadable. */
static int list_dir(const struct hc *h, const char *rel, const char *prefix, struct dirent ***out)
{
	char p[PATH_MAX];
	struct dirent **ents;
	int n = scandir(at(h, p, rel), &ents, NULL, alphasort);
	int kept = 0;

	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' && !strncmp(ents[i]->d_name, prefix, strlen(prefix)))
			ents[kept++] = ents[i];
		else
			free(ents[i]);
	}
	*out = ents;
	return kept;
}

static void free_list(struct dirent **ents, int n)
{
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}

/* First line of a small file, without the newline; "" when unreadable. */
static void read_line(const struct hc *h, const char *rel, char *buf, size_t len)
{
	char p[PATH_MAX];
	FILE *f = fopen(at(h, p, rel), "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

static void check_iommu_groups(struct hc *h)
{
	struct dirent **ents;
	int n = list_dir(h, "/sys/kernel/iommu_groups", "", &ents);

	if (n > 0) {
		free_list(ents, n);
		verdict(h, "PASS", "iommu: %d IOMMU groups", n);
		return;
	}
	if (n == 0)
		free_list(ents, n);
	verdict(h, "FAIL",
		"iommu: no IOMMU groups in /sys/kernel/iommu_groups; add intel_iommu=on (Intel) "
		"or amd_iommu=on (AMD) to GRUB_CMDLINE_LINUX, run grub2-mkconfig -o "
		"/boot/grub2/grub.cfg (update-grub on Debian) and reboot");
}

static bool has_word(const char *line, const char *word)
{
	size_t n = strlen(word);

	for (const char *s = line; (s = strstr(s, word)); s += n)
		if ((s == line || s[-1] == ' ') && (s[n] == ' ' || s[n] == '\0'))
			return true;
	return false;
}

static void check_cmdline(struct hc *h)
{
	char line[4096];

	read_line(h, "/proc/cmdline", line, sizeof(line));
	if (has_word(line, "intel_iommu=off") || has_word(line, "amd_iommu=off"))
		verdict(h, "FAIL",
			"iommu-cmdline: the kernel command line turns the IOMMU off; remove "
			"intel_iommu=off/amd_iommu=off from GRUB_CMDLINE_LINUX and reboot");
	else if (has_word(line, "intel_iommu=on"))
		verdict(h, "PASS", "iommu-cmdline: intel_iommu=on");
	else if (has_word(line, "amd_iommu=on"))
		verdict(h, "PASS", "iommu-cmdline: amd_iommu=on");
	else
		verdict(h, "WARN",
			"iommu-cmdline: neither intel_iommu=on nor amd_iommu=on on the kernel "
			"command line; add intel_iommu=on to GRUB_CMDLINE_LINUX on Intel hosts "
			"(AMD hosts enable theirs by default)");
}

static void check_vfio(struct hc *h)
{
	if (exists(h, "/sys/bus/pci/drivers/vfio-pci") || exists(h, "/sys/module/vfio_pci"))
		verdict(h, "PASS", "vfio-pci: driver loaded");
	else
		verdict(h, "FAIL",
			"vfio-pci: driver not loaded; modprobe vfio-pci (and list it in "
			"/etc/modules-load.d/ to keep it)");
}

static unsigned long meminfo(const struct hc *h, const char *key)
{
	char p[PATH_MAX], line[256];
	unsigned long v = 0;
	FILE *f = fopen(at(h, p, "/proc/meminfo"), "r");
	size_t n = strlen(key);

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtoul(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static void check_hugepages(struct hc *h)
{
	unsigned long total = meminfo(h, "HugePages_Total");
	unsigned long size = meminfo(h, "Hugepagesize");

	if (total)
		verdict(h, "PASS", "hugepages: %lu pages of %lu kB reserved", total, size);
	else
		verdict(h, "FAIL",
			"hugepages: none reserved; echo 1024 > /proc/sys/vm/nr_hugepages (or "
			"hugepages=N on the kernel command line)");
}

static void check_hugetlbfs(struct hc *h)
{
	char p[PATH_MAX], line[1024], dev[256], dir[512], type[64];
	FILE *f = fopen(at(h, p, "/proc/mounts"), "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %511s %63s", dev, dir, type) == 3 &&
		    !strcmp(type, "hugetlbfs")) {
			fclose(f);
			verdict(h, "PASS", "hugetlbfs: mounted at %s", dir);
			return;
		}
	}
	if (f)
		fclose(f);
	verdict(h, "FAIL",
		"hugetlbfs: not mounted; mkdir -p /dev/hugepages && mount -t hugetlbfs none "
		"/dev/hugepages");
}

static void check_dev(struct hc *h)
{
	if (exists(h, "/dev/vhost-net"))
		verdict(h, "PASS", "vhost-net: /dev/vhost-net present");
	else
		verdict(h, "FAIL", "vhost-net: /dev/vhost-net missing; modprobe vhost_net");
	if (exists(h, "/dev/kvm"))
		verdict(h, "PASS", "kvm: /dev/kvm present");
	else
		verdict(h, "WARN",
			"kvm: /dev/kvm missing, QEMU would run under TCG (slow); enable VT-x/AMD-V "
			"in the firmware and modprobe kvm_intel or kvm_amd");
}

static void check_numa(struct hc *h)
{
	struct dirent **ents;
	int n = list_dir(h, "/sys/devices/system/node", "node", &ents);

	if (n < 0)
		n = 0;
	else
		free_list(ents, n);
	if (n > 1)
		verdict(h, "INFO",
			"numa: %d nodes; keep the guest's memory, vhostd's lcores and the NIC on "
			"one node",
			n);
	else
		verdict(h, "INFO", "numa: %d node", n ? n : 1);
}

/* Copy at most len - 1 bytes: names from the tree may be longer than we print. */
static void copy_trunc(char *dst, size_t len, const char *src)
{
	size_t k = strnlen(src, len - 1);

	memcpy(dst, src, k);
	dst[k] = '\0';
}

static void link_base(const struct hc *h, const char *rel, char *buf, size_t len)
{
	char p[PATH_MAX], target[PATH_MAX];
	ssize_t n = readlink(at(h, p, rel), target, sizeof(target) - 1);
	const char *base;

	if (n < 0) {
		snprintf(buf, len, "none");
		return;
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	copy_trunc(buf, len, base ? base + 1 : target);
}

static void nic_sriov(struct hc *h, const char *dev)
{
	char rel[PATH_MAX], total[32], num[32];

	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/sriov_totalvfs", dev);
	read_line(h, rel, total, sizeof(total));
	if (!total[0] || !strcmp(total, "0"))
		return;
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/sriov_numvfs", dev);
	read_line(h, rel, num, sizeof(num));
	if (num[0] && strcmp(num, "0"))
		verdict(h, "PASS", "sriov %s: %s of %s VFs enabled", dev, num, total);
	else
		verdict(h, "WARN",
			"sriov %s: 0 of %s VFs enabled; echo N > "
			"/sys/bus/pci/devices/%s/sriov_numvfs",
			dev, total, dev);
}

/* A virtio NIC's netdev hangs one level lower, under its virtioN child device. */
static void virtio_ifname(const struct hc *h, const char *dev, char *ifname, size_t len)
{
	char rel[PATH_MAX];
	struct dirent **vdev, **net;
	int nv, nn;

	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s", dev);
	nv = list_dir(h, rel, "virtio", &vdev);
	if (nv <= 0) {
		if (nv == 0)
			free_list(vdev, nv);
		return;
	}
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/%.64s/net", dev, vdev[0]->d_name);
	free_list(vdev, nv);
	nn = list_dir(h, rel, "", &net);
	if (nn > 0)
		copy_trunc(ifname, len, net[0]->d_name);
	if (nn >= 0)
		free_list(net, nn);
}

static void nic_line(struct hc *h, const char *dev)
{
	char rel[PATH_MAX], drv[64], node[32], ifname[64] = "none";
	struct dirent **ents;
	int n;

	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/driver", dev);
	link_base(h, rel, drv, sizeof(drv));
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/numa_node", dev);
	read_line(h, rel, node, sizeof(node));
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/net", dev);
	n = list_dir(h, rel, "", &ents);
	if (n > 0)
		copy_trunc(ifname, sizeof(ifname), ents[0]->d_name);
	if (n >= 0)
		free_list(ents, n);
	if (n <= 0)
		virtio_ifname(h, dev, ifname, sizeof(ifname));
	verdict(h, "INFO", "nic %s: interface %s, driver %s, NUMA node %s%s", dev, ifname, drv,
		node[0] && strcmp(node, "-1") ? node : "none",
		strcmp(drv, "vfio-pci") ? ""
					: " (bound to vfio-pci: ready for passthrough or DPDK)");
	nic_sriov(h, dev);
}

/* PCI class 0x02xxxx is a network controller. */
static void check_nics(struct hc *h)
{
	struct dirent **ents;
	char rel[PATH_MAX], cls[32];
	int n = list_dir(h, "/sys/bus/pci/devices", "", &ents);
	unsigned nics = 0;

	for (int i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/class", ents[i]->d_name);
		read_line(h, rel, cls, sizeof(cls));
		if (strncmp(cls, "0x02", 4))
			continue;
		nics++;
		nic_line(h, ents[i]->d_name);
	}
	if (n >= 0)
		free_list(ents, n);
	if (!nics)
		verdict(h, "WARN",
			"nics: no PCI network devices; passthrough and SR-IOV need one (virtio, "
			"vhost-net and vhost-user do not)");
}

static void check_guest_virtio(struct hc *h)
{
	struct dirent **ents;
	char rel[PATH_MAX], line[256], found[400] = "";
	int n = list_dir(h, "/boot", "config-", &ents);

	for (int i = n - 1; i >= 0 && !found[0]; i--) {
		char p[PATH_MAX];
		FILE *f;

		snprintf(rel, sizeof(rel), "/boot/%s", ents[i]->d_name);
		f = fopen(at(h, p, rel), "r");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "CONFIG_VIRTIO_NET=", 18)) {
				line[strcspn(line, "\n")] = '\0';
				snprintf(found, sizeof(found), "%.100s in %.200s", line, rel);
				break;
			}
		if (f)
			fclose(f);
	}
	if (n >= 0)
		free_list(ents, n);
	if (found[0])
		verdict(h, "PASS", "virtio-net: %s", found);
	else
		verdict(h, "INFO",
			"virtio-net: no CONFIG_VIRTIO_NET in /boot/config-*; check each guest with "
			"grep -i virtio /boot/config-* (Windows guests need virtio-win)");
}

int cfg_xml_cmd_hostcheck(int argc, char **argv)
{
	struct hc h = {.root = ""};
	struct stat st;

	if (argc == 3 && !strcmp(argv[1], "--root"))
		h.root = argv[2];
	else if (argc != 1) {
		cfg_xml_fail("host-check: takes only --root DIR");
		return 2;
	}
	if (*h.root && (stat(h.root, &st) || !S_ISDIR(st.st_mode))) {
		cfg_xml_fail("--root %s: not a directory; give the root of a host tree", h.root);
		return 2;
	}
	check_iommu_groups(&h);
	check_cmdline(&h);
	check_vfio(&h);
	check_hugepages(&h);
	check_hugetlbfs(&h);
	check_dev(&h);
	check_numa(&h);
	check_nics(&h);
	check_guest_virtio(&h);
	fflush(stdout);
	return h.fails ? 1 : 0;
}
