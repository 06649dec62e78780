/*
 * Output: turns alerts into Suricata EVE JSON (plus tenant, sensor, tunnel and
 * event_id) and delivers each to every configured sink: the eve.json file,
 * and Kafka through a write-ahead disk spool (output_kafka.c, output_spool.c).
 *
 * Threading: each worker formats through its own struct ys_output_worker
 * (its buffer and counters); sinks serialise internally. Ownership: the output
 * keeps no pointer into the alert after the call returns.
 */
#ifndef YS_OUTPUT_H
#define YS_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "detect.h"
#include "tenant.h"
#include "ys_config.h"

struct ys_sensor_identity {
	const char *id;	  /* sensor.id, default: host name */
	const char *rack; /* sensor.rack, default "" */
	const char *host; /* gethostname() */
};

struct ys_output_params {
	const struct ys_conf *conf; /* root config (outputs.* read from it), may be NULL */
	const char *log_dir;	    /* -l: eve.json and stats.json go here */
	const char *eve_path;	    /* --eve: overrides log_dir/eve.json */
	const struct ys_tenant_map *tenants;
	struct ys_sensor_identity sensor;
	bool include_payload; /* payload (base64) in alerts; default true */
};

struct ys_output_stats {
	uint64_t alerts; /* alerts written */
	uint64_t write_errors;
	uint64_t kafka_delivered, kafka_failed, kafka_queued;
	uint64_t spool_bytes, spool_records, spool_dropped;
};

struct ys_output;

struct ys_output *ys_output_new(const struct ys_output_params *params, char *err, size_t errlen);
/* Flushes every sink (Kafka: waits for delivery up to the configured timeout). NULL-safe. */
void ys_output_free(struct ys_output *out);

/* Per-worker formatting state; one per worker thread, freed before the output. */
struct ys_output_worker;
struct ys_output_worker *ys_output_worker_new(struct ys_output *out);
void ys_output_worker_free(struct ys_output_worker *ow);

/* Format and deliver one alert. 0 or -errno (counted; the alert stays in the spool). */
int ys_output_alert(struct ys_output_worker *ow, const struct ys_alert *alert);
/* Alerts this worker wrote. */
uint64_t ys_output_worker_alerts(const struct ys_output_worker *ow);
/* Alerts written for the tenant at TENANT_INDEX (ys_tenant_index); index ys_tenant_count()
 * counts alerts whose tenant id the map does not know. */
uint64_t ys_output_tenant_alerts(struct ys_output *out, size_t tenant_index);
/* Fills the periodic yunshao.sensor-stats message (Kafka) with the sensor's counters. */
typedef void (*ys_stats_json_fn)(void *user, json_t *obj);
void ys_output_set_stats_fn(struct ys_output *out, ys_stats_json_fn fn, void *user);

/* Deliver what every sink still holds (Kafka: wait for acknowledgements), at most TIMEOUT_MS. */
void ys_output_flush(struct ys_output *out, int timeout_ms);

/* Periodic work: Kafka polling, spool compaction, sensor-stats. Call from the main thread. */
void ys_output_tick(struct ys_output *out, uint64_t now_usec);
void ys_output_get_stats(struct ys_output *out, struct ys_output_stats *st);

#endif /* YS_OUTPUT_H */
