package dev.skein.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.metadata.image.ClusterImage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An idle controller writes an empty batch every max idle interval, so the metadata log never
 * stands still for long (a Ratis appender stuck on heartbeats needs a new entry to recover).
 */
class IdleNoOpTest {

  private static final Duration IDLE = Duration.ofMillis(500);

  /** Its idle timer ticks every {@link #IDLE} of real time, unlike the fixture's hourly default. */
  private static ControllerFixture fixture() {
    return new ControllerFixture(7, ControllerFixture.settings(true, Duration.ofHours(1)).withMaxIdleInterval(IDLE));
  }

  private static void checkIdle(ControllerFixture fixture) {
    fixture.controller.checkIdle().orTimeout(10, TimeUnit.SECONDS).join();
  }

  @Test
  void writesAnEmptyBatchOnlyAfterTheIdleIntervalWithoutWrites() {
    try (ControllerFixture fixture = fixture()) {
      fixture.startBrokers(1, 2, 3);
      int written = fixture.log.entries().size();
      ClusterImage before = fixture.image();

      fixture.advance(IDLE.minusMillis(1));
      checkIdle(fixture);
      assertThat(fixture.log.entries()).as("not idle long enough yet").hasSize(written);

      fixture.advance(Duration.ofMillis(1));
      checkIdle(fixture);
      List<InMemoryMetadataLog.Entry> entries = fixture.log.entries();
      assertThat(entries).hasSize(written + 1);
      InMemoryMetadataLog.Entry noOp = entries.get(entries.size() - 1);
      assertThat(noOp.batch().getRecordsCount()).isZero();
      assertThat(fixture.image().offset()).isEqualTo(noOp.index()).isGreaterThan(before.offset());
      assertThat(fixture.image().brokers()).isEqualTo(before.brokers());
      assertThat(fixture.image().topics()).isEqualTo(before.topics());

      // The no-op is a write: the next one waits a whole interval again.
      checkIdle(fixture);
      assertThat(fixture.log.entries()).hasSize(written + 1);
      fixture.advance(IDLE);
      checkIdle(fixture);
      assertThat(fixture.log.entries()).hasSize(written + 2);
    }
  }

  @Test
  void anyOtherWriteRestartsTheInterval() {
    try (ControllerFixture fixture = fixture()) {
      fixture.startBrokers(1, 2, 3);
      fixture.advance(IDLE.minusMillis(100));
      fixture.createTopic("orders", 3, 3);
      int written = fixture.log.entries().size();

      fixture.advance(Duration.ofMillis(200));
      checkIdle(fixture);

      assertThat(fixture.log.entries()).as("the topic was written 200 ms ago").hasSize(written);
    }
  }

  @Test
  void aClosedControllerWritesNoNoOp() {
    try (ControllerFixture fixture = fixture()) {
      fixture.startBrokers(1);
      int written = fixture.log.entries().size();
      // Closed before the clock passes the interval: this test's timer ticks every 500 ms of real
      // time, and a tick between the two would write a legitimate no-op.
      fixture.controller.close();
      fixture.advance(IDLE.multipliedBy(4));

      assertThat(fixture.controller.checkIdle()).failsWithin(Duration.ofSeconds(10));
      assertThat(fixture.log.entries()).hasSize(written);
    }
  }
}
