/*
 * Correlation rule parser: YAML (through the shared ys_conf tree) into
 * struct ys_corr_rule. Strict on purpose: an unknown key, a wrong type, a
 * missing threshold or an unbounded window is an error naming file and line,
 * because a rule that silently never fires is worse than one that fails to
 * load. Also the alert selector, shared with the engine.
 */
#include "correlate_int.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ys_log.h"

#define YS_CORR_MAX_LIST 256

static bool ys_corr_bad(char *err, size_t errlen, const struct ys_conf *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool ys_corr_bad(char *err, size_t errlen, const struct ys_conf *n, const char *fmt, ...)
{
	va_list ap;
	int w = snprintf(err, errlen, "%s:%u: ", n && n->file ? n->file : "?", n ? n->line : 0);

	if (w < 0 || (size_t)w >= errlen)
		return false;
	va_start(ap, fmt);
	vsnprintf(err + w, errlen - (size_t)w, fmt, ap);
	va_end(ap);
	return false;
}

static void ys_strs_free(struct ys_corr_strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static void ys_select_free(struct ys_corr_select *sel)
{
	free(sel->sid.v);
	free(sel->gid.v);
	free(sel->severity.v);
	ys_strs_free(&sel->classtype);
	ys_strs_free(&sel->category);
	ys_strs_free(&sel->signature);
	ys_strs_free(&sel->tenant);
	for (size_t i = 0; i < sel->nmatch; i++) {
		free(sel->match[i].path);
		ys_strs_free(&sel->match[i].values);
	}
	free(sel->match);
	memset(sel, 0, sizeof(*sel));
}

static void ys_rule_free(struct ys_corr_rule *r)
{
	free(r->id);
	free(r->title);
	free(r->level);
	free(r->field);
	ys_select_free(&r->sel);
	for (size_t i = 0; i < r->nsteps; i++) {
		free(r->steps[i].name);
		ys_select_free(&r->steps[i].sel);
	}
	for (size_t i = 0; i < r->ngroup; i++)
		free(r->group_by[i]);
	ys_strs_free(&r->mlps);
}

void ys_corr_rules_free(struct ys_corr_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		ys_rule_free(&rs->rules[i]);
	free(rs->rules);
	free(rs);
}

size_t ys_corr_rules_count(const struct ys_corr_ruleset *rs)
{
	return rs ? rs->n : 0;
}

const char *ys_corr_rule_id(const struct ys_corr_ruleset *rs, size_t i)
{
	return rs && i < rs->n ? rs->rules[i].id : NULL;
}

bool ys_corr_rules_need_by_source(const struct ys_corr_ruleset *rs)
{
	for (size_t i = 0; rs && i < rs->n; i++)
		if (rs->rules[i].stream == YS_CORR_STREAM_BY_SOURCE)
			return true;
	return false;
}

bool ys_corr_rules_select_any(const struct ys_corr_ruleset *rs, enum ys_corr_stream stream,
			      const json_t *ev)
{
	for (size_t i = 0; rs && i < rs->n; i++) {
		const struct ys_corr_rule *r = &rs->rules[i];

		if (r->stream != stream)
			continue;
		if (!r->nsteps && ys_corr_select_matches(&r->sel, ev))
			return true;
		for (size_t s = 0; s < r->nsteps; s++)
			if (ys_corr_select_matches(&r->steps[s].sel, ev))
				return true;
	}
	return false;
}

/* A scalar or a sequence of scalars, as strings. */
static bool ys_parse_strs(const struct ys_conf *n, struct ys_corr_strs *out, char *err,
			  size_t errlen)
{
	const struct ys_conf *c;
	size_t cnt = n->type == YS_CONF_SEQ ? n->nchildren : 1;

	if (n->type == YS_CONF_MAP)
		return ys_corr_bad(err, errlen, n, "%s: expected a value or a list", n->key);
	if (cnt == 0 || cnt > YS_CORR_MAX_LIST)
		return ys_corr_bad(err, errlen, n, "%s: list must hold 1..%d values", n->key,
				   YS_CORR_MAX_LIST);
	out->v = calloc(cnt, sizeof(*out->v));
	if (!out->v)
		return ys_corr_bad(err, errlen, n, "out of memory");
	if (n->type == YS_CONF_SCALAR) {
		out->v[0] = strdup(n->value ? n->value : "");
		out->n = out->v[0] ? 1 : 0;
		return out->n ? true : ys_corr_bad(err, errlen, n, "out of memory");
	}
	for (c = ys_conf_first(n); c; c = c->next) {
		if (c->type != YS_CONF_SCALAR || !c->value || !*c->value)
			return ys_corr_bad(err, errlen, c,
					   "%s: list elements must be non-empty values", n->key);
		out->v[out->n] = strdup(c->value);
		if (!out->v[out->n])
			return ys_corr_bad(err, errlen, c, "out of memory");
		out->n++;
	}
	return true;
}

static bool ys_parse_i64(const struct ys_conf *n, const char *s, int64_t min, int64_t max,
			 int64_t *out, char *err, size_t errlen)
{
	char *end;

	if (!s || !*s)
		return ys_corr_bad(err, errlen, n, "expected a number");
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno || *end || *out < min || *out > max)
		return ys_corr_bad(err, errlen, n, "'%s' is not a number in %" PRId64 "..%" PRId64,
				   s, min, max);
	return true;
}

static bool ys_parse_ints(const struct ys_conf *n, struct ys_corr_ints *out, int64_t min,
			  int64_t max, char *err, size_t errlen)
{
	struct ys_corr_strs s = { 0 };
	bool ok = ys_parse_strs(n, &s, err, errlen);

	if (ok) {
		out->v = calloc(s.n, sizeof(*out->v));
		if (!out->v)
			ok = ys_corr_bad(err, errlen, n, "out of memory");
	}
	for (size_t i = 0; ok && i < s.n; i++) {
		ok = ys_parse_i64(n, s.v[i], min, max, &out->v[i], err, errlen);
		out->n = ok ? i + 1 : out->n;
	}
	ys_strs_free(&s);
	return ok;
}

/* "60s", "5m", "2h", "1d", or plain seconds; 1 s .. 30 d. */
static bool ys_parse_timespan(const struct ys_conf *n, int64_t *usec, char *err, size_t errlen)
{
	const char *s = n->value;
	int64_t mult = 1, v;
	char *end;

	if (n->type != YS_CONF_SCALAR || !s || !*s)
		return ys_corr_bad(err, errlen, n, "timespan: expected e.g. 60s, 5m, 1h");
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v <= 0)
		return ys_corr_bad(err, errlen, n, "timespan: '%s' is not a positive duration", s);
	if (*end == 's' && !end[1])
		mult = 1;
	else if (*end == 'm' && !end[1])
		mult = 60;
	else if (*end == 'h' && !end[1])
		mult = 3600;
	else if (*end == 'd' && !end[1])
		mult = 86400;
	else if (*end)
		return ys_corr_bad(err, errlen, n, "timespan: unknown unit in '%s' (s, m, h, d)",
				   s);
	if (v > 30 * 86400 / mult)
		return ys_corr_bad(err, errlen, n, "timespan: '%s' is longer than 30 days", s);
	*usec = v * mult * 1000000;
	return true;
}

static bool ys_parse_select(const struct ys_conf *n, struct ys_corr_select *sel, char *err,
			    size_t errlen)
{
	const struct ys_conf *c;
	bool ok = true, any = false;

	if (n->type != YS_CONF_MAP)
		return ys_corr_bad(err, errlen, n, "select: expected a map of criteria");
	for (c = ys_conf_first(n); c && ok; c = c->next) {
		any = true;
		if (strcmp(c->key, "sid") == 0) {
			ok = !sel->sid.n && ys_parse_ints(c, &sel->sid, 1, UINT32_MAX, err, errlen);
		} else if (strcmp(c->key, "gid") == 0) {
			ok = !sel->gid.n && ys_parse_ints(c, &sel->gid, 1, UINT32_MAX, err, errlen);
		} else if (strcmp(c->key, "severity") == 0) {
			ok = !sel->severity.n &&
			     ys_parse_ints(c, &sel->severity, 1, 255, err, errlen);
		} else if (strcmp(c->key, "severity_max") == 0) {
			ok = c->type == YS_CONF_SCALAR &&
			     ys_parse_i64(c, c->value, 1, 255, &sel->severity_max, err, errlen);
		} else if (strcmp(c->key, "classtype") == 0) {
			ok = !sel->classtype.n && ys_parse_strs(c, &sel->classtype, err, errlen);
		} else if (strcmp(c->key, "category") == 0) {
			ok = !sel->category.n && ys_parse_strs(c, &sel->category, err, errlen);
		} else if (strcmp(c->key, "signature") == 0) {
			ok = !sel->signature.n && ys_parse_strs(c, &sel->signature, err, errlen);
		} else if (strcmp(c->key, "tenant") == 0) {
			ok = !sel->tenant.n && ys_parse_strs(c, &sel->tenant, err, errlen);
		} else if (strcmp(c->key, "match") == 0 && c->type == YS_CONF_MAP && !sel->match) {
			const struct ys_conf *m;
			size_t i = 0;

			if (c->nchildren == 0 || c->nchildren > 16)
				return ys_corr_bad(err, errlen, c, "match: 1..16 fields");
			sel->match = calloc(c->nchildren, sizeof(*sel->match));
			if (!sel->match)
				return ys_corr_bad(err, errlen, c, "out of memory");
			for (m = ys_conf_first(c); m && ok; m = m->next, i++) {
				sel->match[i].path = strdup(m->key);
				sel->nmatch = i + 1;
				ok = sel->match[i].path &&
				     ys_parse_strs(m, &sel->match[i].values, err, errlen);
			}
		} else {
			return ys_corr_bad(err, errlen, c,
					   "select: unknown or repeated criterion '%s'", c->key);
		}
		if (!ok && !err[0])
			ys_corr_bad(err, errlen, c, "select: bad value for '%s'", c->key);
	}
	if (ok && !any)
		return ys_corr_bad(err, errlen, n, "select: empty (it would match every alert)");
	return ok;
}

static char *ys_dup_scalar(const struct ys_conf *n, const char *what, char *err, size_t errlen)
{
	char *s;

	if (!n || n->type != YS_CONF_SCALAR || !n->value || !*n->value) {
		ys_corr_bad(err, errlen, n, "%s: expected a non-empty value", what);
		return NULL;
	}
	s = strdup(n->value);
	if (!s)
		ys_corr_bad(err, errlen, n, "out of memory");
	return s;
}

static bool ys_parse_condition(const struct ys_conf *n, struct ys_corr_rule *r, char *err,
			       size_t errlen)
{
	static const char *const ops[] = { "gt", "gte", "lt", "lte", "eq" };
	const struct ys_conf *c;
	bool have = false;

	if (n->type != YS_CONF_MAP)
		return ys_corr_bad(err, errlen, n,
				   "condition: expected {gte: N} (gt|gte|lt|lte|eq)");
	for (c = ys_conf_first(n); c; c = c->next) {
		size_t i;

		if (strcmp(c->key, "field") == 0) {
			r->field = ys_dup_scalar(c, "condition.field", err, errlen);
			if (!r->field)
				return false;
			continue;
		}
		for (i = 0; i < 5; i++)
			if (strcmp(c->key, ops[i]) == 0)
				break;
		if (i == 5 || have)
			return ys_corr_bad(err, errlen, c,
					   "condition: unknown or second operator '%s'", c->key);
		if (c->type != YS_CONF_SCALAR ||
		    !ys_parse_i64(c, c->value, 0, YS_CORR_MAX_WINDOW - 1, &r->threshold, err,
				  errlen))
			return ys_corr_bad(err, errlen, c, "condition.%s: a number 0..%d", c->key,
					   YS_CORR_MAX_WINDOW - 1);
		r->op = (enum ys_corr_op)i;
		have = true;
	}
	if (!have)
		return ys_corr_bad(err, errlen, n, "condition: no operator (gt|gte|lt|lte|eq)");
	/* A condition true on zero alerts would fire on nothing ever seen: refuse it. */
	if ((r->op == YS_CORR_LT && r->threshold <= 1) ||
	    (r->op == YS_CORR_LTE && r->threshold < 1) ||
	    (r->op == YS_CORR_EQ && r->threshold < 1) || (r->op == YS_CORR_GTE && r->threshold < 1))
		return ys_corr_bad(err, errlen, n, "condition: can never be met by an alert");
	return true;
}

static bool ys_parse_rule(const struct ys_conf *n, struct ys_corr_rule *r, char *err, size_t errlen)
{
	static const char *const types[] = { "event_count", "value_count", "temporal",
					     "temporal_ordered" };
	static const char *const levels[] = { "blue", "yellow", "orange", "red" };
	const struct ys_conf *c;
	bool have_type = false, have_span = false, have_cond = false, ok = true;
	int64_t sev = 2;

	if (n->type != YS_CONF_MAP)
		return ys_corr_bad(err, errlen, n, "a rule must be a map");
	for (c = ys_conf_first(n); c && ok; c = c->next) {
		const char *k = c->key;

		if (strcmp(k, "id") == 0 && !r->id) {
			ok = (r->id = ys_dup_scalar(c, "id", err, errlen)) != NULL;
		} else if (strcmp(k, "title") == 0 && !r->title) {
			ok = (r->title = ys_dup_scalar(c, "title", err, errlen)) != NULL;
		} else if (strcmp(k, "description") == 0 || strcmp(k, "references") == 0 ||
			   strcmp(k, "author") == 0) {
			continue; /* documentation only */
		} else if (strcmp(k, "type") == 0 && !have_type) {
			size_t i;

			for (i = 0; i < 4; i++)
				if (c->value && strcmp(c->value, types[i]) == 0)
					break;
			if (i == 4)
				return ys_corr_bad(err, errlen, c,
						   "type: '%s' is not event_count, value_count,"
						   " temporal or temporal_ordered",
						   c->value ? c->value : "");
			r->type = (enum ys_corr_type)i;
			have_type = true;
		} else if (strcmp(k, "stream") == 0) {
			if (c->value && strcmp(c->value, "alerts") == 0)
				r->stream = YS_CORR_STREAM_ALERTS;
			else if (c->value && strcmp(c->value, "by-source") == 0)
				r->stream = YS_CORR_STREAM_BY_SOURCE;
			else
				return ys_corr_bad(err, errlen, c, "stream: alerts or by-source");
		} else if (strcmp(k, "select") == 0 && !r->sel.nmatch && !r->sel.sid.n) {
			ok = ys_parse_select(c, &r->sel, err, errlen);
		} else if (strcmp(k, "steps") == 0 && !r->nsteps) {
			const struct ys_conf *s;

			if (c->type != YS_CONF_SEQ || c->nchildren < 2 ||
			    c->nchildren > YS_CORR_MAX_STEPS)
				return ys_corr_bad(err, errlen, c, "steps: a list of 2..%d steps",
						   YS_CORR_MAX_STEPS);
			for (s = ys_conf_first(c); s && ok; s = s->next) {
				struct ys_corr_step *st = &r->steps[r->nsteps++];
				const struct ys_conf *sel = ys_conf_get(s, "select");

				if (s->type != YS_CONF_MAP || !sel || s->nchildren > 2)
					return ys_corr_bad(err, errlen, s,
							   "steps: each step is {name, select}");
				st->name = ys_dup_scalar(ys_conf_get(s, "name"), "steps.name", err,
							 errlen);
				ok = st->name && ys_parse_select(sel, &st->sel, err, errlen);
			}
		} else if (strcmp(k, "group-by") == 0 && !r->ngroup) {
			const struct ys_conf *g;

			if (c->type != YS_CONF_SEQ || c->nchildren < 1 ||
			    c->nchildren > YS_CORR_MAX_GROUPBY)
				return ys_corr_bad(err, errlen, c,
						   "group-by: a list of 1..%d fields",
						   YS_CORR_MAX_GROUPBY);
			for (g = ys_conf_first(c); g && ok; g = g->next) {
				r->group_by[r->ngroup] = ys_dup_scalar(g, "group-by", err, errlen);
				ok = r->group_by[r->ngroup] != NULL;
				r->ngroup += ok;
			}
		} else if (strcmp(k, "timespan") == 0 && !have_span) {
			ok = have_span = ys_parse_timespan(c, &r->timespan, err, errlen);
		} else if (strcmp(k, "condition") == 0 && !have_cond) {
			ok = have_cond = ys_parse_condition(c, r, err, errlen);
		} else if (strcmp(k, "severity") == 0) {
			ok = c->type == YS_CONF_SCALAR &&
			     ys_parse_i64(c, c->value, 1, 3, &sev, err, errlen);
			if (!ok && !err[0])
				ys_corr_bad(err, errlen, c, "severity: 1..3");
		} else if (strcmp(k, "level") == 0 && !r->level) {
			size_t i;

			for (i = 0; i < 4; i++)
				if (c->value && strcmp(c->value, levels[i]) == 0)
					break;
			if (i == 4)
				return ys_corr_bad(err, errlen, c,
						   "level: blue, yellow, orange or red");
			r->level = strdup(levels[i]);
			ok = r->level != NULL;
		} else if (strcmp(k, "mlps") == 0 && !r->mlps.n) {
			ok = ys_parse_strs(c, &r->mlps, err, errlen);
		} else {
			return ys_corr_bad(err, errlen, c, "unknown or repeated key '%s'", k);
		}
	}
	if (!ok)
		return false;
	r->severity = (int)sev;
	if (!r->id || !r->title || !have_type || !have_span || !r->level)
		return ys_corr_bad(err, errlen, n,
				   "rule %s: id, title, type, timespan and level are required",
				   r->id ? r->id : "(no id)");
	if (r->ngroup == 0)
		return ys_corr_bad(err, errlen, n, "rule %s: group-by is required", r->id);
	if (r->type == YS_CORR_TEMPORAL || r->type == YS_CORR_TEMPORAL_ORDERED) {
		if (r->nsteps < 2 || r->sel.sid.n || r->sel.nmatch || have_cond)
			return ys_corr_bad(
				err, errlen, n,
				"rule %s: temporal rules take steps (no select/condition)", r->id);
		r->window = r->nsteps;
		return true;
	}
	if (r->nsteps || !have_cond)
		return ys_corr_bad(err, errlen, n, "rule %s: select and condition are required",
				   r->id);
	if ((r->type == YS_CORR_VALUE_COUNT) != (r->field != NULL))
		return ys_corr_bad(err, errlen, n,
				   "rule %s: condition.field is required for value_count only",
				   r->id);
	/* threshold+1 entries decide every operator: beyond that the answer cannot change. */
	r->window = (size_t)r->threshold + 1;
	return true;
}

struct ys_corr_ruleset *ys_corr_rules_parse(const char *name, const char *text, size_t len,
					    char *err, size_t errlen)
{
	struct ys_corr_ruleset *rs = NULL;
	const struct ys_conf *c, *list;
	struct ys_conf *root;
	size_t n;

	err[0] = '\0';
	root = ys_conf_load_string(name, text, len, err, errlen);
	if (!root)
		return NULL;
	/* One rule per file, or several under "rules:" (the YAML top level is always a map). */
	list = ys_conf_get(root, "rules");
	if (list && (list->type != YS_CONF_SEQ || root->nchildren != 1)) {
		ys_corr_bad(err, errlen, list, "rules: a list of rules, and nothing beside it");
		goto out_conf;
	}
	if (!list)
		list = root;
	n = list->type == YS_CONF_SEQ ? list->nchildren : 1;
	if (list->type == YS_CONF_SCALAR || n == 0 || n > 1024) {
		ys_corr_bad(err, errlen, root, "expected a rule map or rules: [list of rules]");
		goto out_conf;
	}
	rs = calloc(1, sizeof(*rs));
	if (!rs || !(rs->rules = calloc(n, sizeof(*rs->rules)))) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto out_rs;
	}
	c = list->type == YS_CONF_SEQ ? ys_conf_first(list) : list;
	for (; c; c = list->type == YS_CONF_SEQ ? c->next : NULL) {
		rs->n++;
		if (!ys_parse_rule(c, &rs->rules[rs->n - 1], err, errlen))
			goto out_rs;
		for (size_t i = 0; i + 1 < rs->n; i++)
			if (strcmp(rs->rules[i].id, rs->rules[rs->n - 1].id) == 0) {
				ys_corr_bad(err, errlen, c, "duplicate rule id '%s'",
					    rs->rules[i].id);
				goto out_rs;
			}
	}
	ys_conf_free(root);
	return rs;
out_rs:
	ys_corr_rules_free(rs);
	rs = NULL;
out_conf:
	ys_conf_free(root);
	errno = EINVAL;
	return NULL;
}

static int ys_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ys_is_yaml(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && ((n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
				  (n > 4 && strcmp(name + n - 4, ".yml") == 0));
}

struct ys_corr_ruleset *ys_corr_rules_load_dir(const char *dir, char *err, size_t errlen)
{
	struct ys_corr_ruleset *all = NULL;
	char **names = NULL, path[4096];
	size_t nnames = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	while ((de = readdir(d))) {
		if (!ys_is_yaml(de->d_name))
			continue;
		if (nnames == cap) {
			char **nn = realloc(names, (cap ? cap * 2 : 16) * sizeof(*names));

			if (!nn)
				goto out_nomem;
			names = nn;
			cap = cap ? cap * 2 : 16;
		}
		names[nnames] = strdup(de->d_name);
		if (!names[nnames])
			goto out_nomem;
		nnames++;
	}
	qsort(names, nnames, sizeof(*names), ys_cmp_str);
	all = calloc(1, sizeof(*all));
	if (!all)
		goto out_nomem;
	for (size_t i = 0; i < nnames; i++) {
		struct ys_corr_ruleset *one;
		struct ys_corr_rule *grown;
		char *text;
		long len;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		f = fopen(path, "re");
		if (!f) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out_fail;
		}
		if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || len > 1 << 20 ||
		    fseek(f, 0, SEEK_SET)) {
			fclose(f);
			snprintf(err, errlen, "%s: unreadable or larger than 1 MiB", path);
			goto out_fail;
		}
		text = malloc((size_t)len + 1);
		if (!text || fread(text, 1, (size_t)len, f) != (size_t)len) {
			free(text);
			fclose(f);
			snprintf(err, errlen, "%s: read failed", path);
			goto out_fail;
		}
		fclose(f);
		text[len] = '\0';
		one = ys_corr_rules_parse(path, text, (size_t)len, err, errlen);
		free(text);
		if (!one)
			goto out_fail;
		grown = realloc(all->rules, (all->n + one->n) * sizeof(*all->rules));
		if (!grown) {
			ys_corr_rules_free(one);
			goto out_nomem;
		}
		all->rules = grown;
		for (size_t j = 0; j < one->n; j++) {
			for (size_t k = 0; k < all->n; k++)
				if (strcmp(all->rules[k].id, one->rules[j].id) == 0) {
					snprintf(err, errlen, "%s: rule id '%s' already defined",
						 path, one->rules[j].id);
					/* move what is left so one's free covers it */
					memmove(one->rules, one->rules + j,
						(one->n - j) * sizeof(*one->rules));
					one->n -= j;
					ys_corr_rules_free(one);
					goto out_fail;
				}
			all->rules[all->n++] = one->rules[j];
		}
		free(one->rules);
		free(one);
	}
	goto out;
out_nomem:
	snprintf(err, errlen, "%s: out of memory", dir);
out_fail:
	ys_corr_rules_free(all);
	all = NULL;
out:
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return all;
}

/* ---- selection ---- */

const char *ys_corr_field(const json_t *ev, const char *path, char *buf, size_t buflen)
{
	const json_t *v = ev;
	const char *p = path;

	while (v && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (!json_is_object(v))
			return NULL;
		v = json_object_getn(v, p, n);
		p += n + (dot ? 1 : 0);
	}
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, buflen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	if (json_is_real(v) && json_real_value(v) == (double)(int64_t)json_real_value(v)) {
		snprintf(buf, buflen, "%" PRId64, (int64_t)json_real_value(v));
		return buf;
	}
	if (json_is_true(v))
		return "true";
	if (json_is_false(v))
		return "false";
	return NULL;
}

static bool ys_in_ints(const struct ys_corr_ints *l, int64_t v)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == v)
			return true;
	return false;
}

static bool ys_in_strs_ci(const struct ys_corr_strs *l, const char *v)
{
	for (size_t i = 0; v && i < l->n; i++)
		if (strcasecmp(l->v[i], v) == 0)
			return true;
	return false;
}

/* classtype: alert.metadata.classtype (string or list), else the EVE category. */
static bool ys_classtype_matches(const struct ys_corr_strs *l, const json_t *alert)
{
	const json_t *ct = json_object_get(json_object_get(alert, "metadata"), "classtype");
	size_t i;
	json_t *v;

	if (json_is_string(ct))
		return ys_in_strs_ci(l, json_string_value(ct));
	json_array_foreach(ct, i, v) if (ys_in_strs_ci(l, json_string_value(v))) return true;
	return ys_in_strs_ci(l, json_string_value(json_object_get(alert, "category")));
}

/* MATCH holds when the field, or any element of it when it is a list, equals one of its values. */
static bool ys_match_field(const json_t *ev, const struct ys_corr_match *m, char *buf,
			   size_t buflen)
{
	const char *dot = strrchr(m->path, '.');
	const json_t *parent = ev, *list;
	size_t i;
	json_t *el;

	if (dot) {
		char ppath[128];

		if ((size_t)(dot - m->path) >= sizeof(ppath))
			return false;
		memcpy(ppath, m->path, (size_t)(dot - m->path));
		ppath[dot - m->path] = '\0';
		parent = ev;
		for (const char *p = ppath; parent && *p;) {
			const char *d = strchr(p, '.');
			size_t n = d ? (size_t)(d - p) : strlen(p);

			parent = json_object_getn(parent, p, n);
			p += n + (d ? 1 : 0);
		}
	}
	list = json_object_get(parent, dot ? dot + 1 : m->path);
	if (json_is_array(list)) {
		json_array_foreach(list, i, el)
		{
			const char *v = json_string_value(el);

			for (size_t k = 0; v && k < m->values.n; k++)
				if (strcmp(m->values.v[k], v) == 0)
					return true;
		}
		return false;
	}
	{
		const char *v = ys_corr_field(ev, m->path, buf, buflen);

		for (size_t k = 0; v && k < m->values.n; k++)
			if (strcmp(m->values.v[k], v) == 0)
				return true;
	}
	return false;
}

bool ys_corr_select_matches(const struct ys_corr_select *sel, const json_t *ev)
{
	const json_t *alert = json_object_get(ev, "alert");
	int64_t sev = (int64_t)json_number_value(json_object_get(alert, "severity"));
	char buf[32];

	if (sel->sid.n && !ys_in_ints(&sel->sid, (int64_t)json_number_value(
							 json_object_get(alert, "signature_id"))))
		return false;
	if (sel->gid.n &&
	    !ys_in_ints(&sel->gid, (int64_t)json_number_value(json_object_get(alert, "gid"))))
		return false;
	if (sel->severity.n && !ys_in_ints(&sel->severity, sev))
		return false;
	if (sel->severity_max && (sev < 1 || sev > sel->severity_max))
		return false;
	if (sel->category.n &&
	    !ys_in_strs_ci(&sel->category, json_string_value(json_object_get(alert, "category"))))
		return false;
	if (sel->classtype.n && !ys_classtype_matches(&sel->classtype, alert))
		return false;
	if (sel->tenant.n) {
		const char *t = json_string_value(json_object_get(ev, "tenant"));
		bool hit = false;

		for (size_t i = 0; t && i < sel->tenant.n && !hit; i++)
			hit = strcmp(sel->tenant.v[i], t) == 0;
		if (!hit)
			return false;
	}
	if (sel->signature.n) {
		const char *s = json_string_value(json_object_get(alert, "signature"));
		bool hit = false;

		for (size_t i = 0; s && i < sel->signature.n && !hit; i++)
			hit = strcasestr(s, sel->signature.v[i]) != NULL;
		if (!hit)
			return false;
	}
	for (size_t m = 0; m < sel->nmatch; m++) {
		if (!ys_match_field(ev, &sel->match[m], buf, sizeof(buf)))
			return false;
	}
	return true;
}
