/*
 * PostgreSQL driver of the ingest store (libpq), for production: several
 * ingest instances and the API share one server. Statements come from store.c
 * with "?" placeholders; they are renumbered to $1..$n once, prepared on the
 * connection and cached by SQL text, then run with PQexecPrepared and text
 * parameters (PostgreSQL infers each parameter's type from its use).
 *
 * The audit chain needs one writer at a time across every instance: the
 * chain lock is a transaction-scoped advisory lock, released by COMMIT.
 */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "ys_log.h"

#define YS_PG_CACHE	    64
#define YS_PG_AUDIT_LOCK_ID "5953" /* advisory lock key of the audit chain ("YS") */

struct ys_pg_stmt {
	char *sql; /* owned copy of the "?" form: the cache key */
	char name[16];
	uint64_t used;
};

struct ys_pg {
	PGconn *conn;
	struct ys_pg_stmt cache[YS_PG_CACHE];
	uint64_t tick;
	unsigned next_name;
	int64_t changes;
	bool in_txn;
	char err[256];
};

/* "?" -> "$n". Store.c never puts '?' inside string literals. */
static char *ys_pg_renumber(const char *sql)
{
	size_t len = strlen(sql), cap = len + 4 * YS_STORE_MAX_PARAMS + 1, o = 0;
	char *out = malloc(cap);
	int n = 0;

	if (!out)
		return NULL;
	for (const char *p = sql; *p; p++) {
		if (*p == '?') {
			int w = snprintf(out + o, cap - o, "$%d", ++n);

			if (w < 0 || (size_t)w >= cap - o) {
				free(out);
				return NULL;
			}
			o += (size_t)w;
		} else {
			if (o + 1 >= cap) {
				free(out);
				return NULL;
			}
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	return out;
}

static const char *ys_pg_prepare(struct ys_pg *s, const char *sql, int *ret)
{
	struct ys_pg_stmt *victim = &s->cache[0];
	PGresult *res;
	char *num;
	int i;

	for (i = 0; i < YS_PG_CACHE; i++) {
		struct ys_pg_stmt *e = &s->cache[i];

		if (e->sql && strcmp(e->sql, sql) == 0) {
			e->used = ++s->tick;
			return e->name;
		}
		if (!e->sql || e->used < victim->used)
			victim = e;
		if (!victim->sql)
			break;
	}
	num = ys_pg_renumber(sql);
	if (!num) {
		*ret = -ENOMEM;
		return NULL;
	}
	if (victim->sql) {
		char dealloc[48];

		snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", victim->name);
		PQclear(PQexec(s->conn, dealloc));
		free(victim->sql);
		victim->sql = NULL;
	}
	snprintf(victim->name, sizeof(victim->name), "ys%u", s->next_name++);
	res = PQprepare(s->conn, victim->name, num, 0, NULL);
	free(num);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(s->err, sizeof(s->err), "%s", PQerrorMessage(s->conn));
		ys_err("store", "postgres: prepare failed: %s", PQerrorMessage(s->conn));
		PQclear(res);
		*ret = PQstatus(s->conn) == CONNECTION_OK ? -EIO : -ENOTCONN;
		return NULL;
	}
	PQclear(res);
	victim->sql = strdup(sql);
	if (!victim->sql) {
		*ret = -ENOMEM;
		return NULL;
	}
	victim->used = ++s->tick;
	return victim->name;
}

/*
 * A server restart or a network cut leaves the connection bad: reconnect before
 * the next statement (prepared statements died with the old session). The
 * batch that was in flight failed and is replayed from Kafka.
 */
static int ys_pg_ensure(struct ys_pg *s)
{
	if (PQstatus(s->conn) == CONNECTION_OK)
		return 0;
	PQreset(s->conn);
	for (int i = 0; i < YS_PG_CACHE; i++) {
		free(s->cache[i].sql);
		s->cache[i].sql = NULL;
	}
	if (PQstatus(s->conn) != CONNECTION_OK) {
		snprintf(s->err, sizeof(s->err), "%s", PQerrorMessage(s->conn));
		return -ENOTCONN;
	}
	ys_notice("store", "postgres: reconnected");
	PQclear(PQexec(s->conn, "SET client_min_messages = warning"));
	PQclear(PQexec(s->conn, "SET TIME ZONE 'UTC'"));
	return 0;
}

static int ys_pg_exec_once(void *db, const char *sql, const struct ys_sql_param *p, int np,
			   ys_store_row_fn row, void *user)
{
	struct ys_pg *s = db;
	char ints[YS_STORE_MAX_PARAMS][24];
	const char *vals[YS_STORE_MAX_PARAMS];
	const char *cols[64];
	const char *name;
	PGresult *res;
	int i, ret = 0, status;

	if (np > YS_STORE_MAX_PARAMS)
		return -E2BIG;
	ret = ys_pg_ensure(s);
	if (ret)
		return ret;
	name = ys_pg_prepare(s, sql, &ret);
	if (!name)
		return ret;
	for (i = 0; i < np; i++) {
		switch (p[i].type) {
		case YS_SQL_NULL:
			vals[i] = NULL;
			break;
		case YS_SQL_INT:
			snprintf(ints[i], sizeof(ints[i]), "%" PRId64, p[i].i);
			vals[i] = ints[i];
			break;
		case YS_SQL_TEXT:
			vals[i] = p[i].s;
			break;
		}
	}
	res = PQexecPrepared(s->conn, name, np, vals, NULL, NULL, 0);
	status = PQresultStatus(res);
	if (status == PGRES_TUPLES_OK) {
		int nrows = PQntuples(res), ncols = PQnfields(res);

		if (ncols > 64)
			ncols = 64;
		for (int r = 0; row && r < nrows; r++) {
			for (i = 0; i < ncols; i++)
				cols[i] = PQgetisnull(res, r, i) ? NULL : PQgetvalue(res, r, i);
			ret = row(user, ncols, cols);
			if (ret < 0)
				break;
		}
		s->changes = nrows;
		if (PQcmdTuples(res)[0])
			s->changes = strtoll(PQcmdTuples(res), NULL, 10);
	} else if (status == PGRES_COMMAND_OK) {
		s->changes = PQcmdTuples(res)[0] ? strtoll(PQcmdTuples(res), NULL, 10) : 0;
	} else {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		snprintf(s->err, sizeof(s->err), "%s", PQresultErrorMessage(res));
		/* 23xxx: integrity constraint violation (the audit trigger, a NOT NULL) */
		if (state && strncmp(state, "23", 2) == 0) {
			ret = -EPERM;
		} else if (state && strncmp(state, "40", 2) == 0) {
			ret = -EBUSY; /* serialization failure, deadlock: retry */
		} else {
			ys_err("store", "postgres: %s", PQresultErrorMessage(res));
			ret = PQstatus(s->conn) == CONNECTION_OK ? -EIO : -ENOTCONN;
		}
	}
	PQclear(res);
	return ret;
}

/*
 * Outside a transaction a statement that found the connection dead (the server
 * restarted since the last one) is simply run again on a new connection;
 * inside one the error goes up and the whole transaction is replayed.
 */
static int ys_pg_exec(void *db, const char *sql, const struct ys_sql_param *p, int np,
		      ys_store_row_fn row, void *user)
{
	struct ys_pg *s = db;
	int ret = ys_pg_exec_once(db, sql, p, np, row, user);

	if (ret == -ENOTCONN && !s->in_txn)
		ret = ys_pg_exec_once(db, sql, p, np, row, user);
	return ret;
}

static int64_t ys_pg_changes(void *db)
{
	return ((struct ys_pg *)db)->changes;
}

static int ys_pg_simple(struct ys_pg *s, const char *sql)
{
	PGresult *res;
	int ret = ys_pg_ensure(s);

	if (ret)
		return ret;
	res = PQexec(s->conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(s->err, sizeof(s->err), "%s", PQresultErrorMessage(res));
		ys_err("store", "postgres: %s", PQresultErrorMessage(res));
		ret = PQstatus(s->conn) == CONNECTION_OK ? -EIO : -ENOTCONN;
	}
	PQclear(res);
	return ret;
}

static int ys_pg_begin(void *db)
{
	struct ys_pg *s = db;
	int ret = ys_pg_simple(s, "BEGIN");

	if (ret == -ENOTCONN)
		ret = ys_pg_simple(s, "BEGIN"); /* the first statement after a restart */
	s->in_txn = ret == 0;
	return ret;
}

static int ys_pg_commit(void *db)
{
	struct ys_pg *s = db;

	s->in_txn = false;
	return ys_pg_simple(s, "COMMIT");
}

static int ys_pg_rollback(void *db)
{
	struct ys_pg *s = db;

	s->in_txn = false;
	if (PQtransactionStatus(s->conn) == PQTRANS_IDLE)
		return 0;
	return ys_pg_simple(db, "ROLLBACK");
}

static int ys_pg_lock_audit(void *db)
{
	return ys_pg_simple(db, "SELECT pg_advisory_xact_lock(" YS_PG_AUDIT_LOCK_ID ")");
}

static int ys_pg_script(void *db, const char *sql)
{
	return ys_pg_simple(db, sql);
}

static void ys_pg_close(void *db)
{
	struct ys_pg *s = db;

	if (!s)
		return;
	for (int i = 0; i < YS_PG_CACHE; i++)
		free(s->cache[i].sql);
	PQfinish(s->conn);
	free(s);
}

static const char *ys_pg_errmsg(void *db)
{
	return ((struct ys_pg *)db)->err;
}

static const char *const ys_pg_migrations[] = {
	/* 1: alerts, de-duplicated by event_id */
	"CREATE TABLE alerts ("
	" id BIGSERIAL PRIMARY KEY,"
	" event_id TEXT NOT NULL UNIQUE,"
	" ts BIGINT NOT NULL,"
	" tenant TEXT NOT NULL,"
	" tenant_id BIGINT NOT NULL,"
	" severity BIGINT NOT NULL,"
	" sid BIGINT NOT NULL,"
	" signature TEXT NOT NULL,"
	" category TEXT,"
	" src_ip TEXT,"
	" dest_ip TEXT,"
	" sensor_id TEXT,"
	" rack TEXT,"
	" json TEXT NOT NULL);"
	"CREATE INDEX alerts_tenant_ts ON alerts(tenant, ts);"
	"CREATE INDEX alerts_ts ON alerts(ts);",
	/* 2: sensors */
	"CREATE TABLE sensors ("
	" id TEXT PRIMARY KEY,"
	" rack TEXT, host TEXT,"
	" last_seen BIGINT NOT NULL,"
	" interval_s BIGINT NOT NULL DEFAULT 10,"
	" stats TEXT);",
	/* 3: incidents */
	"CREATE TABLE incidents ("
	" id BIGSERIAL PRIMARY KEY,"
	" rule TEXT NOT NULL, title TEXT NOT NULL,"
	" tenant TEXT NOT NULL, group_key TEXT NOT NULL,"
	" severity BIGINT NOT NULL, level TEXT NOT NULL,"
	" level_rank BIGINT NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'open',"
	" assignee TEXT,"
	" first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL,"
	" alert_count BIGINT NOT NULL,"
	" src_ips TEXT NOT NULL DEFAULT '[]', dest_ips TEXT NOT NULL DEFAULT '[]',"
	" signatures TEXT NOT NULL DEFAULT '[]', mlps_controls TEXT NOT NULL DEFAULT '[]',"
	" links BIGINT NOT NULL DEFAULT 0,"
	" updated BIGINT NOT NULL);"
	"CREATE UNIQUE INDEX incidents_open ON incidents(rule, tenant, group_key)"
	" WHERE status <> 'closed';"
	"CREATE INDEX incidents_tenant_last ON incidents(tenant, last_seen);"
	"CREATE TABLE incident_alerts ("
	" incident_id BIGINT NOT NULL, event_id TEXT NOT NULL, ts BIGINT NOT NULL,"
	" PRIMARY KEY (incident_id, event_id));"
	"CREATE TABLE incident_comments ("
	" id BIGSERIAL PRIMARY KEY, incident_id BIGINT NOT NULL,"
	" author TEXT NOT NULL, text TEXT NOT NULL, time BIGINT NOT NULL);"
	"CREATE INDEX incident_comments_i ON incident_comments(incident_id);"
	"CREATE TABLE incident_history ("
	" id BIGSERIAL PRIMARY KEY, incident_id BIGINT NOT NULL,"
	" action TEXT NOT NULL, actor TEXT NOT NULL, time BIGINT NOT NULL, detail TEXT);"
	"CREATE INDEX incident_history_i ON incident_history(incident_id);",
	/* 4: the audit chain, append-only */
	"CREATE TABLE audit ("
	" seq BIGINT PRIMARY KEY,"
	" time BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
	" target TEXT NOT NULL, detail TEXT NOT NULL,"
	" prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
	"CREATE FUNCTION ys_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
	" 'BEGIN RAISE EXCEPTION ''audit log is append-only'' USING ERRCODE = ''23000''; END';"
	"CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit"
	" FOR EACH ROW EXECUTE FUNCTION ys_audit_append_only();"
	"CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit"
	" FOR EACH STATEMENT EXECUTE FUNCTION ys_audit_append_only();",
	/* 5: retention purges incident links by time, in chunks */
	"CREATE INDEX incident_alerts_ts ON incident_alerts(ts);",
};

const struct ys_store_driver ys_store_pg_driver = {
	.name = "postgres",
	.exec = ys_pg_exec,
	.changes = ys_pg_changes,
	.begin = ys_pg_begin,
	.commit = ys_pg_commit,
	.rollback = ys_pg_rollback,
	.lock_audit = ys_pg_lock_audit,
	.script = ys_pg_script,
	.migrations = ys_pg_migrations,
	.nmigrations = sizeof(ys_pg_migrations) / sizeof(ys_pg_migrations[0]),
	.close = ys_pg_close,
	.errmsg = ys_pg_errmsg,
};

static void ys_pg_notice(void *arg, const char *msg)
{
	ys_debug("store", "postgres: %s", msg);
}

void *ys_store_pg_open(const char *conninfo, char *err, size_t errlen)
{
	struct ys_pg *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->conn = PQconnectdb(conninfo);
	if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
		snprintf(err, errlen, "postgres: %s",
			 s->conn ? PQerrorMessage(s->conn) : "out of memory");
		ys_pg_close(s);
		return NULL;
	}
	PQsetNoticeProcessor(s->conn, ys_pg_notice, NULL);
	/* Quiet notices, UTC, and no surprise from a server-wide default. */
	if (ys_pg_simple(s, "SET client_min_messages = warning") ||
	    ys_pg_simple(s, "SET TIME ZONE 'UTC'")) {
		snprintf(err, errlen, "postgres: %s", s->err);
		ys_pg_close(s);
		return NULL;
	}
	return s;
}
