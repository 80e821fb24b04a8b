#!/usr/bin/env bash
# Prints key,partition pairs from Apache Kafka's own default partitioner, for the golden
# test in client/src/test/java/dev/skein/client/internal/KafkaPartitionPairs.java.
#   bench/kafka-partitions.sh [PARTITIONS] [COUNT]
# Needs Kafka's jars: ../shared/bench/kafka-peer.sh downloads them from Maven Central.
set -euo pipefail
partitions="${1:-13}"; count="${2:-40}"
lib="${KAFKA_PEER_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-peer/${KAFKA_PEER_VERSION:-4.2.0}}/lib"
[ -d "$lib" ] || { echo "no Kafka jars in $lib: run ../shared/bench/kafka-peer.sh topics --version first" >&2; exit 1; }
src=$(mktemp -d)/KafkaPartitions.java
cat > "$src" <<'JAVA'
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
public class KafkaPartitions {
  public static void main(String[] args) {
    int partitions = Integer.parseInt(args[0]);
    int count = Integer.parseInt(args[1]);
    for (int i = 0; i < count; i++) {
      String key = i % 3 == 0 ? "key-" + i : i % 3 == 1 ? "customer-" + (i * 7919) : "order/" + Integer.toHexString(i * 104729);
      int p = BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), partitions);
      System.out.println(key + ", " + p);
    }
  }
}
JAVA
java -cp "$lib/*" "$src" "$partitions" "$count"
