/* Unit tests for the YAML configuration tree: lookups, typed getters, errors with file:line. */
#include "ys_config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static const char doc[] = "sensor:\n"
			  "  id: rack7-s1\n"
			  "  rack: rack7\n"
			  "tenants:\n"
			  "  - id: 101\n"
			  "    name: acme\n"
			  "    vni: [5001, 5002]\n"
			  "  - id: 102\n"
			  "    name: globex\n"
			  "stream:\n"
			  "  depth: 1mb\n"
			  "  midstream: yes\n";

static void test_lookup(void **state)
{
	char err[256] = "";
	struct ys_conf *c = ys_conf_load_string("t.yaml", doc, strlen(doc), err, sizeof(err));
	int64_t v;
	uint64_t sz;
	bool b;

	(void)state;
	assert_non_null(c);
	assert_string_equal(ys_conf_str(c, "sensor.id", NULL), "rack7-s1");
	assert_string_equal(ys_conf_str(c, "tenants.1.name", NULL), "globex");
	assert_null(ys_conf_str(c, "tenants.2.name", NULL));
	assert_string_equal(ys_conf_str(c, "missing", "dflt"), "dflt");
	assert_int_equal(ys_conf_int(c, "tenants.0.vni.1", 0, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 5002);
	assert_int_equal(ys_conf_get(c, "tenants")->nchildren, 2);
	assert_int_equal(ys_conf_size(c, "stream.depth", 0, &sz, err, sizeof(err)), 0);
	assert_int_equal(sz, 1 << 20);
	assert_int_equal(ys_conf_bool(c, "stream.midstream", false, &b, err, sizeof(err)), 0);
	assert_true(b);
	/* A map is not a number: the error names file, line and path. */
	assert_int_equal(ys_conf_int(c, "sensor", 7, &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t.yaml:2: sensor"));
	assert_int_equal(ys_conf_int(c, "sensor.rack", 7, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(ys_conf_bool(c, "sensor.id", true, &b, err, sizeof(err)), -EINVAL);
	ys_conf_free(c);
}

static void test_errors(void **state)
{
	static const char dup[] = "a: 1\nb: 2\na: 3\n";
	static const char bad[] = "a: [1, 2\nb: 3\n";
	static const char alias[] = "a: &x 1\nb: *x\n";
	static const char scalar[] = "just text\n";
	char err[256] = "";

	(void)state;
	assert_null(ys_conf_load_string("d.yaml", dup, strlen(dup), err, sizeof(err)));
	assert_non_null(strstr(err, "d.yaml:3: duplicate key 'a'"));
	assert_null(ys_conf_load_string("b.yaml", bad, strlen(bad), err, sizeof(err)));
	assert_non_null(strstr(err, "b.yaml:"));
	assert_null(ys_conf_load_string("x.yaml", alias, strlen(alias), err, sizeof(err)));
	assert_non_null(strstr(err, "alias"));
	assert_null(ys_conf_load_string("s.yaml", scalar, strlen(scalar), err, sizeof(err)));
	assert_non_null(strstr(err, "mapping"));
	assert_null(ys_conf_load("/nonexistent/y.yaml", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/y.yaml"));
}

static void test_path(void **state)
{
	static const char d[] = "a: rel.rules\nb: /abs/x\n";
	char err[64], buf[256];
	struct ys_conf *c =
		ys_conf_load_string("/etc/yunshao/y.yaml", d, strlen(d), err, sizeof(err));

	(void)state;
	assert_non_null(c);
	assert_string_equal(ys_conf_path(c, "a", buf, sizeof(buf)), "/etc/yunshao/rel.rules");
	assert_string_equal(ys_conf_path(c, "b", buf, sizeof(buf)), "/abs/x");
	assert_null(ys_conf_path(c, "missing", buf, sizeof(buf)));
	assert_null(ys_conf_path(c, "a", buf, 8));
	ys_conf_free(c);
	c = ys_conf_load_string("y.yaml", d, strlen(d), err, sizeof(err));
	assert_string_equal(ys_conf_path(c, "a", buf, sizeof(buf)), "rel.rules");
	ys_conf_free(c);
}

static void test_equal(void **state)
{
	static const char d[] = "a: {x: [1, 2]}\nb: {x: [1, 2]}\nc: {x: [1, 3]}\nd: {y: [1, 2]}\n";
	char err[64];
	struct ys_conf *c = ys_conf_load_string("e.yaml", d, strlen(d), err, sizeof(err));

	(void)state;
	assert_non_null(c);
	assert_true(ys_conf_equal(ys_conf_get(c, "a.x"), ys_conf_get(c, "b.x")));
	assert_false(ys_conf_equal(ys_conf_get(c, "a.x"), ys_conf_get(c, "c.x")));
	assert_false(ys_conf_equal(ys_conf_get(c, "a.x"), ys_conf_get(c, "d.y")));
	assert_true(ys_conf_equal(NULL, NULL));
	assert_false(ys_conf_equal(ys_conf_get(c, "a"), NULL));
	ys_conf_free(c);
}

static void test_empty(void **state)
{
	char err[64];
	struct ys_conf *c = ys_conf_load_string("e.yaml", "", 0, err, sizeof(err));

	(void)state;
	assert_non_null(c);
	assert_null(ys_conf_first(c));
	ys_conf_free(c);
	ys_conf_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup), cmocka_unit_test(test_errors),
		cmocka_unit_test(test_path),   cmocka_unit_test(test_equal),
		cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
