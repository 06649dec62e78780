/*
 * Unit tests of compile + match on crafted packets and inspection buffers:
 * content modifiers (relative chains, backtracking, negation), pcre,
 * byte_test/jump/extract, isdataat, dsize, flags, icmp, flowbits across
 * packets, flowint, thresholds and detection_filter, pass rules, app-layer
 * buffers with alert-once-per-transaction, and alert ordering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "detect_int.h"
#include "ys_log.h"

struct t_env {
	struct ys_detect_engine *eng;
	struct ys_detect_ctx *ctx;
	struct ys_flow flow;
	uint32_t sids[64];
	unsigned n;
};

static void collect(const struct ys_alert *a, void *user)
{
	struct t_env *e = user;
	if (e->n < 64)
		e->sids[e->n++] = a->sig->sid;
}

static void env_init(struct t_env *e, const char *rules)
{
	memset(e, 0, sizeof(*e));
	e->eng = ys_detect_engine_new(NULL);
	assert_non_null(e->eng);
	assert_int_equal(ys_detect_load_string(e->eng, "t.rules", rules), 0);
	const struct ys_detect_failure *f;
	size_t nf = ys_detect_failures(e->eng, &f);
	if (nf)
		fail_msg("rule failed: line %u keyword %s: %s", f[0].line, f[0].keyword,
			 f[0].reason);
	assert_int_equal(ys_detect_engine_compile(e->eng), 0);
	e->ctx = ys_detect_ctx_new(e->eng);
	assert_non_null(e->ctx);
}

static void env_free(struct t_env *e)
{
	ys_detect_flow_release(e->flow.detect);
	ys_detect_ctx_free(e->ctx);
	ys_detect_engine_free(e->eng);
}

static void mkpkt(struct ys_packet *p, uint8_t proto, const char *src, uint16_t sp, const char *dst,
		  uint16_t dp, const void *payload, uint32_t len)
{
	memset(p, 0, sizeof(*p));
	p->ip_version = 4;
	p->src.family = p->dst.family = 4;
	inet_pton(AF_INET, src, p->src.a);
	inet_pton(AF_INET, dst, p->dst.a);
	p->proto = proto;
	p->sport = sp;
	p->dport = dp;
	p->ttl = 64;
	p->payload = payload;
	p->payload_len = len;
	static const uint8_t hdr[64];
	p->l4 = hdr;
	p->l4_len = 20 + len;
	p->flags = YS_PKT_TO_SERVER;
	p->ts_usec = 1700000000000000ull;
}

/* Run one packet; returns alerts count and keeps sids in e->sids. */
static unsigned run(struct t_env *e, struct ys_packet *p, const struct ys_inspect *in)
{
	e->n = 0;
	unsigned n = ys_detect_inspect(e->ctx, p, in, collect, e);
	assert_int_equal(n, e->n);
	return n;
}

static bool fired(const struct t_env *e, uint32_t sid)
{
	for (unsigned i = 0; i < e->n; i++)
		if (e->sids[i] == sid)
			return true;
	return false;
}

#define TCP_PAY(e, str)                                                                            \
	do {                                                                                       \
		struct ys_packet p_;                                                               \
		mkpkt(&p_, IPPROTO_TCP, "10.0.0.1", 1234, "10.0.0.2", 80, (str), strlen(str));     \
		p_.flow = &(e)->flow;                                                              \
		run((e), &p_, NULL);                                                               \
	} while (0)

static void test_content_modifiers(void **state)
{
	struct t_env e;
	env_init(
		&e,
		"alert tcp any any -> any any (content:\"AllWorkAndNoPlayMakesWill\"; "
		"content:\"DullBoy\"; distance:1; within:7; sid:1;)\n"
		"alert tcp any any -> any any (content:\"abc\"; offset:2; depth:3; sid:2;)\n"
		"alert tcp any any -> any any (content:\"ABC\"; nocase; content:!\"zzz\"; sid:3;)\n"
		"alert tcp any any -> any any (content:\"xa\"; content:\"yb\"; distance:0; "
		"within:3; sid:4;)\n"
		"alert tcp any any -> any any (content:\"end\"; endswith; sid:5;)\n"
		"alert tcp any any -> any any (content:\"st\"; startswith; sid:6;)\n"
		"alert tcp any any -> any any (content:\"|41 42|C\"; sid:7;)\n");
	TCP_PAY(&e, "AllWorkAndNoPlayMakesWill DullBoy");
	assert_true(fired(&e, 1));
	TCP_PAY(&e, "AllWorkAndNoPlayMakesWillDullBoy");
	assert_false(fired(&e, 1)); /* distance:1 needs one byte between */
	TCP_PAY(&e, "xxabc");
	assert_true(fired(&e, 2));
	assert_true(fired(&e, 3));  /* nocase */
	assert_false(fired(&e, 7)); /* case matters without nocase */
	TCP_PAY(&e, "xxABC");
	assert_true(fired(&e, 7));
	TCP_PAY(&e, "xxxabc");
	assert_false(fired(&e, 2)); /* beyond offset+depth */
	TCP_PAY(&e, "abc zzz");
	assert_false(fired(&e, 3)); /* negated content present */
	/* backtracking: the first "xa" is not followed by "yb"; the second is */
	TCP_PAY(&e, "xa.....xa.yb");
	assert_true(fired(&e, 4));
	TCP_PAY(&e, "xa.....xa...yb");
	assert_false(fired(&e, 4));
	TCP_PAY(&e, "st and the end");
	assert_true(fired(&e, 5));
	assert_true(fired(&e, 6));
	TCP_PAY(&e, "the end.");
	assert_false(fired(&e, 5));
	assert_false(fired(&e, 6));
	env_free(&e);
}

static void test_pcre_byte_isdataat(void **state)
{
	struct t_env e;
	env_init(&e,
		 "alert tcp any any -> any any (content:\"Question?\"; "
		 "byte_jump:2,0,relative,string,from_end,post_offset -26, bitmask 0xfe; "
		 "content:\"ll the pandemic end\"; distance:0; sid:1;)\n"
		 "alert tcp any any -> any any (content:\"len=\"; "
		 "byte_extract:1,0,n,relative,string,dec; content:\"X\"; distance:n; within:1; "
		 "sid:2;)\n"
		 "alert tcp any any -> any any (content:\"BT\"; byte_test:2,>,0x100,0,relative; "
		 "sid:3;)\n"
		 "alert tcp any any -> any any (content:\"BT\"; "
		 "byte_test:2,=,0x0201,0,relative,little; sid:4;)\n"
		 "alert tcp any any -> any any (content:\"id=\"; pcre:\"/^[0-9]{3}x/R\"; sid:5;)\n"
		 "alert tcp any any -> any any (content:\"abc\"; isdataat:!1,relative; sid:6;)\n"
		 "alert tcp any any -> any any (pcre:\"/hello\\s+world/i\"; sid:7;)\n"
		 "alert tcp any any -> any any (content:\"abc\"; isdataat:2,relative; sid:8;)\n");
	TCP_PAY(&e, "Question?13When will the pandemic end?");
	assert_true(fired(&e, 1));
	TCP_PAY(&e, "len=3abcX");
	assert_true(fired(&e, 2));
	TCP_PAY(&e, "len=2abcX");
	assert_false(fired(&e, 2));
	TCP_PAY(&e, "BT\x01\x02");
	assert_true(fired(&e, 3));
	assert_true(fired(&e, 4)); /* little endian: 0x0201 */
	TCP_PAY(&e, "BT\x02\x01");
	assert_false(fired(&e, 4));
	TCP_PAY(&e, "BT\x01"); /* too short for 2 bytes */
	assert_false(fired(&e, 3));
	TCP_PAY(&e, "BT\x01\x02xx");
	assert_true(fired(&e, 3));
	TCP_PAY(&e, "id=123x");
	assert_true(fired(&e, 5));
	TCP_PAY(&e, "id=12x id=123x");
	assert_true(fired(&e, 5)); /* second content occurrence anchors pcre */
	TCP_PAY(&e, "xx abc");
	assert_true(fired(&e, 6));
	assert_false(fired(&e, 8));
	TCP_PAY(&e, "xx abcde");
	assert_false(fired(&e, 6));
	assert_true(fired(&e, 8));
	TCP_PAY(&e, "HELLO   World");
	assert_true(fired(&e, 7));
	env_free(&e);
}

static void test_packet_keywords(void **state)
{
	struct t_env e;
	struct ys_packet p;
	env_init(&e, "alert tcp any any -> any any (flags:S; sid:1;)\n"
		     "alert tcp any any -> any any (flags:S,12; sid:2;)\n"
		     "alert tcp any any -> any any (flags:+A; sid:3;)\n"
		     "alert tcp any any -> any any (dsize:>3; sid:4;)\n"
		     "alert icmp any any -> any any (itype:8; icode:0; sid:5;)\n"
		     "alert icmp any any -> any any (itype:7<>20; sid:6;)\n"
		     "alert ip any any -> any any (ttl:<10; sid:7;)\n"
		     "alert tcp 10.0.0.1 any -> !10.0.0.1 any (flow:established; sid:8;)\n"
		     "alert tcp any any -> any 22 (flow:to_server; sid:9;)\n"
		     "alert udp any any <> any 53 (sid:10;)\n");
	mkpkt(&p, IPPROTO_TCP, "10.0.0.1", 1234, "10.0.0.2", 80, NULL, 0);
	p.tcp_flags = 0x02;
	run(&e, &p, NULL);
	assert_true(fired(&e, 1));
	assert_true(fired(&e, 2));
	assert_false(fired(&e, 3));
	assert_false(fired(&e, 4));
	assert_false(fired(&e, 8));
	p.tcp_flags = 0x02 | 0x80;
	run(&e, &p, NULL);
	assert_false(fired(&e, 1));
	assert_true(fired(&e, 2)); /* CWR ignored by the mask */
	p.tcp_flags = 0x12;
	p.flags |= YS_PKT_ESTABLISHED;
	p.payload = (const uint8_t *)"abcd";
	p.payload_len = 4;
	run(&e, &p, NULL);
	assert_true(fired(&e, 3));
	assert_true(fired(&e, 4));
	assert_true(fired(&e, 8));
	assert_false(fired(&e, 9));
	p.dport = 22;
	run(&e, &p, NULL);
	assert_true(fired(&e, 9));
	p.flags = YS_PKT_TO_CLIENT;
	run(&e, &p, NULL);
	assert_false(fired(&e, 9));

	mkpkt(&p, IPPROTO_ICMP, "10.0.0.1", 0, "10.0.0.2", 0, NULL, 0);
	p.icmp_type = 8;
	run(&e, &p, NULL);
	assert_true(fired(&e, 5));
	assert_true(fired(&e, 6));
	assert_false(fired(&e, 1));
	p.icmp_type = 20;
	p.ttl = 5;
	run(&e, &p, NULL);
	assert_false(fired(&e, 5));
	assert_false(fired(&e, 6));
	assert_true(fired(&e, 7));

	mkpkt(&p, IPPROTO_UDP, "10.0.0.2", 53, "10.0.0.1", 5000, NULL, 0);
	run(&e, &p, NULL);
	assert_true(fired(&e, 10)); /* bidirectional */
	env_free(&e);
}

static void test_flowbits_and_order(void **state)
{
	struct t_env e;
	/* the isset rule comes first in the file; the set rule must still run first */
	env_init(&e,
		 "alert tcp any any -> any any (content:\"two\"; flowbits:isset,seen; sid:2;)\n"
		 "alert tcp any any -> any any (content:\"one\"; flowbits:set,seen; "
		 "flowbits:noalert; sid:1;)\n"
		 "alert tcp any any -> any any (content:\"un\"; flowbits:unset,seen; sid:3;)\n"
		 "alert tcp any any -> any any (content:\"chk\"; flowbits:isnotset,seen; sid:4;)\n"
		 "alert tcp any any -> any any (content:\"a\"; priority:3; sid:10;)\n"
		 "alert tcp any any -> any any (content:\"a\"; priority:1; sid:11;)\n"
		 "alert tcp any any -> any any (content:\"cnt\"; flowint:c,+,1; flowint:c,>,1; "
		 "sid:20;)\n");
	TCP_PAY(&e, "two");
	assert_false(fired(&e, 2));
	TCP_PAY(&e, "chk");
	assert_true(fired(&e, 4));
	TCP_PAY(&e, "one two");
	assert_false(fired(&e, 1)); /* noalert */
	assert_true(fired(&e, 2));  /* set earlier in the same packet */
	TCP_PAY(&e, "chk");
	assert_false(fired(&e, 4));
	TCP_PAY(&e, "un");
	TCP_PAY(&e, "two");
	assert_false(fired(&e, 2));
	/* order: priority 1 before priority 3 */
	TCP_PAY(&e, "a");
	assert_int_equal(e.n, 2);
	assert_int_equal(e.sids[0], 11);
	assert_int_equal(e.sids[1], 10);
	/* flowint: incremented as the rule is evaluated, compared after it */
	TCP_PAY(&e, "cnt");
	assert_false(fired(&e, 20)); /* c = 1 */
	TCP_PAY(&e, "cnt");
	assert_true(fired(&e, 20)); /* c = 2 > 1 */
	TCP_PAY(&e, "xxx");
	assert_false(fired(&e, 20)); /* no content, no increment */
	env_free(&e);
}

static void test_threshold(void **state)
{
	struct t_env e;
	struct ys_packet p;
	int c1 = 0, c2 = 0, c3 = 0, c4 = 0;
	env_init(&e, "alert tcp any any -> any any (content:\"x\"; threshold:type limit, track "
		     "by_src, count 2, seconds 60; sid:1;)\n"
		     "alert tcp any any -> any any (content:\"x\"; threshold:type threshold, track "
		     "by_src, count 3, seconds 60; sid:2;)\n"
		     "alert tcp any any -> any any (content:\"x\"; threshold:type both, track "
		     "by_dst, count 3, seconds 60; sid:3;)\n"
		     "alert tcp any any -> any any (content:\"x\"; detection_filter:track by_src, "
		     "count 4, seconds 60; sid:4;)\n");
	for (int i = 0; i < 7; i++) {
		mkpkt(&p, IPPROTO_TCP, "10.0.0.1", 1234, "10.0.0.2", 80, "x", 1);
		p.ts_usec += (uint64_t)i * 1000000;
		run(&e, &p, NULL);
		c1 += fired(&e, 1);
		c2 += fired(&e, 2);
		c3 += fired(&e, 3);
		c4 += fired(&e, 4);
	}
	/* unique_on src_port: distinct ports, not packets, are counted */
	{
		struct t_env u;
		int cu = 0;
		env_init(&u, "alert tcp any any -> any 80 (flags:S; detection_filter:track by_src, "
			     "count 1, seconds 60, unique_on src_port; sid:9;)\n");
		static const uint16_t ports[] = { 2000, 2000, 2001, 2001 };
		for (int i = 0; i < 4; i++) {
			mkpkt(&p, IPPROTO_TCP, "10.0.0.1", ports[i], "2.2.2.2", 80, NULL, 0);
			p.tcp_flags = 0x02;
			run(&u, &p, NULL);
			cu += fired(&u, 9);
			if (i < 2)
				assert_false(fired(&u, 9));
		}
		assert_int_equal(cu, 2); /* both packets from the second port */
		env_free(&u);
	}
	assert_int_equal(c1, 2);
	assert_int_equal(c2, 2);
	assert_int_equal(c3, 1);
	assert_int_equal(c4, 3);
	/* another source has its own counters; after the window, limit resets */
	mkpkt(&p, IPPROTO_TCP, "10.0.0.9", 1234, "10.0.0.2", 80, "x", 1);
	run(&e, &p, NULL);
	assert_true(fired(&e, 1));
	mkpkt(&p, IPPROTO_TCP, "10.0.0.1", 1234, "10.0.0.2", 80, "x", 1);
	p.ts_usec += 120 * 1000000ull;
	run(&e, &p, NULL);
	assert_true(fired(&e, 1));
	env_free(&e);
}

static void test_pass_rule(void **state)
{
	struct t_env e;
	struct ys_packet p;
	env_init(&e, "pass ip any any <> 172.28.2.3 any (sid:100;)\n"
		     "alert icmp any any -> any any (itype:8; sid:1;)\n");
	mkpkt(&p, IPPROTO_ICMP, "10.0.0.1", 0, "172.28.2.3", 0, NULL, 0);
	p.icmp_type = 8;
	p.flow = &e.flow;
	assert_int_equal(run(&e, &p, NULL), 0);
	/* the flow is passed: later packets are not inspected */
	mkpkt(&p, IPPROTO_ICMP, "10.0.0.1", 0, "10.0.0.7", 0, NULL, 0);
	p.icmp_type = 8;
	p.flow = &e.flow;
	assert_int_equal(run(&e, &p, NULL), 0);
	p.flow = NULL;
	assert_int_equal(run(&e, &p, NULL), 1);
	env_free(&e);
}

static void test_iponly_once_per_direction(void **state)
{
	struct t_env e;
	struct ys_packet p;
	int n1 = 0, n2 = 0;
	env_init(&e, "alert ip 10.0.0.1 any -> any any (msg:\"ip-only\"; sid:1;)\n"
		     "alert ip any any <> any any (msg:\"ip-only both\"; sid:2;)\n"
		     "alert ip 10.0.0.1 any -> any any (ttl:64; sid:3;)\n");
	assert_true(e.eng->sigs[0]->flags & YS_SIG_F_IPONLY);
	for (int i = 0; i < 3; i++) {
		mkpkt(&p, IPPROTO_TCP, "10.0.0.1", 1234, "10.0.0.2", 80, NULL, 0);
		p.flow = &e.flow;
		run(&e, &p, NULL);
		n1 += fired(&e, 1);
		n2 += fired(&e, 2);
		assert_true(fired(&e, 3)); /* ttl: a packet rule, every packet */
	}
	for (int i = 0; i < 2; i++) {
		mkpkt(&p, IPPROTO_TCP, "10.0.0.2", 80, "10.0.0.1", 1234, NULL, 0);
		p.flags = YS_PKT_TO_CLIENT;
		p.flow = &e.flow;
		run(&e, &p, NULL);
		n2 += fired(&e, 2);
	}
	assert_int_equal(n1, 1); /* first to-server packet only */
	assert_int_equal(n2, 2); /* once per direction */
	/* without a flow, every packet is inspected */
	mkpkt(&p, IPPROTO_UDP, "10.0.0.1", 1, "10.0.0.2", 2, NULL, 0);
	run(&e, &p, NULL);
	assert_true(fired(&e, 1));
	env_free(&e);
}

static void test_packet_alert_max(void **state)
{
	struct t_env e;
	char rules[4096];
	size_t o = 0;
	for (int i = 1; i <= 20; i++)
		o += (size_t)snprintf(
			rules + o, sizeof(rules) - o,
			"alert tcp any any -> any any (content:\"x\"; priority:%d; sid:%d;)\n",
			i <= 5 ? 3 : 1, i);
	env_init(&e, rules);
	TCP_PAY(&e, "x");
	assert_int_equal(e.n, 15);	/* Suricata's default detect.packet-alert-max */
	assert_int_equal(e.sids[0], 6); /* priority 1 rules first, in load order */
	assert_int_equal(e.sids[14], 20);
	assert_false(fired(&e, 1)); /* the priority 3 rules are the ones dropped */
	env_free(&e);
}

/* Rules share address sets (one result per set and packet): the same set as
 * source in one rule and destination in another, bidirectional rules, and
 * negated sets must each see the right address. */
static void test_shared_address_sets(void **state)
{
	struct t_env e;
	struct ys_packet p;
	env_init(&e, "alert tcp [10.0.0.0/24] any -> any any (content:\"x\"; sid:1;)\n"
		     "alert tcp any any -> [10.0.0.0/24] any (content:\"x\"; sid:2;)\n"
		     "alert tcp [10.0.0.0/24] any -> [10.0.0.0/24] any (content:\"x\"; sid:3;)\n"
		     "alert tcp [10.0.0.0/24] any <> ![10.0.0.0/24] any (content:\"x\"; sid:4;)\n"
		     "alert tcp ![10.0.0.0/24] any -> [10.0.0.0/24] 80 (content:\"x\"; sid:5;)\n");
	assert_int_equal(e.eng->pre[0].src_set, e.eng->pre[1].dst_set);
	assert_int_equal(e.eng->naddr_sets,
			 2); /* 10.0.0.0/24 and its negation ("any" needs none) */
	/* inside -> outside */
	mkpkt(&p, IPPROTO_TCP, "10.0.0.1", 1234, "192.0.2.1", 80, "x", 1);
	run(&e, &p, NULL);
	assert_true(fired(&e, 1));
	assert_false(fired(&e, 2));
	assert_false(fired(&e, 3));
	assert_true(fired(&e, 4));
	assert_false(fired(&e, 5));
	/* outside -> inside: the bidirectional rule matches the other way round */
	mkpkt(&p, IPPROTO_TCP, "192.0.2.1", 1234, "10.0.0.1", 80, "x", 1);
	run(&e, &p, NULL);
	assert_false(fired(&e, 1));
	assert_true(fired(&e, 2));
	assert_false(fired(&e, 3));
	assert_true(fired(&e, 4));
	assert_true(fired(&e, 5));
	/* inside -> inside */
	mkpkt(&p, IPPROTO_TCP, "10.0.0.1", 1234, "10.0.0.2", 81, "x", 1);
	run(&e, &p, NULL);
	assert_true(fired(&e, 1));
	assert_true(fired(&e, 2));
	assert_true(fired(&e, 3));
	assert_false(fired(&e, 4));
	assert_false(fired(&e, 5));
	env_free(&e);
}

/* Many candidates on one packet (more than the insertion sort takes) still
 * alert in evaluation order. */
static void test_many_candidates_order(void **state)
{
	struct t_env e;
	char rules[8192];
	size_t o = 0;
	for (int i = 1; i <= 40; i++)
		o += (size_t)snprintf(rules + o, sizeof(rules) - o,
				      "alert tcp any any -> any any (content:\"k%02d\"; "
				      "priority:%d; sid:%d;)\n",
				      41 - i, i % 3 + 1, i);
	env_init(&e, rules);
	/* patterns in reverse order of the rules: Hyperscan reports k01 (sid 40) first */
	char pay[200];
	o = 0;
	for (int i = 1; i <= 40; i++)
		o += (size_t)snprintf(pay + o, sizeof(pay) - o, "k%02d", i);
	TCP_PAY(&e, pay);
	assert_int_equal(e.n, 15);
	/* priority 1 first (sids 3, 6, 9 ...), load order within a priority */
	for (unsigned i = 0; i < 13; i++)
		assert_int_equal(e.sids[i], 3 * (i + 1));
	assert_int_equal(e.sids[13], 1);
	assert_int_equal(e.sids[14], 4);
	env_free(&e);
}

static void test_app_buffers(void **state)
{
	struct t_env e;
	struct ys_packet p;
	struct ys_inspect in;
	env_init(&e, "alert http any any -> any any (msg:\"uri\"; content:\"GET\"; http_method; "
		     "content:\"/evil.php\"; http_uri; sid:1;)\n"
		     "alert http any any -> any any (http.user_agent; content:\"curl\"; "
		     "startswith; sid:2;)\n"
		     "alert dns any any -> any any (dns.query; dotprefix; "
		     "content:\".bad.example\"; endswith; sid:3;)\n"
		     "alert http any any -> any any (http.uri; pcre:\"/\\.php$/\"; sid:4;)\n"
		     "alert tcp any any -> any any (content:\"/evil.php\"; sid:5;)\n");
	mkpkt(&p, IPPROTO_TCP, "10.0.0.1", 1234, "10.0.0.2", 80, "xx", 2);
	p.flow = &e.flow;
	ys_inspect_reset(&in);
	in.app_proto = YS_APP_HTTP;
	ys_inspect_add(&in, YS_BUF_HTTP_METHOD, (const uint8_t *)"GET", 3, YS_BUF_F_TO_SERVER, 0);
	ys_inspect_add(&in, YS_BUF_HTTP_URI, (const uint8_t *)"/evil.php", 9, YS_BUF_F_TO_SERVER,
		       0);
	ys_inspect_add(&in, YS_BUF_HTTP_USER_AGENT, (const uint8_t *)"curl/8", 6,
		       YS_BUF_F_TO_SERVER, 0);
	run(&e, &p, &in);
	assert_true(fired(&e, 1));
	assert_true(fired(&e, 2));
	assert_true(fired(&e, 4));
	assert_false(fired(&e, 5)); /* URI content only searched in the payload */
	/* the same transaction again: no second alert */
	run(&e, &p, &in);
	assert_false(fired(&e, 1));
	/* next transaction alerts again */
	in.bufs[0].tx_id = in.bufs[1].tx_id = in.bufs[2].tx_id = 1;
	run(&e, &p, &in);
	assert_true(fired(&e, 1));
	/* wrong protocol on the flow: http rules do not apply */
	in.app_proto = YS_APP_TLS;
	in.bufs[0].tx_id = in.bufs[1].tx_id = in.bufs[2].tx_id = 2;
	run(&e, &p, &in);
	assert_false(fired(&e, 1));

	env_free(&e);

	/* http.request_header / http.response_header: one buffer per header line */
	env_init(&e, "alert http any any -> any any (http.request_header; content:\"Date|3a 20|\"; "
		     "sid:6;)\n"
		     "alert http any any -> any any (http.response_header; content:\"Date|3a "
		     "20|\"; sid:7;)\n");
	mkpkt(&p, IPPROTO_TCP, "10.0.0.2", 80, "10.0.0.1", 1234, "xx", 2);
	p.flags = YS_PKT_TO_CLIENT;
	ys_inspect_reset(&in);
	in.app_proto = YS_APP_HTTP;
	ys_inspect_add(&in, YS_BUF_HTTP_RESPONSE_HEADER, (const uint8_t *)"Date: today\r\n", 13,
		       YS_BUF_F_TO_CLIENT, 0);
	run(&e, &p, &in);
	assert_false(fired(&e, 6));
	assert_true(fired(&e, 7));
	env_free(&e);

	/* ssl_version / tls.version on the negotiated version */
	env_init(&e, "alert tls any any -> any any (ssl_version:tls1.0,sslv3; sid:8;)\n"
		     "alert tls any any -> any any (tls.version:1.2; sid:9;)\n"
		     "alert tls any any -> any any (ssl_version:!tls1.2; sid:10;)\n");
	mkpkt(&p, IPPROTO_TCP, "10.0.0.2", 443, "10.0.0.1", 1234, "xx", 2);
	ys_inspect_reset(&in);
	in.app_proto = YS_APP_TLS;
	ys_inspect_add(&in, YS_BUF_TLS_VERSION, (const uint8_t *)"1.2", 3, YS_BUF_F_TO_CLIENT, 0);
	run(&e, &p, &in);
	assert_false(fired(&e, 8));
	assert_true(fired(&e, 9));
	assert_false(fired(&e, 10)); /* listed and negated */
	ys_inspect_reset(&in);
	in.app_proto = YS_APP_TLS;
	ys_inspect_add(&in, YS_BUF_TLS_VERSION, (const uint8_t *)"3.0", 3, YS_BUF_F_TO_CLIENT, 1);
	run(&e, &p, &in);
	assert_true(fired(&e, 8));
	assert_false(fired(&e, 9));
	env_free(&e);

	env_init(&e, "alert dns any any -> any any (dns.query; dotprefix; "
		     "content:\".bad.example\"; endswith; sid:3;)\n");
	mkpkt(&p, IPPROTO_UDP, "10.0.0.1", 1234, "10.0.0.2", 53, "q", 1);
	ys_inspect_reset(&in);
	in.app_proto = YS_APP_DNS;
	ys_inspect_add(&in, YS_BUF_DNS_QUERY, (const uint8_t *)"bad.example", 11,
		       YS_BUF_F_TO_SERVER, 0);
	run(&e, &p, &in);
	assert_true(fired(&e, 3)); /* ".bad.example" matches thanks to dotprefix */
	ys_inspect_reset(&in);
	in.app_proto = YS_APP_DNS;
	ys_inspect_add(&in, YS_BUF_DNS_QUERY, (const uint8_t *)"notbad.example", 14,
		       YS_BUF_F_TO_SERVER, 0);
	run(&e, &p, &in);
	assert_false(fired(&e, 3));
	env_free(&e);
}

int main(void)
{
	ys_log_set_level(YS_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_modifiers),
		cmocka_unit_test(test_pcre_byte_isdataat),
		cmocka_unit_test(test_packet_keywords),
		cmocka_unit_test(test_flowbits_and_order),
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_pass_rule),
		cmocka_unit_test(test_app_buffers),
		cmocka_unit_test(test_iponly_once_per_direction),
		cmocka_unit_test(test_packet_alert_max),
		cmocka_unit_test(test_shared_address_sets),
		cmocka_unit_test(test_many_candidates_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
