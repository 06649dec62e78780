/*
 * Fill the XDP program's tenant maps from the sensor's tenant map
 * (sensor/tenant/tenant.h), so the kernel and user space classify with the
 * same VNI / VLAN / CIDR table and apply the same policies. Kept apart from
 * ys_bpf.c because it is the loader's only link to the tenant module.
 */
#include "ys_bpf.h"

#include <errno.h>
#include <stddef.h>
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

/* Prometheus label value: backslash, double quote and newline escaped. */
static void ys_bpf_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

struct ys_bpf_metrics_ctx {
	FILE *f;
	const struct ys_tenant_map *map;
	size_t field; /* which counter this pass prints */
};

static const struct {
	const char *name, *help;
	size_t off;
} ys_bpf_metric_fields[] = {
	{ "packets", "Frames the XDP program classified into the tenant.",
	  offsetof(struct ys_bpf_counters, packets) },
	{ "bytes", "Bytes of those frames.", offsetof(struct ys_bpf_counters, bytes) },
	{ "ignored", "Frames skipped in the kernel by the tenant's ignore policy.",
	  offsetof(struct ys_bpf_counters, ignored) },
	{ "sampled_out", "Frames of flows the tenant's 1-in-N sampling left out.",
	  offsetof(struct ys_bpf_counters, sampled_out) },
	{ "bypassed", "Frames of bypassed flows, skipped in the kernel.",
	  offsetof(struct ys_bpf_counters, bypassed) },
	{ "redirected", "Frames handed to an AF_XDP socket.",
	  offsetof(struct ys_bpf_counters, redirected) },
	{ "passed", "Inspected frames passed to the kernel stack (AF_PACKET/libpcap capture).",
	  offsetof(struct ys_bpf_counters, passed) },
	{ "unparsed", "Truncated or non-IP frames handed on without classification.",
	  offsetof(struct ys_bpf_counters, unparsed) },
};

static int ys_bpf_metrics_one(uint32_t tenant, const struct ys_bpf_counters *c, void *arg)
{
	struct ys_bpf_metrics_ctx *m = arg;
	uint64_t v;

	memcpy(&v, (const uint8_t *)c + ys_bpf_metric_fields[m->field].off, sizeof(v));
	fprintf(m->f, "yunshao_xdp_%s_total{tenant_id=\"%u\",tenant=\"",
		ys_bpf_metric_fields[m->field].name, tenant);
	ys_bpf_label(m->f, ys_tenant_name(m->map, tenant));
	fprintf(m->f, "\"} %llu\n", (unsigned long long)v);
	return 0;
}

int ys_bpf_metrics(const struct ys_bpf *b, const struct ys_tenant_map *map, char **out, size_t *len)
{
	struct ys_bpf_metrics_ctx m = { .map = map };
	int ret = 0;

	*out = NULL;
	*len = 0;
	m.f = open_memstream(out, len);
	if (!m.f)
		return -errno;
	fprintf(m.f,
		"# HELP yunshao_xdp_attached The sensor's XDP program, by attach mode.\n"
		"# TYPE yunshao_xdp_attached gauge\n"
		"yunshao_xdp_attached{mode=\"%s\"} 1\n",
		ys_bpf_mode(b));
	for (m.field = 0; m.field < sizeof(ys_bpf_metric_fields) / sizeof(ys_bpf_metric_fields[0]);
	     m.field++) {
		fprintf(m.f,
			"# HELP yunshao_xdp_%s_total %s\n# TYPE yunshao_xdp_%s_total counter\n",
			ys_bpf_metric_fields[m.field].name, ys_bpf_metric_fields[m.field].help,
			ys_bpf_metric_fields[m.field].name);
		ret = ys_bpf_counters_foreach(b, ys_bpf_metrics_one, &m);
		if (ret)
			break;
	}
	if (fclose(m.f) && !ret)
		ret = -errno;
	if (ret) {
		free(*out);
		*out = NULL;
		*len = 0;
	}
	return ret;
}
