package dev.skein.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml works as the README says: scripts/compose-smoke.sh brings the three brokers
 * up, creates a topic, produces and consumes through the host ports, restarts a container and
 * takes everything down; it exits 0 only if every step did what it should.
 */
@Tag("docker")
class ComposeSmokeTest {

  @Test
  void composeClusterServesClientsOnTheHostAndSurvivesARestart() throws Exception {
    Path root = Path.of("..").toAbsolutePath().normalize();
    Path log = Path.of("target", "compose-smoke.log");
    Files.createDirectories(log.getParent());
    Process smoke = new ProcessBuilder("bash", "scripts/compose-smoke.sh")
        .directory(root.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    boolean finished = smoke.waitFor(10, TimeUnit.MINUTES);
    if (!finished) {
      smoke.destroyForcibly();
    }
    String output = Files.readString(log);
    assertThat(finished).as("compose smoke finished in time:\n" + output).isTrue();
    assertThat(smoke.exitValue()).as(output).isZero();
    assertThat(output).contains("compose-smoke: passed");
    assertThat(new File(root.toFile(), "docker-compose.yml")).exists();
  }
}
