package dev.skein.cli;

import dev.skein.client.Header;
import dev.skein.client.ProducerConfig;
import dev.skein.client.ProducerRecord;
import dev.skein.client.RecordMetadata;
import dev.skein.client.SkeinProducer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code skein produce}: one record per line of standard input. */
@Command(name = "produce", mixinStandardHelpOptions = true,
    description = {"Send one record per line of standard input to a topic.",
        "Exits 0 when every record was acknowledged, 1 otherwise (the first error is printed)."})
final class ProduceCommand implements Callable<Integer> {

  @ParentCommand
  SkeinCli root;
  @Spec
  CommandSpec spec;
  @Mixin
  ClientOptions client;

  @Option(names = "--topic", required = true, paramLabel = "NAME", description = "Topic to write to.")
  String topic;

  @Option(names = "--key-separator", paramLabel = "SEP",
      description = "Split each line at the first SEP into key and value (default: no key).")
  String keySeparator;

  @Option(names = "--acks", paramLabel = "0|1|all", defaultValue = "all",
      description = "Replicas that must have a record before it counts as sent (default: ${DEFAULT-VALUE}).")
  String acks;

  @Option(names = "--partition", paramLabel = "N", description = "Send every record to this partition.")
  Integer partition;

  @Option(names = "--header", paramLabel = "KEY=VALUE", description = "A header added to every record. Repeatable.")
  Map<String, String> headers = new LinkedHashMap<>();

  @Option(names = "--property", paramLabel = "KEY=VALUE",
      description = "A producer setting by Kafka's name, e.g. linger.ms=10 or compression.type=zstd. Repeatable.")
  Map<String, String> properties = new HashMap<>();

  @Option(names = "--print-offsets", description = "Print topic, partition and offset of each record sent.")
  boolean printOffsets;

  @Override
  public Integer call() throws Exception {
    Map<String, String> settings = new HashMap<>(properties);
    settings.putAll(client.settings());
    settings.put("acks", acks);
    List<Header> recordHeaders = new ArrayList<>();
    headers.forEach((k, v) -> recordHeaders.add(new Header(k, v.getBytes(StandardCharsets.UTF_8))));

    PrintWriter out = spec.commandLine().getOut();
    AtomicReference<Throwable> firstError = new AtomicReference<>();
    AtomicLong failed = new AtomicLong();
    long lineNumber = 0;
    List<CompletableFuture<RecordMetadata>> pending = new ArrayList<>();
    try (SkeinProducer producer = SkeinProducer.create(ProducerConfig.from(settings));
         BufferedReader in = new BufferedReader(new InputStreamReader(root.stdin, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null && firstError.get() == null) {
        lineNumber++;
        String key = null;
        String value = line;
        if (keySeparator != null) {
          int at = line.indexOf(keySeparator);
          if (at < 0) {
            throw new IllegalArgumentException("line " + lineNumber + " has no key separator '" + keySeparator + "'");
          }
          key = line.substring(0, at);
          value = line.substring(at + keySeparator.length());
        }
        ProducerRecord record = new ProducerRecord(topic, partition,
            key == null ? null : key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8),
            null, recordHeaders);
        CompletableFuture<RecordMetadata> sent = producer.send(record, (metadata, error) -> {
          if (error != null) {
            failed.incrementAndGet();
            firstError.compareAndSet(null, error);
          }
        });
        if (printOffsets) {
          pending.add(sent);
        }
      }
      producer.flush();
    }
    if (printOffsets) {
      for (CompletableFuture<RecordMetadata> f : pending) {
        if (!f.isCompletedExceptionally()) {
          RecordMetadata m = f.join();
          out.printf("%s\t%d\t%d%n", m.topicPartition().topic(), m.topicPartition().partition(), m.offset());
        }
      }
    }
    if (firstError.get() != null) {
      spec.commandLine().getErr().printf("error: %d of %d records failed: %s%n", failed.get(), lineNumber,
          SkeinCli.oneLine(firstError.get()));
      return 1;
    }
    return 0;
  }
}
