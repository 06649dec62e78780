/*
 * librdkafka helpers shared by the sensor's Kafka sink and the ingest
 * consumer: one way to turn a YAML "kafka" node into an rd_kafka_conf_t, so
 * both sides accept the same brokers / TLS / SASL keys and report a bad value
 * the same way ("yunshao.yaml:12: outputs.kafka.tls.ca: /x: No such file or
 * directory"), plus a start-time check that the brokers answer and the topics
 * exist, and librdkafka's log routed into ys_log.
 *
 * Keys read below NODE (all optional):
 *   brokers: "host:port,host:port" or a sequence      -> bootstrap.servers
 *   client-id: string                                  -> client.id
 *   tls: { enabled, ca, cert, key, key-password, verify-hostname }
 *   sasl: { mechanism: SCRAM-SHA-256|SCRAM-SHA-512|PLAIN, username, password }
 *   librdkafka: { any.librdkafka.property: value }     (passed through verbatim, last)
 * TLS and SASL select security.protocol (ssl, sasl_ssl, sasl_plaintext).
 * Files named by tls.* are checked for readability here, so a typo is an
 * error at start and not a handshake failure much later.
 *
 * Threading: the functions are reentrant; the conf they return belongs to the
 * caller until rd_kafka_new() takes it.
 */
#ifndef YS_KAFKA_H
#define YS_KAFKA_H

#include <stdbool.h>
#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "ys_config.h"

/* A property pair for ys_kafka_conf_new(): applied before the YAML, so config wins. */
struct ys_kafka_prop {
	const char *name, *value;
};

/*
 * Build a librdkafka configuration from DEFAULTS (NDEFAULTS pairs, may be NULL)
 * and then NODE (may be NULL). Installs ys_kafka_log_cb as the log callback.
 * Returns NULL + errno (EINVAL, ENOENT, EACCES) with a one-line reason in ERR.
 */
rd_kafka_conf_t *ys_kafka_conf_new(const struct ys_conf *node, const struct ys_kafka_prop *defaults,
				   size_t ndefaults, char *err, size_t errlen);

/* Brokers as configured ("brokers" scalar or sequence joined by ','), into OUT. 0 or -errno. */
int ys_kafka_brokers(const struct ys_conf *node, const char *def, char *out, size_t outlen);

/*
 * Ask the cluster for metadata of TOPICS (NTOPICS names) within TIMEOUT_MS.
 * 0 when every topic exists and has partitions; -ETIMEDOUT when no broker
 * answered; -ENOENT when a topic is unknown (its name in ERR); other -errno
 * for other failures. Never creates a topic.
 */
int ys_kafka_check_topics(rd_kafka_t *rk, const char *const *topics, size_t ntopics, int timeout_ms,
			  char *err, size_t errlen);

/* rd_kafka log callback that writes through ys_log, module "kafka". */
void ys_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf);

#endif /* YS_KAFKA_H */
