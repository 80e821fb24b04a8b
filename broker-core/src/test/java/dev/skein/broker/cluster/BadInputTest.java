package dev.skein.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import dev.skein.proto.v1.AdminServiceGrpc;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.CreateTopicRequest;
import dev.skein.proto.v1.DescribeTopicsRequest;
import dev.skein.proto.v1.ErrorDetail;
import dev.skein.proto.v1.FetchRequest;
import dev.skein.proto.v1.FetchedPartition;
import dev.skein.proto.v1.ListOffsetsRequest;
import dev.skein.proto.v1.ListTopicsRequest;
import dev.skein.proto.v1.OffsetQuery;
import dev.skein.proto.v1.OffsetSpec;
import dev.skein.proto.v1.PartitionBatch;
import dev.skein.proto.v1.PartitionPosition;
import dev.skein.proto.v1.PartitionProduceResult;
import dev.skein.proto.v1.ProduceRequest;
import dev.skein.proto.v1.ProducerServiceGrpc;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.RecordSet;
import dev.skein.proto.v1.TopicListing;
import dev.skein.proto.v1.TopicMetadata;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input gets the right gRPC code, a message a person understands and a machine-readable
 * reason, and leaves nothing half done. Spoken in raw gRPC, as any client would.
 */
class BadInputTest {

  @TempDir
  static Path dir;
  static TestCluster cluster;
  static TopicMetadata good;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3);
    good = admin().createTopic(CreateTopicRequest.newBuilder().setName("good").setPartitions(3)
        .putConfigs("max.message.bytes", "2000").build()).getTopic();
    RawCalls.awaitLeadersServing(cluster, good);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  static AdminServiceGrpc.AdminServiceBlockingStub admin() {
    return AdminServiceGrpc.newBlockingStub(cluster.channel(1));
  }

  static void assertFails(Runnable call, Status.Code code, ErrorReason reason, String messagePart) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("the call must fail").isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(code);
    SkeinError error = SkeinError.fromThrowable(e).orElseThrow();
    assertThat(error.reason()).isEqualTo(reason);
    assertThat(error.message()).contains(messagePart);
  }

  static void assertDetail(ErrorDetail detail, ErrorReason reason, String messagePart) {
    assertThat(detail.getReason()).isEqualTo(reason.name());
    assertThat(detail.getCode()).isEqualTo(reason.code().value());
    assertThat(detail.getMessage()).contains(messagePart);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "..", "has space", "slash/y", "ünïcode", "colon:name"})
  void invalidTopicNamesAreRefused(String name) {
    assertFails(() -> admin().createTopic(CreateTopicRequest.newBuilder().setName(name).build()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_TOPIC_NAME, "topic name");
    assertNoTopicNamed(name);
  }

  @Test
  void topicNamesAreAtMost249Characters() {
    String longest = "n".repeat(249);
    assertThat(admin().createTopic(CreateTopicRequest.newBuilder().setName(longest).setPartitions(1).build())
        .getTopic().getName()).isEqualTo(longest);
    assertFails(() -> admin().createTopic(CreateTopicRequest.newBuilder().setName("n".repeat(250)).build()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_TOPIC_NAME, "249");
    admin().deleteTopic(dev.skein.proto.v1.DeleteTopicRequest.newBuilder().setName(longest).build());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, -100})
  void partitionCountsBelowOneAreRefused(int partitions) {
    assertFails(() -> admin().createTopic(CreateTopicRequest.newBuilder().setName("p" + (-partitions))
            .setPartitions(partitions).build()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_PARTITIONS, "partitions");
    assertNoTopicNamed("p" + (-partitions));
  }

  @Test
  void replicationBeyondTheLiveBrokersIsRefused() {
    assertFails(() -> admin().createTopic(CreateTopicRequest.newBuilder().setName("rf").setPartitions(1)
            .setReplicationFactor(4).build()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_REPLICATION_FACTOR, "larger than the 3 available brokers");
    assertFails(() -> admin().createTopic(CreateTopicRequest.newBuilder().setName("rf").setPartitions(1)
            .setReplicationFactor(0).build()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_REPLICATION_FACTOR, "replication factor");
    assertNoTopicNamed("rf");
  }

  @Test
  void unknownAndBadConfigsAreRefused() {
    assertFails(() -> admin().createTopic(CreateTopicRequest.newBuilder().setName("cfg")
            .putConfigs("retention.ms", "soon").build()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_CONFIG, "retention.ms");
    assertFails(() -> admin().createTopic(CreateTopicRequest.newBuilder().setName("cfg")
            .putConfigs("retension.ms", "1000").build()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_CONFIG, "retension.ms");
    // Below what a segment needs to hold one batch: refused up front, not accepted and then unusable.
    assertFails(() -> admin().createTopic(CreateTopicRequest.newBuilder().setName("cfg")
            .putConfigs("segment.bytes", "100").build()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_CONFIG, "segment.bytes");
    assertNoTopicNamed("cfg");
  }

  @Test
  void existingTopicsAreNotCreatedTwice() {
    assertFails(() -> admin().createTopic(CreateTopicRequest.newBuilder().setName("good").build()),
        Status.Code.ALREADY_EXISTS, ErrorReason.TOPIC_ALREADY_EXISTS, "good");
  }

  @Test
  void unknownTopicsAreNamedInTheError() {
    assertFails(() -> admin().describeTopics(DescribeTopicsRequest.newBuilder().addNames("missing").build()),
        Status.Code.NOT_FOUND, ErrorReason.UNKNOWN_TOPIC, "'missing'");
    PartitionProduceResult produced = RawCalls.produce(cluster.channel(1), "missing", 0, RawCalls.batch(1, 10)).get(0);
    assertDetail(produced.getError(), ErrorReason.UNKNOWN_TOPIC, "'missing'");
    FetchedPartition fetched = RawCalls.fetch(cluster.channel(1), "missing", 0, 0);
    assertDetail(fetched.getError(), ErrorReason.UNKNOWN_TOPIC, "'missing'");
    PartitionProduceResult noSuchPartition = RawCalls.produce(cluster.channel(1), "good", 7, RawCalls.batch(1, 10)).get(0);
    assertDetail(noSuchPartition.getError(), ErrorReason.UNKNOWN_PARTITION, "has 3 partitions");
  }

  @Test
  void aBatchOverMaxMessageBytesIsRefusedAndNothingIsStored() {
    int partition = 0;
    int leader = good.getPartitions(partition).getLeaderId();
    long before = RawCalls.latest(cluster.channel(leader), "good", partition);
    PartitionProduceResult result = RawCalls.produce(cluster.channel(leader), "good", partition, RawCalls.batch(2, 1500)).get(0);
    assertDetail(result.getError(), ErrorReason.RECORD_TOO_LARGE, "max.message.bytes (2000)");
    assertThat(result.getBaseOffset()).isEqualTo(-1);
    assertThat(RawCalls.latest(cluster.channel(leader), "good", partition)).isEqualTo(before);
    // A batch that fits goes in right after.
    PartitionProduceResult ok = RawCalls.produce(cluster.channel(leader), "good", partition, RawCalls.batch(1, 100)).get(0);
    assertThat(ok.hasError()).isFalse();
    assertThat(ok.getBaseOffset()).isEqualTo(before);
  }

  @Test
  void badlyNumberedRecordsAreRefused() {
    int leader = good.getPartitions(1).getLeaderId();
    RecordSet set = RecordSet.newBuilder()
        .addRecords(Record.newBuilder().setOffsetDelta(0).setValue(ByteString.copyFromUtf8("a")))
        .addRecords(Record.newBuilder().setOffsetDelta(0).setValue(ByteString.copyFromUtf8("b")))
        .build();
    RecordBatch bad = RecordBatch.newBuilder().setRecords(set.toByteString()).build();
    assertDetail(RawCalls.produce(cluster.channel(leader), "good", 1, bad).get(0).getError(), ErrorReason.INVALID_RECORD, "offset_delta");
    assertDetail(RawCalls.produce(cluster.channel(leader), "good", 1, RecordBatch.newBuilder().setRecords(ByteString.copyFromUtf8("\u00ff\u00ff"))
        .build()).get(0).getError(), ErrorReason.INVALID_RECORD, "RecordSet");
  }

  @Test
  void twoBatchesForOnePartitionInOneRequestAreRefused() {
    int leader = good.getPartitions(2).getLeaderId();
    List<PartitionProduceResult> results = ProducerServiceGrpc.newBlockingStub(cluster.channel(leader))
        .produce(ProduceRequest.newBuilder()
            .addBatches(PartitionBatch.newBuilder().setTopic("good").setPartition(2).setBatch(RawCalls.batch(1, 5)))
            .addBatches(PartitionBatch.newBuilder().setTopic("good").setPartition(2).setBatch(RawCalls.batch(1, 5)))
            .build()).getResultsList();
    assertThat(results.get(0).hasError()).isFalse();
    assertDetail(results.get(1).getError(), ErrorReason.INVALID_REQUEST, "at most one per partition");
  }

  @Test
  void fetchingOutsideTheLogIsOutOfRange() {
    int leader = good.getPartitions(2).getLeaderId();
    long end = RawCalls.latest(cluster.channel(leader), "good", 2);
    FetchedPartition beyond = RawCalls.fetch(cluster.channel(leader), "good", 2, end + 100);
    assertDetail(beyond.getError(), ErrorReason.OFFSET_OUT_OF_RANGE, "out of range");
    assertThat(beyond.getError().getMetadataMap()).containsEntry("high_watermark", Long.toString(end));
    FetchedPartition below = RawCalls.fetch(cluster.channel(leader), "good", 2, -1);
    assertDetail(below.getError(), ErrorReason.OFFSET_OUT_OF_RANGE, "out of range");
    // Exactly at the end is not an error: there is just nothing yet.
    FetchedPartition atEnd = RawCalls.fetch(cluster.channel(leader), "good", 2, end);
    assertThat(atEnd.hasError()).isFalse();
    assertThat(atEnd.getBatchesCount()).isZero();
  }

  @Test
  void produceToANonLeaderNamesTheLeader() {
    int leader = good.getPartitions(0).getLeaderId();
    int other = leader % 3 + 1;
    ErrorDetail error = RawCalls.produce(cluster.channel(other), "good", 0, RawCalls.batch(1, 5)).get(0).getError();
    assertDetail(error, ErrorReason.NOT_LEADER, "does not lead");
    assertThat(error.getRetriable()).isTrue();
    assertThat(error.getMetadataMap()).containsEntry("leader_id", Integer.toString(leader))
        .containsEntry("leader_address", cluster.address(leader).toString());
  }

  @Test
  void malformedRequestsAreRefusedAsAWhole() {
    assertFails(() -> ConsumerServiceGrpc.newBlockingStub(cluster.channel(1)).fetch(FetchRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_REQUEST, "at least one partition");
    assertFails(() -> ProducerServiceGrpc.newBlockingStub(cluster.channel(1)).produce(
            ProduceRequest.newBuilder().setAcksValue(42).build()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_REQUEST, "acks");
  }

  private static void assertNoTopicNamed(String name) {
    List<TopicListing> topics = admin().listTopics(ListTopicsRequest.getDefaultInstance()).getTopicsList();
    assertThat(topics).extracting(TopicListing::getName).doesNotContain(name);
    // Nor anything on any broker's disk.
    for (int id = 1; id <= 3; id++) {
      Path logs = dir.resolve("broker-" + id).resolve("logs");
      if (!name.isEmpty() && Files.isDirectory(logs)) {
        try (Stream<Path> entries = Files.list(logs)) {
          assertThat(entries.map(p -> p.getFileName().toString())).noneMatch(f -> f.startsWith(name + "-"));
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    }
  }
}
