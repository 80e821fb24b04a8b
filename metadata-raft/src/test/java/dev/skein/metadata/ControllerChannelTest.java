package dev.skein.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControllerChannelTest {

  @TempDir
  Path dir;

  @Test
  void withoutAQuorumTheChannelGivesUpAtTheDeadline() {
    try (TestCluster cluster = new TestCluster(dir, 3)) {
      MetadataQuorum alone = cluster.startQuorum(1); // one voter of three: no majority, no leader
      long start = System.nanoTime();
      assertThatThrownBy(() -> alone.controller().send(Requests.createTopic("t", 1, 1), Duration.ofMillis(1500)).join())
          .isInstanceOf(CompletionException.class)
          .cause()
          .isInstanceOf(ControllerNotAvailableException.class)
          .hasMessageContaining("no controller answered the CREATE_TOPIC request within the deadline")
          .satisfies(e -> {
            assertThat(((ControllerNotAvailableException) e).reason()).isEqualTo("CONTROLLER_NOT_AVAILABLE");
            assertThat(((ControllerNotAvailableException) e).code()).isEqualTo(14);
            // Attempts timed out without an answer: that proves nothing about whether a
            // controller acted on one, so the broker must report the outcome as unknown.
            assertThat(((ControllerNotAvailableException) e).mayHaveBeenApplied()).as(e.toString()).isTrue();
          });
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(elapsedMs).isBetween(1400L, 5000L);
      QuorumStatus status = alone.quorumStatus().orTimeout(10, TimeUnit.SECONDS).join();
      assertThat(status.hasLeader()).isFalse();
      assertThat(status.members()).extracting(QuorumStatus.Member::id).containsExactlyInAnyOrder(1, 2, 3);
    }
  }
}
