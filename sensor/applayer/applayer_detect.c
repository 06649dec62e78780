/*
 * Protocol detection by content: the first bytes of a direction are matched
 * against what each protocol must start with. Ports only break ties where the
 * content alone is weak (DNS has no magic: port 53 or a strict parse).
 */
#include "applayer_int.h"

#include <ctype.h>

static const char *const http_methods[] = {
	"GET",	     "POST",	    "HEAD",	  "PUT",       "DELETE",   "OPTIONS", "CONNECT",
	"TRACE",     "PATCH",	    "PROPFIND",	  "PROPPATCH", "MKCOL",	   "COPY",    "MOVE",
	"LOCK",	     "UNLOCK",	    "SEARCH",	  "REPORT",    "CHECKOUT", "MERGE",   "NOTIFY",
	"SUBSCRIBE", "UNSUBSCRIBE", "MKACTIVITY", "UPDATE",
};

/* Does D start with "<method> " (MATCH), or could a longer D (NEED)? */
static bool http_request_start(const uint8_t *d, uint32_t len, bool *need)
{
	for (size_t i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++) {
		size_t ml = strlen(http_methods[i]);
		size_t cmp = len < ml ? len : ml;

		if (memcmp(d, http_methods[i], cmp) != 0)
			continue;
		if (len <= ml) {
			*need = true;
			continue;
		}
		if (d[ml] == ' ' || d[ml] == '\t')
			return true;
	}
	return false;
}

static bool prefix_match(const uint8_t *d, uint32_t len, const char *s, bool *need)
{
	size_t sl = strlen(s);

	if (len < sl) {
		if (memcmp(d, s, len) == 0)
			*need = true;
		return false;
	}
	return memcmp(d, s, sl) == 0;
}

/* Case-insensitive search for WORD in the first line of D. */
static bool line_has(const uint8_t *d, uint32_t len, const char *word)
{
	size_t wl = strlen(word);

	for (uint32_t i = 0; i + wl <= len && d[i] != '\n'; i++) {
		size_t j = 0;

		while (j < wl && tolower(d[i + j]) == word[j])
			j++;
		if (j == wl)
			return true;
	}
	return false;
}

static bool tls_start(const uint8_t *d, uint32_t len, bool *need)
{
	if (len < 6) {
		/* Only plausible prefixes ask for more. */
		if (d[0] == 0x16 && (len < 2 || d[1] == 0x03))
			*need = true;
		return false;
	}
	if (d[0] == 0x16 && d[1] == 0x03 && d[2] <= 0x04 && (d[5] == 1 || d[5] == 2))
		return true;
	/* SSLv2-framed ClientHello offering SSLv3/TLS. */
	return (d[0] & 0x80) && d[2] == 0x01 && d[3] == 0x03 && d[4] <= 0x03;
}

bool ys_app_detect_dns(const uint8_t *d, uint32_t len, bool strict)
{
	struct ys_dns_msg m; /* ~1.3 KiB on the stack: no allocation per probe */
	uint16_t qd, flags;

	if (len < 12)
		return false;
	flags = (uint16_t)(d[2] << 8 | d[3]);
	qd = (uint16_t)(d[4] << 8 | d[5]);
	if (qd == 0 || qd > YS_DNS_MAX_Q || ((flags >> 11) & 0xf) > 6)
		return false;
	if (strict && (qd != 1 || (flags & 0x0040))) /* one question, Z bit clear */
		return false;
	return ys_dns_parse(d, len, &m) == 0 && m.nq >= 1;
}

enum ys_app_proto ys_app_detect_tcp(const uint8_t *d, uint32_t len, int dir, uint16_t sport,
				    uint16_t dport, bool *need_more)
{
	bool need = false;

	*need_more = false;
	if (len == 0) {
		*need_more = true;
		return YS_APP_UNKNOWN;
	}
	if (http_request_start(d, len, &need))
		return YS_APP_HTTP;
	if (prefix_match(d, len, "HTTP/1.", &need))
		return YS_APP_HTTP;
	if (tls_start(d, len, &need))
		return YS_APP_TLS;
	if (prefix_match(d, len, "SSH-", &need))
		return YS_APP_SSH;
	if (dir == 0) {
		if (prefix_match(d, len, "EHLO ", &need) || prefix_match(d, len, "HELO ", &need))
			return YS_APP_SMTP;
	} else if (len >= 4 && d[0] == '2' && d[1] == '2' && d[2] == '0' &&
		   (d[3] == ' ' || d[3] == '-')) {
		if (line_has(d, len, "smtp"))
			return YS_APP_SMTP;
		if (line_has(d, len, "ftp"))
			return YS_APP_FTP;
		if (memchr(d, '\n', len) == NULL)
			need = true;
	} else if (len < 4 && memcmp(d, "220", len < 3 ? len : 3) == 0) {
		need = true;
	}
	/* DNS over TCP: two-byte length, then a message. */
	if (sport == 53 || dport == 53) {
		if (len < 14) {
			need = true;
		} else {
			uint32_t ml = (uint32_t)(d[0] << 8 | d[1]);

			uint16_t qd = (uint16_t)(d[6] << 8 | d[7]);
			uint16_t op = (uint16_t)((d[4] >> 3) & 0xf);

			/* On port 53 a plausible header is enough: the message may be split. */
			if (ml >= 12 && qd >= 1 && qd <= YS_DNS_MAX_Q && op <= 6)
				return YS_APP_DNS;
		}
	}
	*need_more = need;
	return YS_APP_UNKNOWN;
}
