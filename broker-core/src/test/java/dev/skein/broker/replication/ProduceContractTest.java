package dev.skein.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.replica.ReplicationConfig;
import dev.skein.client.NewTopic;
import dev.skein.client.SkeinAdmin;
import dev.skein.proto.v1.Acks;
import dev.skein.proto.v1.PartitionBatch;
import dev.skein.proto.v1.PartitionProduceResult;
import dev.skein.proto.v1.ProduceOutcome;
import dev.skein.proto.v1.ProduceRequest;
import dev.skein.proto.v1.ProducerServiceGrpc;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.RecordSet;
import dev.skein.storage.log.LogConfig;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The produce contract under faults, checked over raw gRPC without idempotence (so no broker
 * deduplication can hide a violation): while writers send acks=all batches of one unique value
 * each, a seeded nemesis shrinks the ISR below min.insync.replicas, moves leaderships by
 * controlled shutdown and crashes leaders. Afterwards every batch answered "stored at N" is at
 * N on every replica, and every batch answered "not stored" is on none.
 */
class ProduceContractTest {

  private static final Logger log = LoggerFactory.getLogger(ProduceContractTest.class);
  private static final String TOPIC = "contract";
  private static final int PARTITIONS = 2;
  private static final int WRITERS = 3;

  @TempDir
  Path dir;

  /** What one writer was told about one value. */
  private record Answer(ProduceOutcome outcome, int partition, long offset, String reason) {}

  @Test
  void everyAnswerMatchesWhatTheReplicasHoldAfterIsrShrinksAndLeaderMoves() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    String context = "seed " + seed;
    try (TestCluster cluster = TestCluster.start(dir, 3, 3, LogConfig.DEFAULT,
        ReplicationConfig.DEFAULT.withReplicaLagTimeMax(Duration.ofMillis(1000)))) {
      SkeinAdmin admin = cluster.admin();
      admin.createTopic(NewTopic.of(TOPIC, PARTITIONS, 3).withConfigs(Map.of("min.insync.replicas", "2")));
      await().atMost(Duration.ofSeconds(20)).until(() -> admin.describeTopic(TOPIC).partitions().stream()
          .allMatch(p -> p.isr().size() == 3));

      ConcurrentMap<String, Answer> answers = new ConcurrentHashMap<>();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger sequence = new AtomicInteger();
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        Thread writer = new Thread(() -> write(cluster, admin, running, sequence, answers), "contract-writer-" + w);
        writer.start();
        writers.add(writer);
      }

      for (int round = 0; round < 6; round++) {
        long before = answers.size();
        injectFault(cluster, admin, random, round, answers);
        cluster.runningIds().forEach(id -> cluster.broker(id).replicas().faults().heal());
        // Let the cluster settle and the writers make progress before the next fault.
        await().atMost(Duration.ofSeconds(30)).until(() -> answers.size() > before + 20);
      }
      running.set(false);
      for (Thread writer : writers) {
        writer.join(TimeUnit.SECONDS.toMillis(40));
      }

      cluster.runningIds().forEach(id -> cluster.broker(id).replicas().faults().heal());
      Map<Integer, Map<Long, String>> logs = new HashMap<>();
      for (int p = 0; p < PARTITIONS; p++) {
        ReplicaChecks.assertReplicasAgree(cluster, TOPIC, p);
        logs.put(p, ReplicaChecks.readAll(cluster, TOPIC, p));
      }
      Map<String, List<String>> where = new HashMap<>();
      logs.forEach((p, records) -> records.forEach((offset, value) ->
          where.computeIfAbsent(value, v -> new ArrayList<>()).add(p + "/" + offset)));

      Map<ProduceOutcome, Integer> counts = new HashMap<>();
      Map<String, Integer> reasons = new HashMap<>();
      answers.forEach((value, answer) -> {
        counts.merge(answer.outcome(), 1, Integer::sum);
        reasons.merge(answer.outcome() + " " + answer.reason(), 1, Integer::sum);
        switch (answer.outcome()) {
          case PRODUCE_OUTCOME_STORED -> assertThat(where.get(value)).as("%s: %s acknowledged at %d/%d", context, value,
              answer.partition(), answer.offset()).containsExactly(answer.partition() + "/" + answer.offset());
          case PRODUCE_OUTCOME_NOT_STORED -> assertThat(where.get(value)).as("%s: %s answered not stored (%s)",
              context, value, answer.reason()).isNull();
          default -> assertThat(where.getOrDefault(value, List.of())).as("%s: %s in doubt is at most once", context,
              value).hasSizeLessThanOrEqualTo(1);
        }
      });
      log.info("{}: answers by outcome and reason: {}", context, reasons);
      // The faults must have produced both kinds of definite answer, or the test checked little.
      assertThat(counts.getOrDefault(ProduceOutcome.PRODUCE_OUTCOME_STORED, 0)).as(context).isGreaterThan(50);
      assertThat(counts.getOrDefault(ProduceOutcome.PRODUCE_OUTCOME_NOT_STORED, 0)).as(context).isPositive();
    }
  }

  /**
   * One fault, then back to normal: even rounds shrink the ISR of a partition to its leader
   * (acks=all refused; batches in flight in doubt) until some writes were refused; odd rounds
   * move a leadership away by a controlled shutdown or a crash, then restart the broker.
   */
  private static void injectFault(TestCluster cluster, SkeinAdmin admin, Random random, int round,
      Map<String, Answer> answers) {
    int partition = random.nextInt(PARTITIONS);
    int leader = currentLeader(admin, partition);
    if (round % 2 == 0) {
      List<Integer> followers = cluster.runningIds().stream().filter(id -> id != leader).toList();
      followers.forEach(f -> cluster.broker(f).replicas().faults().blockFetchesFrom(leader));
      await().atMost(Duration.ofSeconds(20)).until(() -> admin.describeTopic(TOPIC).partition(partition).isr().size() == 1);
      long refusedBefore = refusals(answers, partition);
      int wanted = 1 + random.nextInt(20);
      await().atMost(Duration.ofSeconds(20)).until(() -> refusals(answers, partition) >= refusedBefore + wanted);
    } else {
      if (random.nextBoolean()) {
        cluster.stopBroker(leader);
      } else {
        cluster.stopBrokerAbruptly(leader);
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> {
        int now = admin.describeTopic(TOPIC).partition(partition).leader();
        return now > 0 && now != leader;
      });
      cluster.startBroker(leader);
      cluster.awaitReady();
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> admin.describeTopic(TOPIC).partitions().stream()
        .allMatch(p -> p.hasLeader()));
  }

  private static long refusals(Map<String, Answer> answers, int partition) {
    return answers.values().stream().filter(a -> a.partition() == partition
        && a.outcome() == ProduceOutcome.PRODUCE_OUTCOME_NOT_STORED).count();
  }

  private static int currentLeader(SkeinAdmin admin, int partition) {
    await().atMost(Duration.ofSeconds(20)).until(() -> admin.describeTopic(TOPIC).partition(partition).hasLeader());
    return admin.describeTopic(TOPIC).partition(partition).leader();
  }

  /** Sends one-record batches to the partition's leader as last seen, recording every answer. */
  private static void write(TestCluster cluster, SkeinAdmin admin, AtomicBoolean running, AtomicInteger sequence,
      ConcurrentMap<String, Answer> answers) {
    Map<Integer, Integer> leaders = new HashMap<>();
    while (running.get()) {
      int n = sequence.incrementAndGet();
      int partition = n % PARTITIONS;
      String value = "v-" + n;
      Integer leader = leaders.get(partition);
      if (leader == null) {
        try {
          leader = admin.describeTopic(TOPIC).partition(partition).leader();
        } catch (RuntimeException e) {
          continue; // the broker asked is going away; ask again
        }
        if (leader <= 0) {
          continue;
        }
        leaders.put(partition, leader);
      }
      try {
        PartitionProduceResult result = ProducerServiceGrpc.newBlockingStub(cluster.channel(leader))
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .produce(request(partition, value)).getResults(0);
        answers.put(value, new Answer(result.getOutcome(), partition, result.getBaseOffset(),
            result.hasError() ? result.getError().getReason() : ""));
        if (result.hasError()) {
          leaders.remove(partition);
          if (result.getError().getMetadataMap().containsKey("leader_id")) {
            leaders.put(partition, Integer.parseInt(result.getError().getMetadataMap().get("leader_id")));
          }
        }
      } catch (StatusRuntimeException | IllegalStateException e) {
        // No answer (broker gone, deadline): the outcome is unknown, as the contract says.
        answers.put(value, new Answer(ProduceOutcome.PRODUCE_OUTCOME_UNKNOWN, partition, -1, "no answer"));
        leaders.remove(partition);
      }
    }
  }

  private static ProduceRequest request(int partition, String value) {
    RecordBatch batch = RecordBatch.newBuilder().setRecords(RecordSet.newBuilder()
        .addRecords(Record.newBuilder().setTimestampMs(System.currentTimeMillis())
            .setValue(ByteString.copyFromUtf8(value))).build().toByteString()).build();
    return ProduceRequest.newBuilder().setAcks(Acks.ACKS_ALL).setTimeoutMs(3_000)
        .addBatches(PartitionBatch.newBuilder().setTopic(TOPIC).setPartition(partition).setBatch(batch)).build();
  }
}
