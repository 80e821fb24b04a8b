package dev.skein.chaos.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FakeClockTest {

  @Test
  void offsetsAreSignedSecondsWithMillisecondsAndNoUnitLetters() {
    assertThat(FakeClock.spec(Duration.ZERO)).isEqualTo("+0");
    assertThat(FakeClock.spec(Duration.ofMillis(12_345))).isEqualTo("+12.345");
    assertThat(FakeClock.spec(Duration.ofMillis(-12_340))).isEqualTo("-12.34");
    assertThat(FakeClock.spec(Duration.ofMinutes(-10))).isEqualTo("-600");
    assertThat(FakeClock.spec(Duration.ofSeconds(5))).isEqualTo("+5");
    assertThat(FakeClock.spec(Duration.ofMillis(-500))).isEqualTo("-0.5");
  }

  @Test
  void theOffsetIsWrittenAsideThenRenamedIntoPlace() {
    assertThat(FakeClock.setCommand(Duration.ofMillis(-42_500))).containsExactly("sh", "-c",
        "printf '%s\\n' \"$1\" > /tmp/skein-faketime.tmp && mv -f /tmp/skein-faketime.tmp /tmp/skein-faketime",
        "set-clock", "-42.5");
  }

  @Test
  void theCommandWritesOneLineLibfaketimeReads(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("faketime");
    List<String> command = new ArrayList<>(FakeClock.setCommand(Duration.ofMillis(312_456)));
    command.set(2, command.get(2).replace(FakeClock.FILE, file.toString()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
    assertThat(Files.readString(file)).isEqualTo("+312.456\n");
    assertThat(dir.resolve("faketime.tmp")).doesNotExist();
  }

  @Test
  void onlyTheWallClockMovesAndChangesApplyWithinASecond() {
    assertThat(FakeClock.ENV).containsEntry("FAKETIME_TIMESTAMP_FILE", FakeClock.FILE)
        .containsEntry("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .containsEntry("FAKETIME_FORCE_MONOTONIC_FIX", "0")
        .containsEntry("FAKETIME_CACHE_DURATION", "0")
        .doesNotContainKey("LD_PRELOAD");
  }

  @Test
  void theEntrypointPreloadsTheLibraryIntoTheBrokerOnly() {
    assertThat(FakeClock.ENTRYPOINT).hasSize(3).startsWith("sh", "-c");
    String script = FakeClock.ENTRYPOINT.get(2);
    assertThat(script).contains("/usr/lib/*/faketime/libfaketimeMT.so.1")
        .contains("exit 78")
        .endsWith("LD_PRELOAD=\"$lib\" exec skein broker");
  }
}
