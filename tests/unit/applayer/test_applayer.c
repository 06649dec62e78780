/*
 * Unit tests for the application layer, driven through the stream stage the
 * way the worker drives it: a TCP session with a real handshake, segments in
 * each direction, and the buffers each packet adds. Expected values come from
 * the protocol texts (what a request says), from zlib at test time (the gzip
 * body), and for JA3/JA4 from the spec computed independently with Python's
 * hashlib over the hand-built ClientHello below (see the comments there).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <zlib.h>

#include "applayer.h"
#include "applayer_int.h"

#define ACK 0x10
#define SYN 0x02
#define FIN 0x01

struct rec {
	uint16_t id, flags;
	uint64_t tx;
	uint32_t len;
	uint8_t *data;
};

struct sess {
	struct ys_stream_ctx *sctx;
	struct ys_applayer_ctx *actx;
	struct ys_flow flow;
	struct ys_inspect in;
	uint32_t seq[2];
	uint8_t l4[20];
	struct rec recs[512];
	unsigned nrecs;
	uint64_t ts;
};

static void packet(struct sess *s, int dir, uint8_t flags, const void *data, uint32_t len)
{
	struct ys_packet p;

	memset(&p, 0, sizeof(p));
	p.proto = s->flow.proto;
	p.l4 = s->l4;
	p.l4_len = sizeof(s->l4);
	p.tcp_flags = flags;
	p.tcp_seq = s->seq[dir];
	p.tcp_ack = s->seq[1 - dir];
	p.payload = data;
	p.payload_len = len;
	p.flags = dir ? YS_PKT_TO_CLIENT : YS_PKT_TO_SERVER;
	s->ts += 1000;
	ys_inspect_reset(&s->in);
	if (s->flow.proto == 6) {
		ys_stream_handle(s->sctx, &p, &s->flow, &s->in);
		s->seq[dir] += len + ((flags & (SYN | FIN)) ? 1 : 0);
	}
	ys_applayer_handle(s->actx, s->sctx, &p, &s->flow, &s->in, s->ts);
	for (uint32_t i = 0; i < s->in.nbufs && s->nrecs < 512; i++) {
		struct rec *r = &s->recs[s->nrecs++];
		const struct ys_buf *b = &s->in.bufs[i];

		r->id = b->id;
		r->flags = b->flags;
		r->tx = b->tx_id;
		r->len = b->len;
		r->data = malloc(b->len + 1);
		assert_non_null(r->data);
		memcpy(r->data, b->data, b->len);
		r->data[b->len] = 0;
	}
}

static void send_str(struct sess *s, int dir, const char *str)
{
	packet(s, dir, ACK, str, (uint32_t)strlen(str));
}

static struct sess *sess_new(uint8_t proto, uint16_t sport, uint16_t dport)
{
	struct sess *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->sctx = ys_stream_ctx_new(NULL);
	s->actx = ys_applayer_ctx_new(NULL);
	assert_non_null(s->sctx);
	assert_non_null(s->actx);
	s->flow.proto = proto;
	s->flow.client_port = sport;
	s->flow.server_port = dport;
	s->seq[0] = 100;
	s->seq[1] = 9000;
	if (proto == 6) {
		packet(s, 0, SYN, NULL, 0);
		packet(s, 1, SYN | ACK, NULL, 0);
		packet(s, 0, ACK, NULL, 0);
	}
	return s;
}

static void sess_free(struct sess *s)
{
	for (unsigned i = 0; i < s->nrecs; i++)
		free(s->recs[i].data);
	ys_applayer_flow_release(s->flow.app);
	ys_stream_flow_release(s->sctx, &s->flow);
	ys_applayer_ctx_free(s->actx);
	ys_stream_ctx_free(s->sctx);
	free(s);
}

/* The last buffer ID seen in direction FLAG (YS_BUF_F_TO_*), or NULL. */
static const struct rec *find(const struct sess *s, enum ys_buf_id id, uint16_t dirflag)
{
	for (unsigned i = s->nrecs; i-- > 0;)
		if (s->recs[i].id == id && (s->recs[i].flags & dirflag))
			return &s->recs[i];
	return NULL;
}

static void expect(const struct sess *s, enum ys_buf_id id, uint16_t dirflag, const char *want)
{
	const struct rec *r = find(s, id, dirflag);

	if (!r)
		fail_msg("buffer %s not added", ys_buf_name(id));
	if (r->len != strlen(want) || memcmp(r->data, want, r->len) != 0)
		fail_msg("buffer %s: got \"%s\", want \"%s\"", ys_buf_name(id), r->data, want);
}

#define TS YS_BUF_F_TO_SERVER
#define TC YS_BUF_F_TO_CLIENT

static size_t gzip_bytes(const char *text, uint8_t *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)text;
	z.avail_in = (uInt)strlen(text);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return z.total_out;
}

static void test_http_chunked_gzip(void **state)
{
	struct sess *s = sess_new(6, 40000, 80);
	const char *body = "hello secret body, compressed and chunked";
	uint8_t gz[256], resp[1024];
	size_t gzlen = gzip_bytes(body, gz, sizeof(gz)), n;
	const char *hdr = "HTTP/1.1 200 OK\r\nServer: srv/1.0\r\nContent-Type: text/html\r\n"
			  "Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"
			  "Location: /next\r\n\r\n";
	json_t *ev;

	/* The request, split in the middle of the URI. */
	send_str(s, 0, "GET /a/b/../c%2e");
	send_str(s, 0,
		 "html?q=1 HTTP/1.1\r\nHost: WWW.Example.COM:8080\r\nUser-Agent: UA/1\r\n"
		 "Cookie: sid=42\r\nReferer: http://r/\r\nAccept: */*\r\n"
		 "Accept-Language: zh-CN\r\nAccept-Encoding: gzip\r\nConnection: "
		 "keep-alive\r\n\r\n");
	assert_int_equal(ys_applayer_proto(&s->flow), YS_APP_HTTP);
	expect(s, YS_BUF_HTTP_METHOD, TS, "GET");
	expect(s, YS_BUF_HTTP_URI_RAW, TS, "/a/b/../c%2ehtml?q=1");
	expect(s, YS_BUF_HTTP_URI, TS, "/a/c.html?q=1");
	expect(s, YS_BUF_HTTP_PROTOCOL, TS, "HTTP/1.1");
	expect(s, YS_BUF_HTTP_REQUEST_LINE, TS, "GET /a/b/../c%2ehtml?q=1 HTTP/1.1");
	expect(s, YS_BUF_HTTP_HOST, TS, "www.example.com");
	expect(s, YS_BUF_HTTP_HOST_RAW, TS, "WWW.Example.COM:8080");
	expect(s, YS_BUF_HTTP_USER_AGENT, TS, "UA/1");
	expect(s, YS_BUF_HTTP_COOKIE, TS, "sid=42");
	expect(s, YS_BUF_HTTP_REFERER, TS, "http://r/");
	expect(s, YS_BUF_HTTP_ACCEPT, TS, "*/*");
	expect(s, YS_BUF_HTTP_ACCEPT_LANG, TS, "zh-CN");
	expect(s, YS_BUF_HTTP_ACCEPT_ENC, TS, "gzip");
	expect(s, YS_BUF_HTTP_CONNECTION, TS, "keep-alive");
	expect(s, YS_BUF_HTTP_REQUEST_HEADER, TS, "Connection: keep-alive"); /* the last header */
	expect(s, YS_BUF_HTTP_HEADER, TS,
	       "Host: WWW.Example.COM:8080\r\nUser-Agent: UA/1\r\nReferer: http://r/\r\n"
	       "Accept: */*\r\nAccept-Language: zh-CN\r\nAccept-Encoding: gzip\r\n"
	       "Connection: keep-alive\r\n");
	expect(s, YS_BUF_HTTP_HEADER_NAMES, TS,
	       "\r\nHost\r\nUser-Agent\r\nCookie\r\nReferer\r\nAccept\r\nAccept-Language\r\n"
	       "Accept-Encoding\r\nConnection\r\n\r\n");
	assert_non_null(strstr((const char *)find(s, YS_BUF_HTTP_HEADER_RAW, TS)->data,
			       "Cookie: sid=42\r\n"));
	assert_memory_equal(find(s, YS_BUF_HTTP_START, TS)->data,
			    "GET /a/b/../c%2ehtml?q=1 HTTP/1.1\r\nHost: ", 41);

	/* The response: headers, then the gzip body in two chunks over three segments. */
	n = (size_t)snprintf((char *)resp, sizeof(resp), "%s%zx\r\n", hdr, gzlen / 2);
	memcpy(resp + n, gz, gzlen / 2);
	n += gzlen / 2;
	n += (size_t)snprintf((char *)resp + n, sizeof(resp) - n, "\r\n%zx\r\n", gzlen - gzlen / 2);
	memcpy(resp + n, gz + gzlen / 2, gzlen - gzlen / 2);
	n += gzlen - gzlen / 2;
	n += (size_t)snprintf((char *)resp + n, sizeof(resp) - n, "\r\n0\r\n\r\n");
	packet(s, 1, ACK, resp, 40);
	packet(s, 1, ACK, resp + 40, (uint32_t)(n - 40 - 10));
	assert_null(find(s, YS_BUF_FILE_DATA, TC)); /* not complete yet */
	packet(s, 1, ACK, resp + n - 10, 10);
	expect(s, YS_BUF_HTTP_STAT_CODE, TC, "200");
	expect(s, YS_BUF_HTTP_STAT_MSG, TC, "OK");
	expect(s, YS_BUF_HTTP_RESPONSE_LINE, TC, "HTTP/1.1 200 OK");
	expect(s, YS_BUF_HTTP_SERVER, TC, "srv/1.0");
	expect(s, YS_BUF_HTTP_LOCATION, TC, "/next");
	expect(s, YS_BUF_HTTP_RESPONSE_HEADER, TC, "Location: /next");
	expect(s, YS_BUF_HTTP_CONTENT_TYPE, TC, "text/html");
	expect(s, YS_BUF_FILE_DATA, TC, body);
	assert_true(find(s, YS_BUF_FILE_DATA, TC)->flags & YS_BUF_F_COMPLETE);
	assert_int_equal(find(s, YS_BUF_FILE_DATA, TC)->tx, 0);
	/* With the response, the request buffers of the same tx are presented again. */
	assert_int_equal(find(s, YS_BUF_HTTP_URI, TS)->tx, 0);

	ev = json_object();
	assert_int_equal(ys_applayer_eve(s->flow.app, 0, ev), 0);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(ev, "http"), "hostname")),
		"WWW.Example.COM"); /* as libhtp parsed it, like Suricata's EVE */
	assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "http"), "url")),
			    "/a/b/../c%2ehtml?q=1");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ev, "http"), "status")),
			 200);
	json_decref(ev);

	/* A second transaction on the same connection gets tx id 1. */
	send_str(s, 0, "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nuser=secret");
	expect(s, YS_BUF_HTTP_REQUEST_BODY, TS, "user=secret");
	expect(s, YS_BUF_FILE_DATA, TS, "user=secret");
	assert_int_equal(find(s, YS_BUF_HTTP_REQUEST_BODY, TS)->tx, 1);
	expect(s, YS_BUF_HTTP_CONTENT_LEN, TS, "11");
	sess_free(s);
}

/* A request with more header lines than YS_HTTP_HDR_PIECES: its per-line
 * buffers must not crowd the response's buffers out of the inspect set (the
 * request's buffers are offered again when the response arrives). */
static void test_http_many_request_headers(void **state)
{
	struct sess *s = sess_new(6, 40000, 80);
	char req[4096];
	size_t n;

	(void)state;
	n = (size_t)snprintf(req, sizeof(req), "POST /up HTTP/1.1\r\nHost: h\r\n");
	for (int i = 0; i < 80; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n, "X-H%d: %d\r\n", i, i);
	n += (size_t)snprintf(req + n, sizeof(req) - n, "Content-Length: 3\r\n\r\nabc");
	assert_true(n < sizeof(req));
	send_str(s, 0, req);
	expect(s, YS_BUF_HTTP_REQUEST_BODY, TS, "abc");
	send_str(s, 1,
		 "HTTP/1.1 200 OK\r\nServer: srv/1.0\r\nLocation: /l\r\nContent-Type: t/x\r\n"
		 "Connection: close\r\nContent-Length: 5\r\n\r\nhello");
	expect(s, YS_BUF_HTTP_STAT_CODE, TC, "200");
	expect(s, YS_BUF_HTTP_SERVER, TC, "srv/1.0");
	expect(s, YS_BUF_HTTP_LOCATION, TC, "/l");
	expect(s, YS_BUF_HTTP_CONNECTION, TC, "close");
	expect(s, YS_BUF_HTTP_START, TC,
	       "HTTP/1.1 200 OK\r\nServer: srv/1.0\r\nLocation: /l\r\n"
	       "Content-Type: t/x\r\nConnection: close\r\n"
	       "Content-Length: 5\r\n\r\n");
	expect(s, YS_BUF_FILE_DATA, TC, "hello");
	expect(s, YS_BUF_HTTP_RESPONSE_HEADER, TC, "Content-Length: 5");
	sess_free(s);
}

/* Pipelined requests whose buffers together overflow the inspect set: no
 * transaction may go uninspected; what does not fit comes with the next packet. */
static void test_http_pipelined_overflow(void **state)
{
	struct sess *s = sess_new(6, 40000, 80);
	static char req[16384];
	size_t n = 0;

	(void)state;
	for (int t = 0; t < 8; t++) {
		n += (size_t)snprintf(req + n, sizeof(req) - n,
				      "GET /r%d HTTP/1.1\r\nHost: h\r\nUser-Agent: u\r\n", t);
		for (int i = 0; i < 40; i++)
			n += (size_t)snprintf(req + n, sizeof(req) - n, "X-H%d: %d\r\n", i, i);
		n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
	}
	assert_true(n < sizeof(req));
	send_str(s, 0, req);
	packet(s, 1, ACK, NULL, 0);
	for (int t = 0; t < 8; t++) {
		char uri[8];
		bool seen = false;

		snprintf(uri, sizeof(uri), "/r%d", t);
		for (unsigned i = 0; i < s->nrecs; i++)
			seen |= s->recs[i].id == YS_BUF_HTTP_URI &&
				!strcmp((char *)s->recs[i].data, uri);
		if (!seen)
			fail_msg("request %d (%s) never inspected", t, uri);
	}
	sess_free(s);
}

static void test_http_body_limit_and_close(void **state)
{
	struct ys_applayer_params p;
	struct sess *s;
	char big[300];

	ys_applayer_params_default(&p);
	p.response_body_limit = 16;
	s = sess_new(6, 40001, 8080);
	ys_applayer_ctx_free(s->actx);
	s->actx = ys_applayer_ctx_new(&p);
	send_str(s, 0, "GET / HTTP/1.0\r\n\r\n");
	/* Body delimited by the connection close: presented when the server's FIN arrives. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "HTTP/1.0 200 OK\r\n\r\nABCDEFGHIJKLMNOPQRSTUVWXYZ", 45);
	packet(s, 1, ACK, big, sizeof(big));
	expect(s, YS_BUF_FILE_DATA, TC, "ABCDEFGHIJKLMNOP"); /* cut at the limit */
	packet(s, 1, ACK | FIN, NULL, 0);
	sess_free(s);
}

static void test_http_close_inside_headers(void **state)
{
	struct sess *s = sess_new(6, 40005, 80);

	send_str(s, 0, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	send_str(s, 1, "HTTP/1.0 200 OK\nServer:ng1nx\r\n"); /* no blank line: headers open */
	assert_null(find(s, YS_BUF_HTTP_SERVER, TC));
	packet(s, 1, ACK | FIN, NULL, 0);
	expect(s, YS_BUF_HTTP_SERVER, TC, "ng1nx");
	expect(s, YS_BUF_HTTP_HEADER, TC, "Server: ng1nx\r\n");
	sess_free(s);
}

static void test_detect_split_and_failed(void **state)
{
	struct sess *s = sess_new(6, 40002, 5555);

	send_str(s, 0, "GE");
	assert_int_equal(ys_applayer_proto(&s->flow), YS_APP_UNKNOWN);
	send_str(s, 0, "T /x HTTP/1.0\r\nHost: a\r\n\r\n");
	assert_int_equal(ys_applayer_proto(&s->flow), YS_APP_HTTP);
	expect(s, YS_BUF_HTTP_URI, TS, "/x");
	sess_free(s);

	s = sess_new(6, 40003, 80); /* port 80, but not HTTP: content decides */
	send_str(s, 0, "\x01\x02garbage that is no protocol");
	assert_int_equal(ys_applayer_proto(&s->flow), YS_APP_UNKNOWN);
	send_str(s, 1, "\x05\x06more garbage");
	assert_int_equal(ys_applayer_proto(&s->flow), YS_APP_FAILED);
	sess_free(s);
}

/* A DNS response for www.example.com: CNAME to web.example.com (compressed), then A. */
static const uint8_t dns_resp[] = {
	0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
	/* 12: question www.example.com A IN */
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0x00, 0x01,
	0x00, 0x01,
	/* 33: answer 1: name -> 12, CNAME, ttl 300, rdata "web" + pointer to 16 (example.com) */
	0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x06, 3, 'w', 'e', 'b',
	0xc0, 0x10,
	/* 51: answer 2: name -> 45 (web.example.com), A 192.0.2.7 */
	0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 192, 0, 2, 7
};

static void test_dns_compression(void **state)
{
	struct ys_dns_msg *m = malloc(sizeof(*m));
	uint8_t loop[sizeof(dns_resp)];

	assert_non_null(m);
	assert_int_equal(ys_dns_parse(dns_resp, sizeof(dns_resp), m), 0);
	assert_int_equal(m->nq, 1);
	assert_string_equal(ys_dns_str(m, m->q[0].name_off), "www.example.com");
	assert_int_equal(m->na, 2);
	assert_string_equal(ys_dns_str(m, m->a[0].name_off), "www.example.com");
	assert_int_equal(m->a[0].type, 5);
	assert_string_equal(ys_dns_str(m, m->a[0].data_off), "web.example.com");
	assert_string_equal(ys_dns_str(m, m->a[1].name_off), "web.example.com");
	assert_string_equal(ys_dns_str(m, m->a[1].data_off), "192.0.2.7");
	assert_int_equal(m->a[1].ttl, 60);

	/* A pointer to itself: loop protection must end the parse with an error. */
	memcpy(loop, dns_resp, sizeof(loop));
	loop[33] = 0xc0;
	loop[34] = 33;
	assert_int_equal(ys_dns_parse(loop, sizeof(loop), m), -EINVAL);
	/* Truncated anywhere: an error, never a read past the end. */
	for (size_t n = 0; n < sizeof(dns_resp); n++)
		assert_int_equal(ys_dns_parse(dns_resp, (uint32_t)n, m), -EINVAL);
	free(m);
}

static const uint8_t dns_query[] = {
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 3,    'w',  'w',	'w',  7,    'e',  'x',	'a',  'm',  'p',
	'l',  'e',  3,	  'c',	'o',  'm',  0,	  0x00, 0x01, 0x00, 0x01,
};

static void test_dns_udp_and_tcp(void **state)
{
	struct sess *s = sess_new(17, 33333, 53);
	json_t *ev, *dns;
	uint8_t tcpmsg[2 + sizeof(dns_query)];

	packet(s, 0, 0, dns_query, sizeof(dns_query));
	assert_int_equal(ys_applayer_proto(&s->flow), YS_APP_DNS);
	{
		/* The same message on mDNS's port is not "dns"; garbage on 53 is not either. */
		struct sess *m = sess_new(17, 5353, 5353);
		struct sess *g = sess_new(17, 33335, 53);

		packet(m, 0, 0, dns_query, sizeof(dns_query));
		assert_int_equal(ys_applayer_proto(&m->flow), YS_APP_UNKNOWN);
		packet(g, 0, 0, "not a dns message at all", 24);
		assert_int_equal(ys_applayer_proto(&g->flow), YS_APP_UNKNOWN);
		sess_free(m);
		sess_free(g);
	}
	expect(s, YS_BUF_DNS_QUERY, TS, "www.example.com");
	packet(s, 1, 0, dns_resp, sizeof(dns_resp));
	/* Response names: question, answers, and the CNAME target, in that order. */
	expect(s, YS_BUF_DNS_RESPONSE_RRNAME, TC, "web.example.com");
	assert_int_equal(s->nrecs >= 4, 1);
	assert_string_equal((const char *)s->recs[s->nrecs - 4].data, "www.example.com");
	ev = json_object();
	assert_int_equal(ys_applayer_eve(s->flow.app, UINT64_MAX, ev), 0);
	dns = json_object_get(ev, "dns");
	assert_non_null(dns);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(dns, "query"), 0), "rrname")),
			    "www.example.com");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(dns, "answer"), "rcode")),
		"NOERROR");
	json_decref(ev);
	sess_free(s);

	/* TCP: the length prefix and the message split over three segments. */
	s = sess_new(6, 33334, 53);
	tcpmsg[0] = 0;
	tcpmsg[1] = sizeof(dns_query);
	memcpy(tcpmsg + 2, dns_query, sizeof(dns_query));
	packet(s, 0, ACK, tcpmsg, 1);
	packet(s, 0, ACK, tcpmsg + 1, 10);
	assert_null(find(s, YS_BUF_DNS_QUERY, TS));
	packet(s, 0, ACK, tcpmsg + 11, sizeof(tcpmsg) - 11);
	assert_int_equal(ys_applayer_proto(&s->flow), YS_APP_DNS);
	expect(s, YS_BUF_DNS_QUERY, TS, "www.example.com");
	sess_free(s);
}

/*
 * A ClientHello built field by field. Expected values, computed from the JA3
 * and JA4 specifications with Python's hashlib (GREASE 0x0a0a, 0x1a1a, 0x2a2a,
 * 0x3a3a excluded):
 *   JA3 string 771,4865-4866-49195-49199-156,0-23-10-11-16-13-43-51,29-23-24,0
 *   md5        1edc82d6ea73a1a5260ade7704695f04
 *   JA4        t13d0508h2_ + sha256("009c,1301,1302,c02b,c02f")[:12] + _ +
 *              sha256("000a,000b,000d,0017,002b,0033_0403,0804,0401")[:12]
 *            = t13d0508h2_c03c18a8b7cd_0217bda7c7b8
 */
static const uint8_t client_hello_body[] = {
	0x03, 0x03, /* legacy_version */
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, /* random */
	0x00,						/* session id */
	0x00, 0x0c, 0x0a, 0x0a, 0x13, 0x01, 0x13, 0x02, 0xc0, 0x2b, 0xc0, 0x2f,
	0x00, 0x9c, 0x01, 0x00, /* compression */
	0x00, 0x5f,		/* extensions length: 95 */
	0x1a, 0x1a, 0x00, 0x00, /* GREASE */
	0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x00, 0x0b, 'e',  'x',  'a',
	'm',  'p',  'l',  'e',	'.',  'c',  'o',  'm', /* SNI */
	0x00, 0x17, 0x00, 0x00,			       /* extended master secret */
	0x00, 0x0a, 0x00, 0x0a, 0x00, 0x08, 0x2a, 0x2a, 0x00, 0x1d, 0x00, 0x17,
	0x00, 0x18, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, /* point formats */
	0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h',	'2',  0x08, 'h',  't',
	't',  'p',  '/',  '1',	'.',  '1',					/* ALPN */
	0x00, 0x0d, 0x00, 0x08, 0x00, 0x06, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, /* sigalgs */
	0x00, 0x2b, 0x00, 0x07, 0x06, 0x3a, 0x3a, 0x03, 0x04, 0x03, 0x03,	/* versions */
	0x00, 0x33, 0x00, 0x02, 0x00, 0x00,					/* key_share */
};

/* ServerHello: TLS 1.3 selected; JA3S "771,4865,43-51" md5 f4febc55ea12b31ae17cfb7e614afda8. */
static const uint8_t server_hello_body[] = {
	0x03, 0x03, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x00, 0x13, 0x01, 0x00, 0x00,
	0x0c, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33, 0x00, 0x02, 0x00, 0x00,
};

static void test_tls_fingerprints(void **state)
{
	struct ys_tls_hello h;

	assert_int_equal(sizeof(client_hello_body), 2 + 32 + 1 + 14 + 2 + 2 + 95);
	assert_int_equal(ys_tls_client_hello(client_hello_body, sizeof(client_hello_body), &h), 0);
	assert_string_equal(h.sni, "example.com");
	assert_string_equal(h.ja3,
			    "771,4865-4866-49195-49199-156,0-23-10-11-16-13-43-51,29-23-24,0");
	assert_string_equal(h.ja3_md5, "1edc82d6ea73a1a5260ade7704695f04");
	assert_string_equal(h.ja4, "t13d0508h2_c03c18a8b7cd_0217bda7c7b8");
	assert_int_equal(ys_tls_server_hello(server_hello_body, sizeof(server_hello_body), &h), 0);
	assert_string_equal(h.ja3, "771,4865,43-51");
	assert_string_equal(h.ja3_md5, "f4febc55ea12b31ae17cfb7e614afda8");
	assert_int_equal(h.selected_version, 0x0304);
	/* Truncations fail cleanly. */
	for (uint32_t n = 0; n < sizeof(client_hello_body) - 1; n++)
		ys_tls_client_hello(client_hello_body, n, &h);
}

/* Wrap a handshake message in a record; returns the record length. */
static size_t record(uint8_t *out, uint8_t hs_type, const uint8_t *body, size_t len)
{
	out[0] = 0x16;
	out[1] = 0x03;
	out[2] = 0x01;
	out[3] = (uint8_t)((len + 4) >> 8);
	out[4] = (uint8_t)(len + 4);
	out[5] = hs_type;
	out[6] = (uint8_t)(len >> 16);
	out[7] = (uint8_t)(len >> 8);
	out[8] = (uint8_t)len;
	memcpy(out + 9, body, len);
	return len + 9;
}

/* A self-signed certificate made at test time; DER into *DER. */
static int make_cert(uint8_t **der)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	int len;

	assert_non_null(k);
	assert_non_null(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0xC0FFEE);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"CN", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Yunshao Test", -1,
				   -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"test.example", -1,
				   -1, 0);
	X509_set_issuer_name(x, n);
	{
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
							"DNS:alt1.example,DNS:alt2.example");

		assert_non_null(e);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	*der = NULL;
	len = i2d_X509(x, der);
	X509_free(x);
	EVP_PKEY_free(k);
	return len;
}

static void test_tls_session(void **state)
{
	struct sess *s = sess_new(6, 44444, 443);
	uint8_t rec[4096], certmsg[2048], fp[20];
	uint8_t *der;
	int derlen = make_cert(&der);
	size_t n;
	char fphex[61];
	unsigned fpl;
	json_t *ev, *tls;

	/* ClientHello record split after 3 bytes of its header. */
	n = record(rec, 1, client_hello_body, sizeof(client_hello_body));
	packet(s, 0, ACK, rec, 3);
	packet(s, 0, ACK, rec + 3, (uint32_t)(n - 3));
	assert_int_equal(ys_applayer_proto(&s->flow), YS_APP_TLS);
	expect(s, YS_BUF_TLS_SNI, TS, "example.com");
	expect(s, YS_BUF_JA3_HASH, TS, "1edc82d6ea73a1a5260ade7704695f04");
	expect(s, YS_BUF_JA4_HASH, TS, "t13d0508h2_c03c18a8b7cd_0217bda7c7b8");

	/* ServerHello (TLS 1.2 this time, no supported_versions) + Certificate in one record
	 * pair, the certificate record split over two segments. */
	{
		uint8_t sh[sizeof(server_hello_body)];

		memcpy(sh, server_hello_body, sizeof(sh));
		sh[39] = 0x00; /* extensions length 0 ... */
		sh[38] = 0x00;
		n = record(rec, 2, sh, 40);
	}
	assert_true(derlen > 0 && (size_t)derlen + 6 < sizeof(certmsg));
	certmsg[0] = 0;
	certmsg[1] = (uint8_t)((derlen + 3) >> 8);
	certmsg[2] = (uint8_t)(derlen + 3);
	certmsg[3] = 0;
	certmsg[4] = (uint8_t)(derlen >> 8);
	certmsg[5] = (uint8_t)derlen;
	memcpy(certmsg + 6, der, (size_t)derlen);
	n += record(rec + n, 11, certmsg, (size_t)derlen + 6);
	packet(s, 1, ACK, rec, 100);
	expect(s, YS_BUF_TLS_VERSION, TC, "1.2");
	packet(s, 1, ACK, rec + 100, (uint32_t)(n - 100));
	expect(s, YS_BUF_TLS_CERT_SUBJECT, TC, "C=CN, O=Yunshao Test, CN=test.example");
	expect(s, YS_BUF_TLS_CERT_ISSUER, TC, "C=CN, O=Yunshao Test, CN=test.example");
	expect(s, YS_BUF_TLS_CERT_SERIAL, TC, "00:C0:FF:EE");
	assert_true(EVP_Digest(der, (size_t)derlen, fp, &fpl, EVP_sha1(), NULL));
	for (int i = 0; i < 20; i++)
		snprintf(fphex + 3 * i, 4, "%02x%s", fp[i], i < 19 ? ":" : "");
	expect(s, YS_BUF_TLS_CERT_FINGERPRINT, TC, fphex);
	expect(s, YS_BUF_TLS_SUBJECTALTNAME, TC, "alt2.example"); /* the last one added */
	assert_int_equal(find(s, YS_BUF_TLS_CERTS, TC)->len, derlen);
	assert_memory_equal(find(s, YS_BUF_TLS_CERTS, TC)->data, der, (size_t)derlen);
	/* Hello randoms: the client's is 0x11 * 32, the server's 0x22 * 32. */
	assert_int_equal(find(s, YS_BUF_TLS_RANDOM, TS)->len, 32);
	expect(s, YS_BUF_TLS_RANDOM_TIME, TS, "\x11\x11\x11\x11");
	assert_int_equal(find(s, YS_BUF_TLS_RANDOM_BYTES, TC)->len, 28);
	assert_int_equal(find(s, YS_BUF_TLS_RANDOM_BYTES, TC)->data[0], 0x22);

	ev = json_object();
	assert_int_equal(ys_applayer_eve(s->flow.app, 0, ev), 0);
	tls = json_object_get(ev, "tls");
	assert_string_equal(json_string_value(json_object_get(tls, "sni")), "example.com");
	assert_string_equal(json_string_value(json_object_get(tls, "version")), "TLS 1.2");
	assert_string_equal(json_string_value(json_object_get(tls, "ja4")),
			    "t13d0508h2_c03c18a8b7cd_0217bda7c7b8");
	assert_string_equal(json_string_value(json_object_get(json_object_get(tls, "ja3"), "hash")),
			    "1edc82d6ea73a1a5260ade7704695f04");
	assert_string_equal(json_string_value(json_object_get(tls, "fingerprint")), fphex);
	json_decref(ev);
	OPENSSL_free(der);
	sess_free(s);
}

/* No rule reads certificate fields: the X.509 parse waits for EVE, which still has them. */
static void test_tls_cert_deferred(void **state)
{
	struct sess *s = sess_new(6, 44445, 443);
	uint8_t rec[4096], certmsg[2048];
	uint8_t *der;
	int derlen = make_cert(&der);
	size_t n;
	json_t *ev, *tls;

	ys_applayer_set_needed(s->actx, (1ull << YS_BUF_TLS_SNI) | (1ull << YS_BUF_TLS_CERTS));
	n = record(rec, 1, client_hello_body, sizeof(client_hello_body));
	packet(s, 0, ACK, rec, (uint32_t)n);
	{
		uint8_t sh[sizeof(server_hello_body)];

		memcpy(sh, server_hello_body, sizeof(sh));
		sh[38] = sh[39] = 0x00;
		n = record(rec, 2, sh, 40);
	}
	certmsg[0] = 0;
	certmsg[1] = (uint8_t)((derlen + 3) >> 8);
	certmsg[2] = (uint8_t)(derlen + 3);
	certmsg[3] = 0;
	certmsg[4] = (uint8_t)(derlen >> 8);
	certmsg[5] = (uint8_t)derlen;
	memcpy(certmsg + 6, der, (size_t)derlen);
	n += record(rec + n, 11, certmsg, (size_t)derlen + 6);
	packet(s, 1, ACK, rec, (uint32_t)n);
	assert_null(find(s, YS_BUF_TLS_CERT_SUBJECT, TC));
	assert_int_equal(find(s, YS_BUF_TLS_CERTS, TC)->len, derlen);
	ev = json_object();
	assert_int_equal(ys_applayer_eve(s->flow.app, 0, ev), 0);
	tls = json_object_get(ev, "tls");
	assert_string_equal(json_string_value(json_object_get(tls, "subject")),
			    "C=CN, O=Yunshao Test, CN=test.example");
	assert_string_equal(json_string_value(json_object_get(tls, "serial")), "00:C0:FF:EE");
	json_decref(ev);
	OPENSSL_free(der);
	sess_free(s);
}

static void test_http_connect_tunnel(void **state)
{
	struct sess *s = sess_new(6, 46666, 3128);
	uint8_t rec[512];
	size_t n;

	send_str(s, 0, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
	assert_int_equal(ys_applayer_proto(&s->flow), YS_APP_HTTP);
	expect(s, YS_BUF_HTTP_METHOD, TS, "CONNECT");
	send_str(s, 1, "HTTP/1.1 200 Connection established\r\n\r\n");
	/* Inside the tunnel: TLS to the real server, detected and parsed anew. */
	n = record(rec, 1, client_hello_body, sizeof(client_hello_body));
	packet(s, 0, ACK, rec, (uint32_t)n);
	assert_int_equal(ys_applayer_proto(&s->flow), YS_APP_TLS);
	expect(s, YS_BUF_TLS_SNI, TS, "example.com");
	assert_int_equal(ys_applayer_stats(s->actx)->tunnels, 1);
	sess_free(s);
}

static void test_ssh(void **state)
{
	struct sess *s = sess_new(6, 45555, 2222);

	send_str(s, 1, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
	assert_int_equal(ys_applayer_proto(&s->flow), YS_APP_SSH);
	expect(s, YS_BUF_SSH_PROTO, TC, "2.0");
	expect(s, YS_BUF_SSH_SOFTWARE, TC, "OpenSSH_9.2p1");
	send_str(s, 0, "SSH-2.0-Go");
	assert_null(find(s, YS_BUF_SSH_SOFTWARE, TS));
	send_str(s, 0, "\r\n");
	expect(s, YS_BUF_SSH_SOFTWARE, TS, "Go");
	sess_free(s);
}

static void test_params_from_conf(void **state)
{
	const char *yaml = "app-layer:\n  http:\n    request-body-limit: 1kb\n"
			   "    response-body-limit: 2kb\n    response-decompress-layer-limit: 2\n"
			   "  dns:\n    enabled: no\n";
	struct ys_applayer_params p;
	struct ys_conf *c;
	char err[256];

	c = ys_conf_load_string("t", yaml, strlen(yaml), err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(ys_applayer_params_from_conf(c, &p, err, sizeof(err)), 0);
	assert_int_equal(p.request_body_limit, 1024);
	assert_int_equal(p.response_body_limit, 2048);
	assert_int_equal(p.decompress_layers, 2);
	assert_false(p.dns);
	assert_true(p.http);
	ys_conf_free(c);
	assert_int_equal(ys_applayer_params_from_conf(NULL, &p, err, sizeof(err)), 0);
	assert_int_equal(p.response_body_limit, 100 * 1024);
	assert_int_equal(p.decompress_layers, 3);
}

static void test_names(void **state)
{
	assert_string_equal(ys_app_proto_name(YS_APP_HTTP), "http");
	assert_string_equal(ys_app_proto_name(YS_APP_FAILED), "failed");
	assert_null(ys_app_proto_name(YS_APP_COUNT));
	assert_int_equal(ys_app_proto_parse("http1"), YS_APP_HTTP);
	assert_int_equal(ys_app_proto_parse("ssl"), YS_APP_TLS);
	assert_int_equal(ys_app_proto_parse("DNS"), YS_APP_DNS);
	assert_int_equal(ys_app_proto_parse("nonsense"), YS_APP_UNKNOWN);
	for (int i = 0; i < YS_BUF_COUNT; i++)
		assert_non_null(ys_buf_name((enum ys_buf_id)i));
	assert_string_equal(ys_buf_name(YS_BUF_HTTP_URI), "http.uri");
	assert_string_equal(ys_buf_name(YS_BUF_FILE_DATA), "file.data");
	assert_null(ys_buf_name(YS_BUF_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_chunked_gzip),
		cmocka_unit_test(test_http_many_request_headers),
		cmocka_unit_test(test_http_pipelined_overflow),
		cmocka_unit_test(test_http_body_limit_and_close),
		cmocka_unit_test(test_http_close_inside_headers),
		cmocka_unit_test(test_detect_split_and_failed),
		cmocka_unit_test(test_dns_compression),
		cmocka_unit_test(test_dns_udp_and_tcp),
		cmocka_unit_test(test_tls_fingerprints),
		cmocka_unit_test(test_tls_session),
		cmocka_unit_test(test_tls_cert_deferred),
		cmocka_unit_test(test_http_connect_tunnel),
		cmocka_unit_test(test_ssh),
		cmocka_unit_test(test_params_from_conf),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
