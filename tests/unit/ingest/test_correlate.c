/*
 * Correlation engine: each rule type fires on its pattern and stays silent on
 * a near miss; sliding windows catch a burst straddling any boundary; floods
 * collapse into one incident; groups are bounded; bad rules are refused with
 * file and line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"

#define SEC 1000000LL

struct seen {
	int n;
	int64_t count[16];
	char tenant[16][32];
	char rule[16][64];
	char title[16][128];
	size_t nevents[16];
	size_t nsig[16];
	char sig[16][4][64]; /* the first 4 signatures of each incident */
	char ids[16][8][40]; /* the first 8 event ids of each incident */
};

static int collect(void *user, const struct ys_corr_incident *inc)
{
	struct seen *s = user;

	if (s->n < 16) {
		s->count[s->n] = inc->alert_count;
		snprintf(s->tenant[s->n], sizeof(s->tenant[0]), "%s", inc->tenant);
		snprintf(s->rule[s->n], sizeof(s->rule[0]), "%s", inc->rule);
		snprintf(s->title[s->n], sizeof(s->title[0]), "%s", inc->title);
		s->nevents[s->n] = inc->nevents;
		s->nsig[s->n] = inc->nsig;
		for (size_t i = 0; i < inc->nsig && i < 4; i++)
			snprintf(s->sig[s->n][i], sizeof(s->sig[0][0]), "%s", inc->signatures[i]);
		for (size_t i = 0; i < inc->nevents && i < 8; i++)
			snprintf(s->ids[s->n][i], sizeof(s->ids[0][0]), "%s", inc->event_ids[i]);
	}
	s->n++;
	return 0;
}

static json_t *alert(const char *tenant, const char *src, const char *dst, int sid, const char *sig,
		     const char *cat, int sev, const char *rack)
{
	return json_pack("{s:s, s:s, s:s, s:{s:i, s:s, s:s, s:i, s:i}, s:{s:s, s:s}}", "tenant",
			 tenant, "src_ip", src, "dest_ip", dst, "alert", "signature_id", sid,
			 "signature", sig, "category", cat, "severity", sev, "gid", 1, "sensor",
			 "id", "s1", "rack", rack);
}

static struct ys_corr_ruleset *rules(const char *yaml)
{
	char err[512];
	struct ys_corr_ruleset *rs =
		ys_corr_rules_parse("test.yaml", yaml, strlen(yaml), err, sizeof(err));

	if (!rs)
		fail_msg("rule parse: %s", err);
	return rs;
}

static int feed(struct ys_corr_engine *eng, enum ys_corr_stream st, json_t *ev, int64_t ts, int i)
{
	char id[40];
	int ret;

	snprintf(id, sizeof(id), "018f0000-0000-7000-8000-%012d", i);
	ret = ys_corr_feed(eng, st, ev, ts, id);
	json_decref(ev);
	return ret;
}

static const char *brute =
	"id: bf\ntitle: \"BF {src_ip} -> {dest_ip}\"\ntype: event_count\n"
	"select: {signature: [brute]}\ngroup-by: [tenant, src_ip, dest_ip]\ntimespan: 60s\n"
	"condition: {gte: 5}\nseverity: 2\nlevel: yellow\nmlps: [\"8.1.3.3a\"]\n";

static void test_event_count_fires_and_near_miss(void **state)
{
	struct ys_corr_ruleset *rs = rules(brute);
	struct ys_corr_engine *eng = ys_corr_new(rs, NULL);
	struct seen s = { 0 };

	/* 4 alerts in the window: a near miss, nothing fires */
	for (int i = 0; i < 4; i++)
		assert_int_equal(feed(eng, YS_CORR_STREAM_ALERTS,
				      alert("acme", "1.1.1.1", "10.0.0.1", 1, "SSH Brute force",
					    "x", 2, "r1"),
				      100 * SEC + i * SEC, i),
				 1);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 0);
	/* another source does not help the first group */
	feed(eng, YS_CORR_STREAM_ALERTS,
	     alert("acme", "2.2.2.2", "10.0.0.1", 1, "SSH Brute force", "x", 2, "r1"), 105 * SEC,
	     9);
	/* an unrelated signature does not count */
	assert_int_equal(feed(eng, YS_CORR_STREAM_ALERTS,
			      alert("acme", "1.1.1.1", "10.0.0.1", 2, "curl UA", "x", 3, "r1"),
			      105 * SEC, 10),
			 0);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 0);
	/* the fifth within 60 s fires, with all five alerts */
	feed(eng, YS_CORR_STREAM_ALERTS,
	     alert("acme", "1.1.1.1", "10.0.0.1", 1, "SSH Brute force", "x", 2, "r1"), 110 * SEC,
	     11);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 1);
	assert_int_equal(s.count[0], 5);
	assert_int_equal(s.nevents[0], 5);
	assert_string_equal(s.tenant[0], "acme");
	assert_string_equal(s.title[0], "BF 1.1.1.1 -> 10.0.0.1");
	ys_corr_free(eng);
	ys_corr_rules_free(rs);
}

/* Alerts spaced so that no fixed 60 s bucket holds 5, but a sliding window does. */
static void test_window_straddles_bucket_edge(void **state)
{
	struct ys_corr_ruleset *rs = rules(brute);
	struct ys_corr_engine *eng = ys_corr_new(rs, NULL);
	struct seen s = { 0 };
	/* buckets [0,60) and [60,120): 3 + 2 — a sliding window [50,80] holds all 5 */
	int64_t t[] = { 50, 55, 58, 61, 80 };

	for (int i = 0; i < 5; i++)
		feed(eng, YS_CORR_STREAM_ALERTS,
		     alert("acme", "1.1.1.1", "10.0.0.1", 1, "brute", "x", 2, "r1"), t[i] * SEC, i);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 1);
	ys_corr_free(eng);
	ys_corr_rules_free(rs);
}

/* Five alerts over 61 s never fit a 60 s window: silent. Out-of-order arrival is handled. */
static void test_window_edge_exact(void **state)
{
	struct ys_corr_ruleset *rs = rules(brute);
	struct ys_corr_engine *eng = ys_corr_new(rs, NULL);
	struct seen s = { 0 };
	int64_t t[] = { 0, 61, 30, 15, 45 }; /* sorted: 0 15 30 45 61: span 61 s */

	for (int i = 0; i < 5; i++)
		feed(eng, YS_CORR_STREAM_ALERTS,
		     alert("acme", "1.1.1.1", "10.0.0.1", 1, "brute", "x", 2, "r1"),
		     1000 * SEC + t[i] * SEC, i);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 0);
	/* one more at 60 s: 15 30 45 60 61 spans 46 s: fires */
	feed(eng, YS_CORR_STREAM_ALERTS,
	     alert("acme", "1.1.1.1", "10.0.0.1", 1, "brute", "x", 2, "r1"), 1060 * SEC, 6);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 1);
	ys_corr_free(eng);
	ys_corr_rules_free(rs);
}

/* 10,000 alerts after the threshold: one incident with the full count, links bounded. */
static void test_flood_collapses(void **state)
{
	struct ys_corr_ruleset *rs = rules(brute);
	struct ys_corr_engine *eng = ys_corr_new(rs, NULL);
	struct seen s = { 0 };

	for (int i = 0; i < 10000; i++)
		feed(eng, YS_CORR_STREAM_ALERTS,
		     alert("acme", "1.1.1.1", "10.0.0.1", 1, "brute", "x", 2, "r1"),
		     100 * SEC + i * 1000, i);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 1);
	assert_int_equal(s.count[0], 10000);
	assert_true(s.nevents[0] <= YS_CORR_DELTA_EVENTS);
	/* the next batch adds to the same incident (one change, not a new one per alert) */
	for (int i = 0; i < 50; i++)
		feed(eng, YS_CORR_STREAM_ALERTS,
		     alert("acme", "1.1.1.1", "10.0.0.1", 1, "brute", "x", 2, "r1"),
		     120 * SEC + i * 1000, 20000 + i);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 1);
	assert_int_equal(s.count[1], 50);
	ys_corr_free(eng);
	ys_corr_rules_free(rs);
}

static void test_value_count_cross_tenant(void **state)
{
	struct ys_corr_ruleset *rs =
		rules("id: xt\ntitle: \"campaign {src_ip}\"\ntype: value_count\nstream: by-source\n"
		      "select: {severity_max: 3}\ngroup-by: [src_ip]\ntimespan: 1h\n"
		      "condition: {field: tenant, gte: 3}\nlevel: orange\n");
	struct ys_corr_engine *eng = ys_corr_new(rs, NULL);
	struct seen s = { 0 };

	/* two tenants, many alerts: a near miss */
	for (int i = 0; i < 20; i++)
		feed(eng, YS_CORR_STREAM_BY_SOURCE,
		     alert(i % 2 ? "acme" : "globex", "6.6.6.6", "10.0.0.1", 1, "x", "x", 2, "r1"),
		     100 * SEC + i * SEC, i);
	/* the alerts stream never feeds a by-source rule */
	assert_int_equal(feed(eng, YS_CORR_STREAM_ALERTS,
			      alert("initech", "6.6.6.6", "10.0.0.1", 1, "x", "x", 2, "r1"),
			      130 * SEC, 50),
			 0);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 0);
	/* a third tenant two hours later is outside the window */
	feed(eng, YS_CORR_STREAM_BY_SOURCE,
	     alert("initech", "6.6.6.6", "10.0.0.1", 1, "x", "x", 2, "r1"), 7300 * SEC, 51);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 0);
	/* ... but within the hour it fires: one incident per tenant involved */
	feed(eng, YS_CORR_STREAM_BY_SOURCE,
	     alert("acme", "6.6.6.6", "10.0.0.1", 1, "x", "x", 2, "r1"), 7301 * SEC, 52);
	feed(eng, YS_CORR_STREAM_BY_SOURCE,
	     alert("globex", "6.6.6.6", "10.0.0.2", 1, "x", "x", 2, "r1"), 7302 * SEC, 53);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 3);
	ys_corr_free(eng);
	ys_corr_rules_free(rs);
}

static void test_value_count_racks(void **state)
{
	struct ys_corr_ruleset *rs = rules(
		"id: mr\ntitle: \"sig {alert.signature_id}\"\ntype: value_count\n"
		"select: {severity_max: 2}\ngroup-by: [tenant, alert.signature_id]\ntimespan: 1h\n"
		"condition: {field: sensor.rack, gte: 3}\nlevel: orange\n");
	struct ys_corr_engine *eng = ys_corr_new(rs, NULL);
	struct seen s = { 0 };

	feed(eng, YS_CORR_STREAM_ALERTS, alert("acme", "1.1.1.1", "10.0.0.1", 7, "x", "x", 1, "r1"),
	     10 * SEC, 1);
	feed(eng, YS_CORR_STREAM_ALERTS, alert("acme", "1.1.1.2", "10.0.0.2", 7, "x", "x", 1, "r2"),
	     11 * SEC, 2);
	/* a third rack but another signature, and severity 3: near misses */
	feed(eng, YS_CORR_STREAM_ALERTS, alert("acme", "1.1.1.3", "10.0.0.3", 8, "x", "x", 1, "r3"),
	     12 * SEC, 3);
	feed(eng, YS_CORR_STREAM_ALERTS, alert("acme", "1.1.1.3", "10.0.0.3", 7, "x", "x", 3, "r3"),
	     12 * SEC, 4);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 0);
	feed(eng, YS_CORR_STREAM_ALERTS, alert("acme", "1.1.1.3", "10.0.0.3", 7, "x", "x", 2, "r3"),
	     13 * SEC, 5);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 1);
	assert_string_equal(s.title[0], "sig 7");
	assert_int_equal(s.count[0], 3);
	ys_corr_free(eng);
	ys_corr_rules_free(rs);
}

static const char *ordered = "id: se\ntitle: t\ntype: temporal_ordered\nsteps:\n"
			     "  - {name: scan, select: {classtype: [network-scan]}}\n"
			     "  - {name: exploit, select: {classtype: [attempted-admin]}}\n"
			     "group-by: [tenant, src_ip, dest_ip]\ntimespan: 30m\nlevel: orange\n";

static void test_temporal_ordered(void **state)
{
	struct ys_corr_ruleset *rs = rules(ordered);
	struct ys_corr_engine *eng = ys_corr_new(rs, NULL);
	struct seen s = { 0 };

	/* exploit before the scan: wrong order, silent */
	feed(eng, YS_CORR_STREAM_ALERTS,
	     alert("acme", "1.1.1.1", "10.0.0.1", 1, "x", "attempted-admin", 1, "r1"), 100 * SEC,
	     1);
	feed(eng, YS_CORR_STREAM_ALERTS,
	     alert("acme", "1.1.1.1", "10.0.0.1", 2, "x", "network-scan", 3, "r1"), 200 * SEC, 2);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 0);
	/* exploit against another host: silent */
	feed(eng, YS_CORR_STREAM_ALERTS,
	     alert("acme", "1.1.1.1", "10.0.0.9", 1, "x", "attempted-admin", 1, "r1"), 300 * SEC,
	     3);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 0);
	/* exploit 31 min after the scan: outside the window, silent */
	feed(eng, YS_CORR_STREAM_ALERTS,
	     alert("acme", "1.1.1.1", "10.0.0.1", 1, "x", "attempted-admin", 1, "r1"),
	     (200 + 31 * 60) * SEC, 4);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 0);
	/* a new scan, then the exploit within 30 min: fires with both alerts */
	feed(eng, YS_CORR_STREAM_ALERTS,
	     alert("acme", "1.1.1.1", "10.0.0.1", 2, "x", "network-scan", 3, "r1"), 3000 * SEC, 5);
	feed(eng, YS_CORR_STREAM_ALERTS,
	     alert("acme", "1.1.1.1", "10.0.0.1", 1, "x", "attempted-admin", 1, "r1"), 3100 * SEC,
	     6);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 1);
	assert_int_equal(s.count[0], 2);
	ys_corr_free(eng);
	ys_corr_rules_free(rs);
}

/* True when incident I of S lists signature SIG. */
static bool has_sig(const struct seen *s, int i, const char *sig)
{
	for (size_t k = 0; k < s->nsig[i] && k < 4; k++)
		if (strcmp(s->sig[i][k], sig) == 0)
			return true;
	return false;
}

/*
 * The alerts that caused an incident bring their signatures with them, not
 * only the alert that completed the pattern (the scan's signature was lost).
 */
static void test_signatures_of_causing_alerts(void **state)
{
	struct ys_corr_ruleset *rs = rules(ordered);
	struct ys_corr_engine *eng = ys_corr_new(rs, NULL);
	struct seen s = { 0 };

	feed(eng, YS_CORR_STREAM_ALERTS,
	     alert("acme", "1.1.1.1", "10.0.0.1", 2, "ET SCAN Nmap", "network-scan", 3, "r1"),
	     3000 * SEC, 1);
	feed(eng, YS_CORR_STREAM_ALERTS,
	     alert("acme", "1.1.1.1", "10.0.0.1", 1, "ET EXPLOIT Struts", "attempted-admin", 1,
		   "r1"),
	     3100 * SEC, 2);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 1);
	assert_int_equal(s.count[0], 2);
	assert_int_equal(s.nsig[0], 2);
	assert_true(has_sig(&s, 0, "ET SCAN Nmap"));
	assert_true(has_sig(&s, 0, "ET EXPLOIT Struts"));
	ys_corr_free(eng);
	ys_corr_rules_free(rs);

	/* event_count: the four alerts before the fifth carry theirs too */
	rs = rules(brute);
	eng = ys_corr_new(rs, NULL);
	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 5; i++)
		feed(eng, YS_CORR_STREAM_ALERTS,
		     alert("acme", "1.1.1.1", "10.0.0.1", 1, i < 4 ? "SSH brute a" : "SSH brute b",
			   "x", 2, "r1"),
		     100 * SEC + i * SEC, i);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 1);
	assert_int_equal(s.nsig[0], 2);
	assert_true(has_sig(&s, 0, "SSH brute a"));
	assert_true(has_sig(&s, 0, "SSH brute b"));
	ys_corr_free(eng);
	ys_corr_rules_free(rs);
}

static const char *campaign = "id: xt\ntitle: \"campaign {src_ip}\"\ntype: value_count\n"
			      "stream: by-source\nselect: {severity_max: 3}\ngroup-by: [src_ip]\n"
			      "timespan: 1h\ncondition: {field: tenant, gte: 3}\nlevel: orange\n";

struct tenant_alert {
	const char *tenant;
	int64_t sec;
	int id;
};

/* Feed ALERTS in ORDER and return acme's incident count (and the total over tenants). */
static int64_t campaign_run(const struct tenant_alert *alerts, const int *order, size_t n,
			    const struct ys_corr_limits *lim, int64_t *total, struct seen *s)
{
	struct ys_corr_ruleset *rs = rules(campaign);
	struct ys_corr_engine *eng = ys_corr_new(rs, lim);
	int64_t acme = -1;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < n; i++) {
		const struct tenant_alert *a = &alerts[order[i]];

		feed(eng, YS_CORR_STREAM_BY_SOURCE,
		     alert(a->tenant, "6.6.6.6", "10.0.0.1", 1, "x", "x", 2, "r1"), a->sec * SEC,
		     a->id);
	}
	assert_int_equal(ys_corr_drain(eng, collect, s), 3);
	*total = 0;
	for (int i = 0; i < s->n; i++) {
		*total += s->count[i];
		if (strcmp(s->tenant[i], "acme") == 0)
			acme = s->count[i];
	}
	ys_corr_free(eng);
	ys_corr_rules_free(rs);
	return acme;
}

/*
 * value_count: every alert of the window that contributed is in its tenant's
 * incident, not only the latest per tenant, and the result does not depend on
 * the order in which the by-source stream delivers them.
 */
static void test_value_count_keeps_all_alerts(void **state)
{
	static const struct tenant_alert a[] = {
		{ "acme", 100, 1 },   { "acme", 110, 2 },   { "acme", 120, 3 },
		{ "globex", 130, 4 }, { "globex", 140, 5 }, { "initech", 150, 6 },
	};
	static const int fwd[] = { 0, 1, 2, 3, 4, 5 }, rev[] = { 5, 4, 3, 2, 1, 0 },
			 mix[] = { 3, 0, 5, 1, 4, 2 };
	struct seen s;
	int64_t total;

	assert_int_equal(campaign_run(a, fwd, 6, NULL, &total, &s), 3);
	assert_int_equal(total, 6);
	for (int i = 0; i < s.n; i++)
		if (strcmp(s.tenant[i], "acme") == 0)
			assert_int_equal(s.nevents[i], 3);
	assert_int_equal(campaign_run(a, rev, 6, NULL, &total, &s), 3);
	assert_int_equal(total, 6);
	assert_int_equal(campaign_run(a, mix, 6, NULL, &total, &s), 3);
	assert_int_equal(total, 6);
}

/* The per-rule entry cap bounds what a value_count group remembers; drops are counted. */
static void test_value_count_entry_cap(void **state)
{
	struct ys_corr_ruleset *rs = rules(campaign);
	struct ys_corr_limits lim = { .max_entries = 4 };
	struct ys_corr_engine *eng = ys_corr_new(rs, &lim);
	struct ys_corr_stats st;
	struct seen s = { 0 };
	int64_t total = 0;

	for (int i = 0; i < 10; i++)
		feed(eng, YS_CORR_STREAM_BY_SOURCE,
		     alert("acme", "6.6.6.6", "10.0.0.1", 1, "x", "x", 2, "r1"), (100 + i) * SEC,
		     i);
	feed(eng, YS_CORR_STREAM_BY_SOURCE,
	     alert("globex", "6.6.6.6", "10.0.0.1", 1, "x", "x", 2, "r1"), 200 * SEC, 20);
	feed(eng, YS_CORR_STREAM_BY_SOURCE,
	     alert("initech", "6.6.6.6", "10.0.0.1", 1, "x", "x", 2, "r1"), 210 * SEC, 21);
	/* every tenant still gets its incident: the distinct values are never dropped */
	assert_int_equal(ys_corr_drain(eng, collect, &s), 3);
	for (int i = 0; i < s.n; i++)
		total += s.count[i];
	ys_corr_get_stats(eng, &st);
	/* 4 acme alerts remembered; 6 acme and the globex alert met the cap ... */
	assert_int_equal(st.dropped, 7);
	/* ... but the latest alert per tenant still decides and is linked: 4 + 1 + 1 + 1 */
	assert_int_equal(total, 7);
	ys_corr_free(eng);
	ys_corr_rules_free(rs);
}

static void test_temporal_any_order(void **state)
{
	struct ys_corr_ruleset *rs =
		rules("id: tp\ntitle: t\ntype: temporal\nsteps:\n"
		      "  - {name: a, select: {sid: [1]}}\n  - {name: b, select: {sid: [2]}}\n"
		      "group-by: [tenant, dest_ip]\ntimespan: 10m\nlevel: blue\n");
	struct ys_corr_engine *eng = ys_corr_new(rs, NULL);
	struct seen s = { 0 };

	feed(eng, YS_CORR_STREAM_ALERTS, alert("acme", "1.1.1.1", "10.0.0.1", 2, "x", "x", 1, "r1"),
	     100 * SEC, 1);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 0);
	feed(eng, YS_CORR_STREAM_ALERTS, alert("acme", "1.1.1.2", "10.0.0.1", 1, "x", "x", 1, "r1"),
	     150 * SEC, 2);
	assert_int_equal(ys_corr_drain(eng, collect, &s), 1);
	ys_corr_free(eng);
	ys_corr_rules_free(rs);
}

static void test_group_cap_and_expiry(void **state)
{
	struct ys_corr_ruleset *rs = rules(brute);
	struct ys_corr_limits lim = { .max_groups = 100 };
	struct ys_corr_engine *eng = ys_corr_new(rs, &lim);
	struct ys_corr_stats st;
	char src[32];

	for (int i = 0; i < 1000; i++) {
		snprintf(src, sizeof(src), "10.1.%d.%d", i / 250, i % 250);
		feed(eng, YS_CORR_STREAM_ALERTS,
		     alert("acme", src, "10.0.0.1", 1, "brute", "x", 2, "r"), 100 * SEC + i, i);
	}
	ys_corr_get_stats(eng, &st);
	assert_int_equal(st.groups, 100);
	assert_int_equal(st.evicted, 900);
	ys_corr_expire(eng, 100 * SEC + 1000 + 61 * SEC);
	ys_corr_get_stats(eng, &st);
	assert_int_equal(st.groups, 0);
	assert_int_equal(st.expired, 100);
	ys_corr_free(eng);
	ys_corr_rules_free(rs);
}

static void test_bad_rules(void **state)
{
	static const char *const bad[] = {
		"id: x\ntitle: t\ntype: nope\nselect: {sid: [1]}\ngroup-by: [src_ip]\n"
		"timespan: 1m\ncondition: {gte: 1}\nlevel: red\n",
		"id: x\ntitle: t\ntype: event_count\nselect: {sid: [1]}\ngroup-by: [src_ip]\n"
		"timespan: 1m\ncondition: {gte: 1}\nlevel: purple\n",
		"id: x\ntitle: t\ntype: event_count\nselect: {}\ngroup-by: [src_ip]\n"
		"timespan: 1m\ncondition: {gte: 1}\nlevel: red\n",
		"id: x\ntitle: t\ntype: event_count\nselect: {sid: [1]}\ngroup-by: [src_ip]\n"
		"timespan: 1m\ncondition: {gte: 999999}\nlevel: red\n",
		"id: x\ntitle: t\ntype: event_count\nselect: {sid: [1]}\ngroup-by: [src_ip]\n"
		"timespan: 99d\ncondition: {gte: 1}\nlevel: red\n",
		"id: x\ntitle: t\ntype: value_count\nselect: {sid: [1]}\ngroup-by: [src_ip]\n"
		"timespan: 1m\ncondition: {gte: 2}\nlevel: red\n",
		"id: x\ntitle: t\ntype: event_count\nselect: {sid: [1]}\ngroup-by: [src_ip]\n"
		"timespan: 1m\ncondition: {gte: 2}\nlevel: red\nbogus: 1\n",
		"rules:\n"
		"- id: x\n  title: t\n  type: event_count\n  select: {sid: [1]}\n  group-by: [a]\n"
		"  timespan: 1m\n  condition: {gte: 2}\n  level: red\n"
		"- id: x\n  title: t\n  type: event_count\n  select: {sid: [1]}\n  group-by: [a]\n"
		"  timespan: 1m\n  condition: {gte: 2}\n  level: red\n",
		"not: [valid",
	};
	char err[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ys_corr_ruleset *rs =
			ys_corr_rules_parse("bad.yaml", bad[i], strlen(bad[i]), err, sizeof(err));

		if (rs)
			fail_msg("rule %zu was accepted", i);
		assert_non_null(strstr(err, "bad.yaml"));
	}
}

static void test_rules_list(void **state)
{
	const char *y =
		"rules:\n"
		"- id: a\n  title: t\n  type: event_count\n  select: {sid: [1]}\n"
		"  group-by: [src_ip]\n  timespan: 1m\n  condition: {gte: 2}\n  level: red\n"
		"- id: b\n  title: t\n  type: event_count\n  select: {sid: [2]}\n"
		"  group-by: [src_ip]\n  timespan: 1m\n  condition: {gte: 2}\n  level: red\n";
	struct ys_corr_ruleset *rs = rules(y);

	assert_int_equal(ys_corr_rules_count(rs), 2);
	assert_string_equal(ys_corr_rule_id(rs, 1), "b");
	ys_corr_rules_free(rs);
}

static void test_bundled_rules_load(void **state)
{
	const char *src = getenv("YS_SOURCE_DIR");
	char dir[1024], err[512];
	struct ys_corr_ruleset *rs;

	if (!src) {
		printf("skip: YS_SOURCE_DIR not set (run through ctest)\n");
		skip();
	}
	snprintf(dir, sizeof(dir), "%s/rules/correlation", src);
	rs = ys_corr_rules_load_dir(dir, err, sizeof(err));
	if (!rs)
		fail_msg("%s", err);
	assert_int_equal(ys_corr_rules_count(rs), 5);
	assert_true(ys_corr_rules_need_by_source(rs));
	ys_corr_rules_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_count_fires_and_near_miss),
		cmocka_unit_test(test_window_straddles_bucket_edge),
		cmocka_unit_test(test_window_edge_exact),
		cmocka_unit_test(test_flood_collapses),
		cmocka_unit_test(test_value_count_cross_tenant),
		cmocka_unit_test(test_value_count_racks),
		cmocka_unit_test(test_temporal_ordered),
		cmocka_unit_test(test_temporal_any_order),
		cmocka_unit_test(test_signatures_of_causing_alerts),
		cmocka_unit_test(test_value_count_keeps_all_alerts),
		cmocka_unit_test(test_value_count_entry_cap),
		cmocka_unit_test(test_group_cap_and_expiry),
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test(test_rules_list),
		cmocka_unit_test(test_bundled_rules_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
