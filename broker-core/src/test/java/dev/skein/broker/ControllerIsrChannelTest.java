package dev.skein.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.broker.replica.IsrChannel.IsrUpdate;
import dev.skein.proto.internal.v1.AlterPartitionRequest;
import dev.skein.proto.internal.v1.AlterPartitionResult;
import dev.skein.proto.internal.v1.AlterPartitionsResult;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.ControllerResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ControllerIsrChannelTest {

  /** A controller whose answers the test gives, one request at a time. */
  private static final class ScriptedController {
    final List<ControllerRequest> requests = new ArrayList<>();
    final List<CompletableFuture<ControllerResponse>> answers = new ArrayList<>();

    synchronized CompletableFuture<ControllerResponse> send(ControllerRequest request) {
      requests.add(request);
      CompletableFuture<ControllerResponse> answer = new CompletableFuture<>();
      answers.add(answer);
      return answer;
    }

    List<AlterPartitionRequest> entries(int request) {
      return requests.get(request).getAlterPartitions().getPartitionsList();
    }

    /** Accepts every entry of a request: partition epoch + 1, ISR as proposed. */
    void acceptAll(int request) {
      AlterPartitionsResult.Builder result = AlterPartitionsResult.newBuilder();
      for (AlterPartitionRequest entry : entries(request)) {
        result.addResponses(accepted(entry));
      }
      answers.get(request).complete(ControllerResponse.newBuilder().setAlterPartitions(result).build());
    }

    static ControllerResponse accepted(AlterPartitionRequest entry) {
      return ControllerResponse.newBuilder().setAlterPartition(AlterPartitionResult.newBuilder()
          .setLeaderEpoch(entry.getLeaderEpoch()).setPartitionEpoch(entry.getPartitionEpoch() + 1)
          .addAllIsr(entry.getNewIsrList())).build();
    }
  }

  private final ScriptedController controller = new ScriptedController();
  private final AtomicLong brokerEpoch = new AtomicLong(7);
  private final ControllerIsrChannel channel = new ControllerIsrChannel(controller::send, 2, brokerEpoch::get);

  @Test
  void proposalsMadeWhileOneIsInFlightGoTogetherAndEachGetsItsOwnAnswer() {
    CompletableFuture<IsrUpdate> first = channel.alterPartition("t", 0, 1, 4, List.of(2, 3));
    List<CompletableFuture<IsrUpdate>> waiting = new ArrayList<>();
    for (int p = 1; p <= 3; p++) {
      waiting.add(channel.alterPartition("t", p, 1, 10 + p, List.of(2)));
    }
    assertThat(controller.requests).hasSize(1);
    assertThat(controller.entries(0)).singleElement().satisfies(entry -> {
      assertThat(entry.getBrokerId()).isEqualTo(2);
      assertThat(entry.getBrokerEpoch()).isEqualTo(7);
      assertThat(entry.getTopicId()).isEqualTo("t");
      assertThat(entry.getPartition()).isZero();
      assertThat(entry.getPartitionEpoch()).isEqualTo(4);
      assertThat(entry.getNewIsrList()).containsExactly(2, 3);
    });

    brokerEpoch.set(9);
    controller.acceptAll(0);

    assertThat(first.join()).isEqualTo(new IsrUpdate(5, List.of(2, 3)));
    assertThat(controller.requests).hasSize(2);
    assertThat(controller.entries(1)).extracting(AlterPartitionRequest::getPartition).containsExactly(1, 2, 3);
    assertThat(controller.entries(1)).allSatisfy(entry -> assertThat(entry.getBrokerEpoch()).isEqualTo(9));
    AlterPartitionsResult.Builder mixed = AlterPartitionsResult.newBuilder()
        .addResponses(ScriptedController.accepted(controller.entries(1).get(0)))
        .addResponses(ControllerResponse.newBuilder().setErrorReason("INVALID_UPDATE_VERSION")
            .setErrorMessage("partition t-2 has partition epoch 13, not 12"))
        .addResponses(ScriptedController.accepted(controller.entries(1).get(2)));
    controller.answers.get(1).complete(ControllerResponse.newBuilder().setAlterPartitions(mixed).build());

    assertThat(waiting.get(0).join()).isEqualTo(new IsrUpdate(12, List.of(2)));
    assertThatThrownBy(waiting.get(1)::join).hasCauseInstanceOf(IllegalStateException.class)
        .hasMessageContaining("INVALID_UPDATE_VERSION").hasMessageContaining("not 12");
    assertThat(waiting.get(2).join()).isEqualTo(new IsrUpdate(14, List.of(2)));
    assertThat(controller.requests).as("nothing left to send").hasSize(2);
  }

  @Test
  void aNewerProposalForAPartitionReplacesOneNotYetSent() {
    channel.alterPartition("t", 0, 1, 1, List.of(2, 3));
    CompletableFuture<IsrUpdate> older = channel.alterPartition("t", 5, 1, 1, List.of(2));
    CompletableFuture<IsrUpdate> other = channel.alterPartition("t", 6, 1, 1, List.of(2));
    CompletableFuture<IsrUpdate> newer = channel.alterPartition("t", 5, 1, 1, List.of(2, 3));

    assertThatThrownBy(older::join).isInstanceOf(CompletionException.class).hasMessageContaining("superseded");
    controller.acceptAll(0);

    assertThat(controller.entries(1)).extracting(AlterPartitionRequest::getPartition).containsExactly(6, 5);
    assertThat(controller.entries(1).get(1).getNewIsrList()).containsExactly(2, 3);
    controller.acceptAll(1);
    assertThat(newer.join().isr()).containsExactly(2, 3);
    assertThat(other.join().isr()).containsExactly(2);
  }

  @Test
  void aFailedRequestFailsItsProposalsAndTheQueuedOnesAreStillSent() {
    CompletableFuture<IsrUpdate> lost = channel.alterPartition("t", 0, 1, 1, List.of(2));
    CompletableFuture<IsrUpdate> queued = channel.alterPartition("t", 1, 1, 1, List.of(2));

    controller.answers.get(0).completeExceptionally(new IOException("no controller answered"));

    assertThatThrownBy(lost::join).hasCauseInstanceOf(IOException.class);
    assertThat(controller.requests).hasSize(2);
    controller.acceptAll(1);
    assertThat(queued.join().partitionEpoch()).isEqualTo(2);
  }

  @Test
  void aRefusedOrShortAnswerFailsEveryProposalItCarried() {
    CompletableFuture<IsrUpdate> refused = channel.alterPartition("t", 0, 1, 1, List.of(2));
    controller.answers.get(0).complete(ControllerResponse.newBuilder().setErrorReason("INVALID_REQUEST")
        .setErrorMessage("unknown request").build());
    assertThatThrownBy(refused::join).hasMessageContaining("INVALID_REQUEST");

    CompletableFuture<IsrUpdate> a = channel.alterPartition("t", 1, 1, 1, List.of(2));
    CompletableFuture<IsrUpdate> b = channel.alterPartition("t", 2, 1, 1, List.of(2));
    CompletableFuture<IsrUpdate> c = channel.alterPartition("t", 3, 1, 1, List.of(2));
    controller.acceptAll(1);
    assertThat(a.join().partitionEpoch()).isEqualTo(2);
    // An answer that does not match the request entry for entry is not trusted for any of them.
    controller.answers.get(2).complete(ControllerResponse.newBuilder().setAlterPartitions(
        AlterPartitionsResult.newBuilder().addResponses(ScriptedController.accepted(controller.entries(2).get(0))))
        .build());
    assertThatThrownBy(b::join).hasMessageContaining("1 of 2");
    assertThatThrownBy(c::join).hasMessageContaining("1 of 2");
  }

  @Test
  void aRequestCarriesAtMostMaxPerRequestProposals() {
    channel.alterPartition("t", 0, 1, 1, List.of(2));
    int queued = ControllerIsrChannel.MAX_PER_REQUEST + 20;
    for (int p = 1; p <= queued; p++) {
      channel.alterPartition("t", p, 1, 1, List.of(2));
    }
    controller.acceptAll(0);
    assertThat(controller.entries(1)).hasSize(ControllerIsrChannel.MAX_PER_REQUEST);
    controller.acceptAll(1);
    assertThat(controller.entries(2)).hasSize(20);
    assertThat(controller.entries(2).get(19).getPartition()).isEqualTo(queued);
  }
}
