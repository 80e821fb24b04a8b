package dev.skein.metadata.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TopicConfigsTest {

  @Test
  void coversTheKafkaTopicConfigsWithKafkasDefaults() {
    assertThat(TopicConfigs.all()).extracting(ConfigDef::name).contains("cleanup.policy", "retention.ms",
        "retention.bytes", "segment.bytes", "segment.ms", "segment.index.bytes", "index.interval.bytes",
        "max.message.bytes", "min.insync.replicas", "unclean.leader.election.enable", "message.timestamp.type",
        "flush.messages", "flush.ms", "delete.retention.ms", "min.compaction.lag.ms", "min.cleanable.dirty.ratio",
        "compression.type");
    assertThat(TopicConfigs.RETENTION_MS.defaultValue()).isEqualTo(604_800_000L);
    assertThat(TopicConfigs.SEGMENT_BYTES.defaultValue()).isEqualTo(1_073_741_824);
    assertThat(TopicConfigs.CLEANUP_POLICY.defaultValue()).containsExactly("delete");
    assertThat(TopicConfigs.MIN_INSYNC_REPLICAS.defaultValue()).isEqualTo(1);
    assertThat(TopicConfigs.UNCLEAN_LEADER_ELECTION_ENABLE.defaultValue()).isFalse();
    assertThat(TopicConfigs.COMPRESSION_TYPE.defaultValue()).isEqualTo("producer");
    assertThat(TopicConfigs.MIN_CLEANABLE_DIRTY_RATIO.defaultValue()).isEqualTo(0.5);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "retention.ms|-1",
      "retention.bytes|1073741824",
      "segment.bytes|1024",
      "cleanup.policy|compact, delete",
      "unclean.leader.election.enable|TRUE",
      "message.timestamp.type|LogAppendTime",
      "min.cleanable.dirty.ratio|0",
      "compression.type|zstd",
      "flush.messages|9223372036854775807",
      "durability|fsync",
      "durability|none"})
  void acceptsValidValues(String name, String value) throws InvalidConfigException {
    TopicConfigs.validate(name, value);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "retention.ms|-2|must be at least -1",
      "retention.ms|ten|not a whole number",
      "segment.bytes|1023|must be at least 1024",
      "segment.index.bytes|47|must be at least 48",
      "segment.bytes|3000000000|must be at most 2147483647",
      "min.insync.replicas|0|must be at least 1",
      "cleanup.policy|delete,delete|listed twice",
      "cleanup.policy|archive|each item must be one of compact, delete",
      "unclean.leader.election.enable|yes|must be true or false",
      "message.timestamp.type|Now|must be one of CreateTime, LogAppendTime",
      "min.cleanable.dirty.ratio|1.5|must be between 0 and 1",
      "compression.type|brotli|must be one of",
      "durability|always|must be one of none, fsync",
      "no.such.thing|1|unknown topic config 'no.such.thing'"})
  void refusesInvalidValuesWithAClearMessage(String name, String value, String problem) {
    assertThatThrownBy(() -> TopicConfigs.validate(name, value))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining(problem)
        .satisfies(e -> assertThat(((InvalidConfigException) e).configName()).isEqualTo(name));
  }

  @Test
  void typedValuesComeFromTheSetConfigsOrTheDefault() {
    Map<String, String> configs = Map.of("retention.ms", "1000", "cleanup.policy", "compact,delete");
    assertThat(TopicConfigs.RETENTION_MS.valueIn(configs)).isEqualTo(1000L);
    assertThat(TopicConfigs.CLEANUP_POLICY.valueIn(configs)).isEqualTo(List.of("compact", "delete"));
    assertThat(TopicConfigs.SEGMENT_MS.valueIn(configs)).isEqualTo(604_800_000L);
  }
}
