// SPDX-License-Identifier: BSD-3-Clause
/*
 * Value parsers shared by the INI parser and vhostd-xml. Each is strict: the whole
 * string must be the value, no signs, no trailing junk, so a typo is an error rather
 * than a silently different number.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

int cfg_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	/* strtoul accepts a sign and leading blanks; we do not. */
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end != '\0')
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

bool cfg_is_pow2(unsigned long v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int cfg_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned i;

	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (i < 5 && s[3 * i + 2] != ':')
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	/* A NIC or guest cannot own a group address or the all-zero address. */
	if (mac[0] & 1)
		return -EINVAL;
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return -EINVAL;
	return 0;
}

int cfg_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	unsigned i;

	for (i = 0; i < 4; i++) {
		if (!strcmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

bool cfg_valid_name(const char *s)
{
	size_t n = strlen(s);
	size_t i;

	if (n == 0 || n >= CFG_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!isalnum(ch) && ch != '_' && ch != '-' && ch != '.')
			return false;
	}
	return true;
}

/*
 * "DDDD:BB:SS.F" or the short "BB:SS.F" lspci prints (domain 0). Fields are hex;
 * slot is 5 bits and function 3 bits in PCI, so larger values are refused.
 */
int cfg_parse_pci(const char *s, struct cfg_pci_addr *a)
{
	unsigned long dom = 0, bus, slot, fn;
	char *end;
	const char *p = s;

	if (strlen(s) == 12 && s[4] == ':') {
		if (!isxdigit((unsigned char)p[0]))
			return -EINVAL;
		dom = strtoul(p, &end, 16);
		if (end != p + 4)
			return -EINVAL;
		p += 5;
	} else if (strlen(s) != 7) {
		return -EINVAL;
	}
	if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) || p[2] != ':')
		return -EINVAL;
	bus = strtoul(p, &end, 16);
	if (end != p + 2 || !isxdigit((unsigned char)p[3]) || !isxdigit((unsigned char)p[4]) ||
	    p[5] != '.')
		return -EINVAL;
	slot = strtoul(p + 3, &end, 16);
	if (end != p + 5 || !isdigit((unsigned char)p[6]) || p[7] != '\0')
		return -EINVAL;
	fn = (unsigned long)(p[6] - '0');
	if (slot > 0x1f || fn > 7)
		return -EINVAL;
	a->domain = (uint16_t)dom;
	a->bus = (uint8_t)bus;
	a->slot = (uint8_t)slot;
	a->function = (uint8_t)fn;
	return 0;
}
