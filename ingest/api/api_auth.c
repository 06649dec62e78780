/*
 * Bearer tokens of the API. Only SHA-256 digests are kept in memory (a
 * plaintext token from the config is hashed at load), and a presented token
 * is hashed and compared against every configured digest in constant time,
 * so neither timing nor a memory dump gives a token away.
 */
#include "api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define YS_TOKEN_MIN	 12
#define YS_TOKEN_MAX	 512
#define YS_TOKEN_TENANTS 32

const char *ys_role_name(enum ys_role role)
{
	switch (role) {
	case YS_ROLE_ADMIN:
		return "admin";
	case YS_ROLE_ANALYST:
		return "analyst";
	case YS_ROLE_AUDITOR:
		return "auditor";
	}
	return "?";
}

static int ys_sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int n = 0;

	return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32 ? 0 : -EIO;
}

static int ys_unhex32(const char *hex, unsigned char out[32])
{
	if (!hex || strlen(hex) != 64)
		return -EINVAL;
	for (int i = 0; i < 32; i++) {
		unsigned v = 0;

		for (int j = 0; j < 2; j++) {
			char c = hex[2 * i + j];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				v |= (unsigned)(c - 'A' + 10);
			else
				return -EINVAL;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

void ys_auth_free(struct ys_auth *auth)
{
	if (!auth)
		return;
	for (size_t i = 0; i < auth->n; i++) {
		struct ys_token *t = &auth->tokens[i];

		free(t->name);
		for (size_t j = 0; j < t->scope.n; j++)
			free(t->tenants[j]);
		free(t->tenants);
	}
	free(auth->tokens);
	free(auth);
}

static int ys_token_load(const struct ys_conf *n, struct ys_token *t, char *err, size_t errlen)
{
	const char *name = ys_conf_str(n, "name", NULL), *tok = ys_conf_str(n, "token", NULL);
	const char *sha = ys_conf_str(n, "token_sha256", NULL),
		   *role = ys_conf_str(n, "role", NULL);
	const struct ys_conf *tenants = ys_conf_get(n, "tenants"), *c;

	if (n->type != YS_CONF_MAP || !name || !*name || strlen(name) > 64) {
		snprintf(err, errlen, "%s:%u: api.tokens: each token needs a name (1..64 chars)",
			 n->file, n->line);
		return -EINVAL;
	}
	t->name = strdup(name);
	if (!t->name)
		return -ENOMEM;
	if ((tok && sha) || (!tok && !sha)) {
		snprintf(err, errlen, "%s:%u: token %s: give exactly one of token, token_sha256",
			 n->file, n->line, name);
		return -EINVAL;
	}
	if (tok) {
		if (strlen(tok) < YS_TOKEN_MIN || strlen(tok) > YS_TOKEN_MAX) {
			snprintf(err, errlen, "%s:%u: token %s: must be %d..%d characters", n->file,
				 n->line, name, YS_TOKEN_MIN, YS_TOKEN_MAX);
			return -EINVAL;
		}
		if (ys_sha256(tok, strlen(tok), t->sha256))
			return -EIO;
	} else if (ys_unhex32(sha, t->sha256)) {
		snprintf(err, errlen, "%s:%u: token %s: token_sha256 must be 64 hex digits",
			 n->file, n->line, name);
		return -EINVAL;
	}
	if (role && strcmp(role, "admin") == 0) {
		t->role = YS_ROLE_ADMIN;
	} else if (role && strcmp(role, "analyst") == 0) {
		t->role = YS_ROLE_ANALYST;
	} else if (role && strcmp(role, "auditor") == 0) {
		t->role = YS_ROLE_AUDITOR;
	} else {
		snprintf(err, errlen, "%s:%u: token %s: role must be admin, analyst or auditor",
			 n->file, n->line, name);
		return -EINVAL;
	}
	if (!tenants || tenants->type != YS_CONF_SEQ || tenants->nchildren == 0 ||
	    tenants->nchildren > YS_TOKEN_TENANTS) {
		snprintf(err, errlen,
			 "%s:%u: token %s: tenants must be a list of 1..%d names, or [\"*\"]",
			 n->file, n->line, name, YS_TOKEN_TENANTS);
		return -EINVAL;
	}
	t->tenants = calloc(tenants->nchildren, sizeof(*t->tenants));
	if (!t->tenants)
		return -ENOMEM;
	for (c = ys_conf_first(tenants); c; c = c->next) {
		if (c->type != YS_CONF_SCALAR || !c->value || !*c->value) {
			snprintf(err, errlen, "%s:%u: token %s: empty tenant name", c->file,
				 c->line, name);
			return -EINVAL;
		}
		if (strcmp(c->value, "*") == 0) {
			t->scope.all = true;
			continue;
		}
		t->tenants[t->scope.n] = strdup(c->value);
		if (!t->tenants[t->scope.n])
			return -ENOMEM;
		t->scope.n++;
	}
	if (t->scope.all && t->scope.n) {
		snprintf(err, errlen, "%s:%u: token %s: \"*\" cannot be mixed with tenant names",
			 n->file, n->line, name);
		return -EINVAL;
	}
	t->scope.names = (const char *const *)t->tenants;
	return 0;
}

struct ys_auth *ys_auth_load(const struct ys_conf *tokens, char *err, size_t errlen)
{
	struct ys_auth *auth = calloc(1, sizeof(*auth));
	const struct ys_conf *c;

	if (!auth) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!tokens)
		return auth; /* no tokens: every /api call is refused */
	if (tokens->type != YS_CONF_SEQ) {
		snprintf(err, errlen, "%s:%u: api.tokens must be a list", tokens->file,
			 tokens->line);
		goto out_free;
	}
	auth->tokens = calloc(tokens->nchildren ? tokens->nchildren : 1, sizeof(*auth->tokens));
	if (!auth->tokens)
		goto out_free;
	for (c = ys_conf_first(tokens); c; c = c->next) {
		int ret = ys_token_load(c, &auth->tokens[auth->n], err, errlen);

		auth->n++;
		if (ret) {
			if (ret == -ENOMEM)
				snprintf(err, errlen, "out of memory");
			goto out_free;
		}
		for (size_t i = 0; i + 1 < auth->n; i++)
			if (CRYPTO_memcmp(auth->tokens[i].sha256, auth->tokens[auth->n - 1].sha256,
					  32) == 0 ||
			    strcmp(auth->tokens[i].name, auth->tokens[auth->n - 1].name) == 0) {
				snprintf(err, errlen, "%s:%u: token %s: duplicate name or token",
					 c->file, c->line, auth->tokens[auth->n - 1].name);
				goto out_free;
			}
	}
	return auth;
out_free:
	ys_auth_free(auth);
	return NULL;
}

const struct ys_token *ys_auth_check(const struct ys_auth *auth, const char *header)
{
	const struct ys_token *found = NULL;
	unsigned char sha[32];
	const char *tok;
	size_t len;

	if (!auth || !header || strncasecmp(header, "Bearer ", 7) != 0)
		return NULL;
	tok = header + 7;
	while (*tok == ' ')
		tok++;
	len = strlen(tok);
	while (len && tok[len - 1] == ' ')
		len--;
	if (len < YS_TOKEN_MIN || len > YS_TOKEN_MAX || ys_sha256(tok, len, sha))
		return NULL;
	/* Look at every token, whatever matches, so the time taken does not tell which. */
	for (size_t i = 0; i < auth->n; i++)
		if (CRYPTO_memcmp(auth->tokens[i].sha256, sha, 32) == 0)
			found = &auth->tokens[i];
	return found;
}
