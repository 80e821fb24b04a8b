package dev.skein.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.NewTopic;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code skein health}: exit code and one-line reason, for one broker and with {@code --cluster}. */
class HealthCommandTest {

  @TempDir
  Path dir;

  @Test
  void healthyBrokerAndClusterThenAnOfflinePartition() {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      String one = cluster.address(1).toString();
      SkeinCliTest.Run broker = SkeinCliTest.skein("", "health", "--bootstrap", one);
      assertThat(broker.code()).as(broker.err()).isZero();
      assertThat(broker.out().strip()).isEqualTo("healthy: broker " + one + " is serving");

      cluster.admin().createTopic(NewTopic.of("single", 3, 1));
      SkeinCliTest.Run whole = SkeinCliTest.skein("", "health", "--cluster", "--bootstrap", one);
      assertThat(whole.code()).as(whole.err()).isZero();
      assertThat(whole.out()).contains("every partition has a leader");

      // Broker 3 leads one of the single-replica partitions; without it that partition is offline,
      // while broker 1 itself is still serving.
      cluster.stopBrokerAbruptly(3);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        SkeinCliTest.Run run = SkeinCliTest.skein("", "health", "--cluster", "--bootstrap", one);
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err().strip()).matches("unhealthy: 1 partition\\(s\\) offline \\(no leader\\): single-\\d");
      });
      assertThat(SkeinCliTest.skein("", "health", "--bootstrap", one).code()).isZero();
    }
  }

  @Test
  void nobodyListeningIsUnhealthyWithAReason() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    SkeinCliTest.Run run = SkeinCliTest.skein("", "health", "--bootstrap", "localhost:" + port, "--timeout-ms", "2000");
    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err().strip()).startsWith("unhealthy: cannot reach broker localhost:" + port + ": UNAVAILABLE")
        .doesNotContain("\n");
  }

  @Test
  void oneBrokerOnly() {
    SkeinCliTest.Run run = SkeinCliTest.skein("", "health", "--bootstrap", "a:1,b:2");
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains("--bootstrap names one broker for health");
  }
}
