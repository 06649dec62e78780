/*
 * libFuzzer target for ys_decode. Input: byte 0 picks the link type (low 4
 * bits, from the table below) and checksum validation (bit 4); the rest is a
 * sequence of packets, each a 2-byte big-endian length and that many bytes
 * (a short tail is one last packet), so that fragment reassembly, its
 * timeouts (each packet is 7 s after the previous) and its memcap (kept small)
 * are reached. A fresh decoder per input keeps every crash reproducible.
 * Each packet is decoded from an exact-size heap copy, so ASan sees any read
 * past the captured length.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "fuzz_packets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int ys_fuzz_links[16] = {
	YS_LINK_ETHERNET, YS_LINK_RAW,	    YS_LINK_RAW_DLT,  YS_LINK_NULL,
	YS_LINK_LOOP,	  YS_LINK_SLL,	    YS_LINK_SLL2,     YS_LINK_C_HDLC,
	YS_LINK_IPV4,	  YS_LINK_IPV6,	    YS_LINK_ETHERNET, YS_LINK_ETHERNET,
	YS_LINK_RAW,	  YS_LINK_ETHERNET, YS_LINK_SLL,      147,
};

static void ys_fuzz_one(struct ys_decoder *dec, const uint8_t *p, size_t len, int link, uint64_t ts)
{
	struct ys_packet pkt;
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	if (!copy)
		return;
	memcpy(copy, p, len);
	memset(&pkt, 0, sizeof(pkt));
	pkt.data = copy;
	pkt.caplen = (uint32_t)len;
	/* Sometimes claim a longer wire length: the snap-length path. */
	pkt.wirelen = (uint32_t)len + (len & 1 ? 100 : 0);
	pkt.linktype = link;
	pkt.ts_usec = ts;
	rc = ys_decode_packet(dec, &pkt);
	if (rc == 0 && pkt.payload_len) {
		/* Touch every payload byte: it must all be readable. */
		volatile uint8_t x = 0;

		for (uint32_t i = 0; i < pkt.payload_len; i++)
			x ^= pkt.payload[i];
		(void)x;
	}
	if (rc == 0 && pkt.l3_len && pkt.l3)
		(void)*(volatile const uint8_t *)(pkt.l3 + pkt.l3_len - 1);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ys_decode_params prm = { .frag_memcap = 64 * 1024, .frag_timeout_sec = 30 };
	struct ys_decoder *dec;
	const uint8_t *p;
	uint64_t ts = 1000000;
	size_t len;
	int link;

	if (size < 1)
		return 0;
	link = ys_fuzz_links[data[0] & 15];
	prm.validate_checksums = (data[0] & 16) != 0;
	dec = ys_decoder_new(&prm);
	if (!dec)
		return 0;
	data++;
	size--;
	while (ys_fuzz_next_packet(&data, &size, &p, &len)) {
		ys_fuzz_one(dec, p, len, link, ts);
		ts += 7000000;
	}
	ys_decoder_free(dec);
	return 0;
}
