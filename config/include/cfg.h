/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg: vhostd's own configuration (an INI file, one section per port) as plain structs.
 * Parsing only: no DPDK, no sockets. Every error names the file, the line and the key,
 * and says how to fix it, in one line.
 */
#ifndef VHOSTD_CFG_H
#define VHOSTD_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_NAME_MAX   32  /* port names, with the NUL */
#define CFG_PATH_MAX   108 /* sun_path */
#define CFG_ARGS_MAX   512
#define CFG_MAX_PORTS  32
#define CFG_MAX_LINKS  32
#define CFG_MAX_QUEUES 16
#define CFG_ERR_MAX    512

struct cfg_dataplane {
	char lcores[64];	 /* DPDK lcore list, e.g. "0" or "1-3" */
	char eal[CFG_ARGS_MAX];	 /* extra EAL arguments, split on blanks */
	unsigned stats_interval; /* seconds, 0 = only at exit */
	unsigned burst;		 /* packets per burst, 1..64 */
};

enum cfg_vhost_mode { CFG_MODE_SERVER, CFG_MODE_CLIENT };

struct cfg_vhost {
	char name[CFG_NAME_MAX];
	char socket[CFG_PATH_MAX];
	enum cfg_vhost_mode mode;
	unsigned queues;       /* queue pairs, 1..CFG_MAX_QUEUES */
	unsigned reconnect_ms; /* client mode: first retry delay (backoff doubles) */
	uint16_t mtu;	       /* 0 = not offered */
	uint8_t mac[6];
	bool has_mac;
	unsigned rx_queue_size; /* for the generated libvirt XML; 0 = unset */
	unsigned tx_queue_size;
};

struct cfg_nic {
	char name[CFG_NAME_MAX];
	char device[CFG_ARGS_MAX]; /* DPDK devargs: PCI address or vdev */
	unsigned queues;
	unsigned rx_ring; /* descriptors, 0 = driver default */
	unsigned tx_ring;
	uint16_t mtu; /* 0 = leave as is */
	bool promisc;
	uint8_t mac[6];
	bool has_mac;
};

/* Two ports joined both ways; a port linked to itself is a loopback. */
struct cfg_link {
	char a[CFG_NAME_MAX];
	char b[CFG_NAME_MAX];
};

struct cfg {
	struct cfg_dataplane dp;
	struct cfg_vhost vhost[CFG_MAX_PORTS];
	unsigned n_vhost;
	struct cfg_nic nic[CFG_MAX_PORTS];
	unsigned n_nic;
	struct cfg_link link[CFG_MAX_LINKS];
	unsigned n_link;
};

/*
 * Keys: [dataplane] lcores, eal, stats_interval (0..86400), burst (1..64);
 * [vhost NAME] socket (required, < 108 bytes), mode (server|client), queues, reconnect_ms
 * (client only, 1..600000), mtu (68..65535), mac, rx_queue_size/tx_queue_size (powers of
 * two, 256..1024); [nic NAME] device (required), queues, rx_ring/tx_ring (powers of two,
 * 64..32768), mtu, promisc (yes|no), mac; [link] A = B (each port in at most one link).
 * Section-level errors read "FILE:LINE: section '[HDR]': problem; fix"; line-level ones
 * "FILE:LINE: line: ..."; file-level ones "FILE:0: file: ...".
 */

/* The embedded default: one vhost-user server port vhost0 at /run/vhostd/vhost0.sock. */
void cfg_default(struct cfg *c);

/* Parse a file or a string (name is what errors call it). On error, err holds one line
 * "FILE:LINE: key 'K': what is wrong; how to fix it" and the return is -EINVAL (or -errno
 * for I/O). */
int cfg_parse_file(const char *path, struct cfg *c, char *err, size_t errlen);
int cfg_parse_string(const char *text, const char *name, struct cfg *c, char *err, size_t errlen);

/* Lookups by port name; NULL when absent. */
const struct cfg_vhost *cfg_find_vhost(const struct cfg *c, const char *name);
const struct cfg_nic *cfg_find_nic(const struct cfg *c, const char *name);

/* The port a port is linked to (itself for a loopback); NULL when it has no link. */
const char *cfg_link_peer(const struct cfg *c, const char *name);

/*
 * Split dp.eal on blanks into argv[0..max-1], copying the words into buf. Returns the
 * word count, or -E2BIG when they do not fit in max words or buflen bytes.
 */
int cfg_eal_split(const struct cfg_dataplane *dp, char *buf, size_t buflen, char **argv, int max);

/* Strict value parsers, shared with vhostd-xml. 0 or -EINVAL/-ERANGE. */
struct cfg_pci_addr {
	uint16_t domain;
	uint8_t bus;
	uint8_t slot;	  /* 0..0x1f */
	uint8_t function; /* 0..7 */
};

int cfg_parse_uint(const char *s, unsigned long max, unsigned long *out);
int cfg_parse_mac(const char *s, uint8_t mac[6]);	  /* unicast, not all-zero */
int cfg_parse_bool(const char *s, bool *out);		  /* yes/no, true/false, on/off, 1/0 */
int cfg_parse_pci(const char *s, struct cfg_pci_addr *a); /* DDDD:BB:SS.F or BB:SS.F */
bool cfg_is_pow2(unsigned long v);
bool cfg_valid_name(const char *s); /* port names: [A-Za-z0-9_.-], 1..31 chars */

#endif /* VHOSTD_CFG_H */
