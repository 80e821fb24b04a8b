package dev.skein.broker.bench;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.replica.Partition;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.RecordMetadata;
import dev.skein.client.SkeinProducer;
import dev.skein.proto.v1.CreateMirrorLinkRequest;
import dev.skein.proto.v1.MirrorLinkSpec;
import dev.skein.proto.v1.MirrorServiceGrpc;
import dev.skein.proto.v1.PauseMirrorLinkRequest;
import dev.skein.proto.v1.ResumeMirrorLinkRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Measures a mirror link between two local 3-broker clusters (all six brokers in this JVM) with
 * 1 KiB records, in two phases:
 *
 * <ol>
 *   <li>catch-up throughput: with the link paused, N records are produced at the source; the
 *       link is resumed and timed until every destination partition has the source's log end;
 *   <li>steady-state lag: records are produced at a fixed rate while the link runs; for each
 *       record, lag = the time the destination leader's log end first passed its offset minus
 *       the record's timestamp (its creation time at the producer, so it includes the
 *       source's linger and commit as well as the copy).
 * </ol>
 *
 * Not a test: run by hand and compare runs side by side (the machine is shared and noisy).
 *
 * <pre>
 * mvn -B -q -pl broker-core test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.skein.broker.bench.MirrorBenchmark -Dexec.args="100000 3000 20"
 * </pre>
 * arguments: records for the catch-up phase, records/s and seconds for the steady phase.
 */
public final class MirrorBenchmark {

  private static final int PARTITIONS = 6;

  public static void main(String[] args) throws Exception {
    int backlog = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int rate = args.length > 1 ? Integer.parseInt(args[1]) : 3_000;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    Path dir = Files.createTempDirectory("skein-mirror-bench");
    byte[] value = new byte[1024];
    Arrays.fill(value, (byte) 'x');
    try (TestCluster source = TestCluster.start(dir.resolve("source"), 3);
        TestCluster destination = TestCluster.start(dir.resolve("destination"), 3)) {
      source.admin().createTopic(NewTopic.of("bench", PARTITIONS, 3));
      MirrorServiceGrpc.MirrorServiceBlockingStub api = MirrorServiceGrpc.newBlockingStub(destination.channel(1));
      api.createMirrorLink(CreateMirrorLinkRequest.newBuilder().setLink(MirrorLinkSpec.newBuilder().setName("bench")
          .addAllSourceBootstrap(Arrays.asList(source.bootstrap().split(","))).addTopics("bench")
          .setSyncIntervalMs(500)).build());
      while (destination.admin().listTopics(false).stream().noneMatch(t -> t.name().equals("bench"))) {
        TimeUnit.MILLISECONDS.sleep(50);
      }
      api.pauseMirrorLink(PauseMirrorLinkRequest.newBuilder().setName("bench").build());

      SkeinProducer producer = source.producer(Map.of("acks", "all", "linger.ms", "5", "batch.size", "262144"));
      long produceStart = System.nanoTime();
      List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < backlog; i++) {
        sent.add(producer.send(ProducerRecord.of("bench", null, value).withPartition(i % PARTITIONS)));
      }
      for (CompletableFuture<RecordMetadata> f : sent) {
        f.get(120, TimeUnit.SECONDS);
      }
      double produceSeconds = (System.nanoTime() - produceStart) / 1e9;
      long[] target = new long[PARTITIONS];
      for (int p = 0; p < PARTITIONS; p++) {
        target[p] = leader(source, p).highWatermark();
      }
      long start = System.nanoTime();
      api.resumeMirrorLink(ResumeMirrorLinkRequest.newBuilder().setName("bench").build());
      while (!caughtUp(destination, target)) {
        TimeUnit.MILLISECONDS.sleep(5);
      }
      double catchUp = (System.nanoTime() - start) / 1e9;
      System.out.printf("catch-up: %d records of 1 KiB (%.1f MB) in %.2f s = %.0f records/s, %.1f MB/s "
          + "(producing them at the source took %.2f s)%n", backlog, backlog * 1024 / 1e6, catchUp, backlog / catchUp,
          backlog * 1024 / 1e6 / catchUp, produceSeconds);

      // Steady state: a fixed rate, lag per record.
      Map<Integer, ConcurrentSkipListMap<Long, Long>> pending = new ConcurrentHashMap<>();
      for (int p = 0; p < PARTITIONS; p++) {
        pending.put(p, new ConcurrentSkipListMap<>());
      }
      ConcurrentLinkedQueue<Long> lag = new ConcurrentLinkedQueue<>();
      AtomicBoolean done = new AtomicBoolean();
      Thread sampler = new Thread(() -> {
        while (!done.get() || pending.values().stream().anyMatch(m -> !m.isEmpty())) {
          long now = System.currentTimeMillis();
          for (int p = 0; p < PARTITIONS; p++) {
            long end;
            try {
              end = leader(destination, p).logEndOffset();
            } catch (RuntimeException e) {
              continue;
            }
            ConcurrentSkipListMap<Long, Long> waiting = pending.get(p);
            var covered = waiting.headMap(end);
            covered.values().forEach(ts -> lag.add(Math.max(0, now - ts)));
            covered.clear();
          }
          try {
            TimeUnit.MILLISECONDS.sleep(1);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      sampler.start();
      long intervalNanos = 1_000_000_000L / rate;
      long next = System.nanoTime();
      long end = next + TimeUnit.SECONDS.toNanos(seconds);
      int n = 0;
      List<CompletableFuture<RecordMetadata>> steady = new ArrayList<>();
      while (System.nanoTime() < end) {
        long ts = System.currentTimeMillis();
        int p = n++ % PARTITIONS;
        steady.add(producer.send(ProducerRecord.of("bench", null, value).withPartition(p).withTimestamp(ts))
            .whenComplete((md, e) -> {
              if (md != null) {
                pending.get(p).put(md.offset(), ts);
              }
            }));
        next += intervalNanos;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
      }
      for (CompletableFuture<RecordMetadata> f : steady) {
        f.get(60, TimeUnit.SECONDS);
      }
      done.set(true);
      sampler.join(60_000);
      long[] sorted = lag.stream().mapToLong(Long::longValue).sorted().toArray();
      System.out.printf("steady state at %d records/s for %d s (%d records): lag from record creation to destination "
          + "append p50 %d ms, p99 %d ms, max %d ms%n", rate, seconds, sorted.length, percentile(sorted, 50),
          percentile(sorted, 99), sorted.length == 0 ? -1 : sorted[sorted.length - 1]);
      producer.close();
    }
  }

  private static long percentile(long[] sorted, double p) {
    return sorted.length == 0 ? -1 : sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
  }

  private static Partition leader(TestCluster cluster, int partition) {
    int leader = cluster.admin().describeTopic("bench").partition(partition).leader();
    return cluster.broker(leader).replicas().partition("bench", partition).orElseThrow();
  }

  private static boolean caughtUp(TestCluster destination, long[] target) {
    for (int p = 0; p < target.length; p++) {
      try {
        if (leader(destination, p).logEndOffset() < target[p]) {
          return false;
        }
      } catch (RuntimeException e) {
        return false;
      }
    }
    return true;
  }
}
