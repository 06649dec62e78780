/*
 * Internals shared by the app-layer files (not part of the public contract;
 * unit tests and fuzz targets use them to drive one parser directly).
 *
 * A parser is a table of functions: state_new/state_free per flow, parse()
 * for the bytes of one direction (in order; NULL data with YS_STREAM_EOF or
 * YS_STREAM_GAP flags signals the end or a hole) and eve() for alerts.
 */
#ifndef YS_APPLAYER_INT_H
#define YS_APPLAYER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "applayer.h"

/* A growable byte buffer with a hard limit. */
struct ys_dbuf {
	uint8_t *p;
	uint32_t len, cap;
};

/* Append up to LIMIT total bytes; returns bytes appended (may be short), -ENOMEM. */
int ys_dbuf_append(struct ys_dbuf *b, const void *data, size_t n, size_t limit);
static inline void ys_dbuf_free(struct ys_dbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

struct ys_app_parser {
	enum ys_app_proto proto;
	void *(*state_new)(struct ys_applayer_ctx *ctx, const struct ys_flow *f);
	void (*state_free)(void *st);
	/* Returns 0; -1 when the parser gives up on the flow (no more calls); 1 when
	 * the connection becomes a tunnel (HTTP CONNECT) whose bytes, from
	 * ctx->switch_off of this call's data on, are another protocol. */
	int (*parse)(struct ys_applayer_ctx *ctx, void *st, int dir, const uint8_t *data,
		     uint32_t len, uint32_t flags, uint64_t ts_usec, struct ys_inspect *in);
	/* Optional: called once per packet after both directions were parsed (also
	 * after the parser stopped): add the buffers of transactions that progressed. */
	void (*packet_end)(struct ys_applayer_ctx *ctx, void *st, struct ys_inspect *in);
	int (*eve)(const void *st, uint64_t tx_id, json_t *obj);
};

extern const struct ys_app_parser ys_app_http_parser;
extern const struct ys_app_parser ys_app_dns_parser;
extern const struct ys_app_parser ys_app_tls_parser;
extern const struct ys_app_parser ys_app_ssh_parser;

struct ys_app_flow {
	enum ys_app_proto proto;
	uint32_t probed[2]; /* bytes seen per direction while undetected */
	bool stopped;	    /* parser gave up: no more parsing, app_proto stays */
	bool udp;
	const struct ys_app_parser *parser;
	void *st;
};

struct ys_applayer_ctx {
	struct ys_applayer_params p;
	struct ys_applayer_stats st;
	void *htp_cfg; /* htp_cfg_t *, shared by this worker's HTTP flows */
	/* Set for the duration of a parse() call: where hooks add buffers. */
	struct ys_inspect *cur_in;
	/* parse() returned 1: the new protocol starts at this offset of its data. */
	uint32_t switch_off;
	/* Incremented by every ys_applayer_handle(): parse() may run twice for one
	 * packet (both directions delivered), and memory behind buffers added by
	 * the first run must survive the second. */
	uint64_t gen;
	/* Buffers some rule inspects (1ull << enum ys_buf_id); all by default. */
	uint64_t needed;
};

/* applayer_http.c: libhtp configuration for a ctx. */
void *ys_http_cfg_new(const struct ys_applayer_params *p);
void ys_http_cfg_free(void *cfg);

/* applayer_detect.c: protocol of the first bytes of a direction, or UNKNOWN (need
 * more / no match). *NEED_MORE is set when a longer prefix could still match. */
enum ys_app_proto ys_app_detect_tcp(const uint8_t *d, uint32_t len, int dir, uint16_t sport,
				    uint16_t dport, bool *need_more);
bool ys_app_detect_dns(const uint8_t *d, uint32_t len, bool strict);

/* applayer_dns.c: parse one DNS message (no TCP length prefix). */
#define YS_DNS_MAX_Q 8
#define YS_DNS_MAX_A 8
#define YS_DNS_ARENA 1024 /* bytes for all names and rdata text of one message */
struct ys_dns_rr {
	uint16_t name_off, name_len; /* into arena, NUL-terminated */
	uint16_t data_off, data_len; /* A/AAAA text, CNAME/NS/PTR/MX names; data_len 0 if none */
	uint16_t type, cls;
	uint32_t ttl;
};
struct ys_dns_msg {
	uint16_t id, flags;
	uint16_t qdcount, ancount;
	uint8_t nq, na; /* parsed (bounded by YS_DNS_MAX_*) */
	struct ys_dns_rr q[YS_DNS_MAX_Q];
	struct ys_dns_rr a[YS_DNS_MAX_A];
	uint16_t arena_len;
	char arena[YS_DNS_ARENA];
};
static inline const char *ys_dns_str(const struct ys_dns_msg *m, uint16_t off)
{
	return m->arena + off;
}
int ys_dns_parse(const uint8_t *msg, uint32_t len, struct ys_dns_msg *out);
const char *ys_dns_rrtype_name(uint16_t type, char *buf, size_t len);

/* applayer_tls.c: fingerprints of a ClientHello / ServerHello body (after the
 * 4-byte handshake header), for tests. 0 or -EINVAL. */
struct ys_tls_hello {
	uint16_t legacy_version, selected_version;
	char sni[256];
	char ja3[1024], ja3_md5[33];
	char ja4[40];
	char alpn[64];
};
int ys_tls_client_hello(const uint8_t *b, uint32_t len, struct ys_tls_hello *out);
int ys_tls_server_hello(const uint8_t *b, uint32_t len, struct ys_tls_hello *out);

#endif /* YS_APPLAYER_INT_H */
