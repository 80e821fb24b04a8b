package dev.skein.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.CodedInputStream;
import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.replica.Partition;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.Compression;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.RecordSet;
import dev.skein.rpc.RecordCompression;
import dev.skein.storage.log.LogReadResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cleanup.policy=compact on a replicated partition: every replica compacts its own log, offsets stay where
 * they were written, replicas agree record for record, and consumers read the compacted log (gaps, emptied
 * batches, compressed batches) to each key's last value, tombstones included.
 */
class CompactionTest {

  private static final String TOPIC = "compacted";
  private static final TopicPartition TP = new TopicPartition(TOPIC, 0);

  @TempDir
  Path dir;

  /** A record as a replica stores it. */
  record Stored(long offset, String key, String value) {}

  @Test
  void everyReplicaCompactsAndTheyAgreeRecordForRecord() {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      cluster.admin().createTopic(NewTopic.of(TOPIC, 1, 3).withConfigs(Map.of("cleanup.policy", "compact",
          "segment.bytes", "4096", "min.cleanable.dirty.ratio", "0.1")));
      SkeinProducer producer = cluster.producer(Map.of("acks", "all", "linger.ms", "5", "compression.type", "lz4"));
      Map<String, String> latest = new HashMap<>();
      for (int i = 0; i < 1500; i++) {
        String key = "key-" + (i % 40);
        String value = i % 17 == 0 ? null : "value-" + i + "-" + "x".repeat(40);
        producer.send(ProducerRecord.of(TOPIC, key, value).withPartition(0));
        if (value == null) {
          latest.remove(key);
        } else {
          latest.put(key, value);
        }
      }
      producer.flush();

      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        List<List<Stored>> replicas = new ArrayList<>();
        for (int id : cluster.admin().describeTopic(TOPIC).partition(0).replicas()) {
          List<Stored> stored = stored(ReplicaChecks.replica(cluster, id, TOPIC, 0));
          assertThat(stored.size()).as("records left on broker %d", id).isLessThan(500);
          replicas.add(stored);
        }
        assertThat(replicas.get(1)).isEqualTo(replicas.get(0));
        assertThat(replicas.get(2)).isEqualTo(replicas.get(0));
      });

      // A consumer from the start sees each key's last value (or its tombstone) at its original offset.
      SkeinConsumer consumer = cluster.consumer(Map.of("auto.offset.reset", "earliest"));
      consumer.assign(List.of(TP));
      consumer.seekToBeginning(List.of(TP));
      Map<String, String> read = new HashMap<>();
      long[] previous = {-1};
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
          assertThat(r.offset()).isGreaterThan(previous[0]);
          previous[0] = r.offset();
          if (r.value() == null) {
            read.remove(r.keyString());
          } else {
            assertThat(r.valueString()).startsWith("value-" + r.offset() + "-");
            read.put(r.keyString(), r.valueString());
          }
        }
        return consumer.position(TP) >= 1500;
      });
      assertThat(read).isEqualTo(latest);
    }
  }

  /** Every record the replica stores below its high watermark, decoded with the stock protobuf classes. */
  private static List<Stored> stored(Partition replica) throws IOException {
    List<Stored> out = new ArrayList<>();
    long offset = replica.logStartOffset();
    long hw = replica.highWatermark();
    while (offset < hw) {
      LogReadResult chunk = replica.readLocal(offset, 1 << 20, hw);
      if (chunk.isEmpty()) {
        break;
      }
      CodedInputStream in = CodedInputStream.newInstance(chunk.entries().duplicate());
      while (in.readTag() != 0) {
        RecordBatch batch = RecordBatch.parseFrom(in.readBytes());
        RecordSet set = RecordSet.parseFrom(RecordCompression.decompress(
            Compression.forNumber(batch.getCompressionValue()), batch.getRecords()));
        for (Record r : set.getRecordsList()) {
          out.add(new Stored(batch.getBaseOffset() + r.getOffsetDelta(), r.getKey().toStringUtf8(),
              r.hasValue() ? r.getValue().toStringUtf8() : null));
        }
      }
      offset = chunk.nextOffset();
    }
    return out;
  }
}
