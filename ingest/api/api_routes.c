/*
 * Route handlers of the API (contract: docs/api.md). Each handler checks the
 * role, parses and bounds every parameter, and asks the store with the
 * token's tenant scope; the store puts the scope into the SQL. Objects outside
 * the scope are answered exactly like objects that do not exist (404).
 */
#include "api_int.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ys_event.h"
#include "ys_log.h"

#ifdef YS_HAVE_REPORT
#include "report.h"
#endif

#define YS_AMOD	     "api"
#define YS_PARAM_MAX 256

static int64_t ys_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void ys_store_error(struct ys_req *r, int ret)
{
	if (ret == -ENOENT) {
		ys_reply_error(r, MHD_HTTP_NOT_FOUND, "not found");
	} else if (ret == -EINVAL) {
		ys_reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid cursor");
	} else {
		ys_err(YS_AMOD, "%s %s: store error: %s", r->method, r->url, strerror(-ret));
		ys_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "store unavailable");
	}
}

/* A text parameter: absent -> NULL (ok); too long or with control bytes -> error. */
static bool ys_arg_text(struct ys_req *r, const char *name, const char **out)
{
	const char *v = ys_req_arg(r, name);
	char msg[128];

	*out = NULL;
	if (!v || !*v)
		return true;
	if (strlen(v) > YS_PARAM_MAX)
		goto bad;
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			goto bad;
	*out = v;
	return true;
bad:
	snprintf(msg, sizeof(msg), "invalid parameter '%s'", name);
	ys_reply_error(r, MHD_HTTP_BAD_REQUEST, msg);
	return false;
}

static bool ys_arg_int(struct ys_req *r, const char *name, int64_t min, int64_t max, int64_t *out)
{
	const char *v = ys_req_arg(r, name);
	char msg[128], *end;

	*out = 0;
	if (!v || !*v)
		return true;
	errno = 0;
	*out = strtoll(v, &end, 10);
	if (errno || *end || *out < min || *out > max) {
		snprintf(msg, sizeof(msg),
			 "parameter '%s' must be an integer %" PRId64 "..%" PRId64, name, min, max);
		ys_reply_error(r, MHD_HTTP_BAD_REQUEST, msg);
		return false;
	}
	return true;
}

static bool ys_arg_time(struct ys_req *r, const char *name, int64_t *out)
{
	const char *v = ys_req_arg(r, name);
	char msg[128];

	*out = 0;
	if (!v || !*v)
		return true;
	if (ys_time_param_parse(v, out)) {
		snprintf(msg, sizeof(msg), "parameter '%s' must be RFC 3339 or epoch seconds",
			 name);
		ys_reply_error(r, MHD_HTTP_BAD_REQUEST, msg);
		return false;
	}
	return true;
}

/* tenant= outside the token's scope: 404, the same as an unknown tenant. */
static bool ys_arg_tenant(struct ys_req *r, const char **tenant)
{
	if (!ys_arg_text(r, "tenant", tenant))
		return false;
	if (*tenant && !ys_scope_allows(&r->tok->scope, *tenant)) {
		ys_reply_error(r, MHD_HTTP_NOT_FOUND, "no such tenant");
		return false;
	}
	return true;
}

static bool ys_role_in(struct ys_req *r, bool admin, bool analyst, bool auditor)
{
	enum ys_role role = r->tok->role;

	if ((role == YS_ROLE_ADMIN && admin) || (role == YS_ROLE_ANALYST && analyst) ||
	    (role == YS_ROLE_AUDITOR && auditor))
		return true;
	ys_reply_error(r, MHD_HTTP_FORBIDDEN, "your role may not do this");
	return false;
}

/* ---- handlers ---- */

static void ys_h_whoami(struct ys_req *r)
{
	json_t *t = json_array();
	const struct ys_token *tok = r->tok;

	if (tok->scope.all)
		json_array_append_new(t, json_string("*"));
	for (size_t i = 0; i < tok->scope.n; i++)
		json_array_append_new(t, json_string(tok->scope.names[i]));
	ys_reply_json(r, MHD_HTTP_OK,
		      json_pack("{s:s, s:s, s:o}", "name", tok->name, "role",
				ys_role_name(tok->role), "tenants", t));
}

static void ys_h_alerts(struct ys_req *r)
{
	struct ys_alert_query q = { 0 };
	int64_t limit;
	json_t *out = NULL;
	int ret;

	if (!ys_arg_tenant(r, &q.tenant) || !ys_arg_time(r, "since", &q.since) ||
	    !ys_arg_time(r, "until", &q.until) || !ys_arg_int(r, "severity", 1, 255, &q.severity) ||
	    !ys_arg_int(r, "sid", 1, UINT32_MAX, &q.sid) || !ys_arg_text(r, "src_ip", &q.src_ip) ||
	    !ys_arg_text(r, "dest_ip", &q.dest_ip) || !ys_arg_text(r, "sensor", &q.sensor) ||
	    !ys_arg_text(r, "q", &q.q) || !ys_arg_int(r, "limit", 1, 1000, &limit) ||
	    !ys_arg_text(r, "cursor", &q.cursor))
		return;
	q.limit = (int)limit;
	ret = ys_store_alerts_query(r->api->st, &r->tok->scope, &q, &out);
	if (ret)
		ys_store_error(r, ret);
	else
		ys_reply_json(r, MHD_HTTP_OK, out);
}

static void ys_h_alert(struct ys_req *r, const char *id)
{
	json_t *out = NULL;
	int ret;

	if (!ys_uuid_valid(id)) {
		ys_reply_error(r, MHD_HTTP_NOT_FOUND, "not found");
		return;
	}
	ret = ys_store_alert_get(r->api->st, &r->tok->scope, id, &out);
	if (ret)
		ys_store_error(r, ret);
	else
		ys_reply_json(r, MHD_HTTP_OK, out);
}

static bool ys_one_of(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(v, *set) == 0)
			return true;
	return false;
}

static void ys_h_incidents(struct ys_req *r)
{
	static const char *const statuses[] = { "open", "acknowledged", "closed", NULL };
	static const char *const levels[] = { "blue", "yellow", "orange", "red", NULL };
	struct ys_incident_query q = { 0 };
	int64_t limit;
	json_t *out = NULL;
	int ret;

	if (!ys_arg_tenant(r, &q.tenant) || !ys_arg_text(r, "status", &q.status) ||
	    !ys_arg_text(r, "level", &q.level) || !ys_arg_time(r, "since", &q.since) ||
	    !ys_arg_int(r, "limit", 1, 1000, &limit) || !ys_arg_text(r, "cursor", &q.cursor))
		return;
	if (q.status && !ys_one_of(q.status, statuses)) {
		ys_reply_error(r, MHD_HTTP_BAD_REQUEST,
			       "status must be open, acknowledged or closed");
		return;
	}
	if (q.level && !ys_one_of(q.level, levels)) {
		ys_reply_error(r, MHD_HTTP_BAD_REQUEST,
			       "level must be blue, yellow, orange or red");
		return;
	}
	q.limit = (int)limit;
	ret = ys_store_incidents_query(r->api->st, &r->tok->scope, &q, &out);
	if (ret)
		ys_store_error(r, ret);
	else
		ys_reply_json(r, MHD_HTTP_OK, out);
}

/* "123" -> 123; anything else is not an incident id (404). */
static bool ys_parse_id(const char *s, size_t len, int64_t *id)
{
	char buf[24];
	char *end;

	if (len == 0 || len > 18)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	*id = strtoll(buf, &end, 10);
	return *id > 0;
}

static void ys_h_incident(struct ys_req *r, int64_t id)
{
	json_t *out = NULL;
	int ret = ys_store_incident_get(r->api->st, &r->tok->scope, id, &out);

	if (ret)
		ys_store_error(r, ret);
	else
		ys_reply_json(r, MHD_HTTP_OK, out);
}

/*
 * The body of an action: a JSON object with exactly the allowed keys. FIELD
 * (may be NULL) is the one text key; REQUIRED says whether it must be there.
 */
static bool ys_action_body(struct ys_req *r, const char *field, bool required, size_t maxlen,
			   json_t **body, const char **text)
{
	json_error_t jerr;
	const char *k;
	json_t *v;
	char msg[160];

	*text = NULL;
	*body = r->body_len ? json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr)
			    : json_object();
	if (!*body || !json_is_object(*body)) {
		json_decref(*body);
		*body = NULL;
		ys_reply_error(r, MHD_HTTP_BAD_REQUEST, "body must be a JSON object");
		return false;
	}
	json_object_foreach(*body, k, v)
	{
		if (!field || strcmp(k, field) != 0) {
			snprintf(msg, sizeof(msg), "unknown field '%.64s'", k);
			goto bad;
		}
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > maxlen ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			snprintf(msg, sizeof(msg), "'%s' must be a string of 1..%zu characters",
				 field, maxlen);
			goto bad;
		}
		*text = json_string_value(v);
	}
	if (required && !*text) {
		snprintf(msg, sizeof(msg), "'%s' is required", field);
		goto bad;
	}
	return true;
bad:
	json_decref(*body);
	*body = NULL;
	ys_reply_error(r, MHD_HTTP_BAD_REQUEST, msg);
	return false;
}

static void ys_h_incident_action(struct ys_req *r, int64_t id, const char *action)
{
	static const struct {
		const char *name, *field;
		bool required;
		size_t max;
		enum ys_incident_action act;
	} acts[] = {
		{ "acknowledge", NULL, false, 0, YS_INCIDENT_ACK },
		{ "assign", "assignee", true, 128, YS_INCIDENT_ASSIGN },
		{ "comment", "text", true, 4096, YS_INCIDENT_COMMENT },
		{ "close", "reason", false, 1024, YS_INCIDENT_CLOSE },
	};
	const char *text;
	json_t *body, *out = NULL;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (strcmp(action, acts[i].name) == 0)
			break;
	if (i == sizeof(acts) / sizeof(acts[0])) {
		ys_reply_error(r, MHD_HTTP_NOT_FOUND, "not found");
		return;
	}
	if (strcmp(r->method, "POST") != 0) {
		ys_reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST");
		return;
	}
	if (!ys_role_in(r, true, true, false))
		return;
	if (!ys_action_body(r, acts[i].field, acts[i].required, acts[i].max, &body, &text))
		return;
	ret = ys_store_incident_act(r->api->st, &r->tok->scope, id, acts[i].act, r->tok->name, text,
				    ys_now_us());
	json_decref(body);
	if (ret == -EALREADY) {
		ys_reply_error(r, MHD_HTTP_CONFLICT, "incident is closed");
		return;
	}
	if (ret) {
		ys_store_error(r, ret);
		return;
	}
	ys_info(YS_AMOD, "%s: %s incident %" PRId64, r->tok->name, action, id);
	ret = ys_store_incident_get(r->api->st, &r->tok->scope, id, &out);
	if (ret)
		ys_store_error(r, ret);
	else
		ys_reply_json(r, MHD_HTTP_OK, out);
}

static void ys_h_situation(struct ys_req *r)
{
	const char *tenant;
	json_t *out = NULL;
	int ret;

	if (!ys_arg_tenant(r, &tenant))
		return;
	ret = ys_store_situation(r->api->st, &r->tok->scope, tenant, ys_now_us(), &out);
	if (ret)
		ys_store_error(r, ret);
	else
		ys_reply_json(r, MHD_HTTP_OK, out);
}

static void ys_h_sensors(struct ys_req *r)
{
	json_t *out = NULL;
	int ret = ys_store_sensors(r->api->st, &r->tok->scope, ys_now_us(), &out);

	if (ret)
		ys_store_error(r, ret);
	else
		ys_reply_json(r, MHD_HTTP_OK, out);
}

static void ys_h_audit(struct ys_req *r)
{
	int64_t since, limit;
	const char *cursor;
	json_t *out = NULL;
	int ret;

	if (!ys_role_in(r, true, false, true) || !ys_arg_time(r, "since", &since) ||
	    !ys_arg_int(r, "limit", 1, 1000, &limit) || !ys_arg_text(r, "cursor", &cursor))
		return;
	ret = ys_store_audit_query(r->api->st, since, (int)limit, cursor, &out);
	if (ret)
		ys_store_error(r, ret);
	else
		ys_reply_json(r, MHD_HTTP_OK, out);
}

static void ys_h_audit_verify(struct ys_req *r)
{
	struct ys_audit_verdict v;
	int ret;

	if (!ys_role_in(r, true, false, true))
		return;
	ret = ys_store_audit_verify(r->api->st, &v);
	if (ret) {
		ys_store_error(r, ret);
		return;
	}
	ys_reply_json(r, MHD_HTTP_OK,
		      json_pack("{s:b, s:I, s:o, s:o}", "ok", v.ok, "records",
				(json_int_t)v.records, "first_bad",
				v.ok ? json_null() : json_integer(v.first_bad), "reason",
				v.ok ? json_null() : json_string(v.reason)));
}

#ifdef YS_HAVE_REPORT
/* GET /api/reports/mlps: evidence for an auditor (ingest/report); every report is audited. */
static void ys_api_report(struct ys_req *r)
{
	struct ys_report_params p = { 0 };
	enum ys_report_format fmt;
	const char *tenant, *from, *to, *fmt_s, *ctype = NULL, *msg;
	char *body = NULL, err[256], detail[512];
	size_t len = 0;
	int ret;

	if (!ys_arg_tenant(r, &tenant) || !ys_arg_text(r, "from", &from) ||
	    !ys_arg_text(r, "to", &to) || !ys_arg_text(r, "format", &fmt_s))
		return;
	ret = ys_report_parse_query(tenant, from, to, fmt_s, ys_now_us(), &p, &fmt, err,
				    sizeof(err));
	if (ret) {
		ys_reply_error(r, MHD_HTTP_BAD_REQUEST, err);
		return;
	}
	p.now = ys_now_us();
	p.retention_days = r->api->hooks.retention_days;
	p.generated_by = r->tok->name;
	ret = ys_report_generate(r->api->st, &r->tok->scope, &p, fmt, &body, &len, &ctype);
	if (ret) {
		unsigned status = (unsigned)ys_report_http_status(ret, &msg);

		if (status >= 500)
			ys_err(YS_AMOD, "report: %s", strerror(-ret));
		ys_reply_error(r, status, msg);
		return;
	}
	{
		json_t *d = json_pack("{s:s?, s:I, s:I, s:s}", "tenant", p.tenant, "from",
				      (json_int_t)p.from, "to", (json_int_t)p.to, "format",
				      fmt_s ? fmt_s : "html");
		char *t = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

		snprintf(detail, sizeof(detail), "%s", t ? t : "{}");
		free(t);
		json_decref(d);
	}
	if (ys_store_audit_append(r->api->st, p.now, r->tok->name, "report.generate",
				  "reports/mlps", detail, false))
		ys_warn(YS_AMOD, "report generated but its audit record failed");
	ys_reply_text(r, MHD_HTTP_OK, ctype, body, len);
}
#endif

static void ys_h_report(struct ys_req *r)
{
	if (!ys_role_in(r, true, false, true))
		return;
#ifdef YS_HAVE_REPORT
	ys_api_report(r);
#else
	ys_reply_error(r, MHD_HTTP_NOT_IMPLEMENTED, "reports are not built into this binary");
#endif
}

static void ys_h_healthz(struct ys_req *r)
{
	const char *kafka = r->api->hooks.kafka_status
				    ? r->api->hooks.kafka_status(r->api->hooks.user)
				    : "down";
	int ver = 0;
	bool store_ok = ys_store_schema_version(r->api->st, &ver) == 0;

	ys_reply_json(r, store_ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
		      json_pack("{s:s, s:s, s:s}", "status", store_ok ? "ok" : "degraded", "store",
				ys_store_driver_name(r->api->st), "kafka", kafka));
}

static void ys_h_metrics(struct ys_req *r)
{
	char *text = r->api->hooks.metrics ? r->api->hooks.metrics(r->api->hooks.user) : NULL;

	if (!text)
		text = strdup("");
	ys_reply_text(r, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text,
		      text ? strlen(text) : 0);
}

void ys_api_route(struct ys_req *r)
{
	const char *url = r->url, *p;
	bool get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
	int64_t id;

	if (strcmp(url, "/healthz") == 0 || strcmp(url, "/metrics") == 0) {
		if (!get)
			ys_reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
		else if (url[1] == 'h')
			ys_h_healthz(r);
		else
			ys_h_metrics(r);
		return;
	}
	r->tok = ys_auth_check(r->api->auth,
			       MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
							   MHD_HTTP_HEADER_AUTHORIZATION));
	if (!r->tok) {
		ys_reply_error(r, MHD_HTTP_UNAUTHORIZED, "missing or invalid bearer token");
		return;
	}
	if (strncmp(url, "/api/v1/incidents/", 18) == 0) {
		const char *rest = url + 18, *slash = strchr(rest, '/');

		if (!ys_parse_id(rest, slash ? (size_t)(slash - rest) : strlen(rest), &id)) {
			ys_reply_error(r, MHD_HTTP_NOT_FOUND, "not found");
		} else if (slash) {
			ys_h_incident_action(r, id, slash + 1);
		} else if (!get) {
			ys_reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
		} else {
			ys_h_incident(r, id);
		}
		return;
	}
	if (!get) {
		ys_reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
		return;
	}
	if (strcmp(url, "/api/v1/whoami") == 0)
		ys_h_whoami(r);
	else if (strcmp(url, "/api/v1/alerts") == 0)
		ys_h_alerts(r);
	else if (strncmp(url, "/api/v1/alerts/", 15) == 0 && !strchr((p = url + 15), '/'))
		ys_h_alert(r, p);
	else if (strcmp(url, "/api/v1/incidents") == 0)
		ys_h_incidents(r);
	else if (strcmp(url, "/api/v1/situation") == 0)
		ys_h_situation(r);
	else if (strcmp(url, "/api/v1/sensors") == 0)
		ys_h_sensors(r);
	else if (strcmp(url, "/api/v1/audit") == 0)
		ys_h_audit(r);
	else if (strcmp(url, "/api/v1/audit/verify") == 0)
		ys_h_audit_verify(r);
	else if (strcmp(url, "/api/reports/mlps") == 0)
		ys_h_report(r);
	else
		ys_reply_error(r, MHD_HTTP_NOT_FOUND, "not found");
}
