/*
 * Configuration loader: libyaml's event stream folded into a tree of
 * ys_conf nodes. Anchors and aliases are refused (a config file has no need
 * for them and they make "which line set this" ambiguous); nesting is bounded
 * so that a hostile file cannot exhaust the stack.
 */
#include "ys_config.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define YS_CONF_MAX_DEPTH 64

struct ys_conf_root {
	struct ys_conf node; /* must be first: the root is returned as a ys_conf */
	char *file;
};

struct ys_conf_builder {
	yaml_parser_t parser;
	const char *file;
	char *err;
	size_t errlen;
};

static void ys_conf_err(struct ys_conf_builder *b, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ys_conf_err(struct ys_conf_builder *b, unsigned line, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (b->err && b->errlen)
		snprintf(b->err, b->errlen, "%s:%u: %s", b->file, line, reason);
}

static void ys_conf_node_free(struct ys_conf *n)
{
	while (n) {
		struct ys_conf *next = n->next;

		ys_conf_node_free(n->child);
		free(n->key);
		free(n->value);
		free(n);
		n = next;
	}
}

static struct ys_conf *ys_conf_node_new(enum ys_conf_type type, unsigned line, const char *file)
{
	struct ys_conf *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->type = type;
	n->line = line;
	n->file = file;
	return n;
}

static int ys_conf_next_event(struct ys_conf_builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&b->parser, ev)) {
		char msg[200];

		snprintf(msg, sizeof(msg), "%s%s%s",
			 b->parser.problem ? b->parser.problem : "syntax error",
			 b->parser.context ? " " : "", b->parser.context ? b->parser.context : "");
		ys_conf_err(b, (unsigned)b->parser.problem_mark.line + 1, "%s", msg);
		return -EINVAL;
	}
	return 0;
}

/* Parse the node that starts with event EV (already consumed) into *OUT. */
static int ys_conf_parse_node(struct ys_conf_builder *b, yaml_event_t *ev, int depth,
			      struct ys_conf **out)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;
	struct ys_conf *n = NULL, **tail;
	yaml_event_t child;
	int r;

	*out = NULL;
	if (depth > YS_CONF_MAX_DEPTH) {
		ys_conf_err(b, line, "nesting deeper than %d levels", YS_CONF_MAX_DEPTH);
		return -EINVAL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = ys_conf_node_new(YS_CONF_SCALAR, line, b->file);
		if (!n)
			return -ENOMEM;
		n->value = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (!n->value) {
			free(n);
			return -ENOMEM;
		}
		*out = n;
		return 0;
	case YAML_ALIAS_EVENT:
		ys_conf_err(b, line, "YAML aliases are not supported in configuration");
		return -EINVAL;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		break;
	default:
		ys_conf_err(b, line, "unexpected YAML event");
		return -EINVAL;
	}

	bool is_map = ev->type == YAML_MAPPING_START_EVENT;
	n = ys_conf_node_new(is_map ? YS_CONF_MAP : YS_CONF_SEQ, line, b->file);
	if (!n)
		return -ENOMEM;
	tail = &n->child;
	for (;;) {
		char *key = NULL;
		struct ys_conf *c;

		r = ys_conf_next_event(b, &child);
		if (r)
			goto out_free;
		if (child.type == (is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT)) {
			yaml_event_delete(&child);
			break;
		}
		if (is_map) {
			if (child.type != YAML_SCALAR_EVENT) {
				ys_conf_err(b, (unsigned)child.start_mark.line + 1,
					    "mapping keys must be plain scalars");
				yaml_event_delete(&child);
				r = -EINVAL;
				goto out_free;
			}
			unsigned kline = (unsigned)child.start_mark.line + 1;

			key = strndup((const char *)child.data.scalar.value,
				      child.data.scalar.length);
			yaml_event_delete(&child);
			if (!key) {
				r = -ENOMEM;
				goto out_free;
			}
			for (c = n->child; c; c = c->next) {
				if (strcmp(c->key, key) == 0) {
					ys_conf_err(b, kline, "duplicate key '%s'", key);
					free(key);
					r = -EINVAL;
					goto out_free;
				}
			}
			r = ys_conf_next_event(b, &child);
			if (r) {
				free(key);
				goto out_free;
			}
		}
		r = ys_conf_parse_node(b, &child, depth + 1, &c);
		yaml_event_delete(&child);
		if (r) {
			free(key);
			goto out_free;
		}
		c->key = key;
		*tail = c;
		tail = &c->next;
		n->nchildren++;
	}
	*out = n;
	return 0;

out_free:
	ys_conf_node_free(n);
	return r;
}

static struct ys_conf *ys_conf_build(struct ys_conf_builder *b)
{
	struct ys_conf_root *root = NULL;
	struct ys_conf *doc = NULL;
	yaml_event_t ev;

	root = calloc(1, sizeof(*root));
	if (!root)
		return NULL;
	root->file = strdup(b->file);
	if (!root->file)
		goto out_free;
	b->file = root->file;
	for (;;) {
		if (ys_conf_next_event(b, &ev))
			goto out_free;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			if (doc) {
				ys_conf_err(b, (unsigned)ev.start_mark.line + 1,
					    "only one YAML document is allowed");
				yaml_event_delete(&ev);
				goto out_free;
			}
			yaml_event_delete(&ev);
			continue;
		}
		if (ev.type == YAML_DOCUMENT_END_EVENT || ev.type == YAML_STREAM_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		int r = ys_conf_parse_node(b, &ev, 0, &doc);
		yaml_event_delete(&ev);
		if (r)
			goto out_free;
	}
	root->node.type = YS_CONF_MAP;
	root->node.file = root->file;
	root->node.line = 1;
	if (doc) {
		if (doc->type == YS_CONF_SCALAR && doc->value[0] == '\0') {
			/* An empty document ("" or "~"): same as an empty map. */
		} else if (doc->type != YS_CONF_MAP) {
			ys_conf_err(b, doc->line, "the top level must be a mapping");
			goto out_free;
		} else {
			root->node.child = doc->child;
			root->node.nchildren = doc->nchildren;
			doc->child = NULL;
		}
		ys_conf_node_free(doc);
		doc = NULL;
	}
	return &root->node;

out_free:
	ys_conf_node_free(doc);
	if (root) {
		ys_conf_node_free(root->node.child);
		free(root->file);
		free(root);
	}
	return NULL;
}

struct ys_conf *ys_conf_load_string(const char *name, const char *text, size_t len, char *err,
				    size_t errlen)
{
	struct ys_conf_builder b = { .file = name, .err = err, .errlen = errlen };
	struct ys_conf *root;

	if (!yaml_parser_initialize(&b.parser)) {
		errno = ENOMEM;
		return NULL;
	}
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
	root = ys_conf_build(&b);
	yaml_parser_delete(&b.parser);
	if (!root)
		errno = EINVAL;
	return root;
}

struct ys_conf *ys_conf_load(const char *file, char *err, size_t errlen)
{
	struct ys_conf_builder b = { .file = file, .err = err, .errlen = errlen };
	struct ys_conf *root;
	FILE *fp;

	fp = fopen(file, "rb");
	if (!fp) {
		int e = errno;

		if (err && errlen)
			snprintf(err, errlen, "%s: %s", file, strerror(e));
		errno = e;
		return NULL;
	}
	if (!yaml_parser_initialize(&b.parser)) {
		fclose(fp);
		errno = ENOMEM;
		return NULL;
	}
	yaml_parser_set_input_file(&b.parser, fp);
	root = ys_conf_build(&b);
	yaml_parser_delete(&b.parser);
	fclose(fp);
	if (!root)
		errno = EINVAL;
	return root;
}

void ys_conf_free(struct ys_conf *root)
{
	struct ys_conf_root *r = (struct ys_conf_root *)root;

	if (!root)
		return;
	ys_conf_node_free(root->child);
	free(r->file);
	free(r);
}

static const struct ys_conf *ys_conf_child(const struct ys_conf *node, const char *name, size_t len)
{
	const struct ys_conf *c;

	if (node->type == YS_CONF_MAP) {
		for (c = node->child; c; c = c->next)
			if (strlen(c->key) == len && memcmp(c->key, name, len) == 0)
				return c;
		return NULL;
	}
	if (node->type == YS_CONF_SEQ) {
		size_t idx = 0;

		if (len == 0 || len > 9)
			return NULL;
		for (size_t i = 0; i < len; i++) {
			if (name[i] < '0' || name[i] > '9')
				return NULL;
			idx = idx * 10 + (size_t)(name[i] - '0');
		}
		for (c = node->child; c && idx; c = c->next)
			idx--;
		return c;
	}
	return NULL;
}

const struct ys_conf *ys_conf_get(const struct ys_conf *node, const char *path)
{
	while (node && path && *path) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);

		node = ys_conf_child(node, path, len);
		path = dot ? dot + 1 : NULL;
	}
	return node;
}

static void ys_conf_bad(const struct ys_conf *n, const char *path, const char *what, char *err,
			size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s:%u: %s: %s", n->file ? n->file : "-", n->line, path,
			 what);
}

const char *ys_conf_str(const struct ys_conf *node, const char *path, const char *def)
{
	const struct ys_conf *n = ys_conf_get(node, path);

	return n && n->type == YS_CONF_SCALAR ? n->value : def;
}

const char *ys_conf_path(const struct ys_conf *node, const char *path, char *buf, size_t len)
{
	const struct ys_conf *n = ys_conf_get(node, path);
	const char *slash;
	int r;

	if (!n || n->type != YS_CONF_SCALAR || !n->value[0])
		return NULL;
	slash = n->file ? strrchr(n->file, '/') : NULL;
	if (n->value[0] == '/' || !slash)
		r = snprintf(buf, len, "%s", n->value);
	else
		r = snprintf(buf, len, "%.*s/%s", (int)(slash - n->file), n->file, n->value);
	return r >= 0 && (size_t)r < len ? buf : NULL;
}

int ys_conf_int(const struct ys_conf *node, const char *path, int64_t def, int64_t *out, char *err,
		size_t errlen)
{
	const struct ys_conf *n = ys_conf_get(node, path);
	char *end;
	long long v;

	*out = def;
	if (!n)
		return 0;
	if (n->type != YS_CONF_SCALAR) {
		ys_conf_bad(n, path, "expected a number", err, errlen);
		return -EINVAL;
	}
	errno = 0;
	v = strtoll(n->value, &end, 0);
	if (errno || end == n->value || *end) {
		ys_conf_bad(n, path, "expected a number", err, errlen);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int ys_conf_bool(const struct ys_conf *node, const char *path, bool def, bool *out, char *err,
		 size_t errlen)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	const struct ys_conf *n = ys_conf_get(node, path);

	*out = def;
	if (!n)
		return 0;
	if (n->type == YS_CONF_SCALAR) {
		for (size_t i = 0; i < 4; i++) {
			if (strcasecmp(n->value, yes[i]) == 0) {
				*out = true;
				return 0;
			}
			if (strcasecmp(n->value, no[i]) == 0) {
				*out = false;
				return 0;
			}
		}
	}
	ys_conf_bad(n, path, "expected yes or no", err, errlen);
	return -EINVAL;
}

int ys_conf_size(const struct ys_conf *node, const char *path, uint64_t def, uint64_t *out,
		 char *err, size_t errlen)
{
	const struct ys_conf *n = ys_conf_get(node, path);
	unsigned long long v;
	uint64_t mul = 1;
	char *end;

	*out = def;
	if (!n)
		return 0;
	if (n->type != YS_CONF_SCALAR || n->value[0] == '-')
		goto bad;
	errno = 0;
	v = strtoull(n->value, &end, 10);
	if (errno || end == n->value)
		goto bad;
	while (*end == ' ')
		end++;
	if (*end) {
		if (strcasecmp(end, "b") == 0)
			mul = 1;
		else if (strcasecmp(end, "kb") == 0 || strcasecmp(end, "k") == 0)
			mul = 1ull << 10;
		else if (strcasecmp(end, "mb") == 0 || strcasecmp(end, "m") == 0)
			mul = 1ull << 20;
		else if (strcasecmp(end, "gb") == 0 || strcasecmp(end, "g") == 0)
			mul = 1ull << 30;
		else
			goto bad;
	}
	if (v > UINT64_MAX / mul)
		goto bad;
	*out = v * mul;
	return 0;
bad:
	ys_conf_bad(n, path, "expected a size such as 64mb", err, errlen);
	return -EINVAL;
}

bool ys_conf_equal(const struct ys_conf *a, const struct ys_conf *b)
{
	const struct ys_conf *x, *y;

	if (!a || !b)
		return a == b;
	if (a->type != b->type || a->nchildren != b->nchildren)
		return false;
	if ((a->key || b->key) && (!a->key || !b->key || strcmp(a->key, b->key) != 0))
		return false;
	if (a->type == YS_CONF_SCALAR)
		return strcmp(a->value, b->value) == 0;
	for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
		if (!ys_conf_equal(x, y))
			return false;
	return true;
}
