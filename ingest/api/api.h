/*
 * The ingest HTTP JSON API (libmicrohttpd), contract in docs/api.md: alerts,
 * incidents and analyst actions, situation, sensors, audit, /healthz,
 * /metrics, the MLPS report route and the SOC console's static files.
 *
 * Every /api call carries a bearer token bound to a role and a set of tenants
 * (api.tokens in ingest.yaml). Tenant scoping is applied in the SQL of every
 * query (store.h), and an object outside the caller's tenants is a 404, the
 * same answer as an object that does not exist.
 *
 * Config ("api" node):
 *   api: { listen: 127.0.0.1:8088, console_dir: DIR, max_body: 64kb,
 *          tokens: [ { name, token | token_sha256, role: admin|analyst|auditor,
 *                      tenants: [acme] | ["*"] } ] }
 *
 * Threading: one internal libmicrohttpd thread serves every request with the
 * API's own store connection; the hooks are called from that thread.
 */
#ifndef YS_INGEST_API_H
#define YS_INGEST_API_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "ys_config.h"

struct ys_api;

struct ys_api_hooks {
	void *user;
	/* Append Prometheus text for the service's counters to OUT (malloc'd, caller frees). */
	char *(*metrics)(void *user);
	/* "ok" or "down". */
	const char *(*kafka_status)(void *user);
	/* store.retention_days, stated in the MLPS report */
	int64_t retention_days;
};

/*
 * Start serving. ST becomes the API's (closed by ys_api_free). Returns NULL
 * and ERR on a bad token list, console dir or listen address.
 */
struct ys_api *ys_api_new(const struct ys_conf *api_node, struct ys_store *st,
			  const struct ys_api_hooks *hooks, char *err, size_t errlen);
/* The TCP port actually bound (listen port 0 picks a free one: tests). */
unsigned ys_api_port(const struct ys_api *api);
void ys_api_free(struct ys_api *api);

/* Tokens (api_auth.c). */
enum ys_role {
	YS_ROLE_ADMIN,
	YS_ROLE_ANALYST,
	YS_ROLE_AUDITOR,
};

struct ys_token {
	char *name;
	unsigned char sha256[32];
	enum ys_role role;
	struct ys_tenant_scope scope;
	char **tenants; /* owns scope.names */
};

struct ys_auth {
	struct ys_token *tokens;
	size_t n;
};

struct ys_auth *ys_auth_load(const struct ys_conf *tokens_node, char *err, size_t errlen);
void ys_auth_free(struct ys_auth *auth);
/* The token matching an "Authorization: Bearer <token>" header value, or NULL. */
const struct ys_token *ys_auth_check(const struct ys_auth *auth, const char *header);
const char *ys_role_name(enum ys_role role);

#endif /* YS_INGEST_API_H */
