package dev.skein.broker.group;

import java.time.Duration;

/**
 * The group coordinator's settings, by Kafka's names.
 *
 * @param sessionTimeout a member silent this long is removed and its partitions reassigned
 *     ({@code group.consumer.session.timeout.ms}, default 45 s)
 * @param heartbeatInterval how often members heartbeat while their assignment is settled
 *     ({@code group.consumer.heartbeat.interval.ms}, default 5 s)
 * @param offsetsTopicPartitions partitions of {@code __consumer_offsets} when it is created
 *     ({@code offsets.topic.num.partitions}, default 50)
 * @param offsetsTopicReplicationFactor its replication factor, capped at the number of brokers
 *     ({@code offsets.topic.replication.factor}, default 3)
 * @param offsetsRetention how long offsets of a group without members are kept
 *     ({@code offsets.retention.minutes}, default 7 days)
 * @param writeTimeout how long a write to {@code __consumer_offsets} may wait for its replicas
 *     ({@code offsets.commit.timeout.ms}, default 5 s)
 */
public record GroupConfig(Duration sessionTimeout, Duration heartbeatInterval, int offsetsTopicPartitions,
    int offsetsTopicReplicationFactor, Duration offsetsRetention, Duration writeTimeout) {

  public static final GroupConfig DEFAULT = new GroupConfig(Duration.ofSeconds(45), Duration.ofSeconds(5), 50, 3,
      Duration.ofDays(7), Duration.ofSeconds(5));

  public GroupConfig {
    if (heartbeatInterval.compareTo(sessionTimeout) >= 0) {
      throw new IllegalArgumentException("the group heartbeat interval (" + heartbeatInterval.toMillis()
          + " ms) must be shorter than the session timeout (" + sessionTimeout.toMillis() + " ms)");
    }
    if (offsetsTopicPartitions < 1 || offsetsTopicReplicationFactor < 1) {
      throw new IllegalArgumentException("offsets.topic.num.partitions and offsets.topic.replication.factor must be >= 1");
    }
  }

  public GroupConfig withTimeouts(Duration session, Duration heartbeat) {
    return new GroupConfig(session, heartbeat, offsetsTopicPartitions, offsetsTopicReplicationFactor, offsetsRetention,
        writeTimeout);
  }

  public GroupConfig withOffsetsTopic(int partitions, int replicationFactor) {
    return new GroupConfig(sessionTimeout, heartbeatInterval, partitions, replicationFactor, offsetsRetention,
        writeTimeout);
  }

  public GroupConfig withOffsetsRetention(Duration retention) {
    return new GroupConfig(sessionTimeout, heartbeatInterval, offsetsTopicPartitions, offsetsTopicReplicationFactor,
        retention, writeTimeout);
  }
}
