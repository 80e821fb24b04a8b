package dev.skein.broker.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.RecordMetadata;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Subscribe streams read the log into arrays their pump reuses from one response to the next
 * (ReadArena), trusting gRPC to have copied a response before {@code onNext} returns. If a
 * buffer were reused while a response still referred to it, a consumer would get another
 * read's bytes. Several subscribers share the broker's two pump threads here while a producer
 * writes, retention deletes segments under them, and the broker restarts; every record each of
 * them reads must be exactly the one written at its key.
 */
class SubscribeBufferReuseTest {

  private static final String TOPIC = "reuse";
  private static final int PARTITIONS = 3;
  private static final int RECORDS = 20_000;

  @TempDir
  Path dir;

  @Test
  void everyRecordServedFromReusedBuffersIsTheOneWritten() throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 1)) {
      cluster.admin().createTopic(NewTopic.of(TOPIC, PARTITIONS, 1).withConfigs(Map.of(
          "segment.bytes", "65536", "retention.bytes", "524288")));

      // Readers start before the writer, so they follow the log's end while it grows and rolls.
      List<CompletableFuture<Integer>> readers = IntStream.range(0, 3)
          .mapToObj(i -> CompletableFuture.supplyAsync(() -> readToTheEnd(cluster, RECORDS - 1)))
          .toList();
      Map<Integer, Integer> lastKeyByPartition = produceAll(cluster);
      for (CompletableFuture<Integer> reader : readers) {
        assertThat(reader.get(90, TimeUnit.SECONDS)).as("records one reader checked").isGreaterThan(1_000);
      }
      assertThat(lastKeyByPartition).hasSize(PARTITIONS);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(IntStream.range(0, PARTITIONS)
          .mapToLong(p -> cluster.broker(1).replicas().partition(TOPIC, p).orElseThrow().logStartOffset()).min()
          .orElseThrow()).as("log start after retention").isPositive());

      // Retention has deleted the oldest segments by now; readers from the earliest offset left,
      // after a restart, check what remains.
      cluster.stopBroker(1);
      cluster.startBroker(1);
      cluster.awaitReady();
      List<CompletableFuture<Integer>> late = IntStream.range(0, 2)
          .mapToObj(i -> CompletableFuture.supplyAsync(() -> readToTheEnd(cluster, RECORDS - 1)))
          .toList();
      for (CompletableFuture<Integer> reader : late) {
        assertThat(reader.get(90, TimeUnit.SECONDS)).isGreaterThan(PARTITIONS * 8);
      }
    }
  }

  /** Writes RECORDS keyed records; returns, per partition, the key index written there last. */
  private static Map<Integer, Integer> produceAll(TestCluster cluster) {
    Map<Integer, Integer> last = new ConcurrentHashMap<>();
    try (SkeinProducer producer = cluster.producer(Map.of("acks", "1", "linger.ms", "2"))) {
      List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < RECORDS; i++) {
        int index = i;
        sent.add(producer.send(ProducerRecord.of(TOPIC, key(i), value(i)),
            (meta, error) -> {
              if (meta != null) {
                last.merge(meta.topicPartition().partition(), index, Math::max);
              }
            }));
      }
      producer.flush();
      sent.forEach(CompletableFuture::join);
    }
    return last;
  }

  /**
   * Reads every partition from its earliest offset until the record with key index {@code lastIndex}
   * and the end of every other partition have been seen, checking each record against its key.
   *
   * @return how many records were checked
   */
  private static int readToTheEnd(TestCluster cluster, int lastIndex) {
    List<TopicPartition> partitions = IntStream.range(0, PARTITIONS).mapToObj(p -> new TopicPartition(TOPIC, p))
        .toList();
    try (SkeinConsumer consumer = cluster.consumer(Map.of("auto.offset.reset", "earliest",
        "max.partition.fetch.bytes", "65536"))) {
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      int checked = 0;
      boolean sawLast = false;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(80);
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord record : consumer.poll(Duration.ofMillis(200))) {
          int index = Integer.parseInt(new String(record.key(), StandardCharsets.US_ASCII).substring(1));
          assertThat(record.value()).as("value of key %d at %s offset %d", index, record.topicPartition(),
              record.offset()).isEqualTo(value(index));
          sawLast |= index == lastIndex;
          checked++;
        }
        if (sawLast && caughtUp(consumer, partitions)) {
          return checked;
        }
      }
      throw new AssertionError("reader did not reach the end within 80 s; it checked " + checked + " records");
    }
  }

  private static boolean caughtUp(SkeinConsumer consumer, List<TopicPartition> partitions) {
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
    return partitions.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp));
  }

  private static byte[] key(int index) {
    return ("k" + index).getBytes(StandardCharsets.US_ASCII);
  }

  /** A value of 64 to 1,563 bytes whose every byte depends on the key index and its position. */
  private static byte[] value(int index) {
    byte[] value = new byte[64 + (index * 37) % 1_500];
    for (int j = 0; j < value.length; j++) {
      value[j] = (byte) (index * 31 + j * 7 + (j >> 8));
    }
    return value;
  }
}
