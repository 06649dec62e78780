/*
 * Flow table: one entry per tenant + 5-tuple (tenants with overlapping private
 * address space never share a flow; the encapsulation depth, the outermost
 * overlay VNI and, unless params.ignore_vlan, the VLAN ids are part of the key
 * too, so unmapped networks reusing addresses stay apart), with the direction
 * of each packet
 * (to server / to client, the first packet's sender is the client), TCP state
 * (new, established, closing, closed) and idle timeouts per state.
 *
 * Direction: the sender of a flow's first packet is the client, except
 *  - TCP SYN/ACK seen first (the SYN was missed): its sender is the server;
 *  - TCP picked up midstream (first packet without SYN) from a port < 1024 to a
 *    port >= 1024: its sender is taken as the server;
 *  - ICMP/ICMPv6 echo-style reply seen first: its sender is the server.
 * ICMP flows are keyed by the echo id (request and reply share a flow), other
 * ICMP messages by type and code; client_port/server_port then hold that key.
 * ICMPv4 error messages (unreachable, source quench, redirect, time exceeded,
 * parameter problem) make no flow, as in Suricata: a destination unreachable
 * quoting a TCP/UDP packet joins that packet's live flow (to server when sent
 * by the flow's client, else to client; TCP state untouched), others get none.
 *
 * TCP (Suricata semantics for flow:established): a flow is established once
 * the whole 3-way handshake was seen: SYN from the client, SYN/ACK from the
 * server acknowledging it, ACK from the client acknowledging the SYN/ACK (the
 * ack numbers are checked). YS_PKT_ESTABLISHED, as in Suricata, tells the
 * state a TCP packet found: the handshake's ACK itself is not flagged, the
 * packets after it are, through one FIN (CLOSING) up to and including the
 * packet that closes the flow (the second FIN, or an RST); packets after that
 * are not. A new SYN on a CLOSED flow starts a new flow (port reuse). Packets flagged
 * YS_PKT_BAD_CSUM are counted but never change TCP state. Midstream flows
 * stay not established. UDP and other protocols: established once both
 * directions were seen (the first reply is flagged established).
 *
 * Timeouts (idle time in packet time): new flows timeout_new; established TCP
 * timeout_established; closing/closed TCP timeout_closed; established UDP
 * and other protocols timeout_udp; ICMP timeout_icmp. A packet hitting an
 * expired entry first evicts it, so results do not depend on how often
 * ys_flow_timeout() runs.
 *
 * Memcap: at most memcap / sizeof(struct ys_flow) entries. When full, expired
 * entries are reclaimed first, then the least recently active entry that is
 * not an established TCP flow (evicted_memcap); when every entry is an
 * established TCP flow the new flow is refused (memcap_refused) so that a flood
 * cannot push out the sessions being inspected.
 *
 * flow_id: non-zero, below 2^53 (exact in JSON doubles), unique within a run
 * for up to 256 tables (flow_id_seed = worker index) of 2^45 flows each, and
 * reproducible from run to run.
 *
 * The entry carries slots owned by later stages (stream, applayer, detect);
 * the table itself never interprets them: when an entry is evicted the
 * table calls the owner's release callback given at creation, so the module
 * dependency keeps pointing downstream.
 *
 * Threading: a table is owned by one worker; no locking. Memory is bounded by
 * a memcap (entries beyond it are refused and counted, oldest idle entries are
 * reclaimed first). No allocation per packet: entries come from a free list.
 */
#ifndef YS_FLOW_H
#define YS_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"

enum ys_flow_state {
	YS_FLOW_NEW = 0,
	YS_FLOW_ESTABLISHED,
	YS_FLOW_CLOSING,
	YS_FLOW_CLOSED,
};

/* TCP handshake progress per flow, for midstream decisions and flow:established. */
#define YS_TCP_SYN_SEEN	   (1u << 0)
#define YS_TCP_SYNACK_SEEN (1u << 1)
#define YS_TCP_ACK_SEEN	   (1u << 2) /* third packet of the handshake */
#define YS_TCP_FIN_SEEN	   (1u << 3)
#define YS_TCP_RST_SEEN	   (1u << 4)

struct ys_flow {
	/* Key: tenant + 5-tuple in the client -> server orientation. */
	uint32_t tenant_id;
	uint8_t proto;
	struct ys_addr client, server;
	uint16_t client_port, server_port;
	uint8_t icmp_type, icmp_code; /* of the first ICMP packet, for EVE */

	uint64_t flow_id; /* EVE flow_id: non-zero, unique within this sensor run */
	enum ys_flow_state state;
	uint8_t tcp_flags_seen;		    /* YS_TCP_* */
	uint8_t tcp_flags_ts, tcp_flags_tc; /* OR of flags per direction */
	uint64_t start_usec, last_usec;
	uint64_t pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient;
	struct ys_tunnel tunnel; /* first packet's overlay, for EVE */
	uint16_t vlan[YS_MAX_VLANS];
	uint8_t vlan_count;
	bool bypass;	  /* no more inspection needed (stream depth reached, policy) */
	bool sampled_out; /* tenant sampling decided not to inspect this flow */

	/* Slots owned by later stages; released through the table's callback. */
	void *stream; /* struct ys_stream_flow * */
	void *app;    /* struct ys_app_flow * */
	void *detect; /* struct ys_detect_flow * (flowbits, flowints, thresholds) */

	/* Table internals. */
	struct ys_flow *hnext;
	struct ys_flow *lru_prev, *lru_next;
	uint32_t hash;
	uint8_t lru_class;
	uint64_t key_ext; /* overlay VNI and VLAN ids that are part of the key */
	uint32_t tcp_isn_client, tcp_isn_server; /* handshake ack checks */
};

struct ys_flow_params {
	uint64_t memcap;	      /* bytes for entries; default 128 MiB */
	uint32_t hash_size;	      /* buckets, rounded up to a power of two; default 65536 */
	uint32_t timeout_new;	      /* seconds idle before eviction, default 30 */
	uint32_t timeout_established; /* default 300 */
	uint32_t timeout_closed;      /* default 10 */
	uint32_t timeout_udp;	      /* default 120 (established UDP; new: timeout_new) */
	uint32_t timeout_icmp;	      /* default 30 */
	/* Called before an entry is reused or freed, to release stage slots. */
	void (*release)(struct ys_flow *f, void *user);
	void *release_user;
	uint32_t flow_id_seed; /* mixed into flow ids so two sensors differ; worker index */
	/* VLAN ids are part of the flow key unless set (Suricata's
	 * vlan.use-for-tracking: true by default); set it where the two directions
	 * of a conversation cross a router on different VLANs. */
	bool ignore_vlan;
};

struct ys_flow_stats {
	uint64_t created, evicted_timeout, evicted_memcap, memcap_refused, active, tcp, udp, icmp,
		other;
	uint64_t memuse;
};

struct ys_flow_table;

struct ys_flow_table *ys_flow_table_new(const struct ys_flow_params *params);
/* Releases every entry (calling the release callback) and the table. NULL-safe. */
void ys_flow_table_free(struct ys_flow_table *t);

/*
 * Find or create the flow of PKT (already decoded, tenant set), update its
 * counters and TCP state, set pkt->flow and the direction flags
 * YS_PKT_TO_SERVER / YS_PKT_TO_CLIENT / YS_PKT_ESTABLISHED / YS_PKT_FIRST_OF_FLOW
 * (ESTABLISHED: TCP: the flow was established when the packet arrived; other
 * protocols: both directions have been seen, this packet included).
 * Returns the flow, or NULL (pkt->flow NULL) when the memcap refused a new entry
 * or the packet has no flow (no IP).
 */
struct ys_flow *ys_flow_handle(struct ys_flow_table *t, struct ys_packet *pkt);

/* Evict entries idle past their timeout at time NOW_USEC (packet time). Returns count. */
unsigned ys_flow_timeout(struct ys_flow_table *t, uint64_t now_usec);
/* Visit every live flow (end of capture: flush streams, write stats). */
void ys_flow_foreach(struct ys_flow_table *t, void (*fn)(struct ys_flow *f, void *user),
		     void *user);

const struct ys_flow_stats *ys_flow_table_stats(const struct ys_flow_table *t);

/* Does PKT travel client -> server in F? */
static inline bool ys_flow_pkt_to_server(const struct ys_packet *pkt)
{
	return (pkt->flags & YS_PKT_TO_SERVER) != 0;
}

#endif /* YS_FLOW_H */
