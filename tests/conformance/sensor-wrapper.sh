#!/usr/bin/env bash
# Adapter between ../shared/conformance/run.py and yunshao-sensor: maps the corpus's
# per-test settings onto our flags. Usage: sensor-wrapper.sh PCAP RULES EVE CHECKSUM
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${YS_BUILD:-$here/../../build}
exec "$build/sensor/yunshao-sensor" -r "$1" -S "$2" --eve "$3" -k "$4" \
	-c "$here/conformance.yaml" -l "$(dirname "$3")" -q
