package dev.skein.cli;

import static dev.skein.broker.cluster.TestCluster.freePorts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.client.ConsumerConfig;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerConfig;
import dev.skein.client.ProducerRecord;
import dev.skein.client.RecordMetadata;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three brokers as separate processes, a durable topic (durability=fsync, RF=3,
 * min.insync.replicas=2) under acks=all writes, and every broker killed with SIGKILL at once:
 * after all three restart, every acknowledged record is at the offset its acknowledgement named.
 *
 * <p>SIGKILL leaves the page cache to the kernel, so this checks that the brokers' recovery and
 * high-watermark logic never acknowledge what a whole-cluster crash loses; losing the page cache
 * itself (a power cut) is simulated in the storage layer's {@code DurableLogTest}.
 */
class DurableCrashTest {

  private static final int BROKERS = 3;
  private static final String TOPIC = "durable";
  private static final int PARTITIONS = 3;

  @TempDir
  Path dir;

  private final List<Process> processes = new ArrayList<>();
  private int[] ports;

  @AfterEach
  void killBrokers() throws IOException {
    processes.forEach(Process::destroyForcibly);
    // The temporary directory goes; the brokers' logs stay for whoever reads a failure.
    Path kept = Path.of("target", "durable-crash-test");
    Files.createDirectories(kept);
    for (int id = 1; id <= BROKERS; id++) {
      Path log = dir.resolve("broker-" + id + ".log");
      if (Files.exists(log)) {
        Files.copy(log, kept.resolve(log.getFileName()),
            StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  @Test
  void noAcknowledgedRecordIsLostWhenEveryBrokerIsKilledAtOnce() throws Exception {
    ports = freePorts(2 * BROKERS);
    startAll();
    String bootstrap = bootstrap();
    try (SkeinAdmin admin = SkeinAdmin.create(bootstrap)) {
      await().atMost(Duration.ofSeconds(90)).ignoreExceptions()
          .failFast(this::everyBrokerIsRunning)
          .until(() -> admin.describeCluster().brokers().size() == BROKERS);
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
        if (admin.listTopics(false).stream().noneMatch(t -> t.name().equals(TOPIC))) {
          admin.createTopic(NewTopic.of(TOPIC, PARTITIONS, BROKERS).withConfigs(Map.of("durability", "fsync",
              "min.insync.replicas", "2")));
        }
        return true;
      });
    }

    Map<String, RecordMetadata> acknowledged = new ConcurrentHashMap<>();
    AtomicBoolean producing = new AtomicBoolean(true);
    SkeinProducer producer = SkeinProducer.create(ProducerConfig.from(Map.of("bootstrap.servers", bootstrap,
        "acks", "all", "linger.ms", "2", "delivery.timeout.ms", "20000", "max.block.ms", "3000")));
    Thread writer = new Thread(() -> {
      for (int i = 0; producing.get(); i++) {
        String value = "value-" + i;
        try {
          producer.send(ProducerRecord.of(TOPIC, "key-" + (i % 97), value), (metadata, error) -> {
            if (error == null) {
              acknowledged.put(value, metadata);
            }
          });
        } catch (RuntimeException e) {
          return; // the producer is closing or its buffer is full of records nobody can take
        }
      }
    }, "durable-writer");
    writer.start();
    // Write long enough for segments, acknowledgements and fsyncs to be well under way.
    await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= 3_000);

    long ackedAtKill = acknowledged.size();
    for (Process p : processes) {
      p.destroyForcibly(); // SIGKILL, one right after the other
    }
    for (Process p : processes) {
      p.waitFor();
    }
    producing.set(false);
    producer.close(Duration.ofSeconds(2));
    writer.join();
    processes.clear();
    System.out.printf("killed all brokers after %d acknowledged records (%d in all)%n", ackedAtKill,
        acknowledged.size());

    startAll();
    Map<TopicPartition, Map<Long, String>> stored = new HashMap<>();
    List<TopicPartition> partitions = IntStream.range(0, PARTITIONS).mapToObj(p -> new TopicPartition(TOPIC, p))
        .toList();
    try (SkeinConsumer consumer = SkeinConsumer.create(ConsumerConfig.from(Map.of("bootstrap.servers", bootstrap,
        "auto.offset.reset", "earliest")))) {
      await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> {
        consumer.assign(partitions);
        return true;
      });
      // Read until every acknowledged record has been seen (the leaders' high watermarks must
      // first get back past them), then compare.
      await().atMost(Duration.ofSeconds(120)).ignoreExceptions().until(() -> {
        for (ConsumerRecord r : consumer.poll(Duration.ofMillis(500))) {
          stored.computeIfAbsent(r.topicPartition(), tp -> new HashMap<>())
              .put(r.offset(), new String(r.value(), StandardCharsets.UTF_8));
        }
        return acknowledged.values().stream().allMatch(m -> stored.getOrDefault(m.topicPartition(), Map.of())
            .containsKey(m.offset()));
      });
    }
    Map<String, String> wrong = acknowledged.entrySet().stream()
        .filter(e -> !e.getKey().equals(stored.get(e.getValue().topicPartition()).get(e.getValue().offset())))
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().toString()));
    assertThat(wrong).as("acknowledged records missing or different after the crash").isEmpty();
  }

  /** A broker that exits during the start fails the test at once, with the end of its log. */
  private void everyBrokerIsRunning() throws IOException {
    for (int i = 0; i < processes.size(); i++) {
      if (!processes.get(i).isAlive()) {
        List<String> log = Files.readAllLines(dir.resolve("broker-" + (i + 1) + ".log"));
        throw new AssertionError("broker " + (i + 1) + " exited during the start:\n"
            + String.join("\n", log.subList(Math.max(0, log.size() - 20), log.size())));
      }
    }
  }

  private void startAll() throws IOException {
    for (int id = 1; id <= BROKERS; id++) {
      processes.add(startBroker(id));
    }
  }

  private Process startBroker(int id) throws IOException {
    String voters = IntStream.rangeClosed(1, BROKERS).mapToObj(i -> i + "@127.0.0.1:" + quorumPort(i))
        .collect(Collectors.joining(","));
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", classPath(), SkeinCli.class.getName(), "broker",
        "--node-id", Integer.toString(id),
        "--listen", "127.0.0.1:" + ports[id - 1],
        "--quorum-voters", voters,
        "--quorum-listen", "127.0.0.1:" + quorumPort(id),
        "--data-dir", dir.resolve("broker-" + id).toString(),
        "--log-segment-bytes", "262144",
        "--metrics-listen", "none",
        "--console-listen", "none");
    return new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("broker-" + id + ".log").toFile()))
        .start();
  }

  /** The test's class path (surefire names it when it starts tests through a manifest-only jar). */
  private static String classPath() {
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }

  private int quorumPort(int id) {
    return ports[BROKERS + id - 1];
  }

  private String bootstrap() {
    return IntStream.range(0, BROKERS).mapToObj(i -> "127.0.0.1:" + ports[i]).collect(Collectors.joining(","));
  }
}
