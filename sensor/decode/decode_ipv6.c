/*
 * IPv6: fixed header, then a bounded walk over extension headers
 * (hop-by-hop, routing, destination options, mobility, HIP, shim6, AH, and
 * the fragment header, whose fragments go to reassembly). At most
 * YS_MAX_IPV6_EXTHDR extension headers; one more is an error, so a chain of
 * thousands of empty options cannot make a packet expensive.
 */
#include "decode_private.h"

#define YS_IPV6_HLEN 40

static int ys_dec_ipv6_exthdrs(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p,
			       uint32_t len, uint8_t nh);

/*
 * A routing header R (HL bytes, checked) with segments left names the final
 * destination, which L4 checksums are computed over: the last address of a
 * type 0 / type 2 header, Segment List[0] of an SRv6 header (type 4).
 */
static void ys_dec_ipv6_routing(struct ys_decoder *dec, const uint8_t *r, uint32_t hl)
{
	uint32_t n = r[1] / 2u; /* 16-byte addresses after the first 8 bytes */

	if (r[3] == 0 || n == 0 || 8 + n * 16 > hl)
		return;
	if (r[2] == 0 || r[2] == 2)
		dec->v6_final_dst = r + 8 + (n - 1) * 16;
	else if (r[2] == 4)
		dec->v6_final_dst = r + 8;
}

static int ys_dec_ipv6_frag(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p,
			    uint32_t len, uint32_t off)
{
	uint8_t hdr[YS_IPV6_HLEN], nh;
	uint16_t fo;
	uint32_t foff, plen, id, blen;
	bool more;
	uint8_t *buf;
	int rc;

	/* The caller checked off + 8 <= len. */
	nh = p[off];
	fo = ys_rd16(p + off + 2);
	id = ys_rd32(p + off + 4);
	foff = fo & 0xfff8u;
	more = (fo & 1) != 0;
	off += 8;
	plen = len - off;
	if (foff == 0 && !more) /* atomic fragment (RFC 6946): just a header to skip */
		return 1;

	pkt->flags |= YS_PKT_IPV4_FRAGMENT;
	pkt->proto = nh;
	if (more && (plen == 0 || plen % 8 != 0))
		return ys_dec_fail(dec, pkt, YS_DEC_IPV6_FRAG_BAD);
	if (foff + plen > 65535)
		return ys_dec_fail(dec, pkt, YS_DEC_IPV6_FRAG_TOO_LARGE);
	if (dec->cut)
		return ys_dec_fail(dec, pkt, YS_DEC_IPV6_TRUNCATED);

	/* The datagram is presented behind a plain header whose next header is the
	 * fragmented protocol; the unfragmentable extension headers are dropped. */
	memcpy(hdr, p, YS_IPV6_HLEN);
	hdr[6] = nh;
	/* The key is source, destination and id (RFC 8200): the next header of a
	 * later fragment is not part of it; the first fragment's one counts. */
	rc = ys_frag_add(dec, pkt, id, 0, foff, more, hdr, YS_IPV6_HLEN, p + off, plen, &buf,
			 &blen);
	if (rc)
		return rc;
	pkt->flags = (pkt->flags & ~YS_PKT_IPV4_FRAGMENT) | YS_PKT_IPV4_FRAG_REASSEMBLED;
	pkt->l3 = buf;
	pkt->l3_len = blen;
	/* The datagram may start with more extension headers, even another fragment
	 * header (nested fragmentation, an evasion): walk them again, at most
	 * YS_MAX_REASM_NEST datagrams deep per packet. */
	if (++dec->reasm_nest > YS_MAX_REASM_NEST)
		return ys_dec_fail(dec, pkt, YS_DEC_IPV6_FRAG_BAD);
	return ys_dec_ipv6_exthdrs(dec, pkt, buf, blen, buf[6]);
}

int ys_dec_ipv6(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len)
{
	uint32_t plen;

	if (len < YS_IPV6_HLEN)
		return ys_dec_fail(dec, pkt, YS_DEC_IPV6_TRUNCATED);
	if ((p[0] >> 4) != 6)
		return ys_dec_fail(dec, pkt, YS_DEC_IPV6_BAD_VERSION);
	plen = ys_rd16(p + 4);
	if (plen == 0 && pkt->tunnel_depth == 0)
		plen = len - YS_IPV6_HLEN; /* jumbogram or TSO: use what we have */
	if (plen + YS_IPV6_HLEN > len) {
		if (pkt->caplen >= pkt->wirelen)
			return ys_dec_fail(dec, pkt, YS_DEC_IPV6_TRUNCATED);
		dec->cut = true;
		plen = len - YS_IPV6_HLEN;
	}
	len = plen + YS_IPV6_HLEN;

	dec->st.ipv6++;
	pkt->ip_version = 6;
	pkt->src.family = 6;
	pkt->dst.family = 6;
	memcpy(pkt->src.a, p + 8, 16);
	memcpy(pkt->dst.a, p + 24, 16);
	pkt->tos = (uint8_t)(ys_rd16(p) >> 4);
	pkt->ttl = p[7];
	pkt->l3 = p;
	pkt->l3_len = len;
	dec->v6_final_dst = NULL;
	return ys_dec_ipv6_exthdrs(dec, pkt, p, len, p[6]);
}

/* The extension headers after the fixed header of P (LEN bytes), then L4. */
static int ys_dec_ipv6_exthdrs(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p,
			       uint32_t len, uint8_t nh)
{
	uint32_t off = YS_IPV6_HLEN, hl;
	int rc;

	for (unsigned n = 0;; n++) {
		switch (nh) {
		case 0:	  /* hop-by-hop options */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 139: /* HIP */
		case 140: /* shim6 */
		case 51:  /* AH: length in 4-byte units minus 2 */
			if (n == YS_MAX_IPV6_EXTHDR)
				return ys_dec_fail(dec, pkt, YS_DEC_IPV6_EXTHDR_TOO_MANY);
			if (off + 8 > len)
				return ys_dec_fail(dec, pkt, YS_DEC_IPV6_EXTHDR_TRUNCATED);
			hl = nh == 51 ? (p[off + 1] + 2u) * 4u : (p[off + 1] + 1u) * 8u;
			if (off + hl > len)
				return ys_dec_fail(dec, pkt, YS_DEC_IPV6_EXTHDR_TRUNCATED);
			if (nh == 43)
				ys_dec_ipv6_routing(dec, p + off, hl);
			nh = p[off];
			off += hl;
			continue;
		case 44: /* fragment */
			if (n == YS_MAX_IPV6_EXTHDR)
				return ys_dec_fail(dec, pkt, YS_DEC_IPV6_EXTHDR_TOO_MANY);
			if (off + 8 > len)
				return ys_dec_fail(dec, pkt, YS_DEC_IPV6_EXTHDR_TRUNCATED);
			pkt->ip_hlen = (uint16_t)(off > 0xffff ? 0xffff : off);
			rc = ys_dec_ipv6_frag(dec, pkt, p, len, off);
			if (rc != 1)
				return rc;
			nh = p[off];
			off += 8;
			continue;
		default:
			break;
		}
		break;
	}
	pkt->ip_hlen = (uint16_t)off;
	pkt->proto = nh;
	if (nh == 59) /* no next header */
		return 0;
	return ys_dec_l4(dec, pkt, nh, p + off, len - off);
}
