/*
 * The sensor's Prometheus endpoint (GET /metrics, text exposition format
 * 0.0.4) and its control socket (reload, stats). Both run in their own
 * threads; they only read published snapshots and raise requests that the
 * main thread carries out, so they never touch a worker's state.
 */
#ifndef YS_METRICS_H
#define YS_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* A growable text buffer the fill callback appends exposition lines to. */
struct ys_text {
	char *buf;
	size_t len, cap;
};

void ys_text_printf(struct ys_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends the current metrics to T; called from the HTTP thread. */
typedef void (*ys_metrics_fill_fn)(struct ys_text *t, void *user);

struct ys_metrics;

/* Listen on ADDR ("127.0.0.1:9101", "[::1]:9101" or ":9101"). NULL + errno, reason in ERR. */
struct ys_metrics *ys_metrics_new(const char *addr, ys_metrics_fill_fn fill, void *user, char *err,
				  size_t errlen);
void ys_metrics_free(struct ys_metrics *m);

/*
 * Control socket: a Unix stream socket at PATH taking one command per line:
 *   reload   -> "ok generation N" once every worker runs the new rules,
 *               or "error <reason>" (the old rules keep running)
 *   stats    -> one line of JSON
 *   version  -> "yunshao-sensor <version>"
 * The handler runs in the control thread and returns the reply (malloc'd).
 */
typedef char *(*ys_control_fn)(const char *cmd, void *user);

struct ys_control;

struct ys_control *ys_control_new(const char *path, ys_control_fn fn, void *user, char *err,
				  size_t errlen);
void ys_control_free(struct ys_control *c);

#endif /* YS_METRICS_H */
