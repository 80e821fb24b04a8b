package dev.skein.metadata.controller;

import java.time.Duration;
import java.util.Objects;

/**
 * @param sessionTimeout an unfenced broker not heard from for this long is fenced
 * @param sessionCheckInterval how often the controller looks for expired sessions
 * @param writeTimeout a write not applied within this time fails (and the request with it)
 * @param producerIdBlockSize producer ids handed out per AllocateProducerIds
 */
public record ControllerSettings(
    Duration sessionTimeout, Duration sessionCheckInterval, Duration writeTimeout, int producerIdBlockSize) {

  public static final int DEFAULT_PRODUCER_ID_BLOCK_SIZE = 1000;

  public ControllerSettings {
    Objects.requireNonNull(sessionTimeout, "sessionTimeout");
    Objects.requireNonNull(sessionCheckInterval, "sessionCheckInterval");
    Objects.requireNonNull(writeTimeout, "writeTimeout");
    if (sessionTimeout.isNegative() || sessionTimeout.isZero()) {
      throw new IllegalArgumentException("session timeout must be positive, got " + sessionTimeout);
    }
    if (sessionCheckInterval.isNegative() || sessionCheckInterval.isZero()) {
      throw new IllegalArgumentException("session check interval must be positive, got " + sessionCheckInterval);
    }
    if (producerIdBlockSize < 1) {
      throw new IllegalArgumentException("producer id block size must be at least 1, got " + producerIdBlockSize);
    }
  }

  /** Checks sessions ten times per timeout (at most every 100 ms), so a fence comes at most a tenth late. */
  public static ControllerSettings withSessionTimeout(Duration sessionTimeout) {
    Duration check = sessionTimeout.dividedBy(10);
    if (check.compareTo(Duration.ofMillis(100)) > 0) {
      check = Duration.ofMillis(100);
    }
    if (check.isZero()) {
      check = Duration.ofMillis(1);
    }
    return new ControllerSettings(sessionTimeout, check, Duration.ofSeconds(15), DEFAULT_PRODUCER_ID_BLOCK_SIZE);
  }
}
