package dev.skein.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
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
          });
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(elapsedMs).isBetween(1400L, 5000L);
      QuorumStatus status = alone.quorumStatus().orTimeout(10, TimeUnit.SECONDS).join();
      assertThat(status.hasLeader()).isFalse();
      assertThat(status.members()).extracting(QuorumStatus.Member::id).containsExactlyInAnyOrder(1, 2, 3);
    }
  }

  /**
   * Only a refused connection or a "not the (ready) leader" answer proves an attempt had no
   * effect; a timeout or a connection lost after sending may hide a request the controller
   * carried out, so the broker must then answer OUTCOME_UNKNOWN rather than CONTROLLER_NOT_AVAILABLE.
   */
  @Test
  void onlyProofThatNoControllerActedCountsAsNotCarriedOut() {
    RaftPeerId leader = RaftPeerId.valueOf("2");
    assertThat(ControllerChannel.certainlyNotCarriedOut(new IOException("wrapped",
        new java.net.ConnectException("Connection refused")))).isTrue();
    assertThat(ControllerChannel.certainlyNotCarriedOut(new NotLeaderException(
        RaftGroupMemberId.valueOf(RaftPeerId.valueOf("1"), RaftGroupId.randomId()), null, List.of()))).isTrue();
    assertThat(ControllerChannel.certainlyNotCarriedOut(new LeaderNotReadyException(
        RaftGroupMemberId.valueOf(leader, RaftGroupId.randomId())))).isTrue();
    assertThat(ControllerChannel.certainlyNotCarriedOut(new java.util.concurrent.TimeoutException())).isFalse();
    assertThat(ControllerChannel.certainlyNotCarriedOut(new IOException("connection reset by peer"))).isFalse();
  }
}
