/*
 * Decoder object and entry point: resets the per-packet decode fields, picks
 * the link-layer decoder, and owns the reassembled-datagram buffer handed out
 * for one packet. Also the error names and the address helpers every later
 * stage uses (EVE strings, CIDR parsing, flow key ordering).
 */
#include "decode.h"
#include "decode_private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define YS_FRAG_MEMCAP_DEFAULT	(32ull << 20)
#define YS_FRAG_TIMEOUT_DEFAULT 60

static const char *const ys_decode_error_names[YS_DEC_ERROR_COUNT] = {
	[YS_DEC_OK] = "ok",
	[YS_DEC_LINK_TRUNCATED] = "link_truncated",
	[YS_DEC_LINK_UNSUPPORTED] = "link_unsupported",
	[YS_DEC_VLAN_TRUNCATED] = "vlan_truncated",
	[YS_DEC_VLAN_TOO_DEEP] = "vlan_too_deep",
	[YS_DEC_IPV4_TRUNCATED] = "ipv4_truncated",
	[YS_DEC_IPV4_BAD_VERSION] = "ipv4_bad_version",
	[YS_DEC_IPV4_BAD_HLEN] = "ipv4_bad_hlen",
	[YS_DEC_IPV4_BAD_LEN] = "ipv4_bad_len",
	[YS_DEC_IPV4_BAD_CSUM] = "ipv4_bad_csum",
	[YS_DEC_IPV4_FRAG_OVERLAP] = "ipv4_frag_overlap",
	[YS_DEC_IPV4_FRAG_TOO_LARGE] = "ipv4_frag_too_large",
	[YS_DEC_IPV6_TRUNCATED] = "ipv6_truncated",
	[YS_DEC_IPV6_BAD_VERSION] = "ipv6_bad_version",
	[YS_DEC_IPV6_EXTHDR_TOO_MANY] = "ipv6_exthdr_too_many",
	[YS_DEC_IPV6_EXTHDR_TRUNCATED] = "ipv6_exthdr_truncated",
	[YS_DEC_IPV6_FRAG_OVERLAP] = "ipv6_frag_overlap",
	[YS_DEC_TCP_TRUNCATED] = "tcp_truncated",
	[YS_DEC_TCP_BAD_HLEN] = "tcp_bad_hlen",
	[YS_DEC_TCP_BAD_CSUM] = "tcp_bad_csum",
	[YS_DEC_UDP_TRUNCATED] = "udp_truncated",
	[YS_DEC_UDP_BAD_LEN] = "udp_bad_len",
	[YS_DEC_UDP_BAD_CSUM] = "udp_bad_csum",
	[YS_DEC_ICMP_TRUNCATED] = "icmp_truncated",
	[YS_DEC_ICMP_BAD_CSUM] = "icmp_bad_csum",
	[YS_DEC_TUNNEL_TRUNCATED] = "tunnel_truncated",
	[YS_DEC_TUNNEL_TOO_DEEP] = "tunnel_too_deep",
	[YS_DEC_FRAG_MEMCAP] = "frag_memcap",
	[YS_DEC_IPV4_FRAG_BAD] = "ipv4_frag_bad",
	[YS_DEC_IPV6_FRAG_BAD] = "ipv6_frag_bad",
	[YS_DEC_IPV6_FRAG_TOO_LARGE] = "ipv6_frag_too_large",
	[YS_DEC_ICMPV6_TRUNCATED] = "icmpv6_truncated",
	[YS_DEC_ICMPV6_BAD_CSUM] = "icmpv6_bad_csum",
	[YS_DEC_GRE_TRUNCATED] = "gre_truncated",
	[YS_DEC_GRE_UNSUPPORTED] = "gre_unsupported",
	[YS_DEC_MPLS_TRUNCATED] = "mpls_truncated",
	[YS_DEC_MPLS_TOO_DEEP] = "mpls_too_deep",
	[YS_DEC_PPPOE_TRUNCATED] = "pppoe_truncated",
	[YS_DEC_PPPOE_BAD] = "pppoe_bad",
	[YS_DEC_TCP_OPT_BAD] = "tcp_opt_bad",
};

const char *ys_decode_error_name(enum ys_decode_error e)
{
	if ((unsigned)e >= YS_DEC_ERROR_COUNT || !ys_decode_error_names[e])
		return "unknown";
	return ys_decode_error_names[e];
}

struct ys_decoder *ys_decoder_new(const struct ys_decode_params *params)
{
	struct ys_decoder *dec = calloc(1, sizeof(*dec));

	if (!dec)
		return NULL;
	if (params)
		dec->p = *params;
	if (!dec->p.frag_memcap)
		dec->p.frag_memcap = YS_FRAG_MEMCAP_DEFAULT;
	if (!dec->p.frag_timeout_sec)
		dec->p.frag_timeout_sec = YS_FRAG_TIMEOUT_DEFAULT;
	if (!dec->p.vxlan_port)
		dec->p.vxlan_port = 4789;
	if (!dec->p.geneve_port)
		dec->p.geneve_port = 6081;
	if (!dec->p.teredo_port)
		dec->p.teredo_port = 3544;
	dec->frag = ys_frag_table_new(dec->p.frag_memcap, dec->p.frag_timeout_sec);
	if (!dec->frag)
		goto out_free_dec;
	return dec;

out_free_dec:
	free(dec);
	errno = ENOMEM;
	return NULL;
}

void ys_decoder_free(struct ys_decoder *dec)
{
	if (!dec)
		return;
	ys_frag_table_free(dec->frag);
	free(dec->done_buf);
	free(dec);
}

const struct ys_decode_stats *ys_decoder_stats(const struct ys_decoder *dec)
{
	return &dec->st;
}

int ys_decode_packet(struct ys_decoder *dec, struct ys_packet *pkt)
{
	int rc;

	/* The previous packet's reassembled datagram dies now, as decode.h promises. */
	if (dec->done_buf) {
		free(dec->done_buf);
		dec->st.frag_memuse -= dec->done_size;
		dec->done_buf = NULL;
		dec->done_size = 0;
	}
	/* Reset every decode result and later-stage field in one go; the capture
	 * fields before decode_error are inputs. */
	memset((char *)pkt + offsetof(struct ys_packet, decode_error), 0,
	       sizeof(*pkt) - offsetof(struct ys_packet, decode_error));
	pkt->tcp_wscale = 0xff;
	dec->link_nest = 0;
	dec->cut = false;
	dec->reasm_nest = 0;
	dec->v6_final_dst = NULL;

	dec->st.packets++;
	dec->st.bytes += pkt->wirelen ? pkt->wirelen : pkt->caplen;
	if (!pkt->data)
		return ys_dec_fail(dec, pkt, YS_DEC_LINK_TRUNCATED);
	rc = ys_dec_link(dec, pkt, pkt->data, pkt->caplen);
	if (pkt->flags & YS_PKT_BAD_CSUM)
		dec->st.csum_bad++;
	if (dec->p.checksum_auto && dec->st.packets == YS_CSUM_AUTO_SAMPLE) {
		dec->p.checksum_auto = false;
		/* More than 1 in YS_CSUM_AUTO_RATIO bad: the capture host offloads checksums. */
		if (dec->st.csum_bad && dec->st.packets / dec->st.csum_bad < YS_CSUM_AUTO_RATIO) {
			dec->p.validate_checksums = false;
			dec->st.csum_auto_disabled = 1;
		}
	}
	return rc;
}

int ys_addr_cmp(const struct ys_addr *a, const struct ys_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->a, b->a, a->family == 4 ? 4 : 16);
}

bool ys_addr_eq(const struct ys_addr *a, const struct ys_addr *b)
{
	return ys_addr_cmp(a, b) == 0;
}

char *ys_addr_str(const struct ys_addr *a, char *buf, size_t len)
{
	if (!buf || !len)
		return buf;
	buf[0] = '\0';
	if (a->family == 4) {
		if (!inet_ntop(AF_INET, a->a, buf, (socklen_t)len))
			buf[0] = '\0';
	} else if (a->family == 6 && len >= YS_ADDR_STR_LEN) {
		/* Suricata's EVE writes IPv6 without zero compression. */
		static const char hex[] = "0123456789abcdef";
		size_t o = 0;

		for (int i = 0; i < 16; i++) {
			buf[o++] = hex[a->a[i] >> 4];
			buf[o++] = hex[a->a[i] & 15];
			if (i & 1 && i != 15)
				buf[o++] = ':';
		}
		buf[o] = '\0';
	}
	return buf;
}

int ys_addr_parse(const char *s, struct ys_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = 6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}
