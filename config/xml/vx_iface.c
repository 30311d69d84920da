// SPDX-License-Identifier: BSD-3-Clause
/*
 * Device builders: each returns a detached libxml2 element in the form libvirt 9.0's
 * schema and parser accept (see docs/libvirt.md for why each attribute is there).
 */
#include <stdio.h>

#include "vx.h"

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
	return xmlNewChild(parent, NULL, BAD_CAST name, NULL);
}

static void attr(xmlNodePtr n, const char *name, const char *val)
{
	xmlNewProp(n, BAD_CAST name, BAD_CAST val);
}

static void attr_u(xmlNodePtr n, const char *name, unsigned v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	attr(n, name, buf);
}

static void add_mac(xmlNodePtr iface, const struct cfg_xml_nic *o)
{
	char buf[18];

	if (!o->has_mac)
		return;
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", o->mac[0], o->mac[1], o->mac[2],
		 o->mac[3], o->mac[4], o->mac[5]);
	attr(child(iface, "mac"), "address", buf);
}

/* <driver> with the backend name (NULL: none) and the queue attributes, when any is set. */
static void add_driver(xmlNodePtr iface, const struct cfg_xml_nic *o, const char *name)
{
	xmlNodePtr drv;

	if (!name && !o->queues && !o->rx_queue_size && !o->tx_queue_size)
		return;
	drv = child(iface, "driver");
	if (name)
		attr(drv, "name", name);
	if (o->queues)
		attr_u(drv, "queues", o->queues);
	if (o->rx_queue_size)
		attr_u(drv, "rx_queue_size", o->rx_queue_size);
	if (o->tx_queue_size)
		attr_u(drv, "tx_queue_size", o->tx_queue_size);
}

static void add_mtu(xmlNodePtr iface, const struct cfg_xml_nic *o)
{
	if (o->mtu)
		attr_u(child(iface, "mtu"), "size", o->mtu);
}

void cfg_xml_pci_attrs(xmlNodePtr n, const struct cfg_pci_addr *a)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "0x%04x", a->domain);
	attr(n, "domain", buf);
	snprintf(buf, sizeof(buf), "0x%02x", a->bus);
	attr(n, "bus", buf);
	snprintf(buf, sizeof(buf), "0x%02x", a->slot);
	attr(n, "slot", buf);
	snprintf(buf, sizeof(buf), "0x%x", a->function);
	attr(n, "function", buf);
}

/*
 * vhost-user: QEMU takes the role opposite to vhostd's on the socket. Reconnect is a
 * client-side feature, and libvirt refuses it with mode='server', so it is emitted only
 * when QEMU is the client (vhostd the server), which is also what lets a guest survive a
 * vhostd restart.
 */
xmlNodePtr cfg_xml_vhostuser(const struct cfg_xml_nic *o)
{
	xmlNodePtr iface = xmlNewNode(NULL, BAD_CAST "interface");
	xmlNodePtr src;

	attr(iface, "type", "vhostuser");
	add_mac(iface, o);
	src = child(iface, "source");
	attr(src, "type", "unix");
	attr(src, "path", o->socket);
	attr(src, "mode", o->vhostd_client ? "server" : "client");
	if (!o->vhostd_client && o->reconnect_s) {
		xmlNodePtr rc = child(src, "reconnect");

		attr(rc, "enabled", "yes");
		attr_u(rc, "timeout", o->reconnect_s);
	}
	/* libvirt accepts vhost-user only with a virtio model. */
	attr(child(iface, "model"), "type", "virtio");
	add_driver(iface, o, NULL);
	add_mtu(iface, o);
	return iface;
}

/* virtio on a bridge or a libvirt network; vhost_net says who runs the backend. */
xmlNodePtr cfg_xml_vhostnet(const struct cfg_xml_nic *o)
{
	xmlNodePtr iface = xmlNewNode(NULL, BAD_CAST "interface");
	xmlNodePtr src;

	attr(iface, "type", o->bridge ? "bridge" : "network");
	add_mac(iface, o);
	src = child(iface, "source");
	attr(src, o->bridge ? "bridge" : "network", o->bridge ? o->bridge : o->network);
	attr(child(iface, "model"), "type", "virtio");
	add_driver(iface, o, o->vhost_net ? (o->vhost_off ? "qemu" : "vhost") : NULL);
	add_mtu(iface, o);
	return iface;
}

/* A whole PCI device; managed='yes' lets libvirt bind it to vfio-pci and back. */
xmlNodePtr cfg_xml_hostdev(const struct cfg_pci_addr *a)
{
	xmlNodePtr hd = xmlNewNode(NULL, BAD_CAST "hostdev");

	attr(hd, "mode", "subsystem");
	attr(hd, "type", "pci");
	attr(hd, "managed", "yes");
	cfg_xml_pci_attrs(child(child(hd, "source"), "address"), &a[0]);
	return hd;
}

/*
 * One VF as a network interface: unlike <hostdev>, type='hostdev' lets libvirt set the
 * VF's MAC and VLAN through the PF before the guest gets it.
 */
xmlNodePtr cfg_xml_vf_iface(const struct cfg_xml_nic *o)
{
	xmlNodePtr iface = xmlNewNode(NULL, BAD_CAST "interface");
	xmlNodePtr addr;

	attr(iface, "type", "hostdev");
	attr(iface, "managed", "yes");
	add_mac(iface, o);
	addr = child(child(iface, "source"), "address");
	attr(addr, "type", "pci");
	cfg_xml_pci_attrs(addr, &o->pci);
	if (o->vlan >= 0)
		attr_u(child(child(iface, "vlan"), "tag"), "id", (unsigned)o->vlan);
	return iface;
}

/* A VF pool: guests then ask for <interface type='network'><source network=.../>. */
xmlNodePtr cfg_xml_pool(const char *name, const char *pf_dev, const struct cfg_xml_pf *pf)
{
	xmlNodePtr net = xmlNewNode(NULL, BAD_CAST "network");
	xmlNodePtr fwd;

	xmlNewTextChild(net, NULL, BAD_CAST "name", BAD_CAST name);
	fwd = child(net, "forward");
	attr(fwd, "mode", "hostdev");
	attr(fwd, "managed", "yes");
	if (pf_dev) {
		attr(child(fwd, "pf"), "dev", pf_dev);
		return net;
	}
	for (unsigned i = 0; i < pf->n_vfs; i++) {
		xmlNodePtr a = child(fwd, "address");

		attr(a, "type", "pci");
		cfg_xml_pci_attrs(a, &pf->vf[i]);
	}
	return net;
}
