/*
 * The ingest pipeline without Kafka (SQLite in a temporary directory, the
 * bundled correlation rules): bad input of every kind is dead-lettered with a
 * clear reason and nothing stored is altered; a replayed batch stores and
 * correlates nothing twice; a rolled-back batch leaves no trace; a brute-force
 * flood becomes one incident, produced after commit; sensor heartbeats and a
 * silent sensor.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"
#include "ys_event.h"

#define SEC 1000000LL

struct env {
	char dir[64];
	struct ys_store *st;
	struct ys_corr_ruleset *rs;
	struct ys_corr_engine *eng;
	struct ys_ingest_metrics m;
	struct ys_pipeline *pl;
	int dead, incidents, by_source;
	char reasons[16][256];
	char last_incident[4096];
	char last_by_source[4096];
};

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * SEC + ts.tv_nsec / 1000;
}

static void on_dead(void *user, const struct ys_msg *m, const char *reason)
{
	struct env *e = user;

	if (e->dead < 16)
		snprintf(e->reasons[e->dead], sizeof(e->reasons[0]), "%s", reason);
	e->dead++;
}

static void on_by_source(void *user, const char *key, const char *json, size_t len)
{
	struct env *e = user;

	e->by_source++;
	snprintf(e->last_by_source, sizeof(e->last_by_source), "%.*s", (int)len, json);
}

static void on_incident(void *user, const char *tenant, const char *json, size_t len)
{
	struct env *e = user;

	e->incidents++;
	snprintf(e->last_incident, sizeof(e->last_incident), "%.*s", (int)len, json);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	const char *src = getenv("YS_SOURCE_DIR");
	char path[128], dir[1024], err[512];
	struct ys_pipeline_conf pc = { .max_message_bytes = 4096,
				       .heartbeat_s = 10,
				       .by_source = true };
	struct ys_pipeline_out out = { .user = e,
				       .dead_letter = on_dead,
				       .by_source = on_by_source,
				       .incident = on_incident };
	void *db;

	snprintf(e->dir, sizeof(e->dir), "/tmp/ys-pipeline-test-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(path, sizeof(path), "%s/t.db", e->dir);
	db = ys_store_sqlite_open(path, err, sizeof(err));
	assert_non_null(db);
	e->st = ys_store_wrap(&ys_store_sqlite_driver, db, err, sizeof(err));
	assert_non_null(e->st);
	snprintf(dir, sizeof(dir), "%s/rules/correlation", src ? src : ".");
	e->rs = ys_corr_rules_load_dir(dir, err, sizeof(err));
	if (!e->rs)
		fail_msg("%s (run through ctest, which sets YS_SOURCE_DIR)", err);
	e->eng = ys_corr_new(e->rs, NULL);
	ys_ingest_metrics_init(&e->m);
	e->pl = ys_pipeline_new(e->st, e->eng, &e->m, &pc, &out);
	assert_non_null(e->pl);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	ys_pipeline_free(e->pl);
	ys_corr_free(e->eng);
	ys_corr_rules_free(e->rs);
	ys_store_close(e->st);
	ys_ingest_metrics_destroy(&e->m);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	free(e);
	return system(cmd) == 0 ? 0 : -1;
}

static char *alert_json(const char *id, const char *tenant, const char *src, const char *sig)
{
	char ts[YS_EVE_TS_LEN];
	json_t *ev;
	char *text;

	ys_eve_timestamp((uint64_t)now_us(), ts);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:{s:s, s:i, s:i, s:i, s:s, s:s,"
		       " s:i}, s:{s:s, s:s, s:s}, s:s}",
		       "timestamp", ts, "event_type", "alert", "src_ip", src, "dest_ip", "10.0.0.5",
		       "proto", "TCP", "tenant", tenant, "tenant_id", 3, "event_id", id, "alert",
		       "action", "allowed", "gid", 1, "signature_id", 9100501, "rev", 1,
		       "signature", sig, "category", "Attempted Administrator Privilege Gain",
		       "severity", 2, "sensor", "id", "s1", "rack", "r1", "host", "h1",
		       "x_unknown_field", "kept");
	text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	return text;
}

static int add(struct env *e, enum ys_msg_kind kind, const char *payload, size_t len)
{
	struct ys_msg m = { .kind = kind,
			    .payload = payload,
			    .len = len,
			    .kafka_ts_ms = now_us() / 1000,
			    .topic = "t" };

	return ys_pipeline_add(e->pl, &m);
}

static void test_bad_input(void **state)
{
	struct env *e = *state;
	char big[8192], id[YS_UUID_STR_LEN];
	char *good, *bad_type;
	int64_t n;
	const char *const cases[] = {
		"{\"event_type\": \"alert\"",				     /* truncated */
		"[1, 2, 3]",						     /* not an object */
		"{\"a\": 1, \"a\": 2}",					     /* duplicate keys */
		"{\"timestamp\": \"yesterday\", \"event_type\": \"alert\"}", /* schema */
		"\"just a string\"",
		"",
	};

	ys_uuid7(id);
	good = alert_json(id, "acme", "1.1.1.1", "'; DROP TABLE alerts; -- brute");
	assert_int_equal(ys_pipeline_begin(e->pl), 0);
	assert_int_equal(add(e, YS_MSG_ALERT, good, strlen(good)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(add(e, YS_MSG_ALERT, cases[i], strlen(cases[i])), 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(add(e, YS_MSG_ALERT, big, sizeof(big)), 0);
	/* a wrong type: severity as a string */
	{
		const char *p = strstr(good, "\"severity\":2");
		size_t cut;

		assert_non_null(p);
		cut = (size_t)(p - good);
		bad_type = malloc(strlen(good) + 8);
		assert_non_null(bad_type);
		snprintf(bad_type, strlen(good) + 8, "%.*s\"severity\":\"2\"%s", (int)cut, good,
			 p + strlen("\"severity\":2"));
	}
	assert_int_equal(add(e, YS_MSG_ALERT, bad_type, strlen(bad_type)), 0);
	assert_int_equal(ys_pipeline_commit(e->pl), 0);
	assert_int_equal(e->dead, 8);
	assert_non_null(strstr(e->reasons[0], "malformed JSON"));
	assert_non_null(strstr(e->reasons[1], "not a JSON object"));
	assert_non_null(strstr(e->reasons[2], "malformed JSON"));
	assert_non_null(strstr(e->reasons[3], "schema:"));
	assert_non_null(strstr(e->reasons[6], "oversized"));
	assert_non_null(strstr(e->reasons[7], "schema:"));
	/* the good one is stored byte for byte, SQL-looking text and unknown field included */
	assert_int_equal(ys_store_count(e->st, "alerts", &n), 0);
	assert_int_equal(n, 1);
	{
		struct ys_tenant_scope all = { .all = true };
		json_t *got, *want = json_loads(good, 0, NULL);

		assert_int_equal(ys_store_alert_get(e->st, &all, id, &got), 0);
		assert_true(json_equal(got, want));
		json_decref(got);
		json_decref(want);
	}
	free(good);
	free(bad_type);
}

/*
 * A large call is parsed on two threads, each into its own JSON arena, and
 * the arenas are reused by the next call: every alert is stored once, the
 * malformed ones in the middle are dead-lettered, the replay is a no-op.
 */
static void test_many_on_two_threads(void **state)
{
	enum { N = 600 };
	struct env *e = *state;
	struct ys_msg *m = calloc(N, sizeof(*m));
	char **msgs = calloc(N, sizeof(*msgs));
	char id[YS_UUID_STR_LEN];
	int64_t n;

	assert_non_null(m);
	assert_non_null(msgs);
	for (int i = 0; i < N; i++) {
		ys_uuid7(id);
		msgs[i] = i % 100 == 50 ? strdup("{\"truncated\": ")
					: alert_json(id, i % 2 ? "acme" : "globex", "6.6.6.6",
						     "SSH brute force");
		m[i] = (struct ys_msg){ .kind = YS_MSG_ALERT,
					.payload = msgs[i],
					.len = strlen(msgs[i]),
					.topic = "t" };
	}
	for (int round = 0; round < 2; round++) {
		assert_int_equal(ys_pipeline_begin(e->pl), 0);
		assert_int_equal(ys_pipeline_add_many(e->pl, m, N), 0);
		assert_int_equal(ys_pipeline_commit(e->pl), 0);
		assert_int_equal(ys_store_count(e->st, "alerts", &n), 0);
		assert_int_equal(n, N - N / 100);
		assert_int_equal(e->dead, (round + 1) * (N / 100));
	}
	assert_int_equal(atomic_load(&e->m.duplicates), N - N / 100);
	for (int i = 0; i < N; i++)
		free(msgs[i]);
	free(msgs);
	free(m);
}

static void test_replay_and_rollback(void **state)
{
	struct env *e = *state;
	char ids[30][YS_UUID_STR_LEN];
	char *msgs[30];
	int64_t n;

	for (int i = 0; i < 30; i++) {
		ys_uuid7(ids[i]);
		msgs[i] = alert_json(ids[i], "acme", "6.6.6.6", "SSH brute force");
	}
	/* a batch that fails before commit leaves nothing behind */
	assert_int_equal(ys_pipeline_begin(e->pl), 0);
	for (int i = 0; i < 30; i++)
		assert_int_equal(add(e, YS_MSG_ALERT, msgs[i], strlen(msgs[i])), 0);
	ys_pipeline_abort(e->pl);
	assert_int_equal(ys_store_count(e->st, "alerts", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ys_store_count(e->st, "incidents", &n), 0);
	assert_int_equal(n, 0);
	/* the replay stores all 30 and opens one brute-force incident (threshold 20) */
	assert_int_equal(ys_pipeline_begin(e->pl), 0);
	for (int i = 0; i < 30; i++)
		assert_int_equal(add(e, YS_MSG_ALERT, msgs[i], strlen(msgs[i])), 0);
	assert_int_equal(ys_pipeline_commit(e->pl), 0);
	assert_int_equal(ys_store_count(e->st, "alerts", &n), 0);
	assert_int_equal(n, 30);
	assert_int_equal(e->incidents, 1);
	{
		json_t *inc = json_loads(e->last_incident, 0, NULL);

		assert_string_equal(json_string_value(json_object_get(inc, "rule")),
				    "ys.corr.brute-force");
		assert_int_equal(json_integer_value(json_object_get(inc, "alert_count")), 30);
		json_decref(inc);
	}
	/* summaries leave at least once: the rolled-back batch sent its 30 too */
	assert_int_equal(e->by_source, 60);
	/* the same batch again (a crash before the offset commit): nothing new anywhere */
	assert_int_equal(ys_pipeline_begin(e->pl), 0);
	for (int i = 0; i < 30; i++)
		assert_int_equal(add(e, YS_MSG_ALERT, msgs[i], strlen(msgs[i])), 0);
	assert_int_equal(ys_pipeline_commit(e->pl), 0);
	assert_int_equal(ys_store_count(e->st, "alerts", &n), 0);
	assert_int_equal(n, 30);
	assert_int_equal(e->incidents, 1);
	assert_int_equal(atomic_load(&e->m.duplicates), 30);
	assert_int_equal(e->by_source, 60); /* duplicates are not re-partitioned */
	assert_int_equal(ys_store_count(e->st, "incidents", &n), 0);
	assert_int_equal(n, 1);
	for (int i = 0; i < 30; i++)
		free(msgs[i]);
}

/* Private and local sources name different hosts in different tenants: never re-keyed. */
static void test_private_sources_stay_local(void **state)
{
	struct env *e = *state;
	const char *const srcs[] = { "10.1.2.3",  "172.20.0.9", "192.168.7.7", "100.64.1.1",
				     "127.0.0.1", "fd00::1",	"fe80::2",     "::ffff:10.0.0.1",
				     "8.8.8.8",	  "2001:db8::5" };
	char id[YS_UUID_STR_LEN];

	assert_int_equal(ys_pipeline_begin(e->pl), 0);
	for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		char *msg;

		ys_uuid7(id);
		msg = alert_json(id, "acme", srcs[i], "x");
		assert_int_equal(add(e, YS_MSG_ALERT, msg, strlen(msg)), 0);
		free(msg);
	}
	assert_int_equal(ys_pipeline_commit(e->pl), 0);
	assert_int_equal(e->by_source, 2); /* only 8.8.8.8 and 2001:db8::5 */
}

#define YS_T_ALERT_FULL                                                                            \
	"{\"timestamp\":\"%s\",\"event_type\":\"alert\",\"src_ip\":\"8.8.8.8\","                   \
	"\"dest_ip\":\"10.0.0.5\",\"proto\":\"TCP\",\"tenant\":\"acme\",\"tenant_id\":3,"          \
	"\"event_id\":\"%s\",\"alert\":{\"action\":\"allowed\",\"gid\":1,"                         \
	"\"signature_id\":9100501,\"rev\":1,\"signature\":\"ET \\\"quoted\\\" \\/ "                \
	"\\u00e9\","                                                                               \
	"\"category\":\"Attempted Administrator Privilege Gain\",\"severity\":2,"                  \
	"\"metadata\":{\"mlps\":[\"8.1.3.3a\",\"x\"],\"n\":[\"a\\\\tb\",\"\\u4e2d\"]}},"           \
	"\"sensor\":{\"id\":\"s1\",\"rack\":\"r1\",\"host\":\"h1\"}}"
/* no metadata: null */
#define YS_T_ALERT_SPARSE                                                                          \
	"{\"timestamp\":\"%s\",\"event_type\":\"alert\",\"src_ip\":\"2001:db8::5\",\"dest_ip\":"   \
	"\"fd00::1\","                                                                             \
	"\"proto\":\"UDP\",\"tenant\":\"globex\",\"tenant_id\":4,\"event_id\":\"%s\","             \
	"\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":7,\"rev\":1,"                \
	"\"signature\":\"s\",\"category\":\"c\",\"severity\":3},\"sensor\":{\"id\":\"s2\","        \
	"\"rack\":\"r2\",\"host\":\"h2\"}}"

/*
 * The by-source summary is written straight from the parsed alert: it must be
 * the text json_pack + json_dumps would give (null for an absent field, the
 * escapes, nested metadata and sensor objects in their order).
 */
static void test_by_source_summary_text(void **state)
{
	struct env *e = *state;

	for (int i = 0; i < 2; i++) {
		char ts[YS_EVE_TS_LEN], id[YS_UUID_STR_LEN], msg[2048], *want;
		json_t *ev, *alert, *sum;

		ys_eve_timestamp((uint64_t)now_us(), ts);
		ys_uuid7(id);
		snprintf(msg, sizeof(msg), i == 0 ? YS_T_ALERT_FULL : YS_T_ALERT_SPARSE, ts, id);
		ev = json_loads(msg, 0, NULL);
		assert_non_null(ev);
		alert = json_object_get(ev, "alert");
		sum = json_pack(
			"{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:{s:O?, s:O?, s:O?, s:O?,"
			" s:O?, s:O?}}",
			"event_id", json_object_get(ev, "event_id"), "timestamp",
			json_object_get(ev, "timestamp"), "tenant", json_object_get(ev, "tenant"),
			"tenant_id", json_object_get(ev, "tenant_id"), "src_ip",
			json_object_get(ev, "src_ip"), "dest_ip", json_object_get(ev, "dest_ip"),
			"sensor", json_object_get(ev, "sensor"), "alert", "signature_id",
			json_object_get(alert, "signature_id"), "gid",
			json_object_get(alert, "gid"), "signature",
			json_object_get(alert, "signature"), "category",
			json_object_get(alert, "category"), "severity",
			json_object_get(alert, "severity"), "metadata",
			json_object_get(alert, "metadata"));
		assert_non_null(sum);
		want = json_dumps(sum, JSON_COMPACT);
		e->by_source = 0;
		assert_int_equal(ys_pipeline_begin(e->pl), 0);
		assert_int_equal(add(e, YS_MSG_ALERT, msg, strlen(msg)), 0);
		assert_int_equal(ys_pipeline_commit(e->pl), 0);
		if (e->dead)
			fail_msg("dead letter: %s", e->reasons[0]);
		assert_int_equal(e->by_source, 1);
		assert_string_equal(e->last_by_source, want);
		free(want);
		json_decref(sum);
		json_decref(ev);
	}
}

static void test_sensor_heartbeats(void **state)
{
	struct env *e = *state;
	char ts_old[YS_EVE_TS_LEN], msg[512];
	const char *bad = "{\"sensor\": {\"rack\": \"r9\"}}";
	int64_t n;

	ys_eve_timestamp((uint64_t)(now_us() - 120 * SEC), ts_old);
	snprintf(msg, sizeof(msg),
		 "{\"timestamp\":\"%s\",\"event_type\":\"stats\",\"sensor\":{\"id\":\"quiet-1\","
		 "\"rack\":\"r7\",\"host\":\"h7\"},\"kafka\":{\"delivered\":5}}",
		 ts_old);
	assert_int_equal(ys_pipeline_begin(e->pl), 0);
	assert_int_equal(add(e, YS_MSG_STATS, msg, strlen(msg)), 0);
	assert_int_equal(add(e, YS_MSG_STATS, bad, strlen(bad)), 0);
	assert_int_equal(ys_pipeline_commit(e->pl), 0);
	assert_int_equal(e->dead, 1);
	assert_int_equal(ys_store_count(e->st, "sensors", &n), 0);
	assert_int_equal(n, 1);
	/* 120 s without a heartbeat at a 10 s interval: one warning incident, raised once */
	assert_int_equal(ys_pipeline_tick(e->pl, now_us(), 180LL * 86400 * SEC, 0), 0);
	assert_int_equal(ys_pipeline_tick(e->pl, now_us(), 180LL * 86400 * SEC, 0), 0);
	{
		struct ys_tenant_scope all = { .all = true };
		struct ys_incident_query q = { 0 };
		json_t *out, *inc;

		assert_int_equal(ys_store_incidents_query(e->st, &all, &q, &out), 0);
		assert_int_equal(json_array_size(json_object_get(out, "incidents")), 1);
		inc = json_array_get(json_object_get(out, "incidents"), 0);
		assert_string_equal(json_string_value(json_object_get(inc, "rule")),
				    "ys.sensor-silent");
		assert_string_equal(json_string_value(json_object_get(inc, "level")), "yellow");
		json_decref(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_and_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_sources_stay_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_on_two_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_by_source_summary_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sensor_heartbeats, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
