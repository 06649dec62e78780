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
#include <stddef.h>
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
#include "metrics.h"
#include "output.h"
#include "ruleset.h"
#include "stats.h"
#include "tenant.h"
#include "worker.h"
#include "xdp.h"
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
	const char *metrics_addr;
	const char *control_path;
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
		"  --metrics ADDR     serve Prometheus /metrics on ADDR (e.g. 127.0.0.1:9101)\n"
		"  --unix-socket PATH control socket: 'reload', 'stats', 'version'\n"
		"  -T                 test configuration and rules, then exit\n"
		"  --strict-rules     with -T: exit non-zero when any rule fails to load\n"
		"  -v                 more log output (repeatable); -q less\n"
		"  -V, --version      print the version\n"
		"  -h, --help         this text\n");
}

static int ys_parse_opts(int argc, char **argv, struct ys_opts *o)
{
	enum { OPT_EVE = 256, OPT_CAPTURE, OPT_WORKERS, OPT_STRICT, OPT_METRICS, OPT_CONTROL };
	static const struct option longopts[] = {
		{ "eve", required_argument, NULL, OPT_EVE },
		{ "capture", required_argument, NULL, OPT_CAPTURE },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "strict-rules", no_argument, NULL, OPT_STRICT },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "unix-socket", required_argument, NULL, OPT_CONTROL },
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
		case OPT_METRICS:
			o->metrics_addr = optarg;
			break;
		case OPT_CONTROL:
			o->control_path = optarg;
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

/* The global engine's statistics: what stats.json and /metrics report. */
static const struct ys_detect_stats *ys_rules_stats(const struct ys_ruleset *rs)
{
	return ys_detect_engine_stats(rs->engines[0]);
}

/* Rules that failed on syntax (not on an unsupported keyword), each logged with file:line. */
static size_t ys_rules_syntax_errors(const struct ys_ruleset *rs)
{
	size_t bad = 0;

	for (size_t e = 0; e < rs->nengines; e++) {
		const struct ys_detect_failure *fails;
		size_t n = ys_detect_failures(rs->engines[e], &fails);

		for (size_t i = 0; i < n; i++) {
			if (strcmp(fails[i].keyword, "syntax") != 0)
				continue;
			ys_err("sensor", "reload: %s:%u: sid %" PRIu32 ": %s", fails[i].file,
			       fails[i].line, fails[i].sid, fails[i].reason);
			bad++;
		}
	}
	return bad;
}

static void ys_print_rule_report(const struct ys_ruleset *rs, FILE *fp)
{
	for (size_t e = 0; e < rs->nengines; e++) {
		const struct ys_detect_stats *ds = ys_detect_engine_stats(rs->engines[e]);
		const struct ys_detect_failure *fails;
		size_t n = ys_detect_failures(rs->engines[e], &fails);

		for (size_t i = 0; i < n; i++)
			fprintf(fp, "%s:%u: sid %" PRIu32 ": keyword '%s': %s\n", fails[i].file,
				fails[i].line, fails[i].sid, fails[i].keyword, fails[i].reason);
		if (rs->owner[e])
			fprintf(fp, "tenant %u (%s) and tenants sharing its overrides: ",
				rs->owner[e]->id, rs->owner[e]->name);
		fprintf(fp,
			"rules: %" PRIu32 " loaded, %" PRIu32 " failed; %" PRIu32
			" groups, %u databases, compiled in %.2f s\n",
			ds->rules_loaded, ds->rules_failed, ds->groups, ds->hs_databases,
			ds->compile_seconds);
	}
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

/*
 * Decoder and flow settings (all optional; the defaults are in decode.h / flow.h):
 *   flow: {memcap: 128mb, hash-size: 65536,
 *          timeouts: {new: 30, established: 300, closed: 10, udp: 120, icmp: 30}}
 *   defrag: {memcap: 32mb, timeout: 60}
 *   vlan: {use-for-tracking: true}
 *   decoder: {vxlan-port: 4789, geneve-port: 6081, teredo-port: 3544}
 */
static int ys_read_path_params(const struct ys_conf *conf, struct ys_worker_params *wp, char *err,
			       size_t errlen)
{
	static const struct {
		const char *key;
		size_t off;
		int64_t max;
	} u32s[] = {
		{ "flow.hash-size", offsetof(struct ys_worker_params, flow.hash_size), 1 << 26 },
		{ "flow.timeouts.new", offsetof(struct ys_worker_params, flow.timeout_new), 86400 },
		{ "flow.timeouts.established",
		  offsetof(struct ys_worker_params, flow.timeout_established), 86400 },
		{ "flow.timeouts.closed", offsetof(struct ys_worker_params, flow.timeout_closed),
		  86400 },
		{ "flow.timeouts.udp", offsetof(struct ys_worker_params, flow.timeout_udp), 86400 },
		{ "flow.timeouts.icmp", offsetof(struct ys_worker_params, flow.timeout_icmp),
		  86400 },
		{ "defrag.timeout", offsetof(struct ys_worker_params, decode.frag_timeout_sec),
		  3600 },
	};
	static const struct {
		const char *key;
		size_t off;
	} ports[] = {
		{ "decoder.vxlan-port", offsetof(struct ys_worker_params, decode.vxlan_port) },
		{ "decoder.geneve-port", offsetof(struct ys_worker_params, decode.geneve_port) },
		{ "decoder.teredo-port", offsetof(struct ys_worker_params, decode.teredo_port) },
	};
	bool track_vlan;
	int64_t v;

	for (size_t i = 0; i < sizeof(u32s) / sizeof(u32s[0]); i++) {
		if (ys_conf_int(conf, u32s[i].key, 0, &v, err, errlen))
			return -EINVAL;
		if (v < 0 || v > u32s[i].max) {
			snprintf(err, errlen, "%s: %" PRId64 " is out of range 0..%" PRId64,
				 u32s[i].key, v, u32s[i].max);
			return -EINVAL;
		}
		*(uint32_t *)((char *)wp + u32s[i].off) = (uint32_t)v; /* 0 = default */
	}
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		if (ys_conf_int(conf, ports[i].key, 0, &v, err, errlen))
			return -EINVAL;
		if (v < 0 || v > 65535) {
			snprintf(err, errlen, "%s: %" PRId64 " is not a port", ports[i].key, v);
			return -EINVAL;
		}
		*(uint16_t *)((char *)wp + ports[i].off) = (uint16_t)v;
	}
	if (ys_conf_size(conf, "flow.memcap", 0, &wp->flow.memcap, err, errlen) ||
	    ys_conf_size(conf, "defrag.memcap", 0, &wp->decode.frag_memcap, err, errlen) ||
	    ys_conf_bool(conf, "vlan.use-for-tracking", true, &track_vlan, err, errlen))
		return -EINVAL;
	wp->flow.ignore_vlan = !track_vlan;
	return 0;
}

struct ys_thread {
	pthread_t tid;
	struct ys_worker *w;
	int ret;
	_Atomic unsigned done;
};

/* What the main thread, /metrics and the control socket share. */
struct ys_sensor {
	const struct ys_opts *o;
	const struct ys_conf *conf;
	const struct ys_tenant_map *tenants;
	struct ys_engine_slot slot;
	struct ys_ruleset *old_rules; /* main thread only: freed once no worker uses it */
	/* Held by the metrics, control and Kafka threads while they read the current set's
	 * statistics, and by the main thread while it frees a replaced set. */
	pthread_mutex_t rules_lock;
	struct ys_output *out;
	struct ys_thread threads[YS_MAX_WORKERS];
	unsigned nworkers;
	double t0;
	/* Control-socket reload handshake: the request counter is bumped by the control
	 * thread; the main thread answers with the sequence it served and the result. */
	_Atomic uint64_t reload_req, reload_done;
	_Atomic int64_t reload_result; /* generation, or -errno */
	_Atomic uint64_t reloads_ok, reloads_failed;
	struct ys_bpf *bpf; /* XDP program when capture.xdp is on; NULL otherwise */
	_Atomic uint64_t bypass_errors;
};

static void ys_sensor_bypass(void *user, const struct ys_flow *f)
{
	struct ys_sensor *s = user;

	/* A failed insert only costs user-space work: the flow is still skipped there. */
	if (ys_bpf_bypass_flow(s->bpf, f) != 0)
		atomic_fetch_add(&s->bypass_errors, 1);
}

static void *ys_thread_main(void *arg)
{
	struct ys_thread *t = arg;

	t->ret = ys_worker_run(t->w);
	atomic_store(&t->done, 1);
	return NULL;
}

static void ys_sensor_sum(struct ys_sensor *s, struct ys_worker_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < s->nworkers; i++) {
		struct ys_worker_stats ws;

		ys_worker_get_stats(s->threads[i].w, &ws);
		ys_stats_sum(sum, &ws);
	}
}

/* Every counter, as written to stats.json, sent in sensor-stats and answered to 'stats'. */
static json_t *ys_sensor_stats_now(struct ys_sensor *s)
{
	struct ys_worker_stats sum;
	json_t *j, *d;

	struct ys_detect_stats ds;
	size_t nengines;

	ys_sensor_sum(s, &sum);
	pthread_mutex_lock(&s->rules_lock);
	ds = *ys_rules_stats(atomic_load(&s->slot.set));
	nengines = atomic_load(&s->slot.set)->nengines;
	pthread_mutex_unlock(&s->rules_lock);
	j = ys_stats_json(&sum, &ds, s->out, ys_mono_seconds() - s->t0);
	d = j ? json_object_get(j, "detect") : NULL;
	if (d) {
		json_object_set_new(d, "generation",
				    json_integer((json_int_t)atomic_load(&s->slot.generation)));
		json_object_set_new(d, "reloads_ok",
				    json_integer((json_int_t)atomic_load(&s->reloads_ok)));
		json_object_set_new(d, "reloads_failed",
				    json_integer((json_int_t)atomic_load(&s->reloads_failed)));
		json_object_set_new(d, "engines", json_integer((json_int_t)nengines));
	}
	return j;
}

static void ys_metrics_fill(struct ys_text *t, void *user)
{
	struct ys_sensor *s = user;
	struct ys_detect_stats dstats;
	const struct ys_detect_stats *ds = &dstats;
	struct ys_worker_stats sum;
	struct ys_output_stats os;

	pthread_mutex_lock(&s->rules_lock);
	dstats = *ys_rules_stats(atomic_load(&s->slot.set));
	pthread_mutex_unlock(&s->rules_lock);
	ys_output_get_stats(s->out, &os);
#define YS_M(name, type, help, fmt, ...)                                                           \
	ys_text_printf(t,                                                                          \
		       "# HELP yunshao_sensor_" name " " help "\n# TYPE yunshao_sensor_" name      \
		       " " type "\n" fmt,                                                          \
		       __VA_ARGS__)
	YS_M("up", "gauge", "1 while the sensor runs.", "yunshao_sensor_up 1\n%s", "");
	ys_text_printf(t, "# HELP yunshao_sensor_packets_total Packets received per worker.\n"
			  "# TYPE yunshao_sensor_packets_total counter\n");
	for (unsigned i = 0; i < s->nworkers; i++) {
		struct ys_worker_stats ws;

		ys_worker_get_stats(s->threads[i].w, &ws);
		ys_text_printf(t, "yunshao_sensor_packets_total{worker=\"%u\"} %" PRIu64 "\n", i,
			       ws.packets);
	}
	ys_text_printf(t, "# HELP yunshao_sensor_kernel_drops_total Packets the kernel dropped "
			  "before a worker read them.\n"
			  "# TYPE yunshao_sensor_kernel_drops_total counter\n");
	for (unsigned i = 0; i < s->nworkers; i++) {
		struct ys_worker_stats ws;

		ys_worker_get_stats(s->threads[i].w, &ws);
		ys_text_printf(t, "yunshao_sensor_kernel_drops_total{worker=\"%u\"} %" PRIu64 "\n",
			       i, ws.capture.kernel_drops);
	}
	ys_sensor_sum(s, &sum);
	YS_M("bytes_total", "counter", "Bytes received.",
	     "yunshao_sensor_bytes_total %" PRIu64 "\n", sum.bytes);
	YS_M("decode_errors_total", "counter", "Malformed packets by kind.", "%s", "");
	for (int i = 1; i < YS_DEC_ERROR_COUNT; i++)
		ys_text_printf(t, "yunshao_sensor_decode_errors_total{kind=\"%s\"} %" PRIu64 "\n",
			       ys_decode_error_name((enum ys_decode_error)i), sum.decode.errors[i]);
	YS_M("flows_active", "gauge", "Flows in the flow tables.",
	     "yunshao_sensor_flows_active %" PRIu64 "\n", sum.flow.active);
	YS_M("flows_total", "counter", "Flows created.", "yunshao_sensor_flows_total %" PRIu64 "\n",
	     sum.flow.created);
	YS_M("flow_memcap_refused_total", "counter", "Flows refused by the flow memcap.",
	     "yunshao_sensor_flow_memcap_refused_total %" PRIu64 "\n", sum.flow.memcap_refused);
	YS_M("stream_memcap_hits_total", "counter", "Reassembly allocations refused by the memcap.",
	     "yunshao_sensor_stream_memcap_hits_total %" PRIu64 "\n", sum.stream.memcap_hits);
	YS_M("stream_gaps_total", "counter", "Holes skipped in TCP streams.",
	     "yunshao_sensor_stream_gaps_total %" PRIu64 "\n", sum.stream.gaps);
	YS_M("memory_bytes", "gauge", "Flow and reassembly memory in use.",
	     "yunshao_sensor_memory_bytes{pool=\"flow\"} %" PRIu64
	     "\nyunshao_sensor_memory_bytes{pool=\"stream\"} %" PRIu64
	     "\nyunshao_sensor_memory_bytes{pool=\"rules\"} %zu\n",
	     sum.flow.memuse, sum.stream.memuse, ds->hs_bytes);
	YS_M("peak_rss_bytes", "gauge", "Peak resident memory.",
	     "yunshao_sensor_peak_rss_bytes %ld\n", ys_stats_peak_rss_kb() * 1024);
	YS_M("policy_skipped_total", "counter", "Packets not inspected, by reason.",
	     "yunshao_sensor_policy_skipped_total{reason=\"tenant_ignored\"} %" PRIu64
	     "\nyunshao_sensor_policy_skipped_total{reason=\"sampled_out\"} %" PRIu64
	     "\nyunshao_sensor_policy_skipped_total{reason=\"bypassed\"} %" PRIu64 "\n",
	     sum.ignored_tenant, sum.sampled_out, sum.bypassed);
	YS_M("alerts_total", "counter", "Alerts written, per tenant.", "%s", "");
	for (size_t i = 0; i < ys_tenant_count(s->tenants); i++) {
		const struct ys_tenant *tn = ys_tenant_at(s->tenants, i);

		ys_text_printf(t,
			       "yunshao_sensor_alerts_total{tenant_id=\"%" PRIu32
			       "\",tenant=\"%s\"} %" PRIu64 "\n",
			       tn->id, tn->name[0] ? tn->name : "unassigned",
			       ys_output_tenant_alerts(s->out, i));
	}
	ys_text_printf(
		t, "yunshao_sensor_alerts_total{tenant_id=\"\",tenant=\"unknown\"} %" PRIu64 "\n",
		ys_output_tenant_alerts(s->out, ys_tenant_count(s->tenants)));
	YS_M("output_write_errors_total", "counter", "Failed sink writes.",
	     "yunshao_sensor_output_write_errors_total %" PRIu64 "\n", os.write_errors);
	YS_M("kafka_delivered_total", "counter", "Alerts acknowledged by Kafka.",
	     "yunshao_sensor_kafka_delivered_total %" PRIu64 "\n", os.kafka_delivered);
	YS_M("kafka_failed_total", "counter", "Kafka deliveries that failed (kept in the spool).",
	     "yunshao_sensor_kafka_failed_total %" PRIu64 "\n", os.kafka_failed);
	YS_M("kafka_queue_messages", "gauge", "Messages waiting for Kafka acknowledgement.",
	     "yunshao_sensor_kafka_queue_messages %" PRIu64 "\n", os.kafka_queued);
	YS_M("spool_bytes", "gauge", "Bytes in the write-ahead spool.",
	     "yunshao_sensor_spool_bytes %" PRIu64 "\n", os.spool_bytes);
	YS_M("spool_records", "gauge", "Alerts in the write-ahead spool.",
	     "yunshao_sensor_spool_records %" PRIu64 "\n", os.spool_records);
	YS_M("spool_dropped_total", "counter", "Alerts dropped because the spool was full.",
	     "yunshao_sensor_spool_dropped_total %" PRIu64 "\n", os.spool_dropped);
	YS_M("rules_loaded", "gauge", "Rules active.", "yunshao_sensor_rules_loaded %u\n",
	     ds->rules_loaded);
	YS_M("rules_failed", "gauge", "Rules that failed to load.",
	     "yunshao_sensor_rules_failed %u\n", ds->rules_failed);
	YS_M("rule_reloads_total", "counter", "Rule reloads by result.",
	     "yunshao_sensor_rule_reloads_total{result=\"ok\"} %" PRIu64
	     "\nyunshao_sensor_rule_reloads_total{result=\"failed\"} %" PRIu64 "\n",
	     atomic_load(&s->reloads_ok), atomic_load(&s->reloads_failed));
	YS_M("uptime_seconds", "gauge", "Seconds since start.",
	     "yunshao_sensor_uptime_seconds %.1f\n", ys_mono_seconds() - s->t0);
	YS_M("xdp_bypass_errors_total", "counter", "Flows the kernel bypass map refused.",
	     "yunshao_sensor_xdp_bypass_errors_total %" PRIu64 "\n",
	     (uint64_t)atomic_load(&s->bypass_errors));
#undef YS_M
	if (s->bpf) {
		char *xdp = NULL;
		size_t len = 0;

		if (ys_bpf_metrics(s->bpf, s->tenants, &xdp, &len) == 0 && xdp)
			ys_text_printf(t, "%.*s", (int)len, xdp);
		free(xdp);
	}
}

/* The counters in each yunshao.sensor-stats message; runs in the Kafka sink's thread. */
static void ys_sensor_stats_json(void *user, json_t *obj)
{
	struct ys_sensor *s = user;
	json_t *j = ys_sensor_stats_now(s);
	int64_t interval = 10;
	char err[160];

	/* The heartbeat period, so the central service knows when this sensor is silent. */
	if (ys_conf_int(s->conf, "outputs.kafka.stats-interval", 10, &interval, err, sizeof(err)))
		interval = 10;
	json_object_set_new(obj, "interval", json_integer((json_int_t)interval));

	if (j) {
		json_object_update(obj, j);
		json_decref(j);
	}
}

/* Control socket commands; runs in the control thread. */
static char *ys_control_cmd(const char *cmd, void *user)
{
	struct ys_sensor *s = user;
	char *reply = NULL;

	if (strcmp(cmd, "reload") == 0) {
		uint64_t seq = atomic_fetch_add(&s->reload_req, 1) + 1;

		/* The main thread serves it within ~100 ms plus the compile time. */
		for (int i = 0; i < 6000 && atomic_load(&s->reload_done) < seq; i++)
			nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000000L }, NULL);
		if (atomic_load(&s->reload_done) < seq)
			return strdup("error reload timed out");
		int64_t res = atomic_load(&s->reload_result);

		if (res < 0)
			return strdup(
				"error reload failed; the previous rules keep running (see log)");
		if (asprintf(&reply, "ok generation %" PRId64, res) < 0)
			return NULL;
		return reply;
	}
	if (strcmp(cmd, "stats") == 0) {
		json_t *j = ys_sensor_stats_now(s);

		reply = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(j);
		return reply;
	}
	if (strcmp(cmd, "version") == 0)
		return strdup("yunshao-sensor 0.1.0");
	if (asprintf(&reply, "error unknown command '%.64s' (reload, stats, version)", cmd) < 0)
		return NULL;
	return reply;
}

/* Build new engines beside the running ones and publish them. Main thread only. */
static int ys_reload(struct ys_sensor *s)
{
	double t0 = ys_mono_seconds();
	struct ys_ruleset *rs;

	if (s->old_rules) {
		ys_warn("sensor", "a reload is still settling; try again shortly");
		return -EBUSY;
	}
	ys_notice("sensor", "reloading rules");
	rs = ys_ruleset_build(s->o->rule_files, s->o->nrule_files, s->conf, s->tenants);
	if (rs && ys_rules_syntax_errors(rs)) {
		/* At start-up a broken rule is skipped so the others run; on reload the running
		 * set is known to be good, so a file with broken syntax does not replace it. */
		ys_ruleset_free(rs);
		rs = NULL;
	}
	if (!rs) {
		ys_err("sensor", "rule reload failed; the previous rules keep running");
		atomic_fetch_add(&s->reloads_failed, 1);
		return -EINVAL;
	}
	s->old_rules = atomic_exchange(&s->slot.set, rs);
	atomic_fetch_add(&s->slot.generation, 1);
	atomic_fetch_add(&s->reloads_ok, 1);
	ys_notice("sensor", "rules reloaded in %.2f s: %u loaded, %u failed; peak RSS %ld kB",
		  ys_mono_seconds() - t0, ys_rules_stats(rs)->rules_loaded,
		  ys_rules_stats(rs)->rules_failed, ys_stats_peak_rss_kb());
	return 0;
}

/* Have all live workers moved to the current generation? Then the old rules can go. */
static bool ys_reload_settled(struct ys_sensor *s)
{
	uint64_t gen = atomic_load(&s->slot.generation);

	for (unsigned i = 0; i < s->nworkers; i++)
		if (!atomic_load(&s->threads[i].done) &&
		    ys_worker_engine_gen(s->threads[i].w) != gen)
			return false;
	return true;
}

/* Main thread: signals, reloads and periodic output work until the workers end. */
static void ys_sensor_loop(struct ys_sensor *s)
{
	uint64_t served = 0; /* highest control-socket reload request handled */

	for (;;) {
		unsigned done = 0;

		for (unsigned i = 0; i < s->nworkers; i++)
			done += atomic_load(&s->threads[i].done);
		if (done == s->nworkers)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000000L }, NULL);
		if (ys_stop_requested)
			for (unsigned i = 0; i < s->nworkers; i++)
				ys_worker_stop(s->threads[i].w);

		uint64_t req = atomic_load(&s->reload_req);

		if ((ys_reload_requested || req > served) && !s->old_rules) {
			int r;

			ys_reload_requested = 0;
			served = req;
			r = ys_reload(s);
			if (r) {
				atomic_store(&s->reload_result, r);
				atomic_store(&s->reload_done, served);
			}
		}
		/* A reload is answered once every worker runs the new rules. */
		if (s->old_rules && ys_reload_settled(s)) {
			pthread_mutex_lock(&s->rules_lock);
			ys_ruleset_free(s->old_rules);
			s->old_rules = NULL;
			pthread_mutex_unlock(&s->rules_lock);
			ys_notice("sensor", "all workers run rules generation %" PRIu64,
				  (uint64_t)atomic_load(&s->slot.generation));
			atomic_store(&s->reload_result, (int64_t)atomic_load(&s->slot.generation));
			atomic_store(&s->reload_done, served);
		}
		ys_output_tick(s->out, ys_wall_usec());
	}
	for (unsigned i = 0; i < s->nworkers; i++)
		pthread_join(s->threads[i].tid, NULL);
}

int main(int argc, char **argv)
{
	static struct ys_sensor sensor; /* large (thread table); shared with the control thread */
	struct ys_sensor *s = &sensor;
	struct ys_opts o = { .checksum = "auto", .log_dir = "." };
	struct ys_conf *conf = NULL;
	struct ys_tenant_map *tenants = NULL;
	struct ys_ruleset *rules;
	struct ys_metrics *metrics = NULL;
	struct ys_control *control = NULL;
	struct ys_worker_params wp;
	struct ys_worker_stats sum;
	char err[512] = "", hostname[256] = "";
	unsigned started = 0;
	int ret = 1;

	s->t0 = ys_mono_seconds();
	pthread_mutex_init(&s->rules_lock, NULL);
	if (ys_parse_opts(argc, argv, &o))
		return 2;
	s->o = &o;
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
	s->conf = conf;
	if (!o.pcap_file && !o.iface)
		o.iface = ys_conf_str(conf, "capture.interface", NULL);
	if (!o.test_only && !o.pcap_file && !o.iface) {
		fprintf(stderr, "yunshao-sensor: nothing to read: give -r FILE, -i IFACE or "
				"capture.interface in the configuration (or -T)\n");
		goto out_conf;
	}
	tenants = ys_tenant_map_load(ys_conf_get(conf, "tenants"), err, sizeof(err));
	if (!tenants) {
		fprintf(stderr, "yunshao-sensor: %s\n", err[0] ? err : strerror(errno));
		goto out_conf;
	}
	s->tenants = tenants;
	rules = ys_ruleset_build(o.rule_files, o.nrule_files, conf, tenants);
	if (!rules)
		goto out_tenants;
	atomic_store(&s->slot.set, rules);
	atomic_store(&s->slot.generation, 1);
	if (o.test_only) {
		ys_print_rule_report(rules, stdout);
		printf("configuration %s: ok; %zu tenants\n", o.conf_file ? o.conf_file : "(none)",
		       ys_tenant_count(tenants));
		ret = 0;
		for (size_t e = 0; e < rules->nengines; e++)
			if (o.strict_rules &&
			    ys_detect_engine_stats(rules->engines[e])->rules_failed)
				ret = 3;
		goto out_rules;
	}
	if (ys_rules_stats(rules)->rules_failed)
		ys_warn("sensor",
			"%u rules failed to load (run with -T to list them); %u rules are active",
			ys_rules_stats(rules)->rules_failed, ys_rules_stats(rules)->rules_loaded);

	if (mkdir(o.log_dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "yunshao-sensor: cannot create log directory %s: %s\n", o.log_dir,
			strerror(errno));
		goto out_rules;
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
		goto out_rules;
	}
	s->out = ys_output_new(&op, err, sizeof(err));
	if (!s->out) {
		fprintf(stderr, "yunshao-sensor: output: %s\n", err[0] ? err : strerror(errno));
		goto out_rules;
	}

	memset(&wp, 0, sizeof(wp));
	wp.conf = conf;
	wp.tenants = tenants;
	wp.engines = &s->slot;
	wp.output = s->out;
	wp.decode.validate_checksums = strcmp(o.checksum, "none") != 0;
	wp.decode.checksum_auto = strcmp(o.checksum, "auto") == 0;
	if (ys_read_path_params(conf, &wp, err, sizeof(err))) {
		fprintf(stderr, "yunshao-sensor: %s\n", err);
		goto out_output;
	}
	ys_stream_params_default(&wp.stream);
	ys_applayer_params_default(&wp.applayer);
	if (ys_stream_params_from_conf(conf, &wp.stream, err, sizeof(err)) ||
	    ys_applayer_params_from_conf(conf, &wp.applayer, err, sizeof(err))) {
		fprintf(stderr, "yunshao-sensor: %s\n", err);
		goto out_output;
	}
	if (o.pcap_file) {
		wp.capture = &ys_capture_pcap_file;
		wp.capture_params.source = o.pcap_file;
		s->nworkers = 1; /* a file is read in order by one worker */
	} else {
		const char *method =
			o.capture ? o.capture : ys_conf_str(conf, "capture.method", "af-packet");
		int64_t nw = 0;

		wp.capture = ys_capture_find(method);
		if (!wp.capture) {
			fprintf(stderr, "yunshao-sensor: unknown capture method '%s'\n", method);
			goto out_output;
		}
		if (ys_conf_int(conf, "capture.workers", 0, &nw, err, sizeof(err))) {
			fprintf(stderr, "yunshao-sensor: %s\n", err);
			goto out_output;
		}
		wp.capture_params.source = o.iface;
		wp.capture_params.promisc = true;
		/* The XDP program classifies tenants and drops ignored, sampled-out and bypassed
		 * traffic in the kernel; AF_XDP sockets register in its XSKMAP. */
		errno = 0;
		s->bpf = ys_bpf_from_conf(conf, o.iface, method, tenants, err, sizeof(err));
		if (!s->bpf && errno) {
			fprintf(stderr, "yunshao-sensor: XDP: %s\n", err);
			goto out_output;
		}
		if (s->bpf) {
			wp.capture_params.bpf = s->bpf;
			wp.on_bypass = ys_sensor_bypass;
			wp.bypass_user = s;
			ys_notice("sensor", "XDP program attached to %s (%s mode)", o.iface,
				  ys_bpf_mode(s->bpf));
		}
		wp.capture_params.xdp_mode = ys_conf_str(conf, "capture.xdp-mode", "auto");
		s->nworkers = o.workers ? o.workers
			      : nw > 0	? (unsigned)nw
					: (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
		if (s->nworkers < 1 || s->nworkers > YS_MAX_WORKERS)
			s->nworkers = 1;
		if (strcmp(wp.capture->name, "pcap") == 0)
			s->nworkers = 1; /* libpcap has no fanout: one handle */
	}
	wp.capture_params.workers = s->nworkers;
	wp.capture_params.fanout_id = (uint16_t)(getpid() & 0xffff);

	for (unsigned i = 0; i < s->nworkers; i++) {
		wp.index = i;
		wp.capture_params.queue_id = i;
		s->threads[i].w = ys_worker_new(&wp, err, sizeof(err));
		if (!s->threads[i].w) {
			fprintf(stderr, "yunshao-sensor: worker %u: %s\n", i, err);
			goto out_workers;
		}
		started++;
	}

	ys_output_set_stats_fn(s->out, ys_sensor_stats_json, s);

	const char *maddr =
		o.metrics_addr ? o.metrics_addr : ys_conf_str(conf, "metrics.listen", NULL);
	const char *cpath =
		o.control_path ? o.control_path : ys_conf_str(conf, "control.socket", NULL);

	if (maddr) {
		metrics = ys_metrics_new(maddr, ys_metrics_fill, s, err, sizeof(err));
		if (!metrics) {
			fprintf(stderr, "yunshao-sensor: %s\n", err);
			goto out_workers;
		}
	}
	if (cpath) {
		control = ys_control_new(cpath, ys_control_cmd, s, err, sizeof(err));
		if (!control) {
			fprintf(stderr, "yunshao-sensor: %s\n", err);
			goto out_metrics;
		}
	}

	struct sigaction sa = { .sa_handler = ys_on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (unsigned i = 0; i < s->nworkers; i++) {
		if (pthread_create(&s->threads[i].tid, NULL, ys_thread_main, &s->threads[i]) != 0) {
			fprintf(stderr, "yunshao-sensor: cannot start worker %u\n", i);
			for (unsigned j = 0; j < i; j++) {
				ys_worker_stop(s->threads[j].w);
				pthread_join(s->threads[j].tid, NULL);
			}
			goto out_control;
		}
	}
	ys_notice("sensor", "capturing from %s with %u worker(s)",
		  o.pcap_file ? o.pcap_file : o.iface, s->nworkers);
	ys_sensor_loop(s);

	ret = 0;
	for (unsigned i = 0; i < s->nworkers; i++)
		if (s->threads[i].ret)
			ret = 1;
	/* Delivered before counted: stats.json then says what Kafka acknowledged. */
	ys_output_flush(s->out, 30000);
	ys_sensor_sum(s, &sum);
	{
		double elapsed = ys_mono_seconds() - s->t0;
		json_t *stats = ys_sensor_stats_now(s);

		if (!stats || ys_stats_write(o.log_dir, stats))
			ret = 1;
		json_decref(stats);
		ys_notice("sensor", "%" PRIu64 " packets, %" PRIu64 " alerts in %.2f s",
			  sum.packets, sum.alerts, elapsed);
	}

out_control:
	ys_control_free(control);
out_metrics:
	ys_metrics_free(metrics);
out_workers:
	/* The heartbeat callback reads the workers: none after they are freed below. */
	ys_output_set_stats_fn(s->out, NULL, NULL);
	for (unsigned i = 0; i < started; i++)
		ys_worker_free(s->threads[i].w);
out_output:
	ys_bpf_free(s->bpf);
	ys_output_free(s->out);
out_rules:
	ys_ruleset_free(s->old_rules);
	ys_ruleset_free(atomic_load(&s->slot.set));
out_tenants:
	ys_tenant_map_free(tenants);
out_conf:
	ys_conf_free(conf);
	return ret;
}
