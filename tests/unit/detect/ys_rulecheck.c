/*
 * ys_rulecheck: load rule files into a detection engine, compile, and print
 * how many rules loaded, how many failed and the most common reasons, plus
 * compile time and database figures. Lets rule-set support be measured
 * without the sensor binary:
 *
 *   ys_rulecheck [-v] [-c classification.config] file.rules ...
 *
 * -v lists every failure as "file:line: sid N: keyword 'x': reason".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "ys_log.h"

struct reason {
	char key[160];
	unsigned n;
	uint32_t example_sid;
};

static int reason_cmp(const void *a, const void *b)
{
	const struct reason *x = a, *y = b;
	return (int)y->n - (int)x->n;
}

int main(int argc, char **argv)
{
	struct ys_detect_params params = { 0 };
	struct ys_detect_engine *eng;
	const struct ys_detect_failure *f;
	struct reason *rs = NULL;
	size_t nrs = 0, nf;
	bool verbose = false;
	int i = 1, rc = 0;

	ys_log_set_level(YS_LOG_ERROR);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			params.classification_file = argv[++i];
		else {
			fprintf(stderr,
				"usage: %s [-v] [-c classification.config] file.rules ...\n",
				argv[0]);
			return 2;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [-v] [-c classification.config] file.rules ...\n",
			argv[0]);
		return 2;
	}
	eng = ys_detect_engine_new(&params);
	if (!eng) {
		perror("ys_detect_engine_new");
		return 1;
	}
	for (; i < argc; i++) {
		if (ys_detect_load_file(eng, argv[i]) < 0) {
			fprintf(stderr, "%s: cannot load\n", argv[i]);
			rc = 1;
		}
	}
	if (ys_detect_engine_compile(eng) < 0) {
		fprintf(stderr, "compile failed\n");
		rc = 1;
	}
	const struct ys_detect_stats *st = ys_detect_engine_stats(eng);
	nf = ys_detect_failures(eng, &f);
	rs = calloc(nf + 1, sizeof(*rs));
	for (size_t k = 0; rs && k < nf; k++) {
		char key[160];
		/* group by keyword and the reason up to the first quote or digit-specific part */
		snprintf(key, sizeof(key), "%s: %s", f[k].keyword, f[k].reason);
		char *q = strchr(key, '"');
		if (q)
			*q = 0;
		if (verbose)
			printf("%s:%u: sid %u: keyword '%s': %s\n", f[k].file, f[k].line, f[k].sid,
			       f[k].keyword, f[k].reason);
		size_t j = 0;
		for (; j < nrs; j++)
			if (strcmp(rs[j].key, key) == 0)
				break;
		if (j == nrs) {
			snprintf(rs[nrs].key, sizeof(rs[nrs].key), "%s", key);
			rs[nrs].example_sid = f[k].sid;
			nrs++;
		}
		rs[j].n++;
	}
	if (rs)
		qsort(rs, nrs, sizeof(*rs), reason_cmp);
	unsigned total = st->rules_loaded + st->rules_failed;
	printf("rules: %u loaded, %u failed (%.2f%% loaded), %u duplicates\n", st->rules_loaded,
	       st->rules_failed, total ? 100.0 * st->rules_loaded / total : 0.0,
	       st->rules_skipped_dup);
	printf("compile: %.3f s, %u groups, %u databases, %zu bytes, %u rules without fast "
	       "pattern\n",
	       st->compile_seconds, st->groups, st->hs_databases, st->hs_bytes, st->pcre_only);
	for (size_t j = 0; j < nrs && j < 25; j++)
		printf("  %6u  %s (e.g. sid %u)\n", rs[j].n, rs[j].key, rs[j].example_sid);
	free(rs);
	ys_detect_engine_free(eng);
	return rc;
}
