/*
 * ys_find(), the content search of rule evaluation, against a plain
 * reference search: every window length around the 16-byte blocks of the
 * vector path, patterns at the start, middle and end, nocase on letters and
 * on bytes that only look like letters with bit 0x20 (e.g. '@' vs '`'), and
 * random haystacks over a small alphabet so that near-misses are common.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect_int.h"

static uint8_t ref_fold(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static const uint8_t *ref_find(const uint8_t *h, uint32_t hlen, const uint8_t *n, uint32_t nlen,
			       bool nocase)
{
	if (nlen == 0 || hlen < nlen)
		return NULL;
	for (uint32_t i = 0; i + nlen <= hlen; i++) {
		uint32_t k = 0;
		while (k < nlen &&
		       (nocase ? ref_fold(h[i + k]) == ref_fold(n[k]) : h[i + k] == n[k]))
			k++;
		if (k == nlen)
			return h + i;
	}
	return NULL;
}

static void test_find_placed(void **state)
{
	(void)state;
	uint8_t h[300];
	static const char *const pats[] = {
		"a", "Zq", "GET /", "x@y", "0123456789abcdefXYZ", "``"
	};

	for (size_t p = 0; p < sizeof(pats) / sizeof(pats[0]); p++) {
		const uint8_t *n = (const uint8_t *)pats[p];
		uint32_t nlen = (uint32_t)strlen(pats[p]);
		for (uint32_t hlen = 0; hlen < 70; hlen++) {
			for (uint32_t at = 0; at + nlen <= hlen; at++) {
				memset(h, '.', sizeof(h));
				memcpy(h + at, n, nlen);
				assert_ptr_equal(ys_find(h, hlen, n, nlen, false), h + at);
				/* the other case of every letter: found only with nocase */
				for (uint32_t k = 0; k < nlen; k++) {
					uint8_t c = n[k];
					if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
						h[at + k] = c ^ 0x20;
				}
				assert_ptr_equal(ys_find(h, hlen, n, nlen, true), h + at);
				assert_ptr_equal(ys_find(h, hlen, n, nlen, false),
						 ref_find(h, hlen, n, nlen, false));
			}
			/* a cut-off copy at the end is no match */
			if (nlen > 1 && hlen >= nlen - 1) {
				memset(h, '.', sizeof(h));
				memcpy(h + hlen - (nlen - 1), n, nlen - 1);
				assert_null(ys_find(h, hlen, n, nlen, false));
				assert_null(ys_find(h, hlen, n, nlen, true));
			}
		}
	}
	/* '@' (0x40) and '`' (0x60) differ by 0x20 but are not letters */
	memset(h, 0, sizeof(h));
	memcpy(h + 20, "x`y", 3);
	assert_null(ys_find(h, 40, (const uint8_t *)"x@y", 3, true));
	assert_ptr_equal(ys_find(h, 40, (const uint8_t *)"X`Y", 3, true), h + 20);
}

static void test_find_random(void **state)
{
	(void)state;
	uint8_t h[600], n[24];
	static const uint8_t alpha[] = { 'a', 'A', 'b', 'B', '@', '`', 0, 0xff, 'z', 'Z' };
	unsigned seed = 12345;

	for (int iter = 0; iter < 20000; iter++) {
		seed = seed * 1103515245u + 12345u;
		uint32_t hlen = (seed >> 8) % sizeof(h);
		seed = seed * 1103515245u + 12345u;
		uint32_t nlen = 1 + (seed >> 8) % 6;
		uint32_t na = (iter & 1) ? 4 : sizeof(alpha);
		for (uint32_t i = 0; i < hlen; i++) {
			seed = seed * 1103515245u + 12345u;
			h[i] = alpha[(seed >> 8) % na];
		}
		for (uint32_t i = 0; i < nlen; i++) {
			seed = seed * 1103515245u + 12345u;
			n[i] = alpha[(seed >> 8) % na];
		}
		for (int nc = 0; nc < 2; nc++)
			assert_ptr_equal(ys_find(h, hlen, n, nlen, nc),
					 ref_find(h, hlen, n, nlen, nc));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_placed),
		cmocka_unit_test(test_find_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
