/*
 * Capture backends as a table of operations (nginx-style), so the worker loop
 * is the same for a pcap file, a live interface through libpcap, AF_PACKET
 * TPACKET_V3 with fanout, and AF_XDP sockets fed by the XDP program.
 *
 * Threading: a struct ys_capture is owned by one worker. Live backends open
 * one handle per worker (fanout group / XDP queue); the pcap-file backend is
 * single-worker.
 */
#ifndef YS_CAPTURE_H
#define YS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One captured frame; data stays valid until the next call on the same handle. */
struct ys_frame {
	const uint8_t *data;
	uint32_t caplen, wirelen;
	uint64_t ts_usec;
	int linktype;	    /* pcap DLT_* */
	uint32_t hw_tenant; /* tenant id from XDP metadata, 0 = none */
};

struct ys_capture_params {
	const char *source;	/* file path (pcap-file) or interface name */
	const char *bpf_filter; /* optional capture filter (pcap syntax) */
	unsigned workers;	/* total workers sharing the source */
	unsigned snaplen;	/* default 65535; live "pcap": 9216 (see capture_pcap.c) */
	bool promisc;
	uint32_t ring_size_mb; /* AF_PACKET ring per worker; default 64 */
	uint16_t fanout_id;    /* AF_PACKET fanout group id */
	uint32_t queue_id;     /* AF_XDP queue */
	const char *xdp_mode;  /* "native" | "generic" | "auto" */
	void *bpf;	       /* AF_XDP: the loaded XDP object owning the xsk map */
};

struct ys_capture_stats {
	uint64_t packets;      /* delivered to us */
	uint64_t kernel_drops; /* dropped by the kernel / ring */
	uint64_t if_drops;
};

struct ys_capture;

struct ys_capture_ops {
	const char *name;
	/* NULL + errno on failure, with a one-line reason in ERR. */
	struct ys_capture *(*open)(const struct ys_capture_params *p, unsigned worker, char *err,
				   size_t errlen);
	/* Next frame into FR: 1 = a frame, 0 = none within TIMEOUT_MS, -ENODATA = end of file,
	 * -EINTR = breakloop() was called, other negative errno = error. */
	int (*next)(struct ys_capture *c, struct ys_frame *fr, int timeout_ms);
	int (*stats)(struct ys_capture *c, struct ys_capture_stats *out);
	/* Make a blocked next() return soon (signal handlers, shutdown). Async-signal-safe. */
	void (*breakloop)(struct ys_capture *c);
	void (*close)(struct ys_capture *c);
};

extern const struct ys_capture_ops ys_capture_pcap_file;
extern const struct ys_capture_ops ys_capture_pcap_live;
/* Defined by capture_afpacket.c / capture_afxdp.c when those are built. */
extern const struct ys_capture_ops ys_capture_afpacket;
extern const struct ys_capture_ops ys_capture_afxdp;

/* Backend by name ("pcap-file", "pcap", "af-packet", "af-xdp"), NULL if unknown. */
const struct ys_capture_ops *ys_capture_find(const char *name);

#endif /* YS_CAPTURE_H */
