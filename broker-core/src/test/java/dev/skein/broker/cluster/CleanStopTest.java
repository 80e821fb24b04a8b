package dev.skein.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.SkeinBroker;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.Acks;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.FetchResponse;
import dev.skein.proto.v1.PartitionBatch;
import dev.skein.proto.v1.PartitionPosition;
import dev.skein.proto.v1.ProduceOutcome;
import dev.skein.proto.v1.ProduceRequest;
import dev.skein.proto.v1.ProduceResponse;
import dev.skein.proto.v1.ProducerServiceGrpc;
import dev.skein.proto.v1.SubscribeRequest;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A clean stop ends the long-lived streams the broker serves (its followers' replication streams,
 * consumers' subscriptions, producers' streams) at once with a retriable status, instead of
 * waiting out the grace period for them; calls in progress still get their answers.
 */
class CleanStopTest {

  private static final int PARTITIONS = 3;
  /**
   * SkeinBroker's grace period for open calls. A stop that had to wait for the streams lasts at
   * least this long (6.1-6.3 s before streams were ended); one that ended them takes about 1 s,
   * and the full grace leaves that room on a loaded machine.
   */
  private static final Duration GRACE = Duration.ofSeconds(5);

  @TempDir
  Path dir;
  TestCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aCleanStopOfALeaderEndsTheStreamsItServesAtOnceAndLosesNothingAcknowledged() throws Exception {
    cluster = TestCluster.start(dir, 3);
    int victim = fullyReplicatedLeaderOtherThanTheController();
    Set<String> acknowledged = produceAcknowledged(300);
    OpenStreams streams = openStreamsTo(victim, partitionLedBy(victim));
    acknowledged.add("streamed");

    long start = System.nanoTime();
    cluster.stopBroker(victim);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    // The old stop waited 5 s for the followers' and the producer's streams, then cut them.
    assertThat(took).isLessThan(GRACE);
    assertEndedAsBrokerNotAvailable(streams.produce());
    // The controlled shutdown moved the subscribed partition's leadership first, which ended the
    // subscription by itself (NOT_LEADER for its one partition).
    assertThat(streams.subscription().end).succeedsWithin(Duration.ofSeconds(1));

    // The followers took over; every acknowledged record is there, and acks=all writes go on.
    awaitLeadersOtherThan(victim);
    assertWritesGoOnAndNothingAcknowledgedIsLost(acknowledged);
  }

  @Test
  void aStopWithoutHandoffEndsTheStreamsItServesAtOnceAndLosesNothingAcknowledged() throws Exception {
    cluster = TestCluster.start(dir, 3);
    int victim = fullyReplicatedLeaderOtherThanTheController();
    Set<String> acknowledged = produceAcknowledged(300);
    OpenStreams streams = openStreamsTo(victim, partitionLedBy(victim));
    acknowledged.add("streamed");

    // As when a whole cluster stops: the broker still leads its partitions while it stops serving.
    long start = System.nanoTime();
    cluster.stopBrokerWithoutHandoff(victim);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(took).isLessThan(GRACE);
    assertEndedAsBrokerNotAvailable(streams.subscription());
    assertEndedAsBrokerNotAvailable(streams.produce());

    // Its followers report it unreachable and the controller moves its leaderships to them.
    awaitLeadersOtherThan(victim);
    assertWritesGoOnAndNothingAcknowledgedIsLost(acknowledged);
  }

  @Test
  void aProduceInProgressWhenTheBrokerStopsStillGetsItsAnswer() throws Exception {
    cluster = TestCluster.start(dir, 3);
    int victim = fullyReplicatedLeaderOtherThanTheController();
    int partition = partitionLedBy(victim);
    SkeinBroker broker = cluster.broker(victim);
    long committedBefore = broker.replicas().leaderPartition("t", partition).highWatermark();
    // The answer is held back after the batch is committed, so it is still owed when the stop begins.
    broker.produceFaults().delayResponses(1_000, 1);
    var answer = ProducerServiceGrpc.newFutureStub(cluster.channel(victim))
        .produce(produceRequest(partition, "in-flight", Acks.ACKS_ALL));
    await().atMost(Duration.ofSeconds(10))
        .until(() -> broker.replicas().leaderPartition("t", partition).highWatermark() > committedBefore);
    assertThat(answer).isNotDone();

    long start = System.nanoTime();
    cluster.stopBroker(victim);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    ProduceResponse response = answer.get(1, TimeUnit.SECONDS);
    assertThat(response.getResults(0).getOutcome()).isEqualTo(ProduceOutcome.PRODUCE_OUTCOME_STORED);
    assertThat(response.getResults(0).getBaseOffset()).isEqualTo(committedBefore);
    assertThat(took).isLessThan(GRACE);
    assertEverythingReadable(Set.of("in-flight"));
  }

  /** Sends {@code count} records with acks=all and returns their values once every one is acknowledged. */
  private Set<String> produceAcknowledged(int count) throws Exception {
    SkeinProducer producer = cluster.producer(Map.of("acks", "all"));
    List<CompletableFuture<?>> sends = new ArrayList<>();
    Set<String> values = new HashSet<>();
    for (int i = 0; i < count; i++) {
      String value = "v" + i;
      values.add(value);
      sends.add(producer.send(ProducerRecord.of("t", "k" + i, value)));
    }
    CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    // Both followers of the victim's partitions fetch from it: they are in its ISRs.
    awaitFullIsrs();
    return values;
  }

  private record OpenStreams(Stream<FetchResponse> subscription, Stream<ProduceResponse> produce) {}

  /**
   * A consumer's subscription to the partition on {@code broker}, which has delivered records,
   * and a producer's stream whose one request (the record "streamed", acks=all) is answered.
   */
  private OpenStreams openStreamsTo(int broker, int partition) {
    Stream<FetchResponse> subscription = new Stream<>();
    ConsumerServiceGrpc.newStub(cluster.channel(broker)).subscribe(SubscribeRequest.newBuilder()
        .addPartitions(PartitionPosition.newBuilder().setTopic("t").setPartition(partition).setOffset(0))
        .setMaxWaitMs(100).build(), subscription);
    await().atMost(Duration.ofSeconds(10)).until(() -> subscription.received.get() > 0);
    Stream<ProduceResponse> produce = new Stream<>();
    ProducerServiceGrpc.newStub(cluster.channel(broker)).produceStream(produce)
        .onNext(produceRequest(partition, "streamed", Acks.ACKS_ALL));
    await().atMost(Duration.ofSeconds(10)).until(() -> produce.received.get() > 0);
    assertThat(subscription.end).isNotDone();
    assertThat(produce.end).isNotDone();
    return new OpenStreams(subscription, produce);
  }

  private void awaitLeadersOtherThan(int stopped) {
    SkeinAdmin admin = cluster.admin();
    await().atMost(Duration.ofSeconds(15)).until(() -> admin.describeTopic("t").partitions().stream()
        .allMatch(p -> p.hasLeader() && p.leader() != stopped));
  }

  private void assertWritesGoOnAndNothingAcknowledgedIsLost(Set<String> acknowledged) throws Exception {
    cluster.producer(Map.of("acks", "all")).send(ProducerRecord.of("t", "k", "after")).get(30, TimeUnit.SECONDS);
    Set<String> expected = new HashSet<>(acknowledged);
    expected.add("after");
    assertEverythingReadable(expected);
  }

  /** Creates topic t (RF=3) and picks a broker leading one of its partitions that is not the controller. */
  private int fullyReplicatedLeaderOtherThanTheController() {
    cluster.admin().createTopic(NewTopic.of("t", PARTITIONS, 3).withConfigs(Map.of("min.insync.replicas", "2")));
    awaitFullIsrs();
    int controller = cluster.controllerId();
    return cluster.admin().describeTopic("t").partitions().stream().map(PartitionInfo::leader)
        .filter(leader -> leader != controller).findFirst().orElseThrow();
  }

  private int partitionLedBy(int broker) {
    return cluster.admin().describeTopic("t").partitions().stream().filter(p -> p.leader() == broker)
        .findFirst().orElseThrow().partition();
  }

  private void awaitFullIsrs() {
    SkeinAdmin admin = cluster.admin();
    await().atMost(Duration.ofSeconds(30)).until(() -> admin.describeTopic("t").partitions().stream()
        .allMatch(p -> p.hasLeader() && p.isr().size() == 3));
  }

  private static ProduceRequest produceRequest(int partition, String value, Acks acks) {
    return ProduceRequest.newBuilder().setAcks(acks).addBatches(PartitionBatch.newBuilder().setTopic("t")
        .setPartition(partition).setBatch(RawCalls.batchOf(value))).build();
  }

  private static void assertEndedAsBrokerNotAvailable(Stream<?> stream) throws Exception {
    Throwable ended = stream.end.get(1, TimeUnit.SECONDS);
    assertThat(ended).isNotNull();
    assertThat(Status.fromThrowable(ended).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(Status.fromThrowable(ended).getDescription()).contains("shutting down");
    assertThat(SkeinError.fromThrowable(ended)).hasValueSatisfying(error -> {
      assertThat(error.reason()).isEqualTo(ErrorReason.BROKER_NOT_AVAILABLE);
      assertThat(error.retriable()).isTrue();
    });
  }

  private void assertEverythingReadable(Set<String> values) {
    SkeinConsumer consumer = cluster.consumer(Map.of("fetch.max.wait.ms", "100"));
    List<TopicPartition> all = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      all.add(new TopicPartition("t", p));
    }
    consumer.assign(all);
    consumer.seekToBeginning(all);
    Set<String> read = new HashSet<>();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
        read.add(new String(r.value(), StandardCharsets.UTF_8));
      }
      return read.containsAll(values);
    });
  }

  /** A call's responses counted and how it ended: the failure, or null for a normal end. */
  private static final class Stream<T> implements StreamObserver<T> {
    final AtomicInteger received = new AtomicInteger();
    final CompletableFuture<Throwable> end = new CompletableFuture<>();

    @Override
    public void onNext(T value) {
      received.incrementAndGet();
    }

    @Override
    public void onError(Throwable t) {
      end.complete(t);
    }

    @Override
    public void onCompleted() {
      end.complete(null);
    }
  }
}
