/*
 * The inspection contract between the stages that produce data (decode,
 * stream, applayer) and detection: for each packet, the set of buffers that
 * rules may inspect. The packet payload is always buffer YS_BUF_PACKET; the
 * stream stage adds YS_BUF_STREAM (reassembled in-order bytes); the
 * application-layer parsers add sticky buffers (http.uri, dns.query,
 * tls.sni ...) for the transaction that progressed with this packet.
 *
 * Buffers only point into memory owned by the producer; they stay valid until
 * the next packet of the same worker. Detection never writes through them.
 *
 * Threading: a struct ys_inspect belongs to one worker and is refilled for
 * each of its packets; the name tables below are constant and shared.
 */
#ifndef YS_APPLAYER_BUF_H
#define YS_APPLAYER_BUF_H

#include <stdint.h>

/* Application protocols, as written in rule headers and EVE app_proto. */
enum ys_app_proto {
	YS_APP_UNKNOWN = 0,
	YS_APP_HTTP,
	YS_APP_DNS,
	YS_APP_TLS,
	YS_APP_SSH,
	YS_APP_SMTP,
	YS_APP_FTP,
	YS_APP_SMB,
	YS_APP_DCERPC,
	YS_APP_DHCP,
	YS_APP_SNMP,
	YS_APP_SIP,
	YS_APP_HTTP2,
	YS_APP_KRB5,
	YS_APP_NTP,
	YS_APP_IMAP,
	YS_APP_POP3,
	YS_APP_RDP,
	YS_APP_NFS,
	YS_APP_TFTP,
	YS_APP_IKE,
	YS_APP_MQTT,
	YS_APP_MODBUS,
	YS_APP_DNP3,
	YS_APP_ENIP,
	YS_APP_FAILED, /* detection ran and gave up: "failed" in EVE */
	YS_APP_COUNT
};

/* "http", "dns", "tls" ...; NULL for an out-of-range value. */
const char *ys_app_proto_name(enum ys_app_proto p);
/* Name as written in a rule header or app-layer-protocol:; YS_APP_UNKNOWN if not known.
 * Accepts aliases: "http1" -> HTTP, "ssl" -> TLS. */
enum ys_app_proto ys_app_proto_parse(const char *name);

/* Inspection buffers. Keep ys_buf_name() in step (Suricata sticky-buffer names). */
enum ys_buf_id {
	YS_BUF_PACKET = 0,	   /* L4 payload of this packet */
	YS_BUF_STREAM,		   /* reassembled stream bytes in this direction */
	YS_BUF_HTTP_URI,	   /* http.uri: normalised */
	YS_BUF_HTTP_URI_RAW,	   /* http.uri.raw */
	YS_BUF_HTTP_METHOD,	   /* http.method */
	YS_BUF_HTTP_PROTOCOL,	   /* http.protocol */
	YS_BUF_HTTP_REQUEST_LINE,  /* http.request_line */
	YS_BUF_HTTP_HOST,	   /* http.host: normalised (lower case, no port) */
	YS_BUF_HTTP_HOST_RAW,	   /* http.host.raw */
	YS_BUF_HTTP_HEADER,	   /* http.header: normalised "Name: value\r\n" lines, no cookie */
	YS_BUF_HTTP_HEADER_RAW,	   /* http.header.raw */
	YS_BUF_HTTP_HEADER_NAMES,  /* http.header_names */
	YS_BUF_HTTP_USER_AGENT,	   /* http.user_agent */
	YS_BUF_HTTP_COOKIE,	   /* http.cookie */
	YS_BUF_HTTP_REFERER,	   /* http.referer */
	YS_BUF_HTTP_CONTENT_TYPE,  /* http.content_type */
	YS_BUF_HTTP_CONTENT_LEN,   /* http.content_len */
	YS_BUF_HTTP_ACCEPT,	   /* http.accept */
	YS_BUF_HTTP_ACCEPT_LANG,   /* http.accept_lang */
	YS_BUF_HTTP_ACCEPT_ENC,	   /* http.accept_enc */
	YS_BUF_HTTP_CONNECTION,	   /* http.connection */
	YS_BUF_HTTP_START,	   /* http.start: request/response line + headers */
	YS_BUF_HTTP_REQUEST_BODY,  /* http.request_body / http_client_body */
	YS_BUF_HTTP_STAT_CODE,	   /* http.stat_code */
	YS_BUF_HTTP_STAT_MSG,	   /* http.stat_msg */
	YS_BUF_HTTP_RESPONSE_LINE, /* http.response_line */
	YS_BUF_HTTP_SERVER,	   /* http.server */
	YS_BUF_HTTP_LOCATION,	   /* http.location */
	YS_BUF_FILE_DATA,	 /* file.data: dechunked, decompressed response (or request) body */
	YS_BUF_DNS_QUERY,	 /* dns.query: one query name, dotted */
	YS_BUF_TLS_SNI,		 /* tls.sni */
	YS_BUF_TLS_CERT_SUBJECT, /* tls.cert_subject */
	YS_BUF_TLS_CERT_ISSUER,	 /* tls.cert_issuer */
	YS_BUF_TLS_CERT_SERIAL,	 /* tls.cert_serial */
	YS_BUF_TLS_CERT_FINGERPRINT, /* tls.cert_fingerprint */
	YS_BUF_TLS_VERSION,	     /* tls.version as text, e.g. "1.2" (for tls.version keyword) */
	YS_BUF_JA3_HASH,	     /* ja3.hash */
	YS_BUF_JA3_STRING,	     /* ja3.string */
	YS_BUF_JA3S_HASH,	     /* ja3s.hash */
	YS_BUF_JA3S_STRING,	     /* ja3s.string */
	YS_BUF_JA4_HASH,	     /* ja4.hash */
	YS_BUF_SSH_PROTO,	     /* ssh.proto */
	YS_BUF_SSH_SOFTWARE,	     /* ssh.software */
	/* Added after the first contract (values above are stable). One buffer per
	 * instance where marked "each": detection sees several with the same id. */
	YS_BUF_HTTP_REQUEST_HEADER,  /* http.request_header: each "Name: value" */
	YS_BUF_HTTP_RESPONSE_HEADER, /* http.response_header: each "Name: value" */
	YS_BUF_DNS_RESPONSE_RRNAME,  /* dns.response.rrname: each name of a response */
	YS_BUF_TLS_RANDOM,	     /* tls.random: 32 bytes of the hello of that direction */
	YS_BUF_TLS_RANDOM_TIME,	     /* tls.random_time: its first 4 bytes */
	YS_BUF_TLS_RANDOM_BYTES,     /* tls.random_bytes: its last 28 bytes */
	YS_BUF_TLS_SUBJECTALTNAME,   /* tls.subjectaltname: each DNS name of the first cert */
	YS_BUF_TLS_CERTS,	     /* tls.certs: each certificate (DER) of the chain */
	/* Detection keeps a 64-bit mask of buffers per rule: stay at or below 64. */
	YS_BUF_COUNT
};

const char *ys_buf_name(enum ys_buf_id id);

struct ys_buf {
	const uint8_t *data;
	uint32_t len;
	uint16_t id;	/* enum ys_buf_id */
	uint16_t flags; /* YS_BUF_F_* */
	uint64_t tx_id; /* transaction the buffer belongs to (app-layer buffers) */
	/* YS_BUF_STREAM only: leading bytes already inspected with an earlier packet
	 * (context for patterns split across segments); a match that ends within
	 * them was reported before. 0 for every other buffer. See stream.h. */
	uint32_t prefix_len;
};

#define YS_BUF_F_TO_SERVER (1u << 0)
#define YS_BUF_F_TO_CLIENT (1u << 1)
#define YS_BUF_F_COMPLETE  (1u << 2) /* last piece of this buffer for this tx (bodies) */

#define YS_INSPECT_MAX_BUFS 96

/* Everything detection may look at for one packet. Filled per packet by the worker. */
struct ys_inspect {
	struct ys_buf bufs[YS_INSPECT_MAX_BUFS];
	uint32_t nbufs;
	uint16_t app_proto; /* enum ys_app_proto of the flow, YS_APP_UNKNOWN if none yet */
	/* Application-layer record for EVE (http{} / dns{} / tls{}); owned by applayer. */
	const void *app_flow;
};

static inline void ys_inspect_reset(struct ys_inspect *in)
{
	in->nbufs = 0;
	in->app_proto = YS_APP_UNKNOWN;
	in->app_flow = 0;
}

/* Append a buffer; silently ignored (and returns -1) when full or empty. */
static inline int ys_inspect_add(struct ys_inspect *in, enum ys_buf_id id, const uint8_t *data,
				 uint32_t len, uint16_t flags, uint64_t tx_id)
{
	if (in->nbufs >= YS_INSPECT_MAX_BUFS || data == 0)
		return -1;
	in->bufs[in->nbufs].data = data;
	in->bufs[in->nbufs].len = len;
	in->bufs[in->nbufs].id = (uint16_t)id;
	in->bufs[in->nbufs].flags = flags;
	in->bufs[in->nbufs].tx_id = tx_id;
	in->bufs[in->nbufs].prefix_len = 0;
	in->nbufs++;
	return 0;
}

#endif /* YS_APPLAYER_BUF_H */
