package dev.skein.metadata.config;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The configs a topic can set, with Kafka's names, defaults and valid values. The controller
 * validates topic configs here before they enter the metadata log; brokers read typed values
 * with {@link ConfigDef#valueIn(Map)}.
 */
public final class TopicConfigs {

  public static final ConfigDef<List<String>> CLEANUP_POLICY = list("cleanup.policy", "delete",
      Set.of("delete", "compact"),
      "delete: remove old segments by retention.ms/retention.bytes; compact: keep the latest record per key");
  public static final ConfigDef<Long> RETENTION_MS = longAtLeast("retention.ms", "604800000", -1,
      "How long a segment is kept before it may be deleted; -1 keeps it forever");
  public static final ConfigDef<Long> RETENTION_BYTES = longAtLeast("retention.bytes", "-1", -1,
      "Largest size a partition may grow to before old segments are deleted; -1 means no limit");
  public static final ConfigDef<Integer> SEGMENT_BYTES = intAtLeast("segment.bytes", "1073741824", 1024,
      "Size at which a segment is rolled (at least 1 KiB: a segment must hold a whole batch)");
  public static final ConfigDef<Long> SEGMENT_MS = longAtLeast("segment.ms", "604800000", 1,
      "Age at which a segment is rolled even if it is not full");
  public static final ConfigDef<Integer> SEGMENT_INDEX_BYTES = intAtLeast("segment.index.bytes", "10485760", 48,
      "Size of a segment's offset and time index files (at least 48: room for four entries)");
  public static final ConfigDef<Integer> INDEX_INTERVAL_BYTES = intAtLeast("index.interval.bytes", "4096", 0,
      "Bytes of log between two entries of the sparse offset index");
  public static final ConfigDef<Integer> MAX_MESSAGE_BYTES = intAtLeast("max.message.bytes", "1048588", 0,
      "Largest record batch the topic accepts");
  public static final ConfigDef<Integer> MIN_INSYNC_REPLICAS = intAtLeast("min.insync.replicas", "1", 1,
      "In-sync replicas needed for an acks=all write to be accepted");
  public static final ConfigDef<Boolean> UNCLEAN_LEADER_ELECTION_ENABLE = bool("unclean.leader.election.enable",
      "false", "Whether a replica outside the ISR may become leader when no ISR member is alive (may lose data)");
  public static final ConfigDef<String> MESSAGE_TIMESTAMP_TYPE = oneOf("message.timestamp.type", "CreateTime",
      List.of("CreateTime", "LogAppendTime"), "Whether record timestamps are the producer's or the broker's");
  public static final ConfigDef<Long> FLUSH_MESSAGES = longAtLeast("flush.messages", String.valueOf(Long.MAX_VALUE),
      1, "Records between two forced fsyncs of the log");
  public static final ConfigDef<Long> FLUSH_MS = longAtLeast("flush.ms", String.valueOf(Long.MAX_VALUE), 0,
      "Milliseconds between two forced fsyncs of the log");
  public static final ConfigDef<Long> DELETE_RETENTION_MS = longAtLeast("delete.retention.ms", "86400000", 0,
      "How long compaction keeps tombstones");
  public static final ConfigDef<Long> MIN_COMPACTION_LAG_MS = longAtLeast("min.compaction.lag.ms", "0", 0,
      "Minimum age of a record before compaction may remove it");
  public static final ConfigDef<Long> MAX_COMPACTION_LAG_MS = longAtLeast("max.compaction.lag.ms",
      String.valueOf(Long.MAX_VALUE), 1, "Maximum age of a record before its segment must be compacted");
  public static final ConfigDef<Double> MIN_CLEANABLE_DIRTY_RATIO = ratio("min.cleanable.dirty.ratio", "0.5",
      "Share of uncompacted log above which the log is compacted");
  public static final ConfigDef<String> COMPRESSION_TYPE = oneOf("compression.type", "producer",
      List.of("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
      "Compression of stored batches; producer keeps what the producer sent");
  public static final ConfigDef<String> DURABILITY = oneOf("durability", "none", List.of("none", "fsync"),
      "fsync: every batch is fsynced on the leader and every in-sync follower before acks=all is answered "
          + "(group commit); none: the page cache, as in Kafka (flush.messages=1 also means fsync)");

  private static final Map<String, ConfigDef<?>> BY_NAME = index(CLEANUP_POLICY, RETENTION_MS, RETENTION_BYTES,
      SEGMENT_BYTES, SEGMENT_MS, SEGMENT_INDEX_BYTES, INDEX_INTERVAL_BYTES, MAX_MESSAGE_BYTES, MIN_INSYNC_REPLICAS,
      UNCLEAN_LEADER_ELECTION_ENABLE, MESSAGE_TIMESTAMP_TYPE, FLUSH_MESSAGES, FLUSH_MS, DELETE_RETENTION_MS,
      MIN_COMPACTION_LAG_MS, MAX_COMPACTION_LAG_MS, MIN_CLEANABLE_DIRTY_RATIO, COMPRESSION_TYPE, DURABILITY);

  private TopicConfigs() {}

  /** Every topic config, in a stable order. */
  public static Collection<ConfigDef<?>> all() {
    return BY_NAME.values();
  }

  public static Optional<ConfigDef<?>> find(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }

  /** Checks that {@code name} is a topic config and {@code value} one of its valid values. */
  public static void validate(String name, String value) throws InvalidConfigException {
    ConfigDef<?> def = BY_NAME.get(name);
    if (def == null) {
      throw new InvalidConfigException(name, "unknown topic config '" + name + "'");
    }
    def.parse(value);
  }

  /** Checks every entry; the exception describes the first invalid one. */
  public static void validate(Map<String, String> configs) throws InvalidConfigException {
    for (Map.Entry<String, String> entry : configs.entrySet()) {
      validate(entry.getKey(), entry.getValue());
    }
  }

  // ---- definitions ----

  private static Map<String, ConfigDef<?>> index(ConfigDef<?>... defs) {
    Map<String, ConfigDef<?>> byName = new LinkedHashMap<>();
    for (ConfigDef<?> def : defs) {
      byName.put(def.name(), def);
    }
    return Collections.unmodifiableMap(byName);
  }

  private static ConfigDef<Long> longAtLeast(String name, String defaultText, long min, String doc) {
    return new ConfigDef<>(name, ConfigDef.Type.LONG, defaultText, TopicConfigs::parseLong,
        value -> value < min ? "must be at least " + min : null, doc);
  }

  private static ConfigDef<Integer> intAtLeast(String name, String defaultText, int min, String doc) {
    return new ConfigDef<>(name, ConfigDef.Type.INT, defaultText, text -> {
      long value = parseLong(text);
      if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("must be at most " + Integer.MAX_VALUE);
      }
      return (int) value;
    }, value -> value < min ? "must be at least " + min : null, doc);
  }

  private static ConfigDef<Double> ratio(String name, String defaultText, String doc) {
    return new ConfigDef<>(name, ConfigDef.Type.DOUBLE, defaultText, text -> {
      try {
        return Double.parseDouble(requireText(text));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a number");
      }
    }, value -> value >= 0 && value <= 1 ? null : "must be between 0 and 1", doc);
  }

  private static ConfigDef<Boolean> bool(String name, String defaultText, String doc) {
    return new ConfigDef<>(name, ConfigDef.Type.BOOLEAN, defaultText, text -> {
      String lower = requireText(text).toLowerCase(Locale.ROOT);
      if (!lower.equals("true") && !lower.equals("false")) {
        throw new IllegalArgumentException("must be true or false");
      }
      return Boolean.parseBoolean(lower);
    }, value -> null, doc);
  }

  private static ConfigDef<String> oneOf(String name, String defaultText, List<String> allowed, String doc) {
    return new ConfigDef<>(name, ConfigDef.Type.STRING, defaultText, TopicConfigs::requireText,
        value -> allowed.contains(value) ? null : "must be one of " + String.join(", ", allowed), doc);
  }

  private static ConfigDef<List<String>> list(String name, String defaultText, Set<String> allowed, String doc) {
    return new ConfigDef<>(name, ConfigDef.Type.LIST, defaultText, text -> {
      Set<String> items = new LinkedHashSet<>();
      for (String item : requireText(text).split(",", -1)) {
        String trimmed = item.trim();
        if (trimmed.isEmpty()) {
          throw new IllegalArgumentException("empty list item");
        }
        if (!items.add(trimmed)) {
          throw new IllegalArgumentException("'" + trimmed + "' is listed twice");
        }
      }
      return List.copyOf(items);
    }, value -> allowed.containsAll(value) ? null : "each item must be one of " + String.join(", ", allowed.stream().sorted().toList()), doc);
  }

  private static long parseLong(String text) {
    try {
      return Long.parseLong(requireText(text));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a whole number");
    }
  }

  private static String requireText(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("no value");
    }
    return text;
  }
}
