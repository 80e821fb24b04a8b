package dev.skein.chaos.workload;

import dev.skein.chaos.history.HistoryWriter;
import dev.skein.chaos.history.Op;
import dev.skein.client.ProducerConfig;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinProducer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One producer process: acks=all, idempotent, sending unique values ("p3-17") round-robin over
 * the partitions at a fixed rate. Each send is an invoke and, from its callback, an ok with the
 * offset, a fail, or an info. A crash abandons the producer without flushing: whatever it had in
 * flight stays an invoke with no completion, which the checker treats as unknown.
 */
public final class ProducerWorker implements Runnable {

  private final String process;
  private final String bootstrap;
  private final String topic;
  private final int partitions;
  private final long intervalNanos;
  private final HistoryWriter history;
  private volatile boolean stopped;
  private volatile boolean crashed;
  private volatile SkeinProducer producer;

  public ProducerWorker(String process, String bootstrap, String topic, int partitions, double ratePerSecond,
      HistoryWriter history) {
    this.process = process;
    this.bootstrap = bootstrap;
    this.topic = topic;
    this.partitions = partitions;
    this.intervalNanos = (long) (TimeUnit.SECONDS.toNanos(1) / ratePerSecond);
    this.history = history;
  }

  public String process() {
    return process;
  }

  @Override
  public void run() {
    producer = SkeinProducer.create(ProducerConfig.from(Map.of(
        "bootstrap.servers", bootstrap,
        "acks", "all",
        "enable.idempotence", "true",
        "linger.ms", "2",
        // Short enough that every send ends within the run, long enough to ride out a failover.
        "request.timeout.ms", "5000",
        "delivery.timeout.ms", "20000",
        "max.block.ms", "5000")));
    long next = System.nanoTime();
    for (long seq = 0; !stopped; seq++) {
      LockSupport.parkNanos(next - System.nanoTime());   // pacing, not waiting for a condition
      next += intervalNanos;
      String value = process + "-" + seq;
      int partition = (int) (seq % partitions);
      history.append(Op.invoke(Op.F.SEND, process, history.now(), partition, value));
      try {
        producer.send(ProducerRecord.of(topic, null, value).withPartition(partition), (metadata, error) -> {
          if (crashed) {
            return;   // a crashed process reports nothing more
          }
          if (error == null) {
            history.append(Op.ok(Op.F.SEND, process, history.now(), partition, metadata.offset(), value));
          } else {
            Op.Type type = Outcome.of(error);
            String why = Outcome.describe(error);
            history.append(type == Op.Type.fail ? Op.fail(Op.F.SEND, process, history.now(), partition, value, why)
                : Op.info(Op.F.SEND, process, history.now(), partition, value, why));
          }
        });
      } catch (RuntimeException e) {
        // Refused before it was queued (buffer full, closed): it never left this process.
        history.append(Op.fail(Op.F.SEND, process, history.now(), partition, value, Outcome.describe(e)));
      }
    }
    if (!crashed) {
      producer.close(Duration.ofSeconds(30));
    }
  }

  /** Stops sending; the worker's thread then closes the producer, which waits for sends in flight. */
  public void stop() {
    stopped = true;
  }

  /** The process dies: no more callbacks are recorded and nothing is flushed. */
  public void crash() {
    crashed = true;
    stopped = true;
    history.append(Op.info(Op.F.CRASH, process, history.now(), null, null, "client crash"));
    SkeinProducer p = producer;
    if (p != null) {
      p.close(Duration.ZERO);
    }
  }
}
