/*
 * The fast alert parser against jansson: whatever it accepts, jansson
 * accepts too (with JSON_REJECT_DUPLICATES) and builds the same tree, the
 * same types and key order; it does accept the ordinary cases (or it would
 * save nothing); and on 200,000 mutations of real alerts the same holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_fast.h"

static const char *alert_doc =
	"{\"timestamp\":\"2026-11-26T20:15:00.123456+0000\",\"event_type\":\"alert\","
	"\"src_ip\":\"203.0.113.7\",\"src_port\":40001,\"dest_ip\":\"10.1.0.2\",\"dest_port\":80,"
	"\"proto\":\"TCP\",\"tenant\":\"acme\",\"tenant_id\":1,"
	"\"event_id\":\"018f0000-0000-7000-8000-000000000001\",\"alert\":{\"action\":\"allowed\","
	"\"gid\":1,\"signature_id\":9100502,\"rev\":1,\"signature\":\"ET WEB \\\"union\\\" "
	"select\","
	"\"category\":\"Web Application "
	"Attack\",\"severity\":1,\"metadata\":{\"mlps\":[\"8.1.3.3a\"]}},"
	"\"http\":{\"hostname\":\"x.example\",\"url\":\"\\/"
	"a?b=\\u00e9\\ud83d\\ude00\",\"length\":-0,"
	"\"ratio\":1.5e-3,\"ok\":true,\"bad\":false,\"none\":null,\"list\":[1,2.0,[],{}]},"
	"\"app_proto\":\"http\",\"sensor\":{\"id\":\"s1\",\"rack\":\"r1\",\"host\":\"h\"}}";

/* Fails the test when FAST accepted TEXT but jansson does not agree; true when FAST accepted. */
static bool agree(const char *text, size_t len)
{
	char *copy = malloc(len + 1);
	json_t *fast, *ref;
	bool ok;

	assert_non_null(copy);
	memcpy(copy, text, len);
	copy[len] = '\0';
	fast = ys_json_fast_parse(copy, len);
	ref = json_loadb(copy, len, JSON_REJECT_DUPLICATES, NULL);
	ok = fast != NULL;
	if (fast) {
		char *a, *b;

		if (!ref)
			fail_msg("fast parser accepted what jansson refuses: %.*s", (int)len, text);
		assert_true(json_equal(fast, ref));
		a = json_dumps(fast, JSON_COMPACT | JSON_ENCODE_ANY);
		b = json_dumps(ref, JSON_COMPACT | JSON_ENCODE_ANY);
		assert_non_null(a);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	json_decref(fast);
	json_decref(ref);
	free(copy);
	return ok;
}

static void test_accepts_ordinary(void **state)
{
	static const char *const good[] = {
		"{}",
		"[]",
		" {\"a\" : [ 1 , -2 , 3.25 , -0.5e+2 , 1E3 ] }\r\n",
		"[\"\\\\\\/\\b\\f\\n\\r\\t\"]",
		"[\"\\u0041\\u00e9\\u4e2d\\ud834\\udd1e\"]",
		"[\"\xc3\xa9\xe4\xb8\xad\xf0\x9d\x84\x9e\"]",
		"[9223372036854775807, -9223372036854775808, 0, -0, 0.0, 1e-400]",
		"[[[[{}]]]]",
	};

	assert_true(agree(alert_doc, strlen(alert_doc)));
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!agree(good[i], strlen(good[i])))
			fail_msg("fast parser left an ordinary document to jansson: %s", good[i]);
}

static void test_refuses_what_jansson_refuses(void **state)
{
	static const char *const bad[] = {
		"",
		" ",
		"1",
		"\"a\"",
		"null",
		"{",
		"[",
		"{]",
		"[}",
		"[1,]",
		"{\"a\":1,}",
		"{,}",
		"{\"a\"}",
		"{\"a\":}",
		"{a:1}",
		"[01]",
		"[1.]",
		"[.5]",
		"[1e]",
		"[-]",
		"[+1]",
		"[1e400]",
		"[-1e400]",
		"[9223372036854775808]",
		"[-9223372036854775809]",
		"[NaN]",
		"[Infinity]",
		"[tru]",
		"[nul]",
		"[\"\\u0000\"]",
		"[\"\\ud800\"]",
		"[\"\\udc00\"]",
		"[\"\\ud800\\u0041\"]",
		"[\"\\x\"]",
		"[\"\\u12g4\"]",
		"[\"a\tb\"]",
		"[\"a\nb\"]",
		"[\"\xc0\x80\"]",
		"[\"\xed\xa0\x80\"]",
		"[\"\xf4\x90\x80\x80\"]",
		"[\"\xe4\xb8\"]",
		"[\"\x80\"]",
		"[\"\xff\"]",
		"{\"a\":1,\"a\":2}",
		"{\"a\":1} x",
		"{} {}",
		"[1 2]",
		"[\"abc",
		"[\"abc\\",
		"{\"a\":1}\x01",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *v = ys_json_fast_parse(bad[i], strlen(bad[i]));

		if (v)
			fail_msg("fast parser accepted: %s", bad[i]);
		/* and jansson really refuses them (else the list is wrong, not the parser) */
		v = json_loadb(bad[i], strlen(bad[i]), JSON_REJECT_DUPLICATES, NULL);
		if (v)
			fail_msg("jansson accepts, fix the test: %s", bad[i]);
	}
	/* a NUL byte inside the given length */
	assert_null(ys_json_fast_parse("[\"a\0b\"]", 7));
}

/* Nesting within the fast parser's depth is parsed; deeper is left to jansson (which takes it). */
static void test_depth(void **state)
{
	char doc[2 * 200 + 1];

	for (int d = 1; d <= 200; d += 199) {
		memset(doc, '[', (size_t)d);
		memset(doc + d, ']', (size_t)d);
		doc[2 * d] = '\0';
		assert_int_equal(agree(doc, (size_t)(2 * d)), d <= 64);
	}
	/* a string value longer than the escape scratch, with escapes: jansson's */
	{
		size_t n = 10000;
		char *big = malloc(n + 8);

		assert_non_null(big);
		memcpy(big, "[\"", 2);
		for (size_t i = 2; i < n; i += 2)
			memcpy(big + i, "\\n", 2);
		memcpy(big + n, "\"]", 3);
		assert_false(agree(big, n + 2));
		free(big);
	}
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Byte-level mutations of a real alert: whatever the fast parser takes, jansson agrees. */
static void test_mutations_agree(void **state)
{
	static const char alphabet[] =
		"{}[]\",:\\/u0123456789abcdefEe+-.tnrl \t\n\x01\x7f\x80\xc3\xa9"
		"\xed\xf0\xff";
	size_t base = strlen(alert_doc), accepted = 0;
	char *buf = malloc(base * 2 + 64);
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	assert_non_null(buf);
	for (int it = 0; it < 200000; it++) {
		size_t len = base;
		int edits = 1 + (int)(rnd(&seed) % 4);

		memcpy(buf, alert_doc, base);
		for (int e = 0; e < edits; e++) {
			size_t at = (size_t)(rnd(&seed) % len);
			char c = alphabet[rnd(&seed) % (sizeof(alphabet) - 1)];

			switch (rnd(&seed) % 4) {
			case 0: /* replace */
				buf[at] = c;
				break;
			case 1: /* insert */
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = c;
				len++;
				break;
			case 2: /* delete */
				if (len > 1) {
					memmove(buf + at, buf + at + 1, len - at - 1);
					len--;
				}
				break;
			default: { /* duplicate a slice (repeats keys) */
				size_t n = 1 + (size_t)(rnd(&seed) % 24);

				if (at + n > len || len + n > base * 2)
					break;
				memmove(buf + at + n, buf + at, len - at);
				len += n;
				break;
			}
			}
		}
		accepted += agree(buf, len);
	}
	/* many mutations (inside strings) keep the document valid: those must be fast */
	assert_true(accepted > 1000);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_ordinary),
		cmocka_unit_test(test_refuses_what_jansson_refuses),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_mutations_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
