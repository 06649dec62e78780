/*
 * Private to the correlation module: the parsed rule (correlate_rules.c) that
 * the engine (correlate.c) evaluates. Immutable after parsing.
 */
#ifndef YS_INGEST_CORRELATE_INT_H
#define YS_INGEST_CORRELATE_INT_H

#include "correlate.h"

struct ys_corr_strs {
	char **v;
	size_t n;
};

struct ys_corr_ints {
	int64_t *v;
	size_t n;
};

/* field path = any of values (compared as text) */
struct ys_corr_match {
	char *path;
	struct ys_corr_strs values;
};

/* Every present criterion must hold; a list matches when any element does. */
struct ys_corr_select {
	struct ys_corr_ints sid, gid, severity;
	int64_t severity_max; /* 0: unset */
	struct ys_corr_strs classtype, category, signature, tenant;
	struct ys_corr_match *match;
	size_t nmatch;
};

struct ys_corr_step {
	char *name;
	struct ys_corr_select sel;
};

struct ys_corr_rule {
	char *id, *title, *level;
	enum ys_corr_type type;
	enum ys_corr_stream stream;
	struct ys_corr_select sel;
	struct ys_corr_step steps[YS_CORR_MAX_STEPS];
	size_t nsteps;
	char *group_by[YS_CORR_MAX_GROUPBY];
	size_t ngroup;
	int64_t timespan; /* usec */
	enum ys_corr_op op;
	int64_t threshold;
	char *field; /* value_count */
	int severity;
	struct ys_corr_strs mlps;
	size_t window; /* entries a group keeps (derived from op + threshold) */
};

struct ys_corr_ruleset {
	struct ys_corr_rule *rules;
	size_t n;
};

bool ys_corr_select_matches(const struct ys_corr_select *sel, const json_t *ev);

#endif /* YS_INGEST_CORRELATE_INT_H */
