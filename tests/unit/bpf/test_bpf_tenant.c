/*
 * Kernel and user space agree on tenants: the XDP program, filled from a
 * tenant map through ys_bpf_from_conf(), must put every crafted frame into
 * the same tenant that ys_tenant_classify() finds for the decoded packet
 * (sensor/tenant), across VXLAN, GENEVE, QinQ, 802.1Q, CIDR v4/v6 and
 * unmatched traffic, and must follow a tenant map reload. Also checks the
 * capture.xdp configuration keys. Skips with the kernel's reason when BPF is
 * refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "frame_build.h"
#include "tenant.h"
#include "ys_bpf.h"
#include "ys_config.h"

static const char conf_text[] =
	"capture:\n"
	"  xdp:\n"
	"    mode: generic\n"
	"    bypass-flows: 4096\n"
	"tenants:\n"
	"  - {id: 101, name: acme, vni: [5001]}\n"
	"  - {id: 102, name: globex, vni: [6001]}\n"
	"  - {id: 103, name: initech, vlan: [100]}\n"
	"  - {id: 104, name: umbrella, vlan: [\"200/300\"]}\n"
	"  - {id: 105, name: hooli, cidr: [10.50.0.0/16, \"fd00:50::/48\"]}\n"
	"  - {id: 106, name: sub, cidr: [10.50.7.0/24], policy: ignore}\n"
	"  - {id: 107, name: few, cidr: [10.60.0.0/16], policy: sample, sample: 3}\n";

struct fixture {
	struct ys_conf *conf;
	struct ys_tenant_map *map;
	struct ys_bpf *b;
	struct ys_decoder *dec;
};

static bool bpf_refused(int e)
{
	return e == EPERM || e == EACCES || e == ENOSYS || e == EOPNOTSUPP;
}

static int setup(void **state)
{
	static struct fixture f;
	struct ys_decode_params dp = { 0 };
	char err[256] = "";

	*state = NULL;
	f.conf = ys_conf_load_string("test.yaml", conf_text, sizeof(conf_text) - 1, err,
				     sizeof(err));
	if (!f.conf) {
		print_error("config: %s\n", err);
		return -1;
	}
	f.map = ys_tenant_map_load(f.conf, err, sizeof(err));
	if (!f.map) {
		print_error("tenants: %s\n", err);
		return -1;
	}
	f.dec = ys_decoder_new(&dp);
	if (!f.dec)
		return -1;
	f.b = ys_bpf_from_conf(f.conf, NULL, "af-xdp", f.map, err, sizeof(err));
	if (!f.b) {
		if (bpf_refused(errno)) {
			print_message("SKIP: kernel refuses the XDP program: %s\n", err);
			return 0;
		}
		print_error("XDP: %s\n", err);
		return -1;
	}
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	ys_bpf_free(f->b);
	ys_decoder_free(f->dec);
	ys_tenant_map_free(f->map);
	ys_conf_free(f->conf);
	return 0;
}

/* Kernel verdict for SPEC: tenant from metadata, or -1 when the frame was not inspected. */
static int64_t kernel_tenant(struct fixture *f, const uint8_t *frame, size_t len)
{
	struct ys_xdp_meta meta;
	uint32_t ret;

	assert_int_equal(ys_bpf_test_run(f->b, frame, len, 1, &ret, &meta, NULL), 0);
	return meta.magic == YS_XDP_META_MAGIC ? (int64_t)meta.tenant : -1;
}

static uint32_t user_tenant(struct fixture *f, const uint8_t *frame, size_t len)
{
	struct ys_packet pkt = { 0 };

	pkt.data = frame;
	pkt.caplen = (uint32_t)len;
	pkt.wirelen = (uint32_t)len;
	pkt.linktype = YS_LINK_ETHERNET;
	assert_int_equal(ys_decode_packet(f->dec, &pkt), 0);
	return ys_tenant_classify(f->map, &pkt);
}

struct shape {
	const char *src, *dst;
	enum tf_tunnel tunnel;
	uint32_t vni;
	int nvlan;
	uint16_t vlan0, vlan1;
	int64_t want; /* expected kernel tenant, -1 = not inspected (ignored) */
};

static void test_kernel_matches_user_space(void **state)
{
	static const struct shape shapes[] = {
		{ "10.0.0.5", "10.0.0.6", TF_VXLAN, 5001, 0, 0, 0, 101 },
		{ "10.0.0.5", "10.0.0.6", TF_GENEVE, 6001, 0, 0, 0, 102 },
		{ "10.50.1.1", "8.8.8.8", TF_VXLAN, 5001, 1, 100, 0, 101 }, /* VNI beats all */
		{ "10.1.1.1", "10.2.2.2", TF_NONE, 0, 1, 100, 0, 103 },
		{ "10.50.1.1", "10.2.2.2", TF_NONE, 0, 1, 100, 0, 103 }, /* VLAN beats CIDR */
		{ "10.1.1.1", "10.2.2.2", TF_NONE, 0, 2, 200, 300, 104 },
		{ "10.1.1.1", "10.2.2.2", TF_NONE, 0, 2, 100, 999, 103 },  /* outer tag */
		{ "10.50.1.1", "10.2.2.2", TF_NONE, 0, 2, 999, 100, 105 }, /* not the inner */
		{ "10.50.1.1", "192.168.1.1", TF_NONE, 0, 0, 0, 0, 105 },
		{ "192.168.1.1", "10.50.9.9", TF_NONE, 0, 0, 0, 0, 105 },
		{ "fd00:50::1", "2001:db8::1", TF_NONE, 0, 0, 0, 0, 105 },
		{ "2001:db8::1", "fd00:50:0:1::1", TF_GENEVE, 7777, 0, 0, 0, 105 },
		{ "192.168.1.1", "172.16.1.1", TF_NONE, 0, 0, 0, 0, 0 },
		{ "10.50.7.1", "10.50.1.1", TF_NONE, 0, 0, 0, 0, -1 }, /* /24 ignored */
	};
	struct fixture *f = *state;
	uint8_t frame[1024];

	if (!f)
		skip();
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *sh = &shapes[i];
		struct tf_spec s = { .proto = 6, .sport = 40000, .dport = 80, .payload = 16 };
		size_t len;
		int64_t k;
		uint32_t u;

		tf_addrs(&s, sh->src, sh->dst);
		s.tunnel = sh->tunnel;
		s.vni = sh->vni;
		s.nvlan = sh->nvlan;
		s.vlan[0] = sh->vlan0;
		s.vlan[1] = sh->vlan1;
		len = tf_build(&s, frame, sizeof(frame));
		assert_true(len > 0);
		k = kernel_tenant(f, frame, len);
		u = user_tenant(f, frame, len);
		if (k != sh->want)
			fail_msg("shape %zu: kernel tenant %lld, expected %lld", i, (long long)k,
				 (long long)sh->want);
		if (sh->want >= 0 && u != (uint32_t)sh->want)
			fail_msg("shape %zu: user-space tenant %u, kernel %lld", i, u,
				 (long long)k);
		if (sh->want < 0)
			assert_int_equal(u, 106); /* user space agrees on who was ignored */
	}
}

static void test_sample_policy_from_map(void **state)
{
	struct fixture *f = *state;
	struct ys_bpf_counters c;
	uint8_t frame[256];
	unsigned kept = 0;

	if (!f)
		skip();
	for (unsigned i = 0; i < 300; i++) {
		struct tf_spec s = { .proto = 17, .sport = (uint16_t)(1024 + i), .dport = 53 };
		size_t len;

		struct ys_packet pkt = { 0 };
		bool k;

		tf_addrs(&s, "10.60.1.1", "10.9.9.9");
		len = tf_build(&s, frame, sizeof(frame));
		k = kernel_tenant(f, frame, len) == 107;
		kept += k;
		/* The worker, hashing the decoded packet, keeps the same flows. */
		pkt.data = frame;
		pkt.caplen = pkt.wirelen = (uint32_t)len;
		pkt.linktype = YS_LINK_ETHERNET;
		assert_int_equal(ys_decode_packet(f->dec, &pkt), 0);
		assert_int_equal(k, ys_bpf_sample_keep(107, pkt.proto, pkt.src.a, pkt.dst.a,
						       pkt.sport, pkt.dport, 3));
	}
	assert_in_range(kept, 50, 150); /* 1 in 3 of 300 flows */
	assert_int_equal(ys_bpf_counters_read(f->b, 107, &c), 0);
	assert_int_equal(c.sampled_out + c.passed, 300);
	assert_int_equal(c.passed, kept);
}

static void test_reload_replaces_maps(void **state)
{
	static const char text2[] = "tenants:\n"
				    "  - {id: 201, name: new, cidr: [10.50.0.0/16]}\n"
				    "  - {id: 101, name: acme, vni: [5002], vlan: [100]}\n";
	struct fixture *f = *state;
	struct tf_spec s = { .proto = 6, .sport = 1, .dport = 2 };
	struct ys_tenant_map *map2;
	struct ys_conf *conf2;
	uint8_t frame[256];
	char err[256];
	size_t len;

	if (!f)
		skip();
	conf2 = ys_conf_load_string("t2.yaml", text2, sizeof(text2) - 1, err, sizeof(err));
	assert_non_null(conf2);
	map2 = ys_tenant_map_load(conf2, err, sizeof(err));
	assert_non_null(map2);
	assert_int_equal(ys_bpf_load_tenants(f->b, map2), 0);

	tf_addrs(&s, "10.50.7.1", "10.1.1.1"); /* was tenant 106, ignored */
	len = tf_build(&s, frame, sizeof(frame));
	assert_int_equal(kernel_tenant(f, frame, len), 201);
	s.tunnel = TF_VXLAN;
	s.vni = 5001; /* acme's old VNI is gone */
	len = tf_build(&s, frame, sizeof(frame));
	assert_int_equal(kernel_tenant(f, frame, len), 201);
	s.vni = 5002; /* its new one is there */
	len = tf_build(&s, frame, sizeof(frame));
	assert_int_equal(kernel_tenant(f, frame, len), 101);
	s.tunnel = TF_NONE;
	s.nvlan = 1;
	s.vlan[0] = 100; /* VLAN 100 moved from initech (103) to acme */
	len = tf_build(&s, frame, sizeof(frame));
	assert_int_equal(kernel_tenant(f, frame, len), 101);
	s.nvlan = 2;
	s.vlan[0] = 200;
	s.vlan[1] = 300; /* umbrella's pair is gone: outer 200 unknown, CIDR decides */
	len = tf_build(&s, frame, sizeof(frame));
	assert_int_equal(kernel_tenant(f, frame, len), 201);
	s.nvlan = 0;
	tf_addrs(&s, "fd00:50::1", "2001:db8::1"); /* hooli's v6 CIDR is gone */
	len = tf_build(&s, frame, sizeof(frame));
	assert_int_equal(kernel_tenant(f, frame, len), 0);
	ys_tenant_map_free(map2);
	ys_conf_free(conf2);
}

static void test_metrics_text(void **state)
{
	struct fixture *f = *state;
	struct tf_spec s = { .proto = 6, .sport = 1234, .dport = 80 };
	struct ys_bpf_counters c105, c106;
	char want[256], *text = NULL;
	uint8_t frame[256];
	size_t len, tlen;

	if (!f)
		skip();
	tf_addrs(&s, "10.50.1.1", "10.1.1.1");
	len = tf_build(&s, frame, sizeof(frame));
	assert_int_equal(kernel_tenant(f, frame, len), 105);
	tf_addrs(&s, "10.50.7.1", "10.1.1.1");
	len = tf_build(&s, frame, sizeof(frame));
	assert_int_equal(kernel_tenant(f, frame, len), -1);

	assert_int_equal(ys_bpf_counters_read(f->b, 105, &c105), 0);
	assert_int_equal(ys_bpf_counters_read(f->b, 106, &c106), 0);
	assert_true(c105.packets >= 1 && c106.ignored >= 1);
	assert_int_equal(ys_bpf_metrics(f->b, f->map, &text, &tlen), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), tlen);
	snprintf(want, sizeof(want),
		 "\nyunshao_xdp_packets_total{tenant_id=\"105\",tenant=\"hooli\"} %llu\n",
		 (unsigned long long)c105.packets);
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want),
		 "\nyunshao_xdp_ignored_total{tenant_id=\"106\",tenant=\"sub\"} %llu\n",
		 (unsigned long long)c106.ignored);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "# TYPE yunshao_xdp_bypassed_total counter\n"));
	assert_non_null(strstr(text, "yunshao_xdp_attached{mode=\"none\"} 1\n"));
	free(text);
}

static void test_conf_keys(void **state)
{
	static const char off[] = "capture: {xdp: {enabled: false}}\n";
	static const char bad[] = "capture: {xdp: {skip-action: maybe}}\n";
	struct ys_conf *c;
	char err[256] = "";

	(void)state;
	c = ys_conf_load_string("off.yaml", off, sizeof(off) - 1, err, sizeof(err));
	assert_non_null(c);
	errno = 1234;
	assert_null(ys_bpf_from_conf(c, NULL, "af-xdp", NULL, err, sizeof(err)));
	assert_int_equal(errno, 0); /* disabled is not an error */
	ys_conf_free(c);
	/* af-packet does not enable XDP by default. */
	errno = 1234;
	assert_null(ys_bpf_from_conf(NULL, NULL, "af-packet", NULL, err, sizeof(err)));
	assert_int_equal(errno, 0);

	c = ys_conf_load_string("bad.yaml", bad, sizeof(bad) - 1, err, sizeof(err));
	assert_non_null(c);
	assert_null(ys_bpf_from_conf(c, NULL, "af-xdp", NULL, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "skip-action"));
	ys_conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_matches_user_space),
		cmocka_unit_test(test_sample_policy_from_map),
		cmocka_unit_test(test_metrics_text),
		cmocka_unit_test(
			test_reload_replaces_maps), /* last: replaces the kernel's tables */
		cmocka_unit_test(test_conf_keys),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
