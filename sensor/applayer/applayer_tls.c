/*
 * TLS: the record layer is reassembled across packets per direction (a record
 * header may itself be split), handshake messages across records; the
 * ClientHello, ServerHello and the first certificate of the Certificate
 * message are parsed. Once a direction sends ChangeCipherSpec (or application
 * data) it is encrypted and no longer parsed.
 *
 * Fingerprints:
 *  - JA3  "version,ciphers,extensions,groups,point_formats" (decimal, '-'
 *    joined, GREASE values 0x?a?a excluded) and its MD5;
 *  - JA3S "version,cipher,extensions" and its MD5;
 *  - JA4 (FoxIO): t<ver><d|i><nciphers><nexts><alpn>_<sha256(sorted ciphers)[12]>_
 *    <sha256(sorted exts minus SNI/ALPN "_" sigalgs in order)[12]>.
 * Certificate fields follow Suricata's formatting: subject/issuer
 * "C=US, O=Org, CN=name", serial upper-case hex bytes joined by ':', SHA-1
 * fingerprint lower-case hex joined by ':'.
 *
 * One transaction per flow (tx id 0), as in Suricata. Handshake buffering is
 * bounded (YS_TLS_HS_MAX per direction); past it the direction stops.
 */
#include "applayer_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define YS_TLS_HS_MAX	 (64 * 1024)
#define YS_TLS_REC_MAX	 (16384 + 2048)
#define YS_TLS_MAX_LIST	 128
#define YS_TLS_MAX_SAN	 16 /* tls.subjectaltname buffers */
#define YS_TLS_MAX_CERTS 8  /* tls.certs buffers */

#define HAVE_CH	  (1u << 0)
#define HAVE_SH	  (1u << 1)
#define HAVE_CERT (1u << 2)

struct ys_tls_dir {
	uint8_t hdr[5];
	uint8_t hdr_len;
	uint8_t rec_type;
	uint32_t rec_left;
	bool encrypted;
	struct ys_dbuf hs;
};

/* What Suricata shows of the first certificate. Strings are malloc'd. */
struct cert_fields {
	char *subject, *issuer, *serial, *fingerprint;
	size_t subject_len, issuer_len; /* names may hold NUL bytes (tls-subject-zero) */
};

struct ys_tls_state {
	struct ys_tls_dir d[2];
	unsigned have;
	struct ys_tls_hello ch, sh;
	char version_txt[8];
	struct cert_fields cf; /* of the first certificate; empty while deferred */
	bool cert_deferred;    /* no rule needs them: parsed only for EVE, on demand */
	uint8_t random[2][32]; /* hello random per direction */
	bool have_random[2];
	struct ys_dbuf san; /* DNS names of the first certificate, NUL-separated */
	struct {
		uint32_t off, len;
	} san_at[YS_TLS_MAX_SAN], cert_at[YS_TLS_MAX_CERTS];
	uint8_t nsan, ncert;
	uint8_t *certs; /* copy of the Certificate message body */
};

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline bool is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/*
 * OpenSSL 3 looks an algorithm up by name on every EVP_md5()-style digest (a
 * locked table walk that costs more than hashing a ClientHello): fetch each one
 * once per process. The fetched objects are immutable and thread-safe.
 */
static EVP_MD *md_md5, *md_sha1, *md_sha256;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch(void)
{
	md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *md_get(int which)
{
	pthread_once(&md_once, md_fetch);
	switch (which) {
	case 0:
		return md_md5 ? md_md5 : EVP_md5();
	case 1:
		return md_sha1 ? md_sha1 : EVP_sha1();
	default:
		return md_sha256 ? md_sha256 : EVP_sha256();
	}
}

static void hex_digest(const EVP_MD *md, const void *d, size_t n, char *out, size_t outlen)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;

	out[0] = 0;
	if (!EVP_Digest(d, n, h, &hl, md, NULL))
		return;
	for (unsigned i = 0; i < hl && 2 * i + 2 < outlen; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* A bounded string builder. */
struct sb {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void sb_put(struct sb *b, const char *str)
{
	size_t n = strlen(str);

	if (b->len + n + 1 > b->cap) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->len, str, n + 1);
	b->len += n;
}

/* V in decimal, or as 4 lower-case hex digits when HEX4. */
static void sb_num(struct sb *b, unsigned v, bool hex4)
{
	char t[12];

	if (hex4)
		snprintf(t, sizeof(t), "%04x", v & 0xffff);
	else
		snprintf(t, sizeof(t), "%u", v);
	sb_put(b, t);
}

static void sb_list(struct sb *b, const uint16_t *v, unsigned n, bool hex4, const char *sep)
{
	for (unsigned i = 0; i < n; i++) {
		if (i)
			sb_put(b, sep);
		sb_num(b, v[i], hex4);
	}
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static const char *ja4_version(uint16_t v)
{
	switch (v) {
	case 0x0304:
		return "13";
	case 0x0303:
		return "12";
	case 0x0302:
		return "11";
	case 0x0301:
		return "10";
	case 0x0300:
		return "s3";
	case 0x0002:
		return "s2";
	case 0xfeff:
		return "d1";
	case 0xfefd:
		return "d2";
	case 0xfefc:
		return "d3";
	default:
		return "00";
	}
}

static bool alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* sha256 of a comma list of 4-digit hex values, first 12 hex chars; "000000000000" if empty. */
static void ja4_hash(const uint16_t *v, unsigned n, const uint16_t *v2, unsigned n2, char out[13])
{
	char buf[YS_TLS_MAX_LIST * 2 * 5 + 8], h[65];
	struct sb b = { buf, 0, sizeof(buf), false };

	if (n == 0) {
		memcpy(out, "000000000000", 13);
		return;
	}
	buf[0] = 0;
	sb_list(&b, v, n, true, ",");
	if (n2) {
		sb_put(&b, "_");
		sb_list(&b, v2, n2, true, ",");
	}
	hex_digest(md_get(2), buf, b.len, h, sizeof(h));
	memcpy(out, h, 12);
	out[12] = 0;
}

int ys_tls_client_hello(const uint8_t *b, uint32_t len, struct ys_tls_hello *out)
{
	uint16_t ciphers[YS_TLS_MAX_LIST], exts[YS_TLS_MAX_LIST], groups[YS_TLS_MAX_LIST];
	uint16_t pf[YS_TLS_MAX_LIST], sigs[YS_TLS_MAX_LIST], exts4[YS_TLS_MAX_LIST];
	unsigned nc = 0, ne = 0, ng = 0, npf = 0, ns = 0, ne4 = 0, ne_all = 0;
	uint16_t best_version = 0;
	uint8_t alpn_first = 0, alpn_last = 0;
	bool have_alpn = false, have_sni = false;
	uint32_t p = 0, l;
	struct sb s;
	char hb[13], hc[13];

	memset(out, 0, sizeof(*out));
	if (len < 2 + 32 + 1)
		return -EINVAL;
	out->legacy_version = rd16(b);
	p = 34;
	l = b[p];
	p += 1 + l; /* session id */
	if (p + 2 > len)
		return -EINVAL;
	l = rd16(b + p);
	p += 2;
	if (p + l > len || (l & 1))
		return -EINVAL;
	for (uint32_t i = 0; i < l; i += 2) {
		uint16_t c = rd16(b + p + i);

		if (!is_grease(c) && nc < YS_TLS_MAX_LIST)
			ciphers[nc++] = c;
	}
	p += l;
	if (p + 1 > len)
		return -EINVAL;
	p += 1 + b[p]; /* compression methods */
	if (p > len)
		return -EINVAL;
	if (p + 2 <= len) {
		uint32_t elen = rd16(b + p), end;

		p += 2;
		end = p + elen;
		if (end > len)
			return -EINVAL;
		while (p + 4 <= end) {
			uint16_t t = rd16(b + p), el = rd16(b + p + 2);
			const uint8_t *e = b + p + 4;

			if (p + 4 + el > end)
				return -EINVAL;
			p += 4 + el;
			if (is_grease(t))
				continue;
			ne_all++;
			if (ne < YS_TLS_MAX_LIST)
				exts[ne++] = t;
			if (t != 0x0000 && t != 0x0010 && ne4 < YS_TLS_MAX_LIST)
				exts4[ne4++] = t;
			switch (t) {
			case 0x0000: /* server_name: list len, type, name len, name */
				if (el >= 5 && e[2] == 0) {
					uint16_t nl = rd16(e + 3);

					if (5u + nl <= el && nl < sizeof(out->sni)) {
						memcpy(out->sni, e + 5, nl);
						out->sni[nl] = 0;
					}
				}
				have_sni = true;
				break;
			case 0x000a: /* supported_groups */
				if (el >= 2)
					for (uint32_t i = 2; i + 1 < el && 2u + rd16(e) >= i + 2;
					     i += 2) {
						uint16_t g = rd16(e + i);

						if (!is_grease(g) && ng < YS_TLS_MAX_LIST)
							groups[ng++] = g;
					}
				break;
			case 0x000b: /* ec_point_formats */
				if (el >= 1)
					for (uint32_t i = 1; i < el && i <= e[0]; i++)
						if (npf < YS_TLS_MAX_LIST)
							pf[npf++] = e[i];
				break;
			case 0x000d: /* signature_algorithms, kept in order */
				if (el >= 2)
					for (uint32_t i = 2; i + 1 < el && 2u + rd16(e) >= i + 2;
					     i += 2) {
						uint16_t sa = rd16(e + i);

						if (!is_grease(sa) && ns < YS_TLS_MAX_LIST)
							sigs[ns++] = sa;
					}
				break;
			case 0x0010: /* ALPN: first protocol */
				if (el >= 3 && e[2] >= 1 && 3u + e[2] <= el) {
					have_alpn = true;
					alpn_first = e[3];
					alpn_last = e[2 + e[2]];
					size_t al = e[2] < sizeof(out->alpn) - 1
							    ? e[2]
							    : sizeof(out->alpn) - 1;
					memcpy(out->alpn, e + 3, al);
					out->alpn[al] = 0;
				}
				break;
			case 0x002b: /* supported_versions: highest non-GREASE */
				if (el >= 1)
					for (uint32_t i = 1; i + 1 < el + 0u && i + 1 <= e[0];
					     i += 2) {
						uint16_t v = rd16(e + i);

						if (!is_grease(v) && v > best_version)
							best_version = v;
					}
				break;
			default:
				break;
			}
		}
	}

	/* JA3 */
	s = (struct sb){ out->ja3, 0, sizeof(out->ja3), false };
	out->ja3[0] = 0;
	sb_num(&s, out->legacy_version, false);
	sb_put(&s, ",");
	sb_list(&s, ciphers, nc, false, "-");
	sb_put(&s, ",");
	sb_list(&s, exts, ne, false, "-");
	sb_put(&s, ",");
	sb_list(&s, groups, ng, false, "-");
	sb_put(&s, ",");
	sb_list(&s, pf, npf, false, "-");
	hex_digest(md_get(0), out->ja3, s.len, out->ja3_md5, sizeof(out->ja3_md5));

	/* JA4 */
	if (!best_version)
		best_version = out->legacy_version;
	{
		char alpn[3] = "00";

		if (have_alpn) {
			if (alnum(alpn_first) && alnum(alpn_last)) {
				alpn[0] = (char)alpn_first;
				alpn[1] = (char)alpn_last;
			} else {
				char hx[3];

				snprintf(hx, sizeof(hx), "%02x", alpn_first);
				alpn[0] = hx[0];
				snprintf(hx, sizeof(hx), "%02x", alpn_last);
				alpn[1] = hx[1];
			}
		}
		qsort(ciphers, nc, sizeof(ciphers[0]), cmp_u16);
		qsort(exts4, ne4, sizeof(exts4[0]), cmp_u16);
		ja4_hash(ciphers, nc, NULL, 0, hb);
		ja4_hash(exts4, ne4, sigs, ns, hc);
		snprintf(out->ja4, sizeof(out->ja4), "t%s%c%02u%02u%s_%s_%s",
			 ja4_version(best_version), have_sni ? 'd' : 'i', nc > 99 ? 99 : nc,
			 ne_all > 99 ? 99 : ne_all, alpn, hb, hc);
	}
	return 0;
}

int ys_tls_server_hello(const uint8_t *b, uint32_t len, struct ys_tls_hello *out)
{
	uint16_t exts[YS_TLS_MAX_LIST];
	unsigned ne = 0;
	uint16_t cipher;
	uint32_t p;
	struct sb s;

	memset(out, 0, sizeof(*out));
	if (len < 2 + 32 + 1)
		return -EINVAL;
	out->legacy_version = rd16(b);
	p = 34;
	p += 1 + b[p];
	if (p + 3 > len)
		return -EINVAL;
	cipher = rd16(b + p);
	p += 3; /* cipher + compression */
	if (p + 2 <= len) {
		uint32_t end = p + 2 + rd16(b + p);

		p += 2;
		if (end > len)
			return -EINVAL;
		while (p + 4 <= end) {
			uint16_t t = rd16(b + p), el = rd16(b + p + 2);

			if (p + 4 + el > end)
				return -EINVAL;
			if (!is_grease(t) && ne < YS_TLS_MAX_LIST)
				exts[ne++] = t;
			if (t == 0x002b && el == 2)
				out->selected_version = rd16(b + p + 4);
			p += 4 + el;
		}
	}
	s = (struct sb){ out->ja3, 0, sizeof(out->ja3), false };
	out->ja3[0] = 0;
	sb_num(&s, out->legacy_version, false);
	sb_put(&s, ",");
	sb_num(&s, cipher, false);
	sb_put(&s, ",");
	sb_list(&s, exts, ne, false, "-");
	hex_digest(md_get(0), out->ja3, s.len, out->ja3_md5, sizeof(out->ja3_md5));
	return 0;
}

static char *hex_join(const uint8_t *d, size_t n, bool upper)
{
	char *s = malloc(n ? n * 3 : 1);

	if (!s)
		return NULL;
	s[0] = 0;
	for (size_t i = 0; i < n; i++)
		snprintf(s + 3 * i, 4, upper ? "%02X%s" : "%02x%s", d[i], i + 1 < n ? ":" : "");
	return s;
}

/* "C=US, O=Org, CN=name" with the bytes as they are (no escaping, as Suricata). */
static char *name_str(const X509_NAME *name, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *s = NULL, *p;
	long n;

	*len = 0;
	if (!bio)
		return NULL;
	if (X509_NAME_print_ex(bio, name, 0,
			       XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN | ASN1_STRFLGS_UTF8_CONVERT) >=
	    0) {
		n = BIO_get_mem_data(bio, &p);
		if (n >= 0 && (s = malloc((size_t)n + 1))) {
			memcpy(s, p, (size_t)n);
			s[n] = 0;
			*len = (size_t)n;
		}
	}
	BIO_free(bio);
	return s;
}

static void collect_sans(struct ys_tls_state *s, X509 *x)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int n = gens ? sk_GENERAL_NAME_num(gens) : 0;

	for (int i = 0; i < n && s->nsan < YS_TLS_MAX_SAN; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_IA5STRING *dns;
		int len;

		if (!g || g->type != GEN_DNS)
			continue;
		dns = g->d.dNSName;
		len = ASN1_STRING_length(dns);
		if (len <= 0 || len > 1024)
			continue;
		s->san_at[s->nsan].off = s->san.len;
		if (ys_dbuf_append(&s->san, ASN1_STRING_get0_data(dns), (size_t)len, 64 * 1024) !=
			    len ||
		    ys_dbuf_append(&s->san, "", 1, 64 * 1024) != 1)
			break;
		s->san_at[s->nsan].len = (uint32_t)len;
		s->nsan++;
	}
	GENERAL_NAMES_free(gens);
}

/* Remember where each certificate of the chain sits (tls.certs). */
static void index_certs(struct ys_tls_state *s, const uint8_t *b, uint32_t len)
{
	uint32_t p = 3, end;

	if (len < 3 || !(s->certs = malloc(len)))
		return;
	memcpy(s->certs, b, len);
	end = 3 + rd24(b);
	if (end > len)
		end = len;
	while (p + 3 <= end && s->ncert < YS_TLS_MAX_CERTS) {
		uint32_t cl = rd24(b + p);

		if (cl == 0 || p + 3 + cl > end)
			break;
		s->cert_at[s->ncert].off = p + 3;
		s->cert_at[s->ncert].len = cl;
		s->ncert++;
		p += 3 + cl;
	}
}

static void cert_fields_free(struct cert_fields *cf)
{
	free(cf->subject);
	free(cf->issuer);
	free(cf->serial);
	free(cf->fingerprint);
	memset(cf, 0, sizeof(*cf));
}

/* Parse one DER certificate into CF (and its DNS alt names into S, when given). */
static bool cert_fields_parse(const uint8_t *der0, uint32_t clen, struct cert_fields *cf,
			      struct ys_tls_state *s)
{
	const unsigned char *der = der0;
	const ASN1_INTEGER *sn;
	uint8_t fp[20];
	unsigned fpl = 0;
	X509 *x = d2i_X509(NULL, &der, clen);

	if (!x)
		return false;
	cf->subject = name_str(X509_get_subject_name(x), &cf->subject_len);
	cf->issuer = name_str(X509_get_issuer_name(x), &cf->issuer_len);
	if (s)
		collect_sans(s, x);
	sn = X509_get_serialNumber(x);
	if (sn) {
		/* Raw DER content: a positive serial with the top bit set gets its 00 back. */
		uint8_t raw[64];
		int n = ASN1_STRING_length(sn);
		const uint8_t *d = ASN1_STRING_get0_data(sn);
		size_t k = 0;

		if (n > 0 && n < (int)sizeof(raw) - 1) {
			if (d[0] & 0x80)
				raw[k++] = 0;
			memcpy(raw + k, d, (size_t)n);
			cf->serial = hex_join(raw, k + (size_t)n, true);
		}
	}
	if (EVP_Digest(der0, clen, fp, &fpl, md_get(1), NULL) && fpl == 20)
		cf->fingerprint = hex_join(fp, 20, false);
	X509_free(x);
	return true;
}

#define CERT_BUFS                                                                                  \
	((1ull << YS_BUF_TLS_CERT_SUBJECT) | (1ull << YS_BUF_TLS_CERT_ISSUER) |                    \
	 (1ull << YS_BUF_TLS_CERT_SERIAL) | (1ull << YS_BUF_TLS_CERT_FINGERPRINT) |                \
	 (1ull << YS_BUF_TLS_SUBJECTALTNAME))

/*
 * The Certificate message: keep the chain (tls.certs) and parse the first
 * certificate. d2i_X509 costs ~1.5 M instructions with OpenSSL 3 (it decodes
 * the public key too), so when no rule inspects a certificate field the parse
 * waits for an alert's EVE record, which may never come.
 */
static void parse_certificate(struct ys_applayer_ctx *ctx, struct ys_tls_state *s, const uint8_t *b,
			      uint32_t len)
{
	uint32_t clen;

	/* One chain per session is indexed and reported: the first. A second Certificate
	 * message (renegotiation, or a hostile stream) must not replace it half-way. */
	if (s->certs || (s->have & HAVE_CERT))
		return;
	if (len < 6 || rd24(b) + 3 > len)
		return;
	clen = rd24(b + 3);
	if (clen == 0 || 6 + clen > len)
		return;
	index_certs(s, b, len);
	if (!(ctx->needed & CERT_BUFS)) {
		s->cert_deferred = s->ncert > 0;
		s->have |= HAVE_CERT;
		return;
	}
	if (cert_fields_parse(b + 6, clen, &s->cf, s))
		s->have |= HAVE_CERT;
}

static const char *version_text(uint16_t v)
{
	switch (v) {
	case 0x0304:
		return "1.3";
	case 0x0303:
		return "1.2";
	case 0x0302:
		return "1.1";
	case 0x0301:
		return "1.0";
	case 0x0300:
		return "3.0";
	default:
		return NULL;
	}
}

static uint16_t negotiated(const struct ys_tls_state *s)
{
	return s->sh.selected_version ? s->sh.selected_version : s->sh.legacy_version;
}

static void add_str(struct ys_inspect *in, enum ys_buf_id id, const char *str, uint16_t fl)
{
	if (str && str[0])
		ys_inspect_add(in, id, (const uint8_t *)str, (uint32_t)strlen(str), fl, 0);
}

static void add_random(const struct ys_tls_state *s, int dir, struct ys_inspect *in)
{
	uint16_t fl = dir ? YS_BUF_F_TO_CLIENT : YS_BUF_F_TO_SERVER;

	if (!s->have_random[dir])
		return;
	ys_inspect_add(in, YS_BUF_TLS_RANDOM, s->random[dir], 32, fl, 0);
	ys_inspect_add(in, YS_BUF_TLS_RANDOM_TIME, s->random[dir], 4, fl, 0);
	ys_inspect_add(in, YS_BUF_TLS_RANDOM_BYTES, s->random[dir] + 4, 28, fl, 0);
}

static void add_buffers(const struct ys_tls_state *s, struct ys_inspect *in)
{
	add_random(s, 0, in);
	add_random(s, 1, in);
	if (s->have & HAVE_CH) {
		add_str(in, YS_BUF_TLS_SNI, s->ch.sni, YS_BUF_F_TO_SERVER);
		add_str(in, YS_BUF_JA3_HASH, s->ch.ja3_md5, YS_BUF_F_TO_SERVER);
		add_str(in, YS_BUF_JA3_STRING, s->ch.ja3, YS_BUF_F_TO_SERVER);
		add_str(in, YS_BUF_JA4_HASH, s->ch.ja4, YS_BUF_F_TO_SERVER);
	}
	if (s->have & HAVE_SH) {
		add_str(in, YS_BUF_JA3S_HASH, s->sh.ja3_md5, YS_BUF_F_TO_CLIENT);
		add_str(in, YS_BUF_JA3S_STRING, s->sh.ja3, YS_BUF_F_TO_CLIENT);
		add_str(in, YS_BUF_TLS_VERSION, s->version_txt, YS_BUF_F_TO_CLIENT);
	}
	if (s->have & HAVE_CERT) {
		if (s->cf.subject_len)
			ys_inspect_add(in, YS_BUF_TLS_CERT_SUBJECT, (const uint8_t *)s->cf.subject,
				       (uint32_t)s->cf.subject_len, YS_BUF_F_TO_CLIENT, 0);
		if (s->cf.issuer_len)
			ys_inspect_add(in, YS_BUF_TLS_CERT_ISSUER, (const uint8_t *)s->cf.issuer,
				       (uint32_t)s->cf.issuer_len, YS_BUF_F_TO_CLIENT, 0);
		for (unsigned i = 0; i < s->nsan; i++)
			ys_inspect_add(in, YS_BUF_TLS_SUBJECTALTNAME, s->san.p + s->san_at[i].off,
				       s->san_at[i].len, YS_BUF_F_TO_CLIENT, 0);
		for (unsigned i = 0; s->certs && i < s->ncert; i++)
			ys_inspect_add(in, YS_BUF_TLS_CERTS, s->certs + s->cert_at[i].off,
				       s->cert_at[i].len, YS_BUF_F_TO_CLIENT, 0);
		add_str(in, YS_BUF_TLS_CERT_SERIAL, s->cf.serial, YS_BUF_F_TO_CLIENT);
		add_str(in, YS_BUF_TLS_CERT_FINGERPRINT, s->cf.fingerprint, YS_BUF_F_TO_CLIENT);
	}
}

/* One complete handshake message; true when it made progress worth inspecting. */
static bool handshake_msg(struct ys_applayer_ctx *ctx, struct ys_tls_state *s, int dir,
			  uint8_t type, const uint8_t *b, uint32_t len)
{
	switch (type) {
	case 1:
		if (dir != 0 || (s->have & HAVE_CH))
			return false;
		if (len >= 34) {
			memcpy(s->random[0], b + 2, 32);
			s->have_random[0] = true;
		}
		if (ys_tls_client_hello(b, len, &s->ch) < 0) {
			ctx->st.tls_malformed++;
			return false;
		}
		s->have |= HAVE_CH;
		ctx->st.tls_handshakes++;
		return true;
	case 2:
		if (dir != 1 || (s->have & HAVE_SH))
			return false;
		if (len >= 34) {
			memcpy(s->random[1], b + 2, 32);
			s->have_random[1] = true;
		}
		if (ys_tls_server_hello(b, len, &s->sh) < 0) {
			ctx->st.tls_malformed++;
			return false;
		}
		s->have |= HAVE_SH;
		{
			const char *v = version_text(negotiated(s));

			snprintf(s->version_txt, sizeof(s->version_txt), "%s", v ? v : "");
		}
		return true;
	case 11:
		if (dir != 1 || (s->have & HAVE_CERT))
			return false;
		parse_certificate(ctx, s, b, len);
		return (s->have & HAVE_CERT) != 0;
	default:
		return false;
	}
}

/* Feed record-layer payload of type handshake; returns -1 to stop the direction. */
static int handshake_bytes(struct ys_applayer_ctx *ctx, struct ys_tls_state *s, int dir,
			   const uint8_t *d, uint32_t len, bool *progress)
{
	struct ys_tls_dir *td = &s->d[dir];
	const uint8_t *p;
	uint32_t avail;

	/* Fast path: whole messages inside this piece and nothing buffered. */
	if (td->hs.len == 0) {
		p = d;
		avail = len;
		while (avail >= 4 && 4 + rd24(p + 1) <= avail) {
			uint32_t ml = rd24(p + 1);

			*progress |= handshake_msg(ctx, s, dir, p[0], p + 4, ml);
			p += 4 + ml;
			avail -= 4 + ml;
		}
		if (avail == 0)
			return 0;
		d = p;
		len = avail;
	}
	if (ys_dbuf_append(&td->hs, d, len, YS_TLS_HS_MAX) != (int)len)
		return -1;
	p = td->hs.p;
	avail = td->hs.len;
	while (avail >= 4 && 4 + rd24(p + 1) <= avail) {
		uint32_t ml = rd24(p + 1);

		*progress |= handshake_msg(ctx, s, dir, p[0], p + 4, ml);
		p += 4 + ml;
		avail -= 4 + ml;
	}
	memmove(td->hs.p, p, avail);
	td->hs.len = avail;
	return 0;
}

static void *tls_new(struct ys_applayer_ctx *ctx, const struct ys_flow *f)
{
	return calloc(1, sizeof(struct ys_tls_state));
}

static void tls_free(void *st)
{
	struct ys_tls_state *s = st;

	if (!s)
		return;
	ys_dbuf_free(&s->d[0].hs);
	ys_dbuf_free(&s->d[1].hs);
	cert_fields_free(&s->cf);
	free(s->certs);
	ys_dbuf_free(&s->san);
	free(s);
}

static int tls_parse(struct ys_applayer_ctx *ctx, void *st, int dir, const uint8_t *d, uint32_t len,
		     uint32_t flags, uint64_t ts, struct ys_inspect *in)
{
	struct ys_tls_state *s = st;
	struct ys_tls_dir *td = &s->d[dir ? 1 : 0];
	bool progress = false;

	if (flags & YS_STREAM_GAP)
		td->encrypted = true; /* cannot resync a record stream after a hole */
	while (len > 0 && !td->encrypted) {
		if (td->rec_left == 0) {
			uint32_t take = 5 - td->hdr_len;

			if (take > len)
				take = len;
			memcpy(td->hdr + td->hdr_len, d, take);
			td->hdr_len = (uint8_t)(td->hdr_len + take);
			d += take;
			len -= take;
			if (td->hdr_len < 5)
				break;
			td->hdr_len = 0;
			td->rec_type = td->hdr[0];
			td->rec_left = rd16(td->hdr + 3);
			if (td->rec_type < 20 || td->rec_type > 24 || td->hdr[1] != 3 ||
			    td->rec_left > YS_TLS_REC_MAX) {
				ctx->st.tls_malformed++;
				td->encrypted = true; /* not TLS records (any more): stop */
				break;
			}
			if (td->rec_type == 20 || td->rec_type == 23)
				td->encrypted = true;
			continue;
		}
		{
			uint32_t take = len < td->rec_left ? len : td->rec_left;

			if (td->rec_type == 22 &&
			    handshake_bytes(ctx, s, dir, d, take, &progress) < 0)
				td->encrypted = true;
			d += take;
			len -= take;
			td->rec_left -= take;
		}
	}
	if (progress)
		add_buffers(s, in);
	return 0;
}

static int tls_eve(const void *st, uint64_t tx_id, json_t *obj)
{
	const struct ys_tls_state *s = st;
	struct cert_fields lazy = { 0 };
	const struct cert_fields *cf = &s->cf;
	json_t *t;
	const char *ver;

	if (!(s->have & (HAVE_CH | HAVE_SH)))
		return -ENOENT;
	t = json_object();
	if (!t)
		return -ENOMEM;
	if (s->cert_deferred && s->certs &&
	    cert_fields_parse(s->certs + s->cert_at[0].off, s->cert_at[0].len, &lazy, NULL))
		cf = &lazy;
	if (cf->subject)
		json_object_set_new(t, "subject", json_stringn(cf->subject, cf->subject_len));
	if (cf->issuer)
		json_object_set_new(t, "issuerdn", json_stringn(cf->issuer, cf->issuer_len));
	if (cf->serial)
		json_object_set_new(t, "serial", json_string(cf->serial));
	if (cf->fingerprint)
		json_object_set_new(t, "fingerprint", json_string(cf->fingerprint));
	cert_fields_free(&lazy);
	if (s->ch.sni[0])
		json_object_set_new(t, "sni", json_string(s->ch.sni));
	if (s->have & HAVE_SH) {
		switch (negotiated(s)) {
		case 0x0300:
			ver = "SSLv3";
			break;
		case 0x0301:
			ver = "TLSv1";
			break;
		case 0x0302:
			ver = "TLS 1.1";
			break;
		case 0x0303:
			ver = "TLS 1.2";
			break;
		case 0x0304:
			ver = "TLS 1.3";
			break;
		default:
			ver = "UNDETERMINED";
		}
		json_object_set_new(t, "version", json_string(ver));
		json_object_set_new(
			t, "ja3s",
			json_pack("{s:s, s:s}", "hash", s->sh.ja3_md5, "string", s->sh.ja3));
	}
	if (s->have & HAVE_CH) {
		json_object_set_new(
			t, "ja3",
			json_pack("{s:s, s:s}", "hash", s->ch.ja3_md5, "string", s->ch.ja3));
		json_object_set_new(t, "ja4", json_string(s->ch.ja4));
	}
	json_object_set_new(obj, "tls", t);
	return 0;
}

const struct ys_app_parser ys_app_tls_parser = {
	.proto = YS_APP_TLS,
	.state_new = tls_new,
	.state_free = tls_free,
	.parse = tls_parse,
	.eve = tls_eve,
};
