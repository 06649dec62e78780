/*
 * ys_event_validate(): the constraints of common/schema/alert.schema.json in
 * C, so that the ingest can reject what the schema rejects at tens of
 * thousands of alerts a second without a schema engine, and the sensor's
 * tests can prove it never produces an invalid alert. Patterns are matched by
 * small hand-written scanners rather than regcomp(): they are on the ingest's
 * hot path and must be reentrant.
 *
 * Where JSON Schema and jansson differ, this follows the schema: an integer
 * written as 3.0 is an integer, true is not, and string lengths count
 * Unicode code points, not bytes. tests/unit/output/test_event_validate.c
 * runs python-jsonschema on the same samples and fails on any disagreement.
 */
#include "ys_event.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool ys_v_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool ys_v_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return false;
}

static inline bool ys_v_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool ys_v_xdigit(char c)
{
	return ys_v_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline bool ys_v_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || ys_v_digit(c) || c == '+' ||
	       c == '/';
}

/* Unicode code points in a (valid, jansson-checked) UTF-8 string. */
static size_t ys_v_u8len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* JSON Schema "integer": an integer, or a number with no fractional part. */
static bool ys_v_int(const json_t *v, double *out)
{
	if (json_is_integer(v)) {
		*out = (double)json_integer_value(v);
		return true;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		/* beyond +-2^63 every double is a whole number; below, compare with
		 * its truncation (jansson never yields NaN or infinity) */
		bool whole = d <= -9.2e18 || d >= 9.2e18 || d == (double)(long long)d;

		if (whole) {
			*out = d;
			return true;
		}
	}
	return false;
}

static bool ys_v_check_int(const json_t *v, const char *name, double min, double max, char *err,
			   size_t errlen)
{
	double d;

	if (!ys_v_int(v, &d))
		return ys_v_fail(err, errlen, "%s: not an integer", name);
	/* exact comparison against the bounds: only the 2^63-1 bound is above
	 * 2^53, and jansson integers cannot exceed it anyway */
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if ((double)i < min || (max < 9.2e18 && (double)i > max))
			return ys_v_fail(err, errlen, "%s: %lld out of range", name, (long long)i);
		return true;
	}
	if (d < min || d > max)
		return ys_v_fail(err, errlen, "%s: %.0f out of range", name, d);
	return true;
}

static bool ys_v_check_str(const json_t *v, const char *name, size_t minlen, size_t maxlen,
			   char *err, size_t errlen)
{
	size_t n;

	if (!json_is_string(v))
		return ys_v_fail(err, errlen, "%s: not a string", name);
	n = ys_v_u8len(json_string_value(v));
	if (n < minlen)
		return ys_v_fail(err, errlen, "%s: too short", name);
	if (n > maxlen)
		return ys_v_fail(err, errlen, "%s: longer than %zu characters", name, maxlen);
	return true;
}

/* ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:?[0-9]{2})$ */
static bool ys_v_timestamp(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i, n;

	for (i = 0; shape[i]; i++) {
		if (shape[i] == 'd' ? !ys_v_digit(s[i]) : s[i] != shape[i])
			return false;
	}
	s += i;
	if (*s == '.') {
		s++;
		for (n = 0; ys_v_digit(s[n]); n++)
			;
		if (n < 1 || n > 9)
			return false;
		s += n;
	}
	if (*s == 'Z')
		return s[1] == '\0';
	if (*s != '+' && *s != '-')
		return false;
	s++;
	if (!ys_v_digit(s[0]) || !ys_v_digit(s[1]))
		return false;
	s += 2;
	if (*s == ':')
		s++;
	return ys_v_digit(s[0]) && ys_v_digit(s[1]) && s[2] == '\0';
}

/* UUIDv7: 8-4-4-4-12 hex, version nibble 7, variant 10xx. */
static bool ys_v_uuid7(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!ys_v_xdigit(s[i])) {
			return false;
		}
	}
	return s[14] == '7' && strchr("89abAB", s[19]) != NULL;
}

/* ^1:[A-Za-z0-9+/]{27}=$ */
static bool ys_v_community_id(const char *s)
{
	if (strlen(s) != 30 || s[0] != '1' || s[1] != ':' || s[29] != '=')
		return false;
	for (int i = 2; i < 29; i++)
		if (!ys_v_b64(s[i]))
			return false;
	return true;
}

/* Canonical base64 with padding (the schema's pattern). */
static bool ys_v_base64(const char *s)
{
	size_t n = strlen(s);

	if (n % 4)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (ys_v_b64(s[i]))
			continue;
		/* '=' only as the last one or two characters of the last quartet */
		if (s[i] == '=' && (i == n - 1 || (i == n - 2 && s[n - 1] == '=')))
			continue;
		return false;
	}
	return true;
}

/* An address in one of the two textual forms, no zone index. */
static bool ys_v_ip(const char *s)
{
	unsigned char buf[16];
	size_t n = strlen(s);

	if (n < 2 || n > 45 || strspn(s, "0123456789abcdefABCDEF:.") != n)
		return false;
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool ys_v_check_ip(const json_t *v, const char *name, char *err, size_t errlen)
{
	if (!json_is_string(v))
		return ys_v_fail(err, errlen, "%s: not a string", name);
	if (!ys_v_ip(json_string_value(v)))
		return ys_v_fail(err, errlen, "%s: not an IPv4 or IPv6 address", name);
	return true;
}

static bool ys_v_check_ts(const json_t *v, const char *name, char *err, size_t errlen)
{
	if (!json_is_string(v))
		return ys_v_fail(err, errlen, "%s: not a string", name);
	if (!ys_v_timestamp(json_string_value(v)))
		return ys_v_fail(err, errlen, "%s: not an EVE timestamp", name);
	return true;
}

static bool ys_v_enum(const json_t *v, const char *name, const char *const *vals, char *err,
		      size_t errlen)
{
	if (json_is_string(v))
		for (; *vals; vals++)
			if (strcmp(json_string_value(v), *vals) == 0)
				return true;
	return ys_v_fail(err, errlen, "%s: not one of the allowed values", name);
}

#define YS_U32_MAX 4294967295.0
#define YS_I64_MAX 9223372036854775807.0

static bool ys_v_alert(const json_t *a, char *err, size_t errlen)
{
	static const char *const actions[] = { "allowed", "blocked", NULL };
	static const char *const req[] = { "action",	"gid",	    "signature_id", "rev",
					   "signature", "category", "severity",	    NULL };
	const json_t *md, *v;

	if (!json_is_object(a))
		return ys_v_fail(err, errlen, "alert: not an object");
	for (int i = 0; req[i]; i++)
		if (!json_object_get(a, req[i]))
			return ys_v_fail(err, errlen, "alert.%s: missing", req[i]);
	if (!ys_v_enum(json_object_get(a, "action"), "alert.action", actions, err, errlen) ||
	    !ys_v_check_int(json_object_get(a, "gid"), "alert.gid", 0, YS_U32_MAX, err, errlen) ||
	    !ys_v_check_int(json_object_get(a, "signature_id"), "alert.signature_id", 0, YS_U32_MAX,
			    err, errlen) ||
	    !ys_v_check_int(json_object_get(a, "rev"), "alert.rev", 0, YS_U32_MAX, err, errlen) ||
	    !ys_v_check_str(json_object_get(a, "signature"), "alert.signature", 0, 4096, err,
			    errlen) ||
	    !ys_v_check_str(json_object_get(a, "category"), "alert.category", 0, 1024, err,
			    errlen) ||
	    !ys_v_check_int(json_object_get(a, "severity"), "alert.severity", 1, 255, err, errlen))
		return false;
	md = json_object_get(a, "metadata");
	if (md) {
		const char *k;
		size_t i;
		const json_t *item;

		if (!json_is_object(md))
			return ys_v_fail(err, errlen, "alert.metadata: not an object");
		json_object_foreach((json_t *)md, k, v)
		{
			if (!json_is_array(v))
				return ys_v_fail(err, errlen, "alert.metadata.%s: not an array", k);
			json_array_foreach(v, i, item) if (!json_is_string(item)) return ys_v_fail(
				err, errlen, "alert.metadata.%s: not all strings", k);
		}
	}
	return true;
}

static bool ys_v_flow(const json_t *f, char *err, size_t errlen)
{
	static const char *const counters[] = { "pkts_toserver", "pkts_toclient", "bytes_toserver",
						"bytes_toclient", NULL };
	const json_t *v;
	char name[48];

	if (!json_is_object(f))
		return ys_v_fail(err, errlen, "flow: not an object");
	for (int i = 0; counters[i]; i++) {
		v = json_object_get(f, counters[i]);
		snprintf(name, sizeof(name), "flow.%s", counters[i]);
		if (v && !ys_v_check_int(v, name, 0, YS_I64_MAX, err, errlen))
			return false;
	}
	if ((v = json_object_get(f, "start")) && !ys_v_check_ts(v, "flow.start", err, errlen))
		return false;
	if ((v = json_object_get(f, "src_ip")) && !ys_v_check_ip(v, "flow.src_ip", err, errlen))
		return false;
	if ((v = json_object_get(f, "dest_ip")) && !ys_v_check_ip(v, "flow.dest_ip", err, errlen))
		return false;
	if ((v = json_object_get(f, "src_port")) &&
	    !ys_v_check_int(v, "flow.src_port", 0, 65535, err, errlen))
		return false;
	if ((v = json_object_get(f, "dest_port")) &&
	    !ys_v_check_int(v, "flow.dest_port", 0, 65535, err, errlen))
		return false;
	return true;
}

static bool ys_v_sensor(const json_t *s, char *err, size_t errlen)
{
	if (!json_is_object(s))
		return ys_v_fail(err, errlen, "sensor: not an object");
	if (!json_object_get(s, "id"))
		return ys_v_fail(err, errlen, "sensor.id: missing");
	if (!json_object_get(s, "rack"))
		return ys_v_fail(err, errlen, "sensor.rack: missing");
	if (!json_object_get(s, "host"))
		return ys_v_fail(err, errlen, "sensor.host: missing");
	return ys_v_check_str(json_object_get(s, "id"), "sensor.id", 1, 128, err, errlen) &&
	       ys_v_check_str(json_object_get(s, "rack"), "sensor.rack", 0, 128, err, errlen) &&
	       ys_v_check_str(json_object_get(s, "host"), "sensor.host", 0, 255, err, errlen);
}

static bool ys_v_tunnel(const json_t *t, char *err, size_t errlen)
{
	static const char *const types[] = { "vxlan", "geneve", NULL };
	const json_t *v;

	if (!json_is_object(t))
		return ys_v_fail(err, errlen, "tunnel: not an object");
	if (!json_object_get(t, "type"))
		return ys_v_fail(err, errlen, "tunnel.type: missing");
	if (!json_object_get(t, "vni"))
		return ys_v_fail(err, errlen, "tunnel.vni: missing");
	if (!ys_v_enum(json_object_get(t, "type"), "tunnel.type", types, err, errlen) ||
	    !ys_v_check_int(json_object_get(t, "vni"), "tunnel.vni", 0, 16777215, err, errlen))
		return false;
	if ((v = json_object_get(t, "src_ip")) && !ys_v_check_ip(v, "tunnel.src_ip", err, errlen))
		return false;
	if ((v = json_object_get(t, "dest_ip")) && !ys_v_check_ip(v, "tunnel.dest_ip", err, errlen))
		return false;
	return true;
}

bool ys_event_validate(const json_t *ev, char *err, size_t errlen)
{
	static const char *const req[] = { "timestamp", "event_type", "src_ip", "dest_ip",
					   "proto",	"tenant_id",  "tenant", "alert",
					   "event_id",	"sensor",     NULL };
	static const char *const dirs[] = { "to_server", "to_client", NULL };
	static const char *const objs[] = { "http", "dns", "tls", NULL };
	const json_t *v;

	if (err && errlen)
		err[0] = '\0';
	if (!json_is_object(ev))
		return ys_v_fail(err, errlen, "alert: not a JSON object");
	for (int i = 0; req[i]; i++)
		if (!json_object_get(ev, req[i]))
			return ys_v_fail(err, errlen, "%s: missing", req[i]);

	if (!ys_v_check_ts(json_object_get(ev, "timestamp"), "timestamp", err, errlen))
		return false;
	v = json_object_get(ev, "event_type");
	if (!json_is_string(v) || strcmp(json_string_value(v), "alert") != 0)
		return ys_v_fail(err, errlen, "event_type: not \"alert\"");
	if ((v = json_object_get(ev, "flow_id")) &&
	    !ys_v_check_int(v, "flow_id", 0, YS_I64_MAX, err, errlen))
		return false;
	if ((v = json_object_get(ev, "pcap_cnt")) &&
	    !ys_v_check_int(v, "pcap_cnt", 0, YS_I64_MAX, err, errlen))
		return false;
	if ((v = json_object_get(ev, "in_iface")) &&
	    !ys_v_check_str(v, "in_iface", 0, 64, err, errlen))
		return false;
	if ((v = json_object_get(ev, "vlan"))) {
		size_t i;
		const json_t *id;

		if (!json_is_array(v))
			return ys_v_fail(err, errlen, "vlan: not an array");
		if (json_array_size(v) > 3)
			return ys_v_fail(err, errlen, "vlan: more than 3 tags");
		json_array_foreach(v, i, id) if (!ys_v_check_int(id, "vlan[]", 0, 4095, err,
								 errlen)) return false;
	}
	if (!ys_v_check_ip(json_object_get(ev, "src_ip"), "src_ip", err, errlen) ||
	    !ys_v_check_ip(json_object_get(ev, "dest_ip"), "dest_ip", err, errlen))
		return false;
	if ((v = json_object_get(ev, "src_port")) &&
	    !ys_v_check_int(v, "src_port", 0, 65535, err, errlen))
		return false;
	if ((v = json_object_get(ev, "dest_port")) &&
	    !ys_v_check_int(v, "dest_port", 0, 65535, err, errlen))
		return false;
	if (!ys_v_check_str(json_object_get(ev, "proto"), "proto", 1, 16, err, errlen))
		return false;
	if ((v = json_object_get(ev, "icmp_type")) &&
	    !ys_v_check_int(v, "icmp_type", 0, 255, err, errlen))
		return false;
	if ((v = json_object_get(ev, "icmp_code")) &&
	    !ys_v_check_int(v, "icmp_code", 0, 255, err, errlen))
		return false;
	if ((v = json_object_get(ev, "direction")) && !ys_v_enum(v, "direction", dirs, err, errlen))
		return false;
	if ((v = json_object_get(ev, "community_id"))) {
		if (!json_is_string(v))
			return ys_v_fail(err, errlen, "community_id: not a string");
		if (!ys_v_community_id(json_string_value(v)))
			return ys_v_fail(err, errlen, "community_id: not a Community ID v1");
	}
	if ((v = json_object_get(ev, "app_proto")) &&
	    !ys_v_check_str(v, "app_proto", 0, 32, err, errlen))
		return false;
	if (!ys_v_check_int(json_object_get(ev, "tenant_id"), "tenant_id", 0, YS_U32_MAX, err,
			    errlen) ||
	    !ys_v_check_str(json_object_get(ev, "tenant"), "tenant", 1, 128, err, errlen))
		return false;
	if (!ys_v_alert(json_object_get(ev, "alert"), err, errlen))
		return false;
	for (int i = 0; objs[i]; i++)
		if ((v = json_object_get(ev, objs[i])) && !json_is_object(v))
			return ys_v_fail(err, errlen, "%s: not an object", objs[i]);
	if ((v = json_object_get(ev, "payload"))) {
		if (!json_is_string(v))
			return ys_v_fail(err, errlen, "payload: not a string");
		if (!ys_v_base64(json_string_value(v)))
			return ys_v_fail(err, errlen, "payload: not base64");
	}
	if ((v = json_object_get(ev, "flow")) && !ys_v_flow(v, err, errlen))
		return false;
	v = json_object_get(ev, "event_id");
	if (!json_is_string(v))
		return ys_v_fail(err, errlen, "event_id: not a string");
	if (!ys_v_uuid7(json_string_value(v)))
		return ys_v_fail(err, errlen, "event_id: not a UUIDv7");
	if (!ys_v_sensor(json_object_get(ev, "sensor"), err, errlen))
		return false;
	if ((v = json_object_get(ev, "tunnel")) && !ys_v_tunnel(v, err, errlen))
		return false;
	return true;
}
