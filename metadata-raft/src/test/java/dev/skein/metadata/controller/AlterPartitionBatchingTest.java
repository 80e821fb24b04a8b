package dev.skein.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.proto.internal.v1.AlterPartitionRequest;
import dev.skein.proto.internal.v1.AlterPartitionsRequest;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.MetadataBatch;
import dev.skein.proto.internal.v1.MetadataRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** AlterPartition requests that wait while the controller is busy are decided and written together. */
class AlterPartitionBatchingTest {

  /** Passes writes to the in-memory log, holding back the first until the test lets it go. */
  private static final class GatedWriter implements BatchWriter {
    final InMemoryMetadataLog log;
    final CompletableFuture<Void> gate = new CompletableFuture<>();
    final AtomicInteger writes = new AtomicInteger();

    GatedWriter(InMemoryMetadataLog log) {
      this.log = log;
    }

    @Override
    public CompletableFuture<WriteResult> write(MetadataBatch batch) {
      if (writes.getAndIncrement() == 0) {
        return gate.thenCompose(ignored -> log.write(batch));
      }
      return log.write(batch);
    }
  }

  @Test
  void requests_queued_behind_a_write_go_in_one_batch_and_each_gets_its_own_answer() {
    try (ControllerFixture fixture = new ControllerFixture()) {
      fixture.startBrokers(1, 2, 3);
      fixture.createTopic("t", 50, 3);
      fixture.controller.close();
      String topicId = fixture.topicId("t");
      GatedWriter writer = new GatedWriter(fixture.log);
      QuorumController controller = new QuorumController(0, ControllerFixture.settings(false, Duration.ofHours(1)),
          fixture.log::image, writer, fixture.clock::get, new Random(1));
      controller.start();
      try {
        int entriesBefore = fixture.log.entries().size();
        List<CompletableFuture<ControllerResponse>> answers = new ArrayList<>();
        List<List<Integer>> proposed = new ArrayList<>();
        for (int p = 0; p < 50; p++) {
          PartitionRegistration partition = fixture.partition("t", p);
          int leader = partition.leader();
          List<Integer> shrunk = List.of(leader, partition.replicas().stream().filter(b -> b != leader).findFirst()
              .orElseThrow());
          proposed.add(shrunk);
          answers.add(controller.handle(alter(fixture, leader, topicId, p, partition.partitionEpoch(), shrunk)));
          if (p == 0) {
            // The first one is being written; the rest wait behind it.
            await().atMost(Duration.ofSeconds(10)).until(() -> writer.writes.get() == 1);
          }
        }
        // A second request for partition 1 with the same epochs: it must not spoil the batch.
        PartitionRegistration one = fixture.partition("t", 1);
        CompletableFuture<ControllerResponse> duplicate = controller.handle(alter(fixture, one.leader(), topicId, 1,
            one.partitionEpoch(), List.of(one.leader())));

        writer.gate.complete(null);

        for (int p = 0; p < 50; p++) {
          ControllerResponse answer = answers.get(p).orTimeout(10, TimeUnit.SECONDS).join();
          assertThat(answer.getErrorReason()).as("partition %d", p).isEmpty();
          assertThat(answer.getAlterPartition().getIsrList()).containsExactlyElementsOf(proposed.get(p));
          assertThat(answer.getAlterPartition().getPartitionEpoch()).isEqualTo(1);
          assertThat(fixture.partition("t", p).isr()).containsExactlyElementsOf(proposed.get(p));
        }
        ControllerResponse late = duplicate.orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(late.getErrorReason()).isEqualTo(ControllerError.STALE_PARTITION_EPOCH.name());
        // Partition 0 alone, then the other 49 in one batch; the stale duplicate writes nothing.
        var written = fixture.log.entries().subList(entriesBefore, fixture.log.entries().size());
        assertThat(written).hasSize(2);
        assertThat(written.get(0).batch().getRecordsList()).hasSize(1);
        assertThat(written.get(1).batch().getRecordsList()).hasSize(49)
            .allMatch(MetadataRecord::hasPartitionChange);
      } finally {
        controller.close();
      }
    }
  }

  @Test
  void one_request_for_many_partitions_is_decided_entry_by_entry_and_written_as_one_batch() {
    try (ControllerFixture fixture = new ControllerFixture()) {
      fixture.startBrokers(1, 2, 3);
      fixture.createTopic("t", 20, 3);
      String topicId = fixture.topicId("t");
      int leader = fixture.partition("t", 0).leader();
      AlterPartitionsRequest.Builder request = AlterPartitionsRequest.newBuilder();
      List<Integer> partitions = new ArrayList<>();
      for (int p = 0; p < 20; p++) {
        PartitionRegistration partition = fixture.partition("t", p);
        if (partition.leader() == leader) {
          partitions.add(p);
          request.addPartitions(alter(fixture, leader, topicId, p, partition.partitionEpoch(), List.of(leader))
              .getAlterPartition());
        }
      }
      // One entry with a stale partition epoch, and one from a broker that does not lead its partition.
      request.addPartitions(alter(fixture, leader, topicId, partitions.get(0), 7, List.of(leader)).getAlterPartition());
      int notLed = java.util.stream.IntStream.range(0, 20).filter(p -> fixture.partition("t", p).leader() != leader)
          .findFirst().orElseThrow();
      request.addPartitions(alter(fixture, leader, topicId, notLed, fixture.partition("t", notLed).partitionEpoch(),
          List.of(leader)).getAlterPartition());
      int entriesBefore = fixture.log.entries().size();

      ControllerResponse response = fixture.controller.handle(
          ControllerRequest.newBuilder().setAlterPartitions(request).build()).orTimeout(10, TimeUnit.SECONDS).join();

      assertThat(response.getErrorReason()).isEmpty();
      List<ControllerResponse> answers = response.getAlterPartitions().getResponsesList();
      assertThat(answers).hasSize(partitions.size() + 2);
      for (int i = 0; i < partitions.size(); i++) {
        assertThat(answers.get(i).getErrorReason()).as("partition %d", partitions.get(i)).isEmpty();
        assertThat(answers.get(i).getAlterPartition().getIsrList()).containsExactly(leader);
        assertThat(fixture.partition("t", partitions.get(i)).isr()).containsExactly(leader);
      }
      assertThat(answers.get(partitions.size()).getErrorReason()).isEqualTo(
          ControllerError.STALE_PARTITION_EPOCH.name());
      assertThat(answers.get(partitions.size() + 1).getErrorReason()).isEqualTo(
          ControllerError.NOT_LEADER_EPOCH.name());
      assertThat(fixture.partition("t", notLed).isr()).hasSize(3);
      assertThat(response.getAppliedIndex()).isEqualTo(answers.get(0).getAppliedIndex()).isPositive();
      // The stale duplicate of the first partition waits for the next batch; everything else is one write.
      var written = fixture.log.entries().subList(entriesBefore, fixture.log.entries().size());
      assertThat(written).hasSize(1);
      assertThat(written.get(0).batch().getRecordsList()).hasSize(partitions.size());
    }
  }

  private static ControllerRequest alter(ControllerFixture fixture, int leader, String topicId, int partition,
      int partitionEpoch, List<Integer> isr) {
    return ControllerRequest.newBuilder().setAlterPartition(AlterPartitionRequest.newBuilder()
        .setBrokerId(leader).setBrokerEpoch(fixture.epochs.get(leader)).setTopicId(topicId).setPartition(partition)
        .setLeaderEpoch(0).setPartitionEpoch(partitionEpoch).addAllNewIsr(isr)).build();
  }
}
