package dev.skein.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.internal.v1.AllocateProducerIdsRequest;
import dev.skein.proto.internal.v1.AlterConfigsRequest;
import dev.skein.proto.internal.v1.CreatePartitionsRequest;
import dev.skein.proto.internal.v1.BrokerHeartbeatResult;
import dev.skein.proto.internal.v1.ConfigResourceType;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.CreateTopicRequest;
import dev.skein.proto.internal.v1.DeleteTopicRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QuorumControllerTest {

  private final ControllerFixture fixture = new ControllerFixture();

  @AfterEach
  void close() {
    fixture.close();
  }

  private static void assertError(ControllerResponse response, ControllerError error, String message) {
    assertThat(response.getErrorReason()).isEqualTo(error.name());
    assertThat(response.getErrorCode()).isEqualTo(error.code());
    assertThat(response.getErrorMessage()).contains(message);
    assertThat(response.getAppliedIndex()).as("a refused request writes nothing").isZero();
  }

  private ControllerResponse create(CreateTopicRequest.Builder request) {
    return fixture.send(ControllerRequest.newBuilder().setCreateTopic(request).build());
  }

  // ---- cluster id ----

  @Test
  void theFirstControllerWritesAClusterId() {
    fixture.register(1); // queued behind the cluster id write
    assertThat(fixture.image().clusterId()).isNotEmpty();
    String clusterId = fixture.image().clusterId();
    try (QuorumController second = new QuorumController(1, ControllerSettings.withSessionTimeout(Duration.ofSeconds(2)),
        fixture.log::image, fixture.log, fixture.clock::get, new Random(1))) {
      second.start();
      second.checkSessions().join();
      assertThat(fixture.image().clusterId()).isEqualTo(clusterId);
    }
  }

  // ---- topics ----

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "..", "has space", "slash/", "ümlaut"})
  void invalidTopicNamesAreRefused(String name) {
    fixture.startBrokers(1);
    assertError(fixture.createTopic(name, 1, 1), ControllerError.INVALID_TOPIC_NAME, "topic name");
  }

  @Test
  void topicNamesMayBe249CharactersLong() {
    fixture.startBrokers(1);
    assertThat(fixture.createTopic("a".repeat(249), 1, 1).getErrorReason()).isEmpty();
    assertError(fixture.createTopic("b".repeat(250), 1, 1), ControllerError.INVALID_TOPIC_NAME,
        "250 characters long; the limit is 249");
  }

  @Test
  void partitionsAndReplicationFactorAreChecked() {
    fixture.startBrokers(1, 2);
    fixture.register(3); // fenced: not available for replicas
    assertError(fixture.createTopic("t", 0, 1), ControllerError.INVALID_PARTITIONS, "got 0");
    assertError(fixture.createTopic("t", 1, 0), ControllerError.INVALID_REPLICATION_FACTOR, "at least 1");
    assertError(fixture.createTopic("t", 1, 3), ControllerError.INVALID_REPLICATION_FACTOR,
        "replication factor 3 is larger than the 2 available brokers");
  }

  @Test
  void configsAreValidated() {
    fixture.startBrokers(1);
    assertError(create(CreateTopicRequest.newBuilder().setName("t").setPartitions(1).setReplicationFactor(1)
        .putConfigs("no.such.config", "1")), ControllerError.INVALID_CONFIG, "unknown topic config 'no.such.config'");
    assertError(create(CreateTopicRequest.newBuilder().setName("t").setPartitions(1).setReplicationFactor(1)
        .putConfigs("retention.ms", "soon")), ControllerError.INVALID_CONFIG,
        "invalid value 'soon' for retention.ms: not a whole number");
    assertError(create(CreateTopicRequest.newBuilder().setName("t").setPartitions(1).setReplicationFactor(1)
        .putConfigs("cleanup.policy", "delete,shred")), ControllerError.INVALID_CONFIG, "each item must be one of");
  }

  @Test
  void aTopicNameCanBeTakenOnce() {
    fixture.startBrokers(1);
    assertThat(fixture.createTopic("t", 1, 1).getErrorReason()).isEmpty();
    assertError(fixture.createTopic("t", 1, 1), ControllerError.TOPIC_ALREADY_EXISTS, "topic 't' already exists");
  }

  @Test
  void validateOnlyWritesNothingButGivesTheAssignment() {
    fixture.startBrokers(1, 2, 3);
    int entries = fixture.log.entries().size();
    ClusterImage before = fixture.image();

    ControllerResponse response = create(CreateTopicRequest.newBuilder().setName("t").setPartitions(4)
        .setReplicationFactor(2).setValidateOnly(true).putConfigs("retention.ms", "1000"));

    assertThat(response.getErrorReason()).isEmpty();
    assertThat(response.getAppliedIndex()).isZero();
    assertThat(response.getCreateTopic().getTopicId()).isEmpty();
    assertThat(response.getCreateTopic().getAssignmentsList()).hasSize(4)
        .allSatisfy(replicas -> assertThat(replicas.getBrokerIdsList()).hasSize(2).doesNotHaveDuplicates());
    assertThat(fixture.log.entries()).hasSize(entries);
    assertThat(fixture.image()).isSameAs(before);
  }

  @Test
  void createsATopicWithRotatingLeadersAndItsConfigs() {
    fixture.startBrokers(1, 2, 3);
    ControllerResponse response = create(CreateTopicRequest.newBuilder().setName("t").setPartitions(6)
        .setReplicationFactor(3).putConfigs("retention.ms", "1000"));

    assertThat(response.getErrorReason()).isEmpty();
    assertThat(response.getAppliedIndex()).isPositive();
    TopicImage topic = fixture.image().topics().byName("t").orElseThrow();
    assertThat(topic.id()).isEqualTo(response.getCreateTopic().getTopicId());
    assertThat(topic.partitions()).hasSize(6);
    Map<Integer, Integer> leaderships = new HashMap<>();
    topic.partitions().forEach((index, partition) -> {
      assertThat(partition.isr()).isEqualTo(partition.replicas());
      assertThat(partition.leader()).isEqualTo(partition.replicas().get(0));
      assertThat(partition.leaderEpoch()).isZero();
      assertThat(partition.partitionEpoch()).isZero();
      assertThat(response.getCreateTopic().getAssignments(index).getBrokerIdsList()).isEqualTo(partition.replicas());
      leaderships.merge(partition.leader(), 1, Integer::sum);
    });
    assertThat(leaderships).containsOnlyKeys(1, 2, 3).allSatisfy((broker, count) -> assertThat(count).isEqualTo(2));
    assertThat(fixture.image().configs().topicConfigs(topic.id())).containsExactlyEntriesOf(Map.of("retention.ms", "1000"));
  }

  @Test
  void deletesTopics() {
    fixture.startBrokers(1);
    fixture.createTopic("t", 2, 1);
    assertError(fixture.send(ControllerRequest.newBuilder().setDeleteTopic(DeleteTopicRequest.newBuilder()
        .setName("nope")).build()), ControllerError.UNKNOWN_TOPIC, "topic 'nope' does not exist");
    ControllerResponse deleted = fixture.send(ControllerRequest.newBuilder()
        .setDeleteTopic(DeleteTopicRequest.newBuilder().setName("t")).build());
    assertThat(deleted.getErrorReason()).isEmpty();
    assertThat(deleted.getAppliedIndex()).isPositive();
    assertThat(fixture.image().topics().byName("t")).isEmpty();
  }

  @Test
  void altersTopicConfigs() {
    fixture.startBrokers(1);
    fixture.createTopic("t", 1, 1);
    String topicId = fixture.topicId("t");
    ControllerResponse set = fixture.send(alterConfigs("t", Map.of("retention.ms", "5", "cleanup.policy", "compact"),
        List.of(), false));
    assertThat(set.getErrorReason()).isEmpty();
    assertThat(fixture.image().configs().topicConfigs(topicId))
        .containsExactlyInAnyOrderEntriesOf(Map.of("retention.ms", "5", "cleanup.policy", "compact"));

    int entries = fixture.log.entries().size();
    assertThat(fixture.send(alterConfigs("t", Map.of("retention.ms", "6"), List.of(), true)).getErrorReason()).isEmpty();
    assertThat(fixture.log.entries()).hasSize(entries);

    assertThat(fixture.send(alterConfigs("t", Map.of(), List.of("retention.ms"), false)).getErrorReason()).isEmpty();
    assertThat(fixture.image().configs().topicConfigs(topicId)).containsExactlyEntriesOf(Map.of("cleanup.policy", "compact"));

    assertError(fixture.send(alterConfigs("nope", Map.of("retention.ms", "6"), List.of(), false)),
        ControllerError.UNKNOWN_TOPIC, "'nope'");
    assertError(fixture.send(alterConfigs("t", Map.of("min.insync.replicas", "0"), List.of(), false)),
        ControllerError.INVALID_CONFIG, "must be at least 1");
    assertError(fixture.send(alterConfigs("t", Map.of(), List.of("bogus"), false)),
        ControllerError.INVALID_CONFIG, "unknown topic config 'bogus'");
  }

  @Test
  void altersTheClusterWideTopicDefaults() {
    fixture.startBrokers(1);
    ControllerResponse set = fixture.send(ControllerRequest.newBuilder().setAlterConfigs(AlterConfigsRequest.newBuilder()
        .setResourceType(ConfigResourceType.CONFIG_RESOURCE_TYPE_CLUSTER).putSet("retention.ms", "3600000")).build());
    assertThat(set.getErrorReason()).isEmpty();
    assertThat(fixture.image().configs().clusterDefaults()).containsExactlyEntriesOf(Map.of("retention.ms", "3600000"));

    fixture.createTopic("t", 1, 1);
    fixture.send(alterConfigs("t", Map.of("segment.ms", "1000"), List.of(), false));
    assertThat(fixture.image().configs().effectiveTopicConfigs(fixture.topicId("t")))
        .containsExactlyInAnyOrderEntriesOf(Map.of("retention.ms", "3600000", "segment.ms", "1000"));

    assertError(fixture.send(ControllerRequest.newBuilder().setAlterConfigs(AlterConfigsRequest.newBuilder()
        .setResourceType(ConfigResourceType.CONFIG_RESOURCE_TYPE_CLUSTER).putSet("retention.ms", "-2")).build()),
        ControllerError.INVALID_CONFIG, "must be at least -1");
  }

  @Test
  void addsPartitionsButNeverRemovesThem() {
    fixture.startBrokers(1, 2, 3);
    fixture.createTopic("t", 2, 3);
    ControllerResponse grown = fixture.send(ControllerRequest.newBuilder().setCreatePartitions(
        CreatePartitionsRequest.newBuilder().setName("t").setPartitions(4)).build());
    assertThat(grown.getErrorReason()).isEmpty();
    var topic = fixture.image().topics().byName("t").orElseThrow();
    assertThat(topic.partitionCount()).isEqualTo(4);
    assertThat(topic.partition(3).orElseThrow().replicas()).hasSize(3);
    assertThat(topic.partition(3).orElseThrow().isr()).containsExactlyInAnyOrderElementsOf(
        topic.partition(3).orElseThrow().replicas());

    assertError(fixture.send(ControllerRequest.newBuilder().setCreatePartitions(
        CreatePartitionsRequest.newBuilder().setName("t").setPartitions(3)).build()),
        ControllerError.INVALID_PARTITIONS, "can only grow");
    assertError(fixture.send(ControllerRequest.newBuilder().setCreatePartitions(
        CreatePartitionsRequest.newBuilder().setName("nope").setPartitions(3)).build()),
        ControllerError.UNKNOWN_TOPIC, "'nope'");
    assertThat(fixture.image().topics().byName("t").orElseThrow().partitionCount()).isEqualTo(4);
  }

  private static ControllerRequest alterConfigs(String topic, Map<String, String> set, List<String> delete,
      boolean validateOnly) {
    return ControllerRequest.newBuilder().setAlterConfigs(AlterConfigsRequest.newBuilder()
        .setResourceType(ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC).setResourceName(topic)
        .putAllSet(set).addAllDelete(delete).setValidateOnly(validateOnly)).build();
  }

  // ---- AlterPartition ----

  @Test
  void alterPartitionIsACompareAndSetOnTheLeaderAndPartitionEpochs() {
    fixture.startBrokers(1, 2, 3);
    fixture.createTopic("t", 1, 3);
    PartitionRegistration initial = fixture.partition("t", 0);
    int leader = initial.leader();
    List<Integer> followers = initial.replicas().stream().filter(broker -> broker != leader).toList();
    int entries = fixture.log.entries().size();

    // A follower may not change the ISR.
    assertError(fixture.alterPartition(followers.get(0), "t", 0, 0, 0, List.of(followers.get(0))),
        ControllerError.NOT_LEADER_EPOCH, "does not lead t-0");
    // Nor may the leader with a leader epoch that is not current.
    assertError(fixture.alterPartition(leader, "t", 0, 1, 0, List.of(leader)), ControllerError.NOT_LEADER_EPOCH,
        "its leader is " + leader + " at leader epoch 0");
    assertThat(fixture.log.entries()).hasSize(entries);

    // The leader shrinks the ISR.
    ControllerResponse shrunk = fixture.alterPartition(leader, "t", 0, 0, 0, List.of(leader, followers.get(0)));
    assertThat(shrunk.getErrorReason()).isEmpty();
    assertThat(shrunk.getAlterPartition().getPartitionEpoch()).isEqualTo(1);
    assertThat(shrunk.getAlterPartition().getLeaderEpoch()).isZero();
    assertThat(shrunk.getAlterPartition().getIsrList()).containsExactly(leader, followers.get(0));
    assertThat(fixture.partition("t", 0).isr()).containsExactly(leader, followers.get(0));
    assertThat(fixture.partition("t", 0).partitionEpoch()).isEqualTo(1);

    // The same request again is stale: the partition epoch moved on.
    assertError(fixture.alterPartition(leader, "t", 0, 0, 0, List.of(leader)), ControllerError.STALE_PARTITION_EPOCH,
        "partition epoch 0 of t-0 is stale; it is now 1");

    // With the current epochs, the leader expands the ISR again.
    ControllerResponse expanded = fixture.alterPartition(leader, "t", 0, 0, 1, initial.replicas());
    assertThat(expanded.getErrorReason()).isEmpty();
    assertThat(expanded.getAlterPartition().getPartitionEpoch()).isEqualTo(2);
    assertThat(fixture.partition("t", 0).isr()).containsExactlyElementsOf(initial.replicas());
  }

  @Test
  void alterPartitionChecksTheProposedIsr() {
    fixture.startBrokers(1, 2, 3);
    fixture.register(4);
    fixture.createTopic("t", 1, 2);
    PartitionRegistration partition = fixture.partition("t", 0);
    int leader = partition.leader();
    int follower = partition.replicas().get(1);
    int outsider = List.of(1, 2, 3).stream().filter(b -> !partition.isReplica(b)).findFirst().orElseThrow();

    assertError(fixture.alterPartition(leader, "t", 0, 0, 0, List.of()), ControllerError.INVALID_ISR, "it is empty");
    assertError(fixture.alterPartition(leader, "t", 0, 0, 0, List.of(follower)), ControllerError.INVALID_ISR,
        "does not contain the leader");
    assertError(fixture.alterPartition(leader, "t", 0, 0, 0, List.of(leader, outsider)), ControllerError.INVALID_ISR,
        "broker " + outsider + " is not a replica");
    assertError(fixture.alterPartition(leader, "t", 0, 0, 0, List.of(leader, leader)), ControllerError.INVALID_ISR,
        "twice");
  }

  @Test
  void aFencedBrokerCannotRejoinTheIsrUntilItIsUnfenced() {
    fixture.startBrokers(1, 2);
    fixture.createTopic("t", 1, 2);
    PartitionRegistration partition = fixture.partition("t", 0);
    int leader = partition.leader();
    int follower = partition.replicas().get(1);
    // The follower falls silent and is fenced: it leaves the ISR.
    fixture.advance(Duration.ofMillis(1500));
    fixture.heartbeat(leader, false, false);
    fixture.advance(Duration.ofMillis(1000));
    fixture.checkSessions();
    PartitionRegistration shrunk = fixture.partition("t", 0);
    assertThat(shrunk.isr()).containsExactly(leader);

    assertError(fixture.alterPartition(leader, "t", 0, shrunk.leaderEpoch(), shrunk.partitionEpoch(),
        List.of(leader, follower)), ControllerError.INVALID_ISR, "broker " + follower + " cannot join: it is fenced");

    assertThat(fixture.heartbeat(follower, true, false).getFenced()).isFalse();
    ControllerResponse rejoined = fixture.alterPartition(leader, "t", 0, shrunk.leaderEpoch(), shrunk.partitionEpoch(),
        List.of(leader, follower));
    assertThat(rejoined.getErrorReason()).isEmpty();
  }

  @Test
  void alterPartitionNeedsTheCurrentBrokerEpoch() {
    fixture.startBrokers(1);
    fixture.createTopic("t", 1, 1);
    fixture.epochs.put(1, 12345L);
    assertError(fixture.alterPartition(1, "t", 0, 0, 0, List.of(1)), ControllerError.STALE_BROKER_EPOCH,
        "epoch 12345 is not current");
  }

  // ---- brokers ----

  @Test
  void aBrokerIsUnfencedOnlyOnceItHasCaughtUpWithItsRegistration() {
    long epoch = fixture.register(1);
    ControllerResponse behind = fixture.send(ControllerRequest.newBuilder().setBrokerHeartbeat(
        dev.skein.proto.internal.v1.BrokerHeartbeatRequest.newBuilder()
            .setBrokerId(1).setBrokerEpoch(epoch).setAppliedIndex(epoch - 1).setWantUnfence(true)).build());
    assertThat(behind.getBrokerHeartbeat().getFenced()).isTrue();
    assertThat(behind.getAppliedIndex()).isZero();
    assertThat(fixture.heartbeat(1, true, false).getFenced()).isFalse();
    assertThat(fixture.image().brokers().get(1).orElseThrow().fenced()).isFalse();
  }

  @Test
  void anUnknownBrokerEpochAsksTheBrokerToRegisterAgain() {
    fixture.register(1);
    fixture.epochs.put(1, 999L);
    BrokerHeartbeatResult result = fixture.heartbeat(1, true, false);
    assertThat(result.getUnknownBrokerEpoch()).isTrue();
    assertThat(result.getFenced()).isTrue();
  }

  @Test
  void silentBrokersAreFencedAndLoseTheirLeaderships() {
    fixture.startBrokers(1, 2, 3);
    fixture.createTopic("single", 3, 1);
    fixture.createTopic("replicated", 3, 3);
    fixture.advance(Duration.ofMillis(1000));
    fixture.heartbeat(1, false, false);
    fixture.heartbeat(2, false, false);
    fixture.advance(Duration.ofMillis(1500));
    fixture.checkSessions();

    ClusterImage image = fixture.image();
    assertThat(image.brokers().get(3).orElseThrow().fenced()).isTrue();
    assertThat(image.brokers().get(1).orElseThrow().fenced()).isFalse();
    assertThat(image.brokers().get(2).orElseThrow().fenced()).isFalse();
    PartitionRegistration orphan = partitionOnlyOn(image.topics().byName("single").orElseThrow(), 3);
    assertThat(orphan.leader()).isEqualTo(PartitionRegistration.NO_LEADER);
    assertThat(orphan.isr()).containsExactly(3);
    assertThat(orphan.leaderEpoch()).isEqualTo(1);
    for (PartitionRegistration partition : image.topics().byName("replicated").orElseThrow().partitions().values()) {
      assertThat(partition.leader()).isIn(1, 2);
      assertThat(partition.isr()).doesNotContain(3).hasSize(2);
    }

    // Broker 3 comes back: it is unfenced and leads its single-replica partition again.
    assertThat(fixture.heartbeat(3, true, false).getFenced()).isFalse();
    PartitionRegistration back = partitionOnlyOn(fixture.image().topics().byName("single").orElseThrow(), 3);
    assertThat(back.leader()).isEqualTo(3);
    assertThat(back.leaderEpoch()).isEqualTo(2);
  }

  private static PartitionRegistration partitionOnlyOn(TopicImage topic, int broker) {
    return topic.partitions().values().stream().filter(p -> p.replicas().equals(List.of(broker))).findFirst()
        .orElseThrow();
  }

  @Test
  void aNewControllerGivesEveryBrokerAFullSession() {
    fixture.startBrokers(1);
    fixture.advance(Duration.ofSeconds(60));
    try (QuorumController successor = new QuorumController(1,
        ControllerFixture.settings(true, Duration.ofHours(1)),
        fixture.log::image, fixture.log, fixture.clock::get, new Random(3))) {
      fixture.controller.close();
      successor.start();
      successor.checkSessions().join();
      assertThat(fixture.image().brokers().get(1).orElseThrow().fenced()).isFalse();
      fixture.advance(Duration.ofMillis(2100));
      successor.checkSessions().join();
      assertThat(fixture.image().brokers().get(1).orElseThrow().fenced()).isTrue();
    }
  }

  @Test
  void controlledShutdownMovesLeadershipsAway() {
    fixture.startBrokers(1, 2);
    fixture.createTopic("single", 2, 1);
    fixture.createTopic("replicated", 4, 2);

    BrokerHeartbeatResult result = fixture.heartbeat(1, false, true);

    assertThat(result.getShutdownReady()).isTrue();
    assertThat(result.getInControlledShutdown()).isTrue();
    ClusterImage image = fixture.image();
    assertThat(image.brokers().get(1).orElseThrow().isUsable()).isFalse();
    for (TopicImage topic : List.of(image.topics().byName("single").orElseThrow(),
        image.topics().byName("replicated").orElseThrow())) {
      for (PartitionRegistration partition : topic.partitions().values()) {
        assertThat(partition.leader()).isNotEqualTo(1);
        if (partition.replicas().equals(List.of(1))) {
          assertThat(partition.leader()).isEqualTo(PartitionRegistration.NO_LEADER);
          assertThat(partition.isr()).containsExactly(1);
        }
      }
    }
    assertThat(image.topics().byName("replicated").orElseThrow().partitions().values())
        .allSatisfy(partition -> assertThat(partition.leader()).isEqualTo(2));
    // Asking again changes nothing.
    int entries = fixture.log.entries().size();
    assertThat(fixture.heartbeat(1, false, true).getShutdownReady()).isTrue();
    assertThat(fixture.log.entries()).hasSize(entries);
  }

  @Test
  void aSecondLiveProcessCannotTakeABrokerIdButARestartedOneCan() {
    fixture.register(1, "first");
    fixture.heartbeat(1, true, false);
    ControllerResponse duplicate = fixture.send(ControllerRequest.newBuilder().setRegisterBroker(
        dev.skein.proto.internal.v1.RegisterBrokerRequest.newBuilder().setRegistration(
            dev.skein.proto.internal.v1.RegisterBrokerRecord.newBuilder().setBrokerId(1).setIncarnationId("second")
                .setHost("h").setPort(1))).build());
    assertError(duplicate, ControllerError.DUPLICATE_BROKER_REGISTRATION, "another live process");

    fixture.advance(Duration.ofMillis(2500));
    long oldEpoch = fixture.epochs.get(1);
    long newEpoch = fixture.register(1, "second");
    assertThat(newEpoch).isGreaterThan(oldEpoch);
    assertThat(fixture.image().brokers().get(1).orElseThrow().incarnationId()).isEqualTo("second");
    assertThat(fixture.image().brokers().get(1).orElseThrow().fenced()).isTrue();
  }

  @Test
  void reregisteringMovesTheOldIncarnationsLeaderships() {
    fixture.startBrokers(1, 2);
    fixture.createTopic("t", 2, 2);
    fixture.advance(Duration.ofMillis(2500)); // both sessions expire, but no check ran yet
    fixture.heartbeat(2, false, false);
    fixture.register(1, "restarted");
    assertThat(fixture.image().topics().byName("t").orElseThrow().partitions().values())
        .allSatisfy(partition -> assertThat(partition.leader()).isEqualTo(2));
  }

  @Test
  void uncleanElectionOnlyWhereTheTopicAllowsIt() {
    fixture.startBrokers(1, 2);
    create(CreateTopicRequest.newBuilder().setName("unclean").setPartitions(1).setReplicationFactor(2)
        .putConfigs("unclean.leader.election.enable", "true"));
    fixture.createTopic("clean", 1, 2);
    // Each leader drops its follower from the ISR.
    for (String topic : List.of("unclean", "clean")) {
      PartitionRegistration partition = fixture.partition(topic, 0);
      assertThat(fixture.alterPartition(partition.leader(), topic, 0, 0, 0, List.of(partition.leader()))
          .getErrorReason()).isEmpty();
    }
    int uncleanLeader = fixture.partition("unclean", 0).leader();
    int cleanLeader = fixture.partition("clean", 0).leader();

    fixture.heartbeat(uncleanLeader, false, true);
    PartitionRegistration unclean = fixture.partition("unclean", 0);
    assertThat(unclean.leader()).isNotEqualTo(uncleanLeader).isNotEqualTo(PartitionRegistration.NO_LEADER);
    assertThat(unclean.isr()).containsExactly(unclean.leader());

    if (cleanLeader == uncleanLeader) {
      assertThat(fixture.partition("clean", 0).leader()).isEqualTo(PartitionRegistration.NO_LEADER);
    } else {
      fixture.heartbeat(cleanLeader, false, true);
      assertThat(fixture.partition("clean", 0).leader()).isEqualTo(PartitionRegistration.NO_LEADER);
    }
  }

  @Test
  void producerIdsAreHandedOutInBlocks() {
    long epoch = fixture.register(1);
    ControllerRequest request = ControllerRequest.newBuilder().setAllocateProducerIds(
        AllocateProducerIdsRequest.newBuilder().setBrokerId(1).setBrokerEpoch(epoch)).build();
    ControllerResponse first = fixture.send(request);
    ControllerResponse second = fixture.send(request);
    assertThat(first.getAllocateProducerIds().getFirstProducerId()).as("id 0 means not idempotent on the wire").isEqualTo(1);
    assertThat(first.getAllocateProducerIds().getBlockSize()).isEqualTo(1000);
    assertThat(second.getAllocateProducerIds().getFirstProducerId()).isEqualTo(1001);
    assertThat(fixture.image().producerIds().nextProducerId()).isEqualTo(2001);
    assertError(fixture.send(ControllerRequest.newBuilder().setAllocateProducerIds(
        AllocateProducerIdsRequest.newBuilder().setBrokerId(1).setBrokerEpoch(epoch + 1)).build()),
        ControllerError.STALE_BROKER_EPOCH, "not current");
  }

  @Test
  void emptyAndUnsupportedRequestsAreRefused() {
    assertError(fixture.send(ControllerRequest.getDefaultInstance()), ControllerError.INVALID_REQUEST, "empty");
    assertError(fixture.send(ControllerRequest.newBuilder().setAlterConfigs(AlterConfigsRequest.newBuilder()
        .setResourceType(ConfigResourceType.CONFIG_RESOURCE_TYPE_BROKER).setResourceName("1")).build()),
        ControllerError.UNSUPPORTED, "alter a topic's or the cluster-wide topic defaults");
  }

  @Test
  void aClosedControllerSaysItIsNotTheController() {
    fixture.controller.close();
    assertError(fixture.createTopic("t", 1, 1), ControllerError.NOT_CONTROLLER, "not the active controller");
  }
}
