package dev.skein.chaos.nemesis;

import dev.skein.chaos.cluster.DockerCluster;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;

/**
 * The faults the schedule can inject, by name. Each picks its victims with the run's seeded
 * random, so a seed replays the same choices (victims chosen by role, such as a partition's
 * leader, depend on the cluster's state at that moment).
 */
public record Nemesis(String name, BiFunction<Target, Random, Fault> injector) {

  /** What a nemesis acts on: the cluster, the topic under test, and the client workload. */
  public record Target(DockerCluster cluster, String topic, ClientCrasher clients) {}

  /** Crashes client processes and starts fresh ones in their place. */
  public interface ClientCrasher {
    String crashAndReplace(Random random);
  }

  public Fault inject(Target target, Random random) {
    return injector.apply(target, random);
  }

  public static final Map<String, Nemesis> ALL = java.util.stream.Stream.of(
      new Nemesis("none", (t, r) -> Fault.none("no fault")),
      new Nemesis("kill", (t, r) -> killAll(t.cluster(), List.of(pick(t.cluster().ids(), r)), "kill -9 of broker ")),
      new Nemesis("kill-leader", (t, r) -> killAll(t.cluster(), List.of(partitionLeader(t, r)),
          "kill -9 of a partition leader, broker ")),
      new Nemesis("kill-raft-leader", (t, r) -> killAll(t.cluster(), List.of(raftLeader(t.cluster(), r)),
          "kill -9 of the Raft leader, broker ")),
      new Nemesis("kill-majority", (t, r) -> killAll(t.cluster(), majority(t.cluster(), r),
          "kill -9 of a majority of the voters, brokers ")),
      new Nemesis("pause", (t, r) -> pause(t.cluster(), pick(t.cluster().ids(), r), "docker pause of broker ")),
      new Nemesis("pause-leader", (t, r) -> pause(t.cluster(), partitionLeader(t, r),
          "docker pause of a partition leader (a zombie when it wakes), broker ")),
      new Nemesis("partition-one", (t, r) -> isolateOne(t.cluster(), r)),
      new Nemesis("partition-majority", (t, r) -> splitMajority(t.cluster(), r)),
      new Nemesis("partition-bridge", (t, r) -> bridge(t.cluster(), r)),
      new Nemesis("partition-oneway", (t, r) -> oneWay(t.cluster(), r)),
      new Nemesis("rolling-restart", (t, r) -> rollingRestart(t.cluster())),
      new Nemesis("client-crash", (t, r) -> Fault.none(t.clients().crashAndReplace(r))),
      new Nemesis("skew", Nemesis::skew))
      .collect(java.util.stream.Collectors.toMap(Nemesis::name, n -> n, (a, b) -> a, java.util.LinkedHashMap::new));

  /** Nemeses that step wall clocks, so the run's brokers must run under libfaketime. */
  public static final java.util.Set<String> NEED_FAKE_CLOCK = java.util.Set.of("skew");

  public static boolean needFakeClock(java.util.Collection<String> names) {
    return names.stream().anyMatch(NEED_FAKE_CLOCK::contains);
  }

  public static Nemesis named(String name) {
    Nemesis n = ALL.get(name);
    if (n == null) {
      throw new IllegalArgumentException("no nemesis '" + name + "'; known: " + ALL.keySet());
    }
    return n;
  }

  private static int pick(List<Integer> ids, Random random) {
    return ids.get(random.nextInt(ids.size()));
  }

  /** The Raft leader, or any broker while the quorum has none (an election is under way). */
  private static int raftLeader(DockerCluster cluster, Random random) {
    int leader = cluster.raftLeader();
    return leader > 0 ? leader : pick(cluster.ids(), random);
  }

  private static int partitionLeader(Target t, Random random) {
    var partitions = t.cluster().describe(t.topic()).partitions();
    int leader = partitions.get(random.nextInt(partitions.size())).leader();
    return leader > 0 ? leader : pick(t.cluster().ids(), random);
  }

  private static List<Integer> majority(DockerCluster cluster, Random random) {
    List<Integer> voters = new ArrayList<>(cluster.voterIds());
    Collections.shuffle(voters, random);
    List<Integer> others = new ArrayList<>(cluster.ids());
    others.removeAll(cluster.voterIds());
    List<Integer> victims = new ArrayList<>(voters.subList(0, voters.size() / 2 + 1));
    if (!others.isEmpty()) {
      victims.add(pick(others, random));
    }
    Collections.sort(victims);
    return victims;
  }

  private static Fault killAll(DockerCluster cluster, List<Integer> victims, String what) {
    victims.forEach(cluster::kill);
    return new Fault(what + victims, () -> victims.forEach(cluster::startAgain));
  }

  private static Fault pause(DockerCluster cluster, int victim, String what) {
    cluster.pause(victim);
    return new Fault(what + victim, () -> cluster.unpause(victim));
  }

  private static List<Integer> shuffled(DockerCluster cluster, Random random) {
    List<Integer> ids = new ArrayList<>(cluster.ids());
    Collections.shuffle(ids, random);
    return ids;
  }

  /** Cuts every link between the two sides, with rules on both sides. */
  private static Fault split(DockerCluster cluster, List<Integer> a, List<Integer> b, String what) {
    a.forEach(id -> cluster.dropTraffic(id, b, false));
    b.forEach(id -> cluster.dropTraffic(id, a, false));
    return new Fault(what, () -> cluster.ids().forEach(cluster::healNetwork));
  }

  private static Fault isolateOne(DockerCluster cluster, Random random) {
    List<Integer> ids = shuffled(cluster, random);
    return split(cluster, ids.subList(0, 1), ids.subList(1, ids.size()), "isolate broker " + ids.get(0));
  }

  private static Fault splitMajority(DockerCluster cluster, Random random) {
    List<Integer> ids = shuffled(cluster, random);
    List<Integer> minority = sorted(ids.subList(0, 2));
    List<Integer> majority = sorted(ids.subList(2, ids.size()));
    return split(cluster, minority, majority, "partition " + minority + " | " + majority);
  }

  private static Fault bridge(DockerCluster cluster, Random random) {
    List<Integer> ids = shuffled(cluster, random);
    List<Integer> left = sorted(ids.subList(0, 2));
    List<Integer> right = sorted(ids.subList(3, 5));
    return split(cluster, left, right, "bridge: " + left + " | " + ids.get(2) + " sees both | " + right);
  }

  private static Fault oneWay(DockerCluster cluster, Random random) {
    List<Integer> ids = shuffled(cluster, random);
    int deaf = ids.get(0);
    List<Integer> others = sorted(ids.subList(1, ids.size()));
    cluster.dropTraffic(deaf, others, true);
    return new Fault("one-way: broker " + deaf + " hears nobody but can still send",
        () -> cluster.healNetwork(deaf));
  }

  private static Fault rollingRestart(DockerCluster cluster) {
    for (int id : cluster.ids()) {
      cluster.stop(id);
      cluster.startAgain(id);
      cluster.awaitAllRunning(java.time.Duration.ofSeconds(90));
    }
    return Fault.none("rolling restart of every broker (SIGTERM, start, wait until running)");
  }

  /**
   * Steps one broker's wall clock (or strobes it) by a seeded offset; the heal puts it back to
   * real time. Only the wall clock moves: what an NTP step does to a machine.
   */
  private static Fault skew(Target t, Random random) {
    DockerCluster cluster = t.cluster();
    if (!cluster.fakeClock()) {
      throw new IllegalStateException("the skew nemesis needs brokers under libfaketime: "
          + "ChaosConfig.withFakeClock(true)");
    }
    ClockSkew skew = ClockSkew.random(random);
    int victim = switch (skew.victim()) {
      case ANY -> pick(cluster.ids(), random);
      case PARTITION_LEADER -> partitionLeader(t, random);
      case RAFT_LEADER -> raftLeader(cluster, random);
    };
    if (skew.strobe()) {
      ClockSkew.Strobe strobe = ClockSkew.Strobe.start(offset -> cluster.setClockOffset(victim, offset),
          skew.offset(), skew.strobePeriod());
      return new Fault(skew.describe(victim), () -> {
        strobe.stop();
        cluster.setClockOffset(victim, java.time.Duration.ZERO);
      });
    }
    cluster.setClockOffset(victim, skew.offset());
    return new Fault(skew.describe(victim), () -> cluster.setClockOffset(victim, java.time.Duration.ZERO));
  }

  private static List<Integer> sorted(List<Integer> ids) {
    List<Integer> copy = new ArrayList<>(ids);
    Collections.sort(copy);
    return copy;
  }
}
