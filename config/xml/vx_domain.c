// SPDX-License-Identifier: BSD-3-Clause
/*
 * `domain`: add one device to an existing domain XML and leave everything else as it was
 * (whitespace, comments, element order). For vhost-user it also makes guest memory
 * shareable, because QEMU can only hand vhostd memory that lives in a file descriptor
 * and libvirt does not insist on it (the QEMU driver only warns at start).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "vx.h"

static bool is_elem(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST name);
}

static xmlNodePtr find_child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent->children; n; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

static xmlNodePtr last_elem(xmlNodePtr parent)
{
	xmlNodePtr last = NULL;

	for (xmlNodePtr n = parent->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			last = n;
	return last;
}

static bool is_blank_text(xmlNodePtr n)
{
	return n && n->type == XML_TEXT_NODE && xmlIsBlankNode(n);
}

/* The whitespace before an element: what a sibling added next to it should copy. */
static xmlChar *indent_of(xmlNodePtr n)
{
	if (n && is_blank_text(n->prev))
		return xmlNodeGetContent(n->prev);
	return xmlStrdup(BAD_CAST "\n");
}

/*
 * Give a new subtree the same layout as the document around it: each child on its own
 * line, two spaces deeper than its parent. libxml2 will not format it for us because
 * its parents hold the document's own whitespace text.
 */
static void indent_tree(xmlNodePtr n, const xmlChar *ws)
{
	xmlChar *inner;
	xmlNodePtr c, next;

	if (!last_elem(n))
		return;
	inner = xmlStrncatNew(ws, BAD_CAST "  ", -1);
	for (c = n->children; c; c = next) {
		next = c->next;
		if (c->type != XML_ELEMENT_NODE)
			continue;
		xmlAddPrevSibling(c, xmlNewText(inner));
		indent_tree(c, inner);
	}
	xmlAddChild(n, xmlNewText(ws));
	xmlFree(inner);
}

/*
 * Add node after sibling (or as the first child of an empty parent) with the same
 * indentation as its neighbours, so a diff of the result shows only the new lines.
 */
static void insert_after(xmlNodePtr parent, xmlNodePtr sibling, xmlNodePtr node)
{
	xmlChar *ws, *inner;

	if (sibling) {
		ws = indent_of(sibling);
		xmlAddNextSibling(sibling, node);
		xmlAddPrevSibling(node, xmlNewText(ws));
		indent_tree(node, ws);
		xmlFree(ws);
		return;
	}
	/* An empty parent: indent one level deeper than the parent, close at its level. */
	ws = indent_of(parent);
	inner = xmlStrncatNew(ws, BAD_CAST "  ", -1);
	xmlNodeSetContent(parent, NULL);
	xmlAddChild(parent, xmlNewText(inner));
	xmlAddChild(parent, node);
	xmlAddChild(parent, xmlNewText(ws));
	indent_tree(node, inner);
	xmlFree(inner);
	xmlFree(ws);
}

static void append(xmlNodePtr parent, xmlNodePtr node)
{
	insert_after(parent, last_elem(parent), node);
}

static xmlNodePtr new_elem(const char *name, const char *attr, const char *val)
{
	xmlNodePtr n = xmlNewNode(NULL, BAD_CAST name);

	if (attr)
		xmlNewProp(n, BAD_CAST attr, BAD_CAST val);
	return n;
}

static bool prop_is(xmlNodePtr n, const char *attr, const char *val)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST attr);
	bool eq = v && xmlStrEqual(v, BAD_CAST val);

	xmlFree(v);
	return eq;
}

/* libvirt writes memoryBacking right after the memory sizes: put a new one there too. */
static xmlNodePtr memory_backing(xmlNodePtr root)
{
	xmlNodePtr mb = find_child(root, "memoryBacking");
	xmlNodePtr after;

	if (mb)
		return mb;
	mb = new_elem("memoryBacking", NULL, NULL);
	after = find_child(root, "currentMemory");
	if (!after)
		after = find_child(root, "memory");
	if (!after)
		after = last_elem(root);
	insert_after(root, after, mb);
	return mb;
}

static void share_memory(xmlNodePtr root, bool hugepages)
{
	xmlNodePtr mb = memory_backing(root);
	xmlNodePtr acc = find_child(mb, "access");
	xmlNodePtr src = find_child(mb, "source");

	if (hugepages && !find_child(mb, "hugepages"))
		append(mb, new_elem("hugepages", NULL, NULL));
	/*
	 * Anonymous memory has no fd to pass to vhostd; memfd has one (with or without
	 * hugepages), and so do hugepages on their own.
	 */
	if (src && prop_is(src, "type", "anonymous"))
		xmlSetProp(src, BAD_CAST "type", BAD_CAST "memfd");
	else if (!src && !find_child(mb, "hugepages"))
		append(mb, new_elem("source", "type", "memfd"));
	if (!acc)
		append(mb, new_elem("access", "mode", "shared"));
	else
		xmlSetProp(acc, BAD_CAST "mode", BAD_CAST "shared");
}

static int load_domain(const char *file, xmlDocPtr *out)
{
	int flags = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
	xmlDocPtr doc;
	xmlNodePtr root;

	if (strcmp(file, "-") && access(file, R_OK))
		return cfg_xml_fail("%s: cannot read: %s; check the path", file, strerror(errno));
	doc = strcmp(file, "-") ? xmlReadFile(file, NULL, flags) : xmlReadFd(0, "-", NULL, flags);
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		char msg[256] = "cannot read it";

		if (e && e->message) {
			snprintf(msg, sizeof(msg), "%s", e->message);
			msg[strcspn(msg, "\n")] = '\0';
		}
		return cfg_xml_fail("%s:%d: malformed XML: %s; pass the output of virsh dumpxml",
				    file, e ? e->line : 0, msg);
	}
	root = xmlDocGetRootElement(doc);
	if (!is_elem(root, "domain")) {
		cfg_xml_fail("%s: root element is <%s>, not <domain>; pass the output of virsh "
			     "dumpxml",
			     file, root ? (const char *)root->name : "");
		xmlFreeDoc(doc);
		return -EINVAL;
	}
	*out = doc;
	return 0;
}

static int add_device(xmlDocPtr doc, xmlNodePtr dev, bool vhostuser, bool hugepages)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlNodePtr devices = find_child(root, "devices");

	if (is_elem(dev, "network")) {
		xmlFreeNode(dev);
		return cfg_xml_fail("domain: sriov-pool makes a <network>, not a device; define it "
				    "with virsh net-define");
	}
	if (!devices) {
		devices = new_elem("devices", NULL, NULL);
		append(root, devices);
	}
	append(devices, dev);
	if (vhostuser)
		share_memory(root, hugepages);
	return 0;
}

int cfg_xml_cmd_domain(int argc, char **argv)
{
	bool hugepages = false, vhostuser = false;
	xmlNodePtr dev = NULL;
	xmlDocPtr doc;
	int i = 1, rc;

	if (i + 1 < argc && !strcmp(argv[i], "--memory")) {
		if (strcmp(argv[i + 1], "memfd") && strcmp(argv[i + 1], "hugepages"))
			return cfg_xml_fail("--memory %s: not a memory source; use memfd or "
					    "hugepages",
					    argv[i + 1]);
		hugepages = !strcmp(argv[i + 1], "hugepages");
		i += 2;
	}
	if (argc - i < 2)
		return cfg_xml_fail("domain: give FILE (or - for stdin) and a device subcommand");
	rc = load_domain(argv[i], &doc);
	if (rc)
		return rc;
	rc = cfg_xml_cmd_device(argc - i - 1, argv + i + 1, &dev, &vhostuser);
	if (!rc)
		rc = add_device(doc, dev, vhostuser, hugepages);
	if (!rc)
		rc = cfg_xml_print_doc(doc);
	xmlFreeDoc(doc);
	return rc;
}
