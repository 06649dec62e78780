/*
 * libFuzzer target: the whole TCP path of a flow, stream + app layer
 * (detection, dispatch, HTTP CONNECT switch, all parsers, EVE) over arbitrary
 * segment sequences; the segment format and stream invariants are those of
 * fuzz_stream (tests/fuzz/stream/fuzz_segments.h).
 */
#include "../stream/fuzz_segments.h"
#include "applayer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ys_applayer_ctx *actx; /* built once, reused by every input */

static void app_step(struct ys_stream_ctx *ctx, struct ys_packet *pkt, struct ys_flow *f,
		     struct ys_inspect *in)
{
	ys_applayer_handle(actx, ctx, pkt, f, in, pkt ? 1000 : 2000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ys_stream_ctx *ctx;
	json_t *ev;
	struct ys_flow f;

	ctx = ys_fuzz_stream_ctx_new(data, size);
	if (!ctx)
		return 0;
	if (!actx)
		actx = ys_applayer_ctx_new(NULL);
	memset(&f, 0, sizeof(f));
	f.proto = 6;
	f.client_port = 40000;
	f.server_port = size > 1 ? (uint16_t)(data[1] & 1 ? 80 : 53) : 443;
	ys_fuzz_segments_run(ctx, &f, data, size, app_step);
	ev = json_object();
	if (ev) {
		ys_applayer_eve(f.app, UINT64_MAX, ev);
		ys_applayer_eve(f.app, 0, ev);
		json_decref(ev);
	}
	ys_applayer_flow_release(f.app);
	f.app = NULL;
	ys_fuzz_stream_done(ctx, &f);
	return 0;
}
