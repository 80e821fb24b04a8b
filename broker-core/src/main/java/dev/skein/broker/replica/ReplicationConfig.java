package dev.skein.broker.replica;

import java.time.Duration;

/**
 * How followers fetch from leaders and when a follower counts as in sync, by Kafka's names.
 *
 * @param replicaLagTimeMax {@code replica.lag.time.max.ms}: a follower that has not caught up to the
 *     leader's log end for this long leaves the ISR (default 10 s; Kafka's is 30 s)
 * @param fetchMaxWait {@code replica.fetch.wait.max.ms}: how long a follower's fetch waits for data
 * @param fetchMaxBytes {@code replica.fetch.max.bytes}: bytes per partition in one fetch response
 * @param fetchResponseMaxBytes {@code replica.fetch.response.max.bytes}: bytes in one fetch response
 * @param fetchBackoff {@code replica.fetch.backoff.ms}: pause after a failed fetch
 */
public record ReplicationConfig(Duration replicaLagTimeMax, Duration fetchMaxWait, int fetchMaxBytes,
    int fetchResponseMaxBytes, Duration fetchBackoff) {

  public static final ReplicationConfig DEFAULT = new ReplicationConfig(Duration.ofSeconds(10),
      Duration.ofMillis(500), 1024 * 1024, 10 * 1024 * 1024, Duration.ofMillis(100));

  public ReplicationConfig {
    if (replicaLagTimeMax.toMillis() < 1 || fetchMaxWait.isNegative() || fetchMaxBytes < 1
        || fetchResponseMaxBytes < 1 || fetchBackoff.isNegative()) {
      throw new IllegalArgumentException("replication settings must be positive: " + this);
    }
  }

  public ReplicationConfig withReplicaLagTimeMax(Duration lag) {
    return new ReplicationConfig(lag, fetchMaxWait, fetchMaxBytes, fetchResponseMaxBytes, fetchBackoff);
  }
}
