package dev.skein.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.chaos.nemesis.Nemesis;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Chaos runs that must end with zero anomalies. Which runs: {@code -Dchaos.nemeses=smoke} (CI:
 * no fault, kill, pause, partition, leader-targeted kill), {@code all} (every nemesis alone,
 * then all of them mixed) or a comma-separated list of nemesis names; each {@code chaos.runs}
 * times with seeds {@code chaos.seed}, +1, ..., for {@code chaos.time} seconds each. A plan with
 * the {@code skew} nemesis runs its brokers under libfaketime; the others exactly as deployed.
 */
@Tag("docker")
class ChaosSuiteTest {

  /** A named run: the nemeses its schedule picks from. */
  record Plan(String name, List<String> nemeses) {}

  static Stream<Arguments> plans() {
    List<Plan> plans = plans(System.getProperty("chaos.nemeses", "smoke"));
    int runs = Integer.getInteger("chaos.runs", 1);
    long seed = Long.getLong("chaos.seed", 42);
    return plans.stream().flatMap(p -> Stream.iterate(0, r -> r < runs, r -> r + 1)
        .map(r -> Arguments.of(p, seed + r)));
  }

  /** The plans {@code chaos.nemeses} names. */
  static List<Plan> plans(String which) {
    List<Plan> plans = new ArrayList<>();
    switch (which) {
      case "smoke" -> {
        plans.add(new Plan("none", List.of("none")));
        plans.add(new Plan("kill", List.of("kill")));
        plans.add(new Plan("pause", List.of("pause")));
        plans.add(new Plan("partition", List.of("partition-one", "partition-majority")));
        plans.add(new Plan("leader-kill", List.of("kill-leader", "kill-raft-leader")));
      }
      case "all" -> {
        Nemesis.ALL.keySet().forEach(n -> plans.add(new Plan(n, List.of(n))));
        plans.add(new Plan("mixed", Nemesis.ALL.keySet().stream().filter(n -> !n.equals("none")).toList()));
      }
      default -> Arrays.stream(which.split(",")).map(String::strip).forEach(n -> plans.add(new Plan(n, List.of(n))));
    }
    return plans;
  }

  @ParameterizedTest(name = "{0} seed {1}")
  @MethodSource("plans")
  void survivesWithoutAnomalies(Plan plan, long seed) {
    ChaosConfig config = ChaosConfig.fromSystemProperties().withSeed(seed)
        .withFakeClock(Nemesis.needFakeClock(plan.nemeses()));
    List<Nemesis> nemeses = plan.nemeses().stream().map(Nemesis::named).toList();
    ChaosRun.Result result = ChaosRun.run(config, plan.name() + "-" + seed, ChaosRun.Schedule.random(nemeses));
    assertThat(result.check().anomalies()).as(result.summary() + "\nhistory: " + result.history()).isEmpty();
    assertThat(result.check().counts().sendsOk()).as("acknowledged sends").isGreaterThan(0);
    assertThat(result.check().counts().commits()).as("group commits").isGreaterThan(0);
  }
}
