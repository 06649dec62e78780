/*
 * The worker loop: every packet goes capture -> decode -> tenant -> flow ->
 * stream -> applayer -> detect -> output, in this one function-call chain,
 * with no queue or copy between stages. Each worker owns all the per-packet
 * state it touches (see worker.h), so the loop takes no lock except in the
 * output sinks when an alert is written.
 */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "applayer.h"
#include "sensor_bpf.h"
#include "ys_log.h"

/* How often (packet time) idle flows are expired. */
#define YS_WORKER_TIMEOUT_EVERY_USEC 1000000ull

struct ys_worker {
	struct ys_worker_params p;
	struct ys_capture *cap;
	struct ys_decoder *dec;
	struct ys_flow_table *flows;
	struct ys_stream_ctx *stream;
	struct ys_applayer_ctx *app;
	struct ys_ruleset *rs;	       /* the set the contexts below belong to */
	struct ys_detect_ctx **detect; /* one per engine of rs */
	struct ys_output_worker *out;
	_Atomic uint64_t engine_gen;

	struct ys_packet pkt;
	struct ys_inspect in;
	struct ys_inspect flush_in; /* used while flushing an evicted flow mid-packet */
	uint64_t next_timeout_usec;
	bool flushing;

	_Atomic bool stop;
	struct ys_worker_stats st; /* this worker's own counters */
	/* Published copy of st for the main thread (stats.json, /metrics). */
	pthread_mutex_t snap_lock;
	struct ys_worker_stats snap;
};

static void ys_worker_on_alert(const struct ys_alert *alert, void *user)
{
	struct ys_worker *w = user;

	/* A failed sink write is counted by the output; detection carries on. */
	ys_output_alert(w->out, alert);
	w->st.alerts++;
}

/* The detection context of the engine that tenant TENANT_ID runs. */
static struct ys_detect_ctx *ys_worker_ctx(struct ys_worker *w, const struct ys_tenant *t)
{
	if (w->rs->nengines == 1 || !t)
		return w->detect[0];
	return w->detect[ys_ruleset_engine_of(w->rs, ys_tenant_index(w->p.tenants, t))];
}

static void ys_worker_detect(struct ys_worker *w, struct ys_detect_ctx *ctx, struct ys_packet *pkt,
			     struct ys_inspect *in)
{
	ys_detect_inspect(ctx, pkt, in, ys_worker_on_alert, w);
}

/*
 * A pseudo packet for data that surfaces without a packet of its own: stream
 * data flushed at the end of a capture or when a flow times out. It carries the
 * flow's addresses in the direction of the data, like Suricata's pseudo packets.
 */
static void ys_worker_pseudo_packet(struct ys_packet *p, struct ys_flow *f, int dir)
{
	memset(p, 0, sizeof(*p));
	p->ts_usec = f->last_usec;
	p->ip_version = f->client.family;
	p->proto = f->proto;
	p->tenant_id = f->tenant_id;
	p->flow = f;
	p->tunnel = f->tunnel;
	p->vlan_count = f->vlan_count;
	memcpy(p->vlan, f->vlan, sizeof(p->vlan));
	if (dir == 0) {
		p->src = f->client;
		p->dst = f->server;
		p->sport = f->client_port;
		p->dport = f->server_port;
		p->flags = YS_PKT_TO_SERVER;
	} else {
		p->src = f->server;
		p->dst = f->client;
		p->sport = f->server_port;
		p->dport = f->client_port;
		p->flags = YS_PKT_TO_CLIENT;
	}
	/* A midstream flow that saw a FIN is CLOSING without a handshake: not established. */
	if ((f->tcp_flags_seen & YS_TCP_ACK_SEEN) &&
	    (f->state == YS_FLOW_ESTABLISHED || f->state == YS_FLOW_CLOSING))
		p->flags |= YS_PKT_ESTABLISHED;
}

/* Deliver and inspect whatever the stream still holds for F. */
static void ys_worker_flush_flow(struct ys_worker *w, struct ys_flow *f)
{
	struct ys_packet pseudo;
	struct ys_inspect *in = &w->flush_in;
	struct ys_detect_ctx *ctx;

	if (f->proto != 6 || !f->stream || !ys_stream_active(f) || f->bypass)
		return;
	ctx = ys_worker_ctx(w, ys_tenant_get(w->p.tenants, f->tenant_id));
	for (int guard = 0; guard < 64; guard++) {
		ys_inspect_reset(in);
		if (ys_stream_flush_flow(w->stream, f, in) != 1)
			break;
		/* The app layer parses both directions' deliveries in one go. */
		ys_applayer_handle(w->app, w->stream, NULL, f, in, f->last_usec);
		for (int dir = 0; dir < 2; dir++) {
			const struct ys_stream_delivery *d = ys_stream_delivery(w->stream, dir);

			if (!d->len && !d->flags)
				continue;
			ys_worker_pseudo_packet(&pseudo, f, dir);
			ys_worker_detect(w, ctx, &pseudo, in);
		}
	}
}

static void ys_worker_flow_release(struct ys_flow *f, void *user)
{
	struct ys_worker *w = user;

	if (!w->flushing) {
		/* Timed out or evicted: inspect what the stream still holds first. */
		w->flushing = true;
		ys_worker_flush_flow(w, f);
		w->flushing = false;
	}
	ys_applayer_flow_release(f->app);
	f->app = NULL;
	ys_stream_flow_release(w->stream, f);
	ys_detect_flow_release(f->detect);
	f->detect = NULL;
}

static void ys_worker_drop_detect_state(struct ys_flow *f, void *user)
{
	(void)user;
	ys_detect_flow_release(f->detect);
	f->detect = NULL;
}

/* Copy the counters where the main thread can read them. */
static void ys_worker_publish_stats(struct ys_worker *w)
{
	w->st.decode = *ys_decoder_stats(w->dec);
	w->st.flow = *ys_flow_table_stats(w->flows);
	w->st.stream = *ys_stream_stats(w->stream);
	w->st.app = *ys_applayer_stats(w->app);
	if (w->cap && w->p.capture->stats)
		w->p.capture->stats(w->cap, &w->st.capture);
	pthread_mutex_lock(&w->snap_lock);
	w->snap = w->st;
	pthread_mutex_unlock(&w->snap_lock);
}

static void ys_worker_free_contexts(struct ys_detect_ctx **ctx, size_t n)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < n; i++)
		ys_detect_ctx_free(ctx[i]);
	free(ctx);
}

/* One detection context per engine of RS; NULL + errno on failure. */
static struct ys_detect_ctx **ys_worker_new_contexts(struct ys_ruleset *rs)
{
	struct ys_detect_ctx **ctx = calloc(rs->nengines, sizeof(*ctx));

	if (!ctx)
		return NULL;
	for (size_t i = 0; i < rs->nengines; i++) {
		ctx[i] = ys_detect_ctx_new(rs->engines[i]);
		if (!ctx[i]) {
			int e = errno;

			ys_worker_free_contexts(ctx, i);
			errno = e;
			return NULL;
		}
	}
	return ctx;
}

/* Pick up a reloaded rule set at a packet boundary. */
static int ys_worker_check_engine(struct ys_worker *w)
{
	uint64_t gen = atomic_load_explicit(&w->p.engines->generation, memory_order_acquire);
	struct ys_ruleset *rs;
	struct ys_detect_ctx **ctx;

	if (gen == w->engine_gen)
		return 0;
	rs = atomic_load(&w->p.engines->set);
	ctx = ys_worker_new_contexts(rs);
	if (!ctx) {
		ys_err("worker", "worker %u: cannot use reloaded rules (%s); keeping the old ones",
		       w->p.index, strerror(errno));
		w->engine_gen = gen; /* do not retry every packet */
		return -ENOMEM;
	}
	/* Per-flow detect state refers to the old engines' rule numbering: drop it with the
	 * old contexts so that flowbits never point at the wrong rule. */
	ys_flow_foreach(w->flows, ys_worker_drop_detect_state, NULL);
	ys_worker_free_contexts(w->detect, w->rs->nengines);
	w->detect = ctx;
	w->rs = rs;
	atomic_store_explicit(&w->engine_gen, gen, memory_order_release);
	ys_notice("worker", "worker %u: now running rules generation %llu", w->p.index,
		  (unsigned long long)gen);
	return 0;
}

static void ys_worker_packet(struct ys_worker *w, const struct ys_frame *fr)
{
	struct ys_packet *pkt = &w->pkt;
	struct ys_inspect *in = &w->in;
	const struct ys_tenant *t;
	struct ys_flow *f;
	uint16_t dirf;
	int r;

	/* The decoder resets every field from decode_error on; clear only the capture inputs. */
	memset(pkt, 0, offsetof(struct ys_packet, decode_error));
	pkt->data = fr->data;
	pkt->caplen = fr->caplen;
	pkt->wirelen = fr->wirelen;
	pkt->ts_usec = fr->ts_usec;
	pkt->linktype = fr->linktype;
	pkt->hw_tenant = fr->hw_tenant;
	/* EVE in_iface names a live interface; Suricata leaves it out for files. */
	pkt->iface = w->p.capture == &ys_capture_pcap_file ? NULL : w->p.capture_params.source;
	pkt->pcap_cnt = w->st.packets;

	if (!w->st.first_ts_usec)
		w->st.first_ts_usec = fr->ts_usec;
	w->st.last_ts_usec = fr->ts_usec;
	if (fr->ts_usec >= w->next_timeout_usec) {
		if (w->next_timeout_usec) {
			ys_flow_timeout(w->flows, fr->ts_usec);
			ys_worker_publish_stats(w);
		}
		w->next_timeout_usec = fr->ts_usec + YS_WORKER_TIMEOUT_EVERY_USEC;
	}

	r = ys_decode_packet(w->dec, pkt);
	if (r < 0)
		return; /* malformed (counted by the decoder) or a fragment held for reassembly */

	t = ys_tenant_lookup(w->p.tenants, pkt, &pkt->tenant_id);
	if (t && t->policy == YS_TENANT_IGNORE) {
		w->st.ignored_tenant++;
		return;
	}

	f = ys_flow_handle(w->flows, pkt);
	if (!f)
		w->st.no_flow++;
	if (f && (pkt->flags & YS_PKT_FIRST_OF_FLOW) && t && t->policy == YS_TENANT_SAMPLE &&
	    t->sample_n > 1)
		/* The kernel's own hash: when XDP already sampled, this keeps every flow it let
		 * through instead of sampling those again (1 in N, not 1 in N squared). */
		f->sampled_out =
			!ys_bpf_sample_keep(pkt->tenant_id, pkt->proto, pkt->src.a, pkt->dst.a,
					    pkt->sport, pkt->dport, t->sample_n);
	if (f && f->sampled_out) {
		w->st.sampled_out++;
		return;
	}
	if (f && f->bypass) {
		w->st.bypassed++;
		return;
	}

	ys_inspect_reset(in);
	dirf = (pkt->flags & YS_PKT_TO_CLIENT) ? YS_BUF_F_TO_CLIENT : YS_BUF_F_TO_SERVER;
	if (pkt->payload_len)
		ys_inspect_add(in, YS_BUF_PACKET, pkt->payload, pkt->payload_len, dirf, UINT64_MAX);
	if (f && (pkt->proto == 6 || pkt->proto == 17)) {
		if (pkt->proto == 6)
			ys_stream_handle(w->stream, pkt, f, in);
		ys_applayer_handle(w->app, w->stream, pkt, f, in, pkt->ts_usec);
	}
	ys_worker_detect(w, ys_worker_ctx(w, t), pkt, in);
	/* Later packets of a bypassed flow return early above, so this runs once per flow. */
	if (f && f->bypass && w->p.on_bypass)
		w->p.on_bypass(w->p.bypass_user, f);
}

struct ys_worker *ys_worker_new(const struct ys_worker_params *params, char *err, size_t errlen)
{
	struct ys_worker *w = calloc(1, sizeof(*w));
	struct ys_flow_params fp;
	int e;

	if (!w)
		return NULL;
	pthread_mutex_init(&w->snap_lock, NULL);
	w->p = *params;
	w->dec = ys_decoder_new(&params->decode);
	if (!w->dec) {
		snprintf(err, errlen, "decoder: %s", strerror(errno));
		goto out_free;
	}
	fp = params->flow;
	fp.release = ys_worker_flow_release;
	fp.release_user = w;
	fp.flow_id_seed = params->index;
	w->flows = ys_flow_table_new(&fp);
	if (!w->flows) {
		snprintf(err, errlen, "flow table: %s", strerror(errno));
		goto out_free;
	}
	w->stream = ys_stream_ctx_new(&params->stream);
	if (!w->stream) {
		snprintf(err, errlen, "stream: %s", strerror(errno));
		goto out_free;
	}
	w->app = ys_applayer_ctx_new(&params->applayer);
	if (!w->app) {
		snprintf(err, errlen, "application layer: %s", strerror(errno));
		goto out_free;
	}
	w->engine_gen = atomic_load(&params->engines->generation);
	w->rs = atomic_load(&params->engines->set);
	w->detect = ys_worker_new_contexts(w->rs);
	if (!w->detect) {
		snprintf(err, errlen, "detection context: %s", strerror(errno));
		goto out_free;
	}
	w->out = ys_output_worker_new(params->output);
	if (!w->out) {
		snprintf(err, errlen, "output: %s", strerror(errno));
		goto out_free;
	}
	w->cap = params->capture->open(&params->capture_params, params->index, err, errlen);
	if (!w->cap)
		goto out_free;
	return w;

out_free:
	e = errno ? errno : EINVAL;
	ys_worker_free(w);
	errno = e;
	return NULL;
}

void ys_worker_free(struct ys_worker *w)
{
	if (!w)
		return;
	if (w->cap)
		w->p.capture->close(w->cap);
	/* Flows release stream/app/detect state: free the table before those contexts. */
	w->flushing = true;
	ys_flow_table_free(w->flows);
	ys_output_worker_free(w->out);
	if (w->rs)
		ys_worker_free_contexts(w->detect, w->rs->nengines);
	ys_applayer_ctx_free(w->app);
	ys_stream_ctx_free(w->stream);
	ys_decoder_free(w->dec);
	pthread_mutex_destroy(&w->snap_lock);
	free(w);
}

static void ys_worker_flush_one(struct ys_flow *f, void *user)
{
	ys_worker_flush_flow(user, f);
}

int ys_worker_run(struct ys_worker *w)
{
	struct ys_frame fr;
	struct timespec t0 = { 0 }, t1, c0 = { 0 }, c1;
	int r = 0;

	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		r = w->p.capture->next(w->cap, &fr, 200);
		if (r == 0) {
			/* Idle live capture: still pick up reloads and publish counters. */
			ys_worker_check_engine(w);
			ys_worker_publish_stats(w);
			continue;
		}
		if (r == -EINTR)
			continue; /* a signal (stop, reload) woke the capture: the loop checks why */
		if (r < 0)
			break;
		if (w->engine_gen !=
		    atomic_load_explicit(&w->p.engines->generation, memory_order_relaxed))
			ys_worker_check_engine(w);
		if (!w->st.packets++) {
			clock_gettime(CLOCK_MONOTONIC, &t0);
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
		}
		w->st.bytes += fr.wirelen;
		ys_worker_packet(w, &fr);
	}
	/* End of capture: Suricata inspects what the streams still hold; so do we. */
	w->flushing = true;
	ys_flow_foreach(w->flows, ys_worker_flush_one, w);
	w->flushing = false;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	if (w->st.packets) {
		w->st.processing_seconds =
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		/* CPU time does not grow when other processes take the core: the figure that
		 * compares engines on a shared machine. */
		w->st.processing_cpu_seconds =
			(double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	}
	ys_worker_publish_stats(w);
	if (r >= 0 || r == -ENODATA || r == -EINTR)
		return 0; /* end of file, or stopped */
	ys_err("worker", "worker %u: capture failed: %s", w->p.index, strerror(-r));
	return r;
}

void ys_worker_stop(struct ys_worker *w)
{
	atomic_store(&w->stop, true);
	if (w->cap && w->p.capture->breakloop)
		w->p.capture->breakloop(w->cap);
}

void ys_worker_get_stats(struct ys_worker *w, struct ys_worker_stats *st)
{
	pthread_mutex_lock(&w->snap_lock);
	*st = w->snap;
	pthread_mutex_unlock(&w->snap_lock);
}

uint64_t ys_worker_engine_gen(const struct ys_worker *w)
{
	return atomic_load_explicit(&w->engine_gen, memory_order_acquire);
}
