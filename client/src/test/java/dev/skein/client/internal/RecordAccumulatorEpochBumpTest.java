package dev.skein.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.client.BrokerAddress;
import dev.skein.client.TopicPartition;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Restarting sequence numbers under a new epoch: a batch that no broker can have stored is renumbered and sent
 * again, but one whose earlier attempt has an unknown outcome is handed back instead, because under new numbers
 * a leader that already holds it could not recognise the resend (the chaos suite's duplicate under pause).
 */
class RecordAccumulatorEpochBumpTest {

  private static final BrokerAddress BROKER = new BrokerAddress("localhost", 1);
  private static final long BLOCK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  @Test
  void aBatchInDoubtIsNeverRenumberedButARefusedOneIs() throws Exception {
    RecordAccumulator accumulator = new RecordAccumulator(1024, 0, 1 << 20, true, 5);
    accumulator.producerIdentity(7, 0);
    TopicPartition inDoubtPartition = new TopicPartition("t", 0);
    TopicPartition refusedPartition = new TopicPartition("t", 1);
    accumulator.append(inDoubtPartition, 0, null, new byte[10], List.of(), BLOCK_NANOS);
    accumulator.append(refusedPartition, 0, null, new byte[10], List.of(), BLOCK_NANOS);
    List<RecordAccumulator.Ready> first = drain(accumulator).ready();
    assertThat(first).hasSize(2).allSatisfy(r -> {
      assertThat(r.batch().baseSequence).isZero();
      assertThat(r.batch().producerEpoch).isZero();
    });
    ProducerBatch inDoubt = batchOf(first, inDoubtPartition);
    ProducerBatch refused = batchOf(first, refusedPartition);

    // The first timed out (the broker may have stored it); the second was refused before appending.
    inDoubt.inDoubt = true;
    accumulator.requeue(inDoubt);
    accumulator.requeue(refused);
    accumulator.requestEpochBump();

    RecordAccumulator.Drained second = drain(accumulator);
    assertThat(second.unresendable()).containsExactly(inDoubt);
    assertThat(second.ready()).extracting(RecordAccumulator.Ready::batch).containsExactly(refused);
    assertThat(refused.producerEpoch).isEqualTo(1);
    assertThat(refused.baseSequence).isZero();
  }

  @Test
  void withoutABumpABatchInDoubtIsResentUnderItsOwnNumbers() throws Exception {
    RecordAccumulator accumulator = new RecordAccumulator(1024, 0, 1 << 20, true, 5);
    accumulator.producerIdentity(7, 3);
    TopicPartition tp = new TopicPartition("t", 0);
    accumulator.append(tp, 0, null, new byte[10], List.of(), BLOCK_NANOS);
    accumulator.append(tp, 0, null, new byte[1000], List.of(), BLOCK_NANOS);
    ProducerBatch sent = drain(accumulator).ready().get(0).batch();
    sent.inDoubt = true;
    accumulator.requeue(sent);

    RecordAccumulator.Drained again = drain(accumulator);
    assertThat(again.unresendable()).isEmpty();
    assertThat(again.ready()).extracting(RecordAccumulator.Ready::batch).containsExactly(sent);
    assertThat(sent.producerEpoch).isEqualTo(3);
    assertThat(sent.baseSequence).isZero();
  }

  private static RecordAccumulator.Drained drain(RecordAccumulator accumulator) {
    return accumulator.drain(System.nanoTime() + TimeUnit.SECONDS.toNanos(60), tp -> Optional.of(BROKER),
        broker -> true, new HashSet<>());
  }

  private static ProducerBatch batchOf(List<RecordAccumulator.Ready> ready, TopicPartition tp) {
    return ready.stream().map(RecordAccumulator.Ready::batch).filter(b -> b.partition.equals(tp)).findFirst()
        .orElseThrow();
  }
}
