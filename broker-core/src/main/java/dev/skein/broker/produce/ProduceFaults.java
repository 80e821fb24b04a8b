package dev.skein.broker.produce;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Faults in the produce path, for tests and drills: answer late (as if the network lost the
 * response), or refuse some batches with a retriable error before appending them.
 */
public final class ProduceFaults {

  private final AtomicLong responseDelayMs = new AtomicLong();
  private final AtomicInteger delayedResponsesLeft = new AtomicInteger();
  private final AtomicInteger failEvery = new AtomicInteger();
  private final AtomicInteger batches = new AtomicInteger();

  /** Holds the next {@code count} produce responses back this long after their batches were handled. */
  public void delayResponses(long millis, int count) {
    responseDelayMs.set(millis);
    delayedResponsesLeft.set(count);
  }

  /** Refuses every n-th batch (0 turns it off) with a retriable error, without appending it. */
  public void failEveryNthBatch(int n) {
    failEvery.set(n);
  }

  public void heal() {
    delayedResponsesLeft.set(0);
    failEvery.set(0);
  }

  /** How long to hold this response back: 0 once the delayed responses are used up. */
  public long nextResponseDelayMs() {
    return delayedResponsesLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? responseDelayMs.get() : 0;
  }

  public boolean shouldFailNextBatch() {
    int n = failEvery.get();
    return n > 0 && batches.incrementAndGet() % n == 0;
  }
}
