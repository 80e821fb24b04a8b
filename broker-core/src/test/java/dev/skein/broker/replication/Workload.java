package dev.skein.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.ProducerRecord;
import dev.skein.client.RecordMetadata;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Jepsen-style workload for in-JVM fault tests: a producer thread sends unique values and
 * records each acknowledgement (value → partition and offset) or failure; a consumer thread
 * follows the same partitions and records every (partition, offset, value) it was given.
 * The checks afterwards compare both with what the log finally holds.
 */
final class Workload implements AutoCloseable {

  /** Where an acknowledged value landed. */
  record Ack(int partition, long offset) {}

  private final String topic;
  private final SkeinProducer producer;
  private final SkeinConsumer consumer;
  private final List<TopicPartition> partitions;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong sent = new AtomicLong();
  private final Semaphore inFlight = new Semaphore(200);
  final ConcurrentMap<String, Ack> acked = new ConcurrentHashMap<>();
  final List<Throwable> failures = new CopyOnWriteArrayList<>();
  /** What the consumer saw: "partition/offset" → value. */
  final ConcurrentMap<String, String> seen = new ConcurrentHashMap<>();
  /**
   * Each partition's records as read by the first check after {@link #stop()}: nothing writes
   * to the topic any more, so the later checks compare with the same log instead of consuming
   * it all again (over a million records after a long run).
   */
  private final Map<Integer, Map<Long, String>> finalLogs = new java.util.HashMap<>();
  private final Thread producerThread;
  private final Thread consumerThread;

  Workload(TestCluster cluster, String topic, int partitionCount, Map<String, String> producerSettings) {
    this.topic = topic;
    this.producer = cluster.producer(producerSettings);
    this.consumer = cluster.consumer(Map.of("fetch.max.wait.ms", "100"));
    this.partitions = new ArrayList<>();
    for (int p = 0; p < partitionCount; p++) {
      partitions.add(new TopicPartition(topic, p));
    }
    // The admin call that created the topic waited for one broker's metadata; the ones this
    // consumer asks may still be a moment behind: the offsets lookup of seekToBeginning, too,
    // was answered UNKNOWN_TOPIC once (two test JVMs on a loaded 2-core machine).
    await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> {
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      return true;
    });
    this.producerThread = new Thread(this::produce, "workload-producer");
    this.consumerThread = new Thread(this::consume, "workload-consumer");
    producerThread.start();
    consumerThread.start();
  }

  private void produce() {
    while (running.get()) {
      try {
        inFlight.acquire();
      } catch (InterruptedException e) {
        return;
      }
      String value = "v-" + sent.incrementAndGet();
      producer.send(ProducerRecord.of(topic, null, value), (RecordMetadata m, Throwable error) -> {
        inFlight.release();
        if (error != null) {
          failures.add(error);
        } else {
          acked.put(value, new Ack(m.topicPartition().partition(), m.offset()));
        }
      });
    }
  }

  private void consume() {
    while (running.get()) {
      try {
        for (ConsumerRecord r : consumer.poll(Duration.ofMillis(100))) {
          seen.put(r.partition() + "/" + r.offset(), r.valueString());
        }
      } catch (RuntimeException e) {
        // A consumer riding through failovers sees retriable errors; it keeps polling.
        seen.putIfAbsent("error/" + e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
      }
    }
  }

  long ackedCount() {
    return acked.size();
  }

  /** Stops producing, waits for every send to finish, and stops the consumer. */
  void stop() throws InterruptedException {
    running.set(false);
    producerThread.join(30_000);
    producer.flush();
    consumerThread.join(30_000);
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  /**
   * After faults heal: every acknowledged value is in the log at the offset its ack named,
   * and every record the consumer was given is still there, unchanged (no consumer ever read
   * a record that was later lost).
   */
  void assertNothingAcknowledgedOrReadWasLost(TestCluster cluster) {
    for (TopicPartition tp : partitions) {
      Map<Long, String> log = finalLog(cluster, tp.partition());
      acked.forEach((value, ack) -> {
        if (ack.partition() == tp.partition()) {
          assertThat(log.get(ack.offset())).as("acknowledged %s at %s/%d", value, tp, ack.offset()).isEqualTo(value);
        }
      });
      seen.forEach((where, value) -> {
        String[] parts = where.split("/");
        if (!parts[0].equals("error") && Integer.parseInt(parts[0]) == tp.partition()) {
          assertThat(log.get(Long.parseLong(parts[1]))).as("record read at %s/%s", tp, parts[1]).isEqualTo(value);
        }
      });
    }
  }

  /**
   * Every acknowledged value is in the log exactly once (the idempotent producer's retries
   * after a failover or a lost answer are not stored twice).
   */
  void assertAcknowledgedValuesStoredExactlyOnce(TestCluster cluster) {
    Map<String, Integer> copies = new java.util.HashMap<>();
    for (TopicPartition tp : partitions) {
      finalLog(cluster, tp.partition()).values().forEach(v -> copies.merge(v, 1, Integer::sum));
    }
    acked.keySet().forEach(value ->
        assertThat(copies.getOrDefault(value, 0)).as("copies of acknowledged %s", value).isEqualTo(1));
  }

  private synchronized Map<Long, String> finalLog(TestCluster cluster, int partition) {
    if (running.get()) {
      throw new IllegalStateException("the checks read the final log: stop() the workload first");
    }
    return finalLogs.computeIfAbsent(partition, p -> ReplicaChecks.readAll(cluster, topic, p));
  }

  /** Within each partition, acknowledged values sit at offsets in the order they were sent. */
  void assertAcknowledgedValuesInSendOrder() {
    for (TopicPartition tp : partitions) {
      List<Map.Entry<String, Ack>> inPartition = acked.entrySet().stream()
          .filter(e -> e.getValue().partition() == tp.partition())
          .sorted(Map.Entry.comparingByValue(java.util.Comparator.comparingLong(Ack::offset)))
          .toList();
      long previous = 0;
      for (Map.Entry<String, Ack> e : inPartition) {
        long sequence = Long.parseLong(e.getKey().substring(2));
        assertThat(sequence).as("%s at %s/%d comes after v-%d", e.getKey(), tp, e.getValue().offset(), previous)
            .isGreaterThan(previous);
        previous = sequence;
      }
    }
  }
}
