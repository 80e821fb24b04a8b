package dev.skein.broker.mirror;

/**
 * Paces reads to at most a given number of bytes per second: each read of n bytes books n /
 * rate seconds of the link's time; a reader waits until the time it booked has come. Up to
 * one second of unused rate is kept as burst. Thread-safe.
 */
final class ByteRateLimiter {

  private static final long BURST_NANOS = 1_000_000_000L;

  private volatile long bytesPerSecond;
  private long nextFreeNanos = System.nanoTime();

  ByteRateLimiter(long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }

  void setRate(long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }

  long rate() {
    return bytesPerSecond;
  }

  /** Books {@code bytes} and returns how long (nanoseconds) the reader should wait before its next read. */
  synchronized long record(long bytes) {
    long rate = bytesPerSecond;
    long now = System.nanoTime();
    if (rate <= 0) {
      nextFreeNanos = now;
      return 0;
    }
    nextFreeNanos = Math.max(nextFreeNanos, now - BURST_NANOS) + (long) (bytes * 1e9 / rate);
    return Math.max(0, nextFreeNanos - now);
  }
}
