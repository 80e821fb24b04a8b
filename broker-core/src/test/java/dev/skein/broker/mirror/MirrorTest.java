package dev.skein.broker.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.replica.Partition;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.ProducerRecord;
import dev.skein.client.RecordMetadata;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinException;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.CreateMirrorLinkRequest;
import dev.skein.proto.v1.DescribeMirrorLinkRequest;
import dev.skein.proto.v1.DescribeMirrorLinkResponse;
import dev.skein.proto.v1.MirrorLinkSpec;
import dev.skein.proto.v1.MirrorPartitionState;
import dev.skein.proto.v1.MirrorPartitionStatus;
import dev.skein.proto.v1.MirrorServiceGrpc;
import dev.skein.proto.v1.PromoteMirrorTopicsRequest;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import dev.skein.storage.log.BatchLayout;
import dev.skein.storage.log.LogReadResult;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two in-JVM clusters of three brokers: a source and a destination that runs mirror links to
 * it. Each test uses its own topics and link.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MirrorTest {

  @TempDir
  static Path dir;

  TestCluster source;
  TestCluster destination;

  @BeforeAll
  void start() throws Exception {
    CompletableFuture<TestCluster> src = CompletableFuture.supplyAsync(() -> TestCluster.start(dir.resolve("source"), 3));
    destination = TestCluster.start(dir.resolve("destination"), 3);
    source = src.get(120, TimeUnit.SECONDS);
  }

  @AfterAll
  void stop() {
    if (destination != null) {
      destination.close();
    }
    if (source != null) {
      source.close();
    }
  }

  private MirrorServiceGrpc.MirrorServiceBlockingStub mirrorApi() {
    return MirrorServiceGrpc.newBlockingStub(destination.channel(destination.runningIds().get(0)))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private void createLink(MirrorLinkSpec.Builder spec) {
    spec.addAllSourceBootstrap(Arrays.asList(source.bootstrap().split(",")));
    mirrorApi().createMirrorLink(CreateMirrorLinkRequest.newBuilder().setLink(spec).build());
  }

  private DescribeMirrorLinkResponse describe(String link) {
    return mirrorApi().describeMirrorLink(DescribeMirrorLinkRequest.newBuilder().setName(link).build());
  }

  // ---- 1. byte-identical copy of a 13-partition topic through faults on both sides ----

  @Test
  void mirrorsThirteenPartitionsByteForByteThroughCrashesAndANetworkCut() throws Exception {
    String topic = "orders";
    int partitions = 13;
    source.admin().createTopic(NewTopic.of(topic, partitions, 3));
    createLink(MirrorLinkSpec.newBuilder().setName("dr").addTopics(topic).setSyncIntervalMs(500));

    AtomicBoolean producing = new AtomicBoolean(true);
    AtomicLong acked = new AtomicLong();
    Thread producer = new Thread(() -> produceUntilStopped(topic, partitions, producing, acked), "test-producer");
    producer.start();
    try {
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(describe("dr").getPartitionsList()).hasSize(partitions)
              .allSatisfy(p -> assertThat(p.getDestinationLogEndOffset()).isPositive()));

      // The source partition leader crashes; the mirror follows the new one.
      int sourceLeader = source.admin().describeTopic(topic).partition(0).leader();
      long before = destinationEnd(topic, 0);
      source.stopBrokerAbruptly(sourceLeader);
      await().atMost(Duration.ofSeconds(30)).until(() -> destinationEnd(topic, 0) > before + 10);
      source.startBroker(sourceLeader);

      // The destination partition leader crashes: another replica takes over and resumes from its log end.
      int destinationLeader = destination.admin().describeTopic(topic).partition(0).leader();
      long before2 = destinationEnd(topic, 0);
      destination.stopBrokerAbruptly(destinationLeader);
      await().atMost(Duration.ofSeconds(30)).until(() -> destinationEnd(topic, 0) > before2 + 10);
      destination.startBroker(destinationLeader);

      // The destination's Raft leader (the active controller, which runs the link's sync) crashes.
      int controller = destination.controllerId();
      destination.stopBrokerAbruptly(controller);
      long before3 = totalDestinationEnd(topic, partitions);
      await().atMost(Duration.ofSeconds(30)).until(() -> totalDestinationEnd(topic, partitions) > before3 + 50);
      destination.startBroker(controller);

      // The network between the clusters is cut for 20 s.
      destination.runningIds().forEach(id -> destination.broker(id).mirrors().faults().cutSourceNetwork(true));
      long cutAt = System.nanoTime();
      await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
        DescribeMirrorLinkResponse d = describe("dr");
        assertThat(d.getSourceError().getReason()).isEqualTo(ErrorReason.MIRROR_SOURCE_UNAVAILABLE.name());
        assertThat(d.getPartitionsList()).anySatisfy(p -> {
          assertThat(p.getState()).isEqualTo(MirrorPartitionState.MIRROR_PARTITION_STATE_FAILING);
          assertThat(p.getError().getReason()).isEqualTo(ErrorReason.MIRROR_SOURCE_UNAVAILABLE.name());
        });
      });
      long frozen = totalDestinationEnd(topic, partitions);
      // The fault lasts 20 s; for all of it, nothing is copied.
      Duration rest = Duration.ofMillis(Math.max(0, 20_000 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt)));
      await().during(rest).atMost(rest.plusSeconds(5)).pollInterval(Duration.ofMillis(500))
          .until(() -> totalDestinationEnd(topic, partitions) == frozen);
      destination.runningIds().forEach(id -> destination.broker(id).mirrors().faults().cutSourceNetwork(false));
      await().atMost(Duration.ofSeconds(30)).until(() -> totalDestinationEnd(topic, partitions) > frozen + 50);
    } finally {
      producing.set(false);
      producer.join(30_000);
    }
    assertThat(acked.get()).isGreaterThan(1000);

    // Caught up: every destination replica holds exactly the source's batches.
    for (int p = 0; p < partitions; p++) {
      int partition = p;
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        long sourceEnd = sourceLeaderReplica(topic, partition).highWatermark();
        PartitionInfo info = destination.admin().describeTopic(topic).partition(partition);
        assertThat(info.isr()).containsExactlyInAnyOrderElementsOf(info.replicas());
        for (int id : info.replicas()) {
          Partition replica = destination.broker(id).replicas().partition(topic, partition).orElseThrow();
          assertThat(replica.logEndOffset()).as("log end of destination replica %d of %d", id, partition)
              .isEqualTo(sourceEnd);
          assertThat(replica.highWatermark()).isEqualTo(sourceEnd);
        }
      });
      Partition sourceLeader = sourceLeaderReplica(topic, partition);
      List<BatchView> expected = batches(sourceLeader, sourceLeader.highWatermark());
      assertThat(expected).isNotEmpty();
      assertThat(expected.get(0).baseOffset()).isZero();
      PartitionInfo info = destination.admin().describeTopic(topic).partition(partition);
      for (int id : info.replicas()) {
        Partition replica = destination.broker(id).replicas().partition(topic, partition).orElseThrow();
        assertThat(batches(replica, replica.highWatermark()))
            .as("destination replica %d of %s-%d: same batches at the same offsets, CRCs and timestamps", id, topic,
                partition)
            .isEqualTo(expected);
      }
    }
    DescribeMirrorLinkResponse caughtUp = describe("dr");
    assertThat(caughtUp.hasSourceError()).isFalse();
    assertThat(caughtUp.getPartitionsList()).allSatisfy(p -> {
      assertThat(p.getLagRecords()).isZero();
      assertThat(p.getLagMs()).isZero();
      assertThat(p.getSourceLogEndOffset()).isEqualTo(p.getDestinationLogEndOffset());
    });
  }

  private void produceUntilStopped(String topic, int partitions, AtomicBoolean producing, AtomicLong acked) {
    try (SkeinProducer producer = source.producer(Map.of("acks", "all", "enable.idempotence", "true",
        "linger.ms", "5", "delivery.timeout.ms", "120000"))) {
      long n = 0;
      while (producing.get()) {
        List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
        for (int i = 0; i < 50; i++, n++) {
          sent.add(producer.send(ProducerRecord.of(topic, "k" + n, "value-" + n).withPartition((int) (n % partitions))));
        }
        for (CompletableFuture<RecordMetadata> f : sent) {
          try {
            f.get(60, TimeUnit.SECONDS);
            acked.incrementAndGet();
          } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            // A crashed source broker may fail some sends; the mirror copies whatever was committed.
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Partition sourceLeaderReplica(String topic, int partition) {
    int leader = source.admin().describeTopic(topic).partition(partition).leader();
    return source.broker(leader).replicas().partition(topic, partition).orElseThrow();
  }

  private long destinationEnd(String topic, int partition) {
    try {
      int leader = destination.admin().describeTopic(topic).partition(partition).leader();
      return destination.broker(leader).replicas().partition(topic, partition).map(Partition::logEndOffset).orElse(-1L);
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private long totalDestinationEnd(String topic, int partitions) {
    long total = 0;
    for (int p = 0; p < partitions; p++) {
      total += Math.max(0, destinationEnd(topic, p));
    }
    return total;
  }

  /** A stored batch as both clusters must agree on it: everything but the leader epoch (each cluster's own). */
  record BatchView(long baseOffset, int crc, long firstTimestamp, long maxTimestamp, String checkedBytes) {}

  static List<BatchView> batches(Partition replica, long upTo) {
    List<BatchView> out = new ArrayList<>();
    long offset = replica.logStartOffset();
    while (offset < upTo) {
      LogReadResult read = replica.readLocal(offset, 4 * 1024 * 1024, upTo);
      if (read.isEmpty()) {
        break;
      }
      ByteBuffer entries = read.entries().duplicate().slice().order(ByteOrder.LITTLE_ENDIAN);
      int position = 0;
      while (position < entries.limit()) {
        int size = MirrorBatches.entrySize(entries, position);
        byte[] covered = new byte[size - BatchLayout.CRC_COVERAGE_START];
        entries.get(position + BatchLayout.CRC_COVERAGE_START, covered);
        out.add(new BatchView(entries.getLong(position + BatchLayout.BASE_OFFSET_POSITION),
            entries.getInt(position + BatchLayout.CRC_POSITION),
            entries.getLong(position + BatchLayout.FIRST_TIMESTAMP_POSITION),
            entries.getLong(position + BatchLayout.MAX_TIMESTAMP_POSITION),
            java.util.HexFormat.of().formatHex(sha(covered))));
        position += size;
      }
      offset = read.nextOffset();
    }
    return out;
  }

  private static byte[] sha(byte[] bytes) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- 2. read-only until promoted; group offsets carried over ----

  @Test
  void groupFailsOverAfterPromoteAndProducersContinue() throws Exception {
    String topic = "payments";
    source.admin().createTopic(NewTopic.of(topic, 3, 3));
    Set<String> all = new HashSet<>();
    try (SkeinProducer producer = source.producer(Map.of("acks", "all"))) {
      List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        all.add("p-" + i);
        sent.add(producer.send(ProducerRecord.of(topic, "k" + i, "p-" + i)));
      }
      for (CompletableFuture<RecordMetadata> f : sent) {
        f.get(30, TimeUnit.SECONDS);
      }
    }
    // A group consumes part of the topic at the source and commits.
    Set<String> committed = new HashSet<>();
    try (SkeinConsumer consumer = source.consumer(Map.of("group.id", "billing", "auto.offset.reset", "earliest",
        "enable.auto.commit", "false", "max.poll.records", "20"))) {
      consumer.subscribe(List.of(topic));
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        for (ConsumerRecord r : consumer.poll(Duration.ofMillis(100))) {
          committed.add(r.valueString());
        }
        return committed.size() >= 120;
      });
      consumer.commitSync();
    }
    Map<TopicPartition, Long> sourceOffsets = source.admin().committedOffsets("billing");

    createLink(MirrorLinkSpec.newBuilder().setName("failover").addTopics(topic).addGroups("billing")
        .setSyncIntervalMs(300));
    // The group's offsets arrive, equal to the source's (the destination has every record by then).
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(destination.admin().committedOffsets("billing")).isEqualTo(sourceOffsets));

    // Before promotion the mirror topic refuses producers.
    try (SkeinProducer producer = destination.producer(Map.of("acks", "all", "delivery.timeout.ms", "5000"))) {
      assertThatThrownBy(() -> producer.send(ProducerRecord.of(topic, "x", "refused").withPartition(0))
          .get(30, TimeUnit.SECONDS))
          .hasCauseInstanceOf(SkeinException.class)
          .satisfies(e -> assertThat(((SkeinException) e.getCause()).reason()).contains(ErrorReason.MIRROR_TOPIC_READ_ONLY));
    }
    StatusRuntimeException raw = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, () ->
        mirrorApi().promoteMirrorTopics(PromoteMirrorTopicsRequest.newBuilder().setLink("nope").build()));
    assertThat(raw.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(SkeinError.fromThrowable(raw).orElseThrow().reason()).isEqualTo(ErrorReason.UNKNOWN_MIRROR_LINK);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(describe("failover").getPartitionsList())
        .allSatisfy(p -> assertThat(p.getLagRecords()).isZero()));
    assertThat(mirrorApi().promoteMirrorTopics(PromoteMirrorTopicsRequest.newBuilder().setLink("failover")
        .addTopics(topic).build()).getPromotedList()).containsExactly(topic);
    // The promotion is committed when the call returns; a partition's state comes from its leader,
    // which may apply that metadata record a moment later (as any broker's view of a change).
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(describe("failover").getPartitionsList()).allSatisfy(p ->
            assertThat(p.getState()).isEqualTo(MirrorPartitionState.MIRROR_PARTITION_STATE_PROMOTED)));

    // The group resumes at the destination: every record it had not committed, none it had.
    Set<String> received = new HashSet<>();
    List<String> duplicates = new ArrayList<>();
    try (SkeinConsumer consumer = destination.consumer(Map.of("group.id", "billing", "auto.offset.reset", "earliest",
        "enable.auto.commit", "false"))) {
      consumer.subscribe(List.of(topic));
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        for (ConsumerRecord r : consumer.poll(Duration.ofMillis(100))) {
          if (!received.add(r.valueString())) {
            duplicates.add(r.valueString());
          }
        }
        return received.size() + committed.size() >= all.size();
      });
    }
    Set<String> expected = new HashSet<>(all);
    expected.removeAll(committed);
    assertThat(received).isEqualTo(expected);
    assertThat(duplicates).isEmpty();

    // A fresh idempotent producer writes after the last mirrored offset.
    long end = destinationEnd(topic, 0);
    try (SkeinProducer producer = destination.producer(Map.of("acks", "all", "enable.idempotence", "true"))) {
      RecordMetadata written = producer.send(ProducerRecord.of(topic, "after", "after-promote").withPartition(0))
          .get(30, TimeUnit.SECONDS);
      assertThat(written.offset()).isEqualTo(end);
    }
  }

  // ---- 3. topic configs, partition counts and new topics follow the source ----

  @Test
  void configsPartitionsAndNewTopicsFollowTheSource() {
    SkeinAdmin admin = source.admin();
    admin.createTopic(NewTopic.of("metrics.cpu", 2, 2).withConfigs(Map.of("retention.ms", "3600000")));
    createLink(MirrorLinkSpec.newBuilder().setName("metrics").setIncludeRegex("metrics\\..*")
        .setExcludeRegex(".*\\.tmp").setSyncIntervalMs(300));
    await().ignoreExceptionsInstanceOf(SkeinException.class).atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(destination.admin().describeTopic("metrics.cpu").partitionCount()).isEqualTo(2);
      assertThat(retention(destination.admin(), "metrics.cpu")).isEqualTo("3600000");
    });

    admin.alterTopicConfigs("metrics.cpu", Map.of("retention.ms", "7200000"), List.of());
    admin.createPartitions("metrics.cpu", 5);
    admin.createTopic(NewTopic.of("metrics.mem", 1, 1));
    admin.createTopic(NewTopic.of("metrics.scratch.tmp", 1, 1));
    await().ignoreExceptionsInstanceOf(SkeinException.class).atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(retention(destination.admin(), "metrics.cpu")).isEqualTo("7200000");
      assertThat(destination.admin().describeTopic("metrics.cpu").partitionCount()).isEqualTo(5);
      assertThat(destination.admin().describeTopic("metrics.mem").partitionCount()).isEqualTo(1);
    });
    assertThat(destination.admin().listTopics(false)).noneMatch(t -> t.name().equals("metrics.scratch.tmp"));
  }

  private static String retention(SkeinAdmin admin, String topic) {
    return admin.describeTopicConfigs(topic).stream().filter(e -> e.name().equals("retention.ms")).findFirst()
        .orElseThrow().value();
  }

  // ---- 4. byte-rate limit ----

  @Test
  void aLinkReadsNoFasterThanItsByteRate() throws Exception {
    String topic = "throttled";
    source.admin().createTopic(NewTopic.of(topic, 1, 1));
    byte[] value = new byte[1000];
    try (SkeinProducer producer = source.producer(Map.of("acks", "all", "linger.ms", "0"))) {
      for (int i = 0; i < 300; i++) {
        producer.send(ProducerRecord.of(topic, null, value).withPartition(0)).get(30, TimeUnit.SECONDS);
      }
    }
    // 30,000 bytes/s over three destination brokers: 10,000 bytes/s for the one leading the partition.
    createLink(MirrorLinkSpec.newBuilder().setName("slow").addTopics(topic).setMaxBytesPerSecond(30_000)
        .setSyncIntervalMs(300));
    await().atMost(Duration.ofSeconds(30)).until(() -> destinationEnd(topic, 0) > 0);
    // With one second of burst, four seconds allow about 50 KB (50 records of 1 KB); unlimited it copies all 300 at once.
    await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6))
        .until(() -> destinationEnd(topic, 0) < 100);
    assertThat(destinationEnd(topic, 0)).isPositive();
    mirrorApi().deleteMirrorLink(dev.skein.proto.v1.DeleteMirrorLinkRequest.newBuilder().setName("slow").build());
  }

  // ---- 5. reporting and bad input ----

  @Test
  void describeReportsAnUnreachableSourceAndMissingTopics() {
    mirrorApi().createMirrorLink(CreateMirrorLinkRequest.newBuilder().setLink(MirrorLinkSpec.newBuilder()
        .setName("nowhere").addSourceBootstrap("localhost:1").addTopics("anything")).build());
    DescribeMirrorLinkResponse down = describe("nowhere");
    assertThat(down.getSourceError().getReason()).isEqualTo(ErrorReason.MIRROR_SOURCE_UNAVAILABLE.name());
    assertThat(down.getSourceError().getMessage()).contains("localhost:1");

    createLink(MirrorLinkSpec.newBuilder().setName("partial").addTopics("does-not-exist"));
    assertThat(describe("partial").getMissingSourceTopicsList()).containsExactly("does-not-exist");

    StatusRuntimeException bad = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, () ->
        mirrorApi().createMirrorLink(CreateMirrorLinkRequest.newBuilder().setLink(MirrorLinkSpec.newBuilder()
            .setName("bad").addSourceBootstrap("localhost:1").setIncludeRegex("(unclosed")).build()));
    assertThat(bad.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(bad.getStatus().getDescription()).contains("does not compile");
    StatusRuntimeException dup = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, () ->
        mirrorApi().createMirrorLink(CreateMirrorLinkRequest.newBuilder().setLink(MirrorLinkSpec.newBuilder()
            .setName("nowhere").addSourceBootstrap("localhost:1").addTopics("x")).build()));
    assertThat(dup.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
    assertThat(SkeinError.fromThrowable(dup).orElseThrow().reason()).isEqualTo(ErrorReason.MIRROR_LINK_ALREADY_EXISTS);
  }
}
