/*
 * MLPS evidence: gathers, for a tenant (or the caller's tenants) and a period,
 * every figure the report states, by running read-only SQL through the store's
 * driver (ys_store_driver_of) and the store's own queries for sensors and the
 * audit chain. SQL is assembled from constant fragments only; every value is a
 * "?" parameter, as in store.c.
 *
 * The evidence object (what format=json returns and the renderers read):
 *   scope     {tenant|null, tenants[], from, to, generated_at, generated_by, store}
 *   attacks   {total, external, internal, sources, targets, by_category[], by_signature[],
 *              by_tenant[], list[{time,src_ip,category,signature,sid,severity,dest_ip,
 *              tenant,event_id}], listed, truncated}
 *   alarms    {total, by_level{red,orange,yellow,blue}, by_rule[], serious[{id,title,level,
 *              tenant,rule,first_seen,last_seen,alert_count,status,raised_at,acknowledged_at,
 *              closed_at}]} (raised_at: when correlation opened the incident)
 *   cloud     {tenants_attacked, overlay_alerts, east_west_alerts, east_west_pairs}
 *   audit     {chain_ok, records, first_bad, reason, in_period, by_action[], first_record}
 *   retention {configured_days, required_days, oldest_alert, newest_alert, alerts_stored,
 *              held_days, policy_ok}
 *   sensors   {total, ok, silent, no_heartbeat, with_alerts, racks[], list[{id,rack,host,
 *              status (ok|silent|no_heartbeat),last_seen,uptime_s,rules_loaded,
 *              alerts_in_period,tenants_seen,first_alert,last_alert}]}
 *   rules     {updates[{time,actor,action,target,detail}], loaded[{sensor,rules_loaded,
 *              rules_failed,reloads_ok,reloads_failed,ruleset}]} (heartbeat detect.*)
 *   controls  [{id, title_zh, title_en, items[], evidence_present}]
 */
#include "report.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ys_log.h"

#define YS_RQ_SQL_MAX	  2048
#define YS_RQ_MAX_SERIOUS 200
#define YS_RQ_MAX_UPDATES 200

/* A statement being assembled: constant fragments and parameters. */
struct ys_rq {
	char sql[YS_RQ_SQL_MAX];
	size_t len;
	struct ys_sql_param p[YS_STORE_MAX_PARAMS];
	int np;
	bool overflow;
};

static void ys_rq_add(struct ys_rq *q, const char *frag)
{
	size_t n = strlen(frag);

	if (q->len + n >= sizeof(q->sql)) {
		q->overflow = true;
		return;
	}
	memcpy(q->sql + q->len, frag, n + 1);
	q->len += n;
}

static void ys_rq_param(struct ys_rq *q, struct ys_sql_param p)
{
	if (q->np >= YS_STORE_MAX_PARAMS) {
		q->overflow = true;
		return;
	}
	q->p[q->np++] = p;
}

static void ys_rq_int(struct ys_rq *q, const char *frag, int64_t v)
{
	ys_rq_add(q, frag);
	ys_rq_param(q, (struct ys_sql_param){ .type = YS_SQL_INT, .i = v });
}

static void ys_rq_text(struct ys_rq *q, const char *frag, const char *v)
{
	ys_rq_add(q, frag);
	ys_rq_param(q, (struct ys_sql_param){ .type = YS_SQL_TEXT, .s = v });
}

/* The tenant filter of the report: one tenant, the caller's tenants, or none. */
struct ys_report_filter {
	const char *tenant;		     /* set: exactly this tenant */
	const struct ys_tenant_scope *scope; /* else: these (unless all) */
};

static void ys_rq_tenant(struct ys_rq *q, const char *col, const struct ys_report_filter *f)
{
	size_t i;

	if (f->tenant) {
		ys_rq_add(q, " AND ");
		ys_rq_add(q, col);
		ys_rq_text(q, " = ?", f->tenant);
		return;
	}
	if (!f->scope || f->scope->all)
		return;
	if (f->scope->n == 0) {
		ys_rq_add(q, " AND 1 = 0");
		return;
	}
	ys_rq_add(q, " AND ");
	ys_rq_add(q, col);
	ys_rq_add(q, " IN (");
	for (i = 0; i < f->scope->n; i++)
		ys_rq_text(q, i ? ", ?" : "?", f->scope->names[i]);
	ys_rq_add(q, ")");
}

static int ys_rq_collect(void *user, int ncol, const char *const *val)
{
	json_t *rows = user, *row = json_array();
	int i;

	if (!row)
		return -ENOMEM;
	for (i = 0; i < ncol; i++) {
		json_t *v = val[i] ? json_string(val[i]) : json_null();

		/* Text that is not UTF-8 (jansson refuses it) still holds its column's place. */
		if (!v)
			v = json_string("\xEF\xBF\xBD");
		if (json_array_append_new(row, v)) {
			json_decref(row);
			return -ENOMEM;
		}
	}
	return json_array_append_new(rows, row) ? -ENOMEM : 0;
}

/* Run Q and collect its rows as arrays of strings/null into *ROWS. */
static int ys_rq_run(struct ys_store *st, const struct ys_rq *q, json_t **rows)
{
	const struct ys_store_driver *drv;
	void *db;
	int ret;

	*rows = NULL;
	if (q->overflow)
		return -E2BIG;
	drv = ys_store_driver_of(st, &db);
	*rows = json_array();
	if (!*rows)
		return -ENOMEM;
	ret = drv->exec(db, q->sql, q->p, q->np, ys_rq_collect, *rows);
	if (ret) {
		ys_err("report", "query failed: %s", drv->errmsg ? drv->errmsg(db) : "?");
		json_decref(*rows);
		*rows = NULL;
	}
	return ret;
}

static const char *ys_c(const json_t *rows, size_t r, size_t c)
{
	return json_string_value(json_array_get(json_array_get(rows, r), c));
}

static int64_t ys_ci(const json_t *rows, size_t r, size_t c)
{
	const char *s = ys_c(rows, r, c);
	char *end;
	long long v;

	if (!s)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	return errno || end == s ? 0 : (int64_t)v;
}

static json_t *ys_jtime(int64_t usec)
{
	char buf[YS_RFC3339_LEN];

	ys_rfc3339(usec, buf);
	return json_string(buf);
}

static json_t *ys_jtime_or_null(const json_t *rows, size_t r, size_t c)
{
	return ys_c(rows, r, c) ? ys_jtime(ys_ci(rows, r, c)) : json_null();
}

static json_t *ys_jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* Internal (RFC 1918, loopback, CGNAT, link-local, ULA) or external address. */
static bool ys_ip_internal(const char *ip)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!ip)
		return false;
	if (inet_pton(AF_INET, ip, &a4) == 1) {
		uint32_t v = ntohl(a4.s_addr);

		return (v >> 24) == 10 || (v >> 20) == (172u << 4 | 1) ||
		       (v >> 16) == (192u << 8 | 168) || (v >> 24) == 127 ||
		       (v >> 22) == (100u << 2 | 1) || (v >> 16) == (169u << 8 | 254);
	}
	if (inet_pton(AF_INET6, ip, &a6) == 1)
		return (a6.s6_addr[0] & 0xfe) == 0xfc ||
		       (a6.s6_addr[0] == 0xfe && (a6.s6_addr[1] & 0xc0) == 0x80) ||
		       IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

/* Start a statement over alerts in the period and the tenant filter. */
static void ys_rq_alerts(struct ys_rq *q, const char *select, const struct ys_report_params *p,
			 const struct ys_report_filter *f)
{
	ys_rq_add(q, select);
	ys_rq_int(q, " FROM alerts WHERE ts >= ?", p->from);
	ys_rq_int(q, " AND ts < ?", p->to);
	ys_rq_tenant(q, "tenant", f);
}

/*
 * The alerts of the period grouped by what the report breaks them down by:
 * one table scan whose rows (few: categories x signatures x tenants x sensors)
 * feed the category, signature, tenant, overlay and sensor figures.
 * Columns: category, sid, signature, tenant, sensor_id, rack, MIN(severity),
 * COUNT(*), overlay count, MIN(ts), MAX(ts).
 */
enum { G_CAT, G_SID, G_SIG, G_TENANT, G_SENSOR, G_RACK, G_SEV, G_COUNT, G_OVERLAY, G_MIN, G_MAX };

static int ys_collect_groups(struct ys_store *st, const struct ys_report_params *p,
			     const struct ys_report_filter *f, json_t **groups)
{
	struct ys_rq q;

	memset(&q, 0, sizeof(q));
	ys_rq_alerts(
		&q,
		"SELECT COALESCE(category, ''), sid, signature, tenant, sensor_id, MAX(rack),"
		" MIN(severity), COUNT(*),"
		" SUM(CASE WHEN json LIKE '%\"tunnel\":%' THEN 1 ELSE 0 END), MIN(ts), MAX(ts)",
		p, f);
	ys_rq_add(&q, " GROUP BY COALESCE(category, ''), sid, signature, tenant, sensor_id");
	return ys_rq_run(st, &q, groups);
}

/* Add N to the integer at KEY of OBJ (created at 0). */
static void ys_count_add(json_t *obj, const char *key, int64_t n)
{
	json_t *v = json_object_get(obj, key);

	if (v)
		json_integer_set(v, json_integer_value(v) + n);
	else
		json_object_set_new(obj, key, json_integer(n));
}

static int ys_cmp_count_desc_name(const void *x, const void *y)
{
	const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	json_int_t ca = json_integer_value(json_object_get(a, "count"));
	json_int_t cb = json_integer_value(json_object_get(b, "count"));

	if (ca != cb)
		return ca > cb ? -1 : 1;
	return strcmp(json_string_value(json_object_get(a, "category")),
		      json_string_value(json_object_get(b, "category")));
}

static int ys_cmp_count_desc_sid(const void *x, const void *y)
{
	const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	json_int_t ca = json_integer_value(json_object_get(a, "count"));
	json_int_t cb = json_integer_value(json_object_get(b, "count"));
	json_int_t sa = json_integer_value(json_object_get(a, "sid"));
	json_int_t sb = json_integer_value(json_object_get(b, "sid"));

	if (ca != cb)
		return ca > cb ? -1 : 1;
	if (sa != sb)
		return sa < sb ? -1 : 1;
	return strcmp(json_string_value(json_object_get(a, "signature")),
		      json_string_value(json_object_get(b, "signature")));
}

static int ys_cmp_key(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The values of OBJ as an array sorted by CMP, at most MAX of them (0: all). */
static json_t *ys_sorted_values(json_t *obj, int (*cmp)(const void *, const void *), size_t max)
{
	size_t n = json_object_size(obj), i = 0;
	json_t **v = calloc(n + 1, sizeof(*v)), *arr = json_array(), *val;
	const char *key;

	if (!v || !arr) {
		free(v);
		json_decref(arr);
		return NULL;
	}
	json_object_foreach(obj, key, val) v[i++] = val;
	qsort(v, n, sizeof(*v), cmp);
	for (i = 0; i < n && (!max || i < max); i++)
		json_array_append(arr, v[i]);
	free(v);
	return arr;
}

/* by_category, by_signature (top 20), by_tenant and the overlay count from GROUPS. */
static int ys_aggregate_groups(const json_t *groups, json_t *a, int64_t *overlay)
{
	json_t *cats = json_object(), *sigs = json_object(), *tens = json_object();
	json_t *arr, *tarr = json_array();
	const char **keys = NULL, *key;
	size_t i, n;
	int ret = -ENOMEM;

	if (!cats || !sigs || !tens || !tarr)
		goto out_free;
	*overlay = 0;
	for (i = 0; i < json_array_size(groups); i++) {
		const char *cat = ys_c(groups, i, G_CAT), *sig = ys_c(groups, i, G_SIG);
		int64_t count = ys_ci(groups, i, G_COUNT), sid = ys_ci(groups, i, G_SID);
		int64_t sev = ys_ci(groups, i, G_SEV);
		json_t *c, *sg;

		*overlay += ys_ci(groups, i, G_OVERLAY);
		ys_count_add(tens, ys_c(groups, i, G_TENANT) ? ys_c(groups, i, G_TENANT) : "",
			     count);
		c = json_object_get(cats, cat ? cat : "");
		if (!c) {
			c = json_pack("{s:s, s:I}", "category", cat ? cat : "", "count",
				      (json_int_t)0);
			json_object_set_new(cats, cat ? cat : "", c);
		}
		ys_count_add(c, "count", count);
		/* sid and text together name a signature (the text may change with rev) */
		{
			size_t klen = (sig ? strlen(sig) : 0) + 32;
			char *sigkey = malloc(klen);

			if (!sigkey)
				goto out_free;
			snprintf(sigkey, klen, "%lld\x1f%s", (long long)sid, sig ? sig : "");
			sg = json_object_get(sigs, sigkey);
			if (!sg) {
				sg = json_pack("{s:I, s:s, s:I, s:I}", "sid", (json_int_t)sid,
					       "signature", sig ? sig : "", "severity",
					       (json_int_t)sev, "count", (json_int_t)0);
				json_object_set_new(sigs, sigkey, sg);
			}
			free(sigkey);
			if (!sg)
				goto out_free;
		}
		if (sev < json_integer_value(json_object_get(sg, "severity")))
			json_object_set_new(sg, "severity", json_integer(sev));
		ys_count_add(sg, "count", count);
	}
	arr = ys_sorted_values(cats, ys_cmp_count_desc_name, 0);
	if (!arr)
		goto out_free;
	json_object_set_new(a, "by_category", arr);
	arr = ys_sorted_values(sigs, ys_cmp_count_desc_sid, 20);
	if (!arr)
		goto out_free;
	json_object_set_new(a, "by_signature", arr);
	n = json_object_size(tens);
	keys = calloc(n + 1, sizeof(*keys));
	if (!keys)
		goto out_free;
	i = 0;
	json_object_foreach(tens, key, arr) keys[i++] = key;
	qsort(keys, n, sizeof(*keys), ys_cmp_key);
	for (i = 0; i < n; i++)
		json_array_append_new(tarr, json_pack("{s:s, s:O}", "tenant", keys[i], "count",
						      json_object_get(tens, keys[i])));
	json_object_set(a, "by_tenant", tarr);
	ret = 0;
out_free:
	free(keys);
	json_decref(tarr);
	json_decref(cats);
	json_decref(sigs);
	json_decref(tens);
	return ret;
}

static int ys_collect_attacks(struct ys_store *st, const struct ys_report_params *p,
			      const struct ys_report_filter *f, const json_t *groups, json_t *ev)
{
	struct ys_rq q;
	json_t *rows = NULL, *a = json_object(), *arr, *srcs, *dsts;
	int64_t total = 0, external = 0, internal = 0, ew = 0, ew_pairs = 0, overlay = 0;
	size_t i;
	int ret;

	if (!a)
		return -ENOMEM;
	json_object_set_new(ev, "attacks", a);

	/* One pass over (source, target) pairs gives the total, the distinct sources and
	 * targets, external vs internal sources and the east-west traffic; addresses are
	 * classified here, which keeps the SQL the same for SQLite and PostgreSQL. */
	memset(&q, 0, sizeof(q));
	ys_rq_alerts(&q, "SELECT src_ip, dest_ip, COUNT(*)", p, f);
	ys_rq_add(&q, " GROUP BY src_ip, dest_ip");
	if ((ret = ys_rq_run(st, &q, &rows)))
		return ret;
	srcs = json_object();
	dsts = json_object();
	for (i = 0; i < json_array_size(rows); i++) {
		const char *src = ys_c(rows, i, 0), *dst = ys_c(rows, i, 1);
		int64_t n = ys_ci(rows, i, 2);
		bool src_in = ys_ip_internal(src);

		total += n;
		if (src)
			json_object_set_new(srcs, src, json_true());
		if (dst)
			json_object_set_new(dsts, dst, json_true());
		if (src_in)
			internal += n;
		else
			external += n;
		if (src_in && ys_ip_internal(dst)) {
			ew += n;
			ew_pairs++;
		}
	}
	json_object_set_new(a, "total", json_integer(total));
	json_object_set_new(a, "sources", json_integer((json_int_t)json_object_size(srcs)));
	json_object_set_new(a, "targets", json_integer((json_int_t)json_object_size(dsts)));
	json_object_set_new(a, "external", json_integer(external));
	json_object_set_new(a, "internal", json_integer(internal));
	json_decref(srcs);
	json_decref(dsts);
	json_decref(rows);

	ret = ys_aggregate_groups(groups, a, &overlay);
	if (ret)
		return ret;

	/* The attack list: oldest first, as an auditor reads a log. */
	memset(&q, 0, sizeof(q));
	ys_rq_alerts(&q,
		     "SELECT ts, src_ip, COALESCE(category, ''), signature, sid, severity, dest_ip,"
		     " tenant, event_id",
		     p, f);
	ys_rq_int(&q, " ORDER BY ts, id LIMIT ?", YS_REPORT_MAX_ATTACK_ROWS);
	if ((ret = ys_rq_run(st, &q, &rows)))
		return ret;
	arr = json_array();
	for (i = 0; i < json_array_size(rows); i++)
		json_array_append_new(
			arr, json_pack("{s:o, s:o, s:s, s:s, s:I, s:I, s:o, s:s, s:s}", "time",
				       ys_jtime(ys_ci(rows, i, 0)), "src_ip",
				       ys_jstr(ys_c(rows, i, 1)), "category", ys_c(rows, i, 2),
				       "signature", ys_c(rows, i, 3) ? ys_c(rows, i, 3) : "", "sid",
				       (json_int_t)ys_ci(rows, i, 4), "severity",
				       (json_int_t)ys_ci(rows, i, 5), "dest_ip",
				       ys_jstr(ys_c(rows, i, 6)), "tenant", ys_c(rows, i, 7),
				       "event_id", ys_c(rows, i, 8)));
	json_object_set_new(a, "listed", json_integer((json_int_t)json_array_size(arr)));
	json_object_set_new(a, "truncated",
			    json_boolean((json_int_t)json_array_size(arr) <
					 json_integer_value(json_object_get(a, "total"))));
	json_object_set_new(a, "list", arr);
	json_decref(rows);

	/* Cloud extension: overlay (VXLAN/GENEVE) alerts and east-west traffic. */
	{
		json_t *cloud = json_object();

		json_object_set_new(ev, "cloud", cloud);
		json_object_set_new(cloud, "overlay_alerts", json_integer(overlay));
		json_object_set_new(cloud, "east_west_alerts", json_integer(ew));
		json_object_set_new(cloud, "east_west_pairs", json_integer(ew_pairs));
		json_object_set_new(
			cloud, "tenants_attacked",
			json_integer((json_int_t)json_array_size(json_object_get(a, "by_tenant"))));
	}
	return 0;
}

static int ys_collect_alarms(struct ys_store *st, const struct ys_report_params *p,
			     const struct ys_report_filter *f, json_t *ev)
{
	static const char *const levels[] = { "red", "orange", "yellow", "blue" };
	struct ys_rq q;
	json_t *rows = NULL, *al = json_object(), *by, *arr;
	int64_t total = 0;
	size_t i, l;
	int ret;

	if (!al)
		return -ENOMEM;
	json_object_set_new(ev, "alarms", al);

	/* Incidents active in the period: they began before its end and were last
	 * seen after its start. */
	memset(&q, 0, sizeof(q));
	ys_rq_int(&q, "SELECT level, COUNT(*) FROM incidents WHERE first_seen < ?", p->to);
	ys_rq_int(&q, " AND last_seen >= ?", p->from);
	ys_rq_tenant(&q, "tenant", f);
	ys_rq_add(&q, " GROUP BY level");
	if ((ret = ys_rq_run(st, &q, &rows)))
		return ret;
	by = json_object();
	for (l = 0; l < sizeof(levels) / sizeof(levels[0]); l++)
		json_object_set_new(by, levels[l], json_integer(0));
	for (i = 0; i < json_array_size(rows); i++) {
		if (ys_c(rows, i, 0))
			json_object_set_new(by, ys_c(rows, i, 0), json_integer(ys_ci(rows, i, 1)));
		total += ys_ci(rows, i, 1);
	}
	json_object_set_new(al, "by_level", by);
	json_object_set_new(al, "total", json_integer(total));
	json_decref(rows);

	memset(&q, 0, sizeof(q));
	ys_rq_int(&q, "SELECT rule, COUNT(*), SUM(alert_count) FROM incidents WHERE first_seen < ?",
		  p->to);
	ys_rq_int(&q, " AND last_seen >= ?", p->from);
	ys_rq_tenant(&q, "tenant", f);
	ys_rq_add(&q, " GROUP BY rule ORDER BY 2 DESC, 1");
	if ((ret = ys_rq_run(st, &q, &rows)))
		return ret;
	arr = json_array();
	for (i = 0; i < json_array_size(rows); i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:I}", "rule", ys_c(rows, i, 0),
						     "count", (json_int_t)ys_ci(rows, i, 1),
						     "alerts", (json_int_t)ys_ci(rows, i, 2)));
	json_object_set_new(al, "by_rule", arr);
	json_decref(rows);

	/* Serious intrusions (orange, red) with when they were raised and handled. */
	memset(&q, 0, sizeof(q));
	ys_rq_add(&q, "SELECT i.id, i.title, i.level, i.tenant, i.rule, i.first_seen, i.last_seen,"
		      " i.alert_count, i.status,"
		      " (SELECT MIN(h.time) FROM incident_history h WHERE h.incident_id = i.id"
		      " AND h.action = 'acknowledge'),"
		      " (SELECT MIN(h.time) FROM incident_history h WHERE h.incident_id = i.id"
		      " AND h.action = 'close'),"
		      " (SELECT MIN(h.time) FROM incident_history h WHERE h.incident_id = i.id"
		      " AND h.action = 'created')"
		      " FROM incidents i WHERE i.level IN ('red', 'orange')");
	ys_rq_int(&q, " AND i.first_seen < ?", p->to);
	ys_rq_int(&q, " AND i.last_seen >= ?", p->from);
	ys_rq_tenant(&q, "i.tenant", f);
	ys_rq_int(&q, " ORDER BY i.first_seen, i.id LIMIT ?", YS_RQ_MAX_SERIOUS);
	if ((ret = ys_rq_run(st, &q, &rows)))
		return ret;
	arr = json_array();
	for (i = 0; i < json_array_size(rows); i++)
		json_array_append_new(
			arr,
			json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:s, s:o, s:o, s:o}",
				  "id", (json_int_t)ys_ci(rows, i, 0), "title", ys_c(rows, i, 1),
				  "level", ys_c(rows, i, 2), "tenant", ys_c(rows, i, 3), "rule",
				  ys_c(rows, i, 4), "first_seen", ys_jtime(ys_ci(rows, i, 5)),
				  "last_seen", ys_jtime(ys_ci(rows, i, 6)), "alert_count",
				  (json_int_t)ys_ci(rows, i, 7), "status", ys_c(rows, i, 8),
				  "acknowledged_at", ys_jtime_or_null(rows, i, 9), "closed_at",
				  ys_jtime_or_null(rows, i, 10), "raised_at",
				  ys_jtime_or_null(rows, i, 11)));
	json_object_set_new(al, "serious", arr);
	json_decref(rows);
	return 0;
}

static int ys_collect_audit(struct ys_store *st, const struct ys_report_params *p,
			    const struct ys_report_filter *f, json_t *ev)
{
	struct ys_audit_verdict v;
	struct ys_rq q;
	json_t *rows = NULL, *au = json_object(), *arr;
	int64_t in_period = 0;
	size_t i;
	int ret;

	if (!au)
		return -ENOMEM;
	json_object_set_new(ev, "audit", au);
	memset(&v, 0, sizeof(v));
	ret = ys_store_audit_verify(st, &v);
	if (ret)
		return ret;
	json_object_set_new(au, "chain_ok", json_boolean(v.ok));
	json_object_set_new(au, "records", json_integer(v.records));
	json_object_set_new(au, "first_bad", v.ok ? json_null() : json_integer(v.first_bad));
	json_object_set_new(au, "reason", v.ok ? json_null() : json_string(v.reason));

	/* Actions in the period; for a tenant, only those on its incidents (the
	 * audit log is shared, another tenant's activity is not this report's). */
	memset(&q, 0, sizeof(q));
	ys_rq_int(&q, "SELECT action, COUNT(*) FROM audit WHERE time >= ?", p->from);
	ys_rq_int(&q, " AND time < ?", p->to);
	if (f->tenant || (f->scope && !f->scope->all)) {
		ys_rq_add(&q,
			  " AND target IN (SELECT 'incident/' || CAST(id AS TEXT) FROM incidents"
			  " WHERE 1 = 1");
		ys_rq_tenant(&q, "tenant", f);
		ys_rq_add(&q, ")");
	}
	ys_rq_add(&q, " GROUP BY action ORDER BY 2 DESC, 1");
	if ((ret = ys_rq_run(st, &q, &rows)))
		return ret;
	arr = json_array();
	for (i = 0; i < json_array_size(rows); i++) {
		json_array_append_new(arr, json_pack("{s:s, s:I}", "action", ys_c(rows, i, 0),
						     "count", (json_int_t)ys_ci(rows, i, 1)));
		in_period += ys_ci(rows, i, 1);
	}
	json_object_set_new(au, "by_action", arr);
	json_object_set_new(au, "in_period", json_integer(in_period));
	json_decref(rows);

	memset(&q, 0, sizeof(q));
	ys_rq_add(&q, "SELECT MIN(time) FROM audit");
	if ((ret = ys_rq_run(st, &q, &rows)))
		return ret;
	json_object_set_new(au, "first_record", ys_jtime_or_null(rows, 0, 0));
	json_decref(rows);

	/* Rule and configuration changes recorded in the audit chain. */
	{
		json_t *ru = json_object(), *ups = json_array();

		json_object_set_new(ev, "rules", ru);
		json_object_set_new(ru, "updates", ups);
		memset(&q, 0, sizeof(q));
		ys_rq_int(&q,
			  "SELECT time, actor, action, target, detail FROM audit WHERE time >= ?",
			  p->from);
		ys_rq_int(&q, " AND time < ?", p->to);
		ys_rq_add(&q, " AND (action LIKE 'rule%' OR action LIKE 'config%'"
			      " OR action LIKE '%reload%')");
		ys_rq_int(&q, " ORDER BY seq LIMIT ?", YS_RQ_MAX_UPDATES);
		if ((ret = ys_rq_run(st, &q, &rows)))
			return ret;
		for (i = 0; i < json_array_size(rows); i++)
			json_array_append_new(
				ups, json_pack("{s:o, s:s, s:s, s:s, s:s}", "time",
					       ys_jtime(ys_ci(rows, i, 0)), "actor",
					       ys_c(rows, i, 1), "action", ys_c(rows, i, 2),
					       "target", ys_c(rows, i, 3) ? ys_c(rows, i, 3) : "",
					       "detail", ys_c(rows, i, 4) ? ys_c(rows, i, 4) : ""));
		json_decref(rows);
	}
	return 0;
}

static int ys_collect_retention(struct ys_store *st, const struct ys_report_params *p,
				const struct ys_report_filter *f, json_t *ev)
{
	struct ys_rq q;
	json_t *rows = NULL, *re = json_object();
	int64_t oldest, cfg = p->retention_days;
	int ret;

	if (!re)
		return -ENOMEM;
	json_object_set_new(ev, "retention", re);
	memset(&q, 0, sizeof(q));
	ys_rq_add(&q, "SELECT MIN(ts), MAX(ts), COUNT(*) FROM alerts WHERE 1 = 1");
	ys_rq_tenant(&q, "tenant", f);
	if ((ret = ys_rq_run(st, &q, &rows)))
		return ret;
	oldest = ys_ci(rows, 0, 0);
	json_object_set_new(re, "oldest_alert", ys_jtime_or_null(rows, 0, 0));
	json_object_set_new(re, "newest_alert", ys_jtime_or_null(rows, 0, 1));
	json_object_set_new(re, "alerts_stored", json_integer(ys_ci(rows, 0, 2)));
	json_object_set_new(re, "held_days",
			    json_integer(ys_c(rows, 0, 0) && p->now > oldest
						 ? (p->now - oldest) / (86400LL * 1000000)
						 : 0));
	json_decref(rows);
	json_object_set_new(re, "configured_days", json_integer(cfg));
	json_object_set_new(re, "required_days", json_integer(YS_REPORT_REQUIRED_RETENTION_D));
	json_object_set_new(re, "policy_ok", json_boolean(cfg >= YS_REPORT_REQUIRED_RETENTION_D));
	return 0;
}

/* Uptime as the sensor reports it in its heartbeat, under the names it may use. */
static json_t *ys_stats_uptime(const json_t *stats)
{
	static const char *const keys[] = { "uptime_s",	       "uptime_seconds", "uptime",
					    "elapsed_seconds", "elapsed_s",	 "elapsed" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(stats, keys[i]);

		if (json_is_number(v))
			return json_integer((json_int_t)json_number_value(v));
	}
	return json_null();
}

static json_t *ys_stats_int(const json_t *stats, const char *obj, const char *key)
{
	json_t *v = json_object_get(obj ? json_object_get(stats, obj) : stats, key);

	return json_is_integer(v) ? json_integer(json_integer_value(v)) : json_null();
}

static void ys_add_rack(json_t *racks, const char *rack)
{
	json_t *x;
	size_t k;

	if (!rack || !*rack)
		return;
	json_array_foreach(racks, k, x)
	{
		if (strcmp(json_string_value(x), rack) == 0)
			return;
	}
	json_array_append_new(racks, json_string(rack));
}

/* Fill a sensor row's period figures from alert row R of ROWS (or zeros). */
static void ys_sensor_period(json_t *row, const json_t *rows, size_t r, bool have)
{
	json_object_set_new(row, "alerts_in_period", json_integer(have ? ys_ci(rows, r, 2) : 0));
	json_object_set_new(row, "tenants_seen", json_integer(have ? ys_ci(rows, r, 5) : 0));
	json_object_set_new(row, "first_alert", have ? ys_jtime(ys_ci(rows, r, 3)) : json_null());
	json_object_set_new(row, "last_alert", have ? ys_jtime(ys_ci(rows, r, 4)) : json_null());
}

/*
 * Per-sensor figures of the period from GROUPS, as rows [sensor_id, rack,
 * alerts, first ts, last ts, distinct tenants] sorted by sensor id.
 */
static int ys_sensor_rows(const json_t *groups, json_t **out)
{
	json_t *by = json_object(), *rows = json_array(), *s;
	const char **keys = NULL, *key;
	size_t i, n;
	int ret = -ENOMEM;

	if (!by || !rows)
		goto out_free;
	for (i = 0; i < json_array_size(groups); i++) {
		const char *id = ys_c(groups, i, G_SENSOR), *rack = ys_c(groups, i, G_RACK);
		const char *tenant = ys_c(groups, i, G_TENANT);
		int64_t lo = ys_ci(groups, i, G_MIN), hi = ys_ci(groups, i, G_MAX);

		if (!id)
			continue;
		s = json_object_get(by, id);
		if (!s) {
			s = json_pack("{s:I, s:I, s:I, s:{}, s:n}", "count", (json_int_t)0, "min",
				      (json_int_t)lo, "max", (json_int_t)hi, "tenants", "rack");
			if (!s || json_object_set_new(by, id, s))
				goto out_free;
		}
		ys_count_add(s, "count", ys_ci(groups, i, G_COUNT));
		if (lo < json_integer_value(json_object_get(s, "min")))
			json_object_set_new(s, "min", json_integer(lo));
		if (hi > json_integer_value(json_object_get(s, "max")))
			json_object_set_new(s, "max", json_integer(hi));
		if (tenant)
			json_object_set_new(json_object_get(s, "tenants"), tenant, json_true());
		if (rack && (!json_is_string(json_object_get(s, "rack")) ||
			     strcmp(rack, json_string_value(json_object_get(s, "rack"))) > 0))
			json_object_set_new(s, "rack", json_string(rack));
	}
	n = json_object_size(by);
	keys = calloc(n + 1, sizeof(*keys));
	if (!keys)
		goto out_free;
	i = 0;
	json_object_foreach(by, key, s) keys[i++] = key;
	qsort(keys, n, sizeof(*keys), ys_cmp_key);
	for (i = 0; i < n; i++) {
		char num[4][24];

		s = json_object_get(by, keys[i]);
		/* text cells, like the SQL rows the caller reads */
		snprintf(num[0], sizeof(num[0]), "%lld",
			 (long long)json_integer_value(json_object_get(s, "count")));
		snprintf(num[1], sizeof(num[1]), "%lld",
			 (long long)json_integer_value(json_object_get(s, "min")));
		snprintf(num[2], sizeof(num[2]), "%lld",
			 (long long)json_integer_value(json_object_get(s, "max")));
		snprintf(num[3], sizeof(num[3]), "%zu",
			 json_object_size(json_object_get(s, "tenants")));
		json_array_append_new(rows, json_pack("[s, O, s, s, s, s]", keys[i],
						      json_object_get(s, "rack"), num[0], num[1],
						      num[2], num[3]));
	}
	*out = rows;
	rows = NULL;
	ret = 0;
out_free:
	free(keys);
	json_decref(rows);
	json_decref(by);
	return ret;
}

/*
 * Sensors: every sensor with a heartbeat (status ok/silent, judged at NOW by
 * the store), plus those known only from alerts in the period, which never
 * sent a heartbeat ("no_heartbeat"): coverage is claimed for what reported
 * alerts, health only for what reported itself.
 */
static int ys_collect_sensors(struct ys_store *st, const struct ys_report_params *p,
			      const struct ys_report_filter *f, const json_t *groups, json_t *ev)
{
	json_t *rows = NULL, *out = NULL, *se = json_object(), *list, *racks, *loaded, *s;
	int64_t ok = 0, silent = 0, no_hb = 0, active = 0;
	bool *matched = NULL;
	size_t i, r;
	int ret;

	if (!se)
		return -ENOMEM;
	json_object_set_new(ev, "sensors", se);
	ret = ys_store_sensors(st, f->scope, p->now, &out);
	if (ret)
		return ret;
	ret = ys_sensor_rows(groups, &rows);
	if (ret)
		goto out_free;
	matched = calloc(json_array_size(rows) + 1, sizeof(*matched));
	if (!matched) {
		ret = -ENOMEM;
		goto out_free;
	}
	list = json_array();
	racks = json_array();
	loaded = json_array();
	json_object_set_new(se, "list", list);
	json_object_set_new(se, "racks", racks);
	json_object_set_new(json_object_get(ev, "rules"), "loaded", loaded);
	json_array_foreach(json_object_get(out, "sensors"), i, s)
	{
		const char *id = json_string_value(json_object_get(s, "id"));
		const char *rack = json_string_value(json_object_get(s, "rack"));
		const char *status = json_string_value(json_object_get(s, "status"));
		const json_t *stats = json_object_get(s, "stats");
		bool have = false;
		json_t *row;

		if (!id)
			continue;
		if (status && strcmp(status, "ok") == 0)
			ok++;
		else
			silent++;
		row = json_pack("{s:s, s:o, s:o, s:s, s:O, s:o, s:o}", "id", id, "rack",
				ys_jstr(rack), "host",
				ys_jstr(json_string_value(json_object_get(s, "host"))), "status",
				status && strcmp(status, "ok") == 0 ? "ok" : "silent", "last_seen",
				json_object_get(s, "last_seen"), "uptime_s", ys_stats_uptime(stats),
				"rules_loaded", ys_stats_int(stats, "detect", "rules_loaded"));
		for (r = 0; r < json_array_size(rows) && !have; r++) {
			if (ys_c(rows, r, 0) && strcmp(id, ys_c(rows, r, 0)) == 0) {
				have = true;
				matched[r] = true;
				ys_sensor_period(row, rows, r, true);
			}
		}
		if (!have)
			ys_sensor_period(row, rows, 0, false);
		active += have;
		json_array_append_new(list, row);
		ys_add_rack(racks, rack);
		/* The rule set each sensor runs, as its last heartbeat states it; reload
		 * counters and a rule-set digest when the sensor reports them. */
		if (json_object_get(json_object_get(stats, "detect"), "rules_loaded"))
			json_array_append_new(
				loaded,
				json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "sensor", id,
					  "rules_loaded",
					  ys_stats_int(stats, "detect", "rules_loaded"),
					  "rules_failed",
					  ys_stats_int(stats, "detect", "rules_failed"),
					  "reloads_ok", ys_stats_int(stats, "detect", "reloads_ok"),
					  "reloads_failed",
					  ys_stats_int(stats, "detect", "reloads_failed"),
					  "ruleset",
					  ys_jstr(json_string_value(json_object_get(
						  json_object_get(stats, "detect"), "ruleset")))));
	}
	for (r = 0; r < json_array_size(rows); r++) {
		json_t *row;

		if (matched[r] || !ys_c(rows, r, 0))
			continue;
		row = json_pack("{s:s, s:o, s:n, s:s, s:n, s:n, s:n}", "id", ys_c(rows, r, 0),
				"rack", ys_jstr(ys_c(rows, r, 1)), "host", "status", "no_heartbeat",
				"last_seen", "uptime_s", "rules_loaded");
		ys_sensor_period(row, rows, r, true);
		json_array_append_new(list, row);
		ys_add_rack(racks, ys_c(rows, r, 1));
		no_hb++;
		active++;
	}
	json_object_set_new(se, "total", json_integer((json_int_t)json_array_size(list)));
	json_object_set_new(se, "ok", json_integer(ok));
	json_object_set_new(se, "silent", json_integer(silent));
	json_object_set_new(se, "no_heartbeat", json_integer(no_hb));
	json_object_set_new(se, "with_alerts", json_integer(active));
out_free:
	free(matched);
	json_decref(rows);
	json_decref(out);
	return ret;
}

/* The controls and whether the store holds evidence for each, from the figures above. */
static void ys_collect_controls(json_t *ev)
{
	const json_t *a = json_object_get(ev, "attacks"), *al = json_object_get(ev, "alarms"),
		     *au = json_object_get(ev, "audit"), *se = json_object_get(ev, "sensors"),
		     *re = json_object_get(ev, "retention"), *cl = json_object_get(ev, "cloud");
	json_int_t attacks = json_integer_value(json_object_get(a, "total"));
	json_int_t serious =
		json_integer_value(json_object_get(json_object_get(al, "by_level"), "red")) +
		json_integer_value(json_object_get(json_object_get(al, "by_level"), "orange"));
	/* Central monitoring of device status needs sensors that report their own health. */
	json_int_t heartbeats = json_integer_value(json_object_get(se, "ok")) +
				json_integer_value(json_object_get(se, "silent"));
	json_t *c = json_array();

	json_array_append_new(c, json_pack("{s:s, s:s, s:s, s:[s,s,s,s], s:b}", "id", "8.1.3.3",
					   "title_zh", "安全区域边界 · 入侵防范", "title_en",
					   "Security area boundary: intrusion prevention", "items",
					   "a", "b", "c", "d", "evidence_present",
					   attacks > 0 || serious > 0));
	json_array_append_new(
		c, json_pack("{s:s, s:s, s:s, s:[s,s,s], s:b}", "id", "8.1.3.5", "title_zh",
			     "安全区域边界 · 安全审计", "title_en",
			     "Security area boundary: security audit", "items", "a", "b", "c",
			     "evidence_present",
			     json_is_true(json_object_get(au, "chain_ok")) &&
				     json_integer_value(json_object_get(au, "records")) > 0));
	json_array_append_new(
		c, json_pack("{s:s, s:s, s:s, s:[s,s,s,s], s:b}", "id", "8.1.5.4", "title_zh",
			     "安全管理中心 · 集中管控", "title_en",
			     "Security management centre: centralised management", "items", "c",
			     "d", "e", "f", "evidence_present",
			     heartbeats > 0 && json_is_true(json_object_get(re, "policy_ok"))));
	json_array_append_new(
		c, json_pack("{s:s, s:s, s:s, s:[s,s,s,s], s:b}", "id", "8.2.3.2", "title_zh",
			     "云计算安全扩展 · 安全区域边界 · 入侵防范", "title_en",
			     "Cloud extension, security area boundary: intrusion prevention",
			     "items", "a", "b", "c", "d", "evidence_present",
			     json_integer_value(json_object_get(cl, "tenants_attacked")) > 0));
	json_object_set_new(ev, "controls", c);
}

int ys_report_format_parse(const char *s, enum ys_report_format *out)
{
	if (!s || !*s || strcmp(s, "html") == 0)
		*out = YS_REPORT_HTML;
	else if (strcmp(s, "pdf") == 0)
		*out = YS_REPORT_PDF;
	else if (strcmp(s, "json") == 0)
		*out = YS_REPORT_JSON;
	else
		return -EINVAL;
	return 0;
}

int ys_report_parse_query(const char *tenant, const char *from, const char *to, const char *format,
			  int64_t now, struct ys_report_params *p, enum ys_report_format *fmt,
			  char *err, size_t errlen)
{
	int64_t f = 0, t = now;

	if (ys_report_format_parse(format, fmt)) {
		snprintf(err, errlen, "format: expected html, pdf or json");
		return -EINVAL;
	}
	if (to && *to && ys_time_param_parse(to, &t)) {
		snprintf(err, errlen, "to: expected RFC 3339 or epoch seconds");
		return -EINVAL;
	}
	if (from && *from) {
		if (ys_time_param_parse(from, &f)) {
			snprintf(err, errlen, "from: expected RFC 3339 or epoch seconds");
			return -EINVAL;
		}
	} else {
		f = t - (int64_t)YS_REPORT_DEFAULT_PERIOD_D * 86400 * 1000000;
	}
	if (f < 0 || t <= f) {
		snprintf(err, errlen, "period: from must be before to");
		return -EINVAL;
	}
	p->tenant = tenant && *tenant ? tenant : NULL;
	p->from = f;
	p->to = t;
	p->now = now;
	return 0;
}

int ys_report_http_status(int err, const char **msg)
{
	switch (err) {
	case 0:
		*msg = "ok";
		return 200;
	case -EINVAL:
		*msg = "bad report parameters";
		return 400;
	case -ENOENT:
		*msg = "not found";
		return 404;
	case -ENOSYS:
		*msg = "PDF renderer (chromium) not available";
		return 503;
	case -ETIMEDOUT:
		*msg = "report rendering timed out";
		return 503;
	default:
		*msg = "report generation failed";
		return 500;
	}
}

int ys_report_collect(struct ys_store *st, const struct ys_tenant_scope *scope,
		      const struct ys_report_params *p, json_t **out)
{
	struct ys_report_filter f = { .tenant = p->tenant, .scope = scope };
	json_t *ev, *sc, *tenants, *groups = NULL;
	size_t i;
	int ret;

	*out = NULL;
	if (p->from < 0 || p->to <= p->from)
		return -EINVAL;
	if (p->tenant && scope && !ys_scope_allows(scope, p->tenant))
		return -ENOENT;
	ev = json_object();
	sc = json_object();
	tenants = json_array();
	if (!ev || !sc || !tenants) {
		json_decref(ev);
		json_decref(sc);
		json_decref(tenants);
		return -ENOMEM;
	}
	json_object_set_new(ev, "scope", sc);
	json_object_set_new(sc, "tenant", ys_jstr(p->tenant));
	if (p->tenant)
		json_array_append_new(tenants, json_string(p->tenant));
	else if (scope && !scope->all)
		for (i = 0; i < scope->n; i++)
			json_array_append_new(tenants, json_string(scope->names[i]));
	json_object_set_new(sc, "tenants", tenants);
	json_object_set_new(sc, "all_tenants", json_boolean(!p->tenant && (!scope || scope->all)));
	json_object_set_new(sc, "from", ys_jtime(p->from));
	json_object_set_new(sc, "to", ys_jtime(p->to));
	json_object_set_new(sc, "generated_at", ys_jtime(p->now));
	json_object_set_new(sc, "generated_by", ys_jstr(p->generated_by));
	json_object_set_new(sc, "store", json_string(ys_store_driver_name(st)));

	ret = ys_collect_groups(st, p, &f, &groups);
	if (!ret)
		ret = ys_collect_attacks(st, p, &f, groups, ev);
	if (!ret)
		ret = ys_collect_alarms(st, p, &f, ev);
	if (!ret)
		ret = ys_collect_audit(st, p, &f, ev);
	if (!ret)
		ret = ys_collect_retention(st, p, &f, ev);
	if (!ret)
		ret = ys_collect_sensors(st, p, &f, groups, ev);
	json_decref(groups);
	if (ret) {
		json_decref(ev);
		return ret;
	}
	ys_collect_controls(ev);
	*out = ev;
	return 0;
}

int ys_report_generate(struct ys_store *st, const struct ys_tenant_scope *scope,
		       const struct ys_report_params *p, enum ys_report_format fmt, char **body,
		       size_t *len, const char **content_type)
{
	json_t *ev = NULL;
	char *html = NULL;
	size_t hlen = 0;
	int ret;

	*body = NULL;
	*len = 0;
	ret = ys_report_collect(st, scope, p, &ev);
	if (ret)
		return ret;
	if (fmt == YS_REPORT_JSON) {
		*body = json_dumps(ev, JSON_INDENT(1) | JSON_SORT_KEYS);
		ret = *body ? 0 : -ENOMEM;
		if (!ret)
			*len = strlen(*body);
		*content_type = "application/json";
		goto out_free_ev;
	}
	ret = ys_report_render_html(ev, &html, &hlen);
	if (ret)
		goto out_free_ev;
	if (fmt == YS_REPORT_HTML) {
		*body = html;
		*len = hlen;
		*content_type = "text/html; charset=utf-8";
		html = NULL;
		goto out_free_ev;
	}
	ret = ys_report_html_to_pdf(html, hlen, p->chromium, p->pdf_timeout_ms, body, len);
	*content_type = "application/pdf";
	free(html);
out_free_ev:
	json_decref(ev);
	return ret;
}
