/*
 * Tenants: which cloud customer a packet belongs to. Looked up, in this order,
 * by overlay VNI, by VLAN (a QinQ outer/inner pair first, then the single
 * tag; on a QinQ packet a single-tag entry matches the OUTER tag, the
 * provider's S-tag), then by CIDR of the inner source and destination
 * addresses (longest prefix wins; on a tie the source's tenant). Unmatched
 * traffic belongs to tenant 0, "unassigned". pkt->hw_tenant, when the XDP
 * program set it, wins over all of these.
 *
 * Load errors name the node: "yunshao.yaml:12: tenants[1]: vni 5001 is given
 * to tenant 101 and tenant 102". Rejected: unknown keys, id 0 or duplicate
 * ids/names, VNIs outside 24 bits, VLAN ids outside 1..4094, CIDRs with host
 * bits set, the same VNI / VLAN key / CIDR in two tenants, policy sample
 * without sample: N.
 *
 * Config (yunshao.yaml):
 *   tenants:
 *     - id: 101
 *       name: acme
 *       vni: [5001]            # VXLAN / GENEVE VNIs
 *       vlan: [100, "200/300"] # single tags, or outer/inner QinQ pairs
 *       cidr: [10.1.0.0/16, "fd00:1::/48"]
 *       policy: inspect        # inspect | ignore | sample
 *       sample: 10             # inspect 1 flow in N when policy is sample
 *       vars: {HOME_NET: "[10.1.0.0/16]"}   # per-tenant rule variables
 *       rules: [tenant-acme.rules]           # per-tenant extra rule files
 *
 * Threading: a map is immutable after ys_tenant_map_load() and shared by all
 * workers. The XDP loader reads the same map to fill its kernel maps.
 */
#ifndef YS_TENANT_H
#define YS_TENANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "ys_config.h"

#define YS_TENANT_UNASSIGNED 0
#define YS_TENANT_NAME_MAX   64

enum ys_tenant_policy {
	YS_TENANT_INSPECT = 0,
	YS_TENANT_IGNORE,
	YS_TENANT_SAMPLE,
};

struct ys_tenant_cidr {
	struct ys_addr net;
	uint8_t prefix;
};

struct ys_tenant {
	uint32_t id;
	char name[YS_TENANT_NAME_MAX];
	enum ys_tenant_policy policy;
	uint32_t sample_n;
	uint32_t *vnis;
	size_t nvnis;
	uint32_t *vlans; /* (outer << 16) | inner for QinQ pairs, else the tag in the low 16 bits
			  * with the high bits set to 0xffff */
	size_t nvlans;
	struct ys_tenant_cidr *cidrs;
	size_t ncidrs;
	const struct ys_conf *vars;  /* per-tenant variable overrides, may be NULL */
	const struct ys_conf *rules; /* per-tenant rule files, may be NULL */
};

struct ys_tenant_map;

/* Load from CONF: the "tenants" sequence itself, or a map holding a "tenants" key
 * (either may be absent / NULL: only tenant 0). NULL + errno
 * on error with "file:line: reason" in ERR. The map keeps pointers into CONF,
 * which must outlive it. */
struct ys_tenant_map *ys_tenant_map_load(const struct ys_conf *conf, char *err, size_t errlen);
void ys_tenant_map_free(struct ys_tenant_map *map);

/* Tenant id for a decoded packet (uses pkt->hw_tenant when the kernel already classified). */
uint32_t ys_tenant_classify(const struct ys_tenant_map *map, const struct ys_packet *pkt);
/*
 * ys_tenant_classify() and ys_tenant_get() of that id in one lookup, for the
 * per-packet path: sets *ID to the packet's tenant id and returns its entry
 * (NULL when MAP is NULL or pkt->hw_tenant names an id the map lacks).
 */
const struct ys_tenant *ys_tenant_lookup(const struct ys_tenant_map *map,
					 const struct ys_packet *pkt, uint32_t *id);

/* Tenant by id, NULL if unknown. Tenant 0 always exists. */
const struct ys_tenant *ys_tenant_get(const struct ys_tenant_map *map, uint32_t id);
/* Name for id, "unassigned" for 0, "unknown" when not in the map. */
const char *ys_tenant_name(const struct ys_tenant_map *map, uint32_t id);
/* Number of tenants including tenant 0 (which is ys_tenant_at(map, 0)). */
size_t ys_tenant_count(const struct ys_tenant_map *map);
/* i-th tenant (0 <= i < count), for iteration by exporters and the XDP loader. */
const struct ys_tenant *ys_tenant_at(const struct ys_tenant_map *map, size_t i);
/* The i for which ys_tenant_at() returns T (T from this map): per-tenant tables index by it. */
size_t ys_tenant_index(const struct ys_tenant_map *map, const struct ys_tenant *t);

#endif /* YS_TENANT_H */
