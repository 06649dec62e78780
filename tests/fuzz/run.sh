#!/usr/bin/env bash
# Run every libFuzzer target briefly over its seed corpus (tests/fuzz/<module>/corpus_<target>/).
# Usage: run.sh BUILD_DIR SECONDS_PER_TARGET
set -uo pipefail
build=${1:-build-fuzz}
secs=${2:-20}
root=$(cd "$(dirname "$0")/../.." && pwd)
pass=0
fail=0
shopt -s nullglob
for bin in "$build"/tests/fuzz/*/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	module=$(basename "$(dirname "$bin")")
	seeds="$root/tests/fuzz/$module/corpus_${name#fuzz_}"
	work=$(mktemp -d)
	args=("$work")
	[ -d "$seeds" ] && args+=("$seeds")
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
		"${args[@]}" >"$work.log" 2>&1; then
		echo "fuzz: $name ok ($(grep -c . "$work.log") log lines)"
		pass=$((pass + 1))
	else
		echo "fuzz: $name FAILED"
		tail -40 "$work.log"
		fail=$((fail + 1))
	fi
	rm -rf "$work" "$work.log"
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
