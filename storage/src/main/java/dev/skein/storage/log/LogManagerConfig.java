package dev.skein.storage.log;

import java.time.Duration;
import java.util.Objects;

/**
 * How often the {@link LogManager}'s background task does its rounds.
 *
 * @param flushCheckInterval how often logs are checked against their flush.ms (Kafka's
 *                           log.flush.scheduler.interval.ms); flush.ms is honoured to this granularity
 * @param checkpointInterval how often recovery points, log start offsets and high watermarks are written
 *                           to the state store
 */
public record LogManagerConfig(Duration flushCheckInterval, Duration checkpointInterval) {

  public static final LogManagerConfig DEFAULT = new LogManagerConfig(Duration.ofSeconds(1), Duration.ofSeconds(5));

  public LogManagerConfig {
    requirePositive(flushCheckInterval, "flushCheckInterval");
    requirePositive(checkpointInterval, "checkpointInterval");
  }

  private static void requirePositive(Duration duration, String name) {
    Objects.requireNonNull(duration, name);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, not " + duration);
    }
  }
}
