package dev.skein.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skein.client.ConfigEntry;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinException;
import dev.skein.client.SkeinProducer;
import dev.skein.rpc.ErrorReason;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Topic configs change while the cluster runs: through the metadata quorum, on every replica,
 * without a restart, and they survive one; cluster-wide defaults apply to topics without their
 * own value; bad keys and values are refused with the valid range; partitions only grow.
 */
class DynamicConfigTest {

  @TempDir
  Path dir;

  @Test
  void retentionShortenedWhileRunningRemovesSegmentsOnEveryReplicaAndSurvivesARestart() {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      SkeinAdmin admin = cluster.admin();
      admin.createTopic(NewTopic.of("shrinking", 1, 3).withConfigs(Map.of("segment.bytes", "2048")));
      admin.createTopic(NewTopic.of("by-default", 1, 3).withConfigs(Map.of("segment.bytes", "2048")));
      produce(cluster, "shrinking", 200);
      produce(cluster, "by-default", 200);
      assertThat(logStarts(cluster, "shrinking")).containsOnly(0L);

      admin.alterTopicConfigs("shrinking", Map.of("retention.bytes", "4096"), List.of());
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(logStarts(cluster, "shrinking")).allMatch(start -> start > 0));
      assertThat(logStarts(cluster, "by-default")).containsOnly(0L);

      // A cluster-wide default reaches the topic without its own value; the topic's own value wins.
      admin.alterBrokerDefaults(Map.of("retention.bytes", "6144", "min.insync.replicas", "2"), List.of());
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(logStarts(cluster, "by-default")).allMatch(start -> start > 0));
      assertThat(entry(admin.describeTopicConfigs("shrinking"), "retention.bytes"))
          .isEqualTo(new ConfigEntry("retention.bytes", "4096", ConfigEntry.Source.TOPIC));
      assertThat(entry(admin.describeTopicConfigs("by-default"), "retention.bytes"))
          .isEqualTo(new ConfigEntry("retention.bytes", "6144", ConfigEntry.Source.BROKER_DEFAULTS));
      assertThat(entry(admin.describeTopicConfigs("by-default"), "cleanup.policy"))
          .isEqualTo(new ConfigEntry("cleanup.policy", "delete", ConfigEntry.Source.DEFAULT));
      assertThat(admin.describeBrokerDefaults()).extracting(ConfigEntry::name)
          .containsExactly("min.insync.replicas", "retention.bytes");
      for (int id : cluster.runningIds()) {
        assertThat(cluster.broker(id).replicas().partition("by-default", 0).orElseThrow().settings()
            .minInsyncReplicas()).as("broker %d", id).isEqualTo(2);
      }

      // Removing the override brings the default back.
      admin.alterTopicConfigs("shrinking", Map.of(), List.of("retention.bytes"));
      assertThat(entry(admin.describeTopicConfigs("shrinking"), "retention.bytes").source())
          .isEqualTo(ConfigEntry.Source.BROKER_DEFAULTS);

      cluster.restartAll();
      SkeinAdmin after = cluster.admin();
      assertThat(entry(after.describeTopicConfigs("by-default"), "retention.bytes").value()).isEqualTo("6144");
      for (int id : cluster.runningIds()) {
        // A broker serves once it has caught up with the metadata; it opens its replicas a moment
        // later (one was not there yet when the brokers restarted side by side).
        var partition = await().atMost(Duration.ofSeconds(30))
            .until(() -> cluster.broker(id).replicas().partition("shrinking", 0), java.util.Optional::isPresent);
        assertThat(partition.orElseThrow().settings().log().retentionBytes()).as("broker %d", id).isEqualTo(6144);
      }
    }
  }

  @Test
  void badKeysAndValuesAreRefusedWithTheValidRangeAndChangeNothing() {
    try (TestCluster cluster = TestCluster.start(dir, 1)) {
      SkeinAdmin admin = cluster.admin();
      admin.createTopic(NewTopic.of("strict", 1, 1).withConfigs(Map.of("retention.ms", "60000")));

      assertThatThrownBy(() -> admin.alterTopicConfigs("strict", Map.of("segment.bytes", "10",
          "retention.ms", "1000"), List.of()))
          .isInstanceOf(SkeinException.class).hasMessageContaining("segment.bytes").hasMessageContaining("at least 1024")
          .satisfies(e -> assertThat(((SkeinException) e).reason()).contains(ErrorReason.INVALID_CONFIG));
      assertThatThrownBy(() -> admin.alterTopicConfigs("strict", Map.of("retention.msec", "5"), List.of()))
          .isInstanceOf(SkeinException.class).hasMessageContaining("unknown topic config 'retention.msec'");
      assertThatThrownBy(() -> admin.alterBrokerDefaults(Map.of("cleanup.policy", "shred"), List.of()))
          .isInstanceOf(SkeinException.class).hasMessageContaining("cleanup.policy");
      assertThatThrownBy(() -> admin.alterTopicConfigs("nope", Map.of("retention.ms", "1"), List.of()))
          .satisfies(e -> assertThat(((SkeinException) e).reason()).contains(ErrorReason.UNKNOWN_TOPIC));

      assertThat(entry(admin.describeTopicConfigs("strict"), "retention.ms").value()).isEqualTo("60000");
      assertThat(entry(admin.describeTopicConfigs("strict"), "segment.bytes").source())
          .isEqualTo(ConfigEntry.Source.DEFAULT);
      assertThat(admin.describeBrokerDefaults()).isEmpty();
    }
  }

  @Test
  void partitionsOnlyGrowAndNewOnesServeAtOnce() {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      SkeinAdmin admin = cluster.admin();
      admin.createTopic(NewTopic.of("growing", 2, 3));

      assertThat(admin.createPartitions("growing", 5).partitionCount()).isEqualTo(5);
      SkeinProducer producer = cluster.producer(Map.of("acks", "all"));
      assertThat(producer.send(ProducerRecord.of("growing", null, "to the new one").withPartition(4)).join()
          .offset()).isZero();

      assertThatThrownBy(() -> admin.createPartitions("growing", 3))
          .isInstanceOf(SkeinException.class).hasMessageContaining("can only grow")
          .satisfies(e -> assertThat(((SkeinException) e).reason()).contains(ErrorReason.INVALID_PARTITIONS));
      assertThat(admin.describeTopic("growing").partitionCount()).isEqualTo(5);
    }
  }

  private static ConfigEntry entry(List<ConfigEntry> entries, String name) {
    return entries.stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
  }

  private static Set<Long> logStarts(TestCluster cluster, String topic) {
    return cluster.runningIds().stream().map(id -> cluster.broker(id).replicas().partition(topic, 0).orElseThrow()
        .logStartOffset()).collect(java.util.stream.Collectors.toSet());
  }

  private static void produce(TestCluster cluster, String topic, int count) {
    SkeinProducer producer = cluster.producer(Map.of("acks", "all", "linger.ms", "0"));
    for (int i = 0; i < count; i++) {
      producer.send(ProducerRecord.of(topic, null, "value-" + i + "-" + "x".repeat(90)).withPartition(0)).join();
    }
  }
}
