// SPDX-License-Identifier: BSD-3-Clause
/*
 * Where PCI addresses come from: `virsh nodedev-dumpxml` files (read with libxml2's
 * tree API) or sysfs under a root directory, so tests can point at a fake tree.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "vx.h"

void cfg_xml_pci_str(const struct cfg_pci_addr *a, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", a->domain, a->bus, a->slot, a->function);
}

static bool is_elem(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST name);
}

/* The first child element <capability type='TYPE'> of parent, or NULL. */
static xmlNodePtr find_cap(xmlNodePtr parent, const char *type)
{
	for (xmlNodePtr n = parent->children; n; n = n->next) {
		xmlChar *t;
		bool match;

		if (!is_elem(n, "capability"))
			continue;
		t = xmlGetProp(n, BAD_CAST "type");
		match = t && xmlStrEqual(t, BAD_CAST type);
		xmlFree(t);
		if (match)
			return n;
	}
	return NULL;
}

static xmlNodePtr find_child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent->children; n; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

/* libvirt writes nodedev fields in decimal and address attributes in hex: take both. */
static int field_value(const char *file, const char *what, const xmlChar *text, unsigned long max,
		       unsigned long *out)
{
	const char *s = (const char *)text;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		goto out_bad;
	errno = 0;
	*out = strtoul(s, &end, 0);
	if (errno || *end || *out > max)
		goto out_bad;
	return 0;
out_bad:
	return cfg_xml_fail("%s: %s '%s' is not a PCI %s (0..%lu); pass the unmodified output of "
			    "virsh nodedev-dumpxml",
			    file, what, s ? s : "", what, max);
}

static const char *const pci_fields[4] = {"domain", "bus", "slot", "function"};
static const unsigned long pci_max[4] = {0xffff, 0xff, 0x1f, 7};

static void pci_set(struct cfg_pci_addr *a, const unsigned long v[4])
{
	a->domain = (uint16_t)v[0];
	a->bus = (uint8_t)v[1];
	a->slot = (uint8_t)v[2];
	a->function = (uint8_t)v[3];
}

/* <capability type='pci'> has <domain>, <bus>, <slot>, <function> elements. */
static int cap_pci_addr(const char *file, xmlNodePtr cap, struct cfg_pci_addr *a)
{
	unsigned long v[4];

	for (unsigned i = 0; i < 4; i++) {
		xmlNodePtr f = find_child(cap, pci_fields[i]);
		xmlChar *t;
		int rc;

		if (!f)
			return cfg_xml_fail("%s: <capability type='pci'> has no <%s>; pass the "
					    "unmodified output of virsh nodedev-dumpxml",
					    file, pci_fields[i]);
		t = xmlNodeGetContent(f);
		rc = field_value(file, pci_fields[i], t, pci_max[i], &v[i]);
		xmlFree(t);
		if (rc)
			return rc;
	}
	pci_set(a, v);
	return 0;
}

/* <address domain='0x0000' bus='0x03' slot='0x10' function='0x1'/> */
static int addr_attrs(const char *file, xmlNodePtr n, struct cfg_pci_addr *a)
{
	unsigned long v[4];

	for (unsigned i = 0; i < 4; i++) {
		xmlChar *t = xmlGetProp(n, BAD_CAST pci_fields[i]);
		int rc = field_value(file, pci_fields[i], t, pci_max[i], &v[i]);

		xmlFree(t);
		if (rc)
			return rc;
	}
	pci_set(a, v);
	return 0;
}

static int load(const char *file, xmlDocPtr *out)
{
	xmlDocPtr doc;
	xmlNodePtr root;

	if (strcmp(file, "-") && access(file, R_OK))
		return cfg_xml_fail("%s: cannot read: %s; check the path", file, strerror(errno));
	doc = xmlReadFile(file, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		char msg[256] = "cannot read it";

		if (e && e->message) {
			snprintf(msg, sizeof(msg), "%s", e->message);
			msg[strcspn(msg, "\n")] = '\0';
		}
		return cfg_xml_fail("%s:%d: malformed XML: %s; pass the unmodified output of virsh "
				    "nodedev-dumpxml",
				    file, e ? e->line : 0, msg);
	}
	root = xmlDocGetRootElement(doc);
	if (!root || !is_elem(root, "device")) {
		cfg_xml_fail("%s: root element is <%s>, not <device>; pass the output of virsh "
			     "nodedev-dumpxml",
			     file, root ? (const char *)root->name : "");
		xmlFreeDoc(doc);
		return -EINVAL;
	}
	*out = doc;
	return 0;
}

/* Loads a nodedev file and reads its PCI capability and address; the caller frees *doc. */
static int load_pci(const char *file, xmlDocPtr *doc, xmlNodePtr *cap, struct cfg_pci_addr *a)
{
	int rc = load(file, doc);

	if (rc)
		return rc;
	*cap = find_cap(xmlDocGetRootElement(*doc), "pci");
	if (!*cap)
		rc = cfg_xml_fail("%s: no <capability type='pci'>; this node device is not a PCI "
				  "device (list them with virsh nodedev-list --cap pci)",
				  file);
	else
		rc = cap_pci_addr(file, *cap, a);
	if (rc) {
		xmlFreeDoc(*doc);
		*doc = NULL;
	}
	return rc;
}

int cfg_xml_nodedev_pci(const char *file, struct cfg_pci_addr *a)
{
	xmlNodePtr cap;
	xmlDocPtr doc;
	int rc;

	rc = load_pci(file, &doc, &cap, a);
	if (rc)
		return rc;
	xmlFreeDoc(doc);
	return 0;
}

/* Fails unless the nodedev file describes a VF (it has a phys_function capability). */
int cfg_xml_nodedev_vf(const char *file, struct cfg_pci_addr *a)
{
	xmlNodePtr cap;
	xmlDocPtr doc;
	char s[16];
	int rc;

	rc = load_pci(file, &doc, &cap, a);
	if (rc)
		return rc;
	if (!find_cap(cap, "phys_function")) {
		cfg_xml_pci_str(a, s, sizeof(s));
		rc = cfg_xml_fail("%s: device %s has no <capability type='phys_function'>; it is "
				  "not an SR-IOV VF (use passthrough for a whole NIC)",
				  file, s);
	}
	xmlFreeDoc(doc);
	return rc;
}

static int read_vfs(const char *file, xmlNodePtr vfs, struct cfg_xml_pf *pf)
{
	xmlChar *max = xmlGetProp(vfs, BAD_CAST "maxCount");
	unsigned long total = 0;
	int rc = 0;

	pf->n_vfs = 0;
	for (xmlNodePtr n = vfs->children; n && !rc; n = n->next) {
		if (!is_elem(n, "address"))
			continue;
		if (pf->n_vfs >= CFG_XML_MAX_VFS) {
			rc = cfg_xml_fail(
			    "%s: more than %d VFs listed; vhostd-xml handles at most %d", file,
			    CFG_XML_MAX_VFS, CFG_XML_MAX_VFS);
			break;
		}
		rc = addr_attrs(file, n, &pf->vf[pf->n_vfs++]);
	}
	if (!rc && max && field_value(file, "maxCount", max, 0xffff, &total))
		rc = -EINVAL;
	xmlFree(max);
	pf->total_vfs = max ? (unsigned)total : pf->n_vfs;
	return rc;
}

int cfg_xml_nodedev_pf(const char *file, struct cfg_xml_pf *pf)
{
	xmlNodePtr cap, vfs;
	xmlDocPtr doc;
	char s[16];
	int rc;

	rc = load_pci(file, &doc, &cap, &pf->addr);
	if (rc)
		return rc;
	vfs = find_cap(cap, "virt_functions");
	if (!vfs) {
		cfg_xml_pci_str(&pf->addr, s, sizeof(s));
		rc = cfg_xml_fail("%s: device %s has no <capability type='virt_functions'>; it is "
				  "not an SR-IOV physical function",
				  file, s);
		goto out_doc;
	}
	rc = read_vfs(file, vfs, pf);
out_doc:
	xmlFreeDoc(doc);
	return rc;
}

static int dev_path(char *buf, size_t len, const char *root, const struct cfg_pci_addr *a,
		    const char *leaf)
{
	char s[16];
	int n;

	cfg_xml_pci_str(a, s, sizeof(s));
	n = snprintf(buf, len, "%s/sys/bus/pci/devices/%s%s%s", root, s, leaf ? "/" : "",
		     leaf ? leaf : "");
	if (n < 0 || (size_t)n >= len)
		return cfg_xml_fail("%s: path too long; use a shorter --sysfs-root", root);
	return 0;
}

int cfg_xml_sysfs_check(const char *root, const struct cfg_pci_addr *a)
{
	char path[PATH_MAX], s[16];
	struct stat st;

	if (dev_path(path, sizeof(path), root, a, NULL))
		return -EINVAL;
	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		cfg_xml_pci_str(a, s, sizeof(s));
		return cfg_xml_fail("%s: no such PCI device in %s/sys/bus/pci/devices; check the "
				    "address with lspci -D",
				    s, root);
	}
	return 0;
}

static int read_uint_file(const char *path, unsigned long *v)
{
	char buf[32];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return cfg_parse_uint(buf, 0xffffff, v);
}

/* The PCI address a sysfs symlink points at is its last path component. */
static int link_addr(const char *path, struct cfg_pci_addr *a)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;

	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	return cfg_parse_pci(base ? base + 1 : target, a);
}

int cfg_xml_sysfs_pf(const char *root, const struct cfg_pci_addr *a, struct cfg_xml_pf *pf)
{
	char path[PATH_MAX], s[16], leaf[32];
	unsigned long total;

	if (cfg_xml_sysfs_check(root, a) || dev_path(path, sizeof(path), root, a, "sriov_totalvfs"))
		return -EINVAL;
	cfg_xml_pci_str(a, s, sizeof(s));
	if (read_uint_file(path, &total) || total == 0)
		return cfg_xml_fail("%s: no sriov_totalvfs in sysfs; it is not an SR-IOV physical "
				    "function",
				    s);
	pf->addr = *a;
	pf->total_vfs = (unsigned)total;
	pf->n_vfs = 0;
	for (unsigned i = 0; i < CFG_XML_MAX_VFS; i++) {
		snprintf(leaf, sizeof(leaf), "virtfn%u", i);
		if (dev_path(path, sizeof(path), root, a, leaf))
			return -EINVAL;
		if (link_addr(path, &pf->vf[i]))
			break;
		pf->n_vfs++;
	}
	return 0;
}

int cfg_xml_sysfs_ifname(const char *root, const char *ifname, struct cfg_pci_addr *a)
{
	char path[PATH_MAX];
	int n;

	/* IFNAMSIZ is 16 and names never contain '/': anything else would walk the tree. */
	if (!*ifname || strlen(ifname) >= 16 || strchr(ifname, '/') || !strcmp(ifname, ".") ||
	    !strcmp(ifname, ".."))
		return cfg_xml_fail("%s: not a network interface name; give one as ip link "
				    "shows it",
				    ifname);
	n = snprintf(path, sizeof(path), "%s/sys/class/net/%s/device", root, ifname);
	if (n < 0 || (size_t)n >= sizeof(path))
		return cfg_xml_fail("%s: path too long; use a shorter --sysfs-root", root);
	if (link_addr(path, a))
		return cfg_xml_fail("%s: no PCI device behind %s/sys/class/net/%s; pick a physical "
				    "NIC (ip link, lspci -D)",
				    ifname, root, ifname);
	return 0;
}
