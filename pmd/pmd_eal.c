/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL start-up from the config, and mbuf pool sizing. Control thread only. */
#include <errno.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pci.h>

#include "pmd_priv.h"

#define PMD_JUMBO_FRAME 9018u /* the largest frame a pool must be able to chain */

bool pmd_pci_name(const char *device, char *out, size_t outlen)
{
	struct rte_pci_addr addr;
	char buf[64];
	size_t n = strcspn(device, ",");

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, device, n);
	buf[n] = '\0';
	if (rte_pci_addr_parse(buf, &addr))
		return false;
	rte_pci_device_name(&addr, out, outlen);
	return true;
}

bool pmd_device_is_pci(const char *device)
{
	char name[PCI_PRI_STR_SIZE];

	return pmd_pci_name(device, name, sizeof(name));
}

static int argv_add(struct pmd_eal_argv *a, size_t *used, const char *s, size_t len)
{
	if (a->argc >= PMD_EAL_ARGV_MAX || *used + len + 1 > sizeof(a->store))
		return -E2BIG;
	memcpy(a->store + *used, s, len);
	a->store[*used + len] = '\0';
	a->argv[a->argc++] = a->store + *used;
	a->argv[a->argc] = NULL;
	*used += len + 1;
	return 0;
}

static int argv_add_str(struct pmd_eal_argv *a, size_t *used, const char *s)
{
	return argv_add(a, used, s, strlen(s));
}

/* Whether the extra EAL args (blank separated) hold an option, as "opt" or "opt=...". */
static bool eal_has_opt(const char *eal, const char *opt)
{
	size_t olen = strlen(opt);
	const char *p = eal;

	while (*p) {
		size_t n;

		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (n >= olen && !strncmp(p, opt, olen) && (n == olen || p[olen] == '='))
			return true;
		p += n;
	}
	return false;
}

static bool eal_touches_pci(const char *eal)
{
	static const char *const opts[] = {"-a", "--allow", "-b", "--block", "--no-pci"};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (eal_has_opt(eal, opts[i]))
			return true;
	return false;
}

static int argv_add_words(struct pmd_eal_argv *a, size_t *used, const char *s)
{
	while (*s) {
		size_t n;

		s += strspn(s, " \t");
		n = strcspn(s, " \t");
		if (n && argv_add(a, used, s, n))
			return -E2BIG;
		s += n;
	}
	return 0;
}

static int argv_add_pci(const struct cfg *c, struct pmd_eal_argv *a, size_t *used, bool *any)
{
	*any = false;
	for (unsigned i = 0; i < c->n_nic; i++) {
		if (!pmd_device_is_pci(c->nic[i].device))
			continue;
		*any = true;
		if (argv_add_str(a, used, "-a") || argv_add_str(a, used, c->nic[i].device))
			return -E2BIG;
	}
	return 0;
}

int pmd_eal_argv_build(const struct cfg *c, const char *prog, const char *file_prefix,
		       struct pmd_eal_argv *out, char *err, size_t errlen)
{
	const char *eal = c->dp.eal;
	size_t used = 0;
	bool any_pci;

	out->argc = 0;
	out->argv[0] = NULL;
	if (argv_add_str(out, &used, prog ? prog : "vhostd"))
		goto out_big;
	/* --lcores, not -l: only it takes the lcore@cpu and (group)@cpu forms cfg accepts. */
	if (c->dp.lcores[0] &&
	    (argv_add_str(out, &used, "--lcores") || argv_add_str(out, &used, c->dp.lcores)))
		goto out_big;
	if (!eal_has_opt(eal, "--file-prefix") &&
	    (argv_add_str(out, &used, "--file-prefix") ||
	     argv_add_str(out, &used, file_prefix ? file_prefix : "vhostd")))
		goto out_big;
	if (argv_add_pci(c, out, &used, &any_pci))
		goto out_big;
	if (!any_pci && !eal_touches_pci(eal) && argv_add_str(out, &used, "--no-pci"))
		goto out_big;
	if (argv_add_words(out, &used, eal))
		goto out_big;
	return 0;
out_big:
	pmd_err(err, errlen,
		"dataplane: key 'eal': EAL arguments do not fit (at most %u words, %zu bytes); "
		"shorten 'eal'",
		PMD_EAL_ARGV_MAX, sizeof(out->store));
	return -E2BIG;
}

int pmd_eal_init(const struct cfg *c, const char *prog, const char *file_prefix, char *err,
		 size_t errlen)
{
	struct pmd_eal_argv a;
	int ret;

	ret = pmd_eal_argv_build(c, prog, file_prefix, &a, err, errlen);
	if (ret)
		return ret;
	/* rte_eal_init() permutes argv; a is ours and dies here, which EAL allows. */
	if (rte_eal_init(a.argc, a.argv) < 0) {
		ret = rte_errno ? -rte_errno : -EINVAL;
		pmd_err(err, errlen,
			"dataplane: DPDK EAL init failed: %s; check 'lcores' and 'eal' "
			"(hugepages mounted, or add --no-huge)",
			rte_strerror(-ret));
		return ret;
	}
	return 0;
}

void pmd_eal_fini(void)
{
	rte_eal_cleanup();
}

static unsigned segs_per_jumbo(void)
{
	return (PMD_JUMBO_FRAME + PMD_MBUF_DATA_ROOM - 1) / PMD_MBUF_DATA_ROOM;
}

unsigned pmd_mempool_size(const struct cfg *c, unsigned n_lcores)
{
	unsigned burst = c->dp.burst ? c->dp.burst : 32;
	unsigned long descs = 0, port_queues = 0, total, p2;

	for (unsigned i = 0; i < c->n_nic; i++) {
		const struct cfg_nic *n = &c->nic[i];
		unsigned q = n->queues ? n->queues : 1;

		descs += (unsigned long)q * ((n->rx_ring ? n->rx_ring : PMD_RING_DEFAULT) +
					     (n->tx_ring ? n->tx_ring : PMD_RING_DEFAULT));
		port_queues += q;
	}
	for (unsigned i = 0; i < c->n_vhost; i++)
		port_queues += c->vhost[i].queues ? c->vhost[i].queues : 1;
	/* Per queue and direction: a burst held back by a lossless link and one in flight. */
	total = descs + port_queues * 2 * 2 * burst * segs_per_jumbo() +
		(unsigned long)n_lcores * PMD_MEMPOOL_CACHE;
	for (p2 = 2048; p2 - 1 < total && p2 < (1ul << 31); p2 <<= 1)
		;
	return (unsigned)(p2 - 1);
}

int pmd_mempool_create(const char *name, unsigned n_mbufs, int socket, struct rte_mempool **out)
{
	unsigned cache = n_mbufs / 2 < PMD_MEMPOOL_CACHE ? n_mbufs / 2 : PMD_MEMPOOL_CACHE;
	struct rte_mempool *mp;

	mp = rte_pktmbuf_pool_create(name, n_mbufs, cache, PMD_MBUF_PRIV_SIZE,
				     PMD_MBUF_DATA_ROOM + RTE_PKTMBUF_HEADROOM,
				     socket < 0 ? SOCKET_ID_ANY : socket);
	if (!mp)
		return rte_errno ? -rte_errno : -ENOMEM;
	*out = mp;
	return 0;
}

void pmd_mempool_free(struct rte_mempool *mp)
{
	rte_mempool_free(mp);
}
