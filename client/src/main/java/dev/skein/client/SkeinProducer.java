package dev.skein.client;

import dev.skein.client.internal.BrokerChannels;
import dev.skein.client.internal.MetadataCache;
import dev.skein.client.internal.ProducerEngine;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * Sends records to Skein, batching them per partition (batch.size, linger.ms) and sending
 * each batch to its partition's leader. Thread-safe: share one producer between threads.
 *
 * <pre>{@code
 * try (SkeinProducer producer = SkeinProducer.create(ProducerConfig.of("localhost:9092"))) {
 *   producer.send(ProducerRecord.of("orders", "customer-42", "{...}")).join();
 * }
 * }</pre>
 */
public final class SkeinProducer implements AutoCloseable {

  private final BrokerChannels channels;
  private final ProducerEngine engine;

  private SkeinProducer(ProducerConfig config) {
    this.channels = new BrokerChannels(config.client().tls(), config.client().sasl());
    this.engine = new ProducerEngine(config, new MetadataCache(config.client(), channels), channels);
  }

  public static SkeinProducer create(ProducerConfig config) {
    return new SkeinProducer(config);
  }

  /**
   * Queues a record and returns a future of where it landed. Blocks only when buffer.memory
   * is full or the topic's metadata is not known yet, for at most max.block.ms.
   */
  public CompletableFuture<RecordMetadata> send(ProducerRecord record) {
    return engine.send(record);
  }

  /**
   * Like {@link #send(ProducerRecord)}, then calls {@code callback} with the result or the failure.
   * Callbacks, and stages chained to the future without an executor, run on the producer's network
   * thread (as Kafka's run on its I/O thread): keep them short and never block in them, or answers
   * from that broker wait behind them.
   */
  public CompletableFuture<RecordMetadata> send(ProducerRecord record, BiConsumer<RecordMetadata, Throwable> callback) {
    CompletableFuture<RecordMetadata> future = engine.send(record);
    future.whenComplete(callback);
    return future;
  }

  /** Sends everything queued now and waits until each of those records has succeeded or failed. */
  public void flush() {
    engine.flush();
  }

  /** The partitions of a topic, from the producer's metadata. */
  public List<PartitionInfo> partitionsFor(String topic) {
    return engine.partitionsFor(topic);
  }

  /** Sends what is queued, waiting up to {@code timeout}; what is left then fails. */
  public void close(Duration timeout) {
    try {
      engine.close(timeout);
    } finally {
      channels.close();
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }
}
