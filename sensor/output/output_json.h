/*
 * A small append-only JSON writer for the alert path. Alerts are written far
 * more often than anything else the sensor formats, so they are built by
 * appending to one growable buffer per worker rather than through a DOM: no
 * allocation once the buffer has grown to the largest alert seen.
 *
 * The caller is responsible for structure (commas, nesting); the helpers only
 * guarantee that every string is escaped as RFC 8259 requires and that the
 * result is valid UTF-8 (invalid bytes become U+FFFD).
 */
#ifndef YS_OUTPUT_JSON_H
#define YS_OUTPUT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ys_jbuf {
	char *buf;
	size_t len, cap;
	bool oom; /* a growth failed: the record is incomplete and must not be emitted */
	bool need_comma;
};

void ys_jbuf_init(struct ys_jbuf *jb);
void ys_jbuf_free(struct ys_jbuf *jb);
static inline void ys_jbuf_reset(struct ys_jbuf *jb)
{
	jb->len = 0;
	jb->oom = false;
	jb->need_comma = false;
}

void ys_jbuf_raw(struct ys_jbuf *jb, const char *s, size_t n);
/* '{' or '[' (after a comma if needed) and '}' or ']'. KEY may be NULL inside arrays. */
void ys_jbuf_open(struct ys_jbuf *jb, const char *key, char bracket);
void ys_jbuf_close(struct ys_jbuf *jb, char bracket);
/* "key":"escaped value" */
void ys_jbuf_str(struct ys_jbuf *jb, const char *key, const char *val);
void ys_jbuf_strn(struct ys_jbuf *jb, const char *key, const uint8_t *val, size_t n);
void ys_jbuf_u64(struct ys_jbuf *jb, const char *key, uint64_t v);
void ys_jbuf_i64(struct ys_jbuf *jb, const char *key, int64_t v);
void ys_jbuf_bool(struct ys_jbuf *jb, const char *key, bool v);
void ys_jbuf_base64(struct ys_jbuf *jb, const char *key, const uint8_t *data, size_t n);
/* "key": followed by already-serialised JSON text. */
void ys_jbuf_json(struct ys_jbuf *jb, const char *key, const char *json, size_t n);

#endif /* YS_OUTPUT_JSON_H */
