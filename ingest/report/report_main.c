/*
 * yunshao-report: the MLPS evidence report from the command line, for `make
 * demo`, for auditors who file reports from a cron job, and for an operator
 * whose API is down. Same code as GET /api/reports/mlps, reading the store
 * that ingest.yaml names (read-only queries), with every tenant in scope.
 *
 *   yunshao-report -c ingest.yaml [--tenant T] [--from TIME] [--to TIME]
 *                  [--format html|pdf|json] [-o FILE]
 *
 * TIME is RFC 3339 or epoch seconds; defaults: the last 30 days. Without -o
 * the report goes to standard output. Exit 0, or 1 with a one-line reason.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "ys_config.h"
#include "ys_log.h"

static void ys_usage(FILE *fp)
{
	fprintf(fp,
		"usage: yunshao-report -c ingest.yaml [--tenant T] [--from TIME] [--to TIME]\n"
		"                      [--format html|pdf|json] [-o FILE]\n"
		"TIME: RFC 3339 or epoch seconds (default: the last %d days)\n",
		YS_REPORT_DEFAULT_PERIOD_D);
}

static int ys_write_out(const char *path, const char *body, size_t len)
{
	FILE *fp = path ? fopen(path, "wb") : stdout;
	int ret = 0;

	if (!fp)
		return -errno;
	if (fwrite(body, 1, len, fp) != len)
		ret = -EIO;
	if (path) {
		if (fclose(fp) && !ret)
			ret = -errno;
	} else if (fflush(fp) && !ret) {
		ret = -errno;
	}
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "tenant", required_argument, NULL, 't' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 'T' },
		{ "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_file = NULL, *tenant = NULL, *from = NULL, *to = NULL, *format = NULL,
		   *out = NULL, *ctype = NULL, *msg = NULL;
	struct ys_report_params p = { 0 };
	enum ys_report_format fmt;
	struct ys_conf *conf = NULL;
	struct ys_store *st = NULL;
	struct timespec now;
	char err[512];
	char *body = NULL;
	size_t len = 0;
	int64_t days;
	int c, ret, status = 1;

	while ((c = getopt_long(argc, argv, "c:t:f:T:F:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf_file = optarg;
			break;
		case 't':
			tenant = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 'T':
			to = optarg;
			break;
		case 'F':
			format = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			ys_usage(stdout);
			return 0;
		default:
			ys_usage(stderr);
			return 1;
		}
	}
	if (!conf_file || optind != argc) {
		ys_usage(stderr);
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	if (ys_report_parse_query(tenant, from, to, format,
				  (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000, &p, &fmt, err,
				  sizeof(err))) {
		fprintf(stderr, "yunshao-report: %s\n", err);
		return 1;
	}
	conf = ys_conf_load(conf_file, err, sizeof(err));
	if (!conf) {
		fprintf(stderr, "yunshao-report: %s\n", err);
		return 1;
	}
	if (ys_conf_int(conf, "store.retention_days", YS_STORE_DEFAULT_RETENTION_D, &days, err,
			sizeof(err))) {
		fprintf(stderr, "yunshao-report: %s\n", err);
		goto out_conf;
	}
	p.retention_days = days;
	p.generated_by = "yunshao-report (command line)";
	st = ys_store_open(ys_conf_get(conf, "store"), err, sizeof(err));
	if (!st) {
		fprintf(stderr, "yunshao-report: store: %s\n", err);
		goto out_conf;
	}
	ret = ys_report_generate(st, NULL, &p, fmt, &body, &len, &ctype);
	if (ret) {
		ys_report_http_status(ret, &msg);
		fprintf(stderr, "yunshao-report: %s (%s)\n", msg, strerror(-ret));
		goto out_store;
	}
	ret = ys_write_out(out, body, len);
	if (ret) {
		fprintf(stderr, "yunshao-report: %s: %s\n", out ? out : "stdout", strerror(-ret));
		goto out_body;
	}
	if (out)
		fprintf(stderr, "yunshao-report: wrote %s (%zu bytes, %s)\n", out, len, ctype);
	status = 0;
out_body:
	free(body);
out_store:
	ys_store_close(st);
out_conf:
	ys_conf_free(conf);
	return status;
}
