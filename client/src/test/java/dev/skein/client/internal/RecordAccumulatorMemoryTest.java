package dev.skein.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.client.SkeinException;
import dev.skein.client.TopicPartition;
import io.grpc.Status;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** buffer.memory bounds the arrays batches hold, not just the bytes written into them. */
class RecordAccumulatorMemoryTest {

  private static final int BATCH_SIZE = 1024 * 1024;
  private static final long BLOCK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  @Test
  void eachOpenBatchCountsItsWholeArray() throws Exception {
    RecordAccumulator accumulator = new RecordAccumulator(BATCH_SIZE, TimeUnit.SECONDS.toNanos(10),
        4L * BATCH_SIZE, false, 5);
    for (int p = 0; p < 4; p++) {
      accumulator.append(new TopicPartition("t", p), 0, null, new byte[10], List.of(), BLOCK_NANOS);
    }
    // Four tiny records, but four 1 MiB batch arrays: a fifth partition's batch does not fit.
    assertThatThrownBy(() -> accumulator.append(new TopicPartition("t", 4), 0, null, new byte[10], List.of(),
        BLOCK_NANOS))
        .isInstanceOfSatisfying(SkeinException.class,
            e -> assertThat(e.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED))
        .hasMessageContaining("buffer.memory");
    // More records for a partition that already has an open batch still fit in its array.
    accumulator.append(new TopicPartition("t", 0), 0, null, new byte[10], List.of(), BLOCK_NANOS);
  }

  @Test
  void aFinishedBatchArrayIsReusedWithinTheBudget() throws Exception {
    RecordAccumulator accumulator = new RecordAccumulator(BATCH_SIZE, 0, 2L * BATCH_SIZE, false, 5);
    TopicPartition tp = new TopicPartition("t", 0);
    accumulator.append(tp, 0, null, new byte[10], List.of(), BLOCK_NANOS);
    ProducerBatch first = drainOne(accumulator);
    accumulator.release(first);

    accumulator.append(tp, 0, null, new byte[10], List.of(), BLOCK_NANOS);
    ProducerBatch second = drainOne(accumulator);
    assertThat(second.records.buffer()).as("the pooled array").isSameAs(first.records.buffer());
    // Pooled or in use, two arrays are the whole budget: a third batch must wait and then fail.
    accumulator.append(new TopicPartition("t", 1), 0, null, new byte[10], List.of(), BLOCK_NANOS);
    assertThatThrownBy(() -> accumulator.append(new TopicPartition("t", 2), 0, null, new byte[10], List.of(),
        BLOCK_NANOS)).isInstanceOf(SkeinException.class);
  }

  @Test
  void anArrayGRpcMayStillReadIsNotReused() throws Exception {
    RecordAccumulator accumulator = new RecordAccumulator(BATCH_SIZE, 0, 2L * BATCH_SIZE, false, 5);
    TopicPartition tp = new TopicPartition("t", 0);
    accumulator.append(tp, 0, null, new byte[10], List.of(), BLOCK_NANOS);
    ProducerBatch sent = drainOne(accumulator);
    accumulator.release(sent, false);

    accumulator.append(tp, 0, null, new byte[10], List.of(), BLOCK_NANOS);
    assertThat(drainOne(accumulator).records.buffer()).isNotSameAs(sent.records.buffer());
  }

  private static ProducerBatch drainOne(RecordAccumulator accumulator) {
    List<RecordAccumulator.Ready> ready = accumulator.drain(System.nanoTime() + TimeUnit.SECONDS.toNanos(60),
        tp -> Optional.of(new dev.skein.client.BrokerAddress("localhost", 1)), broker -> true,
        new java.util.HashSet<>()).ready();
    assertThat(ready).hasSize(1);
    return ready.get(0).batch();
  }
}
