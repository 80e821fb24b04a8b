package dev.skein.broker.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.NewTopic;
import dev.skein.client.OffsetAndMetadata;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.FindCoordinatorRequest;
import dev.skein.proto.v1.GroupServiceGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crashing the broker that coordinates a group while its members consume and commit: the new
 * leader of the group's __consumer_offsets partition takes over from its own log, the members
 * carry on, and no acknowledged commit is lost.
 */
class CoordinatorFailoverTest {

  @TempDir
  Path dir;

  @Test
  void theGroupCarriesOnWithTheNewCoordinatorAndNoAcknowledgedCommitIsLost() throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 3, GroupConfig.DEFAULT
        .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(1)).withOffsetsTopic(6, 3))) {
      cluster.admin().createTopic(NewTopic.of("events", 6, 3));
      SkeinProducer producer = cluster.producer(Map.of("linger.ms", "2"));
      String group = "survivors";
      // Highest commit acknowledged per partition, by any member.
      Map<TopicPartition, Long> acknowledged = new ConcurrentHashMap<>();
      List<ConsumerRecord> received = new CopyOnWriteArrayList<>();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Thread> members = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        SkeinConsumer consumer = cluster.consumer(Map.of("group.id", group, "auto.offset.reset", "earliest",
            "enable.auto.commit", "false", "max.poll.records", "50"));
        Thread t = new Thread(() -> {
          try {
            consumer.subscribe(List.of("events"));
            while (running.get()) {
              List<ConsumerRecord> batch = consumer.poll(Duration.ofMillis(100));
              if (batch.isEmpty()) {
                continue;
              }
              received.addAll(batch);
              Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
              batch.forEach(r -> offsets.put(r.topicPartition(), new OffsetAndMetadata(r.offset() + 1, r.leaderEpoch(), "")));
              consumer.commitSync(offsets);
              offsets.forEach((tp, o) -> acknowledged.merge(tp, o.offset(), Math::max));
            }
            consumer.close();
          } catch (Throwable e) {
            failure.set(e);
          }
        });
        t.start();
        members.add(t);
      }
      sendRecords(producer, "a", 600);
      await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= 600);

      int coordinator = GroupServiceGrpc.newBlockingStub(cluster.channel(1)).findCoordinator(
          FindCoordinatorRequest.newBuilder().setGroupId(group).build()).getCoordinatorId();
      cluster.stopBrokerAbruptly(coordinator);
      int alive = cluster.runningIds().get(0);
      // COORDINATOR_NOT_AVAILABLE (UNAVAILABLE) while the partition has no leader yet.
      await().atMost(Duration.ofSeconds(20)).ignoreExceptionsInstanceOf(io.grpc.StatusRuntimeException.class)
          .until(() -> GroupServiceGrpc.newBlockingStub(cluster.channel(alive))
          .findCoordinator(FindCoordinatorRequest.newBuilder().setGroupId(group).build()).getCoordinatorId()
          != coordinator);

      sendRecords(producer, "b", 600);
      await().atMost(Duration.ofSeconds(60)).until(() -> received.stream().map(ConsumerRecord::valueString)
          .filter(v -> v.startsWith("b")).distinct().count() == 600);
      running.set(false);
      for (Thread t : members) {
        t.join(30_000);
      }
      assertThat(failure.get()).isNull();

      // Every acknowledged commit is still there: never an older offset.
      SkeinConsumer reader = cluster.consumer(Map.of("group.id", group));
      Map<TopicPartition, OffsetAndMetadata> committed = reader.committed(acknowledged.keySet());
      acknowledged.forEach((tp, offset) -> assertThat(committed.get(tp).offset())
          .as("committed offset of %s", tp).isGreaterThanOrEqualTo(offset));
      assertThat(acknowledged.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(1200);
    }
  }

  private static void sendRecords(SkeinProducer producer, String prefix, int count) {
    for (int i = 0; i < count; i++) {
      producer.send(ProducerRecord.of("events", prefix + i, prefix + i));
    }
    producer.flush();
  }
}
