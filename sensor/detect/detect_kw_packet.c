/*
 * Packet, flow and state keywords of the rule parser: numeric header checks
 * (ttl, itype, icode, dsize, seq, ack, window, id ...), TCP flags and IP
 * fragment bits, ipopts, sameip, flow, flowbits, flowint, threshold and
 * detection_filter, app-layer-protocol. They are cheap and evaluated before
 * any payload work (struct ys_pm), or kept as per-flow state operations.
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

/* ---- packet keywords ---- */

struct ys_pm *ys_kw_pm_add(struct pctx *pc, uint8_t type)
{
	if (pc->npms >= sizeof(pc->pms) / sizeof(pc->pms[0])) {
		ys_kw_err(pc, "too many packet keywords");
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
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	pm = ys_kw_pm_add(pc, type);
	if (!pm)
		return KW_BAD;
	if (ys_num_cmp_parse(v, &pm->cmp) < 0 || pm->cmp.a > max ||
	    (pm->cmp.op == YS_CMP_RANGE && pm->cmp.b > max + 1)) {
		ys_kw_err(pc, "invalid value \"%s\"", v);
		return KW_BAD;
	}
	return KW_OK;
}

int ys_kw_ttl(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_TTL, 255);
}
int ys_kw_itype(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_ITYPE, 255);
}
int ys_kw_icode(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_ICODE, 255);
}
int ys_kw_icmp_id(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_ICMP_ID, 65535);
}
int ys_kw_icmp_seq(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_ICMP_SEQ, 65535);
}
int ys_kw_dsize(struct pctx *pc, char *v)
{
	pc->s->flags |= YS_SIG_F_REQ_PACKET;
	return pm_num(pc, v, YS_PM_DSIZE, 65535);
}
int ys_kw_seq(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_SEQ, 0xffffffffu);
}
int ys_kw_ack(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_ACK, 0xffffffffu);
}
int ys_kw_window(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_WINDOW, 65535);
}
int ys_kw_id(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_IP_ID, 65535);
}
int ys_kw_tos(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_TOS, 255);
}

int ys_kw_fragoffset(struct pctx *pc, char *v)
{
	return pm_num(pc, v, YS_PM_FRAGOFFSET, 8191);
}

int ys_kw_ip_proto(struct pctx *pc, char *v)
{
	static const struct {
		const char *n;
		int p;
	} names[] = { { "tcp", 6 },	{ "udp", 17 },	{ "icmp", 1 }, { "ipv6-icmp", 58 },
		      { "icmpv6", 58 }, { "igmp", 2 },	{ "gre", 47 }, { "esp", 50 },
		      { "ah", 51 },	{ "sctp", 132 } };
	char buf[32];
	if (v) {
		char *s = ys_kw_trim(v);
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
		mask = ys_kw_trim(mask + 1);
	}
	s = ys_kw_trim(v);
	for (; *s; s++) {
		uint8_t bit = 0;
		char c = *s;
		if (c == '+' || c == '*' || c == '!') {
			if (pm->mode) {
				ys_kw_err(pc, "two modifiers");
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
				ys_kw_err(pc, "unknown flag '%c'", c);
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
				ys_kw_err(pc, "unknown fragment bit '%c'", c);
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
				ys_kw_err(pc, "unknown mask flag '%c'", *m);
				return KW_BAD;
			}
		}
	}
	return KW_OK;
}

int ys_kw_flags(struct pctx *pc, char *v)
{
	struct ys_pm *pm;
	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	pm = ys_kw_pm_add(pc, YS_PM_TCP_FLAGS);
	if (!pm)
		return KW_BAD;
	return parse_bits(pc, v, pm, true);
}

int ys_kw_fragbits(struct pctx *pc, char *v)
{
	struct ys_pm *pm;
	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	pm = ys_kw_pm_add(pc, YS_PM_FRAGBITS);
	if (!pm)
		return KW_BAD;
	return parse_bits(pc, v, pm, false);
}

int ys_kw_sameip(struct pctx *pc, char *v)
{
	return ys_kw_pm_add(pc, YS_PM_SAMEIP) ? KW_OK : KW_BAD;
}

int ys_kw_ipopts(struct pctx *pc, char *v)
{
	static const struct {
		const char *n;
		uint8_t t;
	} opts[] = { { "eol", 0 },    { "nop", 1 },	{ "rr", 7 },	 { "ts", 68 },
		     { "sec", 130 },  { "esec", 133 },	{ "lsrr", 131 }, { "lsrre", 131 },
		     { "ssrr", 137 }, { "satid", 136 }, { "any", 255 } };
	struct ys_pm *pm;
	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	v = ys_kw_trim(v);
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (strcmp(v, opts[i].n) == 0) {
			pm = ys_kw_pm_add(pc, YS_PM_IPOPTS);
			if (!pm)
				return KW_BAD;
			pm->bits = opts[i].t;
			return KW_OK;
		}
	}
	ys_kw_err(pc, "unknown option \"%s\"", v);
	return KW_BAD;
}

int ys_kw_flow(struct pctx *pc, char *v)
{
	char *f[8];
	int nf;
	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = ys_kw_split(v, f, 8);
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
			ys_kw_err(pc, "option '%s' not supported", o);
			return KW_UNSUPP;
		} else {
			ys_kw_err(pc, "unknown option \"%s\"", o);
			return KW_BAD;
		}
	}
	if ((pc->s->flow & YS_FLOW_TO_SERVER) && (pc->s->flow & YS_FLOW_TO_CLIENT)) {
		ys_kw_err(pc, "to_server and to_client together");
		return KW_BAD;
	}
	if ((pc->s->flow & YS_FLOW_ESTABLISHED) && (pc->s->flow & YS_FLOW_NOT_ESTABLISHED)) {
		ys_kw_err(pc, "established and not_established together");
		return KW_BAD;
	}
	return KW_OK;
}

int ys_kw_flowbits(struct pctx *pc, char *v)
{
	char *f[2];
	int nf;
	struct ys_fb *fb;

	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = ys_kw_split(v, f, 2);
	if (nf == 1) {
		if (strcmp(f[0], "noalert") == 0) {
			pc->s->flags |= YS_SIG_F_NOALERT;
			return KW_OK;
		}
		ys_kw_err(pc, "needs a command and a name");
		return KW_BAD;
	}
	if (pc->nfbs >= sizeof(pc->fbs) / sizeof(pc->fbs[0])) {
		ys_kw_err(pc, "too many flowbits");
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
		ys_kw_err(pc, "unknown command \"%s\"", f[0]);
		return KW_BAD;
	}
	char *names = f[1];
	bool has_or = strchr(names, '|') != NULL, has_and = strchr(names, '&') != NULL;
	if (has_or && has_and) {
		ys_kw_err(pc, "cannot mix '|' and '&'");
		return KW_BAD;
	}
	fb->or_group = has_or;
	for (char *p = names; p;) {
		char *sep = strpbrk(p, "|&");
		if (sep)
			*sep = 0;
		char *nm = ys_kw_trim(p);
		if (!*nm || strchr(nm, ' ') || fb->nbits >= 8) {
			ys_kw_err(pc, "invalid flowbit name");
			return KW_BAD;
		}
		int32_t idx = ys_name_table_intern(&pc->eng->flowbits, nm);
		if (idx < 0) {
			ys_kw_err(pc, "out of memory");
			return KW_BAD;
		}
		fb->bits[fb->nbits++] = (uint32_t)idx;
		p = sep ? sep + 1 : NULL;
	}
	if (fb->nbits > 1 && fb->op != YS_FB_ISSET && fb->op != YS_FB_ISNOTSET && !has_and) {
		ys_kw_err(pc, "only isset/isnotset take a '|' group");
		return KW_BAD;
	}
	pc->nfbs++;
	return KW_OK;
}

int ys_kw_flowint(struct pctx *pc, char *v)
{
	char *f[3];
	int nf;
	struct ys_fi *fi;
	int32_t idx;

	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	nf = ys_kw_split(v, f, 3);
	if (nf < 2 || pc->nfis >= sizeof(pc->fis) / sizeof(pc->fis[0])) {
		ys_kw_err(pc, "needs name, operator[, value]");
		return KW_BAD;
	}
	fi = &pc->fis[pc->nfis];
	memset(fi, 0, sizeof(*fi));
	fi->value_var = -1;
	idx = ys_name_table_intern(&pc->eng->flowints, f[0]);
	if (idx < 0) {
		ys_kw_err(pc, "out of memory");
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
			ys_kw_err(pc, "unknown operator \"%s\"", op);
			return KW_BAD;
		}
	}
	if (need_val) {
		if (nf < 3) {
			ys_kw_err(pc, "operator needs a value");
			return KW_BAD;
		}
		if (ys_kw_i64(f[2], &fi->value) < 0) {
			int32_t o = ys_name_table_intern(&pc->eng->flowints, f[2]);
			if (o < 0) {
				ys_kw_err(pc, "out of memory");
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
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	if (pc->thr_set) {
		ys_kw_err(pc, "only one threshold/detection_filter per rule");
		return KW_BAD;
	}
	nf = ys_kw_split(v, f, 8);
	for (int i = 0; i < nf; i++) {
		char *sp = f[i];
		while (*sp && !isspace((unsigned char)*sp))
			sp++;
		char *val = ys_kw_trim(sp);
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
				ys_kw_err(pc, "type 'backoff' not supported");
				return KW_UNSUPP;
			} else {
				ys_kw_err(pc, "unknown type \"%s\"", val);
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
				ys_kw_err(pc, "unknown track \"%s\"", val);
				return KW_BAD;
			}
		} else if (strcmp(key, "count") == 0) {
			uint64_t c;
			has_count = true;
			if (ys_kw_u64(val, &c) < 0 || c > 0xffffffffu) {
				ys_kw_err(pc, "invalid count");
				return KW_BAD;
			}
			t->count = (uint32_t)c;
		} else if (strcmp(key, "seconds") == 0) {
			uint64_t c;
			has_secs = true;
			if (ys_kw_u64(val, &c) < 0 || c > 0xffffffffu) {
				ys_kw_err(pc, "invalid seconds");
				return KW_BAD;
			}
			t->seconds = (uint32_t)c;
		} else if (strcmp(key, "unique_on") == 0 && df) {
			if (strcmp(val, "src_port") == 0)
				t->unique_on = 1;
			else if (strcmp(val, "dst_port") == 0)
				t->unique_on = 2;
			else {
				ys_kw_err(pc, "unique_on must be src_port or dst_port");
				return KW_BAD;
			}
		} else {
			ys_kw_err(pc, "unknown option \"%s\"", key);
			return KW_BAD;
		}
	}
	if (df)
		t->type = YS_THR_DETECTION_FILTER;
	if ((!df && !has_type) || !has_track || !has_count || !has_secs) {
		ys_kw_err(pc, "needs %strack, count and seconds", df ? "" : "type, ");
		return KW_BAD;
	}
	if (t->count == 0 && t->type != YS_THR_DETECTION_FILTER) {
		ys_kw_err(pc, "count must be at least 1");
		return KW_BAD;
	}
	pc->thr_set = true;
	return KW_OK;
}

int ys_kw_threshold(struct pctx *pc, char *v)
{
	return kw_threshold_common(pc, v, false);
}
int ys_kw_detection_filter(struct pctx *pc, char *v)
{
	return kw_threshold_common(pc, v, true);
}

int ys_kw_noalert(struct pctx *pc, char *v)
{
	pc->s->flags |= YS_SIG_F_NOALERT;
	return KW_OK;
}

int ys_kw_noop(struct pctx *pc, char *v)
{
	return KW_OK;
}

int ys_kw_app_layer_protocol(struct pctx *pc, char *v)
{
	if (!v) {
		ys_kw_err(pc, "needs a value");
		return KW_BAD;
	}
	v = ys_kw_trim(v);
	bool neg = false;
	if (*v == '!') {
		neg = true;
		v = ys_kw_trim(v + 1);
	}
	char *comma = strchr(v, ',');
	if (comma)
		*comma = 0; /* ",final" / ",original" modifiers: treat as the flow's proto */
	v = ys_kw_trim(v);
	/* "failed" names the state of a flow whose detection gave up; a header cannot. */
	enum ys_app_proto p = strcasecmp(v, "failed") == 0 ? YS_APP_FAILED : ys_app_proto_parse(v);
	if (p == YS_APP_UNKNOWN && strcmp(v, "unknown") != 0) {
		ys_kw_err(pc, "unknown protocol \"%s\"", v);
		return KW_BAD;
	}
	if (pc->s->app_proto != YS_APP_UNKNOWN && pc->s->app_proto != p) {
		ys_kw_err(pc, "conflicts with the protocol in the rule header");
		return KW_BAD;
	}
	pc->s->app_proto = (uint16_t)p;
	pc->s->app_proto_neg = neg;
	return KW_OK;
}
