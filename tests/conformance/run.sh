#!/usr/bin/env bash
# Score the sensor against Suricata's own regression tests when ../shared/conformance exists.
# Usage: run.sh BUILD_DIR SHARED_DIR
set -uo pipefail
build=$1
shared=$2
corpus="$shared/conformance"
if [ ! -f "$corpus/run.py" ]; then
	echo "conformance: skipped: $corpus not present (only CI and developers have ../shared)"
	exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
out=${YS_CONFORMANCE_OUT:-$build/conformance}
mkdir -p "$out"
/usr/bin/python3 "$corpus/run.py" --corpus "$corpus" -j "$(nproc)" -q --exit-zero \
	--json-report "$out/report.json" \
	--cmd "$here/sensor-wrapper.sh {pcap} {rules} {eve} {checksum}" | tee "$out/summary.txt"
# The run is a score, not a gate; the gate is the tier-1 floor in check.py.
/usr/bin/python3 "$here/check.py" "$out/report.json"
