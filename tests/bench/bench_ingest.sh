#!/usr/bin/env bash
# make bench, ingest part (issue 5): alerts/s stored and correlated with SQLite and PostgreSQL,
# and the p99 delay from an alert entering Kafka to its incident being stored.
# Targets: >= 50,000 alerts/s with SQLite on this machine; p99 <= 1 s at 5,000 alerts/s.
#
#   1. the pipeline alone (validate -> de-duplicate -> store -> correlate, in batches, as the
#      consumer runs it) on SQLite and on a private PostgreSQL 15: alerts/s wall clock and per
#      CPU-second (the machine is shared: the CPU figure is the one that does not depend on load);
#   2. end to end through a private Kafka broker: N alerts produced, time until all are stored;
#   3. paced at 5,000 alerts/s for 20 s: p50/p99 of Kafka create time -> incident committed,
#      read from the service's own /metrics summary (yunshao_ingest_alert_to_incident_seconds).
# Starts its own broker and database server on free loopback ports and stops them.
# Usage: bench_ingest.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
for b in ingest/yunshao-ingest ingest/bench_ingest_produce ingest/bench_ingest_pipeline; do
	if [ ! -x "$build/$b" ]; then
		echo "bench ingest: $build/$b not built; skipped"
		exit 0
	fi
done
exec /usr/bin/python3 "$root/tests/bench/bench_ingest.py" "$build"
