package dev.skein.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.client.BrokerAddress;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.ProduceRequest;
import dev.skein.proto.v1.ProduceResponse;
import dev.skein.proto.v1.ProducerServiceGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The producer's per-broker stream: answers matched by correlation id, and every request ends exactly once. */
class ProduceStreamTest {

  /** A broker stand-in that holds requests until the test answers or fails them. */
  private static final class FakeBroker extends ProducerServiceGrpc.ProducerServiceImplBase {
    final List<ProduceRequest> received = new CopyOnWriteArrayList<>();
    volatile StreamObserver<ProduceResponse> responses;

    @Override
    public StreamObserver<ProduceRequest> produceStream(StreamObserver<ProduceResponse> responses) {
      this.responses = responses;
      return new StreamObserver<>() {
        @Override
        public void onNext(ProduceRequest request) {
          received.add(request);
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }

    void answer(long correlationId) {
      synchronized (this) {
        responses.onNext(ProduceResponse.newBuilder().setCorrelationId(correlationId).build());
      }
    }
  }

  /** Records what the stream reports for each batch. */
  private static final class Outcomes implements ProduceStream.Handler {
    final ConcurrentHashMap<ProducerBatch, List<String>> byBatch = new ConcurrentHashMap<>();

    @Override
    public void onResponse(List<ProducerBatch> batches, ProduceResponse response) {
      batches.forEach(b -> byBatch.computeIfAbsent(b, k -> new CopyOnWriteArrayList<>())
          .add("answered " + response.getCorrelationId()));
    }

    @Override
    public void onFailure(List<ProducerBatch> batches, Throwable failure) {
      Status.Code code = failure instanceof StatusRuntimeException e ? e.getStatus().getCode() : Status.Code.UNKNOWN;
      batches.forEach(b -> byBatch.computeIfAbsent(b, k -> new CopyOnWriteArrayList<>()).add("failed " + code));
    }

    @Override
    public void onNotSent(List<ProducerBatch> batches, Throwable failure) {
      Status.Code code = failure instanceof StatusRuntimeException e ? e.getStatus().getCode() : Status.Code.UNKNOWN;
      batches.forEach(b -> byBatch.computeIfAbsent(b, k -> new CopyOnWriteArrayList<>()).add("not sent " + code));
    }
  }

  private final FakeBroker broker = new FakeBroker();
  private final Outcomes outcomes = new Outcomes();
  private Server server;
  private BrokerChannels channels;

  private ProduceStream open() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("localhost", 0)).addService(broker).build().start();
    channels = new BrokerChannels();
    return new ProduceStream(new BrokerAddress("localhost", server.getPort()), channels, outcomes);
  }

  @AfterEach
  void stop() throws Exception {
    if (channels != null) {
      channels.close();
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void answersInAnyOrderReachTheirOwnBatches() throws Exception {
    ProduceStream stream = open();
    List<ProducerBatch> batches = sendThree(stream);
    await().atMost(Duration.ofSeconds(10)).until(() -> broker.received.size() == 3);
    List<Long> ids = broker.received.stream().map(ProduceRequest::getCorrelationId).toList();
    assertThat(ids).doesNotHaveDuplicates();

    broker.answer(ids.get(2));
    broker.answer(ids.get(0));
    broker.answer(ids.get(1));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes.byBatch.size() == 3);
    for (int i = 0; i < 3; i++) {
      assertThat(outcomes.byBatch.get(batches.get(i))).containsExactly("answered " + ids.get(i));
    }
    assertThat(stream.inFlight()).isZero();
  }

  @Test
  void aFailedStreamFailsEachPendingRequestOnceAndLaterSendsAtOnce() throws Exception {
    ProduceStream stream = open();
    List<ProducerBatch> batches = sendThree(stream);
    await().atMost(Duration.ofSeconds(10)).until(() -> broker.received.size() == 3);

    broker.responses.onError(Status.UNAVAILABLE.withDescription("broker going away").asRuntimeException());

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes.byBatch.size() == 3);
    batches.forEach(b -> assertThat(outcomes.byBatch.get(b)).containsExactly("failed UNAVAILABLE"));
    assertThat(stream.isBroken()).isTrue();
    assertThat(stream.inFlight()).isZero();

    // A request sent on the failed stream does not wait for an answer that cannot come, and is
    // reported as never sent (safe to resend), unlike the three the broker may have acted on.
    ProducerBatch late = batch(3);
    stream.send(ProduceRequest.getDefaultInstance(), List.of(late), true);
    assertThat(outcomes.byBatch.get(late)).containsExactly("not sent UNAVAILABLE");
    assertThat(stream.inFlight()).isZero();
    stream.close(); // closing a failed stream is harmless
  }

  @Test
  void anOverdueAnswerResetsTheStreamAndFailsItsRequestsAsTimedOut() throws Exception {
    ProduceStream stream = open();
    List<ProducerBatch> batches = sendThree(stream);
    await().atMost(Duration.ofSeconds(10)).until(() -> broker.received.size() == 3);

    stream.checkDeadline(0);

    batches.forEach(b -> assertThat(outcomes.byBatch.get(b)).containsExactly("failed DEADLINE_EXCEEDED"));
    assertThat(stream.isBroken()).isTrue();
    stream.close();
  }

  private List<ProducerBatch> sendThree(ProduceStream stream) {
    List<ProducerBatch> batches = new ArrayList<>();
    for (int p = 0; p < 3; p++) {
      ProducerBatch batch = batch(p);
      batches.add(batch);
      stream.send(ProduceRequest.getDefaultInstance(), List.of(batch), true);
    }
    assertThat(stream.inFlight()).isEqualTo(3);
    return batches;
  }

  private static ProducerBatch batch(int partition) {
    return new ProducerBatch(new TopicPartition("t", partition), new byte[64], System.nanoTime());
  }
}
