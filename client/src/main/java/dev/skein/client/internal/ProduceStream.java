package dev.skein.client.internal;

import com.google.common.util.concurrent.MoreExecutors;
import dev.skein.client.BrokerAddress;
import dev.skein.proto.v1.ProduceRequest;
import dev.skein.proto.v1.ProduceResponse;
import dev.skein.proto.v1.ProducerServiceGrpc;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The producer's one ProduceStream to one broker. The broker appends a stream's requests in
 * the order they were sent, which is what lets idempotent batches of a partition be
 * pipelined without overtaking each other. Requests are matched to answers by correlation id;
 * if an answer is late (request.timeout.ms) the stream is reset and all its requests retried.
 */
final class ProduceStream {

  /** What the sender does with answers and failures. */
  interface Handler {
    void onResponse(List<ProducerBatch> batches, ProduceResponse response);

    /** The request was sent and never answered: the broker may have acted on it. */
    void onFailure(List<ProducerBatch> batches, Throwable failure);

    /** The request was never handed to gRPC: nothing of it reached the broker. */
    void onNotSent(List<ProducerBatch> batches, Throwable failure);
  }

  private record Pending(List<ProducerBatch> batches, long sentNanos) {}

  private final BrokerAddress broker;
  private final ClientCallStreamObserver<ProduceRequest> requests;
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  private final Handler handler;
  private volatile boolean broken;
  private long nextCorrelationId;

  ProduceStream(BrokerAddress broker, BrokerChannels channels, Handler handler) {
    this.broker = broker;
    this.handler = handler;
    @SuppressWarnings("unchecked")
    ClientCallStreamObserver<ProduceRequest>[] opened = new ClientCallStreamObserver[1];
    // Answers are handled on the network thread that read them, as Kafka's producer completes
    // batches on its I/O thread: a hand-off to gRPC's executor per answer cost a context switch
    // each on a small machine. Everything an answer triggers is short (no I/O, brief locks).
    ProducerServiceGrpc.newStub(channels.channel(broker)).withExecutor(MoreExecutors.directExecutor()).produceStream(
        new ClientResponseObserver<ProduceRequest, ProduceResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<ProduceRequest> stream) {
            opened[0] = stream;
          }

          @Override
          public void onNext(ProduceResponse response) {
            Pending done = pending.remove(response.getCorrelationId());
            if (done != null) {
              handler.onResponse(done.batches(), response);
            }
          }

          @Override
          public void onError(Throwable t) {
            failAll(t);
          }

          @Override
          public void onCompleted() {
            failAll(Status.UNAVAILABLE.withDescription("the broker closed the produce stream").asRuntimeException());
          }
        });
    this.requests = opened[0];
  }

  boolean isBroken() {
    return broken;
  }

  int inFlight() {
    return pending.size();
  }

  /**
   * Sends one request. Called from the sender thread only. If the stream has already failed,
   * the batches fail at once (as retriable) rather than waiting for an answer that cannot come.
   */
  void send(ProduceRequest request, List<ProducerBatch> batches, boolean expectAnswer) {
    RuntimeException failure;
    synchronized (this) {
      if (!broken) {
        long correlationId = ++nextCorrelationId;
        if (expectAnswer) {
          pending.put(correlationId, new Pending(batches, System.nanoTime()));
        }
        try {
          requests.onNext(request.toBuilder().setCorrelationId(correlationId).build());
          return;
        } catch (IllegalStateException cancelled) {
          // The call ended (reset by a deadline or by the transport) since broken was read.
          pending.remove(correlationId);
          broken = true;
        }
      }
      failure = Status.UNAVAILABLE.withDescription("the produce stream to " + broker + " is closed")
          .asRuntimeException();
    }
    if (expectAnswer) {
      handler.onNotSent(batches, failure);
    }
  }

  /** Resets the stream if an answer is overdue; its requests are then failed as retriable. */
  void checkDeadline(long timeoutNanos) {
    long now = System.nanoTime();
    for (Pending p : pending.values()) {
      if (now - p.sentNanos() > timeoutNanos) {
        // Fail first: cancelling makes gRPC report CANCELLED, which would claim them otherwise.
        failAll(Status.DEADLINE_EXCEEDED.withDescription("no answer from " + broker + " within request.timeout.ms")
            .asRuntimeException());
        requests.cancel("no answer within request.timeout.ms", null);
        return;
      }
    }
  }

  /** Half-closes the stream; one that already failed or was reset has nothing left to close. */
  void close() {
    if (!broken) {
      try {
        requests.onCompleted();
      } catch (IllegalStateException alreadyCancelled) {
        // The call ended between the check and the half-close.
      }
    }
  }

  /**
   * Marks the stream broken and fails every unanswered request. Synchronized with send(), so
   * no request can be registered after the sweep and then wait forever.
   */
  private void failAll(Throwable failure) {
    List<Pending> failed;
    synchronized (this) {
      broken = true;
      // Claim each entry with remove(), as an arriving answer does, so a request is either
      // answered or failed, never both.
      failed = new ArrayList<>();
      for (Long id : List.copyOf(pending.keySet())) {
        Pending p = pending.remove(id);
        if (p != null) {
          failed.add(p);
        }
      }
    }
    for (Pending p : failed) {
      handler.onFailure(p.batches(), failure);
    }
  }
}
