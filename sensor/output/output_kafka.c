/*
 * Kafka sink: alerts to yunshao.alerts (key = tenant name, header
 * schema: yunshao.alert/1) and periodic health to yunshao.sensor-stats
 * (key = sensor id), through the write-ahead spool so that nothing is lost
 * while the broker is down or when the sensor dies.
 *
 * Path of one alert: write() appends it to the spool; if fewer than
 * max-inflight records are with librdkafka and nothing older waits in the
 * spool, it is produced at once from the caller's bytes, otherwise it waits
 * and the sink's thread produces it from disk, oldest first, as room frees.
 * The delivery report (idempotent producer, acks=all) releases it from the
 * spool, or puts it back in the queue when delivery failed, so a broker
 * outage longer than message.timeout.ms only means the record is sent again.
 *
 * Delivery reports and re-sends run on the sink's own thread, disk waits on
 * a second one; every spool call is made under the sink's mutex. If the
 * spool's disk fails, an alert is sent from memory rather than lost (counted
 * as unspooled); a fatal error of the idempotent producer replaces it.
 */
#include "output_kafka.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "ys_event.h"
#include "ys_kafka.h"
#include "ys_log.h"

#define YS_KMOD		  "kafka"
#define YS_LAT_BUCKET_US  50
#define YS_LAT_BUCKETS	  20000	  /* 50 us .. 1 s; slower ones land in the last bucket */
#define YS_KAFKA_ERR_LOGS 1000000 /* usec between repeats of the same warning */
/* The opaque of an alert the spool could not take (disk error): sent from memory only */
#define YS_KAFKA_UNSPOOLED UINT64_MAX

struct ys_sink_kafka {
	pthread_mutex_t lock; /* spool, counters, latency */
	rd_kafka_t *rk;
	rd_kafka_queue_t *mainq;    /* delivery reports and errors (event API) */
	rd_kafka_conf_t *conf_tmpl; /* to build a new producer after a fatal error */
	atomic_bool fatal;
	uint64_t fatal_retry_usec;
	struct ys_spool *spool;
	char *topic, *stats_topic;
	char *sensor_id, *sensor_rack, *sensor_host;
	unsigned max_inflight;
	int flush_timeout_ms;
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;
	char *drainbuf;
	uint64_t retry_after_usec; /* backoff after a failed delivery */

	uint64_t delivered, failed, retried, produce_errors, recreated;
	uint64_t unspooled, last_spool_err_usec;
	uint64_t stats_sent, stats_failed;
	uint64_t last_warn_usec;
	rd_kafka_resp_err_t last_err;

	ys_stats_json_fn stats_fn;
	void *stats_user;
	uint64_t stats_interval_usec, last_stats_usec;

	/* Disk waits (fdatasync of the spool, the last close of a deleted segment)
	 * happen on a thread of their own: the poll thread must never stall behind
	 * the disk, or acknowledgements (and the latency) would wait with it. */
	pthread_t syncer;
	bool syncer_started;
	pthread_mutex_t io_lock;
	pthread_cond_t io_cv;
	struct {
		int fd;
		bool sync; /* fdatasync before close */
	} io[128];
	size_t nio;
	bool io_stop;

	uint32_t *lat; /* histogram, YS_LAT_BUCKETS */
	uint64_t lat_count, lat_max;
};

static uint64_t ys_mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t ys_wall_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void ys_kafka_lat_add(struct ys_sink_kafka *k, uint64_t detect_usec)
{
	uint64_t now = ys_wall_usec();
	uint64_t d = now > detect_usec ? now - detect_usec : 0;
	uint64_t b = d / YS_LAT_BUCKET_US;

	if (!detect_usec)
		return;
	k->lat[b < YS_LAT_BUCKETS ? b : YS_LAT_BUCKETS - 1]++;
	k->lat_count++;
	if (d > k->lat_max)
		k->lat_max = d;
}

/* Rate-limited warning: the same broker error may arrive thousands of times a second. */
static bool ys_kafka_should_warn(struct ys_sink_kafka *k, rd_kafka_resp_err_t err)
{
	uint64_t now = ys_mono_usec();

	if (err == k->last_err && now - k->last_warn_usec < YS_KAFKA_ERR_LOGS)
		return false;
	k->last_err = err;
	k->last_warn_usec = now;
	return true;
}

/* Errors after which sending the same bytes again can never succeed. */
static bool ys_kafka_err_fatal(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_INVALID_MSG:
	case RD_KAFKA_RESP_ERR_INVALID_RECORD:
		return true;
	default:
		return false;
	}
}

/* One delivery report. Called with the lock held. */
static void ys_kafka_dr_one(struct ys_sink_kafka *k, const rd_kafka_message_t *msg)
{
	uint64_t id = (uint64_t)(uintptr_t)msg->_private;

	if (!id) { /* sensor-stats: not spooled, a lost one is replaced by the next */
		if (msg->err)
			k->stats_failed++;
		else
			k->stats_sent++;
		return;
	}
	if (id == YS_KAFKA_UNSPOOLED) {
		if (!msg->err) {
			k->delivered++;
			return;
		}
		/* no spool copy to send again: a loss, and it is counted and said */
		k->failed++;
		ys_err(YS_KMOD,
		       "alert sent without a spool copy (spool write failed) was not delivered: "
		       "%s; lost and counted",
		       rd_kafka_err2str(msg->err));
		return;
	}
	if (!msg->err) {
		ys_kafka_lat_add(k, ys_spool_ack(k->spool, id));
		k->delivered++;
		return;
	}
	if (msg->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
	    msg->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
		/* shutting down: it stays in the spool for the next start */
		ys_spool_nack(k->spool, id, false);
		return;
	}
	if (ys_kafka_err_fatal(msg->err)) {
		k->failed++;
		ys_err(YS_KMOD, "alert of %zu bytes rejected by Kafka (%s): dropped and counted",
		       msg->len, rd_kafka_err2str(msg->err));
		ys_spool_nack(k->spool, id, true);
		return;
	}
	k->retried++;
	if (ys_kafka_should_warn(k, msg->err))
		ys_warn(YS_KMOD,
			"delivery to %s failed (%s); the alert stays spooled and is sent again",
			k->topic, rd_kafka_err2str(msg->err));
	ys_spool_nack(k->spool, id, false);
	k->retry_after_usec = ys_mono_usec() + 500000;
}

static void ys_kafka_on_error(struct ys_sink_kafka *k, rd_kafka_resp_err_t err, const char *reason,
			      bool fatal)
{
	bool warn;

	pthread_mutex_lock(&k->lock);
	warn = ys_kafka_should_warn(k, err);
	pthread_mutex_unlock(&k->lock);
	if (fatal || err == RD_KAFKA_RESP_ERR__FATAL) {
		char buf[512];
		rd_kafka_resp_err_t orig = rd_kafka_fatal_error(k->rk, buf, sizeof(buf));

		/* the idempotent producer cannot go on (e.g. a sequence gap): the
		 * thread replaces it and re-sends from the spool */
		ys_err(YS_KMOD,
		       "fatal producer error %s: %s; replacing the producer, unacknowledged alerts "
		       "are sent again from the spool",
		       rd_kafka_err2name(orig), buf);
		atomic_store(&k->fatal, true);
		return;
	}
	if (!warn)
		return;
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		ys_warn(YS_KMOD,
			"all brokers down (%s): alerts are kept in the spool until one answers",
			reason);
	else
		ys_warn(YS_KMOD, "%s: %s", rd_kafka_err2name(err), reason);
}

/*
 * Serve librdkafka's events for up to TIMEOUT_MS: delivery reports come in
 * batches (the event API), so the lock is taken once per batch rather than
 * once per alert, which keeps writers from queueing behind acknowledgements.
 */
static void ys_kafka_serve(struct ys_sink_kafka *k, int timeout_ms)
{
	rd_kafka_event_t *ev;

	while ((ev = rd_kafka_queue_poll(k->mainq, timeout_ms))) {
		switch (rd_kafka_event_type(ev)) {
		case RD_KAFKA_EVENT_DR: {
			const rd_kafka_message_t *msg;

			pthread_mutex_lock(&k->lock);
			while ((msg = rd_kafka_event_message_next(ev)))
				ys_kafka_dr_one(k, msg);
			pthread_mutex_unlock(&k->lock);
			break;
		}
		case RD_KAFKA_EVENT_ERROR:
			ys_kafka_on_error(k, rd_kafka_event_error(ev),
					  rd_kafka_event_error_string(ev),
					  rd_kafka_event_error_is_fatal(ev));
			break;
		default:
			break;
		}
		rd_kafka_event_destroy(ev);
		timeout_ms = 0; /* drain what is ready, then return */
	}
}

/* Produce one spooled record. Called with the lock held. */
static rd_kafka_resp_err_t ys_kafka_produce(struct ys_sink_kafka *k, uint64_t id, const char *key,
					    size_t keylen, const char *val, size_t vallen)
{
	return rd_kafka_producev(
		k->rk, RD_KAFKA_V_TOPIC(k->topic), RD_KAFKA_V_KEY(key, keylen),
		RD_KAFKA_V_VALUE((void *)val, vallen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		RD_KAFKA_V_HEADER("schema", YS_EVENT_SCHEMA, (ssize_t)strlen(YS_EVENT_SCHEMA)),
		RD_KAFKA_V_OPAQUE((void *)(uintptr_t)id), RD_KAFKA_V_END);
}

/* Hand queued records to librdkafka while there is room. Lock held. */
static void ys_kafka_drain(struct ys_sink_kafka *k)
{
	struct ys_spool_stats st;

	if (k->retry_after_usec) {
		if (ys_mono_usec() < k->retry_after_usec)
			return;
		k->retry_after_usec = 0;
	}
	for (;;) {
		struct ys_spool_rec rec;
		rd_kafka_resp_err_t e;

		ys_spool_get_stats(k->spool, &st);
		if (!st.queued || st.inflight >= k->max_inflight)
			break;
		if (ys_spool_next(k->spool, &rec, k->drainbuf, YS_SPOOL_MAX_RECORD) != 1)
			break;
		e = ys_kafka_produce(k, rec.id, rec.key, rec.keylen, rec.val, rec.vallen);
		if (e) {
			ys_spool_nack(k->spool, rec.id, false);
			if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
				k->produce_errors++;
				if (ys_kafka_should_warn(k, e))
					ys_warn(YS_KMOD, "produce to %s: %s (kept in spool)",
						k->topic, rd_kafka_err2str(e));
				k->retry_after_usec = ys_mono_usec() + 500000;
			}
			break;
		}
	}
}

/*
 * After a fatal error: a new producer from the saved configuration. What the
 * old one still held goes back to the spool's queue (a record it did deliver
 * but could not report may be sent twice: consumers drop it by event_id).
 * Called from the sink's thread only, which is the only one to swap rk.
 */
static void ys_kafka_recreate(struct ys_sink_kafka *k)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_dup(k->conf_tmpl);
	rd_kafka_t *rk, *old_rk;
	rd_kafka_queue_t *old_q;
	char errstr[512];
	uint64_t n;

	/* let the old producer report what it can: fewer duplicates */
	rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	ys_kafka_serve(k, 100);
	pthread_mutex_lock(&k->lock);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		k->fatal_retry_usec = ys_mono_usec() + 5000000;
		pthread_mutex_unlock(&k->lock);
		ys_err(YS_KMOD, "cannot create a new producer: %s (retrying in 5 s)", errstr);
		return;
	}
	conf = NULL; /* now owned by rk */
	/* nothing is in flight on the new producer yet: every in-flight record
	 * belongs to the old one */
	n = ys_spool_requeue_inflight(k->spool);
	old_rk = k->rk;
	old_q = k->mainq;
	k->rk = rk;
	k->mainq = rd_kafka_queue_get_main(rk);
	atomic_store(&k->fatal, false);
	k->recreated++;
	pthread_mutex_unlock(&k->lock);
	ys_notice(YS_KMOD, "new producer started; %" PRIu64 " alerts re-queued from the spool", n);
	rd_kafka_queue_destroy(old_q);
	rd_kafka_destroy(old_rk);
}

static void ys_kafka_io_run(int fd, bool sync)
{
	if (sync && fdatasync(fd))
		ys_warn(YS_KMOD, "spool fdatasync failed: %s", strerror(errno));
	close(fd);
}

/* Hand descriptors to the syncer thread (or, if its queue is full, do it here). */
static void ys_kafka_io_push(struct ys_sink_kafka *k, const int *fds, size_t n, bool sync)
{
	size_t i = 0;

	if (!n)
		return;
	pthread_mutex_lock(&k->io_lock);
	for (; i < n && k->nio < sizeof(k->io) / sizeof(k->io[0]); i++) {
		k->io[k->nio].fd = fds[i];
		k->io[k->nio].sync = sync;
		k->nio++;
	}
	pthread_cond_signal(&k->io_cv);
	pthread_mutex_unlock(&k->io_lock);
	for (; i < n; i++)
		ys_kafka_io_run(fds[i], sync);
}

static void *ys_kafka_syncer(void *arg)
{
	struct ys_sink_kafka *k = arg;

	pthread_mutex_lock(&k->io_lock);
	while (!k->io_stop || k->nio) {
		int fds[128];
		bool sync[128];
		size_t n = k->nio;

		if (!n) {
			pthread_cond_wait(&k->io_cv, &k->io_lock);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			fds[i] = k->io[i].fd;
			sync[i] = k->io[i].sync;
		}
		k->nio = 0;
		pthread_mutex_unlock(&k->io_lock);
		for (size_t i = 0; i < n; i++)
			ys_kafka_io_run(fds[i], sync[i]);
		pthread_mutex_lock(&k->io_lock);
	}
	pthread_mutex_unlock(&k->io_lock);
	return NULL;
}

static void *ys_kafka_thread(void *arg)
{
	struct ys_sink_kafka *k = arg;
	int fds[16], cfds[16];

	while (!atomic_load(&k->stop)) {
		size_t n, nc;

		ys_kafka_serve(k, 5);
		if (atomic_load(&k->fatal) && ys_mono_usec() >= k->fatal_retry_usec)
			ys_kafka_recreate(k);
		pthread_mutex_lock(&k->lock);
		ys_kafka_drain(k);
		n = ys_spool_sync(k->spool, ys_mono_usec(), fds, sizeof(fds) / sizeof(fds[0]));
		nc = ys_spool_take_closing(k->spool, cfds, sizeof(cfds) / sizeof(cfds[0]));
		pthread_mutex_unlock(&k->lock);
		/* writers keep appending and acks keep coming while the disk works */
		ys_kafka_io_push(k, fds, n, true);
		ys_kafka_io_push(k, cfds, nc, false);
	}
	return NULL;
}

static int ys_sink_kafka_write(void *sink, const char *json, size_t len,
			       const struct ys_sink_meta *m)
{
	struct ys_sink_kafka *k = sink;
	const char *tenant = m && m->tenant ? m->tenant : "";
	uint64_t detect = m && m->detect_usec ? m->detect_usec : ys_wall_usec();
	struct ys_spool_stats st;
	bool direct;
	uint64_t id;
	int rc;

	pthread_mutex_lock(&k->lock);
	ys_spool_get_stats(k->spool, &st);
	/* straight to librdkafka only when nothing older is waiting: keeps order */
	direct = !st.queued && st.inflight < k->max_inflight &&
		 (!k->retry_after_usec || ys_mono_usec() >= k->retry_after_usec);
	rc = ys_spool_append(k->spool, m ? m->severity : 3, detect, tenant, strlen(tenant), json,
			     len, direct, &id);
	if (rc == 0 && direct) {
		rd_kafka_resp_err_t e = ys_kafka_produce(k, id, tenant, strlen(tenant), json, len);

		if (e) /* queue full or similar: the thread sends it from the spool */
			ys_spool_nack(k->spool, id, false);
	} else if (rc && rc != -ENOBUFS && rc != -EMSGSIZE) {
		/* the spool's disk failed (full, I/O error): rather than lose the
		 * alert, send it from memory without its write-ahead copy */
		uint64_t now = ys_mono_usec();
		int spool_rc = rc;

		rc = ys_kafka_produce(k, YS_KAFKA_UNSPOOLED, tenant, strlen(tenant), json, len)
			     ? spool_rc
			     : 0;
		if (!rc)
			k->unspooled++;
		else
			k->failed++;
		if (!k->last_spool_err_usec || now - k->last_spool_err_usec >= YS_KAFKA_ERR_LOGS) {
			k->last_spool_err_usec = now;
			ys_err(YS_KMOD,
			       "spool write failed (%s): %" PRIu64
			       " alerts so far sent without a write-ahead copy (a crash now would "
			       "lose them)",
			       strerror(-spool_rc), k->unspooled);
		}
	}
	pthread_mutex_unlock(&k->lock);
	if (rc == -EMSGSIZE)
		ys_err(YS_KMOD,
		       "alert of %zu bytes is larger than the spool's record limit: dropped", len);
	return rc;
}

static void ys_sink_kafka_send_stats(struct ys_sink_kafka *k, uint64_t now_usec)
{
	struct ys_output_stats os;
	struct ys_spool_stats ss;
	char ts[YS_EVE_TS_LEN];
	json_t *o, *sp, *ko, *sev;
	char *text;
	rd_kafka_resp_err_t e;

	(void)now_usec;
	memset(&os, 0, sizeof(os));
	pthread_mutex_lock(&k->lock);
	ys_spool_get_stats(k->spool, &ss);
	o = json_object();
	ys_eve_timestamp(ys_wall_usec(), ts);
	json_object_set_new(o, "timestamp", json_string(ts));
	json_object_set_new(o, "event_type", json_string("stats"));
	json_object_set_new(o, "sensor",
			    json_pack("{s:s, s:s, s:s}", "id", k->sensor_id, "rack", k->sensor_rack,
				      "host", k->sensor_host));
	ko = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "delivered", (json_int_t)k->delivered,
		       "failed", (json_int_t)k->failed, "retried", (json_int_t)k->retried,
		       "inflight", (json_int_t)ss.inflight, "queued", (json_int_t)ss.queued,
		       "unspooled", (json_int_t)k->unspooled);
	sev = json_pack("{s:I, s:I, s:I, s:I}", "1", (json_int_t)ss.dropped_by_sev[1], "2",
			(json_int_t)ss.dropped_by_sev[2], "3", (json_int_t)ss.dropped_by_sev[3],
			"4", (json_int_t)ss.dropped_by_sev[4]);
	sp = json_pack("{s:I, s:I, s:I, s:I, s:o}", "bytes", (json_int_t)ss.bytes, "records",
		       (json_int_t)ss.records, "dropped", (json_int_t)ss.dropped, "corrupt",
		       (json_int_t)ss.corrupt, "dropped_by_severity", sev);
	pthread_mutex_unlock(&k->lock);
	json_object_set_new(o, "kafka", ko);
	json_object_set_new(o, "spool", sp);
	/* the sensor's own counters (packets, flows, alerts...), from the main thread */
	if (k->stats_fn)
		k->stats_fn(k->stats_user, o);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return;
	pthread_mutex_lock(&k->lock); /* the thread may swap k->rk after a fatal error */
	e = rd_kafka_producev(k->rk, RD_KAFKA_V_TOPIC(k->stats_topic),
			      RD_KAFKA_V_KEY(k->sensor_id, strlen(k->sensor_id)),
			      RD_KAFKA_V_VALUE(text, strlen(text)),
			      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE), RD_KAFKA_V_OPAQUE(NULL),
			      RD_KAFKA_V_END);
	if (e) {
		free(text);
		k->stats_failed++;
	}
	pthread_mutex_unlock(&k->lock);
}

static void ys_sink_kafka_tick(void *sink, uint64_t now_usec)
{
	struct ys_sink_kafka *k = sink;

	if (!k->stats_interval_usec)
		return;
	if (k->last_stats_usec && now_usec - k->last_stats_usec < k->stats_interval_usec)
		return;
	k->last_stats_usec = now_usec;
	ys_sink_kafka_send_stats(k, now_usec);
}

static void ys_sink_kafka_flush(void *sink, int timeout_ms)
{
	struct ys_sink_kafka *k = sink;
	uint64_t deadline;

	/* outputs.kafka.flush-timeout-ms bounds how long a stop waits for Kafka:
	 * whatever is not acknowledged by then stays in the spool for the next start */
	if (timeout_ms < 0 || timeout_ms > k->flush_timeout_ms)
		timeout_ms = k->flush_timeout_ms;
	deadline = ys_mono_usec() + (uint64_t)timeout_ms * 1000;

	for (;;) {
		struct ys_spool_stats st;

		pthread_mutex_lock(&k->lock);
		ys_spool_get_stats(k->spool, &st);
		pthread_mutex_unlock(&k->lock);
		if (!st.records || ys_mono_usec() >= deadline) {
			if (st.records)
				ys_warn(YS_KMOD,
					"flush: %" PRIu64 " alerts not yet acknowledged after %d "
					"ms stay in the spool",
					st.records, timeout_ms);
			break;
		}
		struct timespec ts = { 0, 5 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	/* A last heartbeat with the final counters (what was delivered, what stays
	 * spooled), so the central service does not keep the numbers of a tick ago. */
	if (k->stats_interval_usec)
		ys_sink_kafka_send_stats(k, ys_wall_usec());
	/* sensor-stats are not spooled; give them the same chance (the thread
	 * serves their delivery reports) */
	for (int i = 0; i < 20; i++) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		int outq;

		pthread_mutex_lock(&k->lock);
		outq = rd_kafka_outq_len(k->rk);
		pthread_mutex_unlock(&k->lock);
		if (outq <= 0)
			break;
		nanosleep(&ts, NULL);
	}
}

static void ys_sink_kafka_stats(void *sink, struct ys_output_stats *st)
{
	struct ys_sink_kafka *k = sink;
	struct ys_spool_stats ss;

	pthread_mutex_lock(&k->lock);
	ys_spool_get_stats(k->spool, &ss);
	st->kafka_delivered += k->delivered;
	st->kafka_failed += k->failed;
	st->kafka_queued += ss.records;
	st->spool_bytes += ss.bytes;
	st->spool_records += ss.records;
	st->spool_dropped += ss.dropped;
	pthread_mutex_unlock(&k->lock);
}

static void ys_sink_kafka_free(void *sink)
{
	struct ys_sink_kafka *k = sink;

	if (!k)
		return;
	if (k->thread_started) {
		atomic_store(&k->stop, true);
		pthread_join(k->thread, NULL);
	}
	if (k->syncer_started) {
		pthread_mutex_lock(&k->io_lock);
		k->io_stop = true;
		pthread_cond_signal(&k->io_cv);
		pthread_mutex_unlock(&k->io_lock);
		pthread_join(k->syncer, NULL);
	}
	if (k->rk) {
		/* what is still with librdkafka goes back to the spool (purge reports
		 * arrive through the delivery callback), so the next start sends it */
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		if (k->mainq) {
			ys_kafka_serve(k, 100);
			rd_kafka_queue_destroy(k->mainq);
		}
		rd_kafka_destroy(k->rk);
	}
	if (k->spool) {
		struct ys_spool_stats st;

		ys_spool_get_stats(k->spool, &st);
		if (st.records)
			ys_notice(YS_KMOD,
				  "%" PRIu64 " alerts left in the spool for the next start",
				  st.records);
		ys_spool_close(k->spool);
	}
	if (k->conf_tmpl)
		rd_kafka_conf_destroy(k->conf_tmpl);
	pthread_mutex_destroy(&k->lock);
	pthread_mutex_destroy(&k->io_lock);
	pthread_cond_destroy(&k->io_cv);
	free(k->drainbuf);
	free(k->lat);
	free(k->topic);
	free(k->stats_topic);
	free(k->sensor_id);
	free(k->sensor_rack);
	free(k->sensor_host);
	free(k);
}

const struct ys_sink_ops ys_sink_kafka_ops = {
	.name = "kafka",
	.write = ys_sink_kafka_write,
	.tick = ys_sink_kafka_tick,
	.flush = ys_sink_kafka_flush,
	.stats = ys_sink_kafka_stats,
	.free = ys_sink_kafka_free,
};

void ys_sink_kafka_set_stats_fn(void *sink, ys_stats_json_fn fn, void *user)
{
	struct ys_sink_kafka *k = sink;

	k->stats_fn = fn;
	k->stats_user = user;
}

void ys_sink_kafka_latency(void *sink, struct ys_kafka_latency *lat)
{
	struct ys_sink_kafka *k = sink;
	uint64_t seen = 0, p50 = 0, p99 = 0;
	bool have50 = false;

	pthread_mutex_lock(&k->lock);
	lat->count = k->lat_count;
	lat->max_usec = k->lat_max;
	for (uint32_t b = 0; b < YS_LAT_BUCKETS && k->lat_count; b++) {
		seen += k->lat[b];
		if (!have50 && seen * 2 >= k->lat_count) {
			p50 = (uint64_t)(b + 1) * YS_LAT_BUCKET_US;
			have50 = true;
		}
		if (seen * 100 >= k->lat_count * 99) {
			p99 = (uint64_t)(b + 1) * YS_LAT_BUCKET_US;
			break;
		}
	}
	pthread_mutex_unlock(&k->lock);
	lat->p50_usec = p50;
	lat->p99_usec = p99;
}

void ys_sink_kafka_latency_reset(void *sink)
{
	struct ys_sink_kafka *k = sink;

	pthread_mutex_lock(&k->lock);
	memset(k->lat, 0, YS_LAT_BUCKETS * sizeof(k->lat[0]));
	k->lat_count = k->lat_max = 0;
	pthread_mutex_unlock(&k->lock);
}

void ys_sink_kafka_test_fatal(void *sink)
{
	struct ys_sink_kafka *k = sink;

	pthread_mutex_lock(&k->lock);
	rd_kafka_test_fatal_error(k->rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
				  "injected by a test");
	pthread_mutex_unlock(&k->lock);
}

uint64_t ys_sink_kafka_unspooled(void *sink)
{
	struct ys_sink_kafka *k = sink;
	uint64_t n;

	pthread_mutex_lock(&k->lock);
	n = k->unspooled;
	pthread_mutex_unlock(&k->lock);
	return n;
}

uint64_t ys_sink_kafka_recreated(void *sink)
{
	struct ys_sink_kafka *k = sink;
	uint64_t n;

	pthread_mutex_lock(&k->lock);
	n = k->recreated;
	pthread_mutex_unlock(&k->lock);
	return n;
}

void ys_sink_kafka_spool_stats(void *sink, struct ys_spool_stats *st)
{
	struct ys_sink_kafka *k = sink;

	pthread_mutex_lock(&k->lock);
	ys_spool_get_stats(k->spool, st);
	pthread_mutex_unlock(&k->lock);
}

static int ys_sink_kafka_spool_params(const struct ys_conf *node, struct ys_spool_params *sp,
				      char *err, size_t errlen)
{
	const char *fs = ys_conf_str(node, "spool.fsync", "interval");
	int64_t ms;
	int rc;

	memset(sp, 0, sizeof(*sp));
	sp->dir = ys_conf_str(node, "spool.dir", "/var/lib/yunshao/spool");
	rc = ys_conf_size(node, "spool.max-size", YS_SPOOL_DEFAULT_SIZE, &sp->max_bytes, err,
			  errlen);
	if (!rc)
		rc = ys_conf_size(node, "spool.segment-size", 0, &sp->segment_bytes, err, errlen);
	if (!rc)
		rc = ys_conf_int(node, "spool.fsync-interval-ms", 1000, &ms, err, errlen);
	if (rc)
		return rc;
	if (ms < 1 || ms > 3600000) {
		snprintf(err, errlen, "spool.fsync-interval-ms: %" PRId64 ": expected 1..3600000",
			 ms);
		return -EINVAL;
	}
	sp->fsync_interval_ms = (unsigned)ms;
	if (ys_spool_parse_fsync(fs, &sp->fsync)) {
		snprintf(err, errlen, "spool.fsync: '%s': expected interval, always or none", fs);
		return -EINVAL;
	}
	if (sp->max_bytes < (64u << 10)) {
		snprintf(err, errlen, "spool.max-size: at least 64kb");
		return -EINVAL;
	}
	return 0;
}

/* Before the thread runs: did the failed start-up check fail because the
 * brokers rejected our credentials or the TLS handshake failed? Then say so
 * (in ERR): that is a configuration error, not an outage to spool through. */
static bool ys_kafka_auth_failed(struct ys_sink_kafka *k, char *err, size_t errlen)
{
	rd_kafka_event_t *ev;
	bool failed = false;

	while ((ev = rd_kafka_queue_poll(k->mainq, 0))) {
		rd_kafka_resp_err_t e = rd_kafka_event_error(ev);
		const char *why = rd_kafka_event_error_string(ev);

		if (rd_kafka_event_type(ev) != RD_KAFKA_EVENT_ERROR || failed || !why) {
			rd_kafka_event_destroy(ev);
			continue;
		}
		if (e == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
			snprintf(err, errlen, "authentication failed: %s", why);
			failed = true;
		} else if (e == RD_KAFKA_RESP_ERR__SSL ||
			   (e == RD_KAFKA_RESP_ERR__TRANSPORT &&
			    (strstr(why, "SSL") || strstr(why, "certificate")))) {
			/* a broker that answers but fails the handshake: wrong CA,
			 * missing or rejected client certificate, TLS to a plaintext port */
			snprintf(err, errlen, "TLS handshake failed: %s", why);
			failed = true;
		}
		rd_kafka_event_destroy(ev);
	}
	return failed;
}

static char *ys_strdup_or(const char *s, const char *def)
{
	return strdup(s ? s : def);
}

void *ys_sink_kafka_new(const struct ys_conf *node, const struct ys_sensor_identity *id, char *err,
			size_t errlen)
{
	struct ys_sink_kafka *k;
	struct ys_spool_params spp;
	rd_kafka_conf_t *conf = NULL;
	char linger[24], rderr[512], cerr[512];
	const char *compression = ys_conf_str(node, "compression", "lz4");
	const char *topics[2];
	int64_t v, startup_ms, stats_s;
	bool require_broker;
	int rc;

	k = calloc(1, sizeof(*k));
	if (!k) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&k->lock, NULL);
	pthread_mutex_init(&k->io_lock, NULL);
	pthread_cond_init(&k->io_cv, NULL);
	k->topic = strdup(ys_conf_str(node, "topic", "yunshao.alerts"));
	k->stats_topic = strdup(ys_conf_str(node, "stats-topic", "yunshao.sensor-stats"));
	k->sensor_id = ys_strdup_or(id ? id->id : NULL, "unknown");
	k->sensor_rack = ys_strdup_or(id ? id->rack : NULL, "");
	k->sensor_host = ys_strdup_or(id ? id->host : NULL, "");
	k->drainbuf = malloc(YS_SPOOL_MAX_RECORD);
	k->lat = calloc(YS_LAT_BUCKETS, sizeof(k->lat[0]));
	if (!k->topic || !k->stats_topic || !k->sensor_id || !k->sensor_rack || !k->sensor_host ||
	    !k->drainbuf || !k->lat) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out_free;
	}

	cerr[0] = '\0';
	rc = ys_conf_int(node, "max-inflight", 50000, &v, cerr, sizeof(cerr));
	if (!rc && (v < 1 || v > 1000000)) {
		snprintf(cerr, sizeof(cerr), "max-inflight: %" PRId64 ": expected 1..1000000", v);
		rc = -EINVAL;
	}
	k->max_inflight = (unsigned)v;
	if (!rc)
		rc = ys_conf_int(node, "linger-ms", 5, &v, cerr, sizeof(cerr));
	snprintf(linger, sizeof(linger), "%" PRId64, v);
	if (!rc)
		rc = ys_conf_int(node, "startup-timeout-ms", 5000, &startup_ms, cerr, sizeof(cerr));
	if (!rc)
		rc = ys_conf_int(node, "flush-timeout-ms", 10000, &v, cerr, sizeof(cerr));
	k->flush_timeout_ms = v < 0 ? 0 : v > 3600000 ? 3600000 : (int)v;
	if (!rc)
		rc = ys_conf_int(node, "stats-interval", 10, &stats_s, cerr, sizeof(cerr));
	if (!rc)
		rc = ys_conf_bool(node, "require-broker", false, &require_broker, cerr,
				  sizeof(cerr));
	if (!rc)
		rc = ys_sink_kafka_spool_params(node, &spp, cerr, sizeof(cerr));
	if (rc) {
		snprintf(err, errlen, "outputs.kafka.%s", cerr);
		goto out_free;
	}
	k->stats_interval_usec = stats_s > 0 ? (uint64_t)stats_s * 1000000u : 0;

	{
		/* the delivery guarantee is not configurable: these come first and
		 * librdkafka pass-through may only tune around them */
		const struct ys_kafka_prop defs[] = {
			{ "bootstrap.servers", "127.0.0.1:9092" },
			{ "enable.idempotence", "true" },
			{ "acks", "all" },
			{ "compression.codec", compression },
			{ "linger.ms", linger },
			{ "message.timeout.ms", "300000" },
			{ "queue.buffering.max.messages", "1000000" },
			{ "queue.buffering.max.kbytes", "1048576" },
			{ "batch.num.messages", "10000" },
			{ "socket.keepalive.enable", "true" },
			/* requests go out when linger.ms says, not when Nagle and the
			 * broker's delayed ACK agree: fewer 40 ms stalls */
			{ "socket.nagle.disable", "true" },
			{ "client.id", "yunshao-sensor" },
		};

		conf = ys_kafka_conf_new(node, defs, sizeof(defs) / sizeof(defs[0]), cerr,
					 sizeof(cerr));
		if (!conf) {
			rc = -errno;
			snprintf(err, errlen, "outputs.kafka: %s", cerr);
			goto out_free;
		}
	}
	if (rd_kafka_conf_set(conf, "enable.idempotence", "true", rderr, sizeof(rderr)) ||
	    rd_kafka_conf_set(conf, "acks", "all", rderr, sizeof(rderr))) {
		snprintf(err, errlen, "outputs.kafka: %s", rderr);
		rc = -EINVAL;
		goto out_conf;
	}
	rd_kafka_conf_set_opaque(conf, k);
	/* delivery reports and errors as events on the main queue, served in batches */
	rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR);

	k->spool = ys_spool_open(&spp, cerr, sizeof(cerr));
	if (!k->spool) {
		rc = -errno;
		snprintf(err, errlen, "outputs.kafka.spool: %s", cerr);
		goto out_conf;
	}

	k->conf_tmpl = rd_kafka_conf_dup(conf);
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, rderr, sizeof(rderr));
	if (!k->rk) {
		/* bad TLS material shows up here: librdkafka loads it at creation */
		snprintf(err, errlen, "outputs.kafka: cannot create producer: %s", rderr);
		rc = -EINVAL;
		goto out_conf;
	}
	conf = NULL; /* now owned by rk */
	k->mainq = rd_kafka_queue_get_main(k->rk);

	topics[0] = k->topic;
	topics[1] = k->stats_topic;
	rc = ys_kafka_check_topics(k->rk, topics, 2, (int)startup_ms, cerr, sizeof(cerr));
	if (rc == -ETIMEDOUT && ys_kafka_auth_failed(k, cerr, sizeof(cerr))) {
		/* the brokers answer but refuse us: a configuration error, not an outage */
		snprintf(err, errlen, "outputs.kafka: %s", cerr);
		rc = -EACCES;
		goto out_free;
	}
	if (rc == -ETIMEDOUT && !require_broker) {
		char brokers[512];

		ys_kafka_brokers(node, "127.0.0.1:9092", brokers, sizeof(brokers));
		ys_warn(YS_KMOD,
			"brokers %s unreachable at start (%s): alerts are spooled in %s until they "
			"answer",
			brokers, cerr, spp.dir);
		rc = 0;
	} else if (rc) {
		snprintf(err, errlen, "outputs.kafka: %s", cerr);
		goto out_free;
	}

	if (pthread_create(&k->syncer, NULL, ys_kafka_syncer, k)) {
		snprintf(err, errlen, "outputs.kafka: cannot start thread");
		rc = -EAGAIN;
		goto out_free;
	}
	k->syncer_started = true;
	if (pthread_create(&k->thread, NULL, ys_kafka_thread, k)) {
		snprintf(err, errlen, "outputs.kafka: cannot start thread");
		rc = -EAGAIN;
		goto out_free;
	}
	k->thread_started = true;
	return k;

out_conf:
	if (conf)
		rd_kafka_conf_destroy(conf);
out_free:
	ys_sink_kafka_free(k);
	errno = rc < 0 ? -rc : EINVAL;
	return NULL;
}
