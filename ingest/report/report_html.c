/*
 * HTML rendering of the MLPS evidence object: a printable A4 document, in
 * Chinese with English alongside (auditors in China file the Chinese text;
 * operators abroad read the English), self-contained (inline CSS, no scripts,
 * no external resources) so it prints and archives as one file.
 *
 * Every number is printed from the evidence object and carries a
 * data-figure="section.name" attribute, so tests can read the figures back out
 * of the document and recount them in SQL. Every string from the store is
 * HTML-escaped: alert signatures and incident titles come from traffic and
 * rules and must not become markup in an auditor's browser.
 */
#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ys_sb {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void ys_sb_raw_n(struct ys_sb *sb, const char *s, size_t n)
{
	if (sb->oom)
		return;
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 16384;
		char *nb;

		while (cap < sb->len + n + 1)
			cap *= 2;
		nb = realloc(sb->buf, cap);
		if (!nb) {
			sb->oom = true;
			return;
		}
		sb->buf = nb;
		sb->cap = cap;
	}
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

static void ys_sb_raw(struct ys_sb *sb, const char *s)
{
	ys_sb_raw_n(sb, s, strlen(s));
}

static void ys_sb_fmt(struct ys_sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ys_sb_fmt(struct ys_sb *sb, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	ys_sb_raw_n(sb, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Text content or attribute value, escaped. NULL prints an em dash. */
static void ys_sb_esc(struct ys_sb *sb, const char *s)
{
	const char *p;

	if (!s) {
		ys_sb_raw(sb, "—");
		return;
	}
	for (p = s; *p; p++) {
		switch (*p) {
		case '&':
			ys_sb_raw(sb, "&amp;");
			break;
		case '<':
			ys_sb_raw(sb, "&lt;");
			break;
		case '>':
			ys_sb_raw(sb, "&gt;");
			break;
		case '"':
			ys_sb_raw(sb, "&quot;");
			break;
		case '\'':
			ys_sb_raw(sb, "&#39;");
			break;
		default:
			ys_sb_raw_n(sb, p, 1);
		}
	}
}

static const json_t *ys_get(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);

	return b ? json_object_get(v, b) : v;
}

static json_int_t ys_int(const json_t *o, const char *a, const char *b)
{
	return json_integer_value(ys_get(o, a, b));
}

static const char *ys_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A figure: the number, tagged with its evidence path. */
static void ys_fig(struct ys_sb *sb, const char *name, json_int_t v)
{
	ys_sb_fmt(sb, "<b class=\"fig\" data-figure=\"%s\">%lld</b>", name, (long long)v);
}

/* The figure EV.SEC.KEY, tagged with that path (the common case: one name, no mismatch). */
static void ys_fig_at(struct ys_sb *sb, const json_t *ev, const char *sec, const char *key)
{
	ys_sb_fmt(sb, "<b class=\"fig\" data-figure=\"%s.%s\">%lld</b>", sec, key,
		  (long long)ys_int(ev, sec, key));
}

/* A time as stored (RFC 3339 UTC), shown without the microseconds. */
static void ys_time(struct ys_sb *sb, const char *t)
{
	char buf[24];
	size_t n;

	if (!t) {
		ys_sb_raw(sb, "—");
		return;
	}
	n = strlen(t);
	if (n >= 19) {
		memcpy(buf, t, 19);
		buf[10] = ' ';
		memcpy(buf + 19, "Z", 2);
		ys_sb_esc(sb, buf);
		return;
	}
	ys_sb_esc(sb, t);
}

static void ys_verdict(struct ys_sb *sb, bool ok, const char *yes_zh, const char *yes_en,
		       const char *no_zh, const char *no_en)
{
	ys_sb_fmt(sb, "<span class=\"verdict %s\" data-verdict=\"%s\">", ok ? "ok" : "gap",
		  ok ? "ok" : "gap");
	ys_sb_esc(sb, ok ? yes_zh : no_zh);
	ys_sb_raw(sb, " <i>");
	ys_sb_esc(sb, ok ? yes_en : no_en);
	ys_sb_raw(sb, "</i></span>");
}

static const char *const ys_css =
	"@page{size:A4;margin:16mm 14mm}"
	"body{font-family:'Noto Sans CJK SC','WenQuanYi Zen Hei','Source Han Sans SC',sans-serif;"
	"font-size:10.5pt;color:#111;line-height:1.45;margin:0 auto;max-width:190mm}"
	"h1{font-size:17pt;margin:0 0 2mm}h2{font-size:13pt;border-bottom:2px solid #1b4f8a;"
	"padding-bottom:1mm;margin:7mm 0 3mm;break-after:avoid}h3{font-size:11pt;margin:4mm 0 2mm;"
	"break-after:avoid}i{color:#555;font-style:normal;font-size:90%}"
	"table{border-collapse:collapse;width:100%;margin:2mm 0 3mm;font-size:9pt}"
	"th,td{border:1px solid #bbb;padding:1.2mm 2mm;text-align:left;vertical-align:top}"
	"th{background:#eef3f9}tr{break-inside:avoid}td.n{text-align:right}"
	".fig{font-variant-numeric:tabular-nums}.verdict{font-weight:bold}.verdict.ok{color:#"
	"17692f}"
	".verdict.gap{color:#a61b1b}.lvl{white-space:nowrap;padding:0 "
	"2mm;border-radius:2mm;color:#fff}"
	".lvl-red{background:#c62828}.lvl-orange{background:#e67e22}.lvl-yellow{background:#d4ac0d;"
	"color:#111}.lvl-blue{background:#1f6fd1}.meta "
	"td:first-child{width:40mm;background:#f6f8fa}"
	".note{color:#444;font-size:9pt}.foot{margin-top:8mm;border-top:1px solid "
	"#bbb;padding-top:2mm;"
	"font-size:8.5pt;color:#444}code{font-size:8.5pt;word-break:break-all}";

static void ys_head(struct ys_sb *sb, const json_t *ev)
{
	const json_t *sc = json_object_get(ev, "scope"), *t;
	size_t i;

	ys_sb_raw(sb, "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
		      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
		      " style-src 'unsafe-inline'\"><title>");
	ys_sb_raw(sb, "等级保护 2.0 安全证据报告 MLPS 2.0 evidence report</title><style>");
	ys_sb_raw(sb, ys_css);
	ys_sb_raw(sb, "</style></head><body>");
	ys_sb_raw(sb, "<h1>网络安全等级保护（第三级）安全证据报告</h1>"
		      "<p><i>Evidence report for Multi-Level Protection Scheme 2.0, level 3 "
		      "(GB/T 22239-2019)</i></p><table class=\"meta\">");
	ys_sb_raw(sb, "<tr><td>租户 <i>Tenant</i></td><td data-scope=\"tenants\">");
	if (json_is_true(json_object_get(sc, "all_tenants")))
		ys_sb_raw(sb, "全部租户 <i>all tenants</i>");
	else
		json_array_foreach(json_object_get(sc, "tenants"), i, t)
		{
			if (i)
				ys_sb_raw(sb, ", ");
			ys_sb_esc(sb, json_string_value(t));
		}
	ys_sb_raw(sb, "</td></tr><tr><td>报告期间 <i>Period</i></td><td>");
	ys_time(sb, ys_str(sc, "from"));
	ys_sb_raw(sb, " — ");
	ys_time(sb, ys_str(sc, "to"));
	ys_sb_raw(sb, "</td></tr><tr><td>生成时间 <i>Generated</i></td><td>");
	ys_time(sb, ys_str(sc, "generated_at"));
	ys_sb_raw(sb, "</td></tr><tr><td>生成人 <i>Requested by</i></td><td>");
	ys_sb_esc(sb, ys_str(sc, "generated_by"));
	ys_sb_raw(sb, "</td></tr><tr><td>数据来源 <i>Source</i></td><td>yunshao-ingest store (");
	ys_sb_esc(sb, ys_str(sc, "store"));
	ys_sb_raw(sb, ")</td></tr></table>");
}

static void ys_summary(struct ys_sb *sb, const json_t *ev)
{
	const json_t *c;
	size_t i;

	ys_sb_raw(sb, "<h2>控制点与证据概览 <i>Controls and evidence</i></h2><table><tr>"
		      "<th>控制点 <i>Control</i></th><th>要求 <i>Requirement</i></th>"
		      "<th>本期证据 <i>Evidence in period</i></th></tr>");
	json_array_foreach(json_object_get(ev, "controls"), i, c)
	{
		ys_sb_raw(sb, "<tr data-control=\"");
		ys_sb_esc(sb, ys_str(c, "id"));
		ys_sb_raw(sb, "\"><td>");
		ys_sb_esc(sb, ys_str(c, "id"));
		ys_sb_raw(sb, "</td><td>");
		ys_sb_esc(sb, ys_str(c, "title_zh"));
		ys_sb_raw(sb, "<br><i>");
		ys_sb_esc(sb, ys_str(c, "title_en"));
		ys_sb_raw(sb, "</i></td><td>");
		ys_verdict(sb, json_is_true(json_object_get(c, "evidence_present")), "有记录证据",
			   "evidence recorded", "本期无记录证据", "no evidence recorded in period");
		ys_sb_raw(sb, "</td></tr>");
	}
	ys_sb_raw(sb, "</table>");
}

static void ys_level(struct ys_sb *sb, const char *level)
{
	static const char *const zh[][2] = {
		{ "red", "红色" }, { "orange", "橙色" }, { "yellow", "黄色" }, { "blue", "蓝色" }
	};
	size_t i;

	for (i = 0; i < sizeof(zh) / sizeof(zh[0]); i++) {
		if (level && strcmp(level, zh[i][0]) == 0) {
			ys_sb_fmt(sb, "<span class=\"lvl lvl-%s\">%s %s</span>", zh[i][0], zh[i][1],
				  zh[i][0]);
			return;
		}
	}
	ys_sb_esc(sb, level);
}

static void ys_intrusion(struct ys_sb *sb, const json_t *ev)
{
	const json_t *a = json_object_get(ev, "attacks"), *al = json_object_get(ev, "alarms"), *r;
	size_t i;

	ys_sb_raw(sb, "<h2>8.1.3.3 入侵防范 <i>Intrusion prevention</i></h2>");
	ys_sb_raw(sb, "<p>a)、b) 关键网络节点检测到的攻击行为 <i>attacks detected at key network "
		      "nodes</i>: ");
	ys_fig_at(sb, ev, "attacks", "total");
	ys_sb_raw(sb, " 条告警 <i>alerts</i>；其中来自外部地址 <i>from external sources</i> ");
	ys_fig_at(sb, ev, "attacks", "external");
	ys_sb_raw(sb, "，来自内部地址 <i>from internal sources</i> ");
	ys_fig_at(sb, ev, "attacks", "internal");
	ys_sb_raw(sb, "；不同攻击源 <i>distinct sources</i> ");
	ys_fig_at(sb, ev, "attacks", "sources");
	ys_sb_raw(sb, "，受攻击目标 <i>distinct targets</i> ");
	ys_fig_at(sb, ev, "attacks", "targets");
	ys_sb_raw(sb, "。</p>");

	ys_sb_raw(sb,
		  "<h3>攻击类型 <i>Attack types</i></h3><table><tr><th>类型 <i>Category</i></th>"
		  "<th>告警数 <i>Alerts</i></th></tr>");
	json_array_foreach(json_object_get(a, "by_category"), i, r)
	{
		ys_sb_raw(sb, "<tr><td>");
		ys_sb_esc(sb, ys_str(r, "category") && *ys_str(r, "category")
				      ? ys_str(r, "category")
				      : "(未分类 unclassified)");
		ys_sb_fmt(sb, "</td><td class=\"n\">%lld</td></tr>",
			  (long long)json_integer_value(json_object_get(r, "count")));
	}
	ys_sb_raw(sb, "</table><h3>主要签名 <i>Top signatures</i></h3><table><tr><th>SID</th>"
		      "<th>签名 <i>Signature</i></th><th>严重度 <i>Severity</i></th>"
		      "<th>告警数 <i>Alerts</i></th></tr>");
	json_array_foreach(json_object_get(a, "by_signature"), i, r)
	{
		ys_sb_fmt(sb, "<tr><td>%lld</td><td>",
			  (long long)json_integer_value(json_object_get(r, "sid")));
		ys_sb_esc(sb, ys_str(r, "signature"));
		ys_sb_fmt(sb, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td></tr>",
			  (long long)json_integer_value(json_object_get(r, "severity")),
			  (long long)json_integer_value(json_object_get(r, "count")));
	}
	ys_sb_raw(sb, "</table>");

	ys_sb_raw(sb, "<h3>d) 攻击记录：源地址、类型、目标、时间 <i>Attack records: source, type, "
		      "target, time</i></h3>");
	if (json_is_true(json_object_get(a, "truncated"))) {
		ys_sb_raw(sb, "<p class=\"note\">列出最早的 ");
		ys_fig_at(sb, ev, "attacks", "listed");
		ys_sb_raw(sb, " 条，全部记录可在控制台告警检索中导出 <i>the earliest records are "
			      "listed; all "
			      "are searchable in the console</i>。</p>");
	}
	ys_sb_raw(sb,
		  "<table data-table=\"attacks\"><tr><th>时间 <i>Time</i></th><th>源 <i>Source</i>"
		  "</th><th>类型 <i>Type</i></th><th>目标 <i>Target</i></th><th>租户 <i>Tenant</i>"
		  "</th></tr>");
	json_array_foreach(json_object_get(a, "list"), i, r)
	{
		ys_sb_raw(sb, "<tr data-event-id=\"");
		ys_sb_esc(sb, ys_str(r, "event_id"));
		ys_sb_raw(sb, "\"><td>");
		ys_time(sb, ys_str(r, "time"));
		ys_sb_raw(sb, "</td><td><code>");
		ys_sb_esc(sb, ys_str(r, "src_ip"));
		ys_sb_raw(sb, "</code></td><td>");
		ys_sb_esc(sb, ys_str(r, "signature"));
		ys_sb_raw(sb, "<br><i>");
		ys_sb_esc(sb, ys_str(r, "category"));
		ys_sb_raw(sb, "</i></td><td><code>");
		ys_sb_esc(sb, ys_str(r, "dest_ip"));
		ys_sb_raw(sb, "</code></td><td>");
		ys_sb_esc(sb, ys_str(r, "tenant"));
		ys_sb_raw(sb, "</td></tr>");
	}
	ys_sb_raw(sb, "</table>");

	ys_sb_raw(sb,
		  "<h3>d) 严重入侵事件报警 <i>Alarms for serious intrusions</i></h3><p>本期事件 "
		  "<i>incidents in period</i> ");
	ys_fig_at(sb, ev, "alarms", "total");
	ys_sb_raw(sb, "：红色 <i>red</i> ");
	ys_fig(sb, "alarms.red", ys_int(al, "by_level", "red"));
	ys_sb_raw(sb, "，橙色 <i>orange</i> ");
	ys_fig(sb, "alarms.orange", ys_int(al, "by_level", "orange"));
	ys_sb_raw(sb, "，黄色 <i>yellow</i> ");
	ys_fig(sb, "alarms.yellow", ys_int(al, "by_level", "yellow"));
	ys_sb_raw(sb, "，蓝色 <i>blue</i> ");
	ys_fig(sb, "alarms.blue", ys_int(al, "by_level", "blue"));
	ys_sb_raw(sb,
		  "。</p><table data-table=\"serious\"><tr><th>#</th><th>级别 <i>Level</i></th>"
		  "<th>事件 <i>Incident</i></th><th>攻击开始 <i>Attack began</i></th><th>报警时间 "
		  "<i>Alarm raised</i></th><th>确认 <i>Acknowledged</i></th><th>关闭 <i>Closed</i>"
		  "</th><th>告警数 <i>Alerts</i></th></tr>");
	json_array_foreach(json_object_get(al, "serious"), i, r)
	{
		ys_sb_fmt(sb, "<tr><td>%lld</td><td>",
			  (long long)json_integer_value(json_object_get(r, "id")));
		ys_level(sb, ys_str(r, "level"));
		ys_sb_raw(sb, "</td><td>");
		ys_sb_esc(sb, ys_str(r, "title"));
		ys_sb_raw(sb, "<br><i>");
		ys_sb_esc(sb, ys_str(r, "tenant"));
		ys_sb_raw(sb, " · ");
		ys_sb_esc(sb, ys_str(r, "rule"));
		ys_sb_raw(sb, "</i></td><td>");
		ys_time(sb, ys_str(r, "first_seen"));
		ys_sb_raw(sb, "</td><td>");
		ys_time(sb, ys_str(r, "raised_at"));
		ys_sb_raw(sb, "</td><td>");
		ys_time(sb, ys_str(r, "acknowledged_at"));
		ys_sb_raw(sb, "</td><td>");
		ys_time(sb, ys_str(r, "closed_at"));
		ys_sb_fmt(sb, "</td><td class=\"n\">%lld</td></tr>",
			  (long long)json_integer_value(json_object_get(r, "alert_count")));
	}
	if (!json_array_size(json_object_get(al, "serious")))
		ys_sb_raw(sb, "<tr><td colspan=\"8\">本期无严重入侵事件 <i>no serious intrusion in "
			      "period</i></td></tr>");
	ys_sb_raw(sb, "</table>");

	ys_sb_raw(sb,
		  "<h3>c) 网络行为分析（关联规则） <i>Behaviour analysis (correlation rules)</i>"
		  "</h3><table><tr><th>规则 <i>Rule</i></th><th>事件 <i>Incidents</i></th>"
		  "<th>关联告警 <i>Alerts</i></th></tr>");
	json_array_foreach(json_object_get(al, "by_rule"), i, r)
	{
		ys_sb_raw(sb, "<tr><td>");
		ys_sb_esc(sb, ys_str(r, "rule"));
		ys_sb_fmt(sb, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td></tr>",
			  (long long)json_integer_value(json_object_get(r, "count")),
			  (long long)json_integer_value(json_object_get(r, "alerts")));
	}
	ys_sb_raw(sb, "</table>");
}

static void ys_audit(struct ys_sb *sb, const json_t *ev)
{
	const json_t *au = json_object_get(ev, "audit"), *r;
	bool ok = json_is_true(json_object_get(au, "chain_ok"));
	size_t i;

	ys_sb_raw(sb, "<h2>8.1.3.5 安全审计 <i>Security audit</i></h2><p>c) 审计记录保护（SHA-256 "
		      "哈希链）"
		      " <i>protection of audit records (SHA-256 hash chain)</i>: ");
	ys_verdict(sb, ok, "校验通过，记录未被修改或删除",
		   "chain verified, no record altered or removed", "校验失败", "chain broken");
	ys_sb_raw(sb, "；审计记录总数 <i>records</i> ");
	ys_fig_at(sb, ev, "audit", "records");
	ys_sb_raw(sb, "，最早记录 <i>first record</i> ");
	ys_time(sb, ys_str(au, "first_record"));
	if (!ok) {
		ys_sb_raw(sb, "；首个异常记录 <i>first bad record</i> ");
		ys_fig_at(sb, ev, "audit", "first_bad");
		ys_sb_raw(sb, "（");
		ys_sb_esc(sb, ys_str(au, "reason"));
		ys_sb_raw(sb, "）");
	}
	ys_sb_raw(sb, "。</p><p>a)、b) 本期审计的用户行为与安全事件处置 <i>audited user actions in "
		      "period</i>: ");
	ys_fig_at(sb, ev, "audit", "in_period");
	ys_sb_raw(sb, "</p><table><tr><th>操作 <i>Action</i></th><th>次数 <i>Count</i></th></tr>");
	json_array_foreach(json_object_get(au, "by_action"), i, r)
	{
		ys_sb_raw(sb, "<tr><td>");
		ys_sb_esc(sb, ys_str(r, "action"));
		ys_sb_fmt(sb, "</td><td class=\"n\">%lld</td></tr>",
			  (long long)json_integer_value(json_object_get(r, "count")));
	}
	ys_sb_raw(sb, "</table>");
}

/* An integer that a sensor may or may not report. */
static void ys_opt_int(struct ys_sb *sb, const json_t *v)
{
	if (json_is_integer(v))
		ys_sb_fmt(sb, "%lld", (long long)json_integer_value(v));
	else
		ys_sb_raw(sb, "—");
}

static void ys_sensor_status(struct ys_sb *sb, const char *status)
{
	if (status && strcmp(status, "no_heartbeat") == 0) {
		ys_sb_raw(sb,
			  "<span class=\"verdict gap\" data-verdict=\"no_heartbeat\">无心跳记录 "
			  "<i>no heartbeat recorded</i></span>");
		return;
	}
	ys_verdict(sb, status && strcmp(status, "ok") == 0, "正常", "ok", "静默", "silent");
}

static void ys_central(struct ys_sb *sb, const json_t *ev)
{
	const json_t *se = json_object_get(ev, "sensors"), *re = json_object_get(ev, "retention"),
		     *ru = json_object_get(ev, "rules"), *r;
	size_t i;

	ys_sb_raw(sb, "<h2>8.1.5.4 集中管控 <i>Centralised management</i></h2>");
	ys_sb_raw(sb, "<p>c) 安全设备运行状况集中监测 <i>central monitoring of sensors</i>: 传感器 "
		      "<i>sensors</i> ");
	ys_fig_at(sb, ev, "sensors", "total");
	ys_sb_raw(sb, "，正常 <i>reporting</i> ");
	ys_fig_at(sb, ev, "sensors", "ok");
	ys_sb_raw(sb, "，静默 <i>silent</i> ");
	ys_fig_at(sb, ev, "sensors", "silent");
	ys_sb_raw(sb, "，无心跳记录 <i>without heartbeat</i> ");
	ys_fig_at(sb, ev, "sensors", "no_heartbeat");
	ys_sb_raw(sb, "；本期上报告警的传感器 <i>sensors reporting alerts in period</i> ");
	ys_fig_at(sb, ev, "sensors", "with_alerts");
	ys_sb_raw(sb, "，覆盖机架 <i>racks covered</i> ");
	ys_fig(sb, "sensors.racks", (json_int_t)json_array_size(json_object_get(se, "racks")));
	ys_sb_raw(
		sb,
		"。</p><table data-table=\"sensors\"><tr><th>传感器 <i>Sensor</i></th>"
		"<th>机架 <i>Rack</i></th><th>状态 <i>Status</i></th><th>最近上报 <i>Last seen</i>"
		"</th><th>运行时长 <i>Uptime</i></th><th>规则数 <i>Rules</i></th>"
		"<th>本期告警 <i>Alerts in period</i></th><th>租户 <i>Tenants seen</i></th></tr>");
	json_array_foreach(json_object_get(se, "list"), i, r)
	{
		const json_t *up = json_object_get(r, "uptime_s"),
			     *rl = json_object_get(r, "rules_loaded");

		ys_sb_raw(sb, "<tr><td>");
		ys_sb_esc(sb, ys_str(r, "id"));
		ys_sb_raw(sb, "</td><td>");
		ys_sb_esc(sb, ys_str(r, "rack"));
		ys_sb_raw(sb, "</td><td>");
		ys_sensor_status(sb, ys_str(r, "status"));
		ys_sb_raw(sb, "</td><td>");
		ys_time(sb, ys_str(r, "last_seen"));
		ys_sb_raw(sb, "</td><td class=\"n\">");
		if (json_is_integer(up))
			ys_sb_fmt(sb, "%lldh %02lldm", (long long)(json_integer_value(up) / 3600),
				  (long long)(json_integer_value(up) / 60 % 60));
		else
			ys_sb_raw(sb, "未上报 <i>not reported</i>");
		ys_sb_raw(sb, "</td><td class=\"n\">");
		if (json_is_integer(rl))
			ys_sb_fmt(sb, "%lld", (long long)json_integer_value(rl));
		else
			ys_sb_raw(sb, "—");
		ys_sb_fmt(sb, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td></tr>",
			  (long long)json_integer_value(json_object_get(r, "alerts_in_period")),
			  (long long)json_integer_value(json_object_get(r, "tenants_seen")));
	}
	ys_sb_raw(sb, "</table>");

	ys_sb_raw(sb,
		  "<p>d) 审计数据集中留存 <i>central retention</i>: 配置留存 <i>configured</i> ");
	ys_fig_at(sb, ev, "retention", "configured_days");
	ys_sb_raw(sb, " 天 <i>days</i>（法定要求不少于 <i>legal minimum</i> ");
	ys_fig_at(sb, ev, "retention", "required_days");
	ys_sb_raw(sb, " 天）：");
	ys_verdict(sb, json_is_true(json_object_get(re, "policy_ok")), "符合", "meets the minimum",
		   "不足", "below the minimum");
	ys_sb_raw(sb, "；库中告警 <i>alerts held</i> ");
	ys_fig_at(sb, ev, "retention", "alerts_stored");
	ys_sb_raw(sb, " 条，最早 <i>oldest</i> ");
	ys_time(sb, ys_str(re, "oldest_alert"));
	ys_sb_raw(sb, "，覆盖 <i>spanning</i> ");
	ys_fig_at(sb, ev, "retention", "held_days");
	ys_sb_raw(sb, " 天 <i>days</i>。</p>");

	ys_sb_raw(sb,
		  "<h3>e) 安全策略（检测规则）更新记录 <i>Rule and policy update history</i></h3>"
		  "<p>本期更新 <i>updates in period</i> ");
	ys_fig(sb, "rules.updates", (json_int_t)json_array_size(json_object_get(ru, "updates")));
	ys_sb_raw(sb,
		  "</p><table data-table=\"rule-updates\"><tr><th>时间 <i>Time</i></th>"
		  "<th>操作人 <i>Actor</i></th><th>操作 <i>Action</i></th><th>对象 <i>Target</i>"
		  "</th><th>详情 <i>Detail</i></th></tr>");
	json_array_foreach(json_object_get(ru, "updates"), i, r)
	{
		ys_sb_raw(sb, "<tr><td>");
		ys_time(sb, ys_str(r, "time"));
		ys_sb_raw(sb, "</td><td>");
		ys_sb_esc(sb, ys_str(r, "actor"));
		ys_sb_raw(sb, "</td><td>");
		ys_sb_esc(sb, ys_str(r, "action"));
		ys_sb_raw(sb, "</td><td>");
		ys_sb_esc(sb, ys_str(r, "target"));
		ys_sb_raw(sb, "</td><td><code>");
		ys_sb_esc(sb, ys_str(r, "detail"));
		ys_sb_raw(sb, "</code></td></tr>");
	}
	if (!json_array_size(json_object_get(ru, "updates")))
		ys_sb_raw(sb,
			  "<tr><td colspan=\"5\">审计日志中本期无规则或配置变更记录 <i>no rule or "
			  "configuration change in the audit log for this period</i></td></tr>");
	ys_sb_raw(
		sb,
		"</table><p>各传感器当前运行的规则（来自最近一次心跳） <i>rules each sensor runs, "
		"from its last heartbeat</i>:</p><table data-table=\"rules-loaded\"><tr>"
		"<th>传感器 <i>Sensor</i></th><th>已加载 <i>Loaded</i></th><th>失败 <i>Failed</i>"
		"</th><th>重载成功/失败 <i>Reloads ok/failed</i></th><th>规则集 <i>Rule set</i>"
		"</th></tr>");
	json_array_foreach(json_object_get(ru, "loaded"), i, r)
	{
		ys_sb_raw(sb, "<tr><td>");
		ys_sb_esc(sb, ys_str(r, "sensor"));
		ys_sb_raw(sb, "</td><td class=\"n\">");
		ys_opt_int(sb, json_object_get(r, "rules_loaded"));
		ys_sb_raw(sb, "</td><td class=\"n\">");
		ys_opt_int(sb, json_object_get(r, "rules_failed"));
		ys_sb_raw(sb, "</td><td class=\"n\">");
		ys_opt_int(sb, json_object_get(r, "reloads_ok"));
		ys_sb_raw(sb, " / ");
		ys_opt_int(sb, json_object_get(r, "reloads_failed"));
		ys_sb_raw(sb, "</td><td><code>");
		ys_sb_esc(sb, ys_str(r, "ruleset"));
		ys_sb_raw(sb, "</code></td></tr>");
	}
	if (!json_array_size(json_object_get(ru, "loaded")))
		ys_sb_raw(
			sb,
			"<tr><td colspan=\"5\">没有传感器在心跳中报告规则数 <i>no sensor reported "
			"its rules in a heartbeat</i></td></tr>");
	ys_sb_raw(sb, "</table><p>f) 安全事件识别与报警 <i>events identified and alarmed</i>: 见 "
		      "8.1.3.3 d) <i>see 8.1.3.3 d)</i>。</p>");
}

static void ys_cloud(struct ys_sb *sb, const json_t *ev)
{
	const json_t *r;
	size_t i;

	ys_sb_raw(sb,
		  "<h2>8.2.3.2 云计算安全扩展 · 入侵防范 <i>Cloud extension: intrusion "
		  "prevention</i></h2><p>a) 检测到攻击的云服务客户（租户） <i>cloud tenants with "
		  "attacks detected</i>: ");
	ys_fig_at(sb, ev, "cloud", "tenants_attacked");
	ys_sb_raw(sb, "；b) 虚拟网络（VXLAN/GENEVE 覆盖网络）中检测到的攻击 <i>attacks seen in "
		      "overlay networks</i>: ");
	ys_fig_at(sb, ev, "cloud", "overlay_alerts");
	ys_sb_raw(sb,
		  "；c) 内部主机之间（东西向）的异常流量告警 <i>east-west alerts between internal "
		  "hosts</i>: ");
	ys_fig_at(sb, ev, "cloud", "east_west_alerts");
	ys_sb_raw(sb, "（");
	ys_fig_at(sb, ev, "cloud", "east_west_pairs");
	ys_sb_raw(
		sb,
		" 对主机 <i>host pairs</i>）；d) 告警见 8.1.3.3 d) <i>alarms: see 8.1.3.3 d)</i>。"
		"</p><table><tr><th>租户 <i>Tenant</i></th><th>告警数 <i>Alerts</i></th></tr>");
	json_array_foreach(ys_get(ev, "attacks", "by_tenant"), i, r)
	{
		ys_sb_raw(sb, "<tr><td>");
		ys_sb_esc(sb, ys_str(r, "tenant"));
		ys_sb_fmt(sb, "</td><td class=\"n\">%lld</td></tr>",
			  (long long)json_integer_value(json_object_get(r, "count")));
	}
	ys_sb_raw(sb, "</table>");
}

int ys_report_render_html(const json_t *ev, char **html, size_t *len)
{
	struct ys_sb sb = { 0 };

	*html = NULL;
	*len = 0;
	if (!json_is_object(ev))
		return -EINVAL;
	ys_head(&sb, ev);
	ys_summary(&sb, ev);
	ys_intrusion(&sb, ev);
	ys_audit(&sb, ev);
	ys_central(&sb, ev);
	ys_cloud(&sb, ev);
	ys_sb_raw(&sb,
		  "<p class=\"foot\">本报告所有数据均由 yunshao-ingest 在生成时从存储中计算得出，"
		  "未包含任何人工填写的结论。<br><i>Every figure and statement above was computed "
		  "from the ingest store when the report was generated; none is typed in by hand."
		  "</i></p></body></html>\n");
	if (sb.oom) {
		free(sb.buf);
		return -ENOMEM;
	}
	*html = sb.buf;
	*len = sb.len;
	return 0;
}
