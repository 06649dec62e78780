/*
 * Prometheus /metrics over libmicrohttpd and the Unix control socket.
 * Neither touches worker state: the fill and control callbacks given by
 * main.c read published snapshots and raise requests.
 */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ys_log.h"

void ys_text_printf(struct ys_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = t->cap - t->len;

		va_start(ap, fmt);
		n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (t->buf && (size_t)n < room) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap ? t->cap * 2 : 8192;

		while (cap < t->len + (size_t)n + 1)
			cap *= 2;
		char *nb = realloc(t->buf, cap);

		if (!nb)
			return;
		t->buf = nb;
		t->cap = cap;
	}
}

struct ys_metrics {
	struct MHD_Daemon *d;
	ys_metrics_fill_fn fill;
	void *user;
};

static enum MHD_Result ys_metrics_handler(void *cls, struct MHD_Connection *conn, const char *url,
					  const char *method, const char *version,
					  const char *upload_data, size_t *upload_data_size,
					  void **con_cls)
{
	struct ys_metrics *m = cls;
	struct MHD_Response *resp;
	struct ys_text t = { 0 };
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		ys_text_printf(&t, "method not allowed\n");
	} else if (strcmp(url, "/metrics") == 0) {
		m->fill(&t, m->user);
	} else if (strcmp(url, "/healthz") == 0) {
		ys_text_printf(&t, "ok\n");
	} else {
		status = MHD_HTTP_NOT_FOUND;
		ys_text_printf(&t, "not found: try /metrics\n");
	}
	resp = MHD_create_response_from_buffer(t.len, t.buf ? t.buf : (char *)"",
					       t.buf ? MHD_RESPMEM_MUST_FREE
						     : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(t.buf);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int ys_parse_listen(const char *addr, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[128];
	const char *colon = strrchr(addr, ':');
	char *end;
	long port;

	if (!colon)
		return -EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535)
		return -EINVAL;
	size_t hl = (size_t)(colon - addr);

	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		host[hl - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -EINVAL;
		*sl = sizeof(*s6);
		return 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	if (hl == 0)
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return -EINVAL;
	*sl = sizeof(*s4);
	return 0;
}

struct ys_metrics *ys_metrics_new(const char *addr, ys_metrics_fill_fn fill, void *user, char *err,
				  size_t errlen)
{
	struct ys_metrics *m;
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (ys_parse_listen(addr, &ss, &sl)) {
		snprintf(err, errlen, "metrics listen address '%s': expected HOST:PORT", addr);
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->fill = fill;
	m->user = user;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->d = MHD_start_daemon(flags, 0, NULL, NULL, ys_metrics_handler, m, MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 16,
				MHD_OPTION_CONNECTION_TIMEOUT, 10, MHD_OPTION_END);
	if (!m->d) {
		snprintf(err, errlen, "cannot listen for metrics on %s", addr);
		free(m);
		errno = EADDRINUSE;
		return NULL;
	}
	return m;
}

void ys_metrics_free(struct ys_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	free(m);
}

/* ---- control socket ------------------------------------------------------ */

struct ys_control {
	int fd;
	char *path;
	pthread_t tid;
	ys_control_fn fn;
	void *user;
	_Atomic bool stop;
};

static void *ys_control_thread(void *arg)
{
	struct ys_control *c = arg;

	while (!atomic_load(&c->stop)) {
		char line[256];
		size_t n = 0;
		int cfd = accept(c->fd, NULL, NULL);

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break; /* the listening socket was shut down */
		}
		/* Bounded read of one command line; a slow client cannot hold us long. */
		struct timeval tv = { .tv_sec = 5 };

		setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		while (n < sizeof(line) - 1) {
			ssize_t r = read(cfd, line + n, 1);

			if (r <= 0 || line[n] == '\n')
				break;
			n++;
		}
		line[n] = '\0';
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
			line[--n] = '\0';
		char *reply = c->fn(line, c->user);
		const char *out = reply ? reply : "error out of memory";

		if (write(cfd, out, strlen(out)) < 0 || write(cfd, "\n", 1) < 0)
			ys_info("control", "client went away before the reply");
		free(reply);
		close(cfd);
	}
	return NULL;
}

struct ys_control *ys_control_new(const char *path, ys_control_fn fn, void *user, char *err,
				  size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ys_control *c;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fn = fn;
	c->user = user;
	c->path = strdup(path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!c->path || c->fd < 0)
		goto out_free;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	unlink(path); /* a stale socket from a previous run */
	if (bind(c->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || listen(c->fd, 4) != 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		goto out_free;
	}
	if (pthread_create(&c->tid, NULL, ys_control_thread, c) != 0) {
		snprintf(err, errlen, "control socket %s: cannot start thread", path);
		unlink(path);
		goto out_free;
	}
	return c;

out_free:
	if (c->fd >= 0)
		close(c->fd);
	free(c->path);
	free(c);
	return NULL;
}

void ys_control_free(struct ys_control *c)
{
	if (!c)
		return;
	atomic_store(&c->stop, true);
	shutdown(c->fd, SHUT_RDWR);
	pthread_join(c->tid, NULL);
	close(c->fd);
	unlink(c->path);
	free(c->path);
	free(c);
}
