// SPDX-License-Identifier: BSD-3-Clause
/*
 * vhostd-xml: libvirt XML for vhostd's vhost-user ports and for the seed article's four
 * ways to give a guest a NIC, and the article's host checks. Exit 0 on success, 2 on bad
 * input (one line on stderr), 1 when host-check finds a failing check.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlsave.h>

#include "vx.h"

static const char usage[] =
    "usage: vhostd-xml SUBCOMMAND [OPTIONS]\n"
    "  vhostuser   (--config FILE --port NAME | --socket PATH [--vhostd-mode server|client])\n"
    "              [--reconnect SECONDS] [--queues N] [--rx-queue-size N] [--tx-queue-size N]\n"
    "              [--mac MAC] [--mtu N]\n"
    "  virtio      (--bridge BR | --network NET) [--queues N] [--mac MAC] [--mtu N]\n"
    "  vhost-net   (--bridge BR | --network NET) [--off] [--queues N] [--mac MAC] [--mtu N]\n"
    "  passthrough (--pci ADDR | --nodedev FILE | --ifname IF) [--sysfs-root DIR]\n"
    "  sriov-vf    (--vf-nodedev FILE | --pf-nodedev FILE --vf I | --pf ADDR --vf I)\n"
    "              [--sysfs-root DIR] [--mac MAC] [--vlan ID]\n"
    "  sriov-pool  --name NET (--pf-dev IF | --pf-nodedev FILE | --pf ADDR [--sysfs-root DIR])\n"
    "  domain      [--memory memfd|hugepages] FILE|- DEVICE-SUBCOMMAND [OPTIONS]\n"
    "  host-check  [--root DIR]\n";

int cfg_xml_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("vhostd-xml: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

/* Serialise to memory first so the output always ends in exactly one newline. */
int cfg_xml_print_doc(xmlDocPtr doc)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlSaveCtxtPtr s;
	const xmlChar *out;
	size_t len;
	int rc = 0;

	if (!buf)
		return cfg_xml_fail("out of memory");
	s = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL);
	if (!s || xmlSaveDoc(s, doc) < 0)
		rc = cfg_xml_fail("cannot serialise the XML");
	if (s)
		xmlSaveClose(s);
	out = xmlBufferContent(buf);
	len = (size_t)xmlBufferLength(buf);
	if (!rc && (fwrite(out, 1, len, stdout) != len ||
		    ((!len || out[len - 1] != '\n') && putchar('\n') == EOF) || fflush(stdout)))
		rc = cfg_xml_fail("cannot write to stdout");
	xmlBufferFree(buf);
	return rc;
}

int cfg_xml_print_node(xmlNodePtr n)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	int rc;

	if (!doc) {
		xmlFreeNode(n);
		return cfg_xml_fail("out of memory");
	}
	xmlDocSetRootElement(doc, n);
	rc = cfg_xml_print_doc(doc);
	xmlFreeDoc(doc);
	return rc;
}

static int run(int argc, char **argv)
{
	xmlNodePtr n = NULL;
	bool vhostuser;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "domain"))
		return cfg_xml_cmd_domain(argc - 1, argv + 1) ? 2 : 0;
	if (!strcmp(argv[1], "host-check"))
		return cfg_xml_cmd_hostcheck(argc - 1, argv + 1);
	if (cfg_xml_cmd_device(argc - 1, argv + 1, &n, &vhostuser))
		return 2;
	return cfg_xml_print_node(n) ? 2 : 0;
}

int main(int argc, char **argv)
{
	int rc;

	LIBXML_TEST_VERSION;
	rc = run(argc, argv);
	xmlCleanupParser();
	return rc;
}
