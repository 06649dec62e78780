/*
 * Micro-benchmark of the front of the packet path: loads a pcap into memory,
 * then times ys_decode_packet() alone and decode + ys_tenant_classify() +
 * ys_flow_handle() (with ys_flow_timeout() once per second of packet time),
 * over PASSES passes (each pass shifted by an hour of packet time, so flows
 * expire and are created again as in a long capture). Prints ns/packet.
 *
 * Usage: bench_pipeline FILE.pcap [PASSES]    (not a ctest; run by hand)
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "flow.h"
#include "tenant.h"
#include "ys_config.h"

struct bench_pkt {
	uint8_t *data;
	uint32_t caplen, wirelen;
	uint64_t ts;
};

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *tenants_yaml = "tenants:\n"
				  "  - id: 1\n    vni: [5001]\n    cidr: [10.0.0.0/8]\n"
				  "  - id: 2\n    vlan: [100]\n    cidr: [192.168.0.0/16]\n"
				  "  - id: 3\n    cidr: [172.16.0.0/12, \"fd00::/8\"]\n";

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE], err[256];
	struct bench_pkt *pk = NULL;
	size_t n = 0, cap = 0;
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc;
	int link, passes = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 20;
	struct ys_conf *conf;
	struct ys_tenant_map *map;
	double t0, t_dec, t_all;
	uint64_t ok = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE.pcap [PASSES]\n", argv[0]);
		return 2;
	}
	pc = pcap_open_offline(argv[1], errbuf);
	if (!pc) {
		fprintf(stderr, "%s\n", errbuf);
		return 1;
	}
	link = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &d) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			pk = realloc(pk, cap * sizeof(*pk));
		}
		pk[n].data = malloc(h->caplen);
		memcpy(pk[n].data, d, h->caplen);
		pk[n].caplen = h->caplen;
		pk[n].wirelen = h->len;
		pk[n].ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		n++;
	}
	pcap_close(pc);
	conf = ys_conf_load_string("bench", tenants_yaml, strlen(tenants_yaml), err, sizeof(err));
	map = conf ? ys_tenant_map_load(conf, err, sizeof(err)) : NULL;
	if (!map) {
		fprintf(stderr, "tenants: %s\n", err);
		return 1;
	}

	for (int mode = 0; mode < 2; mode++) {
		struct ys_decoder *dec = ys_decoder_new(NULL);
		struct ys_flow_table *ft = ys_flow_table_new(NULL);
		struct ys_packet pkt;
		uint64_t next_to = 0;

		memset(&pkt, 0, sizeof(pkt));
		t0 = now_sec();
		for (int p = 0; p < passes; p++) {
			uint64_t shift = (uint64_t)p * 3600u * 1000000u;

			for (size_t i = 0; i < n; i++) {
				pkt.data = pk[i].data;
				pkt.caplen = pk[i].caplen;
				pkt.wirelen = pk[i].wirelen;
				pkt.ts_usec = pk[i].ts + shift;
				pkt.linktype = link;
				if (ys_decode_packet(dec, &pkt) != 0 || mode == 0)
					continue;
				pkt.tenant_id = ys_tenant_classify(map, &pkt);
				if (ys_flow_handle(ft, &pkt))
					ok++;
				if (pkt.ts_usec >= next_to) {
					ys_flow_timeout(ft, pkt.ts_usec);
					next_to = pkt.ts_usec + 1000000;
				}
			}
		}
		if (mode == 0) {
			t_dec = now_sec() - t0;
			printf("decode only:          %.1f ns/packet (%zu packets x %d passes)\n",
			       t_dec * 1e9 / ((double)n * passes), n, passes);
		} else {
			const struct ys_flow_stats *fs = ys_flow_table_stats(ft);
			const struct ys_decode_stats *ds = ys_decoder_stats(dec);
			uint64_t errs = 0;

			t_all = now_sec() - t0;
			for (int e = 1; e < YS_DEC_ERROR_COUNT; e++)
				errs += ds->errors[e];
			printf("decode+tenant+flow:   %.1f ns/packet (%.0f packets/s); flows "
			       "created "
			       "%llu, with a flow %llu, decode errors %llu, reassembled %llu\n",
			       t_all * 1e9 / ((double)n * passes), (double)n * passes / t_all,
			       (unsigned long long)fs->created, (unsigned long long)ok,
			       (unsigned long long)errs, (unsigned long long)ds->frag_reassembled);
			for (int e = 1; e < YS_DEC_ERROR_COUNT; e++) {
				if (ds->errors[e])
					printf("  %-24s %llu\n",
					       ys_decode_error_name((enum ys_decode_error)e),
					       (unsigned long long)ds->errors[e] /
						       (unsigned)passes);
			}
		}
		ys_flow_table_free(ft);
		ys_decoder_free(dec);
	}
	ys_tenant_map_free(map);
	ys_conf_free(conf);
	for (size_t i = 0; i < n; i++)
		free(pk[i].data);
	free(pk);
	return 0;
}
