package dev.skein.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.proto.internal.v1.AlterPartitionRequest;
import dev.skein.proto.internal.v1.BrokerHeartbeatRequest;
import dev.skein.proto.internal.v1.BrokerHeartbeatResult;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.CreateTopicRequest;
import dev.skein.proto.internal.v1.RegisterBrokerRecord;
import dev.skein.proto.internal.v1.RegisterBrokerRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** A controller on an in-memory log with a clock the test steps. */
final class ControllerFixture implements AutoCloseable {

  static final Duration SESSION_TIMEOUT = Duration.ofSeconds(2);

  final InMemoryMetadataLog log;
  final AtomicLong clock = new AtomicLong(1_000_000_000L);
  final QuorumController controller;
  final Map<Integer, Long> epochs = new HashMap<>();

  ControllerFixture(long seed, ControllerSettings settings) {
    log = new InMemoryMetadataLog(seed);
    controller = new QuorumController(0, settings, log::image, log, clock::get, new Random(seed));
    controller.start();
  }

  ControllerFixture(long seed) {
    this(seed, settings(true, Duration.ofHours(1)));
  }

  ControllerFixture() {
    this(42);
  }

  /**
   * Settings whose session and idle checks run only when a test calls {@link #checkSessions()}
   * or {@link QuorumController#checkIdle()} (their timers fire hourly), and
   * whose periodic leader balance checks run at the given interval (an hour: only when a test
   * calls {@link #checkLeaderBalance()}, or after a change that triggers one).
   */
  static ControllerSettings settings(boolean autoLeaderRebalance, Duration leaderImbalanceCheckInterval) {
    return new ControllerSettings(SESSION_TIMEOUT, Duration.ofHours(1), Duration.ofSeconds(10),
        ControllerSettings.DEFAULT_PRODUCER_ID_BLOCK_SIZE, autoLeaderRebalance, leaderImbalanceCheckInterval,
        Duration.ofHours(1));
  }

  ClusterImage image() {
    return log.image();
  }

  ControllerResponse send(ControllerRequest request) {
    return controller.handle(request).orTimeout(10, TimeUnit.SECONDS).join();
  }

  void advance(Duration duration) {
    clock.addAndGet(duration.toNanos());
  }

  void checkSessions() {
    controller.checkSessions().orTimeout(10, TimeUnit.SECONDS).join();
  }

  void checkLeaderBalance() {
    controller.checkLeaderBalance().orTimeout(10, TimeUnit.SECONDS).join();
  }

  long register(int brokerId) {
    return register(brokerId, "incarnation-" + brokerId + "-" + clock.get());
  }

  long register(int brokerId, String incarnation) {
    ControllerResponse response = tryRegister(brokerId, incarnation);
    assertThat(response.getErrorReason()).as("registering %d", brokerId).isEmpty();
    return response.getRegisterBroker().getBrokerEpoch();
  }

  /** Registers a broker if the controller accepts it (it refuses a second live incarnation). */
  ControllerResponse tryRegister(int brokerId, String incarnation) {
    ControllerResponse response = send(ControllerRequest.newBuilder().setRegisterBroker(RegisterBrokerRequest.newBuilder()
        .setRegistration(RegisterBrokerRecord.newBuilder()
            .setBrokerId(brokerId).setIncarnationId(incarnation).setHost("host-" + brokerId)
            .setPort(9000 + brokerId).setRaftAddress("host-" + brokerId + ":9093"))).build());
    if (response.getErrorReason().isEmpty()) {
      epochs.put(brokerId, response.getRegisterBroker().getBrokerEpoch());
    }
    return response;
  }

  BrokerHeartbeatResult heartbeat(int brokerId, boolean wantUnfence, boolean wantShutdown) {
    ControllerResponse response = send(ControllerRequest.newBuilder().setBrokerHeartbeat(BrokerHeartbeatRequest.newBuilder()
        .setBrokerId(brokerId).setBrokerEpoch(epochs.getOrDefault(brokerId, -1L))
        .setAppliedIndex(image().offset())
        .setWantUnfence(wantUnfence).setWantShutdown(wantShutdown)).build());
    assertThat(response.getErrorReason()).isEmpty();
    return response.getBrokerHeartbeat();
  }

  /** Registers and unfences brokers. */
  void startBrokers(int... brokerIds) {
    for (int id : brokerIds) {
      register(id);
      assertThat(heartbeat(id, true, false).getFenced()).as("broker %d fenced", id).isFalse();
    }
  }

  ControllerResponse createTopic(String name, int partitions, int replicationFactor) {
    return send(ControllerRequest.newBuilder().setCreateTopic(CreateTopicRequest.newBuilder()
        .setName(name).setPartitions(partitions).setReplicationFactor(replicationFactor)).build());
  }

  PartitionRegistration partition(String topic, int partition) {
    return image().topics().byName(topic).orElseThrow().partition(partition).orElseThrow();
  }

  String topicId(String topic) {
    return image().topics().byName(topic).orElseThrow().id();
  }

  ControllerResponse alterPartition(int brokerId, String topic, int partition, int leaderEpoch, int partitionEpoch,
      List<Integer> newIsr) {
    return send(ControllerRequest.newBuilder().setAlterPartition(AlterPartitionRequest.newBuilder()
        .setBrokerId(brokerId).setBrokerEpoch(epochs.get(brokerId))
        .setTopicId(topicId(topic)).setPartition(partition)
        .setLeaderEpoch(leaderEpoch).setPartitionEpoch(partitionEpoch)
        .addAllNewIsr(newIsr)).build());
  }

  @Override
  public void close() {
    controller.close();
  }
}
