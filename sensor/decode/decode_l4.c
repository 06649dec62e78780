/*
 * Transport layer: TCP (with a bounded option walk: MSS, window scale,
 * SACK-permitted, timestamps), UDP (and the overlay ports it hands to
 * decode_tunnel.c), ICMP and ICMPv6 (type, code, and id/sequence of echo-like
 * messages; an error message's quoted original header is payload only and is
 * never used for addresses or ports), and the IP-level encapsulations
 * IP-in-IP, IPv6-in-IP and GRE. Checksums are verified only when the decoder
 * validates them (see decode.h for what a failure does).
 */
#include "decode_private.h"

#define YS_TCP_MIN_HLEN 20
#define YS_UDP_HLEN	8
#define YS_ICMP_HLEN	8

uint32_t ys_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = sum;

	/* 4 bytes at a time into a 64-bit accumulator: no carry handling per step. */
	while (len >= 4) {
		s += ys_rd32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		s += ys_rd16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

/* Sum of the pseudo header for an L4 segment of LEN bytes. */
static uint32_t ys_pseudo_sum(const struct ys_decoder *dec, const struct ys_packet *pkt,
			      uint8_t proto, uint32_t len)
{
	uint32_t sum;

	if (pkt->ip_version == 4) {
		sum = ys_csum_add(0, pkt->src.a, 4);
		sum = ys_csum_add(sum, pkt->dst.a, 4);
		return sum + proto + len;
	}
	sum = ys_csum_add(0, pkt->src.a, 16);
	sum = ys_csum_add(sum, dec->v6_final_dst ? dec->v6_final_dst : pkt->dst.a, 16);
	return sum + (len >> 16) + (len & 0xffff) + proto;
}

static bool ys_l4_csum_ok(const struct ys_decoder *dec, const struct ys_packet *pkt, uint8_t proto,
			  const uint8_t *p, uint32_t len)
{
	return ys_csum_fold(ys_csum_add(ys_pseudo_sum(dec, pkt, proto, len), p, len)) == 0;
}

static void ys_dec_bad_l4_csum(struct ys_decoder *dec, struct ys_packet *pkt,
			       enum ys_decode_error e)
{
	ys_dec_note(dec, pkt, e);
	pkt->flags |= YS_PKT_BAD_CSUM;
	pkt->payload = NULL;
	pkt->payload_len = 0;
}

static void ys_dec_tcp_options(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *o,
			       uint32_t olen)
{
	uint32_t i = 0;

	while (i < olen) {
		uint8_t kind = o[i], l;

		if (kind == 0) /* end of list */
			return;
		if (kind == 1) { /* NOP */
			i++;
			continue;
		}
		if (i + 1 >= olen)
			goto bad;
		l = o[i + 1];
		if (l < 2 || i + l > olen)
			goto bad;
		switch (kind) {
		case 2:
			if (l == 4)
				pkt->tcp_mss = ys_rd16(o + i + 2);
			break;
		case 3:
			if (l == 3)
				pkt->tcp_wscale = o[i + 2] > 14 ? 14 : o[i + 2];
			break;
		case 4:
			pkt->tcp_sackok = l == 2;
			break;
		case 8:
			if (l == 10) {
				pkt->tcp_has_ts = true;
				pkt->tcp_tsval = ys_rd32(o + i + 2);
				pkt->tcp_tsecr = ys_rd32(o + i + 6);
			}
			break;
		default:
			break;
		}
		i += l;
	}
	return;
bad:
	/* Hosts ignore the rest of a broken option list; so do we, and count it. */
	ys_dec_note(dec, pkt, YS_DEC_TCP_OPT_BAD);
}

static int ys_dec_tcp(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len)
{
	uint32_t hl;

	if (len < YS_TCP_MIN_HLEN)
		return ys_dec_fail(dec, pkt, YS_DEC_TCP_TRUNCATED);
	hl = (p[12] >> 4) * 4u;
	if (hl < YS_TCP_MIN_HLEN)
		return ys_dec_fail(dec, pkt, YS_DEC_TCP_BAD_HLEN);
	if (hl > len)
		return ys_dec_fail(dec, pkt, YS_DEC_TCP_TRUNCATED);
	dec->st.tcp++;
	pkt->sport = ys_rd16(p);
	pkt->dport = ys_rd16(p + 2);
	pkt->tcp_seq = ys_rd32(p + 4);
	pkt->tcp_ack = ys_rd32(p + 8);
	pkt->tcp_flags = p[13];
	pkt->tcp_win = ys_rd16(p + 14);
	pkt->tcp_hlen = (uint8_t)hl;
	pkt->l4 = p;
	pkt->l4_len = len;
	pkt->payload = p + hl;
	pkt->payload_len = len - hl;
	if (hl > YS_TCP_MIN_HLEN)
		ys_dec_tcp_options(dec, pkt, p + YS_TCP_MIN_HLEN, hl - YS_TCP_MIN_HLEN);
	if (dec->p.validate_checksums && !dec->cut && !ys_l4_csum_ok(dec, pkt, 6, p, len))
		ys_dec_bad_l4_csum(dec, pkt, YS_DEC_TCP_BAD_CSUM);
	return 0;
}

static int ys_dec_udp(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len)
{
	uint32_t ulen;
	int rc;

	if (len < YS_UDP_HLEN)
		return ys_dec_fail(dec, pkt, YS_DEC_UDP_TRUNCATED);
	ulen = ys_rd16(p + 4);
	if (ulen < YS_UDP_HLEN)
		return ys_dec_fail(dec, pkt, YS_DEC_UDP_BAD_LEN);
	if (ulen > len) {
		if (!dec->cut)
			return ys_dec_fail(dec, pkt, YS_DEC_UDP_BAD_LEN);
		ulen = len;
	}
	len = ulen;
	dec->st.udp++;
	pkt->sport = ys_rd16(p);
	pkt->dport = ys_rd16(p + 2);
	pkt->l4 = p;
	pkt->l4_len = len;
	pkt->payload = p + YS_UDP_HLEN;
	pkt->payload_len = len - YS_UDP_HLEN;
	/* A zero checksum means "not computed" (IPv4; IPv6 tunnels per RFC 6935). */
	if (dec->p.validate_checksums && !dec->cut && ys_rd16(p + 6) != 0 &&
	    !ys_l4_csum_ok(dec, pkt, 17, p, len)) {
		ys_dec_bad_l4_csum(dec, pkt, YS_DEC_UDP_BAD_CSUM);
		return 0; /* and no decapsulation of what the host would drop */
	}
	if (pkt->dport == dec->p.vxlan_port)
		rc = ys_dec_vxlan(dec, pkt, p + YS_UDP_HLEN, len - YS_UDP_HLEN);
	else if (pkt->dport == dec->p.geneve_port)
		rc = ys_dec_geneve(dec, pkt, p + YS_UDP_HLEN, len - YS_UDP_HLEN);
	else if (pkt->dport == dec->p.teredo_port || pkt->sport == dec->p.teredo_port)
		rc = ys_dec_teredo(dec, pkt, p + YS_UDP_HLEN, len - YS_UDP_HLEN);
	else
		rc = 1;
	return rc == 1 ? 0 : rc;
}

static int ys_dec_icmp(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p,
		       uint32_t len, bool v6)
{
	uint8_t t;
	bool echo;

	if (len < YS_ICMP_HLEN)
		return ys_dec_fail(dec, pkt, v6 ? YS_DEC_ICMPV6_TRUNCATED : YS_DEC_ICMP_TRUNCATED);
	dec->st.icmp++;
	t = p[0];
	pkt->icmp_type = t;
	pkt->icmp_code = p[1];
	if (v6)
		echo = t == 128 || t == 129;
	else
		echo = t == 0 || t == 8 || (t >= 13 && t <= 18);
	if (echo) {
		pkt->icmp_id = ys_rd16(p + 4);
		pkt->icmp_seq = ys_rd16(p + 6);
	}
	pkt->l4 = p;
	pkt->l4_len = len;
	pkt->payload = p + YS_ICMP_HLEN;
	pkt->payload_len = len - YS_ICMP_HLEN;
	if (dec->p.validate_checksums && !dec->cut) {
		bool ok = v6 ? ys_l4_csum_ok(dec, pkt, 58, p, len)
			     : ys_csum_fold(ys_csum_add(0, p, len)) == 0;

		if (!ok)
			ys_dec_bad_l4_csum(dec, pkt,
					   v6 ? YS_DEC_ICMPV6_BAD_CSUM : YS_DEC_ICMP_BAD_CSUM);
	}
	return 0;
}

int ys_dec_l4(struct ys_decoder *dec, struct ys_packet *pkt, uint8_t proto, const uint8_t *p,
	      uint32_t len)
{
	int rc;

	pkt->proto = proto;
	switch (proto) {
	case 6:
		return ys_dec_tcp(dec, pkt, p, len);
	case 17:
		return ys_dec_udp(dec, pkt, p, len);
	case 1:
		return ys_dec_icmp(dec, pkt, p, len, false);
	case 58:
		return ys_dec_icmp(dec, pkt, p, len, true);
	case 4:	 /* IPv4 in IP */
	case 41: /* IPv6 in IP */
		rc = ys_dec_tunnel_enter(dec, pkt, YS_TUNNEL_NONE, 0);
		if (rc)
			return rc;
		dec->st.ipip++;
		return proto == 4 ? ys_dec_ipv4(dec, pkt, p, len) : ys_dec_ipv6(dec, pkt, p, len);
	case 47:
		rc = ys_dec_gre(dec, pkt, p, len);
		if (rc != 1)
			return rc;
		/* GRE we do not open: inspect it as an opaque IP payload. */
		break;
	default:
		break;
	}
	pkt->payload = p;
	pkt->payload_len = len;
	return 0;
}
