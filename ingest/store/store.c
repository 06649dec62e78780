/*
 * The ingest store's domain logic, written once over the driver ops table
 * (store.h): schema migrations, alert de-duplication, incident upserts,
 * tenant-scoped queries with keyset paging, the situation summary, sensors,
 * the audit chain and retention purge.
 *
 * Every statement is a constant string or is assembled by ys_qb from constant
 * fragments chosen by which filters are present; values only ever travel as
 * parameters. Tenant scoping is a "tenant IN (?, …)" clause added to every
 * query that returns tenant data, so isolation is enforced by the database,
 * not by filtering results afterwards.
 */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "audit.h"
#include "ys_event.h"
#include "ys_log.h"

struct ys_store {
	const struct ys_store_driver *drv;
	void *db;
};

static const char *const ys_levels[] = { "blue", "yellow", "orange", "red" };

/* ---- time ---- */

void ys_rfc3339(int64_t usec, char out[YS_RFC3339_LEN])
{
	time_t secs = (time_t)(usec / 1000000);
	int64_t frac = usec % 1000000;
	struct tm tm;

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	gmtime_r(&secs, &tm);
	/* Clamp what the format cannot hold, so the output is always well formed. */
	if (tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		tm.tm_year = 9999 - 1900;
	snprintf(out, YS_RFC3339_LEN, "%04u-%02u-%02uT%02u:%02u:%02u.%06uZ",
		 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
		 (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
		 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u, (unsigned)frac % 1000000u);
}

int ys_time_param_parse(const char *s, int64_t *usec)
{
	uint64_t ts;
	char *end;

	if (!s || !*s || strlen(s) > 40)
		return -EINVAL;
	if (strchr(s, '-') == NULL || s[0] == '-') {
		double d;

		errno = 0;
		d = strtod(s, &end);
		if (errno || *end || d < 0 || d > 4102444800.0) /* before 2100 */
			return -EINVAL;
		*usec = (int64_t)(d * 1e6);
		return 0;
	}
	if (ys_eve_timestamp_parse(s, &ts) || ts > (uint64_t)INT64_MAX)
		return -EINVAL;
	*usec = (int64_t)ts;
	return 0;
}

static json_t *ys_json_time(int64_t usec)
{
	char buf[YS_RFC3339_LEN];

	ys_rfc3339(usec, buf);
	return json_string(buf);
}

static int64_t ys_i64(const char *s)
{
	return s ? strtoll(s, NULL, 10) : 0;
}

/* ---- statement helpers ---- */

static inline struct ys_sql_param ys_p_text(const char *s)
{
	return (struct ys_sql_param){ .type = s ? YS_SQL_TEXT : YS_SQL_NULL, .s = s };
}

static inline struct ys_sql_param ys_p_int(int64_t i)
{
	return (struct ys_sql_param){ .type = YS_SQL_INT, .i = i };
}

/* Rows as a JSON array of arrays of strings/nulls: simple to consume, fine off the hot path. */
static int ys_rows_collect(void *user, int ncol, const char *const *val)
{
	json_t *row = json_array(), *rows = user;

	if (!row)
		return -ENOMEM;
	for (int i = 0; i < ncol; i++)
		json_array_append_new(row, val[i] ? json_string(val[i]) : json_null());
	return json_array_append_new(rows, row) ? -ENOMEM : 0;
}

static int ys_q(struct ys_store *st, const char *sql, const struct ys_sql_param *p, int np,
		json_t **rows)
{
	int ret;

	*rows = json_array();
	if (!*rows)
		return -ENOMEM;
	ret = st->drv->exec(st->db, sql, p, np, ys_rows_collect, *rows);
	if (ret) {
		json_decref(*rows);
		*rows = NULL;
	}
	return ret;
}

static int ys_one_int(void *user, int ncol, const char *const *val)
{
	int64_t *out = user;

	if (ncol > 0 && val[0])
		*out = ys_i64(val[0]);
	return 0;
}

static int ys_q_int(struct ys_store *st, const char *sql, const struct ys_sql_param *p, int np,
		    int64_t *out)
{
	*out = 0;
	return st->drv->exec(st->db, sql, p, np, ys_one_int, out);
}

static const char *ys_cell(json_t *row, size_t i)
{
	return json_string_value(json_array_get(row, i));
}

static int64_t ys_cell_int(json_t *row, size_t i)
{
	return ys_i64(ys_cell(row, i));
}

/* Query builder: constant fragments + parameters. */
struct ys_qb {
	char sql[4096];
	size_t len;
	struct ys_sql_param p[YS_STORE_MAX_PARAMS];
	int np;
	bool overflow;
};

static void ys_qb_add(struct ys_qb *qb, const char *frag)
{
	size_t n = strlen(frag);

	if (qb->len + n >= sizeof(qb->sql)) {
		qb->overflow = true;
		return;
	}
	memcpy(qb->sql + qb->len, frag, n + 1);
	qb->len += n;
}

static void ys_qb_param(struct ys_qb *qb, struct ys_sql_param p)
{
	if (qb->np >= YS_STORE_MAX_PARAMS) {
		qb->overflow = true;
		return;
	}
	qb->p[qb->np++] = p;
}

static void ys_qb_text(struct ys_qb *qb, const char *frag, const char *v)
{
	ys_qb_add(qb, frag);
	ys_qb_param(qb, ys_p_text(v));
}

static void ys_qb_int(struct ys_qb *qb, const char *frag, int64_t v)
{
	ys_qb_add(qb, frag);
	ys_qb_param(qb, ys_p_int(v));
}

/* " AND <col> IN (?, …)" for a scoped caller; nothing for "*"; never-true for no tenants. */
static void ys_qb_scope(struct ys_qb *qb, const char *col, const struct ys_tenant_scope *scope)
{
	if (!scope || scope->all)
		return;
	if (scope->n == 0) {
		ys_qb_add(qb, " AND 1 = 0");
		return;
	}
	ys_qb_add(qb, " AND ");
	ys_qb_add(qb, col);
	ys_qb_add(qb, " IN (");
	for (size_t i = 0; i < scope->n; i++) {
		ys_qb_add(qb, i ? ", ?" : "?");
		ys_qb_param(qb, ys_p_text(scope->names[i]));
	}
	ys_qb_add(qb, ")");
}

bool ys_scope_allows(const struct ys_tenant_scope *scope, const char *tenant)
{
	if (!scope || scope->all)
		return true;
	if (!tenant)
		return false;
	for (size_t i = 0; i < scope->n; i++)
		if (strcmp(scope->names[i], tenant) == 0)
			return true;
	return false;
}

/* Keyset cursor "<time>-<id>" (opaque to clients). */
static int ys_cursor_parse(const char *c, int64_t *t, int64_t *id)
{
	char *end;

	if (!c || strlen(c) > 48)
		return -EINVAL;
	errno = 0;
	*t = strtoll(c, &end, 10);
	if (errno || end == c || *end != '_')
		return -EINVAL;
	c = end + 1;
	*id = strtoll(c, &end, 10);
	if (errno || end == c || *end || *id < 0)
		return -EINVAL;
	return 0;
}

static json_t *ys_cursor_make(int64_t t, int64_t id)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%" PRId64 "_%" PRId64, t, id);
	return json_string(buf);
}

static int ys_clamp_limit(int limit)
{
	if (limit <= 0)
		return 100;
	return limit > 1000 ? 1000 : limit;
}

/* ---- open / migrate ---- */

static int ys_store_migrate(struct ys_store *st)
{
	const struct ys_store_driver *drv = st->drv;
	int64_t version = 0;
	int ret;

	ret = drv->script(st->db,
			  "CREATE TABLE IF NOT EXISTS schema_version ("
			  " version INTEGER NOT NULL PRIMARY KEY, applied BIGINT NOT NULL)");
	if (ret)
		return ret;
	for (;;) {
		ret = drv->begin(st->db);
		if (ret)
			return ret;
		/* Two instances starting together: the lock makes the second wait and re-read. */
		ret = drv->lock_audit(st->db);
		if (!ret)
			ret = ys_q_int(st, "SELECT max(version) FROM schema_version", NULL, 0,
				       &version);
		if (ret)
			goto out_rollback;
		if (version > drv->nmigrations) {
			ys_err("store",
			       "database schema version %" PRId64
			       " is newer than this binary knows (%d)",
			       version, drv->nmigrations);
			ret = -EPROTO;
			goto out_rollback;
		}
		if (version == drv->nmigrations)
			return drv->commit(st->db);
		ret = drv->script(st->db, drv->migrations[version]);
		if (!ret) {
			struct ys_sql_param p[2] = { ys_p_int(version + 1),
						     ys_p_int((int64_t)time(NULL)) };

			ret = drv->exec(
				st->db,
				"INSERT INTO schema_version(version, applied) VALUES (?, ?)", p, 2,
				NULL, NULL);
		}
		if (ret)
			goto out_rollback;
		ret = drv->commit(st->db);
		if (ret)
			return ret;
		ys_notice("store", "%s: schema migrated to version %" PRId64, drv->name,
			  version + 1);
	}
out_rollback:
	drv->rollback(st->db);
	return ret;
}

struct ys_store *ys_store_wrap(const struct ys_store_driver *drv, void *db, char *err,
			       size_t errlen)
{
	struct ys_store *st = calloc(1, sizeof(*st));
	int ret;

	if (!st) {
		drv->close(db);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st->drv = drv;
	st->db = db;
	ret = ys_store_migrate(st);
	if (ret) {
		snprintf(err, errlen, "%s: schema migration failed: %s (%s)", drv->name,
			 strerror(-ret), drv->errmsg(db));
		ys_store_close(st);
		errno = -ret;
		return NULL;
	}
	return st;
}

static int ys_mkdir_p(const char *dir)
{
	char buf[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, dir, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0750) && errno != EEXIST)
		return -errno;
	return 0;
}

struct ys_store *ys_store_open(const struct ys_conf *node, char *err, size_t errlen)
{
	const char *driver = ys_conf_str(node, "driver", "sqlite");
	void *db;

	if (strcmp(driver, "sqlite") == 0) {
		const char *dir = ys_conf_str(node, "data_dir", "var/ingest");
		const char *file = ys_conf_str(node, "sqlite.file", "ingest.db");
		char path[PATH_MAX];
		int ret;

		if (strchr(file, '/')) {
			snprintf(path, sizeof(path), "%s", file);
		} else {
			ret = ys_mkdir_p(dir);
			if (ret) {
				snprintf(err, errlen, "store.data_dir %s: %s", dir, strerror(-ret));
				return NULL;
			}
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >=
			    sizeof(path)) {
				snprintf(err, errlen, "store.data_dir: path too long");
				return NULL;
			}
		}
		db = ys_store_sqlite_open(path, err, errlen);
		if (!db)
			return NULL;
		return ys_store_wrap(&ys_store_sqlite_driver, db, err, errlen);
	}
	if (strcmp(driver, "postgres") == 0) {
		const char *conninfo = ys_conf_str(node, "postgres.conninfo", NULL);

		if (!conninfo) {
			snprintf(err, errlen, "store.postgres.conninfo is required for postgres");
			return NULL;
		}
		db = ys_store_pg_open(conninfo, err, errlen);
		if (!db)
			return NULL;
		return ys_store_wrap(&ys_store_pg_driver, db, err, errlen);
	}
	snprintf(err, errlen, "store.driver: unknown driver '%s' (sqlite|postgres)", driver);
	return NULL;
}

void ys_store_close(struct ys_store *st)
{
	if (!st)
		return;
	st->drv->close(st->db);
	free(st);
}

const char *ys_store_driver_name(const struct ys_store *st)
{
	return st->drv->name;
}

const struct ys_store_driver *ys_store_driver_of(const struct ys_store *st, void **db)
{
	*db = st->db;
	return st->drv;
}

int ys_store_schema_version(struct ys_store *st, int *version)
{
	int64_t v;
	int ret = ys_q_int(st, "SELECT max(version) FROM schema_version", NULL, 0, &v);

	*version = (int)v;
	return ret;
}

int ys_store_begin(struct ys_store *st)
{
	return st->drv->begin(st->db);
}

int ys_store_commit(struct ys_store *st)
{
	return st->drv->commit(st->db);
}

int ys_store_rollback(struct ys_store *st)
{
	return st->drv->rollback(st->db);
}

/* ---- alerts ---- */

static const char *ys_json_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

int ys_alert_row_from_json(const json_t *ev, struct ys_alert_row *row)
{
	const json_t *alert = json_object_get(ev, "alert"), *sensor = json_object_get(ev, "sensor");
	uint64_t ts;

	memset(row, 0, sizeof(*row));
	row->event_id = ys_json_str(ev, "event_id");
	row->tenant = ys_json_str(ev, "tenant");
	if (!row->event_id || !row->tenant || !json_is_object(alert) ||
	    ys_eve_timestamp_parse(ys_json_str(ev, "timestamp"), &ts) || ts > INT64_MAX)
		return -EINVAL;
	row->ts = (int64_t)ts;
	/* json_number_value: the schema lets an integer be written 3.0 */
	row->tenant_id = (int64_t)json_number_value(json_object_get(ev, "tenant_id"));
	row->severity = (int64_t)json_number_value(json_object_get(alert, "severity"));
	row->sid = (int64_t)json_number_value(json_object_get(alert, "signature_id"));
	row->signature = ys_json_str(alert, "signature");
	if (!row->signature)
		row->signature = "";
	row->category = ys_json_str(alert, "category");
	row->src_ip = ys_json_str(ev, "src_ip");
	row->dest_ip = ys_json_str(ev, "dest_ip");
	row->sensor_id = ys_json_str(sensor, "id");
	row->rack = ys_json_str(sensor, "rack");
	return 0;
}

int ys_store_alert_insert(struct ys_store *st, const struct ys_alert_row *r)
{
	struct ys_sql_param p[] = {
		ys_p_text(r->event_id),	 ys_p_int(r->ts),	  ys_p_text(r->tenant),
		ys_p_int(r->tenant_id),	 ys_p_int(r->severity),	  ys_p_int(r->sid),
		ys_p_text(r->signature), ys_p_text(r->category),  ys_p_text(r->src_ip),
		ys_p_text(r->dest_ip),	 ys_p_text(r->sensor_id), ys_p_text(r->rack),
		ys_p_text(r->json),
	};
	int ret;

	ret = st->drv->exec(st->db,
			    "INSERT INTO alerts(event_id, ts, tenant, tenant_id, severity, sid,"
			    " signature, category, src_ip, dest_ip, sensor_id, rack, json)"
			    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
			    " ON CONFLICT (event_id) DO NOTHING",
			    p, (int)(sizeof(p) / sizeof(p[0])), NULL, NULL);
	if (ret)
		return ret;
	return st->drv->changes(st->db) > 0 ? 1 : 0;
}

int ys_store_alerts_query(struct ys_store *st, const struct ys_tenant_scope *scope,
			  const struct ys_alert_query *q, json_t **out)
{
	struct ys_qb qb = { 0 };
	int limit = ys_clamp_limit(q->limit), ret;
	json_t *rows, *list, *row;
	char like[600];
	size_t i;

	ys_qb_add(&qb, "SELECT id, ts, json FROM alerts WHERE 1 = 1");
	ys_qb_scope(&qb, "tenant", scope);
	if (q->tenant)
		ys_qb_text(&qb, " AND tenant = ?", q->tenant);
	if (q->since)
		ys_qb_int(&qb, " AND ts >= ?", q->since);
	if (q->until)
		ys_qb_int(&qb, " AND ts < ?", q->until);
	if (q->severity)
		ys_qb_int(&qb, " AND severity <= ?", q->severity);
	if (q->sid)
		ys_qb_int(&qb, " AND sid = ?", q->sid);
	if (q->src_ip)
		ys_qb_text(&qb, " AND src_ip = ?", q->src_ip);
	if (q->dest_ip)
		ys_qb_text(&qb, " AND dest_ip = ?", q->dest_ip);
	if (q->sensor)
		ys_qb_text(&qb, " AND sensor_id = ?", q->sensor);
	if (q->q) {
		/* Substring of the signature, case-insensitive; LIKE wildcards in Q are literal. */
		size_t o = 0;

		like[o++] = '%';
		for (const char *c = q->q; *c && o + 4 < sizeof(like); c++) {
			if (*c == '%' || *c == '_' || *c == '\\')
				like[o++] = '\\';
			like[o++] = *c;
		}
		like[o++] = '%';
		like[o] = '\0';
		ys_qb_text(&qb, " AND lower(signature) LIKE lower(?) ESCAPE '\\'", like);
	}
	if (q->cursor) {
		int64_t t, id;

		if (ys_cursor_parse(q->cursor, &t, &id))
			return -EINVAL;
		ys_qb_int(&qb, " AND (ts < ?", t);
		ys_qb_int(&qb, " OR (ts = ?", t);
		ys_qb_int(&qb, " AND id < ?))", id);
	}
	ys_qb_int(&qb, " ORDER BY ts DESC, id DESC LIMIT ?", limit + 1);
	if (qb.overflow)
		return -E2BIG;
	ret = ys_q(st, qb.sql, qb.p, qb.np, &rows);
	if (ret)
		return ret;
	list = json_array();
	json_array_foreach(rows, i, row)
	{
		json_t *ev;

		if ((int)i == limit)
			break;
		ev = json_loads(ys_cell(row, 2) ? ys_cell(row, 2) : "", 0, NULL);
		if (ev)
			json_array_append_new(list, ev);
	}
	row = json_array_size(rows) > (size_t)limit ? json_array_get(rows, limit - 1) : NULL;
	*out = json_pack("{s:o, s:o}", "alerts", list, "next_cursor",
			 row ? ys_cursor_make(ys_cell_int(row, 1), ys_cell_int(row, 0))
			     : json_null());
	json_decref(rows);
	return *out ? 0 : -ENOMEM;
}

int ys_store_alert_get(struct ys_store *st, const struct ys_tenant_scope *scope,
		       const char *event_id, json_t **out)
{
	struct ys_qb qb = { 0 };
	json_t *rows;
	int ret;

	ys_qb_text(&qb, "SELECT json FROM alerts WHERE event_id = ?", event_id);
	ys_qb_scope(&qb, "tenant", scope);
	if (qb.overflow)
		return -E2BIG;
	ret = ys_q(st, qb.sql, qb.p, qb.np, &rows);
	if (ret)
		return ret;
	*out = json_array_size(rows) ? json_loads(ys_cell(json_array_get(rows, 0), 0), 0, NULL)
				     : NULL;
	json_decref(rows);
	return *out ? 0 : -ENOENT;
}

int ys_store_sensor_upsert(struct ys_store *st, const char *id, const char *rack, const char *host,
			   int64_t ts, int64_t interval_s, const char *stats_json)
{
	struct ys_sql_param p[] = { ys_p_text(id),
				    ys_p_text(rack),
				    ys_p_text(host),
				    ys_p_int(ts),
				    ys_p_int(interval_s > 0 ? interval_s : 10),
				    ys_p_text(stats_json) };

	return st->drv->exec(
		st->db,
		"INSERT INTO sensors(id, rack, host, last_seen, interval_s, stats)"
		" VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
		" rack = excluded.rack, host = excluded.host,"
		" last_seen = excluded.last_seen, interval_s = excluded.interval_s,"
		" stats = excluded.stats WHERE excluded.last_seen >= sensors.last_seen",
		p, 6, NULL, NULL);
}

/* ---- incidents ---- */

static int ys_level_rank(const char *level)
{
	for (int i = 0; i < 4; i++)
		if (level && strcmp(level, ys_levels[i]) == 0)
			return i;
	return 0;
}

/* Merge up to YS_STORE_INCIDENT_MAX_VALUES distinct strings into the JSON array text OLD. */
static char *ys_merge_set(const char *old, const char *const *add, size_t n)
{
	json_t *arr = old ? json_loads(old, 0, NULL) : NULL;
	char *out;

	if (!json_is_array(arr)) {
		json_decref(arr);
		arr = json_array();
		if (!arr)
			return NULL;
	}
	for (size_t i = 0; i < n && json_array_size(arr) < YS_STORE_INCIDENT_MAX_VALUES; i++) {
		size_t j;
		json_t *v;
		bool seen = false;

		if (!add[i])
			continue;
		json_array_foreach(arr, j,
				   v) if (strcmp(json_string_value(v) ? json_string_value(v) : "",
						 add[i]) == 0) seen = true;
		if (!seen)
			json_array_append_new(arr, json_string(add[i]));
	}
	out = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return out;
}

int ys_store_incident_apply(struct ys_store *st, const struct ys_incident_delta *d, int64_t *id,
			    bool *created)
{
	struct ys_sql_param key[] = { ys_p_text(d->rule), ys_p_text(d->tenant),
				      ys_p_text(d->group_key) };
	char *src = NULL, *dst = NULL, *sig = NULL, *mlps = NULL;
	int64_t links = 0, now = (int64_t)time(NULL) * 1000000;
	json_t *rows = NULL, *row;
	int ret;

	ret = ys_q(st,
		   "SELECT id, first_seen, last_seen, src_ips, dest_ips, signatures, links"
		   " FROM incidents WHERE rule = ? AND tenant = ? AND group_key = ?"
		   " AND status <> 'closed'",
		   key, 3, &rows);
	if (ret)
		return ret;
	row = json_array_get(rows, 0);
	src = ys_merge_set(row ? ys_cell(row, 3) : NULL, d->src_ips, d->nsrc);
	dst = ys_merge_set(row ? ys_cell(row, 4) : NULL, d->dest_ips, d->ndest);
	sig = ys_merge_set(row ? ys_cell(row, 5) : NULL, d->signatures, d->nsig);
	mlps = ys_merge_set(NULL, d->mlps, d->nmlps);
	if (!src || !dst || !sig || !mlps) {
		ret = -ENOMEM;
		goto out;
	}
	if (row) {
		int64_t first = ys_cell_int(row, 1), last = ys_cell_int(row, 2);
		struct ys_sql_param p[] = {
			ys_p_int(d->first_seen < first ? d->first_seen : first),
			ys_p_int(d->last_seen > last ? d->last_seen : last),
			ys_p_int(d->alert_count),
			ys_p_text(src),
			ys_p_text(dst),
			ys_p_text(sig),
			ys_p_int(now),
			ys_p_int(ys_cell_int(row, 0)),
		};

		*id = ys_cell_int(row, 0);
		links = ys_cell_int(row, 6);
		*created = false;
		ret = st->drv->exec(st->db,
				    "UPDATE incidents SET first_seen = ?, last_seen = ?,"
				    " alert_count = alert_count + ?, src_ips = ?, dest_ips = ?,"
				    " signatures = ?, updated = ? WHERE id = ?",
				    p, 8, NULL, NULL);
	} else {
		struct ys_sql_param p[] = {
			ys_p_text(d->rule),
			ys_p_text(d->title),
			ys_p_text(d->tenant),
			ys_p_text(d->group_key),
			ys_p_int(d->severity),
			ys_p_text(d->level),
			ys_p_int(ys_level_rank(d->level)),
			ys_p_int(d->first_seen),
			ys_p_int(d->last_seen),
			ys_p_int(d->alert_count),
			ys_p_text(src),
			ys_p_text(dst),
			ys_p_text(sig),
			ys_p_text(mlps),
			ys_p_int(now),
		};

		*created = true;
		ret = ys_q_int(
			st,
			"INSERT INTO incidents(rule, title, tenant, group_key, severity, level,"
			" level_rank, first_seen, last_seen, alert_count, src_ips, dest_ips,"
			" signatures, mlps_controls, updated)"
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
			p, 15, id);
		if (!ret) {
			struct ys_sql_param h[] = { ys_p_int(*id), ys_p_int(now),
						    ys_p_text(d->title) };

			ret = st->drv->exec(
				st->db,
				"INSERT INTO incident_history(incident_id, action, actor,"
				" time, detail) VALUES (?, 'created', 'correlator', ?, ?)",
				h, 3, NULL, NULL);
		}
	}
	if (ret)
		goto out;
	/* The timeline keeps the first alerts of a flood; the count keeps them all. */
	for (size_t i = 0; i < d->nevents && links < YS_STORE_INCIDENT_MAX_LINKS; i++) {
		struct ys_sql_param p[] = { ys_p_int(*id), ys_p_text(d->event_ids[i]),
					    ys_p_int(d->event_ts ? d->event_ts[i] : d->last_seen) };

		ret = st->drv->exec(st->db,
				    "INSERT INTO incident_alerts(incident_id, event_id, ts)"
				    " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
				    p, 3, NULL, NULL);
		if (ret)
			goto out;
		links += st->drv->changes(st->db);
	}
	if (d->nevents) {
		struct ys_sql_param p[] = { ys_p_int(links), ys_p_int(*id) };

		ret = st->drv->exec(st->db, "UPDATE incidents SET links = ? WHERE id = ?", p, 2,
				    NULL, NULL);
	}
out:
	free(src);
	free(dst);
	free(sig);
	free(mlps);
	json_decref(rows);
	return ret;
}

#define YS_INCIDENT_COLS                                                                           \
	"id, tenant, rule, title, severity, level, status, assignee, first_seen, last_seen,"       \
	" alert_count, src_ips, dest_ips, signatures, mlps_controls"

static json_t *ys_json_array_text(const char *s)
{
	json_t *v = s ? json_loads(s, 0, NULL) : NULL;

	if (!json_is_array(v)) {
		json_decref(v);
		v = json_array();
	}
	return v;
}

static json_t *ys_incident_json(json_t *row)
{
	const char *assignee = ys_cell(row, 7);

	return json_pack(
		"{s:I, s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:I, s:o, s:o, s:o,"
		" s:o}",
		"id", (json_int_t)ys_cell_int(row, 0), "tenant", ys_cell(row, 1), "rule",
		ys_cell(row, 2), "title", ys_cell(row, 3), "severity",
		(json_int_t)ys_cell_int(row, 4), "level", ys_cell(row, 5), "status",
		ys_cell(row, 6), "assignee", assignee ? json_string(assignee) : json_null(),
		"first_seen", ys_json_time(ys_cell_int(row, 8)), "last_seen",
		ys_json_time(ys_cell_int(row, 9)), "alert_count", (json_int_t)ys_cell_int(row, 10),
		"src_ips", ys_json_array_text(ys_cell(row, 11)), "dest_ips",
		ys_json_array_text(ys_cell(row, 12)), "signatures",
		ys_json_array_text(ys_cell(row, 13)), "mlps_controls",
		ys_json_array_text(ys_cell(row, 14)));
}

int ys_store_incident_summary(struct ys_store *st, int64_t id, json_t **out)
{
	struct ys_sql_param p[] = { ys_p_int(id) };
	json_t *rows;
	int ret;

	ret = ys_q(st, "SELECT " YS_INCIDENT_COLS " FROM incidents WHERE id = ?", p, 1, &rows);
	if (ret)
		return ret;
	if (json_array_size(rows) == 0) {
		json_decref(rows);
		return -ENOENT;
	}
	*out = ys_incident_json(json_array_get(rows, 0));
	json_decref(rows);
	return *out ? 0 : -ENOMEM;
}

int ys_store_incidents_query(struct ys_store *st, const struct ys_tenant_scope *scope,
			     const struct ys_incident_query *q, json_t **out)
{
	struct ys_qb qb = { 0 };
	int limit = ys_clamp_limit(q->limit), ret;
	json_t *rows, *list, *row;
	size_t i;

	ys_qb_add(&qb, "SELECT " YS_INCIDENT_COLS " FROM incidents WHERE 1 = 1");
	ys_qb_scope(&qb, "tenant", scope);
	if (q->tenant)
		ys_qb_text(&qb, " AND tenant = ?", q->tenant);
	if (q->status)
		ys_qb_text(&qb, " AND status = ?", q->status);
	if (q->level)
		ys_qb_text(&qb, " AND level = ?", q->level);
	if (q->since)
		ys_qb_int(&qb, " AND last_seen >= ?", q->since);
	if (q->cursor) {
		int64_t t, id;

		if (ys_cursor_parse(q->cursor, &t, &id))
			return -EINVAL;
		ys_qb_int(&qb, " AND (last_seen < ?", t);
		ys_qb_int(&qb, " OR (last_seen = ?", t);
		ys_qb_int(&qb, " AND id < ?))", id);
	}
	ys_qb_int(&qb, " ORDER BY last_seen DESC, id DESC LIMIT ?", limit + 1);
	if (qb.overflow)
		return -E2BIG;
	ret = ys_q(st, qb.sql, qb.p, qb.np, &rows);
	if (ret)
		return ret;
	list = json_array();
	json_array_foreach(rows, i, row)
	{
		if ((int)i == limit)
			break;
		json_array_append_new(list, ys_incident_json(row));
	}
	row = json_array_size(rows) > (size_t)limit ? json_array_get(rows, limit - 1) : NULL;
	*out = json_pack("{s:o, s:o}", "incidents", list, "next_cursor",
			 row ? ys_cursor_make(ys_cell_int(row, 9), ys_cell_int(row, 0))
			     : json_null());
	json_decref(rows);
	return *out ? 0 : -ENOMEM;
}

static json_t *ys_rows_json_objects(json_t *rows, size_t col)
{
	json_t *arr = json_array(), *row;
	size_t i;

	json_array_foreach(rows, i, row)
	{
		json_t *v = json_loads(ys_cell(row, col) ? ys_cell(row, col) : "", 0, NULL);

		if (v)
			json_array_append_new(arr, v);
	}
	return arr;
}

int ys_store_incident_get(struct ys_store *st, const struct ys_tenant_scope *scope, int64_t id,
			  json_t **out)
{
	struct ys_sql_param p[] = { ys_p_int(id) };
	struct ys_qb qb = { 0 };
	json_t *rows = NULL, *inc = NULL, *arr, *row;
	size_t i;
	int ret;

	ys_qb_int(&qb, "SELECT " YS_INCIDENT_COLS " FROM incidents WHERE id = ?", id);
	ys_qb_scope(&qb, "tenant", scope);
	ret = ys_q(st, qb.sql, qb.p, qb.np, &rows);
	if (ret)
		return ret;
	if (json_array_size(rows) == 0) {
		ret = -ENOENT;
		goto out;
	}
	inc = ys_incident_json(json_array_get(rows, 0));
	json_decref(rows);
	rows = NULL;
	if (!inc) {
		ret = -ENOMEM;
		goto out;
	}
	ret = ys_q(st,
		   "SELECT a.json FROM incident_alerts l JOIN alerts a ON a.event_id = l.event_id"
		   " WHERE l.incident_id = ? ORDER BY a.ts ASC, a.id ASC",
		   p, 1, &rows);
	if (ret)
		goto out;
	json_object_set_new(inc, "alerts", ys_rows_json_objects(rows, 0));
	json_decref(rows);
	ret = ys_q(st,
		   "SELECT author, text, time FROM incident_comments WHERE incident_id = ?"
		   " ORDER BY time ASC, id ASC",
		   p, 1, &rows);
	if (ret)
		goto out;
	arr = json_array();
	json_array_foreach(rows, i, row) json_array_append_new(
		arr, json_pack("{s:s, s:s, s:o}", "author", ys_cell(row, 0), "text",
			       ys_cell(row, 1), "time", ys_json_time(ys_cell_int(row, 2))));
	json_object_set_new(inc, "comments", arr);
	json_decref(rows);
	ret = ys_q(st,
		   "SELECT action, actor, time, detail FROM incident_history WHERE incident_id = ?"
		   " ORDER BY time ASC, id ASC",
		   p, 1, &rows);
	if (ret)
		goto out;
	arr = json_array();
	json_array_foreach(rows, i, row)
	{
		const char *detail = ys_cell(row, 3);

		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:o, s:o}", "action", ys_cell(row, 0), "actor",
				       ys_cell(row, 1), "time", ys_json_time(ys_cell_int(row, 2)),
				       "detail", detail ? json_string(detail) : json_null()));
	}
	json_object_set_new(inc, "history", arr);
	*out = inc;
	inc = NULL;
out:
	json_decref(rows);
	json_decref(inc);
	return ret;
}

int ys_store_incident_act(struct ys_store *st, const struct ys_tenant_scope *scope, int64_t id,
			  enum ys_incident_action act, const char *actor, const char *text,
			  int64_t now)
{
	static const char *const names[] = { "acknowledge", "assign", "comment", "close" };
	struct ys_sql_param pid[] = { ys_p_int(id) };
	struct ys_qb qb = { 0 };
	json_t *rows = NULL;
	const char *status;
	char target[48], *detail = NULL;
	int ret;

	ret = st->drv->begin(st->db);
	if (ret)
		return ret;
	ys_qb_int(&qb, "SELECT status, tenant FROM incidents WHERE id = ?", id);
	ys_qb_scope(&qb, "tenant", scope);
	ret = ys_q(st, qb.sql, qb.p, qb.np, &rows);
	if (ret)
		goto out_rollback;
	if (json_array_size(rows) == 0) {
		ret = -ENOENT;
		goto out_rollback;
	}
	status = ys_cell(json_array_get(rows, 0), 0);
	if (strcmp(status, "closed") == 0 && act != YS_INCIDENT_COMMENT) {
		ret = -EALREADY; /* a closed incident is history: only comments may be added */
		goto out_rollback;
	}
	switch (act) {
	case YS_INCIDENT_ACK:
		ret = st->drv->exec(st->db,
				    "UPDATE incidents SET status = 'acknowledged' WHERE id = ?"
				    " AND status = 'open'",
				    pid, 1, NULL, NULL);
		break;
	case YS_INCIDENT_ASSIGN: {
		struct ys_sql_param p[] = { ys_p_text(text), ys_p_int(id) };

		ret = st->drv->exec(st->db, "UPDATE incidents SET assignee = ? WHERE id = ?", p, 2,
				    NULL, NULL);
		break;
	}
	case YS_INCIDENT_COMMENT: {
		struct ys_sql_param p[] = { ys_p_int(id), ys_p_text(actor), ys_p_text(text),
					    ys_p_int(now) };

		ret = st->drv->exec(st->db,
				    "INSERT INTO incident_comments(incident_id, author, text, time)"
				    " VALUES (?, ?, ?, ?)",
				    p, 4, NULL, NULL);
		break;
	}
	case YS_INCIDENT_CLOSE:
		ret = st->drv->exec(st->db, "UPDATE incidents SET status = 'closed' WHERE id = ?",
				    pid, 1, NULL, NULL);
		break;
	}
	if (ret)
		goto out_rollback;
	{
		struct ys_sql_param p[] = { ys_p_int(id), ys_p_text(names[act]), ys_p_text(actor),
					    ys_p_int(now), ys_p_text(text) };

		ret = st->drv->exec(st->db,
				    "INSERT INTO incident_history(incident_id, action, actor, time,"
				    " detail) VALUES (?, ?, ?, ?, ?)",
				    p, 5, NULL, NULL);
		if (ret)
			goto out_rollback;
	}
	snprintf(target, sizeof(target), "incident/%" PRId64, id);
	{
		json_t *d = json_pack("{s:s, s:s?}", "tenant", ys_cell(json_array_get(rows, 0), 1),
				      "text", text);

		detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(d);
	}
	ret = ys_store_audit_append(st, now, actor, names[act], target, detail ? detail : "{}",
				    true);
	free(detail);
	if (ret)
		goto out_rollback;
	json_decref(rows);
	return st->drv->commit(st->db);
out_rollback:
	st->drv->rollback(st->db);
	json_decref(rows);
	return ret;
}

/* ---- situation and sensors ---- */

#define YS_HOUR_US (3600LL * 1000000)
#define YS_DAY_US  (24 * YS_HOUR_US)

static int ys_situation_tenant(struct ys_store *st, const char *tenant, int64_t now, json_t **out)
{
	int64_t day = now - YS_DAY_US, start = now - 23 * YS_HOUR_US, tid = 0, rank = -1, n24 = 0,
		nopen = 0;
	struct ys_sql_param pt[] = { ys_p_text(tenant) };
	struct ys_sql_param pd[] = { ys_p_text(tenant), ys_p_int(day) };
	json_t *rows = NULL, *trend = NULL, *sigs = NULL, *srcs = NULL, *row;
	int64_t bucket0 = (start / YS_HOUR_US) * YS_HOUR_US, reporting = 0, silent = 0;
	size_t i;
	int ret;

	ret = ys_q_int(st, "SELECT tenant_id FROM alerts WHERE tenant = ? ORDER BY ts DESC LIMIT 1",
		       pt, 1, &tid);
	if (!ret) {
		rank = -1;
		ret = st->drv->exec(st->db,
				    "SELECT max(level_rank) FROM incidents WHERE tenant = ?"
				    " AND status <> 'closed'",
				    pt, 1, ys_one_int, &rank);
	}
	if (!ret)
		ret = ys_q_int(st, "SELECT count(*) FROM alerts WHERE tenant = ? AND ts >= ?", pd,
			       2, &n24);
	if (!ret)
		ret = ys_q_int(
			st,
			"SELECT count(*) FROM incidents WHERE tenant = ? AND status <> 'closed'",
			pt, 1, &nopen);
	if (ret)
		return ret;
	{
		/* 24 hourly points ending with the current hour; empty hours are zeros. */
		int64_t alerts[24] = { 0 }, incs[24] = { 0 };
		struct ys_sql_param pb[] = { ys_p_int(bucket0), ys_p_text(tenant),
					     ys_p_int(bucket0) };

		ret = ys_q(st,
			   "SELECT (ts - ?) / 3600000000 AS b, count(*) FROM alerts"
			   " WHERE tenant = ? AND ts >= ? GROUP BY b",
			   pb, 3, &rows);
		if (ret)
			return ret;
		json_array_foreach(rows, i, row)
		{
			int64_t b = ys_cell_int(row, 0);

			if (b >= 0 && b < 24)
				alerts[b] = ys_cell_int(row, 1);
		}
		json_decref(rows);
		ret = ys_q(st,
			   "SELECT (first_seen - ?) / 3600000000 AS b, count(*) FROM incidents"
			   " WHERE tenant = ? AND first_seen >= ? GROUP BY b",
			   pb, 3, &rows);
		if (ret)
			return ret;
		json_array_foreach(rows, i, row)
		{
			int64_t b = ys_cell_int(row, 0);

			if (b >= 0 && b < 24)
				incs[b] = ys_cell_int(row, 1);
		}
		json_decref(rows);
		rows = NULL;
		trend = json_array();
		for (int b = 0; b < 24; b++)
			json_array_append_new(trend,
					      json_pack("{s:o, s:I, s:I}", "t",
							ys_json_time(bucket0 + b * YS_HOUR_US),
							"alerts", (json_int_t)alerts[b],
							"incidents", (json_int_t)incs[b]));
	}
	ret = ys_q(st,
		   "SELECT sid, signature, count(*) AS c FROM alerts WHERE tenant = ? AND ts >= ?"
		   " GROUP BY sid, signature ORDER BY c DESC, sid ASC LIMIT 10",
		   pd, 2, &rows);
	if (ret)
		goto out;
	sigs = json_array();
	json_array_foreach(rows, i, row) json_array_append_new(
		sigs, json_pack("{s:I, s:s, s:I}", "sid", (json_int_t)ys_cell_int(row, 0),
				"signature", ys_cell(row, 1) ? ys_cell(row, 1) : "", "count",
				(json_int_t)ys_cell_int(row, 2)));
	json_decref(rows);
	ret = ys_q(st,
		   "SELECT src_ip, count(*) AS c FROM alerts WHERE tenant = ? AND ts >= ?"
		   " AND src_ip IS NOT NULL GROUP BY src_ip ORDER BY c DESC, src_ip ASC LIMIT 10",
		   pd, 2, &rows);
	if (ret) {
		rows = NULL;
		goto out;
	}
	srcs = json_array();
	json_array_foreach(rows, i, row)
		json_array_append_new(srcs, json_pack("{s:s, s:I}", "ip", ys_cell(row, 0), "count",
						      (json_int_t)ys_cell_int(row, 1)));
	json_decref(rows);
	ret = ys_q(st,
		   "SELECT last_seen, interval_s FROM sensors WHERE id IN"
		   " (SELECT DISTINCT sensor_id FROM alerts WHERE tenant = ? AND ts >= ?)",
		   pd, 2, &rows);
	if (ret) {
		rows = NULL;
		goto out;
	}
	json_array_foreach(rows, i, row)
	{
		if (now - ys_cell_int(row, 0) > 3 * ys_cell_int(row, 1) * 1000000)
			silent++;
		else
			reporting++;
	}
	*out = json_pack("{s:s, s:I, s:s, s:I, s:I, s:o, s:o, s:o, s:{s:I, s:I}}", "tenant", tenant,
			 "tenant_id", (json_int_t)tid, "level", rank < 0 ? "blue" : ys_levels[rank],
			 "alerts_24h", (json_int_t)n24, "incidents_open", (json_int_t)nopen,
			 "trend", trend, "top_signatures", sigs, "top_sources", srcs, "sensors",
			 "reporting", (json_int_t)reporting, "silent", (json_int_t)silent);
	trend = sigs = srcs = NULL;
	ret = *out ? 0 : -ENOMEM;
out:
	json_decref(rows);
	json_decref(trend);
	json_decref(sigs);
	json_decref(srcs);
	return ret;
}

int ys_store_situation(struct ys_store *st, const struct ys_tenant_scope *scope, const char *tenant,
		       int64_t now, json_t **out)
{
	json_t *names = json_array(), *list = json_array(), *rows = NULL, *row;
	size_t i;
	int ret = 0;

	if (!names || !list) {
		ret = -ENOMEM;
		goto out;
	}
	if (tenant) {
		json_array_append_new(names, json_string(tenant));
	} else if (scope && !scope->all) {
		for (i = 0; i < scope->n; i++)
			json_array_append_new(names, json_string(scope->names[i]));
	} else {
		struct ys_sql_param p[] = { ys_p_int(now - YS_DAY_US) };

		ret = ys_q(st,
			   "SELECT tenant FROM alerts WHERE ts >= ? UNION"
			   " SELECT tenant FROM incidents WHERE status <> 'closed' ORDER BY 1",
			   p, 1, &rows);
		if (ret)
			goto out;
		json_array_foreach(rows, i, row)
			json_array_append_new(names, json_string(ys_cell(row, 0)));
	}
	json_array_foreach(names, i, row)
	{
		json_t *t = NULL;

		ret = ys_situation_tenant(st, json_string_value(row), now, &t);
		if (ret)
			goto out;
		json_array_append_new(list, t);
	}
	*out = json_pack("{s:o, s:O}", "generated_at", ys_json_time(now), "tenants", list);
	ret = *out ? 0 : -ENOMEM;
out:
	json_decref(rows);
	json_decref(names);
	json_decref(list);
	return ret;
}

int ys_store_sensors(struct ys_store *st, const struct ys_tenant_scope *scope, int64_t now,
		     json_t **out)
{
	struct ys_qb qb = { 0 };
	json_t *rows, *list, *row;
	bool scoped = scope && !scope->all;
	size_t i;
	int ret;

	ys_qb_add(&qb, "SELECT id, rack, host, last_seen, interval_s, stats FROM sensors");
	if (scoped) {
		/* A scoped caller sees the sensors that saw its tenants, without their counters. */
		ys_qb_add(&qb, " WHERE id IN (SELECT DISTINCT sensor_id FROM alerts WHERE 1 = 1");
		ys_qb_scope(&qb, "tenant", scope);
		ys_qb_add(&qb, ")");
	}
	ys_qb_add(&qb, " ORDER BY id");
	if (qb.overflow)
		return -E2BIG;
	ret = ys_q(st, qb.sql, qb.p, qb.np, &rows);
	if (ret)
		return ret;
	list = json_array();
	json_array_foreach(rows, i, row)
	{
		int64_t last = ys_cell_int(row, 3), ival = ys_cell_int(row, 4);
		json_t *stats = NULL;

		if (!scoped && ys_cell(row, 5))
			stats = json_loads(ys_cell(row, 5), 0, NULL);
		if (!json_is_object(stats)) {
			json_decref(stats);
			stats = json_object();
		}
		json_array_append_new(
			list, json_pack("{s:s, s:s?, s:s?, s:o, s:s, s:o}", "id", ys_cell(row, 0),
					"rack", ys_cell(row, 1), "host", ys_cell(row, 2),
					"last_seen", ys_json_time(last), "status",
					now - last > 3 * ival * 1000000 ? "silent" : "ok", "stats",
					stats));
	}
	json_decref(rows);
	*out = json_pack("{s:o}", "sensors", list);
	return *out ? 0 : -ENOMEM;
}

int ys_store_sensors_silent(struct ys_store *st, int64_t now, json_t **out)
{
	struct ys_sql_param p[] = { ys_p_int(now) };
	json_t *rows, *row;
	size_t i;
	int ret;

	ret = ys_q(st,
		   "SELECT id, rack, host, last_seen FROM sensors"
		   " WHERE ? - last_seen > 3 * interval_s * 1000000 ORDER BY id",
		   p, 1, &rows);
	if (ret)
		return ret;
	*out = json_array();
	json_array_foreach(rows, i, row) json_array_append_new(
		*out,
		json_pack("{s:s, s:s?, s:s?, s:I}", "id", ys_cell(row, 0), "rack", ys_cell(row, 1),
			  "host", ys_cell(row, 2), "last_seen", (json_int_t)ys_cell_int(row, 3)));
	json_decref(rows);
	return 0;
}

/* ---- audit ---- */

int ys_store_audit_append(struct ys_store *st, int64_t t, const char *actor, const char *action,
			  const char *target, const char *detail, bool in_txn)
{
	struct ys_audit_record rec = { .time = t,
				       .actor = actor,
				       .action = action,
				       .target = target ? target : "",
				       .detail = detail ? detail : "" };
	char prev[YS_AUDIT_HEX_LEN] = YS_AUDIT_GENESIS, hash[YS_AUDIT_HEX_LEN];
	json_t *rows = NULL;
	int ret;

	if (!in_txn) {
		ret = st->drv->begin(st->db);
		if (ret)
			return ret;
	}
	ret = st->drv->lock_audit(st->db);
	if (!ret)
		ret = ys_q(st, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", NULL, 0,
			   &rows);
	if (ret)
		goto out_rollback;
	rec.seq = 1;
	if (json_array_size(rows)) {
		rec.seq = ys_cell_int(json_array_get(rows, 0), 0) + 1;
		snprintf(prev, sizeof(prev), "%s", ys_cell(json_array_get(rows, 0), 1));
	}
	rec.prev_hash = prev;
	ret = ys_audit_hash(&rec, hash);
	if (ret) {
		ys_err("store", "audit: the last record's hash is not valid hex; chain broken");
		goto out_rollback;
	}
	{
		struct ys_sql_param p[] = { ys_p_int(rec.seq),	   ys_p_int(rec.time),
					    ys_p_text(rec.actor),  ys_p_text(rec.action),
					    ys_p_text(rec.target), ys_p_text(rec.detail),
					    ys_p_text(prev),	   ys_p_text(hash) };

		ret = st->drv->exec(st->db,
				    "INSERT INTO audit(seq, time, actor, action, target, detail,"
				    " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				    p, 8, NULL, NULL);
	}
	if (ret)
		goto out_rollback;
	json_decref(rows);
	return in_txn ? 0 : st->drv->commit(st->db);
out_rollback:
	json_decref(rows);
	if (!in_txn)
		st->drv->rollback(st->db);
	return ret;
}

int ys_store_audit_query(struct ys_store *st, int64_t since, int limit, const char *cursor,
			 json_t **out)
{
	struct ys_qb qb = { 0 };
	json_t *rows, *list, *row;
	size_t i;
	int ret;

	limit = ys_clamp_limit(limit);
	ys_qb_add(&qb, "SELECT seq, time, actor, action, target, detail, prev_hash, hash"
		       " FROM audit WHERE 1 = 1");
	if (since)
		ys_qb_int(&qb, " AND time >= ?", since);
	if (cursor) {
		int64_t t, seq;

		if (ys_cursor_parse(cursor, &t, &seq))
			return -EINVAL;
		ys_qb_int(&qb, " AND seq > ?", seq);
	}
	ys_qb_int(&qb, " ORDER BY seq ASC LIMIT ?", limit + 1);
	ret = ys_q(st, qb.sql, qb.p, qb.np, &rows);
	if (ret)
		return ret;
	list = json_array();
	json_array_foreach(rows, i, row)
	{
		if ((int)i == limit)
			break;
		json_array_append_new(list, json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:s, s:s}",
						      "seq", (json_int_t)ys_cell_int(row, 0),
						      "time", ys_json_time(ys_cell_int(row, 1)),
						      "actor", ys_cell(row, 2), "action",
						      ys_cell(row, 3), "target", ys_cell(row, 4),
						      "detail", ys_cell(row, 5), "prev_hash",
						      ys_cell(row, 6), "hash", ys_cell(row, 7)));
	}
	row = json_array_size(rows) > (size_t)limit ? json_array_get(rows, limit - 1) : NULL;
	*out = json_pack("{s:o, s:o}", "records", list, "next_cursor",
			 row ? ys_cursor_make(0, ys_cell_int(row, 0)) : json_null());
	json_decref(rows);
	return *out ? 0 : -ENOMEM;
}

static int ys_audit_verify_row(void *user, int ncol, const char *const *v)
{
	struct ys_audit_record rec;

	if (ncol < 8)
		return -EIO;
	rec = (struct ys_audit_record){ .seq = ys_i64(v[0]),
					.time = ys_i64(v[1]),
					.actor = v[2],
					.action = v[3],
					.target = v[4],
					.detail = v[5],
					.prev_hash = v[6],
					.hash = v[7] };
	ys_audit_walk_step(user, &rec);
	return 0;
}

int ys_store_audit_verify(struct ys_store *st, struct ys_audit_verdict *v)
{
	struct ys_audit_walk w;
	int ret;

	ys_audit_walk_init(&w);
	ret = st->drv->exec(st->db,
			    "SELECT seq, time, actor, action, target, detail, prev_hash, hash"
			    " FROM audit ORDER BY seq ASC",
			    NULL, 0, ys_audit_verify_row, &w);
	if (ret)
		return ret;
	v->ok = !w.broken;
	v->records = w.records;
	v->first_bad = w.first_bad;
	snprintf(v->reason, sizeof(v->reason), "%s", w.reason);
	return 0;
}

/* ---- retention ---- */

#define YS_PURGE_CHUNK 10000

/*
 * One statement of the purge, repeated in transactions of at most
 * YS_PURGE_CHUNK rows, so that removing a month of alerts never holds the
 * write lock long enough to stall the consumer. *N: rows removed.
 */
static int ys_purge_chunked(struct ys_store *st, const char *sql, int64_t before, int64_t *n)
{
	struct ys_sql_param p[] = { ys_p_int(before), ys_p_int(YS_PURGE_CHUNK) };
	int64_t got;
	int ret;

	*n = 0;
	do {
		ret = st->drv->begin(st->db);
		if (ret)
			return ret;
		ret = st->drv->exec(st->db, sql, p, 2, NULL, NULL);
		if (ret) {
			st->drv->rollback(st->db);
			return ret;
		}
		got = st->drv->changes(st->db);
		ret = st->drv->commit(st->db);
		if (ret)
			return ret;
		*n += got;
	} while (got >= YS_PURGE_CHUNK);
	return 0;
}

int ys_store_purge(struct ys_store *st, int64_t before, int64_t *deleted)
{
	static const char *const chunked[] = {
		"DELETE FROM incident_alerts WHERE (incident_id, event_id) IN (SELECT incident_id,"
		" event_id FROM incident_alerts WHERE ts < ? LIMIT ?)",
		"DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE ts < ? LIMIT ?)",
	};
	static const char *const stmts[] = {
		"DELETE FROM incident_comments WHERE incident_id IN (SELECT id FROM incidents"
		" WHERE status = 'closed' AND last_seen < ?)",
		"DELETE FROM incident_history WHERE incident_id IN (SELECT id FROM incidents"
		" WHERE status = 'closed' AND last_seen < ?)",
		"DELETE FROM incidents WHERE status = 'closed' AND last_seen < ?",
		"DELETE FROM sensors WHERE last_seen < ?",
	};
	struct ys_sql_param p[] = { ys_p_int(before) };
	int64_t n;
	int ret;

	*deleted = 0;
	ret = ys_purge_chunked(st, chunked[0], before, &n);
	if (!ret)
		ret = ys_purge_chunked(st, chunked[1], before, deleted);
	if (ret)
		return ret;
	ret = st->drv->begin(st->db);
	if (ret)
		return ret;
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		ret = st->drv->exec(st->db, stmts[i], p, 1, NULL, NULL);
		if (ret)
			goto out_rollback;
	}
	return st->drv->commit(st->db);
out_rollback:
	st->drv->rollback(st->db);
	return ret;
}

int ys_store_count(struct ys_store *st, const char *what, int64_t *n)
{
	static const struct {
		const char *name, *sql;
	} counts[] = {
		{ "alerts", "SELECT count(*) FROM alerts" },
		{ "incidents", "SELECT count(*) FROM incidents" },
		{ "incidents_open", "SELECT count(*) FROM incidents WHERE status <> 'closed'" },
		{ "audit", "SELECT count(*) FROM audit" },
		{ "sensors", "SELECT count(*) FROM sensors" },
	};

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (strcmp(what, counts[i].name) == 0)
			return ys_q_int(st, counts[i].sql, NULL, 0, n);
	return -EINVAL;
}
