/*
 * Alert producer for the ingest's integration tests and bench. Two modes:
 *
 *   bench_ingest_produce -b HOST:PORT [-t TOPIC] --stdin
 *       one JSON object per input line, produced as is; key = its "tenant"
 *       (or, for sensor-stats, its sensor.id), header schema: yunshao.alert/1.
 *
 *   bench_ingest_produce -b HOST:PORT --generate N [--rate R] [--tenants K]
 *       N schema-valid alerts with fresh UUIDv7 ids and the current time,
 *       spread over K tenants; half of them are brute-force alerts from a few
 *       sources (so correlation fires and incidents are updated all along),
 *       the rest generic. --rate paces to R alerts/s (0: as fast as possible).
 *
 *   bench_ingest_produce -b HOST:PORT --create TOPIC:PARTITIONS[,...]
 *       create topics (tests give every scenario its own), existing ones are fine.
 *
 *   bench_ingest_produce -b HOST:PORT --consume TOPIC [--max N] [--timeout S]
 *       print each message as a JSON line {"key","value","headers":{}} until N
 *       messages or S seconds of silence (tests read incidents, dead letters).
 *
 * Acknowledged delivery (acks=all, idempotent), so when it exits 0 every
 * message is in Kafka. Prints "produced N messages in S s (R/s)".
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "ys_event.h"

static uint64_t ys_failed;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	if (m->err) {
		ys_failed++;
		fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
	}
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int produce(rd_kafka_t *rk, const char *topic, const char *key, const char *val, size_t len)
{
	rd_kafka_resp_err_t err;

	for (;;) {
		err = rd_kafka_producev(
			rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
			RD_KAFKA_V_VALUE((void *)val, len),
			RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_HEADER("schema", YS_EVENT_SCHEMA, -1), RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		rd_kafka_poll(rk, 50);
	}
	if (err) {
		fprintf(stderr, "produce: %s\n", rd_kafka_err2str(err));
		return -1;
	}
	rd_kafka_poll(rk, 0);
	return 0;
}

static char *gen_alert(uint64_t i, int tenants)
{
	static const char *const sigs[] = { "YUNSHAO BRUTEFORCE SSH connection flood",
					    "ET POLICY curl User-Agent Outbound",
					    "YUNSHAO SQLI union select in URI" };
	char id[YS_UUID_STR_LEN], ts[YS_EVE_TS_LEN], tenant[32], src[32], dst[32];
	int t = (int)(i % (uint64_t)tenants), kind = (int)(i % 2 ? 0 : 1 + (i / 2) % 2);
	json_t *ev;
	char *text;

	ys_uuid7(id);
	ys_eve_timestamp((uint64_t)now_us(), ts);
	snprintf(tenant, sizeof(tenant), "tenant%d", t);
	/* Brute force comes from 8 sources per tenant against 4 hosts: long-lived groups. */
	snprintf(src, sizeof(src), "203.0.113.%d", (int)((i / 7) % 8) + 1);
	snprintf(dst, sizeof(dst), "10.%d.0.%d", t % 250, (int)((i / 3) % 4) + 1);
	ev = json_pack("{s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:s, s:i, s:s, s:{s:s, s:i, s:i, s:i,"
		       " s:s, s:s, s:i}, s:s, s:{s:s, s:s, s:s}}",
		       "timestamp", ts, "event_type", "alert", "src_ip", src, "src_port",
		       40000 + (int)(i % 20000), "dest_ip", dst, "dest_port", kind == 0 ? 22 : 80,
		       "proto", "TCP", "tenant", tenant, "tenant_id", t + 1, "event_id", id,
		       "alert", "action", "allowed", "gid", 1, "signature_id", 9100501 + kind,
		       "rev", 1, "signature", sigs[kind], "category",
		       "Attempted Administrator Privilege Gain", "severity", kind == 0 ? 2 : 3,
		       "app_proto", kind == 0 ? "ssh" : "http", "sensor", "id", "bench-sensor-1",
		       "rack", "rack-1", "host", "bench");
	text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
	json_decref(ev);
	return text;
}

static int create_topics(const char *brokers, char *spec)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_NewTopic_t *nt[32];
	const rd_kafka_CreateTopics_result_t *res;
	const rd_kafka_topic_result_t **tr;
	rd_kafka_queue_t *q;
	rd_kafka_event_t *ev;
	char errstr[512], *tok, *next;
	size_t n = 0, ntr;
	rd_kafka_t *rk;
	int rc = 0;

	rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr));
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "admin: %s\n", errstr);
		return 2;
	}
	for (tok = spec; tok && *tok && n < 32; tok = next) {
		char *colon;

		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		colon = strchr(tok, ':');
		int parts = colon ? (int)strtol(colon + 1, NULL, 10) : 1;

		if (colon)
			*colon = '\0';
		nt[n] = rd_kafka_NewTopic_new(tok, parts > 0 ? parts : 1, 1, errstr,
					      sizeof(errstr));
		if (!nt[n]) {
			fprintf(stderr, "topic %s: %s\n", tok, errstr);
			return 2;
		}
		n++;
	}
	q = rd_kafka_queue_new(rk);
	rd_kafka_CreateTopics(rk, nt, n, NULL, q);
	ev = rd_kafka_queue_poll(q, 30000);
	res = ev ? rd_kafka_event_CreateTopics_result(ev) : NULL;
	if (!res) {
		fprintf(stderr, "create topics: no answer\n");
		rc = 1;
	} else {
		tr = rd_kafka_CreateTopics_result_topics(res, &ntr);
		for (size_t i = 0; i < ntr; i++) {
			rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);

			if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
				fprintf(stderr, "create %s: %s\n",
					rd_kafka_topic_result_name(tr[i]), rd_kafka_err2str(e));
				rc = 1;
			}
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy_array(nt, n);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return rc;
}

static int consume_topic(const char *brokers, const char *topic, long max, int timeout_s)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *subs;
	char errstr[512], group[64];
	int64_t idle_since = now_us();
	long count = 0;
	rd_kafka_t *rk;

	snprintf(group, sizeof(group), "ys-test-reader-%lld", (long long)now_us());
	rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr));
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "consumer: %s\n", errstr);
		return 2;
	}
	rd_kafka_poll_set_consumer(rk);
	subs = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(subs, topic, RD_KAFKA_PARTITION_UA);
	rd_kafka_subscribe(rk, subs);
	rd_kafka_topic_partition_list_destroy(subs);
	while ((max <= 0 || count < max) && now_us() - idle_since < (int64_t)timeout_s * 1000000) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		rd_kafka_headers_t *hdrs = NULL;
		json_t *line, *h;
		char *text;

		if (!m)
			continue;
		if (m->err) {
			rd_kafka_message_destroy(m);
			continue;
		}
		idle_since = now_us();
		h = json_object();
		if (!rd_kafka_message_headers(m, &hdrs)) {
			const char *name;
			const void *val;
			size_t sz;

			for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &val, &sz); i++)
				json_object_set_new(h, name, json_stringn(val ? val : "", sz));
		}
		line = json_pack("{s:s%, s:s%, s:o}", "key", m->key ? (const char *)m->key : "",
				 m->key ? m->key_len : 0, "value",
				 m->payload ? (const char *)m->payload : "", m->len, "headers", h);
		text = line ? json_dumps(line, JSON_COMPACT) : NULL;
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(line);
		rd_kafka_message_destroy(m);
		count++;
	}
	fflush(stdout);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "brokers", required_argument, NULL, 'b' },
		{ "topic", required_argument, NULL, 't' },
		{ "stdin", no_argument, NULL, 's' },
		{ "generate", required_argument, NULL, 'g' },
		{ "rate", required_argument, NULL, 'r' },
		{ "tenants", required_argument, NULL, 'n' },
		{ "create", required_argument, NULL, 'c' },
		{ "consume", required_argument, NULL, 'C' },
		{ "max", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	const char *brokers = "127.0.0.1:9092", *topic = "yunshao.alerts";
	uint64_t generate = 0, rate = 0, count = 0;
	char *create = NULL;
	const char *consume = NULL;
	long max = 0;
	int timeout_s = 10;
	int tenants = 4, opt, rc = 0;
	bool from_stdin = false;
	char errstr[512];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	int64_t t0;

	while ((opt = getopt_long(argc, argv, "b:t:", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			brokers = optarg;
			break;
		case 't':
			topic = optarg;
			break;
		case 's':
			from_stdin = true;
			break;
		case 'g':
			generate = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			rate = strtoull(optarg, NULL, 10);
			break;
		case 'n':
			tenants = (int)strtol(optarg, NULL, 10);
			break;
		case 'c':
			create = optarg;
			break;
		case 'C':
			consume = optarg;
			break;
		case 'm':
			max = strtol(optarg, NULL, 10);
			break;
		case 'T':
			timeout_s = (int)strtol(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr,
				"usage: %s -b BROKERS [-t TOPIC] --stdin | --generate N "
				"[--rate R] [--tenants K]\n",
				argv[0]);
			return 2;
		}
	}
	if (create)
		return create_topics(brokers, create);
	if (consume)
		return consume_topic(brokers, consume, max, timeout_s);
	if ((!from_stdin && !generate) || tenants < 1) {
		fprintf(stderr, "%s: give --stdin or --generate N\n", argv[0]);
		return 2;
	}
	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "acks", "all", errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "compression.type", "lz4", errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", errstr,
			      sizeof(errstr))) {
		fprintf(stderr, "config: %s\n", errstr);
		return 2;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "producer: %s\n", errstr);
		return 2;
	}
	t0 = now_us();
	if (from_stdin) {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		while ((n = getline(&line, &cap, stdin)) > 0) {
			json_t *ev, *key;
			const char *k = NULL;

			while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
				line[--n] = '\0';
			if (!n)
				continue;
			/* the key when the line parses; bad JSON is produced as is (tests send it) */
			ev = json_loadb(line, (size_t)n, 0, NULL);
			key = json_object_get(ev, "tenant");
			if (!json_is_string(key))
				key = json_object_get(json_object_get(ev, "sensor"), "id");
			if (json_is_string(key))
				k = json_string_value(key);
			if (produce(rk, topic, k, line, (size_t)n))
				rc = 1;
			json_decref(ev);
			count++;
		}
		free(line);
	} else {
		for (uint64_t i = 0; i < generate; i++) {
			char *text = gen_alert(i, tenants);
			char tenant[32];

			snprintf(tenant, sizeof(tenant), "tenant%d", (int)(i % (uint64_t)tenants));
			if (!text || produce(rk, topic, tenant, text, strlen(text)))
				rc = 1;
			free(text);
			count++;
			if (rate) {
				int64_t due = t0 + (int64_t)(count * 1000000 / rate),
					now = now_us();

				if (due > now) {
					struct timespec ts = { (due - now) / 1000000,
							       ((due - now) % 1000000) * 1000 };

					nanosleep(&ts, NULL);
				}
			}
		}
	}
	if (rd_kafka_flush(rk, 60000)) {
		fprintf(stderr, "flush: %d messages not delivered\n", rd_kafka_outq_len(rk));
		rc = 1;
	}
	if (ys_failed)
		rc = 1;
	{
		double secs = (double)(now_us() - t0) / 1e6;

		printf("produced %" PRIu64 " messages in %.2f s (%.0f/s)\n", count, secs,
		       secs > 0 ? (double)count / secs : 0);
	}
	rd_kafka_destroy(rk);
	return rc;
}
