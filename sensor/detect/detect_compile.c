/*
 * Compile: order the rules as Suricata does, then build the prefilter.
 *
 * Order (the evaluation and alert order): action (pass, drop, reject,
 * alert), then rules that set flowbits/flowints before those that read them,
 * then priority; ties keep load order. A sig's index is its rank, so sorting
 * candidate indexes yields evaluation order.
 *
 * Groups: for each protocol class and direction (to server: the packet's
 * destination port is the server port; to client: its source port), busy
 * server ports get a dedicated group (their rules and the port-agnostic
 * ones); other ports with rules of their own get a small group scanned
 * beside the shared group of port-agnostic rules (see build_pc_dir()). Each group holds one Hyperscan block-mode
 * database with the fast patterns of its rules whose fast pattern lies in
 * the packet payload, plus the rules without a fast pattern, which are
 * always evaluated. App-layer buffers get one database per buffer id.
 * Identical patterns (bytes + case) are compiled once and map to all their
 * rules.
 */
#include "detect_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hs/hs.h>

#include "ys_log.h"

#define SPECIFIC_PORTS_MAX 1024

/* ---- ordering ---- */

static int action_rank(enum ys_action a)
{
	switch (a) {
	case YS_ACTION_PASS:
		return 0;
	case YS_ACTION_DROP:
		return 1;
	case YS_ACTION_REJECT:
		return 2;
	default:
		return 3;
	}
}

static int sig_order_cmp(const void *a, const void *b)
{
	const struct ys_sig *x = *(const struct ys_sig *const *)a;
	const struct ys_sig *y = *(const struct ys_sig *const *)b;
	int d;

	d = action_rank(x->info.action) - action_rank(y->info.action);
	if (d)
		return d;
	d = (int)y->fb_order - (int)x->fb_order;
	if (d)
		return d;
	d = (int)y->fi_order - (int)x->fi_order;
	if (d)
		return d;
	d = x->info.priority - y->info.priority;
	if (d)
		return d;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void ys_detect_sigs_order(struct ys_detect_engine *eng)
{
	for (uint32_t i = 0; i < eng->nsigs; i++)
		eng->sigs[i]->idx = i; /* load order as the tie breaker */
	if (eng->nsigs > 1)
		qsort(eng->sigs, eng->nsigs, sizeof(*eng->sigs), sig_order_cmp);
	for (uint32_t i = 0; i < eng->nsigs; i++)
		eng->sigs[i]->idx = i;
}

/* ---- group building ---- */

struct pat {
	const uint8_t *p;
	uint32_t len;
	bool nocase;
	uint32_t sig;
};

static void group_free(struct ys_detect_group *g)
{
	if (!g)
		return;
	hs_free_database(g->db);
	free(g->pat_first);
	free(g->pat_sigs);
	free(g->nofp);
	free(g);
}

void ys_detect_groups_free(struct ys_detect_engine *eng)
{
	for (uint32_t i = 0; i < eng->ngroups; i++)
		group_free(eng->groups[i]);
	free(eng->groups);
	eng->groups = NULL;
	eng->ngroups = eng->groups_cap = 0;
	for (int pc = 0; pc < YS_PC_COUNT; pc++)
		for (int d = 0; d < 2; d++) {
			free(eng->port_group[pc][d]);
			eng->port_group[pc][d] = NULL;
		}
	free(eng->app_nofp);
	eng->app_nofp = NULL;
	eng->napp_nofp = 0;
	free(eng->pre);
	eng->pre = NULL;
	free(eng->addr_sets);
	eng->addr_sets = NULL;
	eng->naddr_sets = 0;
	free(eng->port_sets);
	eng->port_sets = NULL;
	eng->nport_sets = 0;
	free(eng->addr_pool);
	eng->addr_pool = NULL;
	free(eng->port_pool);
	eng->port_pool = NULL;
	hs_free_scratch(eng->proto_scratch);
	eng->proto_scratch = NULL;
}

static int pat_cmp(const void *a, const void *b)
{
	const struct pat *x = a, *y = b;
	if (x->nocase != y->nocase)
		return x->nocase ? 1 : -1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	int c = memcmp(x->p, y->p, x->len);
	if (c)
		return c;
	return x->sig < y->sig ? -1 : x->sig > y->sig;
}

static bool pat_same(const struct pat *x, const struct pat *y)
{
	return x->nocase == y->nocase && x->len == y->len && memcmp(x->p, y->p, x->len) == 0;
}

/*
 * The literal handed to Hyperscan for a rule's fast pattern. Leading and
 * trailing zero bytes are trimmed (while 3 or more bytes remain): zero
 * padding in patterns makes Hyperscan confirm at nearly every byte of
 * zero-rich payloads (measured: 40-100x slower scans on zeros), and a
 * substring prefilters just as correctly; the full content is still matched.
 */
static void sig_fp(const struct ys_sig *s, const uint8_t **p, uint32_t *len, bool *nocase)
{
	const struct ys_sm *sm = &s->sms[s->fp_sm];
	*p = sm->u.c.pat;
	*len = sm->u.c.len;
	if (sm->flags & YS_CF_FAST_CHOP) {
		*p += sm->u.c.chop_off;
		*len = sm->u.c.chop_len;
	}
	while (*len > 3 && (*p)[0] == 0) {
		(*p)++;
		(*len)--;
	}
	while (*len > 3 && (*p)[*len - 1] == 0)
		(*len)--;
	*nocase = (sm->flags & YS_CF_NOCASE) != 0;
}

/* Build a group from a list of sig indexes. FP_BUF: the buffer whose fast
 * patterns go into the database; rules without a fast pattern go to nofp
 * when WANT_NOFP. Returns the group number (index + 1), or 0 on error. */
static uint32_t group_build(struct ys_detect_engine *eng, const uint32_t *sigs, uint32_t n,
			    uint16_t fp_buf, bool want_nofp, int *rc)
{
	struct ys_detect_group *g = calloc(1, sizeof(*g));
	struct pat *pats = NULL;
	uint32_t np = 0;
	const char **exprs = NULL;
	unsigned *flags = NULL, *ids = NULL;
	size_t *lens = NULL;
	hs_compile_error_t *cerr = NULL;

	if (!g)
		goto nomem;
	g->nsigs = n;
	pats = calloc(n ? n : 1, sizeof(*pats));
	g->nofp = calloc(n ? n : 1, sizeof(*g->nofp));
	if (!pats || !g->nofp)
		goto nomem;
	for (uint32_t i = 0; i < n; i++) {
		const struct ys_sig *s = eng->sigs[sigs[i]];
		if (s->fp_sm >= 0 && s->fp_buf == fp_buf) {
			sig_fp(s, &pats[np].p, &pats[np].len, &pats[np].nocase);
			pats[np].sig = sigs[i];
			np++;
		} else if (s->fp_sm < 0 && want_nofp) {
			g->nofp[g->nnofp++] = sigs[i];
		}
	}
	if (np) {
		qsort(pats, np, sizeof(*pats), pat_cmp);
		uint32_t nu = 0;
		for (uint32_t i = 0; i < np; i++)
			if (i == 0 || !pat_same(&pats[i], &pats[i - 1]))
				nu++;
		g->npat = nu;
		g->pat_first = calloc(nu + 1, sizeof(*g->pat_first));
		g->pat_sigs = calloc(np, sizeof(*g->pat_sigs));
		exprs = calloc(nu, sizeof(*exprs));
		flags = calloc(nu, sizeof(*flags));
		ids = calloc(nu, sizeof(*ids));
		lens = calloc(nu, sizeof(*lens));
		if (!g->pat_first || !g->pat_sigs || !exprs || !flags || !ids || !lens)
			goto nomem;
		uint32_t u = 0;
		for (uint32_t i = 0; i < np; i++) {
			if (i == 0 || !pat_same(&pats[i], &pats[i - 1])) {
				g->pat_first[u] = i;
				exprs[u] = (const char *)pats[i].p;
				lens[u] = pats[i].len;
				flags[u] = HS_FLAG_SINGLEMATCH |
					   (pats[i].nocase ? HS_FLAG_CASELESS : 0);
				ids[u] = u;
				u++;
			}
			g->pat_sigs[i] = pats[i].sig;
		}
		g->pat_first[nu] = np;
		/* pat_sigs within one pattern are sorted by sig index (pat_cmp). */
		hs_database_t *db = NULL;
		if (hs_compile_lit_multi(exprs, flags, ids, lens, nu, HS_MODE_BLOCK, NULL, &db,
					 &cerr) != HS_SUCCESS) {
			ys_err(YS_DETECT_MOD, "hyperscan compile failed (pattern %d): %s",
			       cerr ? cerr->expression : -1, cerr ? cerr->message : "?");
			hs_free_compile_error(cerr);
			*rc = -EINVAL;
			goto out_err;
		}
		g->db = db;
		if (hs_alloc_scratch(g->db, (hs_scratch_t **)&eng->proto_scratch) != HS_SUCCESS) {
			*rc = -ENOMEM;
			goto out_err;
		}
		size_t sz = 0;
		hs_database_size(g->db, &sz);
		eng->stats.hs_bytes += sz;
		eng->stats.hs_databases++;
	}
	free(pats);
	free(exprs);
	free(flags);
	free(ids);
	free(lens);
	if (eng->ngroups == eng->groups_cap) {
		uint32_t nc = eng->groups_cap ? eng->groups_cap * 2 : 64;
		struct ys_detect_group **nv = realloc(eng->groups, nc * sizeof(*nv));
		if (!nv) {
			group_free(g);
			*rc = -ENOMEM;
			return 0;
		}
		eng->groups = nv;
		eng->groups_cap = nc;
	}
	eng->groups[eng->ngroups++] = g;
	eng->stats.groups++;
	return eng->ngroups;
nomem:
	*rc = -ENOMEM;
out_err:
	free(pats);
	free(exprs);
	free(flags);
	free(ids);
	free(lens);
	group_free(g);
	return 0;
}

static bool sig_in_dir(const struct ys_sig *s, int dir)
{
	if (dir == 0 && (s->flow & YS_FLOW_TO_CLIENT))
		return false;
	if (dir == 1 && (s->flow & YS_FLOW_TO_SERVER))
		return false;
	return true;
}

/* The rule's port set on the server side for DIR, or NULL when it is broad
 * (or the rule is bidirectional): then it belongs to the any-port group. */
static const struct ys_port_set *sig_key_ports(const struct ys_sig *s, int dir)
{
	const struct ys_port_set *ps = dir == 0 ? &s->dp : &s->sp;
	if (s->flags & YS_SIG_F_BIDIR)
		return NULL;
	if (ps->any || ys_port_set_size(ps) > SPECIFIC_PORTS_MAX)
		return NULL;
	return ps;
}

/* Only the packet-payload side needs grouping: rules whose fast pattern lives
 * in an app-layer buffer are found through that buffer's database. */
static bool sig_in_pkt_groups(const struct ys_sig *s)
{
	if (s->fp_sm >= 0)
		return s->fp_buf == YS_BUF_PACKET;
	return s->buf_mask == 0;
}

/* Call FN for each port of a (small) set, walking its ranges. */
static void port_set_each(const struct ys_port_set *ps, void (*fn)(void *u, uint32_t p), void *u)
{
	static const struct ys_port_range all = { 0, 65535 };
	const struct ys_port_range *pos = ps->npos ? ps->pos : &all;
	uint32_t npos = ps->npos ? ps->npos : 1;

	for (uint32_t r = 0; r < npos; r++)
		for (uint32_t p = pos[r].lo; p <= pos[r].hi; p++) {
			bool neg = false;
			for (uint32_t k = 0; k < ps->nneg && !neg; k++)
				neg = p >= ps->neg[k].lo && p <= ps->neg[k].hi;
			if (!neg)
				fn(u, p);
		}
}

struct fill_ctx {
	uint32_t *cnt, *start, *lists;
	uint32_t sig;
};

static void count_port(void *u, uint32_t p)
{
	((struct fill_ctx *)u)->cnt[p]++;
}

static void fill_port(void *u, uint32_t p)
{
	struct fill_ctx *f = u;
	f->lists[f->start[p] + f->cnt[p]++] = f->sig;
}

/* Ports with at least this many rules of their own get a dedicated group. */
#define DEDICATED_MIN_RULES 100
#define DEDICATED_MAX	    8

/*
 * A packet scans one group, or two for quiet ports that have rules of their
 * own. Busy server ports (many rules of their own) get a dedicated group
 * holding their rules and the port-agnostic ones (YS_PORT_GROUP_FULL); other
 * ports with rules get a small group of just their rules, scanned beside the
 * shared group of port-agnostic rules; ports without rules scan the shared
 * group only. Port-specific rules thus never slow down other ports (many
 * have 1-2 byte fast patterns), and the port-agnostic rules are compiled a
 * bounded number of times.
 */
static int build_pc_dir(struct ys_detect_engine *eng, int pc, int dir)
{
	uint32_t *any = NULL, nany = 0, *v = NULL;
	uint32_t *cnt = NULL, *start = NULL, *lists = NULL;
	uint16_t *table = NULL;
	uint32_t *reps = NULL, nreps = 0, ndedicated = 0;
	int rc = 0;
	bool ports = pc == YS_PC_TCP || pc == YS_PC_UDP;

	any = calloc(eng->nsigs + 1, sizeof(*any));
	v = calloc(2 * (size_t)eng->nsigs + 1, sizeof(*v));
	cnt = calloc(65537, sizeof(*cnt));
	if (!any || !v || !cnt) {
		rc = -ENOMEM;
		goto out;
	}
	uint32_t nspec = 0;
	for (uint32_t i = 0; i < eng->nsigs; i++) {
		const struct ys_sig *s = eng->sigs[i];
		if (!(s->pclass_mask & (1u << pc)) || !sig_in_dir(s, dir) || !sig_in_pkt_groups(s))
			continue;
		const struct ys_port_set *ps = ports ? sig_key_ports(s, dir) : NULL;
		if (!ps) {
			any[nany++] = i;
			continue;
		}
		nspec++;
		struct fill_ctx fc = { .cnt = cnt };
		port_set_each(ps, count_port, &fc);
	}
	eng->any_group[pc][dir] = nany ? group_build(eng, any, nany, YS_BUF_PACKET, true, &rc) : 0;
	if (rc < 0 || !nspec)
		goto out;
	start = calloc(65537, sizeof(*start));
	table = calloc(65536, sizeof(*table));
	reps = calloc(65536, sizeof(*reps));
	if (!start || !table || !reps) {
		rc = -ENOMEM;
		goto out;
	}
	uint32_t total = 0;
	for (uint32_t p = 0; p < 65536; p++) {
		start[p] = total;
		total += cnt[p];
	}
	lists = calloc(total + 1, sizeof(*lists));
	if (!lists) {
		rc = -ENOMEM;
		goto out;
	}
	memset(cnt, 0, 65537 * sizeof(*cnt));
	for (uint32_t i = 0; i < eng->nsigs; i++) {
		const struct ys_sig *s = eng->sigs[i];
		if (!(s->pclass_mask & (1u << pc)) || !sig_in_dir(s, dir) || !sig_in_pkt_groups(s))
			continue;
		const struct ys_port_set *ps = sig_key_ports(s, dir);
		if (!ps)
			continue;
		struct fill_ctx fc = { .cnt = cnt, .start = start, .lists = lists, .sig = i };
		port_set_each(ps, fill_port, &fc);
	}
	/* busiest distinct lists first: dedicated groups */
	for (;;) {
		uint32_t best = 65536, bestn = DEDICATED_MIN_RULES - 1;
		if (ndedicated == DEDICATED_MAX)
			break;
		for (uint32_t p = 0; p < 65536; p++)
			if (!table[p] && cnt[p] > bestn) {
				best = p;
				bestn = cnt[p];
			}
		if (best == 65536)
			break;
		const uint32_t *l = &lists[start[best]];
		uint32_t n = 0, a = 0, b = 0;
		while (a < nany || b < cnt[best])
			v[n++] =
				(b >= cnt[best] || (a < nany && any[a] < l[b])) ? any[a++] : l[b++];
		uint32_t g = group_build(eng, v, n, YS_BUF_PACKET, true, &rc);
		if (rc < 0)
			goto out;
		if (g >= YS_PORT_GROUP_FULL) {
			rc = -E2BIG;
			goto out;
		}
		ndedicated++;
		for (uint32_t p = 0; p < 65536; p++)
			if (cnt[p] == cnt[best] &&
			    memcmp(&lists[start[p]], l, cnt[p] * sizeof(*lists)) == 0)
				table[p] = (uint16_t)(g | YS_PORT_GROUP_FULL);
	}
	/* the other ports: small groups of their own rules (identical lists shared) */
	for (uint32_t p = 0; p < 65536; p++) {
		if (!cnt[p] || table[p])
			continue;
		uint32_t found = 0;
		for (uint32_t k = 0; k < nreps && !found; k++) {
			uint32_t q = reps[k];
			if (cnt[q] == cnt[p] && memcmp(&lists[start[q]], &lists[start[p]],
						       cnt[p] * sizeof(*lists)) == 0)
				found = table[q];
		}
		if (!found) {
			found = group_build(eng, &lists[start[p]], cnt[p], YS_BUF_PACKET, true,
					    &rc);
			if (rc < 0)
				goto out;
			if (found >= YS_PORT_GROUP_FULL) {
				rc = -E2BIG;
				goto out;
			}
			reps[nreps++] = p;
		}
		table[p] = (uint16_t)found;
	}
	eng->port_group[pc][dir] = table;
	table = NULL;
out:
	free(any);
	free(v);
	free(cnt);
	free(start);
	free(lists);
	free(table);
	free(reps);
	return rc;
}

/* ---- distinct address and port sets, per-rule prefilter fields ---- */

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t addr_set_hash(const void *set)
{
	const struct ys_addr_set *s = set;
	uint32_t hdr[3] = { s->any, s->npos, s->nneg };
	uint64_t h = fnv1a(0xcbf29ce484222325ull, hdr, sizeof(hdr));

	if (s->npos)
		h = fnv1a(h, s->pos, s->npos * sizeof(*s->pos));
	if (s->nneg)
		h = fnv1a(h, s->neg, s->nneg * sizeof(*s->neg));
	return h;
}

/* Same ranges in the same (normalised) order: byte-equal sets. Sets written
 * differently that happen to be equal stay distinct, which costs a lookup,
 * never a wrong answer. */
static bool addr_set_same(const void *x, const void *y)
{
	const struct ys_addr_set *a = x, *b = y;
	return a->any == b->any && a->npos == b->npos && a->nneg == b->nneg &&
	       (!a->npos || memcmp(a->pos, b->pos, a->npos * sizeof(*a->pos)) == 0) &&
	       (!a->nneg || memcmp(a->neg, b->neg, a->nneg * sizeof(*a->neg)) == 0);
}

static uint64_t port_set_hash(const void *set)
{
	const struct ys_port_set *s = set;
	uint32_t hdr[3] = { s->any, s->npos, s->nneg };
	uint64_t h = fnv1a(0xcbf29ce484222325ull, hdr, sizeof(hdr));

	if (s->npos)
		h = fnv1a(h, s->pos, s->npos * sizeof(*s->pos));
	if (s->nneg)
		h = fnv1a(h, s->neg, s->nneg * sizeof(*s->neg));
	return h;
}

static bool port_set_same(const void *x, const void *y)
{
	const struct ys_port_set *a = x, *b = y;
	return a->any == b->any && a->npos == b->npos && a->nneg == b->nneg &&
	       (!a->npos || memcmp(a->pos, b->pos, a->npos * sizeof(*a->pos)) == 0) &&
	       (!a->nneg || memcmp(a->neg, b->neg, a->nneg * sizeof(*a->neg)) == 0);
}

/* Open-addressing set of distinct sets; sets[] is the caller's output. */
struct set_intern {
	uint32_t *slot; /* index in sets + 1; 0: free */
	uint32_t mask;
	const void **sets;
	uint32_t n;
	uint64_t (*hash)(const void *);
	bool (*same)(const void *, const void *);
};

static uint32_t set_intern(struct set_intern *t, const void *set)
{
	uint32_t h = (uint32_t)t->hash(set) & t->mask;

	while (t->slot[h] && !t->same(t->sets[t->slot[h] - 1], set))
		h = (h + 1) & t->mask;
	if (!t->slot[h]) {
		t->sets[t->n++] = set;
		t->slot[h] = t->n;
	}
	return t->slot[h] - 1;
}

/* Copy the distinct address sets into eng->addr_sets, ranges into one pool. */
static int addr_sets_pack(struct ys_detect_engine *eng, const struct ys_addr_set *const *v,
			  uint32_t n)
{
	size_t nr = 0, o = 0;

	for (uint32_t i = 0; i < n; i++)
		nr += (size_t)v[i]->npos + v[i]->nneg;
	eng->addr_sets = calloc(n + 1, sizeof(*eng->addr_sets));
	eng->addr_pool = calloc(nr + 1, sizeof(*eng->addr_pool));
	if (!eng->addr_sets || !eng->addr_pool)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct ys_addr_set *d = &eng->addr_sets[i];
		*d = *v[i];
		d->pos = eng->addr_pool + o;
		if (v[i]->npos)
			memcpy(d->pos, v[i]->pos, v[i]->npos * sizeof(*d->pos));
		o += v[i]->npos;
		d->neg = eng->addr_pool + o;
		if (v[i]->nneg)
			memcpy(d->neg, v[i]->neg, v[i]->nneg * sizeof(*d->neg));
		o += v[i]->nneg;
	}
	eng->naddr_sets = n;
	return 0;
}

/* Same for the port sets. */
static int port_sets_pack(struct ys_detect_engine *eng, const struct ys_port_set *const *v,
			  uint32_t n)
{
	size_t nr = 0, o = 0;

	for (uint32_t i = 0; i < n; i++)
		nr += (size_t)v[i]->npos + v[i]->nneg;
	eng->port_sets = calloc(n + 1, sizeof(*eng->port_sets));
	eng->port_pool = calloc(nr + 1, sizeof(*eng->port_pool));
	if (!eng->port_sets || !eng->port_pool)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct ys_port_set *d = &eng->port_sets[i];
		*d = *v[i];
		d->pos = eng->port_pool + o;
		if (v[i]->npos)
			memcpy(d->pos, v[i]->pos, v[i]->npos * sizeof(*d->pos));
		o += v[i]->npos;
		d->neg = eng->port_pool + o;
		if (v[i]->nneg)
			memcpy(d->neg, v[i]->neg, v[i]->nneg * sizeof(*d->neg));
		o += v[i]->nneg;
	}
	eng->nport_sets = n;
	return 0;
}

/* Fill eng->pre, eng->addr_sets and eng->port_sets. */
static int sig_pre_build(struct ys_detect_engine *eng)
{
	uint32_t cap = 16;
	int rc = 0;

	while (cap < 4 * (uint64_t)eng->nsigs + 2)
		cap *= 2;
	struct set_intern at = { .mask = cap - 1, .hash = addr_set_hash, .same = addr_set_same };
	struct set_intern pt = { .mask = cap - 1, .hash = port_set_hash, .same = port_set_same };
	at.slot = calloc(cap, sizeof(*at.slot));
	pt.slot = calloc(cap, sizeof(*pt.slot));
	at.sets = calloc(2 * (size_t)eng->nsigs + 1, sizeof(*at.sets));
	pt.sets = calloc(2 * (size_t)eng->nsigs + 1, sizeof(*pt.sets));
	eng->pre = calloc((size_t)eng->nsigs + 1, sizeof(*eng->pre));
	if (!at.slot || !pt.slot || !at.sets || !pt.sets || !eng->pre) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < eng->nsigs; i++) {
		const struct ys_sig *s = eng->sigs[i];
		struct ys_sig_pre *p = &eng->pre[i];

		p->flags = s->flags;
		p->src_set = s->src.any ? YS_SET_ANY : set_intern(&at, &s->src);
		p->dst_set = s->dst.any ? YS_SET_ANY : set_intern(&at, &s->dst);
		p->sp_set = s->sp.any ? YS_SET_ANY : set_intern(&pt, &s->sp);
		p->dp_set = s->dp.any ? YS_SET_ANY : set_intern(&pt, &s->dp);
		p->app_proto = s->app_proto;
		p->app_proto_neg = s->app_proto_neg;
		p->pclass_mask = s->pclass_mask;
		p->flow = s->flow;
		p->ports_any = s->sp.any && s->dp.any;
		p->has_flowvar = s->nfbs || s->nfis;
	}
	rc = addr_sets_pack(eng, (const struct ys_addr_set *const *)at.sets, at.n);
	if (rc == 0)
		rc = port_sets_pack(eng, (const struct ys_port_set *const *)pt.sets, pt.n);
out:
	free(at.slot);
	free(pt.slot);
	free(at.sets);
	free(pt.sets);
	return rc;
}

int ys_detect_groups_build(struct ys_detect_engine *eng)
{
	int rc = 0;
	uint32_t *v = calloc(eng->nsigs + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	rc = sig_pre_build(eng);
	if (rc < 0)
		goto out;
	for (int pc = 0; pc < YS_PC_COUNT; pc++)
		for (int d = 0; d < 2; d++) {
			rc = build_pc_dir(eng, pc, d);
			if (rc < 0)
				goto out;
		}
	for (uint16_t b = YS_BUF_HTTP_URI; b < YS_BUF_COUNT; b++) {
		uint32_t n = 0;
		for (uint32_t i = 0; i < eng->nsigs; i++)
			if (eng->sigs[i]->fp_sm >= 0 && eng->sigs[i]->fp_buf == b)
				v[n++] = i;
		eng->buf_group[b] = n ? group_build(eng, v, n, b, false, &rc) : 0;
		if (rc < 0)
			goto out;
	}
	for (int d = 0; d < 2; d++) {
		uint32_t n = 0;
		for (uint32_t i = 0; i < eng->nsigs; i++) {
			const struct ys_sig *s = eng->sigs[i];
			if ((s->pclass_mask & (1u << YS_PC_TCP)) && sig_in_dir(s, d) &&
			    s->fp_sm >= 0 && s->fp_buf == YS_BUF_PACKET &&
			    ((s->flags & (YS_SIG_F_TCP_PKT | YS_SIG_F_REQ_PACKET)) ||
			     (s->flow & YS_FLOW_NO_STREAM)))
				v[n++] = i;
		}
		/* no nofp list: those rules are already in the port groups */
		eng->pktonly_group[d] = n ? group_build(eng, v, n, YS_BUF_PACKET, false, &rc) : 0;
		if (rc < 0)
			goto out;
	}
	eng->napp_nofp = 0;
	for (uint32_t i = 0; i < eng->nsigs; i++)
		if (eng->sigs[i]->fp_sm < 0 && eng->sigs[i]->buf_mask)
			v[eng->napp_nofp++] = i;
	eng->app_nofp = v;
	v = NULL;
	for (uint32_t i = 0; i < eng->nsigs; i++) {
		const struct ys_sig *s = eng->sigs[i];
		if (s->fp_sm < 0)
			eng->stats.pcre_only++;
		if (s->flags & YS_SIG_F_IPONLY)
			eng->has_iponly = true;
		if (s->fp_sm >= 0 && s->fp_buf == YS_BUF_PACKET) {
			const uint8_t *p;
			uint32_t len;
			bool nc;
			sig_fp(s, &p, &len, &nc);
			if (len - 1 > eng->stream_overlap)
				eng->stream_overlap = len - 1;
		}
	}
out:
	free(v);
	return rc;
}

int ys_detect_engine_compile(struct ys_detect_engine *eng)
{
	struct timespec t0, t1;
	int rc;

	if (eng->compiled)
		return -EBUSY;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ys_detect_sigs_order(eng);
	rc = ys_detect_groups_build(eng);
	if (rc < 0) {
		ys_err(YS_DETECT_MOD, "rule compile failed: %s", strerror(-rc));
		ys_detect_groups_free(eng);
		return rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	eng->stats.compile_seconds =
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	eng->compiled = true;
	ys_info(YS_DETECT_MOD,
		"%u rules loaded, %u failed, %u duplicates; %u groups, %u databases (%zu bytes), "
		"%u rules without fast pattern; compiled in %.2f s",
		eng->stats.rules_loaded, eng->stats.rules_failed, eng->stats.rules_skipped_dup,
		eng->stats.groups, eng->stats.hs_databases, eng->stats.hs_bytes,
		eng->stats.pcre_only, eng->stats.compile_seconds);
	return 0;
}
