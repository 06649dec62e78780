/*
 * Packet decoding: link layer (Ethernet, 802.1Q/QinQ, Linux SLL/SLL2, BSD
 * NULL/LOOP, raw IP, Cisco HDLC, MPLS, PPPoE session), IPv4 (with fragment
 * reassembly), IPv6 (extension headers, bounded, with fragment reassembly),
 * TCP, UDP, ICMP/ICMPv6, and the encapsulations VXLAN (UDP 4789), GENEVE (UDP
 * 6081), GRE (IP, transparent Ethernet bridging, ERSPAN II/III),
 * IP-in-IP / IPv6-in-IP and Teredo (IPv6 in UDP 3544, recognised as Suricata
 * does: an IPv6 header whose length matches the datagram exactly), whose inner
 * packet is decoded again; Cisco VN-Tag and 802.1ah (PBB) on the link too.
 * The outermost VXLAN/GENEVE overlay's VNI and outer addresses are kept for tenant lookup and
 * for the alert's tunnel object; addresses, ports and payload are the
 * innermost. Every decapsulation (overlay, GRE, IP-in-IP) counts towards
 * YS_MAX_TUNNELS; one more is YS_DEC_TUNNEL_TOO_DEEP.
 *
 * VLAN tags: at most YS_MAX_VLANS per Ethernet frame (a third is
 * YS_DEC_VLAN_TOO_DEEP). pkt->vlan keeps the VLAN ids (12 bits, priority
 * stripped) of the first frame that carried tags, outermost first; tags of a
 * frame nested inside an overlay are recorded only when the outer frames had
 * none.
 *
 * Checksums (params.validate_checksums, -k all; -k auto: checksum_auto): an
 * IPv4 header, TCP, UDP, ICMP or ICMPv6 checksum that fails sets YS_PKT_BAD_CSUM, counts
 * the kind (YS_DEC_*_BAD_CSUM, also left in pkt->decode_error) and clears
 * pkt->payload / payload_len, so no rule inspects the payload; headers, ports
 * and flags stay decoded and ys_decode_packet() returns 0 (the flow stage does
 * not let such a packet change TCP state: a forged RST with a bad checksum does
 * not close a flow). Checksums are not checked on packets cut by the snap
 * length, nor on fragments (only on the reassembled datagram). With
 * validation off (the default, -k none) nothing is computed and packets are
 * inspected as they are.
 *
 * IP fragment reassembly (IPv4 and IPv6) is per decoder, keyed by
 * src + dst + id + outer VNI (+ protocol for IPv4, RFC 791; IPv6 takes the
 * first fragment's next header, RFC 8200). Overlap policy: "first wins"
 * (bytes already received are never overwritten by a later fragment; the
 * overlap is counted as YS_DEC_IPV4_FRAG_OVERLAP / YS_DEC_IPV6_FRAG_OVERLAP),
 * which also defeats tiny-fragment header rewrites (RFC 1858) and teardrop
 * style negative lengths. Limits: datagrams up to 65535 bytes, at most
 * YS_FRAG_MAX_PIECES distinct holes-and-pieces per datagram, params.frag_memcap
 * bytes in total (when reached the oldest incomplete datagram is dropped,
 * counted as YS_DEC_FRAG_MEMCAP), params.frag_timeout_sec of packet time since
 * a datagram's first fragment (expired ones are dropped, stats.frag_timeouts).
 * A reassembled IPv6 datagram is presented as a plain 40-byte IPv6 header
 * (the unfragmentable extension headers are dropped) followed by the payload,
 * whose own extension headers are walked again (a fragment header inside is
 * nested fragmentation: reassembled too, at most YS_MAX_REASM_NEST deep).
 * YS_PKT_IPV4_FRAG_REASSEMBLED / YS_PKT_IPV4_FRAGMENT are set for IPv6 too.
 *
 * Every read is bounds-checked; a malformed or truncated packet sets
 * pkt->decode_error to the first problem found, increments that kind's counter
 * and is never dereferenced past its captured length.
 *
 * Threading: a struct ys_decoder is owned by one worker (it holds that
 * worker's counters and IPv4/IPv6 fragment reassembly state). No allocation per
 * packet except while reassembling fragments (bounded by a memcap).
 */
#ifndef YS_DECODE_H
#define YS_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YS_MAX_VLANS	    2 /* 802.1Q + QinQ outer tag */
#define YS_MAX_TUNNELS	    2 /* overlay inside overlay, then we stop */
#define YS_MAX_IPV6_EXTHDR  8
#define YS_MAX_MPLS_LABELS  8
#define YS_MAX_REASM_NEST   2  /* reassembled datagrams inside one another, per packet */
#define YS_FRAG_MAX_PIECES  64 /* received ranges tracked per datagram being reassembled */
#define YS_CSUM_AUTO_SAMPLE 1000
#define YS_CSUM_AUTO_RATIO  10

/* Link types we accept: pcap DLT values. */
enum ys_linktype {
	YS_LINK_NULL = 0, /* BSD loopback: 4-byte host-order family */
	YS_LINK_ETHERNET = 1,
	YS_LINK_RAW_DLT = 12,	/* DLT_RAW: libpcap's value for LINKTYPE_RAW on Linux */
	YS_LINK_RAW_DLT14 = 14, /* DLT_RAW on OpenBSD */
	YS_LINK_RAW = 101,	/* raw IPv4/IPv6 */
	YS_LINK_LOOP = 108,	/* OpenBSD loopback: 4-byte network-order family */
	YS_LINK_C_HDLC = 104,	/* Cisco HDLC */
	YS_LINK_SLL = 113,	/* Linux cooked */
	YS_LINK_IPV4 = 228,
	YS_LINK_IPV6 = 229,
	YS_LINK_SLL2 = 276,
};

/* Decode problems, counted by kind. Keep ys_decode_error_name() in step. */
enum ys_decode_error {
	YS_DEC_OK = 0,
	YS_DEC_LINK_TRUNCATED,
	YS_DEC_LINK_UNSUPPORTED,
	YS_DEC_VLAN_TRUNCATED,
	YS_DEC_VLAN_TOO_DEEP,
	YS_DEC_IPV4_TRUNCATED,
	YS_DEC_IPV4_BAD_VERSION,
	YS_DEC_IPV4_BAD_HLEN,
	YS_DEC_IPV4_BAD_LEN,
	YS_DEC_IPV4_BAD_CSUM,
	YS_DEC_IPV4_FRAG_OVERLAP,
	YS_DEC_IPV4_FRAG_TOO_LARGE,
	YS_DEC_IPV6_TRUNCATED,
	YS_DEC_IPV6_BAD_VERSION,
	YS_DEC_IPV6_EXTHDR_TOO_MANY,
	YS_DEC_IPV6_EXTHDR_TRUNCATED,
	YS_DEC_IPV6_FRAG_OVERLAP,
	YS_DEC_TCP_TRUNCATED,
	YS_DEC_TCP_BAD_HLEN,
	YS_DEC_TCP_BAD_CSUM,
	YS_DEC_UDP_TRUNCATED,
	YS_DEC_UDP_BAD_LEN,
	YS_DEC_UDP_BAD_CSUM,
	YS_DEC_ICMP_TRUNCATED,
	YS_DEC_ICMP_BAD_CSUM,
	YS_DEC_TUNNEL_TRUNCATED,
	YS_DEC_TUNNEL_TOO_DEEP,
	YS_DEC_FRAG_MEMCAP,
	YS_DEC_IPV4_FRAG_BAD, /* fragment of impossible length/offset */
	YS_DEC_IPV6_FRAG_BAD,
	YS_DEC_IPV6_FRAG_TOO_LARGE,
	YS_DEC_ICMPV6_TRUNCATED,
	YS_DEC_ICMPV6_BAD_CSUM,
	YS_DEC_GRE_TRUNCATED,
	YS_DEC_GRE_UNSUPPORTED, /* version/routing/protocol we do not decapsulate */
	YS_DEC_MPLS_TRUNCATED,
	YS_DEC_MPLS_TOO_DEEP,
	YS_DEC_PPPOE_TRUNCATED,
	YS_DEC_PPPOE_BAD,
	YS_DEC_TCP_OPT_BAD, /* an option runs past the header (counted, packet still used) */
	YS_DEC_ERROR_COUNT
};

const char *ys_decode_error_name(enum ys_decode_error e);

enum ys_tunnel_type {
	YS_TUNNEL_NONE = 0,
	YS_TUNNEL_VXLAN,
	YS_TUNNEL_GENEVE,
};

/* An IPv4 address is stored IPv4-mapped-free: family 4 and the 4 bytes in a[0..3]. */
struct ys_addr {
	uint8_t family; /* 4 or 6, 0 = none */
	uint8_t a[16];
};

struct ys_tunnel {
	enum ys_tunnel_type type;
	uint32_t vni;
	struct ys_addr outer_src, outer_dst;
	uint16_t outer_sport, outer_dport;
};

/* Packet flags */
#define YS_PKT_IPV4_FRAG_REASSEMBLED (1u << 0) /* data points at a reassembled datagram */
#define YS_PKT_BAD_CSUM		     (1u << 1) /* a checksum failed (set only when validating) */
#define YS_PKT_TO_SERVER	     (1u << 2) /* set by the flow stage */
#define YS_PKT_TO_CLIENT	     (1u << 3)
#define YS_PKT_ESTABLISHED	     (1u << 4) /* flow was established when this packet arrived */
#define YS_PKT_FIRST_OF_FLOW	     (1u << 5)
#define YS_PKT_IPV4_FRAGMENT	     (1u << 6) /* an unreassembled fragment (no L4 decode) */

struct ys_packet {
	/* Capture: set by the capture backend. data stays valid until the next packet. */
	const uint8_t *data;
	uint32_t caplen;    /* bytes in data */
	uint32_t wirelen;   /* bytes on the wire */
	uint64_t ts_usec;   /* capture time, microseconds since the epoch */
	int linktype;	    /* enum ys_linktype */
	uint64_t pcap_cnt;  /* 1-based position in the capture (EVE pcap_cnt) */
	uint32_t hw_tenant; /* tenant id from XDP metadata, 0 = none */
	const char *iface;

	/* Decode results. */
	enum ys_decode_error decode_error;
	uint32_t flags;
	uint16_t vlan[YS_MAX_VLANS]; /* outermost first */
	uint8_t vlan_count;
	struct ys_tunnel tunnel; /* outermost overlay, type NONE if none */
	uint8_t tunnel_depth;

	uint8_t ip_version; /* 4, 6 or 0 */
	struct ys_addr src, dst;
	const uint8_t *l3; /* innermost IP header */
	uint32_t l3_len;   /* IP header + payload bytes present */
	uint16_t ip_hlen;  /* IPv4 header length, IPv6 40 + ext headers */
	uint8_t ttl;	   /* TTL / hop limit */
	uint8_t tos;
	uint16_t ip_id;
	uint16_t frag_off; /* IPv4 fragment offset field incl. flags (host order) */
	uint8_t proto;	   /* innermost L4 protocol (IPPROTO_*) */

	const uint8_t *l4;
	uint32_t l4_len;
	uint16_t sport, dport; /* 0 for ICMP */
	uint8_t tcp_flags;     /* TH_FIN.. as on the wire */
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_win;
	uint8_t tcp_hlen;
	uint8_t tcp_wscale; /* window scale option, 0xff when absent */
	uint16_t tcp_mss;   /* MSS option, 0 when absent */
	bool tcp_sackok;    /* SACK-permitted option present */
	bool tcp_has_ts;    /* timestamp option present */
	uint32_t tcp_tsval, tcp_tsecr;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;

	const uint8_t *payload; /* L4 payload (or IP payload when L4 is unknown) */
	uint32_t payload_len;

	/* Set by later stages. */
	uint32_t tenant_id;
	struct ys_flow *flow;
};

struct ys_decode_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t ipv4, ipv6, tcp, udp, icmp, vlan, vxlan, geneve;
	uint64_t gre, mpls, pppoe, ipip, teredo, non_ip;
	uint64_t frag_reassembled, frag_timeouts, frag_active, frag_memuse;
	uint64_t csum_bad; /* packets with YS_PKT_BAD_CSUM */
	/* non_ip: well-formed frames without IP (ARP, LLDP, ...), not errors */
	uint64_t csum_auto_disabled; /* 1 once -k auto turned validation off */
	uint64_t errors[YS_DEC_ERROR_COUNT];
};

struct ys_decode_params {
	bool validate_checksums; /* -k all (and auto): bad-checksum packets lose their payload */
	/* -k auto, with validate_checksums: as Suricata, validate the first
	 * YS_CSUM_AUTO_SAMPLE packets; if more than 1 in YS_CSUM_AUTO_RATIO of them
	 * had a bad checksum, assume checksum offloading and stop validating
	 * (stats.csum_auto_disabled = 1). */
	bool checksum_auto;
	uint64_t frag_memcap;	   /* bytes held in fragment reassembly; 0 = default 32 MiB */
	uint32_t frag_timeout_sec; /* default 60 */
	uint16_t vxlan_port;	   /* default 4789 */
	uint16_t geneve_port;	   /* default 6081 */
	uint16_t teredo_port;	   /* default 3544 (either UDP port), as Suricata */
};

struct ys_decoder;

/* NULL + errno on failure. */
struct ys_decoder *ys_decoder_new(const struct ys_decode_params *params);
void ys_decoder_free(struct ys_decoder *dec);

/*
 * Decode pkt->data[0..caplen) of link type pkt->linktype into PKT. The capture
 * fields (data .. iface) are inputs; every field from decode_error on is reset
 * here, including tenant_id and flow.
 * Returns 0 when the packet has a usable L3 (and possibly L4) decode,
 * -EINVAL when malformed (pkt->decode_error says why; counted), -EAGAIN when it
 * was an IP fragment held for reassembly (nothing to inspect yet), -ENOENT for
 * a well-formed frame that carries no IP (ARP, LLDP, 802.3 LLC, PPPoE
 * discovery...; counted in stats.non_ip, not an error). When the fragment
 * completes a datagram, returns 0 and PKT describes the whole datagram
 * (YS_PKT_IPV4_FRAG_REASSEMBLED set, for IPv6 too; its memory lives until the
 * next call on DEC).
 */
int ys_decode_packet(struct ys_decoder *dec, struct ys_packet *pkt);

const struct ys_decode_stats *ys_decoder_stats(const struct ys_decoder *dec);

/* "1.2.3.4", or IPv6 written in full as Suricata's EVE does
 * ("2001:0db8:0000:0000:0000:0000:0000:0001"). Returns BUF (>= 40 bytes; "" if
 * family is 0 or LEN too small). */
#define YS_ADDR_STR_LEN 40
char *ys_addr_str(const struct ys_addr *a, char *buf, size_t len);
bool ys_addr_eq(const struct ys_addr *a, const struct ys_addr *b);
/* Parse a textual IPv4/IPv6 address; 0 or -EINVAL. */
int ys_addr_parse(const char *s, struct ys_addr *out);
/* Total order (family, then bytes) for sorting and symmetric hashing. */
int ys_addr_cmp(const struct ys_addr *a, const struct ys_addr *b);

#endif /* YS_DECODE_H */
