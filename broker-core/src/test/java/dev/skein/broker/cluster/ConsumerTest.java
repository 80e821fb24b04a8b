package dev.skein.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.client.ConsumerRecord;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java consumer's positions and seeks, against a live cluster. */
class ConsumerTest {

  @TempDir
  static Path dir;
  static TestCluster cluster;
  static final TopicPartition TP = new TopicPartition("positions", 0);

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 1);
    cluster.admin().createTopic(NewTopic.of("positions", 1, 1));
    SkeinProducer producer = cluster.producer(Map.of("linger.ms", "20"));
    for (int i = 0; i < 1_000; i++) {
      // Timestamps 10 ms apart, starting at 1,000,000.
      producer.send(ProducerRecord.of("positions", null, "r" + i).withPartition(0).withTimestamp(1_000_000 + 10L * i));
    }
    producer.flush();
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void positionIsTheNextRecordPollReturnsNotTheFetchPosition() {
    SkeinConsumer consumer = cluster.consumer(Map.of("max.poll.records", "10"));
    consumer.assign(List.of(TP));
    consumer.seekToBeginning(List.of(TP));
    List<ConsumerRecord> first = new ArrayList<>();
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      first.addAll(consumer.poll(Duration.ofMillis(100)));
      return !first.isEmpty();
    });
    assertThat(first).hasSize(10);
    assertThat(consumer.position(TP)).isEqualTo(10);
    assertThat(consumer.poll(Duration.ofMillis(100))).extracting(ConsumerRecord::offset)
        .containsExactly(10L, 11L, 12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L);
    assertThat(consumer.position(TP)).isEqualTo(20);
  }

  @Test
  void seeksToOffsetsEndsAndTimes() {
    SkeinConsumer consumer = cluster.consumer(Map.of("max.poll.records", "1"));
    consumer.assign(List.of(TP));
    consumer.seek(TP, 500);
    assertThat(pollOne(consumer).valueString()).isEqualTo("r500");

    assertThat(consumer.offsetsForTimes(List.of(TP), 1_000_000 + 10L * 250 - 5)).containsEntry(TP, 250L);
    assertThat(consumer.offsetsForTimes(List.of(TP), 1_000_000 + 10L * 999)).containsEntry(TP, 999L);
    assertThat(consumer.offsetsForTimes(List.of(TP), 1_000_000 + 10L * 1000)).doesNotContainKey(TP);
    consumer.seekToTimestamp(List.of(TP), 1_000_000 + 10L * 700);
    assertThat(pollOne(consumer).offset()).isEqualTo(700);

    consumer.seekToEnd(List.of(TP));
    assertThat(consumer.position(TP)).isEqualTo(1_000);
    assertThat(consumer.beginningOffsets(List.of(TP))).containsEntry(TP, 0L);
    assertThat(consumer.endOffsets(List.of(TP))).containsEntry(TP, 1_000L);
  }

  private static ConsumerRecord pollOne(SkeinConsumer consumer) {
    List<ConsumerRecord> got = new ArrayList<>();
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      got.addAll(consumer.poll(Duration.ofMillis(100)));
      return !got.isEmpty();
    });
    return got.get(0);
  }
}
