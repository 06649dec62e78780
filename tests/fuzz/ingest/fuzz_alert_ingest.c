/*
 * Fuzz the ingest's alert path as one message: size limit, JSON parse,
 * schema validation, normalisation to the indexed columns, de-duplicated
 * insert into an in-memory SQLite store, correlation with a fixed rule set,
 * incident upsert, commit. The first input byte picks the topic (alerts,
 * sensor-stats, by-source), the rest is the payload.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "pipeline.h"
#include "ys_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rules[] =
	"rules:\n"
	"- id: ec\n  title: \"t {src_ip}\"\n  type: event_count\n  select: {severity_max: 3}\n"
	"  group-by: [tenant, src_ip]\n  timespan: 60s\n  condition: {gte: 2}\n  level: red\n"
	"- id: vc\n  title: t\n  type: value_count\n  stream: by-source\n  select: {severity: "
	"[1,2,3]}\n"
	"  group-by: [src_ip]\n  timespan: 1h\n  condition: {field: tenant, gte: 2}\n  level: "
	"orange\n"
	"- id: to\n  title: t\n  type: temporal_ordered\n  steps:\n"
	"    - {name: a, select: {signature: [a]}}\n    - {name: b, select: {signature: [b]}}\n"
	"  group-by: [tenant, dest_ip]\n  timespan: 10m\n  level: yellow\n";

static struct ys_store *st;
static struct ys_corr_ruleset *rs;
static struct ys_corr_engine *eng;
static struct ys_ingest_metrics metrics;
static struct ys_pipeline *pl;

static void setup(void)
{
	char err[256];
	void *db;
	struct ys_pipeline_conf pc = { .max_message_bytes = 64 * 1024, .by_source = false };

	ys_log_set_level(YS_LOG_ERROR);
	db = ys_store_sqlite_open(":memory:", err, sizeof(err));
	st = db ? ys_store_wrap(&ys_store_sqlite_driver, db, err, sizeof(err)) : NULL;
	rs = ys_corr_rules_parse("fuzz-rules", rules, strlen(rules), err, sizeof(err));
	if (!st || !rs) {
		fprintf(stderr, "fuzz setup: %s\n", err);
		abort();
	}
	eng = ys_corr_new(rs, NULL);
	ys_ingest_metrics_init(&metrics);
	pl = ys_pipeline_new(st, eng, &metrics, &pc, NULL);
	if (!eng || !pl)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ys_msg m;

	if (!pl)
		setup();
	if (size < 1)
		return 0;
	m = (struct ys_msg){ .kind = (enum ys_msg_kind)(data[0] % 3),
			     .payload = (const char *)data + 1,
			     .len = size - 1,
			     .kafka_ts_ms = 1,
			     .topic = "fuzz" };
	if (ys_pipeline_begin(pl))
		abort();
	if (ys_pipeline_add(pl, &m)) {
		ys_pipeline_abort(pl);
		return 0;
	}
	if (ys_pipeline_commit(pl))
		abort(); /* an in-memory store never fails to commit what it accepted */
	return 0;
}
