package dev.skein.broker.group;

import dev.skein.client.ConsumerRebalanceListener;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.TopicPartition;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A group member running its poll loop on its own thread, as a consumer process would: it
 * records every record it is given, when it got it, and its ownership changes.
 */
final class MemberLoop implements AutoCloseable {

  final String name;
  final SkeinConsumer consumer;
  final List<ConsumerRecord> received = new CopyOnWriteArrayList<>();
  /** Per partition, the nanoTime of the last record received. */
  final Map<TopicPartition, Long> lastReceived = new ConcurrentHashMap<>();
  final Set<TopicPartition> owned = ConcurrentHashMap.newKeySet();
  /** Every record's partition and arrival time (nanoTime), in arrival order. */
  final List<Arrival> arrivals = new CopyOnWriteArrayList<>();

  record Arrival(TopicPartition partition, long nanos) {}
  final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile boolean abandon;
  /** Called for each record on the loop thread, before the next poll. */
  volatile java.util.function.Consumer<ConsumerRecord> onRecord = r -> {};

  MemberLoop(String name, SkeinConsumer consumer, Collection<String> topics, Ownership ownership) {
    this(name, consumer, topics, ownership, true);
  }

  MemberLoop(String name, SkeinConsumer consumer, Collection<String> topics, Ownership ownership, boolean start) {
    this.name = name;
    this.consumer = consumer;
    ConsumerRebalanceListener listener = new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        partitions.forEach(tp -> {
          owned.remove(tp);
          ownership.released(name, tp);
        });
      }

      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        partitions.forEach(tp -> {
          owned.add(tp);
          ownership.assigned(name, tp);
        });
      }
    };
    this.thread = new Thread(() -> {
      try {
        consumer.subscribe(topics, listener);
        while (running) {
          for (ConsumerRecord r : consumer.poll(Duration.ofMillis(100))) {
            received.add(r);
            long now = System.nanoTime();
            lastReceived.put(r.topicPartition(), now);
            arrivals.add(new Arrival(r.topicPartition(), now));
            onRecord.accept(r);
          }
        }
        if (abandon) {
          consumer.abandon();
        } else {
          consumer.close();
        }
      } catch (Throwable t) {
        failure.set(t);
      }
    }, "member-" + name);
    thread.setDaemon(true);
    if (start) {
      thread.start();
    }
  }

  void start() {
    thread.start();
  }

  List<String> values() {
    return received.stream().map(ConsumerRecord::valueString).toList();
  }

  /** Dies as a crashed process would: no commit, no leave. */
  void kill() throws InterruptedException {
    abandon = true;
    running = false;
    thread.join(10_000);
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(30_000);
  }
}
