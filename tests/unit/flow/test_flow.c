/*
 * Unit tests for ys_flow: direction (first sender, SYN/ACK first, midstream,
 * ICMP replies), the 3-way handshake to established (with ack checks),
 * FIN/RST closing and port reuse, bad-checksum packets not moving state, UDP
 * established on reply, per-state timeouts with the release callback,
 * memcap reclaim and refusal, tenant isolation, flow_id uniqueness.
 * Packets are real frames decoded by ys_decode.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "decode.h"
#include "flow.h"
#include "ys_pktbuild.h"

#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define RST 0x04

struct tctx {
	struct ys_decoder *dec;
	struct ys_flow_table *ft;
	struct ys_packet pkt;
	struct pb pb;
	unsigned released;
};

static void count_release(struct ys_flow *f, void *user)
{
	struct tctx *t = user;

	(void)f;
	t->released++;
}

static struct tctx *ctx_new(const struct ys_flow_params *fp, bool csum)
{
	struct ys_decode_params dp = { .validate_checksums = csum };
	struct ys_flow_params p = fp ? *fp : (struct ys_flow_params){ .hash_size = 0 };
	struct tctx *t = calloc(1, sizeof(*t));

	t->dec = ys_decoder_new(&dp);
	p.release = count_release;
	p.release_user = t;
	t->ft = ys_flow_table_new(&p);
	assert_non_null(t->dec);
	assert_non_null(t->ft);
	return t;
}

static int setup(void **state)
{
	*state = ctx_new(NULL, false);
	return 0;
}

static int teardown(void **state)
{
	struct tctx *t = *state;

	ys_flow_table_free(t->ft);
	ys_decoder_free(t->dec);
	free(t);
	return 0;
}

static struct ys_flow *feed(struct tctx *t, uint32_t tenant, uint64_t ts_sec)
{
	memset(&t->pkt, 0, sizeof(t->pkt));
	t->pkt.data = t->pb.b;
	t->pkt.caplen = t->pkt.wirelen = (uint32_t)t->pb.n;
	t->pkt.linktype = YS_LINK_ETHERNET;
	t->pkt.ts_usec = ts_sec * 1000000ull;
	assert_int_equal(ys_decode_packet(t->dec, &t->pkt), 0);
	t->pkt.tenant_id = tenant;
	return ys_flow_handle(t->ft, &t->pkt);
}

static void build_tcp(struct tctx *t, const char *src, uint16_t sport, const char *dst,
		      uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack)
{
	size_t ip, th;

	t->pb.n = 0;
	pb_eth(&t->pb, NULL, 0, 0x0800);
	ip = pb_ipv4(&t->pb, src, dst, 6, 1, 0);
	th = pb_tcp(&t->pb, sport, dport, seq, ack, flags);
	pb_tcp_fix(&t->pb, th, ip);
	pb_ipv4_fix(&t->pb, ip);
}

static struct ys_flow *tcp(struct tctx *t, const char *src, uint16_t sport, const char *dst,
			   uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
			   uint32_t tenant, uint64_t ts)
{
	build_tcp(t, src, sport, dst, dport, flags, seq, ack);
	return feed(t, tenant, ts);
}

static struct ys_flow *udp(struct tctx *t, const char *src, uint16_t sport, const char *dst,
			   uint16_t dport, uint32_t tenant, uint64_t ts)
{
	size_t ip, uh;

	t->pb.n = 0;
	pb_eth(&t->pb, NULL, 0, 0x0800);
	ip = pb_ipv4(&t->pb, src, dst, 17, 1, 0);
	uh = pb_udp(&t->pb, sport, dport);
	pb_put(&t->pb, "data", 4);
	pb_udp_fix(&t->pb, uh, ip);
	pb_ipv4_fix(&t->pb, ip);
	return feed(t, tenant, ts);
}

#define C "10.0.0.1"
#define S "10.0.0.2"

static void test_handshake_established(void **state)
{
	struct tctx *t = *state;
	struct ys_flow *f, *g;

	f = tcp(t, C, 40000, S, 80, SYN, 100, 0, 1, 1);
	assert_non_null(f);
	assert_ptr_equal(t->pkt.flow, f);
	assert_true(t->pkt.flags & YS_PKT_FIRST_OF_FLOW);
	assert_true(t->pkt.flags & YS_PKT_TO_SERVER);
	assert_false(t->pkt.flags & YS_PKT_ESTABLISHED);
	assert_int_not_equal(f->flow_id, 0);
	assert_int_equal(f->client_port, 40000);
	assert_int_equal(f->server_port, 80);

	g = tcp(t, S, 80, C, 40000, SYN | ACK, 500, 101, 1, 1);
	assert_ptr_equal(g, f);
	assert_true(t->pkt.flags & YS_PKT_TO_CLIENT);
	assert_false(t->pkt.flags & YS_PKT_FIRST_OF_FLOW);
	assert_false(t->pkt.flags & YS_PKT_ESTABLISHED);

	/* An ACK that does not acknowledge the SYN/ACK does not complete it. */
	tcp(t, C, 40000, S, 80, ACK, 101, 999, 1, 1);
	assert_false(t->pkt.flags & YS_PKT_ESTABLISHED);
	assert_int_equal(f->state, YS_FLOW_NEW);

	/* The handshake's ACK completes it but found the flow not yet established. */
	tcp(t, C, 40000, S, 80, ACK, 101, 501, 1, 1);
	assert_false(t->pkt.flags & YS_PKT_ESTABLISHED);
	assert_int_equal(f->state, YS_FLOW_ESTABLISHED);
	assert_int_equal(f->tcp_flags_seen & 7,
			 YS_TCP_SYN_SEEN | YS_TCP_SYNACK_SEEN | YS_TCP_ACK_SEEN);

	tcp(t, S, 80, C, 40000, ACK | 0x08, 501, 101, 1, 2);
	assert_true(t->pkt.flags & YS_PKT_ESTABLISHED);
	assert_true(t->pkt.flags & YS_PKT_TO_CLIENT);
	assert_int_equal(f->pkts_toserver, 3);
	assert_int_equal(f->pkts_toclient, 2);
	assert_int_equal(f->start_usec, 1000000);
	assert_int_equal(f->last_usec, 2000000);

	/* FIN one way: closing, still established; FIN back: closed. */
	tcp(t, C, 40000, S, 80, FIN | ACK, 101, 501, 1, 3);
	assert_int_equal(f->state, YS_FLOW_CLOSING);
	assert_true(t->pkt.flags & YS_PKT_ESTABLISHED);
	tcp(t, S, 80, C, 40000, FIN | ACK, 501, 102, 1, 3);
	assert_int_equal(f->state, YS_FLOW_CLOSED);
	assert_true(t->pkt.flags & YS_PKT_ESTABLISHED);
	/* The last ACK finds the flow closed. */
	tcp(t, C, 40000, S, 80, ACK, 102, 502, 1, 3);
	assert_false(t->pkt.flags & YS_PKT_ESTABLISHED);

	/* Port reuse: a new SYN on the closed flow starts a new flow. */
	g = tcp(t, C, 40000, S, 80, SYN, 7000, 0, 1, 4);
	assert_non_null(g);
	assert_true(t->pkt.flags & YS_PKT_FIRST_OF_FLOW);
	assert_int_equal(g->state, YS_FLOW_NEW);
	assert_int_equal(g->pkts_toserver, 1);
	assert_int_equal(t->released, 1);
	assert_int_equal(ys_flow_table_stats(t->ft)->created, 2);
	assert_int_equal(ys_flow_table_stats(t->ft)->active, 1);
}

static void test_synack_first_and_midstream(void **state)
{
	struct tctx *t = *state;
	struct ys_flow *f;

	/* SYN missed: the SYN/ACK's sender is the server. */
	f = tcp(t, S, 443, C, 50000, SYN | ACK, 1, 1, 1, 1);
	assert_non_null(f);
	assert_true(t->pkt.flags & YS_PKT_TO_CLIENT);
	assert_int_equal(f->server_port, 443);
	assert_int_equal(f->client_port, 50000);
	tcp(t, C, 50000, S, 443, ACK, 1, 2, 1, 1);
	assert_true(t->pkt.flags & YS_PKT_TO_SERVER);
	/* Without the SYN, the handshake was not seen: not established. */
	assert_false(t->pkt.flags & YS_PKT_ESTABLISHED);

	/* Midstream from a well-known port to an ephemeral one: sender is the server. */
	f = tcp(t, S, 22, C, 51000, ACK, 1, 1, 1, 1);
	assert_true(t->pkt.flags & YS_PKT_TO_CLIENT);
	assert_int_equal(f->server_port, 22);
	/* Midstream between two ephemeral ports: the first sender is the client. */
	f = tcp(t, S, 5000, C, 6000, ACK, 1, 1, 1, 1);
	assert_true(t->pkt.flags & YS_PKT_TO_SERVER);
	assert_int_equal(f->client_port, 5000);
}

static void test_rst_and_bad_checksum(void **state)
{
	struct tctx *t = ctx_new(NULL, true);
	struct ys_flow *f;
	size_t th;

	*state = t;
	f = tcp(t, C, 1234, S, 80, SYN, 10, 0, 1, 1);
	tcp(t, S, 80, C, 1234, SYN | ACK, 20, 11, 1, 1);
	tcp(t, C, 1234, S, 80, ACK, 11, 21, 1, 1);
	assert_int_equal(f->state, YS_FLOW_ESTABLISHED);

	/* A forged RST with a bad checksum: counted, state unchanged. */
	build_tcp(t, S, 80, C, 1234, RST, 21, 0);
	th = 14 + 20;
	t->pb.b[th + 16] ^= 0xff;
	feed(t, 1, 2);
	assert_true(t->pkt.flags & YS_PKT_BAD_CSUM);
	assert_int_equal(f->state, YS_FLOW_ESTABLISHED);
	assert_int_equal(f->pkts_toclient, 2);

	tcp(t, S, 80, C, 1234, RST, 21, 0, 1, 2);
	assert_int_equal(f->state, YS_FLOW_CLOSED);
	assert_true(f->tcp_flags_seen & YS_TCP_RST_SEEN);
}

static void test_udp_established_and_icmp(void **state)
{
	struct tctx *t = *state;
	struct ys_flow *f, *g;
	size_t ip, ic;

	f = udp(t, C, 5353, S, 53, 1, 1);
	assert_false(t->pkt.flags & YS_PKT_ESTABLISHED);
	assert_int_equal(f->state, YS_FLOW_NEW);
	g = udp(t, S, 53, C, 5353, 1, 1);
	assert_ptr_equal(f, g);
	assert_true(t->pkt.flags & YS_PKT_TO_CLIENT);
	assert_true(t->pkt.flags & YS_PKT_ESTABLISHED);
	assert_int_equal(f->state, YS_FLOW_ESTABLISHED);

	/* Echo reply seen first: its sender is the server; the request joins the flow. */
	t->pb.n = 0;
	pb_eth(&t->pb, NULL, 0, 0x0800);
	ip = pb_ipv4(&t->pb, S, C, 1, 1, 0);
	ic = pb_icmp(&t->pb, 0, 0, 77, 1);
	pb_icmp_fix(&t->pb, ic, ip, 0);
	pb_ipv4_fix(&t->pb, ip);
	f = feed(t, 1, 1);
	assert_true(t->pkt.flags & YS_PKT_TO_CLIENT);
	assert_int_equal(f->proto, 1);
	t->pb.n = 0;
	pb_eth(&t->pb, NULL, 0, 0x0800);
	ip = pb_ipv4(&t->pb, C, S, 1, 1, 0);
	ic = pb_icmp(&t->pb, 8, 0, 77, 2);
	pb_icmp_fix(&t->pb, ic, ip, 0);
	pb_ipv4_fix(&t->pb, ip);
	g = feed(t, 1, 1);
	assert_ptr_equal(f, g);
	assert_true(t->pkt.flags & YS_PKT_TO_SERVER);
	assert_true(t->pkt.flags & YS_PKT_ESTABLISHED);
	assert_int_equal(ys_flow_table_stats(t->ft)->icmp, 1);
	assert_int_equal(ys_flow_table_stats(t->ft)->udp, 1);
}

/* ICMPv4 TYPE from SRC to DST quoting a UDP packet QS:QSP -> QD:QDP. */
static struct ys_flow *icmp_error(struct tctx *t, uint8_t type, const char *src, const char *dst,
				  const char *qs, uint16_t qsp, const char *qd, uint16_t qdp)
{
	struct pb q = { .n = 0 };
	size_t ip, ic, qip, quh;

	qip = pb_ipv4(&q, qs, qd, 17, 1, 0);
	quh = pb_udp(&q, qsp, qdp);
	pb_put(&q, "data", 4);
	pb_udp_fix(&q, quh, qip);
	pb_ipv4_fix(&q, qip);
	t->pb.n = 0;
	pb_eth(&t->pb, NULL, 0, 0x0800);
	ip = pb_ipv4(&t->pb, src, dst, 1, 1, 0);
	ic = pb_icmp(&t->pb, type, 3, 0, 0);
	pb_put(&t->pb, q.b, 28);
	pb_icmp_fix(&t->pb, ic, ip, 0);
	pb_ipv4_fix(&t->pb, ip);
	return feed(t, 1, 1);
}

static void test_icmp_errors(void **state)
{
	struct tctx *t = *state;
	struct ys_flow *f;

	f = udp(t, C, 5353, S, 53, 1, 1);
	/* Port unreachable from the server, quoting the client's datagram. */
	assert_ptr_equal(icmp_error(t, 3, S, C, C, 5353, S, 53), f);
	assert_true(t->pkt.flags & YS_PKT_TO_CLIENT);
	assert_false(t->pkt.flags & YS_PKT_FIRST_OF_FLOW);
	assert_int_equal(f->pkts_toclient, 1);
	/* From a router on the way: to client too. */
	assert_ptr_equal(icmp_error(t, 3, "10.9.9.9", C, C, 5353, S, 53), f);
	assert_true(t->pkt.flags & YS_PKT_TO_CLIENT);
	/* Quoting a packet of no live flow, or another error type: no flow. */
	assert_null(icmp_error(t, 3, S, C, C, 9999, S, 53));
	assert_null(t->pkt.flow);
	assert_null(icmp_error(t, 11, "10.9.9.9", C, C, 5353, S, 53));
	assert_int_equal(ys_flow_table_stats(t->ft)->created, 1);
	assert_int_equal(ys_flow_table_stats(t->ft)->icmp, 0);
}

static void test_tenant_isolation(void **state)
{
	struct tctx *t = *state;
	struct ys_flow *a, *b;

	a = udp(t, C, 1000, S, 2000, 101, 1);
	b = udp(t, C, 1000, S, 2000, 102, 1);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_not_equal(a->flow_id, b->flow_id);
	assert_int_equal(a->tenant_id, 101);
	assert_int_equal(b->tenant_id, 102);
	/* A reply in tenant 102 finds tenant 102's flow only. */
	assert_ptr_equal(udp(t, S, 2000, C, 1000, 102, 1), b);
	assert_int_equal(a->pkts_toclient, 0);
	assert_int_equal(b->pkts_toclient, 1);
	assert_int_equal(ys_flow_table_stats(t->ft)->active, 2);
}

/* UDP C:1000 -> S:2000 in VLAN TAG (0 = untagged), optionally inside VXLAN VNI. */
static struct ys_flow *udp_in(struct tctx *t, uint16_t tag, int vni, bool reply)
{
	size_t oip = 0, oudp = 0, ip, uh;
	uint16_t tags[] = { tag };

	t->pb.n = 0;
	if (vni >= 0) {
		pb_eth(&t->pb, NULL, 0, 0x0800);
		oip = pb_ipv4(&t->pb, "172.16.0.1", "172.16.0.2", 17, 1, 0);
		oudp = pb_udp(&t->pb, 1, 4789);
		pb_vxlan(&t->pb, (uint32_t)vni);
	}
	pb_eth(&t->pb, tags, tag ? 1 : 0, 0x0800);
	ip = pb_ipv4(&t->pb, reply ? S : C, reply ? C : S, 17, 1, 0);
	uh = reply ? pb_udp(&t->pb, 2000, 1000) : pb_udp(&t->pb, 1000, 2000);
	pb_udp_fix(&t->pb, uh, ip);
	pb_ipv4_fix(&t->pb, ip);
	if (vni >= 0) {
		pb_udp_fix(&t->pb, oudp, oip);
		pb_ipv4_fix(&t->pb, oip);
	}
	return feed(t, 0, 1);
}

static void test_vlan_and_vni_in_key(void **state)
{
	struct tctx *t = *state;
	struct ys_flow *v10, *v20, *n1, *n2;
	struct ys_flow_params fp = { .ignore_vlan = true };

	/* Same 5-tuple, same tenant (0): different VLANs or VNIs are different flows. */
	v10 = udp_in(t, 10, -1, false);
	v20 = udp_in(t, 20, -1, false);
	assert_ptr_not_equal(v10, v20);
	assert_ptr_equal(udp_in(t, 10, -1, true), v10);
	assert_true(t->pkt.flags & YS_PKT_TO_CLIENT);
	n1 = udp_in(t, 0, 5001, false);
	n2 = udp_in(t, 0, 5002, false);
	assert_ptr_not_equal(n1, n2);
	assert_ptr_equal(udp_in(t, 0, 5002, true), n2);
	assert_ptr_not_equal(udp_in(t, 0, -1, false), n1);
	assert_int_equal(ys_flow_table_stats(t->ft)->created, 5);

	/* The same tuple inside IP-in-IP is another flow than the bare one. */
	{
		size_t oip, ip, uh;

		t->pb.n = 0;
		pb_eth(&t->pb, NULL, 0, 0x0800);
		oip = pb_ipv4(&t->pb, "198.51.100.1", "198.51.100.2", 4, 1, 0);
		ip = pb_ipv4(&t->pb, C, S, 17, 1, 0);
		uh = pb_udp(&t->pb, 1000, 2000);
		pb_udp_fix(&t->pb, uh, ip);
		pb_ipv4_fix(&t->pb, ip);
		pb_ipv4_fix(&t->pb, oip);
		assert_non_null(feed(t, 0, 1));
		assert_true(t->pkt.flags & YS_PKT_FIRST_OF_FLOW);
		assert_int_equal(ys_flow_table_stats(t->ft)->created, 6);
	}

	/* With ignore_vlan, a reply on another VLAN joins the flow. */
	ys_flow_table_free(t->ft);
	t->ft = ys_flow_table_new(&fp);
	v10 = udp_in(t, 10, -1, false);
	assert_ptr_equal(udp_in(t, 20, -1, true), v10);
	assert_true(t->pkt.flags & YS_PKT_ESTABLISHED);
}

static void test_timeouts(void **state)
{
	struct ys_flow_params fp = { .timeout_new = 30,
				     .timeout_established = 300,
				     .timeout_closed = 10,
				     .timeout_udp = 120 };
	struct tctx *t = ctx_new(&fp, false);
	struct ys_flow *est, *fresh;

	*state = t;
	est = tcp(t, C, 1, S, 80, SYN, 1, 0, 1, 100);
	tcp(t, S, 80, C, 1, SYN | ACK, 9, 2, 1, 100);
	tcp(t, C, 1, S, 80, ACK, 2, 10, 1, 100);
	assert_int_equal(est->state, YS_FLOW_ESTABLISHED);
	fresh = udp(t, C, 7, S, 7, 1, 100);
	assert_non_null(fresh);

	/* 31 s idle: the new UDP flow expires, the established TCP one stays. */
	assert_int_equal(ys_flow_timeout(t->ft, 131 * 1000000ull), 1);
	assert_int_equal(t->released, 1);
	assert_int_equal(ys_flow_table_stats(t->ft)->evicted_timeout, 1);
	assert_int_equal(ys_flow_table_stats(t->ft)->active, 1);
	assert_int_equal(ys_flow_timeout(t->ft, 399 * 1000000ull), 0);
	assert_int_equal(ys_flow_timeout(t->ft, 401 * 1000000ull), 1);
	assert_int_equal(ys_flow_table_stats(t->ft)->active, 0);

	/* A packet on an entry idle past its timeout starts a new flow, even
	 * before ys_flow_timeout() ran. */
	est = udp(t, C, 9, S, 9, 1, 1000);
	fresh = udp(t, C, 9, S, 9, 1, 1031);
	assert_true(t->pkt.flags & YS_PKT_FIRST_OF_FLOW);
	assert_int_equal(fresh->pkts_toserver, 1);
}

static void test_memcap(void **state)
{
	struct ys_flow_params fp = { .memcap = 4 * sizeof(struct ys_flow) };
	struct tctx *t = ctx_new(&fp, false);
	char ip[32];

	*state = t;
	/* Four established TCP flows fill the table. */
	for (int i = 0; i < 4; i++) {
		snprintf(ip, sizeof(ip), "10.1.0.%d", i + 1);
		tcp(t, ip, 1000, S, 80, SYN, 1, 0, 1, 10 + i);
		tcp(t, S, 80, ip, 1000, SYN | ACK, 5, 2, 1, 10 + i);
		tcp(t, ip, 1000, S, 80, ACK, 2, 6, 1, 10 + i);
		assert_int_equal(t->pkt.flow->state, YS_FLOW_ESTABLISHED);
	}
	/* A fifth is refused: established sessions are not pushed out. */
	assert_null(tcp(t, "10.2.0.1", 1, S, 80, SYN, 1, 0, 1, 20));
	assert_null(t->pkt.flow);
	assert_int_equal(ys_flow_table_stats(t->ft)->memcap_refused, 1);
	assert_true(ys_flow_table_stats(t->ft)->memuse <= fp.memcap);

	/* Close the oldest one: it becomes reclaimable and makes room. */
	tcp(t, "10.1.0.1", 1000, S, 80, RST, 2, 0, 1, 21);
	assert_non_null(tcp(t, "10.2.0.1", 1, S, 80, SYN, 1, 0, 1, 22));
	assert_int_equal(ys_flow_table_stats(t->ft)->evicted_memcap, 1);
	/* New (not established) flows reclaim each other, oldest first. */
	assert_non_null(tcp(t, "10.3.0.1", 1, S, 80, SYN, 1, 0, 1, 23));
	assert_int_equal(ys_flow_table_stats(t->ft)->evicted_memcap, 2);
	assert_int_equal(ys_flow_table_stats(t->ft)->active, 4);
	assert_int_equal(t->released, 2);
}

static void test_flow_ids_unique(void **state)
{
	struct tctx *t = *state;
	enum { N = 3000 };
	uint64_t *ids = calloc(N, sizeof(*ids));
	char ip[32];

	for (int i = 0; i < N; i++) {
		struct ys_flow *f;

		snprintf(ip, sizeof(ip), "10.%d.%d.1", i / 250, i % 250);
		f = udp(t, ip, 1, S, 2, 1, 1);
		ids[i] = f->flow_id;
		assert_int_not_equal(ids[i], 0);
		assert_true(ids[i] < (1ull << 53));
		for (int j = 0; j < i; j++)
			assert_int_not_equal(ids[i], ids[j]);
	}
	assert_int_equal(ys_flow_table_stats(t->ft)->active, N);
	free(ids);
}

static void count_visit(struct ys_flow *f, void *user)
{
	(void)f;
	(*(unsigned *)user)++;
}

static void test_foreach_and_free_release(void **state)
{
	struct tctx *t = *state;
	unsigned n = 0;

	udp(t, C, 1, S, 2, 1, 1);
	tcp(t, C, 1, S, 2, SYN, 1, 0, 1, 1);
	{
		size_t ip, uh;

		t->pb.n = 0;
		pb_eth(&t->pb, NULL, 0, 0x86dd);
		ip = pb_ipv6(&t->pb, "fd00::1", "fd00::2", 17);
		uh = pb_udp(&t->pb, 1, 2);
		pb_udp_fix(&t->pb, uh, ip);
		pb_ipv6_fix(&t->pb, ip);
		assert_non_null(feed(t, 1, 1));
		assert_int_equal(t->pkt.flow->client.family, 6);
	}
	ys_flow_foreach(t->ft, count_visit, &n);
	assert_int_equal(n, 3);
	ys_flow_table_free(t->ft);
	t->ft = NULL;
	assert_int_equal(t->released, 3);
	ys_flow_table_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake_established, setup, teardown),
		cmocka_unit_test_setup_teardown(test_synack_first_and_midstream, setup, teardown),
		cmocka_unit_test_teardown(test_rst_and_bad_checksum, teardown),
		cmocka_unit_test_setup_teardown(test_udp_established_and_icmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tenant_isolation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vlan_and_vni_in_key, setup, teardown),
		cmocka_unit_test_teardown(test_timeouts, teardown),
		cmocka_unit_test_teardown(test_memcap, teardown),
		cmocka_unit_test_setup_teardown(test_flow_ids_unique, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach_and_free_release, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
