package dev.skein.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.chaos.checker.Checker;
import dev.skein.chaos.history.Op;
import dev.skein.chaos.report.Report;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

  @TempDir
  Path dir;

  @Test
  void summaryAndAPageWithLatenciesAndShadedFaults() throws Exception {
    List<Op> ops = List.of(
        Op.invoke(Op.F.SEND, "p0", 1_000_000, 0, "a"),
        Op.ok(Op.F.SEND, "p0", 1_005_000, 0, 0L, "a"),
        new Op(Op.Type.invoke, Op.F.FAULT, "nemesis", 2_000_000, null, null, "kill -9 of broker 3", null, null),
        Op.invoke(Op.F.SEND, "p0", 2_500_000, 0, "b"),
        Op.info(Op.F.SEND, "p0", 7_500_000, 0, "b", "DEADLINE_EXCEEDED"),
        new Op(Op.Type.ok, Op.F.FAULT, "nemesis", 8_000_000, null, null, "kill -9 of broker 3", null, null));
    Report report = Report.write(dir, "t", ChaosConfig.fromSystemProperties(), ops, new Checker().check(ops));
    assertThat(report.summary()).contains("sends: 2 (ok 1, fail 0, unknown 1)").contains("DRAIN_INCOMPLETE");
    String html = Files.readString(report.html());
    assertThat(html).contains("<svg").contains("<title>kill -9 of broker 3</title>");
    assertThat(html.split("<circle", -1)).hasSize(3);
    assertThat(Files.readString(dir.resolve("summary.txt"))).isEqualTo(report.summary());
  }
}
