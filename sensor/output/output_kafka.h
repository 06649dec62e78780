/*
 * Kafka sink internals that tests and the benchmark need beyond the ops table
 * in output_sink.h (private to sensor/output and its tests).
 *
 * Configuration (the "outputs.kafka" node; brokers/tls/sasl/librdkafka as in
 * common/ys_kafka.h):
 *   topic: yunshao.alerts             stats-topic: yunshao.sensor-stats
 *   stats-interval: 10 (seconds, 0 = off)
 *   compression: lz4 | zstd | gzip | snappy | none
 *   linger-ms: 5                      max-inflight: 50000 (records handed to librdkafka)
 *   startup-timeout-ms: 5000          require-broker: no (yes: unreachable = start error)
 *   flush-timeout-ms: 10000           (a stop waits at most this long for acks; the
 *                                      rest stays spooled and is sent on the next start)
 *   spool: { dir: /var/lib/yunshao/spool, max-size: 1gb, segment-size: 0 (auto),
 *            fsync: interval | always | none, fsync-interval-ms: 1000 }
 *
 * Threading: the sink runs a thread of its own that polls librdkafka
 * (delivery reports), re-sends spooled records and writes acks, and a second
 * one for disk waits (fdatasync, closing deleted segments); write()
 * may be called from any thread; tick() (sensor-stats, which calls the
 * registered stats_json callback) from the main thread.
 */
#ifndef YS_OUTPUT_KAFKA_H
#define YS_OUTPUT_KAFKA_H

#include <stdint.h>

#include "output_sink.h"
#include "output_spool.h"

struct ys_kafka_latency {
	uint64_t count;
	uint64_t p50_usec, p99_usec, max_usec; /* detection (ys_sink_meta.detect_usec) to ack */
};

/* Latency from detection to Kafka acknowledgement of every alert acked so far. */
void ys_sink_kafka_latency(void *sink, struct ys_kafka_latency *lat);
/* Reset the latency histogram (benchmark phases). */
void ys_sink_kafka_latency_reset(void *sink);
void ys_sink_kafka_spool_stats(void *sink, struct ys_spool_stats *st);
/* Tests: raise a fatal idempotence error in the producer; how many times it was replaced. */
void ys_sink_kafka_test_fatal(void *sink);
uint64_t ys_sink_kafka_recreated(void *sink);
/* Alerts sent without a spool copy because the spool's disk failed (logged as errors). */
uint64_t ys_sink_kafka_unspooled(void *sink);

#endif /* YS_OUTPUT_KAFKA_H */
