/*
 * Unit tests of the MLPS evidence report over a real SQLite store filled with
 * a small fixture: every figure is checked against what the fixture put in
 * (period edges, tenant scope, external/internal sources, serious alarms with
 * their acknowledge time, audit chain, sensors, rule updates), the HTML
 * escapes what came from traffic, and, where Chromium is installed, the PDF
 * is a PDF. With YS_REPORT_TEST_PG=<conninfo> the fixture lives in that
 * PostgreSQL database instead (its public schema is dropped and re-created).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "report.h"
#include "ys_event.h"

#define SEC 1000000LL
#define T0  (1764000000LL * SEC) /* 2025-11-24T16:00:00Z */

struct fixture {
	char dir[64];
	struct ys_store *st;
	struct ys_report_params p;
};

static void add_alert(struct ys_store *st, const char *id, int64_t ts, const char *tenant, int sev,
		      int sid, const char *sig, const char *cat, const char *src, const char *dst,
		      const char *sensor, bool tunnel)
{
	char tsbuf[YS_EVE_TS_LEN];
	struct ys_alert_row row;
	json_t *ev;
	char *js;

	ys_eve_timestamp((uint64_t)ts, tsbuf);
	ev = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:{s:I, s:s, s:s, s:I}, s:{s:s, s:s}}",
		       "timestamp", tsbuf, "event_type", "alert", "tenant", tenant, "tenant_id",
		       (json_int_t)1, "src_ip", src, "dest_ip", dst, "alert", "signature_id",
		       (json_int_t)sid, "signature", sig, "category", cat, "severity",
		       (json_int_t)sev, "sensor", "id", sensor, "rack", "rack-a");
	json_object_set_new(ev, "event_id", json_string(id));
	if (tunnel)
		json_object_set_new(ev, "tunnel",
				    json_pack("{s:s, s:i}", "type", "vxlan", "vni", 100));
	assert_int_equal(ys_alert_row_from_json(ev, &row), 0);
	js = json_dumps(ev, JSON_COMPACT);
	row.json = js;
	row.json_len = strlen(js);
	assert_int_equal(ys_store_alert_insert(st, &row), 1);
	free(js);
	json_decref(ev);
}

static int64_t add_incident(struct ys_store *st, const char *rule, const char *tenant,
			    const char *level, int64_t first, int64_t last, int64_t count)
{
	struct ys_incident_delta d = { .rule = rule,
				       .title = "incident <b>title</b>",
				       .tenant = tenant,
				       .group_key = rule,
				       .severity = 1,
				       .level = level,
				       .first_seen = first,
				       .last_seen = last,
				       .alert_count = count };
	int64_t id = 0;
	bool created = false;

	assert_int_equal(ys_store_incident_apply(st, &d, &id, &created), 0);
	assert_true(created);
	return id;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *pg = getenv("YS_REPORT_TEST_PG");
	char err[256], path[128];
	void *db;
	int64_t inc;

	snprintf(f->dir, sizeof(f->dir), "/tmp/ys-report-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	if (pg) {
		/* The same fixture in PostgreSQL (tests/e2e/test_report_pg.py starts a server):
		 * a fresh schema for every test. */
		db = ys_store_pg_open(pg, err, sizeof(err));
		assert_non_null(db);
		assert_int_equal(ys_store_pg_driver.script(db,
							   "DROP SCHEMA IF EXISTS public CASCADE;"
							   " CREATE SCHEMA public;"),
				 0);
		f->st = ys_store_wrap(&ys_store_pg_driver, db, err, sizeof(err));
	} else {
		snprintf(path, sizeof(path), "%s/ingest.db", f->dir);
		db = ys_store_sqlite_open(path, err, sizeof(err));
		assert_non_null(db);
		f->st = ys_store_wrap(&ys_store_sqlite_driver, db, err, sizeof(err));
	}
	assert_non_null(f->st);

	/* acme: 4 alerts in the period (one exactly at FROM), one at TO (outside),
	 * one before; globex: 2 in the period. */
	add_alert(f->st, "a-1", T0, "acme", 1, 100, "SQLi <script>alert(1)</script>", "web-attack",
		  "198.51.100.7", "10.0.0.5", "s1", false);
	add_alert(f->st, "a-2", T0 + 60 * SEC, "acme", 2, 100, "SQLi <script>alert(1)</script>",
		  "web-attack", "198.51.100.7", "10.0.0.6", "s1", true);
	add_alert(f->st, "a-3", T0 + 120 * SEC, "acme", 3, 200, "scan", "recon", "10.0.0.9",
		  "10.0.0.5", "s2", false);
	add_alert(f->st, "a-4", T0 + 180 * SEC, "acme", 1, 300, "log4shell", "exploit",
		  "203.0.113.4", "10.0.0.5", "s1", true);
	add_alert(f->st, "a-5", T0 + 3600 * SEC, "acme", 1, 300, "log4shell", "exploit",
		  "203.0.113.4", "10.0.0.5", "s1", false);
	add_alert(f->st, "a-0", T0 - 86400 * SEC, "acme", 1, 300, "log4shell", "exploit",
		  "203.0.113.4", "10.0.0.5", "s1", false);
	add_alert(f->st, "g-1", T0 + 10 * SEC, "globex", 2, 200, "scan", "recon", "192.0.2.1",
		  "172.16.0.2", "s2", false);
	add_alert(f->st, "g-2", T0 + 20 * SEC, "globex", 2, 200, "scan", "recon", "192.0.2.1",
		  "172.16.0.3", "s2", false);
	/* A sensor that raised an alert but never sent a heartbeat. */
	add_alert(f->st, "g-3", T0 + 30 * SEC, "globex", 2, 200, "scan", "recon", "192.0.2.1",
		  "172.16.0.2", "s3", false);

	inc = add_incident(f->st, "scan-then-exploit", "acme", "red", T0 + 120 * SEC,
			   T0 + 180 * SEC, 2);
	assert_int_equal(ys_store_incident_act(f->st, NULL, inc, YS_INCIDENT_ACK, "alice", NULL,
					       T0 + 300 * SEC),
			 0);
	add_incident(f->st, "brute-force", "acme", "yellow", T0 + 60 * SEC, T0 + 60 * SEC, 1);
	add_incident(f->st, "campaign", "globex", "orange", T0 + 10 * SEC, T0 + 20 * SEC, 2);
	/* An incident long over before the period: not counted. */
	add_incident(f->st, "old", "acme", "red", T0 - 86400 * SEC, T0 - 86000 * SEC, 1);

	assert_int_equal(
		ys_store_sensor_upsert(f->st, "s1", "rack-a", "h1", T0 + 3000 * SEC, 10,
				       "{\"uptime_s\":7200,\"detect\":{\"rules_loaded\":42,"
				       "\"rules_failed\":1,\"reloads_ok\":2,"
				       "\"ruleset\":\"sha256:ab12\"}}"),
		0);
	assert_int_equal(ys_store_sensor_upsert(f->st, "s2", "rack-b", "h2", T0, 10, "{}"), 0);
	assert_int_equal(ys_store_audit_append(f->st, T0 + 400 * SEC, "admin", "rules.reload",
					       "sensor/s1", "{\"loaded\":42}", false),
			 0);

	f->p.from = T0;
	f->p.to = T0 + 3600 * SEC;
	f->p.now = T0 + 3010 * SEC; /* s1 last seen 10 s ago: ok; s2 50 min ago: silent */
	f->p.retention_days = 180;
	f->p.generated_by = "auditor";
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	ys_store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Keep what the test produced for a person to look at when YS_REPORT_SAVE names a folder. */
static void save(const char *name, const char *data, size_t len)
{
	const char *dir = getenv("YS_REPORT_SAVE");
	char path[512];
	FILE *fp;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static json_int_t fig(const json_t *ev, const char *a, const char *b)
{
	const json_t *v = json_object_get(json_object_get(ev, a), b);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void test_attacks_all_tenants(void **state)
{
	struct fixture *f = *state;
	json_t *ev = NULL, *list, *by;

	assert_int_equal(ys_report_collect(f->st, NULL, &f->p, &ev), 0);
	/* acme a-1..a-4 (a-5 is at TO, a-0 before FROM) + globex g-1, g-2, g-3 */
	assert_int_equal(fig(ev, "attacks", "total"), 7);
	assert_int_equal(fig(ev, "attacks", "internal"), 1); /* a-3 from 10.0.0.9 */
	assert_int_equal(fig(ev, "attacks", "external"), 6);
	assert_int_equal(fig(ev, "attacks", "sources"), 4);
	assert_int_equal(fig(ev, "attacks", "targets"), 4);
	list = json_object_get(json_object_get(ev, "attacks"), "list");
	assert_int_equal(json_array_size(list), 7);
	/* oldest first, with source, type, target and time */
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "event_id")),
			    "a-1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "time")),
			    "2025-11-24T16:00:00.000000Z");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "category")),
			    "web-attack");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 6), "event_id")),
			    "a-4");
	/* breakdowns: most frequent first, ties by sid; tenants by name */
	by = json_object_get(json_object_get(ev, "attacks"), "by_signature");
	assert_int_equal(json_array_size(by), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(by, 0), "sid")), 200);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(by, 0), "count")), 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(by, 1), "sid")), 100);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(by, 1), "severity")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(by, 2), "sid")), 300);
	by = json_object_get(json_object_get(ev, "attacks"), "by_category");
	assert_string_equal(json_string_value(json_object_get(json_array_get(by, 0), "category")),
			    "recon");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(by, 0), "count")), 4);
	by = json_object_get(json_object_get(ev, "attacks"), "by_tenant");
	assert_string_equal(json_string_value(json_object_get(json_array_get(by, 0), "tenant")),
			    "acme");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(by, 0), "count")), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(by, 1), "tenant")),
			    "globex");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(by, 1), "count")), 3);
	assert_int_equal(fig(ev, "cloud", "overlay_alerts"), 2);
	assert_int_equal(fig(ev, "cloud", "east_west_alerts"), 1);
	assert_int_equal(fig(ev, "cloud", "tenants_attacked"), 2);
	json_decref(ev);
}

static void test_alarms_and_scope(void **state)
{
	struct fixture *f = *state;
	const char *names[] = { "acme" };
	struct ys_tenant_scope acme = { .all = false, .names = names, .n = 1 };
	json_t *ev = NULL, *serious, *first;
	const json_t *by;

	f->p.tenant = "globex";
	assert_int_equal(ys_report_collect(f->st, &acme, &f->p, &ev), -ENOENT);
	assert_null(ev);
	f->p.tenant = NULL;
	assert_int_equal(ys_report_collect(f->st, &acme, &f->p, &ev), 0);
	assert_int_equal(fig(ev, "attacks", "total"), 4);
	by = json_object_get(json_object_get(ev, "alarms"), "by_level");
	assert_int_equal(json_integer_value(json_object_get(by, "red")), 1);
	assert_int_equal(json_integer_value(json_object_get(by, "yellow")), 1);
	assert_int_equal(json_integer_value(json_object_get(by, "orange")), 0);
	assert_int_equal(fig(ev, "alarms", "total"), 2);
	serious = json_object_get(json_object_get(ev, "alarms"), "serious");
	assert_int_equal(json_array_size(serious), 1);
	first = json_array_get(serious, 0);
	assert_string_equal(json_string_value(json_object_get(first, "acknowledged_at")),
			    "2025-11-24T16:05:00.000000Z");
	assert_true(json_is_null(json_object_get(first, "closed_at")));
	/* raised when correlation opened it (the store stamps creation with the wall clock) */
	assert_true(json_is_string(json_object_get(first, "raised_at")));
	/* the acknowledge on acme's incident is the one audited action of acme's */
	assert_int_equal(fig(ev, "audit", "in_period"), 1);
	json_decref(ev);

	f->p.tenant = "globex";
	assert_int_equal(ys_report_collect(f->st, NULL, &f->p, &ev), 0);
	assert_int_equal(fig(ev, "attacks", "total"), 3);
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(json_object_get(ev, "alarms"), "by_level"), "orange")),
		1);
	assert_int_equal(fig(ev, "audit", "in_period"), 0);
	f->p.tenant = NULL;
	json_decref(ev);
}

static void test_audit_sensors_rules_retention(void **state)
{
	struct fixture *f = *state;
	json_t *ev = NULL, *s1, *s3, *ups, *loaded;
	const json_t *au;

	assert_int_equal(ys_report_collect(f->st, NULL, &f->p, &ev), 0);
	au = json_object_get(ev, "audit");
	assert_true(json_is_true(json_object_get(au, "chain_ok")));
	assert_int_equal(fig(ev, "audit", "records"), 2);   /* acknowledge + rules.reload */
	assert_int_equal(fig(ev, "audit", "in_period"), 2); /* unscoped: all actions */
	assert_int_equal(fig(ev, "sensors", "total"), 3);
	assert_int_equal(fig(ev, "sensors", "ok"), 1);
	assert_int_equal(fig(ev, "sensors", "silent"), 1);
	assert_int_equal(fig(ev, "sensors", "no_heartbeat"), 1);
	assert_int_equal(fig(ev, "sensors", "with_alerts"), 3);
	s1 = json_array_get(json_object_get(json_object_get(ev, "sensors"), "list"), 0);
	assert_string_equal(json_string_value(json_object_get(s1, "id")), "s1");
	assert_int_equal(json_integer_value(json_object_get(s1, "uptime_s")), 7200);
	assert_int_equal(json_integer_value(json_object_get(s1, "rules_loaded")), 42);
	assert_int_equal(json_integer_value(json_object_get(s1, "alerts_in_period")), 3);
	assert_int_equal(json_integer_value(json_object_get(s1, "tenants_seen")), 1);
	s3 = json_array_get(json_object_get(json_object_get(ev, "sensors"), "list"), 2);
	assert_string_equal(json_string_value(json_object_get(s3, "id")), "s3");
	assert_string_equal(json_string_value(json_object_get(s3, "status")), "no_heartbeat");
	assert_true(json_is_null(json_object_get(s3, "last_seen")));
	assert_int_equal(json_integer_value(json_object_get(s3, "alerts_in_period")), 1);
	loaded = json_object_get(json_object_get(ev, "rules"), "loaded");
	assert_int_equal(json_array_size(loaded), 1); /* s2's heartbeat says nothing of rules */
	assert_int_equal(
		json_integer_value(json_object_get(json_array_get(loaded, 0), "rules_failed")), 1);
	assert_int_equal(
		json_integer_value(json_object_get(json_array_get(loaded, 0), "reloads_ok")), 2);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(loaded, 0), "ruleset")),
		"sha256:ab12");
	ups = json_object_get(json_object_get(ev, "rules"), "updates");
	assert_int_equal(json_array_size(ups), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ups, 0), "action")),
			    "rules.reload");
	assert_int_equal(fig(ev, "retention", "alerts_stored"), 9);
	assert_int_equal(fig(ev, "retention", "held_days"), 1);
	assert_true(json_is_true(json_object_get(json_object_get(ev, "retention"), "policy_ok")));
	json_decref(ev);

	f->p.retention_days = 30;
	assert_int_equal(ys_report_collect(f->st, NULL, &f->p, &ev), 0);
	assert_true(json_is_false(json_object_get(json_object_get(ev, "retention"), "policy_ok")));
	f->p.retention_days = 180;
	json_decref(ev);
}

static void test_bad_period(void **state)
{
	struct fixture *f = *state;
	struct ys_report_params p = f->p;
	json_t *ev = NULL;

	p.to = p.from;
	assert_int_equal(ys_report_collect(f->st, NULL, &p, &ev), -EINVAL);
	assert_null(ev);
}

static void test_html_escapes_and_tags_figures(void **state)
{
	struct fixture *f = *state;
	const char *ctype = NULL;
	char *body = NULL;
	size_t len = 0;

	assert_int_equal(
		ys_report_generate(f->st, NULL, &f->p, YS_REPORT_HTML, &body, &len, &ctype), 0);
	assert_string_equal(ctype, "text/html; charset=utf-8");
	assert_int_equal(strlen(body), len);
	assert_null(strstr(body, "<script"));
	assert_null(strstr(body, "<b>title</b>"));
	assert_non_null(strstr(body, "SQLi &lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(body, "data-figure=\"attacks.total\">7<"));
	assert_non_null(strstr(body, "data-figure=\"sensors.no_heartbeat\">1<"));
	assert_non_null(strstr(body, "data-figure=\"alarms.red\">1<"));
	assert_non_null(strstr(body, "data-figure=\"sensors.silent\">1<"));
	assert_non_null(strstr(body, "8.1.3.3"));
	assert_non_null(strstr(body, "8.2.3.2"));
	save("report.html", body, len);
	free(body);
}

static void test_format_parse(void **state)
{
	enum ys_report_format fmt;

	(void)state;
	assert_int_equal(ys_report_format_parse(NULL, &fmt), 0);
	assert_int_equal(fmt, YS_REPORT_HTML);
	assert_int_equal(ys_report_format_parse("pdf", &fmt), 0);
	assert_int_equal(fmt, YS_REPORT_PDF);
	assert_int_equal(ys_report_format_parse("json", &fmt), 0);
	assert_int_equal(fmt, YS_REPORT_JSON);
	assert_int_equal(ys_report_format_parse("docx", &fmt), -EINVAL);
}

static void test_parse_query_and_status(void **state)
{
	struct ys_report_params p = { 0 };
	enum ys_report_format fmt;
	const char *msg = NULL;
	char err[128];
	int64_t now = T0 + 100 * SEC;

	assert_int_equal(ys_report_parse_query("acme", "2025-11-24T16:00:00Z", "1764003600", "pdf",
					       now, &p, &fmt, err, sizeof(err)),
			 0);
	assert_string_equal(p.tenant, "acme");
	assert_int_equal(p.from, T0);
	assert_int_equal(p.to, T0 + 3600 * SEC);
	assert_int_equal(p.now, now);
	assert_int_equal(fmt, YS_REPORT_PDF);

	/* defaults: the last 30 days up to now, HTML, every tenant in scope */
	assert_int_equal(
		ys_report_parse_query("", NULL, NULL, NULL, now, &p, &fmt, err, sizeof(err)), 0);
	assert_null(p.tenant);
	assert_int_equal(p.to, now);
	assert_int_equal(p.from, now - 30 * 86400 * SEC);
	assert_int_equal(fmt, YS_REPORT_HTML);

	assert_int_equal(ys_report_parse_query(NULL, "yesterday", NULL, NULL, now, &p, &fmt, err,
					       sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "from"));
	assert_int_equal(ys_report_parse_query(NULL, "1764003600", "1764000000", NULL, now, &p,
					       &fmt, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(
		ys_report_parse_query(NULL, NULL, NULL, "docx", now, &p, &fmt, err, sizeof(err)),
		-EINVAL);

	assert_int_equal(ys_report_http_status(-EINVAL, &msg), 400);
	assert_int_equal(ys_report_http_status(-ENOENT, &msg), 404);
	assert_int_equal(ys_report_http_status(-ENOSYS, &msg), 503);
	assert_int_equal(ys_report_http_status(-EIO, &msg), 500);
	assert_non_null(msg);
	(void)state;
}

static void test_pdf(void **state)
{
	struct fixture *f = *state;
	const char *ctype = NULL;
	char *body = NULL;
	size_t len = 0;
	int ret;

	if (access(YS_REPORT_DEFAULT_CHROMIUM, X_OK)) {
		printf("SKIP: %s not installed, cannot print the report to PDF\n",
		       YS_REPORT_DEFAULT_CHROMIUM);
		skip();
	}
	ret = ys_report_generate(f->st, NULL, &f->p, YS_REPORT_PDF, &body, &len, &ctype);
	assert_int_equal(ret, 0);
	assert_string_equal(ctype, "application/pdf");
	assert_true(len > 1000);
	assert_memory_equal(body, "%PDF-", 5);
	save("report.pdf", body, len);
	free(body);

	/* a missing browser is a clear error, not a hang */
	assert_int_equal(
		ys_report_html_to_pdf("<p>x</p>", 8, "/nonexistent/chromium", 1000, &body, &len),
		-ENOSYS);
	assert_null(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attacks_all_tenants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alarms_and_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_sensors_rules_retention, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_period, setup, teardown),
		cmocka_unit_test_setup_teardown(test_html_escapes_and_tags_figures, setup,
						teardown),
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_parse_query_and_status),
		cmocka_unit_test_setup_teardown(test_pdf, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
