package dev.skein.chaos;

import java.nio.file.Path;
import java.time.Duration;

/**
 * One run's settings, from system properties ({@code -Dchaos.time=300} and so on) with CI's
 * values as defaults.
 *
 * @param duration how long the workload runs under faults before the heal
 * @param rate sends per second over all producers
 * @param seed the fault schedule's seed
 * @param image the broker image
 * @param out where histories and reports go
 * @param voters how many of the brokers vote in the metadata quorum ({@code -Dchaos.voters}); the
 *     rest join as listeners (non-voting members that still get every metadata record). Default 3,
 *     so the default cluster also exercises two listeners.
 * @param fakeClock whether each broker's JVM runs under libfaketime, so that the {@code skew}
 *     nemesis can step its wall clock; only for runs whose nemeses need it (the smoke tier runs
 *     the brokers exactly as deployed)
 */
public record ChaosConfig(Duration duration, int rate, long seed, String image, Path out, int brokers, int voters,
    int partitions, int replicationFactor, int minInsyncReplicas, boolean fakeClock) {

  public static ChaosConfig fromSystemProperties() {
    return new ChaosConfig(
        Duration.ofSeconds(Long.getLong("chaos.time", 60)),
        Integer.getInteger("chaos.rate", 100),
        Long.getLong("chaos.seed", 42),
        System.getProperty("chaos.image", "skein:dev"),
        Path.of(System.getProperty("chaos.out", "target/chaos")),
        5, Integer.getInteger("chaos.voters", 3), 4, 3, 2, false);
  }

  public ChaosConfig withDuration(Duration d) {
    return new ChaosConfig(d, rate, seed, image, out, brokers, voters, partitions, replicationFactor,
        minInsyncReplicas, fakeClock);
  }

  public ChaosConfig withSeed(long s) {
    return new ChaosConfig(duration, rate, s, image, out, brokers, voters, partitions, replicationFactor,
        minInsyncReplicas, fakeClock);
  }

  public ChaosConfig withFakeClock(boolean f) {
    return new ChaosConfig(duration, rate, seed, image, out, brokers, voters, partitions, replicationFactor,
        minInsyncReplicas, f);
  }
}
