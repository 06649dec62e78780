/*
 * Tenant map: loaded once from the `tenants:` list of the config, immutable
 * afterwards and shared by all workers.
 *
 * Classification order (first match wins):
 *   0. pkt->hw_tenant when the XDP program already classified the packet;
 *   1. the VNI of the outermost VXLAN/GENEVE overlay;
 *   2. VLAN: with two tags the exact outer/inner pair ("200/300"); then a
 *      single-tag entry, matched against the OUTER tag (pkt->vlan[0]): in a
 *      QinQ network the provider's outer S-tag names the customer, the inner
 *      C-tag is the customer's own business. With one tag, that tag;
 *   3. CIDR: longest prefix over the inner source and destination addresses
 *      (one binary trie per family); on equal prefix lengths the source's
 *      tenant wins;
 *   4. otherwise tenant 0, "unassigned".
 * VNIs and VLAN keys are sorted arrays searched by bisection; tenant ids too,
 * because the worker looks a tenant up by id for every packet.
 */
#include "tenant.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define YS_TENANT_VLAN_SINGLE 0xffff0000u

struct ys_tenant_key {
	uint32_t key; /* VNI, VLAN key or tenant id */
	uint32_t idx; /* index into map->tenants */
};

struct ys_trie_node {
	int32_t child[2]; /* node index, -1 none */
	int32_t tenant;	  /* tenant index for a prefix ending here, -1 none */
};

struct ys_trie {
	struct ys_trie_node *nodes;
	size_t n, cap;
};

struct ys_tenant_map {
	struct ys_tenant *tenants; /* [0] is tenant 0 */
	size_t n;
	struct ys_tenant_key *ids, *vnis, *vlans;
	size_t nvnis, nvlans;
	struct ys_trie trie4, trie6;
};

static const char *const ys_tenant_keys[] = { "id",	"name",	  "vni",  "vlan", "cidr",
					      "policy", "sample", "vars", "rules" };

static int ys_tenant_err(char *err, size_t errlen, const struct ys_conf *node, size_t i,
			 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "file:line: tenants[i]: reason" (i == SIZE_MAX: no index). */
static int ys_tenant_err(char *err, size_t errlen, const struct ys_conf *node, size_t i,
			 const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (i == SIZE_MAX)
		snprintf(err, errlen, "%s:%u: tenants: %s",
			 node && node->file ? node->file : "config", node ? node->line : 0, reason);
	else
		snprintf(err, errlen, "%s:%u: tenants[%zu]: %s",
			 node && node->file ? node->file : "config", node ? node->line : 0, i,
			 reason);
	return -EINVAL;
}

/* Strict decimal: digits only, no sign, no spaces, within [lo, hi]. */
static bool ys_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return false;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return false;
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*c - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static int ys_key_cmp(const void *a, const void *b)
{
	const struct ys_tenant_key *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static const struct ys_tenant_key *ys_key_find(const struct ys_tenant_key *v, size_t n,
					       uint32_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].key == key)
			return &v[mid];
		if (v[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int ys_trie_node_new(struct ys_trie *t)
{
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		struct ys_trie_node *nn = realloc(t->nodes, ncap * sizeof(*nn));

		if (!nn)
			return -1;
		t->nodes = nn;
		t->cap = ncap;
	}
	t->nodes[t->n].child[0] = t->nodes[t->n].child[1] = -1;
	t->nodes[t->n].tenant = -1;
	return (int)t->n++;
}

static inline unsigned ys_addr_bit(const uint8_t *a, unsigned i)
{
	return (a[i >> 3] >> (7 - (i & 7))) & 1;
}

/* Insert NET/PREFIX for tenant IDX; *OWNER gets the clashing tenant index on -EEXIST. */
static int ys_trie_insert(struct ys_trie *t, const struct ys_tenant_cidr *c, int32_t idx,
			  int32_t *owner)
{
	int32_t n;

	if (!t->n && ys_trie_node_new(t) < 0)
		return -ENOMEM;
	n = 0;
	for (unsigned i = 0; i < c->prefix; i++) {
		unsigned b = ys_addr_bit(c->net.a, i);

		if (t->nodes[n].child[b] < 0) {
			int nn = ys_trie_node_new(t);

			if (nn < 0)
				return -ENOMEM;
			t->nodes[n].child[b] = nn;
		}
		n = t->nodes[n].child[b];
	}
	if (t->nodes[n].tenant >= 0) {
		*owner = t->nodes[n].tenant;
		return -EEXIST;
	}
	t->nodes[n].tenant = idx;
	return 0;
}

/* Longest match for A: tenant index (or -1) and the prefix length in *DEPTH. */
static int32_t ys_trie_lookup(const struct ys_trie *t, const uint8_t *a, unsigned bits, int *depth)
{
	int32_t n = 0, best = -1;

	*depth = -1;
	if (!t->n)
		return -1;
	for (unsigned i = 0;; i++) {
		if (t->nodes[n].tenant >= 0) {
			best = t->nodes[n].tenant;
			*depth = (int)i;
		}
		if (i == bits)
			break;
		n = t->nodes[n].child[ys_addr_bit(a, i)];
		if (n < 0)
			break;
	}
	return best;
}

/* Call FN for the node itself when scalar, else for each element of a sequence. */
static int ys_conf_each(const struct ys_conf *node, size_t ti, const char *what,
			int (*fn)(struct ys_tenant_map *m, size_t ti, const struct ys_conf *v,
				  char *err, size_t errlen),
			struct ys_tenant_map *m, char *err, size_t errlen)
{
	int rc;

	if (node->type == YS_CONF_SCALAR)
		return fn(m, ti, node, err, errlen);
	if (node->type != YS_CONF_SEQ)
		return ys_tenant_err(err, errlen, node, ti, "%s: expected a value or a list", what);
	for (const struct ys_conf *c = ys_conf_first(node); c; c = c->next) {
		if (c->type != YS_CONF_SCALAR)
			return ys_tenant_err(err, errlen, c, ti, "%s: expected a value", what);
		rc = fn(m, ti, c, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

static int ys_grow(void **arr, size_t n, size_t elem)
{
	/* Grow by one; the lists are short and loaded once. */
	void *na = realloc(*arr, (n + 1) * elem);

	if (!na)
		return -ENOMEM;
	*arr = na;
	return 0;
}

static int ys_add_vni(struct ys_tenant_map *m, size_t ti, const struct ys_conf *v, char *err,
		      size_t errlen)
{
	struct ys_tenant *t = &m->tenants[ti + 1];
	uint64_t vni;

	if (!ys_parse_u64(v->value, 0, 0xffffff, &vni))
		return ys_tenant_err(err, errlen, v, ti, "vni: '%s' is not a number in 0..16777215",
				     v->value);
	if (ys_grow((void **)&t->vnis, t->nvnis, sizeof(*t->vnis)) ||
	    ys_grow((void **)&m->vnis, m->nvnis, sizeof(*m->vnis)))
		return ys_tenant_err(err, errlen, v, ti, "out of memory");
	t->vnis[t->nvnis++] = (uint32_t)vni;
	m->vnis[m->nvnis].key = (uint32_t)vni;
	m->vnis[m->nvnis++].idx = (uint32_t)(ti + 1);
	return 0;
}

static bool ys_parse_vlan_id(const char *s, size_t len, uint32_t *out)
{
	char buf[8];
	uint64_t v;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!ys_parse_u64(buf, 1, 4094, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

static int ys_add_vlan(struct ys_tenant_map *m, size_t ti, const struct ys_conf *v, char *err,
		       size_t errlen)
{
	struct ys_tenant *t = &m->tenants[ti + 1];
	const char *s = v->value ? v->value : "";
	const char *slash = strchr(s, '/');
	uint32_t outer, inner, key;

	if (slash) {
		if (!ys_parse_vlan_id(s, (size_t)(slash - s), &outer) ||
		    !ys_parse_vlan_id(slash + 1, strlen(slash + 1), &inner))
			return ys_tenant_err(err, errlen, v, ti,
					     "vlan: '%s' is not OUTER/INNER with ids in 1..4094",
					     s);
		key = (outer << 16) | inner;
	} else {
		if (!ys_parse_vlan_id(s, strlen(s), &inner))
			return ys_tenant_err(err, errlen, v, ti,
					     "vlan: '%s' is not a VLAN id in 1..4094", s);
		key = YS_TENANT_VLAN_SINGLE | inner;
	}
	if (ys_grow((void **)&t->vlans, t->nvlans, sizeof(*t->vlans)) ||
	    ys_grow((void **)&m->vlans, m->nvlans, sizeof(*m->vlans)))
		return ys_tenant_err(err, errlen, v, ti, "out of memory");
	t->vlans[t->nvlans++] = key;
	m->vlans[m->nvlans].key = key;
	m->vlans[m->nvlans++].idx = (uint32_t)(ti + 1);
	return 0;
}

static int ys_add_cidr(struct ys_tenant_map *m, size_t ti, const struct ys_conf *v, char *err,
		       size_t errlen)
{
	struct ys_tenant *t = &m->tenants[ti + 1];
	const char *s = v->value ? v->value : "";
	const char *slash = strchr(s, '/');
	char addr[64];
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	struct ys_tenant_cidr c;
	uint64_t prefix;
	unsigned bits;
	int32_t owner = -1;
	int rc;

	if (alen >= sizeof(addr))
		return ys_tenant_err(err, errlen, v, ti, "cidr: '%s' is not an address", s);
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (ys_addr_parse(addr, &c.net))
		return ys_tenant_err(err, errlen, v, ti, "cidr: '%s' is not an IPv4/IPv6 address",
				     addr);
	bits = c.net.family == 4 ? 32 : 128;
	if (slash && !ys_parse_u64(slash + 1, 0, bits, &prefix))
		return ys_tenant_err(err, errlen, v, ti, "cidr: '%s': prefix must be 0..%u", s,
				     bits);
	c.prefix = (uint8_t)(slash ? prefix : bits);
	for (unsigned i = c.prefix; i < bits; i++) {
		if (ys_addr_bit(c.net.a, i))
			return ys_tenant_err(err, errlen, v, ti,
					     "cidr: '%s' has host bits set beyond /%u", s,
					     c.prefix);
	}
	rc = ys_trie_insert(c.net.family == 4 ? &m->trie4 : &m->trie6, &c, (int32_t)(ti + 1),
			    &owner);
	if (rc == -EEXIST)
		return ys_tenant_err(err, errlen, v, ti,
				     "cidr: %s is already given to tenant %" PRIu32, s,
				     m->tenants[owner].id);
	if (rc || ys_grow((void **)&t->cidrs, t->ncidrs, sizeof(*t->cidrs)))
		return ys_tenant_err(err, errlen, v, ti, "out of memory");
	t->cidrs[t->ncidrs++] = c;
	return 0;
}

static int ys_tenant_parse(struct ys_tenant_map *m, size_t ti, const struct ys_conf *node,
			   char *err, size_t errlen)
{
	struct ys_tenant *t = &m->tenants[ti + 1];
	const struct ys_conf *c;
	uint64_t v;
	int rc;

	if (node->type != YS_CONF_MAP)
		return ys_tenant_err(err, errlen, node, ti, "expected a map (id, name, vni, ...)");
	for (c = ys_conf_first(node); c; c = c->next) {
		bool known = false;

		for (size_t k = 0; k < sizeof(ys_tenant_keys) / sizeof(ys_tenant_keys[0]); k++)
			known |= c->key && !strcmp(c->key, ys_tenant_keys[k]);
		if (!known)
			return ys_tenant_err(err, errlen, c, ti, "unknown key '%s'",
					     c->key ? c->key : "");
	}

	c = ys_conf_get(node, "id");
	if (!c)
		return ys_tenant_err(err, errlen, node, ti, "id: missing");
	if (c->type != YS_CONF_SCALAR || !ys_parse_u64(c->value, 0, UINT32_MAX, &v))
		return ys_tenant_err(err, errlen, c, ti, "id: not a number in 1..4294967295");
	if (v == YS_TENANT_UNASSIGNED)
		return ys_tenant_err(err, errlen, c, ti,
				     "id: 0 is reserved for unassigned traffic");
	t->id = (uint32_t)v;
	for (size_t j = 1; j < ti + 1; j++) {
		if (m->tenants[j].id == t->id)
			return ys_tenant_err(err, errlen, c, ti, "id: %" PRIu32 " is already used",
					     t->id);
	}

	c = ys_conf_get(node, "name");
	if (c) {
		if (c->type != YS_CONF_SCALAR || !c->value || !*c->value)
			return ys_tenant_err(err, errlen, c, ti,
					     "name: expected a non-empty string");
		if (strlen(c->value) >= YS_TENANT_NAME_MAX)
			return ys_tenant_err(err, errlen, c, ti, "name: longer than %d characters",
					     YS_TENANT_NAME_MAX - 1);
		snprintf(t->name, sizeof(t->name), "%s", c->value);
	} else {
		snprintf(t->name, sizeof(t->name), "tenant-%" PRIu32, t->id);
	}
	if (!strcmp(t->name, "unassigned") || !strcmp(t->name, "unknown"))
		return ys_tenant_err(err, errlen, c ? c : node, ti, "name: '%s' is reserved",
				     t->name);
	for (size_t j = 1; j < ti + 1; j++) {
		if (!strcmp(m->tenants[j].name, t->name))
			return ys_tenant_err(err, errlen, c ? c : node, ti,
					     "name: '%s' is already used", t->name);
	}

	t->policy = YS_TENANT_INSPECT;
	t->sample_n = 1;
	c = ys_conf_get(node, "policy");
	if (c) {
		const char *p = c->type == YS_CONF_SCALAR && c->value ? c->value : "";

		if (!strcmp(p, "inspect"))
			t->policy = YS_TENANT_INSPECT;
		else if (!strcmp(p, "ignore"))
			t->policy = YS_TENANT_IGNORE;
		else if (!strcmp(p, "sample"))
			t->policy = YS_TENANT_SAMPLE;
		else
			return ys_tenant_err(err, errlen, c, ti,
					     "policy: '%s' is not inspect, ignore or sample", p);
	}
	c = ys_conf_get(node, "sample");
	if (c) {
		if (c->type != YS_CONF_SCALAR || !ys_parse_u64(c->value, 1, UINT32_MAX, &v))
			return ys_tenant_err(err, errlen, c, ti, "sample: not a number >= 1");
		if (t->policy != YS_TENANT_SAMPLE)
			return ys_tenant_err(err, errlen, c, ti,
					     "sample: only meaningful with policy: sample");
		t->sample_n = (uint32_t)v;
	} else if (t->policy == YS_TENANT_SAMPLE) {
		return ys_tenant_err(err, errlen, node, ti, "policy sample needs sample: N");
	}

	c = ys_conf_get(node, "vni");
	if (c && (rc = ys_conf_each(c, ti, "vni", ys_add_vni, m, err, errlen)))
		return rc;
	c = ys_conf_get(node, "vlan");
	if (c && (rc = ys_conf_each(c, ti, "vlan", ys_add_vlan, m, err, errlen)))
		return rc;
	c = ys_conf_get(node, "cidr");
	if (c && (rc = ys_conf_each(c, ti, "cidr", ys_add_cidr, m, err, errlen)))
		return rc;

	c = ys_conf_get(node, "vars");
	if (c && c->type != YS_CONF_MAP)
		return ys_tenant_err(err, errlen, c, ti, "vars: expected a map (HOME_NET: ...)");
	t->vars = c;
	c = ys_conf_get(node, "rules");
	if (c && c->type == YS_CONF_MAP)
		return ys_tenant_err(err, errlen, c, ti,
				     "rules: expected a file or a list of files");
	t->rules = c;
	return 0;
}

/* After sorting, equal neighbours are the same VNI / VLAN given twice. */
static int ys_check_dups(const struct ys_tenant_map *m, const struct ys_tenant_key *v, size_t n,
			 const char *what, const struct ys_conf *node, char *err, size_t errlen)
{
	for (size_t i = 1; i < n; i++) {
		uint32_t k = v[i].key;
		char kb[24];

		if (k != v[i - 1].key)
			continue;
		if (!strcmp(what, "vlan") && (k & YS_TENANT_VLAN_SINGLE) == YS_TENANT_VLAN_SINGLE)
			snprintf(kb, sizeof(kb), "%" PRIu32, k & 0xffff);
		else if (!strcmp(what, "vlan"))
			snprintf(kb, sizeof(kb), "%" PRIu32 "/%" PRIu32, k >> 16, k & 0xffff);
		else
			snprintf(kb, sizeof(kb), "%" PRIu32, k);
		return ys_tenant_err(err, errlen, node, SIZE_MAX,
				     "%s %s is given to tenant %" PRIu32 " and tenant %" PRIu32,
				     what, kb, m->tenants[v[i - 1].idx].id,
				     m->tenants[v[i].idx].id);
	}
	return 0;
}

void ys_tenant_map_free(struct ys_tenant_map *map)
{
	if (!map)
		return;
	for (size_t i = 0; i < map->n; i++) {
		free(map->tenants[i].vnis);
		free(map->tenants[i].vlans);
		free(map->tenants[i].cidrs);
	}
	free(map->tenants);
	free(map->ids);
	free(map->vnis);
	free(map->vlans);
	free(map->trie4.nodes);
	free(map->trie6.nodes);
	free(map);
}

struct ys_tenant_map *ys_tenant_map_load(const struct ys_conf *conf, char *err, size_t errlen)
{
	struct ys_tenant_map *m;
	const struct ys_conf *list = conf, *c;
	size_t n = 0, i;
	int rc = -ENOMEM;

	if (err && errlen)
		err[0] = '\0';
	if (list && list->type == YS_CONF_MAP)
		list = ys_conf_get(list, "tenants");
	if (list && list->type != YS_CONF_SEQ) {
		ys_tenant_err(err, errlen, list, SIZE_MAX, "expected a list of tenants");
		errno = EINVAL;
		return NULL;
	}
	for (c = ys_conf_first(list); c; c = c->next)
		n++;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto out_nomem;
	m->tenants = calloc(n + 1, sizeof(*m->tenants));
	m->ids = calloc(n + 1, sizeof(*m->ids));
	if (!m->tenants || !m->ids)
		goto out_free_map;
	m->n = n + 1;
	m->tenants[0].id = YS_TENANT_UNASSIGNED;
	snprintf(m->tenants[0].name, sizeof(m->tenants[0].name), "unassigned");
	m->tenants[0].sample_n = 1;

	for (i = 0, c = ys_conf_first(list); c; c = c->next, i++) {
		rc = ys_tenant_parse(m, i, c, err, errlen);
		if (rc)
			goto out_free_map;
	}
	for (i = 0; i < m->n; i++) {
		m->ids[i].key = m->tenants[i].id;
		m->ids[i].idx = (uint32_t)i;
	}
	qsort(m->ids, m->n, sizeof(*m->ids), ys_key_cmp);
	if (m->nvnis)
		qsort(m->vnis, m->nvnis, sizeof(*m->vnis), ys_key_cmp);
	if (m->nvlans)
		qsort(m->vlans, m->nvlans, sizeof(*m->vlans), ys_key_cmp);
	rc = ys_check_dups(m, m->vnis, m->nvnis, "vni", list, err, errlen);
	if (!rc)
		rc = ys_check_dups(m, m->vlans, m->nvlans, "vlan", list, err, errlen);
	if (rc)
		goto out_free_map;
	return m;

out_free_map:
	ys_tenant_map_free(m);
	if (rc == -ENOMEM && err && errlen && !err[0])
		snprintf(err, errlen, "tenants: out of memory");
	errno = -rc;
	return NULL;
out_nomem:
	snprintf(err, errlen, "tenants: out of memory");
	errno = ENOMEM;
	return NULL;
}

/* Index in map->tenants of PKT's tenant by VNI, VLAN, then CIDR; 0 (tenant 0) if none. */
static size_t ys_tenant_match(const struct ys_tenant_map *map, const struct ys_packet *pkt)
{
	const struct ys_tenant_key *k;

	if (map->nvnis && pkt->tunnel.type != YS_TUNNEL_NONE) {
		k = ys_key_find(map->vnis, map->nvnis, pkt->tunnel.vni);
		if (k)
			return k->idx;
	}
	if (map->nvlans && pkt->vlan_count) {
		if (pkt->vlan_count >= 2) {
			k = ys_key_find(map->vlans, map->nvlans,
					((uint32_t)pkt->vlan[0] << 16) | pkt->vlan[1]);
			if (k)
				return k->idx;
		}
		k = ys_key_find(map->vlans, map->nvlans, YS_TENANT_VLAN_SINGLE | pkt->vlan[0]);
		if (k)
			return k->idx;
	}
	if (pkt->ip_version == 4 || pkt->ip_version == 6) {
		const struct ys_trie *t = pkt->ip_version == 4 ? &map->trie4 : &map->trie6;
		unsigned bits = pkt->ip_version == 4 ? 32 : 128;
		int ds, dd;
		int32_t s = ys_trie_lookup(t, pkt->src.a, bits, &ds);
		int32_t d = ys_trie_lookup(t, pkt->dst.a, bits, &dd);

		if (s >= 0 && ds >= dd)
			return (size_t)s;
		if (d >= 0)
			return (size_t)d;
	}
	return 0;
}

uint32_t ys_tenant_classify(const struct ys_tenant_map *map, const struct ys_packet *pkt)
{
	if (pkt->hw_tenant)
		return pkt->hw_tenant;
	if (!map)
		return YS_TENANT_UNASSIGNED;
	return map->tenants[ys_tenant_match(map, pkt)].id;
}

const struct ys_tenant *ys_tenant_lookup(const struct ys_tenant_map *map,
					 const struct ys_packet *pkt, uint32_t *id)
{
	const struct ys_tenant *t;

	if (pkt->hw_tenant) {
		*id = pkt->hw_tenant;
		return ys_tenant_get(map, pkt->hw_tenant);
	}
	if (!map) {
		*id = YS_TENANT_UNASSIGNED;
		return NULL;
	}
	t = &map->tenants[ys_tenant_match(map, pkt)];
	*id = t->id;
	return t;
}

const struct ys_tenant *ys_tenant_get(const struct ys_tenant_map *map, uint32_t id)
{
	const struct ys_tenant_key *k;

	if (!map)
		return NULL;
	k = ys_key_find(map->ids, map->n, id);
	return k ? &map->tenants[k->idx] : NULL;
}

const char *ys_tenant_name(const struct ys_tenant_map *map, uint32_t id)
{
	const struct ys_tenant *t;

	if (id == YS_TENANT_UNASSIGNED)
		return "unassigned";
	t = ys_tenant_get(map, id);
	return t ? t->name : "unknown";
}

size_t ys_tenant_count(const struct ys_tenant_map *map)
{
	return map ? map->n : 0;
}

const struct ys_tenant *ys_tenant_at(const struct ys_tenant_map *map, size_t i)
{
	return map && i < map->n ? &map->tenants[i] : NULL;
}

size_t ys_tenant_index(const struct ys_tenant_map *map, const struct ys_tenant *t)
{
	return (size_t)(t - map->tenants);
}
