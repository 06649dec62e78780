/*
 * Fast JSON parser for the ingest (see json_fast.h): recursive descent over
 * a bounded cursor, every read after a bounds check; any doubt returns NULL
 * so that jansson decides. Grammar as RFC 8259; limits as jansson 2.14
 * (integers through strtoll, reals through strtod, finite only).
 */
#include "json_fast.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define YS_JF_MAX_DEPTH	  64
#define YS_JF_SCRATCH	  4096 /* longest escaped string value decoded here; longer: jansson */
#define YS_JF_KEY_SCRATCH 256  /* the same for keys (held on the stack through nesting) */
#define YS_JF_MAX_NUMBER  64   /* longest number token converted here */

struct ys_jf {
	const unsigned char *p, *end;
	int depth;
};

static void ys_jf_ws(struct ys_jf *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

/* Length of the valid UTF-8 sequence at P (before END), 0 when invalid (as jansson's utf8.c). */
static size_t ys_jf_utf8(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c < 0xc2) /* continuation byte, or overlong 2-byte start */
		return 0;
	if (c < 0xe0) {
		n = 2;
		cp = c & 0x1f;
	} else if (c < 0xf0) {
		n = 3;
		cp = c & 0x0f;
	} else if (c < 0xf5) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int ys_jf_hex4(const unsigned char *p, const unsigned char *end, uint32_t *out)
{
	uint32_t v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t ys_jf_put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * The string at j->p (after its opening quote). On success *S and *LEN are the
 * decoded text: the input itself when it has no escapes, else SCRATCH (CAP
 * bytes; a longer escaped string is left to jansson).
 */
static int ys_jf_string(struct ys_jf *j, char *scratch, size_t cap, const char **s, size_t *len)
{
	const unsigned char *start = j->p, *p = j->p;
	size_t o = 0;
	bool esc = false;

	while (p < j->end) {
		unsigned char c = *p;
		size_t n;

		if (c == '"') {
			if (esc) {
				*s = scratch;
				*len = o;
			} else {
				*s = (const char *)start;
				*len = (size_t)(p - start);
			}
			j->p = p + 1;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			uint32_t cp;

			if (!esc) {
				/* switch to decoding: copy what came before */
				if ((size_t)(p - start) > cap - 4)
					return -1;
				memcpy(scratch, start, (size_t)(p - start));
				o = (size_t)(p - start);
				esc = true;
			}
			if (o > cap - 4 || j->end - p < 2)
				return -1;
			switch (p[1]) {
			case '"':
			case '\\':
			case '/':
				scratch[o++] = (char)p[1];
				p += 2;
				continue;
			case 'b':
				scratch[o++] = '\b';
				p += 2;
				continue;
			case 'f':
				scratch[o++] = '\f';
				p += 2;
				continue;
			case 'n':
				scratch[o++] = '\n';
				p += 2;
				continue;
			case 'r':
				scratch[o++] = '\r';
				p += 2;
				continue;
			case 't':
				scratch[o++] = '\t';
				p += 2;
				continue;
			case 'u':
				break;
			default:
				return -1;
			}
			if (ys_jf_hex4(p + 2, j->end, &cp))
				return -1;
			p += 6;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1; /* a lone low surrogate */
			if (cp >= 0xd800 && cp <= 0xdbff) {
				uint32_t lo;

				if (j->end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
				    ys_jf_hex4(p + 2, j->end, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return -1;
				p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp == 0)
				return -1; /* \u0000: jansson refuses it without JSON_ALLOW_NUL */
			o += ys_jf_put_utf8(scratch + o, cp);
			continue;
		}
		n = ys_jf_utf8(p, j->end);
		if (!n)
			return -1;
		if (esc) {
			if (o + n > cap - 4)
				return -1;
			memcpy(scratch + o, p, n);
			o += n;
		}
		p += n;
	}
	return -1;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static json_t *ys_jf_number(struct ys_jf *j)
{
	const unsigned char *p = j->p, *start = p;
	char tok[YS_JF_MAX_NUMBER + 1];
	bool real = false;
	size_t n;

	if (p < j->end && *p == '-')
		p++;
	if (p >= j->end)
		return NULL;
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return NULL;
	}
	if (p < j->end && *p == '.') {
		real = true;
		p++;
		if (p >= j->end || *p < '0' || *p > '9')
			return NULL;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		real = true;
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= j->end || *p < '0' || *p > '9')
			return NULL;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	}
	n = (size_t)(p - start);
	if (n > YS_JF_MAX_NUMBER)
		return NULL;
	/* a private NUL-terminated copy: the conversion sees exactly the token */
	memcpy(tok, start, n);
	tok[n] = '\0';
	j->p = p;
	errno = 0;
	if (!real) {
		char *e;
		long long v = strtoll(tok, &e, 10);

		if (errno || e != tok + n)
			return NULL;
		return json_integer((json_int_t)v);
	} else {
		char *e;
		double v = strtod(tok, &e);

		/* jansson refuses only overflow; underflow to zero is a value */
		if (e != tok + n || isinf(v) || isnan(v))
			return NULL;
		return json_real(v);
	}
}

static json_t *ys_jf_value(struct ys_jf *j);

static json_t *ys_jf_object(struct ys_jf *j)
{
	json_t *obj = json_object();
	char scratch[YS_JF_KEY_SCRATCH];

	if (!obj)
		return NULL;
	ys_jf_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return obj;
	}
	for (;;) {
		const char *key;
		size_t klen, n;
		json_t *v;

		ys_jf_ws(j);
		if (j->p >= j->end || *j->p != '"')
			goto out_free_obj;
		j->p++;
		if (ys_jf_string(j, scratch, sizeof(scratch), &key, &klen))
			goto out_free_obj;
		ys_jf_ws(j);
		if (j->p >= j->end || *j->p != ':')
			goto out_free_obj;
		j->p++;
		/* the key may live in SCRATCH, which the value's parse does not touch */
		v = ys_jf_value(j);
		if (!v)
			goto out_free_obj;
		/*
		 * A duplicate key is an error with JSON_REJECT_DUPLICATES. Setting
		 * replaces an existing key, so the size not growing tells it without
		 * a second hash lookup per key.
		 */
		n = json_object_size(obj);
		if (json_object_setn_new_nocheck(obj, key, klen, v) || json_object_size(obj) == n)
			goto out_free_obj;
		ys_jf_ws(j);
		if (j->p >= j->end)
			goto out_free_obj;
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p == '}') {
			j->p++;
			return obj;
		}
		goto out_free_obj;
	}
out_free_obj:
	json_decref(obj);
	return NULL;
}

static json_t *ys_jf_array(struct ys_jf *j)
{
	json_t *arr = json_array();

	if (!arr)
		return NULL;
	ys_jf_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return arr;
	}
	for (;;) {
		json_t *v = ys_jf_value(j);

		if (!v || json_array_append_new(arr, v))
			goto out_free_arr;
		ys_jf_ws(j);
		if (j->p >= j->end)
			goto out_free_arr;
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p == ']') {
			j->p++;
			return arr;
		}
		goto out_free_arr;
	}
out_free_arr:
	json_decref(arr);
	return NULL;
}

static bool ys_jf_word(struct ys_jf *j, const char *w, size_t n)
{
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return false;
	j->p += n;
	return true;
}

/* Out of line: its 4 KB scratch must not sit in every frame of the recursion. */
static __attribute__((noinline)) json_t *ys_jf_string_value(struct ys_jf *j)
{
	char scratch[YS_JF_SCRATCH];
	const char *s;
	size_t len;

	if (ys_jf_string(j, scratch, sizeof(scratch), &s, &len))
		return NULL;
	return json_stringn_nocheck(s, len);
}

static json_t *ys_jf_value(struct ys_jf *j)
{
	json_t *v = NULL;

	ys_jf_ws(j);
	if (j->p >= j->end)
		return NULL;
	switch (*j->p) {
	case '{':
	case '[':
		if (j->depth >= YS_JF_MAX_DEPTH)
			return NULL;
		j->depth++;
		j->p++;
		v = j->p[-1] == '{' ? ys_jf_object(j) : ys_jf_array(j);
		j->depth--;
		return v;
	case '"':
		j->p++;
		return ys_jf_string_value(j);
	case 't':
		return ys_jf_word(j, "true", 4) ? json_true() : NULL;
	case 'f':
		return ys_jf_word(j, "false", 5) ? json_false() : NULL;
	case 'n':
		return ys_jf_word(j, "null", 4) ? json_null() : NULL;
	default:
		return ys_jf_number(j);
	}
}

json_t *ys_json_fast_parse(const char *text, size_t len)
{
	struct ys_jf j = { (const unsigned char *)text, (const unsigned char *)text + len, 0 };
	json_t *v;

	ys_jf_ws(&j);
	/* jansson without JSON_DECODE_ANY wants an object or an array at the top */
	if (j.p >= j.end || (*j.p != '{' && *j.p != '['))
		return NULL;
	v = ys_jf_value(&j);
	if (!v)
		return NULL;
	ys_jf_ws(&j);
	if (j.p != j.end) {
		json_decref(v);
		return NULL;
	}
	return v;
}
