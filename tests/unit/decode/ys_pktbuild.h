/*
 * Test helper: builds frames byte by byte (Ethernet, VLAN, IPv4/IPv6, TCP,
 * UDP, ICMP, overlays) so unit tests decode real wire bytes rather than
 * hand-filled structs. Lengths and checksums are fixed up innermost first
 * with the pb_*_fix() calls ("to the end of the buffer").
 * Shared by the decode, tenant and flow unit tests.
 */
#ifndef YS_PKTBUILD_H
#define YS_PKTBUILD_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

struct pb {
	uint8_t b[8192];
	size_t n;
};

static inline size_t pb_put(struct pb *p, const void *d, size_t n)
{
	size_t off = p->n;

	memcpy(p->b + p->n, d, n);
	p->n += n;
	return off;
}

static inline void pb_u8(struct pb *p, uint8_t v)
{
	p->b[p->n++] = v;
}

static inline void pb_u16(struct pb *p, uint16_t v)
{
	p->b[p->n++] = (uint8_t)(v >> 8);
	p->b[p->n++] = (uint8_t)v;
}

static inline void pb_u32(struct pb *p, uint32_t v)
{
	pb_u16(p, (uint16_t)(v >> 16));
	pb_u16(p, (uint16_t)v);
}

static inline void pb_set16(struct pb *p, size_t off, uint16_t v)
{
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}

static inline uint32_t pb_sum(uint32_t s, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(d[i] << 8 | d[i + 1]);
	if (n & 1)
		s += (uint32_t)d[n - 1] << 8;
	return s;
}

static inline uint16_t pb_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet header with optional tags (outer first: 802.1ad then 802.1Q). */
static inline void pb_eth(struct pb *p, const uint16_t *tags, int ntags, uint16_t type)
{
	static const uint8_t macs[12] = { 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6 };

	pb_put(p, macs, 12);
	for (int i = 0; i < ntags; i++) {
		pb_u16(p, (ntags > 1 && i == 0) ? 0x88a8 : 0x8100);
		pb_u16(p, tags[i]);
	}
	pb_u16(p, type);
}

static inline size_t pb_ipv4(struct pb *p, const char *src, const char *dst, uint8_t proto,
			     uint16_t id, uint16_t frag_off)
{
	size_t off = p->n;

	pb_u8(p, 0x45);
	pb_u8(p, 0);
	pb_u16(p, 0); /* total length: pb_ipv4_fix */
	pb_u16(p, id);
	pb_u16(p, frag_off);
	pb_u8(p, 64);
	pb_u8(p, proto);
	pb_u16(p, 0);
	inet_pton(AF_INET, src, p->b + p->n);
	p->n += 4;
	inet_pton(AF_INET, dst, p->b + p->n);
	p->n += 4;
	return off;
}

/* Total length to the end of the buffer (or LEN if non-zero), then the checksum. */
static inline void pb_ipv4_fix_len(struct pb *p, size_t off, size_t len)
{
	size_t hl = (p->b[off] & 15) * 4u;

	pb_set16(p, off + 2, (uint16_t)(len ? len : p->n - off));
	pb_set16(p, off + 10, 0);
	pb_set16(p, off + 10, pb_fold(pb_sum(0, p->b + off, hl)));
}

static inline void pb_ipv4_fix(struct pb *p, size_t off)
{
	pb_ipv4_fix_len(p, off, 0);
}

static inline size_t pb_ipv6(struct pb *p, const char *src, const char *dst, uint8_t nh)
{
	size_t off = p->n;

	pb_u32(p, 0x60000000);
	pb_u16(p, 0); /* payload length: pb_ipv6_fix */
	pb_u8(p, nh);
	pb_u8(p, 64);
	inet_pton(AF_INET6, src, p->b + p->n);
	p->n += 16;
	inet_pton(AF_INET6, dst, p->b + p->n);
	p->n += 16;
	return off;
}

static inline void pb_ipv6_fix(struct pb *p, size_t off)
{
	pb_set16(p, off + 4, (uint16_t)(p->n - off - 40));
}

/* Pseudo-header sum for the L4 segment at L4OFF under the IP header at IPOFF. */
static inline uint32_t pb_pseudo(const struct pb *p, size_t ipoff, uint8_t proto, size_t len)
{
	if ((p->b[ipoff] >> 4) == 4)
		return pb_sum(0, p->b + ipoff + 12, 8) + proto + (uint32_t)len;
	return pb_sum(0, p->b + ipoff + 8, 32) + proto + (uint32_t)len;
}

static inline size_t pb_udp(struct pb *p, uint16_t sport, uint16_t dport)
{
	size_t off = p->n;

	pb_u16(p, sport);
	pb_u16(p, dport);
	pb_u16(p, 0);
	pb_u16(p, 0);
	return off;
}

static inline void pb_udp_fix(struct pb *p, size_t off, size_t ipoff)
{
	size_t len = p->n - off;
	uint16_t c;

	pb_set16(p, off + 4, (uint16_t)len);
	pb_set16(p, off + 6, 0);
	c = pb_fold(pb_sum(pb_pseudo(p, ipoff, 17, len), p->b + off, len));
	pb_set16(p, off + 6, c ? c : 0xffff);
}

static inline size_t pb_tcp(struct pb *p, uint16_t sport, uint16_t dport, uint32_t seq,
			    uint32_t ack, uint8_t flags)
{
	size_t off = p->n;

	pb_u16(p, sport);
	pb_u16(p, dport);
	pb_u32(p, seq);
	pb_u32(p, ack);
	pb_u8(p, 5 << 4);
	pb_u8(p, flags);
	pb_u16(p, 65535);
	pb_u16(p, 0);
	pb_u16(p, 0);
	return off;
}

static inline void pb_tcp_fix(struct pb *p, size_t off, size_t ipoff)
{
	size_t len = p->n - off;

	pb_set16(p, off + 16, 0);
	pb_set16(p, off + 16, pb_fold(pb_sum(pb_pseudo(p, ipoff, 6, len), p->b + off, len)));
}

static inline size_t pb_icmp(struct pb *p, uint8_t type, uint8_t code, uint16_t id, uint16_t seq)
{
	size_t off = p->n;

	pb_u8(p, type);
	pb_u8(p, code);
	pb_u16(p, 0);
	pb_u16(p, id);
	pb_u16(p, seq);
	return off;
}

/* ICMPv4 (IPOFF unused) or ICMPv6 (with pseudo header) checksum. */
static inline void pb_icmp_fix(struct pb *p, size_t off, size_t ipoff, int v6)
{
	size_t len = p->n - off;
	uint32_t s = v6 ? pb_pseudo(p, ipoff, 58, len) : 0;

	pb_set16(p, off + 2, 0);
	pb_set16(p, off + 2, pb_fold(pb_sum(s, p->b + off, len)));
}

static inline void pb_vxlan(struct pb *p, uint32_t vni)
{
	pb_u32(p, 0x08000000);
	pb_u32(p, vni << 8);
}

/* GENEVE with OPTWORDS 4-byte words of options (filled with 0xee). */
static inline void pb_geneve(struct pb *p, uint32_t vni, uint8_t optwords, uint16_t proto)
{
	pb_u8(p, optwords & 0x3f);
	pb_u8(p, 0);
	pb_u16(p, proto);
	pb_u32(p, vni << 8);
	for (int i = 0; i < optwords * 4; i++)
		pb_u8(p, 0xee);
}

#endif /* YS_PKTBUILD_H */
