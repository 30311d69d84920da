/* SPDX-License-Identifier: BSD-3-Clause */
/* pmd/ internals shared by its .c files; not part of the public API. */
#ifndef VHOSTD_PMD_PRIV_H
#define VHOSTD_PMD_PRIV_H

#include <stdarg.h>
#include <stdio.h>

#include "pmd.h"

/*
 * Counters are written by one polling core and read by the stats printer and telemetry
 * threads. A relaxed atomic load and store keeps the reader's 64-bit read whole (no torn
 * value) and costs a plain mov on x86; no ordering with other memory is needed.
 */
#define PMD_STAT_ADD(ctr, v)                                                                       \
	__atomic_store_n(&(ctr), __atomic_load_n(&(ctr), __ATOMIC_RELAXED) + (v), __ATOMIC_RELAXED)
#define PMD_STAT_READ(ctr) __atomic_load_n(&(ctr), __ATOMIC_RELAXED)

struct pmd_port {
	struct pmd_rxq_stats rxq[CFG_MAX_QUEUES];
	struct pmd_txq_stats txq[CFG_MAX_QUEUES];
	char name[CFG_NAME_MAX];
	char devname[CFG_ARGS_MAX]; /* the rte_device / ethdev name */
	struct cfg_nic nic;
	uint16_t port_id;
	uint16_t nb_rxd;
	uint16_t nb_txd;
	uint16_t mtu;
	uint32_t max_frame; /* bytes a non-TSO packet may have on this port */
	uint64_t tx_capa;   /* RTE_ETH_TX_OFFLOAD_* enabled on the port */
	bool is_pci;
	bool started;
	bool probed_by_us; /* we called rte_dev_probe, so we remove the device */
};

/*
 * Before a NIC TX: completes in software the checksums the port cannot (tx_capa, the
 * RTE_ETH_TX_OFFLOAD_* it has on). 0, or -ENOTSUP when the packet needs a segmentation
 * or SCTP offload the port lacks (it cannot be sent).
 */
int pmd_offload_tx_fixup(struct rte_mbuf *m, uint64_t tx_capa);

/* "02:00.0,x=y" -> "0000:02:00.0" in out; false when device is not a PCI address. */
bool pmd_pci_name(const char *device, char *out, size_t outlen);

/* snprintf into err when err is not NULL; never fails. */
static inline void pmd_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void pmd_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

#endif /* VHOSTD_PMD_PRIV_H */
