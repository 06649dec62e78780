/*
 * libFuzzer target: DNS message parsing (name decompression, loops, rdata),
 * detection by structure, the UDP parser with EVE, and the TCP parser with
 * the input split into length-prefixed pieces at an input-chosen point.
 */
#include "fuzz_chunks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ys_applayer_ctx *ctx;
	static struct ys_dns_msg m;
	static struct ys_inspect in;
	struct ys_flow f;
	void *st;
	json_t *ev;

	if (!ctx)
		ctx = ys_applayer_ctx_new(NULL);
	if (!ctx)
		return 0;
	ys_dns_parse(data, (uint32_t)size, &m);
	ys_app_detect_dns(data, (uint32_t)size, true);

	memset(&f, 0, sizeof(f));
	for (int tcp = 0; tcp < 2; tcp++) {
		f.proto = tcp ? 6 : 17;
		st = ys_app_dns_parser.state_new(ctx, &f);
		if (!st)
			return 0;
		ys_inspect_reset(&in);
		if (tcp && size > 1) {
			size_t cut = data[0] % size;

			ys_app_dns_parser.parse(ctx, st, 0, data, (uint32_t)cut, 0, 0, &in);
			ys_app_dns_parser.parse(ctx, st, 1, data + cut, (uint32_t)(size - cut), 0,
						0, &in);
		} else {
			ys_app_dns_parser.parse(ctx, st, 0, data, (uint32_t)size, 0, 0, &in);
			ys_app_dns_parser.parse(ctx, st, 1, data, (uint32_t)size, 0, 0, &in);
		}
		fuzz_sink += fuzz_touch(&in);
		ev = json_object();
		if (ev) {
			ys_app_dns_parser.eve(st, 0, ev);
			ys_app_dns_parser.eve(st, UINT64_MAX, ev);
			json_decref(ev);
		}
		ys_app_dns_parser.state_free(st);
	}
	return 0;
}
