/*
 * Logging: formats the whole line into a stack buffer first and emits it
 * with a single write(2), so lines from several worker threads never
 * interleave mid-line.
 */
#include "ys_log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum ys_log_level ys_log_level_cur = YS_LOG_NOTICE;

static const char *const ys_log_names[] = { "error", "warn", "notice", "info", "debug" };

void ys_log_set_level(enum ys_log_level level)
{
	ys_log_level_cur = level;
}

enum ys_log_level ys_log_get_level(void)
{
	return ys_log_level_cur;
}

int ys_log_parse_level(const char *name, enum ys_log_level *out)
{
	for (size_t i = 0; i < sizeof(ys_log_names) / sizeof(ys_log_names[0]); i++) {
		if (strcmp(name, ys_log_names[i]) == 0) {
			*out = (enum ys_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void ys_vlog(enum ys_log_level level, const char *module, const char *fmt, va_list ap)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;

	if (level > ys_log_level_cur)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ", &tm);
	r = snprintf(line + n, sizeof(line) - n, " %s [%s] ", ys_log_names[level],
		     module ? module : "-");
	if (r > 0 && (size_t)r < sizeof(line) - n)
		n += (size_t)r;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r < 0)
		r = 0;
	n += (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2; /* truncated: keep the newline */
	line[n++] = '\n';
	/* A failed log write has nowhere better to be reported. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void ys_log(enum ys_log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ys_vlog(level, module, fmt, ap);
	va_end(ap);
}
