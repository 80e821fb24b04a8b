#!/usr/bin/env bash
# Apache Kafka's log cleaner on the data that Skein's CleanerBenchmark cleans, for a side-by-side figure:
# KEYS distinct keys, each written WRITES_PER_KEY times in random order (seed 42), VALUE_BYTES-byte values,
# uncompressed, 128 MiB segments, one partition, a 128 MiB dedupe buffer (Kafka's default, and the size
# given to CleanerBenchmark). Prints the cleaner's own statistics line (MB of log processed per second).
#
#   bench/kafka-cleaner.sh [KEYS] [WRITES_PER_KEY] [VALUE_BYTES]
#
# Runs its own single Kafka node on ports 39092/39192 with data under ${TMPDIR:-/tmp}, so it does not
# disturb a kafka-peer.sh cluster. Needs Kafka's jars: ../shared/bench/kafka-peer.sh downloads them.
set -euo pipefail
keys="${1:-1000000}"; writes="${2:-2}"; value_bytes="${3:-1024}"
lib="${KAFKA_PEER_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-peer/${KAFKA_PEER_VERSION:-4.2.0}}/lib"
[ -d "$lib" ] || { echo "no Kafka jars in $lib: run ../shared/bench/kafka-peer.sh topics --version first" >&2; exit 1; }
run=$(mktemp -d "${TMPDIR:-/tmp}/kafka-cleaner-XXXX")
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; sleep 1; [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$run"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT

cat > "$run/log4j2.properties" <<'PROPS'
rootLogger.level=WARN
rootLogger.appenderRef.o.ref=o
appender.o.type=File
appender.o.name=o
appender.o.fileName=${sys:cleaner.log}
appender.o.layout.type=PatternLayout
appender.o.layout.pattern=[%d] %p %m (%c)%n
logger.cleaner.name=org.apache.kafka.storage.internals.log.LogCleaner$CleanerThread
logger.cleaner.level=INFO
PROPS
cat > "$run/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:39192
listeners=PLAINTEXT://127.0.0.1:39092,CONTROLLER://127.0.0.1:39192
advertised.listeners=PLAINTEXT://127.0.0.1:39092
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$run/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=134217728
log.cleaner.backoff.ms=1000
PROPS
# Kafka's jars resolve slf4j-api 1.7, which finds no binding for log4j2's slf4j2 bridge and drops every log
# line, the cleaner's statistics included: slf4j-api 2 goes first on the class path.
mvn -q -B dependency:copy -Dartifact=org.slf4j:slf4j-api:2.0.17 -DoutputDirectory="$run/slf4j" >&2
cp="$run/slf4j/*:$lib/*"
java_kafka() { java -Dlog4j2.configurationFile="$run/log4j2.properties" -Dcleaner.log="$run/tools.log" -cp "$cp" "$@"; }
java_kafka kafka.tools.StorageTool format -t "$(java_kafka kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)" \
  -c "$run/server.properties" >/dev/null 2>&1
echo "kafka run directory: $run"
java -Xmx1G -Xms1G -XX:+UseG1GC -Dlog4j2.configurationFile="$run/log4j2.properties" -Dcleaner.log="$run/kafka.log" \
  -cp "$cp" kafka.Kafka "$run/server.properties" > "$run/stdout.log" 2>&1 &
pid=$!
topics() { java_kafka org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:39092 "$@"; }
configs() { java_kafka kafka.admin.ConfigCommand --bootstrap-server 127.0.0.1:39092 "$@"; }
for _ in $(seq 1 60); do topics --list >/dev/null 2>&1 && break; sleep 1; done
kill -0 "$pid" 2>/dev/null || { echo "kafka did not start (port 39092 taken?); see $run/stdout.log" >&2; exit 1; }
# Written as a plain topic, so that nothing is cleaned before the whole log is there.
topics --create --topic bench --partitions 1 --replication-factor 1 --config segment.bytes=134217728 >/dev/null

cat > "$run/KeyedLoad.java" <<'JAVA'
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
/** The same keys in the same order as Skein's CleanerBenchmark (Random(42) shuffle of key i % keys). */
public class KeyedLoad {
  public static void main(String[] args) throws Exception {
    int keys = Integer.parseInt(args[0]), writes = Integer.parseInt(args[1]), valueBytes = Integer.parseInt(args[2]);
    Random random = new Random(42);
    byte[] value = new byte[valueBytes];
    random.nextBytes(value);
    int[] order = new int[keys * writes];
    for (int i = 0; i < order.length; i++) order[i] = i % keys;
    for (int i = order.length - 1; i > 0; i--) { int j = random.nextInt(i + 1); int t = order[i]; order[i] = order[j]; order[j] = t; }
    Properties props = new Properties();
    props.put("bootstrap.servers", "127.0.0.1:39092");
    props.put("acks", "1");
    props.put("linger.ms", "20");
    props.put("batch.size", String.valueOf(100 * (valueBytes + 40)));
    props.put("enable.idempotence", "false");
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      for (int k : order) producer.send(new ProducerRecord<>("bench", 0, "key-" + k, value));
      producer.flush();
    }
  }
}
JAVA
echo "loading $((keys * writes)) records of $value_bytes B over $keys keys..."
java -cp "$cp" -Dlog4j2.configurationFile="$run/log4j2.properties" -Dcleaner.log="$run/tools.log" \
  "$run/KeyedLoad.java" "$keys" "$writes" "$value_bytes"
# A last record in a fresh segment makes every segment written above cleanable, as in CleanerBenchmark.
configs --alter --entity-type topics --entity-name bench --add-config segment.ms=1000 >/dev/null
sleep 2
echo "key-0:x" | java_kafka org.apache.kafka.tools.ConsoleProducer --bootstrap-server 127.0.0.1:39092 --topic bench \
  --property parse.key=true --property key.separator=: >/dev/null
du -sh "$run/data/bench-0"
configs --alter --entity-type topics --entity-name bench \
  --add-config cleanup.policy=compact,min.cleanable.dirty.ratio=0.01,segment.ms=604800000 >/dev/null
for _ in $(seq 1 600); do grep -q "MB/sec" "$run/kafka.log" 2>/dev/null && break; sleep 1; done
sleep 1
grep -A12 "cleaned log" "$run/kafka.log" | sed 's/^/kafka cleaner: /' || { echo "no cleaner statistics; see $run" >&2; exit 1; }
du -sh "$run/data/bench-0"
