package dev.skein.chaos.nemesis;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One clock fault of the {@code skew} nemesis, drawn from the run's seeded random: whose wall
 * clock moves, by how much, and whether it is stepped once or strobed.
 *
 * @param victim which broker: any, a partition's leader, or the Raft leader
 * @param offset the step from real time: 5 s to 10 min either way, log-uniform so that small and
 *     large steps are about equally likely per decade
 * @param strobePeriod for a strobe, how long each of the two positions lasts (1–3 s: libfaketime
 *     picks a new offset up within a second); {@code null} for a single step held until the heal
 */
public record ClockSkew(Victim victim, Duration offset, Duration strobePeriod) {

  public enum Victim { ANY, PARTITION_LEADER, RAFT_LEADER }

  public static final Duration MIN_OFFSET = Duration.ofSeconds(5);
  public static final Duration MAX_OFFSET = Duration.ofMinutes(10);
  public static final Duration MIN_STROBE_PERIOD = Duration.ofSeconds(1);
  public static final Duration MAX_STROBE_PERIOD = Duration.ofSeconds(3);

  public static ClockSkew random(Random random) {
    Victim victim = Victim.values()[random.nextInt(Victim.values().length)];
    double ratio = (double) MAX_OFFSET.toMillis() / MIN_OFFSET.toMillis();
    long magnitude = Math.round(MIN_OFFSET.toMillis() * Math.pow(ratio, random.nextDouble()));
    magnitude = Math.max(MIN_OFFSET.toMillis(), Math.min(MAX_OFFSET.toMillis(), magnitude));
    Duration offset = Duration.ofMillis(random.nextBoolean() ? magnitude : -magnitude);
    Duration period = null;
    if (random.nextInt(4) == 0) {
      long span = MAX_STROBE_PERIOD.toMillis() - MIN_STROBE_PERIOD.toMillis();
      period = MIN_STROBE_PERIOD.plusMillis(random.nextInt((int) span + 1));
    }
    return new ClockSkew(victim, offset, period);
  }

  public boolean strobe() {
    return strobePeriod != null;
  }

  /** What the history records, given the broker it fell on. */
  public String describe(int broker) {
    String who = switch (victim) {
      case ANY -> "broker " + broker;
      case PARTITION_LEADER -> "a partition leader, broker " + broker;
      case RAFT_LEADER -> "the Raft leader, broker " + broker;
    };
    String by = String.format("%+.3f s", offset.toMillis() / 1000.0);
    return strobe()
        ? "clock strobe: " + who + ", wall clock between " + by + " and real time every " + strobePeriod.toMillis()
            + " ms"
        : "clock skew: " + who + ", wall clock stepped " + by;
  }

  /**
   * Alternates a broker's wall clock between an offset and real time on a thread of its own
   * until stopped; the offset first.
   */
  public static final class Strobe {

    private static final Logger log = LoggerFactory.getLogger(Strobe.class);

    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread thread;

    private Strobe(Consumer<Duration> setOffset, Duration offset, Duration period) {
      this.thread = new Thread(() -> {
        boolean skewed = false;
        do {
          skewed = !skewed;
          try {
            setOffset.accept(skewed ? offset : Duration.ZERO);
          } catch (RuntimeException e) {
            log.warn("clock strobe: could not set the offset", e);
          }
        } while (!await(period));
      }, "clock-strobe");
      thread.setDaemon(true);
    }

    public static Strobe start(Consumer<Duration> setOffset, Duration offset, Duration period) {
      Strobe strobe = new Strobe(setOffset, offset, period);
      strobe.thread.start();
      return strobe;
    }

    /** True once stopped; otherwise waits one period. */
    private boolean await(Duration period) {
      try {
        return stopped.await(period.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return true;
      }
    }

    /** Stops flipping and waits for the thread to finish its last change; the caller sets the final clock. */
    public void stop() {
      stopped.countDown();
      try {
        thread.join(TimeUnit.SECONDS.toMillis(60));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
