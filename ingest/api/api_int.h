/*
 * Private to the API module: the server state and one request being
 * answered, shared by the server (api.c) and the route handlers
 * (api_routes.c).
 */
#ifndef YS_INGEST_API_INT_H
#define YS_INGEST_API_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api.h"

struct ys_api {
	struct MHD_Daemon *d;
	struct ys_store *st;
	struct ys_auth *auth;
	struct ys_api_hooks hooks;
	char console_dir[PATH_MAX]; /* resolved; "" when absent */
	size_t max_body;
	unsigned port;
};

struct ys_req {
	struct ys_api *api;
	struct MHD_Connection *conn;
	const char *method, *url;
	const struct ys_token *tok;
	const char *body;
	size_t body_len;
	/* the answer */
	unsigned status;
	char *out; /* malloc'd */
	size_t out_len;
	const char *ctype;
	int fd; /* static file to send instead of OUT, or -1 */
	uint64_t fd_size;
};

void ys_reply_json(struct ys_req *r, unsigned status, json_t *obj); /* takes OBJ */
void ys_reply_error(struct ys_req *r, unsigned status, const char *msg);
void ys_reply_text(struct ys_req *r, unsigned status, const char *ctype, char *text, size_t len);
const char *ys_req_arg(struct ys_req *r, const char *name);

/* Dispatch an authenticated or public request; fills the answer. */
void ys_api_route(struct ys_req *r);

#endif /* YS_INGEST_API_INT_H */
