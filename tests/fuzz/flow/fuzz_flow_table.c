/*
 * libFuzzer target for the ys_flow table, fed by ys_decode. Input as fuzz_decode: byte 0
 * picks the link type (low 4 bits) and the tenant spread (bits 4-5); then
 * packets as [2-byte length][bytes] (tests/fuzz/decode/fuzz_packets.h). Each
 * decoded packet goes through ys_flow_handle() on a table with room for only
 * 8 flows and short timeouts,
 * so reclaim, refusal, expiry, port reuse and the LRU lists are all exercised;
 * the table is swept with ys_flow_timeout() as packet time advances. The
 * invariants checked after every packet: a packet with a flow has exactly one
 * direction flag, the live count matches what ys_flow_foreach() visits, and
 * the memcap holds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../decode/fuzz_packets.h"
#include "decode.h"
#include "flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int ys_fuzz_links[16] = {
	YS_LINK_ETHERNET, YS_LINK_RAW,	    YS_LINK_RAW_DLT,  YS_LINK_NULL,
	YS_LINK_LOOP,	  YS_LINK_SLL,	    YS_LINK_SLL2,     YS_LINK_C_HDLC,
	YS_LINK_IPV4,	  YS_LINK_IPV6,	    YS_LINK_ETHERNET, YS_LINK_ETHERNET,
	YS_LINK_RAW,	  YS_LINK_ETHERNET, YS_LINK_SLL,      YS_LINK_ETHERNET,
};

struct ys_fuzz_state {
	unsigned released, visited;
};

static void ys_fuzz_release(struct ys_flow *f, void *user)
{
	struct ys_fuzz_state *st = user;

	(void)f;
	st->released++;
}

static void ys_fuzz_visit(struct ys_flow *f, void *user)
{
	struct ys_fuzz_state *st = user;

	if (f->flow_id == 0 || f->flow_id >= (1ull << 53))
		abort();
	st->visited++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ys_fuzz_state st = { 0, 0 };
	struct ys_flow_params fp = { .memcap = 8 * sizeof(struct ys_flow),
				     .hash_size = 16,
				     .timeout_new = 3,
				     .timeout_established = 20,
				     .timeout_closed = 2,
				     .timeout_udp = 10,
				     .timeout_icmp = 5,
				     .release = ys_fuzz_release,
				     .release_user = &st };
	struct ys_decoder *dec;
	struct ys_flow_table *ft;
	const uint8_t *p;
	uint64_t ts = 1000000;
	size_t len;
	unsigned spread;
	int link;

	if (size < 1)
		return 0;
	link = ys_fuzz_links[data[0] & 15];
	spread = 1u + ((data[0] >> 4) & 3);
	fp.ignore_vlan = (data[0] & 0x40) != 0;
	dec = ys_decoder_new(NULL);
	ft = ys_flow_table_new(&fp);
	if (!dec || !ft)
		goto out;
	data++;
	size--;
	for (unsigned n = 0; ys_fuzz_next_packet(&data, &size, &p, &len); n++) {
		struct ys_packet pkt;

		memset(&pkt, 0, sizeof(pkt));
		pkt.data = p;
		pkt.caplen = pkt.wirelen = (uint32_t)len;
		pkt.linktype = link;
		pkt.ts_usec = ts;
		if (ys_decode_packet(dec, &pkt) == 0) {
			const struct ys_flow_stats *fs;
			struct ys_flow *f;

			pkt.tenant_id = n % spread;
			f = ys_flow_handle(ft, &pkt);
			if (f != pkt.flow)
				abort();
			if (f && !(pkt.flags & YS_PKT_TO_SERVER) == !(pkt.flags & YS_PKT_TO_CLIENT))
				abort();
			fs = ys_flow_table_stats(ft);
			st.visited = 0;
			ys_flow_foreach(ft, ys_fuzz_visit, &st);
			if (st.visited != fs->active || fs->active > 8 || fs->memuse > fp.memcap)
				abort();
		}
		/* Packet time moves by 0..3 s, driven by the length. */
		ts += (uint64_t)(len & 3) * 1000000u;
		if ((n & 7) == 7)
			ys_flow_timeout(ft, ts);
	}
out:
	ys_flow_table_free(ft);
	ys_decoder_free(dec);
	return 0;
}
