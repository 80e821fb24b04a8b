package dev.skein.chaos.history;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Appends operations as JSON lines, flushing each one, so a harness that dies loses nothing it
 * wrote. Also keeps them in memory for the checker at the end of a run. Thread-safe: workers,
 * the nemesis and the drain all write to one history.
 */
public final class HistoryWriter implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final long startNanos = System.nanoTime();
  private final BufferedWriter out;
  private final List<Op> ops = new ArrayList<>();

  public HistoryWriter(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Microseconds since this history began; the time to put in the next operation. */
  public long now() {
    return (System.nanoTime() - startNanos) / 1_000;
  }

  public synchronized void append(Op op) {
    try {
      out.write(JSON.writeValueAsString(op));
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ops.add(op);
  }

  public synchronized List<Op> ops() {
    return List.copyOf(ops);
  }

  @Override
  public synchronized void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads a history file back, one operation per line (a torn last line is dropped). */
  public static List<Op> read(Path file) {
    try {
      List<Op> result = new ArrayList<>();
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        if (line.isBlank()) {
          continue;
        }
        try {
          result.add(JSON.readValue(line, Op.class));
        } catch (IOException e) {
          if (i < lines.size() - 1) {
            throw e;
          }
        }
      }
      return result;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
