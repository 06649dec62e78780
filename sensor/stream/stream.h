/*
 * TCP stream reassembly: per flow and direction, turns TCP segments into the
 * in-order byte stream the application layer parses and detection inspects.
 *
 * Policy (the rules a reader needs to predict what detection sees):
 *  - A session is reassembled only after a complete 3-way handshake
 *    (SYN, SYN/ACK acknowledging it, ACK of the server's SYN). Midstream pickup
 *    (stream.midstream: yes) starts from the first packet seen instead.
 *    TCP Fast Open data on the SYN is kept and delivered once the SYN/ACK
 *    acknowledges it (dropped when the server refused it).
 *  - Data is delivered as soon as it is in order (no wait for the ACK).
 *  - Segments whose checksum failed (decoder validating: YS_PKT_BAD_CSUM) are
 *    ignored entirely; a RST whose sequence number is more than 1 MiB away
 *    from the sender's stream is ignored (counted as rst_invalid).
 *  - Overlaps and retransmissions: FIRST data wins (Suricata's default "bsd"/
 *    first policy): bytes already delivered or already held out of order are
 *    never replaced; differing retransmitted bytes are counted.
 *  - Out-of-order segments are held (bounded: stream.reassembly.max-segments
 *    per direction and the memcap) and delivered when the hole fills.
 *  - Gaps: when the receiver ACKs beyond a hole we never saw (capture loss), the
 *    hole is skipped and the delivery carries YS_STREAM_GAP; the parsers resync
 *    or give up. ys_stream_flush_flow() does the same at end of capture.
 *  - Depth (stream.reassembly.depth, default 1 MiB per direction): past it no
 *    more data is delivered; when both directions are past depth (or closed)
 *    and stream.bypass is on (default), flow->bypass is set: no app-layer
 *    parser can get more data, so the flow needs no further inspection.
 *  - Memcap (stream.reassembly.memcap, per worker context, default 256 MiB):
 *    per-flow state, inspection windows and held segments count against it; an
 *    allocation past it is refused and counted (the flow is not reassembled or
 *    the out-of-order segment is dropped, which later shows as a gap).
 *
 * YS_BUF_STREAM, the rule for detection: for every packet that delivered new
 * in-order bytes in a direction, one YS_BUF_STREAM buffer holds the last
 * stream.inspect-window bytes (default 2048) already delivered before this
 * packet, followed by the new bytes, contiguous. Its prefix_len says how many
 * leading bytes are the old window. A pattern split over two segments is
 * thus found whole, as long as it is not longer than the window; a match that
 * ENDS inside the prefix was already reported for an earlier packet and must
 * be ignored. Detection may instead feed only data[prefix_len..len) to a
 * Hyperscan stream of its own. After a gap the window starts empty. Stream
 * buffers belong to no transaction: tx_id is UINT64_MAX.
 *
 * Threading: a ctx belongs to one worker, as do the flows it handles. The
 * buffers added to struct ys_inspect and the delivery returned by
 * ys_stream_delivery() point into the ctx and stay valid until the next call
 * on the same ctx. Allocation: one state per TCP flow, a window per direction
 * that carries data, and one copy per out-of-order segment; in-order segments
 * are copied once into the ctx scratch and never allocated.
 */
#ifndef YS_STREAM_H
#define YS_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "applayer_buf.h"
#include "decode.h"
#include "flow.h"
#include "ys_config.h"

struct ys_stream_params {
	bool midstream;	       /* stream.midstream, default false */
	bool bypass;	       /* stream.bypass: set flow->bypass past depth, default true */
	uint64_t depth;	       /* stream.reassembly.depth, default 1 MiB; 0 = unlimited */
	uint64_t memcap;       /* stream.reassembly.memcap, default 256 MiB */
	uint32_t window;       /* stream.inspect-window, default 2048 */
	uint32_t max_segments; /* stream.reassembly.max-segments per direction, default 1024 */
};

/* Defaults above. */
void ys_stream_params_default(struct ys_stream_params *p);
/* Defaults overridden by the "stream" node of ROOT (may be NULL). 0 or -EINVAL + ERR. */
int ys_stream_params_from_conf(const struct ys_conf *root, struct ys_stream_params *p, char *err,
			       size_t errlen);

struct ys_stream_stats {
	uint64_t sessions;	     /* TCP sessions that completed a handshake (or midstream) */
	uint64_t midstream_skipped;  /* flows with data but no handshake, not reassembled */
	uint64_t segments;	     /* data-carrying segments handled */
	uint64_t reassembled_bytes;  /* bytes delivered in order */
	uint64_t ooo_segments;	     /* segments held out of order */
	uint64_t retransmissions;    /* segments wholly before the delivery point */
	uint64_t overlaps;	     /* segments overlapping delivered or held data */
	uint64_t overlaps_diff;	     /* ... with different bytes (first data kept) */
	uint64_t gaps;		     /* holes skipped */
	uint64_t gap_bytes;	     /* sequence space skipped */
	uint64_t memcap_hits;	     /* allocations refused by the memcap */
	uint64_t segment_limit_hits; /* out-of-order segments dropped: list full */
	uint64_t depth_reached;	     /* directions that reached the depth */
	uint64_t bypassed;	     /* flows set to bypass */
	uint64_t rst_invalid;	     /* resets ignored: sequence far outside the stream */
	uint64_t bad_csum;	     /* segments ignored: checksum failed (when validating) */
	uint64_t memuse;	     /* bytes currently held (gauge) */
};

/* Delivery flags, per direction */
#define YS_STREAM_GAP	(1u << 0) /* bytes were skipped before data */
#define YS_STREAM_EOF	(1u << 1) /* the direction ended (FIN reached in order, RST, flush) */
#define YS_STREAM_RESET (1u << 2) /* a new session reuses the flow: restart parsers */
#define YS_STREAM_DEPTH (1u << 3) /* depth reached with this delivery */

/* What one call delivered in one direction (0 = to server, 1 = to client). */
struct ys_stream_delivery {
	const uint8_t *data; /* new in-order bytes (no window prefix); NULL if none */
	uint32_t len;
	uint32_t flags; /* YS_STREAM_* */
};

struct ys_stream_ctx;

/* NULL + errno on failure. */
struct ys_stream_ctx *ys_stream_ctx_new(const struct ys_stream_params *p);
/* Flows must have been released first (their memory is counted here). NULL-safe. */
void ys_stream_ctx_free(struct ys_stream_ctx *ctx);

/*
 * Handle one decoded TCP packet of flow F (direction from pkt->flags, set by
 * the flow stage). Adds YS_BUF_STREAM buffers to IN for the bytes delivered.
 * Returns 1 when something was delivered or signalled (see
 * ys_stream_delivery()), 0 when not, -EINVAL for a non-TCP packet or no flow.
 */
int ys_stream_handle(struct ys_stream_ctx *ctx, struct ys_packet *pkt, struct ys_flow *f,
		     struct ys_inspect *in);

/*
 * End of capture (or of the flow): deliver what is still held, skipping holes.
 * Each call delivers at most one contiguous run per direction into IN and the
 * delivery, then finally the EOF of both directions; call until it returns 0,
 * running the app layer and detection after each call that returned 1.
 */
int ys_stream_flush_flow(struct ys_stream_ctx *ctx, struct ys_flow *f, struct ys_inspect *in);

/* The delivery of the last ys_stream_handle/flush call in direction DIR (0/1). */
const struct ys_stream_delivery *ys_stream_delivery(const struct ys_stream_ctx *ctx, int dir);

/* Is F being reassembled (handshake seen or midstream picked up)? */
bool ys_stream_active(const struct ys_flow *f);

/* Release f->stream (flow table release callback); sets it to NULL. NULL-safe. */
void ys_stream_flow_release(struct ys_stream_ctx *ctx, struct ys_flow *f);

const struct ys_stream_stats *ys_stream_stats(const struct ys_stream_ctx *ctx);

#endif /* YS_STREAM_H */
