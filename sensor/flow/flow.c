/*
 * Flow table of one worker: a chained hash table over a seeded, symmetric
 * hash of tenant + protocol + both endpoints (so both directions of a flow
 * land in one bucket and an attacker cannot aim many flows at one chain),
 * one LRU list per timeout class (each list is ordered by last activity and
 * has one timeout, so expiry only ever looks at list heads), entries from a
 * free list refilled in chunks up to the memcap. See flow.h for the
 * semantics of direction, TCP state, timeouts and memcap.
 */
#include "flow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define YS_TH_FIN 0x01
#define YS_TH_SYN 0x02
#define YS_TH_RST 0x04
#define YS_TH_ACK 0x10

#define YS_FLOW_CHUNK	 1024
#define YS_FLOW_ID_BITS	 53
#define YS_FLOW_ID_MASK	 ((1ull << YS_FLOW_ID_BITS) - 1)
#define YS_FLOW_CNT_BITS 45

enum ys_flow_class {
	YS_FC_NEW = 0,
	YS_FC_EST_TCP,
	YS_FC_CLOSED,
	YS_FC_UDP, /* established UDP and other non-TCP, non-ICMP protocols */
	YS_FC_ICMP,
	YS_FC_COUNT
};

struct ys_flow_lru {
	struct ys_flow *head, *tail; /* head = least recently active */
};

struct ys_flow_chunk {
	struct ys_flow_chunk *next;
	struct ys_flow flows[];
};

struct ys_flow_table {
	struct ys_flow_params p;
	struct ys_flow_stats st;
	struct ys_flow **buckets;
	uint32_t mask;
	uint64_t seed0, seed1;
	struct ys_flow_lru lru[YS_FC_COUNT];
	uint64_t timeout_usec[YS_FC_COUNT];
	struct ys_flow *free_list;
	struct ys_flow_chunk *chunks;
	uint64_t max_flows, nallocated;
	uint64_t next_id;
};

/* The lookup key of a packet: endpoints as sent, ports (or the ICMP key). */
struct ys_flow_key {
	const struct ys_addr *src, *dst;
	uint16_t sport, dport;
	uint64_t ext; /* depth << 58 | VNI << 32 | outer VLAN << 16 | inner VLAN */
};

static uint64_t ys_flow_mum(uint64_t a, uint64_t b)
{
	__uint128_t m = (__uint128_t)a * b;

	return (uint64_t)m ^ (uint64_t)(m >> 64);
}

/* Bijection on 53-bit integers (xor-shifts and odd multipliers modulo 2^53). */
static uint64_t ys_flow_id_mix(uint64_t x)
{
	x ^= x >> 26;
	x = (x * 0xbf58476d1ce4e5b9ull) & YS_FLOW_ID_MASK;
	x ^= x >> 23;
	x = (x * 0x94d049bb133111ebull) & YS_FLOW_ID_MASK;
	x ^= x >> 27;
	return x;
}

static bool ys_icmp_is_reply(uint8_t proto, uint8_t type)
{
	if (proto == 1)
		return type == 0 || type == 14 || type == 16 || type == 18;
	return type == 129;
}

static bool ys_icmp_is_echo(uint8_t proto, uint8_t type)
{
	if (proto == 1)
		return type == 0 || type == 8 || (type >= 13 && type <= 18);
	return type == 128 || type == 129;
}

static void ys_flow_key_of(const struct ys_flow_table *t, const struct ys_packet *pkt,
			   struct ys_flow_key *k)
{
	k->src = &pkt->src;
	k->dst = &pkt->dst;
	/* Encapsulation depth too (as Suricata's recursion level): a tuple seen
	 * inside GRE/ERSPAN is not the same flow as that tuple seen bare. */
	k->ext = (uint64_t)pkt->tunnel_depth << 58;
	if (pkt->tunnel.type != YS_TUNNEL_NONE)
		k->ext |= ((uint64_t)(pkt->tunnel.vni | 0x01000000u) << 32);
	if (!t->p.ignore_vlan && pkt->vlan_count) {
		k->ext |= (uint64_t)(pkt->vlan[0] | 0x8000u) << 16;
		if (pkt->vlan_count > 1)
			k->ext |= pkt->vlan[1] | 0x8000u;
	}
	if (pkt->proto == 1 || pkt->proto == 58) {
		/* Both directions of an echo exchange share the id. */
		uint16_t v = ys_icmp_is_echo(pkt->proto, pkt->icmp_type)
				     ? pkt->icmp_id
				     : (uint16_t)((pkt->icmp_type << 8) | pkt->icmp_code);
		k->sport = k->dport = v;
	} else {
		k->sport = pkt->sport;
		k->dport = pkt->dport;
	}
}

static uint32_t ys_flow_hash(const struct ys_flow_table *t, uint32_t tenant, uint8_t proto,
			     const struct ys_flow_key *k)
{
	const struct ys_addr *a = k->src, *b = k->dst;
	uint16_t pa = k->sport, pb = k->dport;
	uint64_t h = t->seed0, w0, w1;
	int c = ys_addr_cmp(a, b);

	/* Order the endpoints so that both directions hash alike. */
	if (c > 0 || (c == 0 && pa > pb)) {
		const struct ys_addr *ta = a;
		uint16_t tp = pa;

		a = b;
		b = ta;
		pa = pb;
		pb = tp;
	}
	if (a->family == 4) {
		uint32_t x, y;

		memcpy(&x, a->a, 4);
		memcpy(&y, b->a, 4);
		h = ys_flow_mum(h ^ (((uint64_t)x << 32) | y), t->seed1 ^ 0xa0761d6478bd642full);
	} else {
		for (int i = 0; i < 16; i += 8) {
			memcpy(&w0, a->a + i, 8);
			memcpy(&w1, b->a + i, 8);
			h = ys_flow_mum(h ^ w0, t->seed1 ^ 0xe7037ed1a0b428dbull);
			h = ys_flow_mum(h ^ w1, t->seed1 ^ 0x8ebc6af09c88c6e3ull);
		}
	}
	w0 = ((uint64_t)pa << 48) | ((uint64_t)pb << 32) | tenant;
	h = ys_flow_mum(h ^ w0, t->seed1 ^ ((uint64_t)proto << 56) ^ 0x589965cc75374cc3ull);
	if (k->ext)
		h = ys_flow_mum(h ^ k->ext, t->seed1 ^ 0x1d8e4e27c47d124full);
	return (uint32_t)(h ^ (h >> 32));
}

static uint8_t ys_flow_class_of(const struct ys_flow *f)
{
	if (f->proto == 1 || f->proto == 58)
		return YS_FC_ICMP;
	if (f->proto == 6) {
		if (f->state == YS_FLOW_CLOSING || f->state == YS_FLOW_CLOSED)
			return YS_FC_CLOSED;
		return f->state == YS_FLOW_ESTABLISHED ? YS_FC_EST_TCP : YS_FC_NEW;
	}
	return f->state == YS_FLOW_ESTABLISHED ? YS_FC_UDP : YS_FC_NEW;
}

static void ys_lru_unlink(struct ys_flow_table *t, struct ys_flow *f)
{
	struct ys_flow_lru *l = &t->lru[f->lru_class];

	if (f->lru_prev)
		f->lru_prev->lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next)
		f->lru_next->lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void ys_lru_append(struct ys_flow_table *t, struct ys_flow *f)
{
	struct ys_flow_lru *l;

	f->lru_class = ys_flow_class_of(f);
	l = &t->lru[f->lru_class];
	f->lru_next = NULL;
	f->lru_prev = l->tail;
	if (l->tail)
		l->tail->lru_next = f;
	else
		l->head = f;
	l->tail = f;
}

static void ys_flow_hash_unlink(struct ys_flow_table *t, struct ys_flow *f)
{
	struct ys_flow **pp = &t->buckets[f->hash & t->mask];

	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	f->hnext = NULL;
}

/* Take F out of the table and give it back to the free list. */
static void ys_flow_evict(struct ys_flow_table *t, struct ys_flow *f)
{
	if (t->p.release)
		t->p.release(f, t->p.release_user);
	ys_flow_hash_unlink(t, f);
	ys_lru_unlink(t, f);
	f->stream = f->app = f->detect = NULL;
	f->hnext = t->free_list;
	t->free_list = f;
	t->st.active--;
}

static uint32_t ys_pow2_at_least(uint32_t n)
{
	uint32_t v = 1;

	while (v < n && v < (1u << 30))
		v <<= 1;
	return v;
}

struct ys_flow_table *ys_flow_table_new(const struct ys_flow_params *params)
{
	struct ys_flow_table *t = calloc(1, sizeof(*t));
	uint64_t seeds[2];

	if (!t)
		return NULL;
	if (params)
		t->p = *params;
	if (!t->p.memcap)
		t->p.memcap = 128ull << 20;
	if (!t->p.hash_size)
		t->p.hash_size = 65536;
	if (!t->p.timeout_new)
		t->p.timeout_new = 30;
	if (!t->p.timeout_established)
		t->p.timeout_established = 300;
	if (!t->p.timeout_closed)
		t->p.timeout_closed = 10;
	if (!t->p.timeout_udp)
		t->p.timeout_udp = 120;
	if (!t->p.timeout_icmp)
		t->p.timeout_icmp = 30;
	t->timeout_usec[YS_FC_NEW] = t->p.timeout_new * 1000000ull;
	t->timeout_usec[YS_FC_EST_TCP] = t->p.timeout_established * 1000000ull;
	t->timeout_usec[YS_FC_CLOSED] = t->p.timeout_closed * 1000000ull;
	t->timeout_usec[YS_FC_UDP] = t->p.timeout_udp * 1000000ull;
	t->timeout_usec[YS_FC_ICMP] = t->p.timeout_icmp * 1000000ull;
	t->max_flows = t->p.memcap / sizeof(struct ys_flow);
	if (t->max_flows == 0) {
		errno = EINVAL;
		goto out_free_table;
	}
	t->mask = ys_pow2_at_least(t->p.hash_size) - 1;
	t->buckets = calloc((size_t)t->mask + 1, sizeof(*t->buckets));
	if (!t->buckets) {
		errno = ENOMEM;
		goto out_free_table;
	}
	if (getrandom(seeds, sizeof(seeds), GRND_NONBLOCK) != sizeof(seeds)) {
		seeds[0] = (uint64_t)(uintptr_t)t * 0x9e3779b97f4a7c15ull;
		seeds[1] = (uint64_t)(uintptr_t)t->buckets ^ 0xd6e8feb86659fd93ull;
	}
	t->seed0 = seeds[0];
	t->seed1 = seeds[1] | 1;
	t->next_id = 1;
	return t;

out_free_table:
	free(t);
	return NULL;
}

void ys_flow_table_free(struct ys_flow_table *t)
{
	struct ys_flow_chunk *c, *n;

	if (!t)
		return;
	for (int i = 0; i < YS_FC_COUNT; i++) {
		for (struct ys_flow *f = t->lru[i].head; f; f = f->lru_next) {
			if (t->p.release)
				t->p.release(f, t->p.release_user);
		}
	}
	for (c = t->chunks; c; c = n) {
		n = c->next;
		free(c);
	}
	free(t->buckets);
	free(t);
}

unsigned ys_flow_timeout(struct ys_flow_table *t, uint64_t now_usec)
{
	unsigned n = 0;

	for (int i = 0; i < YS_FC_COUNT; i++) {
		struct ys_flow *f;

		while ((f = t->lru[i].head) && f->last_usec + t->timeout_usec[i] < now_usec) {
			ys_flow_evict(t, f);
			t->st.evicted_timeout++;
			n++;
		}
	}
	return n;
}

void ys_flow_foreach(struct ys_flow_table *t, void (*fn)(struct ys_flow *f, void *user), void *user)
{
	for (int i = 0; i < YS_FC_COUNT; i++) {
		struct ys_flow *f, *next;

		for (f = t->lru[i].head; f; f = next) {
			next = f->lru_next; /* FN may not evict, but be safe about order */
			fn(f, user);
		}
	}
}

const struct ys_flow_stats *ys_flow_table_stats(const struct ys_flow_table *t)
{
	return &t->st;
}

/* An entry for a new flow: free list, a new chunk within the memcap, or reclaim. */
static struct ys_flow *ys_flow_get_entry(struct ys_flow_table *t, uint64_t now)
{
	struct ys_flow *f, *victim = NULL;
	static const uint8_t reclaimable[] = { YS_FC_NEW, YS_FC_CLOSED, YS_FC_ICMP, YS_FC_UDP };

	if (!t->free_list && t->nallocated < t->max_flows) {
		uint64_t n = t->max_flows - t->nallocated;
		struct ys_flow_chunk *c;

		if (n > YS_FLOW_CHUNK)
			n = YS_FLOW_CHUNK;
		c = calloc(1, sizeof(*c) + n * sizeof(struct ys_flow));
		if (c) {
			c->next = t->chunks;
			t->chunks = c;
			for (uint64_t i = 0; i < n; i++) {
				c->flows[i].hnext = t->free_list;
				t->free_list = &c->flows[i];
			}
			t->nallocated += n;
			t->st.memuse = t->nallocated * sizeof(struct ys_flow);
		}
	}
	if (!t->free_list && ys_flow_timeout(t, now) == 0) {
		for (size_t i = 0; i < sizeof(reclaimable); i++) {
			f = t->lru[reclaimable[i]].head;
			if (f && (!victim || f->last_usec < victim->last_usec))
				victim = f;
		}
		if (!victim) {
			t->st.memcap_refused++;
			return NULL;
		}
		ys_flow_evict(t, victim);
		t->st.evicted_memcap++;
	}
	f = t->free_list;
	t->free_list = f->hnext;
	memset(f, 0, sizeof(*f));
	return f;
}

static struct ys_flow *ys_flow_create(struct ys_flow_table *t, struct ys_packet *pkt,
				      const struct ys_flow_key *k, uint32_t hash)
{
	struct ys_flow *f = ys_flow_get_entry(t, pkt->ts_usec);
	bool sender_is_server = false;
	uint64_t worker = t->p.flow_id_seed & 0xff;

	if (!f)
		return NULL;
	if (pkt->proto == 6) {
		uint8_t fl = pkt->tcp_flags;

		if ((fl & (YS_TH_SYN | YS_TH_ACK)) == (YS_TH_SYN | YS_TH_ACK))
			sender_is_server = true;
		else if (!(fl & YS_TH_SYN) && pkt->sport < 1024 && pkt->dport >= 1024)
			sender_is_server = true; /* midstream: a well-known port answers */
	} else if (pkt->proto == 1 || pkt->proto == 58) {
		sender_is_server = ys_icmp_is_reply(pkt->proto, pkt->icmp_type);
	}
	f->tenant_id = pkt->tenant_id;
	f->proto = pkt->proto;
	if (sender_is_server) {
		f->client = *k->dst;
		f->server = *k->src;
		f->client_port = k->dport;
		f->server_port = k->sport;
	} else {
		f->client = *k->src;
		f->server = *k->dst;
		f->client_port = k->sport;
		f->server_port = k->dport;
	}
	f->icmp_type = pkt->icmp_type;
	f->icmp_code = pkt->icmp_code;
	f->flow_id = ys_flow_id_mix((worker << YS_FLOW_CNT_BITS) |
				    (t->next_id & ((1ull << YS_FLOW_CNT_BITS) - 1)));
	t->next_id++;
	if ((t->next_id & ((1ull << YS_FLOW_CNT_BITS) - 1)) == 0)
		t->next_id = 1; /* 2^45 flows later: wrap, never to the id of input 0 */
	f->state = YS_FLOW_NEW;
	f->start_usec = f->last_usec = pkt->ts_usec;
	f->tunnel = pkt->tunnel;
	memcpy(f->vlan, pkt->vlan, sizeof(f->vlan));
	f->vlan_count = pkt->vlan_count;
	f->hash = hash;
	f->key_ext = k->ext;
	f->hnext = t->buckets[hash & t->mask];
	t->buckets[hash & t->mask] = f;
	ys_lru_append(t, f);

	t->st.created++;
	t->st.active++;
	if (f->proto == 6)
		t->st.tcp++;
	else if (f->proto == 17)
		t->st.udp++;
	else if (f->proto == 1 || f->proto == 58)
		t->st.icmp++;
	else
		t->st.other++;
	pkt->flags |= YS_PKT_FIRST_OF_FLOW;
	return f;
}

static void ys_flow_tcp_update(struct ys_flow *f, const struct ys_packet *pkt, bool to_server)
{
	uint8_t fl = pkt->tcp_flags;

	/* What a host would discard must not move the state (forged RST, bad checksum). */
	if (pkt->flags & YS_PKT_BAD_CSUM)
		return;
	if (to_server)
		f->tcp_flags_ts |= fl;
	else
		f->tcp_flags_tc |= fl;

	if (fl & YS_TH_RST) {
		f->tcp_flags_seen |= YS_TCP_RST_SEEN;
		f->state = YS_FLOW_CLOSED;
		return;
	}
	if (fl & YS_TH_SYN) {
		if (!(fl & YS_TH_ACK)) {
			if (to_server && !(f->tcp_flags_seen & YS_TCP_ACK_SEEN)) {
				f->tcp_flags_seen |= YS_TCP_SYN_SEEN;
				f->tcp_isn_client = pkt->tcp_seq;
			}
		} else if (!to_server && !(f->tcp_flags_seen & YS_TCP_ACK_SEEN)) {
			/* The SYN/ACK must acknowledge the SYN we saw (if we saw it). */
			if (!(f->tcp_flags_seen & YS_TCP_SYN_SEEN) ||
			    pkt->tcp_ack == f->tcp_isn_client + 1) {
				f->tcp_flags_seen |= YS_TCP_SYNACK_SEEN;
				f->tcp_isn_server = pkt->tcp_seq;
			}
		}
	} else if ((fl & YS_TH_ACK) && to_server && !(f->tcp_flags_seen & YS_TCP_ACK_SEEN) &&
		   (f->tcp_flags_seen & (YS_TCP_SYN_SEEN | YS_TCP_SYNACK_SEEN)) ==
			   (YS_TCP_SYN_SEEN | YS_TCP_SYNACK_SEEN) &&
		   pkt->tcp_ack == f->tcp_isn_server + 1) {
		f->tcp_flags_seen |= YS_TCP_ACK_SEEN;
		if (f->state == YS_FLOW_NEW)
			f->state = YS_FLOW_ESTABLISHED;
	}
	if (fl & YS_TH_FIN) {
		f->tcp_flags_seen |= YS_TCP_FIN_SEEN;
		if ((f->tcp_flags_ts & YS_TH_FIN) && (f->tcp_flags_tc & YS_TH_FIN))
			f->state = YS_FLOW_CLOSED;
		else if (f->state != YS_FLOW_CLOSED)
			f->state = YS_FLOW_CLOSING;
	}
}

/* The live entry for tenant + PROTO + K, and whether K runs client -> server. */
static struct ys_flow *ys_flow_lookup(struct ys_flow_table *t, uint32_t tenant, uint8_t proto,
				      const struct ys_flow_key *k, uint32_t hash, bool *to_server)
{
	for (struct ys_flow *f = t->buckets[hash & t->mask]; f; f = f->hnext) {
		if (f->hash != hash || f->tenant_id != tenant || f->proto != proto ||
		    f->key_ext != k->ext)
			continue;
		if (f->client_port == k->sport && f->server_port == k->dport &&
		    ys_addr_eq(&f->client, k->src) && ys_addr_eq(&f->server, k->dst)) {
			*to_server = true;
			return f;
		}
		if (f->client_port == k->dport && f->server_port == k->sport &&
		    ys_addr_eq(&f->client, k->dst) && ys_addr_eq(&f->server, k->src)) {
			*to_server = false;
			return f;
		}
	}
	return NULL;
}

static void ys_flow_account(struct ys_flow *f, struct ys_packet *pkt, bool to_server)
{
	if (to_server) {
		f->pkts_toserver++;
		f->bytes_toserver += pkt->wirelen ? pkt->wirelen : pkt->caplen;
		pkt->flags |= YS_PKT_TO_SERVER;
	} else {
		f->pkts_toclient++;
		f->bytes_toclient += pkt->wirelen ? pkt->wirelen : pkt->caplen;
		pkt->flags |= YS_PKT_TO_CLIENT;
	}
	if (pkt->ts_usec > f->last_usec)
		f->last_usec = pkt->ts_usec;
}

static void ys_flow_touch(struct ys_flow_table *t, struct ys_flow *f)
{
	uint8_t old_class = f->lru_class;

	/* Most recently active goes to the tail of its (possibly new) class list. */
	if (old_class != ys_flow_class_of(f) || t->lru[old_class].tail != f) {
		ys_lru_unlink(t, f);
		ys_lru_append(t, f);
	}
}

/* What YS_PKT_ESTABLISHED says of F: TCP with the handshake's ACK seen and not
 * closed, any other protocol once both directions were seen. */
static bool ys_flow_is_established(const struct ys_flow *f)
{
	if (f->proto == 6)
		return (f->tcp_flags_seen & YS_TCP_ACK_SEEN) &&
		       (f->state == YS_FLOW_ESTABLISHED || f->state == YS_FLOW_CLOSING);
	return f->state == YS_FLOW_ESTABLISHED;
}

static bool ys_icmp4_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/*
 * An ICMPv4 error message never makes a flow of its own (as in Suricata). A
 * destination unreachable quoting a TCP/UDP packet joins that packet's flow
 * when it is live: counted there, its direction told by its sender (the flow's
 * client: to server; anyone else, a router on the way: to client), its TCP
 * state untouched. The quoted header is read here for the lookup only.
 */
static struct ys_flow *ys_flow_icmp_error(struct ys_flow_table *t, struct ys_packet *pkt)
{
	const uint8_t *e = pkt->payload;
	uint32_t elen = pkt->payload_len, hl;
	struct ys_addr es = { .family = 4 }, ed = { .family = 4 };
	struct ys_flow_key k;
	struct ys_flow *f;
	bool to_server;

	if (pkt->icmp_type != 3 || !e || elen < 20 || (e[0] >> 4) != 4)
		return NULL;
	hl = (e[0] & 0x0fu) * 4u;
	if (hl < 20 || elen < hl + 4 || (e[9] != 6 && e[9] != 17))
		return NULL;
	if (((e[6] << 8) | e[7]) & 0x1fff) /* a non-first fragment has no ports */
		return NULL;
	memcpy(es.a, e + 12, 4);
	memcpy(ed.a, e + 16, 4);
	ys_flow_key_of(t, pkt, &k);
	k.src = &es;
	k.dst = &ed;
	k.sport = (uint16_t)((e[hl] << 8) | e[hl + 1]);
	k.dport = (uint16_t)((e[hl + 2] << 8) | e[hl + 3]);
	f = ys_flow_lookup(t, pkt->tenant_id, e[9], &k, ys_flow_hash(t, pkt->tenant_id, e[9], &k),
			   &to_server);
	if (!f || f->last_usec + t->timeout_usec[f->lru_class] < pkt->ts_usec)
		return NULL;
	ys_flow_account(f, pkt, ys_addr_eq(&pkt->src, &f->client));
	if (ys_flow_is_established(f))
		pkt->flags |= YS_PKT_ESTABLISHED;
	ys_flow_touch(t, f);
	pkt->flow = f;
	return f;
}

struct ys_flow *ys_flow_handle(struct ys_flow_table *t, struct ys_packet *pkt)
{
	struct ys_flow_key k;
	struct ys_flow *f;
	uint32_t hash;
	bool to_server = true, est;

	pkt->flow = NULL;
	if (pkt->ip_version == 0 || pkt->src.family == 0)
		return NULL;
	if (pkt->proto == 1 && ys_icmp4_is_error(pkt->icmp_type))
		return ys_flow_icmp_error(t, pkt);
	ys_flow_key_of(t, pkt, &k);
	hash = ys_flow_hash(t, pkt->tenant_id, pkt->proto, &k);
	f = ys_flow_lookup(t, pkt->tenant_id, pkt->proto, &k, hash, &to_server);
	if (f) {
		bool expired = f->last_usec + t->timeout_usec[f->lru_class] < pkt->ts_usec;
		bool reuse = f->proto == 6 && f->state == YS_FLOW_CLOSED &&
			     (pkt->tcp_flags & (YS_TH_SYN | YS_TH_ACK | YS_TH_RST)) == YS_TH_SYN &&
			     !(pkt->flags & YS_PKT_BAD_CSUM);

		if (expired || reuse) {
			ys_flow_evict(t, f);
			if (expired)
				t->st.evicted_timeout++;
			f = NULL;
		}
	}
	if (!f) {
		f = ys_flow_create(t, pkt, &k, hash);
		if (!f)
			return NULL;
		to_server = ys_addr_eq(&f->client, k.src) && f->client_port == k.sport;
		if (ys_addr_eq(&f->client, &f->server) && f->client_port == f->server_port)
			to_server = true;
	}

	ys_flow_account(f, pkt, to_server);
	if (f->proto == 6) {
		/* As Suricata: the flag reflects the state the packet found, so the
		 * handshake's ACK is not yet established and a packet after an RST or
		 * after both FINs no longer is. */
		est = ys_flow_is_established(f);
		ys_flow_tcp_update(f, pkt, to_server);
	} else {
		if (f->state == YS_FLOW_NEW && f->pkts_toserver && f->pkts_toclient)
			f->state = YS_FLOW_ESTABLISHED;
		est = ys_flow_is_established(f);
	}
	if (est)
		pkt->flags |= YS_PKT_ESTABLISHED;
	ys_flow_touch(t, f);
	pkt->flow = f;
	return f;
}
