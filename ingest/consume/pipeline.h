/*
 * The ingest pipeline for one batch of Kafka messages, without Kafka:
 *   validate -> de-duplicate (event_id) -> store -> correlate -> incidents.
 * The consumer (consume.c) polls a batch, hands each message to
 * ys_pipeline_add() between ys_pipeline_begin() and ys_pipeline_commit(),
 * then commits the Kafka offsets only when commit returned 0: a crash
 * anywhere replays the batch, and the store's unique event_id makes the
 * replay harmless (a duplicate is neither stored nor correlated twice).
 *
 * What must leave through Kafka goes to the OUT callbacks: rejected messages
 * (dead letter, with the reason), alert summaries re-keyed by source address
 * (the by-source repartition), and incidents after they are stored.
 *
 * Threading: one pipeline per consumer thread. The metrics it updates are
 * atomics read by the API thread.
 */
#ifndef YS_INGEST_PIPELINE_H
#define YS_INGEST_PIPELINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "correlate.h"
#include "store.h"

enum ys_msg_kind {
	YS_MSG_ALERT,	  /* yunshao.alerts */
	YS_MSG_STATS,	  /* yunshao.sensor-stats */
	YS_MSG_BY_SOURCE, /* yunshao.alerts.by-source */
};

struct ys_msg {
	enum ys_msg_kind kind;
	const char *payload; /* not NUL-terminated */
	size_t len;
	int64_t kafka_ts_ms; /* producer create time, 0 if unknown */
	const char *topic;
	int32_t partition;
	int64_t offset;
};

struct ys_pipeline_out {
	void *user;
	/* A message that cannot be stored; REASON is one line. */
	void (*dead_letter)(void *user, const struct ys_msg *m, const char *reason);
	/* An alert summary for the by-source topic, key = source address. */
	void (*by_source)(void *user, const char *key, const char *json, size_t len);
	/* A stored incident (created or updated), key = tenant. Called after the store commit. */
	void (*incident)(void *user, const char *tenant, const char *json, size_t len);
};

/* Delay samples (seconds) kept for quantiles in /metrics: a ring of the latest. */
#define YS_DELAY_RING 65536

struct ys_delay_ring {
	pthread_mutex_t lock;
	float v[YS_DELAY_RING];
	size_t n, next;
	uint64_t count;
	double sum;
};

struct ys_lag {
	char topic[64];
	int32_t partition;
	int64_t lag;
};

#define YS_LAG_MAX 64

/* Counters for /metrics, shared between the consumer thread and the API thread. */
struct ys_ingest_metrics {
	atomic_uint_fast64_t consumed, stored, duplicates, dead_letter, stats, by_source_out,
		by_source_in, batches, batch_failures, incidents_created, incidents_updated,
		corr_matched, purged, kafka_commit_failures, corr_groups, corr_evicted, corr_fired,
		corr_dropped;
	atomic_uint_fast64_t incidents_by_level[4];
	atomic_int kafka_up;
	struct ys_delay_ring to_store, to_incident;
	pthread_mutex_t lag_lock;
	struct ys_lag lag[YS_LAG_MAX];
	size_t nlag;
};

void ys_ingest_metrics_init(struct ys_ingest_metrics *m);
void ys_ingest_metrics_destroy(struct ys_ingest_metrics *m);
void ys_delay_observe(struct ys_delay_ring *r, double seconds);
/* Quantile Q (0..1) of the samples in the ring; 0 when empty. */
double ys_delay_quantile(struct ys_delay_ring *r, double q);
/* OUT[i] = quantile QS[i] of the ring (0 when empty), from one sorted copy. */
void ys_delay_quantiles(struct ys_delay_ring *r, const double *qs, double *out, size_t nq);

struct ys_pipeline_conf {
	size_t max_message_bytes; /* default 1 MiB */
	int64_t heartbeat_s;	  /* default sensor-stats interval when a message has none */
	bool by_source;		  /* produce by-source summaries */
};

struct ys_pipeline;

/* ST, ENG and M are borrowed and must outlive the pipeline. ENG may be NULL (no rules). */
struct ys_pipeline *ys_pipeline_new(struct ys_store *st, struct ys_corr_engine *eng,
				    struct ys_ingest_metrics *m, const struct ys_pipeline_conf *c,
				    const struct ys_pipeline_out *out);
void ys_pipeline_free(struct ys_pipeline *pl);

int ys_pipeline_begin(struct ys_pipeline *pl);
/*
 * Process one message. Returns 0 when it was handled (stored, a duplicate, or
 * dead-lettered), or -errno when the store failed: the caller must abort the
 * batch and retry it (the messages stay uncommitted in Kafka).
 */
int ys_pipeline_add(struct ys_pipeline *pl, const struct ys_msg *m);
/* The same for N messages in order; parsing and validation run on two threads. */
int ys_pipeline_add_many(struct ys_pipeline *pl, const struct ys_msg *m, size_t n);
/* Store the incidents, commit, then hand incidents to OUT. 0 or -errno (batch rolled back). */
int ys_pipeline_commit(struct ys_pipeline *pl);
void ys_pipeline_abort(struct ys_pipeline *pl);
size_t ys_pipeline_pending(const struct ys_pipeline *pl);

/*
 * Housekeeping between batches: raise a warning incident for each sensor
 * silent for more than 3 heartbeat intervals (once per silence), expire
 * correlation groups, and purge data older than RETENTION_US every
 * PURGE_EVERY_US. NOW in usec.
 */
int ys_pipeline_tick(struct ys_pipeline *pl, int64_t now, int64_t retention_us,
		     int64_t purge_every_us);

#endif /* YS_INGEST_PIPELINE_H */
