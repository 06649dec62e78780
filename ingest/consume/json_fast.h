/*
 * A fast path for parsing alert messages into jansson trees. jansson's
 * decoder reads its input a byte at a time through a stream callback, checks
 * UTF-8 per character and copies every token into a growing buffer before
 * decoding it again: some 80,000 instructions for a 650-byte alert, the
 * largest single cost of the ingest. This parser walks the bytes once and
 * builds the same tree with jansson's own constructors.
 *
 * It is a filter, never the judge: it accepts only input it has fully
 * checked to be strict JSON that jansson would accept with
 * JSON_REJECT_DUPLICATES (an object or array at the top, valid UTF-8, no
 * control characters or \u0000 in strings, no duplicate keys, integers that
 * fit json_int_t, finite reals) and returns NULL for anything else, including
 * what it merely does not handle (nesting deeper than 64, very long escaped
 * strings). The caller then parses with json_loadb(), which gives the verdict
 * and its error message. A test compares both on mutated alerts.
 *
 * Threading: reentrant; allocations are jansson's (see json_arena.h).
 */
#ifndef YS_INGEST_JSON_FAST_H
#define YS_INGEST_JSON_FAST_H

#include <stddef.h>

#include <jansson.h>

/*
 * Parse TEXT[0..LEN) (TEXT[LEN] must be '\0': numbers are converted in
 * place). A new reference, or NULL when jansson must decide.
 */
json_t *ys_json_fast_parse(const char *text, size_t len);

#endif /* YS_INGEST_JSON_FAST_H */
