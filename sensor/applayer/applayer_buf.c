/*
 * Names for the inspection contract: application protocols as written in rule
 * headers and EVE app_proto, and inspection buffers as Suricata names its
 * sticky buffers. Tables are indexed by enum value; keep them in step.
 */
#include "applayer_buf.h"

#include <stddef.h>
#include <strings.h>

static const char *const app_names[YS_APP_COUNT] = {
	[YS_APP_UNKNOWN] = "unknown", [YS_APP_HTTP] = "http",	  [YS_APP_DNS] = "dns",
	[YS_APP_TLS] = "tls",	      [YS_APP_SSH] = "ssh",	  [YS_APP_SMTP] = "smtp",
	[YS_APP_FTP] = "ftp",	      [YS_APP_SMB] = "smb",	  [YS_APP_DCERPC] = "dcerpc",
	[YS_APP_DHCP] = "dhcp",	      [YS_APP_SNMP] = "snmp",	  [YS_APP_SIP] = "sip",
	[YS_APP_HTTP2] = "http2",     [YS_APP_KRB5] = "krb5",	  [YS_APP_NTP] = "ntp",
	[YS_APP_IMAP] = "imap",	      [YS_APP_POP3] = "pop3",	  [YS_APP_RDP] = "rdp",
	[YS_APP_NFS] = "nfs",	      [YS_APP_TFTP] = "tftp",	  [YS_APP_IKE] = "ike",
	[YS_APP_MQTT] = "mqtt",	      [YS_APP_MODBUS] = "modbus", [YS_APP_DNP3] = "dnp3",
	[YS_APP_ENIP] = "enip",	      [YS_APP_FAILED] = "failed",
};

const char *ys_app_proto_name(enum ys_app_proto p)
{
	if ((unsigned)p >= YS_APP_COUNT)
		return NULL;
	return app_names[p];
}

enum ys_app_proto ys_app_proto_parse(const char *name)
{
	static const struct {
		const char *alias;
		enum ys_app_proto p;
	} aliases[] = {
		{ "http1", YS_APP_HTTP }, { "ssl", YS_APP_TLS },       { "ftp-data", YS_APP_FTP },
		{ "smb2", YS_APP_SMB },	  { "dcerpc", YS_APP_DCERPC }, { "ikev2", YS_APP_IKE },
	};

	if (!name)
		return YS_APP_UNKNOWN;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcasecmp(name, aliases[i].alias) == 0)
			return aliases[i].p;
	/* "unknown" and "failed" are states, not protocols a rule can name. */
	for (int p = YS_APP_UNKNOWN + 1; p < YS_APP_FAILED; p++)
		if (strcasecmp(name, app_names[p]) == 0)
			return (enum ys_app_proto)p;
	return YS_APP_UNKNOWN;
}

static const char *const buf_names[YS_BUF_COUNT] = {
	[YS_BUF_PACKET] = "pkt_data",
	[YS_BUF_STREAM] = "stream",
	[YS_BUF_HTTP_URI] = "http.uri",
	[YS_BUF_HTTP_URI_RAW] = "http.uri.raw",
	[YS_BUF_HTTP_METHOD] = "http.method",
	[YS_BUF_HTTP_PROTOCOL] = "http.protocol",
	[YS_BUF_HTTP_REQUEST_LINE] = "http.request_line",
	[YS_BUF_HTTP_HOST] = "http.host",
	[YS_BUF_HTTP_HOST_RAW] = "http.host.raw",
	[YS_BUF_HTTP_HEADER] = "http.header",
	[YS_BUF_HTTP_HEADER_RAW] = "http.header.raw",
	[YS_BUF_HTTP_HEADER_NAMES] = "http.header_names",
	[YS_BUF_HTTP_USER_AGENT] = "http.user_agent",
	[YS_BUF_HTTP_COOKIE] = "http.cookie",
	[YS_BUF_HTTP_REFERER] = "http.referer",
	[YS_BUF_HTTP_CONTENT_TYPE] = "http.content_type",
	[YS_BUF_HTTP_CONTENT_LEN] = "http.content_len",
	[YS_BUF_HTTP_ACCEPT] = "http.accept",
	[YS_BUF_HTTP_ACCEPT_LANG] = "http.accept_lang",
	[YS_BUF_HTTP_ACCEPT_ENC] = "http.accept_enc",
	[YS_BUF_HTTP_CONNECTION] = "http.connection",
	[YS_BUF_HTTP_START] = "http.start",
	[YS_BUF_HTTP_REQUEST_BODY] = "http.request_body",
	[YS_BUF_HTTP_STAT_CODE] = "http.stat_code",
	[YS_BUF_HTTP_STAT_MSG] = "http.stat_msg",
	[YS_BUF_HTTP_RESPONSE_LINE] = "http.response_line",
	[YS_BUF_HTTP_SERVER] = "http.server",
	[YS_BUF_HTTP_LOCATION] = "http.location",
	[YS_BUF_FILE_DATA] = "file.data",
	[YS_BUF_DNS_QUERY] = "dns.query",
	[YS_BUF_TLS_SNI] = "tls.sni",
	[YS_BUF_TLS_CERT_SUBJECT] = "tls.cert_subject",
	[YS_BUF_TLS_CERT_ISSUER] = "tls.cert_issuer",
	[YS_BUF_TLS_CERT_SERIAL] = "tls.cert_serial",
	[YS_BUF_TLS_CERT_FINGERPRINT] = "tls.cert_fingerprint",
	[YS_BUF_TLS_VERSION] = "tls.version",
	[YS_BUF_JA3_HASH] = "ja3.hash",
	[YS_BUF_JA3_STRING] = "ja3.string",
	[YS_BUF_JA3S_HASH] = "ja3s.hash",
	[YS_BUF_JA3S_STRING] = "ja3s.string",
	[YS_BUF_JA4_HASH] = "ja4.hash",
	[YS_BUF_SSH_PROTO] = "ssh.proto",
	[YS_BUF_SSH_SOFTWARE] = "ssh.software",
	[YS_BUF_HTTP_REQUEST_HEADER] = "http.request_header",
	[YS_BUF_HTTP_RESPONSE_HEADER] = "http.response_header",
	[YS_BUF_DNS_RESPONSE_RRNAME] = "dns.response.rrname",
	[YS_BUF_TLS_RANDOM] = "tls.random",
	[YS_BUF_TLS_RANDOM_TIME] = "tls.random_time",
	[YS_BUF_TLS_RANDOM_BYTES] = "tls.random_bytes",
	[YS_BUF_TLS_SUBJECTALTNAME] = "tls.subjectaltname",
	[YS_BUF_TLS_CERTS] = "tls.certs",
};

/* The contract promises detection a 64-bit buffer mask. */
_Static_assert(YS_BUF_COUNT <= 64, "detection keeps buffers in a 64-bit mask");

const char *ys_buf_name(enum ys_buf_id id)
{
	if ((unsigned)id >= YS_BUF_COUNT)
		return NULL;
	return buf_names[id];
}
