/*
 * The rule parser: Suricata 7 syntax into a struct ys_sig.
 *
 *   action proto src sport dir dst dport (opt; opt:value; ...)
 *
 * Options are split on ';' not escaped by '\' (quotes do not protect ';', as
 * in Suricata). Each option is dispatched through the keyword table below; a
 * keyword we do not implement fails the rule with "keyword 'x': not
 * supported", anything malformed with the reason and keyword, and the header
 * with "syntax" and the position.
 *
 * Content-like matches (content, pcre, byte_*, isdataat, bsize) are first
 * collected in rule order with the buffer ("list") they apply to: the current
 * sticky buffer, or the packet payload, moved to a buffer by a legacy modifier
 * such as http_uri. At the end they are grouped per buffer (order kept) and
 * the relative links between neighbours are resolved, which is what the
 * matcher's backtracking needs.
 */
#include "detect_parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <netinet/in.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

void ys_kw_err(struct pctx *pc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pc->err, pc->errlen, fmt, ap);
	va_end(ap);
}

/* ---- small string helpers ---- */

char *ys_kw_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

/* Remove surrounding quotes and Suricata escapes (\" \; \\ \:) in place. */
int ys_kw_unquote(char *s, char **out)
{
	size_t n = strlen(s);
	char *w;

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		/* the closing quote must not itself be escaped */
		size_t bs = 0;
		while (n - 2 - bs > 0 && s[n - 2 - bs] == '\\')
			bs++;
		if (bs % 2)
			return -EINVAL;
		s[n - 1] = 0;
		s++;
	} else if (s[0] == '"') {
		return -EINVAL;
	}
	w = s;
	for (char *r = s; *r; r++) {
		if (*r == '\\' && r[1]) {
			r++;
		} else if (*r == '"') {
			return -EINVAL; /* an unescaped quote: a ';' is probably missing */
		}
		*w++ = *r;
	}
	*w = 0;
	*out = s;
	return 0;
}

int ys_kw_u64(const char *s, uint64_t *out)
{
	char *end;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '-' || *s == 0)
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int ys_kw_i64(const char *s, int64_t *out)
{
	char *end;
	while (isspace((unsigned char)*s))
		s++;
	errno = 0;
	long long v = strtoll(s, &end, 0);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || *end || end == s)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Split S at top-level commas into at most MAX trimmed fields. */
int ys_kw_split(char *s, char **f, int max)
{
	int n = 0;
	char *p = s;
	while (n < max) {
		char *c = strchr(p, ',');
		if (c)
			*c = 0;
		f[n++] = ys_kw_trim(p);
		if (!c)
			break;
		p = c + 1;
	}
	return n;
}

/* ---- numeric comparisons ---- */

bool ys_num_cmp_match(const struct ys_num_cmp *c, uint64_t v)
{
	switch (c->op) {
	case YS_CMP_EQ:
		return v == c->a;
	case YS_CMP_NE:
		return v != c->a;
	case YS_CMP_LT:
		return v < c->a;
	case YS_CMP_GT:
		return v > c->a;
	case YS_CMP_LE:
		return v <= c->a;
	case YS_CMP_GE:
		return v >= c->a;
	case YS_CMP_RANGE:
		return v > c->a && v < c->b;
	}
	return false;
}

int ys_num_cmp_parse(const char *in, struct ys_num_cmp *out)
{
	char buf[64];
	char *s, *p;

	if (strlen(in) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, in, strlen(in) + 1);
	s = ys_kw_trim(buf);
	memset(out, 0, sizeof(*out));
	if ((p = strstr(s, "<>")) != NULL) {
		*p = 0;
		if (ys_kw_u64(s, &out->a) < 0 || ys_kw_u64(p + 2, &out->b) < 0 || out->a >= out->b)
			return -EINVAL;
		out->op = YS_CMP_RANGE;
		return 0;
	}
	if (s[0] == '<' && s[1] == '=') {
		out->op = YS_CMP_LE;
		s += 2;
	} else if (s[0] == '>' && s[1] == '=') {
		out->op = YS_CMP_GE;
		s += 2;
	} else if (s[0] == '<') {
		out->op = YS_CMP_LT;
		s++;
	} else if (s[0] == '>') {
		out->op = YS_CMP_GT;
		s++;
	} else if (s[0] == '!' && s[1] == '=') {
		out->op = YS_CMP_NE;
		s += 2;
	} else if (s[0] == '!') {
		out->op = YS_CMP_NE;
		s++;
	} else if (s[0] == '=') {
		s++;
	}
	if (out->op == YS_CMP_EQ && (p = strchr(s, '-')) != NULL && p != s) {
		/* "a-b": inclusive range in Suricata's newer uint syntax */
		*p = 0;
		if (ys_kw_u64(s, &out->a) < 0 || ys_kw_u64(p + 1, &out->b) < 0 || out->a > out->b)
			return -EINVAL;
		if (out->a == 0)
			return -EINVAL;
		out->a -= 1;
		out->b += 1;
		out->op = YS_CMP_RANGE;
		return 0;
	}
	return ys_kw_u64(s, &out->a);
}

/* ---- meta keywords ---- */

int ys_kw_msg(struct pctx *pc, char *v)
{
	char *m;
	if (!v || ys_kw_unquote(ys_kw_trim(v), &m) < 0) {
		ys_kw_err(pc, "needs a quoted string (unescaped '\"' inside: missing ';'?)");
		return KW_BAD;
	}
	free((char *)pc->s->info.msg);
	pc->s->info.msg = strdup(m);
	return pc->s->info.msg ? KW_OK : KW_BAD;
}

static int kw_u32(struct pctx *pc, char *v, uint32_t *out)
{
	uint64_t x;
	if (!v || ys_kw_u64(v, &x) < 0 || x > 0xffffffffu) {
		ys_kw_err(pc, "invalid number \"%s\"", v ? v : "");
		return KW_BAD;
	}
	*out = (uint32_t)x;
	return KW_OK;
}

int ys_kw_sid(struct pctx *pc, char *v)
{
	int rc = kw_u32(pc, v, &pc->s->info.sid);
	if (rc == KW_OK && pc->s->info.sid == 0) {
		ys_kw_err(pc, "sid 0 is not allowed");
		return KW_BAD;
	}
	return rc;
}
int ys_kw_rev(struct pctx *pc, char *v)
{
	return kw_u32(pc, v, &pc->s->info.rev);
}
int ys_kw_gid(struct pctx *pc, char *v)
{
	return kw_u32(pc, v, &pc->s->info.gid);
}

int ys_kw_priority(struct pctx *pc, char *v)
{
	uint32_t p;
	if (kw_u32(pc, v, &p) != KW_OK || p == 0 || p > 255) {
		ys_kw_err(pc, "invalid priority");
		return KW_BAD;
	}
	pc->s->info.priority = (int)p;
	pc->has_priority = true;
	return KW_OK;
}

int ys_kw_classtype(struct pctx *pc, char *v)
{
	const struct ys_classtype *c;
	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	v = ys_kw_trim(v);
	c = ys_class_table_find(&pc->eng->classes, v);
	if (!c) {
		ys_kw_err(pc, "unknown classtype \"%s\"", v);
		return KW_BAD;
	}
	pc->s->info.classtype = c->name;
	pc->s->info.category = c->desc;
	if (!pc->has_priority)
		pc->s->info.priority = c->priority;
	return KW_OK;
}

int ys_kw_target(struct pctx *pc, char *v)
{
	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	v = ys_kw_trim(v);
	if (strcmp(v, "src_ip") == 0)
		pc->s->info.target = "src_ip";
	else if (strcmp(v, "dest_ip") == 0)
		pc->s->info.target = "dest_ip";
	else {
		ys_kw_err(pc, "must be src_ip or dest_ip");
		return KW_BAD;
	}
	return KW_OK;
}

int ys_kw_metadata(struct pctx *pc, char *v)
{
	char *p;
	if (!v)
		return KW_OK;
	for (p = v; p;) {
		char *c = strchr(p, ',');
		if (c)
			*c = 0;
		char *kv = ys_kw_trim(p);
		p = c ? c + 1 : NULL;
		if (!*kv)
			continue;
		char *sp = kv;
		while (*sp && !isspace((unsigned char)*sp))
			sp++;
		char *val = *sp ? ys_kw_trim(sp + 1) : sp;
		*sp = 0;
		struct ys_sig_meta *nm =
			realloc(pc->s->meta, (pc->s->nmeta + 1) * sizeof(*pc->s->meta));
		if (!nm) {
			ys_kw_err(pc, "out of memory");
			return KW_BAD;
		}
		pc->s->meta = nm;
		nm[pc->s->nmeta].key = strdup(kv);
		nm[pc->s->nmeta].value = strdup(val);
		pc->s->nmeta++;
		if (!nm[pc->s->nmeta - 1].key || !nm[pc->s->nmeta - 1].value) {
			ys_kw_err(pc, "out of memory");
			return KW_BAD;
		}
	}
	return KW_OK;
}

int ys_kw_reference(struct pctx *pc, char *v)
{
	if (!v || !strchr(v, ',')) {
		ys_kw_err(pc, "needs type,id");
		return KW_BAD;
	}
	return KW_OK;
}

int ys_kw_tag(struct pctx *pc, char *v)
{
	/* Accepted; tagging follow-up packets is not implemented (no-op). */
	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	v = ys_kw_trim(v);
	if (strncmp(v, "session", 7) != 0 && strncmp(v, "host", 4) != 0) {
		ys_kw_err(pc, "must be session or host");
		return KW_BAD;
	}
	return KW_OK;
}

/* ---- sticky buffers ---- */

static const struct {
	const char *name;
	uint16_t buf;
	enum ys_app_proto proto;
} sticky[] = {
	{ "pkt_data", YS_BUF_PACKET, YS_APP_UNKNOWN },
	{ "http.uri", YS_BUF_HTTP_URI, YS_APP_HTTP },
	{ "http.uri.raw", YS_BUF_HTTP_URI_RAW, YS_APP_HTTP },
	{ "http.method", YS_BUF_HTTP_METHOD, YS_APP_HTTP },
	{ "http.protocol", YS_BUF_HTTP_PROTOCOL, YS_APP_HTTP },
	{ "http_protocol", YS_BUF_HTTP_PROTOCOL, YS_APP_HTTP },
	{ "http.request_line", YS_BUF_HTTP_REQUEST_LINE, YS_APP_HTTP },
	{ "http_request_line", YS_BUF_HTTP_REQUEST_LINE, YS_APP_HTTP },
	{ "http.host", YS_BUF_HTTP_HOST, YS_APP_HTTP },
	{ "http.host.raw", YS_BUF_HTTP_HOST_RAW, YS_APP_HTTP },
	{ "http.header", YS_BUF_HTTP_HEADER, YS_APP_HTTP },
	{ "http.header.raw", YS_BUF_HTTP_HEADER_RAW, YS_APP_HTTP },
	{ "http.request_header", YS_BUF_HTTP_REQUEST_HEADER, YS_APP_HTTP },
	{ "http.response_header", YS_BUF_HTTP_RESPONSE_HEADER, YS_APP_HTTP },
	{ "http.header_names", YS_BUF_HTTP_HEADER_NAMES, YS_APP_HTTP },
	{ "http_header_names", YS_BUF_HTTP_HEADER_NAMES, YS_APP_HTTP },
	{ "http.user_agent", YS_BUF_HTTP_USER_AGENT, YS_APP_HTTP },
	{ "http.cookie", YS_BUF_HTTP_COOKIE, YS_APP_HTTP },
	{ "http.referer", YS_BUF_HTTP_REFERER, YS_APP_HTTP },
	{ "http_referer", YS_BUF_HTTP_REFERER, YS_APP_HTTP },
	{ "http.content_type", YS_BUF_HTTP_CONTENT_TYPE, YS_APP_HTTP },
	{ "http_content_type", YS_BUF_HTTP_CONTENT_TYPE, YS_APP_HTTP },
	{ "http.content_len", YS_BUF_HTTP_CONTENT_LEN, YS_APP_HTTP },
	{ "http_content_len", YS_BUF_HTTP_CONTENT_LEN, YS_APP_HTTP },
	{ "http.accept", YS_BUF_HTTP_ACCEPT, YS_APP_HTTP },
	{ "http_accept", YS_BUF_HTTP_ACCEPT, YS_APP_HTTP },
	{ "http.accept_lang", YS_BUF_HTTP_ACCEPT_LANG, YS_APP_HTTP },
	{ "http_accept_lang", YS_BUF_HTTP_ACCEPT_LANG, YS_APP_HTTP },
	{ "http.accept_enc", YS_BUF_HTTP_ACCEPT_ENC, YS_APP_HTTP },
	{ "http_accept_enc", YS_BUF_HTTP_ACCEPT_ENC, YS_APP_HTTP },
	{ "http.connection", YS_BUF_HTTP_CONNECTION, YS_APP_HTTP },
	{ "http_connection", YS_BUF_HTTP_CONNECTION, YS_APP_HTTP },
	{ "http.start", YS_BUF_HTTP_START, YS_APP_HTTP },
	{ "http_start", YS_BUF_HTTP_START, YS_APP_HTTP },
	{ "http.request_body", YS_BUF_HTTP_REQUEST_BODY, YS_APP_HTTP },
	{ "http.response_body", YS_BUF_FILE_DATA, YS_APP_HTTP },
	{ "http.stat_code", YS_BUF_HTTP_STAT_CODE, YS_APP_HTTP },
	{ "http.stat_msg", YS_BUF_HTTP_STAT_MSG, YS_APP_HTTP },
	{ "http.response_line", YS_BUF_HTTP_RESPONSE_LINE, YS_APP_HTTP },
	{ "http_response_line", YS_BUF_HTTP_RESPONSE_LINE, YS_APP_HTTP },
	{ "http.server", YS_BUF_HTTP_SERVER, YS_APP_HTTP },
	{ "http_server", YS_BUF_HTTP_SERVER, YS_APP_HTTP },
	{ "http.location", YS_BUF_HTTP_LOCATION, YS_APP_HTTP },
	{ "http_location", YS_BUF_HTTP_LOCATION, YS_APP_HTTP },
	{ "file.data", YS_BUF_FILE_DATA, YS_APP_UNKNOWN },
	{ "file_data", YS_BUF_FILE_DATA, YS_APP_UNKNOWN },
	{ "dns.query", YS_BUF_DNS_QUERY, YS_APP_DNS },
	{ "dns_query", YS_BUF_DNS_QUERY, YS_APP_DNS },
	{ "tls.sni", YS_BUF_TLS_SNI, YS_APP_TLS },
	{ "tls_sni", YS_BUF_TLS_SNI, YS_APP_TLS },
	{ "tls.cert_subject", YS_BUF_TLS_CERT_SUBJECT, YS_APP_TLS },
	{ "tls_cert_subject", YS_BUF_TLS_CERT_SUBJECT, YS_APP_TLS },
	{ "tls.cert_issuer", YS_BUF_TLS_CERT_ISSUER, YS_APP_TLS },
	{ "tls_cert_issuer", YS_BUF_TLS_CERT_ISSUER, YS_APP_TLS },
	{ "tls.cert_serial", YS_BUF_TLS_CERT_SERIAL, YS_APP_TLS },
	{ "tls_cert_serial", YS_BUF_TLS_CERT_SERIAL, YS_APP_TLS },
	{ "tls.cert_fingerprint", YS_BUF_TLS_CERT_FINGERPRINT, YS_APP_TLS },
	{ "tls_cert_fingerprint", YS_BUF_TLS_CERT_FINGERPRINT, YS_APP_TLS },
	{ "ja3.hash", YS_BUF_JA3_HASH, YS_APP_TLS },
	{ "ja3_hash", YS_BUF_JA3_HASH, YS_APP_TLS },
	{ "ja3.string", YS_BUF_JA3_STRING, YS_APP_TLS },
	{ "ja3_string", YS_BUF_JA3_STRING, YS_APP_TLS },
	{ "ja3s.hash", YS_BUF_JA3S_HASH, YS_APP_TLS },
	{ "ja3s.string", YS_BUF_JA3S_STRING, YS_APP_TLS },
	{ "ja4.hash", YS_BUF_JA4_HASH, YS_APP_TLS },
	{ "ssh.proto", YS_BUF_SSH_PROTO, YS_APP_SSH },
	{ "ssh_proto", YS_BUF_SSH_PROTO, YS_APP_SSH },
	{ "ssh.software", YS_BUF_SSH_SOFTWARE, YS_APP_SSH },
	{ "dns.response.rrname", YS_BUF_DNS_RESPONSE_RRNAME, YS_APP_DNS },
	{ "tls.random", YS_BUF_TLS_RANDOM, YS_APP_TLS },
	{ "tls.random_time", YS_BUF_TLS_RANDOM_TIME, YS_APP_TLS },
	{ "tls.random_bytes", YS_BUF_TLS_RANDOM_BYTES, YS_APP_TLS },
	{ "tls.subjectaltname", YS_BUF_TLS_SUBJECTALTNAME, YS_APP_TLS },
	{ "tls.certs", YS_BUF_TLS_CERTS, YS_APP_TLS },
	{ "ssh_software", YS_BUF_SSH_SOFTWARE, YS_APP_SSH },
};

static int sticky_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(sticky) / sizeof(sticky[0]); i++)
		if (strcmp(sticky[i].name, name) == 0)
			return (int)i;
	return -1;
}

typedef int (*kw_fn)(struct pctx *pc, char *v);

static const struct {
	const char *name;
	kw_fn fn;
} keywords[] = {
	{ "msg", ys_kw_msg },
	{ "sid", ys_kw_sid },
	{ "rev", ys_kw_rev },
	{ "gid", ys_kw_gid },
	{ "classtype", ys_kw_classtype },
	{ "priority", ys_kw_priority },
	{ "metadata", ys_kw_metadata },
	{ "reference", ys_kw_reference },
	{ "target", ys_kw_target },
	{ "content", ys_kw_content },
	{ "uricontent", ys_kw_uricontent },
	{ "nocase", ys_kw_nocase },
	{ "offset", ys_kw_offset },
	{ "depth", ys_kw_depth },
	{ "distance", ys_kw_distance },
	{ "within", ys_kw_within },
	{ "rawbytes", ys_kw_rawbytes },
	{ "fast_pattern", ys_kw_fast_pattern },
	{ "startswith", ys_kw_startswith },
	{ "endswith", ys_kw_endswith },
	{ "isdataat", ys_kw_isdataat },
	{ "pcre", ys_kw_pcre },
	{ "bsize", ys_kw_bsize },
	{ "dsize", ys_kw_dsize },
	{ "byte_test", ys_kw_byte_test },
	{ "byte_jump", ys_kw_byte_jump },
	{ "byte_extract", ys_kw_byte_extract },
	{ "ttl", ys_kw_ttl },
	{ "ip_proto", ys_kw_ip_proto },
	{ "itype", ys_kw_itype },
	{ "icode", ys_kw_icode },
	{ "icmp_id", ys_kw_icmp_id },
	{ "icmp_seq", ys_kw_icmp_seq },
	{ "flags", ys_kw_flags },
	{ "tcp.flags", ys_kw_flags },
	{ "seq", ys_kw_seq },
	{ "ack", ys_kw_ack },
	{ "window", ys_kw_window },
	{ "id", ys_kw_id },
	{ "tos", ys_kw_tos },
	{ "sameip", ys_kw_sameip },
	{ "ipopts", ys_kw_ipopts },
	{ "fragbits", ys_kw_fragbits },
	{ "fragoffset", ys_kw_fragoffset },
	{ "flow", ys_kw_flow },
	{ "flowbits", ys_kw_flowbits },
	{ "flowint", ys_kw_flowint },
	{ "threshold", ys_kw_threshold },
	{ "detection_filter", ys_kw_detection_filter },
	{ "tag", ys_kw_tag },
	{ "noalert", ys_kw_noalert },
	{ "urilen", ys_kw_urilen },
	{ "app-layer-protocol", ys_kw_app_layer_protocol },
	{ "pkt_data", ys_kw_pkt_data },
	{ "ssl_version", ys_kw_ssl_version },
	{ "tls.version", ys_kw_tls_version },
	{ "dotprefix", ys_kw_dotprefix },
	{ "prefilter", ys_kw_noop },
	{ "http_uri", ys_kw_http_uri },
	{ "http_raw_uri", ys_kw_http_raw_uri },
	{ "http_header", ys_kw_http_header },
	{ "http_raw_header", ys_kw_http_raw_header },
	{ "http_method", ys_kw_http_method },
	{ "http_client_body", ys_kw_http_client_body },
	{ "http_server_body", ys_kw_http_server_body },
	{ "http_cookie", ys_kw_http_cookie },
	{ "http_user_agent", ys_kw_http_user_agent },
	{ "http_host", ys_kw_http_host },
	{ "http_raw_host", ys_kw_http_raw_host },
	{ "http_stat_code", ys_kw_http_stat_code },
	{ "http_stat_msg", ys_kw_http_stat_msg },
};

/* Keywords Suricata has that we knowingly do not: the reason shown by -T. */
static const struct {
	const char *name, *why;
} unsupported[] = {
	{ "stream_size", "needs stream sequence tracking" },
	{ "xbits", "host/ip-pair bits not implemented" },
	{ "hostbits", "host bits not implemented" },
	{ "flowvar", "flow variables not implemented" },
	{ "pktvar", "packet variables not implemented" },
	{ "base64_decode", "base64 decoding not implemented" },
	{ "base64_data", "base64 decoding not implemented" },
	{ "asn1", "ASN.1 decoding not implemented" },
	{ "app-layer-event", "app-layer events not implemented" },
	{ "decode-event", "decoder events not implemented" },
	{ "stream-event", "stream events not implemented" },
	{ "ssl_state", "TLS handshake state not implemented" },
	{ "tls_cert_notbefore", "certificate validity not implemented" },
	{ "tls_cert_notafter", "certificate validity not implemented" },
	{ "tls_cert_expired", "certificate validity not implemented" },
	{ "tls_cert_valid", "certificate validity not implemented" },
	{ "tls.store", "certificate store not implemented" },
	{ "to_lowercase", "buffer transforms not implemented" },
	{ "to_uppercase", "buffer transforms not implemented" },
	{ "strip_whitespace", "buffer transforms not implemented" },
	{ "compress_whitespace", "buffer transforms not implemented" },
	{ "url_decode", "buffer transforms not implemented" },
	{ "xor", "buffer transforms not implemented" },
	{ "to_md5", "buffer transforms not implemented" },
	{ "to_sha1", "buffer transforms not implemented" },
	{ "to_sha256", "buffer transforms not implemented" },
	{ "pcrexform", "buffer transforms not implemented" },
	{ "header_lowercase", "buffer transforms not implemented" },
	{ "strip_pseudo_headers", "buffer transforms not implemented" },
	{ "luajit", "Lua not available" },
	{ "lua", "Lua not available" },
	{ "filestore", "file extraction not implemented" },
	{ "filemagic", "file inspection not implemented" },
	{ "filename", "file inspection not implemented" },
	{ "fileext", "file inspection not implemented" },
	{ "filemd5", "file inspection not implemented" },
	{ "filesha1", "file inspection not implemented" },
	{ "filesha256", "file inspection not implemented" },
	{ "filesize", "file inspection not implemented" },
	{ "file.name", "file inspection not implemented" },
	{ "file.magic", "file inspection not implemented" },
	{ "iprep", "IP reputation not implemented" },
	{ "geoip", "GeoIP not available" },
	{ "datarep", "datasets not implemented" },
	{ "dataset", "datasets not implemented" },
	{ "byte_math", "byte_math not implemented" },
	{ "entropy", "entropy not implemented" },
	{ "icmpv6.mtu", "not implemented" },
	{ "ipv4.hdr", "not implemented" },
	{ "ipv6.hdr", "not implemented" },
	{ "tcp.hdr", "not implemented" },
	{ "udp.hdr", "not implemented" },
	{ "tcp.mss", "not implemented" },
	{ "replace", "IPS mode not implemented" },
	{ "requires", "not implemented" },
	{ "krb5_msg_type", "Kerberos inspection not implemented" },
	{ "smb.named_pipe", "SMB inspection not implemented" },
	{ "smb.share", "SMB inspection not implemented" },
	{ "dce_iface", "DCERPC inspection not implemented" },
	{ "dce_opnum", "DCERPC inspection not implemented" },
	{ "dce_stub_data", "DCERPC inspection not implemented" },
	{ "ftpbounce", "FTP inspection not implemented" },
	{ "ftpdata_command", "FTP inspection not implemented" },
	{ "ja4.hash", "JA4 buffer not produced" },
	{ "msl", "not a Suricata keyword" },
	{ "label", "not a Suricata keyword" },
	{ "ephermeral", "not a Suricata keyword" },
	{ "https", "not a Suricata keyword" },
};

/* ---- header ---- */

/* Next whitespace-separated header token; brackets group. Returns NULL at the end. */
static char *next_token(char **pp)
{
	char *p = *pp;
	int lvl = 0;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return NULL;
	char *start = p;
	for (; *p; p++) {
		if (*p == '[')
			lvl++;
		else if (*p == ']')
			lvl--;
		else if (isspace((unsigned char)*p) && lvl <= 0)
			break;
	}
	if (*p)
		*p++ = 0;
	*pp = p;
	return start;
}

static int parse_header(struct pctx *pc, char *h, const char *rule_start)
{
	char *tok[7];
	int n = 0;
	char *p = h, *t;
	struct ys_sig *s = pc->s;

	while ((t = next_token(&p)) != NULL) {
		if (n == 7) {
			ys_kw_err(pc, "too many fields in the rule header at column %d",
				  (int)(t - rule_start) + 1);
			return KW_BAD;
		}
		tok[n++] = t;
	}
	if (n != 7 && n != 2) {
		ys_kw_err(pc,
			  "rule header needs 'action proto src sport dir dst dport' (%d fields)",
			  n);
		return KW_BAD;
	}
	/* action */
	if (strcmp(tok[0], "alert") == 0)
		s->info.action = YS_ACTION_ALERT;
	else if (strcmp(tok[0], "drop") == 0)
		s->info.action = YS_ACTION_DROP;
	else if (strcmp(tok[0], "reject") == 0 || strcmp(tok[0], "rejectsrc") == 0 ||
		 strcmp(tok[0], "rejectdst") == 0 || strcmp(tok[0], "rejectboth") == 0)
		s->info.action = YS_ACTION_REJECT;
	else if (strcmp(tok[0], "pass") == 0)
		s->info.action = YS_ACTION_PASS;
	else {
		ys_kw_err(pc, "unknown action \"%s\" at column 1", tok[0]);
		return KW_BAD;
	}
	/* protocol */
	const char *proto = tok[1];
	s->proto = YS_SIG_PROTO_IP;
	s->pclass_mask = (1u << YS_PC_COUNT) - 1;
	if (strcmp(proto, "ip") == 0 || strcmp(proto, "pkthdr") == 0) {
	} else if (strcmp(proto, "ipv4") == 0 || strcmp(proto, "ip4") == 0) {
		s->flags |= YS_SIG_F_IPV4_ONLY;
	} else if (strcmp(proto, "ipv6") == 0 || strcmp(proto, "ip6") == 0) {
		s->flags |= YS_SIG_F_IPV6_ONLY;
	} else if (strcmp(proto, "tcp") == 0) {
		s->proto = IPPROTO_TCP;
	} else if (strcmp(proto, "tcp-pkt") == 0) {
		s->proto = IPPROTO_TCP;
		s->flags |= YS_SIG_F_TCP_PKT;
	} else if (strcmp(proto, "tcp-stream") == 0) {
		s->proto = IPPROTO_TCP;
		s->flags |= YS_SIG_F_TCP_STREAM;
	} else if (strcmp(proto, "udp") == 0) {
		s->proto = IPPROTO_UDP;
	} else if (strcmp(proto, "icmp") == 0) {
		s->proto = IPPROTO_ICMP;
		s->pclass_mask = (1u << YS_PC_ICMP) | (1u << YS_PC_ICMP6);
	} else if (strcmp(proto, "icmpv4") == 0) {
		s->proto = IPPROTO_ICMP;
	} else if (strcmp(proto, "icmpv6") == 0) {
		s->proto = IPPROTO_ICMPV6;
	} else {
		enum ys_app_proto ap = ys_app_proto_parse(proto);
		if (ap == YS_APP_UNKNOWN || ap == YS_APP_FAILED) {
			ys_kw_err(pc, "unknown protocol \"%s\" at column %d", proto,
				  (int)(tok[1] - rule_start) + 1);
			return KW_BAD;
		}
		s->app_proto = (uint16_t)ap;
		/* DNS and a few others run over both; the rest over TCP. */
		switch (ap) {
		case YS_APP_DNS:
		case YS_APP_IKE:
		case YS_APP_KRB5:
		case YS_APP_NFS:
		case YS_APP_DCERPC:
		case YS_APP_SIP:
			s->pclass_mask = (1u << YS_PC_TCP) | (1u << YS_PC_UDP);
			break;
		case YS_APP_DHCP:
		case YS_APP_SNMP:
		case YS_APP_NTP:
		case YS_APP_TFTP:
			s->proto = IPPROTO_UDP;
			break;
		default:
			s->proto = IPPROTO_TCP;
			break;
		}
	}
	if (s->proto == IPPROTO_TCP)
		s->pclass_mask = 1u << YS_PC_TCP;
	else if (s->proto == IPPROTO_UDP)
		s->pclass_mask = 1u << YS_PC_UDP;
	else if (s->proto == IPPROTO_ICMPV6)
		s->pclass_mask = 1u << YS_PC_ICMP6;
	else if (s->proto == IPPROTO_ICMP && strcmp(proto, "icmpv4") == 0)
		s->pclass_mask = 1u << YS_PC_ICMP;
	else if (s->proto == IPPROTO_ICMP)
		s->proto = YS_SIG_PROTO_IP; /* "icmp" is ICMPv4 or ICMPv6: pclass says which */
	if (n == 2) {
		/* Suricata 7 "alert http (..)" short form without addresses? Not valid: */
		ys_kw_err(pc, "rule header needs addresses and ports");
		return KW_BAD;
	}
	char err[192];
	if (ys_addr_set_parse(pc->eng->vars, tok[2], &s->src, err, sizeof(err)) < 0) {
		ys_kw_err(pc, "source address at column %d: %s", (int)(tok[2] - rule_start) + 1,
			  err);
		return KW_BAD;
	}
	if (ys_port_set_parse(pc->eng->vars, tok[3], &s->sp, err, sizeof(err)) < 0) {
		ys_kw_err(pc, "source port at column %d: %s", (int)(tok[3] - rule_start) + 1, err);
		return KW_BAD;
	}
	if (strcmp(tok[4], "<>") == 0) {
		s->flags |= YS_SIG_F_BIDIR;
	} else if (strcmp(tok[4], "->") != 0) {
		ys_kw_err(pc, "direction must be -> or <> at column %d",
			  (int)(tok[4] - rule_start) + 1);
		return KW_BAD;
	}
	if (ys_addr_set_parse(pc->eng->vars, tok[5], &s->dst, err, sizeof(err)) < 0) {
		ys_kw_err(pc, "destination address at column %d: %s",
			  (int)(tok[5] - rule_start) + 1, err);
		return KW_BAD;
	}
	if (ys_port_set_parse(pc->eng->vars, tok[6], &s->dp, err, sizeof(err)) < 0) {
		ys_kw_err(pc, "destination port at column %d: %s", (int)(tok[6] - rule_start) + 1,
			  err);
		return KW_BAD;
	}
	return KW_OK;
}

/* ---- finish ---- */

/*
 * How selective a fast pattern is, as Suricata scores it: each distinct byte
 * counts (letters 3, printable/00/01/ff 4, other bytes 6), each repeat 1. A
 * run of zero bytes thus loses against a shorter varied pattern: in zero-rich
 * payloads it would match, or nearly match, everywhere and slow the prefilter.
 */
static uint32_t pattern_strength(const struct ys_sm *sm)
{
	const uint8_t *p = sm->u.c.pat;
	uint32_t len = sm->u.c.len, st = 0;
	uint8_t seen[256] = { 0 };

	if (sm->flags & YS_CF_FAST_CHOP) {
		p += sm->u.c.chop_off;
		len = sm->u.c.chop_len;
	}
	for (uint32_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		if (seen[c]) {
			st++;
			continue;
		}
		seen[c] = 1;
		if (isalpha(c))
			st += 3;
		else if (isprint(c) || c == 0x00 || c == 0x01 || c == 0xff)
			st += 4;
		else
			st += 6;
	}
	return st;
}

static int finish(struct pctx *pc)
{
	struct ys_sig *s = pc->s;
	uint32_t o = 0;
	int32_t fp = -1, fp_new = -1;
	uint32_t fp_len = 0;

	if (s->info.sid == 0) {
		ys_kw_err(pc, "rule has no sid");
		return KW_BAD;
	}
	if (!s->info.msg) {
		s->info.msg = strdup("");
		if (!s->info.msg)
			return KW_BAD;
	}
	/* Group content-like matches by buffer, keeping rule order. */
	s->sms = calloc(pc->nsms ? pc->nsms : 1, sizeof(*s->sms));
	if (!s->sms) {
		ys_kw_err(pc, "out of memory");
		return KW_BAD;
	}
	bool used[YS_MAX_SMS] = { false };
	for (uint32_t i = 0; i < pc->nsms; i++) {
		if (used[i])
			continue;
		uint16_t list = pc->sms[i].list;
		if (s->nbm >= YS_MAX_BUFMATCH) {
			ys_kw_err(pc, "too many buffers in one rule");
			return KW_BAD;
		}
		struct ys_bufmatch *bm = &s->bm[s->nbm++];
		bm->buf = list;
		bm->xform = pc->xform[list];
		bm->first = o;
		for (uint32_t j = i; j < pc->nsms; j++) {
			if (used[j] || pc->sms[j].list != list)
				continue;
			used[j] = true;
			struct ys_sm *sm = &s->sms[o];
			*sm = pc->sms[j].sm;
			/* pattern ownership moves to the sig */
			pc->sms[j].sm.u.c.pat = NULL;
			pc->sms[j].sm.u.p.code = NULL;
			if (pc->sms[j].relative) {
				if (sm->type == YS_SM_CONTENT)
					sm->flags |= YS_CF_RELATIVE;
				if (o > bm->first)
					s->sms[o - 1].flags |= YS_CF_REL_NEXT;
			}
			if (sm->type == YS_SM_CONTENT && !(sm->flags & YS_CF_NEGATED)) {
				uint32_t st = pattern_strength(sm);
				if (sm->flags & YS_CF_FAST)
					fp_new = (int32_t)o;
				if (st > fp_len ||
				    (st == fp_len && fp >= 0 && sm->u.c.len > s->sms[fp].u.c.len)) {
					fp_len = st;
					fp = (int32_t)o;
				}
			}
			o++;
			s->nsms = o; /* so that ys_sig_free() releases what moved */
		}
		bm->n = o - bm->first;
		if (list >= YS_BUF_HTTP_URI) {
			s->buf_mask |= 1ull << list;
			s->flags |= YS_SIG_F_APPLAYER;
			if (s->app_proto == YS_APP_UNKNOWN) {
				int si = -1;
				for (size_t k = 0; k < sizeof(sticky) / sizeof(sticky[0]); k++)
					if (sticky[k].buf == list) {
						si = (int)k;
						break;
					}
				if (si >= 0 && sticky[si].proto != YS_APP_UNKNOWN) {
					s->app_proto = (uint16_t)sticky[si].proto;
					if (s->proto == YS_SIG_PROTO_IP) {
						s->proto = IPPROTO_TCP;
						if (sticky[si].proto == YS_APP_DNS)
							s->pclass_mask = (1u << YS_PC_TCP) |
									 (1u << YS_PC_UDP);
						else
							s->pclass_mask = 1u << YS_PC_TCP;
						if (sticky[si].proto == YS_APP_DNS)
							s->proto = YS_SIG_PROTO_IP;
					}
				}
			}
		}
	}
	s->nsms = o;
	if (fp_new >= 0) {
		fp = fp_new;
	} else if (fp >= 0 && (s->flags & YS_SIG_F_APPLAYER)) {
		/* A rule that needs an app-layer buffer is found through that
		 * buffer's database: its payload part may match stream bytes that
		 * arrived before the transaction completed (outside what the
		 * stream prefilter rescans). Take the longest app-layer content. */
		int32_t best = -1;
		uint32_t best_len = 0;
		for (uint32_t b = 0; b < s->nbm; b++) {
			if (s->bm[b].buf < YS_BUF_HTTP_URI)
				continue;
			for (uint32_t k = s->bm[b].first; k < s->bm[b].first + s->bm[b].n; k++) {
				const struct ys_sm *sm = &s->sms[k];
				if (sm->type == YS_SM_CONTENT && !(sm->flags & YS_CF_NEGATED) &&
				    sm->u.c.len > best_len) {
					best = (int32_t)k;
					best_len = sm->u.c.len;
				}
			}
		}
		if (best >= 0)
			fp = best;
	}
	s->fp_sm = fp;
	if (fp >= 0) {
		for (uint32_t b = 0; b < s->nbm; b++)
			if ((uint32_t)fp >= s->bm[b].first &&
			    (uint32_t)fp < s->bm[b].first + s->bm[b].n) {
				s->fp_buf = s->bm[b].buf;
				s->fp_xform = s->bm[b].xform;
			}
		/* dotprefix adds a '.' the raw buffer lacks: prefilter without it */
		struct ys_sm *f = &s->sms[fp];
		if ((s->fp_xform & YS_XFORM_DOTPREFIX) && !(f->flags & YS_CF_FAST_CHOP) &&
		    f->u.c.pat[0] == '.') {
			if (f->u.c.len == 1) {
				s->fp_sm = -1;
			} else {
				f->flags |= YS_CF_FAST_CHOP;
				f->u.c.chop_off = 1;
				f->u.c.chop_len = (uint16_t)(f->u.c.len - 1);
			}
		}
	}
	/* Packet keywords, flowbits, flowints. */
	if (pc->npms) {
		s->pms = malloc(pc->npms * sizeof(*s->pms));
		if (!s->pms)
			return KW_BAD;
		memcpy(s->pms, pc->pms, pc->npms * sizeof(*s->pms));
		s->npms = pc->npms;
	}
	bool fb_set = false, fb_read = false;
	if (pc->nfbs) {
		s->fbs = malloc(pc->nfbs * sizeof(*s->fbs));
		if (!s->fbs)
			return KW_BAD;
		memcpy(s->fbs, pc->fbs, pc->nfbs * sizeof(*s->fbs));
		s->nfbs = pc->nfbs;
		for (uint32_t i = 0; i < s->nfbs; i++) {
			if (s->fbs[i].op == YS_FB_ISSET || s->fbs[i].op == YS_FB_ISNOTSET)
				fb_read = true;
			else
				fb_set = true;
		}
	}
	s->fb_order = fb_set && !fb_read ? 3 : fb_set && fb_read ? 2 : fb_read ? 1 : 0;
	bool fi_set = false, fi_read = false;
	if (pc->nfis) {
		s->fis = malloc(pc->nfis * sizeof(*s->fis));
		if (!s->fis)
			return KW_BAD;
		memcpy(s->fis, pc->fis, pc->nfis * sizeof(*s->fis));
		s->nfis = pc->nfis;
		for (uint32_t i = 0; i < s->nfis; i++) {
			if (s->fis[i].op <= YS_FI_SUB)
				fi_set = true;
			else
				fi_read = true;
		}
	}
	s->fi_order = fi_set && !fi_read ? 3 : fi_set && fi_read ? 2 : fi_read ? 1 : 0;
	/*
	 * Suricata's IP-only rules: nothing but addresses (ports any for TCP and
	 * UDP), no protocol, payload, packet or flow keyword, flowbits only
	 * written. Suricata runs them once per flow and direction, on the first
	 * packet; so do we (see ys_detect_inspect()).
	 */
	bool ports_any = s->sp.any && s->dp.any;
	if (s->app_proto == YS_APP_UNKNOWN && s->nsms == 0 && s->npms == 0 && s->nfis == 0 &&
	    !s->flow && !fb_read && ports_any &&
	    !(s->flags & (YS_SIG_F_TCP_PKT | YS_SIG_F_TCP_STREAM)))
		s->flags |= YS_SIG_F_IPONLY;
	s->nbyte_vars = pc->nvars;
	if (s->info.gid == 0)
		s->info.gid = 1;
	return KW_OK;
}

void ys_sig_free(struct ys_sig *s)
{
	if (!s)
		return;
	free((char *)s->info.msg);
	for (uint32_t i = 0; i < s->nsms; i++) {
		if (s->sms[i].type == YS_SM_CONTENT)
			free(s->sms[i].u.c.pat);
		else if (s->sms[i].type == YS_SM_PCRE)
			pcre2_code_free(s->sms[i].u.p.code);
	}
	free(s->sms);
	free(s->pms);
	free(s->fbs);
	free(s->fis);
	for (uint32_t i = 0; i < s->nmeta; i++) {
		free((char *)s->meta[i].key);
		free((char *)s->meta[i].value);
	}
	free(s->meta);
	free(s->raw);
	ys_addr_set_clear(&s->src);
	ys_addr_set_clear(&s->dst);
	ys_port_set_clear(&s->sp);
	ys_port_set_clear(&s->dp);
	free(s);
}

static void pctx_cleanup(struct pctx *pc)
{
	for (uint32_t i = 0; i < pc->nsms; i++) {
		if (pc->sms[i].sm.type == YS_SM_CONTENT)
			free(pc->sms[i].sm.u.c.pat);
		else if (pc->sms[i].sm.type == YS_SM_PCRE)
			pcre2_code_free(pc->sms[i].sm.u.p.code);
	}
}

/* Find the sid early so that errors can name it even when parsing stops first. */
static uint32_t scan_sid(const char *text)
{
	const char *p = text;
	while ((p = strstr(p, "sid")) != NULL) {
		if ((p == text || p[-1] == ';' || p[-1] == ' ' || p[-1] == '(' || p[-1] == '\t')) {
			const char *q = p + 3;
			while (*q == ' ')
				q++;
			if (*q == ':') {
				q++;
				while (*q == ' ')
					q++;
				return (uint32_t)strtoul(q, NULL, 10);
			}
		}
		p += 3;
	}
	return 0;
}

int ys_detect_sig_parse(struct ys_detect_engine *eng, const char *text, const char *file,
			unsigned line, struct ys_sig **out, char *kw, size_t kwlen, char *err,
			size_t errlen, uint32_t *sid_out)
{
	struct pctx *pc;
	char *copy = NULL, *open, *p;
	int rc = KW_BAD;

	*out = NULL;
	*sid_out = scan_sid(text);
	snprintf(kw, kwlen, "syntax");
	pc = calloc(1, sizeof(*pc));
	if (!pc) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pc->eng = eng;
	pc->err = err;
	pc->errlen = errlen;
	pc->last_content = pc->last_sm = -1;
	pc->cur_list = YS_BUF_PACKET;
	pc->s = calloc(1, sizeof(*pc->s));
	copy = strdup(text);
	if (!pc->s || !copy) {
		snprintf(err, errlen, "out of memory");
		rc = KW_BAD;
		goto out;
	}
	pc->s->info.priority = 3;
	pc->s->info.category = "";
	pc->s->info.file = file;
	pc->s->info.line = line;
	pc->s->fp_sm = -1;
	open = strchr(copy, '(');
	if (!open) {
		ys_kw_err(pc, "missing '(' before the options");
		goto out;
	}
	*open = 0;
	rc = parse_header(pc, copy, copy);
	if (rc != KW_OK)
		goto out;
	/* options */
	p = open + 1;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == ')') {
			char *q = p + 1;
			while (isspace((unsigned char)*q))
				q++;
			if (*q) {
				snprintf(kw, kwlen, "syntax");
				ys_kw_err(pc, "text after ')' at column %d", (int)(q - copy) + 1);
				rc = KW_BAD;
				goto out;
			}
			break;
		}
		if (!*p) {
			snprintf(kw, kwlen, "syntax");
			ys_kw_err(pc, "missing ')' at the end of the rule");
			rc = KW_BAD;
			goto out;
		}
		char *name = p, *val = NULL;
		char *optstart = p;
		/* option ends at the first ';' not escaped */
		char *q = p;
		while (*q && *q != ';') {
			if (*q == '\\' && q[1])
				q++;
			q++;
		}
		if (!*q) {
			snprintf(kw, kwlen, "syntax");
			ys_kw_err(pc, "option at column %d is not terminated by ';'",
				  (int)(optstart - copy) + 1);
			rc = KW_BAD;
			goto out;
		}
		*q = 0;
		p = q + 1;
		char *colon = strchr(name, ':');
		if (colon) {
			*colon = 0;
			val = colon + 1;
		}
		name = ys_kw_trim(name);
		if (val)
			val = ys_kw_trim(val);
		if (!*name) {
			ys_kw_err(pc, "empty option at column %d", (int)(optstart - copy) + 1);
			rc = KW_BAD;
			goto out;
		}
		snprintf(kw, kwlen, "%s", name);
		bool found = false;
		for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
			if (strcmp(keywords[i].name, name) == 0) {
				rc = keywords[i].fn(pc, val);
				found = true;
				break;
			}
		}
		if (!found) {
			int si = sticky_lookup(name);
			if (si >= 0) {
				if (val) {
					ys_kw_err(pc, "sticky buffer takes no value");
					rc = KW_BAD;
					goto out;
				}
				pc->cur_list = sticky[si].buf;
				rc = KW_OK;
				found = true;
			}
		}
		if (!found) {
			for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
				if (strcmp(unsupported[i].name, name) == 0) {
					ys_kw_err(pc, "not supported: %s", unsupported[i].why);
					rc = KW_UNSUPP;
					goto out;
				}
			}
			bool plausible = true;
			for (char *c = name; *c; c++)
				if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' &&
				    *c != '-')
					plausible = false;
			ys_kw_err(pc, plausible ? "not supported" : "invalid option name");
			rc = plausible ? KW_UNSUPP : KW_BAD;
			goto out;
		}
		if (rc != KW_OK)
			goto out;
	}
	snprintf(kw, kwlen, "syntax");
	rc = finish(pc);
	if (rc != KW_OK)
		goto out;
	pc->s->raw = strdup(text);
	if (!pc->s->raw) {
		rc = KW_BAD;
		goto out;
	}
	pc->s->info.raw = pc->s->raw;
	pc->s->info.metadata = pc->s->meta;
	pc->s->info.nmetadata = pc->s->nmeta;
	*out = pc->s;
	*sid_out = pc->s->info.sid;
	pc->s = NULL;
	rc = 0;
out:
	pctx_cleanup(pc);
	ys_sig_free(pc->s);
	free(pc);
	free(copy);
	return rc == 0 ? 0 : (rc == KW_UNSUPP ? -ENOTSUP : -EINVAL);
}
