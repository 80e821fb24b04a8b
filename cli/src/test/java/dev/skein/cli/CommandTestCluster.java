package dev.skein.cli;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.storage.log.LogConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link TestCluster} for one command test class, in a directory of its own: started before the
 * class's {@code @BeforeAll} methods (so they can create topics on it) and closed, its directory
 * deleted, after its {@code @AfterAll} methods. Register it as
 * {@code @RegisterExtension static final CommandTestCluster fixture = new CommandTestCluster(brokers, voters);}.
 */
final class CommandTestCluster implements BeforeAllCallback, AfterAllCallback {

  private final int brokers;
  private final int voters;
  private Path dir;
  private TestCluster cluster;

  CommandTestCluster(int brokers, int voters) {
    this.brokers = brokers;
    this.voters = voters;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    dir = Files.createTempDirectory("skein-cli-test");
    cluster = TestCluster.start(dir, brokers, voters, LogConfig.DEFAULT);
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    try {
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      if (dir != null) {
        try (Stream<Path> paths = Files.walk(dir)) {
          // Deepest first, so each directory is empty when its turn comes.
          for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
    }
  }

  TestCluster cluster() {
    return cluster;
  }

  /** The directory the brokers keep their data in, for the files a test hands the command too. */
  Path dir() {
    return dir;
  }

  /** Runs skein with these arguments and {@code --bootstrap} broker 1, as a user would type it. */
  SkeinCliTest.Run skein(String stdin, String... args) {
    String[] all = Arrays.copyOf(args, args.length + 2);
    all[args.length] = "--bootstrap";
    all[args.length + 1] = cluster.address(1).toString();
    return SkeinCliTest.skein(stdin, all);
  }
}
