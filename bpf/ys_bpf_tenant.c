/*
 * Fill the XDP program's tenant maps from the sensor's tenant map
 * (sensor/tenant/tenant.h), so the kernel and user space classify with the
 * same VNI / VLAN / CIDR table and apply the same policies. Kept apart from
 * ys_bpf.c because it is the loader's only link to the tenant module.
 */
#include "ys_bpf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenant.h"
#include "ys_config.h"
#include "ys_log.h"

static enum ys_bpf_action ys_bpf_action_of(enum ys_tenant_policy p)
{
	switch (p) {
	case YS_TENANT_IGNORE:
		return YS_BPF_IGNORE;
	case YS_TENANT_SAMPLE:
		return YS_BPF_SAMPLE;
	case YS_TENANT_INSPECT:
	default:
		return YS_BPF_INSPECT;
	}
}

/* Keys written during one load, per table, so the rest can be pruned after. */
struct ys_bpf_keyset {
	uint8_t *keys[YS_BPF_TABLE_COUNT];
	size_t n[YS_BPF_TABLE_COUNT];
};

static int ys_bpf_keyset_init(struct ys_bpf_keyset *ks, const struct ys_tenant_map *map)
{
	size_t cap[YS_BPF_TABLE_COUNT] = { 0 };

	memset(ks, 0, sizeof(*ks));
	for (size_t i = 0; i < ys_tenant_count(map); i++) {
		const struct ys_tenant *t = ys_tenant_at(map, i);

		cap[YS_BPF_TABLE_VNI] += t->nvnis;
		cap[YS_BPF_TABLE_VLAN] += t->nvlans;
		cap[YS_BPF_TABLE_CIDR4] += t->ncidrs;
		cap[YS_BPF_TABLE_CIDR6] += t->ncidrs;
		cap[YS_BPF_TABLE_POLICY]++;
	}
	for (int t = 0; t < YS_BPF_TABLE_COUNT; t++) {
		ks->keys[t] = calloc(cap[t] ? cap[t] : 1, ys_bpf_table_key_size(t));
		if (!ks->keys[t])
			return -ENOMEM;
	}
	return 0;
}

static void ys_bpf_keyset_free(struct ys_bpf_keyset *ks)
{
	for (int t = 0; t < YS_BPF_TABLE_COUNT; t++)
		free(ks->keys[t]);
}

static void ys_bpf_keyset_add(struct ys_bpf_keyset *ks, enum ys_bpf_table t, const void *key)
{
	size_t ksz = ys_bpf_table_key_size(t);

	memcpy(ks->keys[t] + ks->n[t] * ksz, key, ksz);
	ks->n[t]++;
}

static int ys_bpf_load_tenant(struct ys_bpf *b, const struct ys_tenant *t, struct ys_bpf_keyset *ks)
{
	int ret;

	ret = ys_bpf_set_policy(b, t->id, ys_bpf_action_of(t->policy), t->sample_n);
	if (ret)
		return ret;
	ys_bpf_keyset_add(ks, YS_BPF_TABLE_POLICY, &t->id);
	for (size_t i = 0; i < t->nvnis; i++) {
		ret = ys_bpf_set_vni(b, t->vnis[i], t->id);
		if (ret)
			return ret;
		ys_bpf_keyset_add(ks, YS_BPF_TABLE_VNI, &t->vnis[i]);
	}
	for (size_t i = 0; i < t->nvlans; i++) {
		ret = ys_bpf_set_vlan(b, t->vlans[i], t->id);
		if (ret)
			return ret;
		ys_bpf_keyset_add(ks, YS_BPF_TABLE_VLAN, &t->vlans[i]);
	}
	for (size_t i = 0; i < t->ncidrs; i++) {
		const struct ys_tenant_cidr *c = &t->cidrs[i];
		struct ys_bpf_lpm6 key; /* large enough for either family */
		enum ys_bpf_table tab =
			c->net.family == 4 ? YS_BPF_TABLE_CIDR4 : YS_BPF_TABLE_CIDR6;

		ret = ys_bpf_set_cidr(b, c->net.family, c->net.a, c->prefix, t->id);
		if (ret)
			return ret;
		ret = ys_bpf_cidr_key(c->net.family, c->net.a, c->prefix, &key);
		if (ret)
			return ret;
		ys_bpf_keyset_add(ks, tab, &key);
	}
	return 0;
}

int ys_bpf_load_tenants(struct ys_bpf *b, const struct ys_tenant_map *map)
{
	size_t n = ys_tenant_count(map);
	struct ys_bpf_keyset ks;
	int ret;

	ret = ys_bpf_keyset_init(&ks, map);
	if (ret)
		goto out_free_keys;
	/* Write everything new first: an unchanged entry is never missing. */
	for (size_t i = 0; i < n; i++) {
		const struct ys_tenant *t = ys_tenant_at(map, i);

		ret = ys_bpf_load_tenant(b, t, &ks);
		if (ret) {
			ys_err("bpf", "tenant %u (%s) into XDP maps: %s", t->id, t->name,
			       strerror(-ret));
			goto out_free_keys;
		}
	}
	/* Then drop what the new map no longer has. */
	for (int t = 0; t < YS_BPF_TABLE_COUNT; t++) {
		ret = ys_bpf_table_prune(b, (enum ys_bpf_table)t, ks.keys[t], ks.n[t]);
		if (ret) {
			ys_err("bpf", "pruning XDP tenant table %d: %s", t, strerror(-ret));
			goto out_free_keys;
		}
	}
	ys_info("bpf", "XDP tenant maps loaded: %zu tenants", n);
out_free_keys:
	ys_bpf_keyset_free(&ks);
	return ret;
}

struct ys_bpf *ys_bpf_from_conf(const struct ys_conf *conf, const char *ifname, const char *method,
				const struct ys_tenant_map *tenants, char *err, size_t errlen)
{
	struct ys_bpf_params p = { .ifname = ifname };
	const char *skip;
	struct ys_bpf *b;
	int64_t flows;
	bool enabled;
	int ret;

	ret = ys_conf_bool(conf, "capture.xdp.enabled", method && !strcmp(method, "af-xdp"),
			   &enabled, err, errlen);
	if (ret)
		goto out_err;
	if (!enabled) {
		errno = 0;
		return NULL;
	}
	/* capture.xdp-mode is what sensor/main.c reads for the AF_XDP sockets; one key
	 * may set both. */
	p.xdp_mode = ys_conf_str(conf, "capture.xdp.mode",
				 ys_conf_str(conf, "capture.xdp-mode", "auto"));
	skip = ys_conf_str(conf, "capture.xdp.skip-action", "drop");
	if (strcmp(skip, "drop") && strcmp(skip, "pass")) {
		snprintf(err, errlen, "capture.xdp.skip-action: \"%s\": expected drop or pass",
			 skip);
		ret = -EINVAL;
		goto out_err;
	}
	p.skip_pass = !strcmp(skip, "pass");
	ret = ys_conf_int(conf, "capture.xdp.bypass-flows", 0, &flows, err, errlen);
	if (ret)
		goto out_err;
	if (flows < 0 || flows > (1 << 26)) {
		snprintf(err, errlen, "capture.xdp.bypass-flows: %lld out of range",
			 (long long)flows);
		ret = -EINVAL;
		goto out_err;
	}
	p.bypass_flows = (uint32_t)flows;

	b = ys_bpf_new(&p, err, errlen);
	if (!b)
		return NULL;
	if (tenants) {
		ret = ys_bpf_load_tenants(b, tenants);
		if (ret) {
			snprintf(err, errlen, "XDP tenant maps: %s", strerror(-ret));
			ys_bpf_free(b);
			goto out_err;
		}
	}
	return b;

out_err:
	errno = -ret;
	return NULL;
}
