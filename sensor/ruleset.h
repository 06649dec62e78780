/*
 * Rule sets: the detection engines a sensor runs. Every tenant inspects the
 * global rules (-S, or rule-files in the configuration) with the global
 * variables; a tenant may add rule files of its own and override variables
 * ($HOME_NET is usually per tenant). One engine is compiled per distinct
 * (extra rules, variables) combination and shared by every tenant that has it,
 * so a rack of tenants without overrides costs one engine.
 *
 * Threading: a set is immutable once built and shared by all workers; a
 * reload builds a new set and publishes it through struct ys_engine_slot.
 */
#ifndef YS_RULESET_H
#define YS_RULESET_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "detect.h"
#include "tenant.h"
#include "ys_config.h"

struct ys_ruleset {
	struct ys_detect_engine **engines; /* [0]: the global rules, used by every tenant without
					      overrides */
	const struct ys_tenant **owner;	   /* first tenant of each engine, NULL for [0] */
	size_t nengines;
	uint16_t *by_tenant; /* tenant index (ys_tenant_index) -> engine index */
	size_t ntenants;
};

/*
 * Build every engine. RULE_FILES (NRULE_FILES of them) replace rule-files from CONF
 * when given. Returns NULL after printing the reason on stderr.
 */
struct ys_ruleset *ys_ruleset_build(const char *const *rule_files, size_t nrule_files,
				    const struct ys_conf *conf,
				    const struct ys_tenant_map *tenants);
void ys_ruleset_free(struct ys_ruleset *rs);

static inline size_t ys_ruleset_engine_of(const struct ys_ruleset *rs, size_t tenant_index)
{
	return tenant_index < rs->ntenants ? rs->by_tenant[tenant_index] : 0;
}

/* The set workers run now. The main thread stores a new set and bumps the generation; it
 * frees the old set once every worker has moved to the new generation. */
struct ys_engine_slot {
	_Atomic(struct ys_ruleset *) set;
	_Atomic uint64_t generation;
};

#endif /* YS_RULESET_H */
