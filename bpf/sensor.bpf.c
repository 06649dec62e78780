// SPDX-License-Identifier: GPL-2.0
/*
 * The sensor's XDP program: classify every frame into a tenant in the kernel,
 * apply the tenant's policy and the flow bypass map, count per tenant, and
 * hand what must be inspected to the AF_XDP socket of the receiving queue with
 * the tenant id in XDP metadata.
 *
 * Order per frame: parse (Ethernet, 2 VLAN tags, IPv4/IPv6, UDP, VXLAN/GENEVE
 * and the inner frame) -> tenant (VNI, VLAN pair then the outer tag, longest
 * CIDR of inner src/dst; as sensor/tenant/tenant.c) -> policy ignore -> bypass
 * map -> policy sample (1/N flows by a direction-independent flow hash, so a
 * flow is kept or skipped whole) ->
 * redirect to xsks_map[rx_queue] (XDP_PASS when no socket is bound there, so
 * AF_PACKET and libpcap capture still see the frame).
 *
 * Frames we do not inspect (ignored, sampled out, bypassed) get skip_action:
 * XDP_DROP on a mirror port (the frames are copies), XDP_PASS on a host NIC
 * whose traffic must still reach the stack. Frames we cannot parse go to user
 * space unclassified (no metadata) and are counted under tenant 0.
 *
 * Maps are filled by user space (bpf/ys_bpf.c) from the same tenant map the
 * sensor uses; rodata is set before load.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "parse.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load. */
const volatile __u32 skip_action = XDP_DROP;
const volatile __u16 vxlan_port = 4789;
const volatile __u16 geneve_port = 6081;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, YS_BPF_MAX_VNIS);
	__type(key, __u32);   /* VNI */
	__type(value, __u32); /* tenant */
} vni_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, YS_BPF_MAX_VLANS);
	__type(key, __u32);   /* tenant.h VLAN encoding */
	__type(value, __u32); /* tenant */
} vlan_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, YS_BPF_MAX_CIDRS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ys_bpf_lpm4);
	__type(value, struct ys_bpf_cidr_val);
} cidr4_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, YS_BPF_MAX_CIDRS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ys_bpf_lpm6);
	__type(value, struct ys_bpf_cidr_val);
} cidr6_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, YS_BPF_MAX_TENANTS);
	__type(key, __u32); /* tenant */
	__type(value, struct ys_bpf_policy);
} policy_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, YS_BPF_FLOWS_DEFAULT); /* the loader may resize */
	__type(key, struct ys_bpf_flow_key);
	__type(value, struct ys_bpf_flow_val);
} bypass_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, YS_BPF_MAX_TENANTS);
	__type(key, __u32); /* tenant */
	__type(value, struct ys_bpf_counters);
} counters_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, YS_BPF_MAX_QUEUES);
	__type(key, __u32);   /* rx queue */
	__type(value, __u32); /* AF_XDP socket fd (user space) */
} xsks_map SEC(".maps");

static __always_inline __u32 ys_lookup_u32(void *map, __u32 key)
{
	__u32 *v = bpf_map_lookup_elem(map, &key);

	return v ? *v : 0;
}

static __always_inline __u32 ys_classify(const struct ys_parsed *p)
{
	struct ys_bpf_cidr_val *s = NULL, *d = NULL;
	__u32 t;

	if (p->tunnel) {
		t = ys_lookup_u32(&vni_map, p->vni);
		if (t)
			return t;
	}
	if (p->nvlan == 2) {
		t = ys_lookup_u32(&vlan_map, ((__u32)p->vlan[0] << 16) | p->vlan[1]);
		if (t)
			return t;
	}
	if (p->nvlan >= 1) {
		t = ys_lookup_u32(&vlan_map, YS_BPF_VLAN_SINGLE | p->vlan[0]);
		if (t)
			return t;
	}
	if (p->family == 4) {
		struct ys_bpf_lpm4 k = { .prefixlen = 32 };

		__builtin_memcpy(k.addr, p->src, 4);
		s = bpf_map_lookup_elem(&cidr4_map, &k);
		__builtin_memcpy(k.addr, p->dst, 4);
		d = bpf_map_lookup_elem(&cidr4_map, &k);
	} else {
		struct ys_bpf_lpm6 k = { .prefixlen = 128 };

		__builtin_memcpy(k.addr, p->src, 16);
		s = bpf_map_lookup_elem(&cidr6_map, &k);
		__builtin_memcpy(k.addr, p->dst, 16);
		d = bpf_map_lookup_elem(&cidr6_map, &k);
	}
	/* Longest prefix wins; on a tie the source address decides. */
	if (s && (!d || s->prefixlen >= d->prefixlen))
		return s->tenant;
	if (d)
		return d->tenant;
	return 0;
}

static __always_inline struct ys_bpf_counters *ys_counters(__u32 tenant)
{
	struct ys_bpf_counters *c = bpf_map_lookup_elem(&counters_map, &tenant);

	if (!c) {
		/* The loader pre-creates every configured tenant; this covers
		 * tenants added later through the maps alone. */
		struct ys_bpf_counters zero = {};

		bpf_map_update_elem(&counters_map, &tenant, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&counters_map, &tenant);
	}
	return c;
}

SEC("xdp")
int ys_xdp_sensor(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;
	struct ys_parsed p = {};
	struct ys_bpf_counters *cnt;
	struct ys_bpf_policy *pol;
	struct ys_xdp_meta *meta;
	__u32 tenant;
	long ret;

	if (ys_parse_frame(data, data_end, vxlan_port, geneve_port, &p) < 0) {
		/* Truncated, malformed or not IP: no tenant, no policy. User space
		 * still gets it (a malformed frame is evidence of evasion); its
		 * decoder counts the problem. */
		ret = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
		cnt = ys_counters(0);
		if (cnt) {
			cnt->packets++;
			cnt->bytes += len;
			cnt->unparsed++;
			if (ret == XDP_REDIRECT)
				cnt->redirected++;
			else
				cnt->passed++;
		}
		return ret;
	}

	tenant = ys_classify(&p);
	cnt = ys_counters(tenant);
	if (cnt) {
		cnt->packets++;
		cnt->bytes += len;
	}

	pol = bpf_map_lookup_elem(&policy_map, &tenant);
	if (pol && pol->action == YS_BPF_IGNORE) {
		if (cnt)
			cnt->ignored++;
		return skip_action;
	}

	if (!p.frag) {
		struct ys_bpf_flow_key k = {
			.tenant = tenant,
			.family = p.family,
			.proto = p.proto,
			.sport = p.sport,
			.dport = p.dport,
		};
		struct ys_bpf_flow_val *fv;

		__builtin_memcpy(k.src, p.src, 16);
		__builtin_memcpy(k.dst, p.dst, 16);
		fv = bpf_map_lookup_elem(&bypass_map, &k);
		if (fv) {
			__sync_fetch_and_add(&fv->packets, 1);
			__sync_fetch_and_add(&fv->bytes, len);
			if (cnt)
				cnt->bypassed++;
			return skip_action;
		}

		if (pol && pol->action == YS_BPF_SAMPLE &&
		    !ys_bpf_sample_keep(tenant, p.proto, p.src, p.dst, p.sport, p.dport,
					pol->sample_n)) {
			if (cnt)
				cnt->sampled_out++;
			return skip_action;
		}
	}

	/* Inspect: the tenant id travels in front of the frame. A driver without
	 * metadata support simply leaves user space to classify again. */
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)) == 0) {
		meta = (void *)(long)ctx->data_meta;
		if ((void *)(meta + 1) <= (void *)(long)ctx->data) {
			meta->tenant = tenant;
			meta->magic = YS_XDP_META_MAGIC;
		}
	}

	ret = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
	if (cnt) {
		if (ret == XDP_REDIRECT)
			cnt->redirected++;
		else
			cnt->passed++;
	}
	return ret;
}
