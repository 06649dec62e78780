/*
 * Private structures of the detection engine, shared by the detect_*.c files
 * and by its unit tests; nothing outside sensor/detect and tests/unit/detect
 * includes this header.
 *
 * A parsed rule is a struct ys_sig: its header (protocol, address and port
 * sets, direction), packet keywords (struct ys_pm, checked before any buffer
 * work because they are cheap), per-buffer match lists (struct ys_sm, in rule
 * order, evaluated with Suricata's relative-match and backtracking rules),
 * flowbits/flowint actions, and a threshold. The engine owns every sig and
 * every string hanging off it; after compile, sigs sit in evaluation order
 * (Suricata's signature ordering) so that the index of a sig is its rank.
 */
#ifndef YS_DETECT_INT_H
#define YS_DETECT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect.h"

#define YS_DETECT_MOD "detect"

/* ---- addresses and ports ---- */

struct ys_ip_range {
	uint8_t family; /* 4 or 6 */
	uint8_t lo[16], hi[16];
};

/* A set: matches when some positive range matches (or there are none) and no
 * negative range matches. Ranges sorted by (family, lo) for binary search. */
struct ys_addr_set {
	struct ys_ip_range *pos, *neg;
	uint32_t npos, nneg;
	bool any;
};

struct ys_port_range {
	uint16_t lo, hi;
};

struct ys_port_set {
	struct ys_port_range *pos, *neg;
	uint32_t npos, nneg;
	bool any;
};

struct ys_vars;
struct ys_vars *ys_vars_new(const struct ys_conf *vars, const struct ys_conf *override);
void ys_vars_free(struct ys_vars *v);
/* Parse an address / port expression (with $VARS). 0 or -EINVAL with ERR set. */
int ys_addr_set_parse(const struct ys_vars *v, const char *text, struct ys_addr_set *out, char *err,
		      size_t errlen);
int ys_port_set_parse(const struct ys_vars *v, const char *text, struct ys_port_set *out, char *err,
		      size_t errlen);
void ys_addr_set_clear(struct ys_addr_set *s);
void ys_port_set_clear(struct ys_port_set *s);
bool ys_addr_set_match(const struct ys_addr_set *s, const struct ys_addr *a);
bool ys_port_set_match(const struct ys_port_set *s, uint16_t port);
/* Number of ports the set matches (65536 for any). */
uint32_t ys_port_set_size(const struct ys_port_set *s);

/* ---- classification / names ---- */

struct ys_classtype {
	char *name, *desc;
	int priority;
};

struct ys_class_table {
	struct ys_classtype *v;
	size_t n;
};

int ys_class_table_load_default(struct ys_class_table *t);
int ys_class_table_load_file(struct ys_class_table *t, const char *path);
void ys_class_table_clear(struct ys_class_table *t);
const struct ys_classtype *ys_class_table_find(const struct ys_class_table *t, const char *name);

/* ---- signature parts ---- */

enum ys_cmp_op {
	YS_CMP_EQ = 0,
	YS_CMP_LT,
	YS_CMP_GT,
	YS_CMP_LE,
	YS_CMP_GE,
	YS_CMP_RANGE, /* a < x < b (Suricata's "a<>b") */
	YS_CMP_NE,
};

struct ys_num_cmp {
	uint8_t op; /* enum ys_cmp_op */
	uint64_t a, b;
};

bool ys_num_cmp_match(const struct ys_num_cmp *c, uint64_t v);
/* "5", "<5", ">=5", "5<>10", "!5", "5-10" (range inclusive for '-': off by Suricata rules). */
int ys_num_cmp_parse(const char *s, struct ys_num_cmp *out);

/* Packet keywords. */
enum ys_pm_type {
	YS_PM_TTL = 0,
	YS_PM_IP_PROTO,
	YS_PM_ITYPE,
	YS_PM_ICODE,
	YS_PM_ICMP_ID,
	YS_PM_ICMP_SEQ,
	YS_PM_DSIZE,
	YS_PM_TCP_FLAGS,
	YS_PM_SEQ,
	YS_PM_ACK,
	YS_PM_WINDOW,
	YS_PM_IP_ID,
	YS_PM_SAMEIP,
	YS_PM_IPOPTS,
	YS_PM_FRAGBITS,
	YS_PM_FRAGOFFSET,
	YS_PM_STREAM_SIZE,
	YS_PM_TOS,
};

struct ys_pm {
	uint8_t type;
	bool neg;
	struct ys_num_cmp cmp;
	/* flags / fragbits: bits that must be set (mode), mask of ignored bits */
	uint8_t bits, ignore, mode; /* mode: 0 exact, '+' all of, '*' any of, '!' none of */
	uint8_t stream_dir;	    /* stream_size: 1 server, 2 client, 3 both, 4 either */
};

enum ys_sm_type {
	YS_SM_CONTENT = 0,
	YS_SM_PCRE,
	YS_SM_BYTE_TEST,
	YS_SM_BYTE_JUMP,
	YS_SM_BYTE_EXTRACT,
	YS_SM_ISDATAAT,
	YS_SM_BSIZE,
	YS_SM_VERSION, /* ssl_version / tls.version on the tls.version buffer */
};

/* TLS/SSL versions as bits (ssl_version) */
#define YS_TLSV_SSL2  (1u << 0)
#define YS_TLSV_SSL3  (1u << 1)
#define YS_TLSV_TLS10 (1u << 2)
#define YS_TLSV_TLS11 (1u << 3)
#define YS_TLSV_TLS12 (1u << 4)
#define YS_TLSV_TLS13 (1u << 5)

#define YS_CF_NOCASE	 (1u << 0)
#define YS_CF_NEGATED	 (1u << 1)
#define YS_CF_OFFSET	 (1u << 2)
#define YS_CF_DEPTH	 (1u << 3)
#define YS_CF_DISTANCE	 (1u << 4)
#define YS_CF_WITHIN	 (1u << 5)
#define YS_CF_STARTSWITH (1u << 6)
#define YS_CF_ENDSWITH	 (1u << 7)
#define YS_CF_FAST	 (1u << 8)
#define YS_CF_FAST_ONLY	 (1u << 9)
#define YS_CF_FAST_CHOP	 (1u << 10)
#define YS_CF_RELATIVE	 (1u << 11) /* distance or within: anchored on the previous match */
#define YS_CF_REL_NEXT	 (1u << 12) /* the next match in the list is relative to this one */

/* byte_* flags */
#define YS_BF_RELATIVE (1u << 0)
#define YS_BF_STRING   (1u << 1)
#define YS_BF_BIG      (1u << 2) /* default big endian */
#define YS_BF_LITTLE   (1u << 3)
#define YS_BF_ALIGN    (1u << 4)
#define YS_BF_FROM_BEG (1u << 5)
#define YS_BF_FROM_END (1u << 6)
#define YS_BF_NEGATE   (1u << 7)
#define YS_BF_DCE      (1u << 8)
#define YS_BF_BITMASK  (1u << 9)

/* A value given either literally or by a byte_extract variable. */
struct ys_val {
	int64_t v;
	int8_t var; /* -1: literal */
};

struct ys_sm {
	uint8_t type; /* enum ys_sm_type */
	uint16_t flags;
	union {
		struct {
			uint8_t *pat;
			uint32_t len;
			struct ys_val offset, depth, distance, within;
			uint16_t chop_off, chop_len;
		} c;
		struct {
			void *code; /* pcre2_code * */
			bool relative, negated, start_anchor;
		} p;
		struct {
			uint8_t nbytes, base;
			char op; /* < > = & ^ and the <= >= forms as 'l' 'g' */
			struct ys_val value, offset;
			int32_t multiplier, post_offset;
			uint32_t bitmask;
			uint8_t var; /* byte_extract target */
		} b;
		struct {
			struct ys_val n;
			bool relative, negated;
		} i;
		struct ys_num_cmp bsize;
		struct {
			uint8_t listed, negated; /* YS_TLSV_* */
		} ver;
	} u;
};

/* The match list of one buffer. */
#define YS_XFORM_DOTPREFIX (1u << 0) /* inspect "." + buffer (dns.query) */

struct ys_bufmatch {
	uint16_t buf;	   /* enum ys_buf_id */
	uint16_t xform;	   /* YS_XFORM_* */
	uint32_t first, n; /* indexes into sig->sms */
};

#define YS_MAX_BUFMATCH	 12
#define YS_MAX_SMS	 64
#define YS_MAX_BYTE_VARS 8

/* flow: keyword */
#define YS_FLOW_ESTABLISHED	(1u << 0)
#define YS_FLOW_NOT_ESTABLISHED (1u << 1)
#define YS_FLOW_TO_SERVER	(1u << 2)
#define YS_FLOW_TO_CLIENT	(1u << 3)
#define YS_FLOW_STATELESS	(1u << 4)
#define YS_FLOW_ONLY_STREAM	(1u << 5)
#define YS_FLOW_NO_STREAM	(1u << 6)

enum ys_fb_op {
	YS_FB_SET = 0,
	YS_FB_UNSET,
	YS_FB_TOGGLE,
	YS_FB_ISSET,
	YS_FB_ISNOTSET,
};

/* flowbits: a check is an OR group ("a|b") or AND group ("a&b") of bit indexes. */
struct ys_fb {
	uint8_t op;
	bool or_group;
	uint16_t nbits;
	uint32_t bits[8];
};

enum ys_fi_op {
	YS_FI_SET = 0,
	YS_FI_ADD,
	YS_FI_SUB,
	YS_FI_CMP, /* with cmp */
	YS_FI_ISSET,
	YS_FI_NOTSET,
};

struct ys_fi {
	uint8_t op;
	uint8_t cmp; /* enum ys_cmp_op for YS_FI_CMP */
	uint32_t var;
	int64_t value;
	int32_t value_var; /* another flowint as operand, -1 none */
};

enum ys_thr_type {
	YS_THR_NONE = 0,
	YS_THR_LIMIT,
	YS_THR_THRESHOLD,
	YS_THR_BOTH,
	YS_THR_DETECTION_FILTER,
};

enum ys_thr_track {
	YS_TRACK_SRC = 0,
	YS_TRACK_DST,
	YS_TRACK_RULE,
	YS_TRACK_BOTH,
	YS_TRACK_FLOW,
};

struct ys_threshold {
	uint8_t type, track;
	uint8_t unique_on; /* detection_filter: 0 none, 1 src_port, 2 dst_port */
	uint32_t count, seconds;
};

/* proto classes used to pick groups */
enum ys_pclass { YS_PC_TCP = 0, YS_PC_UDP, YS_PC_ICMP, YS_PC_ICMP6, YS_PC_OTHER, YS_PC_COUNT };

#define YS_SIG_PROTO_IP	    0xff /* any IP protocol */
#define YS_SIG_F_BIDIR	    (1u << 0)
#define YS_SIG_F_NOALERT    (1u << 1)
#define YS_SIG_F_TCP_PKT    (1u << 2)
#define YS_SIG_F_TCP_STREAM (1u << 3)
#define YS_SIG_F_APPLAYER   (1u << 4) /* has an app-layer buffer: alert once per tx */
#define YS_SIG_F_IPV4_ONLY  (1u << 5)
#define YS_SIG_F_IPV6_ONLY  (1u << 6)
#define YS_SIG_F_REQ_PACKET (1u << 7) /* dsize: inspects packets, not the stream */
#define YS_SIG_F_IPONLY	    (1u << 8) /* only addresses: once per flow direction (Suricata IP-only) */

struct ys_sig {
	struct ys_sig_info info;
	uint32_t idx;	     /* rank in evaluation order */
	uint32_t flags;	     /* YS_SIG_F_* */
	uint8_t proto;	     /* IPPROTO_* or YS_SIG_PROTO_IP */
	uint8_t pclass_mask; /* bit per enum ys_pclass */
	uint16_t app_proto;  /* from the header or app-layer-protocol: */
	bool app_proto_neg;
	uint8_t flow; /* YS_FLOW_* */
	struct ys_addr_set src, dst;
	struct ys_port_set sp, dp;

	struct ys_pm *pms;
	uint32_t npms;
	struct ys_sm *sms;
	uint32_t nsms;
	struct ys_bufmatch bm[YS_MAX_BUFMATCH];
	uint32_t nbm;
	uint64_t buf_mask; /* buffers the rule needs (app-layer ones) */

	struct ys_fb *fbs; /* checks and actions */
	uint32_t nfbs;
	struct ys_fi *fis;
	uint32_t nfis;
	uint8_t fb_order; /* Suricata ordering: 3 set-only, 2 set+read, 1 read, 0 none */
	uint8_t fi_order;

	struct ys_threshold thr;
	uint32_t nbyte_vars;

	/* fast pattern: index into sms, or -1 */
	int32_t fp_sm;
	uint16_t fp_buf;
	uint16_t fp_xform; /* transforms of the fast pattern's buffer */

	struct ys_sig_meta *meta;
	uint32_t nmeta;
	char *raw;
	uint32_t gid_sid_hash;
};

/* ---- engine ---- */

/*
 * The fields of a rule that reject most candidates (protocol class, flow
 * direction and state, addresses, ports, app protocol), copied at compile
 * into one array indexed by rank: a rejected candidate costs a read of 32
 * contiguous bytes instead of cache misses on its struct ys_sig. Addresses
 * and ports are indexes of the engine's distinct sets (addr_sets,
 * port_sets), whose per-packet results the ctx computes once per packet;
 * YS_SET_ANY stands for "any", which needs no lookup.
 */
#define YS_SET_ANY UINT32_MAX

struct ys_sig_pre {
	uint32_t flags; /* YS_SIG_F_* */
	uint32_t src_set, dst_set;
	uint32_t sp_set, dp_set;
	uint16_t app_proto;
	uint8_t pclass_mask;
	uint8_t flow;
	bool app_proto_neg;
	bool ports_any;	  /* both port sets are "any" */
	bool has_flowvar; /* flowbits or flowint: needs the flow's detect state */
};

#define YS_PORT_GROUP_FULL 0x8000u

/* A prefilter group: one Hyperscan database (NULL when no fast patterns),
 * the rules behind each pattern, and the rules always evaluated. */
struct ys_detect_group {
	void *db; /* hs_database_t * */
	uint32_t npat;
	uint32_t *pat_first; /* npat + 1 offsets into pat_sigs */
	uint32_t *pat_sigs;
	uint32_t *nofp;
	uint32_t nnofp;
	uint32_t nsigs; /* rules in the group (for stats) */
};

struct ys_name_table {
	char **names;
	uint32_t n, cap;
};

/* Index of NAME, added when missing; -1 on allocation failure. */
int32_t ys_name_table_intern(struct ys_name_table *t, const char *name);
void ys_name_table_clear(struct ys_name_table *t);

struct ys_detect_engine {
	struct ys_detect_params params;
	struct ys_vars *vars;
	struct ys_class_table classes;
	struct ys_detect_stats stats;

	struct ys_sig **sigs;
	uint32_t nsigs, sigs_cap;

	struct ys_detect_failure *fails;
	size_t nfails, fails_cap;

	struct ys_name_table flowbits, flowints;
	struct ys_name_table files; /* file names, shared by sigs and failures */
	/* gid:sid -> sig index + 1 (open addressing), for duplicate detection */
	uint32_t *sid_hash;
	uint32_t sid_hash_cap;

	/* After compile. */
	bool compiled;
	struct ys_detect_group **groups;
	uint32_t ngroups, groups_cap;
	/* Per proto class and direction (0 to server, 1 to client): the group of
	 * port-agnostic rules and a port-indexed table of group numbers (0 = none,
	 * else index + 1). */
	uint32_t any_group[YS_PC_COUNT][2];
	/* TCP rules that inspect raw packets even on reassembled sessions
	 * (tcp-pkt, dsize, flow:no_stream), per direction, any port. */
	uint32_t pktonly_group[2];
	uint16_t *port_group[YS_PC_COUNT][2]; /* | YS_PORT_GROUP_FULL: replaces any_group */
	/* One database per app-layer buffer. */
	uint32_t buf_group[YS_BUF_COUNT];
	/* Rules with an app-layer buffer but no fast pattern. */
	uint32_t *app_nofp;
	uint32_t napp_nofp;
	ys_detect_scan_hook_fn scan_hook; /* benchmark only */
	void *scan_hook_user;
	/* Per rule (by rank), see struct ys_sig_pre. */
	struct ys_sig_pre *pre;
	/* The distinct address and port sets of all rules: ET rules use a
	 * handful ($HOME_NET, $EXTERNAL_NET, $HTTP_PORTS ...), so a packet is
	 * matched against each once, not once per candidate rule. Copies whose
	 * ranges point into one pool each (addr_pool, port_pool), so that the
	 * sets a packet touches share a few cache lines instead of each costing
	 * a miss on some rule's struct and range array. */
	struct ys_addr_set *addr_sets;
	uint32_t naddr_sets;
	struct ys_port_set *port_sets;
	uint32_t nport_sets;
	struct ys_ip_range *addr_pool;
	struct ys_port_range *port_pool;
	bool has_iponly;	 /* some rules are IP-only: flows need state for them */
	uint32_t stream_overlap; /* longest fast pattern - 1: stream bytes rescanned */

	void *proto_scratch; /* hs_scratch_t * allocated against every database */
};

int ys_detect_sig_parse(struct ys_detect_engine *eng, const char *text, const char *file,
			unsigned line, struct ys_sig **out, char *kw, size_t kwlen, char *err,
			size_t errlen, uint32_t *sid_out);
void ys_sig_free(struct ys_sig *s);
void ys_detect_groups_free(struct ys_detect_engine *eng);
int ys_detect_groups_build(struct ys_detect_engine *eng);
void ys_detect_sigs_order(struct ys_detect_engine *eng);

/* ---- match-time helpers ---- */

struct ys_match_state {
	uint64_t byte_vars[YS_MAX_BYTE_VARS];
	uint32_t budget;  /* recursion / backtracking budget */
	uint32_t min_end; /* a list match must end beyond this offset (stream window) */
	void *md;	  /* pcre2_match_data * owned by the ctx */
	uint8_t *xbuf;	  /* transform output, owned by the ctx */
	uint32_t xcap;
};

/* First occurrence of N in H (nocase: ASCII case-insensitive), or NULL. */
const uint8_t *ys_find(const uint8_t *h, uint32_t hlen, const uint8_t *n, uint32_t nlen,
		       bool nocase);
/* Run a buffer match list against DATA. */
bool ys_sm_list_match(const struct ys_sig *s, const struct ys_sm *sms, uint32_t n,
		      const uint8_t *data, uint32_t len, struct ys_match_state *st);
/* Same, but the match must end after MIN_END (new bytes of a stream window). */
bool ys_sm_list_match_after(const struct ys_sig *s, const struct ys_sm *sms, uint32_t n,
			    const uint8_t *data, uint32_t len, uint32_t min_end,
			    struct ys_match_state *st);
bool ys_pm_match(const struct ys_pm *pm, const struct ys_packet *pkt);

/* Flow state (flowbits, flowints, tx alert memory, pass). */
struct ys_detect_flow {
	uint32_t nbits_words;
	uint64_t *bits;
	uint32_t nints;
	int64_t *ints;
	uint8_t *int_set;
	bool passed;
	bool iponly_done[2]; /* IP-only rules already run for this direction */
	/* app-layer alerts already given: (sig idx, tx id) pairs */
	struct {
		uint32_t sig;
		uint64_t tx;
	} * txa;
	uint32_t ntxa, txa_cap;
};

struct ys_detect_flow *ys_detect_flow_get(struct ys_flow *f, const struct ys_detect_engine *eng);
bool ys_flowbits_check(const struct ys_detect_flow *df, const struct ys_fb *fb);
void ys_flowbits_apply(struct ys_detect_flow *df, const struct ys_fb *fb);
bool ys_flowint_check(const struct ys_detect_flow *df, const struct ys_fi *fi);
void ys_flowint_apply(struct ys_detect_flow *df, const struct ys_fi *fi);
/* True when the (sig, tx) pair was already alerted; records it otherwise. */
bool ys_detect_flow_tx_seen(struct ys_detect_flow *df, uint32_t sig, uint64_t tx);

/* Thresholds, bounded table owned by a ctx. */
struct ys_thr_table;
struct ys_thr_table *ys_thr_table_new(uint32_t capacity);
void ys_thr_table_free(struct ys_thr_table *t);
/* Returns true when the alert should be emitted (thresholds permitting). */
bool ys_thr_check(struct ys_thr_table *t, const struct ys_sig *s, const struct ys_packet *pkt);

#endif /* YS_DETECT_INT_H */
