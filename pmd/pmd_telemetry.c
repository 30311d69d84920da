/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands /vhostd/ports and /vhostd/stats,NAME. Callbacks run on DPDK's
 * telemetry thread; the source they read is swapped by the control thread under a mutex
 * (control path only: the polling cores never take it).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <rte_telemetry.h>

#include "pmd_priv.h"

#define PMD_TM_PORTS_MAX 128

static pthread_mutex_t pmd_tm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pmd_telemetry_source pmd_tm_src;
static bool pmd_tm_registered;

static int tm_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const char *names[PMD_TM_PORTS_MAX];
	unsigned n = 0;

	(void)cmd;
	(void)params;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	pthread_mutex_lock(&pmd_tm_lock);
	if (pmd_tm_src.ports)
		n = pmd_tm_src.ports(pmd_tm_src.ctx, names, PMD_TM_PORTS_MAX);
	for (unsigned i = 0; i < n && i < PMD_TM_PORTS_MAX; i++)
		rte_tel_data_add_array_string(d, names[i]);
	pthread_mutex_unlock(&pmd_tm_lock);
	return 0;
}

static void tm_emit(void *e, const char *key, uint64_t v)
{
	rte_tel_data_add_dict_u64(e, key, v);
}

static int tm_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int ret = -ENOENT;

	(void)cmd;
	if (!params || !*params)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&pmd_tm_lock);
	if (pmd_tm_src.stats)
		ret = pmd_tm_src.stats(pmd_tm_src.ctx, params, tm_emit, d);
	pthread_mutex_unlock(&pmd_tm_lock);
	return ret;
}

int pmd_telemetry_register(const struct pmd_telemetry_source *src)
{
	int ret = 0;

	pthread_mutex_lock(&pmd_tm_lock);
	pmd_tm_src = *src;
	if (!pmd_tm_registered) {
		ret = rte_telemetry_register_cmd("/vhostd/ports", tm_ports,
						 "Lists vhostd's ports. Takes no parameters");
		if (!ret)
			ret = rte_telemetry_register_cmd(
			    "/vhostd/stats", tm_stats,
			    "Counters of one vhostd port. Parameter: port name");
		pmd_tm_registered = ret == 0;
	}
	pthread_mutex_unlock(&pmd_tm_lock);
	return ret;
}

void pmd_telemetry_source_clear(void)
{
	pthread_mutex_lock(&pmd_tm_lock);
	memset(&pmd_tm_src, 0, sizeof(pmd_tm_src));
	pthread_mutex_unlock(&pmd_tm_lock);
}
