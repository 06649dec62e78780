/*
 * Loader for the sensor's XDP program: skeleton open -> rodata -> load ->
 * attach, map maintenance (tenants, bypass, XSKMAP), per-tenant counters and
 * a BPF_PROG_TEST_RUN wrapper. See ys_bpf.h for the contract.
 *
 * Attach policy: "auto" tries native (driver) XDP first and falls back to
 * generic (skb) mode, which every driver has. The program is attached through
 * a BPF link, not the legacy netlink call: the kernel refuses the link while
 * any other program sits on the interface (we never replace somebody else's),
 * and the link dies with its file descriptor, so a sensor that crashes or is
 * killed leaves no stale program behind to drop or steal traffic, and its
 * restart attaches cleanly.
 */
#include "ys_bpf.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "flow.h"
#include "sensor.skel.h"
#include "ys_log.h"

#define YS_BPF_MOD "bpf"

struct ys_bpf {
	struct sensor *skel;
	int ifindex;
	int link_fd;	    /* BPF link holding the attachment, -1 = not attached */
	__u32 attach_flags; /* XDP_FLAGS_DRV_MODE / XDP_FLAGS_SKB_MODE, 0 = not attached */
	int ncpus;
};

static int ys_bpf_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static int ys_bpf_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf is chatty at debug level; keep warnings, route them to our log. */
	if (level == LIBBPF_DEBUG)
		return 0;
	if (ys_log_get_level() < YS_LOG_INFO && level == LIBBPF_INFO)
		return 0;
	ys_vlog(level == LIBBPF_WARN ? YS_LOG_WARN : YS_LOG_INFO, "libbpf", fmt, ap);
	return 0;
}

static int ys_bpf_link(struct ys_bpf *b, __u32 mode_flag)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = mode_flag);
	int fd = bpf_link_create(bpf_program__fd(b->skel->progs.ys_xdp_sensor), b->ifindex, BPF_XDP,
				 &opts);

	if (fd < 0)
		return -errno;
	b->link_fd = fd;
	b->attach_flags = mode_flag;
	return 0;
}

static int ys_bpf_attach(struct ys_bpf *b, const char *ifname, const char *mode, char *err,
			 size_t errlen)
{
	int ret;

	b->ifindex = (int)if_nametoindex(ifname);
	if (!b->ifindex) {
		ret = -errno;
		snprintf(err, errlen, "interface %s: %s", ifname, strerror(errno));
		return ret;
	}
	if (!mode || !strcmp(mode, "auto") || !strcmp(mode, "native")) {
		ret = ys_bpf_link(b, XDP_FLAGS_DRV_MODE);
		if (ret == 0)
			return 0;
		if (ret == -EBUSY || ret == -EEXIST) {
			/* Short enough to stay one greppable string. */
			snprintf(err, errlen,
				 "%s has an XDP program already (ip link set dev %s xdp off)",
				 ifname, ifname);
			return ret;
		}
		if (mode && !strcmp(mode, "native")) {
			snprintf(err, errlen, "native XDP attach to %s: %s", ifname,
				 strerror(-ret));
			return ret;
		}
		ys_info(YS_BPF_MOD, "native XDP on %s refused (%s), trying generic mode", ifname,
			strerror(-ret));
	} else if (strcmp(mode, "generic") != 0) {
		snprintf(err, errlen, "xdp mode \"%s\": expected auto, native or generic", mode);
		return -EINVAL;
	}
	ret = ys_bpf_link(b, XDP_FLAGS_SKB_MODE);
	if (ret) {
		snprintf(err, errlen, "generic XDP attach to %s: %s", ifname, strerror(-ret));
		return ret;
	}
	return 0;
}

struct ys_bpf *ys_bpf_new(const struct ys_bpf_params *p, char *err, size_t errlen)
{
	struct ys_bpf *b;
	int ret;

	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	b->link_fd = -1;
	libbpf_set_print(ys_bpf_libbpf_print);
	b->ncpus = libbpf_num_possible_cpus();
	if (b->ncpus <= 0) {
		ret = b->ncpus ? b->ncpus : -EINVAL;
		snprintf(err, errlen, "cannot count possible CPUs: %s", strerror(-ret));
		goto out_free;
	}

	b->skel = sensor__open();
	if (!b->skel) {
		ret = -errno;
		snprintf(err, errlen, "open XDP object: %s", strerror(errno));
		goto out_free;
	}
	/* rodata: fixed for the program's lifetime, so the verifier can prune. */
	b->skel->rodata->skip_action = p->skip_pass ? XDP_PASS : XDP_DROP;
	b->skel->rodata->vxlan_port = p->vxlan_port ? p->vxlan_port : 4789;
	b->skel->rodata->geneve_port = p->geneve_port ? p->geneve_port : 6081;
	if (p->bypass_flows) {
		ret = bpf_map__set_max_entries(b->skel->maps.bypass_map, p->bypass_flows);
		if (ret) {
			snprintf(err, errlen, "bypass map size %u: %s", p->bypass_flows,
				 strerror(-ret));
			goto out_destroy;
		}
	}

	ret = sensor__load(b->skel);
	if (ret) {
		snprintf(err, errlen, "load XDP program: %s (needs root/CAP_BPF and kernel BTF)",
			 strerror(-ret));
		goto out_destroy;
	}

	if (p->ifname) {
		ret = ys_bpf_attach(b, p->ifname, p->xdp_mode, err, errlen);
		if (ret)
			goto out_destroy;
		ys_notice(YS_BPF_MOD, "XDP program attached to %s in %s mode", p->ifname,
			  ys_bpf_mode(b));
	}
	return b;

out_destroy:
	sensor__destroy(b->skel);
out_free:
	free(b);
	errno = -ret;
	return NULL;
}

void ys_bpf_free(struct ys_bpf *b)
{
	if (!b)
		return;
	/* Closing the link detaches the program (only ours, by construction). */
	if (b->link_fd >= 0)
		close(b->link_fd);
	sensor__destroy(b->skel);
	free(b);
}

const char *ys_bpf_mode(const struct ys_bpf *b)
{
	if (b->attach_flags == XDP_FLAGS_DRV_MODE)
		return "native";
	if (b->attach_flags == XDP_FLAGS_SKB_MODE)
		return "generic";
	return "none";
}

int ys_bpf_ifindex(const struct ys_bpf *b)
{
	return b->ifindex;
}

int ys_bpf_prog_fd(const struct ys_bpf *b)
{
	return bpf_program__fd(b->skel->progs.ys_xdp_sensor);
}

int ys_bpf_xsks_map_fd(const struct ys_bpf *b)
{
	return bpf_map__fd(b->skel->maps.xsks_map);
}

static int ys_bpf_update(const struct bpf_map *map, const void *key, const void *val)
{
	int ret = bpf_map_update_elem(bpf_map__fd(map), key, val, BPF_ANY);

	return ret ? -errno : 0;
}

int ys_bpf_set_vni(struct ys_bpf *b, uint32_t vni, uint32_t tenant)
{
	if (vni > 0xffffff)
		return -EINVAL;
	return ys_bpf_update(b->skel->maps.vni_map, &vni, &tenant);
}

int ys_bpf_set_vlan(struct ys_bpf *b, uint32_t key, uint32_t tenant)
{
	return ys_bpf_update(b->skel->maps.vlan_map, &key, &tenant);
}

int ys_bpf_cidr_key(int family, const uint8_t *addr, uint8_t prefix, void *key)
{
	size_t alen = family == 4 ? 4 : 16;
	uint8_t *a;

	if (family != 4 && family != 6)
		return -EAFNOSUPPORT;
	if (prefix > alen * 8)
		return -EINVAL;
	/* Both key layouts are a u32 prefix length followed by the address. */
	memset(key, 0, sizeof(uint32_t) + alen);
	memcpy(key, &(uint32_t){ prefix }, sizeof(uint32_t));
	a = (uint8_t *)key + sizeof(uint32_t);
	/* Host bits cleared: one canonical key per network, so a reload can
	 * tell which entries to keep. */
	for (size_t i = 0; i < alen; i++) {
		unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;

		a[i] = bits >= 8 ? addr[i] : (uint8_t)(addr[i] & (0xff00u >> bits));
	}
	return 0;
}

int ys_bpf_set_cidr(struct ys_bpf *b, int family, const uint8_t *addr, uint8_t prefix,
		    uint32_t tenant)
{
	struct ys_bpf_cidr_val v = { .tenant = tenant, .prefixlen = prefix };

	if (family == 4) {
		struct ys_bpf_lpm4 k;
		int ret = ys_bpf_cidr_key(4, addr, prefix, &k);

		return ret ? ret : ys_bpf_update(b->skel->maps.cidr4_map, &k, &v);
	}
	if (family == 6) {
		struct ys_bpf_lpm6 k;
		int ret = ys_bpf_cidr_key(6, addr, prefix, &k);

		return ret ? ret : ys_bpf_update(b->skel->maps.cidr6_map, &k, &v);
	}
	return -EAFNOSUPPORT;
}

int ys_bpf_set_policy(struct ys_bpf *b, uint32_t tenant, enum ys_bpf_action action,
		      uint32_t sample_n)
{
	struct ys_bpf_policy pol = { .action = action, .sample_n = sample_n };
	struct ys_bpf_counters *zero;
	int ret;

	if (action > YS_BPF_SAMPLE)
		return -EINVAL;
	ret = ys_bpf_update(b->skel->maps.policy_map, &tenant, &pol);
	if (ret)
		return ret;
	/* Pre-create the tenant's counters so the kernel never has to. */
	zero = calloc(b->ncpus, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	ret = bpf_map_update_elem(bpf_map__fd(b->skel->maps.counters_map), &tenant, zero,
				  BPF_NOEXIST);
	ret = (ret && errno != EEXIST) ? -errno : 0;
	free(zero);
	return ret;
}

static const struct bpf_map *ys_bpf_table_map(const struct ys_bpf *b, enum ys_bpf_table t)
{
	switch (t) {
	case YS_BPF_TABLE_VNI:
		return b->skel->maps.vni_map;
	case YS_BPF_TABLE_VLAN:
		return b->skel->maps.vlan_map;
	case YS_BPF_TABLE_CIDR4:
		return b->skel->maps.cidr4_map;
	case YS_BPF_TABLE_CIDR6:
		return b->skel->maps.cidr6_map;
	case YS_BPF_TABLE_POLICY:
		return b->skel->maps.policy_map;
	default:
		return NULL;
	}
}

static int ys_bpf_key_cmp(const void *a, const void *b, void *ksz)
{
	return memcmp(a, b, *(const size_t *)ksz);
}

static bool ys_bpf_key_in(const uint8_t *keys, size_t n, size_t ksz, const uint8_t *k)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(keys + mid * ksz, k, ksz);

		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Delete every key of MAP that is not among the N sorted keys at KEEP. Keys
 * are collected first: deleting while walking with get_next_key can restart
 * the walk on hash maps. */
static int ys_bpf_map_prune(const struct bpf_map *map, const uint8_t *keep, size_t nkeep)
{
	size_t ksz = bpf_map__key_size(map), n = 0, cap = 64, i;
	int fd = bpf_map__fd(map), ret = 0;
	uint8_t *keys;

	keys = malloc(cap * ksz);
	if (!keys)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			uint8_t *nk = realloc(keys, 2 * cap * ksz);

			if (!nk) {
				ret = -ENOMEM;
				goto out_free_keys;
			}
			keys = nk;
			cap *= 2;
		}
		if (bpf_map_get_next_key(fd, n ? keys + (n - 1) * ksz : NULL, keys + n * ksz))
			break;
		n++;
	}
	if (errno != ENOENT) {
		ret = -errno;
		goto out_free_keys;
	}
	for (i = 0; i < n; i++) {
		if (ys_bpf_key_in(keep, nkeep, ksz, keys + i * ksz))
			continue;
		if (bpf_map_delete_elem(fd, keys + i * ksz) && errno != ENOENT) {
			ret = -errno;
			goto out_free_keys;
		}
	}
out_free_keys:
	free(keys);
	return ret;
}

size_t ys_bpf_table_key_size(enum ys_bpf_table t)
{
	switch (t) {
	case YS_BPF_TABLE_CIDR4:
		return sizeof(struct ys_bpf_lpm4);
	case YS_BPF_TABLE_CIDR6:
		return sizeof(struct ys_bpf_lpm6);
	default:
		return sizeof(uint32_t);
	}
}

int ys_bpf_table_prune(struct ys_bpf *b, enum ys_bpf_table t, void *keys, size_t n)
{
	const struct bpf_map *map = ys_bpf_table_map(b, t);
	size_t ksz = ys_bpf_table_key_size(t);

	if (!map)
		return -EINVAL;
	if (n)
		qsort_r(keys, n, ksz, ys_bpf_key_cmp, &ksz);
	return ys_bpf_map_prune(map, keys, n);
}

int ys_bpf_clear_tenants(struct ys_bpf *b)
{
	int ret;

	for (int t = 0; t < YS_BPF_TABLE_COUNT; t++) {
		ret = ys_bpf_table_prune(b, (enum ys_bpf_table)t, NULL, 0);
		if (ret)
			return ret;
	}
	return 0;
}

int ys_bpf_counters_read(const struct ys_bpf *b, uint32_t tenant, struct ys_bpf_counters *out)
{
	struct ys_bpf_counters *percpu;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	percpu = calloc(b->ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.counters_map), &tenant, percpu)) {
		ret = -errno;
		goto out_free;
	}
	for (int i = 0; i < b->ncpus; i++) {
		out->packets += percpu[i].packets;
		out->bytes += percpu[i].bytes;
		out->ignored += percpu[i].ignored;
		out->sampled_out += percpu[i].sampled_out;
		out->bypassed += percpu[i].bypassed;
		out->redirected += percpu[i].redirected;
		out->passed += percpu[i].passed;
		out->unparsed += percpu[i].unparsed;
	}
out_free:
	free(percpu);
	return ret;
}

int ys_bpf_counters_foreach(const struct ys_bpf *b,
			    int (*fn)(uint32_t tenant, const struct ys_bpf_counters *c, void *arg),
			    void *arg)
{
	int fd = bpf_map__fd(b->skel->maps.counters_map);
	struct ys_bpf_counters sum;
	uint32_t key, *prev = NULL;
	int ret;

	while (bpf_map_get_next_key(fd, prev, &key) == 0) {
		ret = ys_bpf_counters_read(b, key, &sum);
		/* A tenant deleted between the two calls is simply skipped. */
		if (ret == 0) {
			ret = fn(key, &sum, arg);
			if (ret)
				return ret;
		} else if (ret != -ENOENT) {
			return ret;
		}
		prev = &key;
	}
	return errno == ENOENT ? 0 : -errno;
}

static void ys_bpf_flow_key_reverse(const struct ys_bpf_flow_key *k, struct ys_bpf_flow_key *r)
{
	*r = *k;
	r->sport = k->dport;
	r->dport = k->sport;
	memcpy(r->src, k->dst, sizeof(r->src));
	memcpy(r->dst, k->src, sizeof(r->dst));
}

int ys_bpf_bypass_add(struct ys_bpf *b, const struct ys_bpf_flow_key *key)
{
	struct ys_bpf_flow_val zero = { 0 };
	struct ys_bpf_flow_key rev;
	int fd = bpf_map__fd(b->skel->maps.bypass_map);

	ys_bpf_flow_key_reverse(key, &rev);
	/* NOEXIST keeps the counts of a flow bypassed twice. */
	if (bpf_map_update_elem(fd, key, &zero, BPF_NOEXIST) && errno != EEXIST)
		return -errno;
	if (bpf_map_update_elem(fd, &rev, &zero, BPF_NOEXIST) && errno != EEXIST)
		return -errno;
	return 0;
}

int ys_bpf_bypass_del(struct ys_bpf *b, const struct ys_bpf_flow_key *key)
{
	int fd = bpf_map__fd(b->skel->maps.bypass_map);
	struct ys_bpf_flow_key rev;
	int found = 0;

	ys_bpf_flow_key_reverse(key, &rev);
	if (bpf_map_delete_elem(fd, key) == 0)
		found++;
	else if (errno != ENOENT)
		return -errno;
	if (bpf_map_delete_elem(fd, &rev) == 0)
		found++;
	else if (errno != ENOENT)
		return -errno;
	return found ? 0 : -ENOENT;
}

int ys_bpf_bypass_read(const struct ys_bpf *b, const struct ys_bpf_flow_key *key,
		       struct ys_bpf_flow_val *out)
{
	int fd = bpf_map__fd(b->skel->maps.bypass_map);
	struct ys_bpf_flow_val v;
	struct ys_bpf_flow_key rev;
	int found = 0;

	memset(out, 0, sizeof(*out));
	ys_bpf_flow_key_reverse(key, &rev);
	if (bpf_map_lookup_elem(fd, key, &v) == 0) {
		out->packets += v.packets;
		out->bytes += v.bytes;
		found++;
	}
	if (bpf_map_lookup_elem(fd, &rev, &v) == 0) {
		out->packets += v.packets;
		out->bytes += v.bytes;
		found++;
	}
	return found ? 0 : -ENOENT;
}

void ys_bpf_flow_key_from_flow(const struct ys_flow *f, struct ys_bpf_flow_key *key)
{
	memset(key, 0, sizeof(*key));
	key->tenant = f->tenant_id;
	key->family = f->client.family;
	key->proto = f->proto;
	key->sport = f->client_port;
	key->dport = f->server_port;
	memcpy(key->src, f->client.a, f->client.family == 4 ? 4 : 16);
	memcpy(key->dst, f->server.a, f->server.family == 4 ? 4 : 16);
}

int ys_bpf_bypass_flow(struct ys_bpf *b, const struct ys_flow *f)
{
	struct ys_bpf_flow_key k;

	if (f->client.family != 4 && f->client.family != 6)
		return -EAFNOSUPPORT;
	ys_bpf_flow_key_from_flow(f, &k);
	return ys_bpf_bypass_add(b, &k);
}

int ys_bpf_xsk_register(struct ys_bpf *b, uint32_t queue, int xsk_fd)
{
	if (queue >= YS_BPF_MAX_QUEUES)
		return -ERANGE;
	return ys_bpf_update(b->skel->maps.xsks_map, &queue, &xsk_fd);
}

int ys_bpf_xsk_unregister(struct ys_bpf *b, uint32_t queue)
{
	if (bpf_map_delete_elem(bpf_map__fd(b->skel->maps.xsks_map), &queue) && errno != ENOENT)
		return -errno;
	return 0;
}

int ys_bpf_test_run(struct ys_bpf *b, const void *frame, size_t len, uint32_t repeat,
		    uint32_t *retval, struct ys_xdp_meta *meta, uint32_t *ns_per_run)
{
	/* Output holds metadata + frame; the kernel may grow the frame head. */
	uint8_t out[4096 + 256];
	/* The kernel insists that a given context describes the frame exactly. */
	struct xdp_md ctx_in = { .data_end = len }, ctx_out = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &ctx_in, .ctx_size_in = sizeof(ctx_in),
		    .ctx_out = &ctx_out, .ctx_size_out = sizeof(ctx_out), .repeat = repeat);
	int ret;

	if (len > 4096)
		return -EMSGSIZE;
	ret = bpf_prog_test_run_opts(ys_bpf_prog_fd(b), &opts);
	if (ret)
		return -errno;
	*retval = opts.retval;
	if (ns_per_run)
		*ns_per_run = opts.duration;
	if (meta) {
		/* ctx_out.data is the metadata length: data_meta starts at offset 0. */
		memset(meta, 0, sizeof(*meta));
		if (ctx_out.data >= sizeof(*meta) && ctx_out.data <= opts.data_size_out)
			memcpy(meta, out + ctx_out.data - sizeof(*meta), sizeof(*meta));
	}
	return 0;
}
