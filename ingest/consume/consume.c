/*
 * Kafka consumer group + producer of the ingest (see consume.h for the
 * delivery contract). The loop is: poll a batch, run it through the pipeline
 * in one store transaction, flush the producer, commit offsets. A failed
 * store transaction is retried from Kafka: we seek the batch's partitions back
 * to their first uncommitted offsets, so nothing is skipped and nothing is
 * committed that is not stored.
 */
#include "consume.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "ys_kafka.h"
#include "ys_log.h"

#define YS_CMOD "consume"

struct ys_consumer {
	rd_kafka_t *rk;	 /* consumer */
	rd_kafka_t *prk; /* producer */
	struct ys_ingest_metrics *m;
	struct ys_pipeline *pl;
	char t_alerts[128], t_stats[128], t_dead[128], t_incidents[128], t_by_source[128],
		group[128];
	bool by_source;
	int batch_max, batch_ms;
	/* the batch in hand: highest offset per partition, and its first offset */
	rd_kafka_topic_partition_list_t *batch;
	bool in_batch;
	/* polled, not yet handed to the pipeline (batch_max of each) */
	rd_kafka_message_t **held;
	struct ys_msg *msgs;
	size_t nheld;
	/* stored, offsets not yet committed */
	rd_kafka_topic_partition_list_t *stored;
	int64_t stored_since;
	uint64_t produce_failures;
};

static int ys_flush_held(struct ys_consumer *c);

static int64_t ys_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ys_consumer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct ys_consumer *c = opaque;

	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		atomic_store(&c->m->kafka_up, 0);
		ys_err(YS_CMOD, "all Kafka brokers are down: %s", reason);
	} else if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char buf[256];

		rd_kafka_fatal_error(rk, buf, sizeof(buf));
		ys_err(YS_CMOD, "fatal Kafka error: %s", buf);
	} else {
		ys_warn(YS_CMOD, "kafka: %s: %s", rd_kafka_err2name(err), reason);
	}
}

static void ys_producer_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	struct ys_consumer *c = opaque;

	if (msg->err) {
		c->produce_failures++;
		ys_err(YS_CMOD, "produce to %s failed: %s", rd_kafka_topic_name(msg->rkt),
		       rd_kafka_err2str(msg->err));
	}
}

/* ---- batch bookkeeping ---- */

static void ys_batch_note(struct ys_consumer *c, const rd_kafka_message_t *msg)
{
	const char *topic = rd_kafka_topic_name(msg->rkt);
	rd_kafka_topic_partition_t *tp;

	tp = rd_kafka_topic_partition_list_find(c->batch, topic, msg->partition);
	if (!tp) {
		tp = rd_kafka_topic_partition_list_add(c->batch, topic, msg->partition);
		/* metadata keeps nothing; the first offset sits in the opaque for a rewind */
		tp->opaque = (void *)(intptr_t)msg->offset;
	}
	tp->offset = msg->offset + 1; /* commit = next offset to read */
}

/* Offsets of stored batches not yet committed: per partition, the next offset to read. */
static int ys_stored_merge(struct ys_consumer *c)
{
	for (int i = 0; i < c->batch->cnt; i++) {
		const rd_kafka_topic_partition_t *b = &c->batch->elems[i];
		rd_kafka_topic_partition_t *tp;

		tp = rd_kafka_topic_partition_list_find(c->stored, b->topic, b->partition);
		if (!tp)
			tp = rd_kafka_topic_partition_list_add(c->stored, b->topic, b->partition);
		if (b->offset > tp->offset)
			tp->offset = b->offset;
	}
	if (c->batch->cnt && !c->stored_since)
		c->stored_since = ys_mono_ms();
	return 0;
}

/*
 * Commit the offsets of what is stored. SYNC (revoke, shutdown): wait for the
 * producer's outputs and for the commit itself, since the next owner starts
 * from it. Otherwise commit without waiting, as soon as every output produced
 * so far is acknowledged, or flush once a second at the latest: a per-batch
 * flush and synchronous commit would cost more than the batch.
 */
static int ys_commit_stored(struct ys_consumer *c, bool sync)
{
	rd_kafka_resp_err_t err;

	if (c->stored->cnt == 0)
		return 0;
	if (!sync && rd_kafka_outq_len(c->prk) > 0 && ys_mono_ms() - c->stored_since < 1000)
		return 0; /* outputs still in flight: their inputs stay uncommitted */
	/* Dead letters and by-source summaries must be in Kafka before we move past the input. */
	if (rd_kafka_outq_len(c->prk) > 0 &&
	    rd_kafka_flush(c->prk, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		ys_warn(YS_CMOD, "producer flush timed out; %d messages still queued, offsets kept",
			rd_kafka_outq_len(c->prk));
		return -ETIMEDOUT;
	}
	err = rd_kafka_commit(c->rk, c->stored, sync ? 0 : 1);
	rd_kafka_topic_partition_list_destroy(c->stored);
	c->stored = rd_kafka_topic_partition_list_new(16);
	c->stored_since = 0;
	if (err) {
		atomic_fetch_add(&c->m->kafka_commit_failures, 1);
		ys_warn(YS_CMOD,
			"offset commit failed (the batch is stored; a replay is harmless): %s",
			rd_kafka_err2str(err));
		return -EIO;
	}
	return 0;
}

static void ys_offset_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
				rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
	struct ys_consumer *c = opaque;

	if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
		atomic_fetch_add(&c->m->kafka_commit_failures, 1);
		ys_warn(YS_CMOD, "offset commit failed (a replay is harmless): %s",
			rd_kafka_err2str(err));
	}
}

static void ys_batch_reset(struct ys_consumer *c)
{
	rd_kafka_topic_partition_list_destroy(c->batch);
	c->batch = rd_kafka_topic_partition_list_new(16);
	c->in_batch = false;
}

/* Rewind every partition of the failed batch to its first message, to read it again. */
static void ys_batch_rewind(struct ys_consumer *c)
{
	for (int i = 0; i < c->batch->cnt; i++) {
		rd_kafka_topic_partition_t *tp = &c->batch->elems[i];

		tp->offset = (int64_t)(intptr_t)tp->opaque;
		tp->opaque = NULL;
	}
	if (c->batch->cnt) {
		rd_kafka_error_t *e = rd_kafka_seek_partitions(c->rk, c->batch, 5000);

		if (e) {
			ys_err(YS_CMOD, "seek back after a failed batch: %s",
			       rd_kafka_error_string(e));
			rd_kafka_error_destroy(e);
		}
	}
}

/* Finish the batch in hand: store commit, then its offsets (see ys_commit_stored). */
static int ys_batch_finish(struct ys_consumer *c, bool sync)
{
	int ret;

	if (c->in_batch) {
		ret = ys_pipeline_commit(c->pl);
		if (ret) {
			ys_batch_rewind(c);
			ys_batch_reset(c);
			return ret;
		}
		ys_stored_merge(c);
		ys_batch_reset(c);
	}
	return ys_commit_stored(c, sync);
}

static void ys_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct ys_consumer *c = opaque;

	switch (err) {
	case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
		ys_notice(YS_CMOD, "assigned %d partitions", parts->cnt);
		rd_kafka_assign(rk, parts);
		break;
	case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
		/* Store and commit what we hold before another instance takes over. */
		ys_notice(YS_CMOD, "revoking %d partitions: finishing the batch in hand first",
			  parts->cnt);
		if (c->pl && !ys_flush_held(c))
			ys_batch_finish(c, true);
		rd_kafka_assign(rk, NULL);
		break;
	default:
		ys_err(YS_CMOD, "rebalance error: %s", rd_kafka_err2str(err));
		rd_kafka_assign(rk, NULL);
		break;
	}
}

/* ---- outputs ---- */

static void ys_produce(struct ys_consumer *c, const char *topic, const char *key,
		       const void *payload, size_t len, const char *hname, const char *hval)
{
	rd_kafka_resp_err_t err;

	for (int tries = 0; tries < 100; tries++) {
		if (hname)
			err = rd_kafka_producev(c->prk, RD_KAFKA_V_TOPIC(topic),
						RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
						RD_KAFKA_V_VALUE((void *)payload, len),
						RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
						RD_KAFKA_V_HEADER(hname, hval, -1), RD_KAFKA_V_END);
		else
			err = rd_kafka_producev(c->prk, RD_KAFKA_V_TOPIC(topic),
						RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
						RD_KAFKA_V_VALUE((void *)payload, len),
						RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
						RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		rd_kafka_poll(c->prk, 100); /* queue full: let deliveries drain */
	}
	if (err) {
		c->produce_failures++;
		ys_err(YS_CMOD, "produce to %s: %s", topic, rd_kafka_err2str(err));
	}
	rd_kafka_poll(c->prk, 0);
}

static void ys_out_dead_letter(void *user, const struct ys_msg *m, const char *reason)
{
	struct ys_consumer *c = user;
	char origin[300];
	rd_kafka_headers_t *hdrs = rd_kafka_headers_new(3);
	rd_kafka_resp_err_t err;

	snprintf(origin, sizeof(origin), "%s/%" PRId32 "/%" PRId64, m->topic ? m->topic : "",
		 m->partition, m->offset);
	rd_kafka_header_add(hdrs, "reason", -1, reason, -1);
	rd_kafka_header_add(hdrs, "origin", -1, origin, -1);
	/* The original payload, byte for byte, so it can be fixed and replayed. */
	err = rd_kafka_producev(
		c->prk, RD_KAFKA_V_TOPIC(c->t_dead), RD_KAFKA_V_VALUE((void *)m->payload, m->len),
		RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
	if (err) {
		rd_kafka_headers_destroy(hdrs); /* not taken by a failed producev */
		c->produce_failures++;
		ys_err(YS_CMOD, "dead letter produce: %s", rd_kafka_err2str(err));
	}
	rd_kafka_poll(c->prk, 0);
}

static void ys_out_by_source(void *user, const char *key, const char *json, size_t len)
{
	struct ys_consumer *c = user;

	ys_produce(c, c->t_by_source, key, json, len, "schema", "yunshao.alert-summary/1");
}

static void ys_out_incident(void *user, const char *tenant, const char *json, size_t len)
{
	struct ys_consumer *c = user;

	ys_produce(c, c->t_incidents, tenant, json, len, "schema", "yunshao.incident/1");
}

void ys_consumer_outputs(struct ys_consumer *c, struct ys_pipeline_out *out)
{
	out->user = c;
	out->dead_letter = ys_out_dead_letter;
	out->by_source = c->by_source ? ys_out_by_source : NULL;
	out->incident = ys_out_incident;
}

void ys_consumer_set_pipeline(struct ys_consumer *c, struct ys_pipeline *pl)
{
	c->pl = pl;
}

/* ---- setup ---- */

static int ys_conf_topic(const struct ys_conf *k, const char *key, const char *def, char *out,
			 size_t outlen)
{
	const char *v = ys_conf_str(k, key, def);

	if (!v || !*v || strlen(v) >= outlen)
		return -EINVAL;
	snprintf(out, outlen, "%s", v);
	return 0;
}

struct ys_consumer *ys_consumer_new(const struct ys_consumer_conf *cc, struct ys_ingest_metrics *m,
				    char *err, size_t errlen)
{
	const struct ys_conf *k = cc->kafka;
	struct ys_consumer *c = calloc(1, sizeof(*c));
	rd_kafka_conf_t *conf = NULL;
	rd_kafka_topic_partition_list_t *subs = NULL;
	int64_t bmax, bms;
	char errstr[512];

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->m = m;
	c->by_source = cc->by_source;
	if (ys_conf_topic(k, "topics.alerts", "yunshao.alerts", c->t_alerts, sizeof(c->t_alerts)) ||
	    ys_conf_topic(k, "topics.stats", "yunshao.sensor-stats", c->t_stats,
			  sizeof(c->t_stats)) ||
	    ys_conf_topic(k, "topics.dead_letter", "yunshao.dead-letter", c->t_dead,
			  sizeof(c->t_dead)) ||
	    ys_conf_topic(k, "topics.incidents", "yunshao.incidents", c->t_incidents,
			  sizeof(c->t_incidents)) ||
	    ys_conf_topic(k, "topics.by_source", "yunshao.alerts.by-source", c->t_by_source,
			  sizeof(c->t_by_source)) ||
	    ys_conf_topic(k, "group", "yunshao-ingest", c->group, sizeof(c->group))) {
		snprintf(err, errlen, "kafka.topics / kafka.group: names must be 1..127 chars");
		goto out_free;
	}
	if (ys_conf_int(k, "batch_max", 5000, &bmax, err, errlen) ||
	    ys_conf_int(k, "batch_ms", 100, &bms, err, errlen))
		goto out_free;
	if (bmax < 1 || bmax > 1000000 || bms < 1 || bms > 60000) {
		snprintf(err, errlen, "kafka.batch_max 1..1000000, kafka.batch_ms 1..60000");
		goto out_free;
	}
	c->batch_max = (int)bmax;
	c->batch_ms = (int)bms;
	c->held = calloc((size_t)bmax, sizeof(*c->held));
	c->msgs = calloc((size_t)bmax, sizeof(*c->msgs));
	if (!c->held || !c->msgs) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	c->batch = rd_kafka_topic_partition_list_new(16);
	c->stored = rd_kafka_topic_partition_list_new(16);

	{
		const struct ys_kafka_prop defs[] = {
			{ "bootstrap.servers", "127.0.0.1:9092" },
			{ "group.id", c->group },
			{ "enable.auto.commit", "false" },
			{ "auto.offset.reset", "earliest" },
			{ "enable.partition.eof", "false" },
			{ "partition.assignment.strategy", "range,roundrobin" },
			{ "session.timeout.ms", "10000" },
			{ "heartbeat.interval.ms", "1000" },
			{ "max.poll.interval.ms", "300000" },
			{ "fetch.wait.max.ms", "50" },
			{ "client.id", "yunshao-ingest" },
		};

		conf = ys_kafka_conf_new(k, defs, sizeof(defs) / sizeof(defs[0]), err, errlen);
		if (!conf)
			goto out_free;
		rd_kafka_conf_set_opaque(conf, c);
		rd_kafka_conf_set_error_cb(conf, ys_consumer_error_cb);
		rd_kafka_conf_set_rebalance_cb(conf, ys_rebalance_cb);
		rd_kafka_conf_set_offset_commit_cb(conf, ys_offset_commit_cb);
		c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
		if (!c->rk) {
			rd_kafka_conf_destroy(conf);
			snprintf(err, errlen, "kafka consumer: %s", errstr);
			goto out_free;
		}
		conf = NULL; /* now owned by c->rk */
		rd_kafka_poll_set_consumer(c->rk);
	}
	{
		const struct ys_kafka_prop defs[] = {
			{ "bootstrap.servers", "127.0.0.1:9092" },
			{ "enable.idempotence", "true" },
			{ "acks", "all" },
			{ "linger.ms", "5" },
			{ "compression.type", "lz4" },
			{ "client.id", "yunshao-ingest" },
		};

		conf = ys_kafka_conf_new(k, defs, sizeof(defs) / sizeof(defs[0]), err, errlen);
		if (!conf)
			goto out_free;
		rd_kafka_conf_set_opaque(conf, c);
		rd_kafka_conf_set_dr_msg_cb(conf, ys_producer_dr_cb);
		rd_kafka_conf_set_error_cb(conf, ys_consumer_error_cb);
		c->prk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
		if (!c->prk) {
			rd_kafka_conf_destroy(conf);
			snprintf(err, errlen, "kafka producer: %s", errstr);
			goto out_free;
		}
		conf = NULL;
	}
	subs = rd_kafka_topic_partition_list_new(3);
	rd_kafka_topic_partition_list_add(subs, c->t_alerts, RD_KAFKA_PARTITION_UA);
	rd_kafka_topic_partition_list_add(subs, c->t_stats, RD_KAFKA_PARTITION_UA);
	if (c->by_source)
		rd_kafka_topic_partition_list_add(subs, c->t_by_source, RD_KAFKA_PARTITION_UA);
	{
		rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, subs);

		rd_kafka_topic_partition_list_destroy(subs);
		if (e) {
			snprintf(err, errlen, "kafka subscribe: %s", rd_kafka_err2str(e));
			goto out_free;
		}
	}
	{
		/* A misspelt topic is a configuration error; an absent broker is only a warning. */
		const char *need[] = { c->t_alerts, c->t_stats, c->t_dead, c->t_incidents,
				       c->t_by_source };
		int rc = ys_kafka_check_topics(c->prk, need, c->by_source ? 5 : 4, 10000, err,
					       errlen);

		/* a topic created a moment ago may not be in every broker's metadata yet */
		for (int tries = 0; rc == -ENOENT && tries < 10; tries++) {
			struct timespec ts = { 0, 500 * 1000 * 1000 };

			nanosleep(&ts, NULL);
			rc = ys_kafka_check_topics(c->prk, need, c->by_source ? 5 : 4, 10000, err,
						   errlen);
		}
		if (rc == -ENOENT)
			goto out_free;
		if (rc) {
			ys_warn(YS_CMOD, "Kafka not reachable yet (%s); consuming as soon as it is",
				err);
			err[0] = '\0';
		}
		atomic_store(&m->kafka_up, rc == 0);
	}
	ys_notice(YS_CMOD, "consumer group %s on %s, %s%s%s (batch %d / %d ms)", c->group,
		  c->t_alerts, c->t_stats, c->by_source ? ", " : "",
		  c->by_source ? c->t_by_source : "", c->batch_max, c->batch_ms);
	return c;
out_free:
	ys_consumer_free(c);
	return NULL;
}

static enum ys_msg_kind ys_kind_of(struct ys_consumer *c, const char *topic)
{
	if (strcmp(topic, c->t_stats) == 0)
		return YS_MSG_STATS;
	if (strcmp(topic, c->t_by_source) == 0)
		return YS_MSG_BY_SOURCE;
	return YS_MSG_ALERT;
}

/* Consumer lag per assigned partition of the alerts topic, for /metrics. */
static void ys_update_lag(struct ys_consumer *c)
{
	rd_kafka_topic_partition_list_t *asg = NULL;
	size_t n = 0;

	if (rd_kafka_assignment(c->rk, &asg) || !asg)
		return;
	rd_kafka_position(c->rk, asg);
	pthread_mutex_lock(&c->m->lag_lock);
	for (int i = 0; i < asg->cnt && n < YS_LAG_MAX; i++) {
		rd_kafka_topic_partition_t *tp = &asg->elems[i];
		int64_t lo = 0, hi = 0;

		if (rd_kafka_get_watermark_offsets(c->rk, tp->topic, tp->partition, &lo, &hi))
			continue;
		snprintf(c->m->lag[n].topic, sizeof(c->m->lag[n].topic), "%s", tp->topic);
		c->m->lag[n].partition = tp->partition;
		c->m->lag[n].lag = tp->offset >= 0 && hi >= tp->offset ? hi - tp->offset : 0;
		n++;
	}
	c->m->nlag = n;
	pthread_mutex_unlock(&c->m->lag_lock);
	rd_kafka_topic_partition_list_destroy(asg);
}

/*
 * Hand the messages polled so far to the pipeline in one call (it parses them
 * on two threads), then release them. Also called by the revoke callback, so
 * that nothing polled is committed without being stored. 0 or -errno (the
 * batch was rolled back and its partitions rewound).
 */
static int ys_flush_held(struct ys_consumer *c)
{
	int ret;

	if (!c->nheld)
		return 0;
	ret = ys_pipeline_add_many(c->pl, c->msgs, c->nheld);
	for (size_t i = 0; i < c->nheld; i++)
		rd_kafka_message_destroy(c->held[i]);
	c->nheld = 0;
	if (ret) {
		/* The store failed mid-batch: roll back, read it all again. */
		ys_pipeline_abort(c->pl);
		ys_batch_rewind(c);
		ys_batch_reset(c);
	}
	return ret;
}

static void ys_hold(struct ys_consumer *c, rd_kafka_message_t *msg)
{
	rd_kafka_timestamp_type_t tstype;
	int64_t ts = rd_kafka_message_timestamp(msg, &tstype);
	const char *topic = rd_kafka_topic_name(msg->rkt);

	ys_batch_note(c, msg);
	c->held[c->nheld] = msg;
	c->msgs[c->nheld] = (struct ys_msg){
		.kind = ys_kind_of(c, topic),
		.payload = msg->payload ? msg->payload : "",
		.len = msg->len,
		.kafka_ts_ms = ts > 0 ? ts : 0,
		.topic = topic,
		.partition = msg->partition,
		.offset = msg->offset,
	};
	c->nheld++;
}

int ys_consumer_run(struct ys_consumer *c, volatile sig_atomic_t *stop, void (*tick)(void *user),
		    void *user, int tick_ms)
{
	int64_t next_tick = ys_mono_ms() + tick_ms, next_lag = 0;
	int ret;

	while (!*stop) {
		int64_t deadline = 0, now;

		while (!*stop && c->nheld < (size_t)c->batch_max) {
			int64_t left = deadline ? deadline - ys_mono_ms() : 200;
			rd_kafka_message_t *msg;

			if (left <= 0)
				break;
			msg = rd_kafka_consumer_poll(c->rk, (int)(left > 200 ? 200 : left));
			if (!msg) {
				if (!deadline)
					break; /* idle: go do housekeeping */
				continue;
			}
			if (msg->err) {
				if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
					ys_warn(YS_CMOD, "consume: %s",
						rd_kafka_message_errstr(msg));
				rd_kafka_message_destroy(msg);
				continue;
			}
			atomic_store(&c->m->kafka_up, 1);
			if (!c->in_batch) {
				ret = ys_pipeline_begin(c->pl);
				if (ret) {
					/* store down: do not consume further, come back to it */
					ys_err(YS_CMOD, "store unavailable: %s", strerror(-ret));
					ys_batch_note(c, msg);
					rd_kafka_message_destroy(msg);
					ys_batch_rewind(c);
					ys_batch_reset(c);
					struct timespec ts = { 1, 0 };

					nanosleep(&ts, NULL);
					break;
				}
				c->in_batch = true;
				deadline = ys_mono_ms() + c->batch_ms;
			}
			ys_hold(c, msg);
		}
		ys_flush_held(c);
		ys_batch_finish(c, false);
		rd_kafka_poll(c->prk, 0);
		now = ys_mono_ms();
		if (tick && now >= next_tick) {
			tick(user);
			next_tick = now + tick_ms;
		}
		if (now >= next_lag) {
			ys_update_lag(c);
			next_lag = now + 1000;
		}
	}
	return 0;
}

void ys_consumer_free(struct ys_consumer *c)
{
	if (!c)
		return;
	if (c->rk) {
		if (c->pl && !ys_flush_held(c))
			ys_batch_finish(c, true);
		/* Leaving the group triggers the revoke callback, which commits what is stored. */
		rd_kafka_consumer_close(c->rk);
		rd_kafka_destroy(c->rk);
	}
	if (c->prk) {
		if (rd_kafka_flush(c->prk, 10000))
			ys_warn(YS_CMOD, "%d messages not delivered at shutdown",
				rd_kafka_outq_len(c->prk));
		rd_kafka_destroy(c->prk);
	}
	if (c->batch)
		rd_kafka_topic_partition_list_destroy(c->batch);
	if (c->stored)
		rd_kafka_topic_partition_list_destroy(c->stored);
	for (size_t i = 0; i < c->nheld; i++)
		rd_kafka_message_destroy(c->held[i]);
	free(c->held);
	free(c->msgs);
	free(c);
}
