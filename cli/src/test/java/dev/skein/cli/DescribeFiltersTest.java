package dev.skein.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.NewTopic;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code skein topic describe --under-replicated / --under-min-isr / --unavailable} as a broker goes away. */
class DescribeFiltersTest {

  @TempDir
  Path dir;

  @Test
  void filtersShowWhatABrokerOutageDid() {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      cluster.admin().createTopic(NewTopic.of("rf3", 3, 3).withConfigs(Map.of("min.insync.replicas", "3")));
      cluster.admin().createTopic(NewTopic.of("rf1", 3, 1));
      String bootstrap = cluster.bootstrap();
      assertThat(describe(bootstrap, "--under-replicated").out()).isEmpty();
      assertThat(describe(bootstrap, "--under-min-isr").out()).isEmpty();
      assertThat(describe(bootstrap, "--unavailable").out()).isEmpty();

      cluster.stopBroker(3);
      String left = cluster.bootstrap();
      await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
          assertThat(describe(left, "--under-replicated").lines()).hasSize(3)
              .allMatch(l -> l.startsWith("\tTopic: rf3\tPartition: ") && l.endsWith("\tOffline: 3")));
      assertThat(describe(left, "--under-min-isr").lines()).hasSize(3).allMatch(l -> l.contains("Topic: rf3"));
      // The single-replica partition that lived on broker 3 has no leader now.
      assertThat(describe(left, "--unavailable").lines()).hasSize(1)
          .allMatch(l -> l.contains("Topic: rf1") && l.contains("Leader: none"));
    }
  }

  private static SkeinCliTest.Run describe(String bootstrap, String filter) {
    SkeinCliTest.Run run = SkeinCliTest.skein("", "topic", "describe", filter, "--bootstrap", bootstrap);
    assertThat(run.code()).as(run.err()).isZero();
    return run;
  }
}
