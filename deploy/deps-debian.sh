#!/usr/bin/env bash
# Install every Debian 12 package Yunshao needs to build, test, demo and bench.
# Idempotent and quick when everything is present: apt runs only for what is missing.
set -euo pipefail

PKGS=(
	# build
	build-essential cmake ninja-build pkg-config clang llvm lld clang-format libclang-rt-14-dev
	# sensor
	libpcap-dev libhyperscan-dev libpcre2-dev libyaml-dev libjansson-dev librdkafka-dev
	libhtp-dev zlib1g-dev libssl-dev
	# eBPF / XDP
	libbpf-dev libxdp-dev xdp-tools bpftool libelf-dev linux-libc-dev iproute2 ethtool tcpreplay
	# ingest
	libmicrohttpd-dev libsqlite3-dev sqlite3 libpq-dev postgresql
	# tests
	libcmocka-dev python3 python3-pytest python3-scapy python3-jsonschema python3-yaml
	python3-psycopg2 valgrind
	# Kafka broker (jars from Maven Central)
	maven
	# benchmarks: editcap and mergecap for ../shared/bench/make-mix20.sh
	wireshark-common
	# console tests, reports
	chromium chromium-driver
	# CJK glyphs for the console screenshots and the MLPS report PDF; pdftotext checks the PDF
	fonts-wqy-zenhei poppler-utils
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Runtimes that a machine may already have from elsewhere (a newer Node.js with its own npm, a
# Temurin JDK): Debian's packages would conflict with them, so they are only installed when absent.
command -v java >/dev/null 2>&1 && command -v javac >/dev/null 2>&1 ||
	missing+=(default-jre-headless default-jdk-headless)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages (${missing[*]}); run 'make deps' as root" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
