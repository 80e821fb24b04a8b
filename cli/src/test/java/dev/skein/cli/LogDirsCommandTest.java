package dev.skein.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinProducer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * skein log-dirs describe, as a user would type it, against two brokers (one voting, so the
 * other can crash without taking the metadata quorum with it).
 */
class LogDirsCommandTest {

  static final String TOPIC = "cli-sizes";
  static final List<String> HEADER = List.of("BROKER", "DIR", "TOPIC", "PARTITION", "SIZE", "SEGMENTS", "LOG-START",
      "LOG-END", "LEADER");

  @RegisterExtension
  static final CommandTestCluster fixture = new CommandTestCluster(2, 1);
  /** The fixture's cluster, started before start() runs. */
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = fixture.cluster();
    cluster.admin().createTopic(NewTopic.of(TOPIC, 2, 2));
    cluster.admin().createTopic(NewTopic.of("cli-elsewhere", 1, 1));
    SkeinProducer producer = cluster.producer(Map.of("acks", "all"));
    for (int i = 0; i < 10; i++) {
      producer.send(ProducerRecord.of(TOPIC, null, "record " + i + " " + "x".repeat(200)).withPartition(0));
    }
    producer.flush();
  }

  static SkeinCliTest.Run skein(String... args) {
    return fixture.skein("", args);
  }

  static List<String[]> rows(SkeinCliTest.Run run) {
    assertThat(run.lines().get(0).split("\\s+")).containsExactlyElementsOf(HEADER);
    return run.lines().stream().skip(1).map(l -> l.split("\\s+")).toList();
  }

  @Test
  void describeShowsEveryReplicaWithItsSizeOnEachBroker() {
    int leader = cluster.admin().describeTopic(TOPIC).partition(0).leader();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      SkeinCliTest.Run run = skein("log-dirs", "describe", "--topic", TOPIC, "--bytes");
      assertThat(run.code()).as(run.err()).isZero();
      List<String[]> rows = rows(run);
      // Two brokers, two partitions, a replica of each on each.
      assertThat(rows).hasSize(4);
      List<String[]> p0 = rows.stream().filter(r -> r[3].equals("0")).toList();
      assertThat(p0).extracting(r -> r[0]).containsExactly("1", "2");
      for (String[] r : p0) {
        assertThat(Path.of(r[1])).endsWith(Path.of("broker-" + r[0], "logs"));
        assertThat(r[2]).isEqualTo(TOPIC);
        assertThat(Long.parseLong(r[4])).as("bytes").isGreaterThan(10 * 200);
        assertThat(r[4]).isEqualTo(p0.get(0)[4]);
        assertThat(r[5]).isEqualTo("1");
        assertThat(r[6]).isEqualTo("0");
        assertThat(r[7]).isEqualTo("10");
        assertThat(r[8]).isEqualTo(r[0].equals(Integer.toString(leader)) ? "yes" : "no");
      }
      assertThat(rows.stream().filter(r -> r[3].equals("1"))).allSatisfy(r -> {
        assertThat(r[4]).isEqualTo("0");
        assertThat(r[7]).isEqualTo("0");
      });
    });

    // Human-readable by default; every topic without --topic; one broker with --broker.
    SkeinCliTest.Run human = skein("log-dirs", "describe");
    assertThat(human.code()).as(human.err()).isZero();
    assertThat(rows(human)).extracting(r -> r[2]).contains(TOPIC, "cli-elsewhere");
    assertThat(rows(human)).filteredOn(r -> r[2].equals(TOPIC) && r[3].equals("0"))
        .allSatisfy(r -> assertThat(r[4]).matches("\\d+\\.\\dKiB"));
    SkeinCliTest.Run one = skein("log-dirs", "describe", "--topic", TOPIC, "--broker", "2");
    assertThat(rows(one)).hasSize(2).allSatisfy(r -> assertThat(r[0]).isEqualTo("2"));
  }

  @Test
  void badInputFailsWithOneLineReasons() {
    SkeinCliTest.Run unknownTopic = skein("log-dirs", "describe", "--topic", "nope");
    assertThat(unknownTopic.code()).isEqualTo(1);
    assertThat(unknownTopic.err().strip()).isEqualTo("error: topic 'nope' does not exist (UNKNOWN_TOPIC)");
    SkeinCliTest.Run unknownBroker = skein("log-dirs", "describe", "--broker", "9");
    assertThat(unknownBroker.code()).isEqualTo(1);
    assertThat(unknownBroker.err().strip()).startsWith("error: the cluster has no broker 9")
        .endsWith("(INVALID_REQUEST)");
    SkeinCliTest.Run notANumber = skein("log-dirs", "describe", "--broker", "two");
    assertThat(notANumber.code()).isEqualTo(2);
  }

  @Test
  void aBrokerThatDoesNotAnswerIsNamedAndTheRestIsPrinted() {
    cluster.stopBrokerAbruptly(2);
    try {
      SkeinCliTest.Run run = skein("log-dirs", "describe", "--topic", TOPIC, "--broker", "1", "--broker", "2");
      assertThat(run.code()).isEqualTo(1);
      assertThat(rows(run)).hasSize(2).allSatisfy(r -> assertThat(r[0]).isEqualTo("1"));
      assertThat(run.err()).startsWith("Broker 2 (" + cluster.address(2) + ") did not answer: UNAVAILABLE");
    } finally {
      cluster.startBroker(2);
    }
  }

  @Test
  void sizesReadLikeDuDashH() {
    assertThat(LogDirsCommand.human(0)).isEqualTo("0B");
    assertThat(LogDirsCommand.human(1023)).isEqualTo("1023B");
    assertThat(LogDirsCommand.human(1024)).isEqualTo("1.0KiB");
    assertThat(LogDirsCommand.human(1536)).isEqualTo("1.5KiB");
    assertThat(LogDirsCommand.human(5L << 30)).isEqualTo("5.0GiB");
  }
}
