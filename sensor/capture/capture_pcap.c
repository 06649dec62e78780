/*
 * libpcap backends: "pcap-file" reads a pcap or pcapng file (any link type
 * libpcap knows; timestamps converted to microseconds), "pcap" captures live
 * from an interface (immediate mode, a kernel buffer of ring_size_mb, an
 * optional BPF filter, kernel drop counters). For several workers on one
 * interface each opens its own handle and joins a PACKET_FANOUT group by flow
 * hash, so a flow always lands on the same worker.
 *
 * next() on a live handle polls the pcap fd together with a wake-up pipe, so
 * breakloop() (async-signal-safe: a flag and a write(2)) ends a wait at once.
 */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * In immediate mode libpcap uses a TPACKET_V2 ring of fixed slots of snaplen
 * bytes (rounded up to a power of two): 65535 would leave 512 slots in a 64 MiB
 * ring and drop bursts. 9216 covers jumbo frames on a mirror port (4096 slots);
 * a host capture with GRO needs snaplen 65535 and a larger ring_size_mb.
 */
#define YS_PCAP_SNAPLEN_DEFAULT 9216
#define YS_PCAP_RING_MB_DEFAULT 64

struct ys_capture {
	pcap_t *pc;
	bool live;
	int linktype;
	int sel_fd;	/* live: pollable descriptor, -1 when libpcap has none */
	int wake_fd[2]; /* live: breakloop() writes here */
	volatile sig_atomic_t stop;
	uint64_t packets;
	char *iobuf; /* file: stdio buffer of the capture file, freed after pcap_close() */
};

/* libpcap reads files through stdio's 4 KiB default: ~70,000 read(2)s for a 300 MB
 * capture, 13% of a worker's time in the kernel. One MiB per read instead. */
#define YS_PCAP_FILE_IOBUF (1u << 20)

static void ys_capture_free(struct ys_capture *c)
{
	if (!c)
		return;
	if (c->pc)
		pcap_close(c->pc); /* closes the FILE of a capture file too */
	free(c->iobuf);
	if (c->wake_fd[0] >= 0)
		close(c->wake_fd[0]);
	if (c->wake_fd[1] >= 0)
		close(c->wake_fd[1]);
	free(c);
}

static struct ys_capture *ys_capture_alloc(void)
{
	struct ys_capture *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->sel_fd = -1;
	c->wake_fd[0] = c->wake_fd[1] = -1;
	return c;
}

static int ys_pcap_set_filter(struct ys_capture *c, const char *filter, char *err, size_t errlen)
{
	struct bpf_program prog;
	int rc = 0;

	if (!filter || !*filter)
		return 0;
	if (pcap_compile(c->pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "bad capture filter \"%s\": %s", filter, pcap_geterr(c->pc));
		return -EINVAL;
	}
	if (pcap_setfilter(c->pc, &prog) < 0) {
		snprintf(err, errlen, "cannot set capture filter: %s", pcap_geterr(c->pc));
		rc = -EINVAL;
	}
	pcap_freecode(&prog);
	return rc;
}

static struct ys_capture *ys_pcap_file_open(const struct ys_capture_params *p, unsigned worker,
					    char *err, size_t errlen)
{
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	struct ys_capture *c;
	int rc;

	if (!p || !p->source) {
		snprintf(err, errlen, "pcap-file: no file given");
		errno = EINVAL;
		return NULL;
	}
	if (worker != 0) {
		snprintf(err, errlen, "pcap-file: a capture file is read by one worker only");
		errno = EINVAL;
		return NULL;
	}
	c = ys_capture_alloc();
	if (!c) {
		snprintf(err, errlen, "pcap-file: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	FILE *fp = fopen(p->source, "rb");

	if (!fp) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", p->source, strerror(-rc));
		goto out_free;
	}
	c->iobuf = malloc(YS_PCAP_FILE_IOBUF);
	if (c->iobuf)
		setvbuf(fp, c->iobuf, _IOFBF, YS_PCAP_FILE_IOBUF);
	c->pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, pcap_err);
	if (!c->pc) {
		fclose(fp);
		snprintf(err, errlen, "%s: %s", p->source, pcap_err);
		rc = -EINVAL;
		goto out_free;
	}
	c->linktype = pcap_datalink(c->pc);
	rc = ys_pcap_set_filter(c, p->bpf_filter, err, errlen);
	if (rc)
		goto out_free;
	return c;

out_free:
	ys_capture_free(c);
	errno = -rc;
	return NULL;
}

static int ys_pcap_join_fanout(struct ys_capture *c, const struct ys_capture_params *p, char *err,
			       size_t errlen)
{
	int fd = pcap_fileno(c->pc);
	uint32_t arg = (uint32_t)p->fanout_id | ((uint32_t)(PACKET_FANOUT_HASH) << 16);

	if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) < 0) {
		snprintf(err, errlen, "pcap: %s: cannot join fanout group %u: %s", p->source,
			 p->fanout_id, strerror(errno));
		return -EINVAL;
	}
	return 0;
}

static struct ys_capture *ys_pcap_live_open(const struct ys_capture_params *p, unsigned worker,
					    char *err, size_t errlen)
{
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	struct ys_capture *c;
	unsigned ring_mb;
	int rc;

	if (!p || !p->source) {
		snprintf(err, errlen, "pcap: no interface given");
		errno = EINVAL;
		return NULL;
	}
	c = ys_capture_alloc();
	if (!c) {
		snprintf(err, errlen, "pcap: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	c->live = true;
	c->pc = pcap_create(p->source, pcap_err);
	if (!c->pc) {
		snprintf(err, errlen, "pcap: %s: %s", p->source, pcap_err);
		rc = -ENODEV;
		goto out_free;
	}
	ring_mb = p->ring_size_mb ? p->ring_size_mb : YS_PCAP_RING_MB_DEFAULT;
	pcap_set_snaplen(c->pc, p->snaplen ? (int)p->snaplen : YS_PCAP_SNAPLEN_DEFAULT);
	pcap_set_promisc(c->pc, p->promisc);
	pcap_set_immediate_mode(c->pc, 1);
	pcap_set_buffer_size(c->pc, (int)(ring_mb > 1024 ? 1024 : ring_mb) << 20);
	pcap_set_tstamp_precision(c->pc, PCAP_TSTAMP_PRECISION_MICRO);
	rc = pcap_activate(c->pc);
	if (rc < 0) {
		snprintf(err, errlen, "pcap: %s: %s", p->source, pcap_geterr(c->pc));
		rc = rc == PCAP_ERROR_PERM_DENIED ? -EPERM : -ENODEV;
		goto out_free;
	}
	c->linktype = pcap_datalink(c->pc);
	rc = ys_pcap_set_filter(c, p->bpf_filter, err, errlen);
	if (rc)
		goto out_free;
	if (p->workers > 1) {
		rc = ys_pcap_join_fanout(c, p, err, errlen);
		if (rc)
			goto out_free;
	}
	if (pcap_setnonblock(c->pc, 1, pcap_err) < 0) {
		snprintf(err, errlen, "pcap: %s: %s", p->source, pcap_err);
		rc = -EIO;
		goto out_free;
	}
	c->sel_fd = pcap_get_selectable_fd(c->pc);
	if (pipe2(c->wake_fd, O_NONBLOCK | O_CLOEXEC) < 0) {
		rc = -errno; /* before snprintf(), which may change errno */
		snprintf(err, errlen, "pcap: pipe: %s", strerror(-rc));
		goto out_free;
	}
	(void)worker; /* every worker opens the same interface; fanout splits the flows */
	return c;

out_free:
	ys_capture_free(c);
	errno = -rc;
	return NULL;
}

static void ys_pcap_fill(struct ys_capture *c, struct ys_frame *fr, const struct pcap_pkthdr *h,
			 const uint8_t *data)
{
	fr->data = data;
	fr->caplen = h->caplen;
	fr->wirelen = h->len;
	fr->ts_usec = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
	fr->linktype = c->linktype;
	fr->hw_tenant = 0;
	c->packets++;
}

static int ys_pcap_next(struct ys_capture *c, struct ys_frame *fr, int timeout_ms)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	for (int round = 0; round < 2; round++) {
		if (c->stop)
			return -EINTR;
		rc = pcap_next_ex(c->pc, &h, &data);
		if (rc == 1) {
			ys_pcap_fill(c, fr, h, data);
			return 1;
		}
		if (rc == PCAP_ERROR_BREAK)
			return c->live ? -EINTR : -ENODATA;
		if (rc < 0)
			return -EIO;
		/* 0: nothing ready on a live handle. Wait once, then try again. */
		if (!c->live || round == 1 || timeout_ms == 0)
			return 0;
		if (c->sel_fd >= 0) {
			struct pollfd pfd[2] = {
				{ .fd = c->sel_fd, .events = POLLIN },
				{ .fd = c->wake_fd[0], .events = POLLIN },
			};

			if (poll(pfd, 2, timeout_ms) < 0 && errno != EINTR)
				return -errno;
		} else {
			usleep(1000);
		}
	}
	return 0;
}

static int ys_pcap_stats(struct ys_capture *c, struct ys_capture_stats *out)
{
	struct pcap_stat ps;

	memset(out, 0, sizeof(*out));
	out->packets = c->packets;
	if (c->live && pcap_stats(c->pc, &ps) == 0) {
		out->kernel_drops = ps.ps_drop;
		out->if_drops = ps.ps_ifdrop;
	}
	return 0;
}

static void ys_pcap_breakloop(struct ys_capture *c)
{
	c->stop = 1;
	pcap_breakloop(c->pc);
	if (c->wake_fd[1] >= 0) {
		ssize_t n = write(c->wake_fd[1], "x", 1);

		(void)n; /* a full pipe already wakes the poller */
	}
}

const struct ys_capture_ops ys_capture_pcap_file = {
	.name = "pcap-file",
	.open = ys_pcap_file_open,
	.next = ys_pcap_next,
	.stats = ys_pcap_stats,
	.breakloop = ys_pcap_breakloop,
	.close = ys_capture_free,
};

const struct ys_capture_ops ys_capture_pcap_live = {
	.name = "pcap",
	.open = ys_pcap_live_open,
	.next = ys_pcap_next,
	.stats = ys_pcap_stats,
	.breakloop = ys_pcap_breakloop,
	.close = ys_capture_free,
};
