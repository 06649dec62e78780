/*
 * API tokens: plaintext and SHA-256 tokens load; a presented token maps to
 * its name, role and tenants; wrong, short, missing and malformed headers are
 * refused; bad token lists are errors naming the line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "api.h"
#include "ys_config.h"

static struct ys_conf *load(const char *yaml)
{
	char err[256];
	struct ys_conf *c = ys_conf_load_string("t.yaml", yaml, strlen(yaml), err, sizeof(err));

	if (!c)
		fail_msg("%s", err);
	return c;
}

static void test_tokens(void **state)
{
	struct ys_conf *c = load("tokens:\n"
				 "  - {name: admin, token: admin-secret-token, role: admin,"
				 " tenants: ['*']}\n"
				 "  - {name: acme, token: acme-secret-token, role: analyst,"
				 " tenants: [acme, acme2]}\n");
	char err[256] = "";
	struct ys_auth *a = ys_auth_load(ys_conf_get(c, "tokens"), err, sizeof(err));
	const struct ys_token *t;

	assert_non_null(a);
	t = ys_auth_check(a, "Bearer admin-secret-token");
	assert_non_null(t);
	assert_string_equal(t->name, "admin");
	assert_int_equal(t->role, YS_ROLE_ADMIN);
	assert_true(t->scope.all);
	t = ys_auth_check(a, "bearer acme-secret-token");
	assert_non_null(t);
	assert_int_equal(t->role, YS_ROLE_ANALYST);
	assert_false(t->scope.all);
	assert_int_equal(t->scope.n, 2);
	assert_true(ys_scope_allows(&t->scope, "acme2"));
	assert_false(ys_scope_allows(&t->scope, "globex"));
	assert_null(ys_auth_check(a, "Bearer admin-secret-tokem"));
	assert_null(ys_auth_check(a, "Bearer admin-secret-token-and-more"));
	assert_null(ys_auth_check(a, "Basic YWRtaW46YWRtaW4="));
	assert_null(ys_auth_check(a, "Bearer "));
	assert_null(ys_auth_check(a, "admin-secret-token"));
	assert_null(ys_auth_check(a, NULL));
	assert_null(ys_auth_check(a, "Bearer ' OR 1=1 --"));
	ys_auth_free(a);
	ys_conf_free(c);
}

static void test_token_sha256(void **state)
{
	/* echo -n acme-secret-token | sha256sum */
	struct ys_conf *c = load("tokens:\n  - {name: h, token_sha256: "
				 "568169245baceb00b442d93709cf581b2aebf84cc9f5a4a818ea4c0acae11466,"
				 " role: auditor, tenants: ['*']}\n");
	char err[256] = "";
	struct ys_auth *a = ys_auth_load(ys_conf_get(c, "tokens"), err, sizeof(err));

	assert_non_null(a);
	assert_non_null(ys_auth_check(a, "Bearer acme-secret-token"));
	assert_int_equal(ys_auth_check(a, "Bearer acme-secret-token")->role, YS_ROLE_AUDITOR);
	/* a digest is not itself a token */
	assert_null(ys_auth_check(
		a, "Bearer 568169245baceb00b442d93709cf581b2aebf84cc9f5a4a818ea4c0acae11466"));
	ys_auth_free(a);
	ys_conf_free(c);
}

static void test_bad_lists(void **state)
{
	static const char *const bad[] = {
		"tokens:\n  - {name: a, token: short, role: admin, tenants: ['*']}\n",
		"tokens:\n  - {name: a, token: long-enough-token, role: root, tenants: ['*']}\n",
		"tokens:\n  - {name: a, token: long-enough-token, role: admin}\n",
		"tokens:\n  - {name: a, token: long-enough-token, role: admin, tenants: ['*', "
		"x]}\n",
		"tokens:\n  - {name: a, token_sha256: abc, role: admin, tenants: ['*']}\n",
		"tokens:\n  - {name: a, token: long-enough-token, token_sha256: "
		"c6e81c3f3f8c0a0f8ad7b2da4b9c1db7bd2ee34b12c7b3ae34cd2cb3fa8a3e25, role: admin,"
		" tenants: ['*']}\n",
		"tokens:\n  - {name: a, token: long-enough-token, role: admin, tenants: ['*']}\n"
		"  - {name: b, token: long-enough-token, role: admin, tenants: ['*']}\n",
		"tokens: {name: a}\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ys_conf *c = load(bad[i]);
		char err[256] = "";
		struct ys_auth *a = ys_auth_load(ys_conf_get(c, "tokens"), err, sizeof(err));

		if (a)
			fail_msg("token list %zu accepted", i);
		assert_non_null(strstr(err, "t.yaml:"));
		ys_conf_free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_token_sha256),
		cmocka_unit_test(test_bad_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
