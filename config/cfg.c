// SPDX-License-Identifier: BSD-3-Clause
/*
 * The INI parser. One pass over the lines fills struct cfg; checks that need the whole
 * file (required keys, links naming ports declared later) run when a section ends and
 * at the end of the file. Every error is one line naming file, line and key, and says
 * how to fix it, because an operator reading a journal has nothing else to go on.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cfg_priv.h"

#define CFG_LINE_MAX 1024
#define CFG_FILE_MAX (1u << 20)

void cfg_default(struct cfg *c)
{
	struct cfg_vhost *v;

	cfg_init_empty(c);
	v = &c->vhost[0];
	snprintf(v->name, sizeof(v->name), "vhost0");
	snprintf(v->socket, sizeof(v->socket), "/run/vhostd/vhost0.sock");
	c->n_vhost = 1;
}

void cfg_init_empty(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->dp.lcores, sizeof(c->dp.lcores), "0");
	c->dp.burst = 32;
	for (unsigned i = 0; i < CFG_MAX_PORTS; i++)
		cfg_vhost_defaults(&c->vhost[i]);
	for (unsigned i = 0; i < CFG_MAX_PORTS; i++)
		cfg_nic_defaults(&c->nic[i]);
}

void cfg_vhost_defaults(struct cfg_vhost *v)
{
	memset(v, 0, sizeof(*v));
	v->mode = CFG_MODE_SERVER;
	v->queues = 1;
	v->reconnect_ms = 1000;
}

void cfg_nic_defaults(struct cfg_nic *n)
{
	memset(n, 0, sizeof(*n));
	n->queues = 1;
}

int cfg_err(struct cfg_parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Comments start at ; or # anywhere on a line: values never need either character. */
static void strip_comment(char *s)
{
	s[strcspn(s, ";#")] = '\0';
}

static int parse_kv(struct cfg_parser *p, char *s)
{
	char *eq = strchr(s, '=');
	char *key, *val;

	if (!eq)
		return cfg_err(p, p->line, "key '%s': no '=' after the key; write key = value", s);
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (!*key)
		return cfg_err(p, p->line, "key '': missing before '='; write key = value");
	if (p->sect == CFG_SECT_NONE)
		return cfg_err(p, p->line,
			       "key '%s': outside any section; put it under [dataplane], "
			       "[vhost NAME], [nic NAME] or [link]",
			       key);
	if (!*val)
		return cfg_err(p, p->line, "key '%s': empty value; give a value or remove the line",
			       key);
	return cfg_section_key(p, key, val);
}

static int parse_line(struct cfg_parser *p, char *s)
{
	strip_comment(s);
	s = trim(s);
	if (!*s)
		return 0;
	if (*s == '[')
		return cfg_section_open(p, s);
	return parse_kv(p, s);
}

static int parse_text(struct cfg_parser *p, char *text)
{
	char *s = text;
	int rc;

	while (s) {
		char *nl = strchr(s, '\n');

		if (nl)
			*nl = '\0';
		p->line++;
		if (strlen(s) >= CFG_LINE_MAX)
			return cfg_err(p, p->line, "line: longer than %u bytes; shorten it",
				       CFG_LINE_MAX - 1);
		rc = parse_line(p, s);
		if (rc)
			return rc;
		s = nl ? nl + 1 : NULL;
	}
	rc = cfg_section_close(p);
	if (rc)
		return rc;
	return cfg_links_check(p);
}

int cfg_parse_string(const char *text, const char *name, struct cfg *c, char *err, size_t errlen)
{
	struct cfg_parser *p;
	char *copy;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	copy = strdup(text);
	if (!copy) {
		rc = -ENOMEM;
		goto out_parser;
	}
	p->name = name ? name : "<string>";
	p->err = err;
	p->errlen = errlen;
	p->c = c;
	cfg_init_empty(c);
	rc = parse_text(p, copy);
	free(copy);
out_parser:
	free(p);
	return rc;
}

static int read_all(FILE *f, char **out, size_t *len)
{
	char *buf = malloc(CFG_FILE_MAX + 1);
	size_t n;

	if (!buf)
		return -ENOMEM;
	n = fread(buf, 1, CFG_FILE_MAX + 1, f);
	if (ferror(f)) {
		free(buf);
		return -EIO;
	}
	if (n > CFG_FILE_MAX) {
		free(buf);
		return -EFBIG;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int cfg_parse_file(const char *path, struct cfg *c, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	FILE *f;
	int rc;

	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s:0: file: cannot open: %s; check the path", path,
			 strerror(-rc));
		return rc;
	}
	rc = read_all(f, &buf, &len);
	fclose(f);
	if (rc) {
		snprintf(err, errlen, "%s:0: file: cannot read: %s; %s", path, strerror(-rc),
			 rc == -EFBIG ? "a config is at most 1 MiB" : "check the file");
		return rc;
	}
	/* A NUL would silently cut a line short: refuse binary input outright. */
	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "%s:0: file: contains a NUL byte; save it as plain text",
			 path);
		free(buf);
		return -EINVAL;
	}
	rc = cfg_parse_string(buf, path, c, err, errlen);
	free(buf);
	return rc;
}

const struct cfg_vhost *cfg_find_vhost(const struct cfg *c, const char *name)
{
	for (unsigned i = 0; i < c->n_vhost; i++)
		if (!strcmp(c->vhost[i].name, name))
			return &c->vhost[i];
	return NULL;
}

const struct cfg_nic *cfg_find_nic(const struct cfg *c, const char *name)
{
	for (unsigned i = 0; i < c->n_nic; i++)
		if (!strcmp(c->nic[i].name, name))
			return &c->nic[i];
	return NULL;
}

const char *cfg_link_peer(const struct cfg *c, const char *name)
{
	for (unsigned i = 0; i < c->n_link; i++) {
		if (!strcmp(c->link[i].a, name))
			return c->link[i].b;
		if (!strcmp(c->link[i].b, name))
			return c->link[i].a;
	}
	return NULL;
}

int cfg_eal_split(const struct cfg_dataplane *dp, char *buf, size_t buflen, char **argv, int max)
{
	const char *s = dp->eal;
	size_t used = 0;
	int n = 0;

	for (;;) {
		size_t len;

		s += strspn(s, " \t");
		if (!*s)
			return n;
		len = strcspn(s, " \t");
		if (n >= max || used + len + 1 > buflen)
			return -E2BIG;
		memcpy(buf + used, s, len);
		buf[used + len] = '\0';
		argv[n++] = buf + used;
		used += len + 1;
		s += len;
	}
}
