package dev.skein.storage.bench;

import dev.skein.storage.log.BatchAppend;
import dev.skein.storage.log.LogReadResult;
import dev.skein.storage.log.PartitionLog;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Sequential read throughput from the page cache: a consumer-style scan with 1 MiB fetches over a 256 MiB
 * log of batches of 1 KiB records, starting over at the end. The {@code bytes} counter is bytes/s returned.
 * Run as described in {@link AppendBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-XX:+UseG1GC"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class ReadBenchmark {

  private static final long LOG_BYTES = 256L << 20;

  @Param({"16384", "65536"})
  public int batchBytes;

  @Param({"1048576"})
  public int fetchBytes;

  private PartitionLog log;
  private long nextOffset;

  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Bytes {
    public long bytes;
  }

  @Setup(Level.Trial)
  public void fillLog() {
    log = BenchmarkLogs.freshLog("read");
    BatchAppend batch = BenchmarkLogs.batchOf(batchBytes);
    for (long written = 0; written < LOG_BYTES; written += batchBytes) {
      log.appendAsLeader(batch, 1);
    }
    log.updateHighWatermark(log.logEndOffset());
  }

  @TearDown(Level.Trial)
  public void deleteLog() {
    BenchmarkLogs.deleteQuietly(log);
  }

  @Benchmark
  public LogReadResult read(Bytes counter) {
    LogReadResult result = log.read(nextOffset, fetchBytes, log.highWatermark(), true);
    counter.bytes += result.sizeInBytes();
    nextOffset = result.isEmpty() ? 0 : result.nextOffset();
    return result;
  }
}
