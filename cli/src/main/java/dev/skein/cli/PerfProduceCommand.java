package dev.skein.cli;

import dev.skein.client.ProducerConfig;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinProducer;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code skein perf produce}: kafka-producer-perf-test for Skein. */
@Command(name = "produce", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Send records as fast as allowed and report throughput and latency, like "
        + "kafka-producer-perf-test: a line per reporting interval, then a total with 50th/95th/99th/99.9th "
        + "percentile latencies."})
final class PerfProduceCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @picocli.CommandLine.Mixin
  TlsOptions tls = new TlsOptions();

  @Option(names = {"--bootstrap-server", "--bootstrap", "-b"}, defaultValue = "localhost:9092",
      paramLabel = "HOST:PORT[,...]", description = "Brokers to contact first (default: ${DEFAULT-VALUE}).")
  String bootstrap;
  @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Produce records to this topic.")
  String topic;
  @Option(names = "--num-records", required = true, paramLabel = "N", description = "Number of records to produce.")
  long numRecords;
  @Option(names = "--record-size", required = true, paramLabel = "BYTES", description = "Value size of each record.")
  int recordSize;
  @Option(names = "--throughput", required = true, paramLabel = "RECORDS/SEC",
      description = "Throttle to about this many records/sec; -1 disables throttling.")
  long throughput;
  @Option(names = {"--producer-props", "--command-property"}, arity = "1..*", paramLabel = "KEY=VALUE",
      description = "Producer settings by Kafka's names, e.g. acks=1 linger.ms=5 batch.size=65536.")
  Map<String, String> producerProps = new HashMap<>();
  @Option(names = "--reporting-interval", defaultValue = "5000", paramLabel = "MS",
      description = "Interval between progress lines (default: ${DEFAULT-VALUE}).")
  long reportingIntervalMs;
  @Option(names = "--warmup-records", defaultValue = "0", paramLabel = "N",
      description = "Records sent first and left out of the totals.")
  long warmupRecords;

  @Override
  public Integer call() throws Exception {
    if (numRecords < 1 || recordSize < 0 || (throughput == 0)) {
      throw new IllegalArgumentException("--num-records must be >= 1, --record-size >= 0, --throughput -1 or > 0");
    }
    Map<String, String> settings = new HashMap<>(producerProps);
    settings.put("bootstrap.servers", bootstrap);
    settings.putAll(tls.settings());
    PrintWriter out = spec.commandLine().getOut();
    byte[] payload = payload(recordSize);
    Stats stats = new Stats(out, reportingIntervalMs, recordSize);
    try (SkeinProducer producer = SkeinProducer.create(ProducerConfig.from(settings))) {
      // Metadata first, so the first record's latency is not the metadata lookup.
      producer.partitionsFor(topic);
      // The rate is kept from here (as Kafka's tool starts its throttler once the producer
      // exists): counting the start-up would make the first seconds a catch-up burst.
      long sendStart = System.nanoTime();
      for (long i = 0; i < numRecords; i++) {
        if (throughput > 0) {
          throttle(sendStart, i, throughput);
        }
        long sentAt = System.nanoTime();
        boolean counted = i >= warmupRecords;
        if (i == warmupRecords) {
          stats.start();
        }
        producer.send(new ProducerRecord(topic, null, null, payload, null, List.of()), (metadata, error) -> {
          if (error != null) {
            stats.failed(error);
          } else if (counted) {
            stats.record(System.nanoTime() - sentAt);
          }
        });
        stats.maybeReport();
      }
      producer.flush();
      stats.printTotal(); // before closing the producer, as Kafka's tool does
    }
    return stats.errors.get() == 0 ? 0 : 1;
  }

  /** Kafka's perf payload: random upper-case letters, the same bytes for every record. */
  static byte[] payload(int size) {
    byte[] payload = new byte[size];
    Random random = new Random(0);
    for (int i = 0; i < size; i++) {
      payload[i] = (byte) (random.nextInt(26) + 65);
    }
    return payload;
  }

  private static void throttle(long startNanos, long sent, long perSecond) {
    long due = startNanos + sent * 1_000_000_000L / perSecond;
    long wait = due - System.nanoTime();
    if (wait > 0) {
      LockSupport.parkNanos(wait);
    }
  }

  /** Counts and latencies, overall and per reporting window, in Kafka's output format. */
  private static final class Stats {
    private final PrintWriter out;
    private final long intervalNanos;
    private final int recordSize;
    private final Recorder window = new Recorder(3_600_000_000L, 3);
    private final Histogram total = new Histogram(3_600_000_000L, 3);
    private final AtomicLong errors = new AtomicLong();
    private volatile Throwable firstError;
    private long start = System.nanoTime();
    private long windowStart = start;
    private Histogram recycled;

    Stats(PrintWriter out, long intervalMs, int recordSize) {
      this.out = out;
      this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
      this.recordSize = recordSize;
    }

    void start() {
      start = System.nanoTime();
      windowStart = start;
      window.reset();
    }

    void record(long latencyNanos) {
      window.recordValue(Math.max(1, latencyNanos / 1000));
    }

    void failed(Throwable error) {
      if (errors.getAndIncrement() == 0) {
        firstError = error;
      }
    }

    synchronized void maybeReport() {
      long now = System.nanoTime();
      if (now - windowStart >= intervalNanos) {
        report(now);
      }
    }

    private void report(long now) {
      recycled = window.getIntervalHistogram(recycled);
      total.add(recycled);
      long count = recycled.getTotalCount();
      double seconds = (now - windowStart) / 1e9;
      out.printf("%d records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.%n",
          count, count / seconds, count * (double) recordSize / seconds / (1024.0 * 1024.0),
          count == 0 ? 0.0 : recycled.getMean() / 1000.0, recycled.getMaxValue() / 1000.0);
      out.flush();
      windowStart = now;
    }

    synchronized void printTotal() {
      long now = System.nanoTime();
      recycled = window.getIntervalHistogram(recycled);
      total.add(recycled);
      long count = total.getTotalCount();
      double seconds = (now - start) / 1e9;
      out.printf("%d records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, "
              + "%d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.%n",
          count, count / seconds, count * (double) recordSize / seconds / (1024.0 * 1024.0),
          total.getMean() / 1000.0, total.getMaxValue() / 1000.0,
          total.getValueAtPercentile(50) / 1000, total.getValueAtPercentile(95) / 1000,
          total.getValueAtPercentile(99) / 1000, total.getValueAtPercentile(99.9) / 1000);
      if (errors.get() > 0) {
        out.printf("%d records failed; first error: %s%n", errors.get(), SkeinCli.oneLine(firstError));
      }
      out.flush();
    }
  }
}
