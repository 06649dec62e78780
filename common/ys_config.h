/*
 * Configuration: a YAML file (libyaml) loaded once into an immutable tree of
 * maps, sequences and scalars. Modules read what they own by dotted path
 * ("outputs.kafka.brokers"); a sequence element is addressed by index
 * ("tenants.0.name"). Every node remembers its line, so a module can report
 * "yunshao.yaml:42: tenants[0].vni: not a number".
 *
 * Threading: the tree is read-only after ys_conf_load() returns and may be
 * shared by every thread. Ownership: ys_conf_load() returns a tree the caller
 * frees with ys_conf_free(); nodes returned by lookups belong to the tree.
 */
#ifndef YS_CONFIG_H
#define YS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ys_conf_type {
	YS_CONF_SCALAR,
	YS_CONF_MAP,
	YS_CONF_SEQ,
};

struct ys_conf {
	enum ys_conf_type type;
	char *key;   /* key in the parent map, NULL for sequence elements and the root */
	char *value; /* scalar text, NULL for maps and sequences */
	unsigned line;
	const char *file; /* shared by all nodes of one tree */
	struct ys_conf *child, *next;
	size_t nchildren;
};

/* Load FILE. On error returns NULL and writes "file:line: reason" to ERR. */
struct ys_conf *ys_conf_load(const char *file, char *err, size_t errlen);
/* Load from memory (tests, fuzzing). NAME is used in error messages. */
struct ys_conf *ys_conf_load_string(const char *name, const char *text, size_t len, char *err,
				    size_t errlen);
void ys_conf_free(struct ys_conf *root);

/* Node at dotted PATH below NODE ("" or NULL path = NODE itself), or NULL. */
const struct ys_conf *ys_conf_get(const struct ys_conf *node, const char *path);

/*
 * A file-path setting, resolved against the directory of the configuration file
 * that set it (so a config may name its neighbours: "classification-file:
 * classification.config"). Absolute paths are returned as they are. Returns BUF,
 * or NULL when the setting is absent or the result does not fit.
 */
const char *ys_conf_path(const struct ys_conf *node, const char *path, char *buf, size_t len);

/* Typed getters: return DEF when the node is absent. On a present but invalid
 * value they return -EINVAL (int forms) and write the reason to ERR. */
const char *ys_conf_str(const struct ys_conf *node, const char *path, const char *def);
int ys_conf_int(const struct ys_conf *node, const char *path, int64_t def, int64_t *out, char *err,
		size_t errlen);
int ys_conf_bool(const struct ys_conf *node, const char *path, bool def, bool *out, char *err,
		 size_t errlen);
/* Sizes accept suffixes kb, mb, gb (powers of 1024): "64mb". */
int ys_conf_size(const struct ys_conf *node, const char *path, uint64_t def, uint64_t *out,
		 char *err, size_t errlen);

/* Same shape, keys and values (order matters; lines do not). NULL equals only NULL. */
bool ys_conf_equal(const struct ys_conf *a, const struct ys_conf *b);

/* Iterate children of a map or sequence: for (c = ys_conf_first(n); c; c = c->next). */
static inline const struct ys_conf *ys_conf_first(const struct ys_conf *node)
{
	return node && node->type != YS_CONF_SCALAR ? node->child : NULL;
}

#endif /* YS_CONFIG_H */
