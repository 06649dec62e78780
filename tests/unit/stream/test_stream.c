/*
 * Unit tests for TCP reassembly: in-order delivery and the inspection window,
 * out-of-order holding, retransmissions, the first-data-wins overlap policy,
 * gaps after an ACK beyond a hole, depth, memcap, midstream and the end-of-
 * capture flush. Packets are built by hand as the decoder and flow stage
 * would leave them (direction flags set), so the stream is tested alone.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stream.h"

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

#define CISN 1000u
#define SISN 5000u

struct fixture {
	struct ys_stream_ctx *ctx;
	struct ys_flow flow;
	struct ys_inspect in;
	uint8_t l4[20];
};

static int pkt(struct fixture *fx, int to_client, uint8_t flags, uint32_t seq, uint32_t ack,
	       const char *data)
{
	struct ys_packet p;

	memset(&p, 0, sizeof(p));
	p.proto = 6;
	p.l4 = fx->l4;
	p.l4_len = sizeof(fx->l4);
	p.tcp_flags = flags;
	p.tcp_seq = seq;
	p.tcp_ack = ack;
	p.payload = (const uint8_t *)data;
	p.payload_len = data ? (uint32_t)strlen(data) : 0;
	p.flags = to_client ? YS_PKT_TO_CLIENT : YS_PKT_TO_SERVER;
	ys_inspect_reset(&fx->in);
	return ys_stream_handle(fx->ctx, &p, &fx->flow, &fx->in);
}

static void handshake(struct fixture *fx)
{
	pkt(fx, 0, SYN, CISN, 0, NULL);
	pkt(fx, 1, SYN | ACK, SISN, CISN + 1, NULL);
	pkt(fx, 0, ACK, CISN + 1, SISN + 1, NULL);
	assert_true(ys_stream_active(&fx->flow));
}

/* Delivered bytes of direction DIR in the last call, as a C string. */
static const char *got(struct fixture *fx, int dir, char *buf, size_t len)
{
	const struct ys_stream_delivery *d = ys_stream_delivery(fx->ctx, dir);
	size_t n = d->len < len - 1 ? d->len : len - 1;

	if (d->data)
		memcpy(buf, d->data, n);
	else
		n = 0;
	buf[n] = 0;
	return buf;
}

static const struct ys_buf *stream_buf(struct fixture *fx)
{
	for (uint32_t i = 0; i < fx->in.nbufs; i++)
		if (fx->in.bufs[i].id == YS_BUF_STREAM)
			return &fx->in.bufs[i];
	return NULL;
}

static struct fixture *fx_new(const struct ys_stream_params *p)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->ctx = ys_stream_ctx_new(p);
	assert_non_null(fx->ctx);
	fx->flow.proto = 6;
	return fx;
}

static void fx_free(struct fixture *fx)
{
	ys_stream_flow_release(fx->ctx, &fx->flow);
	assert_null(fx->flow.stream);
	assert_int_equal(ys_stream_stats(fx->ctx)->memuse, 0);
	ys_stream_ctx_free(fx->ctx);
	free(fx);
}

static void test_in_order_window(void **state)
{
	struct fixture *fx = fx_new(NULL);
	const struct ys_buf *b;
	char buf[256];

	handshake(fx);
	assert_int_equal(pkt(fx, 0, ACK | PSH, CISN + 1, SISN + 1, "GET /ev"), 1);
	assert_string_equal(got(fx, 0, buf, sizeof(buf)), "GET /ev");
	b = stream_buf(fx);
	assert_non_null(b);
	assert_int_equal(b->prefix_len, 0);
	assert_int_equal(b->flags, YS_BUF_F_TO_SERVER);
	assert_true(b->tx_id == UINT64_MAX); /* stream bytes belong to no transaction */

	/* The pattern "evil" is split over two segments: the buffer holds both halves. */
	assert_int_equal(pkt(fx, 0, ACK | PSH, CISN + 8, SISN + 1, "il HTTP/1.0"), 1);
	assert_string_equal(got(fx, 0, buf, sizeof(buf)), "il HTTP/1.0");
	b = stream_buf(fx);
	assert_non_null(b);
	assert_int_equal(b->prefix_len, 7);
	assert_int_equal(b->len, 18);
	assert_memory_equal(b->data, "GET /evil HTTP/1.0", 18);

	/* Server side is its own stream. */
	assert_int_equal(pkt(fx, 1, ACK, SISN + 1, CISN + 19, "HTTP/1.0 200"), 1);
	assert_string_equal(got(fx, 1, buf, sizeof(buf)), "HTTP/1.0 200");
	assert_int_equal(stream_buf(fx)->prefix_len, 0);
	assert_int_equal(stream_buf(fx)->flags, YS_BUF_F_TO_CLIENT);
	assert_int_equal(ys_stream_stats(fx->ctx)->reassembled_bytes, 30);
	assert_int_equal(ys_stream_stats(fx->ctx)->sessions, 1);
	fx_free(fx);
}

static void test_window_is_bounded(void **state)
{
	struct ys_stream_params p;
	struct fixture *fx;

	ys_stream_params_default(&p);
	p.window = 4;
	fx = fx_new(&p);
	handshake(fx);
	pkt(fx, 0, ACK, CISN + 1, SISN + 1, "abcdefgh");
	pkt(fx, 0, ACK, CISN + 9, SISN + 1, "XY");
	assert_int_equal(stream_buf(fx)->prefix_len, 4);
	assert_memory_equal(stream_buf(fx)->data, "efghXY", 6);
	fx_free(fx);
}

static void test_no_handshake_no_reassembly(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct ys_stream_params p;

	assert_int_equal(pkt(fx, 0, ACK | PSH, 77, 88, "GET / HTTP/1.0"), 0);
	assert_null(stream_buf(fx));
	assert_false(ys_stream_active(&fx->flow));
	assert_int_equal(ys_stream_stats(fx->ctx)->midstream_skipped, 1);
	fx_free(fx);

	ys_stream_params_default(&p);
	p.midstream = true;
	fx = fx_new(&p);
	assert_int_equal(pkt(fx, 0, ACK | PSH, 77, 88, "GET / HTTP/1.0"), 1);
	assert_non_null(stream_buf(fx));
	assert_int_equal(pkt(fx, 1, ACK, 88, 91, "HTTP"), 1);
	assert_non_null(stream_buf(fx));
	fx_free(fx);
}

static void test_out_of_order(void **state)
{
	struct fixture *fx = fx_new(NULL);
	char buf[64];

	handshake(fx);
	assert_int_equal(pkt(fx, 0, ACK, CISN + 6, SISN + 1, "world"), 0);
	assert_null(stream_buf(fx));
	assert_int_equal(pkt(fx, 0, ACK, CISN + 11, SISN + 1, "!"), 0);
	assert_int_equal(ys_stream_stats(fx->ctx)->ooo_segments, 2);
	assert_int_equal(pkt(fx, 0, ACK, CISN + 1, SISN + 1, "hello"), 1);
	assert_string_equal(got(fx, 0, buf, sizeof(buf)), "helloworld!");
	assert_int_equal(ys_stream_stats(fx->ctx)->memuse > 0, 1);
	fx_free(fx);
}

static void test_retransmission(void **state)
{
	struct fixture *fx = fx_new(NULL);
	const struct ys_stream_stats *st = ys_stream_stats(fx->ctx);

	handshake(fx);
	assert_int_equal(pkt(fx, 0, ACK, CISN + 1, SISN + 1, "abcd"), 1);
	assert_int_equal(pkt(fx, 0, ACK, CISN + 1, SISN + 1, "abcd"), 0);
	assert_null(stream_buf(fx));
	assert_int_equal(st->retransmissions, 1);
	assert_int_equal(st->overlaps_diff, 0);
	/* A retransmission with other bytes is counted, and the first bytes stay. */
	assert_int_equal(pkt(fx, 0, ACK, CISN + 1, SISN + 1, "abXd"), 0);
	assert_int_equal(st->overlaps_diff, 1);
	assert_int_equal(st->reassembled_bytes, 4);
	fx_free(fx);
}

static void test_overlap_first_wins(void **state)
{
	struct fixture *fx = fx_new(NULL);
	char buf[64];

	handshake(fx);
	/* Held first: bytes 5..8 are "XXXX". */
	pkt(fx, 0, ACK, CISN + 1 + 5, SISN + 1, "XXXX");
	/* Then an in-order segment covering 0..12 with other bytes: held bytes win. */
	assert_int_equal(pkt(fx, 0, ACK, CISN + 1, SISN + 1, "AAAAAAAAAAAA"), 1);
	assert_string_equal(got(fx, 0, buf, sizeof(buf)), "AAAAAXXXXAAA");
	assert_int_equal(ys_stream_stats(fx->ctx)->overlaps_diff, 1);
	/* Partial overlap with delivered data: only the new tail is delivered. */
	assert_int_equal(pkt(fx, 0, ACK, CISN + 1 + 10, SISN + 1, "ZZbc"), 1);
	assert_string_equal(got(fx, 0, buf, sizeof(buf)), "bc");
	assert_int_equal(ys_stream_stats(fx->ctx)->overlaps_diff, 2);
	fx_free(fx);
}

static void test_gap_after_ack(void **state)
{
	struct fixture *fx = fx_new(NULL);
	char buf[64];

	handshake(fx);
	/* Bytes 0..99 of the server stream were lost; 100.. arrives and is held. */
	assert_int_equal(pkt(fx, 1, ACK, SISN + 101, CISN + 1, "after-gap"), 0);
	/* The client acknowledges past the hole: skip it, deliver the held data. */
	assert_int_equal(pkt(fx, 0, ACK, CISN + 1, SISN + 110, NULL), 1);
	assert_true(ys_stream_delivery(fx->ctx, 1)->flags & YS_STREAM_GAP);
	assert_string_equal(got(fx, 1, buf, sizeof(buf)), "after-gap");
	assert_int_equal(ys_stream_stats(fx->ctx)->gaps, 1);
	assert_int_equal(ys_stream_stats(fx->ctx)->gap_bytes, 100);
	/* After a gap, the window starts empty. */
	assert_int_equal(stream_buf(fx)->prefix_len, 0);
	fx_free(fx);
}

static void test_depth(void **state)
{
	struct ys_stream_params p;
	struct fixture *fx;
	char buf[64];

	ys_stream_params_default(&p);
	p.depth = 10;
	fx = fx_new(&p);
	handshake(fx);
	pkt(fx, 0, ACK, CISN + 1, SISN + 1, "0123456");
	assert_int_equal(pkt(fx, 0, ACK, CISN + 8, SISN + 1, "789abc"), 1);
	assert_string_equal(got(fx, 0, buf, sizeof(buf)), "789");
	assert_true(ys_stream_delivery(fx->ctx, 0)->flags & YS_STREAM_DEPTH);
	assert_int_equal(pkt(fx, 0, ACK, CISN + 14, SISN + 1, "more"), 0);
	assert_int_equal(ys_stream_stats(fx->ctx)->depth_reached, 1);
	assert_false(fx->flow.bypass);
	/* The other direction ends: no parser can get more, the flow is bypassed. */
	pkt(fx, 1, ACK | FIN, SISN + 1, CISN + 18, NULL);
	assert_true(fx->flow.bypass);
	fx_free(fx);
}

static void test_memcap(void **state)
{
	struct ys_stream_params p;
	struct fixture *fx;

	ys_stream_params_default(&p);
	p.memcap = 1024; /* the flow state fits; a big held segment does not */
	fx = fx_new(&p);
	handshake(fx);
	char big[1500];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	pkt(fx, 0, ACK, CISN + 100, SISN + 1, big);
	assert_true(ys_stream_stats(fx->ctx)->memcap_hits >= 1);
	assert_true(ys_stream_stats(fx->ctx)->memuse <= 1024);
	fx_free(fx);
}

static void test_segment_limit(void **state)
{
	struct ys_stream_params p;
	struct fixture *fx;

	ys_stream_params_default(&p);
	p.max_segments = 2;
	fx = fx_new(&p);
	handshake(fx);
	pkt(fx, 0, ACK, CISN + 10, SISN + 1, "a");
	pkt(fx, 0, ACK, CISN + 20, SISN + 1, "b");
	pkt(fx, 0, ACK, CISN + 30, SISN + 1, "c");
	assert_int_equal(ys_stream_stats(fx->ctx)->segment_limit_hits, 1);
	fx_free(fx);
}

static void test_flush(void **state)
{
	struct fixture *fx = fx_new(NULL);
	char buf[64];
	int rc, calls = 0;
	bool saw_data = false, saw_eof = false;

	handshake(fx);
	pkt(fx, 0, ACK, CISN + 1, SISN + 1, "head");
	pkt(fx, 0, ACK, CISN + 20, SISN + 1, "tail"); /* never acknowledged, hole before it */
	while ((rc = ys_stream_flush_flow(fx->ctx, &fx->flow, &fx->in)) > 0 && calls < 10) {
		calls++;
		if (ys_stream_delivery(fx->ctx, 0)->len) {
			assert_string_equal(got(fx, 0, buf, sizeof(buf)), "tail");
			assert_true(ys_stream_delivery(fx->ctx, 0)->flags & YS_STREAM_GAP);
			saw_data = true;
		}
		if (ys_stream_delivery(fx->ctx, 0)->flags & YS_STREAM_EOF)
			saw_eof = true;
		ys_inspect_reset(&fx->in);
	}
	assert_int_equal(rc, 0);
	assert_true(saw_data);
	assert_true(saw_eof);
	assert_int_equal(ys_stream_flush_flow(fx->ctx, &fx->flow, &fx->in), 0);
	fx_free(fx);
}

static void test_fin_eof_and_reuse(void **state)
{
	struct fixture *fx = fx_new(NULL);

	handshake(fx);
	pkt(fx, 0, ACK | FIN, CISN + 1, SISN + 1, "bye");
	assert_true(ys_stream_delivery(fx->ctx, 0)->flags & YS_STREAM_EOF);
	pkt(fx, 1, ACK | FIN, SISN + 1, CISN + 5, NULL);
	assert_true(ys_stream_delivery(fx->ctx, 1)->flags & YS_STREAM_EOF);
	/* A new SYN with another ISN on the same tuple starts a new session. */
	pkt(fx, 0, SYN, 90000, 0, NULL);
	assert_true(ys_stream_delivery(fx->ctx, 0)->flags & YS_STREAM_RESET);
	pkt(fx, 1, SYN | ACK, 7000, 90001, NULL);
	pkt(fx, 0, ACK, 90001, 7001, "new");
	assert_int_equal(ys_stream_delivery(fx->ctx, 0)->len, 3);
	fx_free(fx);
}

static void test_rst(void **state)
{
	struct fixture *fx = fx_new(NULL);

	handshake(fx);
	pkt(fx, 0, ACK, CISN + 10, SISN + 1, "held");
	assert_int_equal(pkt(fx, 1, RST | ACK, SISN + 1, CISN + 1, NULL), 1);
	assert_true(ys_stream_delivery(fx->ctx, 0)->flags & YS_STREAM_EOF);
	assert_true(ys_stream_delivery(fx->ctx, 1)->flags & YS_STREAM_EOF);
	assert_int_equal(pkt(fx, 0, ACK, CISN + 1, SISN + 1, "late"), 0);
	fx_free(fx);
}

static void test_rst_out_of_window_ignored(void **state)
{
	struct fixture *fx = fx_new(NULL);

	handshake(fx);
	/* A forged reset with a sequence number nowhere near the stream: ignored. */
	assert_int_equal(pkt(fx, 1, RST, SISN + 1 + 0x40000000u, 0, NULL), 0);
	assert_int_equal(ys_stream_stats(fx->ctx)->rst_invalid, 1);
	assert_int_equal(pkt(fx, 0, ACK, CISN + 1, SISN + 1, "still"), 1);
	fx_free(fx);
}

static void test_fast_open(void **state)
{
	struct fixture *fx = fx_new(NULL);
	char buf[64];

	/* Data on the SYN, acknowledged by the SYN/ACK: delivered once established. */
	pkt(fx, 0, SYN, CISN, 0, "tfo!");
	pkt(fx, 1, SYN | ACK, SISN, CISN + 5, NULL);
	assert_int_equal(pkt(fx, 0, ACK, CISN + 5, SISN + 1, "more"), 1);
	assert_string_equal(got(fx, 0, buf, sizeof(buf)), "tfo!more");
	fx_free(fx);

	/* Refused (the SYN/ACK acknowledges only the SYN): the client resends it. */
	fx = fx_new(NULL);
	pkt(fx, 0, SYN, CISN, 0, "tfo!");
	pkt(fx, 1, SYN | ACK, SISN, CISN + 1, NULL);
	assert_int_equal(ys_stream_stats(fx->ctx)->memuse > 0, 1);
	assert_int_equal(pkt(fx, 0, ACK, CISN + 1, SISN + 1, "again"), 1);
	assert_string_equal(got(fx, 0, buf, sizeof(buf)), "again");
	fx_free(fx);
}

static void test_seq_wrap(void **state)
{
	struct fixture *fx = fx_new(NULL);
	char buf[64];

	pkt(fx, 0, SYN, 0xfffffffdu, 0, NULL);
	pkt(fx, 1, SYN | ACK, SISN, 0xfffffffeu, NULL);
	pkt(fx, 0, ACK, 0xfffffffeu, SISN + 1, NULL);
	pkt(fx, 0, ACK, 0x00000001u, SISN + 1, "cd"); /* after the wrap, held */
	assert_int_equal(pkt(fx, 0, ACK, 0xfffffffeu, SISN + 1, "xab"), 1);
	assert_string_equal(got(fx, 0, buf, sizeof(buf)), "xabcd");
	fx_free(fx);
}

static void test_params_from_conf(void **state)
{
	const char *yaml =
		"stream:\n  midstream: yes\n  bypass: no\n  inspect-window: 4096\n"
		"  reassembly:\n    depth: 2mb\n    memcap: 64mb\n    max-segments: 99\n";
	const char *bad = "stream:\n  inspect-window: 1000000\n";
	struct ys_stream_params p;
	struct ys_conf *c;
	char err[256];

	c = ys_conf_load_string("t", yaml, strlen(yaml), err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(ys_stream_params_from_conf(c, &p, err, sizeof(err)), 0);
	assert_true(p.midstream);
	assert_false(p.bypass);
	assert_int_equal(p.window, 4096);
	assert_int_equal(p.depth, 2 * 1024 * 1024);
	assert_int_equal(p.memcap, 64ull * 1024 * 1024);
	assert_int_equal(p.max_segments, 99);
	ys_conf_free(c);

	c = ys_conf_load_string("t", bad, strlen(bad), err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(ys_stream_params_from_conf(c, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "inspect-window"));
	ys_conf_free(c);

	/* No config: the documented defaults. */
	assert_int_equal(ys_stream_params_from_conf(NULL, &p, err, sizeof(err)), 0);
	assert_false(p.midstream);
	assert_int_equal(p.depth, 1024 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_window),
		cmocka_unit_test(test_window_is_bounded),
		cmocka_unit_test(test_no_handshake_no_reassembly),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_retransmission),
		cmocka_unit_test(test_overlap_first_wins),
		cmocka_unit_test(test_gap_after_ack),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_memcap),
		cmocka_unit_test(test_segment_limit),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_fin_eof_and_reuse),
		cmocka_unit_test(test_rst),
		cmocka_unit_test(test_rst_out_of_window_ignored),
		cmocka_unit_test(test_fast_open),
		cmocka_unit_test(test_seq_wrap),
		cmocka_unit_test(test_params_from_conf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
