package dev.skein.broker.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's classic tutorial, automated: a 13-partition topic replicated on three brokers, read
 * by three consumers of one group (a queue) and by three groups (publish/subscribe).
 */
class GroupTutorialTest {

  static final Duration SESSION = Duration.ofSeconds(6);
  static final GroupConfig GROUPS = GroupConfig.DEFAULT.withTimeouts(SESSION, Duration.ofSeconds(1));

  @TempDir
  static Path dir;
  static TestCluster cluster;
  static SkeinProducer producer;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3, GROUPS);
    cluster.admin().createTopic(NewTopic.of("tutorial", 13, 3));
    cluster.admin().createTopic(NewTopic.of("pubsub", 13, 3));
    producer = cluster.producer(Map.of("linger.ms", "5"));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void oneGroupSharesThePartitionsAndTakesOverFromADeadMember() throws Exception {
    List<String> before = send("tutorial", "before-", 1_300);
    Ownership ownership = new Ownership();
    List<MemberLoop> members = new ArrayList<>();
    for (String name : List.of("a", "b", "c")) {
      members.add(new MemberLoop(name, consumer("queue"), List.of("tutorial"), ownership));
    }
    // Every partition owned by exactly one member, each member some.
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(ownership.owners()).hasSize(13);
      members.forEach(m -> assertThat(m.owned).hasSizeBetween(4, 5));
    });
    await().atMost(Duration.ofSeconds(30)).until(() -> allValues(members).size() >= before.size());
    // Exactly once: each rebalance commits what was processed before the partition moves.
    assertThat(allValues(members)).containsExactlyInAnyOrderElementsOf(before);

    MemberLoop dead = members.get(2);
    Set<TopicPartition> orphaned = Set.copyOf(dead.owned);
    long killedAt = System.nanoTime();
    dead.kill();
    ownership.forget(dead.name);
    List<MemberLoop> survivors = members.subList(0, 2);
    await().atMost(SESSION.plusSeconds(10)).untilAsserted(() -> {
      Set<TopicPartition> taken = new HashSet<>(survivors.get(0).owned);
      taken.addAll(survivors.get(1).owned);
      assertThat(taken).containsAll(orphaned).hasSize(13);
    });
    assertThat(Duration.ofNanos(System.nanoTime() - killedAt)).isLessThan(SESSION.plusSeconds(5));
    List<String> after = send("tutorial", "after-", 650);
    await().atMost(Duration.ofSeconds(30)).until(() -> allValues(survivors).containsAll(after));
    assertThat(ownership.violations).isEmpty();
    for (MemberLoop m : members) {
      assertThat(m.failure.get()).isNull();
    }
    for (MemberLoop m : survivors) {
      m.close();
    }
  }

  @Test
  void threeGroupsEachReceiveEveryRecord() throws Exception {
    Ownership ownership = new Ownership();
    List<MemberLoop> members = new ArrayList<>();
    for (String group : List.of("g1", "g2", "g3")) {
      members.add(new MemberLoop(group, consumer(group), List.of("pubsub"), ownership));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> members.stream().allMatch(m -> m.owned.size() == 13));
    List<String> sent = send("pubsub", "pub-", 1_300);
    for (MemberLoop m : members) {
      await().atMost(Duration.ofSeconds(30)).until(() -> m.received.size() >= sent.size());
      assertThat(m.values()).containsExactlyInAnyOrderElementsOf(sent);
      m.close();
    }
  }

  private static dev.skein.client.SkeinConsumer consumer(String group) {
    return cluster.consumer(Map.of("group.id", group, "auto.offset.reset", "earliest",
        "auto.commit.interval.ms", "200"));
  }

  static List<String> allValues(List<MemberLoop> members) {
    List<String> all = new ArrayList<>();
    members.forEach(m -> all.addAll(m.values()));
    return all;
  }

  private static List<String> send(String topic, String prefix, int count) {
    List<String> values = IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
    for (String v : values) {
      producer.send(ProducerRecord.of(topic, v, v));
    }
    producer.flush();
    return values;
  }
}
