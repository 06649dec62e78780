/*
 * common/ys_kafka.c: YAML "kafka" nodes become the librdkafka properties the
 * sink and the ingest rely on (brokers, TLS files, SASL/SCRAM, raw
 * pass-through), and every bad value is an error naming file, line and key.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ys_kafka.h"

static struct ys_conf *yaml(const char *text)
{
	char err[256];
	struct ys_conf *c = ys_conf_load_string("k.yaml", text, strlen(text), err, sizeof(err));

	if (!c)
		fail_msg("yaml: %s", err);
	return c;
}

static void expect_prop(rd_kafka_conf_t *conf, const char *name, const char *want)
{
	char buf[512];
	size_t len = sizeof(buf);

	assert_int_equal(rd_kafka_conf_get(conf, name, buf, &len), RD_KAFKA_CONF_OK);
	if (strcmp(buf, want) != 0)
		fail_msg("%s = '%s', expected '%s'", name, buf, want);
}

static void test_brokers_sequence_and_defaults(void **state)
{
	struct ys_conf *c = yaml("brokers:\n  - a:9092\n  - b:9093\nclient-id: rack-7\n");
	const struct ys_kafka_prop defs[] = { { "acks", "all" }, { "linger.ms", "5" } };
	char err[256] = "";
	rd_kafka_conf_t *conf = ys_kafka_conf_new(c, defs, 2, err, sizeof(err));

	(void)state;
	assert_non_null(conf);
	expect_prop(conf, "bootstrap.servers", "a:9092,b:9093");
	expect_prop(conf, "client.id", "rack-7");
	expect_prop(conf, "acks", "-1"); /* librdkafka's spelling of all */
	expect_prop(conf, "linger.ms", "5");
	expect_prop(conf, "security.protocol", "plaintext");
	rd_kafka_conf_destroy(conf);
	ys_conf_free(c);
}

static void test_tls_and_scram(void **state)
{
	char dir[] = "/tmp/ys-kconf-XXXXXX", ca[64], cert[64], key[64], text[1024];
	struct ys_conf *c;
	rd_kafka_conf_t *conf;
	char err[256] = "";
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	for (const char *p = ca; p; p = p == ca ? cert : p == cert ? key : NULL) {
		f = fopen(p, "w");
		assert_non_null(f);
		fputs("-----BEGIN CERTIFICATE-----\n", f);
		fclose(f);
	}
	snprintf(text, sizeof(text),
		 "brokers: k1:9094\ntls:\n  ca: %s\n  cert: %s\n  key: %s\n  key-password: pw\n"
		 "  verify-hostname: no\nsasl:\n  mechanism: SCRAM-SHA-256\n  username: rack-7\n"
		 "  password: s3cret\nlibrdkafka:\n  socket.timeout.ms: \"12345\"\n"
		 "  linger.ms: \"7\"\n",
		 ca, cert, key);
	c = yaml(text);
	{
		const struct ys_kafka_prop defs[] = { { "linger.ms", "5" } };

		conf = ys_kafka_conf_new(c, defs, 1, err, sizeof(err));
	}
	if (!conf)
		fail_msg("%s", err);
	expect_prop(conf, "security.protocol", "sasl_ssl");
	expect_prop(conf, "ssl.ca.location", ca);
	expect_prop(conf, "ssl.certificate.location", cert);
	expect_prop(conf, "ssl.key.location", key);
	expect_prop(conf, "ssl.endpoint.identification.algorithm", "none");
	expect_prop(conf, "sasl.mechanisms", "SCRAM-SHA-256");
	expect_prop(conf, "sasl.username", "rack-7");
	expect_prop(conf, "socket.timeout.ms", "12345");
	expect_prop(conf, "linger.ms", "7"); /* pass-through wins over defaults */
	rd_kafka_conf_destroy(conf);
	ys_conf_free(c);

	/* SASL without TLS */
	c = yaml("sasl:\n  username: u\n  password: p\n");
	conf = ys_kafka_conf_new(c, NULL, 0, err, sizeof(err));
	assert_non_null(conf);
	expect_prop(conf, "security.protocol", "sasl_plaintext");
	expect_prop(conf, "sasl.mechanisms", "SCRAM-SHA-512");
	rd_kafka_conf_destroy(conf);
	ys_conf_free(c);

	unlink(ca);
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

static void expect_error(const char *text, const char *needle1, const char *needle2)
{
	struct ys_conf *c = yaml(text);
	char err[256] = "";
	rd_kafka_conf_t *conf = ys_kafka_conf_new(c, NULL, 0, err, sizeof(err));

	if (conf)
		fail_msg("accepted: %s", text);
	if (!strstr(err, needle1) || (needle2 && !strstr(err, needle2)))
		fail_msg("error '%s' lacks '%s'/'%s'", err, needle1, needle2 ? needle2 : "");
	ys_conf_free(c);
}

static void test_errors_name_file_line_key(void **state)
{
	(void)state;
	expect_error("tls:\n  ca: /nonexistent/ca.pem\n", "k.yaml:2", "/nonexistent/ca.pem");
	expect_error("tls:\n  enabled: perhaps\n", "k.yaml:2", "enabled");
	expect_error("sasl:\n  mechanism: GSSAPI\n  username: u\n  password: p\n", "GSSAPI",
		     "SCRAM-SHA-512");
	expect_error("sasl:\n  username: u\n", "password", NULL);
	expect_error("librdkafka:\n  no.such.property: 1\n", "k.yaml:2", "no.such.property");
	expect_error("librdkafka:\n  linger.ms: lots\n", "k.yaml:2", "linger.ms");
	expect_error("librdkafka:\n  - a\n", "k.yaml:2", "property: value");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_brokers_sequence_and_defaults),
		cmocka_unit_test(test_tls_and_scram),
		cmocka_unit_test(test_errors_name_file_line_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
