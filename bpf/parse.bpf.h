/*
 * Header parsing for the XDP program, xdp-tools style: a cursor walks the
 * frame and every header is bounds-checked against data_end before it is
 * read (`if (h + 1 > data_end) return -1;`), which is also what the verifier
 * demands. Depths are fixed: two VLAN tags per Ethernet frame, four IPv6
 * extension headers, one overlay (VXLAN or GENEVE) whose inner Ethernet frame
 * is parsed again. Only what tenant lookup, sampling and bypass need is kept.
 *
 * Include after vmlinux.h and bpf_helpers.h / bpf_endian.h.
 */
#ifndef YS_PARSE_BPF_H
#define YS_PARSE_BPF_H

#include "sensor_bpf.h"

/* Not in vmlinux.h: these are macros in the uapi headers. */
#define YS_ETH_P_IP	0x0800
#define YS_ETH_P_IPV6	0x86DD
#define YS_ETH_P_8021Q	0x8100
#define YS_ETH_P_8021AD 0x88A8
#define YS_ETH_P_TEB	0x6558 /* transparent Ethernet bridging (GENEVE payload) */
#define YS_IPPROTO_TCP	6
#define YS_IPPROTO_UDP	17
#define YS_IPPROTO_SCTP 132
#define YS_IP_MF	0x2000
#define YS_IP_OFFSET	0x1FFF

#define YS_NEXTHDR_HOP	    0
#define YS_NEXTHDR_ROUTING  43
#define YS_NEXTHDR_FRAGMENT 44
#define YS_NEXTHDR_DEST	    60
#define YS_IPV6_MAX_EXTHDR  4
#define YS_MAX_VLAN	    2

struct ys_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct ys_vxlan_hdr {
	__u8 flags; /* 0x08: VNI valid */
	__u8 rsvd1[3];
	__u8 vni[3];
	__u8 rsvd2;
};

struct ys_geneve_hdr {
	__u8 ver_optlen; /* version (2 bits) | option length in 4-byte words (6 bits) */
	__u8 flags;
	__be16 proto;
	__u8 vni[3];
	__u8 rsvd;
};

struct ys_ipv6_opt_hdr {
	__u8 nexthdr;
	__u8 hdrlen; /* in 8-byte units, not counting the first 8 */
};

struct ys_cursor {
	void *pos;
	void *end;
};

/* What the program learns from a frame. Addresses and ports are the innermost. */
struct ys_parsed {
	__u16 vlan[YS_MAX_VLAN]; /* VLAN ids of the outer frame, outermost first */
	__u8 nvlan;
	__u8 tunnel; /* 1 if a VXLAN/GENEVE overlay was decapsulated */
	__u8 family; /* 4 or 6 */
	__u8 proto;
	__u8 frag; /* IP fragment: no ports, never sampled or bypassed */
	__u32 vni;
	__u16 sport, dport; /* host order */
	__u8 src[16];
	__u8 dst[16];
};

static __always_inline __u32 ys_vni24(const __u8 *v)
{
	return ((__u32)v[0] << 16) | ((__u32)v[1] << 8) | v[2];
}

/* Ethernet plus up to YS_MAX_VLAN tags. Returns the EtherType (network order)
 * of what follows, or -1 when truncated. Records VLAN ids when RECORD. */
static __always_inline int ys_parse_eth(struct ys_cursor *c, struct ys_parsed *p, bool record)
{
	struct ethhdr *eth = c->pos;
	__be16 proto;

	if ((void *)(eth + 1) > c->end)
		return -1;
	proto = eth->h_proto;
	c->pos = eth + 1;
#pragma unroll
	for (int i = 0; i < YS_MAX_VLAN; i++) {
		struct ys_vlan_hdr *vh = c->pos;

		if (proto != bpf_htons(YS_ETH_P_8021Q) && proto != bpf_htons(YS_ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > c->end)
			return -1;
		if (record) {
			p->vlan[i] = bpf_ntohs(vh->tci) & 0x0fff;
			p->nvlan = i + 1;
		}
		proto = vh->proto;
		c->pos = vh + 1;
	}
	return proto;
}

/* IPv4 or IPv6 header (with bounded extension headers) and the L4 ports.
 * Fills family, proto, addresses, ports, frag. Returns 0, or -1 when
 * truncated, malformed or not IP. */
static __always_inline int ys_parse_ip(struct ys_cursor *c, int ethertype, struct ys_parsed *p)
{
	__u8 nexthdr;

	p->sport = 0;
	p->dport = 0;
	p->frag = 0;
	if (ethertype == bpf_htons(YS_ETH_P_IP)) {
		struct iphdr *ip = c->pos;
		__u32 hlen;

		if ((void *)(ip + 1) > c->end)
			return -1;
		if (ip->version != 4)
			return -1;
		hlen = ip->ihl * 4;
		if (hlen < sizeof(*ip))
			return -1;
		if (c->pos + hlen > c->end)
			return -1;
		p->family = 4;
		__builtin_memset(p->src, 0, sizeof(p->src));
		__builtin_memset(p->dst, 0, sizeof(p->dst));
		__builtin_memcpy(p->src, &ip->saddr, 4);
		__builtin_memcpy(p->dst, &ip->daddr, 4);
		p->proto = ip->protocol;
		if (ip->frag_off & bpf_htons(YS_IP_MF | YS_IP_OFFSET))
			p->frag = 1;
		c->pos += hlen;
	} else if (ethertype == bpf_htons(YS_ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = c->pos;

		if ((void *)(ip6 + 1) > c->end)
			return -1;
		if (ip6->version != 6)
			return -1;
		p->family = 6;
		__builtin_memcpy(p->src, &ip6->saddr, 16);
		__builtin_memcpy(p->dst, &ip6->daddr, 16);
		nexthdr = ip6->nexthdr;
		c->pos = ip6 + 1;
#pragma unroll
		for (int i = 0; i < YS_IPV6_MAX_EXTHDR; i++) {
			struct ys_ipv6_opt_hdr *oh = c->pos;

			if (nexthdr != YS_NEXTHDR_HOP && nexthdr != YS_NEXTHDR_ROUTING &&
			    nexthdr != YS_NEXTHDR_DEST && nexthdr != YS_NEXTHDR_FRAGMENT)
				break;
			if ((void *)(oh + 1) > c->end)
				return -1;
			if (nexthdr == YS_NEXTHDR_FRAGMENT) {
				/* Fixed 8 bytes; any fragment (first included) is
				 * treated as portless so all of a datagram agrees. */
				p->frag = 1;
				nexthdr = oh->nexthdr;
				c->pos += 8;
			} else {
				nexthdr = oh->nexthdr;
				c->pos += ((__u32)oh->hdrlen + 1) * 8;
			}
		}
		p->proto = nexthdr;
	} else {
		return -1;
	}

	if (p->frag)
		return 0;
	if (p->proto == YS_IPPROTO_TCP || p->proto == YS_IPPROTO_UDP ||
	    p->proto == YS_IPPROTO_SCTP) {
		/* The first four bytes of all three are source and destination port. */
		__be16 *ports = c->pos;

		if ((void *)(ports + 2) > c->end)
			return -1;
		p->sport = bpf_ntohs(ports[0]);
		p->dport = bpf_ntohs(ports[1]);
	}
	return 0;
}

/*
 * The whole frame: outer Ethernet/VLAN/IP; when the outer L4 is UDP to the
 * VXLAN or GENEVE port, the overlay header and the inner Ethernet/VLAN/IP.
 * Returns 0 with P filled, -1 when the frame cannot be classified.
 */
static __always_inline int ys_parse_frame(void *data, void *data_end, __u16 vxlan_port,
					  __u16 geneve_port, struct ys_parsed *p)
{
	struct ys_cursor c = { .pos = data, .end = data_end };
	int proto;

	proto = ys_parse_eth(&c, p, true);
	if (proto < 0)
		return -1;
	if (ys_parse_ip(&c, proto, p) < 0)
		return -1;
	if (p->proto != YS_IPPROTO_UDP || p->frag)
		return 0;
	if (p->dport != vxlan_port && p->dport != geneve_port)
		return 0;

	/* c.pos is at the UDP header (ys_parse_ip checked its first 4 bytes). */
	{
		struct udphdr *udp = c.pos;

		if ((void *)(udp + 1) > c.end)
			return -1;
		c.pos = udp + 1;
	}
	if (p->dport == vxlan_port) {
		struct ys_vxlan_hdr *vx = c.pos;

		if ((void *)(vx + 1) > c.end)
			return -1;
		if (!(vx->flags & 0x08))
			return 0; /* VNI not valid: treat as plain UDP */
		p->vni = ys_vni24(vx->vni);
		c.pos = vx + 1;
	} else {
		struct ys_geneve_hdr *gn = c.pos;
		__u32 optlen;

		if ((void *)(gn + 1) > c.end)
			return -1;
		if ((gn->ver_optlen >> 6) != 0 || gn->proto != bpf_htons(YS_ETH_P_TEB))
			return 0; /* unknown version or not Ethernet inside */
		optlen = (gn->ver_optlen & 0x3f) * 4;
		p->vni = ys_vni24(gn->vni);
		c.pos = (void *)(gn + 1) + optlen;
	}
	p->tunnel = 1;

	proto = ys_parse_eth(&c, p, false);
	if (proto < 0)
		return -1;
	if (ys_parse_ip(&c, proto, p) < 0)
		return -1;
	return 0;
}

#endif /* YS_PARSE_BPF_H */
