package dev.skein.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.skein.client.BrokerLogDirs;
import dev.skein.client.NewTopic;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinException;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.AdminServiceGrpc;
import dev.skein.proto.v1.DescribeLogDirsRequest;
import dev.skein.proto.v1.DescribeLogDirsResponse;
import dev.skein.proto.v1.PartitionProduceResult;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.rpc.ErrorReason;
import dev.skein.storage.log.BatchLayout;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * DescribeLogDirs on a live three-broker cluster: every replica of an RF=3 partition reports the
 * exact bytes produced to it, growing as more arrive; small segments roll into several; a
 * DeleteRecords moves every replica's log start and frees segments; exactly one replica is
 * leader; the figures equal the broker's metrics. Bad input is refused with its reason, and a
 * broker that is down is reported as such without failing the call.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LogDirsTest {

  private static final String TOPIC = "sized";
  private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
  /** The smallest segment.bytes a topic may have: one ~600-byte batch fills a segment. */
  private static final int SEGMENT_BYTES = 1024;

  @TempDir
  static Path dir;
  static TestCluster cluster;
  static SkeinAdmin admin;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3);
    admin = cluster.admin();
    // RawCalls' records are stamped in 1970: without retention.ms=-1 time retention would take each closed segment.
    admin.createTopic(NewTopic.of(TOPIC, 1, 3).withConfigs(Map.of("segment.bytes", Integer.toString(SEGMENT_BYTES),
        "retention.ms", "-1")));
    admin.createTopic(NewTopic.of("bystander", 1, 1));
    // The admin call waited for one broker's metadata. Under load a leader was still opening its
    // partition at the first produce (LEADER_NOT_AVAILABLE), and the bystander's host did not
    // report it yet: wait until every replica is open and every leader serves.
    for (String topic : List.of(TOPIC, "bystander")) {
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
        dev.skein.client.PartitionInfo p = admin.describeTopic(topic).partition(0);
        for (int id : p.replicas()) {
          assertThat(cluster.broker(id).replicas().partition(topic, 0)).as("%s-0 on broker %d", topic, id).isPresent();
        }
        cluster.broker(p.leader()).replicas().leaderPartition(topic, 0);
      });
    }
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  @Order(1)
  void everyReplicaReportsItsSizeSegmentsStartAndLeadership() {
    int leader = admin.describeTopic(TOPIC).partition(0).leader();
    long produced = produce(leader, 6);
    Map<Integer, BrokerLogDirs.ReplicaLog> first = awaitReplicas(6 * 5, produced);
    first.values().forEach(r -> assertThat(r.sizeBytes()).isEqualTo(produced));

    // More records: every replica grows by exactly what was sent, over more segments.
    long total = produced + produce(leader, 6);
    Map<Integer, BrokerLogDirs.ReplicaLog> grown = awaitReplicas(12 * 5, total);
    for (int id : List.of(1, 2, 3)) {
      BrokerLogDirs.ReplicaLog replica = grown.get(id);
      assertThat(replica.sizeBytes()).as("broker %d", id).isGreaterThan(first.get(id).sizeBytes()).isEqualTo(total);
      assertThat(replica.segmentCount()).as("segments on broker %d", id).isGreaterThan(1)
          .isGreaterThanOrEqualTo((int) ((total + SEGMENT_BYTES - 1) / SEGMENT_BYTES));
      assertThat(replica.logStartOffset()).isZero();
      assertThat(replica.logEndOffset()).isEqualTo(60);
    }
    assertThat(grown.values().stream().filter(BrokerLogDirs.ReplicaLog::leader).toList())
        .as("exactly one replica leads").hasSize(1)
        .allSatisfy(r -> assertThat(grown.get(leader)).isSameAs(r));

    // The same figures the broker's metrics export.
    for (int id : List.of(1, 2, 3)) {
      Scrape scrape = Scrape.of(cluster, id);
      assertThat(scrape.sum("skein_log_size_bytes", "topic", TOPIC, "partition", "0")).isEqualTo((double) total);
      assertThat(scrape.sum("skein_log_segments", "topic", TOPIC, "partition", "0"))
          .isEqualTo((double) grown.get(id).segmentCount());
    }

    // DeleteRecords: the start moves on every replica and the segments below it go.
    admin.deleteRecords(Map.of(TP, 30L));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Map<Integer, BrokerLogDirs.ReplicaLog> after = replicas();
      for (int id : List.of(1, 2, 3)) {
        BrokerLogDirs.ReplicaLog replica = after.get(id);
        assertThat(replica.logStartOffset()).as("log start on broker %d", id).isEqualTo(30);
        assertThat(replica.logEndOffset()).isEqualTo(60);
        assertThat(replica.segmentCount()).isLessThan(grown.get(id).segmentCount());
        // Everything from offset 30 on (six whole batches) is still there.
        assertThat(replica.sizeBytes()).isLessThan(total).isGreaterThanOrEqualTo(total - produced);
      }
    });
  }

  @Test
  @Order(2)
  void topicAndBrokerFiltersNarrowTheAnswer() {
    List<BrokerLogDirs> all = admin.describeLogDirs(List.of(), List.of());
    assertThat(all).extracting(BrokerLogDirs::brokerId).containsExactly(1, 2, 3);
    assertThat(all).allSatisfy(b -> {
      assertThat(b.answered()).isTrue();
      assertThat(b.logDirs()).hasSize(1);
      BrokerLogDirs.LogDir logDir = b.logDirs().get(0);
      assertThat(Path.of(logDir.path())).isAbsolute().endsWith(Path.of("broker-" + b.brokerId(), "logs"));
      assertThat(logDir.totalBytes()).isPositive();
      assertThat(logDir.usableBytes()).isBetween(0L, logDir.totalBytes());
    });
    // In raw gRPC, as any client sees it: the broker names itself.
    DescribeLogDirsResponse raw = AdminServiceGrpc.newBlockingStub(cluster.channel(2))
        .describeLogDirs(DescribeLogDirsRequest.newBuilder().addTopics(TOPIC).build());
    assertThat(raw.getBrokerId()).isEqualTo(2);
    assertThat(raw.getLogDirs(0).getReplicasList()).hasSize(1);
    int bystanderHost = admin.describeTopic("bystander").partition(0).replicas().get(0);
    assertThat(all.stream().flatMap(b -> b.replicas().stream()).map(BrokerLogDirs.ReplicaLog::partition))
        .contains(TP, new TopicPartition("bystander", 0));

    List<BrokerLogDirs> sizedOnly = admin.describeLogDirs(List.of(TOPIC), List.of());
    assertThat(sizedOnly).allSatisfy(b -> assertThat(b.replicas()).extracting(BrokerLogDirs.ReplicaLog::partition)
        .containsExactly(TP));

    List<BrokerLogDirs> one = admin.describeLogDirs(List.of("bystander"), List.of(bystanderHost));
    assertThat(one).hasSize(1);
    assertThat(one.get(0).brokerId()).isEqualTo(bystanderHost);
    assertThat(one.get(0).replica(new TopicPartition("bystander", 0))).hasValueSatisfying(r -> {
      assertThat(r.leader()).isTrue();
      assertThat(r.sizeBytes()).isZero();
      assertThat(r.segmentCount()).isEqualTo(1);
    });
  }

  @Test
  @Order(3)
  void badInputIsRefusedWithItsReason() {
    AdminServiceGrpc.AdminServiceBlockingStub raw = AdminServiceGrpc.newBlockingStub(cluster.channel(1));
    BadInputTest.assertFails(() -> raw.describeLogDirs(DescribeLogDirsRequest.newBuilder().addTopics(TOPIC)
        .addTopics("no-such-topic").build()), Status.Code.NOT_FOUND, ErrorReason.UNKNOWN_TOPIC, "'no-such-topic'");
    BadInputTest.assertFails(() -> raw.describeLogDirs(DescribeLogDirsRequest.newBuilder().addTopics("").build()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_REQUEST, "empty topic name");
    // A name no topic could have is simply unknown, as in DescribeTopics.
    BadInputTest.assertFails(() -> raw.describeLogDirs(DescribeLogDirsRequest.newBuilder().addTopics("bad name")
        .build()), Status.Code.NOT_FOUND, ErrorReason.UNKNOWN_TOPIC, "'bad name'");

    // The client fails the whole call for a bad request (every broker would refuse it) ...
    SkeinException unknown = catchThrowableOfType(SkeinException.class,
        () -> admin.describeLogDirs(List.of("no-such-topic"), List.of()));
    assertThat(unknown.reason()).contains(ErrorReason.UNKNOWN_TOPIC);
    // ... and for a broker the cluster does not have.
    SkeinException noBroker = catchThrowableOfType(SkeinException.class,
        () -> admin.describeLogDirs(List.of(), List.of(1, 7)));
    assertThat(noBroker.reason()).contains(ErrorReason.INVALID_REQUEST);
    assertThat(noBroker).hasMessageContaining("no broker 7");
  }

  @Test
  @Order(4)
  void aBrokerThatIsDownIsReportedAndTheOthersStillAnswer() {
    cluster.stopBroker(3);
    List<BrokerLogDirs> asked = admin.describeLogDirs(List.of(TOPIC), List.of(1, 2, 3));
    assertThat(asked).extracting(BrokerLogDirs::brokerId).containsExactly(1, 2, 3);
    assertThat(asked.get(0).replica(TP)).isPresent();
    assertThat(asked.get(1).replica(TP)).isPresent();
    BrokerLogDirs down = asked.get(2);
    assertThat(down.answered()).isFalse();
    assertThat(down.logDirs()).isEmpty();
    assertThat(down.error()).hasValueSatisfying(e -> assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE));
    // Unasked, a stopped broker is left out once it is fenced, or reported the same way until then.
    assertThat(admin.describeLogDirs(List.of(TOPIC), List.of()))
        .allSatisfy(b -> assertThat(b.answered()).isEqualTo(b.brokerId() != 3));
  }

  /**
   * Sends {@code batches} batches of five 100-byte records to partition 0 through its leader,
   * acks=all; returns the bytes they take in the log.
   */
  private static long produce(int leader, int batches) {
    long bytes = 0;
    for (int i = 0; i < batches; i++) {
      RecordBatch batch = RawCalls.batch(5, 100);
      bytes += BatchLayout.entrySize(batch.getRecords().size());
      PartitionProduceResult result = RawCalls.produce(cluster.channel(leader), TOPIC, 0, batch).get(0);
      assertThat(result.hasError()).as("produce result %s", result).isFalse();
    }
    return bytes;
  }

  /** Waits until every replica of partition 0 has {@code endOffset} records and {@code bytes} bytes. */
  private static Map<Integer, BrokerLogDirs.ReplicaLog> awaitReplicas(long endOffset, long bytes) {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(replicas().values())
        .hasSize(3).allSatisfy(r -> {
          assertThat(r.logEndOffset()).isEqualTo(endOffset);
          assertThat(r.sizeBytes()).isEqualTo(bytes);
        }));
    return replicas();
  }

  /** Partition 0's replica on each broker, as describeLogDirs reports it. */
  private static Map<Integer, BrokerLogDirs.ReplicaLog> replicas() {
    Map<Integer, BrokerLogDirs.ReplicaLog> out = new HashMap<>();
    for (BrokerLogDirs broker : admin.describeLogDirs(List.of(TOPIC), List.of())) {
      assertThat(broker.answered()).as("broker %d answered: %s", broker.brokerId(), broker.error()).isTrue();
      broker.replica(TP).ifPresent(r -> out.put(broker.brokerId(), r));
    }
    return out;
  }
}
