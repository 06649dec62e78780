#!/usr/bin/env bash
# A single-node Apache Kafka 4.x (KRaft, combined broker+controller) on 127.0.0.1 for
# development, tests, CI and `make demo`. Production points the sensor at the operator's
# own cluster; this is only the local one.
#
#   kafka.sh fetch     jars from Maven Central (mvn dependency:copy-dependencies on pom.xml)
#                      into the cache; offline once cached
#   kafka.sh start     format KRaft storage if new, start, wait until it answers Kafka
#                      requests, create the Yunshao topics (auto-create is off)
#   kafka.sh stop      SIGTERM (controlled shutdown), SIGKILL after 30 s
#   kafka.sh status    exit 0 and "running pid N port P" when up, 1 otherwise
#   kafka.sh topics    list topics and partition counts
#
# Environment:
#   YS_KAFKA_VERSION  Kafka version (default 4.1.2)
#   YS_KAFKA_CACHE    jar cache (default ~/.cache/yunshao/kafka-<version>)
#   YS_KAFKA_PORT     client port (default 9092); the controller listens on port+1
#   YS_KAFKA_DIR      data dir: server.properties, data/, kafka.log, kafka.pid
#                     (default <repo>/var/kafka). Tests give each broker its own dir and port.
#   YS_KAFKA_HEAP     JVM heap (default 512m)
#   YS_KAFKA_WAIT     seconds to wait for readiness (default 90)
#   YS_KAFKA_SASL     "user:password": the client listener requires SASL with this one
#                     user, for tests of the sensor's SASL settings. Set it for start,
#                     topics and stop alike.
#   YS_KAFKA_SASL_MECHANISM  SCRAM-SHA-512 (default; the user is created at format time)
#                     or PLAIN. Note: librdkafka < 2.6.1 cannot do SCRAM with Kafka 4.x.
#   YS_KAFKA_TLS=1    the client listener speaks TLS and requires a client certificate;
#                     a test CA, server and client certificate are made with openssl in
#                     <dir>/tls (ca.pem, client.crt, client.key) on the first start.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
version=${YS_KAFKA_VERSION:-4.1.2}
cache=${YS_KAFKA_CACHE:-$HOME/.cache/yunshao/kafka-$version}
port=${YS_KAFKA_PORT:-9092}
cport=$((port + 1))
dir=${YS_KAFKA_DIR:-$repo/var/kafka}
heap=${YS_KAFKA_HEAP:-512m}
wait_s=${YS_KAFKA_WAIT:-90}
pidfile=$dir/kafka.pid
bootstrap=127.0.0.1:$port
sasl=${YS_KAFKA_SASL:-}
if [ -n "$sasl" ]; then
	case $sasl in
	*:*) ;;
	*) echo "kafka: YS_KAFKA_SASL must be user:password" >&2 && exit 2 ;;
	esac
	sasl_user=${sasl%%:*}
	sasl_pass=${sasl#*:}
	sasl_mech=${YS_KAFKA_SASL_MECHANISM:-SCRAM-SHA-512}
	case $sasl_mech in
	SCRAM-SHA-512 | PLAIN) ;;
	*) echo "kafka: YS_KAFKA_SASL_MECHANISM must be SCRAM-SHA-512 or PLAIN" >&2 && exit 2 ;;
	esac
	listener=SASL_PLAINTEXT
else
	listener=PLAINTEXT
fi
tls=${YS_KAFKA_TLS:-}
if [ -n "$tls" ]; then
	[ -n "$sasl" ] && echo "kafka: YS_KAFKA_TLS and YS_KAFKA_SASL cannot be combined here" >&2 && exit 2
	listener=SSL
	export YS_KAFKA_TLS_DIR=$dir/tls # for YsKafkaAdmin
fi

# name:partitions. yunshao.alerts has 6 so up to 6 ingest instances share it.
TOPICS=(yunshao.alerts:6 yunshao.sensor-stats:1 yunshao.dead-letter:1 yunshao.incidents:3
	yunshao.alerts.by-source:6)

die() {
	echo "kafka: $*" >&2
	exit 1
}

java_bin() {
	command -v java >/dev/null || die "java not found (deploy/deps-debian.sh installs it)"
	echo java
}

# The jars plus our compiled admin helper; "complete" is written last, so an
# interrupted fetch is redone rather than half-used. The helper is compiled into a
# directory named after its source's hash: the cache is shared by every checkout
# on the machine, and an older checkout must not replace a newer helper (or the
# reverse) under another's feet.
fetch() {
	local h tmpc
	h=$(sha1sum "$here/YsKafkaAdmin.java" | cut -c1-12)
	classes=$cache/classes-$h
	if [ -f "$cache/complete" ] && [ -f "$classes/YsKafkaAdmin.class" ]; then
		return 0
	fi
	command -v mvn >/dev/null || die "mvn not found (deploy/deps-debian.sh installs maven)"
	command -v javac >/dev/null || die "javac not found (deploy/deps-debian.sh installs default-jdk-headless)"
	mkdir -p "$cache"
	if [ ! -f "$cache/complete" ]; then
		echo "kafka: fetching Apache Kafka $version from Maven Central into $cache" >&2
		rm -rf "$cache/libs"
		# -o first: a warm ~/.m2 needs no network at all
		if ! mvn -o -q -B -f "$here/pom.xml" -Dkafka.version="$version" \
			dependency:copy-dependencies -DincludeScope=runtime \
			-DoutputDirectory="$cache/libs" >/dev/null 2>&1; then
			mvn -q -B -f "$here/pom.xml" -Dkafka.version="$version" \
				dependency:copy-dependencies -DincludeScope=runtime \
				-DoutputDirectory="$cache/libs" >&2 ||
				die "mvn could not fetch kafka_2.13 $version (is Maven Central reachable?)"
		fi
		ls "$cache/libs"/kafka_2.13-"$version".jar >/dev/null 2>&1 ||
			die "kafka_2.13-$version.jar missing after mvn"
		touch "$cache/complete"
	fi
	if [ ! -f "$classes/YsKafkaAdmin.class" ]; then
		tmpc=$(mktemp -d "$cache/classes-tmp.XXXXXX")
		javac -nowarn -cp "$cache/libs/*" -d "$tmpc" "$here/YsKafkaAdmin.java" ||
			die "javac YsKafkaAdmin.java failed"
		# rename is atomic; a concurrent start that won the race already has it
		mv -T "$tmpc" "$classes" 2>/dev/null || rm -rf "$tmpc"
	fi
}

pid_alive() {
	[ -f "$pidfile" ] || return 1
	local pid
	pid=$(cat "$pidfile" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# a stale pid file may name an unrelated process after a reboot
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $dir/server.properties"
}

port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A throw-away CA with one server (127.0.0.1) and one client certificate, for tests.
make_tls() {
	local t=$dir/tls
	[ -s "$t/server.pem" ] && return 0
	command -v openssl >/dev/null || die "openssl not found"
	mkdir -p "$t"
	(
		cd "$t"
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 \
			-subj "/CN=yunshao test CA"
		for who in server client; do
			openssl req -newkey rsa:2048 -nodes -keyout "$who.key" -out "$who.csr" \
				-subj "/CN=$([ $who = server ] && echo 127.0.0.1 || echo yunshao-sensor)"
			printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$who.ext"
			openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
				-out "$who.crt" -days 3650 -extfile "$who.ext"
			# Kafka's PEM keystore: unencrypted PKCS#8 key, then the certificate
			openssl pkcs8 -topk8 -nocrypt -in "$who.key" -out "$who.p8"
			cat "$who.p8" "$who.crt" >"$who.pem"
		done
	) >"$dir/tls.log" 2>&1 || die "making test certificates failed; see $dir/tls.log"
}

write_config() {
	mkdir -p "$dir/data"
	cat >"$dir/server.properties" <<-EOF
		# generated by deploy/kafka/kafka.sh; rewritten on every start
		process.roles=broker,controller
		node.id=1
		controller.quorum.voters=1@127.0.0.1:$cport
		listeners=$listener://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
		advertised.listeners=$listener://127.0.0.1:$port
		controller.listener.names=CONTROLLER
		inter.broker.listener.name=$listener
		listener.security.protocol.map=$listener:$listener,CONTROLLER:PLAINTEXT
		log.dirs=$dir/data
		# topics are created explicitly, so a typo in a topic name is an error, not a new topic
		auto.create.topics.enable=false
		num.partitions=1
		default.replication.factor=1
		min.insync.replicas=1
		offsets.topic.replication.factor=1
		offsets.topic.num.partitions=6
		transaction.state.log.replication.factor=1
		transaction.state.log.min.isr=1
		share.coordinator.state.topic.replication.factor=1
		share.coordinator.state.topic.min.isr=1
		group.initial.rebalance.delay.ms=0
		log.retention.hours=168
		num.network.threads=2
		num.io.threads=2
	EOF
	if [ -n "$sasl" ]; then
		local jaas
		if [ "$sasl_mech" = PLAIN ]; then
			jaas="listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"$sasl_user\" password=\"$sasl_pass\" user_$sasl_user=\"$sasl_pass\";"
		else
			jaas="listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$sasl_user\" password=\"$sasl_pass\";"
		fi
		cat >>"$dir/server.properties" <<-EOF
			sasl.enabled.mechanisms=$sasl_mech
			sasl.mechanism.inter.broker.protocol=$sasl_mech
			$jaas
		EOF
	fi
	if [ -n "$tls" ]; then
		cat >>"$dir/server.properties" <<-EOF
			ssl.keystore.type=PEM
			ssl.keystore.location=$dir/tls/server.pem
			ssl.truststore.type=PEM
			ssl.truststore.location=$dir/tls/ca.pem
			ssl.client.auth=required
		EOF
	fi
	cat >"$dir/log4j2.properties" <<-'EOF'
		status = warn
		appender.out.type = Console
		appender.out.name = out
		appender.out.layout.type = PatternLayout
		appender.out.layout.pattern = [%d] %p %m (%c)%n
		rootLogger.level = info
		rootLogger.appenderRef.out.ref = out
		logger.kafka.name = kafka
		logger.kafka.level = info
		logger.state.name = state.change.logger
		logger.state.level = warn
		logger.raft.name = org.apache.kafka.raft
		logger.raft.level = warn
	EOF
}

start() {
	fetch
	local java
	java=$(java_bin)
	if pid_alive; then
		echo "kafka: already running (pid $(cat "$pidfile"), port $port)" >&2
	else
		port_open "$port" && die "port $port is in use by another process (set YS_KAFKA_PORT)"
		port_open "$cport" && die "controller port $cport is in use (set YS_KAFKA_PORT)"
		[ -n "$tls" ] && make_tls
		write_config
		local cp="$cache/libs/*"
		if [ ! -f "$dir/data/meta.properties" ]; then
			# a Kafka Uuid: 16 random bytes, base64url without padding
			local cid format_args=()
			# SASL mode: the SCRAM user exists from the first start (KIP-900)
			[ -n "$sasl" ] && [ "$sasl_mech" != PLAIN ] &&
				format_args=(--add-scram "SCRAM-SHA-512=[name=$sasl_user,password=$sasl_pass]")
			# (never starting with '-': the format tool would read it as an option,
			# which is why Kafka's own Uuid.randomUuid() avoids such ids too)
			cid=-
			while [ "${cid#-}" != "$cid" ]; do
				cid=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
			done
			"$java" -Xmx256m -cp "$cp" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
				kafka.tools.StorageTool format -t "$cid" -c "$dir/server.properties" \
				"${format_args[@]}" \
				>"$dir/format.log" 2>&1 || {
				cat "$dir/format.log" >&2
				die "formatting KRaft storage in $dir/data failed"
			}
		fi
		# setsid: the broker outlives this script and the caller's terminal signals
		setsid "$java" -Xms128m -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
			-Djava.awt.headless=true -Dlog4j2.configurationFile="$dir/log4j2.properties" \
			-cp "$cp" kafka.Kafka "$dir/server.properties" \
			>>"$dir/kafka.log" 2>&1 </dev/null &
		echo $! >"$pidfile"
	fi
	local specs=()
	for t in "${TOPICS[@]}"; do specs+=("$t"); done
	if ! "$java" -Xmx128m -cp "$classes:$cache/libs/*" \
		-Dlog4j2.level=warn \
		YsKafkaAdmin ready "$bootstrap" "$wait_s" "${specs[@]}" 2>"$dir/admin.log" >/dev/null; then
		grep -v -e '^\[' -e '^\s' "$dir/admin.log" | tail -n 3 >&2 || true
		pid_alive || { tail -n 20 "$dir/kafka.log" >&2; die "broker exited; see $dir/kafka.log"; }
		die "broker did not become ready; see $dir/kafka.log"
	fi
	echo "kafka: ready on $bootstrap (pid $(cat "$pidfile"), dir $dir)"
}

stop() {
	if ! pid_alive; then
		rm -f "$pidfile"
		echo "kafka: not running ($dir)"
		return 0
	fi
	local pid i
	pid=$(cat "$pidfile")
	kill -TERM "$pid"
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "kafka: pid $pid ignored SIGTERM for 30 s; SIGKILL" >&2
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.2
	fi
	rm -f "$pidfile"
	echo "kafka: stopped (pid $pid)"
}

status() {
	if pid_alive && port_open "$port"; then
		echo "kafka: running pid $(cat "$pidfile") port $port dir $dir"
		return 0
	fi
	echo "kafka: not running (port $port, dir $dir)"
	return 1
}

topics() {
	fetch
	"$(java_bin)" -Xmx128m -cp "$classes:$cache/libs/*" -Dlog4j2.level=warn \
		YsKafkaAdmin list "$bootstrap" 2>/dev/null
}

case "${1:-}" in
fetch) fetch && echo "kafka: $version cached in $cache" ;;
start) start ;;
stop) stop ;;
status) status ;;
topics) topics ;;
*)
	echo "usage: $0 {fetch|start|stop|status|topics}" >&2
	exit 2
	;;
esac
