#!/usr/bin/env bash
# make demo: the whole pipeline on one machine. Sample traffic -> yunshao-sensor -> a local Kafka
# broker -> yunshao-ingest (store, correlation, API, console), then a summary: alerts per tenant and
# signature, the incidents correlation opened, each tenant's warning level, and the console URL
# with the tokens to sign in with. Kafka and ingest keep running so the console can be opened;
# `make demo-stop` (demo.sh stop) stops them. Re-running reuses the broker and starts everything
# else afresh (new store, new tokens).
#
# Usage: tests/data/demo.sh BUILD_DIR        run the demo
#        tests/data/demo.sh stop             stop the demo's ingest and Kafka
#
# Environment (tests/integration/test_demo.py runs the demo in its own directory and ports):
#   YS_DEMO_DIR         everything the demo writes (default <repo>/var/demo)
#   YS_DEMO_KAFKA_PORT  broker port, controller on port+1 (default 9092; a free pair when taken)
#   YS_DEMO_API_PORT    ingest API and console (default 8088; a free port when taken)
#   YS_DEMO_TIMEOUT     seconds to wait for ingest to store and correlate everything (default 60)
#   YS_DEMO_RETIME      1 (default): replay the capture as if it ended a minute ago, so the
#                       console's 24-hour situation shows it; 0: keep its 2026-01-01 timestamps
#   YS_KAFKA_CACHE      the Kafka jar cache (deploy/kafka/kafka.sh; shared by every broker)
# A port given explicitly that is taken is an error; only the defaults move aside.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
demo=$(realpath -m "${YS_DEMO_DIR:-$root/var/demo}") # absolute: it goes into configs and pid checks
PY=/usr/bin/python3
KAFKA_SH=$root/deploy/kafka/kafka.sh
timeout_s=${YS_DEMO_TIMEOUT:-60}
retime=${YS_DEMO_RETIME:-1}
state=$demo/demo.env # ports of the running demo, for a re-run and for `stop`
ingest_pid=$demo/ingest/ingest.pid

step() { printf '\n== %s\n' "$*"; }
die() {
	echo "demo: $*" >&2
	exit 1
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port nobody listens on, from the kernel; with "pair", port+1 must be free too (Kafka's controller).
free_port() {
	local p
	for _ in $(seq 50); do
		p=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		if [ "${1:-}" != pair ] || { [ "$p" -lt 65535 ] && ! port_busy $((p + 1)); }; then
			echo "$p"
			return 0
		fi
	done
	die "no free port found on 127.0.0.1"
}

# The previous run's broker port (demo.env), if any.
load_state() {
	old_kafka_port=
	if [ -f "$state" ]; then
		old_kafka_port=$(sed -n 's/^kafka_port=\([0-9]*\)$/\1/p' "$state")
	fi
}

# The demo's ingest is the process in ingest.pid only if it runs our binary on our config; a stale pid
# file must never make us signal an unrelated process.
ingest_alive() {
	local pid
	[ -f "$ingest_pid" ] && pid=$(cat "$ingest_pid") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "yunshao-ingest -c $demo/ingest.yaml"
}

stop_ingest() {
	if ! ingest_alive; then
		rm -f "$ingest_pid"
		return 0
	fi
	local pid i
	pid=$(cat "$ingest_pid")
	kill -TERM "$pid"
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "demo: ingest (pid $pid) ignored SIGTERM for 30 s; SIGKILL" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$ingest_pid"
	echo "ingest: stopped (pid $pid)"
}

kafka() { YS_KAFKA_DIR=$demo/kafka YS_KAFKA_PORT=${kafka_port:-${old_kafka_port:-9092}} "$KAFKA_SH" "$@"; }

# Kafka's data and demo.env stay: the next run restarts the broker on its data when the last run
# finished, and on empty data otherwise.
do_stop() {
	load_state
	stop_ingest
	if [ -f "$demo/kafka/kafka.pid" ]; then
		kafka stop
	else
		echo "kafka: not running ($demo/kafka)"
	fi
}

check_build() {
	sensor=$build/sensor/yunshao-sensor
	ingest=$build/ingest/yunshao-ingest
	local b
	for b in "$sensor" "$ingest"; do
		[ -x "$b" ] || die "$b is not built (run 'make build')"
	done
	[ -f "$root/dashboards/console/dist/index.html" ] || die "dashboards/console/dist is missing"
	command -v java >/dev/null || die "java is not installed (run 'make deps')"
}

# 1. Sample traffic: five tenants behind VXLAN, GENEVE, VLAN, QinQ and plain CIDR, plus unassigned;
#    attacks, benign near-misses and malformed frames (tests/data/gen_traffic.py, deterministic).
#    The sensor reads a copy moved in time (packet spacing unchanged) unless YS_DEMO_RETIME=0.
generate_traffic() {
	step "1. generating sample traffic into $demo/traffic"
	rm -rf "$demo/traffic"
	mkdir -p "$demo/traffic"
	"$PY" "$root/tests/data/gen_traffic.py" --out "$demo/traffic" -q
	pcap=$demo/traffic/sample.pcap
	if [ "$retime" = 1 ]; then
		"$PY" - "$pcap" "$demo/traffic/replay.pcap" <<-'EOF'
			# Shift every record of a classic pcap by whole seconds so the last one is a minute ago.
			import struct, sys, time
			data = bytearray(open(sys.argv[1], "rb").read())
			magic = data[:4]
			end = {b"\xd4\xc3\xb2\xa1": "<", b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",
			       b"\xa1\xb2\x3c\x4d": ">"}.get(bytes(magic))
			if end is None:
			    sys.exit("demo: %s is not a classic pcap file" % sys.argv[1])
			offs, off = [], 24
			while off + 16 <= len(data):
			    offs.append(off)
			    off += 16 + struct.unpack_from(end + "I", data, off + 8)[0]
			last = max(struct.unpack_from(end + "I", data, o)[0] for o in offs)
			shift = int(time.time()) - 60 - last
			for o in offs:
			    struct.pack_into(end + "I", data, o, struct.unpack_from(end + "I", data, o)[0] + shift)
			open(sys.argv[2], "wb").write(data)
			print("replay copy %s: %d packets moved by %+d s, last one at %s" % (
			    sys.argv[2], len(offs), shift, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(last + shift))))
		EOF
		pcap=$demo/traffic/replay.pcap
	fi
}

# 2. A single-node Kafka 4.x (deploy/kafka/kafka.sh) on 127.0.0.1, data under the demo directory.
#    A broker left running by a demo that finished is reused (its topics hold only alerts the
#    demo's consumer group has already committed); after an unfinished run it is started afresh.
start_kafka() {
	step "2. Kafka broker (deploy/kafka/kafka.sh, data in $demo/kafka)"
	if [ -n "$old_kafka_port" ] && [ -f "$demo/run-ok" ] &&
		{ [ -z "${YS_DEMO_KAFKA_PORT:-}" ] || [ "$YS_DEMO_KAFKA_PORT" = "$old_kafka_port" ]; } &&
		kafka_port=$old_kafka_port && kafka status >/dev/null; then
		echo "reusing the broker of the previous demo run on 127.0.0.1:$kafka_port"
		return 0
	fi
	if [ -f "$demo/kafka/kafka.pid" ]; then # an unfinished run's broker, or one on another port
		kafka stop
	fi
	if [ -n "${YS_DEMO_KAFKA_PORT:-}" ]; then
		kafka_port=$YS_DEMO_KAFKA_PORT
		if port_busy "$kafka_port" || port_busy $((kafka_port + 1)); then
			die "YS_DEMO_KAFKA_PORT=$kafka_port: port $kafka_port or $((kafka_port + 1)) is taken"
		fi
	else
		kafka_port=9092
		if port_busy 9092 || port_busy 9093; then
			kafka_port=$(free_port pair)
			echo "ports 9092/9093 are taken (not by this demo): the demo broker uses $kafka_port/$((kafka_port + 1))"
		fi
	fi
	# Topics of a run that did not finish may hold alerts no ingest committed: start from empty.
	if [ -d "$demo/kafka/data" ] && [ -f "$demo/run-ok" ] && [ "$kafka_port" = "$old_kafka_port" ]; then
		echo "restarting the previous demo run's broker on its data"
	elif [ -d "$demo/kafka" ]; then
		echo "a new broker on empty data (the previous demo run did not finish, or the port changed)"
		rm -rf "$demo/kafka"
	fi
	kafka start
	write_state
}

write_state() {
	printf 'kafka_port=%s\napi_port=%s\n' "$kafka_port" "${api_port:-}" >"$state"
}

# The demo's configuration: an example from the repository with an overlay from tests/data merged over
# it (maps key by key, lists replaced whole) and the @NAME@ placeholders filled in.
merge_config() { # example overlay output KEY=VALUE...
	"$PY" - "$@" <<-'EOF'
		import sys, yaml
		example, overlay, output = sys.argv[1:4]
		values = dict(kv.split("=", 1) for kv in sys.argv[4:])
		KEEP = object()
		def fill(x):
		    if isinstance(x, dict):
		        return {k: fill(v) for k, v in x.items()}
		    if isinstance(x, list):
		        return [fill(v) for v in x]
		    if isinstance(x, str):
		        whole = values.get(x[1:-1]) if x.startswith("@") and x.endswith("@") else None
		        if whole == "":
		            return KEEP  # an empty placeholder keeps the example's value
		        if whole is not None and whole.isdigit():
		            return int(whole)  # a whole-number placeholder stays a number
		        for k, v in values.items():
		            x = x.replace("@%s@" % k, v)
		        if "@" in x and x.count("@") >= 2 and x.split("@")[1].isupper():
		            sys.exit("demo: %s: unfilled placeholder in %r" % (overlay, x))
		    return x
		def merge(a, b):
		    if isinstance(a, dict) and isinstance(b, dict):
		        out = dict(a)
		        for k, v in b.items():
		            if v is not KEEP:
		                out[k] = merge(a.get(k), v)
		        return out
		    return b
		with open(example) as f:
		    conf = yaml.safe_load(f)
		with open(overlay) as f:
		    conf = merge(conf, fill(yaml.safe_load(f)))
		with open(output, "w") as f:
		    f.write("# generated by tests/data/demo.sh from %s and %s\n" % (example, overlay))
		    yaml.safe_dump(conf, f, sort_keys=False)
	EOF
}

# GET URL, the body on stdout; Python rather than curl, which a minimal Debian does not have.
http_get() {
	"$PY" -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' \
		"$1" 2>/dev/null
}

# 3. yunshao-ingest in the background: SQLite under the demo directory, bundled correlation rules,
#    API and console on 127.0.0.1, an admin and an acme analyst token made up for this run.
start_ingest() {
	step "3. yunshao-ingest (store $demo/store, rules rules/correlation)"
	if [ -n "${YS_DEMO_API_PORT:-}" ]; then
		api_port=$YS_DEMO_API_PORT
		port_busy "$api_port" && die "YS_DEMO_API_PORT=$api_port is taken"
	else
		api_port=8088
		if port_busy 8088; then
			api_port=$(free_port)
			echo "port 8088 is taken: the API and console use $api_port"
		fi
	fi
	write_state
	admin_token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	acme_token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	(
		umask 077
		printf 'admin %s\nacme-analyst %s\n' "$admin_token" "$acme_token" >"$demo/tokens.txt"
	)
	rm -rf "$demo/store" "$demo/ingest"
	mkdir -p "$demo/store" "$demo/ingest"
	merge_config "$root/deploy/ingest.yaml" "$root/tests/data/demo-ingest.yaml" "$demo/ingest.yaml" \
		DEMO_DIR="$demo" ROOT="$root" BROKERS="127.0.0.1:$kafka_port" API_LISTEN="127.0.0.1:$api_port" \
		PURGE_INTERVAL="$([ "$retime" = 1 ] || echo 0)" \
		ADMIN_SHA="$(printf %s "$admin_token" | sha256sum | cut -d' ' -f1)" \
		ACME_SHA="$(printf %s "$acme_token" | sha256sum | cut -d' ' -f1)"
	"$ingest" -c "$demo/ingest.yaml" --check >"$demo/ingest/check.log" 2>&1 ||
		{
			cat "$demo/ingest/check.log" >&2
			die "yunshao-ingest rejects $demo/ingest.yaml"
		}
	# setsid: ingest outlives this script and the terminal's ^C, like the broker
	setsid "$ingest" -c "$demo/ingest.yaml" >"$demo/ingest/ingest.log" 2>&1 </dev/null &
	echo $! >"$ingest_pid"
	base=http://127.0.0.1:$api_port
	local health=
	local deadline=$((SECONDS + 60))
	while [ $SECONDS -lt $deadline ]; do
		health=$(http_get "$base/healthz") && [[ $health == *'"kafka":"ok"'* ]] && break
		ingest_alive || {
			tail -n 20 "$demo/ingest/ingest.log" >&2
			die "yunshao-ingest exited; see $demo/ingest/ingest.log"
		}
		sleep 0.2
	done
	[[ $health == *'"kafka":"ok"'* ]] ||
		die "ingest did not become healthy with Kafka in 60 s ($health); see $demo/ingest/ingest.log"
	echo "ingest: pid $(cat "$ingest_pid"), $base/healthz says $health"
}

# 4. The sensor on the sample traffic: bundled rule pack, the example tenant map, alerts to Kafka
#    through the write-ahead spool and to eve.json.
run_sensor() {
	step "4. yunshao-sensor -r $(basename "$pcap") -S rules/yunshao-cloud.rules -c $demo/sensor.yaml"
	rm -rf "$demo/out" "$demo/spool"
	mkdir -p "$demo/out" "$demo/spool"
	merge_config "$root/rules/tenants.example.yaml" "$root/tests/data/demo-sensor.yaml" "$demo/sensor.yaml" \
		DEMO_DIR="$demo" BROKERS="127.0.0.1:$kafka_port"
	if ! "$sensor" -r "$pcap" -S "$root/rules/yunshao-cloud.rules" -c "$demo/sensor.yaml" -k none \
		-l "$demo/out" 2>&1 | tee "$demo/out/sensor.log"; then
		die "the sensor failed; see $demo/out/sensor.log"
	fi
	echo "alerts: $demo/out/eve.json ($(wc -l <"$demo/out/eve.json") lines), counters: $demo/out/stats.json"
}

# 5. Ingest has stored every alert of eve.json (by event_id) and correlation has caught up.
wait_ingest() {
	step "5. waiting for ingest to store and correlate every alert (at most ${timeout_s} s)"
	if ! "$PY" "$root/tests/data/eve_summary.py" "$demo/out/eve.json" --api "$base" --token "$admin_token" \
		--wait "$timeout_s"; then
		echo "last lines of $demo/ingest/ingest.log:" >&2
		tail -n 15 "$demo/ingest/ingest.log" >&2
		die "ingest did not store and correlate the sensor's alerts (Kafka and ingest left running; make demo-stop)"
	fi
}

# 6. What was found: alerts per tenant and signature, incidents, warning levels; where to look next.
#    Whether the alerts are the ones the traffic calls for decides the exit status, after all of it.
summarise() {
	step "6. summary"
	local hb sensor_id
	hb=$(sed -n 's/^  heartbeat_interval: \([0-9]*\)$/\1/p' "$demo/ingest.yaml")
	sensor_id=$(sed -n 's/^  id: //p' "$demo/sensor.yaml" | head -n 1)
	hb=${hb:-10} # correlation.heartbeat_interval, ingest's default
	manifest_rc=0
	"$PY" "$root/tests/data/eve_summary.py" "$demo/out/eve.json" --stats "$demo/out/stats.json" \
		--manifest "$demo/traffic/manifest.json" || manifest_rc=$?
	echo
	"$PY" "$root/tests/data/eve_summary.py" "$demo/out/eve.json" --api "$base" --token "$admin_token" \
		--ingest || die "reading incidents and the situation from $base failed"
	# The auditors' MLPS 2.0 evidence report over what the demo stored (every figure from the store).
	local report=$build/ingest/report/yunshao-report
	"$report" -c "$demo/ingest.yaml" --format html -o "$demo/mlps-report.html" >"$demo/report.log" 2>&1 ||
		die "yunshao-report failed: $(tail -n 1 "$demo/report.log")"
	if ! "$report" -c "$demo/ingest.yaml" --format pdf -o "$demo/mlps-report.pdf" >>"$demo/report.log" 2>&1; then
		echo "MLPS report PDF not made: $(tail -n 1 "$demo/report.log") (the HTML is there)"
	fi
	cat <<-EOF

		Console:        $base/
		Sign in with    admin token         $admin_token   (all tenants)
		           or   acme analyst token  $acme_token   (tenant acme only)
		                (both made for this run; also in $demo/tokens.txt)
		API:            curl -H 'Authorization: Bearer $admin_token' $base/api/v1/incidents
		MLPS report:    $demo/mlps-report.html, $demo/mlps-report.pdf  (also $base/api/reports/mlps?format=pdf)
		Logs:           $demo/ingest/ingest.log, $demo/kafka/kafka.log, $demo/out/sensor.log
		Kafka:          127.0.0.1:$kafka_port (YS_KAFKA_DIR=$demo/kafka YS_KAFKA_PORT=$kafka_port deploy/kafka/kafka.sh topics)
		Stop:           make demo-stop      (Kafka and ingest keep running until then)

		The sensor read a capture file and has exited: about $((3 * hb)) s after its last heartbeat, ingest
		reports it silent (a yellow incident of tenant _system, "Sensor $sensor_id (rack ...) silent"),
		which the console then shows beside the incidents above.
	EOF
}

case "${1:-}" in
stop)
	do_stop
	exit 0
	;;
"" | -h | --help)
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 2
	;;
esac
build=$(cd "$1" && pwd) || die "no build directory $1"
check_build
mkdir -p "$demo"
# ^C: the broker and ingest run on (setsid); say how to stop them rather than leave a traceback
trap 'echo; echo "demo: interrupted; what was started keeps running: make demo-stop" >&2; exit 130' INT TERM
load_state
if ingest_alive; then # a previous run's: this one gets a new store and new tokens
	echo "the previous demo run's yunshao-ingest is still running: stopping it"
	stop_ingest
fi
generate_traffic
start_kafka
rm -f "$demo/run-ok"
start_ingest
run_sensor
wait_ingest
summarise
touch "$demo/run-ok"
exit "$manifest_rc"
