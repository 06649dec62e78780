/*
 * Content search for rule evaluation: ys_find() returns the first occurrence
 * of a pattern in a window, byte for byte or ASCII case-insensitive (nocase,
 * as Suricata's and Hyperscan's caseless: only A-Z and a-z fold).
 *
 * This was the hottest code outside Hyperscan on real traffic: a rule whose
 * fast pattern matched still has its other contents confirmed, often nocase,
 * over a whole HTTP body or stream window, and a byte-at-a-time scan for the
 * first byte stops at every common letter. Here, 16 start positions are
 * tested at once on the pattern's first and last bytes (SSE2, which every
 * x86-64 CPU has, as Hyperscan requires); a position is compared in full only
 * when both agree, which on text means rarely. Without SSE2 the plain scans
 * are used.
 */
#include "detect_int.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ASCII case folding; the C locale's tolower() without the locale lookup. */
static inline uint8_t fold(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
}

static bool same_nocase(const uint8_t *p, const uint8_t *n, uint32_t nlen)
{
	for (uint32_t i = 0; i < nlen; i++)
		if (fold(p[i]) != fold(n[i]))
			return false;
	return true;
}

#if defined(__SSE2__)

/* Candidate test of one position (both modes): full comparison. */
static inline bool same_at(const uint8_t *p, const uint8_t *n, uint32_t nlen, bool nocase)
{
	return nocase ? same_nocase(p, n, nlen) : memcmp(p, n, nlen) == 0;
}

/*
 * For a letter L in nocase mode, (b | 0x20) == lower(L) holds exactly for the
 * two cases of L; for any other byte the comparison is exact (mask 0).
 */
static const uint8_t *find_sse2(const uint8_t *h, uint32_t hlen, const uint8_t *n, uint32_t nlen,
				bool nocase)
{
	uint8_t c0 = n[0], c1 = n[nlen - 1];
	uint8_t m0 = 0, m1 = 0;
	uint32_t last = hlen - nlen; /* last possible start */
	uint32_t i = 0;

	if (nocase) {
		if (fold(c0) >= 'a' && fold(c0) <= 'z')
			m0 = 0x20;
		if (fold(c1) >= 'a' && fold(c1) <= 'z')
			m1 = 0x20;
		c0 = fold(c0);
		c1 = fold(c1);
	}
	const __m128i or0 = _mm_set1_epi8((char)m0), or1 = _mm_set1_epi8((char)m1);
	const __m128i want0 = _mm_set1_epi8((char)c0), want1 = _mm_set1_epi8((char)c1);

	/* both loads of a block end inside the haystack: i + nlen - 1 + 15 < hlen */
	for (; last >= 15 && i <= last - 15; i += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(h + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(h + i + nlen - 1));
		__m128i eq = _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(a, or0), want0),
					   _mm_cmpeq_epi8(_mm_or_si128(b, or1), want1));
		unsigned mask = (unsigned)_mm_movemask_epi8(eq);

		while (mask) {
			uint32_t j = (uint32_t)__builtin_ctz(mask);
			if (same_at(h + i + j, n, nlen, nocase))
				return h + i + j;
			mask &= mask - 1;
		}
	}
	for (; i <= last; i++)
		if ((uint8_t)(h[i] | m0) == c0 && (uint8_t)(h[i + nlen - 1] | m1) == c1 &&
		    same_at(h + i, n, nlen, nocase))
			return h + i;
	return NULL;
}

#else /* !__SSE2__ */

static const uint8_t *find_nocase(const uint8_t *h, uint32_t hlen, const uint8_t *n, uint32_t nlen)
{
	uint8_t f = fold(n[0]);
	const uint8_t *end = h + hlen - nlen;

	for (const uint8_t *p = h; p <= end; p++)
		if (fold(*p) == f && same_nocase(p, n, nlen))
			return p;
	return NULL;
}

#endif

const uint8_t *ys_find(const uint8_t *h, uint32_t hlen, const uint8_t *n, uint32_t nlen,
		       bool nocase)
{
	if (nlen == 0)
		return nocase ? NULL : h; /* memmem's answer; contents are never empty */
	if (hlen < nlen)
		return NULL;
#if defined(__SSE2__)
	return find_sse2(h, hlen, n, nlen, nocase);
#else
	if (nocase)
		return find_nocase(h, hlen, n, nlen);
	return memmem(h, hlen, n, nlen);
#endif
}
