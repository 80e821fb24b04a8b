package dev.skein.storage.log;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Per-topic log settings, with Kafka's names, meanings and defaults.
 *
 * <p>Retention applies with cleanup.policy containing delete ({@link Retention}); compaction with
 * cleanup.policy containing compact ({@link LogCleaner}).
 *
 * @param segmentBytes       segment.bytes: roll a segment before it would grow beyond this
 * @param segmentMs          segment.ms: roll a segment this long after its first batch was appended
 * @param segmentIndexBytes  segment.index.bytes: size of each segment's offset and time index files
 * @param indexIntervalBytes index.interval.bytes: bytes of log between two index entries
 * @param flushMessages      flush.messages: fsync after this many unflushed messages (records)
 * @param flushMs            flush.ms: fsync when the last fsync is this old
 * @param maxMessageBytes    max.message.bytes: the largest stored batch a leader accepts
 * @param retentionMs        retention.ms: -1 keeps data forever
 * @param retentionBytes     retention.bytes: -1 means no size limit
 * @param cleanupPolicy      cleanup.policy: delete and/or compact
 * @param deleteRetentionMs  delete.retention.ms: how long a tombstone stays after the segment holding it was
 *                           last written
 * @param minCompactionLagMs min.compaction.lag.ms: records newer than this are never compacted
 * @param maxCompactionLagMs max.compaction.lag.ms: a log with dirty records older than this is cleaned
 *                           whatever its dirty ratio
 * @param minCleanableDirtyRatio min.cleanable.dirty.ratio: the share of dirty bytes above which a log is
 *                           worth cleaning
 * @param durability         durability: whether every append is fsynced before it counts as committed;
 *                           flush.messages=1 asks for the same (see {@link #durable()})
 */
public record LogConfig(int segmentBytes, long segmentMs, int segmentIndexBytes, int indexIntervalBytes,
            long flushMessages, long flushMs, int maxMessageBytes, long retentionMs,
            long retentionBytes, Set<CleanupPolicy> cleanupPolicy, long deleteRetentionMs,
            long minCompactionLagMs, long maxCompactionLagMs, double minCleanableDirtyRatio,
            Durability durability) {

  public static final String SEGMENT_BYTES = "segment.bytes";
  public static final String SEGMENT_MS = "segment.ms";
  public static final String SEGMENT_INDEX_BYTES = "segment.index.bytes";
  public static final String INDEX_INTERVAL_BYTES = "index.interval.bytes";
  public static final String FLUSH_MESSAGES = "flush.messages";
  public static final String FLUSH_MS = "flush.ms";
  public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
  public static final String RETENTION_MS = "retention.ms";
  public static final String RETENTION_BYTES = "retention.bytes";
  public static final String CLEANUP_POLICY = "cleanup.policy";
  public static final String DELETE_RETENTION_MS = "delete.retention.ms";
  public static final String MIN_COMPACTION_LAG_MS = "min.compaction.lag.ms";
  public static final String MAX_COMPACTION_LAG_MS = "max.compaction.lag.ms";
  public static final String MIN_CLEANABLE_DIRTY_RATIO = "min.cleanable.dirty.ratio";
  public static final String DURABILITY = "durability";
  /** Kafka's delete.retention.ms default: one day. */
  public static final long DEFAULT_DELETE_RETENTION_MS = 24L * 60 * 60 * 1000;
  public static final double DEFAULT_MIN_CLEANABLE_DIRTY_RATIO = 0.5;

  private static final long SEVEN_DAYS_MS = 7L * 24 * 60 * 60 * 1000;

  /**
   * Smallest segment.index.bytes: room for four time-index entries, so that one entry can be kept in
   * reserve for the segment's final maximum timestamp and a full index rolls the segment.
   */
  public static final int MIN_SEGMENT_INDEX_BYTES = 4 * 12;

  /** Kafka's defaults. Like Kafka, the defaults leave flushing to the OS page cache. */
  public static final LogConfig DEFAULT = new LogConfig(1 << 30, SEVEN_DAYS_MS, 10 * 1024 * 1024, 4096,
      Long.MAX_VALUE, Long.MAX_VALUE, 1048588, SEVEN_DAYS_MS, -1, Set.of(CleanupPolicy.DELETE));

  /** With Kafka's compaction defaults (delete.retention.ms one day, no lags, dirty ratio 0.5). */
  public LogConfig(int segmentBytes, long segmentMs, int segmentIndexBytes, int indexIntervalBytes,
           long flushMessages, long flushMs, int maxMessageBytes, long retentionMs, long retentionBytes,
           Set<CleanupPolicy> cleanupPolicy) {
    this(segmentBytes, segmentMs, segmentIndexBytes, indexIntervalBytes, flushMessages, flushMs, maxMessageBytes,
        retentionMs, retentionBytes, cleanupPolicy, DEFAULT_DELETE_RETENTION_MS, 0, Long.MAX_VALUE,
        DEFAULT_MIN_CLEANABLE_DIRTY_RATIO);
  }

  /** Without the durability setting: {@link Durability#NONE}. */
  public LogConfig(int segmentBytes, long segmentMs, int segmentIndexBytes, int indexIntervalBytes,
           long flushMessages, long flushMs, int maxMessageBytes, long retentionMs, long retentionBytes,
           Set<CleanupPolicy> cleanupPolicy, long deleteRetentionMs, long minCompactionLagMs,
           long maxCompactionLagMs, double minCleanableDirtyRatio) {
    this(segmentBytes, segmentMs, segmentIndexBytes, indexIntervalBytes, flushMessages, flushMs, maxMessageBytes,
        retentionMs, retentionBytes, cleanupPolicy, deleteRetentionMs, minCompactionLagMs, maxCompactionLagMs,
        minCleanableDirtyRatio, Durability.NONE);
  }

  public LogConfig {
    atLeast(SEGMENT_BYTES, segmentBytes, BatchLayout.HEADER_SIZE);
    atLeast(SEGMENT_MS, segmentMs, 1);
    atLeast(SEGMENT_INDEX_BYTES, segmentIndexBytes, MIN_SEGMENT_INDEX_BYTES);
    atLeast(INDEX_INTERVAL_BYTES, indexIntervalBytes, 0);
    atLeast(FLUSH_MESSAGES, flushMessages, 1);
    atLeast(FLUSH_MS, flushMs, 0);
    atLeast(MAX_MESSAGE_BYTES, maxMessageBytes, 0);
    atLeast(RETENTION_MS, retentionMs, -1);
    atLeast(RETENTION_BYTES, retentionBytes, -1);
    if (cleanupPolicy == null || cleanupPolicy.isEmpty()) {
      throw new IllegalArgumentException("Configuration '" + CLEANUP_POLICY + "' must name at least one of "
          + Arrays.toString(CleanupPolicy.values()));
    }
    cleanupPolicy = Set.copyOf(cleanupPolicy);
    atLeast(DELETE_RETENTION_MS, deleteRetentionMs, 0);
    atLeast(MIN_COMPACTION_LAG_MS, minCompactionLagMs, 0);
    atLeast(MAX_COMPACTION_LAG_MS, maxCompactionLagMs, 1);
    if (!(minCleanableDirtyRatio >= 0 && minCleanableDirtyRatio <= 1)) {
      throw new IllegalArgumentException("Invalid value " + minCleanableDirtyRatio + " for configuration '"
          + MIN_CLEANABLE_DIRTY_RATIO + "': must be between 0 and 1");
    }
    if (durability == null) {
      throw new IllegalArgumentException("Configuration '" + DURABILITY + "' must be set");
    }
  }

  /**
   * Whether appends must be fsynced before they count as committed: durability=fsync, or Kafka's way of
   * asking for it, flush.messages=1. Such logs are flushed by the log directory's group flusher rather
   * than inline by each append, so one fsync covers every batch that arrived meanwhile.
   */
  public boolean durable() {
    return durability == Durability.FSYNC || flushMessages == 1;
  }

  /** This config with another durability. */
  public LogConfig withDurability(Durability newDurability) {
    return new LogConfig(segmentBytes, segmentMs, segmentIndexBytes, indexIntervalBytes, flushMessages, flushMs,
        maxMessageBytes, retentionMs, retentionBytes, cleanupPolicy, deleteRetentionMs, minCompactionLagMs,
        maxCompactionLagMs, minCleanableDirtyRatio, newDurability);
  }

  /** Whether cleanup.policy asks for compaction. */
  public boolean compacts() {
    return cleanupPolicy.contains(CleanupPolicy.COMPACT);
  }

  /**
   * Parses Kafka-style string values from {@code topicConfigs} over {@code defaults}; keys this class
   * does not know (other topic settings) are ignored.
   *
   * @throws IllegalArgumentException naming the key and the bad value
   */
  public static LogConfig fromMap(Map<String, String> topicConfigs, LogConfig defaults) {
    Parser p = new Parser(topicConfigs);
    return new LogConfig(
        p.integer(SEGMENT_BYTES, defaults.segmentBytes),
        p.longValue(SEGMENT_MS, defaults.segmentMs),
        p.integer(SEGMENT_INDEX_BYTES, defaults.segmentIndexBytes),
        p.integer(INDEX_INTERVAL_BYTES, defaults.indexIntervalBytes),
        p.longValue(FLUSH_MESSAGES, defaults.flushMessages),
        p.longValue(FLUSH_MS, defaults.flushMs),
        p.integer(MAX_MESSAGE_BYTES, defaults.maxMessageBytes),
        p.longValue(RETENTION_MS, defaults.retentionMs),
        p.longValue(RETENTION_BYTES, defaults.retentionBytes),
        p.value(CLEANUP_POLICY, defaults.cleanupPolicy, LogConfig::parseCleanupPolicy),
        p.longValue(DELETE_RETENTION_MS, defaults.deleteRetentionMs),
        p.longValue(MIN_COMPACTION_LAG_MS, defaults.minCompactionLagMs),
        p.longValue(MAX_COMPACTION_LAG_MS, defaults.maxCompactionLagMs),
        p.value(MIN_CLEANABLE_DIRTY_RATIO, defaults.minCleanableDirtyRatio, text -> {
          try {
            return Double.parseDouble(text);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Invalid value '" + text + "' for configuration '"
                + MIN_CLEANABLE_DIRTY_RATIO + "': expected a number between 0 and 1", e);
          }
        }),
        p.value(DURABILITY, defaults.durability, Durability::fromConfigValue));
  }

  /** Whether retention.ms keeps data forever. */
  public boolean retainsForever() {
    return retentionMs == -1;
  }

  private static Set<CleanupPolicy> parseCleanupPolicy(String value) {
    Set<CleanupPolicy> policies = EnumSet.noneOf(CleanupPolicy.class);
    for (String part : value.split(",")) {
      if (!part.isBlank()) {
        policies.add(CleanupPolicy.fromConfigValue(part.trim()));
      }
    }
    return policies;
  }

  private static void atLeast(String name, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(
          "Invalid value " + value + " for configuration '" + name + "': must be at least " + min);
    }
  }

  /** Reads one typed value per key, naming the key in every error. */
  private record Parser(Map<String, String> configs) {

    int integer(String key, int defaultValue) {
      return value(key, defaultValue, text -> {
        try {
          return Integer.parseInt(text);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("Invalid value '" + text + "' for configuration '" + key
              + "': expected an integer between " + Integer.MIN_VALUE + " and " + Integer.MAX_VALUE,
              e);
        }
      });
    }

    long longValue(String key, long defaultValue) {
      return value(key, defaultValue, text -> {
        try {
          return Long.parseLong(text);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("Invalid value '" + text + "' for configuration '" + key
              + "': expected a 64-bit integer", e);
        }
      });
    }

    <T> T value(String key, T defaultValue, Function<String, T> parse) {
      String text = configs.get(key);
      if (text == null) {
        return defaultValue;
      }
      if (text.isBlank()) {
        throw new IllegalArgumentException("Configuration '" + key + "' has an empty value");
      }
      return parse.apply(text.trim());
    }
  }
}
