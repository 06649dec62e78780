/*
 * ys_event_validate() and common/schema/alert.schema.json must agree: every
 * sample in event_samples.jsonl carries the verdict it should get, and this
 * test checks the C validator against it and runs python-jsonschema (with its
 * format checker) on the same lines and schema. Also: an alert as the sensor
 * formats it today (a fresh UUIDv7, EVE timestamp and Community ID from
 * ys_event.c) is valid.
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
#include <jansson.h>

#include "ys_event.h"

#define MAX_SAMPLES 512

struct sample {
	bool valid;
	char *json;
};

static struct sample samples[MAX_SAMPLES];
static size_t nsamples;
static char samples_path[1024], schema_path[1024];

static int load_samples(void **state)
{
	const char *src = getenv("YS_SOURCE_DIR");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	(void)state;
	snprintf(samples_path, sizeof(samples_path), "%s/tests/unit/output/event_samples.jsonl",
		 src ? src : ".");
	snprintf(schema_path, sizeof(schema_path), "%s/common/schema/alert.schema.json",
		 src ? src : ".");
	f = fopen(samples_path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s (set YS_SOURCE_DIR): %s\n", samples_path,
			strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0 && nsamples < MAX_SAMPLES) {
		char *tab = strchr(line, '\t');

		if (!tab)
			continue;
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		*tab = '\0';
		samples[nsamples].valid = strcmp(line, "valid") == 0;
		samples[nsamples].json = strdup(tab + 1);
		nsamples++;
	}
	free(line);
	fclose(f);
	return nsamples ? 0 : -1;
}

static int free_samples(void **state)
{
	(void)state;
	for (size_t i = 0; i < nsamples; i++)
		free(samples[i].json);
	return 0;
}

static bool c_verdict(const char *text, char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *ev = json_loads(text, 0, &jerr);
	bool ok;

	if (!ev) {
		snprintf(why, whylen, "parse: %s", jerr.text);
		return false;
	}
	ok = ys_event_validate(ev, why, whylen);
	json_decref(ev);
	return ok;
}

static void test_c_matches_labels(void **state)
{
	size_t nvalid = 0, ninvalid = 0, wrong = 0;

	(void)state;
	for (size_t i = 0; i < nsamples; i++) {
		char why[256] = "";
		bool ok = c_verdict(samples[i].json, why, sizeof(why));

		if (ok != samples[i].valid) {
			fprintf(stderr, "line %zu: expected %s, C says %s (%s): %.160s\n", i + 1,
				samples[i].valid ? "valid" : "invalid", ok ? "valid" : "invalid",
				why, samples[i].json);
			wrong++;
		}
		if (!ok)
			assert_true(why[0] != '\0'); /* a rejection always says why */
		nvalid += samples[i].valid;
		ninvalid += !samples[i].valid;
	}
	assert_true(nvalid >= 20);
	assert_true(ninvalid >= 50);
	assert_int_equal(wrong, 0);
}

static void test_python_jsonschema_agrees(void **state)
{
	static const char script[] = "import json,sys\n"
				     "import jsonschema\n"
				     "s=json.load(open(sys.argv[1]))\n"
				     "V=jsonschema.Draft202012Validator\n"
				     "V.check_schema(s)\n"
				     "v=V(s,format_checker=V.FORMAT_CHECKER)\n"
				     "for l in open(sys.argv[2],encoding='utf-8'):\n"
				     "    lab,js=l.rstrip('\\n').split('\\t',1)\n"
				     "    print(1 if v.is_valid(json.loads(js)) else 0)\n";
	char cmd[4096];
	char line[16];
	size_t i = 0, disagree = 0;
	FILE *p;
	int rc;

	(void)state;
	if (access("/usr/bin/python3", X_OK) != 0 ||
	    system("/usr/bin/python3 -c 'import jsonschema' 2>/dev/null") != 0) {
		fprintf(stderr, "skip: /usr/bin/python3 with jsonschema is not installed "
				"(deploy/deps-debian.sh installs python3-jsonschema)\n");
		skip();
	}
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c \"$YS_PY\" '%s' '%s'", schema_path,
		 samples_path);
	setenv("YS_PY", script, 1);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) && i < nsamples) {
		bool py = line[0] == '1';
		char why[256] = "";
		bool c = c_verdict(samples[i].json, why, sizeof(why));

		if (py != c) {
			fprintf(stderr, "line %zu: python says %s, C says %s (%s): %.160s\n", i + 1,
				py ? "valid" : "invalid", c ? "valid" : "invalid", why,
				samples[i].json);
			disagree++;
		}
		i++;
	}
	rc = pclose(p);
	assert_int_equal(rc, 0);
	assert_int_equal(i, nsamples); /* python judged every line */
	assert_int_equal(disagree, 0);
}

static void test_fresh_alert_is_valid(void **state)
{
	char id[YS_UUID_STR_LEN], ts[YS_EVE_TS_LEN], cid[YS_COMMUNITY_ID_STR_LEN];
	const uint8_t s[4] = { 10, 0, 0, 1 }, d[4] = { 10, 0, 0, 2 };
	char why[256] = "";
	json_t *ev;

	(void)state;
	ys_uuid7(id);
	ys_eve_timestamp(1764183740123456ull, ts);
	ys_community_id(2, s, d, 6, 40000, 80, cid);
	ev = json_pack("{s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:s, s:i, s:s,"
		       " s:{s:s, s:i, s:i, s:i, s:s, s:s, s:i}, s:s, s:{s:s, s:s, s:s}}",
		       "timestamp", ts, "event_type", "alert", "src_ip", "10.0.0.1", "src_port",
		       40000, "dest_ip", "10.0.0.2", "dest_port", 80, "proto", "TCP",
		       "community_id", cid, "tenant_id", 0, "tenant", "unassigned", "alert",
		       "action", "allowed", "gid", 1, "signature_id", 1, "rev", 1, "signature", "t",
		       "category", "", "severity", 3, "event_id", id, "sensor", "id", "s1", "rack",
		       "", "host", "h");
	assert_non_null(ev);
	if (!ys_event_validate(ev, why, sizeof(why)))
		fail_msg("fresh alert rejected: %s", why);
	/* and one wrong field is caught with its name */
	json_object_set_new(ev, "dest_port", json_integer(70000));
	assert_false(ys_event_validate(ev, why, sizeof(why)));
	assert_non_null(strstr(why, "dest_port"));
	json_decref(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c_matches_labels),
		cmocka_unit_test(test_python_jsonschema_agrees),
		cmocka_unit_test(test_fresh_alert_is_valid),
	};

	return cmocka_run_group_tests(tests, load_samples, free_samples);
}
