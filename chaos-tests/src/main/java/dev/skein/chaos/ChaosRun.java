package dev.skein.chaos;

import static org.awaitility.Awaitility.await;

import dev.skein.chaos.checker.CheckResult;
import dev.skein.chaos.checker.Checker;
import dev.skein.chaos.cluster.DockerCluster;
import dev.skein.chaos.history.HistoryWriter;
import dev.skein.chaos.history.Op;
import dev.skein.chaos.nemesis.Fault;
import dev.skein.chaos.nemesis.Nemesis;
import dev.skein.chaos.report.Report;
import dev.skein.chaos.workload.Drain;
import dev.skein.chaos.workload.Workload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One chaos run, start to verdict: a fresh cluster, a topic, the workload, a fault schedule,
 * the heal, recovery, the final drain, the checker and the report.
 */
public final class ChaosRun {

  private static final Logger log = LoggerFactory.getLogger(ChaosRun.class);
  public static final String TOPIC = "chaos";

  /** What the schedule can act on while the workload runs. */
  public record Context(ChaosConfig config, DockerCluster cluster, HistoryWriter history, Workload workload,
      Nemesis.Target target, Random random) {

    /** Injects a fault, records its window, holds it, heals it. */
    public void fault(Nemesis nemesis, Duration hold) {
      long start = history.now();
      Fault fault = nemesis.inject(target, random);
      history.append(new Op(Op.Type.invoke, Op.F.FAULT, "nemesis", start, null, null, fault.description(), null,
          null));
      log.info("fault: {}", fault.description());
      pause(hold);
      fault.heal();
      history.append(new Op(Op.Type.ok, Op.F.FAULT, "nemesis", history.now(), null, null, fault.description(), null,
          null));
    }

    /** Part of the schedule: a fault lasts this long, a quiet spell that long. */
    public void pause(Duration d) {
      try {
        TimeUnit.MILLISECONDS.sleep(d.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    public Duration between(int minSeconds, int maxSeconds) {
      return Duration.ofMillis(1000L * minSeconds + random.nextInt(1000 * (maxSeconds - minSeconds) + 1));
    }

    public long elapsedSeconds() {
      return history.now() / 1_000_000;
    }
  }

  /** What happens while the workload runs. */
  @FunctionalInterface
  public interface Schedule {
    void run(Context context);

    /** From 5 s in until the run's time is up: a random fault for 10–15 s, then 5–10 s of calm. */
    static Schedule random(List<Nemesis> nemeses) {
      return ctx -> {
        ctx.pause(Duration.ofSeconds(5));
        long end = ctx.config().duration().toSeconds();
        while (ctx.elapsedSeconds() + 10 <= end) {
          ctx.fault(nemeses.get(ctx.random().nextInt(nemeses.size())), ctx.between(10, 15));
          long left = end - ctx.elapsedSeconds();
          if (left > 0) {
            ctx.pause(Duration.ofSeconds(Math.min(left, ctx.between(5, 10).toSeconds())));
          }
        }
      };
    }
  }

  /** The verdict and where the evidence is. */
  public record Result(String name, CheckResult check, Path history, Path report, String summary) {}

  private ChaosRun() {}

  public static Result run(ChaosConfig config, String name, Schedule schedule) {
    Path dir = config.out().resolve(name);
    log.info("chaos run {}: {} s at {} ops/s, seed {}", name, config.duration().toSeconds(), config.rate(),
        config.seed());
    try (DockerCluster cluster = DockerCluster.start(config);
         HistoryWriter history = new HistoryWriter(dir.resolve("history.jsonl"))) {
      cluster.createTopic(TOPIC);
      Workload workload = new Workload(cluster.bootstrap(), TOPIC, config.partitions(), config.rate(), history);
      try {
        workload.start();
        Context ctx = new Context(config, cluster, history, workload,
            new Nemesis.Target(cluster, TOPIC, workload), new Random(config.seed()));
        schedule.run(ctx);
        long remaining = config.duration().toSeconds() - ctx.elapsedSeconds();
        if (remaining > 0) {
          ctx.pause(Duration.ofSeconds(remaining));
        }

        cluster.healAll();
        long heal = history.now();
        history.append(Op.info(Op.F.HEAL, "nemesis", heal, null, "every broker running, unpaused, network open"
            + (config.fakeClock() ? ", wall clocks real" : ""), null));
        // The liveness deadlines count from when the restarted JVMs listen again, not from
        // the container restart: under load a JVM takes 15 s to start and recover its logs.
        long up = awaitBrokersUp(cluster, history).orElse(heal);
        awaitLeaders(cluster, history);
        awaitProgress(config, history, up);
        ctx.pause(Duration.ofSeconds(3));   // a little steady state after recovery, in the picture
      } finally {
        workload.close();
      }
      Drain.run(cluster.bootstrap(), TOPIC, config.partitions(), history, Duration.ofSeconds(90));
      CheckResult check = new Checker().check(history.ops());
      Report report = Report.write(dir, name, config, history.ops(), check);
      if (config.fakeClock()) {
        // Kept even when the run passes: the only record of what the skewed brokers saw, each
        // line with the real time Docker got it before the broker's own (skewed) timestamp.
        for (int id : cluster.ids()) {
          writeLog(dir.resolve("broker-" + id + ".log"), cluster.logsWithRealTime(id));
        }
      } else if (!check.valid()) {
        for (int id : cluster.ids()) {
          writeLog(dir.resolve("broker-" + id + ".log"), cluster.logs(id));
        }
      }
      log.info("chaos run {}:\n{}", name, report.summary());
      return new Result(name, check, dir.resolve("history.jsonl"), report.html(), report.summary());
    }
  }

  /**
   * Waits (bounded) until every broker has answered a gRPC health check since the heal and records
   * that moment as {@code brokers-up}, the start of the checker's liveness deadlines. Without the
   * op (a broker that never listens again) the checker counts from the heal.
   */
  private static OptionalLong awaitBrokersUp(DockerCluster cluster, HistoryWriter history) {
    Set<Integer> answered = new HashSet<>();
    long[] lastAnswer = {0};   // when the last broker answered, not when the poll noticed
    try {
      await().pollInSameThread().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() -> {
        for (int id : cluster.ids()) {
          if (!answered.contains(id) && cluster.answers(id)) {
            answered.add(id);
            lastAnswer[0] = history.now();
          }
        }
        return answered.size() == cluster.ids().size();
      });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      log.warn("brokers {} did not answer 120 s after the heal", cluster.ids().stream()
          .filter(id -> !answered.contains(id)).toList());
      return OptionalLong.empty();
    }
    history.append(Op.info(Op.F.BROKERS_UP, "nemesis", lastAnswer[0], null, "every broker answers over gRPC",
        null));
    return OptionalLong.of(lastAnswer[0]);
  }

  private static void awaitLeaders(DockerCluster cluster, HistoryWriter history) {
    try {
      await().pollInSameThread().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
          .until(() -> cluster.everyPartitionHasALeader(TOPIC));
      history.append(Op.info(Op.F.LEADERS, "nemesis", history.now(), null, "every partition has a leader", null));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      log.warn("some partition still has no leader 60 s after the brokers were up (or the heal)");
    }
  }

  /**
   * Waits (bounded) until every partition took an acknowledged write sent after {@code since}
   * (brokers up, or the heal) and the group committed again, as the checker will require.
   */
  private static void awaitProgress(ChaosConfig config, HistoryWriter history, long since) {
    try {
      await().pollInSameThread().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
        Set<String> invokedAfter = new HashSet<>();
        Set<Integer> progressed = new HashSet<>();
        boolean committed = false;
        for (Op op : history.ops()) {
          if (op.is(Op.Type.invoke, Op.F.SEND) && op.time() >= since) {
            invokedAfter.add(op.value());
          } else if (op.is(Op.Type.ok, Op.F.SEND) && invokedAfter.contains(op.value())) {
            progressed.add(op.partition());
          } else if (op.is(Op.Type.ok, Op.F.COMMIT) && op.time() >= since) {
            committed = true;
          }
        }
        return committed && progressed.size() == config.partitions();
      });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      log.warn("the workload did not make progress on every partition, or the group did not commit, within 60 s");
    }
  }

  private static void writeLog(Path file, String text) {
    try {
      java.nio.file.Files.writeString(file, text);
    } catch (java.io.IOException e) {
      log.warn("could not write {}", file, e);
    }
  }
}
