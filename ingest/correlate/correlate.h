/*
 * Correlation: turns a stream of alerts into incidents with YAML rules in the
 * spirit of Sigma correlation rules (rules/correlation/, one YAML file each):
 *
 *   id: ys.brute-force                 # stable id: incidents are keyed by it
 *   title: "Brute force from {src_ip} against {dest_ip}"   # {field} = group value
 *   type: event_count | value_count | temporal | temporal_ordered
 *   stream: alerts | by-source         # by-source: fed by yunshao.alerts.by-source
 *   select: { sid: [..], gid: [..], classtype: [..], category: [..],
 *             signature: ["substr", ..], severity: [1, 2], severity_max: 2,
 *             tenant: [..], match: { "dest_port": [22], "app_proto": ["ssh"] } }
 *   steps:                             # temporal / temporal_ordered instead of select
 *     - { name: scan, select: {...} }
 *   group-by: [tenant, src_ip, sensor.rack, alert.signature_id]   # dotted EVE paths
 *   timespan: 60s                      # s, m, h, d or plain seconds
 *   condition: { gte: 20 }             # gt|gte|lt|lte|eq; value_count adds field: tenant
 *   severity: 1..3                     # of the incident
 *   level: blue | yellow | orange | red
 *   mlps: ["8.1.3.3", ...]             # GB/T 22239-2019 controls it is evidence for
 *
 * Windows slide per group over the alerts' own timestamps: each group keeps a
 * small time-sorted set of its recent alerts (at most threshold+1 entries, or
 * one per distinct value / step), so a burst straddling any boundary is seen
 * exactly as it happened; there are no fixed buckets to miss it.
 *
 * Once a group fires, every further matching alert of the group is added to
 * the same incident (count, last_seen, the first alerts linked) until the
 * group has been quiet for one timespan: a flood becomes one incident with a
 * count. Incidents are per tenant: a group without tenant in group-by (one
 * source attacking several tenants) yields one incident per affected tenant,
 * each listing only that tenant's alerts.
 *
 * Memory is bounded: at most max_groups groups per rule (least recently used
 * evicted, counted), entries per group bounded as above, expiry by timespan.
 *
 * Threading: a ruleset is immutable after load and may be shared; an engine
 * belongs to one thread. Ownership: constructors return objects freed by
 * their _free(); _free(NULL) is safe.
 */
#ifndef YS_INGEST_CORRELATE_H
#define YS_INGEST_CORRELATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ys_config.h"

#define YS_CORR_MAX_STEPS    8
#define YS_CORR_MAX_GROUPBY  6
#define YS_CORR_MAX_WINDOW   4096 /* cap on a threshold, i.e. on entries per group */
#define YS_CORR_DELTA_EVENTS 64	  /* alert ids linked per incident per drain */
#define YS_CORR_DELTA_VALUES 16

enum ys_corr_type {
	YS_CORR_EVENT_COUNT,
	YS_CORR_VALUE_COUNT,
	YS_CORR_TEMPORAL,
	YS_CORR_TEMPORAL_ORDERED,
};

enum ys_corr_stream {
	YS_CORR_STREAM_ALERTS,
	YS_CORR_STREAM_BY_SOURCE,
};

enum ys_corr_op {
	YS_CORR_GT,
	YS_CORR_GTE,
	YS_CORR_LT,
	YS_CORR_LTE,
	YS_CORR_EQ,
};

struct ys_corr_ruleset;
struct ys_corr_engine;

/* Parse one YAML document (a rule map, or {rules: [rule maps]}). NULL + ERR on error. */
struct ys_corr_ruleset *ys_corr_rules_parse(const char *name, const char *text, size_t len,
					    char *err, size_t errlen);
/* Load every *.yaml / *.yml in DIR (sorted by name). Duplicate rule ids are an error. */
struct ys_corr_ruleset *ys_corr_rules_load_dir(const char *dir, char *err, size_t errlen);
void ys_corr_rules_free(struct ys_corr_ruleset *rs);
size_t ys_corr_rules_count(const struct ys_corr_ruleset *rs);
const char *ys_corr_rule_id(const struct ys_corr_ruleset *rs, size_t i);
/* True when some rule reads the by-source stream (the consumer then runs the repartition). */
bool ys_corr_rules_need_by_source(const struct ys_corr_ruleset *rs);
/* True when some rule of STREAM would select EV (so only those alerts are re-partitioned). */
bool ys_corr_rules_select_any(const struct ys_corr_ruleset *rs, enum ys_corr_stream stream,
			      const json_t *ev);
/* The ruleset an engine runs. */
const struct ys_corr_ruleset *ys_corr_ruleset_of(const struct ys_corr_engine *eng);

struct ys_corr_limits {
	size_t max_groups;  /* per rule; default 100000 */
	size_t max_entries; /* value_count: alerts remembered per rule until a group fires;
			     * default 262144 (about 40 MB); beyond it counted in stats.dropped */
};

/* The engine keeps a pointer to RS: RS must outlive it. */
struct ys_corr_engine *ys_corr_new(const struct ys_corr_ruleset *rs,
				   const struct ys_corr_limits *lim);
void ys_corr_free(struct ys_corr_engine *eng);

/*
 * Feed one alert (EVE object, or a by-source summary with the same field
 * names) of STREAM, at TS_USEC (its own timestamp), with its EVENT_ID.
 * Returns the number of rules the alert counted towards (0 when none), or
 * -errno.
 */
int ys_corr_feed(struct ys_corr_engine *eng, enum ys_corr_stream stream, const json_t *ev,
		 int64_t ts_usec, const char *event_id);

/* An incident change, valid only during the drain callback. */
struct ys_corr_incident {
	const char *rule, *title, *tenant, *group_key, *level;
	int severity;
	const char *const *mlps;
	size_t nmlps;
	int64_t first_seen, last_seen, alert_count;
	const char *const *src_ips;
	size_t nsrc;
	const char *const *dest_ips;
	size_t ndest;
	const char *const *signatures;
	size_t nsig;
	const char *const *event_ids;
	const int64_t *event_ts;
	size_t nevents;
};

typedef int (*ys_corr_incident_fn)(void *user, const struct ys_corr_incident *inc);

/*
 * Hand every incident change accumulated since the last drain to FN, then
 * forget them (also when FN fails: the caller rolls its batch back and the
 * replay from Kafka feeds the alerts again). Returns the number of changes,
 * or the first error FN returned.
 */
int ys_corr_drain(struct ys_corr_engine *eng, ys_corr_incident_fn fn, void *user);
/* Forget pending changes without handing them out (batch rolled back). */
void ys_corr_discard(struct ys_corr_engine *eng);

/* Drop groups idle for longer than their rule's timespan before NOW (usec). */
void ys_corr_expire(struct ys_corr_engine *eng, int64_t now_usec);

struct ys_corr_stats {
	uint64_t fed, matched, fired, groups, evicted, expired;
	/* value_count alerts not remembered because max_entries was hit (the latest
	 * alert per distinct value is still kept, decides and is linked) */
	uint64_t dropped;
};

void ys_corr_get_stats(const struct ys_corr_engine *eng, struct ys_corr_stats *st);

/* Dotted-path field of an alert as text ("src_ip", "sensor.rack", "alert.signature_id"). */
const char *ys_corr_field(const json_t *ev, const char *path, char *buf, size_t buflen);

#endif /* YS_INGEST_CORRELATE_H */
