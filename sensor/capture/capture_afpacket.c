/*
 * AF_PACKET capture backend ("af-packet"): one TPACKET_V3 ring per worker,
 * all workers of a sensor joined in one PACKET_FANOUT group with FANOUT_HASH
 * (the kernel's flow hash, so both directions of a flow reach the same
 * worker) and PACKET_FANOUT_FLAG_DEFRAG (IP fragments are reassembled before
 * hashing, so they follow their flow too).
 *
 * The ring is a list of blocks the kernel fills and hands over
 * (TP_STATUS_USER) when full or when the block timeout expires; we walk the
 * packets of one block and give the block back (TP_STATUS_KERNEL) on the call
 * after its last packet, so a frame stays valid until the next call as
 * capture.h promises. Kernel drops come from PACKET_STATISTICS, which resets
 * on every read, so they are accumulated here.
 *
 * VLAN tags the NIC (or veth) stripped into the ring header are put back into
 * the frame, copied into a per-worker buffer, because tenant lookup by VLAN
 * needs them. That copy is the only one on this path and needs no allocation.
 */
#include "capture.h"
#include "capture_wake.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h> /* before the linux/ headers, which defer to it */
#include <net/if_arp.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pcap/pcap.h>

#define YS_AFP_BLOCK_SIZE  (1u << 20) /* 1 MiB: many packets per block, a power of 2 pages */
#define YS_AFP_FRAME_SIZE  2048	      /* only used to size the ring (tp_frame_nr) */
#define YS_AFP_BLOCK_TOV   10	      /* ms: hand over a partly filled block after this */
#define YS_AFP_DEFAULT_MB  64
#define YS_AFP_MAX_SNAPLEN 65535

struct ys_capture {
	int fd;
	int wake_fd; /* eventfd: breakloop() makes poll() return */
	uint8_t *ring;
	size_t ring_len;
	unsigned nblocks, block;	/* ring geometry, current block */
	struct tpacket_block_desc *cur; /* block being walked, NULL if none */
	struct tpacket3_hdr *pkt;	/* next packet in cur */
	uint32_t left;			/* packets left in cur */
	uint32_t snaplen;
	uint64_t packets, drops;
	uint8_t vlan_buf[YS_AFP_MAX_SNAPLEN + 4]; /* frame with its VLAN tag put back */
};

static void ys_afp_close(struct ys_capture *c)
{
	if (!c)
		return;
	if (c->ring && c->ring != MAP_FAILED)
		munmap(c->ring, c->ring_len);
	if (c->fd >= 0)
		close(c->fd);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	free(c);
}

/* Compile a pcap-syntax filter to classic BPF and attach it to the socket. */
static int ys_afp_set_filter(struct ys_capture *c, const char *expr, char *err, size_t errlen)
{
	struct bpf_program prog;
	struct sock_fprog fprog;
	pcap_t *dead;
	int ret = 0;

	dead = pcap_open_dead(DLT_EN10MB, (int)c->snaplen);
	if (!dead) {
		snprintf(err, errlen, "capture filter: out of memory");
		return -ENOMEM;
	}
	if (pcap_compile(dead, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "capture filter \"%s\": %s", expr, pcap_geterr(dead));
		ret = -EINVAL;
		goto out_close_dead;
	}
	fprog.len = (unsigned short)prog.bf_len;
	fprog.filter = (struct sock_filter *)prog.bf_insns;
	if (setsockopt(c->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog))) {
		ret = -errno;
		snprintf(err, errlen, "capture filter: SO_ATTACH_FILTER: %s", strerror(errno));
	}
	pcap_freecode(&prog);
out_close_dead:
	pcap_close(dead);
	return ret;
}

static struct ys_capture *ys_afp_open(const struct ys_capture_params *p, unsigned worker, char *err,
				      size_t errlen)
{
	int version = TPACKET_V3, ret;
	uint32_t fanout;
	uint32_t ring_mb = p->ring_size_mb ? p->ring_size_mb : YS_AFP_DEFAULT_MB;
	struct tpacket_req3 req = { 0 };
	struct sockaddr_ll sll = { 0 };
	struct ys_capture *c;
	struct ifreq ifr = { 0 };
	uint16_t group;

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	c->fd = -1;
	c->wake_fd = -1;
	c->snaplen =
		p->snaplen && p->snaplen < YS_AFP_MAX_SNAPLEN ? p->snaplen : YS_AFP_MAX_SNAPLEN;
	if (!p->source || strlen(p->source) >= IFNAMSIZ) {
		snprintf(err, errlen, "af-packet: bad interface name");
		ret = -EINVAL;
		goto out_close;
	}

	c->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (c->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "af-packet socket: %s", strerror(errno));
		goto out_close;
	}
	c->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->wake_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "af-packet eventfd: %s", strerror(errno));
		goto out_close;
	}

	memcpy(ifr.ifr_name, p->source, strlen(p->source) + 1);
	if (ioctl(c->fd, SIOCGIFHWADDR, &ifr)) {
		ret = -errno;
		snprintf(err, errlen, "af-packet interface %s: %s", p->source, strerror(errno));
		goto out_close;
	}
	/* Loopback carries a (zeroed) Ethernet header too. */
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER &&
	    ifr.ifr_hwaddr.sa_family != ARPHRD_LOOPBACK) {
		snprintf(err, errlen, "af-packet interface %s: not Ethernet (ARPHRD %u)", p->source,
			 ifr.ifr_hwaddr.sa_family);
		ret = -EPROTONOSUPPORT;
		goto out_close;
	}

	if (setsockopt(c->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version))) {
		ret = -errno;
		snprintf(err, errlen, "af-packet TPACKET_V3: %s", strerror(errno));
		goto out_close;
	}
	req.tp_block_size = YS_AFP_BLOCK_SIZE;
	req.tp_block_nr = (ring_mb << 20) / YS_AFP_BLOCK_SIZE;
	if (req.tp_block_nr < 2)
		req.tp_block_nr = 2;
	req.tp_frame_size = YS_AFP_FRAME_SIZE;
	req.tp_frame_nr = req.tp_block_nr * (YS_AFP_BLOCK_SIZE / YS_AFP_FRAME_SIZE);
	req.tp_retire_blk_tov = YS_AFP_BLOCK_TOV;
	req.tp_feature_req_word = TP_FT_REQ_FILL_RXHASH;
	if (setsockopt(c->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req))) {
		ret = -errno;
		snprintf(err, errlen, "af-packet ring of %u MiB: %s", ring_mb, strerror(errno));
		goto out_close;
	}
	c->nblocks = req.tp_block_nr;
	c->ring_len = (size_t)req.tp_block_nr * req.tp_block_size;
	c->ring =
		mmap(NULL, c->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, c->fd, 0);
	if (c->ring == MAP_FAILED) {
		/* MAP_LOCKED needs RLIMIT_MEMLOCK; an unlocked ring still works. */
		c->ring = mmap(NULL, c->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
		if (c->ring == MAP_FAILED) {
			ret = -errno;
			snprintf(err, errlen, "af-packet mmap ring: %s", strerror(errno));
			goto out_close;
		}
	}

	/* The filter goes on before bind so no unfiltered packet is queued. */
	if (p->bpf_filter && *p->bpf_filter) {
		ret = ys_afp_set_filter(c, p->bpf_filter, err, errlen);
		if (ret)
			goto out_close;
	}

	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(p->source);
	if (!sll.sll_ifindex || bind(c->fd, (struct sockaddr *)&sll, sizeof(sll))) {
		ret = -errno;
		snprintf(err, errlen, "af-packet bind %s: %s", p->source, strerror(errno));
		goto out_close;
	}
	if (p->promisc) {
		struct packet_mreq mr = { .mr_ifindex = sll.sll_ifindex,
					  .mr_type = PACKET_MR_PROMISC };

		if (setsockopt(c->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr))) {
			ret = -errno;
			snprintf(err, errlen, "af-packet promiscuous %s: %s", p->source,
				 strerror(errno));
			goto out_close;
		}
	}

	/* One fanout group for all workers: the id must be the same for every
	 * worker of this sensor and different from other sensors on the host. */
	if (p->workers > 1 || p->fanout_id) {
		group = p->fanout_id ? p->fanout_id : (uint16_t)(getpid() & 0xffff);
		/* Mode and flags go in the high 16 bits; DEFRAG is bit 15 there. */
		fanout = (uint32_t)group |
			 ((uint32_t)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16);
		if (setsockopt(c->fd, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof(fanout))) {
			ret = -errno;
			snprintf(err, errlen, "af-packet fanout group %u (worker %u): %s", group,
				 worker, strerror(errno));
			goto out_close;
		}
	}
	return c;

out_close:
	ys_afp_close(c);
	errno = -ret;
	return NULL;
}

static void ys_afp_release_block(struct ys_capture *c)
{
	if (!c->cur)
		return;
	/* Ring memory is shared with the kernel: the store must follow our reads. */
	__atomic_store_n(&c->cur->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	c->cur = NULL;
	c->block = (c->block + 1) % c->nblocks;
}

static bool ys_afp_take_block(struct ys_capture *c)
{
	struct tpacket_block_desc *b =
		(struct tpacket_block_desc *)(c->ring + (size_t)c->block * YS_AFP_BLOCK_SIZE);

	if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
		return false;
	c->cur = b;
	c->left = b->hdr.bh1.num_pkts;
	c->pkt = (struct tpacket3_hdr *)((uint8_t *)b + b->hdr.bh1.offset_to_first_pkt);
	if (!c->left)
		ys_afp_release_block(c);
	return c->left > 0;
}

static void ys_afp_fill(struct ys_capture *c, struct tpacket3_hdr *h, struct ys_frame *fr)
{
	const uint8_t *data = (const uint8_t *)h + h->tp_mac;
	uint32_t caplen = h->tp_snaplen;

	if (caplen > c->snaplen)
		caplen = c->snaplen;
	fr->wirelen = h->tp_len;
	fr->ts_usec = (uint64_t)h->tp_sec * 1000000u + h->tp_nsec / 1000u;
	fr->linktype = DLT_EN10MB;
	fr->hw_tenant = 0;
	if ((h->tp_status & TP_STATUS_VLAN_VALID) && caplen >= 12 &&
	    caplen + 4 <= sizeof(c->vlan_buf)) {
		uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->hv1.tp_vlan_tpid
									   : ETH_P_8021Q;

		memcpy(c->vlan_buf, data, 12);
		c->vlan_buf[12] = tpid >> 8;
		c->vlan_buf[13] = tpid & 0xff;
		c->vlan_buf[14] = h->hv1.tp_vlan_tci >> 8;
		c->vlan_buf[15] = h->hv1.tp_vlan_tci & 0xff;
		memcpy(c->vlan_buf + 16, data + 12, caplen - 12);
		fr->data = c->vlan_buf;
		fr->caplen = caplen + 4;
		fr->wirelen += 4;
		return;
	}
	fr->data = data;
	fr->caplen = caplen;
}

static int ys_afp_next(struct ys_capture *c, struct ys_frame *fr, int timeout_ms)
{
	int ret;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (c->cur && c->left == 0)
			ys_afp_release_block(c);
		if (c->cur || ys_afp_take_block(c)) {
			struct tpacket3_hdr *h = c->pkt;

			ys_afp_fill(c, h, fr);
			c->left--;
			c->pkt = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
			c->packets++;
			return 1;
		}
		if (attempt)
			break;
		ret = ys_capture_wait(c->fd, c->wake_fd, timeout_ms);
		if (ret)
			return ret;
	}
	return 0;
}

static int ys_afp_stats(struct ys_capture *c, struct ys_capture_stats *out)
{
	struct tpacket_stats_v3 st = { 0 };
	socklen_t len = sizeof(st);

	/* Read-and-reset in the kernel: accumulate. */
	if (getsockopt(c->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len))
		return -errno;
	c->drops += st.tp_drops;
	out->packets = c->packets;
	out->kernel_drops = c->drops;
	out->if_drops = 0;
	return 0;
}

static void ys_afp_breakloop(struct ys_capture *c)
{
	ys_capture_wake(c->wake_fd);
}

const struct ys_capture_ops ys_capture_afpacket = {
	.name = "af-packet",
	.open = ys_afp_open,
	.next = ys_afp_next,
	.stats = ys_afp_stats,
	.breakloop = ys_afp_breakloop,
	.close = ys_afp_close,
};
