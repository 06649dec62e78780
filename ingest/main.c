/*
 * yunshao-ingest: the central service. Loads ingest.yaml, opens the store
 * (one connection for the consumer, one for the API), loads the correlation
 * rules, records the configuration in the audit chain, starts the HTTP API
 * and runs the Kafka consumer loop until SIGINT/SIGTERM.
 *
 *   yunshao-ingest -c ingest.yaml                 run
 *   yunshao-ingest -c ingest.yaml --verify-audit  prove the audit chain (exit 0/1)
 *   yunshao-ingest -c ingest.yaml --check         load config and rules, then exit
 *   yunshao-ingest -c ingest.yaml --api-only      serve the API without consuming
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "api.h"
#include "consume.h"
#include "correlate.h"
#include "pipeline.h"
#include "store.h"
#include "ys_config.h"
#include "ys_log.h"

#define YS_MMOD "ingest"

static volatile sig_atomic_t ys_stop; /* set only by the signal handler */

static void ys_on_signal(int sig)
{
	ys_stop = 1;
}

struct ys_ingest {
	struct ys_conf *conf;
	const char *conf_path;
	struct ys_ingest_metrics metrics;
	struct ys_corr_ruleset *rules;
	struct ys_corr_engine *eng;
	struct ys_store *st;
	struct ys_pipeline *pl;
	struct ys_consumer *consumer;
	struct ys_api *api;
	int64_t retention_us, purge_every_us;
	bool kafka;
};

static int64_t ys_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void ys_usage(FILE *f)
{
	fprintf(f, "usage: yunshao-ingest -c ingest.yaml [--verify-audit | --check | --api-only]\n"
		   "                      [--log-level error|warn|notice|info|debug]\n");
}

/* ---- metrics text ---- */

struct ys_buf {
	char *p;
	size_t len, cap;
};

static void ys_bprintf(struct ys_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ys_bprintf(struct ys_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = b->p ? vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap) : -1;
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 8192;
		char *p = realloc(b->p, cap);

		if (!p)
			return;
		b->p = p;
		b->cap = cap;
	}
}

static void ys_counter(struct ys_buf *b, const char *name, const char *help, uint64_t v)
{
	ys_bprintf(b, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", name, help, name, name,
		   v);
}

static void ys_summary(struct ys_buf *b, const char *name, const char *help,
		       struct ys_delay_ring *r)
{
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
	double v[sizeof(qs) / sizeof(qs[0])];
	uint64_t count;
	double sum;

	ys_bprintf(b, "# HELP %s %s\n# TYPE %s summary\n", name, help, name);
	ys_delay_quantiles(r, qs, v, sizeof(qs) / sizeof(qs[0]));
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		ys_bprintf(b, "%s{quantile=\"%g\"} %.6f\n", name, qs[i], v[i]);
	pthread_mutex_lock(&r->lock);
	count = r->count;
	sum = r->sum;
	pthread_mutex_unlock(&r->lock);
	ys_bprintf(b, "%s_sum %.6f\n%s_count %" PRIu64 "\n", name, sum, name, count);
}

static char *ys_metrics_text(void *user)
{
	static const char *const levels[] = { "blue", "yellow", "orange", "red" };
	struct ys_ingest *in = user;
	struct ys_ingest_metrics *m = &in->metrics;
	struct ys_buf b = { 0 };

	ys_counter(&b, "yunshao_ingest_messages_consumed_total", "Kafka messages consumed",
		   atomic_load(&m->consumed));
	ys_counter(&b, "yunshao_ingest_alerts_stored_total", "Alerts stored (new event_ids)",
		   atomic_load(&m->stored));
	ys_counter(&b, "yunshao_ingest_alerts_duplicate_total",
		   "Alerts whose event_id was already stored (replays)",
		   atomic_load(&m->duplicates));
	ys_counter(&b, "yunshao_ingest_dead_letter_total",
		   "Messages rejected to the dead-letter topic", atomic_load(&m->dead_letter));
	ys_counter(&b, "yunshao_ingest_sensor_stats_total", "Sensor heartbeats stored",
		   atomic_load(&m->stats));
	ys_counter(&b, "yunshao_ingest_by_source_produced_total",
		   "Alert summaries re-keyed by source", atomic_load(&m->by_source_out));
	ys_counter(&b, "yunshao_ingest_by_source_consumed_total",
		   "Alert summaries consumed from the by-source topic",
		   atomic_load(&m->by_source_in));
	ys_counter(&b, "yunshao_ingest_batches_total", "Batches committed",
		   atomic_load(&m->batches));
	ys_counter(&b, "yunshao_ingest_batch_failures_total", "Batches rolled back for replay",
		   atomic_load(&m->batch_failures));
	ys_counter(&b, "yunshao_ingest_kafka_commit_failures_total", "Offset commits that failed",
		   atomic_load(&m->kafka_commit_failures));
	ys_counter(&b, "yunshao_ingest_correlated_alerts_total",
		   "Alerts that counted towards a correlation rule", atomic_load(&m->corr_matched));
	ys_counter(&b, "yunshao_ingest_incident_updates_total",
		   "Updates to open incidents (floods collapse here)",
		   atomic_load(&m->incidents_updated));
	ys_counter(&b, "yunshao_ingest_purged_alerts_total", "Alerts removed by retention",
		   atomic_load(&m->purged));
	ys_counter(&b, "yunshao_ingest_correlation_evicted_total",
		   "Correlation groups evicted by the group cap", atomic_load(&m->corr_evicted));
	ys_counter(&b, "yunshao_ingest_correlation_dropped_total",
		   "value_count alerts not remembered: correlation.max_entries was hit",
		   atomic_load(&m->corr_dropped));
	ys_bprintf(&b, "# HELP yunshao_ingest_incidents_total Incidents opened, by level\n"
		       "# TYPE yunshao_ingest_incidents_total counter\n");
	for (int i = 0; i < 4; i++)
		ys_bprintf(&b, "yunshao_ingest_incidents_total{level=\"%s\"} %" PRIu64 "\n",
			   levels[i], (uint64_t)atomic_load(&m->incidents_by_level[i]));
	ys_bprintf(&b,
		   "# HELP yunshao_ingest_correlation_groups Live correlation groups\n"
		   "# TYPE yunshao_ingest_correlation_groups gauge\n"
		   "yunshao_ingest_correlation_groups %" PRIu64 "\n"
		   "# HELP yunshao_ingest_kafka_up 1 when a broker answers\n"
		   "# TYPE yunshao_ingest_kafka_up gauge\nyunshao_ingest_kafka_up %d\n",
		   (uint64_t)atomic_load(&m->corr_groups),
		   in->kafka ? atomic_load(&m->kafka_up) : 0);
	ys_bprintf(&b, "# HELP yunshao_ingest_consumer_lag Messages behind the partition end\n"
		       "# TYPE yunshao_ingest_consumer_lag gauge\n");
	pthread_mutex_lock(&m->lag_lock);
	for (size_t i = 0; i < m->nlag; i++)
		ys_bprintf(&b,
			   "yunshao_ingest_consumer_lag{topic=\"%s\",partition=\"%" PRId32
			   "\"} %" PRId64 "\n",
			   m->lag[i].topic, m->lag[i].partition, m->lag[i].lag);
	pthread_mutex_unlock(&m->lag_lock);
	ys_summary(&b, "yunshao_ingest_alert_to_store_seconds",
		   "From the alert entering Kafka to its store commit", &m->to_store);
	ys_summary(&b, "yunshao_ingest_alert_to_incident_seconds",
		   "From a correlated alert entering Kafka to its incident stored",
		   &m->to_incident);
	return b.p;
}

static const char *ys_kafka_status(void *user)
{
	struct ys_ingest *in = user;

	return in->kafka && atomic_load(&in->metrics.kafka_up) ? "ok" : "down";
}

static void ys_tick(void *user)
{
	struct ys_ingest *in = user;
	int ret = ys_pipeline_tick(in->pl, ys_now_us(), in->retention_us, in->purge_every_us);

	if (ret)
		ys_warn(YS_MMOD, "housekeeping: %s", strerror(-ret));
}

/* ---- audit of configuration ---- */

static int ys_file_sha256(const char *path, char out[65])
{
	unsigned char md[32], buf[8192];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	size_t n;
	FILE *f = fopen(path, "rb");
	int ret = -EIO;

	if (!f)
		return -errno;
	ctx = EVP_MD_CTX_new();
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			EVP_DigestUpdate(ctx, buf, n);
		if (!ferror(f) && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32) {
			for (int i = 0; i < 32; i++)
				snprintf(out + 2 * i, 3, "%02x", md[i]);
			ret = 0;
		}
	}
	EVP_MD_CTX_free(ctx);
	fclose(f);
	return ret;
}

/* Record the configuration and rules this instance runs with, when they changed. */
static int ys_audit_config(struct ys_ingest *in, const char *rules_dir)
{
	char sha[65] = "", host[128] = "";
	json_t *detail, *ids = json_array();
	char *text;
	int ret;

	gethostname(host, sizeof(host) - 1);
	ys_file_sha256(in->conf_path, sha);
	for (size_t i = 0; i < ys_corr_rules_count(in->rules); i++)
		json_array_append_new(ids, json_string(ys_corr_rule_id(in->rules, i)));
	detail = json_pack("{s:s, s:s, s:s, s:o, s:I}", "host", host, "config_sha256", sha,
			   "rules_dir", rules_dir, "rules", ids, "pid", (json_int_t)getpid());
	text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(detail);
	if (!text)
		return -ENOMEM;
	ret = ys_store_audit_append(in->st, ys_now_us(), "system", "config.load", in->conf_path,
				    text, false);
	free(text);
	return ret;
}

static int ys_verify_audit(struct ys_ingest *in)
{
	struct ys_audit_verdict v;
	int ret = ys_store_audit_verify(in->st, &v);

	if (ret) {
		fprintf(stderr, "verify-audit: cannot read the audit log: %s\n", strerror(-ret));
		return 2;
	}
	if (v.ok) {
		printf("audit chain OK: %" PRId64 " records verified\n", v.records);
		return 0;
	}
	printf("audit chain BROKEN at record seq %" PRId64 ": %s (%" PRId64 " records read)\n",
	       v.first_bad, v.reason, v.records);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verify-audit", no_argument, NULL, 'V' },
		{ "check", no_argument, NULL, 'k' },
		{ "api-only", no_argument, NULL, 'a' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ys_ingest in = { .kafka = true };
	bool verify = false, check = false;
	const char *level = NULL, *rules_dir;
	char err[512];
	int opt, rc = 1;

	while ((opt = getopt_long(argc, argv, "c:l:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			in.conf_path = optarg;
			break;
		case 'V':
			verify = true;
			break;
		case 'k':
			check = true;
			break;
		case 'a':
			in.kafka = false;
			break;
		case 'l':
			level = optarg;
			break;
		case 'h':
			ys_usage(stdout);
			return 0;
		default:
			ys_usage(stderr);
			return 2;
		}
	}
	if (!in.conf_path || optind != argc) {
		ys_usage(stderr);
		return 2;
	}
	ys_ingest_metrics_init(&in.metrics);
	in.conf = ys_conf_load(in.conf_path, err, sizeof(err));
	if (!in.conf) {
		fprintf(stderr, "yunshao-ingest: %s\n", err);
		rc = 2;
		goto out;
	}
	{
		enum ys_log_level lv;

		if (!level)
			level = ys_conf_str(in.conf, "log_level", "notice");
		if (ys_log_parse_level(level, &lv)) {
			fprintf(stderr,
				"yunshao-ingest: log level '%s': error|warn|notice|info|debug\n",
				level);
			rc = 2;
			goto out;
		}
		ys_log_set_level(lv);
	}
	{
		int64_t days, purge_s;

		if (ys_conf_int(in.conf, "store.retention_days", YS_STORE_DEFAULT_RETENTION_D,
				&days, err, sizeof(err)) ||
		    ys_conf_int(in.conf, "store.purge_interval", 3600, &purge_s, err,
				sizeof(err))) {
			fprintf(stderr, "yunshao-ingest: %s\n", err);
			rc = 2;
			goto out;
		}
		if (days < 1 || days > 36500 || purge_s < 0) {
			fprintf(stderr, "yunshao-ingest: store.retention_days 1..36500, "
					"store.purge_interval >= 0 (0: never)\n");
			rc = 2;
			goto out;
		}
		if (days < YS_STORE_DEFAULT_RETENTION_D)
			ys_warn(YS_MMOD,
				"store.retention_days %" PRId64
				" is below 180: MLPS and the Cybersecurity Law ask for at least "
				"six months",
				days);
		in.retention_us = days * 86400 * 1000000;
		in.purge_every_us = purge_s * 1000000;
	}
	in.st = ys_store_open(ys_conf_get(in.conf, "store"), err, sizeof(err));
	if (!in.st) {
		fprintf(stderr, "yunshao-ingest: store: %s\n", err);
		rc = 2;
		goto out;
	}
	if (verify) {
		rc = ys_verify_audit(&in);
		goto out;
	}
	rules_dir = ys_conf_str(in.conf, "correlation.rules_dir", "rules/correlation");
	in.rules = ys_corr_rules_load_dir(rules_dir, err, sizeof(err));
	if (!in.rules) {
		fprintf(stderr, "yunshao-ingest: correlation rules: %s\n", err);
		rc = 2;
		goto out;
	}
	ys_notice(YS_MMOD, "%zu correlation rules from %s", ys_corr_rules_count(in.rules),
		  rules_dir);
	if (check) {
		printf("configuration OK: %zu correlation rules, store %s\n",
		       ys_corr_rules_count(in.rules), ys_store_driver_name(in.st));
		rc = 0;
		goto out;
	}
	{
		int64_t max_groups, max_entries;

		if (ys_conf_int(in.conf, "correlation.max_groups", 100000, &max_groups, err,
				sizeof(err)) ||
		    max_groups < 1) {
			fprintf(stderr, "yunshao-ingest: correlation.max_groups: %s\n", err);
			rc = 2;
			goto out;
		}
		/* value_count alerts remembered per rule until their group fires */
		if (ys_conf_int(in.conf, "correlation.max_entries", 262144, &max_entries, err,
				sizeof(err)) ||
		    max_entries < 1) {
			fprintf(stderr, "yunshao-ingest: correlation.max_entries: %s\n", err);
			rc = 2;
			goto out;
		}
		struct ys_corr_limits lim = { .max_groups = (size_t)max_groups,
					      .max_entries = (size_t)max_entries };

		in.eng = ys_corr_new(in.rules, &lim);
		if (!in.eng) {
			fprintf(stderr, "yunshao-ingest: out of memory\n");
			goto out;
		}
	}
	if (ys_audit_config(&in, rules_dir))
		ys_warn(YS_MMOD, "could not record the configuration in the audit log");
	{
		struct sigaction sa = { .sa_handler = ys_on_signal };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
	}
	{
		struct ys_api_hooks hooks = { .user = &in,
					      .metrics = ys_metrics_text,
					      .kafka_status = ys_kafka_status,
					      .retention_days = in.retention_us / 86400 / 1000000 };
		struct ys_store *api_st =
			ys_store_open(ys_conf_get(in.conf, "store"), err, sizeof(err));

		if (!api_st) {
			fprintf(stderr, "yunshao-ingest: store (API connection): %s\n", err);
			goto out;
		}
		in.api = ys_api_new(ys_conf_get(in.conf, "api"), api_st, &hooks, err, sizeof(err));
		if (!in.api) {
			fprintf(stderr, "yunshao-ingest: api: %s\n", err);
			rc = 2;
			goto out;
		}
	}
	{
		struct ys_consumer_conf cc = { .kafka = ys_conf_get(in.conf, "kafka"),
					       .by_source =
						       ys_corr_rules_need_by_source(in.rules) };
		struct ys_pipeline_out out = { 0 };
		struct ys_pipeline_conf pc = { .by_source = cc.by_source };
		uint64_t maxb;
		int64_t hb;

		if (ys_conf_size(in.conf, "kafka.max_message_bytes", 1 << 20, &maxb, err,
				 sizeof(err)) ||
		    ys_conf_int(in.conf, "correlation.heartbeat_interval", 10, &hb, err,
				sizeof(err))) {
			fprintf(stderr, "yunshao-ingest: %s\n", err);
			rc = 2;
			goto out;
		}
		pc.max_message_bytes = (size_t)maxb;
		pc.heartbeat_s = hb;
		if (in.kafka) {
			in.consumer = ys_consumer_new(&cc, &in.metrics, err, sizeof(err));
			if (!in.consumer) {
				fprintf(stderr, "yunshao-ingest: kafka: %s\n", err);
				rc = 2;
				goto out;
			}
			ys_consumer_outputs(in.consumer, &out);
		}
		in.pl = ys_pipeline_new(in.st, in.eng, &in.metrics, &pc, &out);
		if (!in.pl)
			goto out;
		if (in.consumer)
			ys_consumer_set_pipeline(in.consumer, in.pl);
	}
	printf("yunshao-ingest: API on http://127.0.0.1:%u/ (store %s)\n", ys_api_port(in.api),
	       ys_store_driver_name(in.st));
	fflush(stdout);
	if (in.consumer) {
		rc = ys_consumer_run(in.consumer, &ys_stop, ys_tick, &in, 5000) ? 1 : 0;
	} else {
		while (!ys_stop) {
			struct timespec ts = { 0, 200 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
		rc = 0;
	}
	ys_notice(YS_MMOD, "stopping");
out:
	ys_consumer_free(in.consumer); /* commits what is stored, leaves the group */
	ys_api_free(in.api);
	ys_pipeline_free(in.pl);
	ys_corr_free(in.eng);
	ys_corr_rules_free(in.rules);
	ys_store_close(in.st);
	ys_conf_free(in.conf);
	ys_ingest_metrics_destroy(&in.metrics);
	return rc;
}
