/*
 * Names used by rules: application protocols of rule headers and
 * app-layer-protocol:, and the names of inspection buffers. Detection keeps
 * its own copy (ys_detect_* names) so that the module links and is tested
 * before, and independently of, the applayer module's ys_app_proto_parse().
 */
#include "detect_int.h"

#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	enum ys_app_proto proto;
} app_names[] = {
	{ "http", YS_APP_HTTP }, { "http1", YS_APP_HTTP },    { "dns", YS_APP_DNS },
	{ "tls", YS_APP_TLS },	 { "ssl", YS_APP_TLS },	      { "ssh", YS_APP_SSH },
	{ "smtp", YS_APP_SMTP }, { "ftp", YS_APP_FTP },	      { "ftp-data", YS_APP_FTP },
	{ "smb", YS_APP_SMB },	 { "dcerpc", YS_APP_DCERPC }, { "dhcp", YS_APP_DHCP },
	{ "snmp", YS_APP_SNMP }, { "sip", YS_APP_SIP },	      { "http2", YS_APP_HTTP2 },
	{ "krb5", YS_APP_KRB5 }, { "ntp", YS_APP_NTP },	      { "imap", YS_APP_IMAP },
	{ "pop3", YS_APP_POP3 }, { "rdp", YS_APP_RDP },	      { "nfs", YS_APP_NFS },
	{ "tftp", YS_APP_TFTP }, { "ike", YS_APP_IKE },	      { "ikev2", YS_APP_IKE },
	{ "mqtt", YS_APP_MQTT }, { "modbus", YS_APP_MODBUS }, { "dnp3", YS_APP_DNP3 },
	{ "enip", YS_APP_ENIP }, { "failed", YS_APP_FAILED },
};

enum ys_app_proto ys_detect_app_proto_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(app_names) / sizeof(app_names[0]); i++)
		if (strcasecmp(name, app_names[i].name) == 0)
			return app_names[i].proto;
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

/* Rules keep the buffers they need as bits of a uint64_t. */
_Static_assert(YS_BUF_COUNT <= 64, "ys_sig.buf_mask holds one bit per buffer");

const char *ys_detect_buf_name(enum ys_buf_id id)
{
	if ((unsigned)id >= YS_BUF_COUNT)
		return NULL;
	return buf_names[id];
}
