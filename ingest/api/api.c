/*
 * The API's HTTP server: libmicrohttpd with one internal thread, request
 * bodies collected up to api.max_body, then one call into the router
 * (api_routes.c). Also the static files of the SOC console, served only from
 * inside api.console_dir: the path is checked for traversal after
 * libmicrohttpd has decoded it (so "%2e%2e" is seen as ".."), then resolved
 * with realpath() and required to stay under the console directory.
 */
#include "api_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "ys_log.h"

#define YS_AMOD		"api"
#define YS_URL_MAX	2048
#define YS_DEFAULT_BODY (64 * 1024)

struct ys_conn_state {
	char *body;
	size_t len;
	bool too_big;
};

void ys_reply_text(struct ys_req *r, unsigned status, const char *ctype, char *text, size_t len)
{
	free(r->out);
	r->status = status;
	r->ctype = ctype;
	r->out = text;
	r->out_len = len;
}

void ys_reply_json(struct ys_req *r, unsigned status, json_t *obj)
{
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;

	json_decref(obj);
	if (!text) {
		text = strdup("{\"error\":\"out of memory\"}");
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	ys_reply_text(r, status, "application/json", text, text ? strlen(text) : 0);
}

void ys_reply_error(struct ys_req *r, unsigned status, const char *msg)
{
	ys_reply_json(r, status, json_pack("{s:s}", "error", msg));
}

const char *ys_req_arg(struct ys_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

static const char *ys_mime(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".woff2", "font/woff2" },
		{ ".map", "application/json" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* True when URL (already percent-decoded) could leave the console directory. */
static bool ys_path_suspicious(const char *url)
{
	if (url[0] != '/')
		return true;
	for (const char *p = url; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f || c == '\\')
			return true;
	}
	/* No ".." anywhere (the console has no such names; "/..;/" tricks some proxies) and no
	 * "//", which some resolvers treat oddly. */
	return strstr(url, "..") != NULL || strstr(url, "//") != NULL;
}

static void ys_serve_static(struct ys_req *r)
{
	char path[PATH_MAX], real[PATH_MAX];
	struct stat sb;
	size_t dlen = strlen(r->api->console_dir);
	int fd;

	if (!r->api->console_dir[0]) {
		ys_reply_error(r, MHD_HTTP_NOT_FOUND, "not found");
		return;
	}
	if (ys_path_suspicious(r->url)) {
		ys_reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid path");
		return;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s%s%s", r->api->console_dir, r->url,
			     r->url[strlen(r->url) - 1] == '/' ? "index.html" : "") >=
	    sizeof(path)) {
		ys_reply_error(r, MHD_HTTP_URI_TOO_LONG, "path too long");
		return;
	}
	if (!realpath(path, real)) {
		/* A single-page app: unknown paths without an extension get index.html. */
		if (!strchr(strrchr(r->url, '/'), '.')) {
			if ((size_t)snprintf(path, sizeof(path), "%s/index.html",
					     r->api->console_dir) < sizeof(path) &&
			    realpath(path, real))
				goto found;
		}
		ys_reply_error(r, MHD_HTTP_NOT_FOUND, "not found");
		return;
	}
found:
	if (strncmp(real, r->api->console_dir, dlen) != 0 || (real[dlen] != '/' && real[dlen])) {
		ys_reply_error(r, MHD_HTTP_NOT_FOUND, "not found");
		return;
	}
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		ys_reply_error(r, MHD_HTTP_NOT_FOUND, "not found");
		return;
	}
	r->status = MHD_HTTP_OK;
	r->fd = fd;
	r->fd_size = (uint64_t)sb.st_size;
	r->ctype = ys_mime(real);
}

static enum MHD_Result ys_send(struct ys_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (r->fd >= 0) {
		resp = MHD_create_response_from_fd(r->fd_size, r->fd);
		r->fd = -1; /* owned by the response */
	} else {
		resp = MHD_create_response_from_buffer(r->out_len, r->out ? r->out : (char *)"",
						       r->out ? MHD_RESPMEM_MUST_FREE
							      : MHD_RESPMEM_PERSISTENT);
		r->out = NULL;
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				r->ctype ? r->ctype : "application/json");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (strncmp(r->url, "/api/", 5) == 0)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (r->status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"yunshao\"");
	ret = MHD_queue_response(r->conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result ys_handler(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	struct ys_api *api = cls;
	struct ys_conn_state *cs = *con_cls;
	struct ys_req r = { .api = api, .conn = conn, .method = method, .url = url, .fd = -1 };
	enum MHD_Result ret;

	if (!cs) {
		cs = calloc(1, sizeof(*cs));
		if (!cs)
			return MHD_NO;
		*con_cls = cs;
		return MHD_YES;
	}
	if (*upload_size) {
		/* Keep reading an oversized body (to answer cleanly) but do not keep it. */
		if (!cs->too_big && cs->len + *upload_size <= api->max_body) {
			char *b = realloc(cs->body, cs->len + *upload_size + 1);

			if (!b)
				return MHD_NO;
			cs->body = b;
			memcpy(cs->body + cs->len, upload_data, *upload_size);
			cs->len += *upload_size;
			cs->body[cs->len] = '\0';
		} else {
			cs->too_big = true;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	r.body = cs->body;
	r.body_len = cs->len;
	if (strlen(url) > YS_URL_MAX)
		ys_reply_error(&r, MHD_HTTP_URI_TOO_LONG, "URL too long");
	else if (cs->too_big)
		ys_reply_error(&r, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
	else if (strcmp(url, "/api") == 0 || strncmp(url, "/api/", 5) == 0 ||
		 strcmp(url, "/healthz") == 0 || strcmp(url, "/metrics") == 0)
		ys_api_route(&r);
	else if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		ys_serve_static(&r);
	else
		ys_reply_error(&r, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	if (!r.status)
		ys_reply_error(&r, MHD_HTTP_INTERNAL_SERVER_ERROR, "no answer");
	ret = ys_send(&r);
	free(r.out);
	if (r.fd >= 0)
		close(r.fd);
	return ret;
}

static void ys_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct ys_conn_state *cs = *con_cls;

	if (cs) {
		free(cs->body);
		free(cs);
	}
	*con_cls = NULL;
}

static int ys_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		size_t hl = strlen(host);

		if (hl < 3 || host[hl - 1] != ']')
			return -EINVAL;
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
	}
	return 0;
}

struct ys_api *ys_api_new(const struct ys_conf *node, struct ys_store *st,
			  const struct ys_api_hooks *hooks, char *err, size_t errlen)
{
	const char *listen = ys_conf_str(node, "listen", "127.0.0.1:8088");
	const char *console = ys_conf_str(node, "console_dir", "dashboards/console/dist");
	struct ys_api *api = calloc(1, sizeof(*api));
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	uint64_t max_body;
	unsigned flags;

	if (!api) {
		snprintf(err, errlen, "out of memory");
		ys_store_close(st);
		return NULL;
	}
	api->st = st;
	if (hooks)
		api->hooks = *hooks;
	if (ys_conf_size(node, "max_body", YS_DEFAULT_BODY, &max_body, err, errlen))
		goto out_free;
	if (max_body < 1024 || max_body > (16u << 20)) {
		snprintf(err, errlen, "api.max_body: 1kb..16mb");
		goto out_free;
	}
	api->max_body = (size_t)max_body;
	api->auth = ys_auth_load(ys_conf_get(node, "tokens"), err, errlen);
	if (!api->auth)
		goto out_free;
	if (api->auth->n == 0)
		ys_warn(YS_AMOD, "api.tokens is empty: every /api call will be refused");
	if (!realpath(console, api->console_dir)) {
		ys_warn(YS_AMOD, "api.console_dir %s: %s; the console is not served", console,
			strerror(errno));
		api->console_dir[0] = '\0';
	}
	if (ys_parse_listen(listen, &ss, &sslen)) {
		snprintf(err, errlen, "api.listen: '%s' is not ADDRESS:PORT", listen);
		goto out_free;
	}
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	api->d = MHD_start_daemon(
		flags, 0, NULL, NULL, ys_handler, api, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_NOTIFY_COMPLETED, ys_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)30, MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_END);
	if (!api->d) {
		snprintf(err, errlen, "api.listen %s: cannot listen (address in use?)", listen);
		goto out_free;
	}
	{
		const union MHD_DaemonInfo *info =
			MHD_get_daemon_info(api->d, MHD_DAEMON_INFO_BIND_PORT);

		api->port = info ? info->port : 0;
	}
	ys_notice(YS_AMOD, "HTTP API on %s (port %u), %zu tokens, console %s", listen, api->port,
		  api->auth->n, api->console_dir[0] ? api->console_dir : "(none)");
	return api;
out_free:
	ys_api_free(api);
	return NULL;
}

unsigned ys_api_port(const struct ys_api *api)
{
	return api->port;
}

void ys_api_free(struct ys_api *api)
{
	if (!api)
		return;
	if (api->d)
		MHD_stop_daemon(api->d);
	ys_auth_free(api->auth);
	ys_store_close(api->st);
	free(api);
}
