/*
 * Logging shared by sensor and ingest: one line per message on stderr,
 * "2026-11-26T19:02:20Z <level> [<module>] message". Thread-safe (one
 * write(2) per line). Messages are never split over calls, so every log
 * string stays greppable in the source.
 */
#ifndef YS_LOG_H
#define YS_LOG_H

#include <stdarg.h>

enum ys_log_level {
	YS_LOG_ERROR = 0,
	YS_LOG_WARN,
	YS_LOG_NOTICE,
	YS_LOG_INFO,
	YS_LOG_DEBUG,
};

/* Messages above this level are discarded. Default YS_LOG_NOTICE; set once at start. */
void ys_log_set_level(enum ys_log_level level);
enum ys_log_level ys_log_get_level(void);
/* Parse "error|warn|notice|info|debug"; returns 0 or -EINVAL. */
int ys_log_parse_level(const char *name, enum ys_log_level *out);

void ys_log(enum ys_log_level level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ys_vlog(enum ys_log_level level, const char *module, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#define ys_err(mod, ...)    ys_log(YS_LOG_ERROR, (mod), __VA_ARGS__)
#define ys_warn(mod, ...)   ys_log(YS_LOG_WARN, (mod), __VA_ARGS__)
#define ys_notice(mod, ...) ys_log(YS_LOG_NOTICE, (mod), __VA_ARGS__)
#define ys_info(mod, ...)   ys_log(YS_LOG_INFO, (mod), __VA_ARGS__)
#define ys_debug(mod, ...)  ys_log(YS_LOG_DEBUG, (mod), __VA_ARGS__)

#endif /* YS_LOG_H */
