/*
 * yunshao-sensor: command line, start-up and shutdown. Options follow
 * Suricata's where Suricata has one (-r, -i, -S, -c, -l, -k, -T), so its users
 * feel at home. Start-up order: configuration -> tenants -> rules (compiled
 * once, shared) -> output -> workers; any failure before capture starts exits
 * non-zero with a one-line reason.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "capture.h"
#include "detect.h"
#include "output.h"
#include "tenant.h"
#include "worker.h"
#include "ys_config.h"
#include "ys_log.h"

#define YS_MAX_RULE_FILES 256
#define YS_MAX_WORKERS	  64

struct ys_opts {
	const char *pcap_file;
	const char *iface;
	const char *capture;
	const char *conf_file;
	const char *log_dir;
	const char *eve_path;
	const char *checksum;
	const char *rule_files[YS_MAX_RULE_FILES];
	size_t nrule_files;
	unsigned workers;
	bool test_only;
	bool strict_rules;
	int verbosity;
};

static volatile sig_atomic_t ys_stop_requested;
static volatile sig_atomic_t ys_reload_requested;

static void ys_usage(FILE *fp)
{
	fprintf(fp,
		"usage: yunshao-sensor [options]\n"
		"  -r FILE            read packets from a pcap/pcapng file\n"
		"  -i IFACE           capture live from an interface\n"
		"  --capture METHOD   live capture method: pcap | af-packet | af-xdp (default "
		"af-packet)\n"
		"  --workers N        live capture worker threads (default: number of CPUs)\n"
		"  -S FILE            load rules from FILE (repeatable; replaces rule-files in the "
		"config)\n"
		"  -c FILE            configuration (YAML: sensor, vars, tenants, outputs ...)\n"
		"  -l DIR             log directory for eve.json and stats.json (default .)\n"
		"  --eve FILE         write alerts to FILE instead of DIR/eve.json\n"
		"  -k none|auto|all   checksum validation (default auto)\n"
		"  -T                 test configuration and rules, then exit\n"
		"  --strict-rules     with -T: exit non-zero when any rule fails to load\n"
		"  -v                 more log output (repeatable); -q less\n"
		"  -V, --version      print the version\n"
		"  -h, --help         this text\n");
}

static int ys_parse_opts(int argc, char **argv, struct ys_opts *o)
{
	enum { OPT_EVE = 256, OPT_CAPTURE, OPT_WORKERS, OPT_STRICT };
	static const struct option longopts[] = {
		{ "eve", required_argument, NULL, OPT_EVE },
		{ "capture", required_argument, NULL, OPT_CAPTURE },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "strict-rules", no_argument, NULL, OPT_STRICT },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "r:i:S:c:l:k:TvqVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->pcap_file = optarg;
			break;
		case 'i':
			o->iface = optarg;
			break;
		case 'S':
			if (o->nrule_files == YS_MAX_RULE_FILES) {
				fprintf(stderr, "yunshao-sensor: too many -S options (max %d)\n",
					YS_MAX_RULE_FILES);
				return -EINVAL;
			}
			o->rule_files[o->nrule_files++] = optarg;
			break;
		case 'c':
			o->conf_file = optarg;
			break;
		case 'l':
			o->log_dir = optarg;
			break;
		case 'k':
			if (strcmp(optarg, "none") && strcmp(optarg, "auto") &&
			    strcmp(optarg, "all")) {
				fprintf(stderr,
					"yunshao-sensor: -k takes none, auto or all, not '%s'\n",
					optarg);
				return -EINVAL;
			}
			o->checksum = optarg;
			break;
		case 'T':
			o->test_only = true;
			break;
		case 'v':
			o->verbosity++;
			break;
		case 'q':
			o->verbosity--;
			break;
		case OPT_EVE:
			o->eve_path = optarg;
			break;
		case OPT_CAPTURE:
			o->capture = optarg;
			break;
		case OPT_WORKERS: {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);

			if (*end || n == 0 || n > YS_MAX_WORKERS) {
				fprintf(stderr, "yunshao-sensor: --workers takes 1..%d, not '%s'\n",
					YS_MAX_WORKERS, optarg);
				return -EINVAL;
			}
			o->workers = (unsigned)n;
			break;
		}
		case OPT_STRICT:
			o->strict_rules = true;
			break;
		case 'V':
			printf("yunshao-sensor 0.1.0\n");
			exit(0);
		case 'h':
			ys_usage(stdout);
			exit(0);
		default:
			ys_usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "yunshao-sensor: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->test_only && !o->pcap_file && !o->iface) {
		fprintf(stderr,
			"yunshao-sensor: nothing to read: give -r FILE or -i IFACE (or -T)\n");
		return -EINVAL;
	}
	if (o->pcap_file && o->iface) {
		fprintf(stderr, "yunshao-sensor: -r and -i are exclusive\n");
		return -EINVAL;
	}
	return 0;
}

static void ys_on_signal(int sig)
{
	if (sig == SIGHUP)
		ys_reload_requested = 1;
	else
		ys_stop_requested = 1;
}

/* Rule files: -S wins; otherwise rule-files from the config, relative to default-rule-path. */
static int ys_load_rules(struct ys_detect_engine *eng, const struct ys_opts *o,
			 const struct ys_conf *conf)
{
	const struct ys_conf *files = ys_conf_get(conf, "rule-files");
	const char *base = ys_conf_str(conf, "default-rule-path", NULL);
	char path[PATH_MAX];
	int r;

	if (o->nrule_files) {
		for (size_t i = 0; i < o->nrule_files; i++) {
			r = ys_detect_load_file(eng, o->rule_files[i]);
			if (r) {
				fprintf(stderr, "yunshao-sensor: cannot read rules %s: %s\n",
					o->rule_files[i], strerror(-r));
				return r;
			}
		}
		return 0;
	}
	for (const struct ys_conf *f = ys_conf_first(files); f; f = f->next) {
		if (f->type != YS_CONF_SCALAR)
			continue;
		if (base && f->value[0] != '/')
			snprintf(path, sizeof(path), "%s/%s", base, f->value);
		else
			snprintf(path, sizeof(path), "%s", f->value);
		r = ys_detect_load_file(eng, path);
		if (r) {
			fprintf(stderr, "yunshao-sensor: cannot read rules %s (%s:%u): %s\n", path,
				f->file, f->line, strerror(-r));
			return r;
		}
	}
	return 0;
}

static struct ys_detect_engine *ys_build_engine(const struct ys_opts *o, const struct ys_conf *conf)
{
	struct ys_detect_params dp = {
		.vars = ys_conf_get(conf, "vars"),
		.classification_file = ys_conf_str(conf, "classification-file", NULL),
		.reference_file = ys_conf_str(conf, "reference-config-file", NULL),
	};
	struct ys_detect_engine *eng = ys_detect_engine_new(&dp);

	if (!eng) {
		fprintf(stderr, "yunshao-sensor: detection engine: %s\n", strerror(errno));
		return NULL;
	}
	if (ys_load_rules(eng, o, conf) || ys_detect_engine_compile(eng)) {
		ys_detect_engine_free(eng);
		return NULL;
	}
	return eng;
}

static void ys_print_rule_report(const struct ys_detect_engine *eng, FILE *fp)
{
	const struct ys_detect_stats *ds = ys_detect_engine_stats(eng);
	const struct ys_detect_failure *fails;
	size_t n = ys_detect_failures(eng, &fails);

	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%s:%u: sid %" PRIu32 ": keyword '%s': %s\n", fails[i].file,
			fails[i].line, fails[i].sid, fails[i].keyword, fails[i].reason);
	fprintf(fp,
		"rules: %" PRIu32 " loaded, %" PRIu32 " failed; %" PRIu32
		" groups, %u databases, compiled in %.2f s\n",
		ds->rules_loaded, ds->rules_failed, ds->groups, ds->hs_databases,
		ds->compile_seconds);
}

static double ys_mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t ys_wall_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void ys_sum_stats(struct ys_worker_stats *sum, const struct ys_worker_stats *s)
{
	sum->packets += s->packets;
	sum->bytes += s->bytes;
	sum->alerts += s->alerts;
	sum->ignored_tenant += s->ignored_tenant;
	sum->sampled_out += s->sampled_out;
	sum->bypassed += s->bypassed;
	sum->no_flow += s->no_flow;
	sum->capture.packets += s->capture.packets;
	sum->capture.kernel_drops += s->capture.kernel_drops;
	sum->capture.if_drops += s->capture.if_drops;
#define YS_SUM(f) sum->f += s->f
	YS_SUM(decode.packets);
	YS_SUM(decode.bytes);
	YS_SUM(decode.ipv4);
	YS_SUM(decode.ipv6);
	YS_SUM(decode.tcp);
	YS_SUM(decode.udp);
	YS_SUM(decode.icmp);
	YS_SUM(decode.vlan);
	YS_SUM(decode.vxlan);
	YS_SUM(decode.geneve);
	YS_SUM(decode.frag_reassembled);
	YS_SUM(flow.created);
	YS_SUM(flow.evicted_timeout);
	YS_SUM(flow.evicted_memcap);
	YS_SUM(flow.memcap_refused);
	YS_SUM(flow.active);
	YS_SUM(flow.tcp);
	YS_SUM(flow.udp);
	YS_SUM(flow.icmp);
	YS_SUM(flow.other);
	YS_SUM(flow.memuse);
	YS_SUM(stream.sessions);
	YS_SUM(stream.midstream_skipped);
	YS_SUM(stream.segments);
	YS_SUM(stream.reassembled_bytes);
	YS_SUM(stream.ooo_segments);
	YS_SUM(stream.retransmissions);
	YS_SUM(stream.overlaps);
	YS_SUM(stream.overlaps_diff);
	YS_SUM(stream.gaps);
	YS_SUM(stream.memcap_hits);
	YS_SUM(stream.depth_reached);
	YS_SUM(stream.bypassed);
	YS_SUM(stream.memuse);
#undef YS_SUM
	for (int i = 0; i < YS_DEC_ERROR_COUNT; i++)
		sum->decode.errors[i] += s->decode.errors[i];
	if (!sum->first_ts_usec || (s->first_ts_usec && s->first_ts_usec < sum->first_ts_usec))
		sum->first_ts_usec = s->first_ts_usec;
	if (s->last_ts_usec > sum->last_ts_usec)
		sum->last_ts_usec = s->last_ts_usec;
}

static long ys_peak_rss_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

static json_t *ys_stats_json(const struct ys_worker_stats *s, const struct ys_detect_stats *ds,
			     struct ys_output *out, double elapsed)
{
	struct ys_output_stats os;
	json_t *root = json_object(), *o, *errs;
	uint64_t dec_errors = 0;

	ys_output_get_stats(out, &os);
	json_object_set_new(root, "elapsed_seconds", json_real(elapsed));
	json_object_set_new(root, "peak_rss_kb", json_integer(ys_peak_rss_kb()));

	o = json_object();
	json_object_set_new(o, "packets", json_integer((json_int_t)s->packets));
	json_object_set_new(o, "bytes", json_integer((json_int_t)s->bytes));
	json_object_set_new(o, "kernel_drops", json_integer((json_int_t)s->capture.kernel_drops));
	json_object_set_new(o, "if_drops", json_integer((json_int_t)s->capture.if_drops));
	json_object_set_new(root, "capture", o);

	o = json_object();
	errs = json_object();
	for (int i = 1; i < YS_DEC_ERROR_COUNT; i++) {
		dec_errors += s->decode.errors[i];
		if (s->decode.errors[i])
			json_object_set_new(errs, ys_decode_error_name((enum ys_decode_error)i),
					    json_integer((json_int_t)s->decode.errors[i]));
	}
#define YS_J(obj, name, v) json_object_set_new(obj, name, json_integer((json_int_t)(v)))
	YS_J(o, "packets", s->decode.packets);
	YS_J(o, "bytes", s->decode.bytes);
	YS_J(o, "ipv4", s->decode.ipv4);
	YS_J(o, "ipv6", s->decode.ipv6);
	YS_J(o, "tcp", s->decode.tcp);
	YS_J(o, "udp", s->decode.udp);
	YS_J(o, "icmp", s->decode.icmp);
	YS_J(o, "vlan", s->decode.vlan);
	YS_J(o, "vxlan", s->decode.vxlan);
	YS_J(o, "geneve", s->decode.geneve);
	YS_J(o, "frag_reassembled", s->decode.frag_reassembled);
	YS_J(o, "invalid", dec_errors);
	json_object_set_new(o, "errors", errs);
	json_object_set_new(root, "decoder", o);

	o = json_object();
	YS_J(o, "created", s->flow.created);
	YS_J(o, "active", s->flow.active);
	YS_J(o, "tcp", s->flow.tcp);
	YS_J(o, "udp", s->flow.udp);
	YS_J(o, "icmp", s->flow.icmp);
	YS_J(o, "other", s->flow.other);
	YS_J(o, "evicted_timeout", s->flow.evicted_timeout);
	YS_J(o, "evicted_memcap", s->flow.evicted_memcap);
	YS_J(o, "memcap_refused", s->flow.memcap_refused);
	YS_J(o, "memuse", s->flow.memuse);
	YS_J(o, "no_flow", s->no_flow);
	json_object_set_new(root, "flow", o);

	o = json_object();
	YS_J(o, "sessions", s->stream.sessions);
	YS_J(o, "midstream_skipped", s->stream.midstream_skipped);
	YS_J(o, "segments", s->stream.segments);
	YS_J(o, "reassembled_bytes", s->stream.reassembled_bytes);
	YS_J(o, "ooo_segments", s->stream.ooo_segments);
	YS_J(o, "retransmissions", s->stream.retransmissions);
	YS_J(o, "overlaps", s->stream.overlaps);
	YS_J(o, "overlaps_diff", s->stream.overlaps_diff);
	YS_J(o, "gaps", s->stream.gaps);
	YS_J(o, "memcap_hits", s->stream.memcap_hits);
	YS_J(o, "depth_reached", s->stream.depth_reached);
	YS_J(o, "bypassed", s->stream.bypassed);
	json_object_set_new(root, "stream", o);

	o = json_object();
	YS_J(o, "ignored_tenant", s->ignored_tenant);
	YS_J(o, "sampled_out", s->sampled_out);
	YS_J(o, "bypassed", s->bypassed);
	json_object_set_new(root, "policy", o);

	o = json_object();
	YS_J(o, "rules_loaded", ds->rules_loaded);
	YS_J(o, "rules_failed", ds->rules_failed);
	YS_J(o, "groups", ds->groups);
	YS_J(o, "hs_databases", ds->hs_databases);
	YS_J(o, "hs_bytes", ds->hs_bytes);
	json_object_set_new(o, "compile_seconds", json_real(ds->compile_seconds));
	json_object_set_new(root, "detect", o);

	o = json_object();
	YS_J(o, "alerts", os.alerts);
	YS_J(o, "write_errors", os.write_errors);
	YS_J(o, "kafka_delivered", os.kafka_delivered);
	YS_J(o, "kafka_failed", os.kafka_failed);
	YS_J(o, "kafka_queued", os.kafka_queued);
	YS_J(o, "spool_bytes", os.spool_bytes);
	YS_J(o, "spool_records", os.spool_records);
	YS_J(o, "spool_dropped", os.spool_dropped);
	json_object_set_new(root, "output", o);
	YS_J(root, "alerts", s->alerts);
#undef YS_J
	return root;
}

static int ys_write_stats(const char *dir, json_t *stats)
{
	char path[PATH_MAX], tmp[PATH_MAX];

	snprintf(path, sizeof(path), "%s/stats.json", dir);
	snprintf(tmp, sizeof(tmp), "%s/.stats.json.tmp", dir);
	/* Write then rename, so a reader never sees half a file. */
	if (json_dump_file(stats, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) != 0 ||
	    rename(tmp, path) != 0) {
		ys_err("sensor", "cannot write %s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

struct ys_thread {
	pthread_t tid;
	struct ys_worker *w;
	int ret;
	_Atomic unsigned done;
};

static void *ys_thread_main(void *arg)
{
	struct ys_thread *t = arg;

	t->ret = ys_worker_run(t->w);
	atomic_store(&t->done, 1);
	return NULL;
}

static int ys_reload(const struct ys_opts *o, const struct ys_conf *conf,
		     struct ys_engine_slot *slot, struct ys_detect_engine **old_out)
{
	double t0 = ys_mono_seconds();
	struct ys_detect_engine *eng;

	ys_notice("sensor", "reloading rules");
	eng = ys_build_engine(o, conf);
	if (!eng) {
		ys_err("sensor", "rule reload failed; the previous rules keep running");
		return -EINVAL;
	}
	*old_out = atomic_exchange(&slot->engine, eng);
	atomic_fetch_add(&slot->generation, 1);
	ys_notice("sensor", "rules reloaded in %.2f s: %u loaded, %u failed; peak RSS %ld kB",
		  ys_mono_seconds() - t0, ys_detect_engine_stats(eng)->rules_loaded,
		  ys_detect_engine_stats(eng)->rules_failed, ys_peak_rss_kb());
	return 0;
}

int main(int argc, char **argv)
{
	struct ys_opts o = { .checksum = "auto", .log_dir = "." };
	struct ys_conf *conf = NULL;
	struct ys_tenant_map *tenants = NULL;
	struct ys_detect_engine *engine = NULL, *old_engine = NULL;
	struct ys_engine_slot slot = { 0 };
	struct ys_output *out = NULL;
	struct ys_thread threads[YS_MAX_WORKERS] = { 0 };
	struct ys_worker_params wp;
	struct ys_worker_stats sum;
	char err[512] = "", hostname[256] = "";
	unsigned nworkers = 0, started = 0;
	double t0 = ys_mono_seconds();
	int ret = 1;

	if (ys_parse_opts(argc, argv, &o))
		return 2;
	if (o.verbosity > 0)
		ys_log_set_level(o.verbosity > 1 ? YS_LOG_DEBUG : YS_LOG_INFO);
	else if (o.verbosity < 0)
		ys_log_set_level(YS_LOG_WARN);

	if (o.conf_file) {
		conf = ys_conf_load(o.conf_file, err, sizeof(err));
		if (!conf) {
			fprintf(stderr, "yunshao-sensor: %s\n", err);
			return 1;
		}
	}
	tenants = ys_tenant_map_load(ys_conf_get(conf, "tenants"), err, sizeof(err));
	if (!tenants) {
		fprintf(stderr, "yunshao-sensor: %s\n", err[0] ? err : strerror(errno));
		goto out_conf;
	}
	engine = ys_build_engine(&o, conf);
	if (!engine)
		goto out_tenants;
	atomic_store(&slot.engine, engine);
	atomic_store(&slot.generation, 1);
	if (o.test_only) {
		const struct ys_detect_stats *ds = ys_detect_engine_stats(engine);

		ys_print_rule_report(engine, stdout);
		printf("configuration %s: ok; %zu tenants\n", o.conf_file ? o.conf_file : "(none)",
		       ys_tenant_count(tenants));
		ret = (o.strict_rules && ds->rules_failed) ? 3 : 0;
		goto out_engine;
	}
	if (ys_detect_engine_stats(engine)->rules_failed)
		ys_warn("sensor",
			"%u rules failed to load (run with -T to list them); %u rules are active",
			ys_detect_engine_stats(engine)->rules_failed,
			ys_detect_engine_stats(engine)->rules_loaded);

	if (mkdir(o.log_dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "yunshao-sensor: cannot create log directory %s: %s\n", o.log_dir,
			strerror(errno));
		goto out_engine;
	}
	gethostname(hostname, sizeof(hostname) - 1);
	struct ys_output_params op = {
		.conf = conf,
		.log_dir = o.log_dir,
		.eve_path = o.eve_path,
		.tenants = tenants,
		.sensor = { .id = ys_conf_str(conf, "sensor.id", hostname),
			    .rack = ys_conf_str(conf, "sensor.rack", ""),
			    .host = hostname },
		.include_payload = true,
	};
	if (ys_conf_bool(conf, "outputs.eve.payload", true, &op.include_payload, err,
			 sizeof(err))) {
		fprintf(stderr, "yunshao-sensor: %s\n", err);
		goto out_engine;
	}
	out = ys_output_new(&op, err, sizeof(err));
	if (!out) {
		fprintf(stderr, "yunshao-sensor: output: %s\n", err[0] ? err : strerror(errno));
		goto out_engine;
	}

	memset(&wp, 0, sizeof(wp));
	wp.conf = conf;
	wp.tenants = tenants;
	wp.engines = &slot;
	wp.output = out;
	wp.decode.validate_checksums = strcmp(o.checksum, "none") != 0;
	ys_stream_params_default(&wp.stream);
	if (ys_stream_params_from_conf(conf, &wp.stream, err, sizeof(err))) {
		fprintf(stderr, "yunshao-sensor: %s\n", err);
		goto out_output;
	}
	if (o.pcap_file) {
		wp.capture = &ys_capture_pcap_file;
		wp.capture_params.source = o.pcap_file;
		nworkers = 1; /* a file is read in order by one worker */
	} else {
		const char *method =
			o.capture ? o.capture : ys_conf_str(conf, "capture.method", "af-packet");

		wp.capture = ys_capture_find(method);
		if (!wp.capture) {
			fprintf(stderr, "yunshao-sensor: unknown capture method '%s'\n", method);
			goto out_output;
		}
		wp.capture_params.source = o.iface;
		wp.capture_params.promisc = true;
		nworkers = o.workers ? o.workers : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
		if (nworkers < 1 || nworkers > YS_MAX_WORKERS)
			nworkers = 1;
		if (!wp.capture->name || strcmp(wp.capture->name, "pcap") == 0)
			nworkers = 1; /* libpcap has no fanout: one handle */
	}
	wp.capture_params.workers = nworkers;
	wp.capture_params.fanout_id = (uint16_t)(getpid() & 0xffff);

	for (unsigned i = 0; i < nworkers; i++) {
		wp.index = i;
		threads[i].w = ys_worker_new(&wp, err, sizeof(err));
		if (!threads[i].w) {
			fprintf(stderr, "yunshao-sensor: worker %u: %s\n", i, err);
			goto out_workers;
		}
		started++;
	}

	struct sigaction sa = { .sa_handler = ys_on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (unsigned i = 0; i < nworkers; i++) {
		if (pthread_create(&threads[i].tid, NULL, ys_thread_main, &threads[i]) != 0) {
			fprintf(stderr, "yunshao-sensor: cannot start worker %u\n", i);
			for (unsigned j = 0; j < i; j++) {
				ys_worker_stop(threads[j].w);
				pthread_join(threads[j].tid, NULL);
			}
			goto out_workers;
		}
	}
	ys_notice("sensor", "capturing from %s with %u worker(s)",
		  o.pcap_file ? o.pcap_file : o.iface, nworkers);

	/* Main thread: signals, reloads, periodic output work, until the workers end. */
	for (;;) {
		unsigned done = 0;

		for (unsigned i = 0; i < nworkers; i++)
			done += atomic_load(&threads[i].done);
		if (done == nworkers)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000000L }, NULL);
		if (ys_stop_requested) {
			for (unsigned i = 0; i < nworkers; i++)
				ys_worker_stop(threads[i].w);
		}
		if (ys_reload_requested) {
			ys_reload_requested = 0;
			if (old_engine)
				ys_warn("sensor", "a reload is still settling; try again shortly");
			else
				ys_reload(&o, conf, &slot, &old_engine);
		}
		if (old_engine) {
			/* Free the old engine once no worker runs a context built from it. */
			uint64_t gen = atomic_load(&slot.generation);
			bool all = true;

			for (unsigned i = 0; i < nworkers; i++)
				all = all && (atomic_load(&threads[i].done) ||
					      ys_worker_engine_gen(threads[i].w) == gen);
			if (all) {
				ys_detect_engine_free(old_engine);
				old_engine = NULL;
			}
		}
		ys_output_tick(out, ys_wall_usec());
	}
	for (unsigned i = 0; i < nworkers; i++)
		pthread_join(threads[i].tid, NULL);

	memset(&sum, 0, sizeof(sum));
	ret = 0;
	for (unsigned i = 0; i < nworkers; i++) {
		struct ys_worker_stats ws;

		ys_worker_get_stats(threads[i].w, &ws);
		ys_sum_stats(&sum, &ws);
		if (threads[i].ret)
			ret = 1;
	}
	{
		double elapsed = ys_mono_seconds() - t0;
		json_t *stats = ys_stats_json(
			&sum, ys_detect_engine_stats(atomic_load(&slot.engine)), out, elapsed);

		if (ys_write_stats(o.log_dir, stats))
			ret = 1;
		json_decref(stats);
		ys_notice("sensor", "%" PRIu64 " packets, %" PRIu64 " alerts in %.2f s",
			  sum.packets, sum.alerts, elapsed);
	}

out_workers:
	for (unsigned i = 0; i < started; i++)
		ys_worker_free(threads[i].w);
out_output:
	ys_output_free(out);
out_engine:
	ys_detect_engine_free(old_engine);
	ys_detect_engine_free(atomic_load(&slot.engine));
out_tenants:
	ys_tenant_map_free(tenants);
out_conf:
	ys_conf_free(conf);
	return ret;
}
