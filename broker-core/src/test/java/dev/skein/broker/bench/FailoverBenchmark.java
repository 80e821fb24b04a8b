package dev.skein.broker.bench;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinProducer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Measures failover: the time from crashing a partition's leader to the first successful
 * acks=all write on its new leader, with default settings. Half the trials crash a broker
 * that only leads the partition; the other half crash one that is also the metadata quorum's
 * Raft leader (the controller), the slower case. Not a test: run it by hand and compare runs
 * side by side (the machine is shared and noisy).
 *
 * <pre>
 * mvn -B -q -pl broker-core test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.skein.broker.bench.FailoverBenchmark -Dexec.args=20
 * </pre>
 */
public final class FailoverBenchmark {

  public static void main(String[] args) throws Exception {
    int trials = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    Path dir = Files.createTempDirectory("skein-failover");
    List<Long> partitionOnly = new ArrayList<>();
    List<Long> withController = new ArrayList<>();
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      // Three one-partition topics whose leaders rotate over the three brokers, so some topic
      // is always led by the controller and some by another broker.
      for (int t = 0; t < 3; t++) {
        cluster.admin().createTopic(NewTopic.of("failover-" + t, 1, 3)
            .withConfigs(Map.of("min.insync.replicas", "2")));
      }
      SkeinProducer producer = cluster.producer(Map.of("acks", "all", "linger.ms", "0",
          "retry.backoff.ms", "20", "request.timeout.ms", "5000"));
      for (int trial = 1; trial <= trials; trial++) {
        boolean killController = trial % 2 == 0;
        int controller = cluster.controllerId();
        String topic = null;
        int victim = -1;
        for (int t = 0; t < 3 && topic == null; t++) {
          int leader = cluster.admin().describeTopic("failover-" + t).partition(0).leader();
          if ((leader == controller) == killController) {
            topic = "failover-" + t;
            victim = leader;
          }
        }
        if (topic == null) {
          System.out.printf("trial %2d: skipped, no partition led %s the controller (broker %d)%n", trial,
              killController ? "by" : "by anyone but", controller);
          continue;
        }
        producer.send(ProducerRecord.of(topic, null, "warm-" + trial)).get(30, TimeUnit.SECONDS);
        long killedAt = System.nanoTime();
        cluster.stopBrokerAbruptly(victim);
        producer.send(ProducerRecord.of(topic, null, "after-" + trial)).get(60, TimeUnit.SECONDS);
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        (killController ? withController : partitionOnly).add(took);
        System.out.printf("trial %2d: crashed broker %d (%s) -> first acks=all write after %d ms%n", trial, victim,
            killController ? "partition leader and controller" : "partition leader only", took);
        cluster.startBroker(victim);
        // Back in every ISR and leading its preferred partitions again before the next trial.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
          for (int t = 0; t < 3; t++) {
            var p = cluster.admin().describeTopic("failover-" + t).partition(0);
            if (p.isr().size() < 3 || p.leader() != p.replicas().get(0)) {
              return false;
            }
          }
          return true;
        });
      }
    }
    report("partition leader only", partitionOnly);
    report("partition leader that was also the controller", withController);
    List<Long> all = new ArrayList<>(partitionOnly);
    all.addAll(withController);
    report("all trials", all);
    System.exit(0);
  }

  private static void report(String what, List<Long> millis) {
    if (millis.isEmpty()) {
      return;
    }
    List<Long> sorted = millis.stream().sorted().toList();
    System.out.printf("failover, %s: median %d ms over %d trials (min %d, max %d)%n", what,
        sorted.get(sorted.size() / 2), sorted.size(), sorted.get(0), sorted.get(sorted.size() - 1));
  }
}
