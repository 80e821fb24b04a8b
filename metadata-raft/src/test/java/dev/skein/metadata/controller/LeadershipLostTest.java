package dev.skein.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.proto.internal.v1.BrokerHeartbeatRequest;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.MetadataBatch;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A controller whose write finds that its member no longer leads stops at once. */
class LeadershipLostTest {

  /** Fails every write the way the Raft writer does on a member that has lost the leadership. */
  private static final class DeposedWriter implements BatchWriter {
    final AtomicInteger writes = new AtomicInteger();

    @Override
    public CompletableFuture<WriteResult> write(MetadataBatch batch) {
      writes.incrementAndGet();
      return CompletableFuture.failedFuture(new LeadershipLostException("not the leader", null));
    }
  }

  @Test
  void itStopsRetryingAndAnswersNotControllerWithoutWaitingToBeClosed() {
    try (ControllerFixture fixture = new ControllerFixture()) {
      fixture.startBrokers(1, 2, 3);
      fixture.controller.close();
      DeposedWriter writer = new DeposedWriter();
      ControllerSettings settings = new ControllerSettings(ControllerFixture.SESSION_TIMEOUT, Duration.ofMillis(10),
          Duration.ofSeconds(10), ControllerSettings.DEFAULT_PRODUCER_ID_BLOCK_SIZE, false, Duration.ofHours(1), Duration.ofHours(1));
      QuorumController controller = new QuorumController(0, settings, fixture.log::image, writer,
          fixture.clock::get, new Random(1));
      controller.start();
      try {
        // Every broker's session expires: each check (every 10 ms) would fence one.
        fixture.advance(ControllerFixture.SESSION_TIMEOUT.multipliedBy(3));
        await().atMost(Duration.ofSeconds(10)).until(() -> writer.writes.get() >= 1);

        // Before, each check tried the fencing again until Raft told the member it was no longer leader.
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
            .until(() -> writer.writes.get() == 1);
        ControllerResponse answer = controller.handle(ControllerRequest.newBuilder()
                .setBrokerHeartbeat(BrokerHeartbeatRequest.newBuilder().setBrokerId(1)).build())
            .orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(answer.getErrorReason()).isEqualTo(ControllerError.NOT_CONTROLLER.name());
        assertThat(writer.writes).hasValue(1);
      } finally {
        controller.close();
      }
    }
  }
}
