/*
 * Rule evaluation against one buffer, and the packet keywords.
 *
 * A buffer's match list is walked in rule order. Each content has a search
 * window: absolute (offset/depth, startswith) or relative to the end of the
 * previous match (distance/within). When a later match that is relative to
 * this one fails, this content is searched again further on (Suricata's
 * backtracking); when the next match is not relative, a later failure cannot
 * be helped by moving this one and the walk stops. A budget bounds the work
 * for hostile inputs, as Suricata's inspection recursion limit does.
 *
 * pcre /R, byte_test/byte_jump/byte_extract "relative" and isdataat
 * "relative" take the same anchor; byte_jump and byte_extract move it.
 */
#include "detect_int.h"

#include <string.h>

#include <netinet/in.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

static inline int64_t val_get(const struct ys_val *v, const struct ys_match_state *st)
{
	return v->var >= 0 ? (int64_t)st->byte_vars[v->var] : v->v;
}

/* Extract a number for byte_test/jump/extract at ABS offset. */
static bool byte_extract_num(const struct ys_sm *sm, const uint8_t *d, uint32_t len, int64_t off,
			     uint64_t *out)
{
	uint32_t nb = sm->u.b.nbytes;
	uint64_t v = 0;

	if (off < 0 || (uint64_t)off + nb > len)
		return false;
	const uint8_t *p = d + off;
	if (nb == 0) {
		v = 0;
	} else if (sm->flags & YS_BF_STRING) {
		unsigned base = sm->u.b.base ? sm->u.b.base : 10;
		uint32_t i = 0, digits = 0;
		for (; i < nb; i++) {
			int c = p[i], dv;
			if (c >= '0' && c <= '9')
				dv = c - '0';
			else if (c >= 'a' && c <= 'f')
				dv = c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				dv = c - 'A' + 10;
			else
				break;
			if ((unsigned)dv >= base)
				break;
			v = v * base + (uint64_t)dv;
			digits++;
		}
		if (digits == 0)
			return false;
	} else if (sm->flags & YS_BF_LITTLE) {
		for (uint32_t i = 0; i < nb; i++)
			v |= (uint64_t)p[i] << (8 * i);
	} else {
		for (uint32_t i = 0; i < nb; i++)
			v = (v << 8) | p[i];
	}
	if (sm->flags & YS_BF_BITMASK) {
		uint32_t m = sm->u.b.bitmask;
		v &= m;
		while (m && !(m & 1)) {
			m >>= 1;
			v >>= 1;
		}
	}
	*out = v;
	return true;
}

static int match_from(const struct ys_sm *sms, uint32_t i, uint32_t n, const uint8_t *d,
		      uint32_t len, uint32_t prev_end, struct ys_match_state *st);

/* The tls.version buffer holds "1.0".."1.3", "3.0" (SSLv3), "2.0" (SSLv2). */
static uint8_t tls_text_version(const uint8_t *d, uint32_t len)
{
	if (len != 3 || d[1] != '.')
		return 0;
	if (d[0] == '1' && d[2] >= '0' && d[2] <= '3')
		return (uint8_t)(YS_TLSV_TLS10 << (d[2] - '0'));
	if (d[0] == '3' && d[2] == '0')
		return YS_TLSV_SSL3;
	if (d[0] == '2' && d[2] == '0')
		return YS_TLSV_SSL2;
	return 0;
}

static int match_content(const struct ys_sm *sms, uint32_t i, uint32_t n, const uint8_t *d,
			 uint32_t len, uint32_t prev_end, struct ys_match_state *st)
{
	const struct ys_sm *sm = &sms[i];
	uint32_t plen = sm->u.c.len;
	int64_t start, end;

	if (sm->flags & YS_CF_RELATIVE) {
		int64_t dist = (sm->flags & YS_CF_DISTANCE) ? val_get(&sm->u.c.distance, st) : 0;
		start = (int64_t)prev_end + dist;
		if (start < 0)
			start = 0;
		if (sm->flags & YS_CF_WITHIN)
			end = (int64_t)prev_end + dist + val_get(&sm->u.c.within, st);
		else
			end = len;
	} else if (sm->flags & YS_CF_STARTSWITH) {
		start = 0;
		end = plen;
	} else {
		start = (sm->flags & YS_CF_OFFSET) ? val_get(&sm->u.c.offset, st) : 0;
		end = (sm->flags & YS_CF_DEPTH) ? start + val_get(&sm->u.c.depth, st) : len;
	}
	if (end > len)
		end = len;
	if (sm->flags & YS_CF_ENDSWITH) {
		int64_t pos = (int64_t)len - plen;
		if (pos < start)
			start = end; /* nothing fits */
		else
			start = pos;
	}
	bool neg = (sm->flags & YS_CF_NEGATED) != 0;
	for (;;) {
		const uint8_t *hit = NULL;
		if (start >= 0 && end - start >= (int64_t)plen)
			hit = ys_find(d + start, (uint32_t)(end - start), sm->u.c.pat, plen,
				      (sm->flags & YS_CF_NOCASE) != 0);
		if (neg) {
			if (hit)
				return 0;
			return match_from(sms, i + 1, n, d, len, prev_end, st);
		}
		if (!hit) {
			/* The window reached the end of the buffer: moving the previous
			 * match forward only shrinks it, so backtracking cannot help. */
			if (end == (int64_t)len && (sm->flags & YS_CF_RELATIVE) &&
			    !(sm->flags & YS_CF_ENDSWITH))
				return -1;
			return 0;
		}
		uint32_t pos = (uint32_t)(hit - d);
		int r = match_from(sms, i + 1, n, d, len, pos + plen, st);
		if (r != 0)
			return r;
		if (!(sm->flags & YS_CF_REL_NEXT) || (sm->flags & YS_CF_ENDSWITH))
			return 0;
		if (st->budget == 0 || --st->budget == 0)
			return -1;
		start = pos + 1;
	}
}

static int match_pcre(const struct ys_sm *sms, uint32_t i, uint32_t n, const uint8_t *d,
		      uint32_t len, uint32_t prev_end, struct ys_match_state *st)
{
	const struct ys_sm *sm = &sms[i];
	uint32_t base = sm->u.p.relative ? prev_end : 0;
	uint32_t from = 0;
	pcre2_match_data *md = st->md;

	if (base > len)
		return 0;
	for (;;) {
		int rc = pcre2_match(sm->u.p.code, d + base, len - base, from, 0, md, NULL);
		if (sm->u.p.negated) {
			if (rc >= 0)
				return 0;
			return match_from(sms, i + 1, n, d, len, prev_end, st);
		}
		if (rc < 0)
			return 0;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		uint32_t mstart = (uint32_t)ov[0], mend = (uint32_t)ov[1];
		int r = match_from(sms, i + 1, n, d, len, base + mend, st);
		if (r != 0)
			return r;
		if (!(sm->flags & YS_CF_REL_NEXT))
			return 0;
		if (st->budget == 0 || --st->budget == 0)
			return -1;
		from = mstart + 1;
		if (from > len - base)
			return 0;
	}
}

static bool byte_test_cmp(const struct ys_sm *sm, uint64_t v, uint64_t ref)
{
	bool m;
	switch (sm->u.b.op) {
	case '<':
		m = v < ref;
		break;
	case '>':
		m = v > ref;
		break;
	case '=':
		m = v == ref;
		break;
	case '&':
		m = (v & ref) != 0;
		break;
	case '^':
		m = (v ^ ref) != 0;
		break;
	case 'l':
		m = v <= ref;
		break;
	case 'g':
		m = v >= ref;
		break;
	default:
		m = false;
	}
	return (sm->flags & YS_BF_NEGATE) ? !m : m;
}

static int match_from(const struct ys_sm *sms, uint32_t i, uint32_t n, const uint8_t *d,
		      uint32_t len, uint32_t prev_end, struct ys_match_state *st)
{
	for (; i < n; i++) {
		const struct ys_sm *sm = &sms[i];
		uint64_t v;
		int64_t off;

		switch (sm->type) {
		case YS_SM_CONTENT:
			return match_content(sms, i, n, d, len, prev_end, st);
		case YS_SM_PCRE:
			return match_pcre(sms, i, n, d, len, prev_end, st);
		case YS_SM_BYTE_TEST:
			off = val_get(&sm->u.b.offset, st) +
			      ((sm->flags & YS_BF_RELATIVE) ? (int64_t)prev_end : 0);
			if (!byte_extract_num(sm, d, len, off, &v))
				return 0;
			if (!byte_test_cmp(sm, v, (uint64_t)val_get(&sm->u.b.value, st)))
				return 0;
			break;
		case YS_SM_BYTE_JUMP: {
			off = val_get(&sm->u.b.offset, st) +
			      ((sm->flags & YS_BF_RELATIVE) ? (int64_t)prev_end : 0);
			if (!byte_extract_num(sm, d, len, off, &v))
				return 0;
			if (sm->u.b.multiplier)
				v *= (uint64_t)sm->u.b.multiplier;
			if ((sm->flags & YS_BF_ALIGN) && (v % 4))
				v += 4 - (v % 4);
			int64_t j;
			if (sm->flags & YS_BF_FROM_BEG)
				j = (int64_t)v;
			else if (sm->flags & YS_BF_FROM_END)
				j = (int64_t)len + (int64_t)v;
			else
				j = off + sm->u.b.nbytes + (int64_t)v;
			j += sm->u.b.post_offset;
			if (j < 0 || j > (int64_t)len)
				return 0;
			prev_end = (uint32_t)j;
			break;
		}
		case YS_SM_BYTE_EXTRACT:
			off = val_get(&sm->u.b.offset, st) +
			      ((sm->flags & YS_BF_RELATIVE) ? (int64_t)prev_end : 0);
			if (!byte_extract_num(sm, d, len, off, &v))
				return 0;
			if (sm->u.b.multiplier)
				v *= (uint64_t)sm->u.b.multiplier;
			if (sm->u.b.post_offset > 1 && (v % (uint64_t)sm->u.b.post_offset))
				v += (uint64_t)sm->u.b.post_offset -
				     (v % (uint64_t)sm->u.b.post_offset);
			st->byte_vars[sm->u.b.var] = v;
			prev_end = (uint32_t)(off + sm->u.b.nbytes);
			break;
		case YS_SM_ISDATAAT: {
			int64_t pos = val_get(&sm->u.i.n, st) +
				      (sm->u.i.relative ? (int64_t)prev_end : 0);
			/* Suricata: absolute "byte N exists" (N < len); relative
			 * "N more bytes exist" (prev + N <= len) */
			bool has = sm->u.i.relative ? pos <= (int64_t)len : pos < (int64_t)len;
			if (has == sm->u.i.negated)
				return 0;
			break;
		}
		case YS_SM_BSIZE:
			if (!ys_num_cmp_match(&sm->u.bsize, len))
				return 0;
			break;
		case YS_SM_VERSION: {
			uint8_t bit = tls_text_version(d, len);
			if (!bit ||
			    !(((sm->u.ver.listed & bit) != 0) ^ ((sm->u.ver.negated & bit) != 0)))
				return 0;
			break;
		}
		}
	}
	/* In a stream window, a match ending in the old bytes was reported
	 * before: returning 0 makes the caller look further on. */
	return prev_end > st->min_end || st->min_end == 0 ? 1 : 0;
}

bool ys_sm_list_match(const struct ys_sig *s, const struct ys_sm *sms, uint32_t n,
		      const uint8_t *data, uint32_t len, struct ys_match_state *st)
{
	static const uint8_t empty[1] = { 0 };
	if (!data)
		data = empty;
	st->budget = 3000;
	return match_from(sms, 0, n, data, len, 0, st) == 1;
}

bool ys_sm_list_match_after(const struct ys_sig *s, const struct ys_sm *sms, uint32_t n,
			    const uint8_t *data, uint32_t len, uint32_t min_end,
			    struct ys_match_state *st)
{
	bool r;
	st->min_end = min_end;
	r = ys_sm_list_match(s, sms, n, data, len, st);
	st->min_end = 0;
	return r;
}

static bool bits_match(const struct ys_pm *pm, uint8_t v)
{
	v &= (uint8_t)~pm->ignore;
	switch (pm->mode) {
	case '+':
		return (v & pm->bits) == pm->bits;
	case '*':
		return (v & pm->bits) != 0 || pm->bits == 0;
	case '!':
		return (v & pm->bits) != pm->bits;
	default:
		return v == pm->bits;
	}
}

static bool ipopts_match(const struct ys_packet *pkt, uint8_t want)
{
	if (pkt->ip_version != 4 || !pkt->l3 || pkt->ip_hlen <= 20 || pkt->l3_len < pkt->ip_hlen)
		return false;
	const uint8_t *o = pkt->l3 + 20, *end = pkt->l3 + pkt->ip_hlen;
	while (o < end) {
		uint8_t t = o[0];
		if (want == 255 || t == want)
			return true;
		if (t == 0)
			break;
		if (t == 1) {
			o++;
			continue;
		}
		if (o + 1 >= end || o[1] < 2)
			break;
		o += o[1];
	}
	return false;
}

bool ys_pm_match(const struct ys_pm *pm, const struct ys_packet *pkt)
{
	bool icmp = pkt->proto == IPPROTO_ICMP || pkt->proto == IPPROTO_ICMPV6;

	switch (pm->type) {
	case YS_PM_TTL:
		return pkt->ip_version && ys_num_cmp_match(&pm->cmp, pkt->ttl);
	case YS_PM_TOS:
		return pkt->ip_version == 4 && ys_num_cmp_match(&pm->cmp, pkt->tos);
	case YS_PM_IP_PROTO:
		return pkt->ip_version && ys_num_cmp_match(&pm->cmp, pkt->proto);
	case YS_PM_ITYPE:
		return icmp && pkt->l4 && ys_num_cmp_match(&pm->cmp, pkt->icmp_type);
	case YS_PM_ICODE:
		return icmp && pkt->l4 && ys_num_cmp_match(&pm->cmp, pkt->icmp_code);
	case YS_PM_ICMP_ID:
		return icmp && pkt->l4 && ys_num_cmp_match(&pm->cmp, pkt->icmp_id);
	case YS_PM_ICMP_SEQ:
		return icmp && pkt->l4 && ys_num_cmp_match(&pm->cmp, pkt->icmp_seq);
	case YS_PM_DSIZE:
		return ys_num_cmp_match(&pm->cmp, pkt->payload_len);
	case YS_PM_TCP_FLAGS:
		return pkt->proto == IPPROTO_TCP && pkt->l4 && bits_match(pm, pkt->tcp_flags);
	case YS_PM_SEQ:
		return pkt->proto == IPPROTO_TCP && pkt->l4 &&
		       ys_num_cmp_match(&pm->cmp, pkt->tcp_seq);
	case YS_PM_ACK:
		return pkt->proto == IPPROTO_TCP && pkt->l4 &&
		       ys_num_cmp_match(&pm->cmp, pkt->tcp_ack);
	case YS_PM_WINDOW:
		return pkt->proto == IPPROTO_TCP && pkt->l4 &&
		       ys_num_cmp_match(&pm->cmp, pkt->tcp_win);
	case YS_PM_IP_ID:
		return pkt->ip_version == 4 && ys_num_cmp_match(&pm->cmp, pkt->ip_id);
	case YS_PM_SAMEIP:
		return pkt->ip_version && pkt->src.family == pkt->dst.family &&
		       memcmp(pkt->src.a, pkt->dst.a, pkt->src.family == 4 ? 4 : 16) == 0;
	case YS_PM_IPOPTS:
		return ipopts_match(pkt, pm->bits);
	case YS_PM_FRAGBITS:
		return pkt->ip_version == 4 &&
		       bits_match(pm, (uint8_t)((pkt->frag_off >> 8) & 0xe0));
	case YS_PM_FRAGOFFSET:
		return pkt->ip_version == 4 && ys_num_cmp_match(&pm->cmp, pkt->frag_off & 0x1fff);
	case YS_PM_STREAM_SIZE:
		return false;
	}
	return false;
}
