/*
 * MLPS 2.0 evidence reports: GB/T 22239-2019 level-3 controls mapped to what
 * the ingest store holds for a tenant and a period, for auditors to file.
 *
 *   8.1.3.3  intrusion prevention      attacks detected (source, type, target,
 *                                      time), external vs internal sources,
 *                                      alarms for serious intrusions and when
 *   8.1.3.5  security audit            audit records in the period, the hash
 *                                      chain's verification result
 *   8.1.5.4  centralised management    sensors and their status and uptime,
 *                                      retention coverage of the central store,
 *                                      rule-update history, events alarmed
 *   8.2.3.2  cloud-extension intrusion attacks per cloud tenant, attacks on
 *            prevention (a-d)          virtual network nodes (overlay traffic),
 *                                      east-west traffic between internal hosts,
 *                                      alarms
 *
 * Every statement is computed from the store at request time: ys_report_collect()
 * gathers the figures into one JSON "evidence" object (its shape is documented
 * in report.c and is what the format=json answer returns), and the renderers
 * turn exactly that object into HTML or PDF, so a test can recount each figure
 * in SQL and compare.
 *
 * The API route (GET /api/reports/mlps?tenant=&from=&to=&format=html|pdf|json,
 * admin and auditor roles) calls ys_report_generate(). Tenant scoping: a tenant
 * outside SCOPE gives -ENOENT (the API answers 404); without a tenant the
 * report covers every tenant in SCOPE.
 *
 * Threading: reentrant; the store handle is used by the calling thread only.
 * Ownership: outputs (json_t, body buffers) belong to the caller
 * (json_decref(), free()).
 */
#ifndef YS_INGEST_REPORT_H
#define YS_INGEST_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

#define YS_REPORT_REQUIRED_RETENTION_D 180 /* Cybersecurity Law art. 21: at least six months */
#define YS_REPORT_MAX_ATTACK_ROWS      500 /* attack rows listed; totals always count all */
#define YS_REPORT_PDF_TIMEOUT_MS       60000
#define YS_REPORT_DEFAULT_CHROMIUM     "/usr/bin/chromium"

enum ys_report_format {
	YS_REPORT_HTML,
	YS_REPORT_PDF,
	YS_REPORT_JSON,
};

struct ys_report_params {
	const char *tenant;	  /* NULL: every tenant in scope */
	int64_t from, to;	  /* period, usec, [from, to) */
	int64_t now;		  /* usec: sensor status and retention are judged at NOW */
	int64_t retention_days;	  /* the store's configured retention (store.retention_days) */
	const char *generated_by; /* token name of the requester, printed in the report */
	const char *chromium;	  /* PDF renderer; NULL: YS_REPORT_DEFAULT_CHROMIUM */
	int pdf_timeout_ms;	  /* 0: YS_REPORT_PDF_TIMEOUT_MS */
};

/* Parse "html" | "pdf" | "json" (NULL: html). 0 or -EINVAL. */
int ys_report_format_parse(const char *s, enum ys_report_format *out);

#define YS_REPORT_DEFAULT_PERIOD_D 30

/*
 * The request's query values (each may be NULL) into P and FMT: TENANT as is
 * ("" = none), FROM/TO as RFC 3339 or epoch seconds (defaults: TO = NOW,
 * FROM = TO - YS_REPORT_DEFAULT_PERIOD_D days), FORMAT via
 * ys_report_format_parse(). Other fields of P are left as the caller set them.
 * 0, or -EINVAL with the reason in ERR (for the 400 answer).
 */
int ys_report_parse_query(const char *tenant, const char *from, const char *to, const char *format,
			  int64_t now, struct ys_report_params *p, enum ys_report_format *fmt,
			  char *err, size_t errlen);

/*
 * The HTTP answer for an error of ys_report_generate(): 400 (-EINVAL),
 * 404 (-ENOENT: tenant outside the token's scope, as for every object the API
 * hides), 503 (-ENOSYS: no PDF renderer; -ETIMEDOUT), 500 otherwise. *MSG is a
 * static string for {"error": MSG}.
 */
int ys_report_http_status(int err, const char **msg);

/*
 * Gather the evidence for P within SCOPE into *OUT (a new object).
 * -EINVAL (bad period), -ENOENT (tenant outside scope), or a store error.
 */
int ys_report_collect(struct ys_store *st, const struct ys_tenant_scope *scope,
		      const struct ys_report_params *p, json_t **out);

/* Printable, self-contained HTML (no scripts, no external resources) of EVIDENCE. */
int ys_report_render_html(const json_t *evidence, char **html, size_t *len);

/*
 * Print HTML to PDF with headless Chromium (--print-to-pdf) in a private
 * temporary folder that is removed afterwards. -ENOSYS when CHROMIUM is not
 * executable, -ETIMEDOUT after TIMEOUT_MS (the browser is killed), -EIO when
 * it fails.
 */
int ys_report_html_to_pdf(const char *html, size_t len, const char *chromium, int timeout_ms,
			  char **pdf, size_t *pdflen);

/*
 * The whole request: collect, then render FORMAT. *CONTENT_TYPE is a static
 * string ("text/html; charset=utf-8", "application/pdf", "application/json").
 */
int ys_report_generate(struct ys_store *st, const struct ys_tenant_scope *scope,
		       const struct ys_report_params *p, enum ys_report_format fmt, char **body,
		       size_t *len, const char **content_type);

#endif /* YS_INGEST_REPORT_H */
