/*
 * libFuzzer target: HTTP/1.x parsing (libhtp + buffer building + EVE) over
 * arbitrary chunked request/response streams, gaps and closes included.
 */
#include "fuzz_chunks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_chunks(&ys_app_http_parser, 40000, 80, data, size);
	return 0;
}
