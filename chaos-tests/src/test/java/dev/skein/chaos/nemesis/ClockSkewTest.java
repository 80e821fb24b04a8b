package dev.skein.chaos.nemesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.chaos.cluster.FakeClock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ClockSkewTest {

  private static List<ClockSkew> draw(long seed, int n) {
    Random random = new Random(seed);
    return IntStream.range(0, n).mapToObj(i -> ClockSkew.random(random)).toList();
  }

  @Test
  void aSeedReplaysTheSameSkews() {
    assertThat(draw(42, 50)).isEqualTo(draw(42, 50));
    assertThat(draw(42, 50)).isNotEqualTo(draw(43, 50));
  }

  @Test
  void offsetsAreFiveSecondsToTenMinutesEitherWay() {
    List<ClockSkew> skews = draw(7, 2000);
    assertThat(skews).allSatisfy(s -> {
      long ms = Math.abs(s.offset().toMillis());
      assertThat(ms).isBetween(5_000L, 600_000L);
      assertThat(FakeClock.spec(s.offset())).matches("[+-][0-9]+(\\.[0-9]{1,3})?");
    });
    assertThat(skews).anyMatch(s -> s.offset().isNegative()).anyMatch(s -> !s.offset().isNegative());
    // Log-uniform: about as many steps under 55 s (the geometric middle) as over it.
    long small = skews.stream().filter(s -> Math.abs(s.offset().toMillis()) < 54_772).count();
    assertThat(small).isBetween(850L, 1150L);
    assertThat(skews).anyMatch(s -> Math.abs(s.offset().toMillis()) < 10_000)
        .anyMatch(s -> Math.abs(s.offset().toMillis()) > 300_000);
  }

  @Test
  void aboutOneInFourIsAStrobeOfOneToThreeSeconds() {
    List<ClockSkew> skews = draw(11, 2000);
    List<ClockSkew> strobes = skews.stream().filter(ClockSkew::strobe).toList();
    assertThat(strobes.size()).isBetween(400, 600);
    assertThat(strobes).allSatisfy(s -> assertThat(s.strobePeriod().toMillis()).isBetween(1_000L, 3_000L));
    assertThat(skews.stream().map(ClockSkew::victim).distinct().toList())
        .containsExactlyInAnyOrderElementsOf(EnumSet.allOf(ClockSkew.Victim.class));
  }

  @Test
  void theHistorySaysWhoAndHowMuch() {
    assertThat(new ClockSkew(ClockSkew.Victim.ANY, Duration.ofMillis(-312_456), null).describe(3))
        .isEqualTo("clock skew: broker 3, wall clock stepped -312.456 s");
    assertThat(new ClockSkew(ClockSkew.Victim.RAFT_LEADER, Duration.ofSeconds(45), Duration.ofMillis(1500))
        .describe(1))
        .isEqualTo("clock strobe: the Raft leader, broker 1, wall clock between +45.000 s and real time every 1500 ms");
    assertThat(new ClockSkew(ClockSkew.Victim.PARTITION_LEADER, Duration.ofSeconds(5), null).describe(2))
        .isEqualTo("clock skew: a partition leader, broker 2, wall clock stepped +5.000 s");
  }

  @Test
  void aStrobeAlternatesOffsetAndRealTimeUntilStopped() {
    List<Duration> set = new CopyOnWriteArrayList<>();
    Duration offset = Duration.ofSeconds(-30);
    ClockSkew.Strobe strobe = ClockSkew.Strobe.start(set::add, offset, Duration.ofMillis(10));
    await().atMost(Duration.ofSeconds(10)).until(() -> set.size() >= 5);
    strobe.stop();
    List<Duration> seen = List.copyOf(set);
    assertThat(seen).hasSizeGreaterThanOrEqualTo(5);
    for (int i = 0; i < seen.size(); i++) {
      assertThat(seen.get(i)).isEqualTo(i % 2 == 0 ? offset : Duration.ZERO);
    }
    // stop() joins the thread: nothing is set after it returns.
    assertThat(set).hasSameSizeAs(seen);
  }

  @Test
  void aFailedChangeDoesNotEndTheStrobe() {
    List<Duration> set = new CopyOnWriteArrayList<>();
    ClockSkew.Strobe strobe = ClockSkew.Strobe.start(d -> {
      set.add(d);
      if (set.size() == 1) {
        throw new IllegalStateException("docker exec failed");
      }
    }, Duration.ofSeconds(10), Duration.ofMillis(10));
    await().atMost(Duration.ofSeconds(10)).until(() -> set.size() >= 3);
    strobe.stop();
  }

  @Test
  void onlyTheSkewNemesisNeedsAFakeClock() {
    assertThat(Nemesis.ALL).containsKey("skew");
    assertThat(Nemesis.needFakeClock(List.of("kill", "skew"))).isTrue();
    assertThat(Nemesis.needFakeClock(Nemesis.ALL.keySet().stream().filter(n -> !n.equals("skew")).toList()))
        .isFalse();
  }
}
