package dev.skein.chaos.workload;

import dev.skein.chaos.history.HistoryWriter;
import dev.skein.chaos.history.Op;
import dev.skein.client.ConsumerConfig;
import dev.skein.client.ConsumerRebalanceListener;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.OffsetAndMetadata;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.TopicPartition;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * One consumer process in a group ({@code subscribe}): the coordinator shares the topic's
 * partitions between the members. Every record it is given is a {@code read} (with the group),
 * every partition the coordinator gives or takes is an {@code assigned} or {@code revoked}
 * callback, and after each poll it commits what it read, synchronously, writing each committed
 * position as a {@code commit} once the commit succeeded. The checker holds the group to one
 * owner per partition, commits that never go backwards, and reads that are consistent with
 * everyone else's; reading again after a rebalance (at-least-once) is allowed.
 */
public final class GroupMember implements Runnable {

  private final String process;
  private final String group;
  private final String bootstrap;
  private final String topic;
  private final HistoryWriter history;
  private volatile boolean stopped;
  private volatile boolean crashed;
  private volatile SkeinConsumer consumer;

  public GroupMember(String process, String group, String bootstrap, String topic, HistoryWriter history) {
    this.process = process;
    this.group = group;
    this.bootstrap = bootstrap;
    this.topic = topic;
    this.history = history;
  }

  public String process() {
    return process;
  }

  @Override
  public void run() {
    try {
      consume();
    } catch (RuntimeException e) {
      if (!crashed) {
        history.append(Op.info(Op.F.CRASH, process, history.now(), null, null, "member died: "
            + Outcome.describe(e)).withGroup(group));
      }
    }
  }

  private void consume() {
    consumer = SkeinConsumer.create(ConsumerConfig.from(Map.of(
        "bootstrap.servers", bootstrap,
        "group.id", group,
        "enable.auto.commit", "false",
        // A group that has committed nothing starts at the beginning, so every value is read.
        "auto.offset.reset", "earliest",
        "request.timeout.ms", "5000",
        "fetch.max.wait.ms", "200")));
    try {
      consumer.subscribe(List.of(topic), new Callbacks());
      // Written first, so a member that never hears from its coordinator still shows in the
      // history (and the checker holds the group to making progress).
      history.append(Op.info(Op.F.SUBSCRIBE, process, history.now(), null, topic, null).withGroup(group));
      Map<TopicPartition, Long> positions = new HashMap<>();
      while (!stopped) {
        try {
          positions.clear();
          for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
            if (crashed) {
              return;
            }
            history.append(Op.ok(Op.F.READ, process, history.now(), r.partition(), r.offset(), r.valueString())
                .withGroup(group));
            positions.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
          }
          commit(positions);
        } catch (RuntimeException e) {
          if (!stopped) {
            history.append(Op.info("poll", process, history.now(), null, null, Outcome.describe(e)).withGroup(group));
            // Retry back-off, so an error that repeats at once does not flood the history.
            LockSupport.parkNanos(100_000_000L);
          }
        }
      }
    } finally {
      if (crashed) {
        consumer.abandon();
      } else {
        consumer.close();
      }
    }
  }

  /** Commits what this poll read; only a commit the coordinator confirmed is written as ok. */
  private void commit(Map<TopicPartition, Long> positions) {
    if (positions.isEmpty() || crashed) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    positions.forEach((tp, next) -> offsets.put(tp, OffsetAndMetadata.of(next)));
    try {
      consumer.commitSync(offsets);
    } catch (RuntimeException e) {
      history.append(Op.info(Op.F.COMMIT, process, history.now(), null, null, Outcome.describe(e)).withGroup(group));
      return;
    }
    long now = history.now();
    positions.forEach((tp, next) -> history.append(Op.ok(Op.F.COMMIT, process, now, tp.partition(), next, null)
        .withGroup(group)));
  }

  /** Leaves the group cleanly (its partitions are revoked, then it leaves). */
  public void stop() {
    stopped = true;
  }

  /** Dies without leaving: the coordinator notices at the session timeout. */
  public void crash() {
    crashed = true;
    stopped = true;
    history.append(Op.info(Op.F.CRASH, process, history.now(), null, null, "client crash").withGroup(group));
  }

  private final class Callbacks implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (crashed) {
        return; // a dead process has no callbacks; its CRASH already gave everything up
      }
      long now = history.now();
      partitions.forEach(tp -> history.append(Op.ok(Op.F.REVOKED, process, now, tp.partition(), null, null)
          .withGroup(group)));
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (crashed) {
        return;
      }
      long now = history.now();
      partitions.forEach(tp -> history.append(Op.ok(Op.F.ASSIGNED, process, now, tp.partition(), null, null)
          .withGroup(group)));
    }
  }
}
