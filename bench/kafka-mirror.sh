#!/usr/bin/env bash
# Kafka 4.2's MirrorMaker 2 next to Skein's mirror links (MirrorBenchmark), measured the same way:
# two local Kafka clusters A and B (BROKERS combined broker+controller nodes each, default 3), a topic
# "bench" on A with 6 partitions RF=min(3,BROKERS), MirrorMaker 2 in dedicated mode
# (org.apache.kafka.connect.mirror.MirrorMaker, what connect-mirror-maker.sh runs) copying A -> B.
#
#   bench/kafka-mirror.sh [BACKLOG_RECORDS] [RATE] [SECONDS] [BROKERS]     defaults 100000 3000 20 3
#
# 1. catch-up: BACKLOG_RECORDS records of 1 KiB are produced at A before MirrorMaker 2 starts (Skein: the
#    link is paused meanwhile); then MirrorMaker 2 is launched and the destination read until it has them
#    all. Throughput = bytes / (last - first destination append time), i.e. MirrorMaker 2's start-up
#    (worker, group join, task start) is left out, as Skein's resume of an already running link has none;
#    the figure with the start-up included is printed too.
# 2. steady state: RATE records/s for SECONDS s at A while MirrorMaker 2 runs; per record, lag =
#    destination append time - creation time at the producer. The destination topic (A.bench on B) is
#    created beforehand with message.timestamp.type=LogAppendTime, so a record's timestamp there is the
#    instant its destination leader appended it (Skein: the destination leader's log end passing it).
#    The creation time travels in the value's first 8 bytes.
# The load and the measurements are bench/KafkaMirrorProbe.java (run as a single-file program).
#
# Environment: MM2_TASKS (tasks.max, default 1 = MirrorMaker 2's default), KAFKA_MIRROR_HEAP (per broker,
# default 1G), KEEP=1 keeps the run directory and processes for a look afterwards.
# Ports: A 39501-3 (controllers 39511-3), B 39521-3 (controllers 39531-3); data under ${TMPDIR:-/tmp}.
# Needs Kafka's jars (../shared/bench/kafka-peer.sh downloads them); connect-mirror, connect-mirror-client
# and slf4j-api 2 are copied from Maven into the run directory (slf4j-api 2 goes first on the class path:
# with Kafka's slf4j-api 1.7 every log line is dropped, see bench/kafka-cleaner.sh).
set -euo pipefail
backlog="${1:-100000}"; rate="${2:-3000}"; seconds="${3:-20}"; brokers="${4:-3}"
tasks="${MM2_TASKS:-1}"; heap="${KAFKA_MIRROR_HEAP:-1G}"
version="${KAFKA_PEER_VERSION:-4.2.0}"
lib="${KAFKA_PEER_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-peer/$version}/lib"
[ -d "$lib" ] || { echo "no Kafka jars in $lib: run ../shared/bench/kafka-peer.sh topics --version first" >&2; exit 1; }
here="$(cd "$(dirname "$0")" && pwd)"
run=$(mktemp -d "${TMPDIR:-/tmp}/kafka-mirror-XXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 2
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$run"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT

for a in connect-mirror connect-mirror-client; do
  mvn -q -B dependency:copy -Dartifact=org.apache.kafka:$a:$version -DoutputDirectory="$run/extra" >&2
done
mvn -q -B dependency:copy -Dartifact=org.slf4j:slf4j-api:2.0.17 -DoutputDirectory="$run/extra" >&2
cp="$run/extra/*:$lib/*"
cat > "$run/log4j2.properties" <<'PROPS'
rootLogger.level=WARN
rootLogger.appenderRef.o.ref=o
appender.o.type=File
appender.o.name=o
appender.o.fileName=${sys:mirror.log}
appender.o.layout.type=PatternLayout
appender.o.layout.pattern=[%d] %p %m (%c)%n
PROPS
java_kafka() { java -Dlog4j2.configurationFile="$run/log4j2.properties" -Dmirror.log="$run/tools.log" -cp "$cp" "$@"; }

rf=$(( brokers < 3 ? brokers : 3 ))
bootstrap() { local base=$1 s=""; for i in $(seq 0 $((brokers-1))); do s="$s${s:+,}127.0.0.1:$((base+i))"; done; echo "$s"; }
A=$(bootstrap 39501); B=$(bootstrap 39521)

start_cluster() { # name client_base controller_base
  local name=$1 cbase=$2 qbase=$3 voters="" id
  for i in $(seq 0 $((brokers-1))); do voters="$voters${voters:+,}$((i+1))@127.0.0.1:$((qbase+i))"; done
  id=$(java_kafka kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
  for i in $(seq 0 $((brokers-1))); do
    local d="$run/$name$i"; mkdir -p "$d"
    cat > "$d/server.properties" <<PROPS
process.roles=broker,controller
node.id=$((i+1))
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$((cbase+i)),CONTROLLER://127.0.0.1:$((qbase+i))
advertised.listeners=PLAINTEXT://127.0.0.1:$((cbase+i))
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$d/data
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
# a loaded 2-core machine: the default 60 s to register with the controller quorum is not always enough
initial.broker.registration.timeout.ms=300000
PROPS
    java_kafka kafka.tools.StorageTool format -t "$id" -c "$d/server.properties" >/dev/null 2>&1
    java -Xmx"$heap" -Xms256M -XX:+UseG1GC -Dlog4j2.configurationFile="$run/log4j2.properties" \
      -Dmirror.log="$d/kafka.log" -cp "$cp" kafka.Kafka "$d/server.properties" > "$d/stdout.log" 2>&1 &
    pids+=($!)
  done
}
topics() { local b=$1; shift; java_kafka org.apache.kafka.tools.TopicCommand --bootstrap-server "$b" "$@"; }
wait_up() {
  for _ in $(seq 1 300); do
    # every broker registered: the topic tool sees the cluster and all BROKERS nodes answer
    if topics "$1" --list >/dev/null 2>&1 && [ "$(java_kafka org.apache.kafka.tools.BrokerApiVersionsCommand \
        --bootstrap-server "$1" 2>/dev/null | grep -c '^127.0.0.1:')" -ge "$brokers" ]; then return 0; fi
    sleep 1
  done
  echo "cluster at $1 did not come up (ports taken?); see $run" >&2; exit 1
}
echo "kafka $version: two clusters of $brokers node(s), heap $heap each; run directory $run"
start_cluster a 39501 39511; wait_up "$A"
start_cluster b 39521 39531; wait_up "$B"
topics "$A" --create --topic bench --partitions 6 --replication-factor "$rf" >/dev/null
topics "$B" --create --topic A.bench --partitions 6 --replication-factor "$rf" \
  --config message.timestamp.type=LogAppendTime >/dev/null

probe() { java -Xmx1G -Dlog4j2.configurationFile="$run/log4j2.properties" -Dmirror.log="$run/probe.log" \
  -cp "$cp" "$here/KafkaMirrorProbe.java" "$@"; }
probe load "$A" bench "$backlog"

cat > "$run/mm2.properties" <<PROPS
clusters = A, B
A.bootstrap.servers = $A
B.bootstrap.servers = $B
A->B.enabled = true
A->B.topics = bench
B->A.enabled = false
tasks.max = $tasks
replication.factor = $rf
checkpoints.topic.replication.factor = $rf
heartbeats.topic.replication.factor = $rf
offset-syncs.topic.replication.factor = $rf
offset.storage.replication.factor = $rf
status.storage.replication.factor = $rf
config.storage.replication.factor = $rf
sync.topic.acls.enabled = false
PROPS
launch=$(date +%s%3N)
# connect-mirror-maker.sh: KAFKA_HEAP_OPTS="-Xms256M -Xmx2G", then MirrorMaker with the properties file.
java -Xms256M -Xmx2G -XX:+UseG1GC -Dlog4j2.configurationFile="$run/log4j2.properties" -Dmirror.log="$run/mm2.log" \
  -cp "$cp" org.apache.kafka.connect.mirror.MirrorMaker "$run/mm2.properties" --clusters B > "$run/mm2.out" 2>&1 &
mm2=$!; pids+=($mm2)
echo "MirrorMaker 2 (dedicated, tasks.max=$tasks) started from A to B"
probe catchup "$B" A.bench "$backlog" "$launch" &
catchup=$!; pids+=($catchup)
while kill -0 "$catchup" 2>/dev/null; do
  kill -0 "$mm2" 2>/dev/null || { echo "MirrorMaker 2 exited; see $run/mm2.out, $run/mm2.log" >&2; cat "$run/mm2.out" >&2; exit 1; }
  sleep 1
done
wait "$catchup"
probe steady "$A" bench "$B" A.bench "$rate" "$seconds"
