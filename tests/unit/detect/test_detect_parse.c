/*
 * Unit tests of the rule parser: every supported keyword loads, malformed
 * rules fail with the keyword and reason, unsupported keywords are named,
 * variables, address and port sets, classification, duplicates and
 * multi-line rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect_int.h"
#include "ys_log.h"

#include <arpa/inet.h>

static struct ys_detect_engine *eng_with(const char *rules)
{
	struct ys_detect_engine *eng = ys_detect_engine_new(NULL);
	assert_non_null(eng);
	assert_int_equal(ys_detect_load_string(eng, "t.rules", rules), 0);
	return eng;
}

/* Load one rule; return the failure keyword or NULL when it loaded. */
static char fail_kw[64], fail_reason[512];
static const char *load_one(const char *rule)
{
	struct ys_detect_engine *eng = eng_with(rule);
	const struct ys_detect_failure *f;
	size_t n = ys_detect_failures(eng, &f);
	const char *ret = NULL;
	if (n) {
		snprintf(fail_kw, sizeof(fail_kw), "%s", f[0].keyword);
		snprintf(fail_reason, sizeof(fail_reason), "%s", f[0].reason);
		ret = fail_kw;
	}
	ys_detect_engine_free(eng);
	return ret;
}

static void test_all_keywords_load(void **state)
{
	static const char *const ok[] = {
		"alert tcp any any -> any any (msg:\"a \\; b \\\" c\"; sid:1; rev:2; gid:1; "
		"classtype:trojan-activity; priority:2; metadata:created_at 2020_01_01, tag x; "
		"reference:url,example.com; target:dest_ip;)",
		"alert tcp any any -> any 80 (content:\"GET\"; nocase; offset:0; depth:3; "
		"content:!\"x|20 41|y\"; distance:0; within:10; rawbytes; sid:2;)",
		"alert tcp any any -> any any (content:\"abc\"; content:\"def\"; "
		"fast_pattern:only; sid:3;)",
		"alert tcp any any -> any any (content:\"abcdef\"; fast_pattern:1,3; startswith; "
		"sid:4;)",
		"alert tcp any any -> any any (content:\"abc\"; endswith; isdataat:!1,relative; "
		"isdataat:2; sid:5;)",
		"alert tcp any any -> any any (content:\"abc\"; pcre:\"/a(b|c)+/Rsmi\"; "
		"pcre:!\"/zz/\"; sid:6;)",
		"alert http any any -> any any (http.uri; content:\"/x\"; bsize:>2; http.method; "
		"bsize:3<>8; sid:7;)",
		"alert tcp any any -> any any (dsize:>10; dsize:<100; ttl:64; ip_proto:tcp; id:5; "
		"tos:0; sid:8;)",
		"alert icmp any any -> any any (itype:8; icode:0; icmp_id:1; icmp_seq:2; sid:9;)",
		"alert tcp any any -> any any (flags:SA,12; tcp.flags:+S; seq:1; ack:2; "
		"window:!1024; sid:10;)",
		"alert ip any any -> any any (sameip; ipopts:rr; fragbits:M+; fragoffset:>0; "
		"sid:11;)",
		"alert tcp any any -> any any (flow:established,to_server; flowbits:set,a; "
		"flowbits:noalert; sid:12;)",
		"alert tcp any any -> any any (flow:stateless; flowbits:isset,a|b; "
		"flowbits:isnotset,c&d; sid:13;)",
		"alert tcp any any -> any any (flowint:cnt,+,1; flowint:cnt,>,3; flowint:x,notset; "
		"sid:14;)",
		"alert tcp any any -> any any (threshold:type limit, track by_src, count 1, "
		"seconds 60; sid:15;)",
		"alert tcp any any -> any any (detection_filter:track by_dst, count 10, seconds "
		"60; sid:16;)",
		"alert tcp any any -> any any (flags:S; tag:session,10,packets; noalert; sid:17;)",
		"alert http any any -> any any (urilen:>5; uricontent:\"/a\"; "
		"app-layer-protocol:http; sid:18;)",
		"alert tcp any any -> any any (content:\"ab\"; byte_test:2,>,10,0,relative,little; "
		"byte_jump:2,0,relative,multiplier 2,align,post_offset -1; sid:19;)",
		"alert tcp any any -> any any (byte_extract:2,0,len,relative; content:\"x\"; "
		"distance:len; byte_test:1,=,len,0; sid:20;)",
		"alert tcp any any -> any any (content:\"GET\"; http_method; content:\"/a\"; "
		"http_uri; content:\"b\"; http_raw_uri; content:\"c\"; http_header; content:\"d\"; "
		"http_raw_header; content:\"e\"; http_cookie; content:\"f\"; http_user_agent; "
		"content:\"g\"; http_host; sid:21;)",
		"alert tcp any any -> any any (content:\"h\"; http_raw_host; content:\"200\"; "
		"http_stat_code; content:\"OK\"; http_stat_msg; content:\"i\"; http_client_body; "
		"content:\"j\"; http_server_body; sid:22;)",
		"alert http any any -> any any (http.uri.raw; content:\"a\"; http.host; "
		"content:\"b\"; http.host.raw; content:\"c\"; http.header; content:\"d\"; "
		"http.header.raw; content:\"e\"; http.header_names; content:\"f\"; sid:23;)",
		"alert http any any -> any any (http.user_agent; content:\"a\"; http.cookie; "
		"content:\"b\"; http.request_body; content:\"c\"; http.response_body; "
		"content:\"d\"; file.data; content:\"e\"; file_data; content:\"f\"; sid:24;)",
		"alert http any any -> any any (http.stat_code; content:\"2\"; http.stat_msg; "
		"content:\"O\"; http.content_type; content:\"t\"; http.content_len; content:\"1\"; "
		"http.referer; content:\"r\"; http.start; content:\"G\"; sid:25;)",
		"alert http any any -> any any (http.protocol; content:\"H\"; http.request_line; "
		"content:\"G\"; http.response_line; content:\"H\"; http.server; content:\"s\"; "
		"http.location; content:\"l\"; http.accept; content:\"a\"; sid:26;)",
		"alert http any any -> any any (http.accept_lang; content:\"e\"; http.accept_enc; "
		"content:\"g\"; http.connection; content:\"c\"; http_accept; content:\"x\"; "
		"http_content_type; content:\"y\"; sid:27;)",
		"alert dns any any -> any any (dns.query; content:\"evil\"; dns_query; "
		"content:\"x\"; sid:28;)",
		"alert dns any any -> any any (dns.query; dotprefix; content:\".evil.com\"; "
		"endswith; sid:280;)",
		"alert tls any any -> any any (tls.sni; content:\"a\"; tls_sni; content:\"b\"; "
		"tls.cert_subject; content:\"c\"; tls.cert_issuer; content:\"d\"; tls.cert_serial; "
		"content:\"e\"; sid:29;)",
		"alert tls any any -> any any (tls.cert_fingerprint; content:\"a\"; ja3.hash; "
		"content:\"b\"; ja3.string; content:\"c\"; ja3s.hash; content:\"d\"; ja3s.string; "
		"content:\"e\"; sid:30;)",
		"alert ssh any any -> any any (ssh.proto; content:\"2.0\"; ssh.software; "
		"content:\"Open\"; sid:31;)",
		"alert http any any -> any any (content:\"x\"; pcre:\"/a/U\"; pcre:\"/b/H\"; "
		"pcre:\"/c/C\"; pcre:\"/d/P\"; pcre:\"/e/I\"; pcre:\"/f/M\"; pcre:\"/g/S\"; "
		"pcre:\"/h/Y\"; pcre:\"/i/V\"; pcre:\"/j/W\"; pcre:\"/k/Q\"; sid:32;)",
		"drop tcp any any -> any any (content:\"a\"; sid:33;)",
		"reject tcp any any -> any any (content:\"a\"; sid:34;)",
		"pass tcp any any <> any any (content:\"a\"; sid:35;)",
		"alert tcp-pkt any any -> any any (content:\"a\"; sid:36;)",
		"alert tcp-stream any any -> any any (content:\"a\"; sid:37;)",
		"alert icmpv6 any any -> any any (itype:128; sid:38;)",
		"alert udp any any -> any any (content:\"a\"; pkt_data; content:\"b\"; sid:39;)",
		"alert http1 any any -> any any (content:\"a\"; sid:40;)",
		"alert smtp any any -> any any (content:\"a\"; sid:41;)",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *kw = load_one(ok[i]);
		if (kw)
			fail_msg("rule %zu failed: keyword '%s': %s\n%s", i, kw, fail_reason,
				 ok[i]);
	}
}

static void test_errors_name_keyword(void **state)
{
	static const struct {
		const char *rule, *kw, *reason_part;
	} bad[] = {
		{ "alert tcp any any -> any any (content:\"a\"; depth:0; sid:1;)", "depth",
		  "smaller" },
		{ "alert tcp any any -> any any (nocase; sid:1;)", "nocase",
		  "no preceding content" },
		{ "alert tcp any any -> any any (content:\"|4g|\"; sid:1;)", "content", "hex" },
		{ "alert tcp any any -> any any (pcre:\"/a(/\"; sid:1;)", "pcre", "regex" },
		{ "alert tcp any any -> any any (frobnicate:1; sid:1;)", "frobnicate",
		  "not supported" },
		{ "alert tcp any any -> any any (stream_size:server,>,1; sid:1;)", "stream_size",
		  "not supported" },
		{ "alert tcp any any -> any any (classtype:nope; sid:1;)", "classtype", "unknown" },
		{ "alert tcp any any -> any any (content:\"a\"; byte_test:2,~,1,0; sid:1;)",
		  "byte_test", "operator" },
		{ "alert tcp any any -> any any (flow:sideways; sid:1;)", "flow", "unknown" },
		{ "alert tcp any any -> any any (threshold:type limit, count 1; sid:1;)",
		  "threshold", "track" },
		{ "alert tcp any any -> any any (content:\"a\"; sid:1;", "syntax", "')'" },
		{ "alert tcp any any => any any (sid:1;)", "syntax", "direction" },
		{ "alert foo any any -> any any (sid:1;)", "syntax", "protocol" },
		{ "alert tcp 1.2.3.400 any -> any any (sid:1;)", "syntax", "address" },
		{ "alert tcp any 70000 -> any any (sid:1;)", "syntax", "port" },
		{ "alert tcp $NOPE any -> any any (sid:1;)", "syntax", "unknown variable" },
		{ "alert tcp any any -> any any (msg:\"x\";)", "syntax", "no sid" },
		{ "alert tcp any any -> any any (msg:\"z\" content:\"a\"; sid:1;)", "msg",
		  "quoted" },
		{ "alert tcp any any -> any any (content:\"a\"; sid:1; content:\"b\" sid:2;)",
		  "content", "" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *kw = load_one(bad[i].rule);
		if (!kw)
			fail_msg("rule %zu loaded but must fail: %s", i, bad[i].rule);
		if (strcmp(kw, bad[i].kw) != 0 || !strstr(fail_reason, bad[i].reason_part))
			fail_msg("rule %zu: got keyword '%s' reason '%s', want '%s' / '%s'", i, kw,
				 fail_reason, bad[i].kw, bad[i].reason_part);
	}
}

static void test_failure_record(void **state)
{
	struct ys_detect_engine *eng =
		eng_with("# comment\n\nalert tcp any any -> any any (sid:5; foo_bar;)\n"
			 "alert tcp any any -> any any (content:\"a\"; \\\n sid:6;)\n");
	const struct ys_detect_failure *f;
	assert_int_equal(ys_detect_failures(eng, &f), 1);
	assert_string_equal(f[0].file, "t.rules");
	assert_int_equal(f[0].line, 3);
	assert_int_equal(f[0].sid, 5);
	assert_string_equal(f[0].keyword, "foo_bar");
	assert_int_equal(ys_detect_engine_stats(eng)->rules_loaded, 1); /* multi-line sid 6 */
	assert_int_equal(ys_detect_engine_stats(eng)->rules_failed, 1);
	ys_detect_engine_free(eng);
}

static void test_duplicates(void **state)
{
	struct ys_detect_engine *eng =
		eng_with("alert tcp any any -> any any (msg:\"old\"; sid:7; rev:1;)\n"
			 "alert tcp any any -> any any (msg:\"new\"; sid:7; rev:3;)\n"
			 "alert tcp any any -> any any (msg:\"older\"; sid:7; rev:2;)\n");
	assert_int_equal(eng->nsigs, 1);
	assert_string_equal(eng->sigs[0]->info.msg, "new");
	assert_int_equal(ys_detect_engine_stats(eng)->rules_skipped_dup, 2);
	ys_detect_engine_free(eng);
}

static void test_classification(void **state)
{
	struct ys_detect_engine *eng = eng_with(
		"alert tcp any any -> any any (classtype:trojan-activity; sid:1;)\n"
		"alert tcp any any -> any any (priority:3; classtype:trojan-activity; sid:2;)\n"
		"alert tcp any any -> any any (classtype:coin-mining; sid:3;)\n");
	assert_int_equal(eng->nsigs, 3);
	assert_string_equal(eng->sigs[0]->info.category, "A Network Trojan was detected");
	assert_int_equal(eng->sigs[0]->info.priority, 1);
	assert_int_equal(eng->sigs[1]->info.priority, 3);
	assert_int_equal(eng->sigs[2]->info.priority, 2);
	ys_detect_engine_free(eng);

	/* the built-in table equals the Suricata default file in the conformance corpus */
	const char *path = "/work/shared/conformance/classification.config";
	FILE *fp = fopen(path, "r");
	if (!fp) {
		printf("skip: %s not present on this machine\n", path);
		return;
	}
	fclose(fp);
	struct ys_class_table file = { 0 }, def = { 0 };
	assert_int_equal(ys_class_table_load_file(&file, path), 0);
	assert_int_equal(ys_class_table_load_default(&def), 0);
	assert_true(file.n > 30);
	for (size_t i = 0; i < file.n; i++) {
		const struct ys_classtype *c = ys_class_table_find(&def, file.v[i].name);
		assert_non_null(c);
		assert_string_equal(c->desc, file.v[i].desc);
		assert_int_equal(c->priority, file.v[i].priority);
	}
	ys_class_table_clear(&file);
	ys_class_table_clear(&def);
}

static struct ys_addr A(const char *s) {
	struct ys_addr a;
	memset(&a, 0, sizeof(a));
	if (strchr(s, ':')) {
		a.family = 6;
		assert_int_equal(inet_pton(AF_INET6, s, a.a), 1);
	} else {
		a.family = 4;
		assert_int_equal(inet_pton(AF_INET, s, a.a), 1);
	}
	return a;
}

static void
test_addresses(void **state)
{
	struct ys_vars *v = ys_vars_new(NULL, NULL);
	struct ys_addr_set s;
	char err[128];
	struct ys_addr a;

	assert_int_equal(ys_addr_set_parse(v, "$HOME_NET", &s, err, sizeof(err)), 0);
	a = A("10.1.2.3");
	assert_true(ys_addr_set_match(&s, &a));
	a = A("172.31.255.255");
	assert_true(ys_addr_set_match(&s, &a));
	a = A("172.32.0.1");
	assert_false(ys_addr_set_match(&s, &a));
	ys_addr_set_clear(&s);

	assert_int_equal(ys_addr_set_parse(v, "$EXTERNAL_NET", &s, err, sizeof(err)), 0);
	a = A("8.8.8.8");
	assert_true(ys_addr_set_match(&s, &a));
	a = A("192.168.1.1");
	assert_false(ys_addr_set_match(&s, &a));
	a = A("2001:db8::1");
	assert_true(ys_addr_set_match(&s, &a));
	ys_addr_set_clear(&s);

	assert_int_equal(ys_addr_set_parse(v,
					   "[1.0.0.0/8, ![1.2.0.0/16, 1.3.3.3], 2.2.2.1-2.2.2.5]",
					   &s, err, sizeof(err)),
			 0);
	a = A("1.9.9.9");
	assert_true(ys_addr_set_match(&s, &a));
	a = A("1.2.3.4");
	assert_false(ys_addr_set_match(&s, &a));
	a = A("1.3.3.3");
	assert_false(ys_addr_set_match(&s, &a));
	a = A("2.2.2.5");
	assert_true(ys_addr_set_match(&s, &a));
	a = A("2.2.2.6");
	assert_false(ys_addr_set_match(&s, &a));
	ys_addr_set_clear(&s);

	assert_int_equal(ys_addr_set_parse(v, "[2001:db8::/32]", &s, err, sizeof(err)), 0);
	a = A("2001:db8:1::5");
	assert_true(ys_addr_set_match(&s, &a));
	a = A("2001:db9::1");
	assert_false(ys_addr_set_match(&s, &a));
	a = A("32.1.13.184");
	assert_false(ys_addr_set_match(&s, &a));
	ys_addr_set_clear(&s);

	/* ranges that differ only in the low 64 bits, beside an IPv4 one */
	assert_int_equal(ys_addr_set_parse(v, "[2001:db8::1:0/112, 2001:db8::3:0/112, 10.0.0.0/8]",
					   &s, err, sizeof(err)),
			 0);
	a = A("2001:db8::1:5");
	assert_true(ys_addr_set_match(&s, &a));
	a = A("2001:db8::3:ffff");
	assert_true(ys_addr_set_match(&s, &a));
	a = A("2001:db8::2:0");
	assert_false(ys_addr_set_match(&s, &a));
	a = A("2001:db8::ffff");
	assert_false(ys_addr_set_match(&s, &a));
	a = A("2001:db8:0:1::1:5");
	assert_false(ys_addr_set_match(&s, &a));
	a = A("10.255.255.255");
	assert_true(ys_addr_set_match(&s, &a));
	a = A("11.0.0.0");
	assert_false(ys_addr_set_match(&s, &a));
	ys_addr_set_clear(&s);

	assert_true(ys_addr_set_parse(v, "[1.2.3.4", &s, err, sizeof(err)) < 0);
	assert_true(ys_addr_set_parse(v, "!any", &s, err, sizeof(err)) < 0);
	assert_true(ys_addr_set_parse(v, "1.2.3.4/33", &s, err, sizeof(err)) < 0);
	ys_vars_free(v);
}

static void test_ports_and_conf_vars(void **state)
{
	char err[128];
	struct ys_conf *conf = ys_conf_load_string(
		"t.yaml",
		"vars:\n  address-groups:\n    HOME_NET: \"[10.9.0.0/16]\"\n  port-groups:\n    "
		"HTTP_PORTS: \"[80,8080:8090]\"\n",
		strlen("vars:\n  address-groups:\n    HOME_NET: \"[10.9.0.0/16]\"\n  "
		       "port-groups:\n    HTTP_PORTS: \"[80,8080:8090]\"\n"),
		err, sizeof(err));
	assert_non_null(conf);
	struct ys_vars *v = ys_vars_new(ys_conf_get(conf, "vars"), NULL);
	struct ys_port_set p;
	struct ys_addr_set s;
	struct ys_addr a;

	assert_int_equal(ys_port_set_parse(v, "$HTTP_PORTS", &p, err, sizeof(err)), 0);
	assert_true(ys_port_set_match(&p, 80));
	assert_true(ys_port_set_match(&p, 8085));
	assert_false(ys_port_set_match(&p, 8091));
	assert_int_equal(ys_port_set_size(&p), 12);
	ys_port_set_clear(&p);
	assert_int_equal(ys_port_set_parse(v, "[1024:,!8080]", &p, err, sizeof(err)), 0);
	assert_true(ys_port_set_match(&p, 1024));
	assert_false(ys_port_set_match(&p, 8080));
	assert_false(ys_port_set_match(&p, 80));
	ys_port_set_clear(&p);
	assert_int_equal(ys_port_set_parse(v, "!$HTTP_PORTS", &p, err, sizeof(err)), 0);
	assert_false(ys_port_set_match(&p, 80));
	assert_true(ys_port_set_match(&p, 81));
	ys_port_set_clear(&p);
	assert_int_equal(ys_port_set_parse(v, ":1023", &p, err, sizeof(err)), 0);
	assert_true(ys_port_set_match(&p, 0));
	assert_false(ys_port_set_match(&p, 1023 + 1));
	ys_port_set_clear(&p);
	assert_true(ys_port_set_parse(v, "[80", &p, err, sizeof(err)) < 0);
	assert_true(ys_port_set_parse(v, "2000:1000", &p, err, sizeof(err)) < 0);

	assert_int_equal(ys_addr_set_parse(v, "$EXTERNAL_NET", &s, err, sizeof(err)), 0);
	a = A("10.1.1.1"); /* no longer home: the config replaced HOME_NET */
	assert_true(ys_addr_set_match(&s, &a));
	a = A("10.9.1.1");
	assert_false(ys_addr_set_match(&s, &a));
	ys_addr_set_clear(&s);
	ys_vars_free(v);
	ys_conf_free(conf);
}

static void test_num_cmp(void **state)
{
	struct ys_num_cmp c;
	assert_int_equal(ys_num_cmp_parse("5<>10", &c), 0);
	assert_false(ys_num_cmp_match(&c, 5));
	assert_true(ys_num_cmp_match(&c, 6));
	assert_false(ys_num_cmp_match(&c, 10));
	assert_int_equal(ys_num_cmp_parse(">=7", &c), 0);
	assert_true(ys_num_cmp_match(&c, 7));
	assert_false(ys_num_cmp_match(&c, 6));
	assert_int_equal(ys_num_cmp_parse("!3", &c), 0);
	assert_false(ys_num_cmp_match(&c, 3));
	assert_true(ys_num_cmp_match(&c, 4));
	assert_true(ys_num_cmp_parse("x", &c) < 0);
	assert_true(ys_num_cmp_parse("10<>5", &c) < 0);
}

static void test_fast_pattern_choice(void **state)
{
	struct ys_detect_engine *eng =
		eng_with("alert tcp any any -> any any (content:\"ab\"; content:\"longest\"; "
			 "content:\"mid\"; sid:1;)\n"
			 "alert tcp any any -> any any (content:\"ab\"; fast_pattern; "
			 "content:\"longest\"; sid:2;)\n"
			 "alert tcp any any -> any any (content:!\"only negated\"; sid:3;)\n"
			 "alert http any any -> any any (content:\"GET\"; http_method; "
			 "content:\"/index.php\"; http_uri; sid:4;)\n");
	assert_int_equal(eng->nsigs, 4);
	const struct ys_sig *s = eng->sigs[0];
	assert_int_equal(s->sms[s->fp_sm].u.c.len, 7);
	s = eng->sigs[1];
	assert_int_equal(s->sms[s->fp_sm].u.c.len, 2);
	assert_int_equal(eng->sigs[2]->fp_sm, -1);
	s = eng->sigs[3];
	assert_int_equal(s->fp_buf, YS_BUF_HTTP_URI);
	assert_int_equal(s->app_proto, YS_APP_HTTP);
	assert_int_equal(s->nbm, 2);
	ys_detect_engine_free(eng);
}

int main(void)
{
	ys_log_set_level(YS_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_keywords_load),
		cmocka_unit_test(test_errors_name_keyword),
		cmocka_unit_test(test_failure_record),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_classification),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_ports_and_conf_vars),
		cmocka_unit_test(test_num_cmp),
		cmocka_unit_test(test_fast_pattern_choice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
