/*
 * libFuzzer target: arbitrary text as a rule file, parsed and compiled, then
 * one crafted packet inspected so that whatever loaded is also evaluated.
 * Must never crash, leak or hang whatever the rule text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "detect.h"
#include "ys_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t payload[] = "GET /index.php?id=1 HTTP/1.1\r\nHost: x\r\n\r\n";
	struct ys_detect_engine *eng;
	struct ys_detect_ctx *ctx;
	struct ys_packet pkt;
	struct ys_inspect in;
	char *text;

	if (size > 65536)
		return 0;
	ys_log_set_level(YS_LOG_ERROR);
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	eng = ys_detect_engine_new(NULL);
	if (!eng)
		goto out_text;
	ys_detect_load_string(eng, "fuzz", text);
	if (ys_detect_engine_compile(eng) < 0)
		goto out_eng;
	ctx = ys_detect_ctx_new(eng);
	if (!ctx)
		goto out_eng;
	memset(&pkt, 0, sizeof(pkt));
	pkt.ip_version = 4;
	pkt.src.family = pkt.dst.family = 4;
	pkt.src.a[0] = 10;
	pkt.dst.a[0] = 192;
	pkt.proto = IPPROTO_TCP;
	pkt.sport = 40000;
	pkt.dport = 80;
	pkt.payload = payload;
	pkt.payload_len = sizeof(payload) - 1;
	pkt.flags = YS_PKT_TO_SERVER | YS_PKT_ESTABLISHED;
	ys_inspect_reset(&in);
	in.app_proto = YS_APP_HTTP;
	ys_inspect_add(&in, YS_BUF_HTTP_URI, payload + 4, 14, YS_BUF_F_TO_SERVER, 0);
	ys_inspect_add(&in, YS_BUF_DNS_QUERY, (const uint8_t *)"a.example", 9, YS_BUF_F_TO_SERVER,
		       0);
	ys_detect_inspect(ctx, &pkt, &in, NULL, NULL);
	ys_detect_ctx_free(ctx);
out_eng:
	ys_detect_engine_free(eng);
out_text:
	free(text);
	return 0;
}
