/*
 * A worker: one thread that owns a capture handle, a decoder, a flow table,
 * stream and application-layer state and a detection context, and runs every
 * packet it receives through the whole path:
 *
 *   capture -> decode -> tenant -> flow -> stream -> applayer -> detect -> output
 *
 * Workers share nothing mutable: the tenant map and detection engines are
 * immutable, the output serialises its sinks. A rule reload publishes a new
 * rule set through struct ys_engine_slot (ruleset.h); each worker picks it up
 * at a packet boundary and frees its old contexts, so capture never stops.
 */
#ifndef YS_WORKER_H
#define YS_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "applayer.h"
#include "capture.h"
#include "decode.h"
#include "detect.h"
#include "flow.h"
#include "output.h"
#include "ruleset.h"
#include "stream.h"
#include "tenant.h"
#include "ys_config.h"

struct ys_worker_params {
	unsigned index;
	const struct ys_capture_ops *capture;
	struct ys_capture_params capture_params;
	struct ys_decode_params decode;
	struct ys_flow_params flow;
	struct ys_stream_params stream;
	struct ys_applayer_params applayer;
	const struct ys_conf *conf;
	const struct ys_tenant_map *tenants;
	struct ys_engine_slot *engines;
	struct ys_output *output;
	/* Called once when a flow needs no more inspection (stream depth reached): the XDP
	 * loader puts it in the kernel's bypass map. Optional. */
	void (*on_bypass)(void *user, const struct ys_flow *f);
	void *bypass_user;
};

struct ys_worker_stats {
	uint64_t packets, bytes, alerts;
	uint64_t ignored_tenant, sampled_out, bypassed, no_flow;
	struct ys_decode_stats decode;
	struct ys_flow_stats flow;
	struct ys_stream_stats stream;
	struct ys_applayer_stats app;
	struct ys_capture_stats capture;
	uint64_t first_ts_usec, last_ts_usec;
	double processing_seconds;     /* wall time from the first packet to the end of the run */
	double processing_cpu_seconds; /* this worker thread's CPU time over the same span */
};

struct ys_worker;

/* NULL + errno with a one-line reason in ERR. */
struct ys_worker *ys_worker_new(const struct ys_worker_params *params, char *err, size_t errlen);
void ys_worker_free(struct ys_worker *w);

/* Run until end of file, ys_worker_stop(), or a capture error. 0 or -errno. */
int ys_worker_run(struct ys_worker *w);
/* Ask a running worker to return; safe from another thread or a signal handler. */
void ys_worker_stop(struct ys_worker *w);
/* Snapshot of the counters; safe while the worker runs (values may be a tick old). */
void ys_worker_get_stats(struct ys_worker *w, struct ys_worker_stats *st);
/* Engine generation this worker runs now. */
uint64_t ys_worker_engine_gen(const struct ys_worker *w);

#endif /* YS_WORKER_H */
