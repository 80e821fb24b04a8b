package dev.skein.client.internal;

import dev.skein.client.PartitionInfo;
import dev.skein.client.ProducerConfig;
import dev.skein.client.ProducerRecord;
import dev.skein.client.RecordMetadata;
import dev.skein.client.SkeinException;
import dev.skein.client.TopicDescription;
import dev.skein.client.TopicPartition;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The producer's moving parts: partitioning, the accumulator and the sender thread. */
public final class ProducerEngine {

  /** How long send() keeps asking for a topic the metadata does not show yet (a topic just created). */
  private static final long UNKNOWN_TOPIC_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);

  private final ProducerConfig config;
  private final MetadataCache metadata;
  private final RecordAccumulator accumulator;
  private final Sender sender;
  private final Thread senderThread;
  private final Map<String, AtomicInteger> roundRobin = new ConcurrentHashMap<>();

  public ProducerEngine(ProducerConfig config, MetadataCache metadata, BrokerChannels channels) {
    this.config = config;
    this.metadata = metadata;
    this.accumulator = new RecordAccumulator(config.batchSize(), config.linger().toNanos(), config.bufferMemory(),
        config.idempotence(), config.maxInFlight());
    this.sender = new Sender(config, accumulator, metadata, channels);
    this.senderThread = new Thread(sender, "skein-producer-sender-" + config.client().clientId());
    this.senderThread.setDaemon(true);
    this.senderThread.start();
  }

  public CompletableFuture<RecordMetadata> send(ProducerRecord record) {
    try {
      long start = System.nanoTime();
      TopicDescription topic = topic(record.topic(), start);
      int partition = choosePartition(record, topic);
      int size = RecordSetWriter.encodedSize(0, 0, record.key(), record.value(), record.headers());
      if (size > config.maxRequestSize()) {
        throw new SkeinException(SkeinError.of(ErrorReason.RECORD_TOO_LARGE, "the record is " + size
            + " bytes, larger than max.request.size (" + config.maxRequestSize() + ")"));
      }
      long timestamp = record.timestamp() != null ? record.timestamp() : System.currentTimeMillis();
      long blockLeft = config.maxBlock().toNanos() - (System.nanoTime() - start);
      return accumulator.append(new TopicPartition(record.topic(), partition), timestamp, record.key(),
          record.value(), record.headers(), blockLeft);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CompletableFuture.failedFuture(new SkeinException("interrupted while sending",
          io.grpc.Status.Code.CANCELLED, e));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private TopicDescription topic(String name, long startNanos) throws InterruptedException {
    while (true) {
      try {
        return metadata.topic(name);
      } catch (SkeinException e) {
        boolean unknown = e.reason().filter(r -> r == ErrorReason.UNKNOWN_TOPIC).isPresent();
        if (!unknown || System.nanoTime() - startNanos > Math.min(UNKNOWN_TOPIC_WAIT_NANOS,
            config.maxBlock().toNanos())) {
          throw e;
        }
        metadata.invalidate();
        TimeUnit.NANOSECONDS.sleep(config.client().retryBackoff().toNanos());
      }
    }
  }

  private int choosePartition(ProducerRecord record, TopicDescription topic) {
    int count = topic.partitionCount();
    if (record.partition() != null) {
      if (record.partition() >= count) {
        throw new SkeinException(SkeinError.of(ErrorReason.UNKNOWN_PARTITION, "topic '" + topic.name()
            + "' has " + count + " partitions; there is no partition " + record.partition()));
      }
      return record.partition();
    }
    if (record.key() != null) {
      return Murmur2.partitionForKey(record.key(), count);
    }
    // Round-robin over partitions that have a leader, so keyless records avoid offline ones.
    int[] available = metadata.snapshot().availablePartitions().get(topic.name());
    int next = roundRobin.computeIfAbsent(topic.name(), k -> new AtomicInteger()).getAndIncrement();
    if (available == null || available.length == 0) {
      return Murmur2.toPositive(next) % count;
    }
    return available[Murmur2.toPositive(next) % available.length];
  }

  public List<PartitionInfo> partitionsFor(String topic) {
    return metadata.topic(topic).partitions();
  }

  public void flush() {
    accumulator.beginFlush();
    try {
      for (ProducerBatch batch : accumulator.incompleteBatches()) {
        batch.done.join();
      }
    } finally {
      accumulator.endFlush();
    }
  }

  public void close(Duration timeout) {
    accumulator.close();
    try {
      senderThread.join(Math.max(1, timeout.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (senderThread.isAlive()) {
      sender.forceClose();
      try {
        senderThread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    // In-flight batches whose responses never came are failed here, so no caller waits forever.
    for (ProducerBatch batch : accumulator.incompleteBatches()) {
      batch.fail(new SkeinException("producer closed before the broker answered", io.grpc.Status.Code.ABORTED,
          null));
    }
  }

}
