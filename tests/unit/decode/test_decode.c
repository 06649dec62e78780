/*
 * Unit tests for ys_decode: every link type, VLAN/QinQ, the overlays (VXLAN
 * and GENEVE with an inner VLAN, GRE, ERSPAN, IP-in-IP), MPLS, PPPoE, IPv4
 * and IPv6 fragment reassembly (in order, out of order, overlapping "first
 * wins", timeout, memcap, teardrop), IPv6 extension headers, ICMP, checksum
 * validation, TCP options, and every truncation of a deep frame. Frames are
 * built as wire bytes (ys_pktbuild.h) and decoded from an exact-size heap
 * copy, so a sanitizer build catches any read past the captured length.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "decode.h"
#include "ys_pktbuild.h"

struct tctx {
	struct ys_decoder *dec;
	struct ys_packet pkt;
	uint8_t *copy;
};

static int setup(void **state)
{
	struct tctx *t = calloc(1, sizeof(*t));

	t->dec = ys_decoder_new(NULL);
	assert_non_null(t->dec);
	*state = t;
	return 0;
}

static int setup_csum(void **state)
{
	struct ys_decode_params prm = { .validate_checksums = true };
	struct tctx *t = calloc(1, sizeof(*t));

	t->dec = ys_decoder_new(&prm);
	assert_non_null(t->dec);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tctx *t = *state;

	ys_decoder_free(t->dec);
	free(t->copy);
	free(t);
	return 0;
}

/* Decode LEN bytes of B from an exact-size heap copy, at time TS seconds. */
static int run_raw(struct tctx *t, const uint8_t *b, size_t len, int linktype, uint64_t ts)
{
	free(t->copy);
	t->copy = malloc(len ? len : 1);
	memcpy(t->copy, b, len);
	memset(&t->pkt, 0, sizeof(t->pkt));
	t->pkt.data = t->copy;
	t->pkt.caplen = (uint32_t)len;
	t->pkt.wirelen = (uint32_t)len;
	t->pkt.linktype = linktype;
	t->pkt.ts_usec = ts * 1000000ull;
	return ys_decode_packet(t->dec, &t->pkt);
}

static int run(struct tctx *t, const struct pb *p, int linktype)
{
	return run_raw(t, p->b, p->n, linktype, 1000);
}

static void assert_addr(const struct ys_addr *a, const char *want)
{
	char buf[YS_ADDR_STR_LEN];
	struct ys_addr w;

	assert_int_equal(ys_addr_parse(want, &w), 0);
	if (!ys_addr_eq(a, &w)) {
		ys_addr_str(a, buf, sizeof(buf));
		fail_msg("address %s, expected %s", buf, want);
	}
}

static uint64_t err_count(const struct tctx *t, enum ys_decode_error e)
{
	return ys_decoder_stats(t->dec)->errors[e];
}

/* An Ethernet/IPv4/TCP frame with payload PAY. */
static void build_tcp4(struct pb *p, const uint16_t *tags, int ntags, const char *pay)
{
	size_t ip, tcp;

	pb_eth(p, tags, ntags, 0x0800);
	ip = pb_ipv4(p, "10.0.0.1", "10.0.0.2", 6, 7, 0x4000);
	tcp = pb_tcp(p, 40000, 80, 1000, 2000, 0x18);
	pb_put(p, pay, strlen(pay));
	pb_tcp_fix(p, tcp, ip);
	pb_ipv4_fix(p, ip);
}

static void test_ethernet_ipv4_tcp(void **state)
{
	struct tctx *t = *state;
	struct pb p = { .n = 0 };

	build_tcp4(&p, NULL, 0, "GET / HTTP/1.0\r\n\r\n");
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_int_equal(t->pkt.decode_error, YS_DEC_OK);
	assert_int_equal(t->pkt.ip_version, 4);
	assert_addr(&t->pkt.src, "10.0.0.1");
	assert_addr(&t->pkt.dst, "10.0.0.2");
	assert_int_equal(t->pkt.proto, 6);
	assert_int_equal(t->pkt.sport, 40000);
	assert_int_equal(t->pkt.dport, 80);
	assert_int_equal(t->pkt.tcp_flags, 0x18);
	assert_int_equal(t->pkt.tcp_seq, 1000);
	assert_int_equal(t->pkt.tcp_ack, 2000);
	assert_int_equal(t->pkt.ip_hlen, 20);
	assert_int_equal(t->pkt.ttl, 64);
	assert_int_equal(t->pkt.payload_len, 18);
	assert_memory_equal(t->pkt.payload, "GET / HTTP/1.0", 14);
	assert_int_equal(t->pkt.vlan_count, 0);
	assert_int_equal(t->pkt.tunnel.type, YS_TUNNEL_NONE);
	assert_int_equal(ys_decoder_stats(t->dec)->tcp, 1);
	assert_int_equal(ys_decoder_stats(t->dec)->ipv4, 1);
}

static void test_ethernet_padding_trimmed(void **state)
{
	struct tctx *t = *state;
	struct pb p = { .n = 0 };
	size_t ip, udp;

	pb_eth(&p, NULL, 0, 0x0800);
	ip = pb_ipv4(&p, "10.0.0.1", "10.0.0.2", 17, 1, 0);
	udp = pb_udp(&p, 1000, 53);
	pb_put(&p, "ab", 2);
	pb_udp_fix(&p, udp, ip);
	pb_ipv4_fix(&p, ip);
	memset(p.b + p.n, 0, 16); /* Ethernet minimum-size padding */
	p.n += 16;
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_int_equal(t->pkt.payload_len, 2);
	assert_int_equal(t->pkt.l3_len, 20 + 8 + 2);
}

static void test_vlan_and_qinq(void **state)
{
	struct tctx *t = *state;
	struct pb p = { .n = 0 };
	uint16_t one[] = { 0x2064 }; /* priority 1, VLAN 100 */
	uint16_t two[] = { 200, 300 };
	uint16_t three[] = { 1, 2, 3 };

	build_tcp4(&p, one, 1, "x");
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_int_equal(t->pkt.vlan_count, 1);
	assert_int_equal(t->pkt.vlan[0], 100);

	p.n = 0;
	build_tcp4(&p, two, 2, "x");
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_int_equal(t->pkt.vlan_count, 2);
	assert_int_equal(t->pkt.vlan[0], 200);
	assert_int_equal(t->pkt.vlan[1], 300);
	assert_int_equal(t->pkt.dport, 80);

	p.n = 0;
	build_tcp4(&p, three, 3, "x");
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), -EINVAL);
	assert_int_equal(t->pkt.decode_error, YS_DEC_VLAN_TOO_DEEP);
	assert_int_equal(err_count(t, YS_DEC_VLAN_TOO_DEEP), 1);
}

/* IPv4/UDP datagram bytes (no link header) into P. */
static void build_udp4(struct pb *p, const char *src, const char *dst, const char *pay)
{
	size_t ip = pb_ipv4(p, src, dst, 17, 9, 0);
	size_t udp = pb_udp(p, 5353, 53);

	pb_put(p, pay, strlen(pay));
	pb_udp_fix(p, udp, ip);
	pb_ipv4_fix(p, ip);
}

static void build_udp6(struct pb *p)
{
	size_t ip = pb_ipv6(p, "2001:db8::1", "2001:db8::2", 17);
	size_t udp = pb_udp(p, 5353, 53);

	pb_put(p, "v6", 2);
	pb_udp_fix(p, udp, ip);
	pb_ipv6_fix(p, ip);
}

static void test_link_types(void **state)
{
	struct tctx *t = *state;
	struct pb ip4 = { .n = 0 }, ip6 = { .n = 0 }, p;
	static const int raw_types[] = { YS_LINK_RAW, YS_LINK_RAW_DLT, YS_LINK_IPV4 };

	build_udp4(&ip4, "192.0.2.1", "192.0.2.2", "hello");
	build_udp6(&ip6);

	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(run(t, &ip4, raw_types[i]), 0);
		assert_addr(&t->pkt.dst, "192.0.2.2");
	}
	assert_int_equal(run(t, &ip6, YS_LINK_RAW), 0);
	assert_addr(&t->pkt.src, "2001:db8::1");
	assert_int_equal(run(t, &ip6, YS_LINK_IPV6), 0);
	assert_int_equal(t->pkt.payload_len, 2);

	/* BSD NULL: family in either byte order; AF_INET6 is 24, 28 or 30. */
	{
		static const uint8_t fams[][4] = { { 2, 0, 0, 0 },
						   { 0, 0, 0, 2 },
						   { 24, 0, 0, 0 },
						   { 0, 0, 0, 28 },
						   { 30, 0, 0, 0 } };

		for (size_t i = 0; i < 5; i++) {
			const struct pb *in = i < 2 ? &ip4 : &ip6;

			p.n = 0;
			pb_put(&p, fams[i], 4);
			pb_put(&p, in->b, in->n);
			assert_int_equal(run(t, &p, YS_LINK_NULL), 0);
			assert_int_equal(t->pkt.ip_version, i < 2 ? 4 : 6);
		}
		p.n = 0;
		pb_put(&p, (uint8_t[]){ 0, 0, 0, 2 }, 4);
		pb_put(&p, ip4.b, ip4.n);
		assert_int_equal(run(t, &p, YS_LINK_LOOP), 0);
		assert_int_equal(t->pkt.ip_version, 4);
	}

	/* Linux SLL: 16 bytes, protocol at 14. */
	p.n = 0;
	pb_u16(&p, 0);
	pb_u16(&p, 1);
	pb_u16(&p, 6);
	pb_put(&p, "\1\2\3\4\5\6\0\0", 8);
	pb_u16(&p, 0x86dd);
	pb_put(&p, ip6.b, ip6.n);
	assert_int_equal(run(t, &p, YS_LINK_SLL), 0);
	assert_int_equal(t->pkt.ip_version, 6);

	/* SLL2: 20 bytes, protocol first. */
	p.n = 0;
	pb_u16(&p, 0x0800);
	pb_u16(&p, 0);
	pb_u32(&p, 2);
	pb_u16(&p, 1);
	pb_u8(&p, 0);
	pb_u8(&p, 6);
	pb_put(&p, "\1\2\3\4\5\6\0\0", 8);
	pb_put(&p, ip4.b, ip4.n);
	assert_int_equal(run(t, &p, YS_LINK_SLL2), 0);
	assert_memory_equal(t->pkt.payload, "hello", 5);

	/* Cisco HDLC. */
	p.n = 0;
	pb_u8(&p, 0x0f);
	pb_u8(&p, 0);
	pb_u16(&p, 0x0800);
	pb_put(&p, ip4.b, ip4.n);
	assert_int_equal(run(t, &p, YS_LINK_C_HDLC), 0);
	assert_int_equal(t->pkt.dport, 53);

	/* Unknown link type and a truncated link header are counted errors. */
	assert_int_equal(run(t, &ip4, 147), -EINVAL);
	assert_int_equal(t->pkt.decode_error, YS_DEC_LINK_UNSUPPORTED);
	assert_int_equal(run_raw(t, p.b, 3, YS_LINK_C_HDLC, 1), -EINVAL);
	assert_int_equal(t->pkt.decode_error, YS_DEC_LINK_TRUNCATED);
	assert_int_equal(run_raw(t, p.b, 10, YS_LINK_ETHERNET, 1), -EINVAL);
	assert_int_equal(t->pkt.decode_error, YS_DEC_LINK_TRUNCATED);
}

/* Tags right after a Linux SLL header: the Ethernet stack rules, and the vlan
 * counter counts the tagged packet once however many tags it has. */
static void test_sll_vlan_stack(void **state)
{
	struct tctx *t = *state;
	struct pb p = { .n = 0 }, ip4 = { .n = 0 };
	const uint16_t ids[] = { 200, 300, 400 };
	size_t off, udp;

	off = pb_ipv4(&ip4, "10.0.0.1", "10.0.0.2", 17, 1, 0);
	udp = pb_udp(&ip4, 1234, 53);
	pb_put(&ip4, "x", 1);
	pb_udp_fix(&ip4, udp, off);
	pb_ipv4_fix(&ip4, off);
	for (int ntags = 2; ntags <= 3; ntags++) {
		uint64_t vlan_before = ys_decoder_stats(t->dec)->vlan;

		p.n = 0;
		pb_u16(&p, 0);
		pb_u16(&p, 1);
		pb_u16(&p, 6);
		pb_put(&p, "\1\2\3\4\5\6\0\0", 8);
		pb_u16(&p, 0x88a8);
		for (int i = 0; i < ntags; i++) {
			pb_u16(&p, ids[i]);
			pb_u16(&p, i + 1 < ntags ? 0x8100 : 0x0800);
		}
		pb_put(&p, ip4.b, ip4.n);
		if (ntags == 3) {
			assert_int_equal(run(t, &p, YS_LINK_SLL), -EINVAL);
			assert_int_equal(t->pkt.decode_error, YS_DEC_VLAN_TOO_DEEP);
			continue;
		}
		assert_int_equal(run(t, &p, YS_LINK_SLL), 0);
		assert_int_equal(t->pkt.vlan_count, 2);
		assert_int_equal(t->pkt.vlan[0], 200);
		assert_int_equal(t->pkt.vlan[1], 300);
		assert_int_equal(t->pkt.dport, 53);
		assert_int_equal(ys_decoder_stats(t->dec)->vlan - vlan_before, 1);
	}
}

static void test_non_ip(void **state)
{
	struct tctx *t = *state;
	struct pb p = { .n = 0 };

	pb_eth(&p, NULL, 0, 0x0806);
	pb_put(&p, "arp-ish-payload-28-bytes....", 28);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), -ENOENT);
	assert_int_equal(t->pkt.decode_error, YS_DEC_OK);
	assert_int_equal(ys_decoder_stats(t->dec)->non_ip, 1);
}

/* Outer Ethernet/IPv4/UDP to PORT carrying HDR (overlay header) + inner frame. */
static void build_overlay(struct pb *p, int geneve, uint16_t inner_vlan)
{
	size_t oip, oudp, iip, itcp;
	uint16_t tag[] = { inner_vlan };

	pb_eth(p, NULL, 0, 0x0800);
	oip = pb_ipv4(p, "172.16.0.1", "172.16.0.2", 17, 1, 0);
	oudp = pb_udp(p, 33333, geneve ? 6081 : 4789);
	if (geneve)
		pb_geneve(p, 7001, 2, 0x6558);
	else
		pb_vxlan(p, 5001);
	pb_eth(p, tag, inner_vlan ? 1 : 0, 0x0800);
	iip = pb_ipv4(p, "10.1.0.5", "10.1.0.6", 6, 3, 0);
	itcp = pb_tcp(p, 1234, 443, 1, 0, 0x02);
	pb_tcp_fix(p, itcp, iip);
	pb_ipv4_fix(p, iip);
	pb_udp_fix(p, oudp, oip);
	pb_ipv4_fix(p, oip);
}

static void test_vxlan_geneve_inner_vlan(void **state)
{
	struct tctx *t = *state;

	for (int geneve = 0; geneve < 2; geneve++) {
		struct pb p = { .n = 0 };

		build_overlay(&p, geneve, 42);
		assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
		assert_int_equal(t->pkt.tunnel.type, geneve ? YS_TUNNEL_GENEVE : YS_TUNNEL_VXLAN);
		assert_int_equal(t->pkt.tunnel.vni, geneve ? 7001 : 5001);
		assert_addr(&t->pkt.tunnel.outer_src, "172.16.0.1");
		assert_addr(&t->pkt.tunnel.outer_dst, "172.16.0.2");
		assert_int_equal(t->pkt.tunnel.outer_dport, geneve ? 6081 : 4789);
		assert_int_equal(t->pkt.tunnel_depth, 1);
		/* Addresses, ports and protocol are the inner packet's. */
		assert_addr(&t->pkt.src, "10.1.0.5");
		assert_addr(&t->pkt.dst, "10.1.0.6");
		assert_int_equal(t->pkt.proto, 6);
		assert_int_equal(t->pkt.dport, 443);
		assert_int_equal(t->pkt.tcp_flags, 0x02);
		assert_int_equal(t->pkt.vlan_count, 1);
		assert_int_equal(t->pkt.vlan[0], 42);
	}
	assert_int_equal(ys_decoder_stats(t->dec)->vxlan, 1);
	assert_int_equal(ys_decoder_stats(t->dec)->geneve, 1);
}

static void test_vxlan_not_vxlan_stays_udp(void **state)
{
	struct tctx *t = *state;
	struct pb p = { .n = 0 };
	size_t ip, udp;

	pb_eth(&p, NULL, 0, 0x0800);
	ip = pb_ipv4(&p, "172.16.0.1", "172.16.0.2", 17, 1, 0);
	udp = pb_udp(&p, 1, 4789);
	pb_put(&p, "\0\0\0\0\0\0\0\0junk", 12); /* I flag clear */
	pb_udp_fix(&p, udp, ip);
	pb_ipv4_fix(&p, ip);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_int_equal(t->pkt.tunnel.type, YS_TUNNEL_NONE);
	assert_int_equal(t->pkt.payload_len, 12);
}

static void test_teredo_vntag_pbb(void **state)
{
	struct tctx *t = *state;
	struct pb in6 = { .n = 0 }, p = { .n = 0 };
	size_t ip, udp;

	build_udp6(&in6);
	for (int origin = 0; origin < 2; origin++) {
		p.n = 0;
		pb_eth(&p, NULL, 0, 0x0800);
		ip = pb_ipv4(&p, "192.0.2.1", "192.0.2.2", 17, 1, 0);
		udp = pb_udp(&p, 3544, 40000);
		if (origin)
			pb_put(&p, "\0\0\1\2\3\4\5\6", 8);
		pb_put(&p, in6.b, in6.n);
		pb_udp_fix(&p, udp, ip);
		pb_ipv4_fix(&p, ip);
		assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
		assert_int_equal(t->pkt.ip_version, 6);
		assert_addr(&t->pkt.src, "2001:db8::1");
		assert_int_equal(t->pkt.dport, 53);
	}
	/* A length that does not match exactly: plain UDP. */
	p.n = 0;
	pb_eth(&p, NULL, 0, 0x0800);
	ip = pb_ipv4(&p, "192.0.2.1", "192.0.2.2", 17, 1, 0);
	udp = pb_udp(&p, 3544, 40000);
	pb_put(&p, in6.b, in6.n);
	pb_u8(&p, 0);
	pb_udp_fix(&p, udp, ip);
	pb_ipv4_fix(&p, ip);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_int_equal(t->pkt.ip_version, 4);
	assert_int_equal(t->pkt.payload_len, in6.n + 1);
	assert_int_equal(ys_decoder_stats(t->dec)->teredo, 2);

	/* VN-Tag, then 802.1ah around a customer frame. */
	p.n = 0;
	pb_eth(&p, NULL, 0, 0x8926);
	pb_u32(&p, 0x80010002);
	pb_u16(&p, 0x86dd);
	pb_put(&p, in6.b, in6.n);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_int_equal(t->pkt.dport, 53);
	p.n = 0;
	pb_eth(&p, NULL, 0, 0x88e7);
	pb_u32(&p, 0x00001234);
	pb_eth(&p, NULL, 0, 0x86dd);
	pb_put(&p, in6.b, in6.n);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_addr(&t->pkt.dst, "2001:db8::2");
}

static void test_tunnel_too_deep(void **state)
{
	struct tctx *t = *state;
	struct pb p = { .n = 0 };
	size_t ips[4];

	/* IPv4 in IPv4 in IPv4 in IPv4: three decapsulations, the limit is two. */
	pb_eth(&p, NULL, 0, 0x0800);
	for (int i = 0; i < 3; i++)
		ips[i] = pb_ipv4(&p, "1.1.1.1", "2.2.2.2", 4, 1, 0);
	ips[3] = pb_ipv4(&p, "3.3.3.3", "4.4.4.4", 17, 1, 0);
	pb_udp(&p, 1, 2);
	pb_set16(&p, p.n - 4, 8);
	for (int i = 3; i >= 0; i--)
		pb_ipv4_fix(&p, ips[i]);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), -EINVAL);
	assert_int_equal(t->pkt.decode_error, YS_DEC_TUNNEL_TOO_DEEP);

	/* Two levels are fine, and the innermost addresses win. */
	p.n = 0;
	pb_eth(&p, NULL, 0, 0x0800);
	ips[0] = pb_ipv4(&p, "1.1.1.1", "2.2.2.2", 41, 1, 0);
	ips[1] = pb_ipv6(&p, "2001:db8::a", "2001:db8::b", 4);
	ips[2] = pb_ipv4(&p, "3.3.3.3", "4.4.4.4", 17, 1, 0);
	pb_udp(&p, 1, 2);
	pb_set16(&p, p.n - 4, 8);
	pb_ipv4_fix(&p, ips[2]);
	pb_ipv6_fix(&p, ips[1]);
	pb_ipv4_fix(&p, ips[0]);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_addr(&t->pkt.src, "3.3.3.3");
	assert_int_equal(t->pkt.tunnel_depth, 2);
	assert_int_equal(t->pkt.tunnel.type, YS_TUNNEL_NONE);
}

static void test_gre_erspan_mpls_pppoe(void **state)
{
	struct tctx *t = *state;
	struct pb in = { .n = 0 }, p = { .n = 0 };
	size_t oip;

	build_udp4(&in, "10.9.0.1", "10.9.0.2", "inner");

	/* GRE with key carrying IPv4. */
	pb_eth(&p, NULL, 0, 0x0800);
	oip = pb_ipv4(&p, "198.51.100.1", "198.51.100.2", 47, 1, 0);
	pb_u16(&p, 0x2000);
	pb_u16(&p, 0x0800);
	pb_u32(&p, 99);
	pb_put(&p, in.b, in.n);
	pb_ipv4_fix(&p, oip);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_addr(&t->pkt.src, "10.9.0.1");
	assert_memory_equal(t->pkt.payload, "inner", 5);

	/* GRE transparent Ethernet bridging and ERSPAN type II. */
	for (int erspan = 0; erspan < 2; erspan++) {
		p.n = 0;
		pb_eth(&p, NULL, 0, 0x0800);
		oip = pb_ipv4(&p, "198.51.100.1", "198.51.100.2", 47, 1, 0);
		pb_u16(&p, erspan ? 0x1000 : 0);
		pb_u16(&p, erspan ? 0x88be : 0x6558);
		if (erspan) {
			pb_u32(&p, 5);		/* GRE sequence */
			pb_u32(&p, 0x10000000); /* ERSPAN II header */
			pb_u32(&p, 0);
		}
		pb_eth(&p, NULL, 0, 0x0800);
		pb_put(&p, in.b, in.n);
		pb_ipv4_fix(&p, oip);
		assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
		assert_addr(&t->pkt.dst, "10.9.0.2");
	}

	/* MPLS, two labels. */
	p.n = 0;
	pb_eth(&p, NULL, 0, 0x8847);
	pb_u32(&p, (16u << 12) | 0x40);
	pb_u32(&p, (17u << 12) | 0x140);
	pb_put(&p, in.b, in.n);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_addr(&t->pkt.src, "10.9.0.1");
	assert_int_equal(ys_decoder_stats(t->dec)->mpls, 1);

	/* MPLS stack without bottom: too deep. */
	p.n = 0;
	pb_eth(&p, NULL, 0, 0x8847);
	for (int i = 0; i < 12; i++)
		pb_u32(&p, 16u << 12);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), -EINVAL);
	assert_int_equal(t->pkt.decode_error, YS_DEC_MPLS_TOO_DEEP);

	/* PPPoE session carrying IPv4. */
	p.n = 0;
	pb_eth(&p, NULL, 0, 0x8864);
	pb_u8(&p, 0x11);
	pb_u8(&p, 0);
	pb_u16(&p, 0x1234);
	pb_u16(&p, (uint16_t)(in.n + 2));
	pb_u16(&p, 0x0021);
	pb_put(&p, in.b, in.n);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_int_equal(t->pkt.dport, 53);
	assert_int_equal(ys_decoder_stats(t->dec)->pppoe, 1);
}

/* One IPv4 fragment of a UDP datagram: bytes [OFF, OFF+LEN) of DGRAM. */
static int send_frag4(struct tctx *t, const uint8_t *dgram, uint16_t off, uint16_t len, int more,
		      uint16_t id, uint64_t ts)
{
	struct pb p = { .n = 0 };
	size_t ip;

	pb_eth(&p, NULL, 0, 0x0800);
	ip = pb_ipv4(&p, "10.0.0.1", "10.0.0.2", 17, id, (uint16_t)((more ? 0x2000 : 0) | off / 8));
	pb_put(&p, dgram + off, len);
	pb_ipv4_fix(&p, ip);
	return run_raw(t, p.b, p.n, YS_LINK_ETHERNET, ts);
}

/* A 8 + 40 byte UDP datagram (header + "0123...") with a valid checksum. */
static void build_dgram(uint8_t *d, char fill)
{
	struct pb p = { .n = 0 };
	size_t ip = pb_ipv4(&p, "10.0.0.1", "10.0.0.2", 17, 1, 0);
	size_t udp = pb_udp(&p, 7, 9);

	for (int i = 0; i < 40; i++)
		pb_u8(&p, (uint8_t)(fill + i % 10));
	pb_udp_fix(&p, udp, ip);
	memcpy(d, p.b + udp, 48);
}

static void test_ipv4_frag_in_order(void **state)
{
	struct tctx *t = *state;
	uint8_t d[48];

	build_dgram(d, '0');
	assert_int_equal(send_frag4(t, d, 0, 16, 1, 77, 1), -EAGAIN);
	assert_true(t->pkt.flags & YS_PKT_IPV4_FRAGMENT);
	assert_int_equal(send_frag4(t, d, 16, 16, 1, 77, 1), -EAGAIN);
	assert_int_equal(send_frag4(t, d, 32, 16, 0, 77, 1), 0);
	assert_true(t->pkt.flags & YS_PKT_IPV4_FRAG_REASSEMBLED);
	assert_false(t->pkt.flags & YS_PKT_IPV4_FRAGMENT);
	assert_int_equal(t->pkt.proto, 17);
	assert_int_equal(t->pkt.sport, 7);
	assert_int_equal(t->pkt.dport, 9);
	assert_int_equal(t->pkt.payload_len, 40);
	assert_memory_equal(t->pkt.payload, d + 8, 40);
	assert_int_equal(t->pkt.l3_len, 20 + 48);
	assert_int_equal(ys_decoder_stats(t->dec)->frag_reassembled, 1);
	assert_int_equal(ys_decoder_stats(t->dec)->frag_active, 0);
	/* The datagram's memory is counted until the next packet, then given back. */
	assert_true(ys_decoder_stats(t->dec)->frag_memuse >= 20 + 48);
	build_dgram(d, '1');
	assert_int_equal(send_frag4(t, d, 0, 16, 1, 78, 1), -EAGAIN);
	assert_int_equal(send_frag4(t, d, 16, 32, 0, 78, 1), 0);
	assert_memory_equal(t->pkt.payload, d + 8, 40);
	assert_int_equal(send_frag4(t, d, 0, 16, 1, 79, 1), -EAGAIN);
	assert_int_equal(ys_decoder_stats(t->dec)->frag_active, 1);
	assert_int_equal(send_frag4(t, d, 16, 32, 0, 79, 1), 0);
	assert_int_equal(ys_decoder_stats(t->dec)->frag_active, 0);
	run_raw(t, (const uint8_t *)"x", 1, YS_LINK_RAW, 1);
	assert_int_equal(ys_decoder_stats(t->dec)->frag_memuse, 0);
}

static void test_ipv4_frag_first_has_options(void **state)
{
	struct tctx *t = *state;
	struct pb p = { .n = 0 };
	uint8_t d[48];
	size_t ip;

	build_dgram(d, 'k');
	/* Offset 0 with a 24-byte header (one NOP + EOL option word)... */
	pb_eth(&p, NULL, 0, 0x0800);
	ip = pb_ipv4(&p, "10.0.0.1", "10.0.0.2", 17, 31, 0x2000);
	pb_put(&p, (uint8_t[]){ 1, 1, 1, 0 }, 4);
	p.b[ip] = 0x46;
	pb_put(&p, d, 24);
	pb_ipv4_fix(&p, ip);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), -EAGAIN);
	/* ...completed by a fragment with a plain 20-byte header. */
	assert_int_equal(send_frag4(t, d, 24, 24, 0, 31, 1000), 0);
	assert_int_equal(t->pkt.ip_hlen, 24);
	assert_int_equal(t->pkt.dport, 9);
	assert_int_equal(t->pkt.payload_len, 40);
	assert_memory_equal(t->pkt.payload, d + 8, 40);
}

static void test_ipv4_frag_out_of_order_and_csum(void **state)
{
	struct tctx *t = *state;
	uint8_t d[48];

	/* With checksum validation on: the reassembled UDP checksum must verify. */
	build_dgram(d, 'a');
	assert_int_equal(send_frag4(t, d, 32, 16, 0, 5, 1), -EAGAIN);
	assert_int_equal(send_frag4(t, d, 0, 8, 1, 5, 1), -EAGAIN);
	assert_int_equal(send_frag4(t, d, 16, 16, 1, 5, 1), -EAGAIN);
	assert_int_equal(send_frag4(t, d, 8, 8, 1, 5, 1), 0);
	assert_memory_equal(t->pkt.payload, d + 8, 40);
	assert_false(t->pkt.flags & YS_PKT_BAD_CSUM);
	assert_int_equal(t->pkt.decode_error, YS_DEC_OK);
}

static void test_ipv4_frag_overlap_first_wins(void **state)
{
	struct tctx *t = *state;
	uint8_t a[48], b[48];

	build_dgram(a, '0');
	build_dgram(b, 'A');
	assert_int_equal(send_frag4(t, a, 0, 24, 1, 9, 1), -EAGAIN);
	/* Rewrites bytes 16..31 with other data: 16..23 must stay A's. */
	assert_int_equal(send_frag4(t, b, 16, 16, 1, 9, 1), -EAGAIN);
	assert_int_equal(t->pkt.decode_error, YS_DEC_IPV4_FRAG_OVERLAP);
	assert_int_equal(send_frag4(t, a, 32, 16, 0, 9, 1), 0);
	assert_memory_equal(t->pkt.payload, a + 8, 16);	     /* bytes 8..23 from a */
	assert_memory_equal(t->pkt.payload + 16, b + 24, 8); /* bytes 24..31 from b */
	assert_memory_equal(t->pkt.payload + 24, a + 32, 16);
	assert_int_equal(err_count(t, YS_DEC_IPV4_FRAG_OVERLAP), 1);

	/* Teardrop: a fragment entirely inside the first, then the end. */
	assert_int_equal(send_frag4(t, a, 0, 32, 1, 10, 1), -EAGAIN);
	assert_int_equal(send_frag4(t, b, 8, 8, 1, 10, 1), -EAGAIN);
	assert_int_equal(send_frag4(t, a, 32, 16, 0, 10, 1), 0);
	assert_memory_equal(t->pkt.payload, a + 8, 40);

	/* A last fragment ending before bytes already held is inconsistent. */
	assert_int_equal(send_frag4(t, a, 16, 24, 1, 11, 1), -EAGAIN);
	assert_int_equal(send_frag4(t, a, 8, 8, 0, 11, 1), -EINVAL);
	assert_int_equal(t->pkt.decode_error, YS_DEC_IPV4_FRAG_BAD);
	/* A non-last fragment whose length is not a multiple of 8. */
	assert_int_equal(send_frag4(t, a, 0, 12, 1, 12, 1), -EINVAL);
	assert_int_equal(t->pkt.decode_error, YS_DEC_IPV4_FRAG_BAD);
}

static void test_ipv4_frag_timeout(void **state)
{
	struct tctx *t = *state;
	uint8_t d[48];

	build_dgram(d, '0');
	assert_int_equal(send_frag4(t, d, 0, 16, 1, 1, 100), -EAGAIN);
	assert_int_equal(ys_decoder_stats(t->dec)->frag_active, 1);
	/* 61 s later (default timeout 60 s) the incomplete datagram is gone: the
	 * rest alone cannot complete it. */
	assert_int_equal(send_frag4(t, d, 16, 32, 0, 1, 161), -EAGAIN);
	assert_int_equal(ys_decoder_stats(t->dec)->frag_timeouts, 1);
	assert_int_equal(ys_decoder_stats(t->dec)->frag_active, 1);
	assert_int_equal(send_frag4(t, d, 0, 16, 1, 1, 162), 0);
}

static void test_ipv4_frag_memcap(void **state)
{
	struct ys_decode_params prm = { .frag_memcap = 4000 };
	struct tctx *t = *state;
	uint8_t d[48];

	ys_decoder_free(t->dec);
	t->dec = ys_decoder_new(&prm);
	assert_non_null(t->dec);
	build_dgram(d, '0');
	/* Each incomplete datagram holds an entry plus a 2 KiB buffer: the second
	 * pushes the first (oldest) out. */
	assert_int_equal(send_frag4(t, d, 0, 16, 1, 1, 1), -EAGAIN);
	assert_int_equal(send_frag4(t, d, 0, 16, 1, 2, 1), -EAGAIN);
	assert_int_equal(err_count(t, YS_DEC_FRAG_MEMCAP), 1);
	assert_true(ys_decoder_stats(t->dec)->frag_memuse <= 4000);
	assert_int_equal(send_frag4(t, d, 16, 32, 0, 2, 1), 0);
	assert_int_equal(send_frag4(t, d, 16, 32, 0, 1, 1), -EAGAIN); /* id 1 was dropped */
}

static void test_ipv6_exthdr_and_frag(void **state)
{
	struct tctx *t = *state;
	struct pb p = { .n = 0 };
	size_t ip, udp;
	uint8_t d[48];

	/* Hop-by-hop, destination options, then UDP. */
	pb_eth(&p, NULL, 0, 0x86dd);
	ip = pb_ipv6(&p, "fd00::1", "fd00::2", 0);
	pb_put(&p, (uint8_t[]){ 60, 0, 1, 4, 0, 0, 0, 0 }, 8);
	pb_put(&p, (uint8_t[]){ 17, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 16);
	udp = pb_udp(&p, 546, 547);
	pb_put(&p, "dhcp", 4);
	pb_udp_fix(&p, udp, ip);
	pb_ipv6_fix(&p, ip);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_int_equal(t->pkt.proto, 17);
	assert_int_equal(t->pkt.ip_hlen, 40 + 8 + 16);
	assert_int_equal(t->pkt.dport, 547);

	/* Nine destination-option headers: more than YS_MAX_IPV6_EXTHDR. */
	p.n = 0;
	pb_eth(&p, NULL, 0, 0x86dd);
	ip = pb_ipv6(&p, "fd00::1", "fd00::2", 60);
	for (int i = 0; i < 9; i++)
		pb_put(&p, (uint8_t[]){ (uint8_t)(i == 8 ? 59 : 60), 0, 1, 4, 0, 0, 0, 0 }, 8);
	pb_ipv6_fix(&p, ip);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), -EINVAL);
	assert_int_equal(t->pkt.decode_error, YS_DEC_IPV6_EXTHDR_TOO_MANY);

	/* An extension header running past the packet. */
	p.n = 0;
	pb_eth(&p, NULL, 0, 0x86dd);
	ip = pb_ipv6(&p, "fd00::1", "fd00::2", 43);
	pb_put(&p, (uint8_t[]){ 17, 9, 0, 0, 0, 0, 0, 0 }, 8);
	pb_ipv6_fix(&p, ip);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), -EINVAL);
	assert_int_equal(t->pkt.decode_error, YS_DEC_IPV6_EXTHDR_TRUNCATED);

	/* Fragments, second first, behind a hop-by-hop header. */
	build_dgram(d, 'q');
	for (int pass = 0; pass < 2; pass++) {
		uint16_t off = pass == 0 ? 24 : 0, len = 24;

		p.n = 0;
		pb_eth(&p, NULL, 0, 0x86dd);
		ip = pb_ipv6(&p, "fd00::1", "fd00::2", 0);
		pb_put(&p, (uint8_t[]){ 44, 0, 1, 4, 0, 0, 0, 0 }, 8);
		pb_u8(&p, 17);
		pb_u8(&p, 0);
		pb_u16(&p, (uint16_t)(off | (pass == 0 ? 0 : 1)));
		pb_u32(&p, 0xabcdef);
		pb_put(&p, d + off, len);
		pb_ipv6_fix(&p, ip);
		assert_int_equal(run(t, &p, YS_LINK_ETHERNET), pass == 0 ? -EAGAIN : 0);
	}
	assert_true(t->pkt.flags & YS_PKT_IPV4_FRAG_REASSEMBLED);
	assert_int_equal(t->pkt.ip_version, 6);
	assert_int_equal(t->pkt.proto, 17);
	assert_int_equal(t->pkt.payload_len, 40);
	assert_memory_equal(t->pkt.payload, d + 8, 40);
	assert_int_equal(t->pkt.l3_len, 40 + 48);
	assert_addr(&t->pkt.src, "fd00::1");
}

/* One IPv6 fragment: FRAG header (NH, OFF, M, ID) + BYTES, behind ETH/IPv6. */
static int send_frag6(struct tctx *t, uint8_t nh, uint16_t off, int m, uint32_t id,
		      const uint8_t *bytes, size_t n)
{
	struct pb p = { .n = 0 };
	size_t ip;

	pb_eth(&p, NULL, 0, 0x86dd);
	ip = pb_ipv6(&p, "2001:db8:1::2", "2001:db8:1::1", 44);
	pb_u8(&p, nh);
	pb_u8(&p, 0);
	pb_u16(&p, (uint16_t)(off | (m ? 1 : 0)));
	pb_u32(&p, id);
	pb_put(&p, bytes, n);
	pb_ipv6_fix(&p, ip);
	return run(t, &p, YS_LINK_ETHERNET);
}

static void test_ipv6_nested_fragments(void **state)
{
	struct tctx *t = *state;
	struct pb m = { .n = 0 };
	uint8_t a[24];
	size_t ip, ic;

	/* M: an ICMPv6 echo request of 24 bytes (checksum irrelevant here). */
	ip = pb_ipv6(&m, "2001:db8:1::2", "2001:db8:1::1", 58);
	ic = pb_icmp(&m, 128, 0, 0xface, 0xbabe);
	pb_put(&m, "0123456789abcdef", 16);
	(void)ic;
	/* Datagram A = fragment header of B (first fragment, NH 58) + M[0..16). */
	memcpy(a, (uint8_t[]){ 58, 0, 0, 1, 0, 1, 0xbb, 0xbb }, 8);
	memcpy(a + 8, m.b + ip + 40, 16);
	/* A in two pieces; the second lies about its next header (58, not 44): the
	 * key ignores it and the first fragment's header decides. */
	assert_int_equal(send_frag6(t, 44, 0, 1, 0x1aaaa, a, 16), -EAGAIN);
	assert_int_equal(send_frag6(t, 58, 16, 0, 0x1aaaa, a + 16, 8), -EAGAIN);
	/* A is complete and holds B's first fragment: now held in turn. */
	assert_int_equal(ys_decoder_stats(t->dec)->frag_reassembled, 1);
	assert_int_equal(send_frag6(t, 58, 16, 0, 0x1bbbb, m.b + ip + 40 + 16, 8), 0);
	assert_int_equal(ys_decoder_stats(t->dec)->frag_reassembled, 2);
	assert_int_equal(t->pkt.proto, 58);
	assert_int_equal(t->pkt.icmp_type, 128);
	assert_int_equal(t->pkt.icmp_id, 0xface);
	assert_int_equal(t->pkt.payload_len, 16);
	assert_memory_equal(t->pkt.payload, "0123456789abcdef", 16);
}

static void test_icmp(void **state)
{
	struct tctx *t = *state;
	struct pb p = { .n = 0 }, quoted = { .n = 0 };
	size_t ip, ic;

	pb_eth(&p, NULL, 0, 0x0800);
	ip = pb_ipv4(&p, "10.0.0.1", "10.0.0.2", 1, 1, 0);
	ic = pb_icmp(&p, 8, 0, 0x1234, 7);
	pb_put(&p, "ping", 4);
	pb_icmp_fix(&p, ic, ip, 0);
	pb_ipv4_fix(&p, ip);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_int_equal(t->pkt.icmp_type, 8);
	assert_int_equal(t->pkt.icmp_id, 0x1234);
	assert_int_equal(t->pkt.icmp_seq, 7);
	assert_int_equal(t->pkt.sport, 0);
	assert_int_equal(t->pkt.payload_len, 4);

	/* Destination unreachable quoting another packet: addresses stay the outer ones. */
	build_udp4(&quoted, "203.0.113.9", "203.0.113.10", "q");
	p.n = 0;
	pb_eth(&p, NULL, 0, 0x0800);
	ip = pb_ipv4(&p, "10.0.0.254", "10.0.0.1", 1, 1, 0);
	ic = pb_icmp(&p, 3, 3, 0, 0);
	pb_put(&p, quoted.b, quoted.n);
	pb_icmp_fix(&p, ic, ip, 0);
	pb_ipv4_fix(&p, ip);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_addr(&t->pkt.src, "10.0.0.254");
	assert_addr(&t->pkt.dst, "10.0.0.1");
	assert_int_equal(t->pkt.icmp_type, 3);
	assert_int_equal(t->pkt.icmp_code, 3);
	assert_int_equal(t->pkt.icmp_id, 0);
	assert_int_equal(t->pkt.proto, 1);

	/* ICMPv6 echo reply. */
	p.n = 0;
	pb_eth(&p, NULL, 0, 0x86dd);
	ip = pb_ipv6(&p, "fd00::2", "fd00::1", 58);
	ic = pb_icmp(&p, 129, 0, 9, 10);
	pb_icmp_fix(&p, ic, ip, 1);
	pb_ipv6_fix(&p, ip);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_int_equal(t->pkt.icmp_type, 129);
	assert_int_equal(t->pkt.icmp_id, 9);
	assert_int_equal(t->pkt.icmp_seq, 10);
}

static void test_checksums(void **state)
{
	struct tctx *t = *state; /* validating decoder */
	struct pb p = { .n = 0 };

	build_tcp4(&p, NULL, 0, "payload");
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_false(t->pkt.flags & YS_PKT_BAD_CSUM);
	assert_int_equal(t->pkt.payload_len, 7);

	/* Flip a payload byte: bad TCP checksum, headers kept, payload withheld. */
	p.b[p.n - 1] ^= 0x20;
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_true(t->pkt.flags & YS_PKT_BAD_CSUM);
	assert_int_equal(t->pkt.decode_error, YS_DEC_TCP_BAD_CSUM);
	assert_null(t->pkt.payload);
	assert_int_equal(t->pkt.payload_len, 0);
	assert_int_equal(t->pkt.dport, 80);
	assert_int_equal(err_count(t, YS_DEC_TCP_BAD_CSUM), 1);

	/* Bad IPv4 header checksum. */
	p.n = 0;
	build_tcp4(&p, NULL, 0, "payload");
	p.b[14 + 8] = 1; /* TTL changed, checksum not */
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_true(t->pkt.flags & YS_PKT_BAD_CSUM);
	assert_int_equal(t->pkt.decode_error, YS_DEC_IPV4_BAD_CSUM);
	assert_int_equal(t->pkt.payload_len, 0);
}

static void test_checksum_srv6_final_destination(void **state)
{
	struct tctx *t = *state; /* validating decoder */
	struct pb p = { .n = 0 };
	size_t ip, rh, udp;
	uint32_t s;
	uint16_t c;

	/* UDP behind an SRv6 header (segments left 1) whose Segment List[0], the
	 * final destination, is 2001:db8::99: the checksum is computed over it. */
	pb_eth(&p, NULL, 0, 0x86dd);
	ip = pb_ipv6(&p, "2001:db8::1", "2001:db8::2", 43);
	rh = p.n;
	pb_put(&p, (uint8_t[]){ 17, 4, 4, 1, 1, 0, 0, 0 }, 8);
	inet_pton(AF_INET6, "2001:db8::99", p.b + p.n);
	p.n += 16;
	inet_pton(AF_INET6, "2001:db8::2", p.b + p.n);
	p.n += 16;
	udp = pb_udp(&p, 1, 2);
	pb_put(&p, "srv6", 4);
	pb_set16(&p, udp + 4, (uint16_t)(p.n - udp));
	s = pb_sum(0, p.b + ip + 8, 16) + pb_sum(0, p.b + rh + 8, 16) + 17 + (uint32_t)(p.n - udp);
	c = pb_fold(pb_sum(s, p.b + udp, p.n - udp));
	pb_set16(&p, udp + 6, c);
	pb_ipv6_fix(&p, ip);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_false(t->pkt.flags & YS_PKT_BAD_CSUM);
	assert_int_equal(t->pkt.payload_len, 4);
	/* With no segments left the header's destination is the final one. */
	p.b[rh + 3] = 0;
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_true(t->pkt.flags & YS_PKT_BAD_CSUM);
}

static void test_checksums_off(void **state)
{
	struct tctx *t = *state; /* not validating */
	struct pb p = { .n = 0 };

	build_tcp4(&p, NULL, 0, "payload");
	p.b[p.n - 1] ^= 0x20;
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_false(t->pkt.flags & YS_PKT_BAD_CSUM);
	assert_int_equal(t->pkt.payload_len, 7);
}

static void test_checksum_auto(void **state)
{
	struct tctx *t = *state;
	struct pb good = { .n = 0 }, bad;

	for (int ratio = 0; ratio < 2; ratio++) {
		struct ys_decode_params prm = { .validate_checksums = true, .checksum_auto = true };

		ys_decoder_free(t->dec);
		t->dec = ys_decoder_new(&prm);
		good.n = 0;
		build_tcp4(&good, NULL, 0, "payload");
		bad = good;
		bad.b[bad.n - 1] ^= 1;
		/* 1 bad in 5 (offloading) or 1 bad in 20 (real damage) over the sample. */
		for (int i = 0; i < YS_CSUM_AUTO_SAMPLE; i++)
			run(t, i % (ratio ? 20 : 5) == 0 ? &bad : &good, YS_LINK_ETHERNET);
		assert_int_equal(ys_decoder_stats(t->dec)->csum_auto_disabled, ratio ? 0 : 1);
		run(t, &bad, YS_LINK_ETHERNET);
		if (ratio) {
			assert_true(t->pkt.flags & YS_PKT_BAD_CSUM);
			assert_int_equal(t->pkt.payload_len, 0);
		} else {
			assert_false(t->pkt.flags & YS_PKT_BAD_CSUM);
			assert_int_equal(t->pkt.payload_len, 7);
		}
	}
}

static void test_tcp_options(void **state)
{
	struct tctx *t = *state;
	struct pb p = { .n = 0 };
	size_t ip, tcp;

	pb_eth(&p, NULL, 0, 0x0800);
	ip = pb_ipv4(&p, "10.0.0.1", "10.0.0.2", 6, 1, 0);
	tcp = pb_tcp(&p, 1, 2, 0, 0, 0x02);
	/* MSS 1460, SACK-permitted, timestamps, NOP, window scale 7. */
	pb_put(&p, (uint8_t[]){ 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 7 },
	       20);
	p.b[tcp + 12] = (20 + 20) / 4 << 4;
	pb_ipv4_fix(&p, ip);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_int_equal(t->pkt.tcp_hlen, 40);
	assert_int_equal(t->pkt.tcp_mss, 1460);
	assert_true(t->pkt.tcp_sackok);
	assert_true(t->pkt.tcp_has_ts);
	assert_int_equal(t->pkt.tcp_tsval, 1);
	assert_int_equal(t->pkt.tcp_tsecr, 2);
	assert_int_equal(t->pkt.tcp_wscale, 7);

	/* An option whose length runs past the header: counted, packet kept. */
	p.b[tcp + 20 + 1] = 30;
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
	assert_int_equal(t->pkt.decode_error, YS_DEC_TCP_OPT_BAD);
	assert_int_equal(t->pkt.tcp_wscale, 0xff);

	/* Data offset below 5 words. */
	p.b[tcp + 12] = 4 << 4;
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), -EINVAL);
	assert_int_equal(t->pkt.decode_error, YS_DEC_TCP_BAD_HLEN);
}

static void test_snaplen_cut(void **state)
{
	struct tctx *t = *state;
	struct pb p = { .n = 0 };

	build_tcp4(&p, NULL, 0, "a long payload that the snap length cuts");
	/* Captured 60 of the bytes: IP length beyond caplen is tolerated. */
	free(t->copy);
	t->copy = malloc(60);
	memcpy(t->copy, p.b, 60);
	memset(&t->pkt, 0, sizeof(t->pkt));
	t->pkt.data = t->copy;
	t->pkt.caplen = 60;
	t->pkt.wirelen = (uint32_t)p.n;
	t->pkt.linktype = YS_LINK_ETHERNET;
	assert_int_equal(ys_decode_packet(t->dec, &t->pkt), 0);
	assert_int_equal(t->pkt.payload_len, 60 - 14 - 20 - 20);
	/* The same bytes claimed whole on the wire: a bad IP length. */
	t->pkt.wirelen = 60;
	assert_int_equal(ys_decode_packet(t->dec, &t->pkt), -EINVAL);
	assert_int_equal(t->pkt.decode_error, YS_DEC_IPV4_BAD_LEN);
}

static void test_every_truncation(void **state)
{
	struct tctx *t = *state;
	struct pb p = { .n = 0 };
	uint64_t errors_before = 0, errors_after = 0;

	build_overlay(&p, 1, 42);
	for (int i = 0; i < YS_DEC_ERROR_COUNT; i++)
		errors_before += err_count(t, (enum ys_decode_error)i);
	/* Every prefix of a GENEVE/VLAN/IPv4/TCP frame: never a crash, never a
	 * read past the copy, and every short one is an error, not a success. */
	for (size_t len = 0; len < p.n; len++) {
		int rc = run_raw(t, p.b, len, YS_LINK_ETHERNET, 1);

		assert_int_not_equal(rc, 0);
		assert_int_not_equal(t->pkt.decode_error, YS_DEC_OK);
	}
	for (int i = 0; i < YS_DEC_ERROR_COUNT; i++)
		errors_after += err_count(t, (enum ys_decode_error)i);
	assert_int_equal(errors_after - errors_before, p.n);
	assert_int_equal(run(t, &p, YS_LINK_ETHERNET), 0);
}

static void test_addr_helpers(void **state)
{
	struct ys_addr a, b;
	char buf[YS_ADDR_STR_LEN];

	(void)state;
	assert_int_equal(ys_addr_parse("192.0.2.33", &a), 0);
	assert_int_equal(a.family, 4);
	assert_string_equal(ys_addr_str(&a, buf, sizeof(buf)), "192.0.2.33");
	assert_int_equal(ys_addr_parse("2001:db8::1", &b), 0);
	assert_string_equal(ys_addr_str(&b, buf, sizeof(buf)),
			    "2001:0db8:0000:0000:0000:0000:0000:0001");
	assert_true(ys_addr_cmp(&a, &b) < 0);
	assert_false(ys_addr_eq(&a, &b));
	assert_int_equal(ys_addr_parse("300.1.1.1", &a), -EINVAL);
	assert_int_equal(ys_addr_parse("", &a), -EINVAL);
	for (int i = 0; i < YS_DEC_ERROR_COUNT; i++)
		assert_string_not_equal(ys_decode_error_name((enum ys_decode_error)i), "unknown");
	assert_string_equal(ys_decode_error_name(YS_DEC_ERROR_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ethernet_ipv4_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ethernet_padding_trimmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vlan_and_qinq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sll_vlan_stack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vxlan_geneve_inner_vlan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vxlan_not_vxlan_stays_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_teredo_vntag_pbb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tunnel_too_deep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gre_erspan_mpls_pppoe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv4_frag_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv4_frag_first_has_options, setup_csum,
						teardown),
		cmocka_unit_test_setup_teardown(test_ipv4_frag_out_of_order_and_csum, setup_csum,
						teardown),
		cmocka_unit_test_setup_teardown(test_ipv4_frag_overlap_first_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv4_frag_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv4_frag_memcap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_exthdr_and_frag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_nested_fragments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp, setup_csum, teardown),
		cmocka_unit_test_setup_teardown(test_checksums, setup_csum, teardown),
		cmocka_unit_test_setup_teardown(test_checksum_srv6_final_destination, setup_csum,
						teardown),
		cmocka_unit_test_setup_teardown(test_checksums_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checksum_auto, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snaplen_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_truncation, setup, teardown),
		cmocka_unit_test(test_addr_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
