package dev.skein.client;

import dev.skein.client.internal.BrokerChannels;
import dev.skein.client.internal.Fetcher;
import dev.skein.client.internal.MetadataCache;
import dev.skein.proto.v1.OffsetResult;
import dev.skein.proto.v1.OffsetSpec;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads records from assigned partitions, each from its leader, in offset order. Only
 * committed records (below the high watermark) are ever returned. Not thread-safe: use one
 * consumer per thread, as with Kafka's.
 *
 * <pre>{@code
 * try (SkeinConsumer consumer = SkeinConsumer.create(ConsumerConfig.of("localhost:9092"))) {
 *   consumer.assign(List.of(new TopicPartition("orders", 0)));
 *   consumer.seekToBeginning(consumer.assignment());
 *   for (ConsumerRecord r : consumer.poll(Duration.ofSeconds(1))) { ... }
 * }
 * }</pre>
 */
public final class SkeinConsumer implements AutoCloseable {

  private final BrokerChannels channels;
  private final MetadataCache metadata;
  private final Fetcher fetcher;

  private SkeinConsumer(ConsumerConfig config) {
    this.channels = new BrokerChannels();
    this.metadata = new MetadataCache(config.client(), channels);
    this.fetcher = new Fetcher(config, metadata, channels);
  }

  public static SkeinConsumer create(ConsumerConfig config) {
    return new SkeinConsumer(config);
  }

  /** Reads exactly these partitions from now on; positions of partitions kept are kept. */
  public void assign(Collection<TopicPartition> partitions) {
    fetcher.assign(partitions);
  }

  /** Every partition of a topic, from metadata. */
  public List<TopicPartition> partitionsFor(String topic) {
    return metadata.topic(topic).partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
  }

  public Set<TopicPartition> assignment() {
    return fetcher.assignment();
  }

  public void seek(TopicPartition partition, long offset) {
    fetcher.seek(partition, offset);
  }

  public void seekToBeginning(Collection<TopicPartition> partitions) {
    fetcher.resetToOffsets(partitions, OffsetSpec.OFFSET_SPEC_EARLIEST);
  }

  /** Moves to the high watermark: only records produced from now on will be read. */
  public void seekToEnd(Collection<TopicPartition> partitions) {
    fetcher.resetToOffsets(partitions, OffsetSpec.OFFSET_SPEC_LATEST);
  }

  /**
   * Moves each partition to its first record with a timestamp at or after {@code timestamp},
   * or to its end when there is none.
   */
  public void seekToTimestamp(Collection<TopicPartition> partitions, long timestamp) {
    Map<TopicPartition, Long> found = offsetsForTimes(partitions, timestamp);
    Map<TopicPartition, OffsetResult> ends = fetcher.listOffsets(partitions, OffsetSpec.OFFSET_SPEC_LATEST, 0);
    for (TopicPartition tp : partitions) {
      Long offset = found.get(tp);
      fetcher.seek(tp, offset != null ? offset : ends.get(tp).getOffset());
    }
  }

  /** The first offset at or after {@code timestamp} per partition; partitions with none are left out. */
  public Map<TopicPartition, Long> offsetsForTimes(Collection<TopicPartition> partitions, long timestamp) {
    Map<TopicPartition, Long> out = new HashMap<>();
    fetcher.listOffsets(partitions, OffsetSpec.OFFSET_SPEC_TIMESTAMP, timestamp).forEach((tp, r) -> {
      if (r.getOffset() >= 0) {
        out.put(tp, r.getOffset());
      }
    });
    return out;
  }

  public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions) {
    Map<TopicPartition, Long> out = new HashMap<>();
    fetcher.listOffsets(partitions, OffsetSpec.OFFSET_SPEC_EARLIEST, 0).forEach((tp, r) -> out.put(tp, r.getOffset()));
    return out;
  }

  /** High watermarks: the offset the next committed record of each partition will get. */
  public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
    Map<TopicPartition, Long> out = new HashMap<>();
    fetcher.listOffsets(partitions, OffsetSpec.OFFSET_SPEC_LATEST, 0).forEach((tp, r) -> out.put(tp, r.getOffset()));
    return out;
  }

  /** The offset of the next record this consumer will return for the partition. */
  public long position(TopicPartition partition) {
    return fetcher.position(partition);
  }

  /** Records available now, or the first ones to arrive within {@code timeout}; empty if none did. */
  public List<ConsumerRecord> poll(Duration timeout) {
    return fetcher.poll(timeout.toNanos());
  }

  @Override
  public void close() {
    fetcher.close();
    channels.close();
  }
}
