/*
 * Payload keywords of the rule parser: content and its modifiers (nocase,
 * offset, depth, distance, within, startswith, endswith, fast_pattern), the
 * legacy HTTP modifiers that move the last content to a buffer, pcre (with
 * Suricata's buffer flags), byte_test/byte_jump/byte_extract, isdataat,
 * bsize, urilen, the dotprefix transform and ssl_version/tls.version. Each
 * appends a match (struct tsm) to the current list; detect_rule_parse.c
 * groups them per buffer when the rule is complete.
 */
#include "detect_parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <netinet/in.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* ---- content ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode a content string with |hex| parts; S is the raw option value
 * (quotes included). Returns a malloc'd buffer. */
static int content_decode(struct pctx *pc, char *s, bool *neg, uint8_t **out, uint32_t *outlen)
{
	size_t n;
	uint8_t *buf;
	uint32_t o = 0;
	bool hex = false;
	int hi = -1;

	s = ys_kw_trim(s);
	*neg = false;
	if (*s == '!') {
		*neg = true;
		s = ys_kw_trim(s + 1);
	}
	n = strlen(s);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"' &&
	    !(n >= 3 && s[n - 2] == '\\' && s[n - 3] != '\\')) {
		s[n - 1] = 0;
		s++;
		n -= 2;
	} else if (s[0] == '"' || n == 0) {
		ys_kw_err(pc, "unbalanced quotes or empty value");
		return KW_BAD;
	}
	buf = malloc(n + 1);
	if (!buf) {
		ys_kw_err(pc, "out of memory");
		return KW_BAD;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '|') {
			if (hex && hi >= 0) {
				ys_kw_err(pc, "odd number of hex digits");
				goto bad;
			}
			hex = !hex;
			continue;
		}
		if (hex) {
			if (c == ' ' || c == '\t')
				continue;
			int v = hexval((unsigned char)c);
			if (v < 0) {
				ys_kw_err(pc, "invalid hex character '%c'", c);
				goto bad;
			}
			if (hi < 0) {
				hi = v;
			} else {
				buf[o++] = (uint8_t)(hi << 4 | v);
				hi = -1;
			}
			continue;
		}
		if (c == '\\') {
			if (i + 1 >= n) {
				ys_kw_err(pc, "trailing backslash");
				goto bad;
			}
			c = s[++i];
			if (c != '"' && c != ';' && c != '\\' && c != ':' && c != '|') {
				ys_kw_err(pc, "invalid escape '\\%c'", c);
				goto bad;
			}
		} else if (c == '"') {
			ys_kw_err(pc, "unescaped '\"' inside content");
			goto bad;
		}
		buf[o++] = (uint8_t)c;
	}
	if (hex) {
		ys_kw_err(pc, "unterminated hex block");
		goto bad;
	}
	if (o == 0) {
		ys_kw_err(pc, "empty content");
		goto bad;
	}
	*out = buf;
	*outlen = o;
	return KW_OK;
bad:
	free(buf);
	return KW_BAD;
}

struct tsm *ys_kw_sm_add(struct pctx *pc, uint8_t type, uint16_t list)
{
	if (pc->nsms >= YS_MAX_SMS) {
		ys_kw_err(pc, "too many content-like options (max %d)", YS_MAX_SMS);
		return NULL;
	}
	struct tsm *t = &pc->sms[pc->nsms++];
	memset(t, 0, sizeof(*t));
	t->sm.type = type;
	t->list = list;
	return t;
}

static int kw_content_common(struct pctx *pc, char *v, uint16_t list)
{
	struct tsm *t;
	uint8_t *pat;
	uint32_t len;
	bool neg;

	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	if (content_decode(pc, v, &neg, &pat, &len) != KW_OK)
		return KW_BAD;
	t = ys_kw_sm_add(pc, YS_SM_CONTENT, list);
	if (!t) {
		free(pat);
		return KW_BAD;
	}
	t->sm.u.c.pat = pat;
	t->sm.u.c.len = len;
	t->sm.u.c.offset.var = t->sm.u.c.depth.var = -1;
	t->sm.u.c.distance.var = t->sm.u.c.within.var = -1;
	if (neg)
		t->sm.flags |= YS_CF_NEGATED;
	pc->last_content = (int32_t)(pc->nsms - 1);
	pc->last_sm = pc->last_content;
	return KW_OK;
}

int ys_kw_content(struct pctx *pc, char *v)
{
	return kw_content_common(pc, v, pc->cur_list);
}

int ys_kw_uricontent(struct pctx *pc, char *v)
{
	return kw_content_common(pc, v, YS_BUF_HTTP_URI);
}

static struct tsm *last_content(struct pctx *pc)
{
	if (pc->last_content < 0) {
		ys_kw_err(pc, "no preceding content");
		return NULL;
	}
	return &pc->sms[pc->last_content];
}

int ys_kw_nocase(struct pctx *pc, char *v)
{
	struct tsm *t = last_content(pc);
	if (!t)
		return KW_BAD;
	t->sm.flags |= YS_CF_NOCASE;
	return KW_OK;
}

static int var_index(struct pctx *pc, const char *name)
{
	for (uint32_t i = 0; i < pc->nvars; i++)
		if (strcmp(pc->vars[i], name) == 0)
			return (int)i;
	return -1;
}

static int parse_val(struct pctx *pc, char *v, struct ys_val *out, bool allow_neg)
{
	int64_t x;

	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	v = ys_kw_trim(v);
	if (ys_kw_i64(v, &x) == 0) {
		if (!allow_neg && x < 0) {
			ys_kw_err(pc, "negative value %s", v);
			return KW_BAD;
		}
		out->v = x;
		out->var = -1;
		return KW_OK;
	}
	int i = var_index(pc, v);
	if (i < 0) {
		ys_kw_err(pc, "invalid value or unknown byte_extract variable \"%s\"", v);
		return KW_BAD;
	}
	out->v = 0;
	out->var = (int8_t)i;
	return KW_OK;
}

static int content_mod(struct pctx *pc, char *v, uint16_t flag)
{
	struct tsm *t = last_content(pc);
	struct ys_val *dst;

	if (!t)
		return KW_BAD;
	if (t->sm.flags & flag) {
		ys_kw_err(pc, "given twice for one content");
		return KW_BAD;
	}
	switch (flag) {
	case YS_CF_OFFSET:
		dst = &t->sm.u.c.offset;
		break;
	case YS_CF_DEPTH:
		dst = &t->sm.u.c.depth;
		break;
	case YS_CF_DISTANCE:
		dst = &t->sm.u.c.distance;
		break;
	default:
		dst = &t->sm.u.c.within;
		break;
	}
	if (parse_val(pc, v, dst, flag == YS_CF_DISTANCE) != KW_OK)
		return KW_BAD;
	if ((flag == YS_CF_DISTANCE || flag == YS_CF_WITHIN) &&
	    (t->sm.flags & (YS_CF_OFFSET | YS_CF_DEPTH | YS_CF_STARTSWITH))) {
		ys_kw_err(pc, "cannot mix relative and absolute modifiers on one content");
		return KW_BAD;
	}
	if ((flag == YS_CF_OFFSET || flag == YS_CF_DEPTH) &&
	    (t->sm.flags & (YS_CF_DISTANCE | YS_CF_WITHIN))) {
		ys_kw_err(pc, "cannot mix relative and absolute modifiers on one content");
		return KW_BAD;
	}
	if (flag == YS_CF_DEPTH && dst->var < 0 && dst->v < (int64_t)t->sm.u.c.len) {
		ys_kw_err(pc, "depth %lld is smaller than the content length %u", (long long)dst->v,
			  t->sm.u.c.len);
		return KW_BAD;
	}
	if (flag == YS_CF_WITHIN && dst->var < 0 && dst->v < (int64_t)t->sm.u.c.len) {
		ys_kw_err(pc, "within %lld is smaller than the content length %u",
			  (long long)dst->v, t->sm.u.c.len);
		return KW_BAD;
	}
	t->sm.flags |= flag;
	if (flag == YS_CF_DISTANCE || flag == YS_CF_WITHIN)
		t->relative = true;
	return KW_OK;
}

int ys_kw_offset(struct pctx *pc, char *v)
{
	return content_mod(pc, v, YS_CF_OFFSET);
}
int ys_kw_depth(struct pctx *pc, char *v)
{
	return content_mod(pc, v, YS_CF_DEPTH);
}
int ys_kw_distance(struct pctx *pc, char *v)
{
	return content_mod(pc, v, YS_CF_DISTANCE);
}
int ys_kw_within(struct pctx *pc, char *v)
{
	return content_mod(pc, v, YS_CF_WITHIN);
}

int ys_kw_startswith(struct pctx *pc, char *v)
{
	struct tsm *t = last_content(pc);
	if (!t)
		return KW_BAD;
	if (t->sm.flags & (YS_CF_OFFSET | YS_CF_DEPTH | YS_CF_DISTANCE | YS_CF_WITHIN)) {
		ys_kw_err(pc, "cannot be combined with offset/depth/distance/within");
		return KW_BAD;
	}
	t->sm.flags |= YS_CF_STARTSWITH;
	return KW_OK;
}

int ys_kw_endswith(struct pctx *pc, char *v)
{
	struct tsm *t = last_content(pc);
	if (!t)
		return KW_BAD;
	t->sm.flags |= YS_CF_ENDSWITH;
	return KW_OK;
}

int ys_kw_rawbytes(struct pctx *pc, char *v)
{
	return last_content(pc) ? KW_OK : KW_BAD;
}

int ys_kw_fast_pattern(struct pctx *pc, char *v)
{
	struct tsm *t = last_content(pc);
	if (!t)
		return KW_BAD;
	if (t->sm.flags & YS_CF_NEGATED) {
		/* Valid in Suricata; a negated pattern cannot select candidates,
		 * so the rule simply gets its fast pattern elsewhere (or none). */
		if (v && strcmp(ys_kw_trim(v), "only") == 0) {
			ys_kw_err(pc, "fast_pattern:only cannot be used on a negated content");
			return KW_BAD;
		}
		return KW_OK;
	}
	for (uint32_t i = 0; i < pc->nsms; i++)
		if (pc->sms[i].sm.type == YS_SM_CONTENT && (pc->sms[i].sm.flags & YS_CF_FAST) &&
		    &pc->sms[i] != t) {
			ys_kw_err(pc, "fast_pattern given on two contents");
			return KW_BAD;
		}
	t->sm.flags |= YS_CF_FAST;
	if (v) {
		v = ys_kw_trim(v);
		if (strcmp(v, "only") == 0) {
			t->sm.flags |= YS_CF_FAST_ONLY;
		} else {
			char *f[2];
			uint64_t a, b;
			if (ys_kw_split(v, f, 2) != 2 || ys_kw_u64(f[0], &a) < 0 ||
			    ys_kw_u64(f[1], &b) < 0 || b == 0 || a + b > t->sm.u.c.len) {
				ys_kw_err(pc, "invalid chop \"offset,length\"");
				return KW_BAD;
			}
			t->sm.flags |= YS_CF_FAST_CHOP;
			t->sm.u.c.chop_off = (uint16_t)a;
			t->sm.u.c.chop_len = (uint16_t)b;
		}
	}
	return KW_OK;
}

/* Legacy content modifiers (http_uri ...): move the last content to BUF. */
static int legacy_mod(struct pctx *pc, uint16_t buf)
{
	struct tsm *t = last_content(pc);
	if (!t)
		return KW_BAD;
	if (t->list != YS_BUF_PACKET) {
		ys_kw_err(pc, "content already belongs to buffer %s", ys_buf_name(t->list));
		return KW_BAD;
	}
	t->list = buf;
	return KW_OK;
}

#define LEGACY(fn, buf)                                                                            \
	int fn(struct pctx *pc, char *v)                                                           \
	{                                                                                          \
		return legacy_mod(pc, (buf));                                                      \
	}
LEGACY(ys_kw_http_uri, YS_BUF_HTTP_URI)
LEGACY(ys_kw_http_raw_uri, YS_BUF_HTTP_URI_RAW)
LEGACY(ys_kw_http_header, YS_BUF_HTTP_HEADER)
LEGACY(ys_kw_http_raw_header, YS_BUF_HTTP_HEADER_RAW)
LEGACY(ys_kw_http_method, YS_BUF_HTTP_METHOD)
LEGACY(ys_kw_http_client_body, YS_BUF_HTTP_REQUEST_BODY)
LEGACY(ys_kw_http_server_body, YS_BUF_FILE_DATA)
LEGACY(ys_kw_http_cookie, YS_BUF_HTTP_COOKIE)
LEGACY(ys_kw_http_user_agent, YS_BUF_HTTP_USER_AGENT)
LEGACY(ys_kw_http_host, YS_BUF_HTTP_HOST)
LEGACY(ys_kw_http_raw_host, YS_BUF_HTTP_HOST_RAW)
LEGACY(ys_kw_http_stat_code, YS_BUF_HTTP_STAT_CODE)
LEGACY(ys_kw_http_stat_msg, YS_BUF_HTTP_STAT_MSG)

/* ---- pcre ---- */

static const struct {
	char flag;
	uint16_t buf;
} pcre_buf_flags[] = {
	{ 'U', YS_BUF_HTTP_URI },	   { 'I', YS_BUF_HTTP_URI_RAW },
	{ 'H', YS_BUF_HTTP_HEADER },	   { 'D', YS_BUF_HTTP_HEADER_RAW },
	{ 'M', YS_BUF_HTTP_METHOD },	   { 'C', YS_BUF_HTTP_COOKIE },
	{ 'P', YS_BUF_HTTP_REQUEST_BODY }, { 'Q', YS_BUF_FILE_DATA },
	{ 'S', YS_BUF_HTTP_STAT_CODE },	   { 'Y', YS_BUF_HTTP_STAT_MSG },
	{ 'V', YS_BUF_HTTP_USER_AGENT },   { 'W', YS_BUF_HTTP_HOST },
	{ 'Z', YS_BUF_HTTP_HOST_RAW },
};

int ys_kw_pcre(struct pctx *pc, char *v)
{
	uint32_t opts = 0;
	bool neg = false, rel = false;
	uint16_t list = pc->cur_list;
	bool buf_flag = false;
	char *s, *end, *re;
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *code;
	struct tsm *t;
	size_t n;

	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	s = ys_kw_trim(v);
	if (*s == '!') {
		neg = true;
		s = ys_kw_trim(s + 1);
	}
	n = strlen(s);
	if (n < 2 || s[0] != '"' || s[n - 1] != '"') {
		ys_kw_err(pc, "value must be quoted");
		return KW_BAD;
	}
	s[n - 1] = 0;
	s++;
	if (*s == 'm' && s[1] == '/')
		s++;
	if (*s != '/') {
		ys_kw_err(pc, "expected /regex/flags");
		return KW_BAD;
	}
	end = strrchr(s, '/');
	if (end == s) {
		ys_kw_err(pc, "missing closing '/'");
		return KW_BAD;
	}
	*end = 0;
	re = s + 1;
	for (char *f = end + 1; *f; f++) {
		switch (*f) {
		case 'i':
			opts |= PCRE2_CASELESS;
			break;
		case 's':
			opts |= PCRE2_DOTALL;
			break;
		case 'm':
			opts |= PCRE2_MULTILINE;
			break;
		case 'x':
			opts |= PCRE2_EXTENDED;
			break;
		case 'A':
			opts |= PCRE2_ANCHORED;
			break;
		case 'E':
			opts |= PCRE2_DOLLAR_ENDONLY;
			break;
		case 'G':
			opts |= PCRE2_UNGREEDY;
			break;
		case 'R':
			rel = true;
			break;
		case 'O':
		case 'B':
			break;
		default: {
			bool found = false;
			for (size_t i = 0; i < sizeof(pcre_buf_flags) / sizeof(pcre_buf_flags[0]);
			     i++) {
				if (pcre_buf_flags[i].flag == *f) {
					if (buf_flag || (pc->cur_list != YS_BUF_PACKET &&
							 pc->cur_list != pcre_buf_flags[i].buf)) {
						ys_kw_err(pc,
							  "buffer flag '%c' conflicts with the "
							  "buffer already selected",
							  *f);
						return KW_BAD;
					}
					list = pcre_buf_flags[i].buf;
					buf_flag = true;
					found = true;
				}
			}
			if (!found) {
				ys_kw_err(pc, "unknown modifier '%c'", *f);
				return KW_BAD;
			}
		}
		}
	}
	code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, opts, &errcode, &erroff, NULL);
	if (!code) {
		PCRE2_UCHAR msg[128];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		ys_kw_err(pc, "regex error at %zu: %s", (size_t)erroff, (char *)msg);
		return KW_BAD;
	}
	/* JIT is an optimisation; without it PCRE2 interprets. */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	t = ys_kw_sm_add(pc, YS_SM_PCRE, list);
	if (!t) {
		pcre2_code_free(code);
		return KW_BAD;
	}
	t->sm.u.p.code = code;
	t->sm.u.p.relative = rel;
	t->sm.u.p.negated = neg;
	t->sm.u.p.start_anchor = (opts & PCRE2_ANCHORED) != 0;
	t->relative = rel;
	pc->last_sm = (int32_t)(pc->nsms - 1);
	return KW_OK;
}

/* ---- byte_* ---- */

static int byte_opts(struct pctx *pc, struct ys_sm *sm, char **f, int nf, int first)
{
	for (int i = first; i < nf; i++) {
		char *o = f[i];
		if (strcmp(o, "relative") == 0) {
			sm->flags |= YS_BF_RELATIVE;
		} else if (strcmp(o, "big") == 0) {
			sm->flags |= YS_BF_BIG;
		} else if (strcmp(o, "little") == 0) {
			sm->flags |= YS_BF_LITTLE;
		} else if (strcmp(o, "string") == 0) {
			sm->flags |= YS_BF_STRING;
			if (!sm->u.b.base)
				sm->u.b.base = 10;
		} else if (strcmp(o, "hex") == 0) {
			sm->u.b.base = 16;
		} else if (strcmp(o, "dec") == 0) {
			sm->u.b.base = 10;
		} else if (strcmp(o, "oct") == 0) {
			sm->u.b.base = 8;
		} else if (strcmp(o, "align") == 0) {
			sm->flags |= YS_BF_ALIGN;
		} else if (strcmp(o, "from_beginning") == 0) {
			sm->flags |= YS_BF_FROM_BEG;
		} else if (strcmp(o, "from_end") == 0) {
			sm->flags |= YS_BF_FROM_END;
		} else if (strcmp(o, "dce") == 0) {
			ys_kw_err(pc, "option 'dce' needs DCERPC inspection");
			return KW_UNSUPP;
		} else if (strncmp(o, "multiplier", 10) == 0) {
			int64_t m;
			if (ys_kw_i64(o + 10, &m) < 0 || m <= 0 || m > 65535) {
				ys_kw_err(pc, "invalid multiplier");
				return KW_BAD;
			}
			sm->u.b.multiplier = (int32_t)m;
		} else if (strncmp(o, "post_offset", 11) == 0) {
			int64_t m;
			if (ys_kw_i64(o + 11, &m) < 0 || m < -65535 || m > 65535) {
				ys_kw_err(pc, "invalid post_offset");
				return KW_BAD;
			}
			sm->u.b.post_offset = (int32_t)m;
		} else if (strncmp(o, "bitmask", 7) == 0) {
			uint64_t m;
			if (ys_kw_u64(o + 7, &m) < 0 || m == 0 || m > 0xffffffffu) {
				ys_kw_err(pc, "invalid bitmask");
				return KW_BAD;
			}
			sm->flags |= YS_BF_BITMASK;
			sm->u.b.bitmask = (uint32_t)m;
		} else {
			ys_kw_err(pc, "unknown option \"%s\"", o);
			return KW_BAD;
		}
	}
	if ((sm->flags & YS_BF_BIG) && (sm->flags & YS_BF_LITTLE)) {
		ys_kw_err(pc, "both big and little endian");
		return KW_BAD;
	}
	return KW_OK;
}

static int byte_nbytes(struct pctx *pc, const char *f, struct ys_sm *sm)
{
	uint64_t nb;
	/* 0 is accepted as Suricata does (ET uses it): extracts nothing, value 0 */
	if (ys_kw_u64(f, &nb) < 0 || nb > 10) {
		ys_kw_err(pc, "invalid number of bytes \"%s\"", f);
		return KW_BAD;
	}
	sm->u.b.nbytes = (uint8_t)nb;
	return KW_OK;
}

static int byte_finish(struct pctx *pc, struct ys_sm *sm)
{
	if (!(sm->flags & YS_BF_STRING) && sm->u.b.nbytes > 8) {
		ys_kw_err(pc, "more than 8 bytes needs 'string'");
		return KW_BAD;
	}
	return KW_OK;
}

int ys_kw_byte_test(struct pctx *pc, char *v)
{
	char *f[16];
	int nf, rc;
	struct tsm *t;
	char *op;

	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = ys_kw_split(v, f, 16);
	if (nf < 4) {
		ys_kw_err(pc, "needs nbytes, operator, value, offset");
		return KW_BAD;
	}
	t = ys_kw_sm_add(pc, YS_SM_BYTE_TEST, pc->cur_list);
	if (!t)
		return KW_BAD;
	if (byte_nbytes(pc, f[0], &t->sm) != KW_OK)
		return KW_BAD;
	op = f[1];
	if (*op == '!') {
		t->sm.flags |= YS_BF_NEGATE;
		op = ys_kw_trim(op + 1);
	}
	if (strcmp(op, "<") == 0 || strcmp(op, ">") == 0 || strcmp(op, "=") == 0 ||
	    strcmp(op, "&") == 0 || strcmp(op, "^") == 0) {
		t->sm.u.b.op = *op;
	} else if (strcmp(op, "<=") == 0) {
		t->sm.u.b.op = 'l';
	} else if (strcmp(op, ">=") == 0) {
		t->sm.u.b.op = 'g';
	} else if (strcmp(op, "") == 0 && (t->sm.flags & YS_BF_NEGATE)) {
		t->sm.u.b.op = '=';
	} else {
		ys_kw_err(pc, "invalid operator \"%s\"", f[1]);
		return KW_BAD;
	}
	if (parse_val(pc, f[2], &t->sm.u.b.value, false) != KW_OK ||
	    parse_val(pc, f[3], &t->sm.u.b.offset, true) != KW_OK)
		return KW_BAD;
	rc = byte_opts(pc, &t->sm, f, nf, 4);
	if (rc != KW_OK)
		return rc;
	t->relative = (t->sm.flags & YS_BF_RELATIVE) != 0;
	return byte_finish(pc, &t->sm);
}

int ys_kw_byte_jump(struct pctx *pc, char *v)
{
	char *f[16];
	int nf, rc;
	struct tsm *t;

	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = ys_kw_split(v, f, 16);
	if (nf < 2) {
		ys_kw_err(pc, "needs nbytes, offset");
		return KW_BAD;
	}
	t = ys_kw_sm_add(pc, YS_SM_BYTE_JUMP, pc->cur_list);
	if (!t)
		return KW_BAD;
	if (byte_nbytes(pc, f[0], &t->sm) != KW_OK ||
	    parse_val(pc, f[1], &t->sm.u.b.offset, true) != KW_OK)
		return KW_BAD;
	rc = byte_opts(pc, &t->sm, f, nf, 2);
	if (rc != KW_OK)
		return rc;
	t->relative = (t->sm.flags & YS_BF_RELATIVE) != 0;
	return byte_finish(pc, &t->sm);
}

int ys_kw_byte_extract(struct pctx *pc, char *v)
{
	char *f[16];
	int nf, rc;
	struct tsm *t;

	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = ys_kw_split(v, f, 16);
	if (nf < 3) {
		ys_kw_err(pc, "needs nbytes, offset, name");
		return KW_BAD;
	}
	if (pc->nvars >= YS_MAX_BYTE_VARS || strlen(f[2]) >= sizeof(pc->vars[0]) || !*f[2]) {
		ys_kw_err(pc, "too many variables or invalid name");
		return KW_BAD;
	}
	t = ys_kw_sm_add(pc, YS_SM_BYTE_EXTRACT, pc->cur_list);
	if (!t)
		return KW_BAD;
	if (byte_nbytes(pc, f[0], &t->sm) != KW_OK ||
	    parse_val(pc, f[1], &t->sm.u.b.offset, true) != KW_OK)
		return KW_BAD;
	/* "align N" is byte_extract's own form; normalise it to the flag. */
	for (int i = 3; i < nf; i++) {
		if (strncmp(f[i], "align", 5) == 0 && f[i][5]) {
			uint64_t a;
			if (ys_kw_u64(f[i] + 5, &a) < 0 || (a != 2 && a != 4)) {
				ys_kw_err(pc, "invalid align");
				return KW_BAD;
			}
			t->sm.u.b.post_offset = (int32_t)a; /* reused as the alignment */
			f[i][5] = 0;
		}
	}
	rc = byte_opts(pc, &t->sm, f, nf, 3);
	if (rc != KW_OK)
		return rc;
	snprintf(pc->vars[pc->nvars], sizeof(pc->vars[0]), "%s", f[2]);
	t->sm.u.b.var = (uint8_t)pc->nvars++;
	t->relative = (t->sm.flags & YS_BF_RELATIVE) != 0;
	return byte_finish(pc, &t->sm);
}

int ys_kw_isdataat(struct pctx *pc, char *v)
{
	char *f[3];
	int nf;
	struct tsm *t;

	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = ys_kw_split(v, f, 3);
	t = ys_kw_sm_add(pc, YS_SM_ISDATAAT, pc->cur_list);
	if (!t)
		return KW_BAD;
	if (*f[0] == '!') {
		t->sm.u.i.negated = true;
		f[0] = ys_kw_trim(f[0] + 1);
	}
	if (parse_val(pc, f[0], &t->sm.u.i.n, false) != KW_OK)
		return KW_BAD;
	for (int i = 1; i < nf; i++) {
		if (strcmp(f[i], "relative") == 0) {
			t->sm.u.i.relative = true;
		} else if (strcmp(f[i], "rawbytes") != 0) {
			ys_kw_err(pc, "unknown option \"%s\"", f[i]);
			return KW_BAD;
		}
	}
	t->relative = t->sm.u.i.relative;
	return KW_OK;
}

int ys_kw_bsize(struct pctx *pc, char *v)
{
	struct tsm *t;
	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	if (pc->cur_list == YS_BUF_PACKET) {
		ys_kw_err(pc, "needs a sticky buffer");
		return KW_BAD;
	}
	t = ys_kw_sm_add(pc, YS_SM_BSIZE, pc->cur_list);
	if (!t)
		return KW_BAD;
	if (ys_num_cmp_parse(v, &t->sm.u.bsize) < 0) {
		ys_kw_err(pc, "invalid size \"%s\"", v);
		return KW_BAD;
	}
	return KW_OK;
}

int ys_kw_urilen(struct pctx *pc, char *v)
{
	char *f[2];
	int nf;
	uint16_t list = YS_BUF_HTTP_URI;
	struct tsm *t;

	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = ys_kw_split(v, f, 2);
	if (nf == 2) {
		if (strcmp(f[1], "raw") == 0)
			list = YS_BUF_HTTP_URI_RAW;
		else if (strcmp(f[1], "norm") != 0) {
			ys_kw_err(pc, "unknown option \"%s\"", f[1]);
			return KW_BAD;
		}
	}
	t = ys_kw_sm_add(pc, YS_SM_BSIZE, list);
	if (!t)
		return KW_BAD;
	if (ys_num_cmp_parse(f[0], &t->sm.u.bsize) < 0) {
		ys_kw_err(pc, "invalid length \"%s\"", f[0]);
		return KW_BAD;
	}
	return KW_OK;
}

int ys_kw_dotprefix(struct pctx *pc, char *v)
{
	if (pc->cur_list < YS_BUF_HTTP_URI) {
		ys_kw_err(pc, "transform needs a sticky buffer");
		return KW_BAD;
	}
	/* Like Suricata, a transform applies to the whole buffer, also to the
	 * matches written before it. */
	pc->xform[pc->cur_list] |= YS_XFORM_DOTPREFIX;
	return KW_OK;
}

static int tls_version_bit(const char *v)
{
	static const struct {
		const char *n;
		uint8_t bit;
	} names[] = {
		{ "sslv2", YS_TLSV_SSL2 },   { "sslv3", YS_TLSV_SSL3 },
		{ "tls1.0", YS_TLSV_TLS10 }, { "tls1.1", YS_TLSV_TLS11 },
		{ "tls1.2", YS_TLSV_TLS12 }, { "tls1.3", YS_TLSV_TLS13 },
		{ "1.0", YS_TLSV_TLS10 },    { "1.1", YS_TLSV_TLS11 },
		{ "1.2", YS_TLSV_TLS12 },    { "1.3", YS_TLSV_TLS13 },
		{ "3.0", YS_TLSV_SSL3 },     { "0x0300", YS_TLSV_SSL3 },
		{ "0x0301", YS_TLSV_TLS10 }, { "0x0302", YS_TLSV_TLS11 },
		{ "0x0303", YS_TLSV_TLS12 }, { "0x0304", YS_TLSV_TLS13 },
		{ "0x0200", YS_TLSV_SSL2 },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(v, names[i].n) == 0)
			return names[i].bit;
	return -1;
}

/* ssl_version:[!]v[,[!]v...] and tls.version:v: the negotiated version, seen
 * in the tls.version buffer. As in Suricata, a version matches when listed,
 * inverted when its entry is negated. */
static int kw_tls_version_common(struct pctx *pc, char *v, bool list)
{
	char *f[8];
	int nf;
	struct tsm *t;

	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = list ? ys_kw_split(v, f, 8) : 1;
	if (!list)
		f[0] = ys_kw_trim(v);
	t = ys_kw_sm_add(pc, YS_SM_VERSION, YS_BUF_TLS_VERSION);
	if (!t)
		return KW_BAD;
	for (int i = 0; i < nf; i++) {
		char *n = f[i];
		bool neg = false;
		if (*n == '!') {
			neg = true;
			n = ys_kw_trim(n + 1);
		}
		int bit = tls_version_bit(n);
		if (bit < 0) {
			ys_kw_err(pc, "unknown version \"%s\"", n);
			return KW_BAD;
		}
		t->sm.u.ver.listed |= (uint8_t)bit;
		if (neg)
			t->sm.u.ver.negated |= (uint8_t)bit;
	}
	if (pc->s->app_proto == YS_APP_UNKNOWN)
		pc->s->app_proto = YS_APP_TLS;
	return KW_OK;
}

int ys_kw_ssl_version(struct pctx *pc, char *v)
{
	return kw_tls_version_common(pc, v, true);
}

int ys_kw_tls_version(struct pctx *pc, char *v)
{
	return kw_tls_version_common(pc, v, false);
}

int ys_kw_pkt_data(struct pctx *pc, char *v)
{
	pc->cur_list = YS_BUF_PACKET;
	return KW_OK;
}
