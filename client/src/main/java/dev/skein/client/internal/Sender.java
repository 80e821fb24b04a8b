package dev.skein.client.internal;

import com.google.protobuf.ByteString;
import dev.skein.client.BrokerAddress;
import dev.skein.client.BrokerNode;
import dev.skein.client.OutcomeUnknownException;
import dev.skein.client.ProducerConfig;
import dev.skein.client.SkeinException;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.Acks;
import dev.skein.proto.v1.InitProducerIdRequest;
import dev.skein.proto.v1.InitProducerIdResponse;
import dev.skein.proto.v1.PartitionBatch;
import dev.skein.proto.v1.PartitionProduceResult;
import dev.skein.proto.v1.ProduceOutcome;
import dev.skein.proto.v1.ProduceRequest;
import dev.skein.proto.v1.ProduceResponse;
import dev.skein.proto.v1.ProducerServiceGrpc;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer's I/O thread: drains ready batches, groups them by leader into one
 * ProduceRequest per broker, sends it on that broker's ProduceStream (at most
 * max.in.flight.requests.per.connection unanswered per broker), and completes, retries or
 * fails them as responses arrive. Refusals that may pass (no leader, leader moved, too few
 * in-sync replicas) are retried after retry.backoff.ms with fresh metadata until
 * delivery.timeout.ms. A batch whose outcome is unknown (the broker could not confirm it, or
 * the call broke after it was sent) is retried only by an idempotent producer, whose retry the
 * leader deduplicates; any other producer fails it with {@link OutcomeUnknownException}, as
 * retrying could store it twice.
 */
final class Sender implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(Sender.class);
  private static final long MAX_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long HOUSEKEEPING_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final ProducerConfig config;
  private final RecordAccumulator accumulator;
  private final MetadataCache metadata;
  private final BrokerChannels channels;
  private final long deliveryTimeoutNanos;
  private final long retryBackoffNanos;
  /** One produce stream per broker; replaced when it breaks. Touched by the sender thread only. */
  private final Map<BrokerAddress, ProduceStream> streams = new java.util.HashMap<>();
  private volatile boolean forceClose;
  private long lastMetadataRefreshNanos;
  private long nextHousekeepingNanos;
  private long nextProducerIdAttemptNanos;

  Sender(ProducerConfig config, RecordAccumulator accumulator, MetadataCache metadata, BrokerChannels channels) {
    this.config = config;
    this.accumulator = accumulator;
    this.metadata = metadata;
    this.channels = channels;
    this.deliveryTimeoutNanos = config.deliveryTimeout().toNanos();
    this.retryBackoffNanos = config.client().retryBackoff().toNanos();
  }

  @Override
  public void run() {
    try {
      while (!forceClose && !(accumulator.isClosed() && accumulator.isEmpty())) {
        runOnce();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("producer sender thread failed", e);
    }
    streams.values().forEach(ProduceStream::close);
    SkeinException closed = new SkeinException("producer closed before the record was sent",
        Status.Code.ABORTED, null);
    for (ProducerBatch batch : accumulator.drainAllQueued()) {
      batch.fail(finalError(batch, closed));
      accumulator.release(batch);
    }
  }

  void forceClose() {
    forceClose = true;
    accumulator.close();
  }

  private void runOnce() throws InterruptedException {
    long now = System.nanoTime();
    if (now >= nextHousekeepingNanos) {
      // Timeouts are coarse (seconds); checking them on every pass would cost more than sending.
      nextHousekeepingNanos = now + HOUSEKEEPING_NANOS;
      housekeeping(now);
    }
    if (accumulator.needsProducerId() && now >= nextProducerIdAttemptNanos) {
      initProducerId();
    }
    if (metadata.invalidated()) {
      refreshMetadataIfDue(now);
    }
    Set<TopicPartition> leaderless = new HashSet<>();
    MetadataCache.Snapshot view = metadata.snapshot();
    RecordAccumulator.Drained drained = accumulator.drain(now, view::leaderOf, this::hasCapacity, leaderless);
    for (ProducerBatch batch : drained.unresendable()) {
      complete(batch, new OutcomeUnknownException("the producer had to restart its sequence numbers under a new "
          + "epoch while an earlier attempt of this record's batch had an unknown outcome; resending it would risk a "
          + "duplicate the broker could not detect", Status.Code.ABORTED, batch.inDoubtCause));
    }
    List<RecordAccumulator.Ready> ready = drained.ready();
    if (!leaderless.isEmpty()) {
      metadata.invalidate();
      refreshMetadataIfDue(now);
    }
    Map<BrokerAddress, List<ProducerBatch>> byLeader = new LinkedHashMap<>();
    for (RecordAccumulator.Ready r : ready) {
      byLeader.computeIfAbsent(r.leader(), k -> new ArrayList<>()).add(r.batch());
    }
    byLeader.forEach(this::send);
    if (!ready.isEmpty()) {
      return; // more may be ready right away (the next batch of a pipelined partition)
    }
    // Batches held back only by a broker's in-flight limit become sendable when an answer
    // comes, and an answer wakes this thread: no need to poll for them.
    long wait = drained.waitingForBrokers() ? MAX_IDLE_NANOS
        : accumulator.nanosUntilNextReady(System.nanoTime(), MAX_IDLE_NANOS);
    if (!leaderless.isEmpty() || accumulator.needsProducerId()) {
      wait = Math.min(wait, retryBackoffNanos);
    }
    accumulator.awaitWork(wait);
  }

  /** Fails batches past delivery.timeout.ms and resets streams whose answers are overdue. */
  private void housekeeping(long now) {
    long answerTimeout = config.client().requestTimeout().toNanos() + TimeUnit.SECONDS.toNanos(1);
    for (ProduceStream stream : streams.values()) {
      stream.checkDeadline(answerTimeout);
    }
    for (ProducerBatch batch : accumulator.expire(now, deliveryTimeoutNanos)) {
      batch.fail(finalError(batch, new SkeinException("record not delivered within delivery.timeout.ms ("
          + config.deliveryTimeout().toMillis() + " ms)", Status.Code.DEADLINE_EXCEEDED, null)));
      accumulator.release(batch);
    }
  }

  private boolean hasCapacity(BrokerAddress broker) {
    ProduceStream stream = streams.get(broker);
    return stream == null || stream.isBroken() || stream.inFlight() < config.maxInFlight();
  }

  private ProduceStream stream(BrokerAddress broker) {
    ProduceStream stream = streams.get(broker);
    if (stream == null || stream.isBroken()) {
      stream = new ProduceStream(broker, channels, new ProduceStream.Handler() {
        @Override
        public void onResponse(List<ProducerBatch> batches, ProduceResponse response) {
          handleResponse(batches, response);
        }

        @Override
        public void onFailure(List<ProducerBatch> batches, Throwable failure) {
          handleCallFailure(broker, batches, failure);
        }

        @Override
        public void onNotSent(List<ProducerBatch> batches, Throwable failure) {
          SkeinException error = SkeinException.from(failure);
          for (ProducerBatch batch : batches) {
            retryOrFail(batch, error, true);
          }
        }
      });
      streams.put(broker, stream);
    }
    return stream;
  }

  /** Asks any broker for a producer id (idempotence); on failure tries again after the backoff. */
  private void initProducerId() {
    nextProducerIdAttemptNanos = System.nanoTime() + retryBackoffNanos;
    List<BrokerAddress> brokers = new ArrayList<>();
    metadata.snapshot().brokers().values().stream().filter(BrokerNode::running).map(BrokerNode::address)
        .forEach(brokers::add);
    brokers.addAll(config.client().bootstrap());
    for (BrokerAddress broker : brokers) {
      try {
        InitProducerIdResponse id = ProducerServiceGrpc.newBlockingStub(channels.channel(broker))
            .withDeadlineAfter(config.client().requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .initProducerId(InitProducerIdRequest.getDefaultInstance());
        accumulator.producerIdentity(id.getProducerId(), id.getProducerEpoch());
        return;
      } catch (StatusRuntimeException e) {
        log.debug("no producer id from {}: {}", broker, e.getStatus());
      }
    }
  }

  private void refreshMetadataIfDue(long now) {
    if (now - lastMetadataRefreshNanos < retryBackoffNanos) {
      return;
    }
    lastMetadataRefreshNanos = now;
    try {
      metadata.refresh();
    } catch (SkeinException e) {
      log.debug("metadata refresh failed: {}", e.getMessage());
    }
  }

  private void send(BrokerAddress leader, List<ProducerBatch> batches) {
    ProduceRequest.Builder request = ProduceRequest.newBuilder()
        .setAcks(config.acks())
        .setTimeoutMs((int) Math.min(Integer.MAX_VALUE, config.client().requestTimeout().toMillis()));
    for (ProducerBatch batch : batches) {
      batch.attempts++;
      ByteString payload = batch.payload(config.compression());
      RecordBatch.Builder wire = RecordBatch.newBuilder().setCompression(config.compression()).setRecords(payload);
      if (batch.baseSequence >= 0) {
        wire.setProducerId(batch.producerId).setProducerEpoch(batch.producerEpoch)
            .setBaseSequence(batch.baseSequence);
      }
      request.addBatches(PartitionBatch.newBuilder()
          .setTopic(batch.partition.topic())
          .setPartition(batch.partition.partition())
          .setBatch(wire));
    }
    stream(leader).send(request.build(), batches, config.acks() != Acks.ACKS_NONE);
    if (config.acks() == Acks.ACKS_NONE) {
      // acks=0: nobody waits for the broker; the record counts as sent once it is on its way.
      // Its array is not reused: gRPC may serialize the request later (channel not ready yet).
      for (ProducerBatch batch : batches) {
        batch.succeed(-1, -1);
        accumulator.release(batch, false);
      }
    }
  }

  private void handleResponse(List<ProducerBatch> batches, ProduceResponse response) {
    Map<TopicPartition, PartitionProduceResult> results = new LinkedHashMap<>();
    for (PartitionProduceResult r : response.getResultsList()) {
      results.put(new TopicPartition(r.getTopic(), r.getPartition()), r);
    }
    for (ProducerBatch batch : batches) {
      PartitionProduceResult result = results.get(batch.partition);
      if (result == null) {
        complete(batch, new SkeinException("broker sent no result for " + batch.partition,
            Status.Code.INTERNAL, null));
      } else if (result.getOutcome() == ProduceOutcome.PRODUCE_OUTCOME_UNKNOWN
          || (result.hasError() && ErrorReason.fromName(result.getError().getReason()).outcomeUnknown())) {
        handleUnknownOutcome(batch, new OutcomeUnknownException(SkeinError.fromDetail(result.getError())));
      } else if (result.hasError() && !result.getError().getReason().isEmpty()) {
        handleBatchError(batch, SkeinError.fromDetail(result.getError()));
      } else {
        batch.succeed(result.getBaseOffset(), result.getLogAppendTimeMs());
        accumulator.release(batch);
      }
    }
  }

  private void handleBatchError(ProducerBatch batch, SkeinError error) {
    switch (error.reason()) {
      case OUT_OF_ORDER_SEQUENCE -> {
        // After an earlier batch failed, later in-flight ones arrive out of order: resend them
        // in order. If this is the oldest unacknowledged batch, the gap cannot be filled.
        if (accumulator.isOldestUnacknowledged(batch)) {
          log.info("{}: the broker cannot place sequence {}; restarting numbering under a new epoch",
              batch.partition, batch.baseSequence);
          accumulator.requestEpochBump();
        }
        retryOrFail(batch, new SkeinException(error), true);
      }
      case UNKNOWN_PRODUCER_ID -> {
        accumulator.requestEpochBump();
        retryOrFail(batch, new SkeinException(error), true);
      }
      default -> retryOrFail(batch, new SkeinException(error), error.retriable() || metadataMayBeBehind(error));
    }
  }

  /**
   * The partition existed in our metadata when the record was sent, so a broker that does
   * not know it yet is behind (or the topic was just deleted): retry with fresh metadata
   * until delivery.timeout.ms, as Kafka's producer does.
   */
  private static boolean metadataMayBeBehind(SkeinError error) {
    return error.reason() == ErrorReason.UNKNOWN_TOPIC || error.reason() == ErrorReason.UNKNOWN_PARTITION;
  }

  /**
   * A call that failed as a whole after it was sent. With a Skein reason that refuses (for
   * example INVALID_REQUEST) nothing was stored; without one (connection lost, reset,
   * deadline) the broker may have appended the batches, so their outcome is unknown.
   */
  private void handleCallFailure(BrokerAddress leader, List<ProducerBatch> batches, Throwable t) {
    SkeinException error = SkeinException.from(t);
    log.debug("produce to {} failed: {}", leader, error.getMessage());
    boolean refused = error.reason().filter(reason -> !reason.outcomeUnknown()).isPresent();
    for (ProducerBatch batch : batches) {
      if (refused) {
        retryOrFail(batch, error, error.retriable());
      } else {
        handleUnknownOutcome(batch, error instanceof OutcomeUnknownException e ? e
            : new OutcomeUnknownException("the produce call to " + leader + " failed after it was sent ("
                + error.getMessage() + "); the broker may have stored the record", error.code(), error));
      }
    }
  }

  /** Idempotent batches are resent (the leader deduplicates them); any other is failed as in doubt. */
  private void handleUnknownOutcome(ProducerBatch batch, OutcomeUnknownException error) {
    batch.inDoubt = true;
    batch.inDoubtCause = error;
    boolean idempotent = batch.baseSequence >= 0;
    retryOrFail(batch, error, idempotent);
  }

  private void retryOrFail(ProducerBatch batch, SkeinException error, boolean retriable) {
    long now = System.nanoTime();
    if (retriable && !forceClose && now - batch.createdNanos + retryBackoffNanos < deliveryTimeoutNanos) {
      metadata.invalidate();
      batch.retryAtNanos = now + retryBackoffNanos;
      accumulator.requeue(batch);
    } else {
      complete(batch, error);
    }
  }

  private void complete(ProducerBatch batch, RuntimeException error) {
    if (batch.baseSequence >= 0) {
      // Its sequence numbers are used up or in doubt: later batches need fresh numbering.
      accumulator.requestEpochBump();
    }
    batch.fail(finalError(batch, error));
    accumulator.release(batch);
  }

  /**
   * The error a caller gets: if any attempt's outcome was unknown, the record may be stored
   * whatever the last attempt said, and the error must say so.
   */
  private static RuntimeException finalError(ProducerBatch batch, RuntimeException last) {
    if (!batch.inDoubt || last instanceof OutcomeUnknownException) {
      return last;
    }
    String cause = batch.inDoubtCause == null ? "" : " (" + batch.inDoubtCause.getMessage() + ")";
    return new OutcomeUnknownException(last.getMessage() + "; an earlier attempt's outcome is unknown" + cause
        + ", so the record may have been stored", last instanceof SkeinException e ? e.code() : Status.Code.UNKNOWN,
        batch.inDoubtCause != null ? batch.inDoubtCause : last);
  }
}
