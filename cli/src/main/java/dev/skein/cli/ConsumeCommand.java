package dev.skein.cli;

import dev.skein.cli.console.JsonText;
import dev.skein.client.ConsumerConfig;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.Header;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.TimestampType;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import dev.skein.proto.v1.TimestampType;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code skein consume}: print records of a topic. */
@Command(name = "consume", mixinStandardHelpOptions = true,
    description = {"Print the records of a topic (all partitions, or one) as text or JSON lines.",
        "Runs until --max-messages records were printed, --timeout-ms passed without a record, or Ctrl-C."})
final class ConsumeCommand implements Callable<Integer> {

  enum Format { text, json }

  @Spec
  CommandSpec spec;
  @Mixin
  ClientOptions client;

  @Option(names = "--topic", required = true, paramLabel = "NAME", description = "Topic to read.")
  String topic;
  @Option(names = "--group", paramLabel = "GROUP",
      description = "Consume as a member of this consumer group: partitions are shared with its other members and "
          + "positions are committed (enable.auto.commit); --from-beginning applies where the group has no commit.")
  String group;
  @Option(names = "--partition", paramLabel = "N", description = "Read only this partition.")
  Integer partition;
  @Option(names = "--offset", paramLabel = "N|earliest|latest",
      description = "Where to start in --partition: an offset, earliest or latest (default: latest).")
  String offset;
  @Option(names = "--from-beginning", description = "Start at the earliest record rather than the latest.")
  boolean fromBeginning;
  @Option(names = "--max-messages", paramLabel = "N", description = "Exit after printing N records.")
  Long maxMessages;
  @Option(names = "--timeout-ms", paramLabel = "MS", description = "Exit when no record arrived for MS milliseconds.")
  Long timeoutMs;
  @Option(names = "--format", defaultValue = "text", paramLabel = "text|json",
      description = "text: fields separated by --separator; json: one object per line (default: ${DEFAULT-VALUE}).")
  Format format;
  @Option(names = "--separator", defaultValue = "\t", paramLabel = "SEP",
      description = "Field separator in text output (default: tab).")
  String separator;
  @Option(names = "--print-key", description = "Print each record's key (text format).")
  boolean printKey;
  @Option(names = "--print-partition", description = "Print each record's partition (text format).")
  boolean printPartition;
  @Option(names = "--print-offset", description = "Print each record's offset (text format).")
  boolean printOffset;
  @Option(names = "--print-timestamp", description = "Print each record's timestamp (text format).")
  boolean printTimestamp;
  @Option(names = "--print-headers", description = "Print each record's headers as k=v,k=v (text format).")
  boolean printHeaders;
  @Option(names = "--property", paramLabel = "KEY=VALUE",
      description = "A consumer setting by Kafka's name, e.g. fetch.max.wait.ms=100. Repeatable.")
  Map<String, String> properties = new HashMap<>();

  @Override
  public Integer call() {
    if (offset != null && partition == null) {
      throw new ParameterException(spec.commandLine(), "--offset needs --partition");
    }
    if (offset != null && fromBeginning) {
      throw new ParameterException(spec.commandLine(), "--offset and --from-beginning cannot be used together");
    }
    if (group != null && (partition != null || offset != null)) {
      throw new ParameterException(spec.commandLine(), "--group cannot be used with --partition or --offset");
    }
    Map<String, String> settings = new HashMap<>(properties);
    settings.putAll(client.settings());
    settings.putIfAbsent("auto.offset.reset", fromBeginning ? "earliest" : "latest");
    if (group != null) {
      settings.put("group.id", group);
    }
    PrintWriter out = spec.commandLine().getOut();
    try (SkeinConsumer consumer = SkeinConsumer.create(ConsumerConfig.from(settings))) {
      if (group != null) {
        consumer.subscribe(List.of(topic));
      } else {
        List<TopicPartition> partitions = partition == null ? consumer.partitionsFor(topic)
            : List.of(new TopicPartition(topic, partition));
        consumer.assign(partitions);
        positionAtStart(consumer, partitions);
      }
      long printed = 0;
      long lastRecordAt = System.nanoTime();
      while (maxMessages == null || printed < maxMessages) {
        List<ConsumerRecord> records = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord r : records) {
          out.println(format == Format.json ? json(r) : text(r));
          printed++;
          if (maxMessages != null && printed >= maxMessages) {
            break;
          }
        }
        out.flush();
        if (!records.isEmpty()) {
          lastRecordAt = System.nanoTime();
        } else if (timeoutMs != null && System.nanoTime() - lastRecordAt > timeoutMs * 1_000_000L) {
          break;
        }
      }
      spec.commandLine().getErr().printf("Processed %d records.%n", printed);
    }
    return 0;
  }

  private void positionAtStart(SkeinConsumer consumer, List<TopicPartition> partitions) {
    if (offset == null) {
      if (fromBeginning) {
        consumer.seekToBeginning(partitions);
      } else {
        consumer.seekToEnd(partitions);
      }
      return;
    }
    switch (offset) {
      case "earliest" -> consumer.seekToBeginning(partitions);
      case "latest" -> consumer.seekToEnd(partitions);
      default -> {
        long position;
        try {
          position = Long.parseLong(offset);
        } catch (NumberFormatException e) {
          throw new ParameterException(spec.commandLine(), "--offset must be a number, earliest or latest");
        }
        consumer.seek(partitions.get(0), position);
      }
    }
  }

  private String text(ConsumerRecord r) {
    List<String> fields = new ArrayList<>();
    if (printTimestamp) {
      // As kafka-console-consumer: the label says which kind of timestamp the topic keeps.
      String kind = r.timestampType() == TimestampType.TIMESTAMP_TYPE_LOG_APPEND_TIME ? "LogAppendTime" : "CreateTime";
      fields.add(kind + ":" + r.timestamp());
    }
    if (printPartition) {
      fields.add("Partition:" + r.partition());
    }
    if (printOffset) {
      fields.add("Offset:" + r.offset());
    }
    if (printHeaders) {
      List<String> hs = new ArrayList<>();
      for (Header h : r.headers()) {
        hs.add(h.key() + "=" + (h.value() == null ? "null" : new String(h.value(), StandardCharsets.UTF_8)));
      }
      fields.add(hs.isEmpty() ? "NO_HEADERS" : String.join(",", hs));
    }
    if (printKey) {
      fields.add(r.key() == null ? "null" : r.keyString());
    }
    fields.add(r.value() == null ? "null" : r.valueString());
    return String.join(separator, fields);
  }

  static String json(ConsumerRecord r) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("topic", r.topic());
    fields.put("partition", r.partition());
    fields.put("offset", r.offset());
    fields.put("timestamp", r.timestamp());
    bytesField(fields, "key", r.key());
    bytesField(fields, "value", r.value());
    List<Map<String, Object>> headers = new ArrayList<>();
    for (Header h : r.headers()) {
      Map<String, Object> header = new LinkedHashMap<>();
      header.put("key", h.key());
      bytesField(header, "value", h.value());
      headers.add(header);
    }
    fields.put("headers", headers);
    return JsonText.write(fields);
  }

  /** Bytes as a JSON string when they are UTF-8 text, otherwise as base64 under {@code <name>_base64}. */
  private static void bytesField(Map<String, Object> fields, String name, byte[] bytes) {
    if (bytes == null) {
      fields.put(name, null);
      return;
    }
    try {
      fields.put(name, StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString());
    } catch (CharacterCodingException e) {
      fields.put(name + "_base64", Base64.getEncoder().encodeToString(bytes));
    }
  }
}
