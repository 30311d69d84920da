/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio-net header <-> mbuf offload flags (virtio 1.2 section 5.1.6.2 and 5.1.6.4).
 * Data path: no syscalls, no allocation, no logging.
 */
#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "pmd_priv.h"

#define ETH_HLEN       14u
#define ETYPE_IPV4     0x0800u
#define ETYPE_IPV6     0x86ddu
#define ETYPE_VLAN     0x8100u
#define ETYPE_QINQ     0x88a8u
#define IPPROTO_TCP_   6u
#define IPPROTO_UDP_   17u
#define TCP_CSUM_OFF   16u
#define UDP_CSUM_OFF   6u
#define IPV4_FRAG_MASK 0x3fffu /* MF flag and fragment offset */

/* Where the L2/L3/L4 headers of a packet are, when all lie in its first segment. */
struct pmd_hdrs {
	uint16_t l2;
	uint16_t l3;
	uint16_t l4;
	uint8_t proto;
	bool v4;
};

static uint16_t rd16be(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool parse_l4(const uint8_t *p, uint32_t len, struct pmd_hdrs *o)
{
	uint32_t off = o->l2 + o->l3;

	o->l4 = 0;
	if (o->proto == IPPROTO_TCP_) {
		if (len < off + 20)
			return false;
		o->l4 = (uint16_t)((p[off + 12] >> 4) * 4);
		return o->l4 >= 20 && len >= off + o->l4;
	}
	if (o->proto == IPPROTO_UDP_) {
		o->l4 = 8;
		return len >= off + 8;
	}
	return true;
}

/* Plain Ethernet (up to two VLAN tags) + IPv4 (not a fragment) or IPv6 (no extension
 * headers); anything else is left to software checksums. */
static bool parse_hdrs(const struct rte_mbuf *m, struct pmd_hdrs *o)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len;
	uint32_t off = ETH_HLEN;
	uint16_t type;

	if (len < ETH_HLEN)
		return false;
	type = rd16be(p + 12);
	for (int tags = 0; (type == ETYPE_VLAN || type == ETYPE_QINQ) && tags < 2; tags++) {
		if (len < off + 4)
			return false;
		type = rd16be(p + off + 2);
		off += 4;
	}
	o->l2 = (uint16_t)off;
	if (type == ETYPE_IPV4) {
		if (len < off + 20 || (p[off] >> 4) != 4 || (rd16be(p + off + 6) & IPV4_FRAG_MASK))
			return false;
		o->l3 = (uint16_t)((p[off] & 0xf) * 4);
		o->proto = p[off + 9];
		o->v4 = true;
		if (o->l3 < 20 || len < off + o->l3)
			return false;
	} else if (type == ETYPE_IPV6) {
		if (len < off + 40 || (p[off] >> 4) != 6)
			return false;
		o->l3 = 40;
		o->proto = p[off + 6];
		o->v4 = false;
	} else {
		return false;
	}
	return parse_l4(p, len, o);
}

/* Stores two bytes at byte offset off of a (possibly chained) mbuf. */
static int mbuf_write2(struct rte_mbuf *m, uint32_t off, const uint8_t b[2])
{
	for (int i = 0; i < 2; i++, off++) {
		struct rte_mbuf *s = m;
		uint32_t o = off;

		while (s && o >= s->data_len) {
			o -= s->data_len;
			s = s->next;
		}
		if (!s)
			return -EINVAL;
		rte_pktmbuf_mtod(s, uint8_t *)[o] = b[i];
	}
	return 0;
}

/*
 * Completes a partial checksum the virtio way: the ones' complement sum from start to the
 * end of the packet (the field already holds the pseudo-header sum), stored at start+off.
 */
static int sw_csum(struct rte_mbuf *m, uint32_t start, uint32_t off)
{
	uint16_t raw, csum;
	uint8_t b[2];

	if (start >= m->pkt_len || off + 2 > m->pkt_len - start)
		return -EINVAL;
	if (rte_raw_cksum_mbuf(m, start, m->pkt_len - start, &raw))
		return -EINVAL;
	csum = (uint16_t)~raw;
	/* 0 and 0xffff are the same ones' complement value; UDP reserves 0 for "none". */
	if (csum == 0)
		csum = 0xffff;
	/* rte_raw_cksum sums 16-bit words as loaded, so the result goes back as stored. */
	memcpy(b, &csum, sizeof(b));
	return mbuf_write2(m, start + off, b);
}

static int gso_to_mbuf(const struct vring_net_hdr *h, const struct pmd_hdrs *ph, bool parsed,
		       struct rte_mbuf *m)
{
	uint8_t gso = h->gso_type & (uint8_t)~PMD_VNET_GSO_ECN;

	if (!parsed || !h->gso_size || !(h->flags & PMD_VNET_HDR_F_NEEDS_CSUM))
		return -EINVAL;
	if ((gso == PMD_VNET_GSO_TCPV4 && ph->v4 && ph->proto == IPPROTO_TCP_) ||
	    (gso == PMD_VNET_GSO_TCPV6 && !ph->v4 && ph->proto == IPPROTO_TCP_))
		m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
	else if (gso == PMD_VNET_GSO_UDP && ph->proto == IPPROTO_UDP_)
		m->ol_flags |= RTE_MBUF_F_TX_UDP_SEG;
	else
		return -EINVAL;
	m->ol_flags |= ph->v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6;
	m->l2_len = ph->l2;
	m->l3_len = ph->l3;
	m->l4_len = ph->l4;
	m->tso_segsz = h->gso_size;
	return 0;
}

/* NEEDS_CSUM: hardware flags when csum_start/offset are exactly the TCP/UDP field. */
static bool csum_to_flags(const struct vring_net_hdr *h, const struct pmd_hdrs *ph,
			  struct rte_mbuf *m)
{
	uint64_t l4;

	if (h->csum_start != ph->l2 + ph->l3)
		return false;
	if (ph->proto == IPPROTO_TCP_ && h->csum_offset == TCP_CSUM_OFF)
		l4 = RTE_MBUF_F_TX_TCP_CKSUM;
	else if (ph->proto == IPPROTO_UDP_ && h->csum_offset == UDP_CSUM_OFF)
		l4 = RTE_MBUF_F_TX_UDP_CKSUM;
	else
		return false;
	m->ol_flags |= l4 | (ph->v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
	m->l2_len = ph->l2;
	m->l3_len = ph->l3;
	return true;
}

int pmd_offload_hdr_to_mbuf(const struct vring_net_hdr *h, struct rte_mbuf *m, bool *sw)
{
	struct pmd_hdrs ph = {0};
	bool parsed;

	*sw = false;
	if (!(h->flags & PMD_VNET_HDR_F_NEEDS_CSUM) && h->gso_type == PMD_VNET_GSO_NONE)
		return 0;
	parsed = parse_hdrs(m, &ph);
	if (h->gso_type != PMD_VNET_GSO_NONE)
		return gso_to_mbuf(h, &ph, parsed, m);
	if (parsed && csum_to_flags(h, &ph, m))
		return 0;
	*sw = true;
	return sw_csum(m, h->csum_start, h->csum_offset);
}

static int gso_to_hdr(const struct rte_mbuf *m, uint64_t f, struct vring_net_hdr *h)
{
	bool v6 = m->ol_flags & RTE_MBUF_F_TX_IPV6;
	bool tcp = m->ol_flags & RTE_MBUF_F_TX_TCP_SEG;
	unsigned need = tcp ? (v6 ? PMD_VIRTIO_NET_F_GUEST_TSO6 : PMD_VIRTIO_NET_F_GUEST_TSO4)
			    : PMD_VIRTIO_NET_F_GUEST_UFO;

	if (!(f & (1ull << need)) || !(f & (1ull << PMD_VIRTIO_NET_F_GUEST_CSUM)))
		return -ENOTSUP;
	h->gso_type = tcp ? (v6 ? PMD_VNET_GSO_TCPV6 : PMD_VNET_GSO_TCPV4) : PMD_VNET_GSO_UDP;
	h->gso_size = m->tso_segsz;
	h->hdr_len = (uint16_t)(m->l2_len + m->l3_len + m->l4_len);
	h->flags = PMD_VNET_HDR_F_NEEDS_CSUM;
	h->csum_start = (uint16_t)(m->l2_len + m->l3_len);
	h->csum_offset = tcp ? TCP_CSUM_OFF : UDP_CSUM_OFF;
	return 0;
}

/* A pending IPv4 header checksum (RTE_MBUF_F_TX_IP_CKSUM): virtio has no such offload. */
static int ip_csum_sw(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip;

	if (m->data_len < m->l2_len + m->l3_len || m->l3_len < sizeof(*ip))
		return -ENOTSUP;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	m->ol_flags &= ~RTE_MBUF_F_TX_IP_CKSUM;
	return 0;
}

int pmd_offload_mbuf_to_hdr(struct rte_mbuf *m, uint64_t f, struct vring_net_hdr *h, bool *sw)
{
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;
	uint16_t off;
	int ret;

	memset(h, 0, sizeof(*h));
	*sw = false;
	if (m->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG))
		return gso_to_hdr(m, f, h);
	if ((m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) && ip_csum_sw(m))
		return -ENOTSUP;
	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM || l4 == RTE_MBUF_F_TX_UDP_CKSUM) {
		off = l4 == RTE_MBUF_F_TX_TCP_CKSUM ? TCP_CSUM_OFF : UDP_CSUM_OFF;
		h->csum_start = (uint16_t)(m->l2_len + m->l3_len);
		h->csum_offset = off;
		if (f & (1ull << PMD_VIRTIO_NET_F_GUEST_CSUM)) {
			h->flags = PMD_VNET_HDR_F_NEEDS_CSUM;
			return 0;
		}
		ret = sw_csum(m, h->csum_start, off);
		if (ret)
			return -ENOTSUP;
		/* Done now, so a packet offered again is not summed twice. */
		m->ol_flags &= ~RTE_MBUF_F_TX_L4_MASK;
		h->csum_start = 0;
		h->csum_offset = 0;
		*sw = true;
		return 0;
	}
	if (l4 != RTE_MBUF_F_TX_L4_NO_CKSUM)
		return -ENOTSUP; /* SCTP: virtio has no CRC32c offload */
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
	    (f & (1ull << PMD_VIRTIO_NET_F_GUEST_CSUM)))
		h->flags = PMD_VNET_HDR_F_DATA_VALID;
	return 0;
}

int pmd_offload_tx_fixup(struct rte_mbuf *m, uint64_t capa)
{
	uint64_t f = m->ol_flags;
	uint64_t l4 = f & RTE_MBUF_F_TX_L4_MASK;
	uint16_t start = (uint16_t)(m->l2_len + m->l3_len);

	if (likely(!(f & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_SEG |
			  RTE_MBUF_F_TX_UDP_SEG))))
		return 0;
	if (f & RTE_MBUF_F_TX_TCP_SEG)
		return capa & RTE_ETH_TX_OFFLOAD_TCP_TSO ? 0 : -ENOTSUP;
	if (f & RTE_MBUF_F_TX_UDP_SEG)
		return capa & RTE_ETH_TX_OFFLOAD_UDP_TSO ? 0 : -ENOTSUP;
	if ((f & RTE_MBUF_F_TX_IP_CKSUM) && !(capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) &&
	    ip_csum_sw(m))
		return -ENOTSUP;
	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM && !(capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM)) {
		if (sw_csum(m, start, TCP_CSUM_OFF))
			return -ENOTSUP;
		m->ol_flags &= ~RTE_MBUF_F_TX_L4_MASK;
	} else if (l4 == RTE_MBUF_F_TX_UDP_CKSUM && !(capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)) {
		if (sw_csum(m, start, UDP_CSUM_OFF))
			return -ENOTSUP;
		m->ol_flags &= ~RTE_MBUF_F_TX_L4_MASK;
	} else if (l4 == RTE_MBUF_F_TX_SCTP_CKSUM && !(capa & RTE_ETH_TX_OFFLOAD_SCTP_CKSUM)) {
		return -ENOTSUP;
	}
	return 0;
}
