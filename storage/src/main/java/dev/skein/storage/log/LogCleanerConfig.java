package dev.skein.storage.log;

import java.time.Duration;
import java.util.Objects;

/**
 * How the {@link LogManager} runs log compaction, with Kafka's broker setting names.
 *
 * @param threads             log.cleaner.threads: cleaner threads; 0 turns compaction off
 * @param dedupeBufferSize    log.cleaner.dedupe.buffer.size: bytes of key &rarr; offset map, shared by the threads
 *                            (each gets an equal part, allocated once)
 * @param ioMaxBytesPerSecond log.cleaner.io.max.bytes.per.second: read plus write rate of all cleaner threads
 *                            together; infinity for no limit
 * @param backoff             log.cleaner.backoff.ms: how long a cleaner thread rests when no log needs cleaning
 * @param payloadCodec        the codecs the cleaner can decompress and recompress payloads with
 */
public record LogCleanerConfig(int threads, long dedupeBufferSize, double ioMaxBytesPerSecond, Duration backoff,
                 PayloadCodec payloadCodec) {

  /** Kafka's defaults: one thread, 128 MiB, no I/O limit, 15 s back-off; none and gzip payloads. */
  public static final LogCleanerConfig DEFAULT = new LogCleanerConfig(1, 128L << 20, Double.POSITIVE_INFINITY,
      Duration.ofSeconds(15), PayloadCodec.JDK);

  public LogCleanerConfig {
    if (threads < 0) {
      throw new IllegalArgumentException("log.cleaner.threads must not be negative, not " + threads);
    }
    if (threads > 0 && dedupeBufferSize / threads < OffsetMap.BYTES_PER_ENTRY * 2L) {
      throw new IllegalArgumentException("log.cleaner.dedupe.buffer.size " + dedupeBufferSize + " is too small for "
          + threads + " threads");
    }
    if (!(ioMaxBytesPerSecond > 0)) {
      throw new IllegalArgumentException("log.cleaner.io.max.bytes.per.second must be positive, not "
          + ioMaxBytesPerSecond);
    }
    Objects.requireNonNull(backoff, "backoff");
    if (backoff.isNegative() || backoff.isZero()) {
      throw new IllegalArgumentException("log.cleaner.backoff.ms must be positive, not " + backoff);
    }
    Objects.requireNonNull(payloadCodec, "payloadCodec");
  }

  /** The map memory of one thread. */
  long dedupeBufferPerThread() {
    return dedupeBufferSize / Math.max(1, threads);
  }

  public LogCleanerConfig withThreads(int newThreads) {
    return new LogCleanerConfig(newThreads, dedupeBufferSize, ioMaxBytesPerSecond, backoff, payloadCodec);
  }

  public LogCleanerConfig withDedupeBufferSize(long bytes) {
    return new LogCleanerConfig(threads, bytes, ioMaxBytesPerSecond, backoff, payloadCodec);
  }

  public LogCleanerConfig withIoMaxBytesPerSecond(double rate) {
    return new LogCleanerConfig(threads, dedupeBufferSize, rate, backoff, payloadCodec);
  }

  public LogCleanerConfig withBackoff(Duration newBackoff) {
    return new LogCleanerConfig(threads, dedupeBufferSize, ioMaxBytesPerSecond, newBackoff, payloadCodec);
  }

  public LogCleanerConfig withPayloadCodec(PayloadCodec codec) {
    return new LogCleanerConfig(threads, dedupeBufferSize, ioMaxBytesPerSecond, backoff, codec);
  }
}
