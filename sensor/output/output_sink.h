/*
 * Alert sinks: where formatted EVE records go. output.c formats each alert
 * once and hands the same bytes to every sink (the eve.json file, Kafka
 * through its write-ahead spool), so a consumer can compare them byte for byte.
 *
 * Threading: write() is called from any worker thread; a sink serialises
 * internally. tick(), flush(), stats() and free() are called from the main
 * thread only.
 */
#ifndef YS_OUTPUT_SINK_H
#define YS_OUTPUT_SINK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "output.h"
#include "ys_config.h"

/* What a sink may need to know about a record besides its bytes. */
struct ys_sink_meta {
	const char *tenant; /* tenant name: the Kafka key */
	uint32_t tenant_id;
	int severity;	      /* 1 (high) .. 4; spool drops the least severe first */
	const char *event_id; /* UUIDv7 */
	uint64_t ts_usec;     /* packet time */
	uint64_t detect_usec; /* wall clock when detected (latency measurement) */
};

struct ys_sink_ops {
	const char *name;
	/* 0 or -errno. JSON is one record without a trailing newline. */
	int (*write)(void *sink, const char *json, size_t len, const struct ys_sink_meta *m);
	void (*tick)(void *sink, uint64_t now_usec);
	/* Deliver everything still queued, waiting at most TIMEOUT_MS. */
	void (*flush)(void *sink, int timeout_ms);
	/* Add this sink's counters to ST. */
	void (*stats)(void *sink, struct ys_output_stats *st);
	void (*free)(void *sink);
};

struct ys_sink {
	const struct ys_sink_ops *ops;
	void *impl;
};

/*
 * Kafka sink (output_kafka.c) over the write-ahead spool (output_spool.c).
 * KAFKA_NODE is the "outputs.kafka" node. Returns NULL + errno with a one-line
 * reason in ERR when the configuration is unusable.
 */
void *ys_sink_kafka_new(const struct ys_conf *kafka_node, const struct ys_sensor_identity *id,
			char *err, size_t errlen);
extern const struct ys_sink_ops ys_sink_kafka_ops;
/* Register the callback that fills periodic yunshao.sensor-stats messages. */
void ys_sink_kafka_set_stats_fn(void *sink, ys_stats_json_fn fn, void *user);

#endif /* YS_OUTPUT_SINK_H */
