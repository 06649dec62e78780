/*
 * IP fragment reassembly for one decoder (IPv4 and IPv6 alike).
 *
 * A datagram being rebuilt is an entry keyed by family, source, destination,
 * IP id, protocol and the outer overlay VNI (two tenants' overlapping private
 * addresses never mix their fragments). It keeps the payload bytes received so
 * far and the sorted, merged list of byte ranges they cover. Overlap policy is
 * "first wins": a later fragment only fills bytes nobody has sent yet, so
 * neither a tiny-fragment header rewrite (RFC 1858) nor a teardrop-style
 * overlap can change what was already seen, and lengths are never computed by
 * subtraction of untrusted offsets.
 *
 * Memory: entries and their buffers count against the memcap; when a new
 * entry or a buffer growth would exceed it, the oldest incomplete datagrams
 * are dropped first (YS_DEC_FRAG_MEMCAP per drop). Entries older than the
 * timeout (packet time since their first fragment) are dropped as fragments
 * arrive (stats.frag_timeouts). This is the only place the decoder allocates.
 *
 * An entry's buffer keeps YS_FRAG_HDR_MAX bytes free in front of the payload,
 * so that a complete datagram is assembled in place: the first fragment's
 * header goes right before the payload and the buffer passes to the decoder
 * (dec->done_buf) for the packet's lifetime, without a new allocation or a
 * second copy of the payload.
 */
#include "decode_private.h"

#include <stdlib.h>
#include <sys/random.h>

#define YS_FRAG_BUCKETS	  4096 /* power of two */
#define YS_FRAG_HDR_MAX	  60
#define YS_FRAG_GROW_STEP 2048

struct ys_frag_range {
	uint32_t start, end; /* [start, end) of the payload */
};

struct ys_frag_entry {
	struct ys_frag_entry *hnext;
	struct ys_frag_entry *lru_prev, *lru_next; /* oldest first */
	uint64_t first_usec;
	uint32_t hash;
	uint8_t family, proto;
	uint32_t id, vni;
	uint8_t src[16], dst[16];
	uint8_t hdr[YS_FRAG_HDR_MAX];
	uint32_t hlen;	/* 0 until the offset-0 fragment arrived */
	uint32_t total; /* payload length, once the last fragment (MF=0) arrived */
	bool have_last;
	uint8_t *buf; /* YS_FRAG_HDR_MAX bytes of room, then the payload */
	uint32_t cap; /* payload bytes buf has room for */
	uint32_t nranges;
	struct ys_frag_range ranges[YS_FRAG_MAX_PIECES];
};

struct ys_frag_table {
	uint64_t memcap;
	uint64_t timeout_usec;
	uint64_t seed;
	struct ys_frag_entry *lru_head, *lru_tail;
	struct ys_frag_entry *buckets[YS_FRAG_BUCKETS];
};

struct ys_frag_table *ys_frag_table_new(uint64_t memcap, uint32_t timeout_sec)
{
	struct ys_frag_table *ft = calloc(1, sizeof(*ft));

	if (!ft)
		return NULL;
	ft->memcap = memcap;
	ft->timeout_usec = (uint64_t)timeout_sec * 1000000u;
	/* A secret seed keeps an attacker from aiming all fragments at one bucket. */
	if (getrandom(&ft->seed, sizeof(ft->seed), GRND_NONBLOCK) != sizeof(ft->seed))
		ft->seed = (uint64_t)(uintptr_t)ft ^ 0x9e3779b97f4a7c15ull;
	return ft;
}

static void ys_frag_entry_unlink(struct ys_frag_table *ft, struct ys_frag_entry *e)
{
	struct ys_frag_entry **pp = &ft->buckets[e->hash & (YS_FRAG_BUCKETS - 1)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		ft->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		ft->lru_tail = e->lru_prev;
}

/* Bytes of memcap the buffer for CAP payload bytes takes (0: none allocated). */
static uint64_t ys_frag_buf_size(uint32_t cap)
{
	return cap ? (uint64_t)YS_FRAG_HDR_MAX + cap : 0;
}

static uint8_t *ys_frag_payload(const struct ys_frag_entry *e)
{
	return e->buf + YS_FRAG_HDR_MAX;
}

static void ys_frag_entry_drop(struct ys_decoder *dec, struct ys_frag_entry *e)
{
	ys_frag_entry_unlink(dec->frag, e);
	dec->st.frag_memuse -= sizeof(*e) + ys_frag_buf_size(e->cap);
	dec->st.frag_active--;
	free(e->buf);
	free(e);
}

void ys_frag_table_free(struct ys_frag_table *ft)
{
	struct ys_frag_entry *e, *n;

	if (!ft)
		return;
	for (e = ft->lru_head; e; e = n) {
		n = e->lru_next;
		free(e->buf);
		free(e);
	}
	free(ft);
}

static uint64_t ys_frag_mix(uint64_t h, uint64_t v)
{
	__uint128_t m = (__uint128_t)(h ^ v) * 0x9e3779b97f4a7c15ull;

	return (uint64_t)m ^ (uint64_t)(m >> 64);
}

static uint32_t ys_frag_hash(const struct ys_frag_table *ft, const struct ys_packet *pkt,
			     uint32_t id, uint8_t proto, uint32_t vni)
{
	uint64_t h = ft->seed, w;
	size_t n = pkt->src.family == 4 ? 4 : 16;

	for (size_t i = 0; i < n; i += 4) {
		uint32_t s, d;

		memcpy(&s, pkt->src.a + i, 4);
		memcpy(&d, pkt->dst.a + i, 4);
		w = ((uint64_t)s << 32) | d;
		h = ys_frag_mix(h, w);
	}
	h = ys_frag_mix(h, ((uint64_t)id << 32) | ((uint64_t)proto << 24) | vni);
	return (uint32_t)(h ^ (h >> 32));
}

/* Make room for NEED more bytes, dropping the oldest entries other than KEEP. */
static bool ys_frag_make_room(struct ys_decoder *dec, uint64_t need, struct ys_frag_entry *keep)
{
	struct ys_frag_table *ft = dec->frag;

	while (dec->st.frag_memuse + need > ft->memcap) {
		struct ys_frag_entry *victim = ft->lru_head;

		if (victim == keep)
			victim = victim->lru_next;
		if (!victim)
			return false;
		dec->st.errors[YS_DEC_FRAG_MEMCAP]++;
		ys_frag_entry_drop(dec, victim);
	}
	return true;
}

static void ys_frag_expire(struct ys_decoder *dec, uint64_t now)
{
	struct ys_frag_table *ft = dec->frag;

	while (ft->lru_head && ft->lru_head->first_usec + ft->timeout_usec < now) {
		dec->st.frag_timeouts++;
		ys_frag_entry_drop(dec, ft->lru_head);
	}
}

static struct ys_frag_entry *ys_frag_lookup(struct ys_frag_table *ft, const struct ys_packet *pkt,
					    uint32_t hash, uint32_t id, uint8_t proto, uint32_t vni)
{
	size_t n = pkt->src.family == 4 ? 4 : 16;

	for (struct ys_frag_entry *e = ft->buckets[hash & (YS_FRAG_BUCKETS - 1)]; e; e = e->hnext) {
		if (e->hash == hash && e->id == id && e->proto == proto && e->vni == vni &&
		    e->family == pkt->src.family && !memcmp(e->src, pkt->src.a, n) &&
		    !memcmp(e->dst, pkt->dst.a, n))
			return e;
	}
	return NULL;
}

/*
 * Copy the parts of [off, end) no earlier fragment covered and merge the range
 * into the list. Returns whether anything overlapped, or -1 when the list
 * would exceed YS_FRAG_MAX_PIECES.
 */
static int ys_frag_insert(struct ys_frag_entry *e, uint32_t off, uint32_t end, const uint8_t *p)
{
	struct ys_frag_range merged[YS_FRAG_MAX_PIECES + 1];
	uint32_t cur = off, n = 0;
	int i;
	bool overlap = false, placed = false;

	for (i = 0; i < (int)e->nranges && cur < end; i++) {
		const struct ys_frag_range *r = &e->ranges[i];

		if (r->end <= cur)
			continue;
		if (r->start >= end)
			break;
		overlap = true;
		if (r->start > cur)
			memcpy(ys_frag_payload(e) + cur, p + (cur - off), r->start - cur);
		cur = r->end;
	}
	if (cur < end)
		memcpy(ys_frag_payload(e) + cur, p + (cur - off), end - cur);

	/* Rebuild the sorted, merged list with [off, end) in it. */
	for (i = 0; i < (int)e->nranges || !placed; i++) {
		struct ys_frag_range r;

		if (!placed && (i == (int)e->nranges || off < e->ranges[i].start)) {
			r.start = off;
			r.end = end;
			placed = true;
			i--; /* ranges[i] (if any) still to be merged */
		} else {
			r = e->ranges[i];
		}
		if (n && r.start <= merged[n - 1].end) {
			if (r.end > merged[n - 1].end)
				merged[n - 1].end = r.end;
		} else {
			if (n == YS_FRAG_MAX_PIECES)
				return -1;
			merged[n++] = r;
		}
	}
	memcpy(e->ranges, merged, n * sizeof(merged[0]));
	e->nranges = n;
	return overlap;
}

int ys_frag_add(struct ys_decoder *dec, struct ys_packet *pkt, uint32_t id, uint8_t proto,
		uint32_t off, bool more, const uint8_t *hdr, uint32_t hlen, const uint8_t *p,
		uint32_t len, uint8_t **out, uint32_t *outlen)
{
	struct ys_frag_table *ft = dec->frag;
	bool v4 = pkt->src.family == 4;
	enum ys_decode_error e_bad = v4 ? YS_DEC_IPV4_FRAG_BAD : YS_DEC_IPV6_FRAG_BAD;
	uint32_t vni = pkt->tunnel.type != YS_TUNNEL_NONE ? pkt->tunnel.vni : 0;
	uint32_t hash = ys_frag_hash(ft, pkt, id, proto, vni);
	uint32_t end = off + len;
	struct ys_frag_entry *e;
	uint8_t *buf;
	int ov;

	ys_frag_expire(dec, pkt->ts_usec);
	e = ys_frag_lookup(ft, pkt, hash, id, proto, vni);
	if (!e) {
		if (!ys_frag_make_room(dec, sizeof(*e), NULL) || !(e = calloc(1, sizeof(*e))))
			return ys_dec_fail(dec, pkt, YS_DEC_FRAG_MEMCAP);
		e->hash = hash;
		e->id = id;
		e->proto = proto;
		e->vni = vni;
		e->family = pkt->src.family;
		memcpy(e->src, pkt->src.a, v4 ? 4 : 16);
		memcpy(e->dst, pkt->dst.a, v4 ? 4 : 16);
		e->first_usec = pkt->ts_usec;
		e->hnext = ft->buckets[hash & (YS_FRAG_BUCKETS - 1)];
		ft->buckets[hash & (YS_FRAG_BUCKETS - 1)] = e;
		e->lru_prev = ft->lru_tail;
		if (ft->lru_tail)
			ft->lru_tail->lru_next = e;
		else
			ft->lru_head = e;
		ft->lru_tail = e;
		dec->st.frag_memuse += sizeof(*e);
		dec->st.frag_active++;
	}

	/* The end of the datagram is fixed by the first last-fragment; bytes
	 * claimed past it, or a last fragment ending before bytes we hold, are
	 * inconsistent: ignored and counted (first wins here too). */
	if (!more) {
		if (e->have_last && end != e->total)
			return ys_dec_fail(dec, pkt, e_bad);
		if (!e->have_last && e->nranges && e->ranges[e->nranges - 1].end > end)
			return ys_dec_fail(dec, pkt, e_bad);
	} else if (e->have_last && end > e->total) {
		return ys_dec_fail(dec, pkt, e_bad);
	}

	if (end > e->cap) {
		uint32_t ncap = e->cap ? e->cap * 2 : YS_FRAG_GROW_STEP;

		if (ncap < end)
			ncap = (end + YS_FRAG_GROW_STEP - 1) & ~(uint32_t)(YS_FRAG_GROW_STEP - 1);
		if (ncap > 65536)
			ncap = 65536;
		if (!ys_frag_make_room(dec, ys_frag_buf_size(ncap) - ys_frag_buf_size(e->cap), e))
			goto out_drop;
		buf = realloc(e->buf, ys_frag_buf_size(ncap));
		if (!buf)
			goto out_drop;
		dec->st.frag_memuse += ys_frag_buf_size(ncap) - ys_frag_buf_size(e->cap);
		e->buf = buf;
		e->cap = ncap;
	}
	ov = ys_frag_insert(e, off, end, p);
	if (ov < 0) {
		ys_dec_fail(dec, pkt, e_bad);
		goto out_drop_entry;
	}
	if (ov)
		ys_dec_note(dec, pkt, v4 ? YS_DEC_IPV4_FRAG_OVERLAP : YS_DEC_IPV6_FRAG_OVERLAP);
	if (!more) {
		e->have_last = true;
		e->total = end;
	}
	if (off == 0 && e->hlen == 0) {
		memcpy(e->hdr, hdr, hlen);
		e->hlen = hlen;
	}
	if (!e->have_last || !e->hlen || e->nranges != 1 || e->ranges[0].start != 0 ||
	    e->ranges[0].end != e->total)
		return -EAGAIN;

	if (e->hlen + e->total > 65535) {
		ys_dec_fail(dec, pkt, v4 ? YS_DEC_IPV4_FRAG_TOO_LARGE : YS_DEC_IPV6_FRAG_TOO_LARGE);
		goto out_drop_entry;
	}
	/* Complete: the header goes in front of the payload, in the entry's buffer
	 * (there is one: the last fragment ends past offset 0). */
	if (!e->buf)
		goto out_drop;
	buf = ys_frag_payload(e) - e->hlen;
	memcpy(buf, e->hdr, e->hlen);
	if (v4) {
		uint16_t tot = (uint16_t)(e->hlen + e->total), sum;

		buf[2] = (uint8_t)(tot >> 8);
		buf[3] = (uint8_t)tot;
		buf[6] = buf[7] = 0; /* no MF, offset 0 */
		buf[10] = buf[11] = 0;
		sum = ys_csum_fold(ys_csum_add(0, buf, e->hlen));
		buf[10] = (uint8_t)(sum >> 8);
		buf[11] = (uint8_t)sum;
	} else {
		buf[4] = (uint8_t)(e->total >> 8);
		buf[5] = (uint8_t)e->total;
	}
	*outlen = e->hlen + e->total;
	*out = buf;
	/* A datagram completed inside an already reassembled one replaces it: the
	 * outer layers are no longer read once we are inside. */
	if (dec->done_buf) {
		free(dec->done_buf);
		dec->st.frag_memuse -= dec->done_size;
	}
	/* The buffer (and its share of the memcap) passes from the entry to the
	 * decoder, which frees it with the next packet. */
	dec->done_buf = e->buf;
	dec->done_size = ys_frag_buf_size(e->cap);
	e->buf = NULL;
	e->cap = 0;
	dec->st.frag_reassembled++;
	ys_frag_entry_drop(dec, e);
	return 0;

out_drop:
	ys_dec_fail(dec, pkt, YS_DEC_FRAG_MEMCAP);
out_drop_entry:
	ys_frag_entry_drop(dec, e);
	return -EINVAL;
}
