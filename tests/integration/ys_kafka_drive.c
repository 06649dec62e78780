/*
 * ys_kafka_drive: feeds generated alerts through the Kafka sink exactly as
 * output.c does (the same ys_sink_ops), and writes the same bytes to an
 * eve.json file, so integration tests and the benchmark can exercise the
 * sink, its spool and a real broker without a full sensor run, and compare
 * what Kafka holds with what the file holds.
 *
 *   ys_kafka_drive -c CONF.yaml [-n COUNT] [-r RATE] [-e EVE_FILE] [-m SEVMIX]
 *                  [-f FLUSH_MS] [-p PAYLOAD_BYTES] [-q]
 *
 * CONF.yaml holds "outputs.kafka" (and "sensor.id"). Alerts are valid per
 * common/schema/alert.schema.json: fresh UUIDv7 event_id, tenants tenant-a..c,
 * severity cycling through SEVMIX (digits, default "123"). Each alert goes to
 * the sink first and to the file after, so after a SIGKILL the file never
 * holds an alert the spool does not. RATE (alerts/s, 0 = as fast as possible)
 * is paced every millisecond. At the end it flushes for at most FLUSH_MS (and
 * at most outputs.kafka.flush-timeout-ms) and prints one JSON summary line on
 * stdout (counts, spool, latency).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "output_kafka.h"
#include "ys_config.h"
#include "ys_event.h"
#include "ys_log.h"

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t wall_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void usage(void)
{
	fprintf(stderr, "usage: ys_kafka_drive -c CONF.yaml [-n COUNT] [-r RATE] [-e EVE_FILE] "
			"[-m SEVMIX] [-f FLUSH_MS] [-p PAYLOAD_BYTES] [-q]\n");
	exit(1);
}

static long long parse_num(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		usage();
	return v;
}

struct drive_stats {
	uint64_t written;
};

/* The sensor's counters in sensor-stats; here only what the driver knows. */
static void drive_stats_json(void *user, json_t *obj)
{
	const struct drive_stats *ds = user;

	json_object_set_new(obj, "driver", json_pack("{s:I}", "written", (json_int_t)ds->written));
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int main(int argc, char **argv)
{
	const char *conf_path = NULL, *eve_path = NULL, *mix = "123";
	long long count = 1000, rate = 0, flush_ms = 60000, payload = 48;
	static const char *const tenants[] = { "tenant-a", "tenant-b", "tenant-c" };
	struct ys_sensor_identity id = { "drive-sensor", "rack-1", "drive-host" };
	struct drive_stats ds = { 0 };
	struct ys_output_stats st;
	struct ys_spool_stats ss;
	struct ys_kafka_latency lat;
	struct rusage ru;
	struct ys_conf *root;
	char err[512], *json, *pl;
	void *sink;
	uint64_t t0, t_written, t_done, last_tick = 0;
	int efd = -1, opt, rc = 0;
	bool quiet = false;

	while ((opt = getopt(argc, argv, "c:n:r:e:m:f:p:q")) != -1) {
		switch (opt) {
		case 'c':
			conf_path = optarg;
			break;
		case 'n':
			count = parse_num(optarg);
			break;
		case 'r':
			rate = parse_num(optarg);
			break;
		case 'e':
			eve_path = optarg;
			break;
		case 'm':
			mix = optarg;
			break;
		case 'f':
			flush_ms = parse_num(optarg);
			break;
		case 'p':
			payload = parse_num(optarg);
			break;
		case 'q':
			quiet = true;
			break;
		default:
			usage();
		}
	}
	if (!conf_path || !*mix || strspn(mix, "1234") != strlen(mix) || payload > 4096)
		usage();
	if (quiet)
		ys_log_set_level(YS_LOG_ERROR);

	root = ys_conf_load(conf_path, err, sizeof(err));
	if (!root) {
		fprintf(stderr, "ys_kafka_drive: %s\n", err);
		return 1;
	}
	id.id = ys_conf_str(root, "sensor.id", id.id);
	sink = ys_sink_kafka_new(ys_conf_get(root, "outputs.kafka"), &id, err, sizeof(err));
	if (!sink) {
		fprintf(stderr, "ys_kafka_drive: %s\n", err);
		ys_conf_free(root);
		return 1;
	}
	ys_sink_kafka_set_stats_fn(sink, drive_stats_json, &ds);
	if (eve_path) {
		efd = open(eve_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (efd < 0) {
			fprintf(stderr, "ys_kafka_drive: %s: %s\n", eve_path, strerror(errno));
			rc = 1;
			goto out_sink;
		}
	}
	json = malloc(8192);
	pl = malloc((size_t)payload * 4 / 3 + 8);
	if (!json || !pl) {
		rc = 1;
		goto out_free;
	}
	{
		/* a fixed base64 payload of PAYLOAD raw bytes: canonical padding */
		size_t n = 0, groups = (size_t)payload / 3, rem = (size_t)payload % 3;

		for (size_t g = 0; g < groups; g++)
			for (int k = 0; k < 4; k++)
				pl[n++] = b64[(g * 7 + (size_t)k * 13) % 64];
		if (rem == 1) {
			pl[n++] = 'Q';
			pl[n++] = 'Q';
			pl[n++] = '=';
			pl[n++] = '=';
		} else if (rem == 2) {
			pl[n++] = 'Q';
			pl[n++] = 'U';
			pl[n++] = 'I';
			pl[n++] = '=';
		}
		pl[n] = '\0';
	}

	t0 = mono_usec();
	for (long long i = 0; i < count; i++) {
		char eid[YS_UUID_STR_LEN], ts[YS_EVE_TS_LEN];
		uint64_t detect = wall_usec();
		int sev = mix[i % (long long)strlen(mix)] - '0';
		unsigned t = (unsigned)(i % 3);
		struct ys_sink_meta m = {
			.tenant = tenants[t],
			.tenant_id = t + 1,
			.severity = sev,
			.event_id = eid,
			.ts_usec = detect,
			.detect_usec = detect,
		};
		int len, w;

		ys_uuid7(eid);
		ys_eve_timestamp(detect, ts);
		len = snprintf(
			json, 8192,
			"{\"timestamp\":\"%s\",\"flow_id\":%lld,\"event_type\":\"alert\","
			"\"src_ip\":\"10.%u.0.%u\",\"src_port\":%u,\"dest_ip\":\"10.%u.1.1\","
			"\"dest_port\":80,\"proto\":\"TCP\",\"direction\":\"to_server\","
			"\"tenant_id\":%u,\"tenant\":\"%s\",\"alert\":{\"action\":\"allowed\","
			"\"gid\":1,\"signature_id\":%d,\"rev\":1,\"signature\":\"YS flood test "
			"severity %d\","
			"\"category\":\"Misc activity\",\"severity\":%d},\"payload\":\"%s\","
			"\"seq\":%lld,\"event_id\":\"%s\",\"sensor\":{\"id\":\"%s\",\"rack\":\"%"
			"s\","
			"\"host\":\"%s\"}}",
			ts, i + 1, t + 1, (unsigned)(i % 250) + 1, 1024 + (unsigned)(i % 60000),
			t + 1, t + 1, tenants[t], 9000000 + sev, sev, sev, pl, i, eid, id.id,
			id.rack, id.host);
		w = ys_sink_kafka_ops.write(sink, json, (size_t)len, &m);
		if (w && w != -ENOBUFS) {
			fprintf(stderr, "ys_kafka_drive: write: %s\n", strerror(-w));
			rc = 1;
			break;
		}
		ds.written++;
		if (efd >= 0) {
			json[len] = '\n';
			if (write(efd, json, (size_t)len + 1) != len + 1) {
				fprintf(stderr, "ys_kafka_drive: %s: %s\n", eve_path,
					strerror(errno));
				rc = 1;
				break;
			}
		}
		if (rate > 0 && (i & 15) == 15) {
			/* pace: alert i is due at t0 + i/rate seconds */
			uint64_t due = t0 + (uint64_t)((double)(i + 1) * 1e6 / (double)rate);
			uint64_t now = mono_usec();

			if (due > now + 200)
				usleep((useconds_t)(due - now));
		}
		if ((i & 1023) == 0) {
			uint64_t now = mono_usec();

			if (now - last_tick >= 100000) {
				ys_sink_kafka_ops.tick(sink, now);
				last_tick = now;
			}
		}
	}
	t_written = mono_usec();
	if (!quiet)
		fprintf(stderr, "ys_kafka_drive: written %" PRIu64 "\n", ds.written);
	ys_sink_kafka_ops.tick(sink, mono_usec() + 3600000000ull);
	ys_sink_kafka_ops.flush(sink, (int)flush_ms);
	t_done = mono_usec();

	memset(&st, 0, sizeof(st));
	ys_sink_kafka_ops.stats(sink, &st);
	ys_sink_kafka_spool_stats(sink, &ss);
	ys_sink_kafka_latency(sink, &lat);
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"written\":%" PRIu64 ",\"delivered\":%" PRIu64 ",\"failed\":%" PRIu64
	       ",\"spool_records\":%" PRIu64 ",\"spool_dropped\":%" PRIu64
	       ",\"dropped_by_severity\":{\"1\":%" PRIu64 ",\"2\":%" PRIu64 ",\"3\":%" PRIu64
	       ",\"4\":%" PRIu64 "},\"recovered\":%" PRIu64 ",\"write_s\":%.3f,\"total_s\":%.3f"
	       ",\"lat_count\":%" PRIu64 ",\"lat_p50_us\":%" PRIu64 ",\"lat_p99_us\":%" PRIu64
	       ",\"lat_max_us\":%" PRIu64 ",\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f}\n",
	       ds.written, st.kafka_delivered, st.kafka_failed, st.spool_records, st.spool_dropped,
	       ss.dropped_by_sev[1], ss.dropped_by_sev[2], ss.dropped_by_sev[3],
	       ss.dropped_by_sev[4], ss.recovered, (double)(t_written - t0) / 1e6,
	       (double)(t_done - t0) / 1e6, lat.count, lat.p50_usec, lat.p99_usec, lat.max_usec,
	       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	fflush(stdout);
out_free:
	free(json);
	free(pl);
	if (efd >= 0)
		close(efd);
out_sink:
	ys_sink_kafka_ops.free(sink);
	ys_conf_free(root);
	return rc;
}
