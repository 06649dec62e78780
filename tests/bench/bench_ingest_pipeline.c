/*
 * Ingest pipeline throughput without Kafka: N schema-valid alerts (generated
 * in memory first, 8 tenants, half of them brute force so correlation keeps
 * updating incidents) go through validate -> de-duplicate -> store ->
 * correlate in batches, exactly as the consumer runs them. Reports alerts/s
 * stored and correlated for the store given:
 *
 *   bench_ingest_pipeline --sqlite DIR [-n N] [--batch B]
 *   bench_ingest_pipeline --postgres CONNINFO [-n N] [--batch B]
 *
 * Prints one line: "pipeline <driver>: N alerts in S s = R alerts/s (I incidents)".
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"
#include "ys_event.h"
#include "ys_log.h"

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *gen(uint64_t i, int64_t t)
{
	static const char *const sigs[] = { "YUNSHAO BRUTEFORCE SSH connection flood",
					    "ET POLICY curl User-Agent Outbound",
					    "YUNSHAO SQLI union select in URI" };
	char id[YS_UUID_STR_LEN], ts[YS_EVE_TS_LEN], tenant[32], src[32], dst[32];
	int tn = (int)(i % 8), kind = (int)(i % 2 ? 0 : 1 + (i / 2) % 2);
	json_t *ev;
	char *text;

	ys_uuid7(id);
	ys_eve_timestamp((uint64_t)t, ts);
	snprintf(tenant, sizeof(tenant), "tenant%d", tn);
	snprintf(src, sizeof(src), "203.0.113.%d", (int)((i / 7) % 8) + 1);
	snprintf(dst, sizeof(dst), "10.%d.0.%d", tn, (int)((i / 3) % 4) + 1);
	ev = json_pack("{s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:s, s:i, s:s, s:{s:s, s:i, s:i, s:i,"
		       " s:s, s:s, s:i}, s:s, s:s, s:{s:s, s:s, s:s}}",
		       "timestamp", ts, "event_type", "alert", "src_ip", src, "src_port",
		       40000 + (int)(i % 20000), "dest_ip", dst, "dest_port", kind == 0 ? 22 : 80,
		       "proto", "TCP", "tenant", tenant, "tenant_id", tn + 1, "event_id", id,
		       "alert", "action", "allowed", "gid", 1, "signature_id", 9100501 + kind,
		       "rev", 1, "signature", sigs[kind], "category", "Misc Attack", "severity",
		       kind == 0 ? 2 : 3, "app_proto", kind == 0 ? "ssh" : "http", "community_id",
		       "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "sensor", "id", "bench-1", "rack",
		       "rack-1", "host", "bench");
	text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	return text;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sqlite", required_argument, NULL, 's' },
		{ "postgres", required_argument, NULL, 'p' },
		{ "batch", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sqlite_dir = NULL, *pg = NULL, *rules_dir = "rules/correlation";
	uint64_t n = 200000, batch = 5000;
	struct ys_ingest_metrics m;
	struct ys_corr_ruleset *rs;
	struct ys_corr_engine *eng;
	struct ys_pipeline *pl;
	struct ys_store *st;
	char err[512], **msgs;
	struct ys_msg *ms;
	int64_t t0, t1, ninc = 0;
	double c0, c1;
	int opt;

	while ((opt = getopt_long(argc, argv, "n:r:", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sqlite_dir = optarg;
			break;
		case 'p':
			pg = optarg;
			break;
		case 'b':
			batch = strtoull(optarg, NULL, 10);
			break;
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			rules_dir = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: %s --sqlite DIR | --postgres CONNINFO [-n N] "
				"[--batch B] [-r RULES_DIR]\n",
				argv[0]);
			return 2;
		}
	}
	if ((!sqlite_dir == !pg) || !batch || !n) {
		fprintf(stderr, "%s: give exactly one of --sqlite DIR, --postgres CONNINFO\n",
			argv[0]);
		return 2;
	}
	ys_log_set_level(YS_LOG_WARN);
	if (sqlite_dir) {
		char path[1024];
		void *db;

		snprintf(path, sizeof(path), "%s/bench.db", sqlite_dir);
		db = ys_store_sqlite_open(path, err, sizeof(err));
		st = db ? ys_store_wrap(&ys_store_sqlite_driver, db, err, sizeof(err)) : NULL;
	} else {
		void *db = ys_store_pg_open(pg, err, sizeof(err));

		st = db ? ys_store_wrap(&ys_store_pg_driver, db, err, sizeof(err)) : NULL;
	}
	if (!st) {
		fprintf(stderr, "store: %s\n", err);
		return 1;
	}
	rs = ys_corr_rules_load_dir(rules_dir, err, sizeof(err));
	if (!rs) {
		fprintf(stderr, "rules: %s\n", err);
		return 1;
	}
	eng = ys_corr_new(rs, NULL);
	ys_ingest_metrics_init(&m);
	{
		struct ys_pipeline_conf pc = { .max_message_bytes = 1 << 20, .by_source = false };

		pl = ys_pipeline_new(st, eng, &m, &pc, NULL);
	}
	msgs = calloc(n, sizeof(*msgs));
	ms = calloc(batch, sizeof(*ms));
	t0 = now_us();
	for (uint64_t i = 0; i < n; i++)
		msgs[i] = gen(i, t0 - 60000000 + (int64_t)i * 10);
	t0 = now_us();
	c0 = cpu_s();
	for (uint64_t i = 0; i < n; i += batch) {
		if (ys_pipeline_begin(pl)) {
			fprintf(stderr, "begin failed\n");
			return 1;
		}
		for (uint64_t j = i; j < n && j < i + batch; j++)
			ms[j - i] = (struct ys_msg){ .kind = YS_MSG_ALERT,
						     .payload = msgs[j],
						     .len = strlen(msgs[j]),
						     .topic = "bench" };
		if (ys_pipeline_add_many(pl, ms, (size_t)((i + batch < n ? i + batch : n) - i))) {
			fprintf(stderr, "add failed\n");
			return 1;
		}
		if (ys_pipeline_commit(pl)) {
			fprintf(stderr, "commit failed\n");
			return 1;
		}
	}
	t1 = now_us();
	c1 = cpu_s();
	ys_store_count(st, "incidents", &ninc);
	printf("pipeline %s: %" PRIu64 " alerts in %.2f s = %.0f alerts/s stored and correlated "
	       "(%.0f alerts per CPU-second; %" PRId64 " incidents, %" PRIu64 " stored)\n",
	       ys_store_driver_name(st), n, (double)(t1 - t0) / 1e6,
	       (double)n / ((double)(t1 - t0) / 1e6), (double)n / (c1 - c0), ninc,
	       (uint64_t)atomic_load(&m.stored));
	for (uint64_t i = 0; i < n; i++)
		free(msgs[i]);
	free(msgs);
	free(ms);
	ys_pipeline_free(pl);
	ys_corr_free(eng);
	ys_corr_rules_free(rs);
	ys_store_close(st);
	ys_ingest_metrics_destroy(&m);
	return atomic_load(&m.stored) == n ? 0 : 1;
}
