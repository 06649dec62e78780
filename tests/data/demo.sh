#!/usr/bin/env bash
# make demo: the sensor on generated cloud traffic with the bundled rule pack, then a summary of the
# alerts per tenant and signature. Steps are functions so that later stages (Kafka, ingest, console)
# slot in after `run_sensor` without touching the others.
#
# Usage: tests/data/demo.sh BUILD_DIR        (output under <repo>/var/demo/)
set -euo pipefail

build=$(cd "${1:?usage: demo.sh BUILD_DIR}" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
demo=${YS_DEMO_DIR:-$root/var/demo}
PY=/usr/bin/python3
sensor=$build/sensor/yunshao-sensor

step() { printf '\n== %s\n' "$*"; }

check_build() {
	if [ ! -x "$sensor" ]; then
		echo "demo: $sensor is not built (run 'make build')" >&2
		exit 1
	fi
}

# 1. Sample traffic: five tenants behind VXLAN, GENEVE, VLAN, QinQ and plain CIDR, plus unassigned;
#    attacks, benign near-misses and malformed frames (tests/data/gen_traffic.py, deterministic).
generate_traffic() {
	step "1. generating sample traffic into $demo/traffic"
	mkdir -p "$demo/traffic"
	"$PY" "$root/tests/data/gen_traffic.py" --out "$demo/traffic"
}

# 2. The sensor on the merged capture, tenant map from rules/tenants.example.yaml.
run_sensor() {
	step "2. yunshao-sensor -r sample.pcap -S rules/yunshao-cloud.rules -c rules/tenants.example.yaml"
	rm -rf "$demo/out"
	mkdir -p "$demo/out"
	"$sensor" -r "$demo/traffic/sample.pcap" -S "$root/rules/yunshao-cloud.rules" \
		-c "$root/rules/tenants.example.yaml" -k none -l "$demo/out"
	echo "alerts: $demo/out/eve.json ($(wc -l <"$demo/out/eve.json") lines), counters: $demo/out/stats.json"
}

# 3. What was found, per tenant and signature.
summarise() {
	step "3. summary"
	"$PY" "$root/tests/data/eve_summary.py" "$demo/out/eve.json" --stats "$demo/out/stats.json" \
		--manifest "$demo/traffic/manifest.json"
}

check_build
generate_traffic
run_sensor
summarise
