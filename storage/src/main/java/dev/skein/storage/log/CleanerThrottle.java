package dev.skein.storage.log;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Limits the cleaner's I/O to log.cleaner.io.max.bytes.per.second, shared by all cleaner threads: each
 * caller reserves its bytes on one timeline and pauses until its reservation is due. Pausing is the point
 * here (it spreads the cleaner's reads and writes over time); no condition is being waited for.
 */
final class CleanerThrottle {

  /** Budget that may be spent at once after an idle period, so short bursts are not delayed. */
  private static final long MAX_BURST_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final double bytesPerSecond;
  private long nextFreeNanos = System.nanoTime();

  CleanerThrottle(double bytesPerSecond) {
    if (!(bytesPerSecond > 0)) {
      throw new IllegalArgumentException("log.cleaner.io.max.bytes.per.second must be positive, not " + bytesPerSecond);
    }
    this.bytesPerSecond = bytesPerSecond;
  }

  static CleanerThrottle unlimited() {
    return new CleanerThrottle(Double.POSITIVE_INFINITY);
  }

  boolean isUnlimited() {
    return Double.isInfinite(bytesPerSecond);
  }

  /** Accounts for {@code bytes} of I/O, pausing the caller if the budget is spent. */
  void acquire(long bytes) {
    if (isUnlimited() || bytes <= 0) {
      return;
    }
    long wait;
    synchronized (this) {
      long now = System.nanoTime();
      long start = Math.max(nextFreeNanos, now - MAX_BURST_NANOS);
      nextFreeNanos = start + (long) (bytes * 1e9 / bytesPerSecond);
      wait = nextFreeNanos - now;
    }
    long deadline = System.nanoTime() + wait;
    for (long left = wait; left > 0; left = deadline - System.nanoTime()) {
      LockSupport.parkNanos(left);
    }
  }
}
