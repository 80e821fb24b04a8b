package dev.skein.cli.console;

import dev.skein.client.ConsumerConfig;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.Header;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.TopicDescription;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.OffsetSpec;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a page of one partition for the record browser, with a group-less consumer (so nothing
 * is committed and no group sees it): from an offset, from the first record at or after a
 * timestamp, or by default the last {@code limit} records. Keys, values and headers go out as
 * text and hex; the page shows either, or the text as indented JSON when it parses.
 */
final class RecordBrowser {

  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 500;
  /** Longer keys, values or headers are cut for display; the page says so. */
  static final int MAX_SHOWN_BYTES = 16 * 1024;
  /** How long one page may take to read before it is returned with what arrived. */
  private static final Duration READ_BUDGET = Duration.ofSeconds(5);

  private final SkeinAdmin admin;
  /** {@code bootstrap.servers} and any TLS settings. */
  private final Map<String, String> clientSettings;

  RecordBrowser(SkeinAdmin admin, Map<String, String> clientSettings) {
    this.admin = admin;
    this.clientSettings = Map.copyOf(clientSettings);
  }

  Map<String, Object> read(String topic, int partition, Params params) {
    int limit = params.intValue("limit", 1, MAX_LIMIT).orElse(DEFAULT_LIMIT);
    var offset = params.longValue("offset", Long.MIN_VALUE, Long.MAX_VALUE);
    var timestamp = params.timestamp("timestamp");
    if (offset.isPresent() && timestamp.isPresent()) {
      throw ApiException.badParameter("give either 'offset' or 'timestamp', not both");
    }
    TopicDescription t = ConsoleApi.describe(admin, topic);
    ConsoleApi.checkPartition(t, partition);
    if (!t.partition(partition).hasLeader()) {
      throw new ApiException(503, "LEADER_NOT_AVAILABLE", "partition " + partition + " of '" + topic
          + "' has no leader right now");
    }
    TopicPartition tp = new TopicPartition(topic, partition);
    long start = admin.logOffsets(List.of(tp), OffsetSpec.OFFSET_SPEC_EARLIEST, 0).get(tp);
    long end = admin.logOffsets(List.of(tp), OffsetSpec.OFFSET_SPEC_LATEST, 0).get(tp);
    long from;
    if (offset.isPresent()) {
      from = offset.get();
      if (from < start || from > end) {
        throw new ApiException(400, "OFFSET_OUT_OF_RANGE", "offset " + from + " is outside partition " + partition
            + " of '" + topic + "', which holds offsets " + start + " to " + (end - 1) + " (end " + end + ")");
      }
    } else if (timestamp.isPresent()) {
      long found = admin.logOffsets(List.of(tp), OffsetSpec.OFFSET_SPEC_TIMESTAMP, timestamp.get())
          .getOrDefault(tp, -1L);
      from = found < 0 ? end : Math.max(found, start);
    } else {
      from = Math.max(start, end - limit);
    }
    long until = Math.min(end, from + limit);
    List<Object> out = new ArrayList<>();
    if (from < until) {
      Map<String, String> settings = new HashMap<>(clientSettings);
      settings.putAll(Map.of("client.id", "skein-console", "enable.auto.commit", "false",
          "auto.offset.reset", "earliest", "max.poll.records", Integer.toString(limit)));
      try (SkeinConsumer consumer = SkeinConsumer.create(ConsumerConfig.from(settings))) {
        consumer.assign(List.of(tp));
        consumer.seek(tp, from);
        long deadline = System.nanoTime() + READ_BUDGET.toNanos();
        while (out.size() < until - from && System.nanoTime() < deadline) {
          for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
            if (r.offset() >= from && r.offset() < until) {
              out.add(record(r));
            }
          }
        }
      }
    }
    return ConsoleApi.map("topic", topic, "partition", partition, "startOffset", start, "endOffset", end,
        "from", from, "limit", limit, "records", out);
  }

  private static Map<String, Object> record(ConsumerRecord r) {
    List<Object> headers = new ArrayList<>();
    for (Header h : r.headers()) {
      headers.add(ConsoleApi.map("key", h.key(), "value", bytes(h.value())));
    }
    return ConsoleApi.map("offset", r.offset(), "timestamp", r.timestamp(),
        "timestampType", r.timestampType().name(), "leaderEpoch", r.leaderEpoch(),
        "key", bytes(r.key()), "value", bytes(r.value()), "headers", headers);
  }

  /** null, or {@code {size, text, utf8, hex, truncated}}: text is what UTF-8 decoding gives, with replacements. */
  static Map<String, Object> bytes(byte[] data) {
    if (data == null) {
      return null;
    }
    int shown = Math.min(data.length, MAX_SHOWN_BYTES);
    boolean utf8;
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(data, 0, shown));
      utf8 = true;
    } catch (CharacterCodingException e) {
      utf8 = false;
    }
    return ConsoleApi.map("size", data.length, "text", new String(data, 0, shown, StandardCharsets.UTF_8),
        "utf8", utf8, "hex", HexFormat.of().formatHex(data, 0, shown), "truncated", shown < data.length);
  }
}
