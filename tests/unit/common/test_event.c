/* Unit tests for event ids, EVE timestamps and Community ID (spec test vectors). */
#include "ys_event.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static void test_uuid7(void **state)
{
	static const uint8_t rnd[10] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
	};
	char a[YS_UUID_STR_LEN], b[YS_UUID_STR_LEN];

	(void)state;
	/* RFC 9562 appendix A.6 timestamp 0x017F22E279B0 = 1645557742000 ms */
	ys_uuid7_from(1645557742000ull, rnd, a);
	assert_string_equal(a, "017f22e2-79b0-7fff-bfff-ffffffffffff");
	assert_true(ys_uuid_valid(a));
	ys_uuid7(a);
	ys_uuid7(b);
	assert_true(ys_uuid_valid(a));
	assert_string_not_equal(a, b);
	assert_int_equal(a[14], '7');
	assert_false(ys_uuid_valid("017f22e2-79b0-7fff-bfff-fffffffffff"));
	assert_false(ys_uuid_valid("017f22e2x79b0-7fff-bfff-ffffffffffff"));
}

static void test_timestamp(void **state)
{
	char ts[YS_EVE_TS_LEN];
	uint64_t v;

	(void)state;
	ys_eve_timestamp(1764183740123456ull, ts);
	assert_string_equal(ts, "2025-11-26T19:02:20.123456+0000");
	assert_int_equal(ys_eve_timestamp_parse(ts, &v), 0);
	assert_true(v == 1764183740123456ull);
	assert_int_equal(ys_eve_timestamp_parse("2025-11-26T19:02:20Z", &v), 0);
	assert_true(v == 1764183740000000ull);
	assert_int_equal(ys_eve_timestamp_parse("2025-11-27T03:02:20.5+08:00", &v), 0);
	assert_true(v == 1764183740500000ull);
	assert_int_equal(ys_eve_timestamp_parse("2025-13-26T19:02:20Z", &v), -EINVAL);
	assert_int_equal(ys_eve_timestamp_parse("2025-11-26T19:02:20", &v), -EINVAL);
	assert_int_equal(ys_eve_timestamp_parse("2025-11-26T19:02:20Zjunk", &v), -EINVAL);
	assert_int_equal(ys_eve_timestamp_parse("", &v), -EINVAL);
}

static void test_community_id(void **state)
{
	/* Vectors from the Community ID specification's baseline. */
	const uint8_t s1[4] = { 128, 232, 110, 120 }, d1[4] = { 66, 35, 250, 204 };
	const uint8_t s2[4] = { 192, 168, 1, 52 }, d2[4] = { 8, 8, 8, 8 };
	char out[YS_COMMUNITY_ID_STR_LEN];

	(void)state;
	ys_community_id(4, s1, d1, 6, 34855, 80, out);
	assert_string_equal(out, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	/* Direction does not matter. */
	ys_community_id(4, d1, s1, 6, 80, 34855, out);
	assert_string_equal(out, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	ys_community_id(4, s2, d2, 17, 54585, 53, out);
	assert_string_equal(out, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid7),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_community_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
