/*
 * The per-packet path: ys_detect_inspect().
 *
 *   1. pick the groups by array index: protocol class, direction, server port;
 *   2. prefilter: Hyperscan over the packet payload (and the reassembled
 *      stream for TCP) with the group databases, and over each app-layer
 *      buffer with that buffer's database; every hit marks its rules as
 *      candidates (a generation stamp dedupes without clearing);
 *   3. add the group's rules without a fast pattern;
 *   4. sort candidates (index = evaluation rank) and evaluate each: header,
 *      flow, packet keywords, flowbits/flowint checks, then the buffer match
 *      lists; on a match apply flowbits/flowint actions, pass verdicts,
 *      thresholds, and queue the alert;
 *   5. report alerts in rank order.
 *
 * Nothing here allocates, except the per-flow state the first time a flow
 * needs it. Scratch space (Hyperscan, PCRE2, candidate arrays) lives in the
 * ctx, one per worker.
 */
#include "detect_int.h"

#include "stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>
#include <netinet/in.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define YS_DETECT_PACKET_ALERT_MAX 15

struct pending {
	uint32_t sig;
	const uint8_t *payload;
	uint32_t payload_len;
	uint64_t tx_id;
};

struct ys_detect_ctx {
	struct ys_detect_engine *eng;
	hs_scratch_t *scratch;
	pcre2_match_data *md;
	struct ys_thr_table *thr;
	uint32_t *stamp;
	uint32_t gen;
	/* Per distinct address set (eng->addr_sets), then per distinct port set
	 * (eng->port_sets, from index naddr_sets): the packet (gen) whose results
	 * set_res holds; set_res bits: SET_SRC_KNOWN, SET_SRC_IN ... */
	uint32_t *set_gen;
	uint8_t *set_res;
	uint32_t *cand;
	uint32_t ncand;
	struct pending *alerts;
	uint32_t nalerts;
	uint64_t discarded; /* alerts past the per-packet maximum */
	uint8_t *xbuf;	    /* transformed buffer (dotprefix) */
	uint32_t xcap;
	const struct ys_detect_group *cur; /* group being scanned (callback) */
};

struct ys_detect_ctx *ys_detect_ctx_new(struct ys_detect_engine *eng)
{
	struct ys_detect_ctx *ctx;

	if (!eng || !eng->compiled) {
		errno = EINVAL;
		return NULL;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->eng = eng;
	if (eng->proto_scratch && hs_clone_scratch(eng->proto_scratch, &ctx->scratch) != HS_SUCCESS)
		goto out_free;
	ctx->md = pcre2_match_data_create(32, NULL);
	ctx->thr = ys_thr_table_new(32768);
	ctx->stamp = calloc(eng->nsigs + 1, sizeof(*ctx->stamp));
	ctx->cand = calloc(eng->nsigs + 1, sizeof(*ctx->cand));
	ctx->alerts = calloc(eng->nsigs + 1, sizeof(*ctx->alerts));
	ctx->set_gen = calloc(eng->naddr_sets + eng->nport_sets + 1, sizeof(*ctx->set_gen));
	ctx->set_res = calloc(eng->naddr_sets + eng->nport_sets + 1, sizeof(*ctx->set_res));
	ctx->xcap = 65536;
	ctx->xbuf = malloc(ctx->xcap);
	if (!ctx->xbuf || !ctx->md || !ctx->thr || !ctx->stamp || !ctx->cand || !ctx->alerts ||
	    !ctx->set_gen || !ctx->set_res)
		goto out_free;
	return ctx;
out_free:
	ys_detect_ctx_free(ctx);
	errno = ENOMEM;
	return NULL;
}

void ys_detect_ctx_free(struct ys_detect_ctx *ctx)
{
	if (!ctx)
		return;
	hs_free_scratch(ctx->scratch);
	pcre2_match_data_free(ctx->md);
	ys_thr_table_free(ctx->thr);
	free(ctx->stamp);
	free(ctx->cand);
	free(ctx->alerts);
	free(ctx->set_gen);
	free(ctx->set_res);
	free(ctx->xbuf);
	free(ctx);
}

static inline void cand_add(struct ys_detect_ctx *ctx, uint32_t sig)
{
	if (ctx->stamp[sig] != ctx->gen) {
		ctx->stamp[sig] = ctx->gen;
		ctx->cand[ctx->ncand++] = sig;
	}
}

static int on_hs_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		       void *user)
{
	struct ys_detect_ctx *ctx = user;
	const struct ys_detect_group *g = ctx->cur;

	for (uint32_t i = g->pat_first[id]; i < g->pat_first[id + 1]; i++)
		cand_add(ctx, g->pat_sigs[i]);
	return 0;
}

static void scan_group(struct ys_detect_ctx *ctx, uint32_t gno, const uint8_t *d, uint32_t len,
		       bool nofp)
{
	const struct ys_detect_group *g;
	if (!gno)
		return;
	g = ctx->eng->groups[gno - 1];
	if (g->db && d && len) {
		ctx->cur = g;
		if (ctx->eng->scan_hook)
			ctx->eng->scan_hook(ctx->eng->scan_hook_user, g->db, d, len);
		hs_scan(g->db, (const char *)d, len, 0, ctx->scratch, on_hs_match, ctx);
	}
	if (nofp)
		for (uint32_t i = 0; i < g->nnofp; i++)
			cand_add(ctx, g->nofp[i]);
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Candidates into evaluation order. Most packets have a few: insertion sort
 * (inline compares, no call per comparison) beats qsort there. */
static void cand_sort(uint32_t *v, uint32_t n)
{
	if (n > 32) {
		qsort(v, n, sizeof(*v), u32_cmp);
		return;
	}
	for (uint32_t i = 1; i < n; i++) {
		uint32_t x = v[i], j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static enum ys_pclass pkt_pclass(const struct ys_packet *pkt)
{
	switch (pkt->proto) {
	case IPPROTO_TCP:
		return YS_PC_TCP;
	case IPPROTO_UDP:
		return YS_PC_UDP;
	case IPPROTO_ICMP:
		return YS_PC_ICMP;
	case IPPROTO_ICMPV6:
		return YS_PC_ICMP6;
	default:
		return YS_PC_OTHER;
	}
}

#define SET_SRC_KNOWN (1u << 0)
#define SET_SRC_IN    (1u << 1)
#define SET_DST_KNOWN (1u << 2)
#define SET_DST_IN    (1u << 3)

/* The cached bits of set slot I for this packet (reset on a new packet). */
static inline uint8_t *set_bits(struct ys_detect_ctx *ctx, uint32_t i)
{
	if (ctx->set_gen[i] != ctx->gen) {
		ctx->set_gen[i] = ctx->gen;
		ctx->set_res[i] = 0;
	}
	return &ctx->set_res[i];
}

/* Does distinct address set SET hold the packet's source (DST false) or
 * destination address? Computed once per packet and set. */
static inline bool addr_in_set(struct ys_detect_ctx *ctx, uint32_t set, const struct ys_packet *pkt,
			       bool dst)
{
	uint8_t known = dst ? SET_DST_KNOWN : SET_SRC_KNOWN, in = dst ? SET_DST_IN : SET_SRC_IN;
	uint8_t *r;

	if (set == YS_SET_ANY)
		return true;
	r = set_bits(ctx, set);

	if (!(*r & known)) {
		bool m = ys_addr_set_match(&ctx->eng->addr_sets[set], dst ? &pkt->dst : &pkt->src);
		*r |= known | (m ? in : 0);
	}
	return (*r & in) != 0;
}

/* Same for distinct port set SET and the source or destination port. */
static inline bool port_in_set(struct ys_detect_ctx *ctx, uint32_t set, const struct ys_packet *pkt,
			       bool dst)
{
	uint8_t known = dst ? SET_DST_KNOWN : SET_SRC_KNOWN, in = dst ? SET_DST_IN : SET_SRC_IN;
	uint8_t *r;

	if (set == YS_SET_ANY)
		return true;
	r = set_bits(ctx, ctx->eng->naddr_sets + set);

	if (!(*r & known)) {
		bool m =
			ys_port_set_match(&ctx->eng->port_sets[set], dst ? pkt->dport : pkt->sport);
		*r |= known | (m ? in : 0);
	}
	return (*r & in) != 0;
}

static bool header_match(struct ys_detect_ctx *ctx, const struct ys_sig_pre *p,
			 const struct ys_packet *pkt)
{
	bool ports = pkt->proto == IPPROTO_TCP || pkt->proto == IPPROTO_UDP ||
		     pkt->proto == IPPROTO_SCTP;

	if ((p->flags & YS_SIG_F_IPV4_ONLY) && pkt->ip_version != 4)
		return false;
	if ((p->flags & YS_SIG_F_IPV6_ONLY) && pkt->ip_version != 6)
		return false;
	if (!ports && !p->ports_any)
		return false;
	if ((!ports ||
	     (port_in_set(ctx, p->sp_set, pkt, false) && port_in_set(ctx, p->dp_set, pkt, true))) &&
	    addr_in_set(ctx, p->src_set, pkt, false) && addr_in_set(ctx, p->dst_set, pkt, true))
		return true;
	if (p->flags & YS_SIG_F_BIDIR)
		return (!ports || (port_in_set(ctx, p->sp_set, pkt, true) &&
				   port_in_set(ctx, p->dp_set, pkt, false))) &&
		       addr_in_set(ctx, p->src_set, pkt, true) &&
		       addr_in_set(ctx, p->dst_set, pkt, false);
	return false;
}

static bool flow_match(uint8_t f, const struct ys_packet *pkt)
{
	if (!f || f == YS_FLOW_STATELESS)
		return true;
	if ((f & YS_FLOW_TO_SERVER) && !(pkt->flags & YS_PKT_TO_SERVER))
		return false;
	if ((f & YS_FLOW_TO_CLIENT) && !(pkt->flags & YS_PKT_TO_CLIENT))
		return false;
	if ((f & YS_FLOW_ESTABLISHED) && !(pkt->flags & YS_PKT_ESTABLISHED))
		return false;
	if ((f & YS_FLOW_NOT_ESTABLISHED) && (pkt->flags & YS_PKT_ESTABLISHED))
		return false;
	return true;
}

/* The checks on a rule's prefilter fields alone (see struct ys_sig_pre). */
static bool sig_pre_match(struct ys_detect_ctx *ctx, const struct ys_sig_pre *p,
			  const struct ys_packet *pkt, enum ys_pclass pc,
			  const struct ys_inspect *in)
{
	if (!(p->pclass_mask & (1u << pc)))
		return false;
	if (!flow_match(p->flow, pkt) || !header_match(ctx, p, pkt))
		return false;
	if (p->app_proto != YS_APP_UNKNOWN) {
		bool same = in && in->app_proto == p->app_proto;
		if (same == p->app_proto_neg)
			return false;
	}
	return true;
}

/* Evaluate sig S fully. On a match fills the alert payload fields. */
static bool sig_match(struct ys_detect_ctx *ctx, const struct ys_sig *s,
		      const struct ys_packet *pkt, const struct ys_inspect *in,
		      const struct ys_buf *stream, bool stream_mode, struct ys_detect_flow *df,
		      struct pending *out)
{
	struct ys_match_state st;

	/* the caller checked the prefilter fields (sig_pre_match) */
	for (uint32_t i = 0; i < s->npms; i++)
		if (!ys_pm_match(&s->pms[i], pkt))
			return false;
	for (uint32_t i = 0; i < s->nfbs; i++)
		if (!ys_flowbits_check(df, &s->fbs[i]))
			return false;

	st.md = ctx->md;
	st.min_end = 0;
	out->payload = pkt->payload;
	out->payload_len = pkt->payload_len;
	out->tx_id = UINT64_MAX;
	bool have_payload = false;
	for (uint32_t b = 0; b < s->nbm; b++) {
		const struct ys_bufmatch *bm = &s->bm[b];
		const struct ys_sm *sms = &s->sms[bm->first];
		bool ok = false;

		if (bm->buf == YS_BUF_PACKET || bm->buf == YS_BUF_STREAM) {
			/*
			 * Like Suricata: on a reassembled TCP session, payload rules
			 * look at the stream (each byte once: retransmissions and
			 * held out-of-order segments bring no new bytes, so no
			 * match); packet rules (tcp-pkt, dsize, no_stream) and
			 * everything else look at the packet payload.
			 */
			bool pkt_rule = (s->flags & (YS_SIG_F_TCP_PKT | YS_SIG_F_REQ_PACKET)) ||
					(s->flow & YS_FLOW_NO_STREAM);
			bool use_stream = stream_mode && !pkt_rule && bm->buf == YS_BUF_PACKET;
			if (bm->buf == YS_BUF_STREAM || (s->flags & YS_SIG_F_TCP_STREAM) ||
			    (s->flow & YS_FLOW_ONLY_STREAM))
				use_stream = true;
			if (!use_stream) {
				if (pkt->payload_len)
					ok = ys_sm_list_match(s, sms, bm->n, pkt->payload,
							      pkt->payload_len, &st);
				else if (bm->n && sms[0].type == YS_SM_ISDATAAT)
					ok = ys_sm_list_match(s, sms, bm->n, NULL, 0, &st);
				if (ok && !have_payload) {
					out->payload = pkt->payload;
					out->payload_len = pkt->payload_len;
				}
			} else if (stream && stream->len > stream->prefix_len) {
				/* the new bytes alone first (absolute offsets count from
				 * the segment, as Suricata's raw inspection mostly does),
				 * then the window for patterns split across segments */
				uint32_t pl = stream->prefix_len;
				ok = ys_sm_list_match(s, sms, bm->n, stream->data + pl,
						      stream->len - pl, &st);
				/* a rule that also needs an app-layer buffer alerts once per
				 * transaction: its stream part may match old window bytes */
				uint32_t min_end = (s->flags & YS_SIG_F_APPLAYER) ? 0 : pl;
				if (!ok && pl)
					ok = ys_sm_list_match_after(s, sms, bm->n, stream->data,
								    stream->len, min_end, &st);
				if (ok && !have_payload) {
					out->payload = stream->data + pl;
					out->payload_len = stream->len - pl;
				}
			}
			if (ok)
				have_payload = true;
		} else if (in) {
			for (uint32_t k = 0; k < in->nbufs && !ok; k++) {
				const struct ys_buf *buf = &in->bufs[k];
				if (buf->id != bm->buf)
					continue;
				if ((s->flow & YS_FLOW_TO_SERVER) &&
				    (buf->flags & YS_BUF_F_TO_CLIENT) &&
				    !(buf->flags & YS_BUF_F_TO_SERVER))
					continue;
				if ((s->flow & YS_FLOW_TO_CLIENT) &&
				    (buf->flags & YS_BUF_F_TO_SERVER) &&
				    !(buf->flags & YS_BUF_F_TO_CLIENT))
					continue;
				const uint8_t *d = buf->data;
				uint32_t dlen = buf->len;
				if (bm->xform & YS_XFORM_DOTPREFIX) {
					if (dlen + 1 > ctx->xcap)
						continue;
					ctx->xbuf[0] = '.';
					memcpy(ctx->xbuf + 1, d, dlen);
					d = ctx->xbuf;
					dlen++;
				}
				if (ys_sm_list_match(s, sms, bm->n, d, dlen, &st)) {
					ok = true;
					out->tx_id = buf->tx_id;
					if (!have_payload) {
						out->payload = buf->data;
						out->payload_len = buf->len;
						have_payload = true;
					}
				}
			}
		}
		if (!ok)
			return false;
	}
	/*
	 * flowint runs where Suricata runs it: with the packet keywords after
	 * the payload matched, in rule order, and a modification (=, +, -)
	 * takes effect at once, so "flowint:c,+,1; flowint:c,>,3;" counts
	 * every match of the rest of the rule and compares the new value.
	 */
	for (uint32_t i = 0; i < s->nfis; i++) {
		if (s->fis[i].op <= YS_FI_SUB)
			ys_flowint_apply(df, &s->fis[i]);
		else if (!ys_flowint_check(df, &s->fis[i]))
			return false;
	}
	return true;
}

unsigned ys_detect_inspect(struct ys_detect_ctx *ctx, struct ys_packet *pkt,
			   const struct ys_inspect *in, ys_alert_fn on_alert, void *user)
{
	const struct ys_detect_engine *eng = ctx->eng;
	struct ys_detect_flow *df = NULL;
	const struct ys_buf *stream = NULL;
	uint64_t present = 0;
	unsigned nalerts = 0;
	enum ys_pclass pc;
	int dir;

	if (!pkt->ip_version || eng->nsigs == 0)
		return 0;
	if (pkt->flow) {
		df = pkt->flow->detect;
		if (df && df->passed)
			return 0;
	}
	if (++ctx->gen == 0) {
		memset(ctx->stamp, 0, (eng->nsigs + 1) * sizeof(*ctx->stamp));
		memset(ctx->set_gen, 0,
		       (eng->naddr_sets + eng->nport_sets + 1) * sizeof(*ctx->set_gen));
		ctx->gen = 1;
	}
	ctx->ncand = 0;
	ctx->nalerts = 0;
	pc = pkt_pclass(pkt);
	dir = (pkt->flags & YS_PKT_TO_CLIENT) ? 1 : 0;

	if (in) {
		for (uint32_t k = 0; k < in->nbufs; k++) {
			const struct ys_buf *b = &in->bufs[k];
			if (b->id == YS_BUF_STREAM) {
				/* the packet's own direction (a packet may also release
				 * held data of the other direction: not its payload) */
				uint16_t want = dir ? YS_BUF_F_TO_CLIENT : YS_BUF_F_TO_SERVER;
				if ((b->flags & want) ||
				    !(b->flags & (YS_BUF_F_TO_CLIENT | YS_BUF_F_TO_SERVER)))
					stream = b;
				continue;
			}
			if (b->id >= YS_BUF_COUNT || b->id < YS_BUF_HTTP_URI)
				continue;
			present |= 1ull << b->id;
			scan_group(ctx, eng->buf_group[b->id], b->data, b->len, false);
		}
	}
	/* the server port's dedicated group, or the shared one plus the port's own */
	uint32_t gno = eng->any_group[pc][dir], gport = 0;
	if (eng->port_group[pc][dir]) {
		uint32_t t = eng->port_group[pc][dir][dir ? pkt->sport : pkt->dport];
		if (t & YS_PORT_GROUP_FULL)
			gno = t & ~YS_PORT_GROUP_FULL;
		else
			gport = t;
	}
	bool stream_mode = pc == YS_PC_TCP && pkt->flow && ys_stream_active(pkt->flow);
	if (!stream_mode) {
		scan_group(ctx, gno, pkt->payload, pkt->payload_len, true);
		scan_group(ctx, gport, pkt->payload, pkt->payload_len, true);
	} else {
		/* payload rules see the stream below; only packet rules the payload */
		scan_group(ctx, gno, NULL, 0, true);
		scan_group(ctx, gport, NULL, 0, true);
		scan_group(ctx, eng->pktonly_group[dir], pkt->payload, pkt->payload_len, false);
	}
	if (stream_mode && stream && stream->len > stream->prefix_len) {
		/* the new bytes plus enough old ones for a split fast pattern */
		uint32_t back = stream->prefix_len < eng->stream_overlap ? stream->prefix_len
									 : eng->stream_overlap;
		uint32_t from = stream->prefix_len - back;
		scan_group(ctx, gno, stream->data + from, stream->len - from, false);
		scan_group(ctx, gport, stream->data + from, stream->len - from, false);
	}
	if (present)
		for (uint32_t i = 0; i < eng->napp_nofp; i++) {
			const struct ys_sig *s = eng->sigs[eng->app_nofp[i]];
			if ((s->buf_mask & present) == s->buf_mask)
				cand_add(ctx, eng->app_nofp[i]);
		}
	/* IP-only rules run on the first packet of each flow direction only */
	bool iponly_skip = false;
	if (eng->has_iponly && pkt->flow && (pkt->flags & (YS_PKT_TO_SERVER | YS_PKT_TO_CLIENT))) {
		if (!df)
			df = ys_detect_flow_get(pkt->flow, eng);
		if (df) {
			iponly_skip = df->iponly_done[dir];
			df->iponly_done[dir] = true;
		}
	}
	if (ctx->ncand == 0)
		return 0;
	cand_sort(ctx->cand, ctx->ncand);

	for (uint32_t c = 0; c < ctx->ncand; c++) {
		const struct ys_sig_pre *p = &eng->pre[ctx->cand[c]];
		const struct ys_sig *s;
		struct pending pa;

		if (iponly_skip && (p->flags & YS_SIG_F_IPONLY))
			continue;
		if (!sig_pre_match(ctx, p, pkt, pc, in))
			continue;
		s = eng->sigs[ctx->cand[c]];
		if (p->has_flowvar && !df && pkt->flow)
			df = ys_detect_flow_get(pkt->flow, eng);
		if (!sig_match(ctx, s, pkt, in, stream, stream_mode, df, &pa))
			continue;
		for (uint32_t i = 0; i < s->nfbs; i++)
			if (s->fbs[i].op <= YS_FB_TOGGLE)
				ys_flowbits_apply(df, &s->fbs[i]);
		if (s->info.action == YS_ACTION_PASS) {
			/* pass: no alert, nothing after it on this packet, and the
			 * rest of the flow is not inspected */
			if (pkt->flow) {
				if (!df)
					df = ys_detect_flow_get(pkt->flow, eng);
				if (df)
					df->passed = true;
			}
			ctx->nalerts = 0;
			break;
		}
		if (s->flags & YS_SIG_F_NOALERT)
			continue;
		if ((s->flags & YS_SIG_F_APPLAYER) && pa.tx_id != UINT64_MAX && pkt->flow) {
			if (!df)
				df = ys_detect_flow_get(pkt->flow, eng);
			if (ys_detect_flow_tx_seen(df, s->idx, pa.tx_id))
				continue;
		}
		if (s->thr.type != YS_THR_NONE && !ys_thr_check(ctx->thr, s, pkt))
			continue;
		pa.sig = s->idx;
		ctx->alerts[ctx->nalerts++] = pa;
	}
	/* Suricata's detect.packet-alert-max (default 15): the highest ranked
	 * alerts of a packet are kept, the others are counted as discarded. */
	if (ctx->nalerts > YS_DETECT_PACKET_ALERT_MAX) {
		ctx->discarded += ctx->nalerts - YS_DETECT_PACKET_ALERT_MAX;
		ctx->nalerts = YS_DETECT_PACKET_ALERT_MAX;
	}
	for (uint32_t i = 0; i < ctx->nalerts; i++) {
		const struct pending *p = &ctx->alerts[i];
		struct ys_alert a;
		a.sig = &eng->sigs[p->sig]->info;
		a.pkt = pkt;
		a.flow = pkt->flow;
		a.in = in;
		a.tx_id = p->tx_id;
		a.payload = p->payload;
		a.payload_len = p->payload_len;
		if (on_alert)
			on_alert(&a, user);
		nalerts++;
	}
	return nalerts;
}
