package dev.skein.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.skein.broker.cluster.TestCluster;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Node.js example client (examples/node) against a three-broker cluster in this JVM, run with
 * the machine's node and npm: the proof that stock gRPC and protobuf tools outside the JVM can use
 * the public API. Node.js 18+ is a build requirement; without it this test fails rather than skips.
 */
class NodeClientExampleTest {

  static final String INSTALL_NODE = "install Node.js 18 or newer (node and npm on the PATH) to run the test suite";
  static final boolean WINDOWS = System.getProperty("os.name").toLowerCase().startsWith("windows");

  @TempDir
  static Path dir;
  static Path example;
  static TestCluster cluster;

  /** What one command printed (stdout and stderr together) and returned. */
  record Run(int code, String out) {
    List<String> lines() {
      return out.isEmpty() ? List.of() : Arrays.asList(out.split("\\R"));
    }
  }

  @BeforeAll
  static void start() {
    prepareNode();
    cluster = TestCluster.start(dir.resolve("cluster"), 3);
  }

  /** Checks node's version and installs the example's packages if needed. */
  static void prepareNode() {
    example = findExample();
    Run version = run(Duration.ofSeconds(30), "node", "--version");
    Matcher major = Pattern.compile("v(\\d+)\\.").matcher(version.out());
    if (version.code() != 0 || !major.lookingAt() || Integer.parseInt(major.group(1)) < 18) {
      fail("node --version printed '" + version.out().strip() + "': " + INSTALL_NODE);
    }
    if (!installed()) {
      Run ci = run(Duration.ofMinutes(5), WINDOWS ? "npm.cmd" : "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts");
      assertThat(ci.code()).as("npm ci in %s failed:%n%s", example, ci.out()).isZero();
    }
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void writesAndReadsBackRecordsWithStockGrpc() {
    Run first = node("--topic", "node-example", "--replication-factor", "3");
    assertThat(first.code()).as(first.out()).isZero();
    assertThat(first.out()).contains("Created topic node-example\n", "Subscribed to node-example-0 on broker ");
    assertThat(first.lines()).filteredOn(l -> l.matches(
        "Produced 3 records \\(none\\) to node-example-[012] on broker [123] \\(localhost:\\d+\\): offsets 0\\.\\.2"))
        .hasSize(3);
    assertThat(first.lines()).filteredOn(l -> l.matches("  node-example-[012]@[012] key=\"(alice|bob|carol)\" .*"))
        .hasSize(9);
    assertThat(first.lines()).last().isEqualTo("Verified: 9 records read back (keys, values, headers, offsets) "
        + "from 3 partitions, by Fetch and by Subscribe");

    // Again on the same topic, gzip-compressed: the records go after the first run's.
    Run second = node("--topic", "node-example", "--compression", "gzip", "--records", "7");
    assertThat(second.code()).as(second.out()).isZero();
    assertThat(second.out()).contains("Topic node-example already exists (ALREADY_EXISTS TOPIC_ALREADY_EXISTS: ");
    assertThat(second.lines()).filteredOn(l -> l.matches(
        "Produced [23] records \\(gzip\\) to node-example-[012] on broker [123] \\(localhost:\\d+\\): offsets 3\\.\\.[45]"))
        .hasSize(3);
    assertThat(second.lines()).last().isEqualTo("Verified: 7 records read back (keys, values, headers, offsets) "
        + "from 3 partitions, by Fetch and by Subscribe");
  }

  @Test
  void consumesAsAGroupMemberAndCommits() {
    Run first = node("--topic", "node-group-topic", "--group", "node-group");
    assertThat(first.code()).as(first.out()).isZero();
    assertThat(first.out()).containsPattern("Group node-group: member \\S+ \\(epoch \\d+\\) was assigned "
        + "node-group-topic partitions 0,1,2");
    assertThat(first.lines()).filteredOn(l -> l.startsWith("  group node-group read ")).hasSize(9);
    assertThat(first.lines()).last().isEqualTo("Group node-group: consumed 9 records, committed offsets 0:3 1:3 2:3, "
        + "left the group");

    // The group remembers where it stopped: a second member reads only what was written since.
    Run second = node("--topic", "node-group-topic", "--group", "node-group", "--records", "6");
    assertThat(second.code()).as(second.out()).isZero();
    assertThat(second.lines()).filteredOn(l -> l.startsWith("  group node-group read ")).hasSize(6)
        .allMatch(l -> l.matches("  group node-group read node-group-topic-[012]@[34] .*"));
    assertThat(second.lines()).last().isEqualTo("Group node-group: consumed 6 records, committed offsets 0:5 1:5 2:5, "
        + "left the group");
  }

  @Test
  void reportsTheStatusCodeAndReasonOfAFailedCall() {
    Run bad = node("--topic", "no spaces allowed");
    assertThat(bad.code()).as(bad.out()).isEqualTo(1);
    assertThat(bad.lines()).last().asString()
        .startsWith("FAILED: INVALID_ARGUMENT INVALID_TOPIC_NAME: topic name 'no spaces allowed'");
  }

  static Run node(String... args) {
    List<String> command = new ArrayList<>(List.of("node", "client.js", "--bootstrap", cluster.bootstrap()));
    command.addAll(List.of(args));
    Run result = run(Duration.ofMinutes(2), command.toArray(String[]::new));
    System.out.println("$ " + String.join(" ", command) + "\n" + result.out()); // in target/surefire-reports
    return result;
  }

  /** Runs a command in examples/node, failing the test if it cannot start or outlives its timeout. */
  static Run run(Duration timeout, String... command) {
    try {
      Path output = Files.createTempFile("skein-node", ".out");
      output.toFile().deleteOnExit();
      Process process;
      try {
        process = new ProcessBuilder(command).directory(example.toFile()).redirectErrorStream(true)
            .redirectOutput(output.toFile()).start();
      } catch (IOException e) {
        return fail("cannot run " + command[0] + " (" + e.getMessage() + "): " + INSTALL_NODE);
      }
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        fail(String.join(" ", command) + " did not finish in " + timeout + "; it printed:\n"
            + Files.readString(output, StandardCharsets.UTF_8));
      }
      return new Run(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Whether node_modules holds what package-lock.json pins (npm ci writes its own copy of the lock last). */
  static boolean installed() {
    File lock = example.resolve("package-lock.json").toFile();
    File installedLock = example.resolve("node_modules/.package-lock.json").toFile();
    return installedLock.isFile() && installedLock.lastModified() >= lock.lastModified();
  }

  /** examples/node of this checkout, from the working directory (the module's) upwards. */
  static Path findExample() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("examples/node/package.json"))) {
        return p.resolve("examples/node");
      }
    }
    return fail("no examples/node/package.json above " + Path.of("").toAbsolutePath());
  }
}
