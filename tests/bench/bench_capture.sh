#!/usr/bin/env bash
# Capture benchmark: the packet rate each live capture method sustains on a veth with zero drops, and the
# XDP program's cost per packet from BPF_PROG_TEST_RUN with repeat.
#
# Usage: bench_capture.sh BUILD_DIR [PACKETS_PER_TRIAL]
# For each method (pcap, af-packet, af-xdp with libxdp's own program, af-xdp under the sensor's XDP
# program) the script replays 64-byte UDP frames over 256 flows with tcpreplay at rising rates from a
# network namespace it creates into a second one where yunshao-capture-probe listens, and reports the
# highest offered rate tcpreplay actually achieved at which every frame arrived and the kernel counted
# no drop. Namespaces are deleted on exit. Needs root; otherwise says why and exits 0.
# The machine is small and shared (2 cores): sender and receiver compete for them, so these figures
# are a floor for a real NIC, not a ceiling, and they move with the machine's load (printed below).
set -uo pipefail
build=${1:-build}
per_trial=${2:-100000}
probe="$build/bpf/yunshao-capture-probe"
py=/usr/bin/python3

if [ "$(id -u)" -ne 0 ]; then
	echo "bench_capture: skipped: needs root (network namespaces, XDP)"
	exit 0
fi
if [ ! -x "$probe" ]; then
	echo "bench_capture: skipped: $probe not built"
	exit 0
fi
for t in ip tcpreplay; do
	if ! command -v $t >/dev/null; then
		echo "bench_capture: skipped: $t missing (deploy/deps-debian.sh)"
		exit 0
	fi
done

# 1. XDP program cost per packet (ns), kernel-measured over 1,000,000 runs per frame shape.
echo "xdp program cost (BPF_PROG_TEST_RUN, repeat 1000000):"
"$probe" --bench-xdp 1000000 | $py -c '
import json, sys
r = json.load(sys.stdin)
for k, v in r["ns_per_packet"].items():
    print(f"  {k:22s} {v:5d} ns/packet")
' || echo "  (kernel refused BPF_PROG_TEST_RUN)"

# 2. Live capture rates.
tag=$(printf '%06x' $((RANDOM * 32768 + RANDOM)))
tx=ys-$tag-btx
rx=ys-$tag-brx
txif=ysbt$tag
rxif=ysbr$tag
work=$(mktemp -d)
probe_pid=
cleanup() {
	[ -n "$probe_pid" ] && kill "$probe_pid" 2>/dev/null && wait "$probe_pid" 2>/dev/null
	ip netns del "$tx" 2>/dev/null
	ip netns del "$rx" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$tx" && ip netns add "$rx" &&
	ip link add "$txif" netns "$tx" type veth peer name "$rxif" netns "$rx" || {
	echo "bench_capture: skipped: cannot create network namespaces"
	exit 0
}
for pair in "$tx:$txif:1" "$rx:$rxif:2"; do
	IFS=: read -r ns ifc host <<<"$pair"
	for k in all default "$ifc"; do
		ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$k.disable_ipv6=1" 2>/dev/null
	done
	ip -n "$ns" addr add "10.200.77.$host/24" dev "$ifc"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "$ifc" up
done

# 10,000 frames: Ethernet/IPv4/UDP, 64 bytes on the wire, 256 flows (written directly: fast, exact).
$py - "$work/frames.pcap" <<'EOF'
import struct, sys
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
for i in range(10000):
    flow = i % 256
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 46, i & 0xffff, 0, 64, 17, 0,
                     bytes([10, 201, 1, flow]), bytes([10, 99, 0, 1]))
    udp = struct.pack("!HHHH", 20000 + flow, 53, 26, 0) + b"y" * 18
    frame = bytes.fromhex("02000000000b02000000000a0800") + ip + udp
    out.write(struct.pack("<IIII", i // 1000000, i % 1000000, len(frame), len(frame)) + frame)
out.close()
EOF
# Frames the veth itself dropped (its NAPI ring full under native XDP), on either side.
veth_drops() {
	local a b
	a=$(ip netns exec "$rx" cat "/sys/class/net/$rxif/statistics/rx_dropped")
	b=$(ip netns exec "$tx" cat "/sys/class/net/$txif/statistics/tx_dropped")
	echo $((a + b))
}

# trial METHOD RATE ARGS...: prints "achieved_pps sent received kernel_drops veth_drops"
# About one second of traffic per trial: RATE frames (at least 10,000, at most PACKETS_PER_TRIAL).
trial() {
	local method=$1 rate=$2
	shift 2
	local ready="$work/ready" out="$work/probe.json" rateopt target loops sent vd0
	target=$rate
	[ "$rate" = max ] && target=$per_trial
	[ "$target" -gt "$per_trial" ] && target=$per_trial
	loops=$(((target + 9999) / 10000))
	sent=$((loops * 10000))
	vd0=$(veth_drops)
	rm -f "$ready"
	ip netns exec "$rx" "$probe" -i "$rxif" --capture "$method" --ready-file "$ready" \
		--count "$sent" --idle 3 --duration 60 "$@" >"$out" 2>"$work/probe.err" &
	probe_pid=$!
	for _ in $(seq 100); do
		[ -e "$ready" ] && break
		kill -0 "$probe_pid" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -e "$ready" ]; then
		wait "$probe_pid"
		probe_pid=
		echo "0 $sent 0 0 0 $(head -c 200 "$work/probe.err" | tr '\n' ' ')"
		return
	fi
	# Let XDP attach settle (veth switches to its NAPI path) before the first frame.
	sleep 1
	if [ "$rate" = max ]; then rateopt=--topspeed; else rateopt="--pps=$rate"; fi
	local rated
	rated=$(ip netns exec "$tx" tcpreplay -i "$txif" "$rateopt" --loop="$loops" "$work/frames.pcap" 2>&1 |
		sed -n 's/.*Rated: .* \([0-9.]*\) pps.*/\1/p' | tail -1)
	wait "$probe_pid"
	probe_pid=
	$py - "$out" "${rated:-0}" "$sent" $(($(veth_drops) - vd0)) <<'EOF'
import json, sys
_, out, rated, sent, veth = sys.argv
try:
    r = json.load(open(out))
except Exception:
    print(f"{float(rated):.0f} {sent} 0 -1 {veth}")
    sys.exit()
print(f"{float(rated):.0f} {sent} {r['packets']} {r['kernel_drops']} {veth}")
EOF
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "live capture on veth, 64-byte frames, ~1 s per trial (rate tcpreplay achieved; zero drops = every frame received):"
for spec in "pcap:1" "af-packet:2" "af-xdp:1" "af-xdp+xdp:1"; do
	method=${spec%%:*}
	workers=${spec##*:}
	args=(--workers "$workers")
	if [ "$method" = "af-xdp+xdp" ]; then
		method=af-xdp
		args+=(--xdp --cidr 10.201.1.0/24=11)
	fi
	best=0
	last=""
	for rate in 10000 25000 50000 100000 200000 400000 max; do
		read -r achieved sent got drops vdrops rest <<<"$(trial "$method" "$rate" "${args[@]}")"
		last="offered $rate: achieved ${achieved} pps, received $got/$sent, kernel drops $drops, veth drops $vdrops ${rest:-}"
		if [ "$got" = "$sent" ] && [ "$drops" = 0 ]; then
			[ "$achieved" -gt "$best" ] && best=$achieved
		else
			break
		fi
	done
	printf '  %-12s workers %s: %8s packets/s with zero drops   (last trial: %s)\n' "${spec%%:*}" "$workers" \
		"$best" "$last"
done
