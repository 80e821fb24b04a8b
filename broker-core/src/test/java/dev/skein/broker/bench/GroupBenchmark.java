package dev.skein.broker.bench;

import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.group.Assignors;
import dev.skein.broker.group.GroupConfig;
import dev.skein.broker.group.TopicPartition;
import dev.skein.client.ConsumerRebalanceListener;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.NewTopic;
import dev.skein.client.OffsetAndMetadata;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import dev.skein.proto.v1.CommitOffsetsRequest;
import dev.skein.proto.v1.FindCoordinatorRequest;
import dev.skein.proto.v1.GroupServiceGrpc;
import dev.skein.proto.v1.OffsetCommit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Consumer group figures (not a test): assignment time, coordinator commit throughput,
 * rebalance times and lag computation. Run with the test classpath:
 * {@code java -cp ... dev.skein.broker.bench.GroupBenchmark assign|commits|rebalance|lag}.
 */
public final class GroupBenchmark {

  public static void main(String[] args) throws Exception {
    switch (args.length == 0 ? "all" : args[0]) {
      case "assign" -> assign();
      case "commits" -> commits();
      case "rebalance" -> rebalance(args.length > 1 ? Integer.parseInt(args[1]) : 3);
      case "lag" -> lag();
      default -> {
        assign();
        commits();
        lag();
        rebalance(3);
      }
    }
    System.exit(0);
  }

  /** Time to compute a target assignment of 5,000 partitions for 500 members, fresh and after one joins. */
  static void assign() {
    Map<String, Set<String>> subs = new TreeMap<>();
    for (int m = 0; m < 500; m++) {
      subs.put(String.format("member-%03d", m), Set.of("t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"));
    }
    Map<String, Integer> topics = new TreeMap<>();
    for (int t = 0; t < 10; t++) {
      topics.put("t" + t, 500);
    }
    var uniform = Assignors.byName("uniform").orElseThrow();
    var range = Assignors.byName("range").orElseThrow();
    List<Long> fresh = new ArrayList<>();
    List<Long> join = new ArrayList<>();
    List<Long> ranged = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      long t0 = System.nanoTime();
      Map<String, Set<TopicPartition>> first = uniform.assign(subs, topics, Map.of());
      fresh.add(System.nanoTime() - t0);
      Map<String, Set<String>> more = new TreeMap<>(subs);
      more.put("member-new", subs.get("member-000"));
      t0 = System.nanoTime();
      uniform.assign(more, topics, first);
      join.add(System.nanoTime() - t0);
      t0 = System.nanoTime();
      range.assign(subs, topics, Map.of());
      ranged.add(System.nanoTime() - t0);
    }
    System.out.printf("assign 500 members x 5000 partitions: uniform fresh %.1f ms, uniform with a member joining "
        + "%.1f ms, range %.1f ms (median of 7)%n", median(fresh) / 1e6, median(join) / 1e6, median(ranged) / 1e6);
  }

  /** Commits per second one coordinator sustains, acks=all on RF=3. */
  static void commits() throws Exception {
    Path dir = Files.createTempDirectory("group-bench");
    try (TestCluster cluster = TestCluster.start(dir, 3, GroupConfig.DEFAULT)) {
      cluster.admin().createTopic(NewTopic.of("bench", 16, 3));
      var finder = GroupServiceGrpc.newBlockingStub(cluster.channel(1));
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> finder.findCoordinator(
          FindCoordinatorRequest.newBuilder().setGroupId("warm-up").build()).getCoordinatorId() > 0);
      List<String> groups = new ArrayList<>();
      for (int i = 0; groups.size() < 32; i++) {
        String g = "bench-" + i;
        if (finder.findCoordinator(FindCoordinatorRequest.newBuilder().setGroupId(g).build()).getCoordinatorId() == 1) {
          groups.add(g);
        }
      }
      // Every __consumer_offsets leader has opened its partition before the clock starts.
      await().atMost(Duration.ofSeconds(30)).until(() -> cluster.broker(1).groupCoordinator().list() != null
          && groups.stream().allMatch(g -> {
            try {
              GroupServiceGrpc.newBlockingStub(cluster.channel(1)).fetchOffsets(
                  dev.skein.proto.v1.FetchOffsetsRequest.newBuilder().setGroupId(g).build());
              return true;
            } catch (io.grpc.StatusRuntimeException e) {
              return false;
            }
          }));
      for (int threads : new int[] {1, 8, 32}) {
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        // A fixed measuring window: each committer stops itself at the deadline.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < threads; w++) {
          String group = groups.get(w);
          var stub = GroupServiceGrpc.newBlockingStub(cluster.channel(1));
          Thread t = new Thread(() -> {
            long offset = 0;
            while (System.nanoTime() < deadline) {
              try {
                stub.commitOffsets(CommitOffsetsRequest.newBuilder().setGroupId(group).setMemberEpoch(-1)
                    .addOffsets(OffsetCommit.newBuilder().setTopic("bench").setPartition((int) (offset % 16))
                        .setOffset(offset / 16 + 1 + threads * 1_000_000L)).build());
                offset++;
                done.incrementAndGet();
              } catch (io.grpc.StatusRuntimeException e) {
                failed.incrementAndGet(); // retriable (coordinator still loading, replication slow): try again
              }
            }
          });
          workers.add(t);
        }
        long start = System.nanoTime();
        workers.forEach(Thread::start);
        for (Thread t : workers) {
          t.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("commits: %d committers (one group each) on one coordinator: %.0f commits/s (acks=all, "
            + "RF=3; %d refused and retried)%n", threads, done.get() / seconds, failed.get());
      }
    }
  }

  /** describe (committed offsets + log end offsets + lag) of a group with 1,000 partitions. */
  static void lag() throws Exception {
    Path dir = Files.createTempDirectory("group-bench");
    try (TestCluster cluster = TestCluster.start(dir, 3, GroupConfig.DEFAULT)) {
      SkeinAdmin admin = cluster.admin();
      admin.createTopic(NewTopic.of("wide", 1000, 1));
      SkeinConsumer committer = cluster.consumer(Map.of("group.id", "wide-group"));
      Map<dev.skein.client.TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      for (int p = 0; p < 1000; p++) {
        offsets.put(new dev.skein.client.TopicPartition("wide", p), OffsetAndMetadata.of(0));
      }
      committer.commitSync(offsets);
      List<Long> times = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        try (SkeinAdmin fresh = SkeinAdmin.create(cluster.bootstrap())) {
          long t0 = System.nanoTime();
          int rows = fresh.describeGroup("wide-group").partitions().size();
          times.add(System.nanoTime() - t0);
          if (rows != 1000) {
            throw new IllegalStateException("expected 1000 rows, got " + rows);
          }
        }
      }
      System.out.printf("lag: describe of a group on 1,000 partitions with a fresh admin client: %.0f ms "
          + "(median of 7; min %.0f, max %.0f)%n", median(times) / 1e6,
          times.stream().mapToLong(Long::longValue).min().orElse(0) / 1e6,
          times.stream().mapToLong(Long::longValue).max().orElse(0) / 1e6);
    }
  }

  /** Clean close, crash and join: time until the moved partitions are consumed again (session timeout 10 s). */
  static void rebalance(int trials) throws Exception {
    Path dir = Files.createTempDirectory("group-bench");
    try (TestCluster cluster = TestCluster.start(dir, 3, GroupConfig.DEFAULT
        .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(5)))) {
      cluster.admin().createTopic(NewTopic.of("moves", 12, 3));
      SkeinProducer producer = cluster.producer(Map.of("linger.ms", "1"));
      AtomicBoolean producing = new AtomicBoolean(true);
      Thread load = new Thread(() -> {
        while (producing.get()) {
          for (int p = 0; p < 12; p++) {
            producer.send(ProducerRecord.of("moves", null, "x").withPartition(p));
          }
          producer.flush();
        }
      });
      load.start();
      List<Long> close = new ArrayList<>();
      List<Long> crash = new ArrayList<>();
      List<Long> join = new ArrayList<>();
      for (int trial = 0; trial < trials; trial++) {
        String group = "moves-" + trial;
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          members.add(new Member(cluster, group));
        }
        awaitOwned(members, 12);
        close.add(measureTakeover(members, members.get(2), false));
        members.remove(2);
        members.add(new Member(cluster, group));
        awaitOwned(members, 12);
        awaitBalanced(members);
        crash.add(measureTakeover(members, members.get(2), true));
        members.remove(2);
        long t0 = System.nanoTime();
        Member joiner = new Member(cluster, group);
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(5))
            .until(() -> joiner.firstRecordNanos.get() != 0);
        join.add(joiner.firstRecordNanos.get() - t0);
        members.add(joiner);
        for (Member m : members) {
          m.stop(false);
        }
        System.out.printf("rebalance trial %d: clean close %.2f s, crash %.2f s, first record of a new member %.2f s%n",
            trial + 1, close.get(trial) / 1e9, crash.get(trial) / 1e9, join.get(trial) / 1e9);
      }
      producing.set(false);
      load.join();
      System.out.printf("rebalance (median of %d, session timeout 10 s, heartbeat interval 5 s): clean close -> "
          + "partitions consumed again %.2f s; crash -> %.2f s; new member's first record %.2f s%n", trials,
          median(close) / 1e9, median(crash) / 1e9, median(join) / 1e9);
    }
  }

  /** Stops {@code leaving} and returns how long until every partition it had is read again by another member. */
  private static long measureTakeover(List<Member> members, Member leaving, boolean crash) throws Exception {
    Set<dev.skein.client.TopicPartition> moved = Set.copyOf(leaving.owned);
    long t0 = System.nanoTime();
    leaving.stop(crash);
    await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(5)).until(() -> moved.stream().allMatch(tp ->
        members.stream().anyMatch(m -> m != leaving && m.lastRecord.getOrDefault(tp, 0L) > t0)));
    // The moment the last of them was read again, from the members' own records.
    long last = 0;
    for (dev.skein.client.TopicPartition tp : moved) {
      long first = Long.MAX_VALUE;
      for (Member m : members) {
        if (m != leaving) {
          first = Math.min(first, m.firstAfter(tp, t0));
        }
      }
      last = Math.max(last, first);
    }
    return last - t0;
  }

  private static void awaitOwned(List<Member> members, int partitions) {
    await().atMost(Duration.ofMinutes(1)).until(() -> members.stream().mapToInt(m -> m.owned.size()).sum()
        == partitions && members.stream().noneMatch(m -> m.owned.isEmpty()));
  }

  private static void awaitBalanced(List<Member> members) {
    await().atMost(Duration.ofMinutes(1)).until(() -> members.stream().allMatch(m -> m.owned.size() == 4));
  }

  private static double median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(Long::compare);
    return sorted.get(sorted.size() / 2);
  }

  /** A consumer's poll loop recording when it last got a record of each partition. */
  private static final class Member {
    final Set<dev.skein.client.TopicPartition> owned = ConcurrentHashMap.newKeySet();
    final Map<dev.skein.client.TopicPartition, Long> lastRecord = new ConcurrentHashMap<>();
    final AtomicLong firstRecordNanos = new AtomicLong();
    /** Arrival times per partition, to find the first record after a moment. */
    final Map<dev.skein.client.TopicPartition, java.util.concurrent.ConcurrentLinkedQueue<Long>> arrivals =
        new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private volatile boolean crash;
    private final Thread thread;

    Member(TestCluster cluster, String group) {
      SkeinConsumer consumer = SkeinConsumer.create(dev.skein.client.ConsumerConfig.from(Map.of(
          "bootstrap.servers", cluster.bootstrap(), "group.id", group, "auto.offset.reset", "latest")));
      thread = new Thread(() -> {
        consumer.subscribe(List.of("moves"), new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<dev.skein.client.TopicPartition> partitions) {
            owned.removeAll(partitions);
          }

          @Override
          public void onPartitionsAssigned(Collection<dev.skein.client.TopicPartition> partitions) {
            owned.addAll(partitions);
          }
        });
        while (running.get()) {
          for (ConsumerRecord r : consumer.poll(Duration.ofMillis(50))) {
            long now = System.nanoTime();
            lastRecord.put(r.topicPartition(), now);
            arrivals.computeIfAbsent(r.topicPartition(), k -> new java.util.concurrent.ConcurrentLinkedQueue<>())
                .add(now);
            firstRecordNanos.compareAndSet(0, now);
          }
        }
        if (crash) {
          consumer.abandon();
        } else {
          consumer.close();
        }
      });
      thread.start();
    }

    long firstAfter(dev.skein.client.TopicPartition tp, long t0) {
      var times = arrivals.get(tp);
      return times == null ? Long.MAX_VALUE
          : times.stream().mapToLong(Long::longValue).filter(t -> t > t0).min().orElse(Long.MAX_VALUE);
    }

    void stop(boolean asCrash) throws InterruptedException {
      crash = asCrash;
      running.set(false);
      thread.join();
    }
  }
}
