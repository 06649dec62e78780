/*
 * JSON arenas: jansson trees parsed inside an arena come from it and are
 * counted back when freed; an arena with a live tree is never reused (reset
 * refuses and retires it); a full arena falls back to malloc; trees made
 * before the arena functions were installed, or outside any arena, are freed
 * by free() as before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include <jansson.h>

#include "json_arena.h"

static const char *doc =
	"{\"a\": 1, \"b\": [\"x\", \"y\", 2.5], \"c\": {\"d\": null, \"e\": \"f\"}}";

static json_t *parse(void)
{
	json_t *v = json_loads(doc, JSON_REJECT_DUPLICATES, NULL);

	assert_non_null(v);
	return v;
}

static void test_counts_and_reuse(void **state)
{
	json_t *before = parse(); /* made by malloc before install */
	struct ys_json_arena *a;
	struct ys_json_arena_stats st;
	json_t *v;
	char *text;

	ys_json_arena_install();
	ys_json_arena_install();
	a = ys_json_arena_new(1 << 16);
	assert_non_null(a);
	ys_json_arena_enter(a);
	v = parse();
	ys_json_arena_leave();
	ys_json_arena_get_stats(a, &st);
	assert_true(st.allocs > 5);
	assert_true(st.used > 0);
	assert_true(st.frees < st.allocs);
	assert_int_equal(st.fallbacks, 0);
	/* the tree works like any other: serialise it outside the arena */
	text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text,
			    "{\"a\":1,\"b\":[\"x\",\"y\",2.5],\"c\":{\"d\":null,\"e\":\"f\"}}");
	free(text);
	/* a live tree: the arena must not be reused */
	assert_false(ys_json_arena_reset(a));
	json_decref(v);
	ys_json_arena_get_stats(a, &st);
	assert_int_equal(st.frees, st.allocs);
	json_decref(before);
	ys_json_arena_free(a);

	/* a released arena starts over */
	a = ys_json_arena_new(1 << 16);
	assert_non_null(a);
	ys_json_arena_enter(a);
	json_decref(parse());
	ys_json_arena_leave();
	assert_true(ys_json_arena_reset(a));
	ys_json_arena_get_stats(a, &st);
	assert_int_equal(st.used, 0);
	ys_json_arena_free(a);
}

static void test_full_falls_back(void **state)
{
	struct ys_json_arena *a = ys_json_arena_new(64);
	struct ys_json_arena_stats st;
	json_t *v;

	ys_json_arena_install();
	assert_non_null(a);
	ys_json_arena_enter(a);
	v = parse();
	ys_json_arena_leave();
	ys_json_arena_get_stats(a, &st);
	assert_true(st.fallbacks > 0);
	assert_true(st.used <= 64);
	assert_int_equal(json_integer_value(json_object_get(v, "a")), 1);
	json_decref(v);
	ys_json_arena_get_stats(a, &st);
	assert_int_equal(st.frees, st.allocs);
	assert_true(ys_json_arena_reset(a));
	ys_json_arena_free(a);
}

static void *parse_in(void *arg)
{
	struct ys_json_arena *a = arg;
	json_t *v;

	ys_json_arena_enter(a);
	v = json_loads(doc, 0, NULL);
	ys_json_arena_leave();
	return v;
}

/* Parsed on one thread, released on another (the pipeline's helper thread). */
static void test_other_thread(void **state)
{
	struct ys_json_arena *a = ys_json_arena_new(1 << 16);
	struct ys_json_arena_stats st;
	pthread_t t;
	void *v;

	ys_json_arena_install();
	assert_non_null(a);
	assert_int_equal(pthread_create(&t, NULL, parse_in, a), 0);
	assert_int_equal(pthread_join(t, &v), 0);
	assert_non_null(v);
	ys_json_arena_get_stats(a, &st);
	assert_true(st.allocs > 5);
	json_decref(v);
	assert_true(ys_json_arena_reset(a));
	ys_json_arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_reuse),
		cmocka_unit_test(test_full_falls_back),
		cmocka_unit_test(test_other_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
