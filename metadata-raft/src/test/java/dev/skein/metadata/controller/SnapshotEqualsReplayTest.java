package dev.skein.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.metadata.image.BatchApplier;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.ImageSnapshot;
import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.internal.v1.AclBinding;
import dev.skein.proto.internal.v1.AclBindingFilter;
import dev.skein.proto.internal.v1.AclOperation;
import dev.skein.proto.internal.v1.AclPatternType;
import dev.skein.proto.internal.v1.AclPermission;
import dev.skein.proto.internal.v1.AclResourceType;
import dev.skein.proto.internal.v1.AllocateProducerIdsRequest;
import dev.skein.proto.internal.v1.CreateAclsRequest;
import dev.skein.proto.internal.v1.DeleteAclsRequest;
import dev.skein.proto.internal.v1.AlterConfigsRequest;
import dev.skein.proto.internal.v1.ConfigResourceType;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.DeleteTopicRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Property: for random sequences of valid controller actions, an image restored from a
 * snapshot taken at any point, plus the log after that point, equals the image the whole log
 * gives (and the live image).
 */
class SnapshotEqualsReplayTest {

  private static final int ACTIONS = 150;

  private record SnapshotPoint(int entries, ClusterImage image, byte[] bytes) {}

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 5, 8, 13, 21, 34, 55, 89})
  void restoringASnapshotEqualsReplayingTheLog(long seed) throws IOException {
    Random random = new Random(seed);
    List<SnapshotPoint> snapshots = new ArrayList<>();
    try (ControllerFixture fixture = new ControllerFixture(seed)) {
      for (int action = 0; action < ACTIONS; action++) {
        randomAction(fixture, random);
        if (random.nextInt(10) == 0) {
          ClusterImage image = fixture.image();
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          ImageSnapshot.write(image, out);
          snapshots.add(new SnapshotPoint(fixture.log.entries().size(), image, out.toByteArray()));
        }
      }
      List<InMemoryMetadataLog.Entry> log = fixture.log.entries();
      ClusterImage live = fixture.image();
      assertThat(live.topics().size() + live.brokers().brokers().size()).as("seed %d did something", seed).isPositive();
      assertThat(log).as("seed %d wrote ACLs", seed)
          .anyMatch(entry -> entry.batch().getRecordsList().stream().anyMatch(r -> r.hasAcl()));

      assertThat(replay(ClusterImage.EMPTY, log, 0)).as("seed %d: full replay", seed).isEqualTo(live);
      for (SnapshotPoint point : snapshots) {
        ClusterImage restored = ImageSnapshot.read(new ByteArrayInputStream(point.bytes()), point.image().offset());
        assertThat(restored).as("seed %d: snapshot after %d entries", seed, point.entries()).isEqualTo(point.image());
        assertThat(replay(restored, log, point.entries())).as("seed %d: snapshot after %d entries + rest of log",
            seed, point.entries()).isEqualTo(live);
      }
    }
  }

  private static ClusterImage replay(ClusterImage image, List<InMemoryMetadataLog.Entry> log, int from) {
    for (InMemoryMetadataLog.Entry entry : log.subList(from, log.size())) {
      image = BatchApplier.apply(image, entry.batch().getRecordsList(), entry.index()).image();
    }
    return image;
  }

  private static void randomAction(ControllerFixture fixture, Random random) {
    int broker = 1 + random.nextInt(5);
    ClusterImage image = fixture.image();
    switch (random.nextInt(13)) {
      case 0 -> fixture.tryRegister(broker, "incarnation-" + random.nextInt(3));
      case 1, 2 -> {
        if (fixture.epochs.containsKey(broker)) {
          fixture.heartbeat(broker, true, false);
        }
      }
      case 3, 4 -> fixture.createTopic("topic-" + random.nextInt(8), 1 + random.nextInt(4), 1 + random.nextInt(3));
      case 5 -> fixture.send(ControllerRequest.newBuilder().setDeleteTopic(DeleteTopicRequest.newBuilder()
          .setName("topic-" + random.nextInt(8))).build());
      case 6 -> alterSomeIsr(fixture, image, random);
      case 7 -> fixture.send(ControllerRequest.newBuilder().setAlterConfigs(AlterConfigsRequest.newBuilder()
          .setResourceType(ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC).setResourceName("topic-" + random.nextInt(8))
          .putAllSet(random.nextBoolean() ? Map.of("retention.ms", String.valueOf(random.nextInt(1000)))
              : Map.of("unclean.leader.election.enable", "true"))).build());
      case 8 -> {
        if (fixture.epochs.containsKey(broker)) {
          fixture.send(ControllerRequest.newBuilder().setAllocateProducerIds(AllocateProducerIdsRequest.newBuilder()
              .setBrokerId(broker).setBrokerEpoch(fixture.epochs.get(broker))).build());
        }
      }
      case 9 -> {
        // Time passes; some brokers heartbeat, the others may be fenced.
        fixture.advance(Duration.ofMillis(500 + random.nextInt(2000)));
        for (int id : List.copyOf(fixture.epochs.keySet())) {
          if (random.nextInt(3) > 0) {
            fixture.heartbeat(id, false, false);
          }
        }
        fixture.checkSessions();
      }
      case 11 -> fixture.send(ControllerRequest.newBuilder().setCreateAcls(CreateAclsRequest.newBuilder()
          .addBindings(randomAcl(random))).build());
      case 12 -> fixture.send(ControllerRequest.newBuilder().setDeleteAcls(DeleteAclsRequest.newBuilder()
          .addFilters(AclBindingFilter.newBuilder().setPrincipal("User:u" + random.nextInt(3)))).build());
      default -> {
        if (fixture.epochs.containsKey(broker) && random.nextInt(3) == 0) {
          fixture.heartbeat(broker, false, true);
        }
      }
    }
  }

  private static AclBinding randomAcl(Random random) {
    return AclBinding.newBuilder().setPrincipal("User:u" + random.nextInt(3)).setHost("*")
        .setResourceType(AclResourceType.ACL_RESOURCE_TYPE_TOPIC).setResourceName("topic-" + random.nextInt(8))
        .setPatternType(random.nextBoolean() ? AclPatternType.ACL_PATTERN_TYPE_LITERAL
            : AclPatternType.ACL_PATTERN_TYPE_PREFIXED)
        .setOperation(AclOperation.forNumber(1 + random.nextInt(10)))
        .setPermission(random.nextInt(4) == 0 ? AclPermission.ACL_PERMISSION_DENY : AclPermission.ACL_PERMISSION_ALLOW)
        .build();
  }

  /** A partition leader drops a follower from its ISR or takes back an unfenced replica. */
  private static void alterSomeIsr(ControllerFixture fixture, ClusterImage image, Random random) {
    List<TopicImage> topics = new ArrayList<>(image.topics().byId().values());
    if (topics.isEmpty()) {
      return;
    }
    TopicImage topic = topics.get(random.nextInt(topics.size()));
    int index = random.nextInt(topic.partitionCount());
    PartitionRegistration partition = topic.partitions().get(index);
    if (!partition.hasLeader()) {
      return;
    }
    List<Integer> isr = new ArrayList<>(partition.isr());
    List<Integer> outside = partition.replicas().stream()
        .filter(replica -> !isr.contains(replica) && image.brokers().isUsable(replica)).toList();
    if (!outside.isEmpty() && random.nextBoolean()) {
      isr.add(outside.get(0));
    } else if (isr.size() > 1) {
      isr.remove(Integer.valueOf(isr.stream().filter(member -> member != partition.leader()).findFirst().orElseThrow()));
    }
    fixture.alterPartition(partition.leader(), topic.name(), index, partition.leaderEpoch(), partition.partitionEpoch(),
        isr);
  }
}
