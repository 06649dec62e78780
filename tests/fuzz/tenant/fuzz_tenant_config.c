/*
 * libFuzzer target for the tenant map loader: YAML text through
 * ys_conf_load_string() and ys_tenant_map_load(); when a map loads, a few
 * packets are classified and every tenant is read back, so that the tries and
 * sorted tables built from hostile input are exercised as well.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "tenant.h"
#include "ys_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct ys_conf *conf =
		ys_conf_load_string("fuzz.yaml", (const char *)data, size, err, sizeof(err));
	struct ys_tenant_map *map;
	struct ys_packet pkt;

	if (!conf)
		return 0;
	map = ys_tenant_map_load(conf, err, sizeof(err));
	if (map) {
		memset(&pkt, 0, sizeof(pkt));
		for (unsigned i = 0; i < 4; i++) {
			uint32_t id, lid;

			pkt.ip_version = i & 1 ? 6 : 4;
			pkt.src.family = pkt.dst.family = pkt.ip_version;
			memset(pkt.src.a, 0x0a * (int)i, sizeof(pkt.src.a));
			memset(pkt.dst.a, 0xc0 + (int)i, sizeof(pkt.dst.a));
			pkt.vlan_count = (uint8_t)(i % 3);
			pkt.vlan[0] = (uint16_t)(100 * i);
			pkt.vlan[1] = 300;
			pkt.tunnel.type = i & 2 ? YS_TUNNEL_VXLAN : YS_TUNNEL_NONE;
			pkt.tunnel.vni = 5000 + i;
			id = ys_tenant_classify(map, &pkt);
			/* The one-lookup form must agree with classify + get. */
			if (ys_tenant_lookup(map, &pkt, &lid) != ys_tenant_get(map, id) ||
			    lid != id)
				abort();
			(void)ys_tenant_name(map, id);
		}
		for (size_t i = 0; i < ys_tenant_count(map); i++) {
			const struct ys_tenant *t = ys_tenant_at(map, i);

			(void)ys_tenant_get(map, t->id);
			(void)strlen(t->name);
		}
		ys_tenant_map_free(map);
	}
	ys_conf_free(conf);
	return 0;
}
