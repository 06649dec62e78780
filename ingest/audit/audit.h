/*
 * The audit chain: every analyst action and configuration change becomes a
 * record whose hash covers the previous record's hash, so editing, inserting
 * or deleting any record breaks every hash after it.
 *
 *   canonical = JSON, keys sorted, no spaces:
 *               {"action":…,"actor":…,"detail":…,"seq":N,"target":…,"time":USEC}
 *   hash      = hex(sha256(raw 32 bytes of prev_hash || canonical))
 *   prev_hash of record 1 = 64 × "0"
 *
 * This module is pure computation (no storage): the store appends and reads
 * the records, and feeds them in seq order to a walker that proves the chain
 * or names the first broken record. Reentrant; no allocation kept.
 */
#ifndef YS_INGEST_AUDIT_H
#define YS_INGEST_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YS_AUDIT_HEX_LEN 65 /* 64 hex digits + NUL */
#define YS_AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

struct ys_audit_record {
	int64_t seq;
	int64_t time; /* usec */
	const char *actor, *action, *target, *detail;
	const char *prev_hash, *hash; /* hex; HASH is ignored by ys_audit_hash() */
};

/* Compute the hash of REC chained to REC->prev_hash. 0, or -EINVAL (bad prev_hash), -ENOMEM. */
int ys_audit_hash(const struct ys_audit_record *rec, char out[YS_AUDIT_HEX_LEN]);

/* Walk a chain in seq order. */
struct ys_audit_walk {
	int64_t records;
	int64_t expect_seq;
	char prev[YS_AUDIT_HEX_LEN];
	bool broken;
	int64_t first_bad;
	char reason[160];
};

void ys_audit_walk_init(struct ys_audit_walk *w);
/* Check the next record; returns false (and fills first_bad/reason once) when the chain breaks. */
bool ys_audit_walk_step(struct ys_audit_walk *w, const struct ys_audit_record *rec);

#endif /* YS_INGEST_AUDIT_H */
