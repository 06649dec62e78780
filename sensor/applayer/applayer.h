/*
 * Application layer: protocol detection by content and the parsers that turn
 * a flow's bytes into inspection buffers (applayer_buf.h) and EVE objects.
 *
 *   HTTP/1.x  OISF libhtp 0.5: request/response lines, headers, bodies
 *             (dechunked; gzip/deflate decompressed, nested layers limited)
 *   DNS       UDP and TCP (length-prefixed): queries and answers
 *   TLS       record layer, ClientHello/ServerHello/Certificate: SNI, versions,
 *             certificate subject/issuer/serial/fingerprint, JA3, JA3S, JA4
 *   SSH       banners (proto and software version)
 *   SMTP, FTP detected by banner/command only (app_proto, no buffers)
 *
 * An HTTP CONNECT that the proxy accepts turns the connection into a tunnel:
 * detection starts again on the tunnelled bytes (TLS to the real server, say),
 * once per flow, and app_proto becomes the tunnelled protocol.
 *
 * Detection looks at the first bytes of each direction (TCP: in-order stream
 * bytes from the stream stage; UDP: the payload): HTTP method/status line, TLS
 * record + handshake header, SSH banner, DNS on port 53 when the message parses.
 * After YS_APP_PROBE_MAX bytes per direction without a match, app_proto is
 * YS_APP_FAILED ("failed" in EVE) and the flow is not parsed.
 *
 * Transactions and buffers: a parser adds the buffers of every transaction
 * that progressed with this packet (request line+headers complete, request
 * body complete, response headers, response body complete; DNS message; TLS
 * handshake message). At each progress all buffers the transaction has so far
 * are added again (a rule may mix request and response buffers), so the same
 * tx_id may be presented with several packets: detection must alert at most
 * once per (flow, tx_id, rule), as Suricata does for transaction rules.
 * Bodies (http.request_body, file.data) are presented once, whole (up to the
 * body limit), when complete, when the limit is reached, or at end of flow.
 *
 * Threading and ownership: a ctx belongs to one worker (it holds libhtp's
 * configuration and scratch). f->app is owned by this module and released
 * with ys_applayer_flow_release() from the flow table's callback. Buffers added
 * to struct ys_inspect point into f->app or the ctx and stay valid until the
 * next ys_applayer_handle() on the same ctx. Memory per flow is bounded: body
 * limits, header field limits, at most YS_APP_MAX_LIVE_TX live HTTP
 * transactions, bounded TLS/DNS reassembly buffers.
 */
#ifndef YS_APPLAYER_H
#define YS_APPLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "applayer_buf.h"
#include "decode.h"
#include "flow.h"
#include "stream.h"
#include "ys_config.h"

#define YS_APP_PROBE_MAX   2048 /* bytes per direction tried before "failed" */
#define YS_APP_MAX_LIVE_TX 256	/* HTTP transactions alive per flow (pipelining bound) */

struct ys_applayer_params {
	uint64_t request_body_limit;  /* app-layer.http.request-body-limit, default 100 KiB */
	uint64_t response_body_limit; /* app-layer.http.response-body-limit, default 100 KiB */
	int decompress_layers;	      /* ...http.response-decompress-layer-limit, default 3 */
	bool http, dns, tls, ssh;     /* app-layer.<proto>.enabled, default true */
};

void ys_applayer_params_default(struct ys_applayer_params *p);
/* Defaults overridden by the "app-layer" node of ROOT (may be NULL). 0 or -EINVAL + ERR. */
int ys_applayer_params_from_conf(const struct ys_conf *root, struct ys_applayer_params *p,
				 char *err, size_t errlen);

struct ys_applayer_stats {
	uint64_t flows[YS_APP_COUNT]; /* flows detected per protocol (YS_APP_FAILED too) */
	uint64_t http_tx, dns_tx, tls_handshakes, ssh_banners;
	uint64_t http_errors;	/* libhtp reported an error or the flow was abandoned */
	uint64_t dns_malformed; /* messages that failed to parse */
	uint64_t tls_malformed;
	uint64_t gaps;		/* parsers stopped by a stream gap */
	uint64_t tx_limit_hits; /* flows abandoned at YS_APP_MAX_LIVE_TX */
	uint64_t tunnels;	/* HTTP CONNECT tunnels whose content was detected anew */
};

struct ys_applayer_ctx;

/* NULL + errno on failure. */
struct ys_applayer_ctx *ys_applayer_ctx_new(const struct ys_applayer_params *p);
void ys_applayer_ctx_free(struct ys_applayer_ctx *ctx);

/*
 * After ys_stream_handle() (TCP) for the same packet: detect the protocol,
 * parse what the stream delivered (or the UDP payload), add buffers to IN and
 * set in->app_proto and in->app_flow. PKT may be NULL after
 * ys_stream_flush_flow() (end of capture): then only the stream's deliveries
 * are parsed. TS_USEC is the packet time (or the last one seen, when flushing).
 * Returns the number of buffers added, or -EINVAL.
 */
int ys_applayer_handle(struct ys_applayer_ctx *ctx, const struct ys_stream_ctx *sctx,
		       struct ys_packet *pkt, struct ys_flow *f, struct ys_inspect *in,
		       uint64_t ts_usec);

/*
 * The buffers some loaded rule inspects (bit 1ull << enum ys_buf_id); parsers
 * may skip work whose only product is a buffer nobody reads (today: the X.509
 * parse of the server certificate, done for EVE on demand instead). Default:
 * all. Call from the worker after loading rules and after each reload, before
 * the next packet.
 */
void ys_applayer_set_needed(struct ys_applayer_ctx *ctx, uint64_t buf_mask);

/* App protocol of F (YS_APP_UNKNOWN before detection). */
enum ys_app_proto ys_applayer_proto(const struct ys_flow *f);

/* Release f->app (flow table release callback): frees parser state. NULL-safe. */
void ys_applayer_flow_release(void *app);

/*
 * Add the http{} / dns{} / tls{} / ssh{} object of transaction TX_ID of
 * APP_FLOW (in->app_flow) to the EVE alert object ALERT_OBJ (the whole event,
 * not its "alert" member). TX_ID UINT64_MAX: the most recent transaction.
 * Returns 0, -ENOENT when there is nothing to add, -ENOMEM.
 */
int ys_applayer_eve(const void *app_flow, uint64_t tx_id, json_t *alert_obj);

const struct ys_applayer_stats *ys_applayer_stats(const struct ys_applayer_ctx *ctx);

#endif /* YS_APPLAYER_H */
