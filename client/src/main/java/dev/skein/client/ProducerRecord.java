package dev.skein.client;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A record to send. A null partition lets the producer choose: a keyed record goes to
 * {@code toPositive(murmur2(key)) % partitions}, exactly like Kafka's default partitioner, and
 * records without a key go round-robin. A null timestamp means "now".
 */
public record ProducerRecord(
    String topic, Integer partition, byte[] key, byte[] value, Long timestamp, List<Header> headers) {

  public ProducerRecord {
    if (topic == null || topic.isEmpty()) {
      throw new IllegalArgumentException("topic must not be empty");
    }
    if (partition != null && partition < 0) {
      throw new IllegalArgumentException("partition must be >= 0, got " + partition);
    }
    headers = headers == null ? List.of() : List.copyOf(headers);
  }

  public static ProducerRecord of(String topic, byte[] key, byte[] value) {
    return new ProducerRecord(topic, null, key, value, null, List.of());
  }

  public static ProducerRecord of(String topic, String key, String value) {
    return of(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value == null ? null : value.getBytes(StandardCharsets.UTF_8));
  }

  public ProducerRecord withHeaders(List<Header> newHeaders) {
    return new ProducerRecord(topic, partition, key, value, timestamp, newHeaders);
  }

  public ProducerRecord withPartition(int newPartition) {
    return new ProducerRecord(topic, newPartition, key, value, timestamp, headers);
  }

  public ProducerRecord withTimestamp(long newTimestamp) {
    return new ProducerRecord(topic, partition, key, value, newTimestamp, headers);
  }
}
