/*
 * The store against a real database: SQLite in a temporary directory always,
 * and PostgreSQL when YS_TEST_PG_CONNINFO names a server we may reset (the
 * integration suite starts a private PostgreSQL 15 and sets it). Each group
 * runs the same checks on both drivers: migrations, de-duplication, scoped
 * queries and paging, incident collapse and actions, the audit chain and its
 * append-only guard, tampering detection, retention purge, situation, sensors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "ys_event.h"

#define SEC 1000000LL

struct ctx {
	struct ys_store *st;
	char dir[64];
	bool pg;
};

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * SEC + ts.tv_nsec / 1000;
}

static int setup_sqlite(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	char err[256], path[128];
	void *db;

	snprintf(c->dir, sizeof(c->dir), "/tmp/ys-store-test-XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	snprintf(path, sizeof(path), "%s/t.db", c->dir);
	db = ys_store_sqlite_open(path, err, sizeof(err));
	assert_non_null(db);
	c->st = ys_store_wrap(&ys_store_sqlite_driver, db, err, sizeof(err));
	assert_non_null(c->st);
	*state = c;
	return 0;
}

static int setup_pg(void **state)
{
	const char *ci = getenv("YS_TEST_PG_CONNINFO");
	struct ctx *c;
	char err[256];
	void *db;

	if (!ci || !*ci) {
		printf("skip: PostgreSQL tests need YS_TEST_PG_CONNINFO (tests/integration/"
		       "test_ingest_pg.py starts a private server and sets it)\n");
		*state = NULL;
		return 0;
	}
	c = calloc(1, sizeof(*c));
	c->pg = true;
	db = ys_store_pg_open(ci, err, sizeof(err));
	if (!db)
		fail_msg("%s", err);
	/* A database handed to this test is ours to reset. */
	assert_int_equal(ys_store_pg_driver.script(
				 db, "DROP TABLE IF EXISTS alerts, sensors, incidents,"
				     " incident_alerts, incident_comments, incident_history, audit,"
				     " schema_version CASCADE;"
				     " DROP FUNCTION IF EXISTS ys_audit_append_only() CASCADE"),
			 0);
	c->st = ys_store_wrap(&ys_store_pg_driver, db, err, sizeof(err));
	if (!c->st)
		fail_msg("%s", err);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	char cmd[128];

	if (!c)
		return 0;
	ys_store_close(c->st);
	if (!c->pg) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", c->dir);
		if (system(cmd) != 0)
			return -1;
	}
	free(c);
	return 0;
}

#define NEED_STORE(c)                                                                              \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

static int insert(struct ys_store *st, const char *tenant, const char *src, int sid,
		  const char *sig, int64_t ts, char *id_out)
{
	char id[YS_UUID_STR_LEN], tsbuf[YS_EVE_TS_LEN];
	struct ys_alert_row row;
	json_t *ev;
	int ret;

	ys_uuid7(id);
	if (id_out)
		memcpy(id_out, id, sizeof(id));
	ys_eve_timestamp((uint64_t)ts, tsbuf);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:{s:s, s:i, s:i, s:i, s:s, s:s,"
		       " s:i}, s:{s:s, s:s, s:s}}",
		       "timestamp", tsbuf, "event_type", "alert", "src_ip", src, "dest_ip",
		       "10.0.0.1", "proto", "TCP", "tenant", tenant, "tenant_id", 1, "event_id", id,
		       "alert", "action", "allowed", "gid", 1, "signature_id", sid, "rev", 1,
		       "signature", sig, "category", "c", "severity", 2, "sensor", "id", "s1",
		       "rack", "r1", "host", "h1");
	assert_int_equal(ys_alert_row_from_json(ev, &row), 0);
	row.json = json_dumps(ev, JSON_COMPACT);
	ret = ys_store_alert_insert(st, &row);
	if (ret == 1)
		assert_int_equal(ys_store_alert_insert(st, &row), 0); /* the replay is dropped */
	free((char *)row.json);
	json_decref(ev);
	return ret;
}

static void test_migrations(void **state)
{
	struct ctx *c = *state;
	int v = 0;

	NEED_STORE(c);
	assert_int_equal(ys_store_schema_version(c->st, &v), 0);
	assert_int_equal(v, YS_STORE_SCHEMA_VERSION);
}

static const char *const acme[] = { "acme" };

static void test_alerts_scope_paging(void **state)
{
	struct ctx *c = *state;
	struct ys_tenant_scope s_acme = { .names = acme, .n = 1 }, s_all = { .all = true },
			       s_none = { 0 };
	char ids[40][YS_UUID_STR_LEN], seen[40] = { 0 };
	const char *cursor = NULL;
	json_t *out = NULL, *next = NULL;
	int64_t t0 = now_us() - 3600 * SEC, n;
	int pages = 0, total = 0;

	NEED_STORE(c);
	for (int i = 0; i < 40; i++)
		assert_int_equal(insert(c->st, i % 2 ? "acme" : "globex", "1.2.3.4", 100 + i % 3,
					i == 7 ? "50% off ' OR 1=1; DROP TABLE alerts; --" : "sig",
					t0 + (i / 4) * SEC, ids[i]),
				 1);
	assert_int_equal(ys_store_count(c->st, "alerts", &n), 0);
	assert_int_equal(n, 40);
	/* page through acme's 20 alerts 6 at a time: each exactly once, none of globex */
	do {
		struct ys_alert_query q = { .limit = 6, .cursor = cursor };
		size_t i;
		json_t *a;

		assert_int_equal(ys_store_alerts_query(c->st, &s_acme, &q, &out), 0);
		json_array_foreach(json_object_get(out, "alerts"), i, a)
		{
			const char *id = json_string_value(json_object_get(a, "event_id"));

			assert_string_equal(json_string_value(json_object_get(a, "tenant")),
					    "acme");
			for (int k = 0; k < 40; k++)
				if (strcmp(ids[k], id) == 0)
					seen[k]++;
			total++;
		}
		json_decref(next);
		next = json_incref(json_object_get(out, "next_cursor"));
		cursor = json_string_value(next);
		json_decref(out);
		pages++;
	} while (cursor && pages < 10);
	json_decref(next);
	assert_int_equal(total, 20);
	assert_int_equal(pages, 4);
	for (int k = 0; k < 40; k++)
		assert_int_equal(seen[k], k % 2 ? 1 : 0);
	/* filters: sid, and q with SQL and LIKE characters taken literally */
	{
		struct ys_alert_query q = { .sid = 101 };

		assert_int_equal(ys_store_alerts_query(c->st, &s_all, &q, &out), 0);
		assert_int_equal(json_array_size(json_object_get(out, "alerts")), 13);
		json_decref(out);
		q = (struct ys_alert_query){ .q = "50% off ' or 1=1" };
		assert_int_equal(ys_store_alerts_query(c->st, &s_all, &q, &out), 0);
		assert_int_equal(json_array_size(json_object_get(out, "alerts")), 1);
		assert_string_equal(
			json_string_value(json_object_get(
				json_object_get(json_array_get(json_object_get(out, "alerts"), 0),
						"alert"),
				"signature")),
			"50% off ' OR 1=1; DROP TABLE alerts; --");
		json_decref(out);
		q = (struct ys_alert_query){ .q = "%" };
		assert_int_equal(ys_store_alerts_query(c->st, &s_all, &q, &out), 0);
		assert_int_equal(json_array_size(json_object_get(out, "alerts")), 1);
		json_decref(out);
		q = (struct ys_alert_query){ .tenant = "globex" };
		assert_int_equal(ys_store_alerts_query(c->st, &s_acme, &q, &out), 0);
		assert_int_equal(json_array_size(json_object_get(out, "alerts")), 0);
		json_decref(out);
		q = (struct ys_alert_query){ .cursor = "1' OR '1'='1" };
		assert_int_equal(ys_store_alerts_query(c->st, &s_all, &q, &out), -EINVAL);
	}
	/* one alert by id: visible in scope, 404 outside (never a hint that it exists) */
	assert_int_equal(ys_store_alert_get(c->st, &s_acme, ids[1], &out), 0);
	json_decref(out);
	assert_int_equal(ys_store_alert_get(c->st, &s_acme, ids[0], &out), -ENOENT);
	assert_int_equal(ys_store_alert_get(c->st, &s_none, ids[1], &out), -ENOENT);
}

static int apply(struct ys_store *st, const char *tenant, const char *group, int64_t count,
		 const char *eid, int64_t *id, bool *created)
{
	const char *src[] = { "1.2.3.4" }, *dst[] = { "10.0.0.1" }, *sig[] = { "sig" },
		   *mlps[] = { "8.1.3.3a" }, *ev[] = { eid };
	struct ys_incident_delta d = { .rule = "ys.test",
				       .title = "Test",
				       .tenant = tenant,
				       .group_key = group,
				       .severity = 2,
				       .level = "orange",
				       .mlps = mlps,
				       .nmlps = 1,
				       .first_seen = now_us() - 10 * SEC,
				       .last_seen = now_us(),
				       .alert_count = count,
				       .src_ips = src,
				       .nsrc = 1,
				       .dest_ips = dst,
				       .ndest = 1,
				       .signatures = sig,
				       .nsig = 1,
				       .event_ids = ev,
				       .nevents = eid ? 1 : 0 };
	int ret;

	ret = ys_store_begin(st);
	if (!ret)
		ret = ys_store_incident_apply(st, &d, id, created);
	if (!ret)
		ret = ys_store_commit(st);
	else
		ys_store_rollback(st);
	return ret;
}

static void test_incidents(void **state)
{
	struct ctx *c = *state;
	struct ys_tenant_scope s_acme = { .names = acme, .n = 1 }, s_all = { .all = true };
	const char *const globex[] = { "globex" };
	struct ys_tenant_scope s_globex = { .names = globex, .n = 1 };
	char eid[YS_UUID_STR_LEN];
	int64_t id1, id2, id3;
	bool created;
	json_t *out;

	NEED_STORE(c);
	assert_int_equal(insert(c->st, "acme", "1.2.3.4", 1, "brute", now_us() - SEC, eid), 1);
	assert_int_equal(apply(c->st, "acme", "g1", 20, eid, &id1, &created), 0);
	assert_true(created);
	/* a flood: the same open incident grows, no new rows */
	for (int i = 0; i < 50; i++)
		assert_int_equal(apply(c->st, "acme", "g1", 100, NULL, &id2, &created), 0);
	assert_false(created);
	assert_int_equal(id1, id2);
	assert_int_equal(ys_store_incident_get(c->st, &s_acme, id1, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "alert_count")), 5020);
	assert_string_equal(json_string_value(json_object_get(out, "level")), "orange");
	assert_int_equal(json_array_size(json_object_get(out, "alerts")), 1);
	assert_int_equal(json_array_size(json_object_get(out, "history")), 1);
	json_decref(out);
	/* another tenant's token: not found, and actions refused the same way */
	assert_int_equal(ys_store_incident_get(c->st, &s_globex, id1, &out), -ENOENT);
	assert_int_equal(ys_store_incident_act(c->st, &s_globex, id1, YS_INCIDENT_CLOSE, "eve", "x",
					       now_us()),
			 -ENOENT);
	/* analyst workflow */
	assert_int_equal(ys_store_incident_act(c->st, &s_acme, id1, YS_INCIDENT_ACK, "alice", NULL,
					       now_us()),
			 0);
	assert_int_equal(ys_store_incident_act(c->st, &s_acme, id1, YS_INCIDENT_ASSIGN, "alice",
					       "bob", now_us()),
			 0);
	assert_int_equal(ys_store_incident_act(c->st, &s_acme, id1, YS_INCIDENT_COMMENT, "bob",
					       "looking <b>into</b> it", now_us()),
			 0);
	/* acknowledged is still open: the flood keeps adding to it */
	assert_int_equal(apply(c->st, "acme", "g1", 1, NULL, &id2, &created), 0);
	assert_int_equal(id1, id2);
	assert_int_equal(ys_store_incident_act(c->st, &s_all, id1, YS_INCIDENT_CLOSE, "bob",
					       "false positive", now_us()),
			 0);
	assert_int_equal(ys_store_incident_act(c->st, &s_all, id1, YS_INCIDENT_CLOSE, "bob",
					       "again", now_us()),
			 -EALREADY);
	assert_int_equal(ys_store_incident_get(c->st, &s_acme, id1, &out), 0);
	assert_string_equal(json_string_value(json_object_get(out, "status")), "closed");
	assert_string_equal(json_string_value(json_object_get(out, "assignee")), "bob");
	assert_int_equal(json_array_size(json_object_get(out, "comments")), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(out, "comments"), 0), "text")),
			    "looking <b>into</b> it");
	assert_int_equal(json_array_size(json_object_get(out, "history")), 5);
	json_decref(out);
	/* after closing, the same group opens a new incident */
	assert_int_equal(apply(c->st, "acme", "g1", 3, NULL, &id3, &created), 0);
	assert_true(created);
	assert_true(id3 != id1);
	/* list: filters and scope */
	{
		struct ys_incident_query q = { .status = "closed" };

		assert_int_equal(ys_store_incidents_query(c->st, &s_acme, &q, &out), 0);
		assert_int_equal(json_array_size(json_object_get(out, "incidents")), 1);
		json_decref(out);
		q = (struct ys_incident_query){ 0 };
		assert_int_equal(ys_store_incidents_query(c->st, &s_globex, &q, &out), 0);
		assert_int_equal(json_array_size(json_object_get(out, "incidents")), 0);
		json_decref(out);
	}
	/* the situation: acme is orange (an open orange incident) */
	assert_int_equal(ys_store_situation(c->st, &s_acme, NULL, now_us(), &out), 0);
	{
		json_t *t = json_array_get(json_object_get(out, "tenants"), 0);

		assert_string_equal(json_string_value(json_object_get(t, "tenant")), "acme");
		assert_string_equal(json_string_value(json_object_get(t, "level")), "orange");
		assert_int_equal(json_integer_value(json_object_get(t, "incidents_open")), 1);
		assert_int_equal(json_array_size(json_object_get(t, "trend")), 24);
		assert_true(json_integer_value(json_object_get(t, "alerts_24h")) >= 1);
	}
	json_decref(out);
}

static void test_audit_chain(void **state)
{
	struct ctx *c = *state;
	const struct ys_store_driver *drv;
	struct ys_audit_verdict v;
	json_t *out;
	void *db;

	NEED_STORE(c);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ys_store_audit_append(c->st, now_us(), "alice", "config.load",
						       "ingest.yaml", "{\"i\":1}", false),
				 0);
	assert_int_equal(ys_store_audit_verify(c->st, &v), 0);
	assert_true(v.ok);
	assert_true(v.records >= 5); /* plus the analysts' actions of test_incidents */
	assert_int_equal(ys_store_audit_query(c->st, 0, 2, NULL, &out), 0);
	assert_int_equal(json_array_size(json_object_get(out, "records")), 2);
	assert_true(json_is_string(json_object_get(out, "next_cursor")));
	json_decref(out);
	drv = ys_store_driver_of(c->st, &db);
	/* append-only: the database itself refuses edits and deletions */
	{
		struct ys_sql_param p = { .type = YS_SQL_TEXT, .s = "mallory" };

		assert_true(drv->exec(db, "UPDATE audit SET actor = ? WHERE seq = 3", &p, 1, NULL,
				      NULL) < 0);
		assert_true(drv->exec(db, "DELETE FROM audit WHERE seq = 3", NULL, 0, NULL, NULL) <
			    0);
	}
	assert_int_equal(ys_store_audit_verify(c->st, &v), 0);
	assert_true(v.ok);
	/* someone with the database owner's rights removes the guard and edits record 3 */
	assert_int_equal(
		drv->script(db, c->pg ? "ALTER TABLE audit DISABLE TRIGGER USER;"
					"UPDATE audit SET detail = '{\"i\":2}' WHERE seq = 3"
				      : "DROP TRIGGER audit_no_update;"
					"UPDATE audit SET detail = '{\"i\":2}' WHERE seq = 3"),
		0);
	assert_int_equal(ys_store_audit_verify(c->st, &v), 0);
	assert_false(v.ok);
	assert_int_equal(v.first_bad, 3);
	assert_non_null(strstr(v.reason, "hash"));
}

static void test_purge_and_sensors(void **state)
{
	struct ctx *c = *state;
	int64_t now = now_us(), n = -1, before, after;
	json_t *out;

	NEED_STORE(c);
	struct ys_audit_verdict v0, v1;

	assert_int_equal(ys_store_audit_append(c->st, now - 400LL * 86400 * SEC, "system",
					       "config.load", "x", "{}", false),
			 0);
	assert_int_equal(ys_store_audit_verify(c->st, &v0), 0);
	assert_int_equal(
		insert(c->st, "acme", "9.9.9.9", 5, "old", now - 200LL * 86400 * SEC, NULL), 1);
	assert_int_equal(ys_store_count(c->st, "alerts", &before), 0);
	assert_int_equal(ys_store_count(c->st, "audit", &n), 0);
	assert_int_equal(ys_store_purge(c->st, now - 180LL * 86400 * SEC, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ys_store_count(c->st, "alerts", &after), 0);
	assert_int_equal(after, before - 1);
	/* the audit chain is never purged: same records, same verdict (the earlier test broke it) */
	assert_int_equal(ys_store_audit_verify(c->st, &v1), 0);
	assert_int_equal(v1.records, v0.records);
	assert_int_equal(v1.first_bad, v0.first_bad);
	assert_int_equal(v1.ok, v0.ok);
	/* heartbeats: one fresh, one silent for > 3 intervals */
	assert_int_equal(
		ys_store_sensor_upsert(c->st, "s-ok", "r1", "h1", now - 5 * SEC, 10, "{\"x\":1}"),
		0);
	assert_int_equal(
		ys_store_sensor_upsert(c->st, "s-quiet", "r2", "h2", now - 31 * SEC, 10, "{}"), 0);
	/* an older heartbeat never overwrites a newer one */
	assert_int_equal(
		ys_store_sensor_upsert(c->st, "s-ok", "r1", "h1", now - 500 * SEC, 10, "{}"), 0);
	assert_int_equal(ys_store_sensors_silent(c->st, now, &out), 0);
	assert_int_equal(json_array_size(out), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "id")),
			    "s-quiet");
	json_decref(out);
	{
		struct ys_tenant_scope all = { .all = true };

		assert_int_equal(ys_store_sensors(c->st, &all, now, &out), 0);
		assert_int_equal(json_array_size(json_object_get(out, "sensors")), 2);
		assert_string_equal(
			json_string_value(json_object_get(
				json_array_get(json_object_get(out, "sensors"), 0), "status")),
			"ok");
		json_decref(out);
	}
}

int main(void)
{
	const struct CMUnitTest sqlite[] = {
		cmocka_unit_test(test_migrations),
		cmocka_unit_test(test_alerts_scope_paging),
		cmocka_unit_test(test_incidents),
		cmocka_unit_test(test_audit_chain),
		cmocka_unit_test(test_purge_and_sensors),
	};
	int fails;

	fails = cmocka_run_group_tests_name("store_sqlite", sqlite, setup_sqlite, teardown);
	fails += cmocka_run_group_tests_name("store_postgres", sqlite, setup_pg, teardown);
	return fails;
}
