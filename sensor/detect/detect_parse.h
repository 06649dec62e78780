/*
 * Private to the rule parser and its keyword files: the per-rule parse
 * context, the keyword handler convention and the helpers they share.
 * detect_rule_parse.c owns the rule structure (header, option loop, meta
 * keywords, finishing); detect_kw_payload.c the content-like keywords and
 * detect_kw_packet.c the packet, flow and state keywords.
 *
 * A handler gets the option value (NULL when the option has none), records
 * what it parsed in the context, and returns KW_OK, KW_BAD (invalid: reason
 * via ys_kw_err()) or KW_UNSUPP (valid Suricata we do not implement).
 */
#ifndef YS_DETECT_PARSE_H
#define YS_DETECT_PARSE_H

#include "detect_int.h"

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

void ys_kw_err(struct pctx *pc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* helpers (detect_rule_parse.c) */
char *ys_kw_trim(char *s);
struct tsm *ys_kw_sm_add(struct pctx *pc, uint8_t type, uint16_t list);
struct ys_pm *ys_kw_pm_add(struct pctx *pc, uint8_t type);
int ys_kw_unquote(char *s, char **out);
int ys_kw_u64(const char *s, uint64_t *out);
int ys_kw_i64(const char *s, int64_t *out);
int ys_kw_split(char *s, char **f, int max);
bool ys_num_cmp_match(const struct ys_num_cmp *c, uint64_t v);
int ys_num_cmp_parse(const char *in, struct ys_num_cmp *out);

/* payload keywords (detect_kw_payload.c) */
int ys_kw_content(struct pctx *pc, char *v);
int ys_kw_uricontent(struct pctx *pc, char *v);
int ys_kw_nocase(struct pctx *pc, char *v);
int ys_kw_offset(struct pctx *pc, char *v);
int ys_kw_depth(struct pctx *pc, char *v);
int ys_kw_distance(struct pctx *pc, char *v);
int ys_kw_within(struct pctx *pc, char *v);
int ys_kw_startswith(struct pctx *pc, char *v);
int ys_kw_endswith(struct pctx *pc, char *v);
int ys_kw_rawbytes(struct pctx *pc, char *v);
int ys_kw_fast_pattern(struct pctx *pc, char *v);
int ys_kw_pcre(struct pctx *pc, char *v);
int ys_kw_byte_test(struct pctx *pc, char *v);
int ys_kw_byte_jump(struct pctx *pc, char *v);
int ys_kw_byte_extract(struct pctx *pc, char *v);
int ys_kw_isdataat(struct pctx *pc, char *v);
int ys_kw_bsize(struct pctx *pc, char *v);
int ys_kw_urilen(struct pctx *pc, char *v);

/* legacy HTTP content modifiers (detect_kw_payload.c) */
int ys_kw_http_uri(struct pctx *pc, char *v);
int ys_kw_http_raw_uri(struct pctx *pc, char *v);
int ys_kw_http_header(struct pctx *pc, char *v);
int ys_kw_http_raw_header(struct pctx *pc, char *v);
int ys_kw_http_method(struct pctx *pc, char *v);
int ys_kw_http_client_body(struct pctx *pc, char *v);
int ys_kw_http_server_body(struct pctx *pc, char *v);
int ys_kw_http_cookie(struct pctx *pc, char *v);
int ys_kw_http_user_agent(struct pctx *pc, char *v);
int ys_kw_http_host(struct pctx *pc, char *v);
int ys_kw_http_raw_host(struct pctx *pc, char *v);
int ys_kw_http_stat_code(struct pctx *pc, char *v);
int ys_kw_http_stat_msg(struct pctx *pc, char *v);

/* transforms and TLS version (detect_kw_payload.c) */
int ys_kw_dotprefix(struct pctx *pc, char *v);
int ys_kw_ssl_version(struct pctx *pc, char *v);
int ys_kw_tls_version(struct pctx *pc, char *v);
int ys_kw_pkt_data(struct pctx *pc, char *v);

/* packet, flow and state keywords (detect_kw_packet.c) */
int ys_kw_ttl(struct pctx *pc, char *v);
int ys_kw_itype(struct pctx *pc, char *v);
int ys_kw_icode(struct pctx *pc, char *v);
int ys_kw_icmp_id(struct pctx *pc, char *v);
int ys_kw_icmp_seq(struct pctx *pc, char *v);
int ys_kw_dsize(struct pctx *pc, char *v);
int ys_kw_seq(struct pctx *pc, char *v);
int ys_kw_ack(struct pctx *pc, char *v);
int ys_kw_window(struct pctx *pc, char *v);
int ys_kw_id(struct pctx *pc, char *v);
int ys_kw_tos(struct pctx *pc, char *v);
int ys_kw_fragoffset(struct pctx *pc, char *v);
int ys_kw_ip_proto(struct pctx *pc, char *v);
int ys_kw_flags(struct pctx *pc, char *v);
int ys_kw_fragbits(struct pctx *pc, char *v);
int ys_kw_sameip(struct pctx *pc, char *v);
int ys_kw_ipopts(struct pctx *pc, char *v);
int ys_kw_flow(struct pctx *pc, char *v);
int ys_kw_flowbits(struct pctx *pc, char *v);
int ys_kw_flowint(struct pctx *pc, char *v);
int ys_kw_threshold(struct pctx *pc, char *v);
int ys_kw_detection_filter(struct pctx *pc, char *v);
int ys_kw_noalert(struct pctx *pc, char *v);
int ys_kw_noop(struct pctx *pc, char *v);
int ys_kw_app_layer_protocol(struct pctx *pc, char *v);

/* meta keywords (detect_rule_parse.c) */
int ys_kw_msg(struct pctx *pc, char *v);
int ys_kw_sid(struct pctx *pc, char *v);
int ys_kw_rev(struct pctx *pc, char *v);
int ys_kw_gid(struct pctx *pc, char *v);
int ys_kw_priority(struct pctx *pc, char *v);
int ys_kw_classtype(struct pctx *pc, char *v);
int ys_kw_target(struct pctx *pc, char *v);
int ys_kw_metadata(struct pctx *pc, char *v);
int ys_kw_reference(struct pctx *pc, char *v);
int ys_kw_tag(struct pctx *pc, char *v);

#endif /* YS_DETECT_PARSE_H */
