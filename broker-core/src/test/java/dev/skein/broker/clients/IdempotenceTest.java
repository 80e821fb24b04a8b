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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An idempotent producer's retries never store a record twice: not when the broker appended a
 * batch but its answer came too late, and not when the leader that appended it died.
 */
class IdempotenceTest {

  @TempDir
  Path dir;

  @Test
  void aRetryAfterALateAnswerIsStoredOnce() {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      int leader = cluster.admin().createTopic(NewTopic.of("idem", 1, 3)).partition(0).leader();
      // The leader appends and replicates, but its next answers come after the client gave up.
      cluster.broker(leader).produceFaults().delayResponses(2_500, 3);
      SkeinProducer producer = cluster.producer(Map.of("acks", "all", "request.timeout.ms", "1000",
          "retry.backoff.ms", "50", "linger.ms", "5"));
      List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        sent.add(producer.send(ProducerRecord.of("idem", null, "r" + i).withPartition(0)));
      }
      producer.flush();
      sent.forEach(f -> assertThat(f.join().offset()).isGreaterThanOrEqualTo(0));
      assertExactlyOnceInOrder(cluster, "idem", 300);
    }
  }

  @Test
  void aRetryAfterTheLeaderDiedIsStoredOnce() {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      int leader = cluster.admin().createTopic(NewTopic.of("idem-failover", 1, 3)
          .withConfigs(Map.of("min.insync.replicas", "2"))).partition(0).leader();
      SkeinProducer producer = cluster.producer(Map.of("acks", "all", "request.timeout.ms", "3000",
          "retry.backoff.ms", "50", "linger.ms", "5"));
      List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        sent.add(producer.send(ProducerRecord.of("idem-failover", null, "r" + i).withPartition(0)));
      }
      producer.flush();
      // Answers of the next batches never arrive: they are appended and replicated, then the leader dies.
      cluster.broker(leader).produceFaults().delayResponses(60_000, 1_000);
      for (int i = 200; i < 400; i++) {
        sent.add(producer.send(ProducerRecord.of("idem-failover", null, "r" + i).withPartition(0)));
      }
      await().atMost(Duration.ofSeconds(10)).until(() ->
          cluster.broker(leader).replicas().partition("idem-failover", 0).orElseThrow().highWatermark() > 200);
      cluster.stopBrokerAbruptly(leader);
      producer.flush();
      sent.forEach(f -> assertThat(f.join().offset()).isGreaterThanOrEqualTo(0));
      assertExactlyOnceInOrder(cluster, "idem-failover", 400);
    }
  }

  /** Values r0..r(n-1), each exactly once, in order, at offsets 0..n-1. */
  static void assertExactlyOnceInOrder(TestCluster cluster, String topic, int n) {
    SkeinConsumer consumer = cluster.consumer(Map.of("max.poll.records", "1000"));
    TopicPartition tp = new TopicPartition(topic, 0);
    consumer.assign(List.of(tp));
    consumer.seekToBeginning(List.of(tp));
    List<ConsumerRecord> records = new ArrayList<>();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      records.addAll(consumer.poll(Duration.ofMillis(200)));
      return consumer.position(tp) >= consumer.endOffsets(List.of(tp)).get(tp) && records.size() >= n;
    });
    Map<String, Integer> counts = new HashMap<>();
    records.forEach(r -> counts.merge(r.valueString(), 1, Integer::sum));
    assertThat(counts.values()).as("no value is stored twice").allMatch(c -> c == 1);
    assertThat(records).hasSize(n);
    for (int i = 0; i < n; i++) {
      assertThat(records.get(i).offset()).isEqualTo(i);
      assertThat(records.get(i).valueString()).isEqualTo("r" + i);
    }
  }
}
