// SPDX-License-Identifier: BSD-3-Clause
/*
 * Sections and their keys. Each section type has a table of keys with a setter; the
 * table order gives each key a slot in key_line so a key set twice is caught (the
 * second value silently winning is how typos hide).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "cfg_priv.h"

struct cfg_key {
	const char *name;
	int (*set)(struct cfg_parser *p, const char *key, const char *val);
};

static struct cfg_vhost *cur_vhost(struct cfg_parser *p)
{
	return &p->c->vhost[p->c->n_vhost - 1];
}

static struct cfg_nic *cur_nic(struct cfg_parser *p)
{
	return &p->c->nic[p->c->n_nic - 1];
}

static int set_uint(struct cfg_parser *p, const char *key, const char *val, unsigned long lo,
		    unsigned long hi, unsigned long *out)
{
	int rc = cfg_parse_uint(val, hi, out);

	if (rc == -EINVAL)
		return cfg_err(p, p->line, "key '%s': '%s' is not a number; use %lu..%lu", key, val,
			       lo, hi);
	if (rc || *out < lo)
		return cfg_err(p, p->line, "key '%s': %s is out of range; use %lu..%lu", key, val,
			       lo, hi);
	return 0;
}

static int set_pow2(struct cfg_parser *p, const char *key, const char *val, unsigned long lo,
		    unsigned long hi, unsigned *out)
{
	unsigned long v;
	int rc = set_uint(p, key, val, lo, hi, &v);

	if (rc)
		return rc;
	if (!cfg_is_pow2(v))
		return cfg_err(p, p->line,
			       "key '%s': %s is not a power of two; use a power of two in %lu..%lu",
			       key, val, lo, hi);
	*out = (unsigned)v;
	return 0;
}

static int set_string(struct cfg_parser *p, const char *key, const char *val, char *dst,
		      size_t size)
{
	size_t n = strlen(val);

	if (n >= size)
		return cfg_err(p, p->line,
			       "key '%s': value is %zu bytes, at most %zu fit; shorten it", key, n,
			       size - 1);
	memcpy(dst, val, n + 1);
	return 0;
}

static int set_mac(struct cfg_parser *p, const char *key, const char *val, uint8_t mac[6],
		   bool *has)
{
	if (cfg_parse_mac(val, mac))
		return cfg_err(p, p->line,
			       "key '%s': '%s' is not a unicast MAC address; write six hex bytes "
			       "such as 52:54:00:12:34:56 (first byte even)",
			       key, val);
	*has = true;
	return 0;
}

static int set_mtu(struct cfg_parser *p, const char *key, const char *val, uint16_t *mtu)
{
	unsigned long v;
	int rc = set_uint(p, key, val, 68, 65535, &v);

	if (!rc)
		*mtu = (uint16_t)v;
	return rc;
}

static int dp_lcores(struct cfg_parser *p, const char *key, const char *val)
{
	if (val[strspn(val, "0123456789,-@()")] != '\0')
		return cfg_err(p, p->line,
			       "key '%s': '%s' is not an lcore list; use DPDK's form such as 0, "
			       "1-3 or 0@1,1@1",
			       key, val);
	return set_string(p, key, val, p->c->dp.lcores, sizeof(p->c->dp.lcores));
}

static int dp_eal(struct cfg_parser *p, const char *key, const char *val)
{
	return set_string(p, key, val, p->c->dp.eal, sizeof(p->c->dp.eal));
}

static int dp_stats(struct cfg_parser *p, const char *key, const char *val)
{
	unsigned long v;
	int rc = set_uint(p, key, val, 0, 86400, &v);

	if (!rc)
		p->c->dp.stats_interval = (unsigned)v;
	return rc;
}

static int dp_burst(struct cfg_parser *p, const char *key, const char *val)
{
	unsigned long v;
	int rc = set_uint(p, key, val, 1, 64, &v);

	if (!rc)
		p->c->dp.burst = (unsigned)v;
	return rc;
}

static int vh_socket(struct cfg_parser *p, const char *key, const char *val)
{
	size_t n = strlen(val);

	if (n >= CFG_PATH_MAX)
		return cfg_err(p, p->line,
			       "key '%s': path is %zu bytes, sun_path holds at most %d; use a "
			       "shorter path",
			       key, n, CFG_PATH_MAX - 1);
	for (unsigned i = 0; i + 1 < p->c->n_vhost; i++)
		if (!strcmp(p->c->vhost[i].socket, val))
			return cfg_err(p, p->line,
				       "key '%s': '%s' is also the socket of [vhost %s]; give each "
				       "port its own socket",
				       key, val, p->c->vhost[i].name);
	memcpy(cur_vhost(p)->socket, val, n + 1);
	return 0;
}

static int vh_mode(struct cfg_parser *p, const char *key, const char *val)
{
	if (!strcmp(val, "server"))
		cur_vhost(p)->mode = CFG_MODE_SERVER;
	else if (!strcmp(val, "client"))
		cur_vhost(p)->mode = CFG_MODE_CLIENT;
	else
		return cfg_err(p, p->line, "key '%s': '%s' is not a mode; use server or client",
			       key, val);
	return 0;
}

static int vh_queues(struct cfg_parser *p, const char *key, const char *val)
{
	unsigned long v;
	int rc = set_uint(p, key, val, 1, CFG_MAX_QUEUES, &v);

	if (!rc)
		cur_vhost(p)->queues = (unsigned)v;
	return rc;
}

static int vh_reconnect(struct cfg_parser *p, const char *key, const char *val)
{
	unsigned long v;
	int rc = set_uint(p, key, val, 1, 600000, &v);

	if (!rc)
		cur_vhost(p)->reconnect_ms = (unsigned)v;
	return rc;
}

static int vh_mtu(struct cfg_parser *p, const char *key, const char *val)
{
	return set_mtu(p, key, val, &cur_vhost(p)->mtu);
}

static int vh_mac(struct cfg_parser *p, const char *key, const char *val)
{
	return set_mac(p, key, val, cur_vhost(p)->mac, &cur_vhost(p)->has_mac);
}

/* QEMU's virtio-net takes 256..1024 descriptors per queue, powers of two only. */
static int vh_rxqs(struct cfg_parser *p, const char *key, const char *val)
{
	return set_pow2(p, key, val, 256, 1024, &cur_vhost(p)->rx_queue_size);
}

static int vh_txqs(struct cfg_parser *p, const char *key, const char *val)
{
	return set_pow2(p, key, val, 256, 1024, &cur_vhost(p)->tx_queue_size);
}

static int nic_device(struct cfg_parser *p, const char *key, const char *val)
{
	for (unsigned i = 0; i + 1 < p->c->n_nic; i++)
		if (!strcmp(p->c->nic[i].device, val))
			return cfg_err(p, p->line,
				       "key '%s': '%s' is also the device of [nic %s]; give each "
				       "port its own device",
				       key, val, p->c->nic[i].name);
	return set_string(p, key, val, cur_nic(p)->device, sizeof(cur_nic(p)->device));
}

static int nic_queues(struct cfg_parser *p, const char *key, const char *val)
{
	unsigned long v;
	int rc = set_uint(p, key, val, 1, CFG_MAX_QUEUES, &v);

	if (!rc)
		cur_nic(p)->queues = (unsigned)v;
	return rc;
}

static int nic_rx_ring(struct cfg_parser *p, const char *key, const char *val)
{
	return set_pow2(p, key, val, 64, 32768, &cur_nic(p)->rx_ring);
}

static int nic_tx_ring(struct cfg_parser *p, const char *key, const char *val)
{
	return set_pow2(p, key, val, 64, 32768, &cur_nic(p)->tx_ring);
}

static int nic_mtu(struct cfg_parser *p, const char *key, const char *val)
{
	return set_mtu(p, key, val, &cur_nic(p)->mtu);
}

static int nic_promisc(struct cfg_parser *p, const char *key, const char *val)
{
	if (cfg_parse_bool(val, &cur_nic(p)->promisc))
		return cfg_err(p, p->line, "key '%s': '%s' is not a boolean; use yes or no", key,
			       val);
	return 0;
}

static int nic_mac(struct cfg_parser *p, const char *key, const char *val)
{
	return set_mac(p, key, val, cur_nic(p)->mac, &cur_nic(p)->has_mac);
}

static const struct cfg_key dp_keys[] = {
    {"lcores", dp_lcores}, {"eal", dp_eal}, {"stats_interval", dp_stats},
    {"burst", dp_burst},   {NULL, NULL},
};

static const struct cfg_key vhost_keys[] = {
    {"socket", vh_socket},
    {"mode", vh_mode},
    {"queues", vh_queues},
    {"reconnect_ms", vh_reconnect},
    {"mtu", vh_mtu},
    {"mac", vh_mac},
    {"rx_queue_size", vh_rxqs},
    {"tx_queue_size", vh_txqs},
    {NULL, NULL},
};

static const struct cfg_key nic_keys[] = {
    {"device", nic_device},   {"queues", nic_queues}, {"rx_ring", nic_rx_ring},
    {"tx_ring", nic_tx_ring}, {"mtu", nic_mtu},	      {"promisc", nic_promisc},
    {"mac", nic_mac},	      {NULL, NULL},
};

static const struct cfg_key *sect_keys(enum cfg_sect s, const char **title, const char **list)
{
	switch (s) {
	case CFG_SECT_DP:
		*title = "[dataplane]";
		*list = "lcores, eal, stats_interval, burst";
		return dp_keys;
	case CFG_SECT_VHOST:
		*title = "[vhost]";
		*list = "socket, mode, queues, reconnect_ms, mtu, mac, rx_queue_size, "
			"tx_queue_size";
		return vhost_keys;
	case CFG_SECT_NIC:
		*title = "[nic]";
		*list = "device, queues, rx_ring, tx_ring, mtu, promisc, mac";
		return nic_keys;
	default:
		return NULL;
	}
}

static int link_key(struct cfg_parser *p, const char *key, const char *val)
{
	struct cfg_link *l;

	if (p->c->n_link >= CFG_MAX_LINKS)
		return cfg_err(p, p->line, "key '%s': more than %d links; join fewer ports", key,
			       CFG_MAX_LINKS);
	l = &p->c->link[p->c->n_link];
	/* Names too long to be ports fail the port lookup at the end with a clear message. */
	snprintf(l->a, sizeof(l->a), "%s", key);
	snprintf(l->b, sizeof(l->b), "%s", val);
	if (strlen(key) >= CFG_NAME_MAX || strlen(val) >= CFG_NAME_MAX) {
		const char *bad = strlen(key) >= CFG_NAME_MAX ? key : val;

		return cfg_err(p, p->line,
			       "key '%s': unknown port '%s'; declare it as [vhost %s] or [nic %s]",
			       key, bad, bad, bad);
	}
	p->link_line[p->c->n_link++] = p->line;
	return 0;
}

int cfg_section_key(struct cfg_parser *p, const char *key, const char *val)
{
	const struct cfg_key *k;
	const char *title, *list;
	unsigned i;

	if (p->sect == CFG_SECT_LINK)
		return link_key(p, key, val);
	k = sect_keys(p->sect, &title, &list);
	for (i = 0; k[i].name; i++)
		if (!strcmp(k[i].name, key))
			break;
	if (!k[i].name)
		return cfg_err(p, p->line, "key '%s': unknown key in %s; use one of %s", key, title,
			       list);
	if (p->key_line[i])
		return cfg_err(p, p->line, "key '%s': set twice (first at line %u); keep one", key,
			       p->key_line[i]);
	p->key_line[i] = p->line;
	return k[i].set(p, key, val);
}

/* Index of key in the open section's table, for the checks made when it closes. */
static unsigned key_slot(const struct cfg_key *k, const char *name)
{
	unsigned i;

	for (i = 0; strcmp(k[i].name, name); i++)
		;
	return i;
}

int cfg_section_close(struct cfg_parser *p)
{
	if (p->sect == CFG_SECT_VHOST) {
		struct cfg_vhost *v = cur_vhost(p);

		if (!p->key_line[key_slot(vhost_keys, "socket")])
			return cfg_err(p, p->sect_line,
				       "key 'socket': missing in [vhost %s]; add socket = "
				       "/run/vhostd/%s.sock",
				       v->name, v->name);
		if (v->mode == CFG_MODE_SERVER && p->key_line[key_slot(vhost_keys, "reconnect_ms")])
			return cfg_err(
			    p, p->key_line[key_slot(vhost_keys, "reconnect_ms")],
			    "key 'reconnect_ms': only used with mode = client; remove it "
			    "or set mode = client");
	}
	if (p->sect == CFG_SECT_NIC && !p->key_line[key_slot(nic_keys, "device")])
		return cfg_err(p, p->sect_line,
			       "key 'device': missing in [nic %s]; add device = a PCI address or "
			       "a vdev such as net_tap0,iface=vhostd0",
			       cur_nic(p)->name);
	memset(p->key_line, 0, sizeof(p->key_line));
	p->sect = CFG_SECT_NONE;
	return 0;
}

static unsigned port_line(struct cfg_parser *p, const char *name)
{
	for (unsigned i = 0; i < p->c->n_vhost; i++)
		if (!strcmp(p->c->vhost[i].name, name))
			return p->vhost_line[i];
	for (unsigned i = 0; i < p->c->n_nic; i++)
		if (!strcmp(p->c->nic[i].name, name))
			return p->nic_line[i];
	return 0;
}

static int open_port(struct cfg_parser *p, const char *hdr, const char *kind, const char *name)
{
	bool vhost = !strcmp(kind, "vhost");
	unsigned *n = vhost ? &p->c->n_vhost : &p->c->n_nic;
	unsigned prev;

	if (!*name)
		return cfg_err(p, p->line, "section '%s': port name missing; write [%s NAME]", hdr,
			       kind);
	if (!cfg_valid_name(name))
		return cfg_err(p, p->line,
			       "section '%s': '%s' is not a valid port name; use 1..%d letters, "
			       "digits, '_', '-' or '.'",
			       hdr, name, CFG_NAME_MAX - 1);
	prev = port_line(p, name);
	if (prev)
		return cfg_err(p, p->line,
			       "section '%s': port '%s' already declared at line %u; give each "
			       "port its own name",
			       hdr, name, prev);
	if (*n >= CFG_MAX_PORTS)
		return cfg_err(p, p->line, "section '%s': more than %d %s ports; use fewer", hdr,
			       CFG_MAX_PORTS, kind);
	if (vhost) {
		snprintf(p->c->vhost[*n].name, CFG_NAME_MAX, "%s", name);
		p->vhost_line[*n] = p->line;
		p->sect = CFG_SECT_VHOST;
	} else {
		snprintf(p->c->nic[*n].name, CFG_NAME_MAX, "%s", name);
		p->nic_line[*n] = p->line;
		p->sect = CFG_SECT_NIC;
	}
	(*n)++;
	return 0;
}

static int open_plain(struct cfg_parser *p, const char *hdr, const char *kind, const char *name)
{
	if (*name)
		return cfg_err(p, p->line, "section '%s': [%s] takes no name; write [%s]", hdr,
			       kind, kind);
	if (!strcmp(kind, "link")) {
		p->sect = CFG_SECT_LINK;
		return 0;
	}
	if (p->dp_line)
		return cfg_err(p, p->line,
			       "section '%s': declared twice (first at line %u); merge them", hdr,
			       p->dp_line);
	p->dp_line = p->line;
	p->sect = CFG_SECT_DP;
	return 0;
}

int cfg_section_open(struct cfg_parser *p, char *hdr)
{
	char *end = hdr + strlen(hdr) - 1;
	char inner[CFG_NAME_MAX * 4];
	char *kind, *name;
	int rc;

	rc = cfg_section_close(p);
	if (rc)
		return rc;
	if (*end != ']')
		return cfg_err(p, p->line, "section '%s': missing ']'; close the section header",
			       hdr);
	/* Keep hdr intact for messages: work on a copy of the inside. */
	snprintf(inner, sizeof(inner), "%.*s", (int)(end - hdr - 1), hdr + 1);
	kind = inner + strspn(inner, " \t");
	name = kind + strcspn(kind, " \t");
	if (*name)
		*name++ = '\0';
	name += strspn(name, " \t");
	for (char *e = name + strlen(name); e > name && (e[-1] == ' ' || e[-1] == '\t');)
		*--e = '\0';
	p->sect_line = p->line;
	if (!strcmp(kind, "vhost") || !strcmp(kind, "nic"))
		return open_port(p, hdr, kind, name);
	if (!strcmp(kind, "dataplane") || !strcmp(kind, "link"))
		return open_plain(p, hdr, kind, name);
	return cfg_err(p, p->line,
		       "section '%s': unknown section; use [dataplane], [vhost NAME], [nic NAME] "
		       "or [link]",
		       hdr);
}

static int link_end(struct cfg_parser *p, unsigned i, const char *end)
{
	const struct cfg *c = p->c;

	if (!cfg_find_vhost(c, end) && !cfg_find_nic(c, end))
		return cfg_err(p, p->link_line[i],
			       "key '%s': unknown port '%s'; declare it as [vhost %s] or [nic %s]",
			       c->link[i].a, end, end, end);
	for (unsigned j = 0; j < i; j++)
		if (!strcmp(c->link[j].a, end) || !strcmp(c->link[j].b, end))
			return cfg_err(
			    p, p->link_line[i],
			    "key '%s': port '%s' is already linked at line %u; link each "
			    "port once",
			    c->link[i].a, end, p->link_line[j]);
	return 0;
}

int cfg_links_check(struct cfg_parser *p)
{
	for (unsigned i = 0; i < p->c->n_link; i++) {
		int rc = link_end(p, i, p->c->link[i].a);

		if (!rc && strcmp(p->c->link[i].a, p->c->link[i].b))
			rc = link_end(p, i, p->c->link[i].b);
		if (rc)
			return rc;
	}
	return 0;
}
