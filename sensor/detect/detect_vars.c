/*
 * Rule variables ($HOME_NET, $HTTP_PORTS ...) and the address and port
 * expressions of rule headers: lists in brackets, nesting, negation with '!',
 * CIDR, address ranges "a-b", port ranges "1024:", "any".
 *
 * Variables come from the config's vars.address-groups / vars.port-groups maps
 * (Suricata's yaml layout); a tenant override map wins over the global one;
 * when neither defines a name, Suricata's default suricata.yaml value is used,
 * so that stock rule sets load without a config file.
 *
 * An expression is flattened into positive and negative ranges (negation
 * parity is carried down through nested groups, as in "!$HOME_NET"), then
 * sorted and merged so that matching a packet is a binary search.
 */
#include "detect_int.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#define VAR_DEPTH_MAX 16

struct ys_var {
	char *name, *value;
	bool is_port;
};

struct ys_vars {
	struct ys_var *v;
	size_t n;
};

static const char *const default_addr_vars[][2] = {
	{ "HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]" },
	{ "EXTERNAL_NET", "!$HOME_NET" },
	{ "HTTP_SERVERS", "$HOME_NET" },
	{ "SMTP_SERVERS", "$HOME_NET" },
	{ "SQL_SERVERS", "$HOME_NET" },
	{ "DNS_SERVERS", "$HOME_NET" },
	{ "TELNET_SERVERS", "$HOME_NET" },
	{ "AIM_SERVERS", "$EXTERNAL_NET" },
	{ "DC_SERVERS", "$HOME_NET" },
	{ "DNP3_SERVER", "$HOME_NET" },
	{ "DNP3_CLIENT", "$HOME_NET" },
	{ "MODBUS_CLIENT", "$HOME_NET" },
	{ "MODBUS_SERVER", "$HOME_NET" },
	{ "ENIP_CLIENT", "$HOME_NET" },
	{ "ENIP_SERVER", "$HOME_NET" },
};

static const char *const default_port_vars[][2] = {
	{ "HTTP_PORTS", "80" },
	{ "SHELLCODE_PORTS", "!80" },
	{ "ORACLE_PORTS", "1521" },
	{ "SSH_PORTS", "22" },
	{ "DNP3_PORTS", "20000" },
	{ "MODBUS_PORTS", "502" },
	{ "FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]" },
	{ "FTP_PORTS", "21" },
	{ "GENEVE_PORTS", "6081" },
	{ "VXLAN_PORTS", "4789" },
	{ "TEREDO_PORTS", "3544" },
	{ "SIP_PORTS", "[5060,5061]" },
};

static struct ys_var *vars_find(const struct ys_vars *v, const char *name, size_t nlen,
				bool is_port)
{
	for (size_t i = 0; i < v->n; i++) {
		if (v->v[i].is_port == is_port && strlen(v->v[i].name) == nlen &&
		    memcmp(v->v[i].name, name, nlen) == 0)
			return &v->v[i];
	}
	return NULL;
}

/* Set NAME=VALUE, replacing an earlier definition (later sources win). */
static int vars_set(struct ys_vars *v, const char *name, const char *value, bool is_port)
{
	struct ys_var *e = vars_find(v, name, strlen(name), is_port);
	char *nv = strdup(value);

	if (!nv)
		return -ENOMEM;
	if (e) {
		free(e->value);
		e->value = nv;
		return 0;
	}
	struct ys_var *nvv = realloc(v->v, (v->n + 1) * sizeof(*nvv));
	if (!nvv)
		goto out_free_value;
	v->v = nvv;
	v->v[v->n].name = strdup(name);
	if (!v->v[v->n].name)
		goto out_free_value;
	v->v[v->n].value = nv;
	v->v[v->n].is_port = is_port;
	v->n++;
	return 0;
out_free_value:
	free(nv);
	return -ENOMEM;
}

static int vars_from_conf(struct ys_vars *v, const struct ys_conf *node)
{
	static const char *const sect[2] = { "address-groups", "port-groups" };

	for (int k = 0; k < 2; k++) {
		const struct ys_conf *g = ys_conf_get(node, sect[k]);

		for (const struct ys_conf *c = ys_conf_first(g); c; c = c->next) {
			if (!c->key || c->type != YS_CONF_SCALAR || !c->value)
				continue;
			if (vars_set(v, c->key, c->value, k == 1) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

struct ys_vars *ys_vars_new(const struct ys_conf *vars, const struct ys_conf *override)
{
	struct ys_vars *v = calloc(1, sizeof(*v));
	size_t i;

	if (!v)
		return NULL;
	for (i = 0; i < sizeof(default_addr_vars) / sizeof(default_addr_vars[0]); i++)
		if (vars_set(v, default_addr_vars[i][0], default_addr_vars[i][1], false) < 0)
			goto out_free;
	for (i = 0; i < sizeof(default_port_vars) / sizeof(default_port_vars[0]); i++)
		if (vars_set(v, default_port_vars[i][0], default_port_vars[i][1], true) < 0)
			goto out_free;
	if (vars && vars_from_conf(v, vars) < 0)
		goto out_free;
	if (override && vars_from_conf(v, override) < 0)
		goto out_free;
	return v;
out_free:
	ys_vars_free(v);
	errno = ENOMEM;
	return NULL;
}

void ys_vars_free(struct ys_vars *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free(v->v[i].name);
		free(v->v[i].value);
	}
	free(v->v);
	free(v);
}

/* ---- generic list walker ---- */

/* Split the top level of "[a,[b,c],!d]" or a single item into elements.
 * Calls FN for each element text (trimmed, NUL-terminated copy). */
typedef int (*elem_fn)(void *ctx, char *elem, bool neg, int depth);

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
	return s;
}

static int walk_expr(const struct ys_vars *v, const char *text, bool neg, int depth, bool is_port,
		     elem_fn fn, void *ctx, char *err, size_t errlen);

static int walk_list(const struct ys_vars *v, char *s, bool neg, int depth, bool is_port,
		     elem_fn fn, void *ctx, char *err, size_t errlen)
{
	/* s is the inside of [ ... ] */
	int lvl = 0;
	char *start = s;
	int rc;

	for (char *p = s;; p++) {
		if (*p == '[') {
			lvl++;
		} else if (*p == ']') {
			if (--lvl < 0) {
				snprintf(err, errlen, "unbalanced ']'");
				return -EINVAL;
			}
		} else if ((*p == ',' && lvl == 0) || *p == 0) {
			char save = *p;
			*p = 0;
			char *e = trim(start);
			if (*e == 0) {
				snprintf(err, errlen, "empty element in list");
				return -EINVAL;
			}
			rc = walk_expr(v, e, neg, depth, is_port, fn, ctx, err, errlen);
			*p = save;
			if (rc < 0)
				return rc;
			if (save == 0)
				break;
			start = p + 1;
		}
	}
	if (lvl != 0) {
		snprintf(err, errlen, "unbalanced '['");
		return -EINVAL;
	}
	return 0;
}

static int walk_expr(const struct ys_vars *v, const char *text, bool neg, int depth, bool is_port,
		     elem_fn fn, void *ctx, char *err, size_t errlen)
{
	char *copy, *s;
	int rc = 0;

	if (depth > VAR_DEPTH_MAX) {
		snprintf(err, errlen, "variables nested too deep (loop?)");
		return -EINVAL;
	}
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	s = trim(copy);
	while (*s == '!') {
		neg = !neg;
		s = trim(s + 1);
	}
	if (*s == '[') {
		size_t n = strlen(s);
		if (n < 2 || s[n - 1] != ']') {
			snprintf(err, errlen, "unbalanced '[' in \"%s\"", text);
			rc = -EINVAL;
			goto out;
		}
		s[n - 1] = 0;
		rc = walk_list(v, s + 1, neg, depth + 1, is_port, fn, ctx, err, errlen);
	} else if (*s == '$') {
		const struct ys_var *var = vars_find(v, s + 1, strlen(s + 1), is_port);
		if (!var) {
			snprintf(err, errlen, "unknown variable \"%s\"", s);
			rc = -EINVAL;
			goto out;
		}
		rc = walk_expr(v, var->value, neg, depth + 1, is_port, fn, ctx, err, errlen);
	} else if (*s == 0) {
		snprintf(err, errlen, "empty address/port");
		rc = -EINVAL;
	} else if (strchr(s, ',')) {
		/* A bare list without brackets (as in some variable values). */
		rc = walk_list(v, s, neg, depth + 1, is_port, fn, ctx, err, errlen);
	} else {
		rc = fn(ctx, s, neg, depth);
	}
out:
	free(copy);
	return rc;
}

/* ---- addresses ---- */

struct addr_acc {
	struct ys_ip_range *pos, *neg;
	uint32_t npos, nneg, cpos, cneg;
	bool any;
	char *err;
	size_t errlen;
};

static int range_push(struct ys_ip_range **v, uint32_t *n, uint32_t *cap,
		      const struct ys_ip_range *r)
{
	if (*n == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 8;
		struct ys_ip_range *nv = realloc(*v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = *r;
	return 0;
}

static int parse_ip(const char *s, uint8_t *family, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = 6;
		return 0;
	}
	return -EINVAL;
}

static int addr_elem(void *vctx, char *e, bool neg, int depth)
{
	struct addr_acc *acc = vctx;
	struct ys_ip_range r;
	char *slash, *dash;

	memset(&r, 0, sizeof(r));
	if (strcasecmp(e, "any") == 0) {
		if (neg) {
			snprintf(acc->err, acc->errlen, "\"!any\" matches nothing");
			return -EINVAL;
		}
		acc->any = true;
		return 0;
	}
	slash = strchr(e, '/');
	dash = strchr(e, '-');
	if (slash) {
		char *end;
		*slash = 0;
		if (parse_ip(e, &r.family, r.lo) < 0)
			goto bad;
		long pfx;
		/* Suricata also accepts a dotted netmask: 1.2.3.0/255.255.255.0 */
		uint8_t mfam, mask[16];
		if (strchr(slash + 1, '.') && parse_ip(slash + 1, &mfam, mask) == 0 && mfam == 4) {
			pfx = 0;
			uint32_t m = ((uint32_t)mask[0] << 24) | ((uint32_t)mask[1] << 16) |
				     ((uint32_t)mask[2] << 8) | mask[3];
			while (m & 0x80000000u) {
				pfx++;
				m <<= 1;
			}
		} else {
			errno = 0;
			pfx = strtol(slash + 1, &end, 10);
			if (errno || *end || end == slash + 1 || pfx < 0 ||
			    pfx > (r.family == 4 ? 32 : 128))
				goto bad;
		}
		int nbytes = r.family == 4 ? 4 : 16;
		memcpy(r.hi, r.lo, 16);
		for (int b = (int)pfx; b < nbytes * 8; b++) {
			r.lo[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
			r.hi[b / 8] |= (uint8_t)(0x80u >> (b % 8));
		}
	} else if (dash && r.family == 0 && !strchr(e, ':')) {
		uint8_t f2;
		*dash = 0;
		if (parse_ip(trim(e), &r.family, r.lo) < 0 ||
		    parse_ip(trim(dash + 1), &f2, r.hi) < 0 || f2 != r.family ||
		    memcmp(r.lo, r.hi, 16) > 0)
			goto bad;
	} else {
		if (parse_ip(e, &r.family, r.lo) < 0)
			goto bad;
		memcpy(r.hi, r.lo, 16);
	}
	if (neg)
		return range_push(&acc->neg, &acc->nneg, &acc->cneg, &r);
	return range_push(&acc->pos, &acc->npos, &acc->cpos, &r);
bad:
	snprintf(acc->err, acc->errlen, "invalid address \"%s\"", e);
	return -EINVAL;
}

static int range_cmp(const void *a, const void *b)
{
	const struct ys_ip_range *x = a, *y = b;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->lo, y->lo, 16);
}

static void inc16(uint8_t *a)
{
	for (int i = 15; i >= 0; i--)
		if (++a[i] != 0)
			break;
}

/* Sort and merge overlapping/adjacent ranges of one family. */
static uint32_t ranges_normalise(struct ys_ip_range *v, uint32_t n)
{
	uint32_t o = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), range_cmp);
	for (uint32_t i = 1; i < n; i++) {
		struct ys_ip_range *last = &v[o];
		uint8_t next[16];
		memcpy(next, last->hi, 16);
		if (last->family == 4) {
			/* IPv4 lives in bytes 0..3: increment there. */
			uint32_t x = ((uint32_t)next[0] << 24) | ((uint32_t)next[1] << 16) |
				     ((uint32_t)next[2] << 8) | next[3];
			if (x != 0xffffffffu)
				x++;
			next[0] = (uint8_t)(x >> 24);
			next[1] = (uint8_t)(x >> 16);
			next[2] = (uint8_t)(x >> 8);
			next[3] = (uint8_t)x;
		} else {
			inc16(next);
		}
		if (v[i].family == last->family && memcmp(v[i].lo, next, 16) <= 0) {
			if (memcmp(v[i].hi, last->hi, 16) > 0)
				memcpy(last->hi, v[i].hi, 16);
		} else {
			v[++o] = v[i];
		}
	}
	return o + 1;
}

int ys_addr_set_parse(const struct ys_vars *v, const char *text, struct ys_addr_set *out, char *err,
		      size_t errlen)
{
	struct addr_acc acc;
	int rc;

	memset(&acc, 0, sizeof(acc));
	memset(out, 0, sizeof(*out));
	acc.err = err;
	acc.errlen = errlen;
	rc = walk_expr(v, text, false, 0, false, addr_elem, &acc, err, errlen);
	if (rc < 0) {
		free(acc.pos);
		free(acc.neg);
		return rc;
	}
	if (acc.any) {
		free(acc.pos);
		acc.pos = NULL;
		acc.npos = 0;
	}
	out->pos = acc.pos;
	out->npos = ranges_normalise(acc.pos, acc.npos);
	out->neg = acc.neg;
	out->nneg = ranges_normalise(acc.neg, acc.nneg);
	out->any = out->npos == 0 && out->nneg == 0;
	if (!acc.any && out->npos == 0 && out->nneg == 0) {
		snprintf(err, errlen, "empty address set");
		return -EINVAL;
	}
	return 0;
}

void ys_addr_set_clear(struct ys_addr_set *s)
{
	free(s->pos);
	free(s->neg);
	memset(s, 0, sizeof(*s));
}

/* memcmp(a, b, 16) as a sign, without the call: two big-endian words. It runs
 * on the packet path, a few times per packet. */
static inline int addr16_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t x, y;

	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	if (x != y)
		return be64toh(x) < be64toh(y) ? -1 : 1;
	memcpy(&x, a + 8, 8);
	memcpy(&y, b + 8, 8);
	x = be64toh(x);
	y = be64toh(y);
	return x < y ? -1 : x > y;
}

static bool ranges_have(const struct ys_ip_range *v, uint32_t n, const struct ys_addr *a)
{
	uint32_t lo = 0, hi = n;
	uint8_t key[16];

	memset(key, 0, sizeof(key));
	memcpy(key, a->a, a->family == 4 ? 4 : 16);
	/* last range with (family, lo) <= (a->family, key) */
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		int c = v[mid].family != a->family ? (v[mid].family < a->family ? -1 : 1)
						   : addr16_cmp(v[mid].lo, key);
		if (c <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	const struct ys_ip_range *r = &v[lo - 1];
	return r->family == a->family && addr16_cmp(key, r->hi) <= 0;
}

bool ys_addr_set_match(const struct ys_addr_set *s, const struct ys_addr *a)
{
	if (s->any)
		return true;
	if (s->npos && !ranges_have(s->pos, s->npos, a))
		return false;
	if (s->nneg && ranges_have(s->neg, s->nneg, a))
		return false;
	return true;
}

/* ---- ports ---- */

struct port_acc {
	struct ys_port_range *pos, *neg;
	uint32_t npos, nneg, cpos, cneg;
	bool any;
	char *err;
	size_t errlen;
};

static int prange_push(struct ys_port_range **v, uint32_t *n, uint32_t *cap, uint16_t lo,
		       uint16_t hi)
{
	if (*n == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 8;
		struct ys_port_range *nv = realloc(*v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = nc;
	}
	(*v)[*n].lo = lo;
	(*v)[*n].hi = hi;
	(*n)++;
	return 0;
}

static int parse_port_num(const char *s, long *out)
{
	char *end;
	errno = 0;
	long x = strtol(s, &end, 10);
	while (*end == ' ')
		end++;
	if (errno || end == s || *end || x < 0 || x > 65535)
		return -EINVAL;
	*out = x;
	return 0;
}

static int port_elem(void *vctx, char *e, bool neg, int depth)
{
	struct port_acc *acc = vctx;
	long lo, hi;
	char *colon;

	if (strcasecmp(e, "any") == 0) {
		if (neg) {
			snprintf(acc->err, acc->errlen, "\"!any\" matches nothing");
			return -EINVAL;
		}
		acc->any = true;
		return 0;
	}
	colon = strchr(e, ':');
	if (colon) {
		*colon = 0;
		char *a = trim(e), *b = trim(colon + 1);
		lo = 0;
		hi = 65535;
		if (*a && parse_port_num(a, &lo) < 0)
			goto bad;
		if (*b && parse_port_num(b, &hi) < 0)
			goto bad;
		if (!*a && !*b)
			goto bad;
		if (lo > hi)
			goto bad;
	} else {
		if (parse_port_num(e, &lo) < 0)
			goto bad;
		hi = lo;
	}
	if (neg)
		return prange_push(&acc->neg, &acc->nneg, &acc->cneg, (uint16_t)lo, (uint16_t)hi);
	return prange_push(&acc->pos, &acc->npos, &acc->cpos, (uint16_t)lo, (uint16_t)hi);
bad:
	snprintf(acc->err, acc->errlen, "invalid port \"%s\"", e);
	return -EINVAL;
}

static int prange_cmp(const void *a, const void *b)
{
	const struct ys_port_range *x = a, *y = b;
	return (int)x->lo - (int)y->lo;
}

static uint32_t pranges_normalise(struct ys_port_range *v, uint32_t n)
{
	uint32_t o = 0;
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), prange_cmp);
	for (uint32_t i = 1; i < n; i++) {
		if ((uint32_t)v[i].lo <= (uint32_t)v[o].hi + 1) {
			if (v[i].hi > v[o].hi)
				v[o].hi = v[i].hi;
		} else {
			v[++o] = v[i];
		}
	}
	return o + 1;
}

int ys_port_set_parse(const struct ys_vars *v, const char *text, struct ys_port_set *out, char *err,
		      size_t errlen)
{
	struct port_acc acc;
	int rc;

	memset(&acc, 0, sizeof(acc));
	memset(out, 0, sizeof(*out));
	acc.err = err;
	acc.errlen = errlen;
	rc = walk_expr(v, text, false, 0, true, port_elem, &acc, err, errlen);
	if (rc < 0) {
		free(acc.pos);
		free(acc.neg);
		return rc;
	}
	if (acc.any) {
		free(acc.pos);
		acc.pos = NULL;
		acc.npos = 0;
	}
	out->pos = acc.pos;
	out->npos = pranges_normalise(acc.pos, acc.npos);
	out->neg = acc.neg;
	out->nneg = pranges_normalise(acc.neg, acc.nneg);
	out->any =
		(out->npos == 0 && out->nneg == 0) || (out->npos == 1 && out->pos[0].lo == 0 &&
						       out->pos[0].hi == 65535 && out->nneg == 0);
	if (!acc.any && out->npos == 0 && out->nneg == 0) {
		snprintf(err, errlen, "empty port set");
		return -EINVAL;
	}
	if (ys_port_set_size(out) == 0) {
		snprintf(err, errlen, "port set \"%s\" matches nothing", text);
		ys_port_set_clear(out);
		return -EINVAL;
	}
	return 0;
}

void ys_port_set_clear(struct ys_port_set *s)
{
	free(s->pos);
	free(s->neg);
	memset(s, 0, sizeof(*s));
}

static bool pranges_have(const struct ys_port_range *v, uint32_t n, uint16_t p)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (v[mid].lo <= p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && p <= v[lo - 1].hi;
}

bool ys_port_set_match(const struct ys_port_set *s, uint16_t port)
{
	if (s->any)
		return true;
	if (s->npos && !pranges_have(s->pos, s->npos, port))
		return false;
	if (s->nneg && pranges_have(s->neg, s->nneg, port))
		return false;
	return true;
}

uint32_t ys_port_set_size(const struct ys_port_set *s)
{
	static const struct ys_port_range all = { 0, 65535 };
	const struct ys_port_range *pos = s->npos ? s->pos : &all;
	uint32_t npos = s->npos ? s->npos : 1;
	uint32_t n = 0;

	if (s->any)
		return 65536;
	/* Ranges are disjoint after normalisation: count, then remove overlaps. */
	for (uint32_t i = 0; i < npos; i++) {
		n += (uint32_t)pos[i].hi - pos[i].lo + 1;
		for (uint32_t j = 0; j < s->nneg; j++) {
			uint32_t lo = pos[i].lo > s->neg[j].lo ? pos[i].lo : s->neg[j].lo;
			uint32_t hi = pos[i].hi < s->neg[j].hi ? pos[i].hi : s->neg[j].hi;
			if (lo <= hi)
				n -= hi - lo + 1;
		}
	}
	return n;
}
