package dev.skein.client;

import dev.skein.proto.v1.TimestampType;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A record read from a partition. {@code key} is null for a record without a key; {@code value}
 * is null for a tombstone.
 */
public record ConsumerRecord(
    String topic, int partition, long offset, long timestamp, TimestampType timestampType,
    byte[] key, byte[] value, List<Header> headers, int leaderEpoch) {

  public ConsumerRecord {
    headers = List.copyOf(headers);
  }

  public TopicPartition topicPartition() {
    return new TopicPartition(topic, partition);
  }

  public String keyString() {
    return key == null ? null : new String(key, StandardCharsets.UTF_8);
  }

  public String valueString() {
    return value == null ? null : new String(value, StandardCharsets.UTF_8);
  }
}
