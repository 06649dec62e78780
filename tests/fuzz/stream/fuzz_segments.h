/*
 * The TCP segment format shared by fuzz_stream (reassembly alone) and
 * tests/fuzz/applayer/fuzz_flow (reassembly + app layer), so both read the
 * same corpus the same way. The input is a list of segments
 * [dir|flags:1][seq offset:2][ack offset:2][len:1] with LEN payload bytes
 * following; offsets are relative to fixed ISNs so that the fuzzer reaches
 * in-window data, holes, overlaps and wraps. Bit 7 of the first byte turns
 * midstream pickup on. A small memcap and segment limit make the limits part
 * of the search. Invariants checked: delivered data is readable, the memory
 * gauge returns to zero after release.
 *
 * Header-only (static functions) because each fuzz target is one program.
 */
#ifndef YS_FUZZ_SEGMENTS_H
#define YS_FUZZ_SEGMENTS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"

/* Called after each stream step with what the stream put in IN; PKT is NULL
 * for the end-of-flow flushes. */
typedef void (*ys_fuzz_seg_fn)(struct ys_stream_ctx *ctx, struct ys_packet *pkt, struct ys_flow *f,
			       struct ys_inspect *in);

static volatile uint32_t ys_fuzz_sink; /* keeps the reads of ys_fuzz_touch() */

static void ys_fuzz_touch(const struct ys_inspect *in)
{
	for (uint32_t i = 0; i < in->nbufs; i++)
		for (uint32_t k = 0; k < in->bufs[i].len; k++)
			ys_fuzz_sink += in->bufs[i].data[k];
}

/* A stream context with small limits; NULL when allocation fails. */
static struct ys_stream_ctx *ys_fuzz_stream_ctx_new(const uint8_t *data, size_t size)
{
	struct ys_stream_params p;

	ys_stream_params_default(&p);
	p.memcap = 64 * 1024;
	p.max_segments = 32;
	p.depth = 16 * 1024;
	p.window = 64;
	p.midstream = size > 0 && (data[0] & 0x80);
	return ys_stream_ctx_new(&p);
}

/* Feed every segment of DATA to the stream of F, then flush F; APP (may be
 * NULL) sees each step. */
static void ys_fuzz_segments_run(struct ys_stream_ctx *ctx, struct ys_flow *f, const uint8_t *data,
				 size_t size, ys_fuzz_seg_fn app)
{
	static struct ys_inspect in;
	struct ys_packet pkt;
	uint8_t l4[20] = { 0 };
	const uint32_t isn[2] = { 0xfffff000u, 0x7ffffff0u };

	while (size >= 6) {
		int dir = data[0] & 1;
		uint32_t len = data[5];

		memset(&pkt, 0, sizeof(pkt));
		pkt.proto = 6;
		pkt.l4 = l4;
		pkt.l4_len = sizeof(l4);
		pkt.tcp_flags = (uint8_t)(data[0] & 0x3e) >> 1; /* FIN SYN RST PSH ACK */
		if (pkt.tcp_flags & 0x08)
			pkt.tcp_flags = (uint8_t)((pkt.tcp_flags & ~0x08) | 0x10);
		pkt.tcp_seq = isn[dir] + (uint32_t)(data[1] << 8 | data[2]) - 16;
		pkt.tcp_ack = isn[1 - dir] + (uint32_t)(data[3] << 8 | data[4]) - 16;
		pkt.flags = dir ? YS_PKT_TO_CLIENT : YS_PKT_TO_SERVER;
		data += 6;
		size -= 6;
		if (len > size)
			len = (uint32_t)size;
		pkt.payload = len ? data : NULL;
		pkt.payload_len = len;
		data += len;
		size -= len;
		ys_inspect_reset(&in);
		ys_stream_handle(ctx, &pkt, f, &in);
		if (app)
			app(ctx, &pkt, f, &in);
		ys_fuzz_touch(&in);
		for (int d = 0; d < 2; d++) {
			const struct ys_stream_delivery *dl = ys_stream_delivery(ctx, d);

			if (dl->len && !dl->data)
				abort();
		}
	}
	for (int i = 0; i < 64; i++) {
		ys_inspect_reset(&in);
		if (ys_stream_flush_flow(ctx, f, &in) <= 0)
			break;
		if (app)
			app(ctx, NULL, f, &in);
		ys_fuzz_touch(&in);
	}
}

/* Release F's stream state, check that the memory gauge is back at zero and
 * free CTX. */
static void ys_fuzz_stream_done(struct ys_stream_ctx *ctx, struct ys_flow *f)
{
	ys_stream_flow_release(ctx, f);
	if (ys_stream_stats(ctx)->memuse != 0)
		abort();
	ys_stream_ctx_free(ctx);
}

#endif /* YS_FUZZ_SEGMENTS_H */
