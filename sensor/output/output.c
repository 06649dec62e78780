/*
 * Output: formats each alert once (output_eve.c) and hands the same bytes to
 * every configured sink: the eve.json file (here) and Kafka behind its
 * write-ahead spool (output_kafka.c). A sink that fails does not stop the
 * others; every failure is counted.
 */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "output_eve.h"
#include "output_sink.h"
#include "ys_log.h"

#define YS_OUTPUT_MAX_SINKS 4

struct ys_output {
	struct ys_eve_ctx eve;
	struct ys_sink sinks[YS_OUTPUT_MAX_SINKS];
	size_t nsinks;
	_Atomic uint64_t alerts, write_errors;
	/* Alerts per tenant, by ys_tenant_index(); the last slot counts unknown tenant ids. */
	_Atomic uint64_t *tenant_alerts;
	size_t ntenant_alerts;
	void *kafka; /* the Kafka sink, also in sinks[]; NULL when not configured */
};

struct ys_output_worker {
	struct ys_output *out;
	struct ys_jbuf jb;
	uint64_t alerts;
};

/* ---- eve.json file sink ------------------------------------------------- */

struct ys_file_sink {
	int fd;
	char *path;
	pthread_mutex_t lock;
	/* Records are buffered here and written only whole, so a reader (tail -f, a log
	 * shipper, a test) never sees half a line, whatever the buffer size. */
	char *buf;
	size_t len, cap;
	uint64_t errors;
};

/* Write out the buffer; called with the lock held. */
static int ys_file_sink_drain(struct ys_file_sink *fs)
{
	size_t off = 0;

	while (off < fs->len) {
		ssize_t w = write(fs->fd, fs->buf + off, fs->len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			fs->errors++;
			fs->len = 0; /* the disk refuses: count it, do not grow without bound */
			return -errno;
		}
		off += (size_t)w;
	}
	fs->len = 0;
	return 0;
}

static int ys_file_sink_write(void *sink, const char *json, size_t len,
			      const struct ys_sink_meta *m)
{
	struct ys_file_sink *fs = sink;
	int r = 0;

	(void)m;
	pthread_mutex_lock(&fs->lock);
	if (fs->len + len + 1 > fs->cap)
		r = ys_file_sink_drain(fs);
	if (len + 1 > fs->cap) {
		/* Larger than the whole buffer: write it directly, record then newline. */
		struct iovec iov[2] = { { (void *)json, len }, { "\n", 1 } };

		if (writev(fs->fd, iov, 2) != (ssize_t)(len + 1)) {
			fs->errors++;
			r = -EIO;
		}
	} else {
		memcpy(fs->buf + fs->len, json, len);
		fs->buf[fs->len + len] = '\n';
		fs->len += len + 1;
	}
	pthread_mutex_unlock(&fs->lock);
	return r;
}

static void ys_file_sink_flush(void *sink, int timeout_ms)
{
	struct ys_file_sink *fs = sink;

	(void)timeout_ms;
	pthread_mutex_lock(&fs->lock);
	ys_file_sink_drain(fs);
	pthread_mutex_unlock(&fs->lock);
}

static void ys_file_sink_tick(void *sink, uint64_t now_usec)
{
	(void)now_usec;
	/* Keep eve.json at most a tick behind, for tail -f and log shippers. */
	ys_file_sink_flush(sink, 0);
}

static void ys_file_sink_stats(void *sink, struct ys_output_stats *st)
{
	struct ys_file_sink *fs = sink;

	pthread_mutex_lock(&fs->lock);
	st->write_errors += fs->errors;
	pthread_mutex_unlock(&fs->lock);
}

static void ys_file_sink_free(void *sink)
{
	struct ys_file_sink *fs = sink;

	if (!fs)
		return;
	if (fs->fd >= 0) {
		ys_file_sink_drain(fs);
		if (close(fs->fd) != 0)
			ys_err("output", "closing %s: %s", fs->path, strerror(errno));
	}
	pthread_mutex_destroy(&fs->lock);
	free(fs->buf);
	free(fs->path);
	free(fs);
}

static const struct ys_sink_ops ys_file_sink_ops = {
	.name = "eve-file",
	.write = ys_file_sink_write,
	.tick = ys_file_sink_tick,
	.flush = ys_file_sink_flush,
	.stats = ys_file_sink_stats,
	.free = ys_file_sink_free,
};

#define YS_FILE_SINK_BUF (1u << 20)

static struct ys_file_sink *ys_file_sink_new(const char *path, bool append, char *err,
					     size_t errlen)
{
	struct ys_file_sink *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->fd = -1;
	fs->path = strdup(path);
	fs->buf = malloc(YS_FILE_SINK_BUF);
	fs->cap = YS_FILE_SINK_BUF;
	if (!fs->path || !fs->buf)
		goto out_free;
	/* Read access too, to look at the last byte of a file we append to. */
	fs->fd = open(path, O_CREAT | O_CLOEXEC | (append ? O_RDWR | O_APPEND : O_WRONLY | O_TRUNC),
		      0640);
	if (fs->fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		goto out_free;
	}
	if (append) {
		/* A writer killed mid-write(2) can leave a torn last line; start ours on a line of
		 * its own so that the torn one stays the only bad line. */
		off_t end = lseek(fs->fd, 0, SEEK_END);
		char last = '\n';

		if (end > 0 && pread(fs->fd, &last, 1, end - 1) == 1 && last != '\n' &&
		    write(fs->fd, "\n", 1) != 1)
			fs->errors++;
	}
	pthread_mutex_init(&fs->lock, NULL);
	return fs;

out_free:
	free(fs->buf);
	free(fs->path);
	free(fs);
	return NULL;
}

/* ---- output ------------------------------------------------------------- */

static int ys_output_add_sink(struct ys_output *out, const struct ys_sink_ops *ops, void *impl)
{
	if (out->nsinks == YS_OUTPUT_MAX_SINKS)
		return -ENOSPC;
	out->sinks[out->nsinks].ops = ops;
	out->sinks[out->nsinks].impl = impl;
	out->nsinks++;
	return 0;
}

struct ys_output *ys_output_new(const struct ys_output_params *params, char *err, size_t errlen)
{
	const struct ys_conf *conf = params->conf;
	struct ys_output *out;
	char path[4096];
	bool eve_enabled = true, append = false, kafka_enabled = false;

	out = calloc(1, sizeof(*out));
	if (!out)
		return NULL;
	out->eve.tenants = params->tenants;
	out->ntenant_alerts = ys_tenant_count(params->tenants) + 1;
	out->tenant_alerts = calloc(out->ntenant_alerts, sizeof(*out->tenant_alerts));
	if (!out->tenant_alerts)
		goto out_free;
	out->eve.sensor = params->sensor;
	out->eve.include_payload = params->include_payload;

	if (ys_conf_bool(conf, "outputs.eve.enabled", true, &eve_enabled, err, errlen) ||
	    ys_conf_bool(conf, "outputs.eve.append", false, &append, err, errlen))
		goto out_free;
	if (params->eve_path) {
		snprintf(path, sizeof(path), "%s", params->eve_path);
		eve_enabled = true;
	} else {
		const char *name = ys_conf_str(conf, "outputs.eve.filename", "eve.json");

		if (name[0] == '/')
			snprintf(path, sizeof(path), "%s", name);
		else
			snprintf(path, sizeof(path), "%s/%s",
				 params->log_dir ? params->log_dir : ".", name);
	}
	if (ys_conf_bool(conf, "outputs.kafka.enabled", false, &kafka_enabled, err, errlen))
		goto out_free;
	if (kafka_enabled) {
		void *ks = ys_sink_kafka_new(ys_conf_get(conf, "outputs.kafka"), &out->eve.sensor,
					     err, errlen);

		if (!ks)
			goto out_free;
		ys_output_add_sink(out, &ys_sink_kafka_ops, ks);
		out->kafka = ks;
	}
	/* After Kafka: an alert is in the write-ahead spool before it is in eve.json, so a
	 * crash between the two writes never leaves a file line that Kafka will not get. */
	if (eve_enabled) {
		struct ys_file_sink *fs = ys_file_sink_new(path, append, err, errlen);

		if (!fs)
			goto out_free;
		ys_output_add_sink(out, &ys_file_sink_ops, fs);
	}
	return out;

out_free:
	ys_output_free(out);
	return NULL;
}

void ys_output_free(struct ys_output *out)
{
	if (!out)
		return;
	ys_output_flush(out, 30000);
	for (size_t i = 0; i < out->nsinks; i++)
		out->sinks[i].ops->free(out->sinks[i].impl);
	free(out->tenant_alerts);
	free(out);
}

struct ys_output_worker *ys_output_worker_new(struct ys_output *out)
{
	struct ys_output_worker *ow = calloc(1, sizeof(*ow));

	if (!ow)
		return NULL;
	ow->out = out;
	ys_jbuf_init(&ow->jb);
	return ow;
}

void ys_output_worker_free(struct ys_output_worker *ow)
{
	if (!ow)
		return;
	ys_jbuf_free(&ow->jb);
	free(ow);
}

uint64_t ys_output_worker_alerts(const struct ys_output_worker *ow)
{
	return ow->alerts;
}

static uint64_t ys_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int ys_output_alert(struct ys_output_worker *ow, const struct ys_alert *alert)
{
	struct ys_output *out = ow->out;
	char event_id[YS_UUID_STR_LEN];
	struct ys_sink_meta m;
	int ret = 0;

	ys_eve_format_alert(&ow->jb, alert, &out->eve, event_id);
	if (ow->jb.oom) {
		atomic_fetch_add_explicit(&out->write_errors, 1, memory_order_relaxed);
		ys_err("output", "out of memory formatting alert sid %u", alert->sig->sid);
		return -ENOMEM;
	}
	m.tenant = ys_tenant_name(out->eve.tenants, alert->pkt->tenant_id);
	m.tenant_id = alert->pkt->tenant_id;
	m.severity = alert->sig->priority;
	m.event_id = event_id;
	m.ts_usec = alert->pkt->ts_usec;
	m.detect_usec = ys_now_usec();
	for (size_t i = 0; i < out->nsinks; i++) {
		int r = out->sinks[i].ops->write(out->sinks[i].impl, ow->jb.buf, ow->jb.len, &m);

		if (r)
			ret = r;
	}
	ow->alerts++;
	atomic_fetch_add_explicit(&out->alerts, 1, memory_order_relaxed);
	{
		const struct ys_tenant *t = ys_tenant_get(out->eve.tenants, m.tenant_id);
		size_t idx = t ? ys_tenant_index(out->eve.tenants, t) : out->ntenant_alerts - 1;

		atomic_fetch_add_explicit(&out->tenant_alerts[idx], 1, memory_order_relaxed);
	}
	return ret;
}

uint64_t ys_output_tenant_alerts(struct ys_output *out, size_t tenant_index)
{
	if (tenant_index >= out->ntenant_alerts)
		tenant_index = out->ntenant_alerts - 1;
	return atomic_load_explicit(&out->tenant_alerts[tenant_index], memory_order_relaxed);
}

void ys_output_set_stats_fn(struct ys_output *out, ys_stats_json_fn fn, void *user)
{
	if (out->kafka)
		ys_sink_kafka_set_stats_fn(out->kafka, fn, user);
}

void ys_output_flush(struct ys_output *out, int timeout_ms)
{
	for (size_t i = 0; i < out->nsinks; i++)
		out->sinks[i].ops->flush(out->sinks[i].impl, timeout_ms);
}

void ys_output_tick(struct ys_output *out, uint64_t now_usec)
{
	for (size_t i = 0; i < out->nsinks; i++)
		out->sinks[i].ops->tick(out->sinks[i].impl, now_usec);
}

void ys_output_get_stats(struct ys_output *out, struct ys_output_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->alerts = atomic_load(&out->alerts);
	st->write_errors = atomic_load(&out->write_errors);
	for (size_t i = 0; i < out->nsinks; i++)
		out->sinks[i].ops->stats(out->sinks[i].impl, st);
}
