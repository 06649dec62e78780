/*
 * User-space side of the sensor's XDP program (bpf/sensor.bpf.c): load it
 * through its bpftool skeleton, attach it to an interface (native XDP, falling
 * back to generic/skb mode where the driver has none), fill the tenant maps,
 * manage the flow bypass map, register AF_XDP sockets in the XSKMAP and read
 * the per-tenant counters for logs and /metrics.
 *
 * Lifecycle: ys_bpf_new() = open -> set rodata -> load -> attach (when an
 * interface is given); then fill maps; ys_bpf_free() detaches and destroys,
 * in one cleanup path.
 *
 * Threading: map updates and reads are system calls on kernel objects and
 * are safe from any thread (a worker adding a bypass while the metrics thread
 * reads counters). Loading tenants (ys_bpf_load_tenants) should come from one
 * thread at a time (start-up or reload). The handle itself is immutable after
 * ys_bpf_new() and owned by whoever created it (main); workers borrow it.
 */
#ifndef YS_BPF_H
#define YS_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensor_bpf.h"

struct ys_bpf;
struct ys_tenant_map;
struct ys_flow;

struct ys_bpf_params {
	const char *ifname;    /* attach here; NULL = load only (BPF_PROG_TEST_RUN, benches) */
	const char *xdp_mode;  /* "auto" (default) | "native" | "generic" */
	bool skip_pass;	       /* frames not inspected: false = XDP_DROP (mirror port),
			       * true = XDP_PASS (host NIC whose traffic must flow) */
	uint16_t vxlan_port;   /* 0 = 4789 */
	uint16_t geneve_port;  /* 0 = 6081 */
	uint32_t bypass_flows; /* LRU bypass map size; 0 = YS_BPF_FLOWS_DEFAULT */
};

/* Open, load and (when p->ifname) attach. NULL + errno on failure with a
 * one-line reason in ERR ("attach to veth0: Operation not permitted"). */
struct ys_bpf *ys_bpf_new(const struct ys_bpf_params *p, char *err, size_t errlen);
/* Detach (only our own program) and free. NULL is safe. */
void ys_bpf_free(struct ys_bpf *b);

/* "native", "generic" or "none" (not attached). */
const char *ys_bpf_mode(const struct ys_bpf *b);
int ys_bpf_ifindex(const struct ys_bpf *b);
int ys_bpf_prog_fd(const struct ys_bpf *b);
int ys_bpf_xsks_map_fd(const struct ys_bpf *b);

/* Tenant maps, one entry at a time. 0 or -errno. */
int ys_bpf_set_vni(struct ys_bpf *b, uint32_t vni, uint32_t tenant);
/* KEY uses tenant.h's encoding ((outer << 16) | inner, or YS_BPF_VLAN_SINGLE | tag). */
int ys_bpf_set_vlan(struct ys_bpf *b, uint32_t key, uint32_t tenant);
/* FAMILY 4 (4 bytes in ADDR) or 6 (16 bytes). */
int ys_bpf_set_cidr(struct ys_bpf *b, int family, const uint8_t *addr, uint8_t prefix,
		    uint32_t tenant);
int ys_bpf_set_policy(struct ys_bpf *b, uint32_t tenant, enum ys_bpf_action action,
		      uint32_t sample_n);
/* Empty the VNI, VLAN, CIDR and policy maps (counters and bypass entries stay). */
int ys_bpf_clear_tenants(struct ys_bpf *b);

/* The tenant tables, for reloads that overwrite first and then prune. */
enum ys_bpf_table {
	YS_BPF_TABLE_VNI = 0, /* key u32 VNI */
	YS_BPF_TABLE_VLAN,    /* key u32, tenant.h encoding */
	YS_BPF_TABLE_CIDR4,   /* key struct ys_bpf_lpm4 from ys_bpf_cidr_key() */
	YS_BPF_TABLE_CIDR6,   /* key struct ys_bpf_lpm6 from ys_bpf_cidr_key() */
	YS_BPF_TABLE_POLICY,  /* key u32 tenant */
	YS_BPF_TABLE_COUNT
};
size_t ys_bpf_table_key_size(enum ys_bpf_table t);
/* Canonical LPM key (host bits cleared) for FAMILY/ADDR/PREFIX into KEY
 * (a struct ys_bpf_lpm4 or ys_bpf_lpm6). 0, -EINVAL or -EAFNOSUPPORT. */
int ys_bpf_cidr_key(int family, const uint8_t *addr, uint8_t prefix, void *key);
/* Delete from T every entry whose key is not among the N keys at KEYS
 * (sorted here, in place). N = 0 empties the table. */
int ys_bpf_table_prune(struct ys_bpf *b, enum ys_bpf_table t, void *keys, size_t n);

/* Make the kernel's tenant maps equal to MAP's (start-up and hot reload): every
 * entry of MAP is written first (overwriting in place), then entries MAP no
 * longer has are deleted, so a frame is never classified by an empty or
 * half-filled table. Defined in ys_bpf_tenant.c (needs ys_tenant). */
int ys_bpf_load_tenants(struct ys_bpf *b, const struct ys_tenant_map *map);

/*
 * The sensor's one call at start-up: read capture.xdp from CONF, load and
 * attach the program to IFNAME and fill the tenant maps from TENANTS.
 *   capture.xdp.enabled      default true when METHOD is "af-xdp", else false
 *   capture.xdp.mode         auto | native | generic (default auto)
 *   capture.xdp.skip-action  drop | pass: frames not inspected (default drop)
 *   capture.xdp.bypass-flows size of the bypass map (default 262144)
 * Returns NULL with errno 0 when XDP is disabled, NULL + errno with ERR on
 * failure. Defined in ys_bpf_tenant.c.
 */
struct ys_conf;
struct ys_bpf *ys_bpf_from_conf(const struct ys_conf *conf, const char *ifname, const char *method,
				const struct ys_tenant_map *tenants, char *err, size_t errlen);

/*
 * Per-tenant XDP counters in Prometheus text format (0.0.4), for the sensor's
 * /metrics: yunshao_xdp_{packets,bytes,ignored,sampled_out,bypassed,redirected,
 * passed,unparsed}_total{tenant_id="101",tenant="acme"} and
 * yunshao_xdp_attached{mode="native"}. *OUT gets a malloc'd string the caller
 * frees, *LEN its length. MAP (may be NULL) names the tenants. Defined in
 * ys_bpf_tenant.c.
 */
int ys_bpf_metrics(const struct ys_bpf *b, const struct ys_tenant_map *map, char **out,
		   size_t *len);

/* Counters of TENANT summed over CPUs into OUT. -ENOENT when the kernel has
 * none for it yet (OUT zeroed). */
int ys_bpf_counters_read(const struct ys_bpf *b, uint32_t tenant, struct ys_bpf_counters *out);
/* Call FN for every tenant the kernel has counters for (for /metrics). Stops
 * and returns FN's value when it is non-zero. */
int ys_bpf_counters_foreach(const struct ys_bpf *b,
			    int (*fn)(uint32_t tenant, const struct ys_bpf_counters *c, void *arg),
			    void *arg);

/* Flow bypass: KEY in either orientation; both directions are added/removed.
 * After this the kernel no longer hands the flow's frames to user space. */
int ys_bpf_bypass_add(struct ys_bpf *b, const struct ys_bpf_flow_key *key);
int ys_bpf_bypass_del(struct ys_bpf *b, const struct ys_bpf_flow_key *key);
/* What the kernel skipped for the flow, both directions summed. -ENOENT if absent. */
int ys_bpf_bypass_read(const struct ys_bpf *b, const struct ys_bpf_flow_key *key,
		       struct ys_bpf_flow_val *out);
/* Key for a sensor flow (tenant + innermost 5-tuple, client -> server). */
void ys_bpf_flow_key_from_flow(const struct ys_flow *f, struct ys_bpf_flow_key *key);
/* The worker's call when a flow needs no more inspection (stream depth
 * reached, elephant flow): both directions go into the bypass map. */
int ys_bpf_bypass_flow(struct ys_bpf *b, const struct ys_flow *f);

/* AF_XDP: put socket XSK_FD at QUEUE in the XSKMAP / take it out. */
int ys_bpf_xsk_register(struct ys_bpf *b, uint32_t queue, int xsk_fd);
int ys_bpf_xsk_unregister(struct ys_bpf *b, uint32_t queue);

/* Run the program once on FRAME with BPF_PROG_TEST_RUN (tests, benches).
 * RETVAL gets the XDP action; META (may be NULL) the metadata when present
 * (meta->magic == YS_XDP_META_MAGIC). REPEAT > 1 measures: *NS_PER_RUN gets
 * the kernel's average duration. 0 or -errno. */
int ys_bpf_test_run(struct ys_bpf *b, const void *frame, size_t len, uint32_t repeat,
		    uint32_t *retval, struct ys_xdp_meta *meta, uint32_t *ns_per_run);

#endif /* YS_BPF_H */
