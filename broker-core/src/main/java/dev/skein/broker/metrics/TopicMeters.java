package dev.skein.broker.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** Bytes and records in and out of one topic on this broker. Held per topic, so a batch costs four adds. */
public final class TopicMeters {

  private final Counter producedBytes;
  private final Counter producedRecords;
  private final Counter fetchedBytes;
  private final Counter fetchedRecords;

  TopicMeters(MeterRegistry registry, String topic) {
    this.producedBytes = Counter.builder("skein.produce").baseUnit("bytes").tags(BrokerMetrics.topicTags(topic))
        .description("Bytes appended by producers to partitions led here, as stored (batch headers included)")
        .register(registry);
    this.producedRecords = Counter.builder("skein.produce.records").tags(BrokerMetrics.topicTags(topic))
        .description("Records appended by producers to partitions led here").register(registry);
    this.fetchedBytes = Counter.builder("skein.fetch").baseUnit("bytes").tags(BrokerMetrics.topicTags(topic))
        .description("Batch bytes sent to consumers (Fetch and Subscribe)").register(registry);
    this.fetchedRecords = Counter.builder("skein.fetch.records").tags(BrokerMetrics.topicTags(topic))
        .description("Records sent to consumers (Fetch and Subscribe)").register(registry);
  }

  public void produced(long bytes, long records) {
    producedBytes.increment(bytes);
    producedRecords.increment(records);
  }

  void fetched(long bytes, long records) {
    fetchedBytes.increment(bytes);
    fetchedRecords.increment(records);
  }

  void remove(MeterRegistry registry) {
    registry.remove(producedBytes);
    registry.remove(producedRecords);
    registry.remove(fetchedBytes);
    registry.remove(fetchedRecords);
  }
}
