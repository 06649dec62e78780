/*
 * Rule sets (see ruleset.h): which rule files and variables each engine gets,
 * and which tenants share an engine. Rule files named in the configuration
 * resolve against default-rule-path, else against the configuration file's
 * own directory.
 */
#include "ruleset.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Load the rule files listed in the sequence FILES (global rule-files or a tenant's rules). */
static int ys_ruleset_load_list(struct ys_detect_engine *eng, const struct ys_conf *files,
				const struct ys_conf *conf)
{
	char base[PATH_MAX], path[PATH_MAX];
	bool have_base = ys_conf_path(conf, "default-rule-path", base, sizeof(base)) != NULL;
	int r;

	for (const struct ys_conf *f = ys_conf_first(files); f; f = f->next) {
		if (f->type != YS_CONF_SCALAR)
			continue;
		if (have_base && f->value[0] != '/') {
			int n = snprintf(path, sizeof(path), "%s/%s", base, f->value);

			if (n < 0 || (size_t)n >= sizeof(path)) {
				fprintf(stderr, "yunshao-sensor: %s:%u: rule file path too long\n",
					f->file, f->line);
				return -ENAMETOOLONG;
			}
		} else if (!ys_conf_path(f, NULL, path, sizeof(path))) {
			continue;
		}
		r = ys_detect_load_file(eng, path);
		if (r) {
			fprintf(stderr, "yunshao-sensor: cannot read rules %s (%s:%u): %s\n", path,
				f->file, f->line, strerror(-r));
			return r;
		}
	}
	return 0;
}

static struct ys_detect_engine *ys_ruleset_engine(const char *const *rule_files, size_t nfiles,
						  const struct ys_conf *conf,
						  const struct ys_tenant *t)
{
	char cls[PATH_MAX], ref[PATH_MAX];
	struct ys_detect_params dp = {
		.vars = ys_conf_get(conf, "vars"),
		.classification_file = ys_conf_path(conf, "classification-file", cls, sizeof(cls)),
		.reference_file = ys_conf_path(conf, "reference-config-file", ref, sizeof(ref)),
		.vars_override = t ? t->vars : NULL,
	};
	struct ys_detect_engine *eng = ys_detect_engine_new(&dp);
	int r = 0;

	if (!eng) {
		fprintf(stderr, "yunshao-sensor: detection engine: %s\n", strerror(errno));
		return NULL;
	}
	if (nfiles) {
		for (size_t i = 0; i < nfiles && !r; i++) {
			r = ys_detect_load_file(eng, rule_files[i]);
			if (r)
				fprintf(stderr, "yunshao-sensor: cannot read rules %s: %s\n",
					rule_files[i], strerror(-r));
		}
	} else {
		r = ys_ruleset_load_list(eng, ys_conf_get(conf, "rule-files"), conf);
	}
	if (!r && t && t->rules)
		r = ys_ruleset_load_list(eng, t->rules, conf);
	if (r || ys_detect_engine_compile(eng)) {
		ys_detect_engine_free(eng);
		return NULL;
	}
	return eng;
}

/* Same overrides, so the same engine? (NULL equals NULL.) */
static bool ys_ruleset_same(const struct ys_tenant *a, const struct ys_tenant *b)
{
	return ys_conf_equal(a->vars, b->vars) && ys_conf_equal(a->rules, b->rules);
}

struct ys_ruleset *ys_ruleset_build(const char *const *rule_files, size_t nrule_files,
				    const struct ys_conf *conf, const struct ys_tenant_map *tenants)
{
	size_t nt = ys_tenant_count(tenants);
	struct ys_ruleset *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	rs->ntenants = nt;
	/* At most one engine per tenant, plus the global one. */
	rs->engines = calloc(nt + 1, sizeof(*rs->engines));
	rs->owner = calloc(nt + 1, sizeof(*rs->owner));
	rs->by_tenant = calloc(nt ? nt : 1, sizeof(*rs->by_tenant));
	if (!rs->engines || !rs->owner || !rs->by_tenant)
		goto out_free;
	rs->engines[0] = ys_ruleset_engine(rule_files, nrule_files, conf, NULL);
	if (!rs->engines[0])
		goto out_free;
	rs->nengines = 1;
	for (size_t i = 0; i < nt; i++) {
		const struct ys_tenant *t = ys_tenant_at(tenants, i);
		size_t e;

		if (!t->vars && !t->rules)
			continue; /* by_tenant[i] stays 0: the global engine */
		for (e = 1; e < rs->nengines; e++)
			if (ys_ruleset_same(rs->owner[e], t))
				break;
		if (e == rs->nengines) {
			rs->engines[e] = ys_ruleset_engine(rule_files, nrule_files, conf, t);
			if (!rs->engines[e]) {
				fprintf(stderr, "yunshao-sensor: rules of tenant %u (%s) failed\n",
					t->id, t->name);
				goto out_free;
			}
			rs->owner[e] = t;
			rs->nengines++;
		}
		rs->by_tenant[i] = (uint16_t)e;
	}
	return rs;

out_free:
	ys_ruleset_free(rs);
	return NULL;
}

void ys_ruleset_free(struct ys_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nengines; i++)
		ys_detect_engine_free(rs->engines[i]);
	free(rs->engines);
	free(rs->owner);
	free(rs->by_tenant);
	free(rs);
}
