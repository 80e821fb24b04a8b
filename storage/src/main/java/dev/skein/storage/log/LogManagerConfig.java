package dev.skein.storage.log;

import java.time.Duration;
import java.util.Objects;

/**
 * How often the {@link LogManager}'s background task does its rounds.
 *
 * @param flushCheckInterval                how often logs are checked against their flush.ms (Kafka's
 *                                          log.flush.scheduler.interval.ms); flush.ms is honoured to this
 *                                          granularity
 * @param checkpointInterval                how often recovery points, log start offsets and high watermarks
 *                                          are written to the state store, and producer states snapshotted
 * @param producerIdExpiration              how long an idempotent producer may stay idle (by its last batch's
 *                                          max_timestamp) before a partition forgets it (Kafka's
 *                                          producer.id.expiration.ms, 1 day)
 * @param producerIdExpirationCheckInterval how often idle producers are looked for (Kafka's
 *                                          producer.id.expiration.check.interval.ms, 10 minutes)
 * @param retentionCheckInterval            how often logs are checked against retention.ms and
 *                                          retention.bytes, and quiet segments rolled by segment.ms (Kafka's
 *                                          log.retention.check.interval.ms, 5 minutes)
 * @param cleaner                           how logs with cleanup.policy=compact are compacted
 */
public record LogManagerConfig(Duration flushCheckInterval, Duration checkpointInterval,
                 Duration producerIdExpiration, Duration producerIdExpirationCheckInterval,
                 Duration retentionCheckInterval, LogCleanerConfig cleaner) {

  public static final Duration DEFAULT_PRODUCER_ID_EXPIRATION = Duration.ofDays(1);
  public static final Duration DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL = Duration.ofMinutes(10);
  public static final Duration DEFAULT_RETENTION_CHECK_INTERVAL = Duration.ofMinutes(5);
  public static final LogManagerConfig DEFAULT = new LogManagerConfig(Duration.ofSeconds(1), Duration.ofSeconds(5));

  public LogManagerConfig {
    requirePositive(flushCheckInterval, "flushCheckInterval");
    requirePositive(checkpointInterval, "checkpointInterval");
    requirePositive(producerIdExpiration, "producerIdExpiration");
    requirePositive(producerIdExpirationCheckInterval, "producerIdExpirationCheckInterval");
    requirePositive(retentionCheckInterval, "retentionCheckInterval");
    Objects.requireNonNull(cleaner, "cleaner");
  }

  /** With Kafka's cleaner defaults ({@link LogCleanerConfig#DEFAULT}). */
  public LogManagerConfig(Duration flushCheckInterval, Duration checkpointInterval, Duration producerIdExpiration,
      Duration producerIdExpirationCheckInterval, Duration retentionCheckInterval) {
    this(flushCheckInterval, checkpointInterval, producerIdExpiration, producerIdExpirationCheckInterval,
        retentionCheckInterval, LogCleanerConfig.DEFAULT);
  }

  /** The same with other cleaner settings. */
  public LogManagerConfig withCleaner(LogCleanerConfig newCleaner) {
    return new LogManagerConfig(flushCheckInterval, checkpointInterval, producerIdExpiration,
        producerIdExpirationCheckInterval, retentionCheckInterval, newCleaner);
  }

  /** With Kafka's default producer id expiration (1 day, checked every 10 minutes) and retention check (5 minutes). */
  public LogManagerConfig(Duration flushCheckInterval, Duration checkpointInterval) {
    this(flushCheckInterval, checkpointInterval, DEFAULT_PRODUCER_ID_EXPIRATION,
        DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL);
  }

  /** With Kafka's default retention check interval (5 minutes). */
  public LogManagerConfig(Duration flushCheckInterval, Duration checkpointInterval, Duration producerIdExpiration,
      Duration producerIdExpirationCheckInterval) {
    this(flushCheckInterval, checkpointInterval, producerIdExpiration, producerIdExpirationCheckInterval,
        DEFAULT_RETENTION_CHECK_INTERVAL);
  }

  /** The same with another retention check interval. */
  public LogManagerConfig withRetentionCheckInterval(Duration interval) {
    return new LogManagerConfig(flushCheckInterval, checkpointInterval, producerIdExpiration,
        producerIdExpirationCheckInterval, interval, cleaner);
  }

  private static void requirePositive(Duration duration, String name) {
    Objects.requireNonNull(duration, name);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, not " + duration);
    }
  }
}
