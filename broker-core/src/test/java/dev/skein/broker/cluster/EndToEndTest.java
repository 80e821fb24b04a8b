package dev.skein.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.client.ConsumerRecord;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.ProducerRecord;
import dev.skein.client.RecordMetadata;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicDescription;
import dev.skein.client.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three brokers in one JVM: a 13-partition topic, 10,000 keyed records through the Java
 * client, read back in order; then every broker restarts and everything is still there.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EndToEndTest {

  private static final String TOPIC = "orders";
  private static final int PARTITIONS = 13;
  private static final int RECORDS = 10_000;
  private static final int KEYS = 700;

  @TempDir
  static Path dir;
  static TestCluster cluster;
  static Map<Integer, List<Long>> offsetsByPartition = new HashMap<>();
  static Map<String, Integer> partitionOfKey = new HashMap<>();
  static String topicId;

  @BeforeAll
  static void startCluster() {
    cluster = TestCluster.start(dir, 3);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void createsATopicWithLeadersRotatingAcrossBrokers() {
    SkeinAdmin admin = cluster.admin();
    TopicDescription topic = admin.createTopic(NewTopic.of(TOPIC, PARTITIONS, 1));
    topicId = topic.topicId();
    assertThat(topic.partitionCount()).isEqualTo(PARTITIONS);
    List<Integer> leaders = topic.partitions().stream().map(PartitionInfo::leader).toList();
    // Partition p+1 is led by the broker after partition p's (1 -> 2 -> 3 -> 1 ...).
    for (int p = 1; p < PARTITIONS; p++) {
      assertThat(leaders.get(p)).isEqualTo(leaders.get(p - 1) % 3 + 1);
    }
    Map<Integer, Long> perBroker = leaders.stream().collect(Collectors.groupingBy(l -> l, Collectors.counting()));
    assertThat(perBroker.values()).allMatch(n -> n == 4 || n == 5);
    topic.partitions().forEach(p -> {
      assertThat(p.replicas()).containsExactly(p.leader());
      assertThat(p.isr()).containsExactly(p.leader());
    });
    assertThat(admin.describeTopic(TOPIC)).isEqualTo(topic);
  }

  @Test
  @Order(2)
  void producesKeyedRecordsToTheirKafkaPartitions() {
    SkeinProducer producer = cluster.producer(Map.of("linger.ms", "5"));
    List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
    for (int i = 0; i < RECORDS; i++) {
      sent.add(producer.send(ProducerRecord.of(TOPIC, key(i), value(i))));
    }
    producer.flush();
    for (int i = 0; i < RECORDS; i++) {
      RecordMetadata m = sent.get(i).join();
      int partition = m.topicPartition().partition();
      Integer earlier = partitionOfKey.putIfAbsent(key(i), partition);
      assertThat(earlier == null || earlier == partition).as("key %s stays on one partition", key(i)).isTrue();
      offsetsByPartition.computeIfAbsent(partition, p -> new ArrayList<>()).add(m.offset());
    }
    // Offsets of each partition are dense and start at 0.
    offsetsByPartition.forEach((p, offsets) -> {
      List<Long> sorted = offsets.stream().sorted().toList();
      assertThat(sorted.get(0)).isZero();
      assertThat(sorted.get(sorted.size() - 1)).isEqualTo(sorted.size() - 1);
    });
    assertThat(offsetsByPartition.keySet()).hasSize(PARTITIONS);
  }

  @Test
  @Order(3)
  void consumesEveryRecordBackInProduceOrder() {
    assertAllRecordsReadBack();
  }

  @Test
  @Order(4)
  void everythingSurvivesARestartOfAllBrokers() {
    cluster.restartAll();
    TopicDescription topic = cluster.admin().describeTopic(TOPIC);
    assertThat(topic.topicId()).isEqualTo(topicId);
    assertThat(topic.partitionCount()).isEqualTo(PARTITIONS);
    await().atMost(Duration.ofSeconds(30)).until(() ->
        cluster.admin().describeTopic(TOPIC).partitions().stream().allMatch(PartitionInfo::hasLeader));
    SkeinConsumer consumer = cluster.consumer(Map.of());
    List<TopicPartition> partitions = consumer.partitionsFor(TOPIC);
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
    offsetsByPartition.forEach((p, offsets) ->
        assertThat(ends.get(new TopicPartition(TOPIC, p))).isEqualTo(offsets.size()));
    assertAllRecordsReadBack();
    // And the log keeps going from where it was.
    RecordMetadata next = cluster.producer(Map.of()).send(ProducerRecord.of(TOPIC, key(0), "after-restart")).join();
    assertThat(next.offset()).isEqualTo(offsetsByPartition.get(next.topicPartition().partition()).size());
  }

  private void assertAllRecordsReadBack() {
    SkeinConsumer consumer = cluster.consumer(Map.of("max.poll.records", "2000"));
    List<TopicPartition> partitions = consumer.partitionsFor(TOPIC);
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    List<ConsumerRecord> all = new ArrayList<>();
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      all.addAll(consumer.poll(Duration.ofMillis(200)));
      return all.size() >= RECORDS;
    });
    assertThat(all).hasSize(RECORDS);
    Map<String, List<Integer>> sequenceByKey = new HashMap<>();
    Map<Integer, Long> lastOffset = new HashMap<>();
    for (ConsumerRecord r : all) {
      assertThat(r.partition()).isEqualTo(partitionOfKey.get(r.keyString()));
      long previous = lastOffset.getOrDefault(r.partition(), -1L);
      assertThat(r.offset()).as("offsets of partition %d are dense and in order", r.partition())
          .isEqualTo(previous + 1);
      lastOffset.put(r.partition(), r.offset());
      sequenceByKey.computeIfAbsent(r.keyString(), k -> new ArrayList<>()).add(sequence(r.valueString()));
    }
    // Per key, records come back in the order they were produced.
    sequenceByKey.forEach((key, seq) -> assertThat(seq).isSorted());
    assertThat(sequenceByKey).hasSize(KEYS);
  }

  private static String key(int i) {
    return "customer-" + (i % KEYS);
  }

  private static String value(int i) {
    return i + ":" + "x".repeat(i % 50);
  }

  private static int sequence(String value) {
    return Integer.parseInt(value.substring(0, value.indexOf(':')));
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
