/*
 * Link layer: the pcap link types we accept (Ethernet, Linux SLL/SLL2, BSD
 * NULL/LOOP, raw IP, Cisco HDLC), 802.1Q/802.1ad VLAN tags, and the
 * carriers found on real mirror ports between Ethernet and IP: MPLS label
 * stacks and PPPoE sessions. Everything ends in ys_dec_ethertype(), which
 * hands IP to the L3 decoders.
 */
#include "decode_private.h"

#define YS_ETH_HLEN   14
#define YS_SLL_HLEN   16
#define YS_SLL2_HLEN  20
#define YS_NULL_HLEN  4
#define YS_CHDLC_HLEN 4
#define YS_PPPOE_HLEN 6 /* + 2 bytes PPP protocol */

/* BSD loopback address families: AF_INET is 2 everywhere, AF_INET6 differs. */
static bool ys_null_family_is_v6(uint32_t fam)
{
	return fam == 24 || fam == 28 || fam == 30 || fam == 10;
}

static int ys_dec_null(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p,
		       uint32_t len, bool network_order)
{
	uint32_t fam;

	if (len < YS_NULL_HLEN)
		return ys_dec_fail(dec, pkt, YS_DEC_LINK_TRUNCATED);
	/* The family is in the capturing host's byte order, which the file does not
	 * say: accept it in either order (the values are < 256, so the non-zero byte
	 * tells). */
	fam = ys_rd32(p);
	if (!network_order && fam > 0xffff)
		fam = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
		      ((uint32_t)p[3] << 24);
	if (fam == 2)
		return ys_dec_ipv4(dec, pkt, p + YS_NULL_HLEN, len - YS_NULL_HLEN);
	if (ys_null_family_is_v6(fam))
		return ys_dec_ipv6(dec, pkt, p + YS_NULL_HLEN, len - YS_NULL_HLEN);
	dec->st.non_ip++;
	return -ENOENT;
}

int ys_dec_link(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len)
{
	switch (pkt->linktype) {
	case YS_LINK_ETHERNET:
		return ys_dec_ethernet(dec, pkt, p, len);
	case YS_LINK_RAW:
	case YS_LINK_RAW_DLT:
	case YS_LINK_RAW_DLT14:
		return ys_dec_ip_any(dec, pkt, p, len);
	case YS_LINK_IPV4:
		return ys_dec_ipv4(dec, pkt, p, len);
	case YS_LINK_IPV6:
		return ys_dec_ipv6(dec, pkt, p, len);
	case YS_LINK_NULL:
		return ys_dec_null(dec, pkt, p, len, false);
	case YS_LINK_LOOP:
		return ys_dec_null(dec, pkt, p, len, true);
	case YS_LINK_SLL:
		if (len < YS_SLL_HLEN)
			return ys_dec_fail(dec, pkt, YS_DEC_LINK_TRUNCATED);
		return ys_dec_ethertype(dec, pkt, ys_rd16(p + 14), p + YS_SLL_HLEN,
					len - YS_SLL_HLEN);
	case YS_LINK_SLL2:
		if (len < YS_SLL2_HLEN)
			return ys_dec_fail(dec, pkt, YS_DEC_LINK_TRUNCATED);
		return ys_dec_ethertype(dec, pkt, ys_rd16(p), p + YS_SLL2_HLEN, len - YS_SLL2_HLEN);
	case YS_LINK_C_HDLC:
		/* address (0x0f unicast / 0x8f broadcast), control 0, ethertype */
		if (len < YS_CHDLC_HLEN)
			return ys_dec_fail(dec, pkt, YS_DEC_LINK_TRUNCATED);
		return ys_dec_ethertype(dec, pkt, ys_rd16(p + 2), p + YS_CHDLC_HLEN,
					len - YS_CHDLC_HLEN);
	default:
		return ys_dec_fail(dec, pkt, YS_DEC_LINK_UNSUPPORTED);
	}
}

static bool ys_is_vlan_type(uint16_t type)
{
	return type == YS_ETH_VLAN || type == YS_ETH_QINQ || type == YS_ETH_QINQ9100;
}

/*
 * Step over the 802.1Q/802.1ad tag stack that *TYPE announces at *P, leaving in
 * *TYPE the ethertype after it. One stack holds at most YS_MAX_VLANS tags; they
 * go to pkt->vlan only if no outer frame had any. Returns 0, or the failure.
 */
static int ys_dec_vlan_tags(struct ys_decoder *dec, struct ys_packet *pkt, uint16_t *type,
			    const uint8_t **p, uint32_t *len)
{
	unsigned tags = 0;
	bool record = pkt->vlan_count == 0;

	while (ys_is_vlan_type(*type)) {
		if (tags == YS_MAX_VLANS)
			return ys_dec_fail(dec, pkt, YS_DEC_VLAN_TOO_DEEP);
		if (*len < 4)
			return ys_dec_fail(dec, pkt, YS_DEC_VLAN_TRUNCATED);
		if (record)
			pkt->vlan[pkt->vlan_count++] = ys_rd16(*p) & 0x0fff;
		tags++;
		*type = ys_rd16(*p + 2);
		*p += 4;
		*len -= 4;
	}
	if (tags)
		dec->st.vlan++;
	return 0;
}

int ys_dec_ethernet(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len)
{
	uint16_t type;
	int ret;

	if (++dec->link_nest > YS_MAX_LINK_NEST)
		return ys_dec_fail(dec, pkt, YS_DEC_TUNNEL_TOO_DEEP);
	if (len < YS_ETH_HLEN)
		return ys_dec_fail(dec, pkt, YS_DEC_LINK_TRUNCATED);
	type = ys_rd16(p + 12);
	p += YS_ETH_HLEN;
	len -= YS_ETH_HLEN;
	ret = ys_dec_vlan_tags(dec, pkt, &type, &p, &len);
	if (ret)
		return ret;
	if (type < 0x0600) {
		/* 802.3 length field: LLC/SNAP (STP, CDP...), never IP for us. */
		dec->st.non_ip++;
		return -ENOENT;
	}
	return ys_dec_ethertype(dec, pkt, type, p, len);
}

static int ys_dec_mpls(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p,
		       uint32_t len)
{
	if (++dec->link_nest > YS_MAX_LINK_NEST)
		return ys_dec_fail(dec, pkt, YS_DEC_TUNNEL_TOO_DEEP);
	dec->st.mpls++;
	for (unsigned i = 0;; i++) {
		uint32_t label;

		if (i == YS_MAX_MPLS_LABELS)
			return ys_dec_fail(dec, pkt, YS_DEC_MPLS_TOO_DEEP);
		if (len < 4)
			return ys_dec_fail(dec, pkt, YS_DEC_MPLS_TRUNCATED);
		label = ys_rd32(p);
		p += 4;
		len -= 4;
		if (label & 0x100) /* bottom of stack */
			break;
	}
	if (len < 1)
		return ys_dec_fail(dec, pkt, YS_DEC_MPLS_TRUNCATED);
	/* No protocol field after the stack: the first nibble says what follows. */
	switch (p[0] >> 4) {
	case 4:
		return ys_dec_ipv4(dec, pkt, p, len);
	case 6:
		return ys_dec_ipv6(dec, pkt, p, len);
	case 0:
		/* Ethernet pseudowire with its 4-byte control word (RFC 4448). */
		if (len < 4)
			return ys_dec_fail(dec, pkt, YS_DEC_MPLS_TRUNCATED);
		return ys_dec_ethernet(dec, pkt, p + 4, len - 4);
	default:
		dec->st.non_ip++;
		return -ENOENT;
	}
}

static int ys_dec_pppoe(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p,
			uint32_t len)
{
	uint16_t plen, proto;

	dec->st.pppoe++;
	if (len < YS_PPPOE_HLEN + 2)
		return ys_dec_fail(dec, pkt, YS_DEC_PPPOE_TRUNCATED);
	if (p[0] != 0x11 || p[1] != 0) /* version 1, type 1; code 0 = session data */
		return ys_dec_fail(dec, pkt, YS_DEC_PPPOE_BAD);
	plen = ys_rd16(p + 4);
	if (plen < 2)
		return ys_dec_fail(dec, pkt, YS_DEC_PPPOE_BAD);
	/* The PPPoE length covers the PPP protocol and payload; trust the smaller. */
	if ((uint32_t)plen + YS_PPPOE_HLEN < len)
		len = plen + YS_PPPOE_HLEN;
	proto = ys_rd16(p + YS_PPPOE_HLEN);
	p += YS_PPPOE_HLEN + 2;
	len -= YS_PPPOE_HLEN + 2;
	switch (proto) {
	case 0x0021:
		return ys_dec_ipv4(dec, pkt, p, len);
	case 0x0057:
		return ys_dec_ipv6(dec, pkt, p, len);
	default: /* LCP, IPCP, ... */
		dec->st.non_ip++;
		return -ENOENT;
	}
}

int ys_dec_ethertype(struct ys_decoder *dec, struct ys_packet *pkt, uint16_t type, const uint8_t *p,
		     uint32_t len)
{
	switch (type) {
	case YS_ETH_IPV4:
		return ys_dec_ipv4(dec, pkt, p, len);
	case YS_ETH_IPV6:
		return ys_dec_ipv6(dec, pkt, p, len);
	case YS_ETH_VLAN:
	case YS_ETH_QINQ:
	case YS_ETH_QINQ9100: {
		/* Tags right after SLL/HDLC: the same stack rules as in an Ethernet frame. */
		int ret = ys_dec_vlan_tags(dec, pkt, &type, &p, &len);

		if (ret)
			return ret;
		return ys_dec_ethertype(dec, pkt, type, p, len);
	}
	case YS_ETH_MPLS:
	case YS_ETH_MPLS_MC:
		return ys_dec_mpls(dec, pkt, p, len);
	case YS_ETH_PPPOE_SESS:
		return ys_dec_pppoe(dec, pkt, p, len);
	case YS_ETH_TEB:
		return ys_dec_ethernet(dec, pkt, p, len);
	case YS_ETH_VNTAG:
		/* Cisco VN-Tag: 4 bytes of tag, then the real ethertype. */
		if (len < 6)
			return ys_dec_fail(dec, pkt, YS_DEC_VLAN_TRUNCATED);
		if (++dec->link_nest > YS_MAX_LINK_NEST)
			return ys_dec_fail(dec, pkt, YS_DEC_TUNNEL_TOO_DEEP);
		return ys_dec_ethertype(dec, pkt, ys_rd16(p + 4), p + 6, len - 6);
	case YS_ETH_8021AH:
		/* Provider backbone bridging: a 4-byte I-TAG, then the customer frame. */
		if (len < 4)
			return ys_dec_fail(dec, pkt, YS_DEC_VLAN_TRUNCATED);
		return ys_dec_ethernet(dec, pkt, p + 4, len - 4);
	default: /* ARP, LLDP, PPPoE discovery, ... */
		dec->st.non_ip++;
		return -ENOENT;
	}
}
