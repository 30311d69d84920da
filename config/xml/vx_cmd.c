// SPDX-License-Identifier: BSD-3-Clause
/*
 * Device subcommands: parse options, check every value (libvirt's schema does not check
 * queue sizes or shared memory, so we do), then build the element.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx.h"

enum opt_id {
	O_CONFIG,
	O_PORT,
	O_SOCKET,
	O_VMODE,
	O_RECONNECT,
	O_QUEUES,
	O_RXQS,
	O_TXQS,
	O_MAC,
	O_MTU,
	O_BRIDGE,
	O_NETWORK,
	O_OFF,
	O_PCI,
	O_NODEDEV,
	O_IFNAME,
	O_SYSFS,
	O_VFNODEDEV,
	O_PFNODEDEV,
	O_PF,
	O_VF,
	O_VLAN,
	O_NAME,
	O_PFDEV,
	O_COUNT
};

#define B(x) (1u << (x))

static const struct option long_opts[] = {
    {"config", required_argument, NULL, O_CONFIG},
    {"port", required_argument, NULL, O_PORT},
    {"socket", required_argument, NULL, O_SOCKET},
    {"vhostd-mode", required_argument, NULL, O_VMODE},
    {"reconnect", required_argument, NULL, O_RECONNECT},
    {"queues", required_argument, NULL, O_QUEUES},
    {"rx-queue-size", required_argument, NULL, O_RXQS},
    {"tx-queue-size", required_argument, NULL, O_TXQS},
    {"mac", required_argument, NULL, O_MAC},
    {"mtu", required_argument, NULL, O_MTU},
    {"bridge", required_argument, NULL, O_BRIDGE},
    {"network", required_argument, NULL, O_NETWORK},
    {"off", no_argument, NULL, O_OFF},
    {"pci", required_argument, NULL, O_PCI},
    {"nodedev", required_argument, NULL, O_NODEDEV},
    {"ifname", required_argument, NULL, O_IFNAME},
    {"sysfs-root", required_argument, NULL, O_SYSFS},
    {"vf-nodedev", required_argument, NULL, O_VFNODEDEV},
    {"pf-nodedev", required_argument, NULL, O_PFNODEDEV},
    {"pf", required_argument, NULL, O_PF},
    {"vf", required_argument, NULL, O_VF},
    {"vlan", required_argument, NULL, O_VLAN},
    {"name", required_argument, NULL, O_NAME},
    {"pf-dev", required_argument, NULL, O_PFDEV},
    {NULL, 0, NULL, 0},
};

struct opts {
	const char *kind;
	unsigned given;
	const char *val[O_COUNT];
};

static const char *opt_name(unsigned id)
{
	return long_opts[id].name;
}

static int parse_opts(int argc, char **argv, unsigned allowed, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->kind = argv[0];
	optind = 0; /* glibc: 0 restarts the scan from argv[1] with fresh state */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", long_opts, NULL)) != -1) {
		if (c == '?' || c < 0 || c >= O_COUNT)
			return cfg_xml_fail("%s: unknown option or missing value '%s'; see "
					    "vhostd-xml --help",
					    o->kind, argv[optind - 1]);
		if (!(allowed & B(c)))
			return cfg_xml_fail("%s: --%s does not apply here; drop it", o->kind,
					    opt_name((unsigned)c));
		if (o->given & B(c))
			return cfg_xml_fail("%s: --%s given twice; keep one", o->kind,
					    opt_name((unsigned)c));
		o->given |= B(c);
		o->val[c] = optarg ? optarg : "";
	}
	if (optind < argc)
		return cfg_xml_fail("%s: unexpected argument '%s'; see vhostd-xml --help", o->kind,
				    argv[optind]);
	return 0;
}

static int num(const struct opts *o, unsigned id, unsigned long lo, unsigned long hi,
	       unsigned long *out)
{
	int rc = cfg_parse_uint(o->val[id], hi, out);

	if (rc == -EINVAL)
		return cfg_xml_fail("--%s %s: not a number; use %lu..%lu", opt_name(id), o->val[id],
				    lo, hi);
	if (rc || *out < lo)
		return cfg_xml_fail("--%s %s: out of range; use %lu..%lu", opt_name(id), o->val[id],
				    lo, hi);
	return 0;
}

/* QEMU's virtio-net takes 256, 512 or 1024 descriptors; libvirt itself does not check. */
static int qsize(const struct opts *o, unsigned id, unsigned *out)
{
	unsigned long v;
	int rc;

	if (!(o->given & B(id)))
		return 0;
	rc = cfg_parse_uint(o->val[id], 1ul << 20, &v);
	if (rc == -EINVAL)
		return cfg_xml_fail("--%s %s: not a number; use 256, 512 or 1024", opt_name(id),
				    o->val[id]);
	if (!rc && !cfg_is_pow2(v))
		return cfg_xml_fail("--%s %s: not a power of two; use 256, 512 or 1024",
				    opt_name(id), o->val[id]);
	if (rc || v < 256 || v > 1024)
		return cfg_xml_fail("--%s %s: out of range; use 256, 512 or 1024", opt_name(id),
				    o->val[id]);
	*out = (unsigned)v;
	return 0;
}

static int common_nic(const struct opts *o, unsigned max_queues, struct cfg_xml_nic *n)
{
	unsigned long v;

	if (o->given & B(O_QUEUES)) {
		if (num(o, O_QUEUES, 1, max_queues, &v))
			return -EINVAL;
		n->queues = (unsigned)v;
	}
	if (qsize(o, O_RXQS, &n->rx_queue_size) || qsize(o, O_TXQS, &n->tx_queue_size))
		return -EINVAL;
	if (o->given & B(O_MTU)) {
		if (num(o, O_MTU, 68, 65535, &v))
			return -EINVAL;
		n->mtu = (uint16_t)v;
	}
	if (o->given & B(O_MAC)) {
		if (cfg_parse_mac(o->val[O_MAC], n->mac))
			return cfg_xml_fail(
			    "--mac %s: not a unicast MAC address; write six hex bytes "
			    "such as 52:54:00:12:34:56",
			    o->val[O_MAC]);
		n->has_mac = true;
	}
	return 0;
}

static int pci_opt(const struct opts *o, unsigned id, struct cfg_pci_addr *a)
{
	if (cfg_parse_pci(o->val[id], a))
		return cfg_xml_fail("--%s %s: not a PCI address; write DDDD:BB:SS.F such as "
				    "0000:02:00.0",
				    opt_name(id), o->val[id]);
	return 0;
}

static const char *sysfs_root(const struct opts *o)
{
	return (o->given & B(O_SYSFS)) ? o->val[O_SYSFS] : "";
}

static int from_config(const struct opts *o, struct cfg_xml_nic *n)
{
	char err[CFG_ERR_MAX];
	const struct cfg_vhost *v;
	struct cfg *c = malloc(sizeof(*c));
	int rc = 0;

	if (!c)
		return cfg_xml_fail("out of memory");
	if (!(o->given & B(O_PORT)))
		rc = cfg_xml_fail("--config needs --port NAME; name a [vhost NAME] section");
	else if (cfg_parse_file(o->val[O_CONFIG], c, err, sizeof(err)))
		rc = cfg_xml_fail("%s", err);
	if (rc)
		goto out_cfg;
	v = cfg_find_vhost(c, o->val[O_PORT]);
	if (!v) {
		rc = cfg_xml_fail("--port %s: no [vhost %s] in %s; pick a vhost port from it",
				  o->val[O_PORT], o->val[O_PORT], o->val[O_CONFIG]);
		goto out_cfg;
	}
	snprintf(n->socket, sizeof(n->socket), "%s", v->socket);
	n->vhostd_client = v->mode == CFG_MODE_CLIENT;
	n->queues = v->queues;
	n->rx_queue_size = v->rx_queue_size;
	n->tx_queue_size = v->tx_queue_size;
	n->mtu = v->mtu;
	n->has_mac = v->has_mac;
	memcpy(n->mac, v->mac, sizeof(n->mac));
out_cfg:
	free(c);
	return rc;
}

static int vhost_mode(const struct opts *o, struct cfg_xml_nic *n)
{
	const char *m = o->val[O_VMODE];

	if (!strcmp(m, "server"))
		n->vhostd_client = false;
	else if (!strcmp(m, "client"))
		n->vhostd_client = true;
	else
		return cfg_xml_fail("--vhostd-mode %s: not a mode; use server or client", m);
	return 0;
}

static int reconnect(const struct opts *o, struct cfg_xml_nic *n)
{
	unsigned long v;

	/* QEMU retries once a second by default: a vhostd restart costs about that. */
	n->reconnect_s = n->vhostd_client ? 0 : 1;
	if (!(o->given & B(O_RECONNECT)))
		return 0;
	if (num(o, O_RECONNECT, 0, 86400, &v))
		return -EINVAL;
	if (v && n->vhostd_client)
		return cfg_xml_fail(
		    "--reconnect %s: libvirt allows reconnect only when QEMU is the "
		    "client (vhostd mode server); drop --reconnect",
		    o->val[O_RECONNECT]);
	n->reconnect_s = (unsigned)v;
	return 0;
}

static int cmd_vhostuser(const struct opts *o, xmlNodePtr *out)
{
	struct cfg_xml_nic n = {.vlan = -1};

	if (o->given & B(O_CONFIG)) {
		if (from_config(o, &n))
			return -EINVAL;
	} else if (o->given & B(O_PORT)) {
		return cfg_xml_fail("--port needs --config FILE; give vhostd's config file");
	} else if (!(o->given & B(O_SOCKET))) {
		return cfg_xml_fail("vhostuser: give --socket PATH or --config FILE --port NAME");
	}
	if (o->given & B(O_SOCKET)) {
		if (strlen(o->val[O_SOCKET]) >= CFG_PATH_MAX)
			return cfg_xml_fail(
			    "--socket: path is %zu bytes, sun_path holds at most %d; "
			    "use a shorter path",
			    strlen(o->val[O_SOCKET]), CFG_PATH_MAX - 1);
		snprintf(n.socket, sizeof(n.socket), "%s", o->val[O_SOCKET]);
	}
	if ((o->given & B(O_VMODE)) && vhost_mode(o, &n))
		return -EINVAL;
	if (reconnect(o, &n) || common_nic(o, CFG_MAX_QUEUES, &n))
		return -EINVAL;
	*out = cfg_xml_vhostuser(&n);
	return 0;
}

static int cmd_vhostnet(const struct opts *o, bool vhost_net, xmlNodePtr *out)
{
	struct cfg_xml_nic n = {.vlan = -1};
	unsigned where = o->given & (B(O_BRIDGE) | B(O_NETWORK));

	if (where != B(O_BRIDGE) && where != B(O_NETWORK))
		return cfg_xml_fail("%s: give exactly one of --bridge BR or --network NET",
				    o->kind);
	n.bridge = o->val[O_BRIDGE];
	n.network = o->val[O_NETWORK];
	n.vhost_net = vhost_net;
	n.vhost_off = o->given & B(O_OFF);
	if (common_nic(o, 256, &n))
		return -EINVAL;
	*out = cfg_xml_vhostnet(&n);
	return 0;
}

static int one_of(const struct opts *o, unsigned mask, const char *what)
{
	unsigned g = o->given & mask;

	if (!g || (g & (g - 1)))
		return cfg_xml_fail("%s: give exactly one of %s", o->kind, what);
	return 0;
}

static int cmd_passthrough(const struct opts *o, xmlNodePtr *out)
{
	struct cfg_pci_addr a;

	if (one_of(o, B(O_PCI) | B(O_NODEDEV) | B(O_IFNAME), "--pci, --nodedev or --ifname"))
		return -EINVAL;
	if (o->given & B(O_NODEDEV)) {
		if (cfg_xml_nodedev_pci(o->val[O_NODEDEV], &a))
			return -EINVAL;
	} else if (o->given & B(O_IFNAME)) {
		if (cfg_xml_sysfs_ifname(sysfs_root(o), o->val[O_IFNAME], &a))
			return -EINVAL;
	} else if (pci_opt(o, O_PCI, &a)) {
		return -EINVAL;
	}
	/* With a sysfs root, make sure the device is really there before libvirt tries. */
	if ((o->given & B(O_SYSFS)) && cfg_xml_sysfs_check(sysfs_root(o), &a))
		return -EINVAL;
	*out = cfg_xml_hostdev(&a);
	return 0;
}

static int load_pf(const struct opts *o, struct cfg_xml_pf *pf)
{
	struct cfg_pci_addr a;

	if (o->given & B(O_PFNODEDEV))
		return cfg_xml_nodedev_pf(o->val[O_PFNODEDEV], pf);
	if (pci_opt(o, O_PF, &a))
		return -EINVAL;
	return cfg_xml_sysfs_pf(sysfs_root(o), &a, pf);
}

static int pick_vf(const struct opts *o, const struct cfg_xml_pf *pf, struct cfg_pci_addr *a)
{
	unsigned long v;
	char s[16];

	if (!(o->given & B(O_VF)))
		return cfg_xml_fail("sriov-vf: --%s needs --vf INDEX",
				    (o->given & B(O_PF)) ? "pf" : "pf-nodedev");
	if (num(o, O_VF, 0, CFG_XML_MAX_VFS - 1, &v))
		return -EINVAL;
	cfg_xml_pci_str(&pf->addr, s, sizeof(s));
	if (v >= pf->n_vfs) {
		if (!pf->n_vfs)
			return cfg_xml_fail("--vf %s: PF %s has no VFs enabled; enable some with "
					    "echo N > /sys/bus/pci/devices/%s/sriov_numvfs",
					    o->val[O_VF], s, s);
		return cfg_xml_fail("--vf %s: PF %s has %u VFs enabled (0..%u); pick one of those "
				    "or enable more with sriov_numvfs",
				    o->val[O_VF], s, pf->n_vfs, pf->n_vfs - 1);
	}
	*a = pf->vf[v];
	return 0;
}

static int cmd_vf(const struct opts *o, xmlNodePtr *out)
{
	struct cfg_xml_nic n = {.vlan = -1};
	struct cfg_xml_pf *pf;
	unsigned long v;
	int rc;

	if (one_of(o, B(O_VFNODEDEV) | B(O_PFNODEDEV) | B(O_PF),
		   "--vf-nodedev, --pf-nodedev or --pf"))
		return -EINVAL;
	if (o->given & B(O_VLAN)) {
		if (num(o, O_VLAN, 0, 4095, &v))
			return -EINVAL;
		n.vlan = (int)v;
	}
	if (common_nic(o, 1, &n))
		return -EINVAL;
	if (o->given & B(O_VFNODEDEV)) {
		if (o->given & B(O_VF))
			return cfg_xml_fail(
			    "sriov-vf: --vf-nodedev names the VF already; drop --vf");
		rc = cfg_xml_nodedev_vf(o->val[O_VFNODEDEV], &n.pci);
	} else {
		pf = malloc(sizeof(*pf));
		if (!pf)
			return cfg_xml_fail("out of memory");
		rc = load_pf(o, pf);
		if (!rc)
			rc = pick_vf(o, pf, &n.pci);
		free(pf);
	}
	if (rc)
		return rc;
	*out = cfg_xml_vf_iface(&n);
	return 0;
}

static int cmd_pool(const struct opts *o, xmlNodePtr *out)
{
	struct cfg_xml_pf *pf;
	int rc = 0;

	if (!(o->given & B(O_NAME)))
		return cfg_xml_fail("sriov-pool: give --name NET for the libvirt network");
	if (!cfg_valid_name(o->val[O_NAME]))
		return cfg_xml_fail("--name %s: not a usable network name; use letters, digits, "
				    "'_', '-' or '.'",
				    o->val[O_NAME]);
	if (one_of(o, B(O_PFDEV) | B(O_PFNODEDEV) | B(O_PF), "--pf-dev, --pf-nodedev or --pf"))
		return -EINVAL;
	if (o->given & B(O_PFDEV)) {
		if (!*o->val[O_PFDEV] || strlen(o->val[O_PFDEV]) >= 16 ||
		    strchr(o->val[O_PFDEV], '/'))
			return cfg_xml_fail("--pf-dev %s: not a network interface name; give the "
					    "PF's name as ip link shows it",
					    o->val[O_PFDEV]);
		*out = cfg_xml_pool(o->val[O_NAME], o->val[O_PFDEV], NULL);
		return 0;
	}
	pf = malloc(sizeof(*pf));
	if (!pf)
		return cfg_xml_fail("out of memory");
	rc = load_pf(o, pf);
	if (!rc && !pf->n_vfs)
		rc =
		    cfg_xml_fail("sriov-pool: PF has no VFs enabled; enable some with sriov_numvfs "
				 "or use --pf-dev");
	if (!rc)
		*out = cfg_xml_pool(o->val[O_NAME], NULL, pf);
	free(pf);
	return rc;
}

struct kind {
	const char *name;
	unsigned allowed;
};

#define NIC_OPTS (B(O_QUEUES) | B(O_RXQS) | B(O_TXQS) | B(O_MAC) | B(O_MTU))

static const struct kind kinds[] = {
    {"vhostuser", NIC_OPTS | B(O_CONFIG) | B(O_PORT) | B(O_SOCKET) | B(O_VMODE) | B(O_RECONNECT)},
    {"virtio", NIC_OPTS | B(O_BRIDGE) | B(O_NETWORK)},
    {"vhost-net", NIC_OPTS | B(O_BRIDGE) | B(O_NETWORK) | B(O_OFF)},
    {"passthrough", B(O_PCI) | B(O_NODEDEV) | B(O_IFNAME) | B(O_SYSFS)},
    {"sriov-vf",
     B(O_VFNODEDEV) | B(O_PFNODEDEV) | B(O_PF) | B(O_VF) | B(O_VLAN) | B(O_MAC) | B(O_SYSFS)},
    {"sriov-pool", B(O_NAME) | B(O_PFDEV) | B(O_PFNODEDEV) | B(O_PF) | B(O_SYSFS)},
};

int cfg_xml_cmd_device(int argc, char **argv, xmlNodePtr *out, bool *vhostuser)
{
	struct opts o;
	unsigned k;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strcmp(argv[0], kinds[k].name))
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		return cfg_xml_fail("%s: unknown subcommand; see vhostd-xml --help", argv[0]);
	if (parse_opts(argc, argv, kinds[k].allowed, &o))
		return -EINVAL;
	*vhostuser = k == 0;
	switch (k) {
	case 0:
		return cmd_vhostuser(&o, out);
	case 1:
	case 2:
		return cmd_vhostnet(&o, k == 2, out);
	case 3:
		return cmd_passthrough(&o, out);
	case 4:
		return cmd_vf(&o, out);
	default:
		return cmd_pool(&o, out);
	}
}
