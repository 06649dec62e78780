/*
 * Encapsulations whose inner packet is decoded again: the cloud overlays
 * VXLAN (RFC 7348) and GENEVE (RFC 8926, options skipped), GRE version 0
 * (RFC 2784/2890: IPv4, IPv6, transparent Ethernet bridging, ERSPAN type I/II/III
 * from mirror sessions). The outermost VXLAN/GENEVE header's VNI and outer
 * addresses/ports are kept in pkt->tunnel for tenant lookup and the alert;
 * everything else about the outer layers is forgotten once inside.
 *
 * A UDP packet to an overlay port that does not look like that overlay, and a
 * GRE packet we do not open, return 1: the caller keeps it as plain UDP/GRE.
 */
#include "decode_private.h"

#define YS_VXLAN_HLEN	8
#define YS_GENEVE_HLEN	8
#define YS_GRE_MIN_HLEN 4
#define YS_GRE_F_CSUM	0x8000
#define YS_GRE_F_ROUTE	0x4000
#define YS_GRE_F_KEY	0x2000
#define YS_GRE_F_SEQ	0x1000

int ys_dec_tunnel_enter(struct ys_decoder *dec, struct ys_packet *pkt, enum ys_tunnel_type type,
			uint32_t vni)
{
	if (pkt->tunnel_depth >= YS_MAX_TUNNELS)
		return ys_dec_fail(dec, pkt, YS_DEC_TUNNEL_TOO_DEEP);
	pkt->tunnel_depth++;
	if (type != YS_TUNNEL_NONE && pkt->tunnel.type == YS_TUNNEL_NONE) {
		pkt->tunnel.type = type;
		pkt->tunnel.vni = vni;
		pkt->tunnel.outer_src = pkt->src;
		pkt->tunnel.outer_dst = pkt->dst;
		pkt->tunnel.outer_sport = pkt->sport;
		pkt->tunnel.outer_dport = pkt->dport;
	}
	/* Forget the outer L3/L4: ip_version .. payload_len are contiguous in ys_packet. */
	memset(&pkt->ip_version, 0,
	       offsetof(struct ys_packet, payload_len) + sizeof(pkt->payload_len) -
		       offsetof(struct ys_packet, ip_version));
	pkt->tcp_wscale = 0xff;
	/* The inner packet gets its own snap-length verdict and final destination. */
	dec->cut = false;
	dec->v6_final_dst = NULL;
	return 0;
}

int ys_dec_vxlan(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len)
{
	uint32_t vni;
	int rc;

	/* Flags: only the I bit (VNI valid) is required; anything else is not ours. */
	if (len < YS_VXLAN_HLEN || !(p[0] & 0x08))
		return 1;
	vni = ys_rd32(p + 4) >> 8;
	rc = ys_dec_tunnel_enter(dec, pkt, YS_TUNNEL_VXLAN, vni);
	if (rc)
		return rc;
	dec->st.vxlan++;
	return ys_dec_ethernet(dec, pkt, p + YS_VXLAN_HLEN, len - YS_VXLAN_HLEN);
}

int ys_dec_geneve(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len)
{
	uint32_t hl, vni;
	uint16_t proto;
	int rc;

	if (len < YS_GENEVE_HLEN || (p[0] >> 6) != 0) /* version 0 only */
		return 1;
	hl = YS_GENEVE_HLEN + (p[0] & 0x3fu) * 4u;
	proto = ys_rd16(p + 2);
	vni = ys_rd32(p + 4) >> 8;
	if (hl > len)
		return ys_dec_fail(dec, pkt, YS_DEC_TUNNEL_TRUNCATED);
	if (proto != YS_ETH_TEB && proto != YS_ETH_IPV4 && proto != YS_ETH_IPV6)
		return 1;
	rc = ys_dec_tunnel_enter(dec, pkt, YS_TUNNEL_GENEVE, vni);
	if (rc)
		return rc;
	dec->st.geneve++;
	p += hl;
	len -= hl;
	if (proto == YS_ETH_TEB)
		return ys_dec_ethernet(dec, pkt, p, len);
	return proto == YS_ETH_IPV4 ? ys_dec_ipv4(dec, pkt, p, len) : ys_dec_ipv6(dec, pkt, p, len);
}

int ys_dec_teredo(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len)
{
	uint32_t skip = 0;
	int rc;

	/* An origin indication (type 0) may precede the IPv6 packet; an
	 * authentication header (type 1) means a qualification exchange, no tunnel. */
	if (len >= 2 && p[0] == 0 && p[1] == 0)
		skip = 8;
	else if (len >= 1 && p[0] == 0)
		return 1;
	if (len < skip + 40)
		return 1;
	p += skip;
	len -= skip;
	/* Nothing marks Teredo but the IPv6 header itself: version 6, a non-zero hop
	 * limit, not a bubble (no next header, empty), and a payload length that
	 * accounts for the datagram exactly. */
	if ((p[0] >> 4) != 6 || p[7] == 0 || (p[6] == 59 && ys_rd16(p + 4) == 0) ||
	    (uint32_t)ys_rd16(p + 4) + 40 != len)
		return 1;
	rc = ys_dec_tunnel_enter(dec, pkt, YS_TUNNEL_NONE, 0);
	if (rc)
		return rc;
	dec->st.teredo++;
	return ys_dec_ipv6(dec, pkt, p, len);
}

int ys_dec_gre(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len)
{
	uint16_t flags, proto;
	uint32_t hl = YS_GRE_MIN_HLEN;
	int rc;

	if (len < YS_GRE_MIN_HLEN)
		return ys_dec_fail(dec, pkt, YS_DEC_GRE_TRUNCATED);
	flags = ys_rd16(p);
	proto = ys_rd16(p + 2);
	dec->st.gre++;
	if ((flags & 7) != 0 || (flags & YS_GRE_F_ROUTE)) {
		/* Enhanced GRE (PPTP) and source-routed GRE: counted, left opaque. */
		ys_dec_note(dec, pkt, YS_DEC_GRE_UNSUPPORTED);
		return 1;
	}
	if (flags & YS_GRE_F_CSUM)
		hl += 4;
	if (flags & YS_GRE_F_KEY)
		hl += 4;
	if (flags & YS_GRE_F_SEQ)
		hl += 4;
	if (len < hl)
		return ys_dec_fail(dec, pkt, YS_DEC_GRE_TRUNCATED);
	p += hl;
	len -= hl;

	switch (proto) {
	case YS_ETH_IPV4:
	case YS_ETH_IPV6:
	case YS_ETH_TEB:
		break;
	case YS_ETH_ERSPAN2:
		/* Type I has no sequence number and no header; type II has 8 bytes. */
		if (flags & YS_GRE_F_SEQ) {
			if (len < 8)
				return ys_dec_fail(dec, pkt, YS_DEC_GRE_TRUNCATED);
			p += 8;
			len -= 8;
		}
		break;
	case YS_ETH_ERSPAN3:
		/* 12 bytes, plus an 8-byte platform sub-header when the O bit is set. */
		if (len < 12)
			return ys_dec_fail(dec, pkt, YS_DEC_GRE_TRUNCATED);
		hl = (p[11] & 1) ? 20 : 12;
		if (len < hl)
			return ys_dec_fail(dec, pkt, YS_DEC_GRE_TRUNCATED);
		p += hl;
		len -= hl;
		break;
	default:
		return 1;
	}
	rc = ys_dec_tunnel_enter(dec, pkt, YS_TUNNEL_NONE, 0);
	if (rc)
		return rc;
	if (proto == YS_ETH_IPV4)
		return ys_dec_ipv4(dec, pkt, p, len);
	if (proto == YS_ETH_IPV6)
		return ys_dec_ipv6(dec, pkt, p, len);
	return ys_dec_ethernet(dec, pkt, p, len);
}
