/*
 * Internals shared by the decode_*.c files: the decoder object, the layer
 * entry points each file provides, and small bounds-checked readers. Not part
 * of the module's public contract (decode.h is).
 *
 * Every layer function takes the bytes of its layer (P, LEN: LEN bytes are
 * readable) and returns what ys_decode_packet() returns: 0, -EINVAL (after
 * ys_dec_fail()), -EAGAIN (fragment held) or -ENOENT (no IP inside).
 */
#ifndef YS_DECODE_PRIVATE_H
#define YS_DECODE_PRIVATE_H

#include "decode.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define YS_ETH_IPV4	  0x0800
#define YS_ETH_ARP	  0x0806
#define YS_ETH_TEB	  0x6558 /* transparent Ethernet bridging (GRE, GENEVE) */
#define YS_ETH_VLAN	  0x8100
#define YS_ETH_QINQ	  0x88a8
#define YS_ETH_QINQ9100	  0x9100
#define YS_ETH_IPV6	  0x86dd
#define YS_ETH_MPLS	  0x8847
#define YS_ETH_MPLS_MC	  0x8848
#define YS_ETH_PPPOE_DISC 0x8863
#define YS_ETH_PPPOE_SESS 0x8864
#define YS_ETH_ERSPAN2	  0x88be
#define YS_ETH_ERSPAN3	  0x22eb
#define YS_ETH_VNTAG	  0x8926
#define YS_ETH_8021AH	  0x88e7

struct ys_frag_table; /* decode_frag.c */

struct ys_decoder {
	struct ys_decode_params p;
	struct ys_decode_stats st;
	struct ys_frag_table *frag;
	/* The last reassembled datagram handed out; freed on the next packet. */
	uint8_t *done_buf;
	size_t done_size;
	/* Link-layer nesting of the current packet (Ethernet in MPLS in Ethernet...),
	 * bounded so that a crafted frame cannot recurse deeply. */
	unsigned link_nest;
	/* The IP layer of the current packet was cut by the snap length: L4
	 * lengths cannot be checked against it and checksums cannot be verified. */
	bool cut;
	/* Reassembled datagrams entered for the current packet (nested fragments). */
	unsigned reasm_nest;
	/* IPv6 final destination named by a routing header with segments left: the
	 * address the L4 pseudo header uses (RFC 8200 8.1). NULL: pkt->dst. */
	const uint8_t *v6_final_dst;
};

#define YS_MAX_LINK_NEST 8

static inline uint16_t ys_rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t ys_rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Record error E (first one wins in pkt->decode_error), count it, return -EINVAL. */
static inline int ys_dec_fail(struct ys_decoder *dec, struct ys_packet *pkt, enum ys_decode_error e)
{
	if (pkt->decode_error == YS_DEC_OK)
		pkt->decode_error = e;
	dec->st.errors[e]++;
	return -EINVAL;
}

/* Count error E without failing the packet (bad checksums, odd TCP options). */
static inline void ys_dec_note(struct ys_decoder *dec, struct ys_packet *pkt,
			       enum ys_decode_error e)
{
	if (pkt->decode_error == YS_DEC_OK)
		pkt->decode_error = e;
	dec->st.errors[e]++;
}

/* decode_link.c */
int ys_dec_ethernet(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len);
int ys_dec_ethertype(struct ys_decoder *dec, struct ys_packet *pkt, uint16_t type, const uint8_t *p,
		     uint32_t len);
int ys_dec_link(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len);

/* decode_ipv4.c / decode_ipv6.c */
int ys_dec_ipv4(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len);
int ys_dec_ipv6(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len);
/* Raw IP: version nibble picks the family. */
int ys_dec_ip_any(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len);

/* decode_l4.c: the IP payload of protocol PROTO (pkt->l3 / src / dst already set). */
int ys_dec_l4(struct ys_decoder *dec, struct ys_packet *pkt, uint8_t proto, const uint8_t *p,
	      uint32_t len);
/* Ones-complement sum helpers, for the IPv4 header and L4 pseudo headers. */
uint32_t ys_csum_add(uint32_t sum, const uint8_t *p, size_t len);
static inline uint16_t ys_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* decode_tunnel.c */
int ys_dec_vxlan(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len);
int ys_dec_geneve(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len);
int ys_dec_gre(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len);
int ys_dec_teredo(struct ys_decoder *dec, struct ys_packet *pkt, const uint8_t *p, uint32_t len);
/* Start decoding an inner packet: check depth, keep the overlay (TYPE != NONE) when it
 * is the outermost, forget the outer L3/L4. 0 or -EINVAL. */
int ys_dec_tunnel_enter(struct ys_decoder *dec, struct ys_packet *pkt, enum ys_tunnel_type type,
			uint32_t vni);

/* decode_frag.c */
struct ys_frag_table *ys_frag_table_new(uint64_t memcap, uint32_t timeout_sec);
void ys_frag_table_free(struct ys_frag_table *ft);
/*
 * Add one fragment. FAMILY 4 or 6; ID the IP id; OFF payload offset in bytes; MORE
 * the MF bit; HDR/HLEN the header to put in front of the datagram (for IPv4 the
 * first fragment's own header, for IPv6 a 40-byte header); P/LEN the fragment
 * payload. Returns -EAGAIN (held), -EINVAL (counted), or 0 with *OUT / *OUTLEN
 * the complete datagram, header included, in a buffer that the caller takes
 * over (free()).
 */
int ys_frag_add(struct ys_decoder *dec, struct ys_packet *pkt, uint32_t id, uint8_t proto,
		uint32_t off, bool more, const uint8_t *hdr, uint32_t hlen, const uint8_t *p,
		uint32_t len, uint8_t **out, uint32_t *outlen);

#endif /* YS_DECODE_PRIVATE_H */
