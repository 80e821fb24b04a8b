package dev.skein.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.MetadataBatch;
import dev.skein.proto.internal.v1.MetadataRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Leaderships move back to preferred leaders (auto leader rebalance). */
class PreferredLeaderBalanceTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private final List<ControllerFixture> fixtures = new ArrayList<>();

  @AfterEach
  void close() {
    fixtures.forEach(ControllerFixture::close);
  }

  /** A controller whose periodic checks run only when the test asks (an hour apart). */
  private ControllerFixture fixture(boolean autoLeaderRebalance) {
    return fixture(ControllerFixture.settings(autoLeaderRebalance, Duration.ofHours(1)));
  }

  private ControllerFixture fixture(ControllerSettings settings) {
    ControllerFixture fixture = new ControllerFixture(42, settings);
    fixtures.add(fixture);
    return fixture;
  }

  /** The preferred leader of t-0 (replication factor 3) dies and is fenced; it leads nothing. */
  private static int failPreferredLeader(ControllerFixture fixture) {
    PartitionRegistration initial = fixture.partition("t", 0);
    int preferred = initial.preferredLeader();
    assertThat(initial.leader()).isEqualTo(preferred);
    fixture.advance(Duration.ofMillis(1500));
    initial.replicas().stream().filter(broker -> broker != preferred)
        .forEach(broker -> fixture.heartbeat(broker, false, false));
    fixture.advance(Duration.ofMillis(1000));
    fixture.checkSessions();
    PartitionRegistration failedOver = fixture.partition("t", 0);
    assertThat(fixture.image().brokers().get(preferred).orElseThrow().fenced()).isTrue();
    assertThat(failedOver.leader()).isNotIn(preferred, PartitionRegistration.NO_LEADER);
    assertThat(failedOver.isr()).doesNotContain(preferred);
    return preferred;
  }

  /** The partition's leader proposes an ISR with {@code broker} back in it, as its replica manager would. */
  private static ControllerResponse addToIsr(ControllerFixture fixture, int broker) {
    PartitionRegistration partition = fixture.partition("t", 0);
    List<Integer> isr = Stream.concat(partition.isr().stream(), Stream.of(broker)).toList();
    return fixture.alterPartition(partition.leader(), "t", 0, partition.leaderEpoch(), partition.partitionEpoch(), isr);
  }

  /** Writes records straight to the log, as an earlier controller might have: no controller trigger follows. */
  private static void writeDirectly(ControllerFixture fixture, List<MetadataRecord> records) {
    BatchWriter.WriteResult result = fixture.log.write(MetadataBatch.newBuilder().addAllRecords(records).build())
        .join();
    assertThat(result.rejection()).isNull();
  }

  private static MetadataRecord leaderMove(ControllerFixture fixture, String topic, int partition, int leader) {
    PartitionRegistration current = fixture.partition(topic, partition);
    return MetadataRecords.partitionChange(fixture.topicId(topic), partition, current, leader, current.isr(), false)
        .orElseThrow();
  }

  @Test
  void aPreferredLeaderPutBackInTheIsrTakesItsLeadershipBack() {
    ControllerFixture fixture = fixture(true);
    fixture.startBrokers(1, 2, 3);
    fixture.createTopic("t", 1, 3);
    int preferred = failPreferredLeader(fixture);

    // Back and unfenced, but not in the ISR yet: it may not lead. Not even a move the log
    // would reject (the image refuses a leader outside the ISR) is written.
    int entries = fixture.log.entries().size();
    assertThat(fixture.heartbeat(preferred, true, false).getFenced()).isFalse();
    fixture.checkLeaderBalance();
    assertThat(fixture.log.entries()).as("only the unfencing is written").hasSize(entries + 1);
    PartitionRegistration beforeRejoin = fixture.partition("t", 0);
    assertThat(beforeRejoin.leader()).isNotEqualTo(preferred);

    // The leader takes it back into the ISR; that alone brings the leadership back (the periodic
    // check is an hour away).
    ControllerResponse rejoined = addToIsr(fixture, preferred);
    assertThat(rejoined.getErrorReason()).isEmpty();
    assertThat(rejoined.getAlterPartition().getLeaderEpoch()).isEqualTo(beforeRejoin.leaderEpoch());
    PartitionRegistration back = await().atMost(WAIT)
        .until(() -> fixture.partition("t", 0), partition -> partition.leader() == preferred);
    assertThat(back.leaderEpoch()).isEqualTo(beforeRejoin.leaderEpoch() + 1);
    assertThat(back.partitionEpoch()).isEqualTo(rejoined.getAlterPartition().getPartitionEpoch() + 1);
    assertThat(back.isr()).containsExactlyInAnyOrderElementsOf(back.replicas());
  }

  @Test
  void aFencedPreferredLeaderInTheIsrLeadsOnlyOnceUnfenced() {
    ControllerFixture fixture = fixture(true);
    fixture.startBrokers(1, 2);
    fixture.createTopic("t", 1, 2);
    PartitionRegistration initial = fixture.partition("t", 0);
    int preferred = initial.preferredLeader();
    int other = initial.replicas().get(1);
    // Fenced, yet still in the ISR (as a last member is left, or an older controller left it).
    writeDirectly(fixture, List.of(
        MetadataRecords.brokerChange(preferred, fixture.epochs.get(preferred), true, null),
        leaderMove(fixture, "t", 0, other)));
    assertThat(fixture.partition("t", 0).isr()).contains(preferred);

    fixture.checkLeaderBalance();
    assertThat(fixture.partition("t", 0).leader()).isEqualTo(other);

    // Unfencing it is enough: the check right after the unfence moves the leadership.
    assertThat(fixture.heartbeat(preferred, true, false).getFenced()).isFalse();
    PartitionRegistration back = await().atMost(WAIT)
        .until(() -> fixture.partition("t", 0), partition -> partition.leader() == preferred);
    assertThat(back.leaderEpoch()).isEqualTo(2);
  }

  @Test
  void aBrokerInControlledShutdownGetsNoLeadershipBack() {
    ControllerFixture fixture = fixture(true);
    fixture.startBrokers(1, 2);
    fixture.createTopic("t", 1, 2);
    PartitionRegistration initial = fixture.partition("t", 0);
    int preferred = initial.preferredLeader();
    int other = initial.replicas().get(1);
    writeDirectly(fixture, List.of(
        MetadataRecords.brokerChange(preferred, fixture.epochs.get(preferred), null, true),
        leaderMove(fixture, "t", 0, other)));
    PartitionRegistration moved = fixture.partition("t", 0);
    assertThat(moved.isr()).contains(preferred);
    assertThat(fixture.image().brokers().get(preferred).orElseThrow().fenced()).isFalse();
    int entries = fixture.log.entries().size();

    fixture.checkLeaderBalance();

    assertThat(fixture.partition("t", 0)).isEqualTo(moved);
    assertThat(fixture.log.entries()).hasSize(entries);
  }

  @Test
  void nothingMovesWhenAutoLeaderRebalanceIsOff() {
    ControllerFixture fixture = fixture(false);
    fixture.startBrokers(1, 2, 3);
    fixture.createTopic("t", 1, 3);
    int preferred = failPreferredLeader(fixture);
    assertThat(fixture.heartbeat(preferred, true, false).getFenced()).isFalse();
    assertThat(addToIsr(fixture, preferred).getErrorReason()).isEmpty();
    PartitionRegistration rejoined = fixture.partition("t", 0);
    assertThat(rejoined.isr()).contains(preferred);

    // Queued behind anything the AlterPartition could have triggered, and a no-op itself.
    fixture.checkLeaderBalance();

    assertThat(fixture.partition("t", 0)).isEqualTo(rejoined);
    assertThat(rejoined.leader()).isNotEqualTo(preferred);
  }

  @Test
  void thePeriodicCheckMovesEverythingNoTriggerCaughtInBoundedBatches() {
    ControllerFixture fixture = fixture(true);
    fixture.startBrokers(1, 2);
    fixture.createTopic("t", 250, 2);
    TopicImage created = fixture.image().topics().byName("t").orElseThrow();
    List<MetadataRecord> moves = new ArrayList<>();
    created.partitions().forEach((index, partition) ->
        moves.add(leaderMove(fixture, "t", index, partition.replicas().get(1))));
    writeDirectly(fixture, moves);
    assertThat(fixture.image().topics().byName("t").orElseThrow().partitions().values())
        .noneMatch(PartitionRegistration::hasPreferredLeader);
    int entries = fixture.log.entries().size();

    fixture.checkLeaderBalance();

    Map<Integer, PartitionRegistration> partitions = fixture.image().topics().byName("t").orElseThrow().partitions();
    assertThat(partitions.values()).allSatisfy(partition -> {
      assertThat(partition.hasPreferredLeader()).isTrue();
      assertThat(partition.leaderEpoch()).isEqualTo(2);
      assertThat(partition.isr()).containsExactlyElementsOf(partition.replicas());
    });
    List<Integer> batchSizes = fixture.log.entries().subList(entries, fixture.log.entries().size()).stream()
        .map(entry -> entry.batch().getRecordsCount()).toList();
    assertThat(batchSizes).containsExactly(100, 100, 50);

    // Balanced: another check writes nothing.
    fixture.checkLeaderBalance();
    assertThat(fixture.log.entries()).hasSize(entries + 3);
  }

  @Test
  void theCheckRunsOnItsOwnAtTheConfiguredInterval() {
    ControllerFixture fixture = fixture(ControllerFixture.settings(true, Duration.ofMillis(20)));
    fixture.startBrokers(1, 2);
    fixture.createTopic("t", 4, 2);
    List<MetadataRecord> moves = new ArrayList<>();
    fixture.image().topics().byName("t").orElseThrow().partitions().forEach((index, partition) ->
        moves.add(leaderMove(fixture, "t", index, partition.replicas().get(1))));
    writeDirectly(fixture, moves);

    await().atMost(WAIT).untilAsserted(() ->
        assertThat(fixture.image().topics().byName("t").orElseThrow().partitions().values())
            .allMatch(PartitionRegistration::hasPreferredLeader));
  }
}
