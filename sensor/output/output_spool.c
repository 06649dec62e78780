/*
 * The write-ahead alert spool (format, lanes and fsync policy in
 * output_spool.h). In memory each segment keeps one small slot per record
 * (offset, length, state), so acknowledging, re-queueing and choosing what to
 * send next never touch the disk; only appends, the lazy ack log and the
 * re-read of a queued record (after an outage or a restart) do.
 *
 * A record id is (segment sequence << 24 | index in segment). When a segment is
 * deleted to make room while some of its records are still in flight, its
 * slots stay in memory as a "ghost" until those deliveries resolve: an ack
 * counts as delivered, a failure as dropped (the bytes are gone).
 */
#include "output_spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "ys_log.h"

#define YS_SPOOL_MAGIC	  0x31525359u /* "YSR1" little-endian */
#define YS_SPOOL_IDX_BITS 24
#define YS_SPOOL_IDX_MAX  ((1u << YS_SPOOL_IDX_BITS) - 1)
#define YS_SPOOL_MOD	  "spool"

enum ys_slot_state {
	YS_SLOT_QUEUED,
	YS_SLOT_INFLIGHT,
	YS_SLOT_DONE, /* acknowledged or dropped */
};

struct ys_spool_slot {
	uint32_t off, len;
	uint64_t detect_usec; /* for the latency measurement at ack time */
	uint8_t state;
};

struct ys_spool_seg {
	uint64_t seq;
	int sev;
	int fd, ackfd; /* -1 when closed */
	bool active;   /* the lane's append target */
	bool ghost;    /* files deleted; waiting for in-flight records to resolve */
	bool dirty;    /* appended since the last fdatasync */
	uint64_t bytes, ackbytes;
	struct ys_spool_slot *slots;
	uint32_t nslots, cap;
	uint32_t queued, inflight, cursor; /* cursor: no queued slot before it */
	uint32_t *acks;			   /* acked indices not yet written */
	uint32_t nacks, ackcap;
};

struct ys_spool {
	char *dir;
	uint64_t max_bytes, seg_bytes;
	enum ys_spool_fsync fsync;
	uint64_t fsync_usec, last_fsync_usec;
	struct ys_spool_seg **segs; /* ascending seq */
	size_t nsegs, segcap;
	struct ys_spool_seg *active[YS_SPOOL_LANES + 1];
	uint64_t next_seq;
	uint64_t bytes, queued, inflight, records;
	uint64_t appended, acked, recovered, dropped, corrupt;
	uint64_t dropped_by_sev[YS_SPOOL_LANES + 1];
	uint64_t last_full_log_usec, drops_since_log;
	/* descriptors of deleted segments, closed by the owner outside its lock:
	 * the last close of a big unlinked file frees its pages and may wait for
	 * their writeback, which must not stall writers */
	int closing[64];
	size_t nclosing;
};

/* little-endian helpers: the spool is read back only by the machine that wrote it,
 * but fixed byte order keeps a copied spool readable too */
static inline void ys_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t ys_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void ys_put64(uint8_t *p, uint64_t v)
{
	ys_put32(p, (uint32_t)v);
	ys_put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t ys_get64(const uint8_t *p)
{
	return (uint64_t)ys_get32(p) | (uint64_t)ys_get32(p + 4) << 32;
}

static uint64_t ys_spool_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline int ys_spool_lane(int severity)
{
	return severity >= 1 && severity <= YS_SPOOL_LANES ? severity : YS_SPOOL_LANES;
}

int ys_spool_parse_fsync(const char *s, enum ys_spool_fsync *out)
{
	if (strcmp(s, "none") == 0)
		*out = YS_SPOOL_FSYNC_NONE;
	else if (strcmp(s, "interval") == 0)
		*out = YS_SPOOL_FSYNC_INTERVAL;
	else if (strcmp(s, "always") == 0)
		*out = YS_SPOOL_FSYNC_ALWAYS;
	else
		return -EINVAL;
	return 0;
}

static void ys_spool_path(const struct ys_spool *sp, const struct ys_spool_seg *seg,
			  const char *ext, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%016" PRIx64 "-s%d.%s", sp->dir, seg->seq, seg->sev, ext);
}

/* CRC over the header after the CRC field, then key and value. */
static uint32_t ys_spool_crc(const uint8_t *hdr, const void *key, size_t keylen, const void *val,
			     size_t vallen)
{
	uLong c = crc32(0L, Z_NULL, 0);

	c = crc32(c, hdr + 12, YS_SPOOL_REC_HDR - 12);
	c = crc32(c, key, (uInt)keylen);
	c = crc32(c, val, (uInt)vallen);
	return (uint32_t)c;
}

static struct ys_spool_seg *ys_spool_seg_alloc(uint64_t seq, int sev)
{
	struct ys_spool_seg *seg = calloc(1, sizeof(*seg));

	if (!seg)
		return NULL;
	seg->seq = seq;
	seg->sev = sev;
	seg->fd = -1;
	seg->ackfd = -1;
	return seg;
}

static void ys_spool_seg_free(struct ys_spool_seg *seg)
{
	if (!seg)
		return;
	if (seg->fd >= 0)
		close(seg->fd);
	if (seg->ackfd >= 0)
		close(seg->ackfd);
	free(seg->slots);
	free(seg->acks);
	free(seg);
}

static int ys_spool_slot_add(struct ys_spool_seg *seg, uint32_t off, uint32_t len, uint8_t state,
			     uint64_t detect_usec)
{
	if (seg->nslots == seg->cap) {
		uint32_t cap = seg->cap ? seg->cap * 2 : 256;
		struct ys_spool_slot *s = realloc(seg->slots, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		seg->slots = s;
		seg->cap = cap;
	}
	seg->slots[seg->nslots].off = off;
	seg->slots[seg->nslots].len = len;
	seg->slots[seg->nslots].state = state;
	seg->slots[seg->nslots].detect_usec = detect_usec;
	seg->nslots++;
	return 0;
}

/* Keep segs sorted by seq: new segments carry the highest seq, so append. */
static int ys_spool_seg_insert(struct ys_spool *sp, struct ys_spool_seg *seg)
{
	if (sp->nsegs == sp->segcap) {
		size_t cap = sp->segcap ? sp->segcap * 2 : 32;
		struct ys_spool_seg **s = realloc(sp->segs, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		sp->segs = s;
		sp->segcap = cap;
	}
	sp->segs[sp->nsegs++] = seg;
	return 0;
}

static struct ys_spool_seg *ys_spool_seg_find(const struct ys_spool *sp, uint64_t seq)
{
	size_t lo = 0, hi = sp->nsegs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sp->segs[mid]->seq == seq)
			return sp->segs[mid];
		if (sp->segs[mid]->seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void ys_spool_seg_remove(struct ys_spool *sp, struct ys_spool_seg *seg)
{
	for (size_t i = 0; i < sp->nsegs; i++) {
		if (sp->segs[i] == seg) {
			memmove(&sp->segs[i], &sp->segs[i + 1],
				(sp->nsegs - i - 1) * sizeof(sp->segs[0]));
			sp->nsegs--;
			break;
		}
	}
	if (sp->active[seg->sev] == seg)
		sp->active[seg->sev] = NULL;
	ys_spool_seg_free(seg);
}

/* Delete the segment's files and give its bytes back to the budget. */
static void ys_spool_seg_unlink(struct ys_spool *sp, struct ys_spool_seg *seg)
{
	char path[PATH_MAX];

	if (seg->ghost)
		return;
	ys_spool_path(sp, seg, "spool", path, sizeof(path));
	if (unlink(path) && errno != ENOENT)
		ys_warn(YS_SPOOL_MOD, "cannot delete %s: %s", path, strerror(errno));
	ys_spool_path(sp, seg, "ack", path, sizeof(path));
	if (unlink(path) && errno != ENOENT)
		ys_warn(YS_SPOOL_MOD, "cannot delete %s: %s", path, strerror(errno));
	if (seg->fd >= 0) {
		if (sp->nclosing < sizeof(sp->closing) / sizeof(sp->closing[0]))
			sp->closing[sp->nclosing++] = seg->fd;
		else
			close(seg->fd);
		seg->fd = -1;
	}
	if (seg->ackfd >= 0) {
		close(seg->ackfd);
		seg->ackfd = -1;
	}
	sp->bytes -= seg->bytes + seg->ackbytes;
	seg->bytes = seg->ackbytes = 0;
	seg->nacks = 0;
	seg->ghost = true;
	if (sp->active[seg->sev] == seg)
		sp->active[seg->sev] = NULL;
	seg->active = false;
}

/* A segment nobody appends to and with nothing left to deliver is deleted. */
static void ys_spool_seg_maybe_release(struct ys_spool *sp, struct ys_spool_seg *seg)
{
	if (seg->active || seg->queued || seg->inflight)
		return;
	ys_spool_seg_unlink(sp, seg);
	ys_spool_seg_remove(sp, seg);
}

static void ys_spool_log_drops(struct ys_spool *sp, const char *why, int sev, uint64_t n)
{
	uint64_t now = ys_spool_now_usec();

	sp->drops_since_log += n;
	/* loud, but at most one line a second: a full spool under a flood would
	 * otherwise log faster than it drops */
	if (sp->last_full_log_usec && now - sp->last_full_log_usec < 1000000)
		return;
	ys_err(YS_SPOOL_MOD,
	       "%s: dropped %" PRIu64 " alerts (latest severity %d; %" PRIu64
	       " dropped in total, by severity 1/2/3/4: %" PRIu64 "/%" PRIu64 "/%" PRIu64
	       "/%" PRIu64 "); spool %s holds %" PRIu64 " of %" PRIu64 " bytes",
	       why, sp->drops_since_log, sev, sp->dropped, sp->dropped_by_sev[1],
	       sp->dropped_by_sev[2], sp->dropped_by_sev[3], sp->dropped_by_sev[4], sp->dir,
	       sp->bytes, sp->max_bytes);
	sp->drops_since_log = 0;
	sp->last_full_log_usec = now;
}

static void ys_spool_count_drop(struct ys_spool *sp, int sev, uint64_t n)
{
	sp->dropped += n;
	sp->dropped_by_sev[ys_spool_lane(sev)] += n;
}

/* Drop a whole segment to make room: its queued records are lost (counted);
 * in-flight ones may still be delivered, so the segment lingers as a ghost. */
static void ys_spool_seg_drop(struct ys_spool *sp, struct ys_spool_seg *seg)
{
	uint64_t n = 0;

	for (uint32_t i = seg->cursor; i < seg->nslots; i++) {
		if (seg->slots[i].state == YS_SLOT_QUEUED) {
			seg->slots[i].state = YS_SLOT_DONE;
			n++;
		}
	}
	seg->queued = 0;
	sp->queued -= n;
	sp->records -= n;
	ys_spool_count_drop(sp, seg->sev, n);
	ys_spool_seg_unlink(sp, seg);
	if (n)
		ys_spool_log_drops(sp, "spool full", seg->sev, n);
	ys_spool_seg_maybe_release(sp, seg);
}

/* Oldest non-ghost segment of lane SEV, or NULL. */
static struct ys_spool_seg *ys_spool_oldest(struct ys_spool *sp, int sev)
{
	for (size_t i = 0; i < sp->nsegs; i++)
		if (sp->segs[i]->sev == sev && !sp->segs[i]->ghost)
			return sp->segs[i];
	return NULL;
}

/* Make room for NEED bytes for a record of lane SEV. 0, or -ENOBUFS when only
 * more severe alerts are left to displace. */
static int ys_spool_make_room(struct ys_spool *sp, int sev, uint64_t need)
{
	while (sp->bytes + need > sp->max_bytes) {
		struct ys_spool_seg *victim = NULL;

		for (int lane = YS_SPOOL_LANES; lane >= sev && !victim; lane--)
			victim = ys_spool_oldest(sp, lane);
		if (!victim)
			return -ENOBUFS;
		ys_spool_seg_drop(sp, victim);
	}
	return 0;
}

static struct ys_spool_seg *ys_spool_seg_create(struct ys_spool *sp, int sev)
{
	struct ys_spool_seg *seg = ys_spool_seg_alloc(sp->next_seq, sev);
	char path[PATH_MAX];

	if (!seg)
		return NULL;
	ys_spool_path(sp, seg, "spool", path, sizeof(path));
	seg->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (seg->fd < 0) {
		int e = errno;

		ys_err(YS_SPOOL_MOD, "cannot create %s: %s", path, strerror(e));
		ys_spool_seg_free(seg);
		errno = e;
		return NULL;
	}
	if (ys_spool_seg_insert(sp, seg)) {
		unlink(path);
		ys_spool_seg_free(seg);
		errno = ENOMEM;
		return NULL;
	}
	sp->next_seq++;
	seg->active = true;
	sp->active[sev] = seg;
	return seg;
}

int ys_spool_append(struct ys_spool *sp, int severity, uint64_t detect_usec, const char *key,
		    size_t keylen, const char *val, size_t vallen, bool inflight, uint64_t *id)
{
	int sev = ys_spool_lane(severity);
	uint64_t reclen = YS_SPOOL_REC_HDR + (uint64_t)keylen + vallen;
	struct ys_spool_seg *seg;
	uint8_t hdr[YS_SPOOL_REC_HDR];
	struct iovec iov[3];
	ssize_t w;
	int rc;

	if (reclen > YS_SPOOL_MAX_RECORD || reclen > sp->seg_bytes || keylen > UINT16_MAX)
		return -EMSGSIZE;
	seg = sp->active[sev];
	/* a full segment is closed first, so make_room may delete it whole */
	if (seg && (seg->bytes + reclen > sp->seg_bytes || seg->nslots >= YS_SPOOL_IDX_MAX)) {
		seg->active = false;
		sp->active[sev] = NULL;
		ys_spool_seg_maybe_release(sp, seg);
		seg = NULL;
	}
	rc = ys_spool_make_room(sp, sev, reclen);
	if (rc) {
		ys_spool_count_drop(sp, sev, 1);
		ys_spool_log_drops(sp, "spool full of more severe alerts", sev, 1);
		return rc;
	}
	seg = sp->active[sev];
	if (!seg) {
		seg = ys_spool_seg_create(sp, sev);
		if (!seg)
			return -errno;
	}

	memset(hdr, 0, sizeof(hdr));
	ys_put32(hdr, YS_SPOOL_MAGIC);
	ys_put32(hdr + 4, (uint32_t)reclen);
	hdr[12] = (uint8_t)severity;
	hdr[14] = (uint8_t)keylen;
	hdr[15] = (uint8_t)(keylen >> 8);
	ys_put64(hdr + 16, detect_usec);
	ys_put32(hdr + 8, ys_spool_crc(hdr, key, keylen, val, vallen));
	iov[0] = (struct iovec){ .iov_base = hdr, .iov_len = sizeof(hdr) };
	iov[1] = (struct iovec){ .iov_base = (void *)key, .iov_len = keylen };
	iov[2] = (struct iovec){ .iov_base = (void *)val, .iov_len = vallen };
	do {
		w = writev(seg->fd, iov, 3);
	} while (w < 0 && errno == EINTR);
	if (w != (ssize_t)reclen) {
		int e = w < 0 ? errno : EIO;

		/* a short write leaves a torn tail: cut it so the next record starts clean */
		if (w > 0 && ftruncate(seg->fd, (off_t)seg->bytes))
			e = errno;
		ys_err(YS_SPOOL_MOD, "append to segment %016" PRIx64 " in %s failed: %s", seg->seq,
		       sp->dir, strerror(e));
		return -e;
	}
	if (sp->fsync == YS_SPOOL_FSYNC_ALWAYS && fdatasync(seg->fd))
		ys_warn(YS_SPOOL_MOD, "fdatasync of %s failed: %s", sp->dir, strerror(errno));
	seg->dirty = true;
	rc = ys_spool_slot_add(seg, (uint32_t)seg->bytes, (uint32_t)reclen,
			       inflight ? YS_SLOT_INFLIGHT : YS_SLOT_QUEUED, detect_usec);
	if (rc)
		return rc; /* on disk: the next start sends it */
	seg->bytes += reclen;
	sp->bytes += reclen;
	sp->records++;
	sp->appended++;
	if (inflight) {
		seg->inflight++;
		sp->inflight++;
	} else {
		seg->queued++;
		sp->queued++;
	}
	*id = seg->seq << YS_SPOOL_IDX_BITS | (seg->nslots - 1);
	return 0;
}

/* Read slot IDX of SEG into BUF and check it. 0 or -errno. */
static int ys_spool_read(struct ys_spool *sp, struct ys_spool_seg *seg, uint32_t idx,
			 struct ys_spool_rec *rec, char *buf, size_t buflen)
{
	const struct ys_spool_slot *s = &seg->slots[idx];
	const uint8_t *hdr = (const uint8_t *)buf;
	size_t keylen;
	ssize_t r;

	if (s->len > buflen || s->len < YS_SPOOL_REC_HDR)
		return -EMSGSIZE;
	do {
		r = pread(seg->fd, buf, s->len, s->off);
	} while (r < 0 && errno == EINTR);
	if (r != (ssize_t)s->len)
		return r < 0 ? -errno : -EIO;
	keylen = (size_t)hdr[14] | (size_t)hdr[15] << 8;
	if (ys_get32(hdr) != YS_SPOOL_MAGIC || ys_get32(hdr + 4) != s->len ||
	    YS_SPOOL_REC_HDR + keylen > s->len)
		return -EBADMSG;
	if (ys_spool_crc(hdr, buf + YS_SPOOL_REC_HDR, keylen, buf + YS_SPOOL_REC_HDR + keylen,
			 s->len - YS_SPOOL_REC_HDR - keylen) != ys_get32(hdr + 8))
		return -EBADMSG;
	(void)sp;
	rec->severity = hdr[12];
	rec->detect_usec = ys_get64(hdr + 16);
	rec->key = buf + YS_SPOOL_REC_HDR;
	rec->keylen = keylen;
	rec->val = buf + YS_SPOOL_REC_HDR + keylen;
	rec->vallen = s->len - YS_SPOOL_REC_HDR - keylen;
	return 0;
}

int ys_spool_next(struct ys_spool *sp, struct ys_spool_rec *rec, char *buf, size_t buflen)
{
	for (size_t i = 0; i < sp->nsegs && sp->queued; i++) {
		struct ys_spool_seg *seg = sp->segs[i];

		while (seg->queued && seg->cursor < seg->nslots) {
			uint32_t idx = seg->cursor++;
			int rc;

			if (seg->slots[idx].state != YS_SLOT_QUEUED)
				continue;
			rc = ys_spool_read(sp, seg, idx, rec, buf, buflen);
			seg->queued--;
			sp->queued--;
			if (rc) {
				/* unreadable: nothing to send, so it is a loss; say so */
				seg->slots[idx].state = YS_SLOT_DONE;
				sp->records--;
				sp->corrupt++;
				ys_spool_count_drop(sp, seg->sev, 1);
				ys_err(YS_SPOOL_MOD,
				       "segment %016" PRIx64 " record %u unreadable (%s): dropped",
				       seg->seq, idx, strerror(-rc));
				continue;
			}
			seg->slots[idx].state = YS_SLOT_INFLIGHT;
			seg->inflight++;
			sp->inflight++;
			rec->id = seg->seq << YS_SPOOL_IDX_BITS | idx;
			return 1;
		}
	}
	return 0;
}

static struct ys_spool_slot *ys_spool_slot_of(struct ys_spool *sp, uint64_t id,
					      struct ys_spool_seg **segp)
{
	struct ys_spool_seg *seg = ys_spool_seg_find(sp, id >> YS_SPOOL_IDX_BITS);
	uint32_t idx = (uint32_t)(id & YS_SPOOL_IDX_MAX);

	if (!seg || idx >= seg->nslots || seg->slots[idx].state != YS_SLOT_INFLIGHT)
		return NULL;
	*segp = seg;
	return &seg->slots[idx];
}

uint64_t ys_spool_ack(struct ys_spool *sp, uint64_t id)
{
	struct ys_spool_seg *seg;
	struct ys_spool_slot *s = ys_spool_slot_of(sp, id, &seg);
	uint64_t detect;

	if (!s)
		return 0;
	detect = s->detect_usec;
	s->state = YS_SLOT_DONE;
	seg->inflight--;
	sp->inflight--;
	sp->records--;
	sp->acked++;
	if (!seg->ghost) {
		if (seg->nacks == seg->ackcap) {
			uint32_t cap = seg->ackcap ? seg->ackcap * 2 : 256;
			uint32_t *a = realloc(seg->acks, cap * sizeof(*a));

			if (a) {
				seg->acks = a;
				seg->ackcap = cap;
			}
		}
		/* without room the ack is only in memory: a restart re-sends it */
		if (seg->nacks < seg->ackcap)
			seg->acks[seg->nacks++] = (uint32_t)(id & YS_SPOOL_IDX_MAX);
	}
	ys_spool_seg_maybe_release(sp, seg);
	return detect;
}

void ys_spool_nack(struct ys_spool *sp, uint64_t id, bool fatal)
{
	struct ys_spool_seg *seg;
	struct ys_spool_slot *s = ys_spool_slot_of(sp, id, &seg);
	uint32_t idx = (uint32_t)(id & YS_SPOOL_IDX_MAX);

	if (!s)
		return;
	seg->inflight--;
	sp->inflight--;
	if (fatal || seg->ghost) {
		s->state = YS_SLOT_DONE;
		sp->records--;
		ys_spool_count_drop(sp, seg->sev, 1);
		ys_spool_log_drops(sp, fatal ? "undeliverable" : "spool full", seg->sev, 1);
		ys_spool_seg_maybe_release(sp, seg);
		return;
	}
	s->state = YS_SLOT_QUEUED;
	seg->queued++;
	sp->queued++;
	if (idx < seg->cursor)
		seg->cursor = idx;
}

size_t ys_spool_take_closing(struct ys_spool *sp, int *fds, size_t maxfds)
{
	size_t n = sp->nclosing < maxfds ? sp->nclosing : maxfds;

	memcpy(fds, sp->closing, n * sizeof(fds[0]));
	memmove(sp->closing, sp->closing + n, (sp->nclosing - n) * sizeof(sp->closing[0]));
	sp->nclosing -= n;
	return n;
}

uint64_t ys_spool_requeue_inflight(struct ys_spool *sp)
{
	uint64_t n = 0;

	for (size_t i = 0; i < sp->nsegs;) {
		struct ys_spool_seg *seg = sp->segs[i];

		for (uint32_t j = 0; j < seg->nslots && seg->inflight; j++) {
			uint64_t id = seg->seq << YS_SPOOL_IDX_BITS | j;

			if (seg->slots[j].state != YS_SLOT_INFLIGHT)
				continue;
			n += !seg->ghost;
			/* nack may free a ghost segment: then stop looking at it */
			if (seg->ghost && seg->inflight == 1) {
				ys_spool_nack(sp, id, false);
				goto next_seg_freed;
			}
			ys_spool_nack(sp, id, false);
		}
		i++;
		continue;
next_seg_freed:
		continue; /* the array shifted: segs[i] is the next segment */
	}
	return n;
}

static void ys_spool_write_acks(struct ys_spool *sp, struct ys_spool_seg *seg)
{
	uint8_t buf[4096];
	uint32_t done = 0;

	if (!seg->nacks || seg->ghost)
		return;
	if (seg->ackfd < 0) {
		char path[PATH_MAX];

		ys_spool_path(sp, seg, "ack", path, sizeof(path));
		seg->ackfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (seg->ackfd < 0) {
			ys_warn(YS_SPOOL_MOD, "cannot open %s: %s (acks kept in memory)", path,
				strerror(errno));
			return;
		}
	}
	while (done < seg->nacks) {
		uint32_t n = 0;
		ssize_t w;

		while (done + n < seg->nacks && (n + 1) * 4 <= sizeof(buf)) {
			ys_put32(buf + n * 4, seg->acks[done + n]);
			n++;
		}
		w = write(seg->ackfd, buf, (size_t)n * 4);
		if (w != (ssize_t)n * 4) {
			ys_warn(YS_SPOOL_MOD, "ack log of segment %016" PRIx64 ": %s", seg->seq,
				w < 0 ? strerror(errno) : "short write");
			break;
		}
		seg->ackbytes += (uint64_t)n * 4;
		sp->bytes += (uint64_t)n * 4;
		done += n;
	}
	seg->nacks = 0;
}

size_t ys_spool_sync(struct ys_spool *sp, uint64_t now_usec, int *fds, size_t maxfds)
{
	bool do_fsync = sp->fsync == YS_SPOOL_FSYNC_INTERVAL &&
			now_usec - sp->last_fsync_usec >= sp->fsync_usec;
	size_t n = 0;

	for (size_t i = 0; i < sp->nsegs; i++) {
		struct ys_spool_seg *seg = sp->segs[i];

		ys_spool_write_acks(sp, seg);
		if (!do_fsync || !seg->dirty || seg->fd < 0)
			continue;
		if (fds && n < maxfds) {
			int fd = dup(seg->fd);

			if (fd >= 0) {
				fds[n++] = fd;
				seg->dirty = false;
				continue;
			}
		}
		if (fdatasync(seg->fd))
			ys_warn(YS_SPOOL_MOD, "fdatasync of %s failed: %s", sp->dir,
				strerror(errno));
		seg->dirty = false;
	}
	if (do_fsync)
		sp->last_fsync_usec = now_usec;
	return n;
}

/* Recovery: read one segment file, rebuild its slots, apply its ack log. */
static int ys_spool_recover_seg(struct ys_spool *sp, struct ys_spool_seg *seg, char *buf)
{
	char path[PATH_MAX];
	uint8_t *acked = NULL;
	uint64_t off = 0;
	struct stat st;
	int rc = 0;

	ys_spool_path(sp, seg, "spool", path, sizeof(path));
	seg->fd = open(path, O_RDWR | O_CLOEXEC);
	if (seg->fd < 0 || fstat(seg->fd, &st))
		return -errno;
	for (;;) {
		uint8_t hdr[YS_SPOOL_REC_HDR];
		uint32_t len, keylen;
		ssize_t r = pread(seg->fd, hdr, sizeof(hdr), (off_t)off);

		if (r == 0)
			break;
		if (r != (ssize_t)sizeof(hdr))
			goto torn;
		len = ys_get32(hdr + 4);
		keylen = (uint32_t)hdr[14] | (uint32_t)hdr[15] << 8;
		if (ys_get32(hdr) != YS_SPOOL_MAGIC || len < YS_SPOOL_REC_HDR ||
		    len > YS_SPOOL_MAX_RECORD || YS_SPOOL_REC_HDR + keylen > len ||
		    off + len > (uint64_t)st.st_size)
			goto torn;
		if (pread(seg->fd, buf, len, (off_t)off) != (ssize_t)len)
			goto torn;
		if (ys_spool_crc((uint8_t *)buf, buf + YS_SPOOL_REC_HDR, keylen,
				 buf + YS_SPOOL_REC_HDR + keylen,
				 len - YS_SPOOL_REC_HDR - keylen) != ys_get32(hdr + 8))
			goto torn;
		rc = ys_spool_slot_add(seg, (uint32_t)off, len, YS_SLOT_QUEUED,
				       ys_get64((uint8_t *)buf + 16));
		if (rc)
			return rc;
		off += len;
		if (seg->nslots >= YS_SPOOL_IDX_MAX)
			break;
	}
	goto apply_acks;
torn:
	ys_warn(YS_SPOOL_MOD,
		"%s: torn or corrupt record at offset %" PRIu64 ", truncating %" PRIu64
		" bytes (a crash mid-append)",
		path, off, (uint64_t)st.st_size - off);
	if (ftruncate(seg->fd, (off_t)off))
		ys_warn(YS_SPOOL_MOD, "%s: truncate failed: %s", path, strerror(errno));
apply_acks:
	seg->bytes = off;
	ys_spool_path(sp, seg, "ack", path, sizeof(path));
	seg->ackfd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (seg->ackfd >= 0 && seg->nslots) {
		int rfd = open(path, O_RDONLY | O_CLOEXEC);
		uint8_t abuf[4096];
		ssize_t r;

		acked = calloc(seg->nslots, 1);
		if (!acked || rfd < 0) {
			if (rfd >= 0)
				close(rfd);
			free(acked);
			return -ENOMEM;
		}
		while ((r = read(rfd, abuf, sizeof(abuf))) > 0) {
			seg->ackbytes += (uint64_t)r;
			for (ssize_t i = 0; i + 4 <= r; i += 4) {
				uint32_t idx = ys_get32(abuf + i);

				if (idx < seg->nslots)
					acked[idx] = 1;
			}
		}
		close(rfd);
	}
	for (uint32_t i = 0; i < seg->nslots; i++) {
		if (acked && acked[i]) {
			seg->slots[i].state = YS_SLOT_DONE;
			continue;
		}
		seg->queued++;
	}
	free(acked);
	sp->bytes += seg->bytes + seg->ackbytes;
	sp->queued += seg->queued;
	sp->records += seg->queued;
	sp->recovered += seg->queued;
	return 0;
}

static int ys_spool_seg_cmp(const void *a, const void *b)
{
	const struct ys_spool_seg *x = *(struct ys_spool_seg *const *)a;
	const struct ys_spool_seg *y = *(struct ys_spool_seg *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int ys_spool_recover(struct ys_spool *sp, char *err, size_t errlen)
{
	DIR *d = opendir(sp->dir);
	struct dirent *de;
	char *buf = NULL;
	int rc = 0;

	if (!d) {
		rc = -errno;
		snprintf(err, errlen, "spool dir %s: %s", sp->dir, strerror(errno));
		return rc;
	}
	while ((de = readdir(d))) {
		unsigned long long seq;
		int sev, n = 0;
		struct ys_spool_seg *seg;

		if (sscanf(de->d_name, "%16llx-s%d.spool%n", &seq, &sev, &n) != 2 ||
		    de->d_name[n] != '\0' || sev < 1 || sev > YS_SPOOL_LANES)
			continue;
		seg = ys_spool_seg_alloc(seq, sev);
		if (!seg || ys_spool_seg_insert(sp, seg)) {
			ys_spool_seg_free(seg);
			rc = -ENOMEM;
			goto out;
		}
		if (seq >= sp->next_seq)
			sp->next_seq = seq + 1;
	}
	if (sp->nsegs) /* qsort(NULL, 0, ...) is undefined */
		qsort(sp->segs, sp->nsegs, sizeof(sp->segs[0]), ys_spool_seg_cmp);
	buf = malloc(YS_SPOOL_MAX_RECORD);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < sp->nsegs;) {
		struct ys_spool_seg *seg = sp->segs[i];

		rc = ys_spool_recover_seg(sp, seg, buf);
		if (rc) {
			snprintf(err, errlen, "spool %s: segment %016" PRIx64 ": %s", sp->dir,
				 seg->seq, strerror(-rc));
			goto out;
		}
		if (!seg->queued) {
			ys_spool_seg_unlink(sp, seg);
			ys_spool_seg_remove(sp, seg);
			continue;
		}
		i++;
	}
	if (sp->recovered)
		ys_notice(
			YS_SPOOL_MOD,
			"%s: %" PRIu64
			" alerts not acknowledged before the last stop will be sent again (%" PRIu64
			" bytes in %zu segments)",
			sp->dir, sp->recovered, sp->bytes, sp->nsegs);
out:
	free(buf);
	closedir(d);
	return rc;
}

static int ys_spool_mkdirs(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

struct ys_spool *ys_spool_open(const struct ys_spool_params *p, char *err, size_t errlen)
{
	struct ys_spool *sp;
	int rc;

	if (!p->dir || !p->dir[0]) {
		snprintf(err, errlen, "spool: no directory configured");
		errno = EINVAL;
		return NULL;
	}
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		goto out_nomem;
	sp->dir = strdup(p->dir);
	if (!sp->dir)
		goto out_free;
	sp->max_bytes = p->max_bytes ? p->max_bytes : YS_SPOOL_DEFAULT_SIZE;
	sp->seg_bytes = p->segment_bytes;
	if (!sp->seg_bytes) {
		sp->seg_bytes = sp->max_bytes / 16;
		if (sp->seg_bytes < (64u << 10))
			sp->seg_bytes = 64u << 10;
		if (sp->seg_bytes > (64u << 20))
			sp->seg_bytes = 64u << 20;
	}
	if (sp->seg_bytes > UINT32_MAX)
		sp->seg_bytes = UINT32_MAX;
	sp->fsync = p->fsync;
	sp->fsync_usec = (uint64_t)(p->fsync_interval_ms ? p->fsync_interval_ms : 1000) * 1000;
	sp->next_seq = 1;
	rc = ys_spool_mkdirs(sp->dir);
	if (rc) {
		snprintf(err, errlen, "spool dir %s: %s", sp->dir, strerror(-rc));
		errno = -rc;
		goto out_free;
	}
	if (access(sp->dir, W_OK | X_OK)) {
		rc = errno;
		snprintf(err, errlen, "spool dir %s: %s", sp->dir, strerror(rc));
		errno = rc;
		goto out_free;
	}
	rc = ys_spool_recover(sp, err, errlen);
	if (rc) {
		errno = -rc;
		goto out_free;
	}
	sp->last_fsync_usec = ys_spool_now_usec();
	return sp;

out_free:
	rc = errno;
	ys_spool_close(sp);
	errno = rc;
	return NULL;
out_nomem:
	snprintf(err, errlen, "out of memory");
	errno = ENOMEM;
	return NULL;
}

void ys_spool_close(struct ys_spool *sp)
{
	if (!sp)
		return;
	for (size_t i = 0; i < sp->nsegs; i++) {
		struct ys_spool_seg *seg = sp->segs[i];

		ys_spool_write_acks(sp, seg);
		if (seg->dirty && seg->fd >= 0 && sp->fsync != YS_SPOOL_FSYNC_NONE)
			fdatasync(seg->fd);
		/* fully delivered segments need not survive the restart */
		seg->active = false;
		if (!seg->queued && !seg->inflight)
			ys_spool_seg_unlink(sp, seg);
		ys_spool_seg_free(seg);
	}
	for (size_t i = 0; i < sp->nclosing; i++)
		close(sp->closing[i]);
	free(sp->segs);
	free(sp->dir);
	free(sp);
}

void ys_spool_get_stats(const struct ys_spool *sp, struct ys_spool_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->bytes = sp->bytes;
	st->records = sp->records;
	st->queued = sp->queued;
	st->inflight = sp->inflight;
	st->appended = sp->appended;
	st->acked = sp->acked;
	st->recovered = sp->recovered;
	st->dropped = sp->dropped;
	st->corrupt = sp->corrupt;
	memcpy(st->dropped_by_sev, sp->dropped_by_sev, sizeof(st->dropped_by_sev));
}

uint64_t ys_spool_queued(const struct ys_spool *sp)
{
	return sp->queued;
}
