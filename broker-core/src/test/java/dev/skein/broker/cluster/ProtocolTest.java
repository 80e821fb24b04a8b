package dev.skein.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.CreateTopicRequest;
import dev.skein.proto.v1.FetchRequest;
import dev.skein.proto.v1.FetchResponse;
import dev.skein.proto.v1.FetchedPartition;
import dev.skein.proto.v1.PartitionPosition;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.RecordSet;
import dev.skein.proto.v1.SubscribeRequest;
import dev.skein.proto.v1.TopicMetadata;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gRPC surface as any client sees it: health, reflection, long-poll fetch and subscribe. */
class ProtocolTest {

  @TempDir
  static Path dir;
  static TestCluster cluster;
  static TopicMetadata topic;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3);
    topic = dev.skein.proto.v1.AdminServiceGrpc.newBlockingStub(cluster.channel(1)).createTopic(CreateTopicRequest.newBuilder().setName("events").setPartitions(3)
        .build()).getTopic();
    RawCalls.awaitLeadersServing(cluster, topic);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void healthSaysServingForEveryService() {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(cluster.channel(2));
    for (String service : List.of("", "skein.v1.ProducerService", "skein.v1.ConsumerService",
        "skein.v1.AdminService", "skein.v1.ClusterService")) {
      assertThat(health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus())
          .as("health of '%s'", service).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }
  }

  @Test
  void reflectionListsThePublicServices() throws Exception {
    CompletableFuture<List<String>> services = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(cluster.channel(1))
        .serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse response) {
            services.complete(response.getListServicesResponse().getServiceList().stream()
                .map(ServiceResponse::getName).toList());
          }

          @Override
          public void onError(Throwable t) {
            services.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    assertThat(services.get(10, TimeUnit.SECONDS)).contains("skein.v1.ProducerService",
        "skein.v1.ConsumerService", "skein.v1.AdminService", "skein.v1.ClusterService", "grpc.health.v1.Health");
    requests.onCompleted();
  }

  @Test
  void aLongPollFetchAnswersAsSoonAsARecordArrives() throws Exception {
    int partition = 0;
    int leader = topic.getPartitions(partition).getLeaderId();
    long start = System.nanoTime();
    CompletableFuture<FetchResponse> fetched = new CompletableFuture<>();
    ConsumerServiceGrpc.newStub(cluster.channel(leader)).fetch(FetchRequest.newBuilder()
        .setMaxWaitMs(20_000)
        .addPartitions(PartitionPosition.newBuilder().setTopic("events").setPartition(partition).setOffset(0))
        .build(), observer(fetched));
    assertThat(fetched).isNotDone();
    RawCalls.produce(cluster.channel(leader), "events", partition, RawCalls.batchOf("first"));
    FetchResponse response = fetched.get(15, TimeUnit.SECONDS);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    FetchedPartition p = response.getPartitions(0);
    assertThat(p.getHighWatermark()).isEqualTo(1);
    assertThat(RecordSet.parseFrom(p.getBatches(0).getRecords()).getRecords(0).getValue().toStringUtf8())
        .isEqualTo("first");
  }

  @Test
  void aLongPollFetchReturnsEmptyWhenTheWaitIsOver() throws Exception {
    int leader = topic.getPartitions(1).getLeaderId();
    long start = System.nanoTime();
    FetchResponse response = ConsumerServiceGrpc.newBlockingStub(cluster.channel(leader)).fetch(FetchRequest.newBuilder()
        .setMaxWaitMs(300)
        .addPartitions(PartitionPosition.newBuilder().setTopic("events").setPartition(1).setOffset(0))
        .build());
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    assertThat(response.getPartitions(0).getBatchesCount()).isZero();
    assertThat(response.getPartitions(0).hasError()).isFalse();
  }

  @Test
  void subscribeFollowsThePartitionAsItGrows() {
    int partition = 2;
    int leader = topic.getPartitions(partition).getLeaderId();
    List<FetchResponse> received = new CopyOnWriteArrayList<>();
    ConsumerServiceGrpc.newStub(cluster.channel(leader)).subscribe(SubscribeRequest.newBuilder()
        .addPartitions(PartitionPosition.newBuilder().setTopic("events").setPartition(partition).setOffset(0))
        .build(), observer(received));
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      sent.add("event-" + i);
      RawCalls.produce(cluster.channel(leader), "events", partition, RawCalls.batchOf("event-" + i));
    }
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(values(received)).isEqualTo(sent));
    sent.add("later");
    RawCalls.produce(cluster.channel(leader), "events", partition, RawCalls.batchOf("later"));
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(values(received)).isEqualTo(sent));
  }

  private static List<String> values(List<FetchResponse> responses) throws Exception {
    List<String> values = new ArrayList<>();
    for (FetchResponse r : responses) {
      for (FetchedPartition p : r.getPartitionsList()) {
        for (RecordBatch b : p.getBatchesList()) {
          for (Record record : RecordSet.parseFrom(b.getRecords()).getRecordsList()) {
            values.add(record.getValue().toStringUtf8());
          }
        }
      }
    }
    return values;
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<T> result) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        result.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    };
  }

  private static <T> StreamObserver<T> observer(List<T> into) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        into.add(value);
      }

      @Override
      public void onError(Throwable t) {
        into.clear();
      }

      @Override
      public void onCompleted() {}
    };
  }
}
