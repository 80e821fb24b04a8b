package dev.skein.chaos.workload;

import static org.awaitility.Awaitility.await;

import dev.skein.chaos.history.HistoryWriter;
import dev.skein.chaos.history.Op;
import dev.skein.client.ConsumerConfig;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.TopicPartition;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The final read: after every producer has stopped and the cluster has recovered, a fresh
 * consumer reads every partition from its start to its end. Completes with a {@code drain ok}
 * only if it got there; the checker does not trust a history without one.
 */
public final class Drain {

  private Drain() {}

  public static void run(String bootstrap, String topic, int partitions, HistoryWriter history, Duration atMost) {
    List<TopicPartition> all = IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p)).toList();
    history.append(Op.invoke(Op.F.DRAIN, "drain", history.now(), null, null));
    try (SkeinConsumer consumer = SkeinConsumer.create(ConsumerConfig.from(Map.of(
        "bootstrap.servers", bootstrap, "auto.offset.reset", "none", "request.timeout.ms", "5000")))) {
      // Assigned first: the consumer looks up leaders only for partitions it is assigned.
      consumer.assign(all);
      Map<TopicPartition, Long> ends = new HashMap<>();
      RuntimeException[] last = new RuntimeException[1];
      try {
        await().pollInSameThread().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
          try {
            ends.putAll(consumer.endOffsets(all));
            return ends.size() == all.size();
          } catch (RuntimeException e) {
            last[0] = e;
            return false;
          }
        });
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new IllegalStateException("no end offsets within 30 s: " + (last[0] == null ? "?" : Outcome.describe(last[0])));
      }
      consumer.seekToBeginning(all);
      Map<TopicPartition, Long> next = new HashMap<>();
      await().pollInSameThread().atMost(atMost).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).until(() -> {
        for (ConsumerRecord r : consumer.poll(Duration.ofMillis(500))) {
          history.append(Op.ok(Op.F.DRAIN_READ, "drain", history.now(), r.partition(), r.offset(), r.valueString()));
          next.put(r.topicPartition(), r.offset() + 1);
        }
        return all.stream().allMatch(tp -> next.getOrDefault(tp, consumer.position(tp)) >= ends.get(tp));
      });
      history.append(Op.ok(Op.F.DRAIN, "drain", history.now(), null, null, "read to " + ends.values()));
    } catch (RuntimeException e) {
      history.append(Op.info(Op.F.DRAIN, "drain", history.now(), null, null, Outcome.describe(e)));
    }
  }
}
