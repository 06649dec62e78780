/*
 * Packet decoding: link layer (Ethernet, 802.1Q/QinQ, Linux SLL, BSD NULL,
 * raw IP), IPv4 (with fragment reassembly), IPv6 (extension headers,
 * bounded), TCP, UDP, ICMP/ICMPv6, and the cloud overlays VXLAN (UDP 4789)
 * and GENEVE (UDP 6081), whose inner frame is decoded again. The outermost
 * overlay's VNI and outer addresses are kept for tenant lookup and for the
 * alert's tunnel object; addresses, ports and payload are the innermost.
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

#define YS_MAX_VLANS	   2 /* 802.1Q + QinQ outer tag */
#define YS_MAX_TUNNELS	   2 /* overlay inside overlay, then we stop */
#define YS_MAX_IPV6_EXTHDR 8

/* Link types we accept: pcap DLT values. */
enum ys_linktype {
	YS_LINK_NULL = 0,     /* BSD loopback: 4-byte host-order family */
	YS_LINK_ETHERNET = 1,
	YS_LINK_RAW = 101,    /* raw IPv4/IPv6 */
	YS_LINK_C_HDLC = 104, /* Cisco HDLC */
	YS_LINK_SLL = 113,    /* Linux cooked */
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
#define YS_PKT_BAD_CSUM		     (1u << 1) /* some checksum failed (only set when validating) */
#define YS_PKT_TO_SERVER	     (1u << 2) /* set by the flow stage */
#define YS_PKT_TO_CLIENT	     (1u << 3)
#define YS_PKT_ESTABLISHED	     (1u << 4) /* flow was established when this packet arrived */
#define YS_PKT_FIRST_OF_FLOW	     (1u << 5)
#define YS_PKT_IPV4_FRAGMENT	     (1u << 6) /* an unreassembled fragment (no L4 decode) */

struct ys_packet {
	/* Capture: set by the capture backend. data stays valid until the next packet. */
	const uint8_t *data;
	uint32_t caplen;  /* bytes in data */
	uint32_t wirelen; /* bytes on the wire */
	uint64_t ts_usec; /* capture time, microseconds since the epoch */
	int linktype;	  /* enum ys_linktype */
	uint64_t pcap_cnt; /* 1-based position in the capture (EVE pcap_cnt) */
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
	uint8_t ip_hlen;   /* IPv4 header length, IPv6 40 + ext headers */
	uint8_t ttl;	   /* TTL / hop limit */
	uint8_t tos;
	uint16_t ip_id;
	uint16_t frag_off; /* IPv4 fragment offset field incl. flags (host order) */
	uint8_t proto;	   /* innermost L4 protocol (IPPROTO_*) */

	const uint8_t *l4;
	uint32_t l4_len;
	uint16_t sport, dport;	 /* 0 for ICMP */
	uint8_t tcp_flags;	 /* TH_FIN.. as on the wire */
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_win;
	uint8_t tcp_hlen;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;

	const uint8_t *payload; /* L4 payload (or IP payload when L4 is unknown) */
	uint32_t payload_len;

	/* Set by later stages. */
	uint32_t tenant_id;
	struct ys_flow *flow;

	/* Backing store for a reassembled datagram; owned by the decoder. */
	uint8_t *reasm_buf;
};

struct ys_decode_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t ipv4, ipv6, tcp, udp, icmp, vlan, vxlan, geneve;
	uint64_t frag_reassembled;
	uint64_t errors[YS_DEC_ERROR_COUNT];
};

struct ys_decode_params {
	bool validate_checksums; /* -k auto/all: drop L4 inspection of bad-checksum packets */
	uint64_t frag_memcap;	 /* bytes held in fragment reassembly; 0 = default 32 MiB */
	uint32_t frag_timeout_sec; /* default 60 */
	uint16_t vxlan_port;	   /* default 4789 */
	uint16_t geneve_port;	   /* default 6081 */
};

struct ys_decoder;

/* NULL + errno on failure. */
struct ys_decoder *ys_decoder_new(const struct ys_decode_params *params);
void ys_decoder_free(struct ys_decoder *dec);

/*
 * Decode pkt->data[0..caplen) of link type pkt->linktype into PKT.
 * Returns 0 when the packet has a usable L3 (and possibly L4) decode,
 * -EINVAL when malformed (pkt->decode_error says why; counted), -EAGAIN when it
 * was an IP fragment held for reassembly (nothing to inspect yet). When the
 * fragment completes a datagram, returns 0 and PKT describes the whole datagram
 * (YS_PKT_IPV4_FRAG_REASSEMBLED set; its memory lives until the next call).
 */
int ys_decode_packet(struct ys_decoder *dec, struct ys_packet *pkt);

const struct ys_decode_stats *ys_decoder_stats(const struct ys_decoder *dec);

/* "1.2.3.4" or "2001:db8::1" as Suricata writes them. Returns BUF. */
char *ys_addr_str(const struct ys_addr *a, char *buf, size_t len);
bool ys_addr_eq(const struct ys_addr *a, const struct ys_addr *b);
/* Parse a textual IPv4/IPv6 address; 0 or -EINVAL. */
int ys_addr_parse(const char *s, struct ys_addr *out);

#endif /* YS_DECODE_H */
