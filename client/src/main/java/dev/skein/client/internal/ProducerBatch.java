package dev.skein.client.internal;

import dev.skein.client.RecordMetadata;
import dev.skein.client.TopicPartition;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Records for one partition that travel to the broker together, with the futures of the
 * callers waiting for them. Guarded by the accumulator's lock until it is drained; after
 * that only the sender thread and the response callback of its one in-flight request use it.
 */
final class ProducerBatch {

  /** One caller waiting for one record. */
  record PendingRecord(int offsetDelta, long timestamp, CompletableFuture<RecordMetadata> future) {}

  final TopicPartition partition;
  final RecordSetWriter records;
  final List<PendingRecord> pending = new ArrayList<>();
  final long createdNanos;
  final CompletableFuture<Void> done = new CompletableFuture<>();
  /** Times sent; a batch with attempts > 0 that is queued again is a retry. */
  int attempts;
  /** Idempotence: the producer identity and first sequence this batch was first sent with; -1 until then. */
  long producerId = -1;
  int producerEpoch = -1;
  int baseSequence = -1;
  long retryAtNanos;
  /**
   * An attempt was sent and its outcome is unknown (no answer, or the broker could not confirm
   * it): the batch may be stored, so a final failure must say so.
   */
  boolean inDoubt;
  /** The error of the in-doubt attempt, for the final failure's message. */
  RuntimeException inDoubtCause;
  /** No more records may be added: the batch is full, or it was drained for sending. */
  boolean closedForAppends;

  ProducerBatch(TopicPartition partition, byte[] buffer, long nowNanos) {
    this.partition = partition;
    this.records = new RecordSetWriter(buffer);
    this.createdNanos = nowNanos;
  }

  private com.google.protobuf.ByteString payload;

  /** The compressed RecordSet; built once, so a retry resends the very same bytes. */
  com.google.protobuf.ByteString payload(dev.skein.proto.v1.Compression codec) {
    if (payload == null) {
      payload = records.payload(codec);
    }
    return payload;
  }

  CompletableFuture<RecordMetadata> add(long timestamp, byte[] key, byte[] value,
      List<dev.skein.client.Header> headers) {
    int delta = records.append(timestamp, key, value, headers);
    CompletableFuture<RecordMetadata> future = new CompletableFuture<>();
    pending.add(new PendingRecord(delta, timestamp, future));
    return future;
  }

  void succeed(long baseOffset, long logAppendTime) {
    for (PendingRecord p : pending) {
      long offset = baseOffset < 0 ? -1 : baseOffset + p.offsetDelta();
      long timestamp = logAppendTime >= 0 ? logAppendTime : p.timestamp();
      p.future().complete(new RecordMetadata(partition, offset, timestamp));
    }
    done.complete(null);
  }

  void fail(RuntimeException error) {
    for (PendingRecord p : pending) {
      p.future().completeExceptionally(error);
    }
    done.complete(null);
  }
}
