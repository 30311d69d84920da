/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhostd-xml internals: libvirt XML for every way the seed article hands a NIC to a
 * guest, plus vhostd's vhost-user, and the host checks. Builders return libxml2 nodes;
 * readers of nodedev XML and sysfs return plain structs. Every failure prints one line
 * on stderr (cfg_xml_fail) and returns -EINVAL, which main turns into exit status 2.
 */
#ifndef VHOSTD_VX_H
#define VHOSTD_VX_H

#include <stdbool.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "cfg.h"

#define CFG_XML_MAX_VFS 256

/* Options for the interface builders; 0 or "" = leave the attribute out. */
struct cfg_xml_nic {
	char socket[CFG_PATH_MAX];
	bool vhostd_client;   /* vhostd connects, so libvirt (QEMU) listens */
	unsigned reconnect_s; /* libvirt client mode only */
	unsigned queues;
	unsigned rx_queue_size;
	unsigned tx_queue_size;
	uint16_t mtu;
	uint8_t mac[6];
	bool has_mac;
	const char *bridge; /* vhost-net/virtio: one of bridge or network */
	const char *network;
	bool vhost_off; /* vhost-net: driver name='qemu' */
	bool vhost_net; /* emit <driver name=...> */
	int vlan;	/* sriov-vf: -1 = none */
	struct cfg_pci_addr pci;
};

/* One PF and the VFs it has enabled, from nodedev XML or sysfs. */
struct cfg_xml_pf {
	struct cfg_pci_addr addr;
	unsigned total_vfs; /* what the PF could enable (maxCount, sriov_totalvfs) */
	unsigned n_vfs;	    /* enabled now, listed below */
	struct cfg_pci_addr vf[CFG_XML_MAX_VFS];
};

int cfg_xml_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Builders (vx_iface.c). */
xmlNodePtr cfg_xml_vhostuser(const struct cfg_xml_nic *o);
xmlNodePtr cfg_xml_vhostnet(const struct cfg_xml_nic *o);
xmlNodePtr cfg_xml_hostdev(const struct cfg_pci_addr *a);
xmlNodePtr cfg_xml_vf_iface(const struct cfg_xml_nic *o);
xmlNodePtr cfg_xml_pool(const char *name, const char *pf_dev, const struct cfg_xml_pf *pf);
void cfg_xml_pci_attrs(xmlNodePtr n, const struct cfg_pci_addr *a);

/* Readers (vx_pci.c). */
int cfg_xml_nodedev_pci(const char *file, struct cfg_pci_addr *a);
int cfg_xml_nodedev_vf(const char *file, struct cfg_pci_addr *a);
int cfg_xml_nodedev_pf(const char *file, struct cfg_xml_pf *pf);
int cfg_xml_sysfs_pf(const char *root, const struct cfg_pci_addr *a, struct cfg_xml_pf *pf);
int cfg_xml_sysfs_ifname(const char *root, const char *ifname, struct cfg_pci_addr *a);
int cfg_xml_sysfs_check(const char *root, const struct cfg_pci_addr *a);
void cfg_xml_pci_str(const struct cfg_pci_addr *a, char *buf, size_t len);

/* Subcommands. argv[0] is the subcommand name; they build a node and hand it back. */
int cfg_xml_cmd_device(int argc, char **argv, xmlNodePtr *out, bool *vhostuser);
int cfg_xml_cmd_domain(int argc, char **argv);
int cfg_xml_cmd_hostcheck(int argc, char **argv);

/* Print a node or a document on stdout, indented, without an XML declaration. */
int cfg_xml_print_node(xmlNodePtr n);
int cfg_xml_print_doc(xmlDocPtr doc);

#endif /* VHOSTD_VX_H */
