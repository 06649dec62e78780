/*
 * The ingest store: alerts, sensor heartbeats, incidents (with their alerts,
 * comments and history) and the audit chain, behind one interface with two
 * drivers: SQLite (WAL, the embedded default: a file under a data directory)
 * and PostgreSQL (libpq, production).
 *
 * Layering: a driver is a small ops table (struct ys_store_driver) that only
 * knows how to run one parameterised statement and hand back text rows. All
 * domain logic (schema migrations, de-duplication, incident upserts, queries
 * with tenant filters, paging) lives once in store.c and is written in the SQL
 * both databases share; the few dialect differences (identity columns,
 * triggers) are per-driver migration text. SQL is never built from input:
 * statements are assembled only from constant fragments, every value is a
 * parameter ("?" in store.c; the PostgreSQL driver renumbers them $1..$n).
 *
 * Threading: a struct ys_store is one database connection and must be used by
 * one thread at a time. The ingest opens one per thread (consumer, API).
 * Writers on different connections serialise in the database (SQLite:
 * BEGIN IMMEDIATE + busy timeout; PostgreSQL: row locks / a table lock for the
 * audit chain).
 *
 * Ownership: ys_store_open() returns a handle freed with ys_store_close().
 * Query functions return new json_t references the caller must json_decref().
 * Times are microseconds since the Unix epoch (UTC) everywhere in this API.
 */
#ifndef YS_INGEST_STORE_H
#define YS_INGEST_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ys_config.h"

#define YS_STORE_SCHEMA_VERSION	     5
#define YS_STORE_DEFAULT_RETENTION_D 180 /* MLPS / Cybersecurity Law: >= 6 months */
#define YS_STORE_MAX_PARAMS	     64
#define YS_STORE_INCIDENT_MAX_LINKS  1000 /* alerts linked to one incident's timeline */
#define YS_STORE_INCIDENT_MAX_VALUES 32	  /* distinct src/dest/signature values kept */

struct ys_store;

/* One statement parameter. Text is not copied: it must live until the call returns. */
enum ys_sql_type {
	YS_SQL_NULL,
	YS_SQL_INT,
	YS_SQL_TEXT,
};

struct ys_sql_param {
	enum ys_sql_type type;
	int64_t i;
	const char *s;
};

/* Row callback: NCOL text values (NULL for SQL NULL). Return 0 to go on, <0 to stop with that error. */
typedef int (*ys_store_row_fn)(void *user, int ncol, const char *const *val);

/*
 * A driver. exec() runs one statement with "?" placeholders (the driver adapts
 * them), calls ROW for each result row (ROW may be NULL) and returns 0 or
 * -errno (-EEXIST is never used: conflicts are handled in SQL). changes()
 * returns the rows touched by the last exec.
 */
struct ys_store_driver {
	const char *name; /* "sqlite" | "postgres" */
	int (*exec)(void *db, const char *sql, const struct ys_sql_param *p, int np,
		    ys_store_row_fn row, void *user);
	int64_t (*changes)(void *db);
	/* Begin a write transaction that serialises against other writers. */
	int (*begin)(void *db);
	int (*commit)(void *db);
	int (*rollback)(void *db);
	/* Take the audit-chain lock inside the current transaction (no-op for SQLite). */
	int (*lock_audit)(void *db);
	/* Run SQL holding several statements, no parameters (migrations). */
	int (*script)(void *db, const char *sql);
	/* Ordered migrations for this dialect: MIGRATIONS[i] brings the schema to version i+1. */
	const char *const *migrations;
	int nmigrations;
	void (*close)(void *db);
	const char *(*errmsg)(void *db);
};

/* Drivers (store_sqlite.c, store_pg.c). Constructors return NULL and write ERR. */
void *ys_store_sqlite_open(const char *path, char *err, size_t errlen);
extern const struct ys_store_driver ys_store_sqlite_driver;
void *ys_store_pg_open(const char *conninfo, char *err, size_t errlen);
extern const struct ys_store_driver ys_store_pg_driver;

/*
 * Open the store described by the "store" node of ingest.yaml:
 *   store: { driver: sqlite|postgres, data_dir: DIR, sqlite: {file: ingest.db},
 *            postgres: {conninfo: "host=127.0.0.1 port=5432 dbname=yunshao"},
 *            retention_days: 180 }
 * and bring its schema to YS_STORE_SCHEMA_VERSION. NULL + ERR on failure.
 */
struct ys_store *ys_store_open(const struct ys_conf *store_node, char *err, size_t errlen);
/* Same, from a driver and its open handle (tests). Takes ownership of DB. */
struct ys_store *ys_store_wrap(const struct ys_store_driver *drv, void *db, char *err,
			       size_t errlen);
void ys_store_close(struct ys_store *st);
const char *ys_store_driver_name(const struct ys_store *st);
int ys_store_schema_version(struct ys_store *st, int *version);
/* The underlying driver and handle, for modules that run their own read-only SQL (report). */
const struct ys_store_driver *ys_store_driver_of(const struct ys_store *st, void **db);

/* Transactions around a batch of inserts. */
int ys_store_begin(struct ys_store *st);
int ys_store_commit(struct ys_store *st);
int ys_store_rollback(struct ys_store *st);

/* The indexed columns of a stored alert, taken from the validated EVE object. */
struct ys_alert_row {
	const char *event_id;
	int64_t ts; /* usec */
	const char *tenant;
	int64_t tenant_id;
	int64_t severity;
	int64_t sid;
	const char *signature;
	const char *category;
	const char *src_ip;
	const char *dest_ip;
	const char *sensor_id;
	const char *rack;
	const char *json; /* the whole EVE object as received (compact) */
	size_t json_len;
};

/* Fill ROW's pointers from EV (they point into EV). Returns 0 or -EINVAL. */
int ys_alert_row_from_json(const json_t *ev, struct ys_alert_row *row);

/* Insert an alert. Returns 1 when stored, 0 when its event_id was already there, or -errno. */
int ys_store_alert_insert(struct ys_store *st, const struct ys_alert_row *row);

/* Latest heartbeat of a sensor (sensor-stats message): upsert by sensor id. */
int ys_store_sensor_upsert(struct ys_store *st, const char *id, const char *rack, const char *host,
			   int64_t ts, int64_t interval_s, const char *stats_json);

/* A change to the open incident of RULE for GROUP_KEY in TENANT (from the correlator). */
struct ys_incident_delta {
	const char *rule;
	const char *title;
	const char *tenant;
	const char *group_key;
	int severity;
	const char *level; /* blue|yellow|orange|red */
	const char *const *mlps;
	size_t nmlps;
	int64_t first_seen, last_seen;
	int64_t alert_count; /* alerts to add */
	const char *const *src_ips;
	size_t nsrc;
	const char *const *dest_ips;
	size_t ndest;
	const char *const *signatures;
	size_t nsig;
	const char *const *event_ids; /* alerts to link to the timeline */
	const int64_t *event_ts;      /* their times (NULL: last_seen) */
	size_t nevents;
};

/*
 * Apply DELTA: update the open (not closed) incident of rule+tenant+group, or
 * create one. On success *ID is the incident id and *CREATED tells which.
 */
int ys_store_incident_apply(struct ys_store *st, const struct ys_incident_delta *d, int64_t *id,
			    bool *created);

/* Tenants a caller may see: ALL, or the N names in NAMES. */
struct ys_tenant_scope {
	bool all;
	const char *const *names;
	size_t n;
};

bool ys_scope_allows(const struct ys_tenant_scope *scope, const char *tenant);

/* Alert filters; NULL / 0 fields are unset. */
struct ys_alert_query {
	const char *tenant;
	int64_t since, until;
	int64_t severity; /* alerts with severity <= this (1 is the most severe) */
	int64_t sid;
	const char *src_ip, *dest_ip, *sensor, *q;
	int limit;
	const char *cursor;
};

/* {"alerts":[...], "next_cursor": str|null}. -EINVAL for a bad cursor. */
int ys_store_alerts_query(struct ys_store *st, const struct ys_tenant_scope *scope,
			  const struct ys_alert_query *q, json_t **out);
/* The EVE object of EVENT_ID, or -ENOENT (also when outside SCOPE). */
int ys_store_alert_get(struct ys_store *st, const struct ys_tenant_scope *scope,
		       const char *event_id, json_t **out);

struct ys_incident_query {
	const char *tenant;
	const char *status; /* open|acknowledged|closed */
	const char *level;
	int64_t since;
	int limit;
	const char *cursor;
};

int ys_store_incidents_query(struct ys_store *st, const struct ys_tenant_scope *scope,
			     const struct ys_incident_query *q, json_t **out);
/* Incident + alerts (ascending) + comments + history; -ENOENT when absent or outside SCOPE. */
int ys_store_incident_get(struct ys_store *st, const struct ys_tenant_scope *scope, int64_t id,
			  json_t **out);
/* Incident as produced to yunshao.incidents (no timeline). */
int ys_store_incident_summary(struct ys_store *st, int64_t id, json_t **out);

enum ys_incident_action {
	YS_INCIDENT_ACK,
	YS_INCIDENT_ASSIGN,
	YS_INCIDENT_COMMENT,
	YS_INCIDENT_CLOSE,
};

/*
 * An analyst's action on incident ID: updates status/assignee or adds a
 * comment, appends the incident history and the audit chain in one
 * transaction. -ENOENT outside SCOPE, -EALREADY when closing a closed incident.
 */
int ys_store_incident_act(struct ys_store *st, const struct ys_tenant_scope *scope, int64_t id,
			  enum ys_incident_action act, const char *actor, const char *text,
			  int64_t now);

/* Per-tenant situation (see docs/api.md). SILENT_AFTER: heartbeat intervals before "silent". */
int ys_store_situation(struct ys_store *st, const struct ys_tenant_scope *scope, const char *tenant,
		       int64_t now, json_t **out);
int ys_store_sensors(struct ys_store *st, const struct ys_tenant_scope *scope, int64_t now,
		     json_t **out);
/* Sensors silent for more than 3 heartbeat intervals at NOW: [{"id","rack","host","last_seen"}]. */
int ys_store_sensors_silent(struct ys_store *st, int64_t now, json_t **out);

/* Audit chain. */
#define YS_AUDIT_HASH_HEX 65

/* Append a record (own transaction unless IN_TXN). */
int ys_store_audit_append(struct ys_store *st, int64_t time, const char *actor, const char *action,
			  const char *target, const char *detail, bool in_txn);
int ys_store_audit_query(struct ys_store *st, int64_t since, int limit, const char *cursor,
			 json_t **out);

struct ys_audit_verdict {
	bool ok;
	int64_t records;
	int64_t first_bad; /* seq, or -1 */
	char reason[160];
};

int ys_store_audit_verify(struct ys_store *st, struct ys_audit_verdict *v);

/*
 * Delete alerts, incident links, closed incidents, comments and history older
 * than BEFORE (usec). The audit chain is never purged: it is small and its
 * proof must cover the whole retention period and more. *DELETED: alerts removed.
 */
int ys_store_purge(struct ys_store *st, int64_t before, int64_t *deleted);

/* Counts for /metrics. */
int ys_store_count(struct ys_store *st, const char *what, int64_t *n);

/* RFC 3339 UTC with microseconds: "2026-11-26T19:02:20.123456Z". */
#define YS_RFC3339_LEN 32
void ys_rfc3339(int64_t usec, char out[YS_RFC3339_LEN]);
/* Parse RFC 3339 / EVE time or epoch seconds (optionally fractional). 0 or -EINVAL. */
int ys_time_param_parse(const char *s, int64_t *usec);

#endif /* YS_INGEST_STORE_H */
