/*
 * The one header shared by the XDP program (sensor.bpf.c) and user space
 * (ys_bpf.c, capture_afxdp.c, tests): map key and value layouts, policy
 * codes, the per-tenant counters and the XDP metadata that carries the
 * tenant id to AF_XDP sockets. Every struct here is part of a kernel/user ABI:
 * fixed-width fields, explicit padding, no pointers.
 *
 * Tenant precedence is the same as sensor/tenant/tenant.c: overlay VNI, then
 * VLAN (QinQ outer/inner pair, then the outer tag alone: in QinQ the
 * provider's S-tag names the customer), then the longest CIDR prefix matching
 * the inner source or destination address (the source on a tie); unmatched
 * traffic is tenant 0.
 */
#ifndef YS_SENSOR_BPF_H
#define YS_SENSOR_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define YS_BPF_MAX_TENANTS   4096
#define YS_BPF_MAX_VNIS	     65536
#define YS_BPF_MAX_VLANS     8192
#define YS_BPF_MAX_CIDRS     16384
#define YS_BPF_MAX_QUEUES    64
#define YS_BPF_FLOWS_DEFAULT 262144

/* VLAN map keys use tenant.h's encoding: (outer << 16) | inner for a QinQ
 * pair, YS_BPF_VLAN_SINGLE | tag for a single tag. */
#define YS_BPF_VLAN_SINGLE 0xffff0000u

/* Policy per tenant (values of tenant_policy). Absent = inspect. */
enum ys_bpf_action {
	YS_BPF_INSPECT = 0,
	YS_BPF_IGNORE = 1,
	YS_BPF_SAMPLE = 2,
};

struct ys_bpf_policy {
	__u32 action;	/* enum ys_bpf_action */
	__u32 sample_n; /* keep 1 flow in N when action is SAMPLE (0 or 1 = all) */
};

/* LPM trie keys: prefixlen first, as BPF_MAP_TYPE_LPM_TRIE requires. */
struct ys_bpf_lpm4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct ys_bpf_lpm6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* LPM value: the prefix length is kept so the program can prefer the
 * longer of the source and destination matches. */
struct ys_bpf_cidr_val {
	__u32 tenant;
	__u32 prefixlen;
};

/* Flow bypass key: tenant + 5-tuple as seen on the wire (src -> dst). User
 * space inserts both orientations so either direction hits. IPv4 addresses
 * occupy the first 4 bytes of src/dst, the rest is zero. */
struct ys_bpf_flow_key {
	__u32 tenant;
	__u8 family; /* 4 or 6 */
	__u8 proto;
	__u16 sport; /* host byte order */
	__u16 dport;
	__u16 pad;
	__u8 src[16];
	__u8 dst[16];
};

/* Flow bypass value: what the kernel skipped for this flow (one direction). */
struct ys_bpf_flow_val {
	__u64 packets;
	__u64 bytes;
};

/* Per-CPU per-tenant counters (BPF_MAP_TYPE_PERCPU_HASH keyed by tenant id). */
struct ys_bpf_counters {
	__u64 packets;	   /* every frame classified into this tenant */
	__u64 bytes;	   /* frame bytes of those */
	__u64 ignored;	   /* policy ignore */
	__u64 sampled_out; /* policy sample: flow not in the 1/N kept */
	__u64 bypassed;	   /* hit the flow bypass map */
	__u64 redirected;  /* handed to an AF_XDP socket */
	__u64 passed;	   /* inspected, no AF_XDP socket on the queue: to the stack */
	__u64 unparsed;	   /* truncated or not IP: to user space unclassified (also
			    * counted in redirected or passed) */
};

/* XDP metadata in front of the frame (bpf_xdp_adjust_meta) for inspected
 * packets: AF_XDP user space reads it at data - sizeof(struct ys_xdp_meta). */
#define YS_XDP_META_MAGIC 0x59534d31u /* "YSM1" */
struct ys_xdp_meta {
	__u32 tenant;
	__u32 magic;
};

/*
 * Flow hash for 1-in-N sampling, the same in the kernel and in user space so
 * both keep the same flows: commutative over the two endpoints (both
 * directions agree), then a murmur3 finaliser. SRC and DST are 16 bytes each
 * (IPv4 in the first 4, the rest zero); ports in host order. Byte order of the
 * address words is the host's, identical on both sides of one machine.
 */
static inline __attribute__((always_inline)) __u32 ys_bpf_flow_hash(__u32 tenant, __u8 proto,
								    const __u8 *src,
								    const __u8 *dst, __u16 sport,
								    __u16 dport)
{
	__u32 h = tenant * 0x9e3779b1u + proto;
	__u32 a = 0;

	/* Four constant iterations: clang unrolls them for BPF at -O2. */
	for (int i = 0; i < 16; i += 4) {
		__u32 ws, wd;

		__builtin_memcpy(&ws, &src[i], 4);
		__builtin_memcpy(&wd, &dst[i], 4);
		a += ws + wd;
	}
	h ^= a;
	h ^= ((__u32)sport + dport) << 7;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* Whether sampling 1 flow in N keeps this flow (N of 0 or 1 keeps all). */
static inline __attribute__((always_inline)) int ys_bpf_sample_keep(__u32 tenant, __u8 proto,
								    const __u8 *src,
								    const __u8 *dst, __u16 sport,
								    __u16 dport, __u32 n)
{
	return n <= 1 || ys_bpf_flow_hash(tenant, proto, src, dst, sport, dport) % n == 0;
}

#endif /* YS_SENSOR_BPF_H */
