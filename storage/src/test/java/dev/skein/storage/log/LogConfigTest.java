package dev.skein.storage.log;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LogConfigTest {

  @Test
  void defaults_are_kafkas() {
    LogConfig config = LogConfig.DEFAULT;
    assertThat(config.segmentBytes()).isEqualTo(1073741824);
    assertThat(config.segmentMs()).isEqualTo(604800000L);
    assertThat(config.segmentIndexBytes()).isEqualTo(10485760);
    assertThat(config.indexIntervalBytes()).isEqualTo(4096);
    assertThat(config.flushMessages()).isEqualTo(Long.MAX_VALUE);
    assertThat(config.flushMs()).isEqualTo(Long.MAX_VALUE);
    assertThat(config.maxMessageBytes()).isEqualTo(1048588);
    assertThat(config.retentionMs()).isEqualTo(604800000L);
    assertThat(config.retentionBytes()).isEqualTo(-1);
    assertThat(config.cleanupPolicy()).containsExactly(CleanupPolicy.DELETE);
  }

  @Test
  void parses_kafka_style_values_over_the_defaults_and_ignores_other_keys() {
    LogConfig config = LogConfig.fromMap(Map.of(
        "segment.bytes", " 1048576 ",
        "segment.ms", "3600000",
        "segment.index.bytes", "4096",
        "index.interval.bytes", "0",
        "flush.messages", "1",
        "flush.ms", "1000",
        "max.message.bytes", "2000000",
        "retention.ms", "-1",
        "retention.bytes", "1099511627776",
        "cleanup.policy", "compact,delete"), LogConfig.DEFAULT);
    assertThat(config).isEqualTo(new LogConfig(1048576, 3600000, 4096, 0, 1, 1000, 2000000, -1,
        1099511627776L, Set.of(CleanupPolicy.COMPACT, CleanupPolicy.DELETE)));
    assertThat(config.retainsForever()).isTrue();
    assertThat(LogConfig.fromMap(Map.of("min.insync.replicas", "2"), LogConfig.DEFAULT)).isEqualTo(LogConfig.DEFAULT);
  }

  @Test
  void rejects_bad_values_naming_the_key() {
    assertRejected(Map.of("segment.bytes", "1GB"), "segment.bytes", "1GB");
    assertRejected(Map.of("segment.bytes", "4294967296"), "segment.bytes", "4294967296");
    assertRejected(Map.of("segment.bytes", "10"), "segment.bytes", "at least 87");
    assertRejected(Map.of("segment.ms", "0"), "segment.ms", "at least 1");
    assertRejected(Map.of("segment.index.bytes", "8"), "segment.index.bytes", "at least");
    assertRejected(Map.of("flush.messages", "0"), "flush.messages", "at least 1");
    assertRejected(Map.of("retention.ms", "-2"), "retention.ms", "at least -1");
    assertRejected(Map.of("retention.bytes", "lots"), "retention.bytes", "lots");
    assertRejected(Map.of("max.message.bytes", ""), "max.message.bytes", "empty");
    assertRejected(Map.of("cleanup.policy", "forget"), "cleanup.policy", "forget");
    assertRejected(Map.of("cleanup.policy", ","), "cleanup.policy", "at least one");
    assertRejected(Map.of("durability", "sometimes"), "durability", "expected one of none, fsync");
  }

  @Test
  void durability_fsync_or_flush_messages_one_make_a_log_durable() {
    assertThat(LogConfig.DEFAULT.durable()).isFalse();
    assertThat(LogConfig.DEFAULT.durability()).isEqualTo(Durability.NONE);
    LogConfig fsync = LogConfig.fromMap(Map.of("durability", "fsync"), LogConfig.DEFAULT);
    assertThat(fsync.durability()).isEqualTo(Durability.FSYNC);
    assertThat(fsync.durable()).isTrue();
    assertThat(LogConfig.fromMap(Map.of("flush.messages", "1"), LogConfig.DEFAULT).durable()).isTrue();
    assertThat(LogConfig.fromMap(Map.of("flush.messages", "2"), LogConfig.DEFAULT).durable()).isFalse();
    // A topic's own value wins over a durable default.
    assertThat(LogConfig.fromMap(Map.of("durability", "none"), fsync).durable()).isFalse();
  }

  private static void assertRejected(Map<String, String> configs, String key, String detail) {
    assertThatThrownBy(() -> LogConfig.fromMap(configs, LogConfig.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + key + "'")
        .hasMessageContaining(detail);
  }
}
