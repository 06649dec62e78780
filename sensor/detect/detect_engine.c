/*
 * Engine life cycle and rule loading: reading rule files (comments, blank
 * lines, multi-line rules continued with a trailing '\'), recording every
 * failure for -T as "file:line: sid N: keyword 'x': reason", and resolving
 * duplicate gid:sid pairs the way Suricata does (the higher revision wins;
 * the loser is counted).
 */
#include "detect_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ys_log.h"

int32_t ys_name_table_intern(struct ys_name_table *t, const char *name)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (strcmp(t->names[i], name) == 0)
			return (int32_t)i;
	if (t->n == t->cap) {
		uint32_t nc = t->cap ? t->cap * 2 : 16;
		char **nv = realloc(t->names, nc * sizeof(*nv));
		if (!nv)
			return -1;
		t->names = nv;
		t->cap = nc;
	}
	t->names[t->n] = strdup(name);
	if (!t->names[t->n])
		return -1;
	return (int32_t)t->n++;
}

void ys_name_table_clear(struct ys_name_table *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	memset(t, 0, sizeof(*t));
}

struct ys_detect_engine *ys_detect_engine_new(const struct ys_detect_params *params)
{
	struct ys_detect_engine *eng = calloc(1, sizeof(*eng));
	int rc;

	if (!eng)
		return NULL;
	if (params)
		eng->params = *params;
	eng->vars = ys_vars_new(eng->params.vars, eng->params.vars_override);
	if (!eng->vars)
		goto out_free;
	if (eng->params.classification_file) {
		rc = ys_class_table_load_file(&eng->classes, eng->params.classification_file);
		if (rc < 0) {
			ys_err(YS_DETECT_MOD, "%s: cannot read classification file: %s",
			       eng->params.classification_file, strerror(-rc));
			errno = -rc;
			goto out_free;
		}
	} else if (ys_class_table_load_default(&eng->classes) < 0) {
		errno = ENOMEM;
		goto out_free;
	}
	return eng;
out_free:
	ys_detect_engine_free(eng);
	return NULL;
}

void ys_detect_engine_free(struct ys_detect_engine *eng)
{
	if (!eng)
		return;
	ys_detect_groups_free(eng);
	for (uint32_t i = 0; i < eng->nsigs; i++)
		ys_sig_free(eng->sigs[i]);
	free(eng->sigs);
	for (size_t i = 0; i < eng->nfails; i++) {
		free((char *)eng->fails[i].keyword);
		free((char *)eng->fails[i].reason);
	}
	free(eng->fails);
	free(eng->sid_hash);
	ys_name_table_clear(&eng->flowbits);
	ys_name_table_clear(&eng->flowints);
	ys_name_table_clear(&eng->files);
	ys_class_table_clear(&eng->classes);
	ys_vars_free(eng->vars);
	free(eng);
}

static int add_failure(struct ys_detect_engine *eng, const char *file, unsigned line, uint32_t sid,
		       const char *kw, const char *reason)
{
	if (eng->nfails == eng->fails_cap) {
		size_t nc = eng->fails_cap ? eng->fails_cap * 2 : 64;
		struct ys_detect_failure *nv = realloc(eng->fails, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		eng->fails = nv;
		eng->fails_cap = nc;
	}
	struct ys_detect_failure *f = &eng->fails[eng->nfails];
	f->file = file;
	f->line = line;
	f->sid = sid;
	f->keyword = strdup(kw);
	f->reason = strdup(reason);
	if (!f->keyword || !f->reason) {
		free((char *)f->keyword);
		free((char *)f->reason);
		return -ENOMEM;
	}
	eng->nfails++;
	return 0;
}

static uint32_t sid_key_hash(uint32_t gid, uint32_t sid)
{
	uint64_t k = ((uint64_t)gid << 32) | sid;
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (uint32_t)k;
}

static int sid_hash_grow(struct ys_detect_engine *eng)
{
	uint32_t nc = eng->sid_hash_cap ? eng->sid_hash_cap * 2 : 1024;
	uint32_t *nh = calloc(nc, sizeof(*nh));
	if (!nh)
		return -ENOMEM;
	for (uint32_t i = 0; i < eng->nsigs; i++) {
		const struct ys_sig *s = eng->sigs[i];
		uint32_t h = sid_key_hash(s->info.gid, s->info.sid) & (nc - 1);
		while (nh[h])
			h = (h + 1) & (nc - 1);
		nh[h] = i + 1;
	}
	free(eng->sid_hash);
	eng->sid_hash = nh;
	eng->sid_hash_cap = nc;
	return 0;
}

/* Slot for gid:sid: either holding the existing sig (index + 1) or empty. */
static uint32_t *sid_slot(struct ys_detect_engine *eng, uint32_t gid, uint32_t sid)
{
	uint32_t mask = eng->sid_hash_cap - 1;
	uint32_t h = sid_key_hash(gid, sid) & mask;
	while (eng->sid_hash[h]) {
		const struct ys_sig *s = eng->sigs[eng->sid_hash[h] - 1];
		if (s->info.gid == gid && s->info.sid == sid)
			break;
		h = (h + 1) & mask;
	}
	return &eng->sid_hash[h];
}

static int add_sig(struct ys_detect_engine *eng, struct ys_sig *s)
{
	uint32_t *slot;

	if ((eng->nsigs + 1) * 2 > eng->sid_hash_cap && sid_hash_grow(eng) < 0)
		return -ENOMEM;
	slot = sid_slot(eng, s->info.gid, s->info.sid);
	if (*slot) {
		struct ys_sig *old = eng->sigs[*slot - 1];
		eng->stats.rules_skipped_dup++;
		if (s->info.rev > old->info.rev) {
			ys_warn(YS_DETECT_MOD,
				"%s:%u: duplicate signature %u:%u: rev %u replaces rev %u from "
				"%s:%u",
				s->info.file, s->info.line, s->info.gid, s->info.sid, s->info.rev,
				old->info.rev, old->info.file, old->info.line);
			eng->sigs[*slot - 1] = s;
			ys_sig_free(old);
		} else {
			ys_warn(YS_DETECT_MOD,
				"%s:%u: duplicate signature %u:%u (rev %u) ignored: rev %u already "
				"loaded from %s:%u",
				s->info.file, s->info.line, s->info.gid, s->info.sid, s->info.rev,
				old->info.rev, old->info.file, old->info.line);
			ys_sig_free(s);
		}
		return 0;
	}
	if (eng->nsigs == eng->sigs_cap) {
		uint32_t nc = eng->sigs_cap ? eng->sigs_cap * 2 : 256;
		struct ys_sig **nv = realloc(eng->sigs, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		eng->sigs = nv;
		eng->sigs_cap = nc;
	}
	eng->sigs[eng->nsigs] = s;
	*slot = eng->nsigs + 1;
	eng->nsigs++;
	eng->stats.rules_loaded++;
	return 0;
}

static int load_rule(struct ys_detect_engine *eng, const char *file, unsigned line,
		     const char *text)
{
	char kw[64], err[512];
	struct ys_sig *s = NULL;
	uint32_t sid = 0;
	int rc;

	if (eng->compiled) {
		ys_err(YS_DETECT_MOD, "%s:%u: rules cannot be added after compile", file, line);
		return -EBUSY;
	}
	rc = ys_detect_sig_parse(eng, text, file, line, &s, kw, sizeof(kw), err, sizeof(err), &sid);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		eng->stats.rules_failed++;
		ys_warn(YS_DETECT_MOD, "%s:%u: sid %u: keyword '%s': %s", file, line, sid, kw, err);
		return add_failure(eng, file, line, sid, kw, err);
	}
	return add_sig(eng, s);
}

/* Feed the text of one file or string, joining continued lines. */
static int load_text(struct ys_detect_engine *eng, const char *name, const char *text)
{
	int32_t fi = ys_name_table_intern(&eng->files, name);
	const char *file;
	size_t cap = 4096, len = 0;
	char *acc;
	unsigned lineno = 0, first = 0;
	int rc = 0;

	if (fi < 0)
		return -ENOMEM;
	file = eng->files.names[fi];
	acc = malloc(cap);
	if (!acc)
		return -ENOMEM;
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);
		const char *l = text;
		text = nl ? nl + 1 : text + n;
		lineno++;
		while (n && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
			n--;
		if (len == 0) {
			while (n && (*l == ' ' || *l == '\t')) {
				l++;
				n--;
			}
			if (n == 0 || *l == '#')
				continue;
			first = lineno;
		}
		bool cont = n && l[n - 1] == '\\';
		if (cont)
			n--;
		if (len + n + 2 > cap) {
			while (len + n + 2 > cap)
				cap *= 2;
			char *na = realloc(acc, cap);
			if (!na) {
				rc = -ENOMEM;
				goto out;
			}
			acc = na;
		}
		memcpy(acc + len, l, n);
		len += n;
		acc[len] = 0;
		if (cont)
			continue;
		rc = load_rule(eng, file, first, acc);
		len = 0;
		if (rc < 0)
			goto out;
	}
	if (len) {
		acc[len] = 0;
		rc = load_rule(eng, file, first, acc);
	}
out:
	free(acc);
	return rc;
}

int ys_detect_load_string(struct ys_detect_engine *eng, const char *name, const char *text)
{
	return load_text(eng, name ? name : "inline", text);
}

int ys_detect_load_file(struct ys_detect_engine *eng, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long sz;
	int rc;

	if (!f) {
		rc = -errno;
		ys_err(YS_DETECT_MOD, "%s: cannot open rule file: %s", path, strerror(errno));
		return rc;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		rc = -errno;
		goto out_close;
	}
	buf = malloc((size_t)sz + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out_close;
	}
	if (fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		rc = -EIO;
		goto out_free;
	}
	buf[sz] = 0;
	/* A NUL inside the file ends the text: rule files are text. */
	rc = load_text(eng, path, buf);
out_free:
	free(buf);
out_close:
	fclose(f);
	return rc;
}

const struct ys_detect_stats *ys_detect_engine_stats(const struct ys_detect_engine *eng)
{
	return &eng->stats;
}

size_t ys_detect_failures(const struct ys_detect_engine *eng, const struct ys_detect_failure **out)
{
	*out = eng->fails;
	return eng->nfails;
}

void ys_detect_engine_set_scan_hook(struct ys_detect_engine *eng, ys_detect_scan_hook_fn fn,
				    void *user)
{
	eng->scan_hook = fn;
	eng->scan_hook_user = user;
}
