/*
 * AF_XDP capture backend ("af-xdp"): one XDP socket per worker, bound to
 * queue (params.queue_id + worker) of the interface, through libxdp.
 *
 * Two ways to get frames into the socket, and we handle both:
 *  - The sensor's own XDP program (bpf/sensor.bpf.c) is attached: it owns an
 *    XSKMAP named "xsks_map" and writes the tenant id in front of each frame
 *    (struct ys_xdp_meta). We find that map through the interface's attached
 *    program, tell libxdp not to load anything (INHIBIT_PROG_LOAD) and put our
 *    socket into the map ourselves; ys_frame.hw_tenant carries the tenant.
 *  - No program is attached: libxdp loads its default redirect program (via
 *    its multi-program dispatcher, or as a single program where the kernel
 *    refuses the dispatcher). No tenant metadata then: hw_tenant stays 0 and
 *    user space classifies.
 * A foreign program without our map is left alone and the open fails.
 * The map is found through the interface (not through ys_capture_params.bpf),
 * so this backend does not link the loader and works with whichever of the two
 * is attached.
 *
 * Binding tries zero-copy first and falls back to copy mode (veth and most
 * virtual NICs have no zero-copy). Frames handed to the worker are returned to
 * the fill ring in batches on the call after the batch's last frame, so each
 * stays valid until the next call as capture.h promises.
 */
#include "capture.h"
#include "capture_wake.h"

#include <errno.h>
#include <net/if.h> /* before the linux/ headers, which defer to it */
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "sensor_bpf.h"
#include "ys_log.h"

#define YS_XSK_FRAMES	  4096 /* = fill ring: every frame is always in a ring or with us */
#define YS_XSK_FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE
#define YS_XSK_RING	  4096 /* rx and fill ring entries */
#define YS_XSK_BATCH	  64
#define YS_XSK_MAP_NAME	  "xsks_map"

struct ys_capture {
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rx;
	uint8_t *area;
	size_t area_len;
	int xsks_map_fd; /* our program's XSKMAP, -1 when libxdp loaded its own */
	uint32_t queue;
	int wake_fd;
	bool zerocopy;
	/* Current batch taken from the rx ring. */
	uint32_t batch_idx, batch_n, batch_pos;
	uint64_t packets;
	uint64_t lost_frames; /* umem frames that could not go back to the fill ring */
	uint32_t snaplen;
};

/* XSKMAP of the XDP program attached to IFINDEX (any mode), or -ENOENT when
 * no program is attached, -ENOTSUP when the program has no such map. */
static int ys_xsk_find_map(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = { 0 };
	uint32_t ids[64], len = sizeof(info), prog_id;
	int prog_fd, ret = -ENOTSUP;

	if (bpf_xdp_query(ifindex, 0, &q))
		return -errno;
	prog_id = q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	if (!prog_id)
		return -ENOENT;
	prog_fd = bpf_prog_get_fd_by_id(prog_id);
	if (prog_fd < 0)
		return -errno;
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (uint64_t)(uintptr_t)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) {
		ret = -errno;
		goto out_close_prog;
	}
	for (uint32_t i = 0; i < info.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct bpf_map_info mi = { 0 };
		uint32_t mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &mi, &mlen) == 0 && mi.type == BPF_MAP_TYPE_XSKMAP &&
		    !strcmp(mi.name, YS_XSK_MAP_NAME)) {
			ret = fd;
			break;
		}
		close(fd);
	}
out_close_prog:
	close(prog_fd);
	return ret;
}

static void ys_xsk_close(struct ys_capture *c)
{
	if (!c)
		return;
	if (c->xsks_map_fd >= 0) {
		/* Stop redirecting to a socket that is going away. */
		bpf_map_delete_elem(c->xsks_map_fd, &c->queue);
		close(c->xsks_map_fd);
	}
	if (c->xsk)
		xsk_socket__delete(c->xsk);
	if (c->umem)
		xsk_umem__delete(c->umem);
	if (c->area && c->area != MAP_FAILED)
		munmap(c->area, c->area_len);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	free(c);
}

static int ys_xsk_fill_all(struct ys_capture *c)
{
	uint32_t idx = 0, n = YS_XSK_RING;

	if (xsk_ring_prod__reserve(&c->fill, n, &idx) != n)
		return -ENOSPC;
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&c->fill, idx + i) = (uint64_t)i * YS_XSK_FRAME_SIZE;
	xsk_ring_prod__submit(&c->fill, n);
	return 0;
}

static int ys_xsk_bind(struct ys_capture *c, const struct ys_capture_params *p, const char *mode,
		       bool inhibit, uint16_t bind_flags)
{
	struct xsk_socket_config cfg = {
		.rx_size = YS_XSK_RING,
		.tx_size = 0,
		.libxdp_flags = inhibit ? XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD : 0,
		.bind_flags = bind_flags,
	};

	if (!strcmp(mode, "native"))
		cfg.xdp_flags = XDP_FLAGS_DRV_MODE;
	else if (!strcmp(mode, "generic"))
		cfg.xdp_flags = XDP_FLAGS_SKB_MODE;
	return xsk_socket__create(&c->xsk, p->source, c->queue, c->umem, &c->rx, NULL, &cfg);
}

static struct ys_capture *ys_xsk_open(const struct ys_capture_params *p, unsigned worker, char *err,
				      size_t errlen)
{
	struct xsk_umem_config ucfg = {
		.fill_size = YS_XSK_RING,
		.comp_size = YS_XSK_RING,
		.frame_size = YS_XSK_FRAME_SIZE,
		.frame_headroom = 0,
		.flags = 0,
	};
	const char *mode = p->xdp_mode ? p->xdp_mode : "auto";
	struct ys_capture *c;
	int ifindex, ret;
	bool inhibit;

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	c->xsks_map_fd = -1;
	c->wake_fd = -1;
	c->queue = p->queue_id + worker;
	c->snaplen = p->snaplen ? p->snaplen : 65535;
	if (!p->source || !(ifindex = (int)if_nametoindex(p->source))) {
		ret = -ENODEV;
		snprintf(err, errlen, "af-xdp: no interface \"%s\"", p->source ? p->source : "");
		goto out_close;
	}
	if (p->bpf_filter && *p->bpf_filter) {
		/* Filtering belongs in the XDP program here, not in a socket filter. */
		ret = -ENOTSUP;
		snprintf(err, errlen, "af-xdp: capture filters are not supported");
		goto out_close;
	}
	c->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->wake_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "af-xdp eventfd: %s", strerror(errno));
		goto out_close;
	}

	c->area_len = (size_t)YS_XSK_FRAMES * YS_XSK_FRAME_SIZE;
	c->area =
		mmap(NULL, c->area_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->area == MAP_FAILED) {
		ret = -errno;
		snprintf(err, errlen, "af-xdp umem of %zu bytes: %s", c->area_len, strerror(errno));
		goto out_close;
	}
	ret = xsk_umem__create(&c->umem, c->area, c->area_len, &c->fill, &c->comp, &ucfg);
	if (ret) {
		snprintf(err, errlen, "af-xdp umem: %s", strerror(-ret));
		goto out_close;
	}

	ret = ys_xsk_find_map(ifindex);
	if (ret >= 0) {
		c->xsks_map_fd = ret;
	} else if (ret != -ENOENT) {
		snprintf(err, errlen,
			 "af-xdp: %s has an XDP program without an XSKMAP named %s: %s", p->source,
			 YS_XSK_MAP_NAME, strerror(-ret));
		goto out_close;
	}
	inhibit = c->xsks_map_fd >= 0;

	/* Zero-copy first; drivers without it (veth) refuse and we copy. */
	ret = ys_xsk_bind(c, p, mode, inhibit, XDP_ZEROCOPY | XDP_USE_NEED_WAKEUP);
	if (ret) {
		c->xsk = NULL;
		ret = ys_xsk_bind(c, p, mode, inhibit, XDP_COPY | XDP_USE_NEED_WAKEUP);
	} else {
		c->zerocopy = true;
	}
	if (ret) {
		c->xsk = NULL;
		snprintf(err, errlen, "af-xdp socket on %s queue %u: %s%s", p->source, c->queue,
			 strerror(-ret),
			 ret == -EINVAL ? " (one worker per rx queue: see 'ethtool -l')" : "");
		goto out_close;
	}
	ret = ys_xsk_fill_all(c);
	if (ret) {
		snprintf(err, errlen, "af-xdp fill ring: %s", strerror(-ret));
		goto out_close;
	}
	if (c->xsks_map_fd >= 0) {
		int fd = xsk_socket__fd(c->xsk);

		if (bpf_map_update_elem(c->xsks_map_fd, &c->queue, &fd, BPF_ANY)) {
			ret = -errno;
			snprintf(err, errlen, "af-xdp: register socket in %s[%u]: %s",
				 YS_XSK_MAP_NAME, c->queue, strerror(errno));
			goto out_close;
		}
	}
	ys_notice("capture", "af-xdp %s queue %u: %s mode, %s", p->source, c->queue,
		  c->zerocopy ? "zero-copy" : "copy",
		  c->xsks_map_fd >= 0 ? "sensor XDP program (tenant metadata)"
				      : "libxdp's own XDP program (no tenant metadata)");
	return c;

out_close:
	ys_xsk_close(c);
	errno = -ret;
	return NULL;
}

/* Give the finished batch back: rx slots to the kernel, frames to the fill ring. */
static void ys_xsk_recycle(struct ys_capture *c)
{
	uint32_t fidx = 0;

	if (!c->batch_n)
		return;
	/* The fill ring is as large as the umem, so it always has room for the
	 * frames we hold; should that ever break, the frames leave circulation
	 * (counted) rather than the worker spinning. */
	if (xsk_ring_prod__reserve(&c->fill, c->batch_n, &fidx) != c->batch_n) {
		c->lost_frames += c->batch_n;
		goto out_release;
	}
	for (uint32_t i = 0; i < c->batch_n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&c->rx, c->batch_idx + i);

		*xsk_ring_prod__fill_addr(&c->fill, fidx + i) = xsk_umem__extract_addr(d->addr);
	}
	xsk_ring_prod__submit(&c->fill, c->batch_n);
out_release:
	xsk_ring_cons__release(&c->rx, c->batch_n);
	c->batch_n = 0;
	c->batch_pos = 0;
}

static uint64_t ys_xsk_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void ys_xsk_frame(struct ys_capture *c, const struct xdp_desc *d, struct ys_frame *fr)
{
	uint8_t *data = xsk_umem__get_data(c->area, d->addr);
	uint64_t off = xsk_umem__extract_addr(d->addr) % YS_XSK_FRAME_SIZE;
	struct ys_xdp_meta meta;

	fr->data = data;
	fr->wirelen = d->len;
	fr->caplen = d->len < c->snaplen ? d->len : c->snaplen;
	/* AF_XDP has no kernel timestamp: stamp on receipt. */
	fr->ts_usec = ys_xsk_now_usec();
	fr->linktype = 1; /* DLT_EN10MB */
	fr->hw_tenant = 0;
	/* The metadata sits right before the frame, inside the same umem frame. */
	if (off >= sizeof(meta)) {
		memcpy(&meta, data - sizeof(meta), sizeof(meta));
		if (meta.magic == YS_XDP_META_MAGIC) {
			fr->hw_tenant = meta.tenant;
			/* A later frame in this buffer may come without metadata. */
			memset(data - sizeof(meta), 0, sizeof(meta));
		}
	}
}

static int ys_xsk_next(struct ys_capture *c, struct ys_frame *fr, int timeout_ms)
{
	int ret;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (c->batch_pos == c->batch_n) {
			ys_xsk_recycle(c);
			c->batch_n = xsk_ring_cons__peek(&c->rx, YS_XSK_BATCH, &c->batch_idx);
		}
		if (c->batch_pos < c->batch_n) {
			ys_xsk_frame(c, xsk_ring_cons__rx_desc(&c->rx, c->batch_idx + c->batch_pos),
				     fr);
			c->batch_pos++;
			c->packets++;
			return 1;
		}
		if (attempt)
			break;
		ret = ys_capture_wait(xsk_socket__fd(c->xsk), c->wake_fd, timeout_ms);
		if (ret)
			return ret;
	}
	return 0;
}

static int ys_xsk_stats(struct ys_capture *c, struct ys_capture_stats *out)
{
	struct xdp_statistics st = { 0 };
	socklen_t len = sizeof(st);

	if (getsockopt(xsk_socket__fd(c->xsk), SOL_XDP, XDP_STATISTICS, &st, &len))
		return -errno;
	out->packets = c->packets;
	/* rx_dropped: no room in the umem; rx_ring_full: we were too slow. */
	out->kernel_drops = st.rx_dropped + st.rx_ring_full;
	out->if_drops = st.rx_fill_ring_empty_descs + c->lost_frames;
	return 0;
}

static void ys_xsk_breakloop(struct ys_capture *c)
{
	ys_capture_wake(c->wake_fd);
}

const struct ys_capture_ops ys_capture_afxdp = {
	.name = "af-xdp",
	.open = ys_xsk_open,
	.next = ys_xsk_next,
	.stats = ys_xsk_stats,
	.breakloop = ys_xsk_breakloop,
	.close = ys_xsk_close,
};
