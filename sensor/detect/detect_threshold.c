/*
 * threshold: and detection_filter: state. Each worker ctx owns one table of
 * fixed capacity (no allocation per packet); an entry is keyed by tenant,
 * gid:sid and the tracked addresses (by_src, by_dst, by_both, by_rule) or
 * flow (by_flow). When the table is full, the least recently used entry on
 * the probe path is recycled, so memory stays bounded whatever the traffic;
 * the price is that a flood of distinct sources can reset a counter early.
 *
 * Semantics follow Suricata, counting in packet time:
 *   limit      alert on the first COUNT matches of each SECONDS window
 *   threshold  alert on every COUNTth match within a window
 *   both       alert once per window, at the COUNTth match
 *   detection_filter  alert on every match after the first COUNT in a window
 *   ... unique_on src_port|dst_port: count distinct ports instead of matches
 *       (kept as a 256-bit set per entry: exact for small counts, an
 *       underestimate when many ports collide; memory stays fixed)
 */
#include "detect_int.h"

#include <stdlib.h>
#include <string.h>

#define PROBE_MAX 16

struct thr_entry {
	uint64_t hash;
	uint32_t sid, gid, tenant;
	uint8_t a[17], b[17];
	const void *flow;
	uint64_t first_usec, last_usec;
	uint32_t count;
	uint64_t ports[4]; /* unique_on: distinct ports seen, hashed into 256 bits */
	bool used;
};

struct ys_thr_table {
	struct thr_entry *e;
	uint32_t mask;
};

struct ys_thr_table *ys_thr_table_new(uint32_t capacity)
{
	struct ys_thr_table *t = calloc(1, sizeof(*t));
	uint32_t n = 64;

	if (!t)
		return NULL;
	while (n < capacity)
		n <<= 1;
	t->e = calloc(n, sizeof(*t->e));
	if (!t->e) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	return t;
}

void ys_thr_table_free(struct ys_thr_table *t)
{
	if (!t)
		return;
	free(t->e);
	free(t);
}

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void addr_key(uint8_t out[17], const struct ys_addr *a)
{
	memset(out, 0, 17);
	out[0] = a->family;
	memcpy(out + 1, a->a, a->family == 4 ? 4 : 16);
}

bool ys_thr_check(struct ys_thr_table *t, const struct ys_sig *s, const struct ys_packet *pkt)
{
	struct thr_entry key, *slot = NULL, *victim = NULL;
	const struct ys_threshold *th = &s->thr;
	uint64_t win = (uint64_t)th->seconds * 1000000ull;

	if (th->type == YS_THR_NONE)
		return true;
	memset(&key, 0, sizeof(key));
	key.sid = s->info.sid;
	key.gid = s->info.gid;
	key.tenant = pkt->tenant_id;
	switch (th->track) {
	case YS_TRACK_SRC:
		addr_key(key.a, &pkt->src);
		break;
	case YS_TRACK_DST:
		addr_key(key.a, &pkt->dst);
		break;
	case YS_TRACK_BOTH:
		/* by_both is symmetric: order the pair */
		addr_key(key.a, &pkt->src);
		addr_key(key.b, &pkt->dst);
		if (memcmp(key.a, key.b, 17) > 0) {
			uint8_t tmp[17];
			memcpy(tmp, key.a, 17);
			memcpy(key.a, key.b, 17);
			memcpy(key.b, tmp, 17);
		}
		break;
	case YS_TRACK_FLOW:
		key.flow = pkt->flow;
		break;
	default:
		break;
	}
	uint64_t h = 0xcbf29ce484222325ull;
	h = mix(h, &key.sid, sizeof(key.sid));
	h = mix(h, &key.gid, sizeof(key.gid));
	h = mix(h, &key.tenant, sizeof(key.tenant));
	h = mix(h, key.a, 17);
	h = mix(h, key.b, 17);
	h = mix(h, &key.flow, sizeof(key.flow));
	key.hash = h;

	for (uint32_t i = 0; i < PROBE_MAX; i++) {
		struct thr_entry *e = &t->e[(h + i) & t->mask];
		if (!e->used) {
			if (!victim)
				victim = e;
			break;
		}
		if (e->hash == h && e->sid == key.sid && e->gid == key.gid &&
		    e->tenant == key.tenant && memcmp(e->a, key.a, 17) == 0 &&
		    memcmp(e->b, key.b, 17) == 0 && e->flow == key.flow) {
			slot = e;
			break;
		}
		if (!victim || e->last_usec < victim->last_usec)
			victim = e;
	}
	uint64_t now = pkt->ts_usec;
	if (!slot || now - slot->first_usec > win || now < slot->first_usec) {
		/* new window */
		if (!slot) {
			slot = victim;
			*slot = key;
			slot->used = true;
		}
		slot->first_usec = now;
		slot->count = 0;
		memset(slot->ports, 0, sizeof(slot->ports));
	}
	slot->last_usec = now;
	if (th->unique_on) {
		uint16_t port = th->unique_on == 1 ? pkt->sport : pkt->dport;
		uint32_t bit = (uint32_t)((port * 0x9e37u) >> 8) & 255;
		if (!(slot->ports[bit / 64] & (1ull << (bit % 64)))) {
			slot->ports[bit / 64] |= 1ull << (bit % 64);
			slot->count++;
		}
	} else {
		slot->count++;
	}
	switch (th->type) {
	case YS_THR_LIMIT:
		return slot->count <= th->count;
	case YS_THR_THRESHOLD:
		if (slot->count >= th->count) {
			slot->count = 0;
			return true;
		}
		return false;
	case YS_THR_BOTH:
		return slot->count == th->count;
	case YS_THR_DETECTION_FILTER:
		return slot->count > th->count;
	default:
		return true;
	}
}
