package dev.skein.broker.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.Header;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every codec round-trips through a broker, which stores batches as compressed; codecs mix freely. */
class CompressionTest {

  private static final List<String> CODECS = List.of("none", "gzip", "snappy", "lz4", "zstd");

  @TempDir
  static Path dir;
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 1);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
  void eachCodecRoundTrips(String codec) {
    String topic = "codec-" + codec;
    cluster.admin().createTopic(NewTopic.of(topic, 1, 1));
    send(topic, codec, 0, 500);
    List<ConsumerRecord> read = readAll(topic, 500);
    for (int i = 0; i < 500; i++) {
      assertRecord(read.get(i), i);
    }
    long stored = cluster.broker(1).replicas().partition(topic, 0).orElseThrow().logEndOffset();
    assertThat(stored).isEqualTo(500);
  }

  @Test
  void mixedCodecsInOnePartitionReadBackInOrder() {
    cluster.admin().createTopic(NewTopic.of("mixed", 1, 1));
    int n = 0;
    for (int round = 0; round < 3; round++) {
      for (String codec : CODECS) {
        send("mixed", codec, n, 40);
        n += 40;
      }
    }
    List<ConsumerRecord> read = readAll("mixed", n);
    for (int i = 0; i < n; i++) {
      assertRecord(read.get(i), i);
    }
  }

  private static void send(String topic, String codec, int from, int count) {
    SkeinProducer producer = cluster.producer(Map.of("compression.type", codec, "linger.ms", "5"));
    for (int i = from; i < from + count; i++) {
      producer.send(new ProducerRecord(topic, 0, ("key-" + i).getBytes(StandardCharsets.UTF_8),
          ("value " + i + " ").repeat(20).getBytes(StandardCharsets.UTF_8), 1_000L + i,
          List.of(new Header("codec", codec.getBytes(StandardCharsets.UTF_8)))));
    }
    producer.flush();
  }

  private static void assertRecord(ConsumerRecord r, int i) {
    assertThat(r.offset()).isEqualTo(i);
    assertThat(r.keyString()).isEqualTo("key-" + i);
    assertThat(r.valueString()).isEqualTo(("value " + i + " ").repeat(20));
    assertThat(r.timestamp()).isEqualTo(1_000L + i);
    assertThat(r.headers()).hasSize(1);
  }

  private static List<ConsumerRecord> readAll(String topic, int n) {
    SkeinConsumer consumer = cluster.consumer(Map.of("max.poll.records", "1000"));
    TopicPartition tp = new TopicPartition(topic, 0);
    consumer.assign(List.of(tp));
    consumer.seekToBeginning(List.of(tp));
    List<ConsumerRecord> read = new ArrayList<>();
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      read.addAll(consumer.poll(Duration.ofMillis(200)));
      return read.size() >= n;
    });
    return read;
  }
}
