package dev.skein.broker.clients;


import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.FetchResponse;
import dev.skein.proto.v1.PartitionPosition;
import dev.skein.proto.v1.SubscribeRequest;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A subscriber that stops reading makes the broker stop reading the log for it (gRPC flow
 * control): the broker does not buffer the partition in memory on its behalf.
 */
class SubscribeFlowControlTest {

  @TempDir
  Path dir;

  @Test
  void aStalledSubscriberStopsTheBrokerFromReadingAhead() {
    try (TestCluster cluster = TestCluster.start(dir, 1)) {
      long logBytes = writeBigTopic(cluster);

      AtomicInteger received = new AtomicInteger();
      AtomicReference<ClientCallStreamObserver<SubscribeRequest>> call = new AtomicReference<>();
      ConsumerServiceGrpc.newStub(cluster.channel(1)).subscribe(SubscribeRequest.newBuilder()
              .setMaxBytes(1024 * 1024)
              .addPartitions(PartitionPosition.newBuilder().setTopic("big").setPartition(0).setOffset(0))
              .build(),
          new ClientResponseObserver<SubscribeRequest, FetchResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
              call.set(requestStream);
              requestStream.disableAutoRequestWithInitial(1); // read one message, then stop reading
            }

            @Override
            public void onNext(FetchResponse value) {
              received.incrementAndGet();
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          });
      await().atMost(Duration.ofSeconds(10)).until(() -> received.get() == 1);
      // The broker may fill gRPC's flow-control window and its send buffers, then must stop.
      await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
          .until(() -> cluster.broker(1).subscriptionBytesSent() > 0);
      long sentWhileStalled = cluster.broker(1).subscriptionBytesSent();
      assertThat(sentWhileStalled).as("bytes the broker read for a stalled subscriber")
          .isLessThan(16L * 1024 * 1024).isLessThan(logBytes / 3);

      // Reading again resumes the stream.
      call.get().request(1_000);
      await().atMost(Duration.ofSeconds(30)).until(() -> cluster.broker(1).subscriptionBytesSent() >= logBytes);
      call.get().cancel("done", null);
    }
  }

  /** The Java consumer reads over Subscribe: when the application stops polling, the broker stops too. */
  @Test
  void aConsumerThatStopsPollingStopsTheBroker() {
    try (TestCluster cluster = TestCluster.start(dir, 1)) {
      long logBytes = writeBigTopic(cluster);

      SkeinConsumer consumer = cluster.consumer(Map.of("fetch.max.bytes", Integer.toString(1024 * 1024),
          "max.poll.records", "10"));
      TopicPartition tp = new TopicPartition("big", 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      List<ConsumerRecord> first = new ArrayList<>();
      await().atMost(Duration.ofSeconds(10)).until(() -> first.addAll(consumer.poll(Duration.ofMillis(100))));
      // The application stops polling. Buffers fill (the consumer's fetch.max.bytes, two
      // messages, gRPC's window and socket buffers), then the broker must stop reading.
      await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
          .until(() -> cluster.broker(1).subscriptionBytesSent() > 0);
      long sentWhileStalled = cluster.broker(1).subscriptionBytesSent();
      assertThat(sentWhileStalled).as("bytes the broker read for a consumer that stopped polling")
          .isLessThan(16L * 1024 * 1024).isLessThan(logBytes / 3);

      // Polling again drains the rest, in order.
      long next = first.get(first.size() - 1).offset() + 1;
      assertThat(first).extracting(ConsumerRecord::offset).startsWith(0L);
      while (next < 6_000) {
        for (ConsumerRecord r : consumer.poll(Duration.ofMillis(500))) {
          assertThat(r.offset()).isEqualTo(next);
          next++;
        }
      }
      assertThat(cluster.broker(1).subscriptionBytesSent()).isGreaterThanOrEqualTo(logBytes);
    }
  }

  /** A one-partition topic "big" of 6,000 records of 10 kB; returns the value bytes written. */
  private static long writeBigTopic(TestCluster cluster) {
    cluster.admin().createTopic(NewTopic.of("big", 1, 1));
    SkeinProducer producer = cluster.producer(Map.of("batch.size", "65536", "linger.ms", "10"));
    byte[] value = new byte[10_000];
    for (int i = 0; i < 6_000; i++) {
      producer.send(new ProducerRecord("big", 0, null, value, null, List.of()));
    }
    producer.flush();
    return 6_000L * 10_000;
  }
}
