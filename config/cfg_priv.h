/* SPDX-License-Identifier: BSD-3-Clause */
/* Parser state shared by cfg.c (lines) and cfg_sect.c (sections and keys). */
#ifndef VHOSTD_CFG_PRIV_H
#define VHOSTD_CFG_PRIV_H

#include <stddef.h>

#include "cfg.h"

enum cfg_sect { CFG_SECT_NONE, CFG_SECT_DP, CFG_SECT_VHOST, CFG_SECT_NIC, CFG_SECT_LINK };

#define CFG_KEYS_MAX 16

struct cfg_parser {
	const char *name;
	char *err;
	size_t errlen;
	struct cfg *c;
	unsigned line;
	enum cfg_sect sect;
	unsigned sect_line;
	unsigned dp_line;		    /* where [dataplane] was, 0 = not yet */
	unsigned key_line[CFG_KEYS_MAX];    /* per key of the open section, 0 = unset */
	unsigned vhost_line[CFG_MAX_PORTS]; /* section line of each port */
	unsigned nic_line[CFG_MAX_PORTS];
	unsigned link_line[CFG_MAX_LINKS];
};

int cfg_err(struct cfg_parser *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cfg_init_empty(struct cfg *c);
void cfg_vhost_defaults(struct cfg_vhost *v);
void cfg_nic_defaults(struct cfg_nic *n);

int cfg_section_open(struct cfg_parser *p, char *hdr);
int cfg_section_close(struct cfg_parser *p);
int cfg_section_key(struct cfg_parser *p, const char *key, const char *val);
int cfg_links_check(struct cfg_parser *p);

#endif /* VHOSTD_CFG_PRIV_H */
