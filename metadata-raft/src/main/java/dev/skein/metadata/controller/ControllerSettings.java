package dev.skein.metadata.controller;

import java.time.Duration;
import java.util.Objects;

/**
 * @param sessionTimeout an unfenced broker not heard from for this long is fenced
 * @param sessionCheckInterval how often the controller looks for expired sessions
 * @param writeTimeout a write not applied within this time fails (and the request with it)
 * @param producerIdBlockSize producer ids handed out per AllocateProducerIds
 * @param autoLeaderRebalance whether the controller moves leaderships back to preferred leaders
 *     (Kafka's {@code auto.leader.rebalance.enable})
 * @param leaderImbalanceCheckInterval how often it looks for partitions it can move back; it also
 *     looks right after a change that may let a preferred leader lead again
 * @param maxIdleInterval the controller writes an empty batch (a no-op) when it has written
 *     nothing for this long (Kafka's {@code metadata.max.idle.interval.ms}). A Ratis follower
 *     whose appender is stuck sending heartbeats is only unstuck by a new entry (see
 *     {@code docs/ARCHITECTURE.md}, "Idle no-ops"); an idle log would leave it behind for good.
 */
public record ControllerSettings(
    Duration sessionTimeout,
    Duration sessionCheckInterval,
    Duration writeTimeout,
    int producerIdBlockSize,
    boolean autoLeaderRebalance,
    Duration leaderImbalanceCheckInterval,
    Duration maxIdleInterval) {

  public static final int DEFAULT_PRODUCER_ID_BLOCK_SIZE = 1000;
  /** Kafka checks every 300 s; a returning broker should not serve nothing for minutes. */
  public static final Duration DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL = Duration.ofSeconds(5);
  /** Kafka's default: two small entries a second cost nothing, and a stuck member waits at most a second. */
  public static final Duration DEFAULT_MAX_IDLE_INTERVAL = Duration.ofMillis(500);

  public ControllerSettings {
    Objects.requireNonNull(sessionTimeout, "sessionTimeout");
    Objects.requireNonNull(sessionCheckInterval, "sessionCheckInterval");
    Objects.requireNonNull(writeTimeout, "writeTimeout");
    Objects.requireNonNull(leaderImbalanceCheckInterval, "leaderImbalanceCheckInterval");
    Objects.requireNonNull(maxIdleInterval, "maxIdleInterval");
    if (sessionTimeout.isNegative() || sessionTimeout.isZero()) {
      throw new IllegalArgumentException("session timeout must be positive, got " + sessionTimeout);
    }
    if (sessionCheckInterval.isNegative() || sessionCheckInterval.isZero()) {
      throw new IllegalArgumentException("session check interval must be positive, got " + sessionCheckInterval);
    }
    if (producerIdBlockSize < 1) {
      throw new IllegalArgumentException("producer id block size must be at least 1, got " + producerIdBlockSize);
    }
    if (leaderImbalanceCheckInterval.isNegative() || leaderImbalanceCheckInterval.isZero()) {
      throw new IllegalArgumentException("leader imbalance check interval must be positive, got "
          + leaderImbalanceCheckInterval);
    }
    if (maxIdleInterval.isNegative() || maxIdleInterval.isZero()) {
      throw new IllegalArgumentException("max idle interval must be positive, got " + maxIdleInterval);
    }
  }

  /**
   * Checks sessions ten times per timeout (at most every 100 ms), so a fence comes at most a
   * tenth late; moves leaderships back to preferred leaders, checking every 5 s; writes a no-op
   * after 500 ms without a write.
   */
  public static ControllerSettings withSessionTimeout(Duration sessionTimeout) {
    Duration check = sessionTimeout.dividedBy(10);
    if (check.compareTo(Duration.ofMillis(100)) > 0) {
      check = Duration.ofMillis(100);
    }
    if (check.isZero()) {
      check = Duration.ofMillis(1);
    }
    return new ControllerSettings(sessionTimeout, check, Duration.ofSeconds(15), DEFAULT_PRODUCER_ID_BLOCK_SIZE,
        true, DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL, DEFAULT_MAX_IDLE_INTERVAL);
  }

  /** The same settings with preferred-leader balancing switched on or off, checked every {@code checkInterval}. */
  public ControllerSettings withLeaderRebalance(boolean enabled, Duration checkInterval) {
    return new ControllerSettings(sessionTimeout, sessionCheckInterval, writeTimeout, producerIdBlockSize, enabled,
        checkInterval, maxIdleInterval);
  }

  /** The same settings with a different interval after which an idle controller writes a no-op. */
  public ControllerSettings withMaxIdleInterval(Duration interval) {
    return new ControllerSettings(sessionTimeout, sessionCheckInterval, writeTimeout, producerIdBlockSize,
        autoLeaderRebalance, leaderImbalanceCheckInterval, interval);
  }
}
