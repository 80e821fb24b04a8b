#!/usr/bin/env bash
# Kafka 4.2's consumer group protocol (KIP-848, group.protocol=consumer) next to Skein's groups, measured as
# GroupBenchmark's "rebalance" does: 3 brokers, topic "moves" with 12 partitions RF=3, a producer writing one
# record to every partition then flushing, over and over, 3 members subscribed with auto.offset.reset=latest;
#   clean close of one member -> the last of its partitions consumed again by another member;
#   crash (SIGKILL) of one member -> likewise, with session timeout 10 s and heartbeat interval 5 s;
#   a new member -> its first record.
# Median of TRIALS (default 3). The load and the measurements are bench/KafkaGroupRebalance.java (a single-file
# program; each member is a child JVM of it, so that a crash really stops the client's heartbeat thread).
#
#   bench/kafka-group-rebalance.sh [TRIALS]
#
# Kafka is ../shared/bench/kafka-peer.sh's 3-node KRaft cluster (ports 19092-19094, controllers 19192-19194),
# in a run directory of its own. kafka-peer.sh has no way to pass broker properties, so the brokers are
# stopped once after it started them, the group settings below are appended to their server.properties and
# they are started again the same way. The consumer protocol's session timeout may not go below
# group.consumer.min.session.timeout.ms, 45 s by default, hence the lower floor.
# KEEP=1 keeps the run directory (member logs) and leaves Kafka running.
set -euo pipefail
trials="${1:-3}"
here="$(cd "$(dirname "$0")" && pwd)"
peer="${KAFKA_PEER_SCRIPT:-$here/../../shared/bench/kafka-peer.sh}"
[ -x "$peer" ] || peer=/work/shared/bench/kafka-peer.sh
version="${KAFKA_PEER_VERSION:-4.2.0}"
lib="${KAFKA_PEER_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-peer/$version}/lib"
heap="${KAFKA_PEER_HEAP:-1G}"
run=$(mktemp -d "${TMPDIR:-/tmp}/kafka-groups-XXXX")
export KAFKA_PEER_RUN="$run/peer"

for port in 19092 19093 19094 19192 19193 19194; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is taken (another kafka-peer.sh cluster?); not starting" >&2; rm -rf "$run"; exit 1
  fi
done
cleanup() { "$peer" stop >/dev/null 2>&1 || true; rm -rf "$run"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT

"$peer" start 3
boot=$("$peer" bootstrap)
log4j="$KAFKA_PEER_RUN/log4j2.properties"
java_kafka() { java -Dlog4j2.configurationFile="$log4j" -cp "$lib/*" "$@"; }

# Restart with the group settings (same command line as kafka-peer.sh, same data).
for d in "$KAFKA_PEER_RUN"/node*; do kill "$(cat "$d/pid")"; done
for d in "$KAFKA_PEER_RUN"/node*; do
  for _ in $(seq 1 60); do kill -0 "$(cat "$d/pid")" 2>/dev/null || break; sleep 1; done
  kill -9 "$(cat "$d/pid")" 2>/dev/null || true
  cat >> "$d/server.properties" <<PROPS
group.consumer.min.session.timeout.ms=10000
group.consumer.session.timeout.ms=10000
group.consumer.heartbeat.interval.ms=5000
PROPS
done
for d in "$KAFKA_PEER_RUN"/node*; do
  nohup java -Xmx"$heap" -Xms"$heap" -XX:+UseG1GC -Dlog4j2.configurationFile="$log4j" -cp "$lib/*" \
    kafka.Kafka "$d/server.properties" >> "$d/broker.log" 2>&1 &
  echo $! > "$d/pid"; disown $!
done
up=""
for _ in $(seq 1 180); do
  if [ "$(java_kafka org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server "$boot" 2>/dev/null \
      | grep -c '^127.0.0.1:')" -ge 3 ]; then up=1; break; fi
  sleep 1
done
[ -n "$up" ] || { echo "kafka did not come back; see $KAFKA_PEER_RUN/node*/broker.log" >&2; exit 1; }
echo "restarted with: $(java_kafka kafka.admin.ConfigCommand --bootstrap-server "$boot" --describe \
  --entity-type brokers --entity-name 1 --all 2>/dev/null \
  | awk '$1 ~ /^group\.consumer\.(min\.session\.timeout|session\.timeout|heartbeat\.interval)\.ms=/ {printf "%s ", $1}')"

"$peer" topics --create --topic moves --partitions 12 --replication-factor 3 >/dev/null
mkdir -p "$run/logs"
java -Xmx1G -Dlog4j2.configurationFile="$log4j" -cp "$lib/*" "$here/KafkaGroupRebalance.java" \
  run "$here/KafkaGroupRebalance.java" "$boot" moves "$trials" "$run/logs"
