/*
 * libFuzzer target: TLS record reassembly, handshake parsing (ClientHello,
 * ServerHello, Certificate through d2i_X509), JA3/JA3S/JA4 and EVE; plus the
 * hello parsers on the raw input.
 */
#include "fuzz_chunks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ys_tls_hello h;

	fuzz_chunks(&ys_app_tls_parser, 40000, 443, data, size);
	ys_tls_client_hello(data, (uint32_t)size, &h);
	ys_tls_server_hello(data, (uint32_t)size, &h);
	return 0;
}
