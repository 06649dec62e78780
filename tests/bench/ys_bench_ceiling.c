/*
 * The Hyperscan-only ceiling for `make bench`: how fast the sensor's own
 * compiled databases scan the very buffers the sensor scans, with nothing
 * else (no capture, decode, flow, reassembly, parsing or rule evaluation).
 *
 * Pass 1 runs the real worker loop over the capture once, recording every
 * Hyperscan scan the detection context makes (database and bytes) through the
 * engine's scan hook. Pass 2 replays the recorded scans, timed, with a match
 * callback that only counts. The sensor's throughput divided by this one is the
 * share of the ceiling it reaches.
 *
 * Usage: ys_bench_ceiling -r FILE.pcap -S RULES [-S RULES...] [-c CONF] [--repeat N]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hs/hs.h>

#include "worker.h"
#include "ys_log.h"

struct ys_rec {
	const hs_database_t *db;
	uint32_t len;
	uint32_t off; /* into the arena */
};

struct ys_recorder {
	struct ys_rec *recs;
	size_t nrecs, caprecs;
	uint8_t *arena;
	size_t used, cap;
	bool oom;
};

static void ys_record_scan(void *user, const void *db, const uint8_t *data, uint32_t len)
{
	struct ys_recorder *r = user;

	if (r->oom)
		return;
	if (r->nrecs == r->caprecs) {
		size_t n = r->caprecs ? r->caprecs * 2 : 1 << 16;
		struct ys_rec *nr = realloc(r->recs, n * sizeof(*nr));

		if (!nr) {
			r->oom = true;
			return;
		}
		r->recs = nr;
		r->caprecs = n;
	}
	if (r->used + len > r->cap) {
		size_t n = r->cap ? r->cap : 1 << 24;

		while (n < r->used + len)
			n *= 2;
		uint8_t *na = realloc(r->arena, n);

		if (!na) {
			r->oom = true;
			return;
		}
		r->arena = na;
		r->cap = n;
	}
	memcpy(r->arena + r->used, data, len);
	r->recs[r->nrecs++] = (struct ys_rec){ .db = db, .len = len, .off = (uint32_t)r->used };
	r->used += len;
}

static int ys_count_match(unsigned id, unsigned long long from, unsigned long long to,
			  unsigned flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	(*(uint64_t *)ctx)++;
	return 0;
}

/* CPU time of this (single-threaded) replay: what compares with the worker's CPU time. */
static double ys_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "repeat", required_argument, NULL, 'n' },
						  { NULL, 0, NULL, 0 } };
	const char *pcap = NULL, *conf_file = NULL, *rules[64];
	struct ys_recorder rec = { 0 };
	struct ys_conf *conf = NULL;
	struct ys_tenant_map *tenants;
	struct ys_ruleset *rs;
	struct ys_engine_slot slot = { 0 };
	struct ys_output *out;
	struct ys_worker *w;
	struct ys_worker_params wp;
	struct ys_worker_stats st;
	hs_scratch_t *scratch = NULL;
	size_t nrules = 0;
	unsigned repeat = 3;
	char err[512] = "";
	uint64_t matches = 0, scanned = 0;
	double best = 0;
	int c;

	while ((c = getopt_long(argc, argv, "r:S:c:", longopts, NULL)) != -1) {
		if (c == 'r')
			pcap = optarg;
		else if (c == 'S' && nrules < 64)
			rules[nrules++] = optarg;
		else if (c == 'c')
			conf_file = optarg;
		else if (c == 'n')
			repeat = (unsigned)strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	if (!pcap || !nrules || !repeat) {
		fprintf(stderr, "usage: ys_bench_ceiling -r FILE -S RULES [-S ...] [-c CONF]\n");
		return 2;
	}
	ys_log_set_level(YS_LOG_WARN);
	if (conf_file && !(conf = ys_conf_load(conf_file, err, sizeof(err)))) {
		fprintf(stderr, "ys_bench_ceiling: %s\n", err);
		return 1;
	}
	tenants = ys_tenant_map_load(ys_conf_get(conf, "tenants"), err, sizeof(err));
	rs = tenants ? ys_ruleset_build(rules, nrules, conf, tenants) : NULL;
	if (!rs)
		return 1;
	for (size_t e = 0; e < rs->nengines; e++)
		ys_detect_engine_set_scan_hook(rs->engines[e], ys_record_scan, &rec);
	atomic_store(&slot.set, rs);
	atomic_store(&slot.generation, 1);

	struct ys_output_params op = { .eve_path = "/dev/null",
				       .tenants = tenants,
				       .sensor = { .id = "bench", .rack = "", .host = "bench" } };

	out = ys_output_new(&op, err, sizeof(err));
	if (!out) {
		fprintf(stderr, "ys_bench_ceiling: %s\n", err);
		return 1;
	}
	memset(&wp, 0, sizeof(wp));
	wp.capture = &ys_capture_pcap_file;
	wp.capture_params.source = pcap;
	wp.capture_params.workers = 1;
	wp.conf = conf;
	wp.tenants = tenants;
	wp.engines = &slot;
	wp.output = out;
	ys_stream_params_default(&wp.stream);
	ys_applayer_params_default(&wp.applayer);
	if (ys_stream_params_from_conf(conf, &wp.stream, err, sizeof(err)) ||
	    ys_applayer_params_from_conf(conf, &wp.applayer, err, sizeof(err))) {
		fprintf(stderr, "ys_bench_ceiling: %s\n", err);
		return 1;
	}
	w = ys_worker_new(&wp, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "ys_bench_ceiling: %s\n", err);
		return 1;
	}
	if (ys_worker_run(w))
		return 1;
	ys_worker_get_stats(w, &st);
	ys_worker_free(w);
	if (rec.oom) {
		fprintf(stderr, "ys_bench_ceiling: out of memory recording scans\n");
		return 1;
	}

	/* One scratch fits every database once allocated against each of them. */
	for (size_t i = 0; i < rec.nrecs; i++) {
		if (i && rec.recs[i].db == rec.recs[i - 1].db)
			continue;
		if (hs_alloc_scratch(rec.recs[i].db, &scratch) != HS_SUCCESS) {
			fprintf(stderr, "ys_bench_ceiling: hs_alloc_scratch failed\n");
			return 1;
		}
	}
	for (unsigned rep = 0; rep < repeat; rep++) {
		double t0 = ys_now(), t;

		matches = 0;
		scanned = 0;
		for (size_t i = 0; i < rec.nrecs; i++) {
			hs_scan(rec.recs[i].db, (const char *)rec.arena + rec.recs[i].off,
				rec.recs[i].len, 0, scratch, ys_count_match, &matches);
			scanned += rec.recs[i].len;
		}
		t = ys_now() - t0;
		if (rep == 0 || t < best)
			best = t;
	}
	printf("ceiling: %zu Hyperscan scans over %" PRIu64 " bytes (%" PRIu64
	       " matches) for %" PRIu64 " packets, %" PRIu64
	       " capture bytes: best of %u in %.3f s = "
	       "%.0f packets/s, %.3f Gbps\n",
	       rec.nrecs, scanned, matches, st.packets, st.bytes, repeat, best,
	       best > 0 ? (double)st.packets / best : 0.0,
	       best > 0 ? (double)st.bytes * 8 / best / 1e9 : 0.0);
	hs_free_scratch(scratch);
	ys_output_free(out);
	ys_ruleset_free(rs);
	ys_tenant_map_free(tenants);
	ys_conf_free(conf);
	free(rec.recs);
	free(rec.arena);
	return 0;
}
