/*
 * The sensor's view of the eBPF/XDP loader (bpf/ys_bpf.h). A build without
 * eBPF support (no clang, bpftool or kernel BTF at configure time) gets the
 * stubs below, which refuse any configuration that asks for XDP rather than
 * silently capturing without it.
 */
#ifndef YS_SENSOR_XDP_H
#define YS_SENSOR_XDP_H

#ifdef YS_HAVE_BPF
#include "ys_bpf.h"
#else
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tenant.h"
#include "ys_config.h"

struct ys_bpf;
struct ys_flow;

static inline struct ys_bpf *ys_bpf_from_conf(const struct ys_conf *conf, const char *ifname,
					      const char *method,
					      const struct ys_tenant_map *tenants, char *err,
					      size_t errlen)
{
	bool on = method && strcmp(method, "af-xdp") == 0;

	(void)ifname;
	(void)tenants;
	if (ys_conf_bool(conf, "capture.xdp.enabled", on, &on, err, errlen)) {
		errno = EINVAL;
		return NULL;
	}
	if (on) {
		snprintf(err, errlen,
			 "XDP requested but this sensor was built without eBPF support");
		errno = ENOTSUP;
		return NULL;
	}
	errno = 0;
	return NULL;
}

static inline void ys_bpf_free(struct ys_bpf *b)
{
	(void)b;
}

static inline int ys_bpf_bypass_flow(struct ys_bpf *b, const struct ys_flow *f)
{
	(void)b;
	(void)f;
	return -ENOTSUP;
}

static inline int ys_bpf_metrics(const struct ys_bpf *b, const struct ys_tenant_map *map,
				 char **out, size_t *len)
{
	(void)b;
	(void)map;
	*out = NULL;
	*len = 0;
	return 0;
}

static inline const char *ys_bpf_mode(const struct ys_bpf *b)
{
	(void)b;
	return "none";
}
#endif /* YS_HAVE_BPF */

#endif /* YS_SENSOR_XDP_H */
