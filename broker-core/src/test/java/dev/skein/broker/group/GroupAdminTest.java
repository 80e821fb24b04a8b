package dev.skein.broker.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.ConsumerGroupDescription;
import dev.skein.client.ConsumerGroupListing;
import dev.skein.client.NewTopic;
import dev.skein.client.OffsetAndMetadata;
import dev.skein.client.OffsetReset;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinException;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import dev.skein.rpc.ErrorReason;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Listing, describing (with lag), resetting and deleting groups through the admin client. */
class GroupAdminTest {

  static final TopicPartition P0 = new TopicPartition("reset", 0);
  static final TopicPartition P1 = new TopicPartition("reset", 1);
  /** The first 50 records of each partition are two hours old, the other 50 ten minutes. */
  static final Instant OLD = Instant.now().minus(Duration.ofHours(2));
  static final Instant RECENT = Instant.now().minus(Duration.ofMinutes(10));

  @TempDir
  static Path dir;
  static TestCluster cluster;
  static SkeinAdmin admin;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 1, GroupConfig.DEFAULT.withTimeouts(Duration.ofSeconds(6), Duration.ofSeconds(1))
        .withOffsetsTopic(4, 1));
    admin = cluster.admin();
    admin.createTopic(NewTopic.of("reset", 2, 1));
    SkeinProducer producer = cluster.producer(Map.of());
    for (int p = 0; p < 2; p++) {
      for (int i = 0; i < 100; i++) {
        Instant at = (i < 50 ? OLD : RECENT).plusMillis(i);
        producer.send(ProducerRecord.of("reset", null, "v" + i).withPartition(p).withTimestamp(at.toEpochMilli()));
      }
    }
    producer.flush();
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void eachResetModeComputesTheRightOffsetsAndTheDryRunChangesNothing() {
    String group = "resets";
    SkeinConsumer committer = cluster.consumer(Map.of("group.id", group));
    committer.commitSync(Map.of(P0, OffsetAndMetadata.of(60), P1, OffsetAndMetadata.of(20)));
    List<TopicPartition> both = List.of(P0, P1);

    assertThat(admin.planOffsetReset(group, both, new OffsetReset.ToEarliest())).containsEntry(P0, 0L).containsEntry(P1, 0L);
    assertThat(admin.planOffsetReset(group, both, new OffsetReset.ToLatest())).containsEntry(P0, 100L).containsEntry(P1, 100L);
    assertThat(admin.planOffsetReset(group, both, new OffsetReset.ToOffset(30))).containsEntry(P0, 30L);
    assertThat(admin.planOffsetReset(group, both, new OffsetReset.ToOffset(500))).as("clamped to the log end")
        .containsEntry(P0, 100L);
    assertThat(admin.planOffsetReset(group, both, new OffsetReset.ShiftBy(-10))).containsEntry(P0, 50L)
        .containsEntry(P1, 10L);
    assertThat(admin.planOffsetReset(group, both, new OffsetReset.ShiftBy(-50))).as("clamped to the log start")
        .containsEntry(P1, 0L);
    assertThat(admin.planOffsetReset(group, both, new OffsetReset.ToDatetime(OLD.plusMillis(25))))
        .containsEntry(P0, 25L);
    assertThat(admin.planOffsetReset(group, both, new OffsetReset.ToDatetime(Instant.now()))).as("nothing that new")
        .containsEntry(P0, 100L);
    assertThat(admin.planOffsetReset(group, both, new OffsetReset.ByDuration(Duration.ofHours(1))))
        .containsEntry(P0, 50L).containsEntry(P1, 50L);
    assertThat(admin.planOffsetReset(group, both, new OffsetReset.ByDuration(Duration.ofHours(3))))
        .containsEntry(P0, 0L);
    // Planning is the dry run: nothing moved.
    assertThat(admin.committedOffsets(group)).containsEntry(P0, 60L).containsEntry(P1, 20L);

    Map<TopicPartition, Long> plan = admin.planOffsetReset(group, both, new OffsetReset.ShiftBy(-10));
    admin.resetOffsets(group, plan);
    assertThat(admin.committedOffsets(group)).containsEntry(P0, 50L).containsEntry(P1, 10L);
  }

  @Test
  void resettingOrDeletingAnActiveGroupIsRefusedWithTheReason() {
    String group = "active";
    SkeinConsumer member = cluster.consumer(Map.of("group.id", group, "auto.offset.reset", "earliest"));
    member.subscribe(List.of("reset"));
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      member.poll(Duration.ofMillis(100));
      return member.assignment().size() == 2;
    });
    assertThatThrownBy(() -> admin.resetOffsets(group, Map.of(P0, 0L)))
        .isInstanceOfSatisfying(SkeinException.class, e -> {
          assertThat(e.reason()).contains(ErrorReason.GROUP_NOT_EMPTY);
          assertThat(e.getMessage()).contains("active member");
        });
    assertThatThrownBy(() -> admin.deleteGroup(group)).isInstanceOfSatisfying(SkeinException.class,
        e -> assertThat(e.reason()).contains(ErrorReason.GROUP_NOT_EMPTY));
    member.close();
    admin.resetOffsets(group, Map.of(P0, 0L));
    assertThat(admin.committedOffsets(group)).containsEntry(P0, 0L);
  }

  @Test
  void describeShowsMembersAndLagFromLogEndOffsetsAndDeleteRemovesTheGroup() {
    String group = "lagging";
    SkeinConsumer member = cluster.consumer(Map.of("group.id", group, "auto.offset.reset", "earliest",
        "enable.auto.commit", "false", "client.id", "lag-client", "max.poll.records", "10"));
    member.subscribe(List.of("reset"));
    await().atMost(Duration.ofSeconds(20)).until(() -> !member.poll(Duration.ofMillis(100)).isEmpty());
    member.commitSync(Map.of(P0, OffsetAndMetadata.of(70)));
    ConsumerGroupDescription d = admin.describeGroup(group);
    assertThat(d.state()).isEqualTo("Stable");
    assertThat(d.members()).singleElement().satisfies(m -> {
      assertThat(m.clientId()).isEqualTo("lag-client");
      assertThat(m.host()).isEqualTo("/127.0.0.1");
      assertThat(m.assignment()).containsExactlyInAnyOrder(P0, P1);
    });
    assertThat(d.partitions()).hasSize(2);
    ConsumerGroupDescription.PartitionLag p0 = d.partitions().get(0);
    assertThat(p0.partition()).isEqualTo(P0);
    assertThat(p0.committedOffset()).isEqualTo(70);
    assertThat(p0.logEndOffset()).isEqualTo(100);
    assertThat(p0.lag()).isEqualTo(30);
    assertThat(p0.clientId()).isEqualTo("lag-client");
    assertThat(d.partitions().get(1).committedOffset()).isEqualTo(-1);
    assertThat(admin.listGroups()).extracting(ConsumerGroupListing::groupId).contains(group);

    member.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> admin.describeGroup(group).state().equals("Empty"));
    admin.deleteGroup(group);
    assertThat(admin.listGroups()).extracting(ConsumerGroupListing::groupId).doesNotContain(group);
    assertThatThrownBy(() -> admin.describeGroup(group)).isInstanceOfSatisfying(SkeinException.class,
        e -> assertThat(e.reason()).contains(ErrorReason.UNKNOWN_GROUP));
  }
}
