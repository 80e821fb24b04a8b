package dev.skein.storage.bench;

import dev.skein.storage.log.BatchAppend;
import dev.skein.storage.log.LogConfig;
import dev.skein.storage.log.PartitionLog;
import dev.skein.storage.state.PartitionCheckpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.util.Random;
import java.util.concurrent.Executor;

/** What the benchmarks share: where logs go and what a batch of 1 KiB records looks like. */
final class BenchmarkLogs {

  static final int RECORD_BYTES = 1024;

  private BenchmarkLogs() {
  }

  /** Under -Dskein.bench.dir (default target/bench-data), so the data lands on the disk being measured. */
  static PartitionLog freshLog(String name) {
    return freshLog(name, Runnable::run);
  }

  static PartitionLog freshLog(String name, Executor rollFlushExecutor) {
    try {
      Path root = Paths.get(System.getProperty("skein.bench.dir", "target/bench-data"));
      Files.createDirectories(root);
      Path dir = Files.createTempDirectory(root, name + "-");
      return PartitionLog.open(dir.resolve("bench-0"), LogConfig.DEFAULT, PartitionCheckpoint.NONE,
          Clock.systemUTC(), rollFlushExecutor);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A batch of {@code batchBytes / 1 KiB} records; the payload is incompressible random bytes. */
  static BatchAppend batchOf(int batchBytes) {
    byte[] payload = new byte[batchBytes];
    new Random(batchBytes).nextBytes(payload);
    long now = System.currentTimeMillis();
    return new BatchAppend(batchBytes / RECORD_BYTES, now, now, -1, -1, -1, 1, 1, 0, ByteBuffer.wrap(payload));
  }

  static void deleteQuietly(PartitionLog log) {
    if (log != null) {
      log.delete();
      try {
        Files.deleteIfExists(log.dir().getParent());
      } catch (IOException ignored) {
        // an empty temp directory left behind is harmless
      }
    }
  }
}
