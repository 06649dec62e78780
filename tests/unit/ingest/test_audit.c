/*
 * Audit chain: a chain built with ys_audit_hash() verifies; changing any
 * field of any record, deleting one, inserting one or re-ordering is caught at
 * the first broken record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "audit.h"

#define N 6

struct chain {
	struct ys_audit_record r[N];
	char prev[N][YS_AUDIT_HEX_LEN], hash[N][YS_AUDIT_HEX_LEN], detail[N][32];
};

static void build(struct chain *c)
{
	for (int i = 0; i < N; i++) {
		struct ys_audit_record *r = &c->r[i];

		snprintf(c->prev[i], YS_AUDIT_HEX_LEN, "%s", i ? c->hash[i - 1] : YS_AUDIT_GENESIS);
		snprintf(c->detail[i], sizeof(c->detail[i]), "{\"n\":%d}", i);
		*r = (struct ys_audit_record){ .seq = i + 1,
					       .time = 1700000000000000LL + i,
					       .actor = "alice",
					       .action = "close",
					       .target = "incident/7",
					       .detail = c->detail[i],
					       .prev_hash = c->prev[i] };
		assert_int_equal(ys_audit_hash(r, c->hash[i]), 0);
		r->hash = c->hash[i];
	}
}

static int64_t verify(struct chain *c, int skip, char *reason)
{
	struct ys_audit_walk w;

	ys_audit_walk_init(&w);
	for (int i = 0; i < N; i++)
		if (i != skip)
			ys_audit_walk_step(&w, &c->r[i]);
	if (reason)
		snprintf(reason, 160, "%s", w.reason);
	return w.broken ? w.first_bad : 0;
}

static void test_chain_ok(void **state)
{
	struct chain c;

	build(&c);
	assert_int_equal(verify(&c, -1, NULL), 0);
	/* deterministic: the same record hashes the same */
	{
		char h[YS_AUDIT_HEX_LEN];

		assert_int_equal(ys_audit_hash(&c.r[2], h), 0);
		assert_string_equal(h, c.hash[2]);
	}
}

static void test_tamper_field(void **state)
{
	const char *fields[] = { "actor", "action", "target", "detail", "time" };
	char reason[160];

	for (size_t f = 0; f < 5; f++) {
		struct chain c;

		build(&c);
		switch (f) {
		case 0:
			c.r[3].actor = "mallory";
			break;
		case 1:
			c.r[3].action = "acknowledge";
			break;
		case 2:
			c.r[3].target = "incident/8";
			break;
		case 3:
			c.r[3].detail = "{\"n\":33}";
			break;
		case 4:
			c.r[3].time++;
			break;
		}
		if (verify(&c, -1, reason) != 4)
			fail_msg("tampered %s not detected at seq 4", fields[f]);
		assert_non_null(strstr(reason, "hash"));
	}
}

static void test_delete_and_rehash(void **state)
{
	struct chain c;
	char reason[160];

	build(&c);
	assert_int_equal(verify(&c, 2, reason), 4); /* record 3 deleted: 4 is the first bad */
	assert_non_null(strstr(reason, "missing"));
	/* an attacker who recomputes record 4's hash still breaks record 5's prev_hash */
	build(&c);
	c.r[3].detail = "{\"n\":99}";
	assert_int_equal(ys_audit_hash(&c.r[3], c.hash[3]), 0);
	assert_int_equal(verify(&c, -1, reason), 5);
	/* a bad prev_hash is refused */
	build(&c);
	c.r[0].prev_hash = "zz";
	assert_int_equal(verify(&c, -1, NULL), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_ok),
		cmocka_unit_test(test_tamper_field),
		cmocka_unit_test(test_delete_and_rehash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
