/*
 * Sensor counters to JSON (see stats.h). Worker statistics structs are made of
 * uint64_t fields only, so they are summed generically; the JSON names follow
 * Suricata's stats.json where Suricata has the counter.
 */
#include "stats.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "ys_log.h"

/* Add every counter of a stats struct made only of uint64_t fields (arrays included). */
static void ys_sum_u64(void *sum, const void *add, size_t size)
{
	uint64_t *d = sum;
	const uint64_t *a = add;

	for (size_t i = 0; i < size / sizeof(uint64_t); i++)
		d[i] += a[i];
}

void ys_stats_sum(struct ys_worker_stats *sum, const struct ys_worker_stats *s)
{
	_Static_assert(sizeof(struct ys_decode_stats) % sizeof(uint64_t) == 0, "u64 only");
	_Static_assert(sizeof(struct ys_flow_stats) % sizeof(uint64_t) == 0, "u64 only");
	_Static_assert(sizeof(struct ys_stream_stats) % sizeof(uint64_t) == 0, "u64 only");
	_Static_assert(sizeof(struct ys_applayer_stats) % sizeof(uint64_t) == 0, "u64 only");
	_Static_assert(sizeof(struct ys_capture_stats) % sizeof(uint64_t) == 0, "u64 only");

	sum->packets += s->packets;
	sum->bytes += s->bytes;
	sum->alerts += s->alerts;
	sum->ignored_tenant += s->ignored_tenant;
	sum->sampled_out += s->sampled_out;
	sum->bypassed += s->bypassed;
	sum->no_flow += s->no_flow;
	ys_sum_u64(&sum->capture, &s->capture, sizeof(s->capture));
	ys_sum_u64(&sum->decode, &s->decode, sizeof(s->decode));
	ys_sum_u64(&sum->flow, &s->flow, sizeof(s->flow));
	ys_sum_u64(&sum->stream, &s->stream, sizeof(s->stream));
	ys_sum_u64(&sum->app, &s->app, sizeof(s->app));
	if (!sum->first_ts_usec || (s->first_ts_usec && s->first_ts_usec < sum->first_ts_usec))
		sum->first_ts_usec = s->first_ts_usec;
	if (s->last_ts_usec > sum->last_ts_usec)
		sum->last_ts_usec = s->last_ts_usec;
	if (s->processing_seconds > sum->processing_seconds)
		sum->processing_seconds = s->processing_seconds;
	sum->processing_cpu_seconds += s->processing_cpu_seconds;
}

long ys_stats_peak_rss_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

json_t *ys_stats_json(const struct ys_worker_stats *s, const struct ys_detect_stats *ds,
		      struct ys_output *out, double elapsed)
{
	struct ys_output_stats os;
	json_t *root = json_object(), *o, *errs;
	uint64_t dec_errors = 0;

	ys_output_get_stats(out, &os);
	json_object_set_new(root, "elapsed_seconds", json_real(elapsed));
	/* Start-up (rule compilation) excluded: what throughput figures divide by. */
	json_object_set_new(root, "processing_seconds", json_real(s->processing_seconds));
	json_object_set_new(root, "processing_cpu_seconds", json_real(s->processing_cpu_seconds));
	json_object_set_new(root, "peak_rss_kb", json_integer(ys_stats_peak_rss_kb()));

	o = json_object();
	json_object_set_new(o, "packets", json_integer((json_int_t)s->packets));
	json_object_set_new(o, "bytes", json_integer((json_int_t)s->bytes));
	json_object_set_new(o, "kernel_drops", json_integer((json_int_t)s->capture.kernel_drops));
	json_object_set_new(o, "if_drops", json_integer((json_int_t)s->capture.if_drops));
	json_object_set_new(root, "capture", o);

	o = json_object();
	errs = json_object();
	for (int i = 1; i < YS_DEC_ERROR_COUNT; i++) {
		dec_errors += s->decode.errors[i];
		if (s->decode.errors[i])
			json_object_set_new(errs, ys_decode_error_name((enum ys_decode_error)i),
					    json_integer((json_int_t)s->decode.errors[i]));
	}
#define YS_J(obj, name, v) json_object_set_new(obj, name, json_integer((json_int_t)(v)))
	YS_J(o, "packets", s->decode.packets);
	YS_J(o, "bytes", s->decode.bytes);
	YS_J(o, "ipv4", s->decode.ipv4);
	YS_J(o, "ipv6", s->decode.ipv6);
	YS_J(o, "tcp", s->decode.tcp);
	YS_J(o, "udp", s->decode.udp);
	YS_J(o, "icmp", s->decode.icmp);
	YS_J(o, "vlan", s->decode.vlan);
	YS_J(o, "vxlan", s->decode.vxlan);
	YS_J(o, "geneve", s->decode.geneve);
	YS_J(o, "gre", s->decode.gre);
	YS_J(o, "mpls", s->decode.mpls);
	YS_J(o, "pppoe", s->decode.pppoe);
	YS_J(o, "ipip", s->decode.ipip);
	YS_J(o, "teredo", s->decode.teredo);
	YS_J(o, "non_ip", s->decode.non_ip);
	YS_J(o, "frag_reassembled", s->decode.frag_reassembled);
	YS_J(o, "frag_timeouts", s->decode.frag_timeouts);
	YS_J(o, "frag_memuse", s->decode.frag_memuse);
	YS_J(o, "csum_bad", s->decode.csum_bad);
	YS_J(o, "csum_auto_disabled", s->decode.csum_auto_disabled);
	YS_J(o, "invalid", dec_errors);
	json_object_set_new(o, "errors", errs);
	json_object_set_new(root, "decoder", o);

	o = json_object();
	YS_J(o, "created", s->flow.created);
	YS_J(o, "active", s->flow.active);
	YS_J(o, "tcp", s->flow.tcp);
	YS_J(o, "udp", s->flow.udp);
	YS_J(o, "icmp", s->flow.icmp);
	YS_J(o, "other", s->flow.other);
	YS_J(o, "evicted_timeout", s->flow.evicted_timeout);
	YS_J(o, "evicted_memcap", s->flow.evicted_memcap);
	YS_J(o, "memcap_refused", s->flow.memcap_refused);
	YS_J(o, "memuse", s->flow.memuse);
	YS_J(o, "no_flow", s->no_flow);
	json_object_set_new(root, "flow", o);

	o = json_object();
	YS_J(o, "sessions", s->stream.sessions);
	YS_J(o, "midstream_skipped", s->stream.midstream_skipped);
	YS_J(o, "segments", s->stream.segments);
	YS_J(o, "reassembled_bytes", s->stream.reassembled_bytes);
	YS_J(o, "ooo_segments", s->stream.ooo_segments);
	YS_J(o, "retransmissions", s->stream.retransmissions);
	YS_J(o, "overlaps", s->stream.overlaps);
	YS_J(o, "overlaps_diff", s->stream.overlaps_diff);
	YS_J(o, "gaps", s->stream.gaps);
	YS_J(o, "memcap_hits", s->stream.memcap_hits);
	YS_J(o, "depth_reached", s->stream.depth_reached);
	YS_J(o, "bypassed", s->stream.bypassed);
	YS_J(o, "memuse", s->stream.memuse);
	json_object_set_new(root, "stream", o);

	o = json_object();
	YS_J(o, "http_tx", s->app.http_tx);
	YS_J(o, "dns_tx", s->app.dns_tx);
	YS_J(o, "tls_handshakes", s->app.tls_handshakes);
	YS_J(o, "ssh_banners", s->app.ssh_banners);
	YS_J(o, "http_errors", s->app.http_errors);
	YS_J(o, "dns_malformed", s->app.dns_malformed);
	YS_J(o, "tls_malformed", s->app.tls_malformed);
	YS_J(o, "gaps", s->app.gaps);
	{
		json_t *fl = json_object();

		for (int i = 1; i < YS_APP_COUNT; i++)
			if (s->app.flows[i])
				YS_J(fl, ys_app_proto_name((enum ys_app_proto)i), s->app.flows[i]);
		json_object_set_new(o, "flows", fl);
	}
	json_object_set_new(root, "app_layer", o);

	o = json_object();
	YS_J(o, "ignored_tenant", s->ignored_tenant);
	YS_J(o, "sampled_out", s->sampled_out);
	YS_J(o, "bypassed", s->bypassed);
	json_object_set_new(root, "policy", o);

	o = json_object();
	YS_J(o, "rules_loaded", ds->rules_loaded);
	YS_J(o, "rules_failed", ds->rules_failed);
	YS_J(o, "groups", ds->groups);
	YS_J(o, "hs_databases", ds->hs_databases);
	YS_J(o, "hs_bytes", ds->hs_bytes);
	json_object_set_new(o, "compile_seconds", json_real(ds->compile_seconds));
	json_object_set_new(root, "detect", o);

	o = json_object();
	YS_J(o, "alerts", os.alerts);
	YS_J(o, "write_errors", os.write_errors);
	YS_J(o, "kafka_delivered", os.kafka_delivered);
	YS_J(o, "kafka_failed", os.kafka_failed);
	YS_J(o, "kafka_queued", os.kafka_queued);
	YS_J(o, "spool_bytes", os.spool_bytes);
	YS_J(o, "spool_records", os.spool_records);
	YS_J(o, "spool_dropped", os.spool_dropped);
	json_object_set_new(root, "output", o);
	YS_J(root, "alerts", s->alerts);
#undef YS_J
	return root;
}

int ys_stats_write(const char *dir, json_t *stats)
{
	char path[PATH_MAX], tmp[PATH_MAX];

	snprintf(path, sizeof(path), "%s/stats.json", dir);
	snprintf(tmp, sizeof(tmp), "%s/.stats.json.tmp", dir);
	/* Write then rename, so a reader never sees half a file. */
	if (json_dump_file(stats, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) != 0 ||
	    rename(tmp, path) != 0) {
		ys_err("sensor", "cannot write %s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}
