/*
 * yunshao-capture-probe: drive one live capture backend (pcap, af-packet,
 * af-xdp) with N workers, optionally under the sensor's XDP program with a
 * tenant table given on the command line, and report what reached user space
 * as one JSON object: per-worker packets and kernel drops, per-tenant XDP
 * counters, frames per hw_tenant, and (with --flows) packets per flow.
 *
 * It is the test driver of the live-capture integration tests and benches
 * (tests/integration/test_live*.py, tests/bench/bench_capture.sh) and an
 * operator's probe ("does AF_XDP work on this NIC, in which mode, at what
 * rate?"). With --bypass-after N it plays the sensor's part in flow bypass:
 * once a flow has shown N packets in user space it is put in the kernel's
 * bypass map. With --bench-xdp it measures the program's cost per packet with
 * BPF_PROG_TEST_RUN instead of capturing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "decode.h"
#include "ys_bpf.h"

#define PROBE_MAX_WORKERS 16
#define PROBE_FLOW_SLOTS  (1u << 16)

struct probe_flow {
	struct ys_bpf_flow_key key; /* normalised: lower (addr, port) first */
	uint64_t packets;
	bool used, bypassed;
};

struct probe_opts {
	const char *ifname, *method, *xdp_mode, *pcap_out, *ready_file, *bypass_log;
	unsigned workers;
	bool xdp, skip_pass, flows;
	double duration, idle;
	uint64_t count;
	uint32_t bypass_after;
	uint32_t bench_repeat;
};

struct probe;

struct probe_worker {
	pthread_t tid;
	unsigned index;
	struct probe *probe;
	/* Frames per hw_tenant, counted without a lock. */
	uint32_t hw_id[64];
	uint64_t hw_count[64];
	unsigned nhw;
	struct ys_capture *cap;
	struct ys_decoder *dec;
	struct ys_capture_stats stats;
	int ret;
};

struct probe {
	struct probe_opts o;
	const struct ys_capture_ops *ops;
	struct ys_bpf *bpf;
	struct probe_worker w[PROBE_MAX_WORKERS];
	pthread_mutex_t lock; /* flows and the pcap dumper */
	struct probe_flow *flows;
	pcap_t *dead;
	pcap_dumper_t *dumper;
	FILE *bypass_log; /* one line per flow put in the bypass map */
	atomic_uint_fast64_t total;
	atomic_uint_fast64_t last_usec;
	atomic_bool stop;
	char err[256];
};

static volatile sig_atomic_t probe_signalled;

static void probe_on_signal(int sig)
{
	(void)sig;
	probe_signalled = 1;
}

static uint64_t probe_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void probe_usage(void)
{
	fprintf(stderr,
		"usage: yunshao-capture-probe -i IFACE [--capture pcap|af-packet|af-xdp] "
		"[--workers N]\n"
		"  [--xdp] [--xdp-mode auto|native|generic] [--skip-pass]\n"
		"  [--cidr NET/LEN=T] [--vni VNI=T] [--vlan TAG=T | --vlan OUTER/INNER=T]\n"
		"  [--policy T=inspect|ignore|sample:N] [--bypass-after N] [--flows]\n"
		"  [--duration SEC] [--idle SEC] [--count N] [--pcap-out FILE] [--ready-file "
		"FILE]\n"
		"  | --bench-xdp REPEAT   (cost per packet of the XDP program, no capture)\n");
}

static int probe_parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int probe_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

/* Seconds: a finite, non-negative number. */
static int probe_parse_secs(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0 && v < 1e9))
		return -EINVAL;
	*out = v;
	return 0;
}

/* "LEFT=TENANT": split at '=', TENANT into *T; returns LEFT (in BUF). */
static const char *probe_split(const char *arg, char *buf, size_t len, uint32_t *t)
{
	const char *eq = strrchr(arg, '=');

	if (!eq || (size_t)(eq - arg) >= len || probe_parse_u32(eq + 1, t))
		return NULL;
	memcpy(buf, arg, eq - arg);
	buf[eq - arg] = '\0';
	return buf;
}

static int probe_apply_tenant_arg(struct probe *p, int opt, const char *arg)
{
	char buf[128], *slash;
	const char *left;
	uint32_t t, a, b;
	uint8_t addr[16];

	left = probe_split(arg, buf, sizeof(buf), &t);
	if (!left)
		return -EINVAL;
	switch (opt) {
	case 'C': /* cidr */
		slash = strchr(buf, '/');
		if (!slash || probe_parse_u32(slash + 1, &a))
			return -EINVAL;
		*slash = '\0';
		if (inet_pton(AF_INET, buf, addr) == 1)
			return ys_bpf_set_cidr(p->bpf, 4, addr, (uint8_t)a, t);
		if (inet_pton(AF_INET6, buf, addr) == 1)
			return ys_bpf_set_cidr(p->bpf, 6, addr, (uint8_t)a, t);
		return -EINVAL;
	case 'N': /* vni */
		if (probe_parse_u32(buf, &a))
			return -EINVAL;
		return ys_bpf_set_vni(p->bpf, a, t);
	case 'L': /* vlan */
		slash = strchr(buf, '/');
		if (slash) {
			*slash = '\0';
			if (probe_parse_u32(buf, &a) || probe_parse_u32(slash + 1, &b))
				return -EINVAL;
			return ys_bpf_set_vlan(p->bpf, (a << 16) | (b & 0xffff), t);
		}
		if (probe_parse_u32(buf, &a))
			return -EINVAL;
		return ys_bpf_set_vlan(p->bpf, YS_BPF_VLAN_SINGLE | (a & 0xffff), t);
	case 'P': /* policy: "T=..." is parsed the other way round: TENANT=ACTION */
		break;
	}
	return -EINVAL;
}

static int probe_apply_policy(struct probe *p, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char num[16];
	uint32_t t, n = 0;

	if (!eq || (size_t)(eq - arg) >= sizeof(num))
		return -EINVAL;
	memcpy(num, arg, eq - arg);
	num[eq - arg] = '\0';
	if (probe_parse_u32(num, &t))
		return -EINVAL;
	if (!strcmp(eq + 1, "inspect"))
		return ys_bpf_set_policy(p->bpf, t, YS_BPF_INSPECT, 0);
	if (!strcmp(eq + 1, "ignore"))
		return ys_bpf_set_policy(p->bpf, t, YS_BPF_IGNORE, 0);
	if (!strncmp(eq + 1, "sample:", 7) && !probe_parse_u32(eq + 8, &n))
		return ys_bpf_set_policy(p->bpf, t, YS_BPF_SAMPLE, n);
	return -EINVAL;
}

/* Flow key normalised so both directions land in one slot. */
static void probe_flow_key(const struct ys_packet *pkt, uint32_t tenant, struct ys_bpf_flow_key *k)
{
	size_t alen = pkt->src.family == 4 ? 4 : 16;
	int c;

	memset(k, 0, sizeof(*k));
	k->tenant = tenant;
	k->family = pkt->src.family;
	k->proto = pkt->proto;
	c = memcmp(pkt->src.a, pkt->dst.a, alen);
	if (c < 0 || (c == 0 && pkt->sport <= pkt->dport)) {
		memcpy(k->src, pkt->src.a, alen);
		memcpy(k->dst, pkt->dst.a, alen);
		k->sport = pkt->sport;
		k->dport = pkt->dport;
	} else {
		memcpy(k->src, pkt->dst.a, alen);
		memcpy(k->dst, pkt->src.a, alen);
		k->sport = pkt->dport;
		k->dport = pkt->sport;
	}
}

static uint32_t probe_flow_hash(const struct ys_bpf_flow_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* Count a frame (under p->lock). Returns the flow when it just reached the bypass threshold. */
static struct probe_flow *probe_account(struct probe *p, const struct ys_frame *fr,
					struct ys_decoder *dec)
{
	struct ys_packet pkt = { 0 };
	struct ys_bpf_flow_key k;
	struct probe_flow *f = NULL;

	if (p->dumper) {
		struct pcap_pkthdr h = { .caplen = fr->caplen, .len = fr->wirelen };

		h.ts.tv_sec = (time_t)(fr->ts_usec / 1000000u);
		h.ts.tv_usec = (suseconds_t)(fr->ts_usec % 1000000u);
		pcap_dump((u_char *)p->dumper, &h, fr->data);
	}
	if (!p->flows)
		return NULL;
	pkt.data = fr->data;
	pkt.caplen = fr->caplen;
	pkt.wirelen = fr->wirelen;
	pkt.linktype = fr->linktype;
	if (ys_decode_packet(dec, &pkt) != 0 || !pkt.src.family)
		return NULL;
	probe_flow_key(&pkt, fr->hw_tenant, &k);
	for (uint32_t h = probe_flow_hash(&k), n = 0; n < PROBE_FLOW_SLOTS; n++, h++) {
		f = &p->flows[h & (PROBE_FLOW_SLOTS - 1)];
		if (!f->used) {
			f->used = true;
			f->key = k;
			break;
		}
		if (!memcmp(&f->key, &k, sizeof(k)))
			break;
		f = NULL;
	}
	if (!f)
		return NULL;
	f->packets++;
	if (p->bpf && p->o.bypass_after && !f->bypassed && f->packets >= p->o.bypass_after) {
		f->bypassed = true;
		return f;
	}
	return NULL;
}

static void probe_log_bypass(struct probe *p, const struct ys_bpf_flow_key *k)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = k->family == 4 ? AF_INET : AF_INET6;

	inet_ntop(af, k->src, s, sizeof(s));
	inet_ntop(af, k->dst, d, sizeof(d));
	pthread_mutex_lock(&p->lock);
	fprintf(p->bypass_log, "%u %u %s %u %s %u\n", k->tenant, k->proto, s, k->sport, d,
		k->dport);
	fflush(p->bypass_log);
	pthread_mutex_unlock(&p->lock);
}

static void *probe_worker_main(void *arg)
{
	struct probe_worker *w = arg;
	struct probe *p = w->probe;
	struct ys_frame fr;
	unsigned i;
	int ret;

	while (!atomic_load(&p->stop)) {
		ret = p->ops->next(w->cap, &fr, 100);
		if (ret == 1) {
			struct probe_flow *f = NULL;

			for (i = 0; i < w->nhw && w->hw_id[i] != fr.hw_tenant; i++)
				;
			if (i == w->nhw && w->nhw < 64)
				w->hw_id[w->nhw++] = fr.hw_tenant;
			if (i < 64)
				w->hw_count[i]++;
			if (p->flows || p->dumper) {
				pthread_mutex_lock(&p->lock);
				f = probe_account(p, &fr, w->dec);
				pthread_mutex_unlock(&p->lock);
			}
			if (f) {
				int r = ys_bpf_bypass_add(p->bpf, &f->key);

				if (r)
					fprintf(stderr, "probe: bypass add: %s\n", strerror(-r));
				else if (p->bypass_log)
					probe_log_bypass(p, &f->key);
			}
			atomic_fetch_add(&p->total, 1);
			atomic_store(&p->last_usec, probe_now_usec());
			continue;
		}
		if (ret == 0 || ret == -EINTR)
			continue;
		if (ret == -ENODATA)
			break;
		fprintf(stderr, "probe: worker %u: %s\n", w->index, strerror(-ret));
		w->ret = ret;
		break;
	}
	return NULL;
}

static int probe_print_counters(uint32_t tenant, const struct ys_bpf_counters *c, void *arg)
{
	bool *first = arg;

	printf("%s\"%u\": {\"packets\": %llu, \"bytes\": %llu, \"ignored\": %llu, "
	       "\"sampled_out\": %llu, \"bypassed\": %llu, \"redirected\": %llu, \"passed\": %llu, "
	       "\"unparsed\": %llu}",
	       *first ? "" : ", ", tenant, (unsigned long long)c->packets,
	       (unsigned long long)c->bytes, (unsigned long long)c->ignored,
	       (unsigned long long)c->sampled_out, (unsigned long long)c->bypassed,
	       (unsigned long long)c->redirected, (unsigned long long)c->passed,
	       (unsigned long long)c->unparsed);
	*first = false;
	return 0;
}

static void probe_print_flows(struct probe *p)
{
	bool first = true;

	printf(", \"flows\": [");
	for (uint32_t i = 0; p->flows && i < PROBE_FLOW_SLOTS; i++) {
		const struct probe_flow *f = &p->flows[i];
		char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
		int af = f->key.family == 4 ? AF_INET : AF_INET6;
		struct ys_bpf_flow_val v = { 0 };

		if (!f->used)
			continue;
		inet_ntop(af, f->key.src, s, sizeof(s));
		inet_ntop(af, f->key.dst, d, sizeof(d));
		if (f->bypassed)
			ys_bpf_bypass_read(p->bpf, &f->key, &v);
		printf("%s{\"tenant\": %u, \"proto\": %u, \"a\": \"%s\", \"a_port\": %u, "
		       "\"b\": \"%s\", \"b_port\": %u, \"packets\": %llu, \"bypassed\": %s, "
		       "\"kernel_bypassed_packets\": %llu}",
		       first ? "" : ", ", f->key.tenant, f->key.proto, s, f->key.sport, d,
		       f->key.dport, (unsigned long long)f->packets, f->bypassed ? "true" : "false",
		       (unsigned long long)v.packets);
		first = false;
	}
	printf("]");
}

static void probe_report(struct probe *p, double secs)
{
	uint64_t packets = 0, drops = 0;
	bool first = true;

	printf("{\"method\": \"%s\", \"interface\": \"%s\", \"seconds\": %.3f", p->o.method,
	       p->o.ifname, secs);
	if (p->bpf)
		printf(", \"xdp_mode\": \"%s\"", ys_bpf_mode(p->bpf));
	printf(", \"workers\": [");
	for (unsigned i = 0; i < p->o.workers; i++) {
		struct probe_worker *w = &p->w[i];

		packets += w->stats.packets;
		drops += w->stats.kernel_drops;
		printf("%s{\"packets\": %llu, \"kernel_drops\": %llu, \"if_drops\": %llu}",
		       i ? ", " : "", (unsigned long long)w->stats.packets,
		       (unsigned long long)w->stats.kernel_drops,
		       (unsigned long long)w->stats.if_drops);
	}
	printf("], \"packets\": %llu, \"kernel_drops\": %llu, \"hw_tenants\": {",
	       (unsigned long long)packets, (unsigned long long)drops);
	/* Merge the workers' tables: ids are few, quadratic is fine. */
	for (unsigned i = 0; i < p->o.workers; i++) {
		for (unsigned j = 0; j < p->w[i].nhw; j++) {
			uint32_t id = p->w[i].hw_id[j];
			uint64_t n = 0;
			bool seen = false;

			for (unsigned k = 0; k < i && !seen; k++)
				for (unsigned l = 0; l < p->w[k].nhw; l++)
					seen = seen || p->w[k].hw_id[l] == id;
			if (seen)
				continue;
			for (unsigned k = i; k < p->o.workers; k++)
				for (unsigned l = 0; l < p->w[k].nhw; l++)
					if (p->w[k].hw_id[l] == id)
						n += p->w[k].hw_count[l];
			printf("%s\"%u\": %llu", first ? "" : ", ", id, (unsigned long long)n);
			first = false;
		}
	}
	first = true;
	printf("}, \"xdp\": {");
	if (p->bpf)
		ys_bpf_counters_foreach(p->bpf, probe_print_counters, &first);
	printf("}");
	if (p->flows)
		probe_print_flows(p);
	printf("}\n");
	fflush(stdout);
}

/* Cost per packet of the XDP program on a few typical frames. */
static int probe_bench_xdp(struct probe *p)
{
	/* Ethernet/IPv4/TCP, 64 bytes; the same inside VXLAN; Ethernet/VLAN/IPv6/UDP. */
	static const uint8_t tcp4[64] = {
		2, 0,  0,    0,	   0, 2,  2,  0, 0, 0, 0,  1, 0x08, 0x00, 0x45, 0,
		0, 50, 0,    0,	   0, 0,  64, 6, 0, 0, 10, 1, 2,    3,	  10,	9,
		9, 9,  0x9c, 0x40, 0, 80, 0,  0, 0, 0, 0,  0, 0,    0,	  0x50, 0x18,
	};
	uint8_t vxlan[128] = { 2,   0,	  0,	0,    0,    0x12, 2,	0,    0,    0,
			       0,   0x11, 0x08, 0x00, 0x45, 0,	  0,	114,  0,    0,
			       0,   0,	  64,	17,   0,    0,	  192,	0,    2,    1,
			       192, 0,	  2,	2,    0xc0, 0,	  0x12, 0xb5, 0,    94,
			       0,   0,	  0x08, 0,    0,    0,	  0x00, 0x13, 0x89, 0 };
	static const uint8_t udp6[96] = {
		2, 0,	0,	  0,	0,    2,    2,	  0,	    0,	  0,	0,  1,	0x81, 0,
		0, 100, 0x86,	  0xdd, 0x60, 0,    0,	  0,	    0,	  28,	17, 64, 0xfd, 0,
		0, 1,	[42] = 1, 0x20, 0x01, 0x0d, 0xb8, [58] = 1, 0x14, 0xe9, 0,  53, 0,    28,
	};
	const struct {
		const char *name;
		const uint8_t *frame;
		size_t len;
	} cases[] = {
		{ "eth_ipv4_tcp", tcp4, sizeof(tcp4) },
		{ "vxlan_eth_ipv4_tcp", vxlan, 50 + sizeof(tcp4) },
		{ "vlan_ipv6_udp", udp6, sizeof(udp6) },
	};
	uint8_t a[16] = { 10, 1 };

	memcpy(vxlan + 50, tcp4, sizeof(tcp4));
	/* A realistic table: one CIDR per tenant for 256 tenants, and a VNI match. */
	for (uint32_t t = 1; t <= 256; t++) {
		a[1] = (uint8_t)t;
		ys_bpf_set_cidr(p->bpf, 4, a, 16, t);
	}
	ys_bpf_set_vni(p->bpf, 5001, 7);
	printf("{\"repeat\": %u, \"ns_per_packet\": {", p->o.bench_repeat);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t ret, ns;
		int r = ys_bpf_test_run(p->bpf, cases[i].frame, cases[i].len, p->o.bench_repeat,
					&ret, NULL, &ns);

		if (r) {
			fprintf(stderr, "probe: BPF_PROG_TEST_RUN: %s\n", strerror(-r));
			return 1;
		}
		printf("%s\"%s\": %u", i ? ", " : "", cases[i].name, ns);
	}
	printf("}}\n");
	return 0;
}

static int probe_parse_args(int argc, char **argv, struct probe_opts *o)
{
	static const struct option longopts[] = {
		{ "capture", required_argument, NULL, 'm' },
		{ "workers", required_argument, NULL, 'w' },
		{ "xdp", no_argument, NULL, 'x' },
		{ "xdp-mode", required_argument, NULL, 'M' },
		{ "skip-pass", no_argument, NULL, 's' },
		{ "cidr", required_argument, NULL, 'C' },
		{ "vni", required_argument, NULL, 'N' },
		{ "vlan", required_argument, NULL, 'L' },
		{ "policy", required_argument, NULL, 'P' },
		{ "bypass-after", required_argument, NULL, 'B' },
		{ "flows", no_argument, NULL, 'f' },
		{ "duration", required_argument, NULL, 'd' },
		{ "idle", required_argument, NULL, 'I' },
		{ "count", required_argument, NULL, 'c' },
		{ "pcap-out", required_argument, NULL, 'o' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "bypass-log", required_argument, NULL, 'l' },
		{ "bench-xdp", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t v;
	int c;

	o->method = "af-packet";
	o->workers = 1;
	o->duration = 10;
	while ((c = getopt_long(argc, argv, "i:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->ifname = optarg;
			break;
		case 'm':
			o->method = optarg;
			break;
		case 'w':
			if (probe_parse_u32(optarg, &v) || !v || v > PROBE_MAX_WORKERS)
				return -EINVAL;
			o->workers = v;
			break;
		case 'x':
			o->xdp = true;
			break;
		case 'M':
			o->xdp_mode = optarg;
			break;
		case 's':
			o->skip_pass = true;
			break;
		case 'C':
		case 'N':
		case 'L':
		case 'P':
			o->xdp = true; /* applied once the program is loaded */
			break;
		case 'B':
			if (probe_parse_u32(optarg, &o->bypass_after))
				return -EINVAL;
			o->flows = true;
			break;
		case 'f':
			o->flows = true;
			break;
		case 'd':
			if (probe_parse_secs(optarg, &o->duration))
				return -EINVAL;
			break;
		case 'I':
			if (probe_parse_secs(optarg, &o->idle))
				return -EINVAL;
			break;
		case 'c':
			if (probe_parse_u64(optarg, &o->count))
				return -EINVAL;
			break;
		case 'o':
			o->pcap_out = optarg;
			break;
		case 'r':
			o->ready_file = optarg;
			break;
		case 'l':
			o->bypass_log = optarg;
			break;
		case 'b':
			if (probe_parse_u32(optarg, &o->bench_repeat) || !o->bench_repeat)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	if (!o->ifname && !o->bench_repeat)
		return -EINVAL;
	return 0;
}

/* Second pass over argv for the tenant table, now that the maps exist. */
static int probe_apply_tables(struct probe *p, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cidr", required_argument, NULL, 'C' },
		{ "vni", required_argument, NULL, 'N' },
		{ "vlan", required_argument, NULL, 'L' },
		{ "policy", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "-", longopts, NULL)) != -1) {
		if (c == 'P')
			ret = probe_apply_policy(p, optarg);
		else if (c == 'C' || c == 'N' || c == 'L')
			ret = probe_apply_tenant_arg(p, c, optarg);
		else
			continue;
		if (ret) {
			fprintf(stderr, "probe: bad table entry \"%s\": %s\n", optarg,
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct probe pr;
	struct probe *p = &pr;
	struct ys_capture_params cp = { 0 };
	struct ys_decode_params dp = { 0 };
	struct sigaction sa = { .sa_handler = probe_on_signal };
	uint64_t start;
	unsigned opened = 0;
	int ret = 1;

	if (probe_parse_args(argc, argv, &p->o)) {
		probe_usage();
		return 2;
	}
	pthread_mutex_init(&p->lock, NULL);

	if (p->o.xdp || p->o.bench_repeat) {
		struct ys_bpf_params bp = {
			.ifname = p->o.bench_repeat ? NULL : p->o.ifname,
			.xdp_mode = p->o.xdp_mode,
			.skip_pass = p->o.skip_pass,
		};

		p->bpf = ys_bpf_new(&bp, p->err, sizeof(p->err));
		if (!p->bpf) {
			fprintf(stderr, "probe: %s\n", p->err);
			return errno == EPERM ? 77 : 1;
		}
		if (p->o.bench_repeat) {
			ret = probe_bench_xdp(p);
			goto out_bpf;
		}
		if (probe_apply_tables(p, argc, argv))
			goto out_bpf;
	}

	p->ops = ys_capture_find(p->o.method);
	if (!p->ops) {
		fprintf(stderr, "probe: capture method \"%s\" not in this build\n", p->o.method);
		goto out_bpf;
	}
	if (p->o.flows) {
		p->flows = calloc(PROBE_FLOW_SLOTS, sizeof(*p->flows));
		if (!p->flows)
			goto out_bpf;
	}
	if (p->o.pcap_out) {
		p->dead = pcap_open_dead(DLT_EN10MB, 65535);
		p->dumper = p->dead ? pcap_dump_open(p->dead, p->o.pcap_out) : NULL;
		if (!p->dumper) {
			fprintf(stderr, "probe: cannot write %s\n", p->o.pcap_out);
			goto out_flows;
		}
	}

	if (p->o.bypass_log) {
		p->bypass_log = fopen(p->o.bypass_log, "w");
		if (!p->bypass_log) {
			fprintf(stderr, "probe: cannot write %s\n", p->o.bypass_log);
			goto out_close;
		}
	}

	cp.source = p->o.ifname;
	cp.workers = p->o.workers;
	cp.snaplen = 65535;
	cp.promisc = true;
	cp.fanout_id = (uint16_t)(getpid() & 0xffff);
	cp.xdp_mode = p->o.xdp_mode;
	cp.bpf = p->bpf;
	for (; opened < p->o.workers; opened++) {
		struct probe_worker *w = &p->w[opened];

		w->index = opened;
		w->probe = p;
		w->dec = ys_decoder_new(&dp);
		w->cap = w->dec ? p->ops->open(&cp, opened, p->err, sizeof(p->err)) : NULL;
		if (!w->cap) {
			fprintf(stderr, "probe: open %s worker %u: %s\n", p->o.method, opened,
				w->dec ? p->err : "decoder");
			ys_decoder_free(w->dec);
			goto out_close;
		}
	}

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (unsigned i = 0; i < opened; i++)
		pthread_create(&p->w[i].tid, NULL, probe_worker_main, &p->w[i]);
	if (p->o.ready_file) {
		FILE *f = fopen(p->o.ready_file, "w");

		if (f)
			fclose(f);
	}
	start = probe_now_usec();
	while (!probe_signalled) {
		uint64_t now = probe_now_usec(), last = atomic_load(&p->last_usec);

		if (p->o.duration > 0 && now - start >= (uint64_t)(p->o.duration * 1e6))
			break;
		if (p->o.idle > 0 && last && now - last >= (uint64_t)(p->o.idle * 1e6))
			break;
		if (p->o.count && atomic_load(&p->total) >= p->o.count)
			break;
		usleep(10000);
	}
	atomic_store(&p->stop, true);
	for (unsigned i = 0; i < opened; i++)
		p->ops->breakloop(p->w[i].cap);
	ret = 0;
	for (unsigned i = 0; i < opened; i++) {
		pthread_join(p->w[i].tid, NULL);
		if (p->ops->stats(p->w[i].cap, &p->w[i].stats) == 0 && p->w[i].ret)
			ret = 1;
	}
	probe_report(p, (probe_now_usec() - start) / 1e6);

out_close:
	for (unsigned i = 0; i < opened; i++) {
		p->ops->close(p->w[i].cap);
		ys_decoder_free(p->w[i].dec);
	}
	if (p->bypass_log)
		fclose(p->bypass_log);
	if (p->dumper)
		pcap_dump_close(p->dumper);
	if (p->dead)
		pcap_close(p->dead);
out_flows:
	free(p->flows);
out_bpf:
	ys_bpf_free(p->bpf);
	pthread_mutex_destroy(&p->lock);
	return ret;
}
