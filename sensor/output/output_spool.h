/*
 * Write-ahead disk spool for alerts on their way to Kafka (private to
 * sensor/output). Every alert is appended here before it is produced, and
 * released when Kafka acknowledges it; what was not acknowledged when the
 * sensor stopped (cleanly or not) is found again by ys_spool_open() and sent.
 *
 * On disk (DIR):
 *   <seq:016x>-s<severity>.spool  segment: records appended with one write(2)
 *   <seq:016x>-s<severity>.ack    indices of acknowledged records, appended
 * A record is a 32-byte header (magic, total length, CRC-32 of everything after
 * the CRC field, severity, key length, detection time) + key (tenant) + value
 * (the EVE JSON). Recovery stops at the first torn or corrupt record of a
 * segment and truncates it there: a crash can only tear the last write.
 *
 * Severity lanes: each severity (1 = high .. 4) appends to its own segments, so
 * that when the spool is over its size bound whole segments of the least
 * severe alerts can be deleted, oldest first (4, then 3, then 2, then 1), and
 * the space really comes back. A record more severe than everything it could
 * displace is never dropped for a less severe one: the newcomer is refused
 * instead. Every dropped record is counted by severity and logged.
 *
 * Durability (fsync policy): appends are write(2)s, so a record survives a
 * process crash (SIGKILL) as soon as ys_spool_append() returns. Against power
 * loss: "always" fdatasync()s each append, "interval" (default) fdatasync()s
 * dirty segments every fsync_interval_ms from ys_spool_sync(), "none" leaves
 * it to the kernel. Acks are written lazily by ys_spool_sync() and never
 * fsynced: a lost ack only re-sends an alert, and consumers discard the
 * duplicate by event_id.
 *
 * Threading: not thread-safe; the owner (output_kafka.c) serialises calls.
 */
#ifndef YS_OUTPUT_SPOOL_H
#define YS_OUTPUT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YS_SPOOL_LANES	      4 /* severities 1..4; others count as 4 */
#define YS_SPOOL_REC_HDR      32
#define YS_SPOOL_MAX_RECORD   (1u << 20) /* header + key + value */
#define YS_SPOOL_DEFAULT_SIZE (1ull << 30)

enum ys_spool_fsync {
	YS_SPOOL_FSYNC_NONE,
	YS_SPOOL_FSYNC_INTERVAL,
	YS_SPOOL_FSYNC_ALWAYS,
};

struct ys_spool_params {
	const char *dir;	/* created if missing */
	uint64_t max_bytes;	/* bound on segment + ack bytes on disk */
	uint64_t segment_bytes; /* 0: max_bytes / 16, within [64 KiB, 64 MiB] */
	enum ys_spool_fsync fsync;
	unsigned fsync_interval_ms; /* for YS_SPOOL_FSYNC_INTERVAL; 0 = 1000 */
};

/* A record handed out by ys_spool_next(); KEY and VAL point into the caller's buffer. */
struct ys_spool_rec {
	uint64_t id; /* for ys_spool_ack() / ys_spool_nack(); never 0 */
	int severity;
	uint64_t detect_usec;
	const char *key, *val;
	size_t keylen, vallen;
};

struct ys_spool_stats {
	uint64_t bytes;	   /* on disk now */
	uint64_t records;  /* not yet acknowledged (queued + in flight) */
	uint64_t queued;   /* waiting to be produced */
	uint64_t inflight; /* produced, not yet acknowledged */
	uint64_t appended, acked, recovered;
	uint64_t dropped; /* all drops: full spool + unreadable records */
	uint64_t dropped_by_sev[YS_SPOOL_LANES + 1]; /* [1..4] */
	uint64_t corrupt; /* records unreadable on disk (also in dropped) */
};

struct ys_spool;

/*
 * Open (or create) the spool in P->dir and recover what is there: every
 * record not acknowledged becomes queued again. NULL + errno with a reason
 * in ERR. Free with ys_spool_close().
 */
struct ys_spool *ys_spool_open(const struct ys_spool_params *p, char *err, size_t errlen);
/* Persist pending acks and close. NULL-safe. */
void ys_spool_close(struct ys_spool *sp);

/*
 * Append one record. INFLIGHT: the caller produces it right away from its own
 * copy (no re-read); otherwise it is queued for ys_spool_next(). May delete
 * older, less (or equally) severe segments to stay within max_bytes.
 * 0 with *ID set; -ENOBUFS when the record itself was dropped (counted);
 * -EMSGSIZE when it can never fit; other -errno on I/O errors.
 */
int ys_spool_append(struct ys_spool *sp, int severity, uint64_t detect_usec, const char *key,
		    size_t keylen, const char *val, size_t vallen, bool inflight, uint64_t *id);

/* Oldest queued record, now marked in flight, read into BUF (YS_SPOOL_MAX_RECORD
 * bytes). 1 = got one, 0 = none queued, -errno on error. */
int ys_spool_next(struct ys_spool *sp, struct ys_spool_rec *rec, char *buf, size_t buflen);

/* Kafka acknowledged ID: release it. Returns its detection time (0 for unknown ids,
 * which are ignored). */
uint64_t ys_spool_ack(struct ys_spool *sp, uint64_t id);
/* Delivery of ID failed: queue it again (or, if its segment was dropped meanwhile, count it
 * as dropped). FATAL: it can never be delivered (too large...): drop and count it. */
void ys_spool_nack(struct ys_spool *sp, uint64_t id, bool fatal);

/*
 * Write pending acks and, when the fsync interval is due, fdatasync dirty
 * segments. With FDS (room for MAXFDS) the segments are not synced here:
 * their descriptors are dup()ed into FDS and the count returned, so the
 * caller can fdatasync() and close() them after releasing its lock (a sync
 * may take many milliseconds, and writers must not wait for it).
 */
size_t ys_spool_sync(struct ys_spool *sp, uint64_t now_usec, int *fds, size_t maxfds);

/* Descriptors of deleted segments (at most MAXFDS) for the caller to close()
 * outside its lock; ys_spool_close() closes any left. */
size_t ys_spool_take_closing(struct ys_spool *sp, int *fds, size_t maxfds);

/* Every in-flight record back to the queue (its producer is gone); those of
 * dropped segments are counted as dropped. Returns how many were re-queued. */
uint64_t ys_spool_requeue_inflight(struct ys_spool *sp);

void ys_spool_get_stats(const struct ys_spool *sp, struct ys_spool_stats *st);
/* Queued records waiting (fast check for the drain loop). */
uint64_t ys_spool_queued(const struct ys_spool *sp);

int ys_spool_parse_fsync(const char *s, enum ys_spool_fsync *out);

#endif /* YS_OUTPUT_SPOOL_H */
