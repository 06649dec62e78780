/*
 * IPv4: header and options (length-checked, not interpreted), total length
 * against the captured bytes (Ethernet padding trimmed, snap-length cuts
 * tolerated), header checksum when validating, and fragments, which go to
 * reassembly (decode_frag.c) and come back as one datagram.
 */
#include "decode_private.h"

#define YS_IPV4_MIN_HLEN 20
#define YS_IPV4_MF	 0x2000
#define YS_IPV4_OFFMASK	 0x1fff

int ys_dec_ip_any(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len)
{
	if (len < 1)
		return ys_dec_fail(dec, pkt, YS_DEC_IPV4_TRUNCATED);
	if ((p[0] >> 4) == 6)
		return ys_dec_ipv6(dec, pkt, p, len);
	return ys_dec_ipv4(dec, pkt, p, len);
}

/* Describe the (possibly reassembled) datagram P in PKT and go on to L4. */
static int ys_dec_ipv4_payload(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p,
			       uint32_t len, uint32_t hlen, bool bad_csum)
{
	int rc;

	pkt->l3 = p;
	pkt->l3_len = len;
	rc = ys_dec_l4(dec, pkt, p[9], p + hlen, len - hlen);
	if (bad_csum) {
		/* The receiving host drops it: decoded for accounting, not inspected. */
		pkt->payload = NULL;
		pkt->payload_len = 0;
	}
	return rc;
}

int ys_dec_ipv4(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len)
{
	uint32_t hlen, tot, off;
	bool more, bad_csum = false;
	uint8_t *buf;
	uint32_t blen;
	int rc;

	if (len < YS_IPV4_MIN_HLEN)
		return ys_dec_fail(dec, pkt, YS_DEC_IPV4_TRUNCATED);
	if ((p[0] >> 4) != 4)
		return ys_dec_fail(dec, pkt, YS_DEC_IPV4_BAD_VERSION);
	hlen = (p[0] & 0x0f) * 4u;
	if (hlen < YS_IPV4_MIN_HLEN)
		return ys_dec_fail(dec, pkt, YS_DEC_IPV4_BAD_HLEN);
	if (len < hlen)
		return ys_dec_fail(dec, pkt, YS_DEC_IPV4_TRUNCATED);
	tot = ys_rd16(p + 2);
	if (tot == 0 && pkt->tunnel_depth == 0) {
		/* TSO super-frames captured on the sending host carry 0: use what we have. */
		tot = len;
	}
	if (tot < hlen)
		return ys_dec_fail(dec, pkt, YS_DEC_IPV4_BAD_LEN);
	if (tot > len) {
		if (pkt->caplen >= pkt->wirelen)
			return ys_dec_fail(dec, pkt, YS_DEC_IPV4_BAD_LEN);
		dec->cut = true; /* snap length: keep what was captured */
		tot = len;
	}
	len = tot; /* drop Ethernet padding */

	dec->st.ipv4++;
	pkt->ip_version = 4;
	pkt->src.family = 4;
	pkt->dst.family = 4;
	memcpy(pkt->src.a, p + 12, 4);
	memcpy(pkt->dst.a, p + 16, 4);
	pkt->ip_hlen = (uint16_t)hlen;
	pkt->tos = p[1];
	pkt->ip_id = ys_rd16(p + 4);
	pkt->frag_off = ys_rd16(p + 6);
	pkt->ttl = p[8];
	pkt->proto = p[9];
	pkt->l3 = p;
	pkt->l3_len = len;

	if (dec->p.validate_checksums && ys_csum_fold(ys_csum_add(0, p, hlen)) != 0) {
		ys_dec_note(dec, pkt, YS_DEC_IPV4_BAD_CSUM);
		pkt->flags |= YS_PKT_BAD_CSUM;
		bad_csum = true;
	}

	more = (pkt->frag_off & YS_IPV4_MF) != 0;
	off = (pkt->frag_off & YS_IPV4_OFFMASK) * 8u;
	if (!more && off == 0)
		return ys_dec_ipv4_payload(dec, pkt, p, len, hlen, bad_csum);

	pkt->flags |= YS_PKT_IPV4_FRAGMENT;
	if (bad_csum) /* the host would discard it: never let it into a datagram */
		return -EINVAL;
	if (more && ((len - hlen) == 0 || (len - hlen) % 8 != 0))
		return ys_dec_fail(dec, pkt, YS_DEC_IPV4_FRAG_BAD);
	if (off + (len - hlen) + hlen > 65535)
		return ys_dec_fail(dec, pkt, YS_DEC_IPV4_FRAG_TOO_LARGE);
	if (dec->cut) /* a fragment cut by the snap length cannot complete a datagram */
		return ys_dec_fail(dec, pkt, YS_DEC_IPV4_TRUNCATED);

	rc = ys_frag_add(dec, pkt, pkt->ip_id, pkt->proto, off, more, p, hlen, p + hlen, len - hlen,
			 &buf, &blen);
	if (rc)
		return rc;
	pkt->flags = (pkt->flags & ~YS_PKT_IPV4_FRAGMENT) | YS_PKT_IPV4_FRAG_REASSEMBLED;
	/* The datagram carries the first fragment's header, whose length (options)
	 * may differ from the fragment that completed it. */
	hlen = (buf[0] & 0x0f) * 4u;
	pkt->ip_hlen = (uint16_t)hlen;
	pkt->tos = buf[1];
	pkt->ttl = buf[8];
	pkt->frag_off = 0;
	return ys_dec_ipv4_payload(dec, pkt, buf, blen, hlen, false);
}
