/*
 * Detection: Suricata/Snort-syntax rules compiled into Hyperscan databases
 * and evaluated per packet.
 *
 * Life cycle:
 *   eng = ys_detect_engine_new(&params);          // variables, classification
 *   ys_detect_load_file(eng, "a.rules");           // any number of files
 *   ys_detect_load_string(eng, "inline", text);    // tests
 *   ys_detect_engine_compile(eng);                 // group rules, build databases
 *   ctx = ys_detect_ctx_new(eng);                  // one per worker (Hyperscan scratch)
 *   ys_detect_inspect(ctx, pkt, in, on_alert, user);
 *   ys_detect_ctx_free(ctx); ys_detect_engine_free(eng);
 *
 * A rule that fails to parse or uses a keyword the engine does not support is
 * skipped, counted, and reported once as "file:line: sid N: keyword 'x': reason";
 * the other rules load.
 *
 * Threading: an engine is immutable after compile and shared by all workers;
 * each worker owns its ctx. A hot reload builds a new engine beside the old one
 * and the worker swaps ctx at a packet boundary. Per-flow state (flowbits,
 * flowints, per-flow thresholds) lives in flow->detect and is released with
 * ys_detect_flow_release().
 */
#ifndef YS_DETECT_H
#define YS_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "applayer_buf.h"
#include "decode.h"
#include "flow.h"
#include "ys_config.h"

enum ys_action {
	YS_ACTION_ALERT = 0,
	YS_ACTION_DROP, /* IDS mode: alerts like "alert"; EVE action "allowed" as in Suricata IDS */
	YS_ACTION_REJECT,
	YS_ACTION_PASS,
};

struct ys_sig_meta {
	const char *key, *value;
};

/* What an alert needs to say about the rule that fired. Owned by the engine. */
struct ys_sig_info {
	uint32_t gid, sid, rev;
	enum ys_action action;
	const char *msg;
	const char *classtype; /* short name, NULL if none */
	const char *category;  /* classification description, "" if none */
	int priority;	       /* EVE alert.severity */
	const struct ys_sig_meta *metadata;
	size_t nmetadata;
	const char *target; /* "src_ip" | "dest_ip" | NULL */
	const char *raw;    /* the rule text */
	const char *file;
	unsigned line;
};

struct ys_detect_params {
	const struct ys_conf *vars;	 /* node with address-groups / port-groups, may be NULL */
	const char *classification_file; /* NULL: built-in default table */
	const char *reference_file;	 /* NULL: none */
	/* Per-tenant variable overrides: tenant rule sets are engines of their own. */
	const struct ys_conf *vars_override;
};

struct ys_detect_stats {
	uint32_t rules_loaded, rules_failed, rules_skipped_dup;
	uint32_t groups, hs_databases, pcre_only; /* rules without a fast pattern */
	double compile_seconds;
	size_t hs_bytes; /* database memory */
};

struct ys_detect_engine;
struct ys_detect_ctx;

struct ys_detect_engine *ys_detect_engine_new(const struct ys_detect_params *params);
void ys_detect_engine_free(struct ys_detect_engine *eng);

/* Returns 0 (even when some rules failed: see stats), -errno when the file cannot be read. */
int ys_detect_load_file(struct ys_detect_engine *eng, const char *path);
int ys_detect_load_string(struct ys_detect_engine *eng, const char *name, const char *text);
/* Build the databases. 0 or -errno with a logged reason. */
int ys_detect_engine_compile(struct ys_detect_engine *eng);
const struct ys_detect_stats *ys_detect_engine_stats(const struct ys_detect_engine *eng);

/* Failures recorded while loading: for -T output ("why"). */
struct ys_detect_failure {
	const char *file;
	unsigned line;
	uint32_t sid;
	const char *keyword; /* the keyword that failed, or "syntax" */
	const char *reason;
};
size_t ys_detect_failures(const struct ys_detect_engine *eng, const struct ys_detect_failure **out);

struct ys_detect_ctx *ys_detect_ctx_new(struct ys_detect_engine *eng);
void ys_detect_ctx_free(struct ys_detect_ctx *ctx);

struct ys_alert {
	const struct ys_sig_info *sig;
	const struct ys_packet *pkt;
	const struct ys_flow *flow; /* may be NULL */
	const struct ys_inspect *in;
	uint64_t tx_id; /* app-layer transaction that matched, or UINT64_MAX */
	/* The buffer whose match caused the alert (EVE payload); NULL if none. */
	const uint8_t *payload;
	uint32_t payload_len;
};

typedef void (*ys_alert_fn)(const struct ys_alert *alert, void *user);

/*
 * Run every applicable rule against PKT and the buffers in IN; call ON_ALERT once
 * per alerting rule, in Suricata's order (by priority then sid). Updates flowbits
 * and thresholds. Returns the number of alerts.
 */
unsigned ys_detect_inspect(struct ys_detect_ctx *ctx, struct ys_packet *pkt,
			   const struct ys_inspect *in, ys_alert_fn on_alert, void *user);

/*
 * Benchmark hook: when set, called with every (database, bytes) pair just
 * before the ctx scans it with Hyperscan (the database is an hs_database_t *).
 * Lets `make bench` replay exactly the sensor's scans to measure the
 * Hyperscan-only ceiling. Set before any ctx uses the engine; NULL clears it.
 */
typedef void (*ys_detect_scan_hook_fn)(void *user, const void *db, const uint8_t *data,
				       uint32_t len);
void ys_detect_engine_set_scan_hook(struct ys_detect_engine *eng, ys_detect_scan_hook_fn fn,
				    void *user);

/* Release flow->detect (called from the flow table's release callback). */
void ys_detect_flow_release(void *detect_state);

#endif /* YS_DETECT_H */
