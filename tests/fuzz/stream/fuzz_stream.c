/*
 * libFuzzer target: TCP reassembly over arbitrary segment sequences (format
 * and invariants in fuzz_segments.h).
 */
#include "fuzz_segments.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ys_stream_ctx *ctx;
	struct ys_flow f;

	ctx = ys_fuzz_stream_ctx_new(data, size);
	if (!ctx)
		return 0;
	memset(&f, 0, sizeof(f));
	f.proto = 6;
	ys_fuzz_segments_run(ctx, &f, data, size, NULL);
	ys_fuzz_stream_done(ctx, &f);
	return 0;
}
