/*
 * Unit tests for ys_capture: backends by name; the pcap-file backend on a
 * pcap written by libpcap (link type, timestamps, lengths, end of file,
 * counters, a BPF filter), on a nanosecond pcap (converted to microseconds)
 * and on a hand-made pcapng file; open errors; and the live backend on the
 * loopback interface (a UDP datagram to 127.0.0.1 is seen, breakloop ends a
 * wait), skipped with the reason when the machine does not allow capture.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture.h"

/* A minimal Ethernet/IPv4/UDP (PROTO 17) or TCP (6) frame: only what filters look at. */
static size_t frame(uint8_t *b, uint8_t proto)
{
	memset(b, 0, 64);
	b[12] = 0x08;
	b[14] = 0x45;
	b[17] = 50; /* total length 50 */
	b[22] = 64;
	b[23] = proto;
	b[26] = 10;
	b[29] = 1;
	b[30] = 10;
	b[33] = 2;
	return 64;
}

static char *write_pcap(int precision, unsigned n)
{
	static char path[64];
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, precision);
	pcap_dumper_t *d;
	uint8_t b[64];

	snprintf(path, sizeof(path), "/tmp/ys-test-capture-%d.pcap", (int)getpid());
	d = pcap_dump_open(dead, path);
	assert_non_null(d);
	for (unsigned i = 0; i < n; i++) {
		struct pcap_pkthdr h = { .caplen = 64, .len = 100 };

		h.ts.tv_sec = 1700000000 + i;
		/* tv_usec holds nanoseconds when the dumper is nanosecond precision */
		h.ts.tv_usec = precision == PCAP_TSTAMP_PRECISION_NANO ? 123456789 : 123456;
		frame(b, i % 2 ? 6 : 17);
		pcap_dump((u_char *)d, &h, b);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	return path;
}

static void test_find(void **state)
{
	(void)state;
	assert_ptr_equal(ys_capture_find("pcap-file"), &ys_capture_pcap_file);
	assert_ptr_equal(ys_capture_find("pcap"), &ys_capture_pcap_live);
	assert_string_equal(ys_capture_find("pcap")->name, "pcap");
	assert_null(ys_capture_find("nope"));
	assert_null(ys_capture_find(NULL));
}

static void test_pcap_file(void **state)
{
	const char *path = write_pcap(PCAP_TSTAMP_PRECISION_MICRO, 3);
	struct ys_capture_params p = { .source = path };
	struct ys_capture_stats st;
	struct ys_capture *c;
	struct ys_frame fr;
	char err[256] = "";

	(void)state;
	c = ys_capture_pcap_file.open(&p, 0, err, sizeof(err));
	if (!c)
		fail_msg("open: %s", err);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(ys_capture_pcap_file.next(c, &fr, 100), 1);
		assert_int_equal(fr.linktype, DLT_EN10MB);
		assert_int_equal(fr.caplen, 64);
		assert_int_equal(fr.wirelen, 100);
		assert_int_equal(fr.ts_usec, (1700000000ull + i) * 1000000 + 123456);
		assert_int_equal(fr.hw_tenant, 0);
		assert_int_equal(fr.data[23], i % 2 ? 6 : 17);
	}
	assert_int_equal(ys_capture_pcap_file.next(c, &fr, 100), -ENODATA);
	assert_int_equal(ys_capture_pcap_file.stats(c, &st), 0);
	assert_int_equal(st.packets, 3);
	assert_int_equal(st.kernel_drops, 0);
	ys_capture_pcap_file.close(c);

	/* A capture filter applies to files too. */
	p.bpf_filter = "tcp";
	c = ys_capture_pcap_file.open(&p, 0, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(ys_capture_pcap_file.next(c, &fr, 100), 1);
	assert_int_equal(fr.data[23], 6);
	assert_int_equal(ys_capture_pcap_file.next(c, &fr, 100), -ENODATA);
	ys_capture_pcap_file.close(c);

	/* A bad filter, a second worker: refused with a reason. */
	p.bpf_filter = "tcp and and";
	assert_null(ys_capture_pcap_file.open(&p, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "bad capture filter"));
	p.bpf_filter = NULL;
	assert_null(ys_capture_pcap_file.open(&p, 1, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);

	/* breakloop() makes next() stop. */
	c = ys_capture_pcap_file.open(&p, 0, err, sizeof(err));
	assert_non_null(c);
	ys_capture_pcap_file.breakloop(c);
	assert_int_equal(ys_capture_pcap_file.next(c, &fr, 100), -EINTR);
	ys_capture_pcap_file.close(c);
	unlink(path);
}

static void test_pcap_nano(void **state)
{
	const char *path = write_pcap(PCAP_TSTAMP_PRECISION_NANO, 1);
	struct ys_capture_params p = { .source = path };
	struct ys_capture *c;
	struct ys_frame fr;
	char err[256];

	(void)state;
	c = ys_capture_pcap_file.open(&p, 0, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(ys_capture_pcap_file.next(c, &fr, 100), 1);
	assert_int_equal(fr.ts_usec, 1700000000ull * 1000000 + 123456);
	ys_capture_pcap_file.close(c);
	unlink(path);
}

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);
}

static void put16(FILE *f, uint16_t v)
{
	fwrite(&v, 2, 1, f);
}

static void test_pcapng(void **state)
{
	char path[64];
	struct ys_capture_params p = { .source = path };
	struct ys_capture *c;
	struct ys_frame fr;
	uint8_t b[64];
	char err[256];
	uint64_t ts = 1700000000123456ull; /* default resolution: microseconds */
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/ys-test-capture-%d.pcapng", (int)getpid());
	f = fopen(path, "wb");
	assert_non_null(f);
	/* Section header block. */
	put32(f, 0x0a0d0d0a);
	put32(f, 28);
	put32(f, 0x1a2b3c4d);
	put16(f, 1);
	put16(f, 0);
	put32(f, 0xffffffff);
	put32(f, 0xffffffff);
	put32(f, 28);
	/* Interface description block: Linux cooked capture. */
	put32(f, 1);
	put32(f, 20);
	put16(f, DLT_LINUX_SLL);
	put16(f, 0);
	put32(f, 65535);
	put32(f, 20);
	/* Enhanced packet block with 64 bytes. */
	put32(f, 6);
	put32(f, 32 + 64);
	put32(f, 0);
	put32(f, (uint32_t)(ts >> 32));
	put32(f, (uint32_t)ts);
	put32(f, 64);
	put32(f, 70);
	fwrite(b, 1, frame(b, 17), f);
	put32(f, 32 + 64);
	fclose(f);

	c = ys_capture_pcap_file.open(&p, 0, err, sizeof(err));
	if (!c)
		fail_msg("pcapng: %s", err);
	assert_int_equal(ys_capture_pcap_file.next(c, &fr, 100), 1);
	assert_int_equal(fr.linktype, DLT_LINUX_SLL);
	assert_int_equal(fr.caplen, 64);
	assert_int_equal(fr.wirelen, 70);
	assert_int_equal(fr.ts_usec, ts);
	assert_int_equal(ys_capture_pcap_file.next(c, &fr, 100), -ENODATA);
	ys_capture_pcap_file.close(c);
	unlink(path);
}

static void test_open_errors(void **state)
{
	struct ys_capture_params p = { .source = "/nonexistent/x.pcap" };
	char err[256] = "";

	(void)state;
	assert_null(ys_capture_pcap_file.open(&p, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/x.pcap"));
	p.source = NULL;
	assert_null(ys_capture_pcap_file.open(&p, 0, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	p.source = "ys-no-such-interface0";
	assert_null(ys_capture_pcap_live.open(&p, 0, err, sizeof(err)));
	assert_true(strlen(err) > 0);
}

/* A UDP port of our own for test N, so that two runs at once (plain and
 * sanitizer builds) never see each other's datagrams on lo; its filter in BUF. */
static uint16_t test_port(int n, char *buf, size_t len)
{
	uint16_t port = (uint16_t)(20000 + (getpid() % 10000) * 3 + n);

	snprintf(buf, len, "udp and dst port %u", port);
	return port;
}

static void test_live_loopback(void **state)
{
	char filter[64];
	uint16_t port = test_port(0, filter, sizeof(filter));
	struct ys_capture_params p = {
		.source = "lo", .bpf_filter = filter, .snaplen = 2048, .ring_size_mb = 2
	};
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct ys_capture_stats st;
	struct ys_capture *c;
	struct ys_frame fr;
	char err[256] = "";
	int s, rc = 0;

	(void)state;
	c = ys_capture_pcap_live.open(&p, 0, err, sizeof(err));
	if (!c) {
		print_message("skipped: cannot capture on lo here (%s)\n", err);
		skip();
	}
	/* Nothing yet: a short wait returns 0. */
	assert_int_equal(ys_capture_pcap_live.next(c, &fr, 10), 0);

	to.sin_port = htons(port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	assert_int_equal(sendto(s, "yunshao", 7, 0, (struct sockaddr *)&to, sizeof(to)), 7);
	close(s);
	for (int i = 0; i < 50 && rc == 0; i++)
		rc = ys_capture_pcap_live.next(c, &fr, 100);
	assert_int_equal(rc, 1);
	assert_int_equal(fr.linktype, DLT_EN10MB);
	assert_true(fr.caplen >= 14 + 20 + 8 + 7);
	assert_memory_equal(fr.data + fr.caplen - 7, "yunshao", 7);
	assert_int_equal(ys_capture_pcap_live.stats(c, &st), 0);
	assert_int_equal(st.packets, 1);

	ys_capture_pcap_live.breakloop(c);
	assert_int_equal(ys_capture_pcap_live.next(c, &fr, 5000), -EINTR);
	ys_capture_pcap_live.close(c);
}

static void test_live_fanout(void **state)
{
	char filter[64];
	uint16_t port = test_port(1, filter, sizeof(filter));
	struct ys_capture_params p = { .source = "lo",
				       .bpf_filter = filter,
				       .workers = 2,
				       .fanout_id = port, /* a group of our own too */
				       .ring_size_mb = 2,
				       .snaplen = 2048 };
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct ys_capture *c[2];
	struct ys_frame fr;
	char err[256] = "";
	unsigned got[2] = { 0, 0 };
	int s;

	(void)state;
	c[0] = ys_capture_pcap_live.open(&p, 0, err, sizeof(err));
	if (!c[0]) {
		print_message("skipped: cannot capture on lo here (%s)\n", err);
		skip();
	}
	c[1] = ys_capture_pcap_live.open(&p, 1, err, sizeof(err));
	if (!c[1])
		fail_msg("second fanout member: %s", err);
	/* 40 datagrams from 40 source ports: each reaches exactly one worker. */
	to.sin_port = htons(port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 40; i++) {
		s = socket(AF_INET, SOCK_DGRAM, 0);
		assert_true(s >= 0);
		assert_int_equal(sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
		close(s);
	}
	for (int round = 0; round < 100 && got[0] + got[1] < 40; round++) {
		for (int w = 0; w < 2; w++) {
			while (ys_capture_pcap_live.next(c[w], &fr, 10) == 1)
				got[w]++;
		}
	}
	assert_int_equal(got[0] + got[1], 40);
	/* The hash spreads 40 flows over both members (all 40 on one: 2^-39). */
	assert_true(got[0] > 0 && got[1] > 0);
	ys_capture_pcap_live.close(c[0]);
	ys_capture_pcap_live.close(c[1]);
}

static void test_live_kernel_drops(void **state)
{
	/* Full-size slots in a 1 MiB ring: a handful of frames fit, the rest of a
	 * burst nobody reads is dropped by the kernel and must be counted. */
	char filter[64];
	uint16_t port = test_port(2, filter, sizeof(filter));
	struct ys_capture_params p = {
		.source = "lo", .bpf_filter = filter, .snaplen = 65535, .ring_size_mb = 1
	};
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct ys_capture_stats st;
	struct ys_capture *c;
	struct ys_frame fr;
	char err[256] = "";
	unsigned got = 0;
	int s;

	(void)state;
	c = ys_capture_pcap_live.open(&p, 0, err, sizeof(err));
	if (!c) {
		print_message("skipped: cannot capture on lo here (%s)\n", err);
		skip();
	}
	to.sin_port = htons(port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	for (int i = 0; i < 200; i++)
		assert_int_equal(sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	close(s);
	while (ys_capture_pcap_live.next(c, &fr, 50) == 1)
		got++;
	assert_int_equal(ys_capture_pcap_live.stats(c, &st), 0);
	assert_int_equal(st.packets, got);
	assert_true(got < 200);
	assert_true(st.kernel_drops > 0);
	/* At least every datagram we did not get; on lo the kernel also counts the
	 * outgoing copies libpcap would have skipped, so it may be more. */
	assert_true(got + st.kernel_drops >= 200);
	ys_capture_pcap_live.close(c);
}

/* AF_PACKET on lo: a breakloop() made before next() blocks is not lost, it ends
 * exactly one wait, and a datagram sent afterwards is still delivered. */
static void test_afpacket_breakloop(void **state)
{
	char filter[64];
	uint16_t port = test_port(3, filter, sizeof(filter));
	struct ys_capture_params p = {
		.source = "lo", .bpf_filter = filter, .snaplen = 2048, .ring_size_mb = 2
	};
	const struct ys_capture_ops *ops = ys_capture_find("af-packet");
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct ys_capture *c;
	struct ys_frame fr;
	char err[256] = "";
	int s, rc = 0;

	(void)state;
	assert_non_null(ops);
	c = ops->open(&p, 0, err, sizeof(err));
	if (!c) {
		print_message("skipped: cannot open AF_PACKET on lo here (%s)\n", err);
		skip();
	}
	ops->breakloop(c);
	assert_int_equal(ops->next(c, &fr, 5000), -EINTR);
	assert_int_equal(ops->next(c, &fr, 20), 0);
	to.sin_port = htons(port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	assert_int_equal(sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	close(s);
	/* The block timeout hands a partly filled block over within ~10 ms. */
	for (int i = 0; i < 50 && rc != 1; i++)
		rc = ops->next(c, &fr, 100);
	assert_int_equal(rc, 1);
	assert_true(fr.caplen >= 14 + 20 + 8 + 1);
	ops->close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_pcap_file),
		cmocka_unit_test(test_pcap_nano),
		cmocka_unit_test(test_pcapng),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_live_loopback),
		cmocka_unit_test(test_live_fanout),
		cmocka_unit_test(test_live_kernel_drops),
		cmocka_unit_test(test_afpacket_breakloop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
