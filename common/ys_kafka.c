/*
 * librdkafka configuration from YAML, a start-time metadata check and log
 * routing, shared by the sensor's Kafka sink and the ingest consumer (see
 * ys_kafka.h for the keys). Every rejected value is reported with the file and
 * line of the YAML node, because "Invalid value for configuration property"
 * alone does not tell an operator which of three config files to open.
 */
#include "ys_kafka.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ys_log.h"

static void ys_kafka_where(const struct ys_conf *n, char *buf, size_t len)
{
	if (n)
		snprintf(buf, len, "%s:%u: ", n->file ? n->file : "-", n->line);
	else if (len)
		buf[0] = '\0';
}

/* Set one property; on failure write "file:line: path: errstr". */
static int ys_kafka_set(rd_kafka_conf_t *conf, const char *name, const char *value,
			const struct ys_conf *at, const char *path, char *err, size_t errlen)
{
	char rderr[256];
	char where[256];

	if (rd_kafka_conf_set(conf, name, value, rderr, sizeof(rderr)) == RD_KAFKA_CONF_OK)
		return 0;
	ys_kafka_where(at, where, sizeof(where));
	snprintf(err, errlen, "%s%s: %s", where, path ? path : name, rderr);
	return -EINVAL;
}

int ys_kafka_brokers(const struct ys_conf *node, const char *def, char *out, size_t outlen)
{
	const struct ys_conf *b = ys_conf_get(node, "brokers");
	size_t used = 0;

	if (!outlen)
		return -EINVAL;
	out[0] = '\0';
	if (!b) {
		if (!def)
			return -ENOENT;
		if ((size_t)snprintf(out, outlen, "%s", def) >= outlen)
			return -ENAMETOOLONG;
		return 0;
	}
	if (b->type == YS_CONF_SCALAR) {
		if ((size_t)snprintf(out, outlen, "%s", b->value) >= outlen)
			return -ENAMETOOLONG;
		return 0;
	}
	for (const struct ys_conf *c = ys_conf_first(b); c; c = c->next) {
		int n;

		if (c->type != YS_CONF_SCALAR)
			return -EINVAL;
		n = snprintf(out + used, outlen - used, "%s%s", used ? "," : "", c->value);
		if (n < 0 || (size_t)n >= outlen - used)
			return -ENAMETOOLONG;
		used += (size_t)n;
	}
	return used ? 0 : -ENOENT;
}

/* tls.<key> names a file that must be readable now. */
static int ys_kafka_file(rd_kafka_conf_t *conf, const struct ys_conf *tls, const char *key,
			 const char *prop, char *err, size_t errlen)
{
	const struct ys_conf *n = ys_conf_get(tls, key);
	char where[256];
	char path[64];

	if (!n)
		return 0;
	snprintf(path, sizeof(path), "tls.%s", key);
	ys_kafka_where(n, where, sizeof(where));
	if (n->type != YS_CONF_SCALAR || !n->value[0]) {
		snprintf(err, errlen, "%s%s: expected a file name", where, path);
		return -EINVAL;
	}
	if (access(n->value, R_OK) != 0) {
		int e = errno;

		snprintf(err, errlen, "%s%s: %s: %s", where, path, n->value, strerror(e));
		return -e;
	}
	return ys_kafka_set(conf, prop, n->value, n, path, err, errlen);
}

static int ys_kafka_security(rd_kafka_conf_t *conf, const struct ys_conf *node, char *err,
			     size_t errlen)
{
	const struct ys_conf *tls = ys_conf_get(node, "tls");
	const struct ys_conf *sasl = ys_conf_get(node, "sasl");
	bool use_tls = false, verify = true;
	const char *proto;
	int rc;

	if (tls) {
		rc = ys_conf_bool(tls, "enabled", true, &use_tls, err, errlen);
		if (rc)
			return rc;
		rc = ys_conf_bool(tls, "verify-hostname", true, &verify, err, errlen);
		if (rc)
			return rc;
	}
	if (use_tls) {
		rc = ys_kafka_file(conf, tls, "ca", "ssl.ca.location", err, errlen);
		if (!rc)
			rc = ys_kafka_file(conf, tls, "cert", "ssl.certificate.location", err,
					   errlen);
		if (!rc)
			rc = ys_kafka_file(conf, tls, "key", "ssl.key.location", err, errlen);
		if (rc)
			return rc;
		if (ys_conf_get(tls, "key-password")) {
			rc = ys_kafka_set(
				conf, "ssl.key.password", ys_conf_str(tls, "key-password", ""),
				ys_conf_get(tls, "key-password"), "tls.key-password", err, errlen);
			if (rc)
				return rc;
		}
		rc = ys_kafka_set(conf, "ssl.endpoint.identification.algorithm",
				  verify ? "https" : "none", tls, "tls.verify-hostname", err,
				  errlen);
		if (rc)
			return rc;
	}
	if (sasl) {
		const char *mech = ys_conf_str(sasl, "mechanism", "SCRAM-SHA-512");
		const char *user = ys_conf_str(sasl, "username", NULL);
		const char *pass = ys_conf_str(sasl, "password", NULL);
		char where[256];

		ys_kafka_where(sasl, where, sizeof(where));
		if (strcasecmp(mech, "SCRAM-SHA-256") && strcasecmp(mech, "SCRAM-SHA-512") &&
		    strcasecmp(mech, "PLAIN")) {
			snprintf(err, errlen,
				 "%ssasl.mechanism: '%s': expected SCRAM-SHA-256, SCRAM-SHA-512 or "
				 "PLAIN",
				 where, mech);
			return -EINVAL;
		}
		if (!user || !pass) {
			snprintf(err, errlen, "%ssasl: username and password are both required",
				 where);
			return -EINVAL;
		}
		/* librdkafka before 2.6.1 repeats the client nonce in the SCRAM
		 * client-final-message; Kafka 4.x checks it strictly (RFC 5802) and
		 * rejects the login as "invalid credentials" (librdkafka#4895) */
		if (strncasecmp(mech, "SCRAM", 5) == 0 && rd_kafka_version() < 0x02060100)
			ys_warn("kafka",
				"%ssasl.mechanism %s: librdkafka %s cannot log in to Kafka 4.x "
				"brokers with SCRAM (fixed in librdkafka 2.6.1); use Kafka 3.x "
				"brokers, SASL PLAIN over TLS, or a newer librdkafka",
				where, mech, rd_kafka_version_str());
		rc = ys_kafka_set(conf, "sasl.mechanisms", mech, sasl, "sasl.mechanism", err,
				  errlen);
		if (!rc)
			rc = ys_kafka_set(conf, "sasl.username", user, sasl, "sasl.username", err,
					  errlen);
		if (!rc)
			rc = ys_kafka_set(conf, "sasl.password", pass, sasl, "sasl.password", err,
					  errlen);
		if (rc)
			return rc;
	}
	if (sasl)
		proto = use_tls ? "sasl_ssl" : "sasl_plaintext";
	else
		proto = use_tls ? "ssl" : "plaintext";
	return ys_kafka_set(conf, "security.protocol", proto, tls ? tls : sasl, "security.protocol",
			    err, errlen);
}

rd_kafka_conf_t *ys_kafka_conf_new(const struct ys_conf *node, const struct ys_kafka_prop *defaults,
				   size_t ndefaults, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const struct ys_conf *raw;
	char brokers[1024];
	int rc = 0;

	if (!conf) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	rd_kafka_conf_set_log_cb(conf, ys_kafka_log_cb);
	for (size_t i = 0; i < ndefaults && !rc; i++)
		rc = ys_kafka_set(conf, defaults[i].name, defaults[i].value, NULL, NULL, err,
				  errlen);
	if (rc)
		goto out_destroy;

	rc = ys_kafka_brokers(node, NULL, brokers, sizeof(brokers));
	if (rc == 0)
		rc = ys_kafka_set(conf, "bootstrap.servers", brokers, ys_conf_get(node, "brokers"),
				  "brokers", err, errlen);
	else if (rc == -ENOENT)
		rc = 0; /* the caller's defaults (or librdkafka's) stand */
	else
		snprintf(err, errlen, "brokers: expected host:port[,host:port...] or a sequence");
	if (rc)
		goto out_destroy;
	if (ys_conf_get(node, "client-id")) {
		rc = ys_kafka_set(conf, "client.id", ys_conf_str(node, "client-id", ""),
				  ys_conf_get(node, "client-id"), "client-id", err, errlen);
		if (rc)
			goto out_destroy;
	}
	rc = ys_kafka_security(conf, node, err, errlen);
	if (rc)
		goto out_destroy;

	/* Pass-through last: an operator who sets a librdkafka property means it. */
	raw = ys_conf_get(node, "librdkafka");
	for (const struct ys_conf *c = ys_conf_first(raw); c && !rc; c = c->next) {
		if (c->type != YS_CONF_SCALAR || !c->key) {
			char where[256];

			ys_kafka_where(c, where, sizeof(where));
			snprintf(err, errlen, "%slibrdkafka: expected 'property: value' pairs",
				 where);
			rc = -EINVAL;
			break;
		}
		rc = ys_kafka_set(conf, c->key, c->value, c, c->key, err, errlen);
	}
	if (rc)
		goto out_destroy;
	return conf;

out_destroy:
	rd_kafka_conf_destroy(conf);
	errno = -rc;
	return NULL;
}

int ys_kafka_check_topics(rd_kafka_t *rk, const char *const *topics, size_t ntopics, int timeout_ms,
			  char *err, size_t errlen)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e;
	int rc = 0;

	/* all_topics=1: asking for one topic by handle may create it on brokers
	 * that still allow auto-creation; listing never creates anything. */
	e = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
	if (e) {
		snprintf(err, errlen, "no broker answered within %d ms (%s)", timeout_ms,
			 rd_kafka_err2str(e));
		return e == RD_KAFKA_RESP_ERR__TIMED_OUT || e == RD_KAFKA_RESP_ERR__TRANSPORT
			       ? -ETIMEDOUT
			       : -EIO;
	}
	for (size_t i = 0; i < ntopics && !rc; i++) {
		bool found = false;

		for (int t = 0; t < md->topic_cnt; t++) {
			if (strcmp(md->topics[t].topic, topics[i]) == 0) {
				found = md->topics[t].err == 0 && md->topics[t].partition_cnt > 0;
				break;
			}
		}
		if (!found) {
			snprintf(err, errlen,
				 "topic '%s' does not exist on the cluster (create it: "
				 "deploy/kafka/kafka.sh creates the yunshao.* topics)",
				 topics[i]);
			rc = -ENOENT;
		}
	}
	rd_kafka_metadata_destroy(md);
	return rc;
}

void ys_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	enum ys_log_level l;

	(void)rk;
	/* syslog levels: 0-3 error, 4 warning, 5 notice, 6 info, 7 debug. A failed
	 * connection (FAIL) is retried by librdkafka and reported once more through
	 * the error callback, so it is a warning here, not an error. */
	if (level <= 3 && strcmp(fac, "FAIL") != 0)
		l = YS_LOG_ERROR;
	else if (level <= 4)
		l = YS_LOG_WARN;
	else if (level == 5)
		l = YS_LOG_NOTICE;
	else if (level == 6)
		l = YS_LOG_INFO;
	else
		l = YS_LOG_DEBUG;
	ys_log(l, "kafka", "librdkafka %s: %s", fac, buf);
}
