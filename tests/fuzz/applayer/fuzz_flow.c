/*
 * libFuzzer target: the whole TCP path of a flow, stream + app layer
 * (detection, dispatch, HTTP CONNECT switch, all parsers, EVE) over arbitrary
 * segment sequences; the segment format is that of fuzz_stream.c.
 *
 * From fuzz_stream.c: TCP reassembly over arbitrary segment sequences. The input
 * is a list of segments [dir|flags:1][seq offset:2][ack offset:2][len:1] with
 * LEN payload bytes following; offsets are relative to fixed ISNs so that the
 * fuzzer reaches in-window data, holes, overlaps and wraps. A small memcap
 * and segment limit make the limits part of the search. Invariants checked:
 * the memory gauge returns to zero after release, buffers are readable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "applayer.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ys_inspect in;
static volatile uint32_t sink; /* keeps the reads of touch() */

static void touch(void)
{
	for (uint32_t i = 0; i < in.nbufs; i++)
		for (uint32_t k = 0; k < in.bufs[i].len; k++)
			sink += in.bufs[i].data[k];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ys_stream_params p;
	struct ys_stream_ctx *ctx;
	static struct ys_applayer_ctx *actx;
	json_t *ev;
	struct ys_flow f;
	struct ys_packet pkt;
	uint8_t l4[20] = { 0 };
	const uint32_t isn[2] = { 0xfffff000u, 0x7ffffff0u };

	ys_stream_params_default(&p);
	p.memcap = 64 * 1024;
	p.max_segments = 32;
	p.depth = 16 * 1024;
	p.window = 64;
	p.midstream = size > 0 && (data[0] & 0x80);
	ctx = ys_stream_ctx_new(&p);
	if (!ctx)
		return 0;
	if (!actx)
		actx = ys_applayer_ctx_new(NULL);
	memset(&f, 0, sizeof(f));
	f.proto = 6;
	f.client_port = 40000;
	f.server_port = size > 1 ? (uint16_t)(data[1] & 1 ? 80 : 53) : 443;
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
		ys_stream_handle(ctx, &pkt, &f, &in);
		ys_applayer_handle(actx, ctx, &pkt, &f, &in, 1000);
		touch();
		for (int d = 0; d < 2; d++) {
			const struct ys_stream_delivery *dl = ys_stream_delivery(ctx, d);

			if (dl->len && !dl->data)
				abort();
		}
	}
	for (int i = 0; i < 64; i++) {
		ys_inspect_reset(&in);
		if (ys_stream_flush_flow(ctx, &f, &in) <= 0)
			break;
		ys_applayer_handle(actx, ctx, NULL, &f, &in, 2000);
		touch();
	}
	ev = json_object();
	if (ev) {
		ys_applayer_eve(f.app, UINT64_MAX, ev);
		ys_applayer_eve(f.app, 0, ev);
		json_decref(ev);
	}
	ys_applayer_flow_release(f.app);
	f.app = NULL;
	ys_stream_flow_release(ctx, &f);
	if (ys_stream_stats(ctx)->memuse != 0)
		abort();
	ys_stream_ctx_free(ctx);
	return 0;
}
