/*
 * The rule parser: Suricata 7 syntax into a struct ys_sig.
 *
 *   action proto src sport dir dst dport (opt; opt:value; ...)
 *
 * Options are split on ';' not escaped by '\' (quotes do not protect ';', as
 * in Suricata). Each option is dispatched through the keyword table below; a
 * keyword we do not implement fails the rule with "keyword 'x': not
 * supported", anything malformed with the reason and keyword, and the header
 * with "syntax" and the position.
 *
 * Content-like matches (content, pcre, byte_*, isdataat, bsize) are first
 * collected in rule order with the buffer ("list") they apply to: the current
 * sticky buffer, or the packet payload, moved to a buffer by a legacy modifier
 * such as http_uri. At the end they are grouped per buffer (order kept) and
 * the relative links between neighbours are resolved, which is what the
 * matcher's backtracking needs.
 */
#include "detect_int.h"

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

struct tsm {
	struct ys_sm sm;
	uint16_t list;
	bool relative; /* wants the previous match of its list as anchor */
};

struct pctx {
	struct ys_detect_engine *eng;
	struct ys_sig *s;
	struct tsm sms[YS_MAX_SMS];
	uint32_t nsms;
	int32_t last_content; /* index into sms of the last content, -1 none */
	int32_t last_sm;      /* last content or pcre (for modifiers of either) */
	uint16_t cur_list;
	uint16_t xform[YS_BUF_COUNT]; /* transforms per buffer */
	uint16_t dirs[YS_BUF_COUNT];  /* direction restriction per buffer */
	struct ys_pm pms[32];
	uint32_t npms;
	struct ys_fb fbs[16];
	uint32_t nfbs;
	struct ys_fi fis[16];
	uint32_t nfis;
	char vars[YS_MAX_BYTE_VARS][32];
	uint32_t nvars;
	bool has_classtype_prio, has_priority;
	bool thr_set;
	char *err;
	size_t errlen;
};

enum kw_rc {
	KW_OK = 0,
	KW_BAD = -1,	/* invalid value */
	KW_UNSUPP = -2, /* valid Suricata, not implemented here */
};

static void set_err(struct pctx *pc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(struct pctx *pc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pc->err, pc->errlen, fmt, ap);
	va_end(ap);
}

/* ---- small string helpers ---- */

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

/* Remove surrounding quotes and Suricata escapes (\" \; \\ \:) in place. */
static int unquote(char *s, char **out)
{
	size_t n = strlen(s);
	char *w;

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = 0;
		s++;
	} else if (s[0] == '"') {
		return -EINVAL;
	}
	w = s;
	for (char *r = s; *r; r++) {
		if (*r == '\\' && r[1]) {
			r++;
		}
		*w++ = *r;
	}
	*w = 0;
	*out = s;
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '-' || *s == 0)
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	while (isspace((unsigned char)*s))
		s++;
	errno = 0;
	long long v = strtoll(s, &end, 0);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || *end || end == s)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Split S at top-level commas into at most MAX trimmed fields. */
static int split_commas(char *s, char **f, int max)
{
	int n = 0;
	char *p = s;
	while (n < max) {
		char *c = strchr(p, ',');
		if (c)
			*c = 0;
		f[n++] = trim(p);
		if (!c)
			break;
		p = c + 1;
	}
	return n;
}

/* ---- numeric comparisons ---- */

bool ys_num_cmp_match(const struct ys_num_cmp *c, uint64_t v)
{
	switch (c->op) {
	case YS_CMP_EQ:
		return v == c->a;
	case YS_CMP_NE:
		return v != c->a;
	case YS_CMP_LT:
		return v < c->a;
	case YS_CMP_GT:
		return v > c->a;
	case YS_CMP_LE:
		return v <= c->a;
	case YS_CMP_GE:
		return v >= c->a;
	case YS_CMP_RANGE:
		return v > c->a && v < c->b;
	}
	return false;
}

int ys_num_cmp_parse(const char *in, struct ys_num_cmp *out)
{
	char buf[64];
	char *s, *p;

	if (strlen(in) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, in, strlen(in) + 1);
	s = trim(buf);
	memset(out, 0, sizeof(*out));
	if ((p = strstr(s, "<>")) != NULL) {
		*p = 0;
		if (parse_u64(s, &out->a) < 0 || parse_u64(p + 2, &out->b) < 0 || out->a >= out->b)
			return -EINVAL;
		out->op = YS_CMP_RANGE;
		return 0;
	}
	if (s[0] == '<' && s[1] == '=') {
		out->op = YS_CMP_LE;
		s += 2;
	} else if (s[0] == '>' && s[1] == '=') {
		out->op = YS_CMP_GE;
		s += 2;
	} else if (s[0] == '<') {
		out->op = YS_CMP_LT;
		s++;
	} else if (s[0] == '>') {
		out->op = YS_CMP_GT;
		s++;
	} else if (s[0] == '!' && s[1] == '=') {
		out->op = YS_CMP_NE;
		s += 2;
	} else if (s[0] == '!') {
		out->op = YS_CMP_NE;
		s++;
	} else if (s[0] == '=') {
		s++;
	}
	if (out->op == YS_CMP_EQ && (p = strchr(s, '-')) != NULL && p != s) {
		/* "a-b": inclusive range in Suricata's newer uint syntax */
		*p = 0;
		if (parse_u64(s, &out->a) < 0 || parse_u64(p + 1, &out->b) < 0 || out->a > out->b)
			return -EINVAL;
		if (out->a == 0)
			return -EINVAL;
		out->a -= 1;
		out->b += 1;
		out->op = YS_CMP_RANGE;
		return 0;
	}
	return parse_u64(s, &out->a);
}

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

	s = trim(s);
	*neg = false;
	if (*s == '!') {
		*neg = true;
		s = trim(s + 1);
	}
	n = strlen(s);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"' &&
	    !(n >= 3 && s[n - 2] == '\\' && s[n - 3] != '\\')) {
		s[n - 1] = 0;
		s++;
		n -= 2;
	} else if (s[0] == '"' || n == 0) {
		set_err(pc, "unbalanced quotes or empty value");
		return KW_BAD;
	}
	buf = malloc(n + 1);
	if (!buf) {
		set_err(pc, "out of memory");
		return KW_BAD;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '|') {
			if (hex && hi >= 0) {
				set_err(pc, "odd number of hex digits");
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
				set_err(pc, "invalid hex character '%c'", c);
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
				set_err(pc, "trailing backslash");
				goto bad;
			}
			c = s[++i];
			if (c != '"' && c != ';' && c != '\\' && c != ':' && c != '|') {
				set_err(pc, "invalid escape '\\%c'", c);
				goto bad;
			}
		} else if (c == '"') {
			set_err(pc, "unescaped '\"' inside content");
			goto bad;
		}
		buf[o++] = (uint8_t)c;
	}
	if (hex) {
		set_err(pc, "unterminated hex block");
		goto bad;
	}
	if (o == 0) {
		set_err(pc, "empty content");
		goto bad;
	}
	*out = buf;
	*outlen = o;
	return KW_OK;
bad:
	free(buf);
	return KW_BAD;
}

static struct tsm *sm_add(struct pctx *pc, uint8_t type, uint16_t list)
{
	if (pc->nsms >= YS_MAX_SMS) {
		set_err(pc, "too many content-like options (max %d)", YS_MAX_SMS);
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
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	if (content_decode(pc, v, &neg, &pat, &len) != KW_OK)
		return KW_BAD;
	t = sm_add(pc, YS_SM_CONTENT, list);
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

static int kw_content(struct pctx *pc, char *v)
{
	return kw_content_common(pc, v, pc->cur_list);
}

static int kw_uricontent(struct pctx *pc, char *v)
{
	return kw_content_common(pc, v, YS_BUF_HTTP_URI);
}

static struct tsm *last_content(struct pctx *pc)
{
	if (pc->last_content < 0) {
		set_err(pc, "no preceding content");
		return NULL;
	}
	return &pc->sms[pc->last_content];
}

static int kw_nocase(struct pctx *pc, char *v)
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
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	v = trim(v);
	if (parse_i64(v, &x) == 0) {
		if (!allow_neg && x < 0) {
			set_err(pc, "negative value %s", v);
			return KW_BAD;
		}
		out->v = x;
		out->var = -1;
		return KW_OK;
	}
	int i = var_index(pc, v);
	if (i < 0) {
		set_err(pc, "invalid value or unknown byte_extract variable \"%s\"", v);
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
		set_err(pc, "given twice for one content");
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
		set_err(pc, "cannot mix relative and absolute modifiers on one content");
		return KW_BAD;
	}
	if ((flag == YS_CF_OFFSET || flag == YS_CF_DEPTH) &&
	    (t->sm.flags & (YS_CF_DISTANCE | YS_CF_WITHIN))) {
		set_err(pc, "cannot mix relative and absolute modifiers on one content");
		return KW_BAD;
	}
	if (flag == YS_CF_DEPTH && dst->var < 0 && dst->v < (int64_t)t->sm.u.c.len) {
		set_err(pc, "depth %lld is smaller than the content length %u", (long long)dst->v,
			t->sm.u.c.len);
		return KW_BAD;
	}
	if (flag == YS_CF_WITHIN && dst->var < 0 && dst->v < (int64_t)t->sm.u.c.len) {
		set_err(pc, "within %lld is smaller than the content length %u", (long long)dst->v,
			t->sm.u.c.len);
		return KW_BAD;
	}
	t->sm.flags |= flag;
	if (flag == YS_CF_DISTANCE || flag == YS_CF_WITHIN)
		t->relative = true;
	return KW_OK;
}

static int kw_offset(struct pctx *pc, char *v)
{
	return content_mod(pc, v, YS_CF_OFFSET);
}
static int kw_depth(struct pctx *pc, char *v)
{
	return content_mod(pc, v, YS_CF_DEPTH);
}
static int kw_distance(struct pctx *pc, char *v)
{
	return content_mod(pc, v, YS_CF_DISTANCE);
}
static int kw_within(struct pctx *pc, char *v)
{
	return content_mod(pc, v, YS_CF_WITHIN);
}

static int kw_startswith(struct pctx *pc, char *v)
{
	struct tsm *t = last_content(pc);
	if (!t)
		return KW_BAD;
	if (t->sm.flags & (YS_CF_OFFSET | YS_CF_DEPTH | YS_CF_DISTANCE | YS_CF_WITHIN)) {
		set_err(pc, "cannot be combined with offset/depth/distance/within");
		return KW_BAD;
	}
	t->sm.flags |= YS_CF_STARTSWITH;
	return KW_OK;
}

static int kw_endswith(struct pctx *pc, char *v)
{
	struct tsm *t = last_content(pc);
	if (!t)
		return KW_BAD;
	t->sm.flags |= YS_CF_ENDSWITH;
	return KW_OK;
}

static int kw_rawbytes(struct pctx *pc, char *v)
{
	return last_content(pc) ? KW_OK : KW_BAD;
}

static int kw_fast_pattern(struct pctx *pc, char *v)
{
	struct tsm *t = last_content(pc);
	if (!t)
		return KW_BAD;
	if (t->sm.flags & YS_CF_NEGATED) {
		/* Valid in Suricata; a negated pattern cannot select candidates,
		 * so the rule simply gets its fast pattern elsewhere (or none). */
		if (v && strcmp(trim(v), "only") == 0) {
			set_err(pc, "fast_pattern:only cannot be used on a negated content");
			return KW_BAD;
		}
		return KW_OK;
	}
	for (uint32_t i = 0; i < pc->nsms; i++)
		if (pc->sms[i].sm.type == YS_SM_CONTENT && (pc->sms[i].sm.flags & YS_CF_FAST) &&
		    &pc->sms[i] != t) {
			set_err(pc, "fast_pattern given on two contents");
			return KW_BAD;
		}
	t->sm.flags |= YS_CF_FAST;
	if (v) {
		v = trim(v);
		if (strcmp(v, "only") == 0) {
			t->sm.flags |= YS_CF_FAST_ONLY;
		} else {
			char *f[2];
			uint64_t a, b;
			if (split_commas(v, f, 2) != 2 || parse_u64(f[0], &a) < 0 ||
			    parse_u64(f[1], &b) < 0 || b == 0 || a + b > t->sm.u.c.len) {
				set_err(pc, "invalid chop \"offset,length\"");
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
		set_err(pc, "content already belongs to buffer %s", ys_detect_buf_name(t->list));
		return KW_BAD;
	}
	t->list = buf;
	return KW_OK;
}

#define LEGACY(fn, buf)                                                                            \
	static int fn(struct pctx *pc, char *v)                                                    \
	{                                                                                          \
		return legacy_mod(pc, (buf));                                                      \
	}
LEGACY(kw_http_uri, YS_BUF_HTTP_URI)
LEGACY(kw_http_raw_uri, YS_BUF_HTTP_URI_RAW)
LEGACY(kw_http_header, YS_BUF_HTTP_HEADER)
LEGACY(kw_http_raw_header, YS_BUF_HTTP_HEADER_RAW)
LEGACY(kw_http_method, YS_BUF_HTTP_METHOD)
LEGACY(kw_http_client_body, YS_BUF_HTTP_REQUEST_BODY)
LEGACY(kw_http_server_body, YS_BUF_FILE_DATA)
LEGACY(kw_http_cookie, YS_BUF_HTTP_COOKIE)
LEGACY(kw_http_user_agent, YS_BUF_HTTP_USER_AGENT)
LEGACY(kw_http_host, YS_BUF_HTTP_HOST)
LEGACY(kw_http_raw_host, YS_BUF_HTTP_HOST_RAW)
LEGACY(kw_http_stat_code, YS_BUF_HTTP_STAT_CODE)
LEGACY(kw_http_stat_msg, YS_BUF_HTTP_STAT_MSG)

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

static int kw_pcre(struct pctx *pc, char *v)
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
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	s = trim(v);
	if (*s == '!') {
		neg = true;
		s = trim(s + 1);
	}
	n = strlen(s);
	if (n < 2 || s[0] != '"' || s[n - 1] != '"') {
		set_err(pc, "value must be quoted");
		return KW_BAD;
	}
	s[n - 1] = 0;
	s++;
	if (*s == 'm' && s[1] == '/')
		s++;
	if (*s != '/') {
		set_err(pc, "expected /regex/flags");
		return KW_BAD;
	}
	end = strrchr(s, '/');
	if (end == s) {
		set_err(pc, "missing closing '/'");
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
						set_err(pc,
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
				set_err(pc, "unknown modifier '%c'", *f);
				return KW_BAD;
			}
		}
		}
	}
	code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, opts, &errcode, &erroff, NULL);
	if (!code) {
		PCRE2_UCHAR msg[128];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		set_err(pc, "regex error at %zu: %s", (size_t)erroff, (char *)msg);
		return KW_BAD;
	}
	/* JIT is an optimisation; without it PCRE2 interprets. */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	t = sm_add(pc, YS_SM_PCRE, list);
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
			set_err(pc, "option 'dce' needs DCERPC inspection");
			return KW_UNSUPP;
		} else if (strncmp(o, "multiplier", 10) == 0) {
			int64_t m;
			if (parse_i64(o + 10, &m) < 0 || m <= 0 || m > 65535) {
				set_err(pc, "invalid multiplier");
				return KW_BAD;
			}
			sm->u.b.multiplier = (int32_t)m;
		} else if (strncmp(o, "post_offset", 11) == 0) {
			int64_t m;
			if (parse_i64(o + 11, &m) < 0 || m < -65535 || m > 65535) {
				set_err(pc, "invalid post_offset");
				return KW_BAD;
			}
			sm->u.b.post_offset = (int32_t)m;
		} else if (strncmp(o, "bitmask", 7) == 0) {
			uint64_t m;
			if (parse_u64(o + 7, &m) < 0 || m == 0 || m > 0xffffffffu) {
				set_err(pc, "invalid bitmask");
				return KW_BAD;
			}
			sm->flags |= YS_BF_BITMASK;
			sm->u.b.bitmask = (uint32_t)m;
		} else {
			set_err(pc, "unknown option \"%s\"", o);
			return KW_BAD;
		}
	}
	if ((sm->flags & YS_BF_BIG) && (sm->flags & YS_BF_LITTLE)) {
		set_err(pc, "both big and little endian");
		return KW_BAD;
	}
	return KW_OK;
}

static int byte_nbytes(struct pctx *pc, const char *f, struct ys_sm *sm)
{
	uint64_t nb;
	/* 0 is accepted as Suricata does (ET uses it): extracts nothing, value 0 */
	if (parse_u64(f, &nb) < 0 || nb > 10) {
		set_err(pc, "invalid number of bytes \"%s\"", f);
		return KW_BAD;
	}
	sm->u.b.nbytes = (uint8_t)nb;
	return KW_OK;
}

static int byte_finish(struct pctx *pc, struct ys_sm *sm)
{
	if (!(sm->flags & YS_BF_STRING) && sm->u.b.nbytes > 8) {
		set_err(pc, "more than 8 bytes needs 'string'");
		return KW_BAD;
	}
	return KW_OK;
}

static int kw_byte_test(struct pctx *pc, char *v)
{
	char *f[16];
	int nf, rc;
	struct tsm *t;
	char *op;

	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = split_commas(v, f, 16);
	if (nf < 4) {
		set_err(pc, "needs nbytes, operator, value, offset");
		return KW_BAD;
	}
	t = sm_add(pc, YS_SM_BYTE_TEST, pc->cur_list);
	if (!t)
		return KW_BAD;
	if (byte_nbytes(pc, f[0], &t->sm) != KW_OK)
		return KW_BAD;
	op = f[1];
	if (*op == '!') {
		t->sm.flags |= YS_BF_NEGATE;
		op = trim(op + 1);
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
		set_err(pc, "invalid operator \"%s\"", f[1]);
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

static int kw_byte_jump(struct pctx *pc, char *v)
{
	char *f[16];
	int nf, rc;
	struct tsm *t;

	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = split_commas(v, f, 16);
	if (nf < 2) {
		set_err(pc, "needs nbytes, offset");
		return KW_BAD;
	}
	t = sm_add(pc, YS_SM_BYTE_JUMP, pc->cur_list);
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

static int kw_byte_extract(struct pctx *pc, char *v)
{
	char *f[16];
	int nf, rc;
	struct tsm *t;

	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = split_commas(v, f, 16);
	if (nf < 3) {
		set_err(pc, "needs nbytes, offset, name");
		return KW_BAD;
	}
	if (pc->nvars >= YS_MAX_BYTE_VARS || strlen(f[2]) >= sizeof(pc->vars[0]) || !*f[2]) {
		set_err(pc, "too many variables or invalid name");
		return KW_BAD;
	}
	t = sm_add(pc, YS_SM_BYTE_EXTRACT, pc->cur_list);
	if (!t)
		return KW_BAD;
	if (byte_nbytes(pc, f[0], &t->sm) != KW_OK ||
	    parse_val(pc, f[1], &t->sm.u.b.offset, true) != KW_OK)
		return KW_BAD;
	/* "align N" is byte_extract's own form; normalise it to the flag. */
	for (int i = 3; i < nf; i++) {
		if (strncmp(f[i], "align", 5) == 0 && f[i][5]) {
			uint64_t a;
			if (parse_u64(f[i] + 5, &a) < 0 || (a != 2 && a != 4)) {
				set_err(pc, "invalid align");
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

static int kw_isdataat(struct pctx *pc, char *v)
{
	char *f[3];
	int nf;
	struct tsm *t;

	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = split_commas(v, f, 3);
	t = sm_add(pc, YS_SM_ISDATAAT, pc->cur_list);
	if (!t)
		return KW_BAD;
	if (*f[0] == '!') {
		t->sm.u.i.negated = true;
		f[0] = trim(f[0] + 1);
	}
	if (parse_val(pc, f[0], &t->sm.u.i.n, false) != KW_OK)
		return KW_BAD;
	for (int i = 1; i < nf; i++) {
		if (strcmp(f[i], "relative") == 0) {
			t->sm.u.i.relative = true;
		} else if (strcmp(f[i], "rawbytes") != 0) {
			set_err(pc, "unknown option \"%s\"", f[i]);
			return KW_BAD;
		}
	}
	t->relative = t->sm.u.i.relative;
	return KW_OK;
}

static int kw_bsize(struct pctx *pc, char *v)
{
	struct tsm *t;
	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	if (pc->cur_list == YS_BUF_PACKET) {
		set_err(pc, "needs a sticky buffer");
		return KW_BAD;
	}
	t = sm_add(pc, YS_SM_BSIZE, pc->cur_list);
	if (!t)
		return KW_BAD;
	if (ys_num_cmp_parse(v, &t->sm.u.bsize) < 0) {
		set_err(pc, "invalid size \"%s\"", v);
		return KW_BAD;
	}
	return KW_OK;
}

static int kw_urilen(struct pctx *pc, char *v)
{
	char *f[2];
	int nf;
	uint16_t list = YS_BUF_HTTP_URI;
	struct tsm *t;

	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = split_commas(v, f, 2);
	if (nf == 2) {
		if (strcmp(f[1], "raw") == 0)
			list = YS_BUF_HTTP_URI_RAW;
		else if (strcmp(f[1], "norm") != 0) {
			set_err(pc, "unknown option \"%s\"", f[1]);
			return KW_BAD;
		}
	}
	t = sm_add(pc, YS_SM_BSIZE, list);
	if (!t)
		return KW_BAD;
	if (ys_num_cmp_parse(f[0], &t->sm.u.bsize) < 0) {
		set_err(pc, "invalid length \"%s\"", f[0]);
		return KW_BAD;
	}
	return KW_OK;
}

/* ---- sticky buffers ---- */

static const struct {
	const char *name;
	uint16_t buf;
	enum ys_app_proto proto;
} sticky[] = {
	{ "pkt_data", YS_BUF_PACKET, YS_APP_UNKNOWN },
	{ "http.uri", YS_BUF_HTTP_URI, YS_APP_HTTP },
	{ "http.uri.raw", YS_BUF_HTTP_URI_RAW, YS_APP_HTTP },
	{ "http.method", YS_BUF_HTTP_METHOD, YS_APP_HTTP },
	{ "http.protocol", YS_BUF_HTTP_PROTOCOL, YS_APP_HTTP },
	{ "http_protocol", YS_BUF_HTTP_PROTOCOL, YS_APP_HTTP },
	{ "http.request_line", YS_BUF_HTTP_REQUEST_LINE, YS_APP_HTTP },
	{ "http_request_line", YS_BUF_HTTP_REQUEST_LINE, YS_APP_HTTP },
	{ "http.host", YS_BUF_HTTP_HOST, YS_APP_HTTP },
	{ "http.host.raw", YS_BUF_HTTP_HOST_RAW, YS_APP_HTTP },
	{ "http.header", YS_BUF_HTTP_HEADER, YS_APP_HTTP },
	{ "http.header.raw", YS_BUF_HTTP_HEADER_RAW, YS_APP_HTTP },
	{ "http.request_header", YS_BUF_HTTP_HEADER, YS_APP_HTTP },
	{ "http.response_header", YS_BUF_HTTP_HEADER, YS_APP_HTTP },
	{ "http.header_names", YS_BUF_HTTP_HEADER_NAMES, YS_APP_HTTP },
	{ "http_header_names", YS_BUF_HTTP_HEADER_NAMES, YS_APP_HTTP },
	{ "http.user_agent", YS_BUF_HTTP_USER_AGENT, YS_APP_HTTP },
	{ "http.cookie", YS_BUF_HTTP_COOKIE, YS_APP_HTTP },
	{ "http.referer", YS_BUF_HTTP_REFERER, YS_APP_HTTP },
	{ "http_referer", YS_BUF_HTTP_REFERER, YS_APP_HTTP },
	{ "http.content_type", YS_BUF_HTTP_CONTENT_TYPE, YS_APP_HTTP },
	{ "http_content_type", YS_BUF_HTTP_CONTENT_TYPE, YS_APP_HTTP },
	{ "http.content_len", YS_BUF_HTTP_CONTENT_LEN, YS_APP_HTTP },
	{ "http_content_len", YS_BUF_HTTP_CONTENT_LEN, YS_APP_HTTP },
	{ "http.accept", YS_BUF_HTTP_ACCEPT, YS_APP_HTTP },
	{ "http_accept", YS_BUF_HTTP_ACCEPT, YS_APP_HTTP },
	{ "http.accept_lang", YS_BUF_HTTP_ACCEPT_LANG, YS_APP_HTTP },
	{ "http_accept_lang", YS_BUF_HTTP_ACCEPT_LANG, YS_APP_HTTP },
	{ "http.accept_enc", YS_BUF_HTTP_ACCEPT_ENC, YS_APP_HTTP },
	{ "http_accept_enc", YS_BUF_HTTP_ACCEPT_ENC, YS_APP_HTTP },
	{ "http.connection", YS_BUF_HTTP_CONNECTION, YS_APP_HTTP },
	{ "http_connection", YS_BUF_HTTP_CONNECTION, YS_APP_HTTP },
	{ "http.start", YS_BUF_HTTP_START, YS_APP_HTTP },
	{ "http_start", YS_BUF_HTTP_START, YS_APP_HTTP },
	{ "http.request_body", YS_BUF_HTTP_REQUEST_BODY, YS_APP_HTTP },
	{ "http.response_body", YS_BUF_FILE_DATA, YS_APP_HTTP },
	{ "http.stat_code", YS_BUF_HTTP_STAT_CODE, YS_APP_HTTP },
	{ "http.stat_msg", YS_BUF_HTTP_STAT_MSG, YS_APP_HTTP },
	{ "http.response_line", YS_BUF_HTTP_RESPONSE_LINE, YS_APP_HTTP },
	{ "http_response_line", YS_BUF_HTTP_RESPONSE_LINE, YS_APP_HTTP },
	{ "http.server", YS_BUF_HTTP_SERVER, YS_APP_HTTP },
	{ "http_server", YS_BUF_HTTP_SERVER, YS_APP_HTTP },
	{ "http.location", YS_BUF_HTTP_LOCATION, YS_APP_HTTP },
	{ "http_location", YS_BUF_HTTP_LOCATION, YS_APP_HTTP },
	{ "file.data", YS_BUF_FILE_DATA, YS_APP_UNKNOWN },
	{ "file_data", YS_BUF_FILE_DATA, YS_APP_UNKNOWN },
	{ "dns.query", YS_BUF_DNS_QUERY, YS_APP_DNS },
	{ "dns_query", YS_BUF_DNS_QUERY, YS_APP_DNS },
	{ "tls.sni", YS_BUF_TLS_SNI, YS_APP_TLS },
	{ "tls_sni", YS_BUF_TLS_SNI, YS_APP_TLS },
	{ "tls.cert_subject", YS_BUF_TLS_CERT_SUBJECT, YS_APP_TLS },
	{ "tls_cert_subject", YS_BUF_TLS_CERT_SUBJECT, YS_APP_TLS },
	{ "tls.cert_issuer", YS_BUF_TLS_CERT_ISSUER, YS_APP_TLS },
	{ "tls_cert_issuer", YS_BUF_TLS_CERT_ISSUER, YS_APP_TLS },
	{ "tls.cert_serial", YS_BUF_TLS_CERT_SERIAL, YS_APP_TLS },
	{ "tls_cert_serial", YS_BUF_TLS_CERT_SERIAL, YS_APP_TLS },
	{ "tls.cert_fingerprint", YS_BUF_TLS_CERT_FINGERPRINT, YS_APP_TLS },
	{ "tls_cert_fingerprint", YS_BUF_TLS_CERT_FINGERPRINT, YS_APP_TLS },
	{ "ja3.hash", YS_BUF_JA3_HASH, YS_APP_TLS },
	{ "ja3_hash", YS_BUF_JA3_HASH, YS_APP_TLS },
	{ "ja3.string", YS_BUF_JA3_STRING, YS_APP_TLS },
	{ "ja3_string", YS_BUF_JA3_STRING, YS_APP_TLS },
	{ "ja3s.hash", YS_BUF_JA3S_HASH, YS_APP_TLS },
	{ "ja3s.string", YS_BUF_JA3S_STRING, YS_APP_TLS },
	{ "ja4.hash", YS_BUF_JA4_HASH, YS_APP_TLS },
	{ "ssh.proto", YS_BUF_SSH_PROTO, YS_APP_SSH },
	{ "ssh_proto", YS_BUF_SSH_PROTO, YS_APP_SSH },
	{ "ssh.software", YS_BUF_SSH_SOFTWARE, YS_APP_SSH },
	{ "ssh_software", YS_BUF_SSH_SOFTWARE, YS_APP_SSH },
};

static int sticky_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(sticky) / sizeof(sticky[0]); i++)
		if (strcmp(sticky[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ---- packet keywords ---- */

static struct ys_pm *pm_add(struct pctx *pc, uint8_t type)
{
	if (pc->npms >= sizeof(pc->pms) / sizeof(pc->pms[0])) {
		set_err(pc, "too many packet keywords");
		return NULL;
	}
	struct ys_pm *pm = &pc->pms[pc->npms++];
	memset(pm, 0, sizeof(*pm));
	pm->type = type;
	return pm;
}

static int pm_num(struct pctx *pc, char *v, uint8_t type, uint64_t max)
{
	struct ys_pm *pm;
	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	pm = pm_add(pc, type);
	if (!pm)
		return KW_BAD;
	if (ys_num_cmp_parse(v, &pm->cmp) < 0 || pm->cmp.a > max ||
	    (pm->cmp.op == YS_CMP_RANGE && pm->cmp.b > max + 1)) {
		set_err(pc, "invalid value \"%s\"", v);
		return KW_BAD;
	}
	return KW_OK;
}

static int kw_ttl(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_TTL, 255);
}
static int kw_itype(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_ITYPE, 255);
}
static int kw_icode(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_ICODE, 255);
}
static int kw_icmp_id(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_ICMP_ID, 65535);
}
static int kw_icmp_seq(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_ICMP_SEQ, 65535);
}
static int kw_dsize(struct pctx *pc, char *v)
{
	pc->s->flags |= YS_SIG_F_REQ_PACKET;
	return pm_num(pc, v, YS_PM_DSIZE, 65535);
}
static int kw_seq(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_SEQ, 0xffffffffu);
}
static int kw_ack(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_ACK, 0xffffffffu);
}
static int kw_window(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_WINDOW, 65535);
}
static int kw_id(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_IP_ID, 65535);
}
static int kw_tos(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_TOS, 255);
}

static int kw_fragoffset(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_FRAGOFFSET, 8191);
}

static int kw_ip_proto(struct pctx *pc, char *v)
{
	static const struct {
		const char *n;
		int p;
	} names[] = { { "tcp", 6 },	{ "udp", 17 },	{ "icmp", 1 }, { "ipv6-icmp", 58 },
		      { "icmpv6", 58 }, { "igmp", 2 },	{ "gre", 47 }, { "esp", 50 },
		      { "ah", 51 },	{ "sctp", 132 } };
	char buf[32];
	if (v) {
		char *s = trim(v);
		char *p = s;
		while (*p == '<' || *p == '>' || *p == '!' || *p == '=')
			p++;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strcasecmp(p, names[i].n) == 0) {
				snprintf(buf, sizeof(buf), "%.*s%d", (int)(p - s), s, names[i].p);
				return pm_num(pc, buf, YS_PM_IP_PROTO, 255);
			}
		}
	}
	return pm_num(pc, v, YS_PM_IP_PROTO, 255);
}

static int parse_bits(struct pctx *pc, char *v, struct ys_pm *pm, bool tcp)
{
	char *mask = strchr(v, ',');
	char *s;

	if (mask) {
		*mask = 0;
		mask = trim(mask + 1);
	}
	s = trim(v);
	for (; *s; s++) {
		uint8_t bit = 0;
		char c = *s;
		if (c == '+' || c == '*' || c == '!') {
			if (pm->mode) {
				set_err(pc, "two modifiers");
				return KW_BAD;
			}
			pm->mode = (uint8_t)c;
			continue;
		}
		if (tcp) {
			switch (toupper((unsigned char)c)) {
			case 'F':
				bit = 0x01;
				break;
			case 'S':
				bit = 0x02;
				break;
			case 'R':
				bit = 0x04;
				break;
			case 'P':
				bit = 0x08;
				break;
			case 'A':
				bit = 0x10;
				break;
			case 'U':
				bit = 0x20;
				break;
			case 'E':
			case '2':
				bit = 0x40;
				break;
			case 'C':
			case '1':
				bit = 0x80;
				break;
			case '0':
				bit = 0;
				pm->bits = 0;
				continue;
			default:
				set_err(pc, "unknown flag '%c'", c);
				return KW_BAD;
			}
		} else {
			switch (toupper((unsigned char)c)) {
			case 'M':
				bit = 0x20; /* in the high byte of frag_off */
				break;
			case 'D':
				bit = 0x40;
				break;
			case 'R':
				bit = 0x80;
				break;
			default:
				set_err(pc, "unknown fragment bit '%c'", c);
				return KW_BAD;
			}
		}
		pm->bits |= bit;
	}
	if (mask && tcp) {
		for (char *m = mask; *m; m++) {
			switch (toupper((unsigned char)*m)) {
			case 'F':
				pm->ignore |= 0x01;
				break;
			case 'S':
				pm->ignore |= 0x02;
				break;
			case 'R':
				pm->ignore |= 0x04;
				break;
			case 'P':
				pm->ignore |= 0x08;
				break;
			case 'A':
				pm->ignore |= 0x10;
				break;
			case 'U':
				pm->ignore |= 0x20;
				break;
			case 'E':
			case '2':
				pm->ignore |= 0x40;
				break;
			case 'C':
			case '1':
				pm->ignore |= 0x80;
				break;
			case ' ':
				break;
			default:
				set_err(pc, "unknown mask flag '%c'", *m);
				return KW_BAD;
			}
		}
	}
	return KW_OK;
}

static int kw_flags(struct pctx *pc, char *v)
{
	struct ys_pm *pm;
	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	pm = pm_add(pc, YS_PM_TCP_FLAGS);
	if (!pm)
		return KW_BAD;
	return parse_bits(pc, v, pm, true);
}

static int kw_fragbits(struct pctx *pc, char *v)
{
	struct ys_pm *pm;
	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	pm = pm_add(pc, YS_PM_FRAGBITS);
	if (!pm)
		return KW_BAD;
	return parse_bits(pc, v, pm, false);
}

static int kw_sameip(struct pctx *pc, char *v)
{
	return pm_add(pc, YS_PM_SAMEIP) ? KW_OK : KW_BAD;
}

static int kw_ipopts(struct pctx *pc, char *v)
{
	static const struct {
		const char *n;
		uint8_t t;
	} opts[] = { { "eol", 0 },    { "nop", 1 },	{ "rr", 7 },	 { "ts", 68 },
		     { "sec", 130 },  { "esec", 133 },	{ "lsrr", 131 }, { "lsrre", 131 },
		     { "ssrr", 137 }, { "satid", 136 }, { "any", 255 } };
	struct ys_pm *pm;
	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	v = trim(v);
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (strcmp(v, opts[i].n) == 0) {
			pm = pm_add(pc, YS_PM_IPOPTS);
			if (!pm)
				return KW_BAD;
			pm->bits = opts[i].t;
			return KW_OK;
		}
	}
	set_err(pc, "unknown option \"%s\"", v);
	return KW_BAD;
}

static int kw_flow(struct pctx *pc, char *v)
{
	char *f[8];
	int nf;
	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = split_commas(v, f, 8);
	for (int i = 0; i < nf; i++) {
		const char *o = f[i];
		if (strcmp(o, "established") == 0)
			pc->s->flow |= YS_FLOW_ESTABLISHED;
		else if (strcmp(o, "not_established") == 0)
			pc->s->flow |= YS_FLOW_NOT_ESTABLISHED;
		else if (strcmp(o, "to_server") == 0 || strcmp(o, "from_client") == 0)
			pc->s->flow |= YS_FLOW_TO_SERVER;
		else if (strcmp(o, "to_client") == 0 || strcmp(o, "from_server") == 0)
			pc->s->flow |= YS_FLOW_TO_CLIENT;
		else if (strcmp(o, "stateless") == 0)
			pc->s->flow |= YS_FLOW_STATELESS;
		else if (strcmp(o, "only_stream") == 0)
			pc->s->flow |= YS_FLOW_ONLY_STREAM;
		else if (strcmp(o, "no_stream") == 0)
			pc->s->flow |= YS_FLOW_NO_STREAM;
		else if (strcmp(o, "only_frag") == 0 || strcmp(o, "no_frag") == 0) {
			set_err(pc, "option '%s' not supported", o);
			return KW_UNSUPP;
		} else {
			set_err(pc, "unknown option \"%s\"", o);
			return KW_BAD;
		}
	}
	if ((pc->s->flow & YS_FLOW_TO_SERVER) && (pc->s->flow & YS_FLOW_TO_CLIENT)) {
		set_err(pc, "to_server and to_client together");
		return KW_BAD;
	}
	if ((pc->s->flow & YS_FLOW_ESTABLISHED) && (pc->s->flow & YS_FLOW_NOT_ESTABLISHED)) {
		set_err(pc, "established and not_established together");
		return KW_BAD;
	}
	return KW_OK;
}

static int kw_flowbits(struct pctx *pc, char *v)
{
	char *f[2];
	int nf;
	struct ys_fb *fb;

	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = split_commas(v, f, 2);
	if (nf == 1) {
		if (strcmp(f[0], "noalert") == 0) {
			pc->s->flags |= YS_SIG_F_NOALERT;
			return KW_OK;
		}
		set_err(pc, "needs a command and a name");
		return KW_BAD;
	}
	if (pc->nfbs >= sizeof(pc->fbs) / sizeof(pc->fbs[0])) {
		set_err(pc, "too many flowbits");
		return KW_BAD;
	}
	fb = &pc->fbs[pc->nfbs];
	memset(fb, 0, sizeof(*fb));
	if (strcmp(f[0], "set") == 0)
		fb->op = YS_FB_SET;
	else if (strcmp(f[0], "unset") == 0)
		fb->op = YS_FB_UNSET;
	else if (strcmp(f[0], "toggle") == 0)
		fb->op = YS_FB_TOGGLE;
	else if (strcmp(f[0], "isset") == 0)
		fb->op = YS_FB_ISSET;
	else if (strcmp(f[0], "isnotset") == 0)
		fb->op = YS_FB_ISNOTSET;
	else {
		set_err(pc, "unknown command \"%s\"", f[0]);
		return KW_BAD;
	}
	char *names = f[1];
	bool has_or = strchr(names, '|') != NULL, has_and = strchr(names, '&') != NULL;
	if (has_or && has_and) {
		set_err(pc, "cannot mix '|' and '&'");
		return KW_BAD;
	}
	fb->or_group = has_or;
	for (char *p = names; p;) {
		char *sep = strpbrk(p, "|&");
		if (sep)
			*sep = 0;
		char *nm = trim(p);
		if (!*nm || strchr(nm, ' ') || fb->nbits >= 8) {
			set_err(pc, "invalid flowbit name");
			return KW_BAD;
		}
		int32_t idx = ys_name_table_intern(&pc->eng->flowbits, nm);
		if (idx < 0) {
			set_err(pc, "out of memory");
			return KW_BAD;
		}
		fb->bits[fb->nbits++] = (uint32_t)idx;
		p = sep ? sep + 1 : NULL;
	}
	if (fb->nbits > 1 && fb->op != YS_FB_ISSET && fb->op != YS_FB_ISNOTSET && !has_and) {
		set_err(pc, "only isset/isnotset take a '|' group");
		return KW_BAD;
	}
	pc->nfbs++;
	return KW_OK;
}

static int kw_flowint(struct pctx *pc, char *v)
{
	char *f[3];
	int nf;
	struct ys_fi *fi;
	int32_t idx;

	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = split_commas(v, f, 3);
	if (nf < 2 || pc->nfis >= sizeof(pc->fis) / sizeof(pc->fis[0])) {
		set_err(pc, "needs name, operator[, value]");
		return KW_BAD;
	}
	fi = &pc->fis[pc->nfis];
	memset(fi, 0, sizeof(*fi));
	fi->value_var = -1;
	idx = ys_name_table_intern(&pc->eng->flowints, f[0]);
	if (idx < 0) {
		set_err(pc, "out of memory");
		return KW_BAD;
	}
	fi->var = (uint32_t)idx;
	const char *op = f[1];
	bool need_val = true;
	if (strcmp(op, "=") == 0)
		fi->op = YS_FI_SET;
	else if (strcmp(op, "+") == 0)
		fi->op = YS_FI_ADD;
	else if (strcmp(op, "-") == 0)
		fi->op = YS_FI_SUB;
	else if (strcmp(op, "isset") == 0) {
		fi->op = YS_FI_ISSET;
		need_val = false;
	} else if (strcmp(op, "notset") == 0 || strcmp(op, "isnotset") == 0) {
		fi->op = YS_FI_NOTSET;
		need_val = false;
	} else {
		fi->op = YS_FI_CMP;
		if (strcmp(op, "==") == 0)
			fi->cmp = YS_CMP_EQ;
		else if (strcmp(op, "!=") == 0)
			fi->cmp = YS_CMP_NE;
		else if (strcmp(op, "<") == 0)
			fi->cmp = YS_CMP_LT;
		else if (strcmp(op, ">") == 0)
			fi->cmp = YS_CMP_GT;
		else if (strcmp(op, "<=") == 0)
			fi->cmp = YS_CMP_LE;
		else if (strcmp(op, ">=") == 0)
			fi->cmp = YS_CMP_GE;
		else {
			set_err(pc, "unknown operator \"%s\"", op);
			return KW_BAD;
		}
	}
	if (need_val) {
		if (nf < 3) {
			set_err(pc, "operator needs a value");
			return KW_BAD;
		}
		if (parse_i64(f[2], &fi->value) < 0) {
			int32_t o = ys_name_table_intern(&pc->eng->flowints, f[2]);
			if (o < 0) {
				set_err(pc, "out of memory");
				return KW_BAD;
			}
			fi->value_var = o;
		}
	}
	pc->nfis++;
	return KW_OK;
}

static int kw_threshold_common(struct pctx *pc, char *v, bool df)
{
	char *f[8];
	int nf;
	bool has_type = false, has_track = false, has_count = false, has_secs = false;
	struct ys_threshold *t = &pc->s->thr;

	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	if (pc->thr_set) {
		set_err(pc, "only one threshold/detection_filter per rule");
		return KW_BAD;
	}
	nf = split_commas(v, f, 8);
	for (int i = 0; i < nf; i++) {
		char *sp = f[i];
		while (*sp && !isspace((unsigned char)*sp))
			sp++;
		char *val = trim(sp);
		*sp = 0;
		if (*val == 0 && sp != f[i]) {
			/* "key value" was split at the space; val now points at the NUL */
		}
		const char *key = f[i];
		if (strcmp(key, "type") == 0 && !df) {
			has_type = true;
			if (strcmp(val, "limit") == 0)
				t->type = YS_THR_LIMIT;
			else if (strcmp(val, "threshold") == 0)
				t->type = YS_THR_THRESHOLD;
			else if (strcmp(val, "both") == 0)
				t->type = YS_THR_BOTH;
			else if (strcmp(val, "backoff") == 0) {
				set_err(pc, "type 'backoff' not supported");
				return KW_UNSUPP;
			} else {
				set_err(pc, "unknown type \"%s\"", val);
				return KW_BAD;
			}
		} else if (strcmp(key, "track") == 0) {
			has_track = true;
			if (strcmp(val, "by_src") == 0)
				t->track = YS_TRACK_SRC;
			else if (strcmp(val, "by_dst") == 0)
				t->track = YS_TRACK_DST;
			else if (strcmp(val, "by_rule") == 0)
				t->track = YS_TRACK_RULE;
			else if (strcmp(val, "by_both") == 0)
				t->track = YS_TRACK_BOTH;
			else if (strcmp(val, "by_flow") == 0)
				t->track = YS_TRACK_FLOW;
			else {
				set_err(pc, "unknown track \"%s\"", val);
				return KW_BAD;
			}
		} else if (strcmp(key, "count") == 0) {
			uint64_t c;
			has_count = true;
			if (parse_u64(val, &c) < 0 || c > 0xffffffffu) {
				set_err(pc, "invalid count");
				return KW_BAD;
			}
			t->count = (uint32_t)c;
		} else if (strcmp(key, "seconds") == 0) {
			uint64_t c;
			has_secs = true;
			if (parse_u64(val, &c) < 0 || c > 0xffffffffu) {
				set_err(pc, "invalid seconds");
				return KW_BAD;
			}
			t->seconds = (uint32_t)c;
		} else if (strcmp(key, "unique_on") == 0 && df) {
			if (strcmp(val, "src_port") == 0)
				t->unique_on = 1;
			else if (strcmp(val, "dst_port") == 0)
				t->unique_on = 2;
			else {
				set_err(pc, "unique_on must be src_port or dst_port");
				return KW_BAD;
			}
		} else {
			set_err(pc, "unknown option \"%s\"", key);
			return KW_BAD;
		}
	}
	if (df)
		t->type = YS_THR_DETECTION_FILTER;
	if ((!df && !has_type) || !has_track || !has_count || !has_secs) {
		set_err(pc, "needs %strack, count and seconds", df ? "" : "type, ");
		return KW_BAD;
	}
	if (t->count == 0 && t->type != YS_THR_DETECTION_FILTER) {
		set_err(pc, "count must be at least 1");
		return KW_BAD;
	}
	pc->thr_set = true;
	return KW_OK;
}

static int kw_threshold(struct pctx *pc, char *v)
{
	return kw_threshold_common(pc, v, false);
}
static int kw_detection_filter(struct pctx *pc, char *v)
{
	return kw_threshold_common(pc, v, true);
}

static int kw_noalert(struct pctx *pc, char *v)
{
	pc->s->flags |= YS_SIG_F_NOALERT;
	return KW_OK;
}

static int kw_noop(struct pctx *pc, char *v)
{
	return KW_OK;
}

static int kw_app_layer_protocol(struct pctx *pc, char *v)
{
	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	v = trim(v);
	bool neg = false;
	if (*v == '!') {
		neg = true;
		v = trim(v + 1);
	}
	char *comma = strchr(v, ',');
	if (comma)
		*comma = 0; /* ",final" / ",original" modifiers: treat as the flow's proto */
	enum ys_app_proto p = ys_detect_app_proto_parse(trim(v));
	if (p == YS_APP_UNKNOWN && strcmp(v, "unknown") != 0) {
		set_err(pc, "unknown protocol \"%s\"", v);
		return KW_BAD;
	}
	if (pc->s->app_proto != YS_APP_UNKNOWN && pc->s->app_proto != p) {
		set_err(pc, "conflicts with the protocol in the rule header");
		return KW_BAD;
	}
	pc->s->app_proto = (uint16_t)p;
	pc->s->app_proto_neg = neg;
	return KW_OK;
}

/* ---- meta keywords ---- */

static int kw_msg(struct pctx *pc, char *v)
{
	char *m;
	if (!v || unquote(trim(v), &m) < 0) {
		set_err(pc, "needs a quoted string");
		return KW_BAD;
	}
	free((char *)pc->s->info.msg);
	pc->s->info.msg = strdup(m);
	return pc->s->info.msg ? KW_OK : KW_BAD;
}

static int kw_u32(struct pctx *pc, char *v, uint32_t *out)
{
	uint64_t x;
	if (!v || parse_u64(v, &x) < 0 || x > 0xffffffffu) {
		set_err(pc, "invalid number \"%s\"", v ? v : "");
		return KW_BAD;
	}
	*out = (uint32_t)x;
	return KW_OK;
}

static int kw_sid(struct pctx *pc, char *v)
{
	int rc = kw_u32(pc, v, &pc->s->info.sid);
	if (rc == KW_OK && pc->s->info.sid == 0) {
		set_err(pc, "sid 0 is not allowed");
		return KW_BAD;
	}
	return rc;
}
static int kw_rev(struct pctx *pc, char *v)
{
	return kw_u32(pc, v, &pc->s->info.rev);
}
static int kw_gid(struct pctx *pc, char *v)
{
	return kw_u32(pc, v, &pc->s->info.gid);
}

static int kw_priority(struct pctx *pc, char *v)
{
	uint32_t p;
	if (kw_u32(pc, v, &p) != KW_OK || p == 0 || p > 255) {
		set_err(pc, "invalid priority");
		return KW_BAD;
	}
	pc->s->info.priority = (int)p;
	pc->has_priority = true;
	return KW_OK;
}

static int kw_classtype(struct pctx *pc, char *v)
{
	const struct ys_classtype *c;
	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	v = trim(v);
	c = ys_class_table_find(&pc->eng->classes, v);
	if (!c) {
		set_err(pc, "unknown classtype \"%s\"", v);
		return KW_BAD;
	}
	pc->s->info.classtype = c->name;
	pc->s->info.category = c->desc;
	if (!pc->has_priority)
		pc->s->info.priority = c->priority;
	return KW_OK;
}

static int kw_target(struct pctx *pc, char *v)
{
	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	v = trim(v);
	if (strcmp(v, "src_ip") == 0)
		pc->s->info.target = "src_ip";
	else if (strcmp(v, "dest_ip") == 0)
		pc->s->info.target = "dest_ip";
	else {
		set_err(pc, "must be src_ip or dest_ip");
		return KW_BAD;
	}
	return KW_OK;
}

static int kw_metadata(struct pctx *pc, char *v)
{
	char *p;
	if (!v)
		return KW_OK;
	for (p = v; p;) {
		char *c = strchr(p, ',');
		if (c)
			*c = 0;
		char *kv = trim(p);
		p = c ? c + 1 : NULL;
		if (!*kv)
			continue;
		char *sp = kv;
		while (*sp && !isspace((unsigned char)*sp))
			sp++;
		char *val = *sp ? trim(sp + 1) : sp;
		*sp = 0;
		struct ys_sig_meta *nm =
			realloc(pc->s->meta, (pc->s->nmeta + 1) * sizeof(*pc->s->meta));
		if (!nm) {
			set_err(pc, "out of memory");
			return KW_BAD;
		}
		pc->s->meta = nm;
		nm[pc->s->nmeta].key = strdup(kv);
		nm[pc->s->nmeta].value = strdup(val);
		pc->s->nmeta++;
		if (!nm[pc->s->nmeta - 1].key || !nm[pc->s->nmeta - 1].value) {
			set_err(pc, "out of memory");
			return KW_BAD;
		}
	}
	return KW_OK;
}

static int kw_reference(struct pctx *pc, char *v)
{
	if (!v || !strchr(v, ',')) {
		set_err(pc, "needs type,id");
		return KW_BAD;
	}
	return KW_OK;
}

static int kw_tag(struct pctx *pc, char *v)
{
	/* Accepted; tagging follow-up packets is not implemented (no-op). */
	if (!v) {
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	v = trim(v);
	if (strncmp(v, "session", 7) != 0 && strncmp(v, "host", 4) != 0) {
		set_err(pc, "must be session or host");
		return KW_BAD;
	}
	return KW_OK;
}

static int kw_dotprefix(struct pctx *pc, char *v)
{
	if (pc->cur_list < YS_BUF_HTTP_URI) {
		set_err(pc, "transform needs a sticky buffer");
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
		set_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = list ? split_commas(v, f, 8) : 1;
	if (!list)
		f[0] = trim(v);
	t = sm_add(pc, YS_SM_VERSION, YS_BUF_TLS_VERSION);
	if (!t)
		return KW_BAD;
	for (int i = 0; i < nf; i++) {
		char *n = f[i];
		bool neg = false;
		if (*n == '!') {
			neg = true;
			n = trim(n + 1);
		}
		int bit = tls_version_bit(n);
		if (bit < 0) {
			set_err(pc, "unknown version \"%s\"", n);
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

static int kw_ssl_version(struct pctx *pc, char *v)
{
	return kw_tls_version_common(pc, v, true);
}

static int kw_tls_version(struct pctx *pc, char *v)
{
	return kw_tls_version_common(pc, v, false);
}

static int kw_pkt_data(struct pctx *pc, char *v)
{
	pc->cur_list = YS_BUF_PACKET;
	return KW_OK;
}

typedef int (*kw_fn)(struct pctx *pc, char *v);

static const struct {
	const char *name;
	kw_fn fn;
} keywords[] = {
	{ "msg", kw_msg },
	{ "sid", kw_sid },
	{ "rev", kw_rev },
	{ "gid", kw_gid },
	{ "classtype", kw_classtype },
	{ "priority", kw_priority },
	{ "metadata", kw_metadata },
	{ "reference", kw_reference },
	{ "target", kw_target },
	{ "content", kw_content },
	{ "uricontent", kw_uricontent },
	{ "nocase", kw_nocase },
	{ "offset", kw_offset },
	{ "depth", kw_depth },
	{ "distance", kw_distance },
	{ "within", kw_within },
	{ "rawbytes", kw_rawbytes },
	{ "fast_pattern", kw_fast_pattern },
	{ "startswith", kw_startswith },
	{ "endswith", kw_endswith },
	{ "isdataat", kw_isdataat },
	{ "pcre", kw_pcre },
	{ "bsize", kw_bsize },
	{ "dsize", kw_dsize },
	{ "byte_test", kw_byte_test },
	{ "byte_jump", kw_byte_jump },
	{ "byte_extract", kw_byte_extract },
	{ "ttl", kw_ttl },
	{ "ip_proto", kw_ip_proto },
	{ "itype", kw_itype },
	{ "icode", kw_icode },
	{ "icmp_id", kw_icmp_id },
	{ "icmp_seq", kw_icmp_seq },
	{ "flags", kw_flags },
	{ "tcp.flags", kw_flags },
	{ "seq", kw_seq },
	{ "ack", kw_ack },
	{ "window", kw_window },
	{ "id", kw_id },
	{ "tos", kw_tos },
	{ "sameip", kw_sameip },
	{ "ipopts", kw_ipopts },
	{ "fragbits", kw_fragbits },
	{ "fragoffset", kw_fragoffset },
	{ "flow", kw_flow },
	{ "flowbits", kw_flowbits },
	{ "flowint", kw_flowint },
	{ "threshold", kw_threshold },
	{ "detection_filter", kw_detection_filter },
	{ "tag", kw_tag },
	{ "noalert", kw_noalert },
	{ "urilen", kw_urilen },
	{ "app-layer-protocol", kw_app_layer_protocol },
	{ "pkt_data", kw_pkt_data },
	{ "ssl_version", kw_ssl_version },
	{ "tls.version", kw_tls_version },
	{ "dotprefix", kw_dotprefix },
	{ "prefilter", kw_noop },
	{ "http_uri", kw_http_uri },
	{ "http_raw_uri", kw_http_raw_uri },
	{ "http_header", kw_http_header },
	{ "http_raw_header", kw_http_raw_header },
	{ "http_method", kw_http_method },
	{ "http_client_body", kw_http_client_body },
	{ "http_server_body", kw_http_server_body },
	{ "http_cookie", kw_http_cookie },
	{ "http_user_agent", kw_http_user_agent },
	{ "http_host", kw_http_host },
	{ "http_raw_host", kw_http_raw_host },
	{ "http_stat_code", kw_http_stat_code },
	{ "http_stat_msg", kw_http_stat_msg },
};

/* Keywords Suricata has that we knowingly do not: the reason shown by -T. */
static const struct {
	const char *name, *why;
} unsupported[] = {
	{ "stream_size", "needs stream sequence tracking" },
	{ "xbits", "host/ip-pair bits not implemented" },
	{ "hostbits", "host bits not implemented" },
	{ "flowvar", "flow variables not implemented" },
	{ "pktvar", "packet variables not implemented" },
	{ "base64_decode", "base64 decoding not implemented" },
	{ "base64_data", "base64 decoding not implemented" },
	{ "asn1", "ASN.1 decoding not implemented" },
	{ "app-layer-event", "app-layer events not implemented" },
	{ "decode-event", "decoder events not implemented" },
	{ "stream-event", "stream events not implemented" },
	{ "ssl_state", "TLS handshake state not implemented" },
	{ "tls.certs", "certificate chain buffer not implemented" },
	{ "tls_cert_notbefore", "certificate validity not implemented" },
	{ "tls_cert_notafter", "certificate validity not implemented" },
	{ "tls_cert_expired", "certificate validity not implemented" },
	{ "tls_cert_valid", "certificate validity not implemented" },
	{ "tls.store", "certificate store not implemented" },
	{ "to_lowercase", "buffer transforms not implemented" },
	{ "to_uppercase", "buffer transforms not implemented" },
	{ "strip_whitespace", "buffer transforms not implemented" },
	{ "compress_whitespace", "buffer transforms not implemented" },
	{ "url_decode", "buffer transforms not implemented" },
	{ "xor", "buffer transforms not implemented" },
	{ "to_md5", "buffer transforms not implemented" },
	{ "to_sha1", "buffer transforms not implemented" },
	{ "to_sha256", "buffer transforms not implemented" },
	{ "pcrexform", "buffer transforms not implemented" },
	{ "header_lowercase", "buffer transforms not implemented" },
	{ "strip_pseudo_headers", "buffer transforms not implemented" },
	{ "luajit", "Lua not available" },
	{ "lua", "Lua not available" },
	{ "filestore", "file extraction not implemented" },
	{ "filemagic", "file inspection not implemented" },
	{ "filename", "file inspection not implemented" },
	{ "fileext", "file inspection not implemented" },
	{ "filemd5", "file inspection not implemented" },
	{ "filesha1", "file inspection not implemented" },
	{ "filesha256", "file inspection not implemented" },
	{ "filesize", "file inspection not implemented" },
	{ "file.name", "file inspection not implemented" },
	{ "file.magic", "file inspection not implemented" },
	{ "iprep", "IP reputation not implemented" },
	{ "geoip", "GeoIP not available" },
	{ "datarep", "datasets not implemented" },
	{ "dataset", "datasets not implemented" },
	{ "byte_math", "byte_math not implemented" },
	{ "entropy", "entropy not implemented" },
	{ "icmpv6.mtu", "not implemented" },
	{ "ipv4.hdr", "not implemented" },
	{ "ipv6.hdr", "not implemented" },
	{ "tcp.hdr", "not implemented" },
	{ "udp.hdr", "not implemented" },
	{ "tcp.mss", "not implemented" },
	{ "replace", "IPS mode not implemented" },
	{ "requires", "not implemented" },
	{ "krb5_msg_type", "Kerberos inspection not implemented" },
	{ "smb.named_pipe", "SMB inspection not implemented" },
	{ "smb.share", "SMB inspection not implemented" },
	{ "dce_iface", "DCERPC inspection not implemented" },
	{ "dce_opnum", "DCERPC inspection not implemented" },
	{ "dce_stub_data", "DCERPC inspection not implemented" },
	{ "ftpbounce", "FTP inspection not implemented" },
	{ "ftpdata_command", "FTP inspection not implemented" },
	{ "ja4.hash", "JA4 buffer not produced" },
	{ "msl", "not a Suricata keyword" },
	{ "label", "not a Suricata keyword" },
	{ "ephermeral", "not a Suricata keyword" },
	{ "https", "not a Suricata keyword" },
};

/* ---- header ---- */

/* Next whitespace-separated header token; brackets group. Returns NULL at the end. */
static char *next_token(char **pp)
{
	char *p = *pp;
	int lvl = 0;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return NULL;
	char *start = p;
	for (; *p; p++) {
		if (*p == '[')
			lvl++;
		else if (*p == ']')
			lvl--;
		else if (isspace((unsigned char)*p) && lvl <= 0)
			break;
	}
	if (*p)
		*p++ = 0;
	*pp = p;
	return start;
}

static int parse_header(struct pctx *pc, char *h, const char *rule_start)
{
	char *tok[7];
	int n = 0;
	char *p = h, *t;
	struct ys_sig *s = pc->s;

	while ((t = next_token(&p)) != NULL) {
		if (n == 7) {
			set_err(pc, "too many fields in the rule header at column %d",
				(int)(t - rule_start) + 1);
			return KW_BAD;
		}
		tok[n++] = t;
	}
	if (n != 7 && n != 2) {
		set_err(pc, "rule header needs 'action proto src sport dir dst dport' (%d fields)",
			n);
		return KW_BAD;
	}
	/* action */
	if (strcmp(tok[0], "alert") == 0)
		s->info.action = YS_ACTION_ALERT;
	else if (strcmp(tok[0], "drop") == 0)
		s->info.action = YS_ACTION_DROP;
	else if (strcmp(tok[0], "reject") == 0 || strcmp(tok[0], "rejectsrc") == 0 ||
		 strcmp(tok[0], "rejectdst") == 0 || strcmp(tok[0], "rejectboth") == 0)
		s->info.action = YS_ACTION_REJECT;
	else if (strcmp(tok[0], "pass") == 0)
		s->info.action = YS_ACTION_PASS;
	else {
		set_err(pc, "unknown action \"%s\" at column 1", tok[0]);
		return KW_BAD;
	}
	/* protocol */
	const char *proto = tok[1];
	s->proto = YS_SIG_PROTO_IP;
	s->pclass_mask = (1u << YS_PC_COUNT) - 1;
	if (strcmp(proto, "ip") == 0 || strcmp(proto, "pkthdr") == 0) {
	} else if (strcmp(proto, "ipv4") == 0 || strcmp(proto, "ip4") == 0) {
		s->flags |= YS_SIG_F_IPV4_ONLY;
	} else if (strcmp(proto, "ipv6") == 0 || strcmp(proto, "ip6") == 0) {
		s->flags |= YS_SIG_F_IPV6_ONLY;
	} else if (strcmp(proto, "tcp") == 0) {
		s->proto = IPPROTO_TCP;
	} else if (strcmp(proto, "tcp-pkt") == 0) {
		s->proto = IPPROTO_TCP;
		s->flags |= YS_SIG_F_TCP_PKT;
	} else if (strcmp(proto, "tcp-stream") == 0) {
		s->proto = IPPROTO_TCP;
		s->flags |= YS_SIG_F_TCP_STREAM;
	} else if (strcmp(proto, "udp") == 0) {
		s->proto = IPPROTO_UDP;
	} else if (strcmp(proto, "icmp") == 0) {
		s->proto = IPPROTO_ICMP;
		s->pclass_mask = (1u << YS_PC_ICMP) | (1u << YS_PC_ICMP6);
	} else if (strcmp(proto, "icmpv4") == 0) {
		s->proto = IPPROTO_ICMP;
	} else if (strcmp(proto, "icmpv6") == 0) {
		s->proto = IPPROTO_ICMPV6;
	} else {
		enum ys_app_proto ap = ys_detect_app_proto_parse(proto);
		if (ap == YS_APP_UNKNOWN || ap == YS_APP_FAILED) {
			set_err(pc, "unknown protocol \"%s\" at column %d", proto,
				(int)(tok[1] - rule_start) + 1);
			return KW_BAD;
		}
		s->app_proto = (uint16_t)ap;
		/* DNS and a few others run over both; the rest over TCP. */
		switch (ap) {
		case YS_APP_DNS:
		case YS_APP_IKE:
		case YS_APP_KRB5:
		case YS_APP_NFS:
		case YS_APP_DCERPC:
		case YS_APP_SIP:
			s->pclass_mask = (1u << YS_PC_TCP) | (1u << YS_PC_UDP);
			break;
		case YS_APP_DHCP:
		case YS_APP_SNMP:
		case YS_APP_NTP:
		case YS_APP_TFTP:
			s->proto = IPPROTO_UDP;
			break;
		default:
			s->proto = IPPROTO_TCP;
			break;
		}
	}
	if (s->proto == IPPROTO_TCP)
		s->pclass_mask = 1u << YS_PC_TCP;
	else if (s->proto == IPPROTO_UDP)
		s->pclass_mask = 1u << YS_PC_UDP;
	else if (s->proto == IPPROTO_ICMPV6)
		s->pclass_mask = 1u << YS_PC_ICMP6;
	else if (s->proto == IPPROTO_ICMP && strcmp(proto, "icmpv4") == 0)
		s->pclass_mask = 1u << YS_PC_ICMP;
	else if (s->proto == IPPROTO_ICMP)
		s->proto = YS_SIG_PROTO_IP; /* "icmp" is ICMPv4 or ICMPv6: pclass says which */
	if (n == 2) {
		/* Suricata 7 "alert http (..)" short form without addresses? Not valid: */
		set_err(pc, "rule header needs addresses and ports");
		return KW_BAD;
	}
	char err[192];
	if (ys_addr_set_parse(pc->eng->vars, tok[2], &s->src, err, sizeof(err)) < 0) {
		set_err(pc, "source address at column %d: %s", (int)(tok[2] - rule_start) + 1, err);
		return KW_BAD;
	}
	if (ys_port_set_parse(pc->eng->vars, tok[3], &s->sp, err, sizeof(err)) < 0) {
		set_err(pc, "source port at column %d: %s", (int)(tok[3] - rule_start) + 1, err);
		return KW_BAD;
	}
	if (strcmp(tok[4], "<>") == 0) {
		s->flags |= YS_SIG_F_BIDIR;
	} else if (strcmp(tok[4], "->") != 0) {
		set_err(pc, "direction must be -> or <> at column %d",
			(int)(tok[4] - rule_start) + 1);
		return KW_BAD;
	}
	if (ys_addr_set_parse(pc->eng->vars, tok[5], &s->dst, err, sizeof(err)) < 0) {
		set_err(pc, "destination address at column %d: %s", (int)(tok[5] - rule_start) + 1,
			err);
		return KW_BAD;
	}
	if (ys_port_set_parse(pc->eng->vars, tok[6], &s->dp, err, sizeof(err)) < 0) {
		set_err(pc, "destination port at column %d: %s", (int)(tok[6] - rule_start) + 1,
			err);
		return KW_BAD;
	}
	return KW_OK;
}

/* ---- finish ---- */

/*
 * How selective a fast pattern is, as Suricata scores it: each distinct byte
 * counts (letters 3, printable/00/01/ff 4, other bytes 6), each repeat 1. A
 * run of zero bytes thus loses against a shorter varied pattern: in zero-rich
 * payloads it would match, or nearly match, everywhere and slow the prefilter.
 */
static uint32_t pattern_strength(const struct ys_sm *sm)
{
	const uint8_t *p = sm->u.c.pat;
	uint32_t len = sm->u.c.len, st = 0;
	uint8_t seen[256] = { 0 };

	if (sm->flags & YS_CF_FAST_CHOP) {
		p += sm->u.c.chop_off;
		len = sm->u.c.chop_len;
	}
	for (uint32_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		if (seen[c]) {
			st++;
			continue;
		}
		seen[c] = 1;
		if (isalpha(c))
			st += 3;
		else if (isprint(c) || c == 0x00 || c == 0x01 || c == 0xff)
			st += 4;
		else
			st += 6;
	}
	return st;
}

static int finish(struct pctx *pc)
{
	struct ys_sig *s = pc->s;
	uint32_t o = 0;
	int32_t fp = -1, fp_new = -1;
	uint32_t fp_len = 0;

	if (s->info.sid == 0) {
		set_err(pc, "rule has no sid");
		return KW_BAD;
	}
	if (!s->info.msg) {
		s->info.msg = strdup("");
		if (!s->info.msg)
			return KW_BAD;
	}
	/* Group content-like matches by buffer, keeping rule order. */
	s->sms = calloc(pc->nsms ? pc->nsms : 1, sizeof(*s->sms));
	if (!s->sms) {
		set_err(pc, "out of memory");
		return KW_BAD;
	}
	bool used[YS_MAX_SMS] = { false };
	for (uint32_t i = 0; i < pc->nsms; i++) {
		if (used[i])
			continue;
		uint16_t list = pc->sms[i].list;
		if (s->nbm >= YS_MAX_BUFMATCH) {
			set_err(pc, "too many buffers in one rule");
			return KW_BAD;
		}
		struct ys_bufmatch *bm = &s->bm[s->nbm++];
		bm->buf = list;
		bm->xform = pc->xform[list];
		bm->dirs = pc->dirs[list];
		bm->first = o;
		for (uint32_t j = i; j < pc->nsms; j++) {
			if (used[j] || pc->sms[j].list != list)
				continue;
			used[j] = true;
			struct ys_sm *sm = &s->sms[o];
			*sm = pc->sms[j].sm;
			/* pattern ownership moves to the sig */
			pc->sms[j].sm.u.c.pat = NULL;
			pc->sms[j].sm.u.p.code = NULL;
			if (pc->sms[j].relative) {
				if (sm->type == YS_SM_CONTENT)
					sm->flags |= YS_CF_RELATIVE;
				if (o > bm->first)
					s->sms[o - 1].flags |= YS_CF_REL_NEXT;
			}
			if (sm->type == YS_SM_CONTENT && !(sm->flags & YS_CF_NEGATED)) {
				uint32_t st = pattern_strength(sm);
				if (sm->flags & YS_CF_FAST)
					fp_new = (int32_t)o;
				if (st > fp_len ||
				    (st == fp_len && fp >= 0 && sm->u.c.len > s->sms[fp].u.c.len)) {
					fp_len = st;
					fp = (int32_t)o;
				}
			}
			o++;
			s->nsms = o; /* so that ys_sig_free() releases what moved */
		}
		bm->n = o - bm->first;
		if (list >= YS_BUF_HTTP_URI) {
			s->buf_mask |= 1ull << list;
			s->flags |= YS_SIG_F_APPLAYER;
			if (s->app_proto == YS_APP_UNKNOWN) {
				int si = -1;
				for (size_t k = 0; k < sizeof(sticky) / sizeof(sticky[0]); k++)
					if (sticky[k].buf == list) {
						si = (int)k;
						break;
					}
				if (si >= 0 && sticky[si].proto != YS_APP_UNKNOWN) {
					s->app_proto = (uint16_t)sticky[si].proto;
					if (s->proto == YS_SIG_PROTO_IP) {
						s->proto = IPPROTO_TCP;
						if (sticky[si].proto == YS_APP_DNS)
							s->pclass_mask = (1u << YS_PC_TCP) |
									 (1u << YS_PC_UDP);
						else
							s->pclass_mask = 1u << YS_PC_TCP;
						if (sticky[si].proto == YS_APP_DNS)
							s->proto = YS_SIG_PROTO_IP;
					}
				}
			}
		}
	}
	s->nsms = o;
	if (fp_new >= 0) {
		fp = fp_new;
	} else if (fp >= 0 && (s->flags & YS_SIG_F_APPLAYER)) {
		/* A rule that needs an app-layer buffer is found through that
		 * buffer's database: its payload part may match stream bytes that
		 * arrived before the transaction completed (outside what the
		 * stream prefilter rescans). Take the longest app-layer content. */
		int32_t best = -1;
		uint32_t best_len = 0;
		for (uint32_t b = 0; b < s->nbm; b++) {
			if (s->bm[b].buf < YS_BUF_HTTP_URI)
				continue;
			for (uint32_t k = s->bm[b].first; k < s->bm[b].first + s->bm[b].n; k++) {
				const struct ys_sm *sm = &s->sms[k];
				if (sm->type == YS_SM_CONTENT && !(sm->flags & YS_CF_NEGATED) &&
				    sm->u.c.len > best_len) {
					best = (int32_t)k;
					best_len = sm->u.c.len;
				}
			}
		}
		if (best >= 0)
			fp = best;
	}
	s->fp_sm = fp;
	if (fp >= 0) {
		for (uint32_t b = 0; b < s->nbm; b++)
			if ((uint32_t)fp >= s->bm[b].first &&
			    (uint32_t)fp < s->bm[b].first + s->bm[b].n) {
				s->fp_buf = s->bm[b].buf;
				s->fp_xform = s->bm[b].xform;
			}
		/* dotprefix adds a '.' the raw buffer lacks: prefilter without it */
		struct ys_sm *f = &s->sms[fp];
		if ((s->fp_xform & YS_XFORM_DOTPREFIX) && !(f->flags & YS_CF_FAST_CHOP) &&
		    f->u.c.pat[0] == '.') {
			if (f->u.c.len == 1) {
				s->fp_sm = -1;
			} else {
				f->flags |= YS_CF_FAST_CHOP;
				f->u.c.chop_off = 1;
				f->u.c.chop_len = (uint16_t)(f->u.c.len - 1);
			}
		}
	}
	/* Packet keywords, flowbits, flowints. */
	if (pc->npms) {
		s->pms = malloc(pc->npms * sizeof(*s->pms));
		if (!s->pms)
			return KW_BAD;
		memcpy(s->pms, pc->pms, pc->npms * sizeof(*s->pms));
		s->npms = pc->npms;
	}
	bool fb_set = false, fb_read = false;
	if (pc->nfbs) {
		s->fbs = malloc(pc->nfbs * sizeof(*s->fbs));
		if (!s->fbs)
			return KW_BAD;
		memcpy(s->fbs, pc->fbs, pc->nfbs * sizeof(*s->fbs));
		s->nfbs = pc->nfbs;
		for (uint32_t i = 0; i < s->nfbs; i++) {
			if (s->fbs[i].op == YS_FB_ISSET || s->fbs[i].op == YS_FB_ISNOTSET)
				fb_read = true;
			else
				fb_set = true;
		}
	}
	s->fb_order = fb_set && !fb_read ? 3 : fb_set && fb_read ? 2 : fb_read ? 1 : 0;
	bool fi_set = false, fi_read = false;
	if (pc->nfis) {
		s->fis = malloc(pc->nfis * sizeof(*s->fis));
		if (!s->fis)
			return KW_BAD;
		memcpy(s->fis, pc->fis, pc->nfis * sizeof(*s->fis));
		s->nfis = pc->nfis;
		for (uint32_t i = 0; i < s->nfis; i++) {
			if (s->fis[i].op <= YS_FI_SUB)
				fi_set = true;
			else
				fi_read = true;
		}
	}
	s->fi_order = fi_set && !fi_read ? 3 : fi_set && fi_read ? 2 : fi_read ? 1 : 0;
	/*
	 * Suricata's IP-only rules: nothing but addresses (ports any for TCP and
	 * UDP), no protocol, payload, packet or flow keyword, flowbits only
	 * written. Suricata runs them once per flow and direction, on the first
	 * packet; so do we (see ys_detect_inspect()).
	 */
	bool ports_any = s->sp.any && s->dp.any;
	if (s->app_proto == YS_APP_UNKNOWN && s->nsms == 0 && s->npms == 0 && s->nfis == 0 &&
	    !s->flow && !fb_read && ports_any &&
	    !(s->flags & (YS_SIG_F_TCP_PKT | YS_SIG_F_TCP_STREAM)))
		s->flags |= YS_SIG_F_IPONLY;
	s->nbyte_vars = pc->nvars;
	if (s->info.gid == 0)
		s->info.gid = 1;
	return KW_OK;
}

void ys_sig_free(struct ys_sig *s)
{
	if (!s)
		return;
	free((char *)s->info.msg);
	for (uint32_t i = 0; i < s->nsms; i++) {
		if (s->sms[i].type == YS_SM_CONTENT)
			free(s->sms[i].u.c.pat);
		else if (s->sms[i].type == YS_SM_PCRE)
			pcre2_code_free(s->sms[i].u.p.code);
	}
	free(s->sms);
	free(s->pms);
	free(s->fbs);
	free(s->fis);
	for (uint32_t i = 0; i < s->nmeta; i++) {
		free((char *)s->meta[i].key);
		free((char *)s->meta[i].value);
	}
	free(s->meta);
	free(s->raw);
	ys_addr_set_clear(&s->src);
	ys_addr_set_clear(&s->dst);
	ys_port_set_clear(&s->sp);
	ys_port_set_clear(&s->dp);
	free(s);
}

static void pctx_cleanup(struct pctx *pc)
{
	for (uint32_t i = 0; i < pc->nsms; i++) {
		if (pc->sms[i].sm.type == YS_SM_CONTENT)
			free(pc->sms[i].sm.u.c.pat);
		else if (pc->sms[i].sm.type == YS_SM_PCRE)
			pcre2_code_free(pc->sms[i].sm.u.p.code);
	}
}

/* Find the sid early so that errors can name it even when parsing stops first. */
static uint32_t scan_sid(const char *text)
{
	const char *p = text;
	while ((p = strstr(p, "sid")) != NULL) {
		if ((p == text || p[-1] == ';' || p[-1] == ' ' || p[-1] == '(' || p[-1] == '\t')) {
			const char *q = p + 3;
			while (*q == ' ')
				q++;
			if (*q == ':') {
				q++;
				while (*q == ' ')
					q++;
				return (uint32_t)strtoul(q, NULL, 10);
			}
		}
		p += 3;
	}
	return 0;
}

int ys_detect_sig_parse(struct ys_detect_engine *eng, const char *text, const char *file,
			unsigned line, struct ys_sig **out, char *kw, size_t kwlen, char *err,
			size_t errlen, uint32_t *sid_out)
{
	struct pctx *pc;
	char *copy = NULL, *open, *p;
	int rc = KW_BAD;

	*out = NULL;
	*sid_out = scan_sid(text);
	snprintf(kw, kwlen, "syntax");
	pc = calloc(1, sizeof(*pc));
	if (!pc) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pc->eng = eng;
	pc->err = err;
	pc->errlen = errlen;
	pc->last_content = pc->last_sm = -1;
	pc->cur_list = YS_BUF_PACKET;
	pc->s = calloc(1, sizeof(*pc->s));
	copy = strdup(text);
	if (!pc->s || !copy) {
		snprintf(err, errlen, "out of memory");
		rc = KW_BAD;
		goto out;
	}
	pc->s->info.priority = 3;
	pc->s->info.category = "";
	pc->s->info.file = file;
	pc->s->info.line = line;
	pc->s->fp_sm = -1;
	open = strchr(copy, '(');
	if (!open) {
		set_err(pc, "missing '(' before the options");
		goto out;
	}
	*open = 0;
	rc = parse_header(pc, copy, copy);
	if (rc != KW_OK)
		goto out;
	/* options */
	p = open + 1;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == ')') {
			char *q = p + 1;
			while (isspace((unsigned char)*q))
				q++;
			if (*q) {
				snprintf(kw, kwlen, "syntax");
				set_err(pc, "text after ')' at column %d", (int)(q - copy) + 1);
				rc = KW_BAD;
				goto out;
			}
			break;
		}
		if (!*p) {
			snprintf(kw, kwlen, "syntax");
			set_err(pc, "missing ')' at the end of the rule");
			rc = KW_BAD;
			goto out;
		}
		char *name = p, *val = NULL;
		char *optstart = p;
		/* option ends at the first ';' not escaped */
		char *q = p;
		while (*q && *q != ';') {
			if (*q == '\\' && q[1])
				q++;
			q++;
		}
		if (!*q) {
			snprintf(kw, kwlen, "syntax");
			set_err(pc, "option at column %d is not terminated by ';'",
				(int)(optstart - copy) + 1);
			rc = KW_BAD;
			goto out;
		}
		*q = 0;
		p = q + 1;
		char *colon = strchr(name, ':');
		if (colon) {
			*colon = 0;
			val = colon + 1;
		}
		name = trim(name);
		if (val)
			val = trim(val);
		if (!*name) {
			set_err(pc, "empty option at column %d", (int)(optstart - copy) + 1);
			rc = KW_BAD;
			goto out;
		}
		snprintf(kw, kwlen, "%s", name);
		bool found = false;
		for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
			if (strcmp(keywords[i].name, name) == 0) {
				rc = keywords[i].fn(pc, val);
				found = true;
				break;
			}
		}
		if (!found) {
			int si = sticky_lookup(name);
			if (si >= 0) {
				if (val) {
					set_err(pc, "sticky buffer takes no value");
					rc = KW_BAD;
					goto out;
				}
				pc->cur_list = sticky[si].buf;
				/* http.request_header / http.response_header: Suricata gives
				 * one "Name: value" buffer per header; we inspect the
				 * direction's http.header lines, which holds the same
				 * text (startswith/endswith/bsize then see all lines). */
				if (strcmp(name, "http.request_header") == 0)
					pc->dirs[sticky[si].buf] |= YS_BUF_F_TO_SERVER;
				else if (strcmp(name, "http.response_header") == 0)
					pc->dirs[sticky[si].buf] |= YS_BUF_F_TO_CLIENT;
				rc = KW_OK;
				found = true;
			}
		}
		if (!found) {
			for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
				if (strcmp(unsupported[i].name, name) == 0) {
					set_err(pc, "not supported: %s", unsupported[i].why);
					rc = KW_UNSUPP;
					goto out;
				}
			}
			bool plausible = true;
			for (char *c = name; *c; c++)
				if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' &&
				    *c != '-')
					plausible = false;
			set_err(pc, plausible ? "not supported" : "invalid option name");
			rc = plausible ? KW_UNSUPP : KW_BAD;
			goto out;
		}
		if (rc != KW_OK)
			goto out;
	}
	snprintf(kw, kwlen, "syntax");
	rc = finish(pc);
	if (rc != KW_OK)
		goto out;
	pc->s->raw = strdup(text);
	if (!pc->s->raw) {
		rc = KW_BAD;
		goto out;
	}
	pc->s->info.raw = pc->s->raw;
	pc->s->info.metadata = pc->s->meta;
	pc->s->info.nmetadata = pc->s->nmeta;
	*out = pc->s;
	*sid_out = pc->s->info.sid;
	pc->s = NULL;
	rc = 0;
out:
	pctx_cleanup(pc);
	ys_sig_free(pc->s);
	free(pc);
	free(copy);
	return rc == 0 ? 0 : (rc == KW_UNSUPP ? -ENOTSUP : -EINVAL);
}
