package dev.skein.broker.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.NewTopic;
import dev.skein.client.OffsetAndMetadata;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinConsumer;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Membership changes through the Java consumer: incremental rebalance, static members, at-least-once. */
class GroupRebalanceTest {

  static final Duration HEARTBEAT = Duration.ofSeconds(1);
  static final Duration SESSION = Duration.ofSeconds(6);

  @TempDir
  static Path dir;
  static TestCluster cluster;
  static SkeinProducer producer;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3, GroupConfig.DEFAULT.withTimeouts(SESSION, HEARTBEAT).withOffsetsTopic(10, 3));
    producer = cluster.producer(Map.of("linger.ms", "1"));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void aJoiningMemberTakesPartitionsOnlyAfterTheirOwnersReleasedThemAndTheOthersKeepReading() throws Exception {
    cluster.admin().createTopic(NewTopic.of("incremental", 12, 3));
    AtomicBoolean producing = new AtomicBoolean(true);
    AtomicInteger sent = new AtomicInteger();
    Thread load = new Thread(() -> {
      while (producing.get()) {
        for (int p = 0; p < 12; p++) {
          producer.send(ProducerRecord.of("incremental", null, "v" + sent.incrementAndGet()).withPartition(p));
        }
        producer.flush();
      }
    });
    load.start();
    Ownership ownership = new Ownership();
    List<MemberLoop> members = new ArrayList<>();
    for (String name : List.of("a", "b", "c")) {
      members.add(new MemberLoop(name, consumer("incremental-group"), List.of("incremental"), ownership));
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> members.forEach(m -> assertThat(m.owned).hasSize(4)));
    Map<String, Set<TopicPartition>> before = new HashMap<>();
    members.forEach(m -> before.put(m.name, Set.copyOf(m.owned)));

    long joinedAt = System.nanoTime();
    MemberLoop d = new MemberLoop("d", consumer("incremental-group"), List.of("incremental"), ownership);
    members.add(d);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> members.forEach(m -> assertThat(m.owned).hasSize(3)));
    long settledAt = System.nanoTime();
    // Keep reading a little longer, so a stall right at the end would show too.
    await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> true);
    long windowEnd = System.nanoTime();
    producing.set(false);
    load.join();

    for (MemberLoop m : members.subList(0, 3)) {
      Set<TopicPartition> kept = new HashSet<>(before.get(m.name));
      kept.retainAll(m.owned);
      assertThat(kept).as("member %s keeps some of its partitions", m.name).isNotEmpty();
      long longestGap = longestGap(m, kept, joinedAt, windowEnd);
      assertThat(Duration.ofNanos(longestGap)).as("longest gap in %s's records of %s during the rebalance", m.name, kept)
          .isLessThan(HEARTBEAT.plusMillis(1_000));
    }
    assertThat(ownership.violations).isEmpty();
    assertThat(Duration.ofNanos(settledAt - joinedAt)).isLessThan(Duration.ofSeconds(15));
    for (MemberLoop m : members) {
      assertThat(m.failure.get()).isNull();
      m.close();
    }
  }

  /** The longest time in [from, to] without a record from the given partitions. */
  private static long longestGap(MemberLoop m, Set<TopicPartition> partitions, long from, long to) {
    long last = from;
    long longest = 0;
    for (MemberLoop.Arrival a : m.arrivals) {
      if (a.nanos() < from || !partitions.contains(a.partition())) {
        continue;
      }
      if (a.nanos() > to) {
        break;
      }
      longest = Math.max(longest, a.nanos() - last);
      last = a.nanos();
    }
    return Math.max(longest, to - last);
  }

  @Test
  void aStaticMemberRestartedWithinTheSessionTimeoutGetsItsPartitionsBackAndNobodyElseMoves() throws Exception {
    cluster.admin().createTopic(NewTopic.of("static", 6, 3));
    Ownership ownership = new Ownership();
    List<MemberLoop> members = new ArrayList<>();
    for (String name : List.of("s1", "s2", "s3")) {
      members.add(new MemberLoop(name, staticConsumer("static-group", name), List.of("static"), ownership));
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> members.forEach(m -> assertThat(m.owned).hasSize(2)));
    Set<TopicPartition> s3Partitions = Set.copyOf(members.get(2).owned);
    int eventsBefore = ownership.events.size();

    members.get(2).close();   // a clean close of a static member: it leaves only for a restart
    ownership.forget("s3");
    MemberLoop restarted = new MemberLoop("s3", staticConsumer("static-group", "s3"), List.of("static"), ownership);
    await().atMost(SESSION).untilAsserted(() -> assertThat(restarted.owned).isEqualTo(s3Partitions));
    // Wait past the old session's end: nobody else was given anything in the meantime.
    await().pollDelay(SESSION.plusSeconds(1)).atMost(SESSION.plusSeconds(2)).until(() -> true);
    List<String> later = ownership.events.subList(eventsBefore, ownership.events.size());
    assertThat(later).allMatch(e -> e.startsWith("s3 "), "only s3 changed: " + later);
    assertThat(members.get(0).owned).hasSize(2);
    assertThat(members.get(1).owned).hasSize(2);
    assertThat(ownership.violations).isEmpty();
    members.get(0).close();
    members.get(1).close();
    restarted.close();
  }

  @Test
  void aConsumerThatDiesBeforeCommittingCausesRedeliveryFromTheLastCommitNeverASkip() throws Exception {
    cluster.admin().createTopic(NewTopic.of("alo", 3, 3));
    for (int i = 0; i < 300; i++) {
      producer.send(ProducerRecord.of("alo", "k" + i, "v" + i));
    }
    producer.flush();
    Ownership ownership = new Ownership();
    SkeinConsumer first = cluster.consumer(Map.of("group.id", "alo-group", "auto.offset.reset", "earliest",
        "enable.auto.commit", "false", "max.poll.records", "20"));
    MemberLoop dying = new MemberLoop("dying", first, List.of("alo"), ownership, false);
    // Commit after the first 100 records it processes, then keep processing without committing.
    Map<TopicPartition, Long> committed = new HashMap<>();
    AtomicInteger processed = new AtomicInteger();
    dying.onRecord = r -> {
      if (processed.incrementAndGet() == 100) {
        Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
        for (var x : dying.received) {
          positions.merge(x.topicPartition(), OffsetAndMetadata.of(x.offset() + 1),
              (a, b) -> a.offset() >= b.offset() ? a : b);
        }
        first.commitSync(positions);
        positions.forEach((tp, o) -> committed.put(tp, o.offset()));
      }
    };
    dying.start();
    await().atMost(Duration.ofSeconds(30)).until(() -> dying.received.size() >= 200);
    dying.kill();
    assertThat(dying.failure.get()).isNull();
    ownership.forget("dying");

    MemberLoop next = new MemberLoop("next", cluster.consumer(Map.of("group.id", "alo-group",
        "auto.offset.reset", "earliest")), List.of("alo"), ownership);
    await().atMost(SESSION.plusSeconds(20)).until(() -> next.owned.size() == 3);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Set<String> all = new HashSet<>(dying.values());
      all.addAll(next.values());
      assertThat(all).hasSize(300);
    });
    // The new owner starts exactly at the last committed offset of each partition (or 0); a
    // partition whose every record was committed before the crash gives it nothing to read.
    for (int p = 0; p < 3; p++) {
      TopicPartition tp = new TopicPartition("alo", p);
      long from = committed.getOrDefault(tp, 0L);
      java.util.OptionalLong firstOffset = next.received.stream().filter(r -> r.topicPartition().equals(tp))
          .mapToLong(dev.skein.client.ConsumerRecord::offset).min();
      if (firstOffset.isPresent()) {
        assertThat(firstOffset.getAsLong()).as("first offset of %s after the crash", tp).isEqualTo(from);
      } else {
        long end = dying.received.stream().filter(r -> r.topicPartition().equals(tp))
            .mapToLong(dev.skein.client.ConsumerRecord::offset).max().orElse(-1) + 1;
        assertThat(from).as("%s gave the new owner nothing, so all of it was committed", tp).isEqualTo(end);
      }
    }
    next.close();
  }

  private static SkeinConsumer consumer(String group) {
    return cluster.consumer(Map.of("group.id", group, "auto.offset.reset", "earliest", "auto.commit.interval.ms", "500"));
  }

  private static SkeinConsumer staticConsumer(String group, String instance) {
    return cluster.consumer(Map.of("group.id", group, "group.instance.id", instance, "auto.offset.reset", "earliest"));
  }
}
