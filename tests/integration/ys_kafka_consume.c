/*
 * ys_kafka_consume: read a topic from the beginning and print each message,
 * for integration tests and `make demo` (no consumer group, no commits: it
 * assigns every partition itself, so it never disturbs the ingest's group).
 *
 *   ys_kafka_consume -b 127.0.0.1:9092 -t yunshao.alerts [-n COUNT] [-i IDLE_MS] [-k]
 *                    [-X librdkafka.property=value ...]   (e.g. SASL settings)
 *
 * Prints one message per line: the value as it is (alerts are compact JSON,
 * which has no raw newline), or with -k "key<TAB>schema header<TAB>value".
 * Stops after COUNT messages, or when every partition has reached its end and
 * nothing new came for IDLE_MS (default 2000), or after -w WAIT_MS in total.
 * Exit 0; 1 on error; 2 when fewer than COUNT messages arrived in time.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void usage(void)
{
	fprintf(stderr, "usage: ys_kafka_consume -b BROKERS -t TOPIC [-n COUNT] [-i IDLE_MS] "
			"[-w WAIT_MS] [-k] [-X prop=value]\n");
	exit(1);
}

static long parse_num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	const char *brokers = "127.0.0.1:9092", *topic = NULL;
	long want = -1, idle_ms = 2000, wait_ms = 120000;
	bool with_key = false;
	char errstr[512];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_partition_list_t *parts;
	int nparts = 0, rc = 0, opt;
	bool eof[1024] = { false };
	long got = 0;
	uint64_t start, last;

	const char *props[32];
	int nprops = 0;

	while ((opt = getopt(argc, argv, "b:t:n:i:w:kX:")) != -1) {
		switch (opt) {
		case 'b':
			brokers = optarg;
			break;
		case 't':
			topic = optarg;
			break;
		case 'n':
			want = parse_num(optarg);
			break;
		case 'i':
			idle_ms = parse_num(optarg);
			break;
		case 'w':
			wait_ms = parse_num(optarg);
			break;
		case 'k':
			with_key = true;
			break;
		case 'X':
			if (nprops == 32 || !strchr(optarg, '='))
				usage();
			props[nprops++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (!topic)
		usage();

	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "group.id", "ys-kafka-consume", errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "isolation.level", "read_committed", errstr, sizeof(errstr))) {
		fprintf(stderr, "ys_kafka_consume: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	for (int i = 0; i < nprops; i++) {
		char name[128];
		const char *eq = strchr(props[i], '=');
		size_t n = (size_t)(eq - props[i]);

		if (n >= sizeof(name))
			usage();
		memcpy(name, props[i], n);
		name[n] = '\0';
		if (rd_kafka_conf_set(conf, name, eq + 1, errstr, sizeof(errstr))) {
			fprintf(stderr, "ys_kafka_consume: %s\n", errstr);
			rd_kafka_conf_destroy(conf);
			return 1;
		}
	}
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "ys_kafka_consume: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	conf = NULL; /* now owned by rk */

	if (rd_kafka_metadata(rk, 1, NULL, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "ys_kafka_consume: no metadata from %s\n", brokers);
		rc = 1;
		goto out_destroy;
	}
	parts = rd_kafka_topic_partition_list_new(8);
	for (int t = 0; t < md->topic_cnt; t++) {
		if (strcmp(md->topics[t].topic, topic))
			continue;
		for (int p = 0; p < md->topics[t].partition_cnt; p++)
			rd_kafka_topic_partition_list_add(parts, topic,
							  md->topics[t].partitions[p].id)
				->offset = RD_KAFKA_OFFSET_BEGINNING;
		nparts = md->topics[t].partition_cnt;
	}
	rd_kafka_metadata_destroy(md);
	if (!nparts) {
		fprintf(stderr, "ys_kafka_consume: topic %s not found\n", topic);
		rd_kafka_topic_partition_list_destroy(parts);
		rc = 1;
		goto out_destroy;
	}
	rd_kafka_assign(rk, parts);
	rd_kafka_topic_partition_list_destroy(parts);

	start = last = now_ms();
	while (want < 0 || got < want) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		uint64_t now = now_ms();

		if (now - start > (uint64_t)wait_ms)
			break;
		if (!m) {
			bool all = true;

			for (int p = 0; p < nparts && p < 1024; p++)
				all = all && eof[p];
			if (want < 0 && all && now - last > (uint64_t)idle_ms)
				break;
			continue;
		}
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			if (m->partition >= 0 && m->partition < 1024)
				eof[m->partition] = true;
		} else if (m->err) {
			fprintf(stderr, "ys_kafka_consume: %s\n", rd_kafka_message_errstr(m));
		} else {
			if (with_key) {
				rd_kafka_headers_t *h = NULL;
				const void *v = NULL;
				size_t vl = 0;

				if (rd_kafka_message_headers(m, &h) == 0)
					rd_kafka_header_get_last(h, "schema", &v, &vl);
				fwrite(m->key, 1, m->key_len, stdout);
				fputc('\t', stdout);
				if (v)
					fwrite(v, 1, vl, stdout);
				fputc('\t', stdout);
			}
			fwrite(m->payload, 1, m->len, stdout);
			fputc('\n', stdout);
			got++;
			last = now;
			if (m->partition >= 0 && m->partition < 1024)
				eof[m->partition] = false;
		}
		rd_kafka_message_destroy(m);
	}
	fflush(stdout);
	if (want >= 0 && got < want) {
		fprintf(stderr, "ys_kafka_consume: %ld of %ld messages\n", got, want);
		rc = 2;
	}
	rd_kafka_consumer_close(rk);
out_destroy:
	rd_kafka_destroy(rk);
	return rc;
}
