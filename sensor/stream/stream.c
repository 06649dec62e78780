/*
 * TCP reassembly (policy and the YS_BUF_STREAM rule: see stream.h).
 *
 * Per flow a struct ys_stream_flow holds the session state (handshake
 * progress) and two directions. A direction knows the next sequence number
 * it expects (`next`), the bytes delivered so far (for depth), a sorted list of
 * held out-of-order pieces that never overlap each other, and the last
 * `window` bytes delivered (the context prefix of the next YS_BUF_STREAM).
 *
 * The common case (in order, nothing held) copies the payload once into the
 * ctx scratch behind the window prefix; nothing is allocated. Held pieces are
 * copied into their own allocation, counted against the ctx memcap.
 */
#include "stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

#define YS_STREAM_DEFAULT_DEPTH	  (1024ull * 1024)
#define YS_STREAM_DEFAULT_MEMCAP  (256ull * 1024 * 1024)
#define YS_STREAM_DEFAULT_WINDOW  2048u
#define YS_STREAM_DEFAULT_MAXSEGS 1024u
#define YS_STREAM_MAX_WINDOW	  (64u * 1024)
#define YS_STREAM_RST_WINDOW	  (1u << 20) /* a RST's seq must be within this of `next` */

enum ys_ss_state {
	YS_SS_NONE = 0,	   /* nothing seen yet */
	YS_SS_SYN_SENT,	   /* client SYN seen */
	YS_SS_SYN_RECV,	   /* server SYN/ACK seen */
	YS_SS_ESTABLISHED, /* reassembling */
	YS_SS_CLOSED,	   /* RST, or both FINs delivered */
	YS_SS_NOT_TRACKED, /* data without handshake, midstream off */
};

/* Sequence arithmetic modulo 2^32. */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

struct ys_seg {
	struct ys_seg *next;
	uint32_t seq;
	uint32_t len;
	uint8_t data[];
};

struct ys_stream_dir {
	uint32_t isn;
	uint32_t next; /* next sequence number to deliver */
	uint32_t fin_seq;
	bool init; /* next is valid */
	bool fin;  /* FIN seen (fin_seq valid) */
	bool eof;  /* EOF signalled */
	bool depth_hit;
	uint64_t delivered;
	struct ys_seg *segs; /* held, sorted by seq, non-overlapping */
	uint32_t nsegs;
	uint8_t *win; /* last bytes delivered (ring-free: kept linear) */
	uint32_t win_len;
};

struct ys_stream_flow {
	enum ys_ss_state state;
	bool flushed;
	uint32_t syn_data; /* TCP Fast Open: bytes the client's SYN carried (held in d[0]) */
	struct ys_stream_dir d[2]; /* 0 to server, 1 to client */
};

/* Per packet output under construction: offsets into scratch, fixed at the end. */
struct ys_out_build {
	uint32_t start; /* offset of the prefix in scratch, UINT32_MAX if not started */
	uint32_t prefix;
	uint32_t len; /* new bytes after the prefix */
	uint32_t flags;
};

struct ys_stream_ctx {
	struct ys_stream_params p;
	struct ys_stream_stats st;
	uint8_t *scratch;
	size_t scratch_cap, scratch_used;
	struct ys_out_build ob[2];
	struct ys_stream_delivery out[2];
};

void ys_stream_params_default(struct ys_stream_params *p)
{
	p->midstream = false;
	p->bypass = true;
	p->depth = YS_STREAM_DEFAULT_DEPTH;
	p->memcap = YS_STREAM_DEFAULT_MEMCAP;
	p->window = YS_STREAM_DEFAULT_WINDOW;
	p->max_segments = YS_STREAM_DEFAULT_MAXSEGS;
}

int ys_stream_params_from_conf(const struct ys_conf *root, struct ys_stream_params *p, char *err,
			       size_t errlen)
{
	const struct ys_conf *s = ys_conf_get(root, "stream");
	int64_t v;
	int rc;

	ys_stream_params_default(p);
	if (!s)
		return 0;
	if ((rc = ys_conf_bool(s, "midstream", p->midstream, &p->midstream, err, errlen)) < 0)
		return rc;
	if ((rc = ys_conf_bool(s, "bypass", p->bypass, &p->bypass, err, errlen)) < 0)
		return rc;
	if ((rc = ys_conf_size(s, "reassembly.depth", p->depth, &p->depth, err, errlen)) < 0)
		return rc;
	if ((rc = ys_conf_size(s, "reassembly.memcap", p->memcap, &p->memcap, err, errlen)) < 0)
		return rc;
	if ((rc = ys_conf_int(s, "reassembly.max-segments", p->max_segments, &v, err, errlen)) < 0)
		return rc;
	if (v < 1 || v > 1000000) {
		snprintf(err, errlen, "stream.reassembly.max-segments: out of range 1..1000000");
		return -EINVAL;
	}
	p->max_segments = (uint32_t)v;
	if ((rc = ys_conf_int(s, "inspect-window", p->window, &v, err, errlen)) < 0)
		return rc;
	if (v < 0 || v > YS_STREAM_MAX_WINDOW) {
		snprintf(err, errlen, "stream.inspect-window: out of range 0..65536");
		return -EINVAL;
	}
	p->window = (uint32_t)v;
	return 0;
}

struct ys_stream_ctx *ys_stream_ctx_new(const struct ys_stream_params *p)
{
	struct ys_stream_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	if (p)
		ctx->p = *p;
	else
		ys_stream_params_default(&ctx->p);
	if (ctx->p.window > YS_STREAM_MAX_WINDOW)
		ctx->p.window = YS_STREAM_MAX_WINDOW;
	if (ctx->p.max_segments == 0)
		ctx->p.max_segments = 1;
	/* Room for both directions' window + a jumbo segment each; grown on rare big drains. */
	ctx->scratch_cap = 2 * ((size_t)ctx->p.window + 65536);
	ctx->scratch = malloc(ctx->scratch_cap);
	if (!ctx->scratch) {
		free(ctx);
		errno = ENOMEM;
		return NULL;
	}
	return ctx;
}

void ys_stream_ctx_free(struct ys_stream_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->scratch);
	free(ctx);
}

const struct ys_stream_stats *ys_stream_stats(const struct ys_stream_ctx *ctx)
{
	return &ctx->st;
}

const struct ys_stream_delivery *ys_stream_delivery(const struct ys_stream_ctx *ctx, int dir)
{
	return &ctx->out[dir ? 1 : 0];
}

bool ys_stream_active(const struct ys_flow *f)
{
	const struct ys_stream_flow *sf = f ? f->stream : NULL;

	return sf && (sf->state == YS_SS_ESTABLISHED || sf->state == YS_SS_CLOSED);
}

/* Memory accounting: true when BYTES more fit under the memcap (and counts them). */
static bool mem_take(struct ys_stream_ctx *ctx, size_t bytes)
{
	if (ctx->st.memuse + bytes > ctx->p.memcap) {
		ctx->st.memcap_hits++;
		return false;
	}
	ctx->st.memuse += bytes;
	return true;
}

static void mem_give(struct ys_stream_ctx *ctx, size_t bytes)
{
	ctx->st.memuse -= bytes < ctx->st.memuse ? bytes : ctx->st.memuse;
}

static void dir_free_segs(struct ys_stream_ctx *ctx, struct ys_stream_dir *d)
{
	struct ys_seg *s = d->segs, *n;

	while (s) {
		n = s->next;
		mem_give(ctx, sizeof(*s) + s->len);
		free(s);
		s = n;
	}
	d->segs = NULL;
	d->nsegs = 0;
}

static void dir_release(struct ys_stream_ctx *ctx, struct ys_stream_dir *d)
{
	dir_free_segs(ctx, d);
	if (d->win) {
		mem_give(ctx, ctx->p.window);
		free(d->win);
		d->win = NULL;
	}
	d->win_len = 0;
}

void ys_stream_flow_release(struct ys_stream_ctx *ctx, struct ys_flow *f)
{
	struct ys_stream_flow *sf;

	if (!f || !f->stream)
		return;
	sf = f->stream;
	dir_release(ctx, &sf->d[0]);
	dir_release(ctx, &sf->d[1]);
	mem_give(ctx, sizeof(*sf));
	free(sf);
	f->stream = NULL;
}

/* Make room for N more bytes in scratch; false when memory is short. */
static bool scratch_reserve(struct ys_stream_ctx *ctx, size_t n)
{
	size_t cap = ctx->scratch_cap;
	uint8_t *p;

	if (ctx->scratch_used + n <= cap)
		return true;
	while (cap < ctx->scratch_used + n)
		cap *= 2;
	p = realloc(ctx->scratch, cap);
	if (!p)
		return false;
	ctx->scratch = p;
	ctx->scratch_cap = cap;
	return true;
}

/*
 * Append LEN in-order bytes of direction DIR to this packet's delivery; the
 * first append of the packet copies the window prefix in front. Depth applies.
 */
static void deliver(struct ys_stream_ctx *ctx, struct ys_flow *f, int dir, const uint8_t *data,
		    uint32_t len)
{
	struct ys_stream_flow *sf = f->stream;
	struct ys_stream_dir *d = &sf->d[dir];
	struct ys_out_build *ob = &ctx->ob[dir];
	uint32_t take = len;

	d->next += len; /* sequence space is consumed even past depth */
	if (d->depth_hit)
		return;
	if (ctx->p.depth && d->delivered + take >= ctx->p.depth) {
		take = (uint32_t)(ctx->p.depth - d->delivered);
		d->depth_hit = true;
		ob->flags |= YS_STREAM_DEPTH;
		ctx->st.depth_reached++;
	}
	if (take == 0)
		return;
	if (ob->start == UINT32_MAX) {
		if (!scratch_reserve(ctx, (size_t)d->win_len + take))
			return;
		ob->start = (uint32_t)ctx->scratch_used;
		ob->prefix = d->win_len;
		if (d->win_len)
			memcpy(ctx->scratch + ctx->scratch_used, d->win, d->win_len);
		ctx->scratch_used += d->win_len;
	} else if (!scratch_reserve(ctx, take)) {
		return;
	}
	memcpy(ctx->scratch + ctx->scratch_used, data, take);
	ctx->scratch_used += take;
	ob->len += take;
	d->delivered += take;
	ctx->st.reassembled_bytes += take;
}

/* Deliver held pieces that are now in order (first data wins: they were there first). */
static void drain(struct ys_stream_ctx *ctx, struct ys_flow *f, int dir)
{
	struct ys_stream_dir *d = &((struct ys_stream_flow *)f->stream)->d[dir];
	struct ys_seg *s;

	while ((s = d->segs) && seq_leq(s->seq, d->next)) {
		uint32_t skip = d->next - s->seq;

		if (skip < s->len)
			deliver(ctx, f, dir, s->data + skip, s->len - skip);
		d->segs = s->next;
		d->nsegs--;
		mem_give(ctx, sizeof(*s) + s->len);
		free(s);
	}
}

/* Count an overlap of NEW bytes against OLD ones (same sequence range). */
static void count_overlap(struct ys_stream_ctx *ctx, const uint8_t *old, const uint8_t *new,
			  uint32_t len)
{
	ctx->st.overlaps++;
	if (old && memcmp(old, new, len) != 0)
		ctx->st.overlaps_diff++;
}

/* Hold [seq, seq+len) minus what is already held, as new pieces. */
static void hold(struct ys_stream_ctx *ctx, struct ys_stream_dir *d, uint32_t seq,
		 const uint8_t *data, uint32_t len)
{
	struct ys_seg **pp = &d->segs;
	uint32_t end = seq + len;
	bool counted = false;

	while (seq_lt(seq, end)) {
		struct ys_seg *cur = *pp;
		uint32_t piece_end = end;
		struct ys_seg *n;

		/* Skip held pieces wholly before SEQ. */
		if (cur && seq_leq(cur->seq + cur->len, seq)) {
			pp = &cur->next;
			continue;
		}
		/* The current held piece covers SEQ: first data wins, skip over it. */
		if (cur && seq_leq(cur->seq, seq)) {
			uint32_t ov_end =
				seq_lt(cur->seq + cur->len, end) ? cur->seq + cur->len : end;

			if (!counted) {
				count_overlap(ctx, cur->data + (seq - cur->seq), data,
					      ov_end - seq);
				counted = true;
			}
			data += ov_end - seq;
			seq = ov_end;
			pp = &cur->next;
			continue;
		}
		/* Free range up to the next held piece (or END). */
		if (cur && seq_lt(cur->seq, end))
			piece_end = cur->seq;
		if (d->nsegs >= ctx->p.max_segments) {
			ctx->st.segment_limit_hits++;
			return;
		}
		if (!mem_take(ctx, sizeof(*n) + (piece_end - seq)))
			return;
		n = malloc(sizeof(*n) + (piece_end - seq));
		if (!n) {
			mem_give(ctx, sizeof(*n) + (piece_end - seq));
			return;
		}
		n->seq = seq;
		n->len = piece_end - seq;
		memcpy(n->data, data, n->len);
		n->next = cur;
		*pp = n;
		d->nsegs++;
		pp = &n->next;
		data += n->len;
		seq = piece_end;
	}
}

/* Bytes of already delivered data at SEQ still in the window (for overlap comparison). */
static const uint8_t *window_at(const struct ys_stream_dir *d, uint32_t seq, uint32_t len)
{
	uint32_t back = d->next - seq; /* bytes from seq to next */

	if (back > d->win_len || len > back)
		return NULL;
	return d->win + (d->win_len - back);
}

static void insert(struct ys_stream_ctx *ctx, struct ys_flow *f, int dir, uint32_t seq,
		   const uint8_t *data, uint32_t len)
{
	struct ys_stream_dir *d = &((struct ys_stream_flow *)f->stream)->d[dir];
	uint32_t end = seq + len;

	ctx->st.segments++;
	if (seq_leq(end, d->next)) {
		ctx->st.retransmissions++;
		count_overlap(ctx, window_at(d, seq, len), data, len);
		return;
	}
	if (seq_lt(seq, d->next)) {
		uint32_t off = d->next - seq;

		count_overlap(ctx, window_at(d, seq, off), data, off);
		data += off;
		len -= off;
		seq = d->next;
	}
	if (seq == d->next && !d->segs) {
		deliver(ctx, f, dir, data, len); /* the common path */
		return;
	}
	if (seq != d->next)
		ctx->st.ooo_segments++;
	if (seq == d->next && seq_leq(end, d->segs->seq)) {
		deliver(ctx, f, dir, data, len); /* fills the front of a hole */
	} else if (seq == d->next) {
		/* Deliver up to the first held piece, hold the rest around the others. */
		uint32_t first = d->segs->seq - seq;

		deliver(ctx, f, dir, data, first);
		hold(ctx, d, seq + first, data + first, len - first);
	} else {
		hold(ctx, d, seq, data, len);
	}
	drain(ctx, f, dir);
}

/* Remember the last window bytes delivered in DIR this packet. */
static void update_window(struct ys_stream_ctx *ctx, struct ys_stream_dir *d,
			  const struct ys_out_build *ob)
{
	uint32_t total = ob->prefix + ob->len, keep;
	const uint8_t *src;

	if (!ctx->p.window || ob->start == UINT32_MAX || ob->len == 0)
		return;
	if (!d->win) {
		if (!mem_take(ctx, ctx->p.window))
			return;
		d->win = malloc(ctx->p.window);
		if (!d->win) {
			mem_give(ctx, ctx->p.window);
			return;
		}
	}
	keep = total < ctx->p.window ? total : ctx->p.window;
	src = ctx->scratch + ob->start + (total - keep);
	memmove(d->win, src, keep);
	d->win_len = keep;
}

/* Skip the hole before the first held piece (or up to UPTO), marking a gap. */
static void skip_gap(struct ys_stream_ctx *ctx, struct ys_flow *f, int dir, uint32_t upto)
{
	struct ys_stream_dir *d = &((struct ys_stream_flow *)f->stream)->d[dir];
	uint32_t to = upto;

	if (d->segs && seq_lt(d->segs->seq, to))
		to = d->segs->seq;
	if (!seq_lt(d->next, to))
		return;
	ctx->st.gaps++;
	ctx->st.gap_bytes += to - d->next;
	d->next = to;
	d->win_len = 0; /* the context before a hole is not contiguous */
	ctx->ob[dir].flags |= YS_STREAM_GAP;
	drain(ctx, f, dir);
}

/* End direction DIR, once: this packet's delivery carries YS_STREAM_EOF. */
static void dir_end(struct ys_stream_ctx *ctx, struct ys_stream_flow *sf, int dir)
{
	if (!sf->d[dir].eof) {
		sf->d[dir].eof = true;
		ctx->ob[dir].flags |= YS_STREAM_EOF;
	}
}

static void check_eof(struct ys_stream_ctx *ctx, struct ys_stream_flow *sf, int dir)
{
	struct ys_stream_dir *d = &sf->d[dir];

	if (d->fin && seq_leq(d->fin_seq, d->next))
		dir_end(ctx, sf, dir);
	if (sf->d[0].eof && sf->d[1].eof)
		sf->state = YS_SS_CLOSED;
}

static void out_begin(struct ys_stream_ctx *ctx)
{
	ctx->scratch_used = 0;
	for (int i = 0; i < 2; i++) {
		ctx->ob[i].start = UINT32_MAX;
		ctx->ob[i].prefix = ctx->ob[i].len = ctx->ob[i].flags = 0;
		ctx->out[i].data = NULL;
		ctx->out[i].len = 0;
		ctx->out[i].flags = 0;
	}
}

/* Publish the packet's deliveries: inspection buffers, delivery records, windows. */
static int out_end(struct ys_stream_ctx *ctx, struct ys_flow *f, struct ys_inspect *in)
{
	struct ys_stream_flow *sf = f->stream;
	int any = 0;

	for (int i = 0; i < 2; i++) {
		struct ys_out_build *ob = &ctx->ob[i];

		ctx->out[i].flags = ob->flags;
		if (ob->flags)
			any = 1;
		if (ob->start == UINT32_MAX || ob->len == 0)
			continue;
		any = 1;
		ctx->out[i].data = ctx->scratch + ob->start + ob->prefix;
		ctx->out[i].len = ob->len;
		if (in && ys_inspect_add(in, YS_BUF_STREAM, ctx->scratch + ob->start,
					 ob->prefix + ob->len,
					 i == 0 ? YS_BUF_F_TO_SERVER : YS_BUF_F_TO_CLIENT,
					 UINT64_MAX) == 0)
			in->bufs[in->nbufs - 1].prefix_len = ob->prefix;
		update_window(ctx, &sf->d[i], ob);
	}
	if (ctx->p.bypass && !f->bypass && sf->state == YS_SS_ESTABLISHED) {
		bool done0 = sf->d[0].depth_hit || sf->d[0].eof;
		bool done1 = sf->d[1].depth_hit || sf->d[1].eof;

		if ((sf->d[0].depth_hit || sf->d[1].depth_hit) && done0 && done1) {
			f->bypass = true;
			ctx->st.bypassed++;
		}
	}
	return any;
}

static struct ys_stream_flow *flow_state(struct ys_stream_ctx *ctx, struct ys_flow *f)
{
	struct ys_stream_flow *sf = f->stream;

	if (sf)
		return sf;
	if (!mem_take(ctx, sizeof(*sf)))
		return NULL;
	sf = calloc(1, sizeof(*sf));
	if (!sf) {
		mem_give(ctx, sizeof(*sf));
		return NULL;
	}
	f->stream = sf;
	return sf;
}

/* Forget the old session (port reuse); the parsers are told with YS_STREAM_RESET. */
static void session_reset(struct ys_stream_ctx *ctx, struct ys_stream_flow *sf)
{
	dir_release(ctx, &sf->d[0]);
	dir_release(ctx, &sf->d[1]);
	memset(sf, 0, sizeof(*sf));
	ctx->ob[0].flags |= YS_STREAM_RESET;
	ctx->ob[1].flags |= YS_STREAM_RESET;
}

static void dir_start(struct ys_stream_dir *d, uint32_t next)
{
	d->next = next;
	d->init = true;
}

/* The client's SYN: its ISN, and any Fast Open data it carries, held until accepted. */
static void syn_start(struct ys_stream_ctx *ctx, struct ys_stream_flow *sf,
		      const struct ys_packet *pkt)
{
	struct ys_stream_dir *d = &sf->d[0];

	dir_free_segs(ctx, d);
	d->isn = pkt->tcp_seq;
	dir_start(d, pkt->tcp_seq + 1);
	sf->syn_data = 0;
	if (pkt->payload && pkt->payload_len) {
		hold(ctx, d, pkt->tcp_seq + 1, pkt->payload, pkt->payload_len);
		if (d->segs)
			sf->syn_data = pkt->payload_len;
	}
}

/* Handshake and pickup; returns true when the packet's data and ACK should be processed. */
static bool track_session(struct ys_stream_ctx *ctx, struct ys_stream_flow *sf,
			  const struct ys_packet *pkt, int dir)
{
	uint8_t fl = pkt->tcp_flags;
	bool syn = fl & TH_SYN, ack = fl & TH_ACK;

	switch (sf->state) {
	case YS_SS_NONE:
		if (syn && !ack && dir == 0) {
			syn_start(ctx, sf, pkt);
			sf->state = YS_SS_SYN_SENT;
			return false;
		}
		if (!ctx->p.midstream) {
			if (pkt->payload_len) {
				sf->state = YS_SS_NOT_TRACKED;
				ctx->st.midstream_skipped++;
			}
			return false;
		}
		/* Midstream pickup: trust this packet's seq and ack. */
		dir_start(&sf->d[dir], pkt->tcp_seq + (syn ? 1 : 0));
		if (ack)
			dir_start(&sf->d[1 - dir], pkt->tcp_ack);
		sf->state = YS_SS_ESTABLISHED;
		ctx->st.sessions++;
		return !syn;
	case YS_SS_SYN_SENT:
		if (syn && !ack && dir == 0) { /* retransmitted or new SYN */
			syn_start(ctx, sf, pkt);
		} else if (syn && ack && dir == 1 &&
			   (pkt->tcp_ack == sf->d[0].next ||
			    (sf->syn_data && pkt->tcp_ack == sf->d[0].next + sf->syn_data))) {
			/* A SYN/ACK that acknowledges only the SYN refused the Fast Open data:
			 * the client sends it again after the handshake. */
			if (pkt->tcp_ack == sf->d[0].next)
				dir_free_segs(ctx, &sf->d[0]);
			sf->d[1].isn = pkt->tcp_seq;
			dir_start(&sf->d[1], pkt->tcp_seq + 1);
			sf->state = YS_SS_SYN_RECV;
		}
		return false;
	case YS_SS_SYN_RECV:
		if (dir == 0 && ack && !syn && pkt->tcp_ack == sf->d[1].next) {
			sf->state = YS_SS_ESTABLISHED;
			ctx->st.sessions++;
			return true; /* the third packet may carry data; Fast Open data drains */
		}
		if (syn && ack && dir == 1) { /* SYN/ACK retransmitted */
			sf->d[1].isn = pkt->tcp_seq;
			dir_start(&sf->d[1], pkt->tcp_seq + 1);
		}
		return false;
	case YS_SS_ESTABLISHED:
		return !syn || ack;
	case YS_SS_CLOSED:
		if (syn && !ack && dir == 0 && pkt->tcp_seq != sf->d[0].isn) {
			session_reset(ctx, sf);
			return track_session(ctx, sf, pkt, dir);
		}
		return false;
	case YS_SS_NOT_TRACKED:
		if (syn && !ack && dir == 0) { /* a real session starts after all */
			session_reset(ctx, sf);
			return track_session(ctx, sf, pkt, dir);
		}
		return false;
	}
	return false;
}

int ys_stream_handle(struct ys_stream_ctx *ctx, struct ys_packet *pkt, struct ys_flow *f,
		     struct ys_inspect *in)
{
	struct ys_stream_flow *sf;
	int dir;

	out_begin(ctx);
	if (!pkt || !f || pkt->proto != 6 || f->proto != 6 || !pkt->l4)
		return -EINVAL;
	/* A segment with a bad checksum never reached the receiver's stack: it
	 * neither carries data nor moves the session (checked only when validating). */
	if (pkt->flags & YS_PKT_BAD_CSUM) {
		ctx->st.bad_csum++;
		return 0;
	}
	dir = (pkt->flags & YS_PKT_TO_CLIENT) ? 1 : 0;
	sf = flow_state(ctx, f);
	if (!sf)
		return 0;
	if (!track_session(ctx, sf, pkt, dir))
		return out_end(ctx, f, in);

	if ((pkt->tcp_flags & TH_RST) && sf->d[dir].init &&
	    (uint32_t)(pkt->tcp_seq - sf->d[dir].next + 1) > YS_STREAM_RST_WINDOW) {
		/* A reset far outside the sender's sequence space is not the peer's: an
		 * evasion attempt or noise. Ignore it, as a receiving stack would. */
		ctx->st.rst_invalid++;
		return out_end(ctx, f, in);
	}
	if (pkt->tcp_flags & TH_RST) {
		/* Whatever was in order is already delivered; both directions end here. */
		for (int i = 0; i < 2; i++) {
			dir_end(ctx, sf, i);
			dir_free_segs(ctx, &sf->d[i]);
		}
		sf->state = YS_SS_CLOSED;
		return out_end(ctx, f, in);
	}
	if (!sf->d[dir].init) /* midstream pickup from the other side without its ack */
		dir_start(&sf->d[dir], pkt->tcp_seq);
	if (sf->syn_data) {
		sf->syn_data = 0;
		drain(ctx, f, 0); /* accepted Fast Open data is in order now */
	}
	if (pkt->payload_len && pkt->payload)
		insert(ctx, f, dir, pkt->tcp_seq, pkt->payload, pkt->payload_len);
	if ((pkt->tcp_flags & TH_FIN) && !sf->d[dir].fin) {
		sf->d[dir].fin = true;
		sf->d[dir].fin_seq = pkt->tcp_seq + pkt->payload_len;
	}
	/* The peer acknowledged bytes of the other direction we never saw: skip the hole. */
	if ((pkt->tcp_flags & TH_ACK) && sf->d[1 - dir].init) {
		struct ys_stream_dir *o = &sf->d[1 - dir];
		uint32_t upto = pkt->tcp_ack;

		if (o->fin && seq_lt(o->fin_seq, upto))
			upto = o->fin_seq; /* the FIN's own sequence number is not data */
		if (seq_lt(o->next, upto) && seq_lt(upto - o->next, 1u << 30))
			skip_gap(ctx, f, 1 - dir, upto);
	}
	check_eof(ctx, sf, dir);
	check_eof(ctx, sf, 1 - dir);
	return out_end(ctx, f, in);
}

int ys_stream_flush_flow(struct ys_stream_ctx *ctx, struct ys_flow *f, struct ys_inspect *in)
{
	struct ys_stream_flow *sf;

	out_begin(ctx);
	if (!f || !(sf = f->stream) || sf->flushed)
		return 0;
	if (sf->state != YS_SS_ESTABLISHED && sf->state != YS_SS_CLOSED) {
		sf->flushed = true;
		return 0;
	}
	for (int i = 0; i < 2; i++)
		if (sf->d[i].segs)
			skip_gap(ctx, f, i, sf->d[i].segs->seq);
	if (!sf->d[0].segs && !sf->d[1].segs && ctx->ob[0].len == 0 && ctx->ob[1].len == 0) {
		/* Nothing left: signal the end of both directions once. */
		dir_end(ctx, sf, 0);
		dir_end(ctx, sf, 1);
		sf->flushed = true;
	}
	return out_end(ctx, f, in);
}
