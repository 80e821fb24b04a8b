package dev.skein.storage.bench;

import dev.skein.storage.log.BatchAppend;
import dev.skein.storage.log.LogAppendResult;
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

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Leader append throughput into one partition log with the default config (page cache only, fsync of each
 * finished 1 GiB segment on roll), batches of 1 KiB records. The {@code bytes} counter is the payload rate
 * in bytes/s.
 *
 * <p>Run (from /work/main), e.g.:
 * <pre>
 * mvn -B -q -o -pl storage test-compile exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
 *   -Dexec.args="-cp %classpath org.openjdk.jmh.Main dev.skein.storage.bench -f 1 -wi 2 -w 2s -i 3 -r 3s"
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-XX:+UseG1GC"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class AppendBenchmark {

  @Param({"16384", "65536"})
  public int batchBytes;

  /** Where the fsync of a segment finished by a roll runs: the broker's way, or in the appending thread. */
  @Param({"background", "inline"})
  public String rollFlush;

  private BatchAppend batch;
  private PartitionLog log;
  private ExecutorService flusher;

  /** Reported by JMH as a rate: payload bytes appended per second. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Bytes {
    public long bytes;
  }

  @Setup(Level.Trial)
  public void makeBatch() {
    batch = BenchmarkLogs.batchOf(batchBytes);
    flusher = Executors.newSingleThreadExecutor();
  }

  @TearDown(Level.Trial)
  public void stopFlusher() throws InterruptedException {
    flusher.shutdown();
    flusher.awaitTermination(1, TimeUnit.MINUTES);
  }

  /** A fresh log per iteration keeps the disk use of a run bounded. */
  @Setup(Level.Iteration)
  public void openLog() {
    log = BenchmarkLogs.freshLog("append", rollFlush.equals("background") ? flusher : Runnable::run);
  }

  @TearDown(Level.Iteration)
  public void deleteLog() {
    BenchmarkLogs.deleteQuietly(log);
  }

  @Benchmark
  public LogAppendResult append(Bytes counter) {
    LogAppendResult result = log.appendAsLeader(batch, 1);
    counter.bytes += batchBytes;
    return result;
  }
}
