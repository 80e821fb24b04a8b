package dev.skein.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.broker.cluster.TestCluster;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The skein command against a three-broker cluster in this JVM, as a user would type it. */
class SkeinCliTest {

  @TempDir
  static Path dir;
  static TestCluster cluster;

  /** What one command printed and returned. */
  record Run(int code, String out, String err) {
    List<String> lines() {
      return out.isEmpty() ? List.of() : Arrays.asList(out.split("\n"));
    }
  }

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  static Run skein(String stdin, String... args) {
    return skein(Map.of(), stdin, args);
  }

  static Run skein(Map<String, String> env, String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = SkeinCli.run(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), new PrintWriter(out),
        new PrintWriter(err), env, args);
    return new Run(code, out.toString(), err.toString());
  }

  String bootstrap() {
    return cluster.bootstrap();
  }

  @Test
  void topicCreateDescribeListDelete() {
    Run created = skein("", "topic", "create", "--topic", "cli-orders", "--partitions", "13", "--config",
        "retention.ms=86400000", "--bootstrap", bootstrap());
    assertThat(created.code()).as(created.err()).isZero();
    assertThat(created.out()).contains("Created topic cli-orders (13 partitions, replication factor 1)");

    Run described = skein("", "topic", "describe", "--topic", "cli-orders", "--bootstrap", bootstrap());
    assertThat(described.code()).isZero();
    List<String> lines = described.lines();
    assertThat(lines).hasSize(14);
    assertThat(lines.get(0)).startsWith("Topic: cli-orders\tTopicId: ")
        .endsWith("\tPartitionCount: 13\tReplicationFactor: 1\tConfigs: retention.ms=86400000");
    for (int p = 0; p < 13; p++) {
      assertThat(lines.get(p + 1)).matches("\tTopic: cli-orders\tPartition: " + p
          + "\tLeader: (\\d)\tReplicas: \\1\tIsr: \\1");
    }

    assertThat(skein("", "topic", "list", "--bootstrap", bootstrap()).lines()).contains("cli-orders");
    Run again = skein("", "topic", "create", "--topic", "cli-orders", "--bootstrap", bootstrap());
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err().strip()).isEqualTo("error: topic 'cli-orders' already exists (TOPIC_ALREADY_EXISTS)");
    assertThat(skein("", "topic", "create", "--topic", "cli-orders", "--if-not-exists", "--bootstrap", bootstrap())
        .code()).isZero();

    assertThat(skein("", "topic", "delete", "--topic", "cli-orders", "--bootstrap", bootstrap()).code()).isZero();
    assertThat(skein("", "topic", "list", "--bootstrap", bootstrap()).lines()).doesNotContain("cli-orders");
  }

  @Test
  void deleteRecordsMovesTheLogStartAndConsumersStartThere() {
    skein("", "topic", "create", "--topic", "cli-trim", "--partitions", "1", "--bootstrap", bootstrap());
    skein("a\nb\nc\nd\n", "produce", "--topic", "cli-trim", "--acks", "all", "--bootstrap", bootstrap());

    Run deleted = skein("", "topic", "delete-records", "--topic", "cli-trim", "--partition", "0",
        "--before-offset", "2", "--bootstrap", bootstrap());
    assertThat(deleted.code()).as(deleted.err()).isZero();
    assertThat(deleted.out().strip()).isEqualTo("Partition: cli-trim-0  Low watermark: 2");

    Run consumed = skein("", "consume", "--topic", "cli-trim", "--from-beginning", "--max-messages", "2",
        "--print-offset", "--bootstrap", bootstrap());
    assertThat(consumed.lines()).containsExactly("Offset:2\tc", "Offset:3\td");

    Run tooFar = skein("", "topic", "delete-records", "--topic", "cli-trim", "--partition", "0",
        "--before-offset", "99", "--bootstrap", bootstrap());
    assertThat(tooFar.code()).isEqualTo(1);
    assertThat(tooFar.err()).contains("between 0 and the high watermark 4", "(OFFSET_OUT_OF_RANGE)");
  }

  @Test
  void alterConfigsAndPartitionsOfARunningTopic() {
    skein("", "topic", "create", "--topic", "cli-alter", "--partitions", "2", "--bootstrap", bootstrap());

    Run altered = skein("", "topic", "alter-config", "--topic", "cli-alter", "--set", "retention.ms=3600000",
        "--set", "segment.ms=600000", "--bootstrap", bootstrap());
    assertThat(altered.code()).as(altered.err()).isZero();
    assertThat(altered.out().strip()).isEqualTo("Altered the configs of topic cli-alter.");
    Run described = skein("", "topic", "describe-configs", "--topic", "cli-alter", "--bootstrap", bootstrap());
    assertThat(described.lines()).contains("retention.ms=3600000\tsource=TOPIC", "segment.ms=600000\tsource=TOPIC",
        "cleanup.policy=delete\tsource=DEFAULT");
    assertThat(skein("", "topic", "describe", "--topic", "cli-alter", "--bootstrap", bootstrap()).lines().get(0))
        .endsWith("Configs: retention.ms=3600000,segment.ms=600000");

    Run bad = skein("", "topic", "alter-config", "--topic", "cli-alter", "--set", "segment.bytes=12",
        "--bootstrap", bootstrap());
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("segment.bytes", "at least 1024", "(INVALID_CONFIG)");

    assertThat(skein("", "topic", "alter-config", "--entity", "broker-defaults", "--set", "max.message.bytes=2000000",
        "--bootstrap", bootstrap()).code()).isZero();
    assertThat(skein("", "topic", "describe-configs", "--entity", "broker-defaults", "--bootstrap", bootstrap())
        .lines()).containsExactly("max.message.bytes=2000000\tsource=BROKER_DEFAULTS");
    assertThat(skein("", "topic", "alter-config", "--entity", "broker-defaults", "--delete", "max.message.bytes",
        "--bootstrap", bootstrap()).code()).isZero();

    Run grown = skein("", "topic", "alter", "--topic", "cli-alter", "--partitions", "4", "--bootstrap", bootstrap());
    assertThat(grown.out().strip()).isEqualTo("Topic cli-alter now has 4 partitions.");
    Run shrunk = skein("", "topic", "alter", "--topic", "cli-alter", "--partitions", "1", "--bootstrap", bootstrap());
    assertThat(shrunk.code()).isEqualTo(1);
    assertThat(shrunk.err()).contains("can only grow", "(INVALID_PARTITIONS)");
  }

  @Test
  void produceAndConsumeLinesWithKeys() {
    skein("", "topic", "create", "--topic", "cli-lines", "--partitions", "4", "--bootstrap", bootstrap());
    String input = "alice:first\nbob:second\nalice:third\ncarol:fourth\n";
    Run produced = skein(input, "produce", "--topic", "cli-lines", "--key-separator", ":", "--acks", "1",
        "--bootstrap", bootstrap());
    assertThat(produced.code()).as(produced.err()).isZero();

    Run consumed = skein("", "consume", "--topic", "cli-lines", "--from-beginning", "--max-messages", "4",
        "--print-key", "--print-partition", "--print-offset", "--bootstrap", bootstrap());
    assertThat(consumed.code()).as(consumed.err()).isZero();
    assertThat(consumed.lines()).hasSize(4);
    assertThat(consumed.lines()).anyMatch(l -> l.matches("Partition:\\d\tOffset:\\d\tbob\tsecond"));
    // alice's records share a partition and keep their order.
    List<String> alice = consumed.lines().stream().filter(l -> l.contains("\talice\t")).toList();
    assertThat(alice).hasSize(2);
    assertThat(alice.get(0)).endsWith("first");
    assertThat(alice.get(1)).endsWith("third");
    assertThat(alice.get(0).split("\t")[0]).isEqualTo(alice.get(1).split("\t")[0]);
    assertThat(consumed.err()).contains("Processed 4 records.");
  }

  @Test
  void printedTimestampsSayWhichKindTheTopicKeeps() {
    skein("", "topic", "create", "--topic", "cli-created", "--partitions", "1", "--bootstrap", bootstrap());
    skein("", "topic", "create", "--topic", "cli-appended", "--partitions", "1", "--config",
        "message.timestamp.type=LogAppendTime", "--bootstrap", bootstrap());
    for (String topic : List.of("cli-created", "cli-appended")) {
      Run produced = skein("x\n", "produce", "--topic", topic, "--bootstrap", bootstrap());
      assertThat(produced.code()).as(produced.err()).isZero();
    }
    Run created = skein("", "consume", "--topic", "cli-created", "--from-beginning", "--max-messages", "1",
        "--print-timestamp", "--bootstrap", bootstrap());
    assertThat(created.lines()).singleElement().asString().matches("CreateTime:\\d+\tx");
    Run appended = skein("", "consume", "--topic", "cli-appended", "--from-beginning", "--max-messages", "1",
        "--print-timestamp", "--bootstrap", bootstrap());
    assertThat(appended.lines()).singleElement().asString().matches("LogAppendTime:\\d+\tx");
  }

  @Test
  void consumeAsJsonFromAnOffset() {
    skein("", "topic", "create", "--topic", "cli-json", "--partitions", "1", "--bootstrap", bootstrap());
    skein("a\n\"quoted\"\nc\n", "produce", "--topic", "cli-json", "--header", "source=test", "--bootstrap",
        bootstrap());
    Run consumed = skein("", "consume", "--topic", "cli-json", "--partition", "0", "--offset", "1",
        "--max-messages", "2", "--format", "json", "--bootstrap", bootstrap());
    assertThat(consumed.code()).as(consumed.err()).isZero();
    assertThat(consumed.lines()).hasSize(2);
    assertThat(consumed.lines().get(0)).startsWith("{\"topic\":\"cli-json\",\"partition\":0,\"offset\":1,")
        .contains("\"key\":null,\"value\":\"\\\"quoted\\\"\",\"headers\":[{\"key\":\"source\",\"value\":\"test\"}]}");
    assertThat(consumed.lines().get(1)).contains("\"offset\":2,").contains("\"value\":\"c\"");
  }

  @Test
  void failuresExitNonZeroWithOneLineReasons() {
    Run unknown = skein("x\n", "produce", "--topic", "no-such-topic", "--bootstrap", bootstrap());
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.err().strip()).isEqualTo(
        "error: 1 of 1 records failed: topic 'no-such-topic' does not exist (UNKNOWN_TOPIC)");

    Run badName = skein("", "topic", "create", "--topic", "bad name", "--bootstrap", bootstrap());
    assertThat(badName.code()).isEqualTo(1);
    assertThat(badName.err().strip().lines()).hasSize(1).allMatch(l -> l.startsWith("error: ")
        && l.endsWith("(INVALID_TOPIC_NAME)"));

    Run unreachable = skein("", "topic", "list", "--bootstrap", "localhost:1", "--request-timeout-ms", "2000");
    assertThat(unreachable.code()).isEqualTo(1);
    assertThat(unreachable.err().strip()).startsWith("error: no broker reachable at [localhost:1]");
    // Through the metadata path too: one line, no stack trace of the connection's failure.
    Run unreachableMetadata = skein("", "log-dirs", "describe", "--bootstrap", "localhost:1",
        "--request-timeout-ms", "2000");
    assertThat(unreachableMetadata.code()).isEqualTo(1);
    assertThat(unreachableMetadata.err().strip().lines())
        .singleElement().asString().startsWith("error: no broker answered at [localhost:1]: UNAVAILABLE");

    Run noSeparator = skein("no separator here\n", "produce", "--topic", "whatever", "--key-separator", ":",
        "--bootstrap", bootstrap());
    assertThat(noSeparator.code()).isEqualTo(1);

    Run usage = skein("", "topic", "create");
    assertThat(usage.code()).isEqualTo(2);
    assertThat(usage.err()).contains("Missing required option: '--topic=NAME'");

    Run offsetWithoutPartition = skein("", "consume", "--topic", "t", "--offset", "3");
    assertThat(offsetWithoutPartition.code()).isEqualTo(2);
    assertThat(offsetWithoutPartition.err()).contains("--offset needs --partition");
  }

  @Test
  void clusterDescribeShowsBrokersAndTheQuorum() {
    Run described = skein("", "cluster", "describe", "--bootstrap", bootstrap());
    assertThat(described.code()).as(described.err()).isZero();
    assertThat(described.out()).containsPattern("ClusterId: [0-9a-f-]{36}\tController: [123]");
    for (int id = 1; id <= 3; id++) {
      assertThat(described.out()).contains("\tId: " + id + "\tAddress: " + cluster.address(id)
          + "\tRack: -\tState: running\tVoter: true");
    }
    assertThat(described.out()).containsPattern("Quorum:\tLeader: [123]\tTerm: \\d+\tCommitIndex: \\d+");
    assertThat(described.out()).containsPattern("Role: leader\tCommitIndex: \\d+");
  }

  @Test
  void everyCommandHasHelp() {
    for (String[] command : List.of(new String[] {"--help"}, new String[] {"broker", "--help"},
        new String[] {"dev", "--help"}, new String[] {"topic", "create", "--help"},
        new String[] {"topic", "describe", "--help"}, new String[] {"produce", "--help"},
        new String[] {"consume", "--help"}, new String[] {"cluster", "describe", "--help"},
        new String[] {"log-dirs", "describe", "--help"})) {
      Run help = skein("", command);
      assertThat(help.code()).as(String.join(" ", command)).isZero();
      assertThat(help.out()).startsWith("Usage: skein");
    }
  }

  @Test
  void environmentVariablesSupplyOptionDefaults() {
    Run viaEnv = skein(Map.of("SKEIN_BOOTSTRAP", bootstrap()), "", "topic", "list");
    assertThat(viaEnv.code()).as(viaEnv.err()).isZero();
    assertThat(EnvironmentDefaults.variableFor("--broker-session-timeout-ms")).isEqualTo("SKEIN_BROKER_SESSION_TIMEOUT_MS");
  }
}
