/*
 * The sensor's counters as one JSON document: stats.json at the end of a run,
 * the periodic yunshao.sensor-stats message and the control socket's 'stats'
 * answer all come from here, so they never disagree.
 */
#ifndef YS_SENSOR_STATS_H
#define YS_SENSOR_STATS_H

#include <jansson.h>

#include "detect.h"
#include "output.h"
#include "worker.h"

/* Add the counters of ADD to SUM (gauges add too: per-worker memory sums to the total). */
void ys_stats_sum(struct ys_worker_stats *sum, const struct ys_worker_stats *add);
/* Peak resident set of the process, kB. */
long ys_stats_peak_rss_kb(void);
/* A new JSON object (the caller owns it) from the summed worker counters S, the global
 * engine's statistics DS and the output's counters; ELAPSED is seconds since start. */
json_t *ys_stats_json(const struct ys_worker_stats *s, const struct ys_detect_stats *ds,
		      struct ys_output *out, double elapsed);
/* Write STATS to DIR/stats.json atomically (temporary file, then rename). 0 or -EIO. */
int ys_stats_write(const char *dir, json_t *stats);

#endif /* YS_SENSOR_STATS_H */
