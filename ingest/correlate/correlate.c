/*
 * Correlation engine: per rule, a hash table of groups (the group-by values
 * joined with '|'), each with a small window of recent alerts kept sorted by
 * time, plus an LRU list that bounds the number of groups and drives expiry.
 * Incident changes accumulate in a second table keyed by rule+tenant+group
 * until the consumer drains them into the store once per batch, so a flood of
 * 10,000 alerts becomes one incident update per batch, not 10,000 rows.
 *
 * Allocation: one malloc per new group and per pending incident change, none
 * per alert otherwise (a value_count group's list of alerts grows by doubling,
 * bounded per rule by max_entries). The ingest is not the packet path; groups
 * are bounded.
 *
 * Every entry carries what an incident lists about its alert (tenant,
 * addresses, signature), so the alerts that caused an incident contribute
 * their values exactly as the alert that completed the pattern does.
 */
#include "correlate_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ys_event.h"
#include "ys_log.h"

#define YS_CORR_KEY_MAX	   512
#define YS_CORR_VALUE_MAX  64
#define YS_CORR_TENANT_MAX 4096
#define YS_CORR_SIG_MAX	   65536 /* distinct signatures remembered (sensor rule messages) */
#define YS_CORR_ENTRIES	   262144
#define YS_CORR_ADDR_LEN   46 /* INET6_ADDRSTRLEN */

struct ys_corr_entry {
	int64_t ts;
	uint64_t vhash;	    /* value_count: hash of the whole value */
	const char *tenant; /* interned */
	const char *sig;    /* interned; NULL when the signature table is full */
	char event_id[YS_UUID_STR_LEN];
	/* addresses, so an incident lists those of every alert that caused it */
	char src[YS_CORR_ADDR_LEN], dst[YS_CORR_ADDR_LEN];
};

struct ys_corr_group {
	struct ys_corr_group *hnext, *lprev, *lnext;
	uint64_t hash;
	int64_t last;
	bool fired;
	size_t n; /* entries in use (count types) */
	/* temporal_ordered: chain i = steps 0..i done in order, started at start[i] */
	bool chain_ok[YS_CORR_MAX_STEPS];
	int64_t chain_start[YS_CORR_MAX_STEPS];
	struct ys_corr_entry *e;
	/*
	 * value_count: every alert fed since the group last fired, time-sorted
	 * (e[] holds only the latest alert per distinct value, for the decision).
	 */
	struct ys_corr_entry *c; /* live entries are c[c0 .. c0 + nc) */
	size_t c0, nc, capc;
	char *key;
};

struct ys_corr_rstate {
	struct ys_corr_group **buckets;
	size_t nbuckets, ngroups;
	size_t nentries; /* value_count: sum of the groups' nc, capped by max_entries */
	struct ys_corr_group *lru_head, *lru_tail; /* head: most recently used */
};

struct ys_corr_delta {
	struct ys_corr_delta *hnext;
	uint64_t hash;
	size_t rule;
	const char *tenant;
	char *group_key, *title;
	int64_t first, last, count;
	char *src[YS_CORR_DELTA_VALUES], *dst[YS_CORR_DELTA_VALUES], *sig[YS_CORR_DELTA_VALUES];
	size_t nsrc, ndst, nsig;
	char ids[YS_CORR_DELTA_EVENTS][YS_UUID_STR_LEN];
	int64_t ids_ts[YS_CORR_DELTA_EVENTS];
	size_t nids;
};

#define YS_CORR_DELTA_BUCKETS 1024

/* A set of interned strings (open addressing), so entries carry a pointer, not a copy. */
struct ys_intern {
	char **v;
	size_t cap, n, max;
};

struct ys_corr_engine {
	const struct ys_corr_ruleset *rs;
	struct ys_corr_limits lim;
	struct ys_corr_rstate *st;
	struct ys_corr_delta *deltas[YS_CORR_DELTA_BUCKETS];
	size_t ndeltas;
	struct ys_intern tenants, sigs;
	struct ys_corr_stats stats;
};

static uint64_t ys_fnv1a(const void *data, size_t len, uint64_t h)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define YS_FNV_SEED 0xcbf29ce484222325ULL

struct ys_corr_engine *ys_corr_new(const struct ys_corr_ruleset *rs,
				   const struct ys_corr_limits *lim)
{
	struct ys_corr_engine *eng = calloc(1, sizeof(*eng));

	if (!eng)
		return NULL;
	eng->rs = rs;
	eng->lim.max_groups = lim && lim->max_groups ? lim->max_groups : 100000;
	eng->lim.max_entries = lim && lim->max_entries ? lim->max_entries : YS_CORR_ENTRIES;
	eng->tenants.max = YS_CORR_TENANT_MAX;
	eng->sigs.max = YS_CORR_SIG_MAX;
	eng->st = calloc(rs->n ? rs->n : 1, sizeof(*eng->st));
	if (!eng->st) {
		ys_corr_free(eng);
		errno = ENOMEM;
		return NULL;
	}
	return eng;
}

static void ys_intern_free(struct ys_intern *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->v[i]);
	free(t->v);
	t->v = NULL;
	t->cap = t->n = 0;
}

static int ys_intern_grow(struct ys_intern *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	char **v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->v[i])
			continue;
		j = ys_fnv1a(t->v[i], strlen(t->v[i]), YS_FNV_SEED) & (cap - 1);
		while (v[j])
			j = (j + 1) & (cap - 1);
		v[j] = t->v[i];
	}
	free(t->v);
	t->v = v;
	t->cap = cap;
	return 0;
}

/* The interned copy of S; NULL when the set is full (t->max) or memory is short. */
static const char *ys_intern(struct ys_intern *t, const char *s)
{
	size_t len = strlen(s), j;

	if (t->cap) {
		j = ys_fnv1a(s, len, YS_FNV_SEED) & (t->cap - 1);
		for (; t->v[j]; j = (j + 1) & (t->cap - 1))
			if (strcmp(t->v[j], s) == 0)
				return t->v[j];
	}
	if (t->n == t->max)
		return NULL;
	/* at most half full, so probes stay short and always end on an empty slot */
	if ((t->n + 1) * 2 > t->cap && ys_intern_grow(t))
		return NULL;
	j = ys_fnv1a(s, len, YS_FNV_SEED) & (t->cap - 1);
	while (t->v[j])
		j = (j + 1) & (t->cap - 1);
	t->v[j] = strndup(s, len);
	if (!t->v[j])
		return NULL;
	t->n++;
	return t->v[j];
}

static void ys_group_free(struct ys_corr_group *g)
{
	if (!g)
		return;
	free(g->c);
	free(g->e);
	free(g->key);
	free(g);
}

static void ys_delta_free(struct ys_corr_delta *d)
{
	for (size_t i = 0; i < d->nsrc; i++)
		free(d->src[i]);
	for (size_t i = 0; i < d->ndst; i++)
		free(d->dst[i]);
	for (size_t i = 0; i < d->nsig; i++)
		free(d->sig[i]);
	free(d->group_key);
	free(d->title);
	free(d);
}

void ys_corr_discard(struct ys_corr_engine *eng)
{
	for (size_t b = 0; b < YS_CORR_DELTA_BUCKETS; b++) {
		struct ys_corr_delta *d = eng->deltas[b], *next;

		for (; d; d = next) {
			next = d->hnext;
			ys_delta_free(d);
		}
		eng->deltas[b] = NULL;
	}
	eng->ndeltas = 0;
}

void ys_corr_free(struct ys_corr_engine *eng)
{
	if (!eng)
		return;
	ys_corr_discard(eng);
	for (size_t r = 0; eng->st && r < eng->rs->n; r++) {
		struct ys_corr_group *g = eng->st[r].lru_head, *next;

		for (; g; g = next) {
			next = g->lnext;
			ys_group_free(g);
		}
		free(eng->st[r].buckets);
	}
	free(eng->st);
	ys_intern_free(&eng->tenants);
	ys_intern_free(&eng->sigs);
	free(eng);
}

const struct ys_corr_ruleset *ys_corr_ruleset_of(const struct ys_corr_engine *eng)
{
	return eng->rs;
}

void ys_corr_get_stats(const struct ys_corr_engine *eng, struct ys_corr_stats *st)
{
	*st = eng->stats;
	st->groups = 0;
	for (size_t r = 0; r < eng->rs->n; r++)
		st->groups += eng->st[r].ngroups;
}

/* Tenant names are few: intern them so entries carry a pointer, not a copy. */
static const char *ys_tenant_intern(struct ys_corr_engine *eng, const char *t)
{
	return t ? ys_intern(&eng->tenants, t) : "";
}

/* ---- groups ---- */

static void ys_lru_unlink(struct ys_corr_rstate *s, struct ys_corr_group *g)
{
	if (g->lprev)
		g->lprev->lnext = g->lnext;
	else
		s->lru_head = g->lnext;
	if (g->lnext)
		g->lnext->lprev = g->lprev;
	else
		s->lru_tail = g->lprev;
	g->lprev = g->lnext = NULL;
}

static void ys_lru_push(struct ys_corr_rstate *s, struct ys_corr_group *g)
{
	g->lprev = NULL;
	g->lnext = s->lru_head;
	if (s->lru_head)
		s->lru_head->lprev = g;
	s->lru_head = g;
	if (!s->lru_tail)
		s->lru_tail = g;
}

static void ys_group_remove(struct ys_corr_rstate *s, struct ys_corr_group *g)
{
	struct ys_corr_group **pp = &s->buckets[g->hash & (s->nbuckets - 1)];

	while (*pp && *pp != g)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = g->hnext;
	ys_lru_unlink(s, g);
	s->ngroups--;
	s->nentries -= g->nc;
	ys_group_free(g);
}

static int ys_rstate_grow(struct ys_corr_rstate *s)
{
	size_t nb = s->nbuckets ? s->nbuckets * 2 : 256;
	struct ys_corr_group **b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct ys_corr_group *g = s->buckets[i], *next;

		for (; g; g = next) {
			next = g->hnext;
			g->hnext = b[g->hash & (nb - 1)];
			b[g->hash & (nb - 1)] = g;
		}
	}
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = nb;
	return 0;
}

static size_t ys_rule_entries(const struct ys_corr_rule *r)
{
	return r->type == YS_CORR_TEMPORAL_ORDERED ? r->nsteps * r->nsteps : r->window;
}

static struct ys_corr_group *ys_group_get(struct ys_corr_engine *eng, size_t ri, const char *key,
					  size_t keylen)
{
	struct ys_corr_rstate *s = &eng->st[ri];
	uint64_t h = ys_fnv1a(key, keylen, YS_FNV_SEED);
	struct ys_corr_group *g;

	if (s->nbuckets) {
		for (g = s->buckets[h & (s->nbuckets - 1)]; g; g = g->hnext)
			if (g->hash == h && strcmp(g->key, key) == 0) {
				ys_lru_unlink(s, g);
				ys_lru_push(s, g);
				return g;
			}
	}
	/* Bounded memory: the least recently used group gives way, and is counted. */
	if (s->ngroups >= eng->lim.max_groups && s->lru_tail) {
		ys_group_remove(s, s->lru_tail);
		eng->stats.evicted++;
	}
	if (s->ngroups >= s->nbuckets && ys_rstate_grow(s))
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->e = calloc(ys_rule_entries(&eng->rs->rules[ri]), sizeof(*g->e));
	g->key = strndup(key, keylen);
	if (!g->e || !g->key) {
		ys_group_free(g);
		return NULL;
	}
	g->hash = h;
	g->last = INT64_MIN;
	g->hnext = s->buckets[h & (s->nbuckets - 1)];
	s->buckets[h & (s->nbuckets - 1)] = g;
	ys_lru_push(s, g);
	s->ngroups++;
	return g;
}

void ys_corr_expire(struct ys_corr_engine *eng, int64_t now)
{
	for (size_t r = 0; r < eng->rs->n; r++) {
		struct ys_corr_rstate *s = &eng->st[r];
		int64_t span = eng->rs->rules[r].timespan;

		/* The tail is the least recently touched; stop at the first group still live. */
		while (s->lru_tail && s->lru_tail->last < now - span) {
			ys_group_remove(s, s->lru_tail);
			eng->stats.expired++;
		}
	}
}

/* ---- incident changes ---- */

static void ys_set_add(char **set, size_t *n, const char *v)
{
	if (!v || !*v || *n >= YS_CORR_DELTA_VALUES)
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(set[i], v) == 0)
			return;
	set[*n] = strdup(v);
	if (set[*n])
		(*n)++;
}

/* "{src_ip}" in a title becomes the alert's value of that field. */
static char *ys_title_render(const char *tmpl, const json_t *ev)
{
	char out[512], field[96], buf[32];
	size_t o = 0;

	for (const char *p = tmpl; *p && o + 1 < sizeof(out);) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;

		if (close && (size_t)(close - p - 1) < sizeof(field) && close > p + 1) {
			const char *v;

			memcpy(field, p + 1, (size_t)(close - p - 1));
			field[close - p - 1] = '\0';
			v = ys_corr_field(ev, field, buf, sizeof(buf));
			if (!v)
				v = "?";
			while (*v && o + 1 < sizeof(out))
				out[o++] = *v++;
			p = close + 1;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	return strdup(out);
}

static struct ys_corr_delta *ys_delta_get(struct ys_corr_engine *eng, size_t ri, const char *tenant,
					  const char *key, const json_t *ev)
{
	uint64_t h = ys_fnv1a(key, strlen(key), ys_fnv1a(&ri, sizeof(ri), YS_FNV_SEED));
	struct ys_corr_delta *d;

	h = ys_fnv1a(tenant, strlen(tenant), h);
	for (d = eng->deltas[h % YS_CORR_DELTA_BUCKETS]; d; d = d->hnext)
		if (d->hash == h && d->rule == ri && d->tenant == tenant &&
		    strcmp(d->group_key, key) == 0)
			return d;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->group_key = strdup(key);
	d->title = ys_title_render(eng->rs->rules[ri].title, ev);
	if (!d->group_key || !d->title) {
		ys_delta_free(d);
		return NULL;
	}
	d->hash = h;
	d->rule = ri;
	d->tenant = tenant;
	d->first = INT64_MAX;
	d->last = INT64_MIN;
	d->hnext = eng->deltas[h % YS_CORR_DELTA_BUCKETS];
	eng->deltas[h % YS_CORR_DELTA_BUCKETS] = d;
	eng->ndeltas++;
	return d;
}

/*
 * Count alert E into its tenant's incident with its own addresses and
 * signature, so an incident never lists another tenant's values. EV, the
 * alert being processed, only renders a new incident's title (which uses
 * group-by fields, the same for every alert of the group).
 */
static int ys_delta_add(struct ys_corr_engine *eng, size_t ri, const char *key,
			const struct ys_corr_entry *e, const json_t *ev)
{
	struct ys_corr_delta *d = ys_delta_get(eng, ri, e->tenant, key, ev);

	if (!d)
		return -ENOMEM;
	d->count++;
	if (e->ts < d->first)
		d->first = e->ts;
	if (e->ts > d->last)
		d->last = e->ts;
	if (d->nids < YS_CORR_DELTA_EVENTS) {
		memcpy(d->ids[d->nids], e->event_id, YS_UUID_STR_LEN);
		d->ids_ts[d->nids++] = e->ts;
	}
	ys_set_add(d->src, &d->nsrc, e->src);
	ys_set_add(d->dst, &d->ndst, e->dst);
	ys_set_add(d->sig, &d->nsig, e->sig);
	return 0;
}

int ys_corr_drain(struct ys_corr_engine *eng, ys_corr_incident_fn fn, void *user)
{
	int ret = 0, n = 0;

	for (size_t b = 0; b < YS_CORR_DELTA_BUCKETS && !ret; b++) {
		for (struct ys_corr_delta *d = eng->deltas[b]; d && !ret; d = d->hnext) {
			const struct ys_corr_rule *r = &eng->rs->rules[d->rule];
			const char *ids[YS_CORR_DELTA_EVENTS];
			struct ys_corr_incident inc = {
				.rule = r->id,
				.title = d->title,
				.tenant = d->tenant,
				.group_key = d->group_key,
				.level = r->level,
				.severity = r->severity,
				.mlps = (const char *const *)r->mlps.v,
				.nmlps = r->mlps.n,
				.first_seen = d->first,
				.last_seen = d->last,
				.alert_count = d->count,
				.src_ips = (const char *const *)d->src,
				.nsrc = d->nsrc,
				.dest_ips = (const char *const *)d->dst,
				.ndest = d->ndst,
				.signatures = (const char *const *)d->sig,
				.nsig = d->nsig,
				.event_ids = ids,
				.event_ts = d->ids_ts,
				.nevents = d->nids,
			};

			for (size_t i = 0; i < d->nids; i++)
				ids[i] = d->ids[i];
			ret = fn(user, &inc);
			n++;
		}
	}
	ys_corr_discard(eng);
	return ret ? ret : n;
}

/* ---- evaluation ---- */

static bool ys_op_holds(enum ys_corr_op op, int64_t count, int64_t threshold)
{
	switch (op) {
	case YS_CORR_GT:
		return count > threshold;
	case YS_CORR_GTE:
		return count >= threshold;
	case YS_CORR_LT:
		return count < threshold;
	case YS_CORR_LTE:
		return count <= threshold;
	case YS_CORR_EQ:
		return count == threshold;
	}
	return false;
}

/* Insert E keeping g->e sorted by time; when full the oldest gives way (or E, if older). */
static void ys_window_insert(struct ys_corr_group *g, size_t cap, const struct ys_corr_entry *e)
{
	size_t i;

	/* A batch replayed after a rollback feeds the same alerts again: count each once. */
	for (i = 0; i < g->n; i++)
		if (g->e[i].ts == e->ts && strcmp(g->e[i].event_id, e->event_id) == 0)
			return;

	if (g->n == cap) {
		if (e->ts < g->e[0].ts)
			return;
		memmove(&g->e[0], &g->e[1], (cap - 1) * sizeof(*g->e));
		g->n--;
	}
	i = g->n;
	while (i > 0 && g->e[i - 1].ts > e->ts) {
		g->e[i] = g->e[i - 1];
		i--;
	}
	g->e[i] = *e;
	g->n++;
}

/*
 * event_count: for gt/gte, is there any run of K consecutive (time-sorted)
 * entries spanning at most the timespan? That is exactly "K alerts within one
 * sliding window", wherever the window starts. For lt/lte/eq, the count of
 * alerts in the window that ends at this alert.
 */
static bool ys_event_count_fires(const struct ys_corr_rule *r, const struct ys_corr_group *g,
				 int64_t ts)
{
	if (r->op == YS_CORR_GT || r->op == YS_CORR_GTE) {
		size_t k = (size_t)r->threshold + (r->op == YS_CORR_GT ? 1 : 0);

		if (k == 0)
			k = 1;
		for (size_t i = 0; i + k <= g->n; i++)
			if (g->e[i + k - 1].ts - g->e[i].ts <= r->timespan)
				return true;
		return false;
	} else {
		int64_t count = 0;

		for (size_t i = 0; i < g->n; i++)
			if (g->e[i].ts <= ts && g->e[i].ts >= ts - r->timespan)
				count++;
		return ys_op_holds(r->op, count, r->threshold);
	}
}

/* Index of the first entry of V[0..N) later than TS (time-sorted). */
static size_t ys_entries_after(const struct ys_corr_entry *v, size_t n, int64_t ts)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].ts <= ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Does time-sorted V[0..N) hold E already (same time and event id)? */
static bool ys_entries_have(const struct ys_corr_entry *v, size_t n, const struct ys_corr_entry *e)
{
	for (size_t i = ys_entries_after(v, n, e->ts); i-- > 0 && v[i].ts == e->ts;)
		if (strcmp(v[i].event_id, e->event_id) == 0)
			return true;
	return false;
}

/* The live part of a value_count group's alerts (NULL before the first: no NULL + 0). */
static struct ys_corr_entry *ys_group_alerts(struct ys_corr_group *g)
{
	return g->c ? g->c + g->c0 : NULL;
}

static void ys_group_forget_alerts(struct ys_corr_rstate *s, struct ys_corr_group *g)
{
	s->nentries -= g->nc;
	free(g->c);
	g->c = NULL;
	g->c0 = g->nc = g->capc = 0;
}

/*
 * value_count: remember E among the alerts of group G until it fires, so the
 * incident links every alert of the window, not just the latest per value.
 * Alerts older than the window before the group's newest are forgotten (they
 * cannot share a window with it); beyond the rule's max_entries a new alert
 * is counted in stats.dropped instead (the latest per value, in g->e, still
 * decides and is still linked).
 */
static void ys_value_remember(struct ys_corr_engine *eng, struct ys_corr_rstate *s,
			      const struct ys_corr_rule *r, struct ys_corr_group *g,
			      const struct ys_corr_entry *e)
{
	struct ys_corr_entry *v = ys_group_alerts(g);
	size_t old, at;

	if (ys_entries_have(v, g->nc, e))
		return; /* a batch replayed after a rollback */
	/* forgetting costs nothing here: the front moves; the space is reclaimed below */
	old = ys_entries_after(v, g->nc, g->last - r->timespan - 1);
	g->c0 += old;
	g->nc -= old;
	s->nentries -= old;
	if (g->c0 + g->nc == g->capc) {
		size_t want = g->capc ? g->capc * 2 : 8;

		/* reclaim the forgotten front when it is a quarter, or when growing is not allowed */
		if (g->c0 &&
		    (g->c0 >= g->capc / 4 || s->nentries + want - g->capc > eng->lim.max_entries)) {
			memmove(g->c, g->c + g->c0, g->nc * sizeof(*g->c));
			g->c0 = 0;
		} else if (s->nentries >= eng->lim.max_entries) {
			eng->stats.dropped++;
			return;
		} else {
			struct ys_corr_entry *c;

			if (want - g->capc > eng->lim.max_entries - s->nentries)
				want = g->capc + (eng->lim.max_entries - s->nentries);
			c = realloc(g->c, want * sizeof(*c));
			if (!c) {
				eng->stats.dropped++;
				return;
			}
			g->c = c;
			g->capc = want;
		}
	}
	if (s->nentries >= eng->lim.max_entries) {
		eng->stats.dropped++;
		return;
	}
	v = g->c + g->c0;
	at = ys_entries_after(v, g->nc, e->ts);
	memmove(&v[at + 1], &v[at], (g->nc - at) * sizeof(*v));
	v[at] = *e;
	g->nc++;
	s->nentries++;
}

/*
 * value_count decision: g->e holds the latest alert per distinct value (at
 * most r->window values); the rule holds when enough of them lie within one
 * timespan of E.
 */
static bool ys_value_count_fires(const struct ys_corr_rule *r, struct ys_corr_group *g,
				 const struct ys_corr_entry *e)
{
	size_t i, oldest = 0;
	int64_t distinct = 0;

	for (i = 0; i < g->n; i++)
		if (g->e[i].vhash == e->vhash)
			break;
	if (i < g->n) {
		if (e->ts >= g->e[i].ts)
			g->e[i] = *e;
	} else if (g->n < r->window) {
		g->e[g->n++] = *e;
	} else {
		for (i = 1; i < g->n; i++)
			if (g->e[i].ts < g->e[oldest].ts)
				oldest = i;
		if (e->ts > g->e[oldest].ts)
			g->e[oldest] = *e;
	}
	for (i = 0; i < g->n; i++)
		if (g->e[i].ts >= e->ts - r->timespan && g->e[i].ts <= e->ts + r->timespan)
			distinct++;
	return ys_op_holds(r->op, distinct, r->threshold);
}

/* temporal: the latest alert of every step, all within one timespan (any order). */
static bool ys_temporal_fires(const struct ys_corr_rule *r, struct ys_corr_group *g, unsigned mask,
			      const struct ys_corr_entry *e)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;

	for (size_t s = 0; s < r->nsteps; s++)
		if ((mask & (1u << s)) && e->ts >= g->e[s].ts)
			g->e[s] = *e;
	for (size_t s = 0; s < r->nsteps; s++) {
		if (!g->e[s].event_id[0])
			return false;
		lo = g->e[s].ts < lo ? g->e[s].ts : lo;
		hi = g->e[s].ts > hi ? g->e[s].ts : hi;
	}
	g->n = r->nsteps;
	return hi - lo <= r->timespan;
}

/*
 * temporal_ordered: chain i holds alerts for steps 0..i in time order, kept
 * with the latest possible start (the most room left in the window). One
 * alert advances at most one step: steps are visited last to first so it
 * cannot complete step i and then i+1 on its own.
 */
static bool ys_ordered_fires(const struct ys_corr_rule *r, struct ys_corr_group *g, unsigned mask,
			     const struct ys_corr_entry *e)
{
	size_t ns = r->nsteps;

	for (size_t s = ns; s-- > 0;) {
		struct ys_corr_entry *chain = &g->e[s * ns];

		if (!(mask & (1u << s)))
			continue;
		if (s == 0) {
			if (!g->chain_ok[0] || e->ts >= g->chain_start[0]) {
				g->chain_ok[0] = true;
				g->chain_start[0] = e->ts;
				chain[0] = *e;
			}
			continue;
		}
		const struct ys_corr_entry *prev = &g->e[(s - 1) * ns];
		int64_t start = g->chain_start[s - 1];

		if (!g->chain_ok[s - 1] || prev[s - 1].ts > e->ts || e->ts - start > r->timespan)
			continue;
		if (g->chain_ok[s] && g->chain_start[s] > start)
			continue;
		memcpy(chain, prev, s * sizeof(*chain));
		chain[s] = *e;
		g->chain_ok[s] = true;
		g->chain_start[s] = start;
		if (s == ns - 1)
			return true;
	}
	return false;
}

static int ys_group_key(const struct ys_corr_rule *r, const json_t *ev, char *key, size_t *len)
{
	char buf[32];
	size_t o = 0;

	for (size_t i = 0; i < r->ngroup; i++) {
		const char *v = ys_corr_field(ev, r->group_by[i], buf, sizeof(buf));
		size_t n;

		if (!v)
			return -ENOENT; /* alert lacks a group-by field: the rule does not apply */
		n = strlen(v);
		if (o + n + 2 > YS_CORR_KEY_MAX)
			return -E2BIG;
		if (i)
			key[o++] = '|';
		memcpy(key + o, v, n);
		o += n;
	}
	key[o] = '\0';
	*len = o;
	return 0;
}

static int ys_fire(struct ys_corr_engine *eng, size_t ri, struct ys_corr_group *g,
		   const struct ys_corr_entry *cur, const json_t *ev)
{
	const struct ys_corr_rule *r = &eng->rs->rules[ri];
	const struct ys_corr_entry *list = g->e;
	size_t n = g->n, i;
	int ret = 0;

	if (r->type == YS_CORR_TEMPORAL_ORDERED) {
		list = &g->e[(r->nsteps - 1) * r->nsteps];
		n = r->nsteps;
	}
	/* The alerts that caused it, each counted into its own tenant's incident. */
	for (i = 0; i < n && !ret; i++) {
		if (!list[i].event_id[0] || strcmp(list[i].event_id, cur->event_id) == 0)
			continue;
		if (r->type == YS_CORR_VALUE_COUNT) {
			/* the latest per value, unless already among the alerts linked below */
			if (list[i].ts < cur->ts - r->timespan ||
			    list[i].ts > cur->ts + r->timespan ||
			    ys_entries_have(ys_group_alerts(g), g->nc, &list[i]))
				continue;
		}
		ret = ys_delta_add(eng, ri, g->key, &list[i], ev);
	}
	/* value_count: every remembered alert within the window that decided */
	for (i = 0; r->type == YS_CORR_VALUE_COUNT && i < g->nc && !ret; i++) {
		const struct ys_corr_entry *c = &g->c[g->c0 + i];

		if (c->ts < cur->ts - r->timespan || c->ts > cur->ts + r->timespan ||
		    strcmp(c->event_id, cur->event_id) == 0)
			continue;
		ret = ys_delta_add(eng, ri, g->key, c, ev);
	}
	if (!ret)
		ret = ys_delta_add(eng, ri, g->key, cur, ev);
	ys_group_forget_alerts(&eng->st[ri], g);
	g->fired = true;
	g->n = 0;
	memset(g->chain_ok, 0, sizeof(g->chain_ok));
	eng->stats.fired++;
	return ret;
}

/* The entry of alert EV: its time, id, interned tenant and signature, addresses. */
static int ys_entry_fill(struct ys_corr_engine *eng, const json_t *ev, int64_t ts,
			 const char *event_id, struct ys_corr_entry *e)
{
	const char *sa = json_string_value(json_object_get(ev, "src_ip"));
	const char *da = json_string_value(json_object_get(ev, "dest_ip"));
	const char *sig =
		json_string_value(json_object_get(json_object_get(ev, "alert"), "signature"));

	memset(e, 0, sizeof(*e));
	e->ts = ts;
	e->tenant = ys_tenant_intern(eng, json_string_value(json_object_get(ev, "tenant")));
	if (!e->tenant)
		return -ENOMEM;
	/* a full table leaves the signature out of the incident, nothing else */
	e->sig = sig ? ys_intern(&eng->sigs, sig) : NULL;
	snprintf(e->event_id, sizeof(e->event_id), "%s", event_id ? event_id : "");
	snprintf(e->src, sizeof(e->src), "%s", sa ? sa : "");
	snprintf(e->dst, sizeof(e->dst), "%s", da ? da : "");
	return 0;
}

int ys_corr_feed(struct ys_corr_engine *eng, enum ys_corr_stream stream, const json_t *ev,
		 int64_t ts, const char *event_id)
{
	char key[YS_CORR_KEY_MAX];
	struct ys_corr_entry base;
	bool filled = false;
	int counted = 0;

	eng->stats.fed++;
	for (size_t ri = 0; ri < eng->rs->n; ri++) {
		const struct ys_corr_rule *r = &eng->rs->rules[ri];
		struct ys_corr_entry e;
		struct ys_corr_group *g;
		unsigned mask = 0;
		size_t keylen;
		bool fires = false;
		int ret;

		if (r->stream != stream)
			continue;
		if (r->nsteps) {
			for (size_t s = 0; s < r->nsteps; s++)
				if (ys_corr_select_matches(&r->steps[s].sel, ev))
					mask |= 1u << s;
			if (!mask)
				continue;
		} else if (!ys_corr_select_matches(&r->sel, ev)) {
			continue;
		}
		if (ys_group_key(r, ev, key, &keylen))
			continue;
		/* what an incident lists about the alert: read once, whatever rules match */
		if (!filled) {
			ret = ys_entry_fill(eng, ev, ts, event_id, &base);
			if (ret)
				return ret;
			filled = true;
		}
		e = base;
		if (r->type == YS_CORR_VALUE_COUNT) {
			char buf[32];
			const char *v = ys_corr_field(ev, r->field, buf, sizeof(buf));

			if (!v)
				continue;
			e.vhash = ys_fnv1a(v, strlen(v), YS_FNV_SEED);
		}
		g = ys_group_get(eng, ri, key, keylen);
		if (!g)
			return -ENOMEM;
		if (ts > g->last)
			g->last = ts;
		eng->stats.matched++;
		counted++;
		if (g->fired) {
			ret = ys_delta_add(eng, ri, g->key, &e, ev);
			if (ret)
				return ret;
			continue;
		}
		switch (r->type) {
		case YS_CORR_EVENT_COUNT:
			ys_window_insert(g, r->window, &e);
			fires = ys_event_count_fires(r, g, ts);
			break;
		case YS_CORR_VALUE_COUNT:
			fires = ys_value_count_fires(r, g, &e);
			if (!fires)
				ys_value_remember(eng, &eng->st[ri], r, g, &e);
			break;
		case YS_CORR_TEMPORAL:
			fires = ys_temporal_fires(r, g, mask, &e);
			break;
		case YS_CORR_TEMPORAL_ORDERED:
			fires = ys_ordered_fires(r, g, mask, &e);
			break;
		}
		if (fires) {
			ret = ys_fire(eng, ri, g, &e, ev);
			if (ret)
				return ret;
		}
	}
	return counted;
}
