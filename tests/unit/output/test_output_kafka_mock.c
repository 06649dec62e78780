/*
 * The Kafka sink against librdkafka's mock cluster: faults a real single-node
 * broker cannot produce on demand (request timeouts, leader changes, brokers
 * going down and up) must not lose or drop an alert, and bad configuration
 * must fail at start with a reason naming the problem.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "output_kafka.h"
#include "ys_config.h"
#include "ys_log.h"

#define NBROKERS 3

struct fixture {
	rd_kafka_t *mrk; /* owns the mock cluster */
	rd_kafka_mock_cluster_t *mc;
	char bootstraps[256];
	char dir[64];
	struct ys_conf *conf;
	void *sink;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char errstr[256];

	ys_log_set_level(YS_LOG_WARN);
	/* this handle only owns the mock cluster; its "no bootstrap.servers" notice is noise */
	rd_kafka_conf_set(c, "log_level", "3", errstr, sizeof(errstr));
	f->mrk = rd_kafka_new(RD_KAFKA_PRODUCER, c, errstr, sizeof(errstr));
	assert_non_null(f->mrk);
	f->mc = rd_kafka_mock_cluster_new(f->mrk, NBROKERS);
	assert_non_null(f->mc);
	snprintf(f->bootstraps, sizeof(f->bootstraps), "%s",
		 rd_kafka_mock_cluster_bootstraps(f->mc));
	assert_int_equal(rd_kafka_mock_topic_create(f->mc, "yunshao.alerts", 6, 3), 0);
	assert_int_equal(rd_kafka_mock_topic_create(f->mc, "yunshao.sensor-stats", 1, 3), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/ys-kmock-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->sink)
		ys_sink_kafka_ops.free(f->sink);
	ys_conf_free(f->conf);
	rd_kafka_mock_cluster_destroy(f->mc);
	rd_kafka_destroy(f->mrk);
	rm_dir(f->dir);
	free(f);
	return 0;
}

/* Build the outputs.kafka node; EXTRA is more YAML lines at the same indent. */
static void *sink_new(struct fixture *f, const char *brokers, const char *extra, char *err,
		      size_t errlen)
{
	static const struct ys_sensor_identity id = { "sensor-t", "rack-t", "host-t" };
	char yaml[2048];
	char cerr[256];
	int n;

	n = snprintf(yaml, sizeof(yaml),
		     "brokers: \"%s\"\nstats-interval: 0\n"
		     "spool:\n  dir: %s\n  max-size: 4mb\n  fsync: none\n%s",
		     brokers, f->dir, extra ? extra : "");
	ys_conf_free(f->conf);
	f->conf = ys_conf_load_string("test.yaml", yaml, (size_t)n, cerr, sizeof(cerr));
	if (!f->conf)
		fail_msg("yaml: %s", cerr);
	return ys_sink_kafka_new(f->conf, &id, err, errlen);
}

static void write_n(void *sink, int from, int n, int severity)
{
	char json[256];

	for (int i = 0; i < n; i++) {
		struct ys_sink_meta m = {
			.tenant = (i & 1) ? "tenant-b" : "tenant-a",
			.tenant_id = (uint32_t)(1 + (i & 1)),
			.severity = severity,
			.event_id = "0190c0de-0000-7000-8000-000000000000",
		};
		int len = snprintf(json, sizeof(json),
				   "{\"event_type\":\"alert\",\"seq\":%d,\"pad\":\"%080d\"}",
				   from + i, 0);

		assert_int_equal(ys_sink_kafka_ops.write(sink, json, (size_t)len, &m), 0);
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait until everything written was acknowledged; return the stats. */
static struct ys_output_stats wait_delivered(void *sink, uint64_t want, int timeout_ms)
{
	struct ys_output_stats st;

	for (int t = 0; t < timeout_ms; t += 20) {
		memset(&st, 0, sizeof(st));
		ys_sink_kafka_ops.stats(sink, &st);
		if (st.kafka_delivered >= want && st.spool_records == 0)
			break;
		sleep_ms(20);
	}
	return st;
}

/* Read every message of yunshao.alerts back from the mock cluster. */
static int consume_all(struct fixture *f, int want, int *keys_ok, int *hdr_ok)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char errstr[256];
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *parts;
	int got = 0, idle = 0;

	rd_kafka_conf_set(c, "bootstrap.servers", f->bootstraps, errstr, sizeof(errstr));
	rd_kafka_conf_set(c, "group.id", "ys-test", errstr, sizeof(errstr));
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, errstr, sizeof(errstr));
	assert_non_null(rk);
	parts = rd_kafka_topic_partition_list_new(6);
	for (int p = 0; p < 6; p++)
		rd_kafka_topic_partition_list_add(parts, "yunshao.alerts", p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	assert_int_equal(rd_kafka_assign(rk, parts), 0);
	rd_kafka_topic_partition_list_destroy(parts);
	*keys_ok = *hdr_ok = 0;
	while (got < want && idle < 50) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		rd_kafka_headers_t *h;
		const void *v;
		size_t vl;

		if (!m) {
			idle++;
			continue;
		}
		if (!m->err) {
			idle = 0;
			got++;
			if (m->key_len == 8 &&
			    (!memcmp(m->key, "tenant-a", 8) || !memcmp(m->key, "tenant-b", 8)))
				(*keys_ok)++;
			if (!rd_kafka_message_headers(m, &h) &&
			    !rd_kafka_header_get_last(h, "schema", &v, &vl) &&
			    vl == strlen("yunshao.alert/1") && !memcmp(v, "yunshao.alert/1", vl))
				(*hdr_ok)++;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return got;
}

static void test_delivers_with_key_and_header(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";
	struct ys_output_stats st;
	int keys_ok, hdr_ok;

	f->sink = sink_new(f, f->bootstraps, "startup-timeout-ms: 3000\n", err, sizeof(err));
	assert_non_null(f->sink);
	write_n(f->sink, 0, 2000, 2);
	st = wait_delivered(f->sink, 2000, 10000);
	assert_int_equal(st.kafka_delivered, 2000);
	assert_int_equal(st.spool_records, 0);
	assert_int_equal(st.spool_dropped, 0);
	assert_int_equal(consume_all(f, 2000, &keys_ok, &hdr_ok), 2000);
	assert_int_equal(keys_ok, 2000);
	assert_int_equal(hdr_ok, 2000);
}

static void test_request_timeouts_are_retried(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";
	struct ys_output_stats st;
	rd_kafka_resp_err_t errs[8];

	for (int i = 0; i < 8; i++)
		errs[i] = i & 1 ? RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION
				: RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT;
	f->sink = sink_new(f, f->bootstraps, "startup-timeout-ms: 3000\n", err, sizeof(err));
	assert_non_null(f->sink);
	rd_kafka_mock_push_request_errors_array(f->mc, 0 /* Produce */, 8, errs);
	write_n(f->sink, 0, 1000, 1);
	st = wait_delivered(f->sink, 1000, 15000);
	assert_int_equal(st.kafka_delivered, 1000);
	assert_int_equal(st.kafka_failed, 0);
	assert_int_equal(st.spool_dropped, 0);
}

static void test_leader_changes(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";
	struct ys_output_stats st;

	f->sink = sink_new(f, f->bootstraps, "startup-timeout-ms: 3000\n", err, sizeof(err));
	assert_non_null(f->sink);
	for (int round = 0; round < 6; round++) {
		write_n(f->sink, round * 300, 300, 2);
		for (int p = 0; p < 6; p++)
			rd_kafka_mock_partition_set_leader(f->mc, "yunshao.alerts", p,
							   1 + (p + round) % NBROKERS);
		sleep_ms(50);
	}
	st = wait_delivered(f->sink, 1800, 20000);
	assert_int_equal(st.kafka_delivered, 1800);
	assert_int_equal(st.spool_dropped, 0);
}

static void test_brokers_down_then_up(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";
	struct ys_output_stats st;
	struct ys_spool_stats ss;

	/* a short message timeout: deliveries fail while brokers are down and the
	 * records must go back to the spool and out again, not be lost */
	f->sink = sink_new(f, f->bootstraps,
			   "startup-timeout-ms: 3000\nlibrdkafka:\n  message.timeout.ms: "
			   "\"1500\"\n  retry.backoff.ms: \"100\"\n",
			   err, sizeof(err));
	assert_non_null(f->sink);
	write_n(f->sink, 0, 100, 2);
	st = wait_delivered(f->sink, 100, 10000);
	assert_int_equal(st.kafka_delivered, 100);
	for (int b = 1; b <= NBROKERS; b++)
		rd_kafka_mock_broker_set_down(f->mc, b);
	write_n(f->sink, 100, 900, 2);
	sleep_ms(3000); /* longer than message.timeout.ms */
	ys_sink_kafka_spool_stats(f->sink, &ss);
	assert_true(ss.records >= 900);
	for (int b = 1; b <= NBROKERS; b++)
		rd_kafka_mock_broker_set_up(f->mc, b);
	st = wait_delivered(f->sink, 1000, 30000);
	assert_true(st.kafka_delivered >= 1000);
	assert_int_equal(st.spool_records, 0);
	assert_int_equal(st.spool_dropped, 0);
}

static void test_fatal_error_replaces_producer(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";
	struct ys_output_stats st;
	int keys_ok, hdr_ok;

	f->sink = sink_new(f, f->bootstraps, "startup-timeout-ms: 3000\n", err, sizeof(err));
	assert_non_null(f->sink);
	write_n(f->sink, 0, 500, 2);
	ys_sink_kafka_test_fatal(f->sink);
	write_n(f->sink, 500, 500, 2);
	for (int t = 0; t < 5000 && ys_sink_kafka_recreated(f->sink) == 0; t += 20)
		sleep_ms(20);
	assert_int_equal(ys_sink_kafka_recreated(f->sink), 1);
	write_n(f->sink, 1000, 500, 2);
	st = wait_delivered(f->sink, 1500, 20000);
	assert_int_equal(st.spool_records, 0);
	assert_int_equal(st.spool_dropped, 0);
	/* every alert is in the topic; a re-send after the swap may add duplicates */
	assert_true(consume_all(f, 3000, &keys_ok, &hdr_ok) >= 1500);
}

static void test_spool_disk_failure_sends_from_memory(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";
	struct ys_output_stats st;
	struct rlimit old, lim;

	f->sink = sink_new(f, f->bootstraps, "startup-timeout-ms: 3000\n", err, sizeof(err));
	assert_non_null(f->sink);
	/* a file size limit makes the spool's appends fail part way, like a full disk */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 16 * 1024;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	write_n(f->sink, 0, 500, 2); /* every write still succeeds */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_true(ys_sink_kafka_unspooled(f->sink) > 300);
	st = wait_delivered(f->sink, 500, 15000);
	assert_int_equal(st.kafka_delivered, 500);
	assert_int_equal(st.kafka_failed, 0);
	assert_int_equal(st.spool_dropped, 0);
}

static void test_restart_resends_unacknowledged(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";
	struct ys_output_stats st;

	f->sink = sink_new(f, f->bootstraps, "startup-timeout-ms: 3000\n", err, sizeof(err));
	assert_non_null(f->sink);
	for (int b = 1; b <= NBROKERS; b++)
		rd_kafka_mock_broker_set_down(f->mc, b);
	write_n(f->sink, 0, 500, 3);
	ys_sink_kafka_ops.free(f->sink); /* stop with 500 unacknowledged */
	f->sink = NULL;
	for (int b = 1; b <= NBROKERS; b++)
		rd_kafka_mock_broker_set_up(f->mc, b);
	f->sink = sink_new(f, f->bootstraps, "startup-timeout-ms: 3000\n", err, sizeof(err));
	assert_non_null(f->sink);
	st = wait_delivered(f->sink, 500, 15000);
	assert_int_equal(st.kafka_delivered, 500);
	assert_int_equal(st.spool_records, 0);
}

static void test_unknown_topic_fails_at_start(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";

	f->sink = sink_new(f, f->bootstraps, "topic: yunshao.alertz\nstartup-timeout-ms: 3000\n",
			   err, sizeof(err));
	assert_null(f->sink);
	assert_non_null(strstr(err, "yunshao.alertz"));
	assert_non_null(strstr(err, "does not exist"));
}

static void test_bad_tls_file_fails_at_start(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";

	f->sink = sink_new(f, f->bootstraps,
			   "startup-timeout-ms: 3000\ntls:\n  ca: /nonexistent/ca.pem\n", err,
			   sizeof(err));
	assert_null(f->sink);
	assert_non_null(strstr(err, "/nonexistent/ca.pem"));
	assert_non_null(strstr(err, "test.yaml:"));
}

static void test_unreachable_broker_spools(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";
	struct ys_output_stats st;

	/* nothing listens on port 1: start anyway, keep every alert */
	f->sink = sink_new(f, "127.0.0.1:1", "startup-timeout-ms: 500\n", err, sizeof(err));
	assert_non_null(f->sink);
	write_n(f->sink, 0, 50, 1);
	memset(&st, 0, sizeof(st));
	ys_sink_kafka_ops.stats(f->sink, &st);
	assert_int_equal(st.spool_records, 50);
	assert_int_equal(st.kafka_delivered, 0);
	/* with require-broker the same is an error at start */
	ys_sink_kafka_ops.free(f->sink);
	f->sink = NULL;
	f->sink = sink_new(f, "127.0.0.1:1", "startup-timeout-ms: 500\nrequire-broker: yes\n", err,
			   sizeof(err));
	assert_null(f->sink);
	assert_non_null(strstr(err, "no broker answered"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_delivers_with_key_and_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_timeouts_are_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leader_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_brokers_down_then_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fatal_error_replaces_producer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_spool_disk_failure_sends_from_memory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_restart_resends_unacknowledged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_topic_fails_at_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_tls_file_fails_at_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_broker_spools, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
