/*
 * The XDP program on crafted frames through BPF_PROG_TEST_RUN: tenant
 * classification (VXLAN/GENEVE VNI, QinQ pair, single VLAN, longest CIDR over
 * IPv4 and IPv6, in that precedence), policy ignore and sample (whole flows,
 * both directions), the flow bypass map, the per-tenant counters, the tenant
 * id in XDP metadata, and truncated frames at every length never being
 * classified past their end. Needs root and a kernel that allows BPF; when the
 * kernel refuses to load the program the tests skip and print why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "frame_build.h"
#include "ys_bpf.h"

#define XDP_ABORTED_ 0
#define XDP_DROP_    1
#define XDP_PASS_    2

struct fixture {
	struct ys_bpf *b;
	uint8_t frame[2048];
};

static int setup_common(void **state, bool skip_pass)
{
	static struct fixture fx[2];
	struct fixture *f = &fx[skip_pass];
	struct ys_bpf_params p = { .skip_pass = skip_pass };
	char err[256] = "";

	f->b = ys_bpf_new(&p, err, sizeof(err));
	if (!f->b) {
		/* Only the kernel refusing BPF (not root, no BTF, lockdown) is a skip. */
		if (errno == EPERM || errno == EACCES || errno == ENOSYS || errno == EOPNOTSUPP)
			print_message("SKIP: kernel refuses the XDP program: %s\n", err);
		else
			print_error("cannot load the XDP program: %s\n", err);
		*state = NULL;
		return (errno == EPERM || errno == EACCES || errno == ENOSYS || errno == EOPNOTSUPP)
			       ? 0
			       : -1;
	}
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_common(state, false);
}

static int setup_pass(void **state)
{
	return setup_common(state, true);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f)
		ys_bpf_free(f->b);
	return 0;
}

static struct fixture *fx_or_skip(void **state)
{
	struct fixture *f = *state;

	if (!f)
		skip();
	return f;
}

static void addr(int family, const char *s, uint8_t *out)
{
	assert_int_equal(inet_pton(family == 4 ? AF_INET : AF_INET6, s, out), 1);
}

static void cidr(struct ys_bpf *b, const char *net, uint8_t prefix, uint32_t tenant)
{
	uint8_t a[16] = { 0 };
	int family = strchr(net, ':') ? 6 : 4;

	addr(family, net, a);
	assert_int_equal(ys_bpf_set_cidr(b, family, a, prefix, tenant), 0);
}

/* Run SPEC; return the XDP action and the tenant from metadata (-1 if none). */
static uint32_t run(struct fixture *f, const struct tf_spec *spec, int64_t *tenant)
{
	struct ys_xdp_meta meta;
	uint32_t ret = 99;
	size_t len = tf_build(spec, f->frame, sizeof(f->frame));

	assert_true(len > 0);
	assert_int_equal(ys_bpf_test_run(f->b, f->frame, len, 1, &ret, &meta, NULL), 0);
	*tenant = meta.magic == YS_XDP_META_MAGIC ? (int64_t)meta.tenant : -1;
	return ret;
}

static int64_t tenant_of(struct fixture *f, const struct tf_spec *spec)
{
	int64_t t;

	assert_int_equal(run(f, spec, &t), XDP_PASS_);
	return t;
}

static struct tf_spec tcp4(const char *src, const char *dst)
{
	struct tf_spec s = { .proto = 6, .sport = 40000, .dport = 80, .payload = 10 };

	tf_addrs(&s, src, dst);
	return s;
}

static void test_cidr_v4_longest_prefix(void **state)
{
	struct fixture *f = fx_or_skip(state);
	struct tf_spec s;

	cidr(f->b, "10.1.0.0", 16, 11);
	cidr(f->b, "10.1.2.0", 24, 12);
	cidr(f->b, "172.16.0.0", 12, 13);

	s = tcp4("10.1.9.9", "8.8.8.8");
	assert_int_equal(tenant_of(f, &s), 11);
	s = tcp4("10.1.2.3", "8.8.8.8");
	assert_int_equal(tenant_of(f, &s), 12);
	/* Destination's /24 beats the source's /12. */
	s = tcp4("172.16.5.5", "10.1.2.7");
	assert_int_equal(tenant_of(f, &s), 12);
	/* Source /12 loses to the destination's /16. */
	s = tcp4("172.16.5.5", "10.1.77.1");
	assert_int_equal(tenant_of(f, &s), 11);
	/* A tie (both /16) goes to the source. */
	cidr(f->b, "10.2.0.0", 16, 14);
	s = tcp4("10.2.0.1", "10.1.77.1");
	assert_int_equal(tenant_of(f, &s), 14);
	s = tcp4("10.1.77.1", "10.2.0.1");
	assert_int_equal(tenant_of(f, &s), 11);
	s = tcp4("192.168.1.1", "8.8.4.4");
	assert_int_equal(tenant_of(f, &s), 0);
}

static void test_cidr_v6(void **state)
{
	struct fixture *f = fx_or_skip(state);
	struct tf_spec s = { .proto = 17, .sport = 5353, .dport = 53, .payload = 20 };

	cidr(f->b, "fd00:1::", 48, 21);
	cidr(f->b, "fd00:1:0:5::", 64, 22);
	tf_addrs(&s, "fd00:1::10", "2001:db8::1");
	assert_int_equal(tenant_of(f, &s), 21);
	tf_addrs(&s, "2001:db8::1", "fd00:1:0:5::99");
	assert_int_equal(tenant_of(f, &s), 22);
	tf_addrs(&s, "2001:db8::1", "2001:db8::2");
	assert_int_equal(tenant_of(f, &s), 0);
}

static void test_vlan_precedence(void **state)
{
	struct fixture *f = fx_or_skip(state);
	struct tf_spec s = tcp4("10.1.2.3", "10.9.9.9");

	cidr(f->b, "10.1.0.0", 16, 11);
	assert_int_equal(ys_bpf_set_vlan(f->b, YS_BPF_VLAN_SINGLE | 100, 31), 0);
	assert_int_equal(ys_bpf_set_vlan(f->b, (200u << 16) | 300, 32), 0);
	assert_int_equal(ys_bpf_set_vlan(f->b, YS_BPF_VLAN_SINGLE | 300, 33), 0);

	s.nvlan = 1;
	s.vlan[0] = 100;
	assert_int_equal(tenant_of(f, &s), 31); /* VLAN beats CIDR */
	s.vlan[0] = 101;
	assert_int_equal(tenant_of(f, &s), 11); /* unknown VLAN: CIDR decides */
	s.nvlan = 2;
	s.vlan[0] = 200;
	s.vlan[1] = 300;
	assert_int_equal(tenant_of(f, &s), 32); /* QinQ pair beats single tags */
	s.vlan[0] = 201;
	assert_int_equal(tenant_of(f, &s), 11); /* no pair, outer unknown: the inner C-tag
						 * is the customer's own; CIDR decides */
	s.vlan[0] = 100;
	s.vlan[1] = 999;
	assert_int_equal(tenant_of(f, &s), 31); /* no pair: outer tag alone first */
}

static void test_overlay_vni(void **state)
{
	struct fixture *f = fx_or_skip(state);
	struct tf_spec s = tcp4("10.1.2.3", "10.9.9.9");

	cidr(f->b, "10.1.0.0", 16, 11);
	assert_int_equal(ys_bpf_set_vni(f->b, 5001, 41), 0);
	assert_int_equal(ys_bpf_set_vni(f->b, 7001, 42), 0);
	assert_int_equal(ys_bpf_set_vlan(f->b, YS_BPF_VLAN_SINGLE | 100, 31), 0);

	s.tunnel = TF_VXLAN;
	s.vni = 5001;
	s.nvlan = 1;
	s.vlan[0] = 100;
	assert_int_equal(tenant_of(f, &s), 41); /* VNI beats VLAN and CIDR */
	s.vni = 5002;
	assert_int_equal(tenant_of(f, &s), 31); /* unknown VNI: VLAN of the outer frame */
	s.nvlan = 0;
	assert_int_equal(tenant_of(f, &s), 11); /* then the inner addresses */

	s.tunnel = TF_GENEVE;
	s.vni = 7001;
	s.geneve_optwords = 3;
	assert_int_equal(tenant_of(f, &s), 42);
	s.geneve_optwords = 0;
	assert_int_equal(tenant_of(f, &s), 42);
	/* Inner IPv6 through GENEVE, classified by the inner CIDR. */
	cidr(f->b, "fd00:1::", 48, 21);
	s.vni = 9999;
	s.proto = 17;
	tf_addrs(&s, "fd00:1::1", "fd00:2::2");
	assert_int_equal(tenant_of(f, &s), 21);
}

static void test_policy_ignore(void **state)
{
	struct fixture *f = fx_or_skip(state);
	struct tf_spec s = tcp4("10.5.0.1", "10.9.9.9");
	struct ys_bpf_counters c;
	int64_t t;

	cidr(f->b, "10.5.0.0", 16, 51);
	assert_int_equal(ys_bpf_set_policy(f->b, 51, YS_BPF_IGNORE, 0), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(run(f, &s, &t), XDP_DROP_);
	assert_int_equal(t, -1); /* no metadata for frames we do not inspect */
	assert_int_equal(ys_bpf_counters_read(f->b, 51, &c), 0);
	assert_int_equal(c.packets, 5);
	assert_int_equal(c.ignored, 5);
	assert_int_equal(c.passed + c.redirected, 0);

	/* Back to inspect: frames pass again. */
	assert_int_equal(ys_bpf_set_policy(f->b, 51, YS_BPF_INSPECT, 0), 0);
	assert_int_equal(tenant_of(f, &s), 51);
}

static void test_policy_ignore_pass(void **state)
{
	struct fixture *f = fx_or_skip(state);
	struct tf_spec s = tcp4("10.5.0.1", "10.9.9.9");
	struct ys_bpf_counters c;
	int64_t t;

	/* skip_pass: a host NIC keeps its traffic; ignored frames go to the stack. */
	cidr(f->b, "10.5.0.0", 16, 52);
	assert_int_equal(ys_bpf_set_policy(f->b, 52, YS_BPF_IGNORE, 0), 0);
	assert_int_equal(run(f, &s, &t), XDP_PASS_);
	assert_int_equal(t, -1);
	assert_int_equal(ys_bpf_counters_read(f->b, 52, &c), 0);
	assert_int_equal(c.ignored, 1);
	assert_int_equal(c.passed, 0);
}

static void test_policy_sample(void **state)
{
	struct fixture *f = fx_or_skip(state);
	struct ys_bpf_counters c;
	unsigned kept = 0, flows = 400;
	int64_t t;

	cidr(f->b, "10.6.0.0", 16, 61);
	assert_int_equal(ys_bpf_set_policy(f->b, 61, YS_BPF_SAMPLE, 4), 0);
	for (unsigned i = 0; i < flows; i++) {
		struct tf_spec s = tcp4("10.6.0.1", "10.9.9.9");
		struct tf_spec r;
		uint32_t a1, a2, a3;

		s.src[2] = i >> 8;
		s.src[3] = i & 0xff;
		s.sport = 30000 + i * 7;
		r = s;
		memcpy(r.src, s.dst, 16);
		memcpy(r.dst, s.src, 16);
		r.sport = s.dport;
		r.dport = s.sport;
		a1 = run(f, &s, &t);
		a2 = run(f, &r, &t);
		a3 = run(f, &s, &t);
		/* A flow is kept or skipped whole: every packet, both directions. */
		assert_int_equal(a1, a2);
		assert_int_equal(a1, a3);
		assert_true(a1 == XDP_PASS_ || a1 == XDP_DROP_);
		/* User space (sensor_bpf.h) reaches the same decision, either direction. */
		assert_int_equal(a1 == XDP_PASS_,
				 ys_bpf_sample_keep(61, 6, s.src, s.dst, s.sport, s.dport, 4));
		assert_int_equal(a1 == XDP_PASS_,
				 ys_bpf_sample_keep(61, 6, r.src, r.dst, r.sport, r.dport, 4));
		kept += a1 == XDP_PASS_;
	}
	/* 1 in 4 by hash: expect ~100 of 400; a broken hash gives 0 or 400. */
	print_message("sample 1/4: kept %u of %u flows\n", kept, flows);
	assert_in_range(kept, 60, 140);
	assert_int_equal(ys_bpf_counters_read(f->b, 61, &c), 0);
	assert_int_equal(c.packets, 3 * flows);
	assert_int_equal(c.passed, 3 * kept);
	assert_int_equal(c.sampled_out, 3 * (flows - kept));
}

static void test_bypass(void **state)
{
	struct fixture *f = fx_or_skip(state);
	struct tf_spec s = tcp4("10.7.0.1", "10.7.0.2");
	struct tf_spec r = tcp4("10.7.0.2", "10.7.0.1");
	struct tf_spec other = tcp4("10.7.0.1", "10.7.0.2");
	struct ys_bpf_flow_key k = { .tenant = 71, .family = 4, .proto = 6 };
	struct ys_bpf_flow_val v;
	struct ys_bpf_counters c;
	size_t len;
	int64_t t;

	cidr(f->b, "10.7.0.0", 16, 71);
	r.sport = 80;
	r.dport = 40000;
	other.sport = 40001;
	k.sport = 40000;
	k.dport = 80;
	addr(4, "10.7.0.1", k.src);
	addr(4, "10.7.0.2", k.dst);

	assert_int_equal(tenant_of(f, &s), 71);
	assert_int_equal(ys_bpf_bypass_add(f->b, &k), 0);
	assert_int_equal(run(f, &s, &t), XDP_DROP_);
	assert_int_equal(run(f, &r, &t), XDP_DROP_); /* reverse direction too */
	assert_int_equal(run(f, &s, &t), XDP_DROP_);
	assert_int_equal(tenant_of(f, &other), 71); /* another port: inspected */

	/* Same 5-tuple in another tenant is a different flow. */
	k.tenant = 72;
	assert_int_equal(ys_bpf_bypass_read(f->b, &k, &v), -ENOENT);
	k.tenant = 71;

	len = tf_build(&s, f->frame, sizeof(f->frame));
	assert_int_equal(ys_bpf_bypass_read(f->b, &k, &v), 0);
	assert_int_equal(v.packets, 3);
	assert_int_equal(v.bytes, 3 * len);
	assert_int_equal(ys_bpf_counters_read(f->b, 71, &c), 0);
	assert_int_equal(c.bypassed, 3);
	assert_int_equal(c.passed, 2);

	assert_int_equal(ys_bpf_bypass_del(f->b, &k), 0);
	assert_int_equal(tenant_of(f, &s), 71);
	assert_int_equal(ys_bpf_bypass_del(f->b, &k), -ENOENT);
}

static int count_tenants(uint32_t tenant, const struct ys_bpf_counters *c, void *arg)
{
	uint64_t *sum = arg;

	sum[0]++;
	sum[1] += c->packets;
	return 0;
}

static void test_counters(void **state)
{
	struct fixture *f = fx_or_skip(state);
	struct tf_spec a = tcp4("10.8.0.1", "8.8.8.8");
	struct tf_spec z = tcp4("192.168.0.1", "8.8.8.8");
	struct ys_bpf_counters c;
	uint64_t sum[2] = { 0, 0 };
	size_t alen, zlen;

	cidr(f->b, "10.8.0.0", 16, 81);
	a.payload = 100;
	alen = tf_build(&a, f->frame, sizeof(f->frame));
	zlen = tf_build(&z, f->frame, sizeof(f->frame));
	for (int i = 0; i < 7; i++)
		assert_int_equal(tenant_of(f, &a), 81);
	for (int i = 0; i < 3; i++)
		assert_int_equal(tenant_of(f, &z), 0);
	assert_int_equal(ys_bpf_counters_read(f->b, 81, &c), 0);
	assert_int_equal(c.packets, 7);
	assert_int_equal(c.bytes, 7 * alen);
	assert_int_equal(c.passed, 7);
	assert_int_equal(ys_bpf_counters_read(f->b, 0, &c), 0);
	assert_int_equal(c.packets, 3);
	assert_int_equal(c.bytes, 3 * zlen);
	assert_int_equal(ys_bpf_counters_read(f->b, 999, &c), -ENOENT);
	assert_int_equal(ys_bpf_counters_foreach(f->b, count_tenants, sum), 0);
	assert_int_equal(sum[0], 2);
	assert_int_equal(sum[1], 10);
}

/* Every truncation of a full VXLAN frame (with two outer VLAN tags, inner TCP
 * needs 96 bytes to reach the ports) must come back unclassified: XDP_PASS, no metadata, counted as
 * unparsed, even though its tenant would be ignored (dropped) when complete:
 * a truncated frame is handed on for user space to judge, never dropped. */
static void test_truncated(void **state)
{
	struct fixture *f = fx_or_skip(state);
	struct tf_spec s = tcp4("10.9.0.1", "10.9.0.2");
	struct ys_bpf_counters c;
	uint32_t ret;
	struct ys_xdp_meta meta;
	size_t len, runs = 0;

	s.tunnel = TF_VXLAN;
	s.vni = 9001;
	s.nvlan = 2;
	s.vlan[0] = 10;
	s.vlan[1] = 20;
	assert_int_equal(ys_bpf_set_vni(f->b, 9001, 91), 0);
	assert_int_equal(ys_bpf_set_policy(f->b, 91, YS_BPF_IGNORE, 0), 0);
	len = tf_build(&s, f->frame, sizeof(f->frame));
	assert_int_equal(len, 14 + 8 + 20 + 8 + 8 + 14 + 20 + 20 + 10);

	/* The whole frame is ignored (dropped) by its VNI tenant. */
	assert_int_equal(ys_bpf_test_run(f->b, f->frame, len, 1, &ret, NULL, NULL), 0);
	assert_int_equal(ret, XDP_DROP_);
	/* Complete headers, truncated payload: still classified. */
	assert_int_equal(ys_bpf_test_run(f->b, f->frame, 96, 1, &ret, NULL, NULL), 0);
	assert_int_equal(ret, XDP_DROP_);
	/* The kernel's test run refuses frames under 14 bytes itself. */
	for (size_t cut = 14; cut < 96; cut++) {
		assert_int_equal(ys_bpf_test_run(f->b, f->frame, cut, 1, &ret, &meta, NULL), 0);
		if (ret != XDP_PASS_)
			fail_msg("frame cut at %zu bytes: action %u, expected PASS", cut, ret);
		assert_int_not_equal(meta.magic, YS_XDP_META_MAGIC);
		runs++;
	}
	assert_int_equal(ys_bpf_counters_read(f->b, 0, &c), 0);
	assert_int_equal(c.unparsed, runs);
	assert_int_equal(c.passed, runs); /* on to user space (no XSK here: the stack) */
	assert_int_equal(ys_bpf_counters_read(f->b, 91, &c), 0);
	assert_int_equal(c.ignored, 2);
}

static void test_clear_tenants(void **state)
{
	struct fixture *f = fx_or_skip(state);
	struct tf_spec s = tcp4("10.1.2.3", "8.8.8.8");

	cidr(f->b, "10.1.0.0", 16, 11);
	for (uint32_t v = 1; v <= 300; v++)
		assert_int_equal(ys_bpf_set_vni(f->b, v, 1000 + v), 0);
	assert_int_equal(ys_bpf_set_policy(f->b, 11, YS_BPF_IGNORE, 0), 0);
	assert_int_equal(ys_bpf_clear_tenants(f->b), 0);
	assert_int_equal(tenant_of(f, &s), 0);
	s.tunnel = TF_VXLAN;
	s.vni = 7;
	assert_int_equal(tenant_of(f, &s), 0);
}

static void test_prune_keeps_listed(void **state)
{
	struct fixture *f = fx_or_skip(state);
	struct tf_spec s = tcp4("10.1.2.3", "8.8.8.8");
	struct ys_bpf_lpm4 keep[1];
	uint32_t vnis[2] = { 7, 9 };
	uint8_t a[16];

	/* Host bits are cleared: 10.1.2.3/16 and 10.1.0.0/16 are one key. */
	cidr(f->b, "10.1.2.3", 16, 11);
	cidr(f->b, "10.2.0.0", 16, 12);
	addr(4, "10.1.0.0", a);
	assert_int_equal(ys_bpf_cidr_key(4, a, 16, &keep[0]), 0);
	assert_int_equal(ys_bpf_table_prune(f->b, YS_BPF_TABLE_CIDR4, keep, 1), 0);
	assert_int_equal(tenant_of(f, &s), 11);
	s = tcp4("10.2.0.1", "8.8.8.8");
	assert_int_equal(tenant_of(f, &s), 0); /* pruned */

	for (uint32_t v = 1; v <= 10; v++)
		assert_int_equal(ys_bpf_set_vni(f->b, v, 100 + v), 0);
	assert_int_equal(ys_bpf_table_prune(f->b, YS_BPF_TABLE_VNI, vnis, 2), 0);
	s.tunnel = TF_VXLAN;
	for (uint32_t v = 1; v <= 10; v++) {
		s.vni = v;
		assert_int_equal(tenant_of(f, &s), v == 7 || v == 9 ? (int64_t)(100 + v) : 0);
	}
	assert_int_equal(ys_bpf_cidr_key(4, a, 33, keep), -EINVAL);
	assert_int_equal(ys_bpf_cidr_key(5, a, 8, keep), -EAFNOSUPPORT);
}

static void test_bad_args(void **state)
{
	struct fixture *f = fx_or_skip(state);
	uint8_t a[16] = { 10 };

	assert_int_equal(ys_bpf_set_vni(f->b, 1u << 24, 1), -EINVAL);
	assert_int_equal(ys_bpf_set_cidr(f->b, 4, a, 33, 1), -EINVAL);
	assert_int_equal(ys_bpf_set_cidr(f->b, 6, a, 129, 1), -EINVAL);
	assert_int_equal(ys_bpf_set_cidr(f->b, 5, a, 8, 1), -EAFNOSUPPORT);
	assert_int_equal(ys_bpf_set_policy(f->b, 1, (enum ys_bpf_action)7, 0), -EINVAL);
	assert_int_equal(ys_bpf_xsk_register(f->b, YS_BPF_MAX_QUEUES, 3), -ERANGE);
	ys_bpf_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cidr_v4_longest_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cidr_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vlan_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlay_vni, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_ignore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_ignore_pass, setup_pass, teardown),
		cmocka_unit_test_setup_teardown(test_policy_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bypass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clear_tenants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_keeps_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
