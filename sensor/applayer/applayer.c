/*
 * App-layer dispatch: per flow, find the protocol from the first bytes of
 * each direction, then hand every in-order delivery (TCP, from the stream
 * stage) or datagram (UDP) to that protocol's parser. Also the configuration,
 * the per-worker ctx and the EVE entry point for output.
 *
 * Detection keeps at most YS_APP_PROBE_BYTES per direction while it needs more
 * bytes to decide (a method split as "GE" + "T /"); when it decides, the parser
 * is fed those bytes first, so nothing before the decision is lost.
 */
#include "applayer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applayer_int.h"

#define YS_APP_PROBE_BYTES 64
#define YS_UDP_PROBE_PKTS  4

struct ys_app_flow_priv {
	struct ys_app_flow pub;
	uint8_t probe[2][YS_APP_PROBE_BYTES];
	uint8_t probe_len[2];
	bool nomatch[2]; /* this direction's start matched nothing */
	uint8_t udp_pkts;
	bool tunneled; /* switched protocol once (HTTP CONNECT): no second switch */
	/* The parser state left behind by that switch: buffers of the switching call
	 * point into it, so it is freed at the next call (or with the flow). */
	const struct ys_app_parser *retired_parser;
	void *retired;
};

static void retired_free(struct ys_app_flow_priv *ap)
{
	if (ap->retired && ap->retired_parser)
		ap->retired_parser->state_free(ap->retired);
	ap->retired = NULL;
	ap->retired_parser = NULL;
}

int ys_dbuf_append(struct ys_dbuf *b, const void *data, size_t n, size_t limit)
{
	size_t room = limit > b->len ? limit - b->len : 0;

	if (n > room)
		n = room;
	if (n == 0)
		return 0;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		if (cap > limit)
			cap = limit;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = (uint32_t)cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += (uint32_t)n;
	return (int)n;
}

void ys_applayer_params_default(struct ys_applayer_params *p)
{
	p->request_body_limit = 100 * 1024;
	p->response_body_limit = 100 * 1024;
	p->decompress_layers = 3;
	p->http = p->dns = p->tls = p->ssh = true;
}

int ys_applayer_params_from_conf(const struct ys_conf *root, struct ys_applayer_params *p,
				 char *err, size_t errlen)
{
	const struct ys_conf *a = ys_conf_get(root, "app-layer");
	int64_t v;
	int rc;

	ys_applayer_params_default(p);
	if (!a)
		return 0;
	if ((rc = ys_conf_size(a, "http.request-body-limit", p->request_body_limit,
			       &p->request_body_limit, err, errlen)) < 0)
		return rc;
	if ((rc = ys_conf_size(a, "http.response-body-limit", p->response_body_limit,
			       &p->response_body_limit, err, errlen)) < 0)
		return rc;
	if ((rc = ys_conf_int(a, "http.response-decompress-layer-limit", p->decompress_layers, &v,
			      err, errlen)) < 0)
		return rc;
	if (v < 0 || v > 16) {
		snprintf(err, errlen,
			 "app-layer.http.response-decompress-layer-limit: out of range 0..16");
		return -EINVAL;
	}
	p->decompress_layers = (int)v;
	if ((rc = ys_conf_bool(a, "http.enabled", p->http, &p->http, err, errlen)) < 0 ||
	    (rc = ys_conf_bool(a, "dns.enabled", p->dns, &p->dns, err, errlen)) < 0 ||
	    (rc = ys_conf_bool(a, "tls.enabled", p->tls, &p->tls, err, errlen)) < 0 ||
	    (rc = ys_conf_bool(a, "ssh.enabled", p->ssh, &p->ssh, err, errlen)) < 0)
		return rc;
	return 0;
}

struct ys_applayer_ctx *ys_applayer_ctx_new(const struct ys_applayer_params *p)
{
	struct ys_applayer_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	if (p)
		ctx->p = *p;
	else
		ys_applayer_params_default(&ctx->p);
	ctx->needed = UINT64_MAX;
	ctx->htp_cfg = ys_http_cfg_new(&ctx->p);
	if (!ctx->htp_cfg) {
		free(ctx);
		errno = ENOMEM;
		return NULL;
	}
	return ctx;
}

void ys_applayer_ctx_free(struct ys_applayer_ctx *ctx)
{
	if (!ctx)
		return;
	ys_http_cfg_free(ctx->htp_cfg);
	free(ctx);
}

void ys_applayer_set_needed(struct ys_applayer_ctx *ctx, uint64_t buf_mask)
{
	ctx->needed = buf_mask;
}

const struct ys_applayer_stats *ys_applayer_stats(const struct ys_applayer_ctx *ctx)
{
	return &ctx->st;
}

enum ys_app_proto ys_applayer_proto(const struct ys_flow *f)
{
	const struct ys_app_flow *af = f ? f->app : NULL;

	return af ? af->proto : YS_APP_UNKNOWN;
}

static void parser_stop(struct ys_app_flow *af)
{
	if (af->parser && af->st)
		af->parser->state_free(af->st);
	af->st = NULL;
	af->stopped = true;
}

void ys_applayer_flow_release(void *app)
{
	struct ys_app_flow_priv *ap = app; /* pub is its first member */

	if (!ap)
		return;
	parser_stop(&ap->pub);
	retired_free(ap);
	free(ap);
}

static const struct ys_app_parser *parser_for(const struct ys_applayer_ctx *ctx,
					      enum ys_app_proto p)
{
	switch (p) {
	case YS_APP_HTTP:
		return ctx->p.http ? &ys_app_http_parser : NULL;
	case YS_APP_DNS:
		return ctx->p.dns ? &ys_app_dns_parser : NULL;
	case YS_APP_TLS:
		return ctx->p.tls ? &ys_app_tls_parser : NULL;
	case YS_APP_SSH:
		return ctx->p.ssh ? &ys_app_ssh_parser : NULL;
	default:
		return NULL;
	}
}

/* Protocol decided: set it up; false when no parser runs for it. */
static bool set_proto(struct ys_applayer_ctx *ctx, struct ys_app_flow *af, struct ys_flow *f,
		      enum ys_app_proto p)
{
	af->proto = p;
	ctx->st.flows[p]++;
	af->parser = parser_for(ctx, p);
	if (!af->parser)
		return false;
	af->st = af->parser->state_new(ctx, f);
	if (!af->st) {
		af->stopped = true;
		return false;
	}
	return true;
}

/* Returns 1 when the parser hands the flow over to another protocol (ctx->switch_off). */
static int feed(struct ys_applayer_ctx *ctx, struct ys_app_flow *af, int dir, const uint8_t *d,
		uint32_t len, uint32_t flags, uint64_t ts, struct ys_inspect *in)
{
	int rc;

	if (!af->parser || af->stopped || !af->st)
		return 0;
	ctx->cur_in = in;
	rc = af->parser->parse(ctx, af->st, dir, d, len, flags, ts, in);
	if (rc < 0) {
		if (flags & YS_STREAM_GAP)
			ctx->st.gaps++;
		/* Keep the state: buffers added by this call point into it. */
		af->stopped = true;
	}
	ctx->cur_in = NULL;
	return rc;
}

static void handle_tcp_dir(struct ys_applayer_ctx *ctx, struct ys_app_flow_priv *ap,
			   struct ys_flow *f, int dir, const uint8_t *d, uint32_t len,
			   uint32_t flags, uint64_t ts, struct ys_inspect *in);

/*
 * Feed a TCP parser; when it hands over (an HTTP CONNECT tunnel was set up),
 * detection starts again on the rest of the bytes, as on a new connection.
 */
static void feed_tcp(struct ys_applayer_ctx *ctx, struct ys_app_flow_priv *ap, struct ys_flow *f,
		     int dir, const uint8_t *d, uint32_t len, uint32_t flags, uint64_t ts,
		     struct ys_inspect *in)
{
	struct ys_app_flow *af = &ap->pub;
	uint32_t off;

	if (feed(ctx, af, dir, d, len, flags, ts, in) != 1 || ap->tunneled)
		return;
	off = ctx->switch_off < len ? ctx->switch_off : len;
	if (af->parser->packet_end) /* what the CONNECT transaction has, before it retires */
		af->parser->packet_end(ctx, af->st, in);
	ap->tunneled = true;
	ap->retired = af->st;
	ap->retired_parser = af->parser;
	af->st = NULL;
	af->parser = NULL;
	af->proto = YS_APP_UNKNOWN;
	af->stopped = false;
	memset(ap->probe_len, 0, sizeof(ap->probe_len));
	memset(ap->nomatch, 0, sizeof(ap->nomatch));
	ctx->st.tunnels++;
	if (len > off)
		handle_tcp_dir(ctx, ap, f, dir, d + off, len - off, flags, ts, in);
}

/* TCP: detection on the first bytes of DIR, then parsing. */
static void handle_tcp_dir(struct ys_applayer_ctx *ctx, struct ys_app_flow_priv *ap,
			   struct ys_flow *f, int dir, const uint8_t *d, uint32_t len,
			   uint32_t flags, uint64_t ts, struct ys_inspect *in)
{
	struct ys_app_flow *af = &ap->pub;
	enum ys_app_proto p;
	bool need_more = false;

	if (af->proto != YS_APP_UNKNOWN) {
		feed_tcp(ctx, ap, f, dir, d, len, flags, ts, in);
		return;
	}
	if (ap->nomatch[dir])
		return;
	if (len == 0) {
		if (flags & (YS_STREAM_EOF | YS_STREAM_GAP))
			ap->nomatch[dir] = true;
		goto out_decide_failed;
	}
	if (ap->probe_len[dir] == 0) {
		p = ys_app_detect_tcp(d, len, dir, f->client_port, f->server_port, &need_more);
		if (p != YS_APP_UNKNOWN) {
			if (set_proto(ctx, af, f, p))
				feed_tcp(ctx, ap, f, dir, d, len, flags, ts, in);
			return;
		}
		if (!need_more || len >= YS_APP_PROBE_BYTES) {
			ap->nomatch[dir] = true;
			goto out_decide_failed;
		}
	}
	/* Short start: gather up to YS_APP_PROBE_BYTES and decide on them. */
	{
		uint32_t room = YS_APP_PROBE_BYTES - ap->probe_len[dir];
		uint32_t take = len < room ? len : room;
		bool just_tried = ap->probe_len[dir] == 0; /* these bytes alone: "need more" */

		memcpy(ap->probe[dir] + ap->probe_len[dir], d, take);
		ap->probe_len[dir] += (uint8_t)take;
		if (just_tried)
			return;
		p = ys_app_detect_tcp(ap->probe[dir], ap->probe_len[dir], dir, f->client_port,
				      f->server_port, &need_more);
		if (p != YS_APP_UNKNOWN) {
			if (set_proto(ctx, af, f, p)) {
				feed_tcp(ctx, ap, f, dir, ap->probe[dir], ap->probe_len[dir], 0, ts,
					 in);
				feed_tcp(ctx, ap, f, dir, d + take, len - take, flags, ts, in);
			}
			return;
		}
		if (!need_more || ap->probe_len[dir] >= YS_APP_PROBE_BYTES)
			ap->nomatch[dir] = true;
	}
out_decide_failed:
	if (ap->nomatch[0] && ap->nomatch[1] && af->proto == YS_APP_UNKNOWN) {
		af->proto = YS_APP_FAILED;
		ctx->st.flows[YS_APP_FAILED]++;
	}
}

static void handle_udp(struct ys_applayer_ctx *ctx, struct ys_app_flow_priv *ap, struct ys_flow *f,
		       struct ys_packet *pkt, uint64_t ts, struct ys_inspect *in)
{
	struct ys_app_flow *af = &ap->pub;
	int dir = (pkt->flags & YS_PKT_TO_CLIENT) ? 1 : 0;

	if (!pkt->payload || pkt->payload_len == 0)
		return;
	if (af->proto == YS_APP_UNKNOWN) {
		bool port53 = f->server_port == 53 || f->client_port == 53;

		/* DNS has no magic bytes: like Suricata, only port 53 is probed (mDNS,
		 * LLMNR and the like are not "dns"), and the message must parse. */
		if (ctx->p.dns && port53 &&
		    ys_app_detect_dns(pkt->payload, pkt->payload_len, false)) {
			set_proto(ctx, af, f, YS_APP_DNS);
		} else if (++ap->udp_pkts >= YS_UDP_PROBE_PKTS) {
			af->proto = YS_APP_FAILED;
			ctx->st.flows[YS_APP_FAILED]++;
			return;
		} else {
			return;
		}
	}
	feed(ctx, af, dir, pkt->payload, pkt->payload_len, 0, ts, in);
}

int ys_applayer_handle(struct ys_applayer_ctx *ctx, const struct ys_stream_ctx *sctx,
		       struct ys_packet *pkt, struct ys_flow *f, struct ys_inspect *in,
		       uint64_t ts_usec)
{
	struct ys_app_flow_priv *ap;
	uint32_t n0;

	if (!ctx || !f || !in)
		return -EINVAL;
	n0 = in->nbufs;
	ctx->gen++;
	ap = f->app;
	if (ap && ap->retired) /* the last call's buffers are no longer in use */
		retired_free(ap);
	if (!ap) {
		if (f->proto != 6 && f->proto != 17)
			return 0;
		ap = calloc(1, sizeof(*ap));
		if (!ap)
			return 0;
		ap->pub.udp = f->proto == 17;
		f->app = ap;
	}
	if (f->proto == 17) {
		if (pkt && pkt->proto == 17)
			handle_udp(ctx, ap, f, pkt, ts_usec, in);
	} else if (f->proto == 6 && sctx) {
		for (int dir = 0; dir < 2; dir++) {
			const struct ys_stream_delivery *dl = ys_stream_delivery(sctx, dir);

			if (dl->flags & YS_STREAM_RESET) {
				/* A new session on the same tuple: start detection over. */
				parser_stop(&ap->pub);
				retired_free(ap);
				memset(ap, 0, sizeof(*ap));
			}
			if (dl->len || dl->flags)
				handle_tcp_dir(ctx, ap, f, dir, dl->data, dl->len, dl->flags,
					       ts_usec, in);
		}
	}
	if (ap->pub.parser && ap->pub.st && ap->pub.parser->packet_end)
		ap->pub.parser->packet_end(ctx, ap->pub.st, in);
	in->app_proto = (uint16_t)ap->pub.proto;
	in->app_flow = ap;
	return (int)(in->nbufs - n0);
}

int ys_applayer_eve(const void *app_flow, uint64_t tx_id, json_t *alert_obj)
{
	const struct ys_app_flow *af = app_flow;

	if (!af || !alert_obj || !af->parser || !af->parser->eve || !af->st)
		return -ENOENT;
	return af->parser->eve(af->st, tx_id, alert_obj);
}
