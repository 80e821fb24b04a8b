package dev.skein.broker.replica;

import java.util.concurrent.atomic.LongAdder;

/** Running totals of ISR changes on the partitions this broker leads, read by the broker's metrics. */
public final class ReplicationStats {

  private final LongAdder isrShrinks = new LongAdder();
  private final LongAdder isrExpands = new LongAdder();

  void onIsrChange(int before, int after) {
    if (after < before) {
      isrShrinks.increment();
    } else if (after > before) {
      isrExpands.increment();
    }
  }

  /** ISR shrinks applied from metadata while this broker led the partition (Kafka's IsrShrinksPerSec). */
  public long isrShrinks() {
    return isrShrinks.sum();
  }

  public long isrExpands() {
    return isrExpands.sum();
  }
}
