/*
 * JSON writer for alerts (see output_json.h). Escaping follows RFC 8259:
 * quote, backslash and control characters are escaped; bytes that do not form
 * valid UTF-8 are replaced by U+FFFD so that every record parses everywhere.
 */
#include "output_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ys_jbuf_init(struct ys_jbuf *jb)
{
	memset(jb, 0, sizeof(*jb));
}

void ys_jbuf_free(struct ys_jbuf *jb)
{
	free(jb->buf);
	memset(jb, 0, sizeof(*jb));
}

static bool ys_jbuf_reserve(struct ys_jbuf *jb, size_t n)
{
	size_t cap;
	char *nb;

	if (jb->oom)
		return false;
	if (jb->len + n + 1 <= jb->cap)
		return true;
	cap = jb->cap ? jb->cap : 4096;
	while (cap < jb->len + n + 1)
		cap *= 2;
	nb = realloc(jb->buf, cap);
	if (!nb) {
		jb->oom = true;
		return false;
	}
	jb->buf = nb;
	jb->cap = cap;
	return true;
}

void ys_jbuf_raw(struct ys_jbuf *jb, const char *s, size_t n)
{
	if (!ys_jbuf_reserve(jb, n))
		return;
	memcpy(jb->buf + jb->len, s, n);
	jb->len += n;
	jb->buf[jb->len] = '\0';
}

static void ys_jbuf_putc(struct ys_jbuf *jb, char c)
{
	ys_jbuf_raw(jb, &c, 1);
}

/* Length of the valid UTF-8 sequence at S (at most N bytes), 0 if invalid. */
static size_t ys_utf8_len(const uint8_t *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and out-of-range code points are invalid. */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void ys_jbuf_escaped(struct ys_jbuf *jb, const uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	ys_jbuf_putc(jb, '"');
	while (i < n) {
		size_t run = i;

		/* Copy runs of plain ASCII in one go. */
		while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' &&
		       s[run] != '\\')
			run++;
		if (run > i) {
			ys_jbuf_raw(jb, (const char *)s + i, run - i);
			i = run;
			continue;
		}
		uint8_t c = s[i];

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			ys_jbuf_raw(jb, e, 2);
			i++;
		} else if (c < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			switch (c) {
			case '\n':
				ys_jbuf_raw(jb, "\\n", 2);
				break;
			case '\r':
				ys_jbuf_raw(jb, "\\r", 2);
				break;
			case '\t':
				ys_jbuf_raw(jb, "\\t", 2);
				break;
			default:
				ys_jbuf_raw(jb, e, 6);
			}
			i++;
		} else {
			size_t l = ys_utf8_len(s + i, n - i);

			if (l) {
				ys_jbuf_raw(jb, (const char *)s + i, l);
				i += l;
			} else {
				ys_jbuf_raw(jb, "\xef\xbf\xbd", 3);
				i++;
			}
		}
	}
	ys_jbuf_putc(jb, '"');
}

static void ys_jbuf_key(struct ys_jbuf *jb, const char *key)
{
	if (jb->need_comma)
		ys_jbuf_putc(jb, ',');
	jb->need_comma = true;
	if (key) {
		ys_jbuf_escaped(jb, (const uint8_t *)key, strlen(key));
		ys_jbuf_putc(jb, ':');
	}
}

void ys_jbuf_open(struct ys_jbuf *jb, const char *key, char bracket)
{
	ys_jbuf_key(jb, key);
	ys_jbuf_putc(jb, bracket);
	jb->need_comma = false;
}

void ys_jbuf_close(struct ys_jbuf *jb, char bracket)
{
	ys_jbuf_putc(jb, bracket);
	jb->need_comma = true;
}

void ys_jbuf_strn(struct ys_jbuf *jb, const char *key, const uint8_t *val, size_t n)
{
	ys_jbuf_key(jb, key);
	ys_jbuf_escaped(jb, val, n);
}

void ys_jbuf_str(struct ys_jbuf *jb, const char *key, const char *val)
{
	ys_jbuf_strn(jb, key, (const uint8_t *)(val ? val : ""), val ? strlen(val) : 0);
}

void ys_jbuf_u64(struct ys_jbuf *jb, const char *key, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRIu64, v);

	ys_jbuf_key(jb, key);
	ys_jbuf_raw(jb, num, (size_t)n);
}

void ys_jbuf_i64(struct ys_jbuf *jb, const char *key, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRId64, v);

	ys_jbuf_key(jb, key);
	ys_jbuf_raw(jb, num, (size_t)n);
}

void ys_jbuf_bool(struct ys_jbuf *jb, const char *key, bool v)
{
	ys_jbuf_key(jb, key);
	ys_jbuf_raw(jb, v ? "true" : "false", v ? 4 : 5);
}

void ys_jbuf_base64(struct ys_jbuf *jb, const char *key, const uint8_t *d, size_t n)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t out = (n + 2) / 3 * 4;
	char *p;

	ys_jbuf_key(jb, key);
	if (!ys_jbuf_reserve(jb, out + 2))
		return;
	p = jb->buf + jb->len;
	*p++ = '"';
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)d[i + 1] << 8;
		if (i + 2 < n)
			v |= d[i + 2];
		*p++ = b64[(v >> 18) & 63];
		*p++ = b64[(v >> 12) & 63];
		*p++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		*p++ = i + 2 < n ? b64[v & 63] : '=';
	}
	*p++ = '"';
	jb->len = (size_t)(p - jb->buf);
	jb->buf[jb->len] = '\0';
}

void ys_jbuf_json(struct ys_jbuf *jb, const char *key, const char *json, size_t n)
{
	ys_jbuf_key(jb, key);
	ys_jbuf_raw(jb, json, n);
}
