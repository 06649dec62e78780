/*
 * The alert event shared by sensor and ingest: Suricata EVE JSON names plus
 * Yunshao's own fields (tenant_id, tenant, event_id, sensor, tunnel). The JSON
 * Schema lives in common/schema/alert.schema.json; ys_event_validate() checks
 * the same constraints in C so that the ingest never stores what the schema
 * rejects, and the sensor's tests prove it never produces it.
 *
 * Also here: the pieces of an EVE record both sides compute the same way:
 * UUIDv7 event ids, EVE timestamps and Community ID flow hashes.
 *
 * Threading: all functions are reentrant.
 */
#ifndef YS_EVENT_H
#define YS_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define YS_EVENT_SCHEMA		"yunshao.alert/1"
#define YS_UUID_STR_LEN		37 /* 36 chars + NUL */
#define YS_EVE_TS_LEN		40
#define YS_COMMUNITY_ID_STR_LEN 32 /* "1:" + 28 base64 chars + NUL, rounded */

/* A fresh UUIDv7 (RFC 9562): 48-bit ms timestamp, random rest; time-ordered. */
void ys_uuid7(char out[YS_UUID_STR_LEN]);
/* Same with an explicit time (ms since epoch) and 10 random bytes, for tests. */
void ys_uuid7_from(uint64_t unix_ms, const uint8_t rnd[10], char out[YS_UUID_STR_LEN]);
bool ys_uuid_valid(const char *s);

/* EVE timestamp: "2026-11-26T19:02:20.123456+0000" (UTC). */
void ys_eve_timestamp(uint64_t ts_usec, char out[YS_EVE_TS_LEN]);
/* Parse an EVE/RFC 3339 timestamp to microseconds since the epoch; 0 or -EINVAL. */
int ys_eve_timestamp_parse(const char *s, uint64_t *ts_usec);

/*
 * Community ID v1 (seed 0) for a flow: "1:<base64 sha1>". Addresses are 4 or 16
 * bytes in network order; ports in host order (ICMP: type and code).
 */
void ys_community_id(uint8_t family, const uint8_t *saddr, const uint8_t *daddr, uint8_t proto,
		     uint16_t sport, uint16_t dport, char out[YS_COMMUNITY_ID_STR_LEN]);

/*
 * Validate an alert object against the schema (required fields, types, ranges,
 * formats; unknown top-level fields are allowed, as in EVE). Returns true, or
 * false with the first violation as "field: reason" in ERR.
 */
bool ys_event_validate(const json_t *ev, char *err, size_t errlen);

#endif /* YS_EVENT_H */
