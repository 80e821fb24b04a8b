package dev.skein.chaos.workload;

import static org.awaitility.Awaitility.await;

import dev.skein.chaos.history.HistoryWriter;
import dev.skein.chaos.history.Op;
import dev.skein.client.ConsumerConfig;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.TopicPartition;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;

/**
 * One consumer process under {@code assign}: every partition from the beginning, each record
 * it is given written as a {@code read}. Errors are noted and polling goes on with the same
 * positions; the checker holds it to strictly increasing offsets per partition.
 */
public final class AssignConsumer implements Runnable {

  private final String process;
  private final String bootstrap;
  private final String topic;
  private final int partitions;
  private final HistoryWriter history;
  private volatile boolean stopped;
  private volatile boolean crashed;

  public AssignConsumer(String process, String bootstrap, String topic, int partitions, HistoryWriter history) {
    this.process = process;
    this.bootstrap = bootstrap;
    this.topic = topic;
    this.partitions = partitions;
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
      history.append(Op.info(Op.F.CRASH, process, history.now(), null, null, "consumer died: " + Outcome.describe(e)));
    }
  }

  private void consume() {
    List<TopicPartition> all = IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p)).toList();
    try (SkeinConsumer consumer = SkeinConsumer.create(ConsumerConfig.from(Map.of(
        "bootstrap.servers", bootstrap,
        // "none": a position the broker calls out of range is an error to record, never a silent
        // jump back to the log start (which the checker would see as a non-monotonic read).
        "auto.offset.reset", "none",
        "request.timeout.ms", "5000",
        "fetch.max.wait.ms", "200")))) {
      // A new topic reaches each broker's metadata a little later; retry until it is known.
      await().pollInSameThread().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
        try {
          consumer.assign(all);
          consumer.seekToBeginning(all);
          return true;
        } catch (RuntimeException e) {
          history.append(Op.info("poll", process, history.now(), null, null, Outcome.describe(e)));
          return false;
        }
      });
      history.append(Op.info(Op.F.ASSIGN, process, history.now(), null, "all partitions from the beginning", null));
      while (!stopped) {
        try {
          for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
            if (crashed) {
              break;
            }
            history.append(Op.ok(Op.F.READ, process, history.now(), r.partition(), r.offset(), r.valueString()));
          }
        } catch (RuntimeException e) {
          if (!stopped) {
            history.append(Op.info("poll", process, history.now(), null, null, Outcome.describe(e)));
            // Retry back-off, so an error that repeats at once does not flood the history.
            LockSupport.parkNanos(100_000_000L);
          }
        }
      }
    }
  }

  public void stop() {
    stopped = true;
  }

  public void crash() {
    crashed = true;
    stopped = true;
    history.append(Op.info(Op.F.CRASH, process, history.now(), null, null, "client crash"));
  }
}
