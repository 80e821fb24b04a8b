package dev.skein.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.chaos.history.HistoryWriter;
import dev.skein.chaos.history.Op;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryWriterTest {

  @TempDir
  Path dir;

  @Test
  void everyLineIsOnDiskAsItIsAppendedAndReadsBack() throws IOException {
    Path file = dir.resolve("history.jsonl");
    Op invoke = Op.invoke(Op.F.SEND, "p0", 10, 2, "p0-1");
    Op ok = Op.ok(Op.F.SEND, "p0", 20, 2, 7L, "p0-1");
    try (HistoryWriter history = new HistoryWriter(file)) {
      history.append(invoke);
      // Before close: a harness that dies here still leaves this line.
      assertThat(Files.readAllLines(file)).containsExactly(
          "{\"type\":\"invoke\",\"f\":\"send\",\"process\":\"p0\",\"time\":10,\"partition\":2,\"value\":\"p0-1\"}");
      history.append(ok);
    }
    // A torn last line (the harness died mid-write) is dropped, not fatal.
    Files.writeString(file, "{\"type\":\"ok\",\"f\":", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    assertThat(HistoryWriter.read(file)).isEqualTo(List.of(invoke, ok));
  }
}
