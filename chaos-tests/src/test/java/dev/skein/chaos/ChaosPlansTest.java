package dev.skein.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.chaos.nemesis.Nemesis;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which runs {@code chaos.nemeses} asks for, and which of them need a fake clock. */
class ChaosPlansTest {

  @Test
  void theSmokeTierHasNoClockSkew() {
    List<ChaosSuiteTest.Plan> smoke = ChaosSuiteTest.plans("smoke");
    assertThat(smoke).extracting(ChaosSuiteTest.Plan::name)
        .containsExactly("none", "kill", "pause", "partition", "leader-kill");
    assertThat(smoke).noneMatch(p -> Nemesis.needFakeClock(p.nemeses()));
  }

  @Test
  void theLongMatrixRunsSkewAloneAndMixed() {
    List<ChaosSuiteTest.Plan> all = ChaosSuiteTest.plans("all");
    assertThat(all).contains(new ChaosSuiteTest.Plan("skew", List.of("skew")));
    ChaosSuiteTest.Plan mixed = all.get(all.size() - 1);
    assertThat(mixed.name()).isEqualTo("mixed");
    assertThat(mixed.nemeses()).contains("skew", "kill", "partition-bridge").doesNotContain("none");
    assertThat(all).filteredOn(p -> Nemesis.needFakeClock(p.nemeses())).extracting(ChaosSuiteTest.Plan::name)
        .containsExactly("skew", "mixed");
  }

  @Test
  void skewRunsAlone() {
    assertThat(ChaosSuiteTest.plans("skew")).containsExactly(new ChaosSuiteTest.Plan("skew", List.of("skew")));
  }
}
