#!/usr/bin/env bash
# make bench: throughput of the sensor (one worker) against the Hyperscan-only ceiling on the
# same bytes, on a generated ≥ 500 MB capture with the bundled pack and, when ../shared/bench is
# there, on the real-traffic mix20 capture with 16,056 ET rules (Snort 3's figures are the bar).
# Then the Kafka, capture and ingest benchmarks when their scripts are present.
# Usage: run.sh BUILD_DIR SHARED_DIR
set -euo pipefail
build=$1
shared=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${YS_BENCH_CACHE:-$root/var/bench}
mkdir -p "$cache"
PY=/usr/bin/python3
sensor=$build/sensor/yunshao-sensor
ceiling=$build/tests/bench/ys_bench_ceiling

# bench_one NAME PCAP RULES...: run the sensor and the ceiling tool, print one block of figures.
bench_one() {
	local name=$1 pcap=$2
	shift 2
	local rules=() out="$cache/out-$name"
	for r in "$@"; do rules+=(-S "$r"); done
	rm -rf "$out"
	mkdir -p "$out"
	echo "== $name: $(basename "$pcap") ($(du -m "$pcap" | cut -f1) MB), rules: $*"
	"$sensor" -r "$pcap" "${rules[@]}" -k none -l "$out" -q
	"$PY" - "$out/stats.json" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
d = s["detect"]
wall, cpu = s["processing_seconds"], s["processing_cpu_seconds"]
pk, by, al = s["capture"]["packets"], s["capture"]["bytes"], s["alerts"]
print("sensor:  rules loaded %d, failed %d; compile %.2f s" % (d["rules_loaded"], d["rules_failed"], d["compile_seconds"]))
print("sensor:  %d packets, %d bytes, %d alerts; peak RSS %.0f MB" % (pk, by, al, s["peak_rss_kb"] / 1024))
print("sensor:  wall %.2f s: %.0f packets/s, %.3f Gbps, %.0f alerts/s" % (wall, pk / wall, by * 8 / wall / 1e9, al / wall))
print("sensor:  one worker's CPU %.2f s: %.0f packets/s, %.3f Gbps, %.0f alerts/s per core"
      % (cpu, pk / cpu, by * 8 / cpu / 1e9, al / cpu))
open(sys.argv[1] + ".rate", "w").write("%f %f\n" % (pk / cpu, by * 8 / cpu / 1e9))
PYEOF
	if [ -x "$ceiling" ]; then
		"$ceiling" -r "$pcap" "${rules[@]}" | tee "$out/ceiling.txt"
		"$PY" - "$out/stats.json.rate" "$out/ceiling.txt" <<'PYEOF'
import re, sys
pps, gbps = map(float, open(sys.argv[1]).read().split())
m = re.search(r"ceiling: .* ([0-9.]+) Gbps", open(sys.argv[2]).read())
if m:
    print("ratio:   sensor / Hyperscan-only ceiling (CPU time, same bytes) = %.2f" % (gbps / float(m.group(1))))
PYEOF
	fi
}

# 1. Generated mixed traffic with the bundled pack.
gen=$cache/mixed-500mb.pcap
if [ ! -s "$gen" ]; then
	echo "generating $gen (once; cached)"
	"$PY" "$root/tests/bench/gen_bench.py" --out "$gen" --size-mb 520
fi
bench_one generated "$gen" "$root/rules/yunshao-cloud.rules"

# 2. Real traffic and the ET 2019 rules Snort 3 also accepts.
if [ -f "$shared/bench/make-mix20.sh" ]; then
	mix=$cache/mix20.pcap
	[ -s "$mix" ] || (cd "$shared/bench" && ./make-mix20.sh "$mix")
	bench_one mix20-et2019 "$mix" "$shared/bench/et2019-common.rules"
	echo "bar:     Snort 3.12.2 on this machine kind: 242,000 packets/s (1.18 Gbps), goal 484,000 (shared/bench/README.md)"
	if [ -d "$shared/rules/et-open" ]; then
		bench_one mix20-et2025 "$mix" "$shared"/rules/et-open/*.rules
	fi
else
	echo "bench: ../shared/bench not present: real-traffic benchmark skipped"
fi

# 3. The other parts' benchmarks.
for part in bench_kafka.sh bench_capture.sh bench_ingest.sh; do
	if [ -x "$root/tests/bench/$part" ]; then
		echo "== ${part%.sh}"
		"$root/tests/bench/$part" "$build"
	fi
done
