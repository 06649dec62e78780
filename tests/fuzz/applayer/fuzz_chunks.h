/*
 * Shared by the app-layer fuzz targets: fuzz_touch() reads every buffer; for
 * the stream-oriented ones, fuzz_chunks() takes an input that is a
 * sequence of chunks [flags:1][len:1][bytes:len]; flags bit 0 is the
 * direction (0 to server, 1 to client), bit 1 a gap before the chunk, bit 2
 * end of that direction after it. Each chunk is handed to PARSER as the
 * stream stage would hand it over, with all buffers touched afterwards so
 * that ASan sees any buffer that points to freed or foreign memory.
 */
#ifndef YS_FUZZ_CHUNKS_H
#define YS_FUZZ_CHUNKS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "applayer_int.h"

static volatile uint32_t fuzz_sink; /* keeps the reads of fuzz_touch() */

/* Read every byte of every buffer (inline: not every target uses each helper). */
static inline uint32_t fuzz_touch(const struct ys_inspect *in)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < in->nbufs; i++)
		for (uint32_t k = 0; k < in->bufs[i].len; k++)
			sum += in->bufs[i].data[k];
	return sum;
}

static inline void fuzz_chunks(const struct ys_app_parser *parser, uint16_t sport, uint16_t dport,
			       const uint8_t *data, size_t size)
{
	static struct ys_applayer_ctx *ctx;
	static struct ys_inspect in;
	struct ys_flow f;
	void *st;
	json_t *ev;

	if (!ctx)
		ctx = ys_applayer_ctx_new(NULL);
	if (!ctx)
		return;
	memset(&f, 0, sizeof(f));
	f.proto = 6;
	f.client_port = sport;
	f.server_port = dport;
	st = parser->state_new(ctx, &f);
	if (!st)
		return;
	while (size >= 2) {
		uint8_t fl = data[0];
		size_t len = data[1];
		uint32_t sflags = 0;
		int rc;

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (fl & 2)
			sflags |= YS_STREAM_GAP;
		if (fl & 4)
			sflags |= YS_STREAM_EOF;
		ys_inspect_reset(&in);
		ctx->gen++; /* one chunk = one packet, as ys_applayer_handle() counts */
		rc = parser->parse(ctx, st, fl & 1, len ? data : NULL, (uint32_t)len, sflags, 1000,
				   &in);
		if (parser->packet_end)
			parser->packet_end(ctx, st, &in);
		if (rc < 0) {
			fuzz_sink += fuzz_touch(&in);
			break;
		}
		fuzz_sink += fuzz_touch(&in);
		data += len;
		size -= len;
	}
	ev = json_object();
	if (ev) {
		parser->eve(st, 0, ev);
		parser->eve(st, UINT64_MAX, ev);
		json_decref(ev);
	}
	parser->state_free(st);
}

#endif /* YS_FUZZ_CHUNKS_H */
