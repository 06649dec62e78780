/*
 * The Kafka side of the ingest: a consumer in a consumer group on
 * yunshao.alerts, yunshao.sensor-stats and (when a rule needs it)
 * yunshao.alerts.by-source, and a producer for yunshao.dead-letter,
 * yunshao.alerts.by-source and yunshao.incidents.
 *
 * Offsets are committed by hand, after the store has committed the batch:
 * poll up to batch_max messages or batch_ms, one store transaction, flush what
 * was produced (dead letters, summaries), then commit the offsets. When the
 * group rebalances, the revoke callback first finishes and commits the batch
 * in hand, so the next owner of a partition starts right after what is
 * stored. Config (ingest.yaml "kafka" node; brokers/tls/sasl/librdkafka keys
 * as in common/ys_kafka.h):
 *   kafka: { brokers: 127.0.0.1:9092, group: yunshao-ingest, batch_max: 5000,
 *            batch_ms: 100, max_message_bytes: 1mb,
 *            topics: { alerts, stats, dead_letter, incidents, by_source } }
 *
 * Threading: ys_consumer_run() runs in the calling thread until *STOP is set.
 */
#ifndef YS_INGEST_CONSUME_H
#define YS_INGEST_CONSUME_H

#include <signal.h>
#include <stddef.h>

#include "pipeline.h"
#include "ys_config.h"

struct ys_consumer;

struct ys_consumer_conf {
	const struct ys_conf *kafka; /* the "kafka" node (may be NULL: defaults) */
	bool by_source;		     /* subscribe to and produce the by-source topic */
};

/* Builds the pipeline's Kafka outputs into OUT (the consumer is their user). */
struct ys_consumer *ys_consumer_new(const struct ys_consumer_conf *c, struct ys_ingest_metrics *m,
				    char *err, size_t errlen);
/* The pipeline outputs that produce through this consumer's producer. */
void ys_consumer_outputs(struct ys_consumer *c, struct ys_pipeline_out *out);
/* Borrow PL (created with ys_consumer_outputs()) for processing. */
void ys_consumer_set_pipeline(struct ys_consumer *c, struct ys_pipeline *pl);
/* Run until *STOP; every TICK_MS call TICK(USER). Returns 0 or -errno. */
int ys_consumer_run(struct ys_consumer *c, volatile sig_atomic_t *stop, void (*tick)(void *user),
		    void *user, int tick_ms);
/* Leave the group cleanly (commits what is stored) and free. */
void ys_consumer_free(struct ys_consumer *c);

#endif /* YS_INGEST_CONSUME_H */
