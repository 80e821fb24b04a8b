import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The Kafka side of GroupBenchmark's {@code rebalance} (broker-core/src/test/java/dev/skein/broker/bench/
 * GroupBenchmark.java), run by bench/kafka-group-rebalance.sh against a 3-node Kafka 4.2 whose groups use the
 * consumer protocol (KIP-848) with session timeout 10 s and heartbeat interval 5 s.
 *
 * <pre>
 * run    SOURCE BOOTSTRAP TOPIC TRIALS LOGDIR     the measurement (parent)
 * member BOOTSTRAP TOPIC GROUP WARMUP_GROUP         one group member (a child JVM started by run)
 * </pre>
 *
 * Same shape and definitions as GroupBenchmark: topic with 12 partitions RF=3, one producer writing one record
 * to every partition, flush, again (linger.ms=1, acks=all), for the whole run; per trial a fresh group of 3
 * members (group.protocol=consumer, auto.offset.reset=latest, poll(50 ms)), then
 * <ol>
 *   <li>clean close: one member is told to close(); time until every partition it owned has been read by
 *       another member (the last such partition's first record after the close began);
 *   <li>a replacement member joins, all 3 own 4 partitions; crash: one member's JVM is killed (SIGKILL), same
 *       measure. A real crash: the consumer protocol's client heartbeats from a background thread, so a member
 *       that only stopped polling would stay in the group;
 *   <li>join: a new member is created; time until its first record.
 * </ol>
 * Median of the trials. Each member is a child JVM (this file, mode {@code member}) that reports on stdout,
 * with System.currentTimeMillis() stamps (one clock for all processes on the machine):
 * {@code ready}, {@code assigned MS p,p,..}, {@code revoked MS p,..}, {@code rec MS p} (the first record of
 * partition p after p was assigned to it), {@code closed MS}. Before it reports {@code ready} a child warms its
 * JVM up by consuming once in a group of its own, so that creating the measured consumer, as in GroupBenchmark's
 * JVM, does not include class loading; the parent then writes {@code go} (create the consumer and subscribe)
 * or {@code close} on its stdin.
 */
public class KafkaGroupRebalance {
  static final int PARTITIONS = 12;

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "run" -> run(args[1], args[2], args[3], Integer.parseInt(args[4]), new File(args[5]));
      case "member" -> member(args[1], args[2], args[3], args[4]);
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  // ---------------------------------------------------------------- child: one member

  static final Object OUT = new Object();

  static void say(String line) {
    synchronized (OUT) {
      System.out.println(line);
      System.out.flush();
    }
  }

  static KafkaConsumer<String, String> consumer(String bootstrap, String group) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", group);
    p.put("group.protocol", "consumer");
    p.put("auto.offset.reset", "latest");
    return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
  }

  static void member(String bootstrap, String topic, String group, String warmupGroup) throws Exception {
    // Warm-up: load and run the client's code once, in a group of its own.
    try (KafkaConsumer<String, String> warm = consumer(bootstrap, warmupGroup)) {
      warm.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 60_000;
      while (warm.poll(Duration.ofMillis(50)).isEmpty() && System.currentTimeMillis() < deadline) {
        // until a record arrives
      }
    }
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    say("ready");
    if (!"go".equals(in.readLine())) {
      return;
    }
    AtomicBoolean running = new AtomicBoolean(true);
    Thread control = new Thread(() -> {
      try {
        String line;
        while ((line = in.readLine()) != null && !line.equals("close")) {
          // only "close" is understood
        }
      } catch (IOException e) {
        // parent gone: close as well
      }
      running.set(false);
    });
    control.setDaemon(true);
    control.start();
    KafkaConsumer<String, String> consumer = consumer(bootstrap, group);
    Set<Integer> fresh = new HashSet<>();
    consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        if (!partitions.isEmpty()) {
          partitions.forEach(tp -> fresh.remove(tp.partition()));
          say("revoked " + System.currentTimeMillis() + " " + list(partitions));
        }
      }

      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        if (!partitions.isEmpty()) {
          partitions.forEach(tp -> fresh.add(tp.partition()));
          say("assigned " + System.currentTimeMillis() + " " + list(partitions));
        }
      }
    });
    while (running.get()) {
      var records = consumer.poll(Duration.ofMillis(50));
      long now = System.currentTimeMillis();
      for (ConsumerRecord<String, String> r : records) {
        if (fresh.remove(r.partition())) {
          say("rec " + now + " " + r.partition());
        }
      }
    }
    consumer.close();
    say("closed " + System.currentTimeMillis());
  }

  static String list(Collection<TopicPartition> partitions) {
    return String.join(",", partitions.stream().map(tp -> Integer.toString(tp.partition())).toList());
  }

  // ---------------------------------------------------------------- parent: the measurement

  static String source;
  static String bootstrap;
  static String topic;
  static File logDir;
  static final AtomicInteger MEMBER_IDS = new AtomicInteger();
  static final List<Process> CHILDREN = new ArrayList<>();

  /** A child member as the parent sees it, from the child's reports. */
  static final class Member {
    final int id = MEMBER_IDS.incrementAndGet();
    final Process process;
    final Writer stdin;
    final Set<Integer> owned = ConcurrentHashMap.newKeySet();
    final Map<Integer, ConcurrentLinkedQueue<Long>> arrivals = new ConcurrentHashMap<>();
    final AtomicLong firstRecordMs = new AtomicLong();
    final CountDownLatch ready = new CountDownLatch(1);
    final CountDownLatch exited = new CountDownLatch(1);

    Member(String group) throws IOException {
      String java = ProcessHandle.current().info().command().orElse("java");
      List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC"));
      String log4j = System.getProperty("log4j2.configurationFile");
      if (log4j != null) {
        cmd.add("-Dlog4j2.configurationFile=" + log4j);
      }
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), source, "member", bootstrap, topic, group,
          group + "-warmup-" + id));
      process = new ProcessBuilder(cmd).redirectError(new File(logDir, "member-" + id + ".err")).start();
      synchronized (CHILDREN) {
        CHILDREN.add(process);
      }
      stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      Thread reader = new Thread(() -> {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
          String line;
          while ((line = out.readLine()) != null) {
            String[] f = line.split(" ");
            switch (f[0]) {
              case "ready" -> ready.countDown();
              case "assigned" -> parts(f).forEach(owned::add);
              case "revoked" -> parts(f).forEach(owned::remove);
              case "rec" -> {
                long ms = Long.parseLong(f[1]);
                arrivals.computeIfAbsent(Integer.parseInt(f[2]), k -> new ConcurrentLinkedQueue<>()).add(ms);
                firstRecordMs.compareAndSet(0, ms);
              }
              default -> { }
            }
          }
        } catch (IOException e) {
          // child gone
        }
        exited.countDown();
      });
      reader.setDaemon(true);
      reader.start();
    }

    static List<Integer> parts(String[] f) {
      return f.length < 3 ? List.of() : java.util.Arrays.stream(f[2].split(",")).map(Integer::valueOf).toList();
    }

    void awaitReady() throws InterruptedException {
      if (!ready.await(3, TimeUnit.MINUTES)) {
        throw new IllegalStateException("member " + id + " not ready; see " + logDir + "/member-" + id + ".err");
      }
    }

    void send(String line) throws IOException {
      stdin.write(line + "\n");
      stdin.flush();
    }

    long firstAfter(int partition, long t0) {
      var times = arrivals.get(partition);
      return times == null ? Long.MAX_VALUE
          : times.stream().mapToLong(Long::longValue).filter(t -> t > t0).min().orElse(Long.MAX_VALUE);
    }

    /** Clean close (close() in the child) or crash (SIGKILL). */
    void stop(boolean crash) throws Exception {
      if (crash) {
        process.destroyForcibly();
      } else {
        send("close");
      }
    }

    void awaitExit() throws Exception {
      if (!process.waitFor(2, TimeUnit.MINUTES)) {
        process.destroyForcibly();
      }
      exited.await(10, TimeUnit.SECONDS);
    }
  }

  /** Starts a member and waits until it has warmed up; it joins the group on {@link #go}. */
  static Member spawn(String group) throws Exception {
    Member m = new Member(group);
    m.awaitReady();
    return m;
  }

  static Member join(String group) throws Exception {
    Member m = spawn(group);
    m.send("go");
    return m;
  }

  static void run(String src, String bootstrapServers, String topicName, int trials, File logs) throws Exception {
    source = src;
    bootstrap = bootstrapServers;
    topic = topicName;
    logDir = logs;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      synchronized (CHILDREN) {
        CHILDREN.forEach(Process::destroyForcibly);
      }
    }));
    Properties pp = new Properties();
    pp.put("bootstrap.servers", bootstrap);
    pp.put("linger.ms", "1");
    pp.put("acks", "all");
    KafkaProducer<String, String> producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer());
    AtomicBoolean producing = new AtomicBoolean(true);
    AtomicLong produced = new AtomicLong();
    Thread load = new Thread(() -> {
      while (producing.get()) {
        for (int p = 0; p < PARTITIONS; p++) {
          producer.send(new ProducerRecord<>(topic, p, null, "x"));
        }
        producer.flush();
        produced.addAndGet(PARTITIONS);
      }
    });
    load.start();
    List<Long> close = new ArrayList<>();
    List<Long> crash = new ArrayList<>();
    List<Long> join = new ArrayList<>();
    long loadStart = System.currentTimeMillis();
    for (int trial = 0; trial < trials; trial++) {
      String group = "moves-" + trial + "-" + loadStart;
      List<Member> members = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        members.add(spawn(group));
      }
      for (Member m : members) {
        m.send("go");
      }
      awaitOwned(members, PARTITIONS);
      close.add(measureTakeover(members, members.get(2), false));
      members.remove(2).awaitExit();
      members.add(join(group));
      awaitOwned(members, PARTITIONS);
      awaitBalanced(members);
      Member joiner = spawn(group); // warmed up before the crash; it joins afterwards
      crash.add(measureTakeover(members, members.get(2), true));
      members.remove(2).awaitExit();
      long t0 = System.currentTimeMillis();
      joiner.send("go");
      await("first record of the new member", () -> joiner.firstRecordMs.get() != 0);
      join.add(joiner.firstRecordMs.get() - t0);
      members.add(joiner);
      for (Member m : members) {
        m.stop(false);
      }
      for (Member m : members) {
        m.awaitExit();
      }
      System.out.printf("rebalance trial %d: clean close %.2f s, crash %.2f s, first record of a new member %.2f s%n",
          trial + 1, close.get(trial) / 1e3, crash.get(trial) / 1e3, join.get(trial) / 1e3);
    }
    producing.set(false);
    load.join();
    producer.close();
    double seconds = (System.currentTimeMillis() - loadStart) / 1e3;
    System.out.printf("rebalance (median of %d, consumer protocol, session timeout 10 s, heartbeat interval 5 s): "
        + "clean close -> partitions consumed again %.2f s; crash -> %.2f s; new member's first record %.2f s "
        + "(load: %.0f records/s)%n", trials, median(close) / 1e3, median(crash) / 1e3, median(join) / 1e3,
        produced.get() / seconds);
    System.exit(0);
  }

  /** Stops {@code leaving} and returns how long until every partition it had is read again by another member. */
  static long measureTakeover(List<Member> members, Member leaving, boolean crash) throws Exception {
    Set<Integer> moved = Set.copyOf(leaving.owned);
    long t0 = System.currentTimeMillis();
    leaving.stop(crash);
    await((crash ? "crash" : "close") + " takeover of " + moved, () -> moved.stream().allMatch(tp ->
        members.stream().anyMatch(m -> m != leaving && m.firstAfter(tp, t0) != Long.MAX_VALUE)));
    long last = 0;
    for (int tp : moved) {
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

  static void awaitOwned(List<Member> members, int partitions) throws InterruptedException {
    await("all partitions owned", () -> members.stream().mapToInt(m -> m.owned.size()).sum() == partitions
        && members.stream().noneMatch(m -> m.owned.isEmpty()));
  }

  static void awaitBalanced(List<Member> members) throws InterruptedException {
    await("4 partitions each", () -> members.stream().allMatch(m -> m.owned.size() == PARTITIONS / members.size()));
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("timed out waiting for " + what + "; member logs in " + logDir);
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
  }

  static double median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(Long::compare);
    return sorted.get(sorted.size() / 2);
  }
}
