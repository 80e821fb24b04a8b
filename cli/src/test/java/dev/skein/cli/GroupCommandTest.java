package dev.skein.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.group.GroupConfig;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** skein group list|describe|reset-offsets|delete and consume --group, as a user would type them. */
class GroupCommandTest {

  @TempDir
  static Path dir;
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 1, GroupConfig.DEFAULT.withTimeouts(Duration.ofSeconds(6), Duration.ofSeconds(1))
        .withOffsetsTopic(4, 1));
    cluster.admin().createTopic(NewTopic.of("cli-groups", 3, 1));
    send(30);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  static void send(int count) {
    SkeinProducer producer = cluster.producer(Map.of());
    for (int i = 0; i < count; i++) {
      producer.send(ProducerRecord.of("cli-groups", null, "r" + i).withPartition(i % 3));
    }
    producer.flush();
  }

  static SkeinCliTest.Run skein(String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--bootstrap";
    all[args.length + 1] = cluster.bootstrap();
    return SkeinCliTest.skein("", all);
  }

  @Test
  void consumeAsAGroupThenDescribeResetAndDelete() {
    SkeinCliTest.Run consumed = skein("consume", "--topic", "cli-groups", "--group", "cg", "--from-beginning",
        "--max-messages", "30");
    assertThat(consumed.code()).as(consumed.err()).isZero();
    assertThat(consumed.lines()).hasSize(30);
    assertThat(skein("group", "list").lines()).contains("cg");

    SkeinCliTest.Run described = skein("group", "describe", "--group", "cg");
    assertThat(described.code()).as(described.err()).isZero();
    List<String> lines = described.lines();
    assertThat(lines.get(0).split("\\s+")).containsExactly("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET",
        "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID");
    assertThat(lines).hasSize(4);
    for (int p = 0; p < 3; p++) {
      assertThat(lines.get(p + 1).split("\\s+")).containsExactly("cg", "cli-groups", Integer.toString(p), "10", "10",
          "0", "-", "-", "-");
    }
    send(6);
    assertThat(skein("group", "describe", "--group", "cg").lines().get(1).split("\\s+"))
        .containsExactly("cg", "cli-groups", "0", "10", "12", "2", "-", "-", "-");
    assertThat(skein("group", "describe", "--group", "cg", "--state").lines().get(1)).contains("Empty");

    SkeinCliTest.Run dryRun = skein("group", "reset-offsets", "--group", "cg", "--topic", "cli-groups:0,2",
        "--to-earliest");
    assertThat(dryRun.code()).as(dryRun.err()).isZero();
    assertThat(dryRun.lines()).hasSize(3);
    assertThat(dryRun.lines().get(1).split("\\s+")).containsExactly("cg", "cli-groups", "0", "0");
    assertThat(dryRun.err()).contains("Dry run");
    assertThat(cluster.admin().committedOffsets("cg").values()).containsOnly(10L);

    SkeinCliTest.Run shifted = skein("group", "reset-offsets", "--group", "cg", "--topic", "cli-groups",
        "--shift-by", "-4", "--execute");
    assertThat(shifted.code()).as(shifted.err()).isZero();
    assertThat(cluster.admin().committedOffsets("cg").values()).containsOnly(6L);

    SkeinCliTest.Run badDuration = skein("group", "reset-offsets", "--group", "cg", "--topic", "cli-groups",
        "--by-duration", "one hour");
    assertThat(badDuration.code()).isEqualTo(2);
    assertThat(badDuration.err()).contains("--by-duration must be an ISO-8601 duration");

    // An active member: reset and delete are refused, saying why.
    SkeinConsumer member = cluster.consumer(Map.of("group.id", "cg"));
    member.subscribe(List.of("cli-groups"));
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      member.poll(Duration.ofMillis(100));
      return member.assignment().size() == 3;
    });
    SkeinCliTest.Run refused = skein("group", "reset-offsets", "--group", "cg", "--topic", "cli-groups",
        "--to-latest", "--execute");
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).contains("active member").contains("GROUP_NOT_EMPTY");
    SkeinCliTest.Run members = skein("group", "describe", "--group", "cg", "--members");
    assertThat(members.lines().get(0).split("\\s+")).containsExactly("GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID",
        "#PARTITIONS");
    assertThat(members.lines().get(1)).contains(member.memberId()).contains("/127.0.0.1").endsWith("3");
    assertThat(skein("group", "delete", "--group", "cg").err()).contains("GROUP_NOT_EMPTY");
    member.close();

    SkeinCliTest.Run deleted = skein("group", "delete", "--group", "cg");
    assertThat(deleted.code()).as(deleted.err()).isZero();
    assertThat(deleted.out()).contains("Deletion of requested consumer groups ('cg') was successful.");
    SkeinCliTest.Run gone = skein("group", "describe", "--group", "cg");
    assertThat(gone.code()).isEqualTo(1);
    assertThat(gone.err()).contains("UNKNOWN_GROUP");
  }

  @Test
  void perfConsumeAsAGroupMember() {
    SkeinCliTest.Run perf = SkeinCliTest.skein("", "perf", "consume", "--topic", "cli-groups", "--group", "perf-group",
        "--num-records", "30", "--bootstrap", cluster.bootstrap());
    assertThat(perf.code()).as(perf.err()).isZero();
    assertThat(perf.lines().get(0)).isEqualTo(PerfConsumeCommand.HEADER);
    String[] result = perf.lines().get(1).split(", ");
    assertThat(Long.parseLong(result[4])).isGreaterThanOrEqualTo(30);
    assertThat(cluster.admin().committedOffsets("perf-group")).isNotEmpty();
  }
}
