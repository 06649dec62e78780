/*
 * Unit tests for ys_tenant: loading the tenants list (VNIs, VLAN tags and
 * QinQ pairs, CIDRs of both families, policies), the classification order
 * (hw_tenant > VNI > VLAN pair > single outer tag > longest CIDR prefix of
 * source or destination > unassigned) on decoded frames, and the
 * "file:line: reason" errors of a bad config.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode.h"
#include "tenant.h"
#include "ys_config.h"
#include "ys_pktbuild.h"

static const char *good_yaml = "tenants:\n"
			       "  - id: 101\n"
			       "    name: acme\n"
			       "    vni: [5001, 5002]\n"
			       "    cidr: [10.1.0.0/16, \"fd00:1::/48\"]\n"
			       "    vars: {HOME_NET: \"[10.1.0.0/16]\"}\n"
			       "    rules: [tenant-acme.rules]\n"
			       "  - id: 102\n"
			       "    name: globex\n"
			       "    vlan: [100, \"200/300\"]\n"
			       "    cidr: 10.1.2.0/24\n"
			       "    policy: sample\n"
			       "    sample: 10\n"
			       "  - id: 103\n"
			       "    name: initech\n"
			       "    vni: 7000\n"
			       "    vlan: [200]\n"
			       "    cidr: [10.0.0.0/8, 192.0.2.7]\n"
			       "    policy: ignore\n";

struct tctx {
	struct ys_conf *conf;
	struct ys_tenant_map *map;
	struct ys_decoder *dec;
	struct ys_packet pkt;
	struct pb pb;
};

static int setup(void **state)
{
	struct tctx *t = calloc(1, sizeof(*t));
	char err[256] = "";

	t->conf = ys_conf_load_string("good.yaml", good_yaml, strlen(good_yaml), err, sizeof(err));
	if (!t->conf)
		fail_msg("config: %s", err);
	t->map = ys_tenant_map_load(t->conf, err, sizeof(err));
	if (!t->map)
		fail_msg("tenants: %s", err);
	t->dec = ys_decoder_new(NULL);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tctx *t = *state;

	ys_tenant_map_free(t->map);
	ys_conf_free(t->conf);
	ys_decoder_free(t->dec);
	free(t);
	return 0;
}

/* ys_tenant_classify(), checked against ys_tenant_lookup(): the same id, and
 * the entry ys_tenant_get() finds for it. */
static uint32_t classify_both(const struct ys_tenant_map *map, const struct ys_packet *pkt)
{
	uint32_t id = ys_tenant_classify(map, pkt), lid = UINT32_MAX;
	const struct ys_tenant *e = ys_tenant_lookup(map, pkt, &lid);

	assert_int_equal(lid, id);
	assert_ptr_equal(e, ys_tenant_get(map, id));
	return id;
}

/* Frame with TAGS, optionally inside VXLAN VNI, carrying SRC -> DST UDP; classify it. */
static uint32_t classify(struct tctx *t, const uint16_t *tags, int ntags, int vni, const char *src,
			 const char *dst)
{
	struct pb *p = &t->pb;
	size_t oip = 0, oudp = 0, ip, udp;
	bool v6 = strchr(src, ':') != NULL;

	p->n = 0;
	if (vni >= 0) {
		pb_eth(p, NULL, 0, 0x0800);
		oip = pb_ipv4(p, "172.16.0.1", "172.16.0.2", 17, 1, 0);
		oudp = pb_udp(p, 1, 4789);
		pb_vxlan(p, (uint32_t)vni);
	}
	pb_eth(p, tags, ntags, v6 ? 0x86dd : 0x0800);
	ip = v6 ? pb_ipv6(p, src, dst, 17) : pb_ipv4(p, src, dst, 17, 1, 0);
	udp = pb_udp(p, 1, 2);
	pb_udp_fix(p, udp, ip);
	if (v6)
		pb_ipv6_fix(p, ip);
	else
		pb_ipv4_fix(p, ip);
	if (vni >= 0) {
		pb_udp_fix(p, oudp, oip);
		pb_ipv4_fix(p, oip);
	}
	memset(&t->pkt, 0, sizeof(t->pkt));
	t->pkt.data = p->b;
	t->pkt.caplen = t->pkt.wirelen = (uint32_t)p->n;
	t->pkt.linktype = YS_LINK_ETHERNET;
	assert_int_equal(ys_decode_packet(t->dec, &t->pkt), 0);
	return classify_both(t->map, &t->pkt);
}

static void test_load(void **state)
{
	struct tctx *t = *state;
	const struct ys_tenant *a, *g;

	assert_int_equal(ys_tenant_count(t->map), 4);
	assert_int_equal(ys_tenant_at(t->map, 0)->id, 0);
	assert_null(ys_tenant_at(t->map, 4));
	a = ys_tenant_get(t->map, 101);
	assert_non_null(a);
	assert_string_equal(a->name, "acme");
	assert_int_equal(a->nvnis, 2);
	assert_int_equal(a->vnis[1], 5002);
	assert_int_equal(a->ncidrs, 2);
	assert_int_equal(a->cidrs[1].net.family, 6);
	assert_int_equal(a->cidrs[1].prefix, 48);
	assert_non_null(a->vars);
	assert_string_equal(ys_conf_str(a->vars, "HOME_NET", ""), "[10.1.0.0/16]");
	assert_non_null(a->rules);
	assert_int_equal(a->policy, YS_TENANT_INSPECT);
	g = ys_tenant_get(t->map, 102);
	assert_int_equal(g->policy, YS_TENANT_SAMPLE);
	assert_int_equal(g->sample_n, 10);
	assert_int_equal(g->nvlans, 2);
	assert_int_equal(g->vlans[0], 0xffff0000u | 100);
	assert_int_equal(g->vlans[1], (200u << 16) | 300);
	assert_int_equal(ys_tenant_get(t->map, 103)->policy, YS_TENANT_IGNORE);
	assert_null(ys_tenant_get(t->map, 104));
	assert_string_equal(ys_tenant_name(t->map, 0), "unassigned");
	assert_string_equal(ys_tenant_name(t->map, 102), "globex");
	assert_string_equal(ys_tenant_name(t->map, 999), "unknown");
	assert_non_null(ys_tenant_get(t->map, 0));
}

static void test_precedence(void **state)
{
	struct tctx *t = *state;
	uint16_t v100[] = { 100 }, qinq[] = { 200, 300 }, qinq_other[] = { 200, 301 };
	uint16_t v999[] = { 999 }, inner_outer[] = { 999, 100 };

	/* VNI beats VLAN and CIDR. */
	assert_int_equal(classify(t, v100, 1, 7000, "10.1.0.1", "10.9.9.9"), 103);
	assert_int_equal(classify(t, NULL, 0, 5002, "192.168.0.1", "192.168.0.2"), 101);
	/* Unknown VNI: falls through to VLAN, then CIDR. */
	assert_int_equal(classify(t, v100, 1, 4242, "10.1.0.1", "10.1.0.2"), 102);
	assert_int_equal(classify(t, NULL, 0, 4242, "10.1.0.1", "10.1.0.2"), 101);
	/* VLAN beats CIDR. */
	assert_int_equal(classify(t, v100, 1, -1, "10.1.0.1", "10.1.0.2"), 102);
	/* The QinQ pair beats the single outer tag; without a pair, the outer tag. */
	assert_int_equal(classify(t, qinq, 2, -1, "10.1.0.1", "10.1.0.2"), 102);
	assert_int_equal(classify(t, qinq_other, 2, -1, "10.1.0.1", "10.1.0.2"), 103);
	/* A single-tag entry does not match the inner tag of a QinQ pair. */
	assert_int_equal(classify(t, inner_outer, 2, -1, "172.31.0.1", "172.31.0.2"), 0);
	/* Unknown tag: CIDR. */
	assert_int_equal(classify(t, v999, 1, -1, "10.1.0.1", "172.31.0.2"), 101);
	/* hw_tenant from XDP wins over everything. */
	classify(t, v100, 1, 5001, "10.1.0.1", "10.1.0.2");
	t->pkt.hw_tenant = 555;
	assert_int_equal(classify_both(t->map, &t->pkt), 555);
}

static void test_cidr_longest_prefix(void **state)
{
	struct tctx *t = *state;

	/* 10.1.2.0/24 (102) inside 10.1.0.0/16 (101) inside 10.0.0.0/8 (103). */
	assert_int_equal(classify(t, NULL, 0, -1, "10.1.2.3", "172.31.0.1"), 102);
	assert_int_equal(classify(t, NULL, 0, -1, "10.1.3.3", "172.31.0.1"), 101);
	assert_int_equal(classify(t, NULL, 0, -1, "10.7.0.1", "172.31.0.1"), 103);
	/* Destination matched when the source is not; the longer of the two wins. */
	assert_int_equal(classify(t, NULL, 0, -1, "172.31.0.1", "10.1.2.200"), 102);
	assert_int_equal(classify(t, NULL, 0, -1, "10.7.0.1", "10.1.9.9"), 101);
	/* Equal lengths: the source's tenant. */
	assert_int_equal(classify(t, NULL, 0, -1, "10.1.2.9", "10.1.2.10"), 102);
	/* Host entry (/32). */
	assert_int_equal(classify(t, NULL, 0, -1, "192.0.2.7", "8.8.8.8"), 103);
	assert_int_equal(classify(t, NULL, 0, -1, "192.0.2.8", "8.8.8.8"), 0);
	/* IPv6. */
	assert_int_equal(classify(t, NULL, 0, -1, "2001:db8::1", "fd00:1:0:ffff::1"), 101);
	assert_int_equal(classify(t, NULL, 0, -1, "2001:db8::1", "fd00:2::1"), 0);
}

static void test_empty_and_null(void **state)
{
	struct ys_tenant_map *m;
	char err[128];
	struct ys_packet pkt = { .ip_version = 4 };

	(void)state;
	m = ys_tenant_map_load(NULL, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(ys_tenant_count(m), 1);
	assert_int_equal(classify_both(m, &pkt), 0);
	assert_string_equal(ys_tenant_name(m, 0), "unassigned");
	/* Without a map: the XDP program's id, or tenant 0; no entry. */
	assert_int_equal(classify_both(NULL, &pkt), 0);
	pkt.hw_tenant = 7;
	assert_int_equal(classify_both(NULL, &pkt), 7);
	ys_tenant_map_free(m);
	ys_tenant_map_free(NULL);
}

/* Load YAML and expect ys_tenant_map_load() to fail with WANT in the message. */
static void expect_error(const char *yaml, const char *want)
{
	char err[256] = "";
	struct ys_conf *c = ys_conf_load_string("t.yaml", yaml, strlen(yaml), err, sizeof(err));
	struct ys_tenant_map *m;

	if (!c)
		fail_msg("config did not parse: %s", err);
	/* Pass the tenants sequence itself, as the sensor does. */
	m = ys_tenant_map_load(ys_conf_get(c, "tenants"), err, sizeof(err));
	if (m)
		fail_msg("accepted: %s", yaml);
	assert_int_equal(errno, EINVAL);
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	ys_conf_free(c);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("tenants:\n  - id: 1\n  - id: 1\n",
		     "t.yaml:3: tenants[1]: id: 1 is already used");
	expect_error("tenants:\n  - id: 0\n", "t.yaml:2: tenants[0]: id: 0 is reserved");
	expect_error("tenants:\n  - name: x\n", "tenants[0]: id: missing");
	expect_error("tenants:\n  - id: -4\n", "t.yaml:2: tenants[0]: id: not a number");
	expect_error("tenants:\n  - id: 1\n    vni: 5001\n  - id: 2\n    vni: [7, 5001]\n",
		     "vni 5001 is given to tenant 1 and tenant 2");
	expect_error("tenants:\n  - id: 1\n    vni: 16777216\n",
		     "t.yaml:3: tenants[0]: vni: '16777216' is not a number");
	expect_error("tenants:\n  - id: 1\n    vlan: [\"100/200\"]\n  - id: 2\n    vlan: 100/200\n",
		     "vlan 100/200 is given to tenant 1 and tenant 2");
	expect_error("tenants:\n  - id: 1\n    vlan: 4095\n", "vlan: '4095' is not a VLAN id");
	expect_error("tenants:\n  - id: 1\n    vlan: 1/x\n", "vlan: '1/x' is not OUTER/INNER");
	expect_error("tenants:\n  - id: 1\n    cidr: 10.0.0.0/33\n", "prefix must be 0..32");
	expect_error("tenants:\n  - id: 1\n    cidr: 10.1.1.0/16\n", "has host bits set");
	expect_error("tenants:\n  - id: 1\n    cidr: [10.0.0.0/8]\n  - id: 2\n    cidr: "
		     "[10.0.0.0/8]\n",
		     "t.yaml:5: tenants[1]: cidr: 10.0.0.0/8 is already given to tenant 1");
	expect_error("tenants:\n  - id: 1\n    cidr: 10.0.0\n", "not an IPv4/IPv6 address");
	expect_error("tenants:\n  - id: 1\n    cidrs: 10.0.0.0/8\n", "unknown key 'cidrs'");
	expect_error("tenants:\n  - id: 1\n    policy: sample\n", "policy sample needs sample: N");
	expect_error("tenants:\n  - id: 1\n    policy: drop\n", "policy: 'drop' is not inspect");
	expect_error("tenants:\n  - id: 1\n    name: a\n  - id: 2\n    name: a\n",
		     "name: 'a' is already used");
	expect_error("tenants:\n  - id: 1\n    name: unassigned\n", "'unassigned' is reserved");
	expect_error("tenants:\n  - 5\n", "tenants[0]: expected a map");
	expect_error("tenants: 5\n", "t.yaml:1: tenants: expected a list");
	expect_error("tenants:\n  - id: 1\n    vni: {a: 1}\n", "vni: expected a value or a list");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cidr_longest_prefix, setup, teardown),
		cmocka_unit_test(test_empty_and_null),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
