package dev.skein.cli;

import dev.skein.client.ConsumerConfig;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.TopicPartition;
import java.io.PrintWriter;
import java.text.SimpleDateFormat;
import java.time.Duration;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code skein perf consume}: kafka-consumer-perf-test for Skein. */
@Command(name = "consume", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Read records from every partition of a topic and report throughput, like "
        + "kafka-consumer-perf-test: a CSV header and one line of results. A progress line goes to stderr every "
        + "reporting interval (or to stdout, in Kafka's format, with --show-detailed-stats)."})
final class PerfConsumeCommand implements Callable<Integer> {

  static final String HEADER = "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, "
      + "nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec";

  @Spec
  CommandSpec spec;

  @picocli.CommandLine.Mixin
  TlsOptions tls = new TlsOptions();

  @Option(names = {"--bootstrap-server", "--bootstrap", "-b"}, defaultValue = "localhost:9092",
      paramLabel = "HOST:PORT[,...]", description = "Brokers to contact first (default: ${DEFAULT-VALUE}).")
  String bootstrap;
  @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "The topic to consume from.")
  String topic;
  @Option(names = {"--num-records", "--messages"}, required = true, paramLabel = "N",
      description = "The number of records to consume.")
  long numRecords;
  @Option(names = "--timeout", defaultValue = "10000", paramLabel = "MS",
      description = "Give up after this long without a record (default: ${DEFAULT-VALUE}).")
  long timeoutMs;
  @Option(names = "--group", paramLabel = "GROUP",
      description = "Consume as a member of this group (subscribe) instead of reading every partition directly; "
          + "rebalance.time.ms is then the time until the first assignment.")
  String group;
  @Option(names = "--fetch-size", paramLabel = "BYTES", description = "max.partition.fetch.bytes for each partition.")
  Integer fetchSize;
  @Option(names = "--from-latest", description = "Start at the end of each partition instead of the beginning.")
  boolean fromLatest;
  @Option(names = {"--command-property", "--consumer-props"}, arity = "1..*", paramLabel = "KEY=VALUE",
      description = "Consumer settings by Kafka's names.")
  Map<String, String> consumerProps = new HashMap<>();
  @Option(names = "--show-detailed-stats", description = "Print a result line per reporting interval.")
  boolean detailed;
  @Option(names = "--hide-header", description = "Skip the CSV header line.")
  boolean hideHeader;
  @Option(names = "--reporting-interval", defaultValue = "5000", paramLabel = "MS",
      description = "Interval between progress lines (default: ${DEFAULT-VALUE}).")
  long reportingIntervalMs;
  @Option(names = "--date-format", defaultValue = "yyyy-MM-dd HH:mm:ss:SSS", paramLabel = "FORMAT",
      description = "Format of start.time and end.time (default: ${DEFAULT-VALUE}).")
  String dateFormat;

  @Override
  public Integer call() {
    Map<String, String> settings = new HashMap<>(consumerProps);
    settings.put("bootstrap.servers", bootstrap);
    settings.putAll(tls.settings());
    settings.putIfAbsent("max.poll.records", "5000");
    if (fetchSize != null) {
      settings.put("max.partition.fetch.bytes", fetchSize.toString());
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    SimpleDateFormat format = new SimpleDateFormat(dateFormat);
    if (!hideHeader) {
      out.println(HEADER);
    }
    long records = 0;
    long bytes = 0;
    long startMs;
    long fetchStartMs;
    long lastRecordMs;
    long endMs;
    long[] assignedAtMs = {-1};
    if (group != null) {
      settings.put("group.id", group);
      settings.putIfAbsent("auto.offset.reset", fromLatest ? "latest" : "earliest");
    }
    try (SkeinConsumer consumer = SkeinConsumer.create(ConsumerConfig.from(settings))) {
      // The clock starts once the consumer exists, as in Kafka's tool (which builds its consumer
      // before taking start.time): finding the partitions and their positions is counted, the
      // JVM's loading of the client's classes and logging is not.
      startMs = System.currentTimeMillis();
      if (group != null) {
        consumer.subscribe(List.of(topic), new dev.skein.client.ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(java.util.Collection<TopicPartition> partitions) {}

          @Override
          public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions) {
            if (assignedAtMs[0] < 0) {
              assignedAtMs[0] = System.currentTimeMillis();
            }
          }
        });
      } else {
        List<TopicPartition> partitions = consumer.partitionsFor(topic);
        consumer.assign(partitions);
        if (fromLatest) {
          consumer.seekToEnd(partitions);
        } else {
          consumer.seekToBeginning(partitions);
        }
      }
      fetchStartMs = System.currentTimeMillis();
      lastRecordMs = fetchStartMs;
      long windowStartMs = fetchStartMs;
      long windowRecords = 0;
      long windowBytes = 0;
      while (records < numRecords && System.currentTimeMillis() - lastRecordMs < timeoutMs) {
        for (ConsumerRecord r : consumer.poll(Duration.ofMillis(100))) {
          records++;
          windowRecords++;
          long size = (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
          bytes += size;
          windowBytes += size;
          lastRecordMs = System.currentTimeMillis();
        }
        long now = System.currentTimeMillis();
        if (now - windowStartMs >= reportingIntervalMs) {
          if (detailed) {
            out.println(line(format, windowStartMs, now, windowBytes, windowRecords, now - windowStartMs, 0));
            out.flush();
          } else {
            err.printf("%d records consumed, %.1f records/sec (%.2f MB/sec)%n", windowRecords,
                windowRecords * 1000.0 / (now - windowStartMs), mb(windowBytes) * 1000.0 / (now - windowStartMs));
            err.flush();
          }
          windowStartMs = now;
          windowRecords = 0;
          windowBytes = 0;
        }
      }
      // Before closing the consumer, as Kafka's tool takes its end time.
      endMs = System.currentTimeMillis();
    }
    long rebalanceMs = assignedAtMs[0] < 0 ? 0 : assignedAtMs[0] - fetchStartMs;
    if (!detailed) {
      out.println(line(format, startMs, endMs, bytes, records, endMs - fetchStartMs - rebalanceMs, rebalanceMs));
    }
    out.flush();
    if (records < numRecords) {
      err.printf("error: consumed only %d of %d records before --timeout (%d ms) passed without a record%n",
          records, numRecords, timeoutMs);
      return 1;
    }
    return 0;
  }

  private static String line(SimpleDateFormat format, long startMs, long endMs, long bytes, long records,
      long fetchMs, long rebalanceMs) {
    double seconds = Math.max(1, endMs - startMs) / 1000.0;
    double fetchSeconds = Math.max(1, fetchMs) / 1000.0;
    return String.format("%s, %s, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f",
        format.format(new Date(startMs)), format.format(new Date(endMs)), mb(bytes), mb(bytes) / seconds, records,
        records / seconds, rebalanceMs, fetchMs, mb(bytes) / fetchSeconds, records / fetchSeconds);
  }

  private static double mb(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }
}
