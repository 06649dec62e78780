/*
 * One batch through the ingest: validate each message, store it (the unique
 * event_id drops duplicates), feed new alerts to correlation, and at commit
 * store the batch's incident changes in the same transaction, so that alerts
 * and the incidents they caused become visible together or not at all.
 */
#include "pipeline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>

#include "json_arena.h"
#include "json_fast.h"
#include "ys_event.h"
#include "ys_log.h"

#define YS_PL_MOD	"ingest"
#define YS_PL_ARENA_MAX ((size_t)256 << 20)

struct ys_i64vec {
	int64_t *v;
	size_t n, cap;
};

struct ys_pl_incident {
	char tenant[128];
	int64_t id;
};

struct ys_pipeline {
	struct ys_store *st;
	struct ys_corr_engine *eng;
	struct ys_ingest_metrics *m;
	struct ys_pipeline_conf conf;
	struct ys_pipeline_out out;
	bool in_batch;
	size_t pending;
	char *buf; /* NUL-terminated copies of the payloads being processed */
	size_t bufcap;
	struct ys_prep *prep; /* per message of the current call */
	char **texts;
	size_t capprep;
	/* the JSON trees of the current call, one arena per parsing thread */
	struct ys_json_arena *arena[2];
	/* batch: Kafka create times of stored alerts (delay metrics) */
	struct ys_i64vec ts_store, ts_corr;
	/* batch: incidents touched, produced after commit */
	struct ys_pl_incident *incs;
	size_t nincs, capincs;
	int64_t max_event_ts;
	int64_t next_purge;
	char **silent; /* sensors already reported silent */
	size_t nsilent;
};

static int64_t ys_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- metrics ---- */

void ys_ingest_metrics_init(struct ys_ingest_metrics *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->to_store.lock, NULL);
	pthread_mutex_init(&m->to_incident.lock, NULL);
	pthread_mutex_init(&m->lag_lock, NULL);
}

void ys_ingest_metrics_destroy(struct ys_ingest_metrics *m)
{
	pthread_mutex_destroy(&m->to_store.lock);
	pthread_mutex_destroy(&m->to_incident.lock);
	pthread_mutex_destroy(&m->lag_lock);
}

void ys_delay_observe(struct ys_delay_ring *r, double s)
{
	pthread_mutex_lock(&r->lock);
	r->v[r->next] = (float)s;
	r->next = (r->next + 1) % YS_DELAY_RING;
	if (r->n < YS_DELAY_RING)
		r->n++;
	r->count++;
	r->sum += s;
	pthread_mutex_unlock(&r->lock);
}

static int ys_cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

/* One copy and one sort for all of QS: a /metrics scrape asks for four quantiles of 65,536. */
void ys_delay_quantiles(struct ys_delay_ring *r, const double *qs, double *out, size_t nq)
{
	float *copy;
	size_t n;

	for (size_t i = 0; i < nq; i++)
		out[i] = 0;
	pthread_mutex_lock(&r->lock);
	n = r->n;
	copy = n ? malloc(n * sizeof(*copy)) : NULL;
	if (copy)
		memcpy(copy, r->v, n * sizeof(*copy));
	pthread_mutex_unlock(&r->lock);
	if (!copy)
		return;
	qsort(copy, n, sizeof(*copy), ys_cmp_float);
	for (size_t i = 0; i < nq; i++) {
		size_t idx = (size_t)(qs[i] * (double)(n - 1) + 0.5);

		out[i] = copy[idx < n ? idx : n - 1];
	}
	free(copy);
}

double ys_delay_quantile(struct ys_delay_ring *r, double q)
{
	double v;

	ys_delay_quantiles(r, &q, &v, 1);
	return v;
}

/* ---- pipeline ---- */

struct ys_pipeline *ys_pipeline_new(struct ys_store *st, struct ys_corr_engine *eng,
				    struct ys_ingest_metrics *m, const struct ys_pipeline_conf *c,
				    const struct ys_pipeline_out *out)
{
	struct ys_pipeline *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return NULL;
	pl->st = st;
	pl->eng = eng;
	pl->m = m;
	pl->conf = *c;
	if (!pl->conf.max_message_bytes)
		pl->conf.max_message_bytes = 1 << 20;
	if (pl->conf.heartbeat_s <= 0)
		pl->conf.heartbeat_s = 10;
	if (out)
		pl->out = *out;
	ys_json_arena_install();
	return pl;
}

void ys_pipeline_free(struct ys_pipeline *pl)
{
	if (!pl)
		return;
	if (pl->in_batch)
		ys_pipeline_abort(pl);
	ys_json_arena_free(pl->arena[0]);
	ys_json_arena_free(pl->arena[1]);
	free(pl->buf);
	free(pl->prep);
	free(pl->texts);
	free(pl->ts_store.v);
	free(pl->ts_corr.v);
	free(pl->incs);
	for (size_t i = 0; i < pl->nsilent; i++)
		free(pl->silent[i]);
	free(pl->silent);
	free(pl);
}

size_t ys_pipeline_pending(const struct ys_pipeline *pl)
{
	return pl->pending;
}

int ys_pipeline_begin(struct ys_pipeline *pl)
{
	int ret = ys_store_begin(pl->st);

	if (ret)
		return ret;
	pl->in_batch = true;
	pl->pending = 0;
	pl->ts_store.n = pl->ts_corr.n = pl->nincs = 0;
	return 0;
}

void ys_pipeline_abort(struct ys_pipeline *pl)
{
	ys_store_rollback(pl->st);
	if (pl->eng)
		ys_corr_discard(pl->eng);
	pl->in_batch = false;
	pl->pending = 0;
	atomic_fetch_add(&pl->m->batch_failures, 1);
}

static void ys_dead_letter(struct ys_pipeline *pl, const struct ys_msg *m, const char *reason)
{
	atomic_fetch_add(&pl->m->dead_letter, 1);
	ys_info(YS_PL_MOD, "dead letter %s[%" PRId32 "]@%" PRId64 ": %s", m->topic ? m->topic : "?",
		m->partition, m->offset, reason);
	if (pl->out.dead_letter)
		pl->out.dead_letter(pl->out.user, m, reason);
}

static void ys_ts_push(struct ys_i64vec *vec, int64_t v)
{
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 1024;
		int64_t *a = realloc(vec->v, cap * sizeof(*a));

		if (!a)
			return; /* a missing delay sample is not worth failing a batch */
		vec->v = a;
		vec->cap = cap;
	}
	vec->v[vec->n++] = v;
}

/*
 * What can be done for a message without the store, in any thread: size
 * check, a NUL-terminated copy (the stored text is the exact payload), JSON
 * parse, schema validation and the indexed columns of an alert.
 */
struct ys_prep {
	json_t *ev;
	char *text;
	bool ok;
	struct ys_alert_row row;
	char reason[256];
};

static void ys_prepare(const struct ys_pipeline_conf *conf, const struct ys_msg *m,
		       struct ys_prep *p, char *text)
{
	json_error_t jerr;
	char why[200];

	memset(p, 0, sizeof(*p));
	if (m->len > conf->max_message_bytes) {
		snprintf(p->reason, sizeof(p->reason), "oversized: %zu bytes > limit %zu", m->len,
			 conf->max_message_bytes);
		return;
	}
	memcpy(text, m->payload, m->len);
	text[m->len] = '\0';
	p->text = text;
	/* the fast parser accepts only what jansson would; jansson judges the rest */
	p->ev = ys_json_fast_parse(text, m->len);
	if (!p->ev)
		p->ev = json_loadb(text, m->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!p->ev) {
		snprintf(p->reason, sizeof(p->reason), "malformed JSON: %s (line %d, column %d)",
			 jerr.text, jerr.line, jerr.column);
		return;
	}
	if (!json_is_object(p->ev)) {
		snprintf(p->reason, sizeof(p->reason), "not a JSON object");
		return;
	}
	if (m->kind == YS_MSG_ALERT) {
		if (!ys_event_validate(p->ev, why, sizeof(why))) {
			snprintf(p->reason, sizeof(p->reason), "schema: %s", why);
			return;
		}
		if (ys_alert_row_from_json(p->ev, &p->row)) {
			snprintf(p->reason, sizeof(p->reason),
				 "schema: event_id, tenant, timestamp and alert are required");
			return;
		}
		p->row.json = text;
		p->row.json_len = m->len;
	}
	p->ok = true;
}

struct ys_prep_job {
	const struct ys_pipeline_conf *conf;
	const struct ys_msg *m;
	struct ys_prep *p;
	char **text;
	size_t from, to;
	struct ys_json_arena *arena; /* NULL: the trees come from malloc */
};

static void *ys_prep_run(void *arg)
{
	struct ys_prep_job *j = arg;

	ys_json_arena_enter(j->arena);
	for (size_t i = j->from; i < j->to; i++)
		ys_prepare(j->conf, &j->m[i], &j->p[i], j->text[i]);
	ys_json_arena_leave();
	return NULL;
}

/*
 * An empty arena of at least WANT bytes in *A, or NULL there (parse with
 * malloc) when none can be had. The trees of the previous call are all
 * released by now; an arena that still has live ones is retired.
 */
static void ys_arena_ready(struct ys_json_arena **a, size_t want)
{
	struct ys_json_arena_stats st;

	/* a batch of huge messages parses partly from malloc rather than reserving gigabytes */
	if (want > YS_PL_ARENA_MAX)
		want = YS_PL_ARENA_MAX;
	if (*a) {
		ys_json_arena_get_stats(*a, &st);
		if (ys_json_arena_reset(*a) && st.cap >= want)
			return;
		ys_json_arena_free(*a);
		*a = NULL;
	}
	*a = ys_json_arena_new(want);
}

/*
 * Private, shared and local addresses name different hosts in different
 * tenants (their address spaces overlap), so they never form a cross-tenant
 * group: 10/8, 172.16/12, 192.168/16, 100.64/10, 127/8, 169.254/16, 0/8,
 * fc00::/7, fe80::/10, ::1, and IPv4-mapped forms of those.
 */
static bool ys_addr_tenant_local(const char *ip)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, ip, a) == 1)
		goto v4;
	if (inet_pton(AF_INET6, ip, a) != 1)
		return true; /* not an address: nothing to group by */
	if ((a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
		return true;
	{
		static const unsigned char loop[16] = { [15] = 1 };
		static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };

		if (memcmp(a, loop, 16) == 0)
			return true;
		if (memcmp(a, mapped, 12) != 0)
			return false;
		memmove(a, a + 12, 4);
	}
v4:
	return a[0] == 10 || a[0] == 127 || a[0] == 0 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	       (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) ||
	       (a[0] == 100 && (a[1] & 0xc0) == 64);
}

struct ys_sumbuf {
	char *p;
	size_t n, cap;
	bool full;
};

static void ys_sum_raw(struct ys_sumbuf *b, const char *s, size_t n)
{
	if (b->full || n > b->cap - b->n) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

/* KEY (a literal with its quotes, comma and colon) then V compact, or null (json_pack's "O?"). */
static void ys_sum_field(struct ys_sumbuf *b, const char *key, const json_t *v)
{
	size_t n;

	ys_sum_raw(b, key, strlen(key));
	if (b->full)
		return;
	if (!v) {
		ys_sum_raw(b, "null", 4);
		return;
	}
	n = json_dumpb(v, b->p + b->n, b->cap - b->n, JSON_COMPACT | JSON_ENCODE_ANY);
	if (n == 0 || n > b->cap - b->n)
		b->full = true;
	else
		b->n += n;
}

/*
 * The by-source summary written straight from the parsed alert: the same text
 * as json_dumps(json_pack(...), JSON_COMPACT) below, without building a tree.
 * 0 when it does not fit BUF (the caller then takes the general way).
 */
static size_t ys_summary_write(const json_t *ev, char *buf, size_t cap)
{
	const json_t *alert = json_object_get(ev, "alert");
	struct ys_sumbuf b = { buf, 0, cap, false };

	ys_sum_field(&b, "{\"event_id\":", json_object_get(ev, "event_id"));
	ys_sum_field(&b, ",\"timestamp\":", json_object_get(ev, "timestamp"));
	ys_sum_field(&b, ",\"tenant\":", json_object_get(ev, "tenant"));
	ys_sum_field(&b, ",\"tenant_id\":", json_object_get(ev, "tenant_id"));
	ys_sum_field(&b, ",\"src_ip\":", json_object_get(ev, "src_ip"));
	ys_sum_field(&b, ",\"dest_ip\":", json_object_get(ev, "dest_ip"));
	ys_sum_field(&b, ",\"sensor\":", json_object_get(ev, "sensor"));
	ys_sum_field(&b, ",\"alert\":{\"signature_id\":", json_object_get(alert, "signature_id"));
	ys_sum_field(&b, ",\"gid\":", json_object_get(alert, "gid"));
	ys_sum_field(&b, ",\"signature\":", json_object_get(alert, "signature"));
	ys_sum_field(&b, ",\"category\":", json_object_get(alert, "category"));
	ys_sum_field(&b, ",\"severity\":", json_object_get(alert, "severity"));
	ys_sum_field(&b, ",\"metadata\":", json_object_get(alert, "metadata"));
	ys_sum_raw(&b, "}}", 2);
	return b.full ? 0 : b.n;
}

static void ys_emit_by_source(struct ys_pipeline *pl, const json_t *ev)
{
	const json_t *alert = json_object_get(ev, "alert");
	const char *src = json_string_value(json_object_get(ev, "src_ip"));
	char fast[8192];
	size_t n;
	json_t *sum;
	char *text;

	if (!src || !pl->out.by_source || ys_addr_tenant_local(src))
		return;
	n = ys_summary_write(ev, fast, sizeof(fast));
	if (n) {
		pl->out.by_source(pl->out.user, src, fast, n);
		atomic_fetch_add(&pl->m->by_source_out, 1);
		return;
	}
	/* Only what the by-source rules read: no payloads travel twice. */
	sum = json_pack(
		"{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:{s:O?, s:O?, s:O?, s:O?,"
		" s:O?, s:O?}}",
		"event_id", json_object_get(ev, "event_id"), "timestamp",
		json_object_get(ev, "timestamp"), "tenant", json_object_get(ev, "tenant"),
		"tenant_id", json_object_get(ev, "tenant_id"), "src_ip",
		json_object_get(ev, "src_ip"), "dest_ip", json_object_get(ev, "dest_ip"), "sensor",
		json_object_get(ev, "sensor"), "alert", "signature_id",
		json_object_get(alert, "signature_id"), "gid", json_object_get(alert, "gid"),
		"signature", json_object_get(alert, "signature"), "category",
		json_object_get(alert, "category"), "severity", json_object_get(alert, "severity"),
		"metadata", json_object_get(alert, "metadata"));
	text = sum ? json_dumps(sum, JSON_COMPACT) : NULL;
	if (text) {
		pl->out.by_source(pl->out.user, src, text, strlen(text));
		atomic_fetch_add(&pl->m->by_source_out, 1);
	}
	free(text);
	json_decref(sum);
}

static int ys_add_alert(struct ys_pipeline *pl, const struct ys_msg *m, struct ys_prep *p)
{
	const struct ys_alert_row row = p->row;
	json_t *ev = p->ev;
	int ret;

	ret = ys_store_alert_insert(pl->st, &row);
	if (ret < 0)
		return ret;
	if (ret == 0) {
		atomic_fetch_add(&pl->m->duplicates, 1);
		return 0; /* already stored (and correlated) once: a replay */
	}
	atomic_fetch_add(&pl->m->stored, 1);
	if (m->kafka_ts_ms)
		ys_ts_push(&pl->ts_store, m->kafka_ts_ms);
	if (row.ts > pl->max_event_ts)
		pl->max_event_ts = row.ts;
	/* Only alerts some by-source rule would select travel through the repartition. */
	if (pl->conf.by_source && pl->eng &&
	    ys_corr_rules_select_any(ys_corr_ruleset_of(pl->eng), YS_CORR_STREAM_BY_SOURCE, ev))
		ys_emit_by_source(pl, ev);
	if (pl->eng) {
		ret = ys_corr_feed(pl->eng, YS_CORR_STREAM_ALERTS, ev, row.ts, row.event_id);
		if (ret < 0)
			return ret;
		if (ret > 0) {
			atomic_fetch_add(&pl->m->corr_matched, 1);
			if (m->kafka_ts_ms)
				ys_ts_push(&pl->ts_corr, m->kafka_ts_ms);
		}
	}
	return 0;
}

static int ys_add_by_source(struct ys_pipeline *pl, const struct ys_msg *m, json_t *ev)
{
	const char *id = json_string_value(json_object_get(ev, "event_id"));
	uint64_t ts;
	int ret;

	atomic_fetch_add(&pl->m->by_source_in, 1);
	if (!id || !ys_uuid_valid(id) || !json_is_string(json_object_get(ev, "tenant")) ||
	    ys_eve_timestamp_parse(json_string_value(json_object_get(ev, "timestamp")), &ts) ||
	    ts > INT64_MAX) {
		ys_dead_letter(pl, m, "by-source summary: event_id, tenant and timestamp required");
		return 0;
	}
	if (!pl->eng)
		return 0;
	ret = ys_corr_feed(pl->eng, YS_CORR_STREAM_BY_SOURCE, ev, (int64_t)ts, id);
	if (ret < 0)
		return ret;
	if (ret > 0 && m->kafka_ts_ms)
		ys_ts_push(&pl->ts_corr, m->kafka_ts_ms);
	return 0;
}

static int ys_add_stats(struct ys_pipeline *pl, const struct ys_msg *m, json_t *ev,
			const char *text)
{
	const json_t *sensor = json_object_get(ev, "sensor");
	const char *id = json_string_value(json_object_get(sensor, "id"));
	json_int_t interval = json_integer_value(json_object_get(ev, "interval"));
	uint64_t ts;
	int ret;

	if (!id)
		id = json_string_value(json_object_get(ev, "sensor_id"));
	if (!id || !*id || strlen(id) > 128) {
		ys_dead_letter(pl, m, "sensor-stats: sensor.id (1..128 chars) is required");
		return 0;
	}
	if (ys_eve_timestamp_parse(json_string_value(json_object_get(ev, "timestamp")), &ts) ||
	    ts > INT64_MAX)
		ts = m->kafka_ts_ms ? (uint64_t)m->kafka_ts_ms * 1000 : (uint64_t)ys_now_us();
	if (interval <= 0 || interval > 86400)
		interval = pl->conf.heartbeat_s;
	ret = ys_store_sensor_upsert(pl->st, id, json_string_value(json_object_get(sensor, "rack")),
				     json_string_value(json_object_get(sensor, "host")),
				     (int64_t)ts, interval, text);
	if (!ret)
		atomic_fetch_add(&pl->m->stats, 1);
	return ret;
}

/* Prepare N messages, on two threads when there are enough to be worth it. */
static int ys_prepare_all(struct ys_pipeline *pl, const struct ys_msg *m, size_t n)
{
	size_t bytes = 0, off = 0;
	struct ys_prep_job a, b;
	pthread_t helper;
	bool threaded = false;

	if (n > pl->capprep) {
		struct ys_prep *np = realloc(pl->prep, n * sizeof(*np));
		char **nt = np ? realloc(pl->texts, n * sizeof(*nt)) : NULL;

		if (np)
			pl->prep = np;
		if (nt)
			pl->texts = nt;
		if (!np || !nt)
			return -ENOMEM;
		pl->capprep = n;
	}
	for (size_t i = 0; i < n; i++)
		bytes += (m[i].len <= pl->conf.max_message_bytes ? m[i].len : 0) + 1;
	if (bytes > pl->bufcap) {
		char *nb = realloc(pl->buf, bytes);

		if (!nb)
			return -ENOMEM;
		pl->buf = nb;
		pl->bufcap = bytes;
	}
	for (size_t i = 0; i < n; i++) {
		pl->texts[i] = pl->buf + off;
		off += (m[i].len <= pl->conf.max_message_bytes ? m[i].len : 0) + 1;
	}
	/* A parsed alert takes about 8 times its text in jansson nodes (bench_ingest_pipeline: 4 KB
	 * per 650-byte alert); each thread parses half, so 8 times the whole leaves room. */
	ys_arena_ready(&pl->arena[0], bytes * 8 + 65536);
	a = (struct ys_prep_job){ &pl->conf, m, pl->prep, pl->texts, 0, n, pl->arena[0] };
	if (n >= 256) {
		/* Parsing is the biggest cost and needs no store: split it over two threads. */
		ys_arena_ready(&pl->arena[1], bytes * 8 + 65536);
		b = a;
		b.to = n / 2;
		b.arena = pl->arena[1];
		a.from = n / 2;
		threaded = pthread_create(&helper, NULL, ys_prep_run, &b) == 0;
		if (!threaded)
			a.from = 0;
	}
	ys_prep_run(&a);
	if (threaded)
		pthread_join(helper, NULL);
	return 0;
}

int ys_pipeline_add_many(struct ys_pipeline *pl, const struct ys_msg *m, size_t n)
{
	size_t i;
	int ret = 0;

	if (n == 0)
		return 0;
	ret = ys_prepare_all(pl, m, n);
	if (ret)
		return ret;
	for (i = 0; i < n && !ret; i++) {
		struct ys_prep *p = &pl->prep[i];

		atomic_fetch_add(&pl->m->consumed, 1);
		pl->pending++;
		if (!p->ok) {
			ys_dead_letter(pl, &m[i], p->reason);
			continue;
		}
		switch (m[i].kind) {
		case YS_MSG_ALERT:
			ret = ys_add_alert(pl, &m[i], p);
			break;
		case YS_MSG_STATS:
			ret = ys_add_stats(pl, &m[i], p->ev, p->text);
			break;
		case YS_MSG_BY_SOURCE:
			ret = ys_add_by_source(pl, &m[i], p->ev);
			break;
		}
	}
	for (i = 0; i < n; i++)
		json_decref(pl->prep[i].ev);
	return ret;
}

int ys_pipeline_add(struct ys_pipeline *pl, const struct ys_msg *m)
{
	return ys_pipeline_add_many(pl, m, 1);
}

static int ys_pl_apply(void *user, const struct ys_corr_incident *inc)
{
	struct ys_pipeline *pl = user;
	struct ys_incident_delta d = {
		.rule = inc->rule,
		.title = inc->title,
		.tenant = inc->tenant,
		.group_key = inc->group_key,
		.severity = inc->severity,
		.level = inc->level,
		.mlps = inc->mlps,
		.nmlps = inc->nmlps,
		.first_seen = inc->first_seen,
		.last_seen = inc->last_seen,
		.alert_count = inc->alert_count,
		.src_ips = inc->src_ips,
		.nsrc = inc->nsrc,
		.dest_ips = inc->dest_ips,
		.ndest = inc->ndest,
		.signatures = inc->signatures,
		.nsig = inc->nsig,
		.event_ids = inc->event_ids,
		.event_ts = inc->event_ts,
		.nevents = inc->nevents,
	};
	bool created;
	int64_t id;
	int ret;

	ret = ys_store_incident_apply(pl->st, &d, &id, &created);
	if (ret)
		return ret;
	if (created) {
		static const char *const lv[] = { "blue", "yellow", "orange", "red" };

		atomic_fetch_add(&pl->m->incidents_created, 1);
		for (int i = 0; i < 4; i++)
			if (strcmp(inc->level, lv[i]) == 0)
				atomic_fetch_add(&pl->m->incidents_by_level[i], 1);
		ys_notice(YS_PL_MOD, "incident %" PRId64 " opened: %s [%s] tenant %s (%s)", id,
			  inc->title, inc->level, inc->tenant, inc->rule);
	} else {
		atomic_fetch_add(&pl->m->incidents_updated, 1);
	}
	for (size_t i = 0; i < pl->nincs; i++)
		if (pl->incs[i].id == id)
			return 0;
	if (pl->nincs == pl->capincs) {
		size_t cap = pl->capincs ? pl->capincs * 2 : 64;
		struct ys_pl_incident *n = realloc(pl->incs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		pl->incs = n;
		pl->capincs = cap;
	}
	pl->incs[pl->nincs].id = id;
	snprintf(pl->incs[pl->nincs].tenant, sizeof(pl->incs[0].tenant), "%s", inc->tenant);
	pl->nincs++;
	return 0;
}

int ys_pipeline_commit(struct ys_pipeline *pl)
{
	json_t **summaries = NULL;
	int64_t now;
	int ret = 0;

	if (pl->eng) {
		ret = ys_corr_drain(pl->eng, ys_pl_apply, pl);
		if (ret < 0)
			goto out_abort;
	}
	/* Read back what Kafka gets before the commit: the rows are ours until then. */
	if (pl->nincs && pl->out.incident) {
		summaries = calloc(pl->nincs, sizeof(*summaries));
		if (!summaries) {
			ret = -ENOMEM;
			goto out_abort;
		}
		for (size_t i = 0; i < pl->nincs; i++)
			if (ys_store_incident_summary(pl->st, pl->incs[i].id, &summaries[i]))
				summaries[i] = NULL;
	}
	ret = ys_store_commit(pl->st);
	if (ret)
		goto out_abort;
	pl->in_batch = false;
	pl->pending = 0;
	atomic_fetch_add(&pl->m->batches, 1);
	now = ys_now_us();
	for (size_t i = 0; i < pl->ts_store.n; i++)
		ys_delay_observe(&pl->m->to_store, (double)(now - pl->ts_store.v[i] * 1000) / 1e6);
	for (size_t i = 0; i < pl->ts_corr.n; i++)
		ys_delay_observe(&pl->m->to_incident,
				 (double)(now - pl->ts_corr.v[i] * 1000) / 1e6);
	for (size_t i = 0; summaries && i < pl->nincs; i++) {
		char *text = summaries[i] ? json_dumps(summaries[i], JSON_COMPACT) : NULL;

		if (text)
			pl->out.incident(pl->out.user, pl->incs[i].tenant, text, strlen(text));
		free(text);
		json_decref(summaries[i]);
	}
	free(summaries);
	if (pl->eng && pl->max_event_ts)
		ys_corr_expire(pl->eng, pl->max_event_ts);
	return 0;
out_abort:
	if (summaries) {
		for (size_t i = 0; i < pl->nincs; i++)
			json_decref(summaries[i]);
		free(summaries);
	}
	ys_err(YS_PL_MOD, "batch of %zu messages not stored: %s; it will be replayed", pl->pending,
	       strerror(-ret));
	ys_pipeline_abort(pl);
	return ret;
}

/* ---- housekeeping ---- */

static bool ys_silent_known(struct ys_pipeline *pl, const char *id)
{
	for (size_t i = 0; i < pl->nsilent; i++)
		if (strcmp(pl->silent[i], id) == 0)
			return true;
	return false;
}

static int ys_check_silent(struct ys_pipeline *pl, int64_t now)
{
	json_t *list = NULL, *s;
	char **keep;
	size_t i, nkeep = 0;
	int ret;

	ret = ys_store_sensors_silent(pl->st, now, &list);
	if (ret)
		return ret;
	keep = calloc(json_array_size(list) + 1, sizeof(*keep));
	if (!keep) {
		json_decref(list);
		return -ENOMEM;
	}
	json_array_foreach(list, i, s)
	{
		const char *id = json_string_value(json_object_get(s, "id"));
		const char *rack = json_string_value(json_object_get(s, "rack"));

		if (!ys_silent_known(pl, id)) {
			/* A sensor gone quiet is a blind spot: warn once per silence. */
			static const char *const mlps[] = { "8.1.5.4" };
			char title[256];
			struct ys_incident_delta d = {
				.rule = "ys.sensor-silent",
				.title = title,
				.tenant = "_system",
				.group_key = id,
				.severity = 2,
				.level = "yellow",
				.mlps = mlps,
				.nmlps = 1,
				.first_seen = json_integer_value(json_object_get(s, "last_seen")),
				.last_seen = now,
				.alert_count = 0,
			};
			int64_t iid;
			bool created;

			snprintf(title, sizeof(title), "Sensor %s (rack %s) silent", id,
				 rack ? rack : "?");
			ret = ys_store_begin(pl->st);
			if (!ret)
				ret = ys_store_incident_apply(pl->st, &d, &iid, &created);
			if (!ret)
				ret = ys_store_commit(pl->st);
			if (ret) {
				ys_store_rollback(pl->st);
				break;
			}
			ys_warn(YS_PL_MOD, "sensor %s (rack %s) silent for more than 3 heartbeats",
				id, rack ? rack : "?");
			if (created) {
				atomic_fetch_add(&pl->m->incidents_created, 1);
				atomic_fetch_add(&pl->m->incidents_by_level[1], 1);
			}
		}
		keep[nkeep] = strdup(id);
		if (keep[nkeep])
			nkeep++;
	}
	for (i = 0; i < pl->nsilent; i++)
		free(pl->silent[i]);
	free(pl->silent);
	pl->silent = keep;
	pl->nsilent = nkeep;
	json_decref(list);
	return ret;
}

int ys_pipeline_tick(struct ys_pipeline *pl, int64_t now, int64_t retention_us,
		     int64_t purge_every_us)
{
	int ret = ys_check_silent(pl, now);

	if (pl->eng) {
		struct ys_corr_stats cs;

		if (pl->max_event_ts)
			ys_corr_expire(pl->eng, pl->max_event_ts);
		ys_corr_get_stats(pl->eng, &cs);
		atomic_store(&pl->m->corr_groups, cs.groups);
		atomic_store(&pl->m->corr_evicted, cs.evicted);
		atomic_store(&pl->m->corr_dropped, cs.dropped);
		atomic_store(&pl->m->corr_fired, cs.fired);
	}
	if (purge_every_us > 0 && now >= pl->next_purge) {
		int64_t n = 0;
		int r = ys_store_purge(pl->st, now - retention_us, &n);

		pl->next_purge = now + purge_every_us;
		if (r) {
			ys_err(YS_PL_MOD, "retention purge failed: %s", strerror(-r));
			ret = ret ? ret : r;
		} else {
			atomic_fetch_add(&pl->m->purged, (uint64_t)n);
			if (n)
				ys_notice(YS_PL_MOD,
					  "retention: purged %" PRId64 " alerts older than %" PRId64
					  " days",
					  n, retention_us / (int64_t)86400000000);
		}
	}
	return ret;
}
