package dev.skein.storage.bench;

import com.google.protobuf.CodedOutputStream;
import dev.skein.storage.log.BatchAppend;
import dev.skein.storage.log.LogCleanerConfig;
import dev.skein.storage.log.LogConfig;
import dev.skein.storage.log.LogManager;
import dev.skein.storage.log.LogManagerConfig;
import dev.skein.storage.log.PartitionLog;
import dev.skein.storage.state.StateStore;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Random;

/**
 * Cleaner throughput on one large partition: writes {@code keys} distinct keys {@code writesPerKey} times each
 * (random order, {@code valueBytes}-byte values, 100 records per uncompressed batch, 128 MiB segments), then
 * cleans the log once through {@link LogManager#cleanLogs()} and reports MB/s of dirty log and the key map's
 * memory (allocated once: log.cleaner.dedupe.buffer.size). Run with the test classpath:
 *
 * <pre>
 * java -cp ... dev.skein.storage.bench.CleanerBenchmark KEYS WRITES_PER_KEY VALUE_BYTES DEDUPE_MIB
 * </pre>
 */
public final class CleanerBenchmark {

  private static final int RECORDS_PER_BATCH = 100;

  private CleanerBenchmark() {
  }

  public static void main(String[] args) throws IOException {
    int keys = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int writesPerKey = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int valueBytes = args.length > 2 ? Integer.parseInt(args[2]) : 1024;
    long dedupeBytes = (args.length > 3 ? Long.parseLong(args[3]) : 128) << 20;
    Path root = Paths.get(System.getProperty("skein.bench.dir", "target/bench-data"));
    Files.createDirectories(root);
    Path dataDir = Files.createTempDirectory(root, "cleaner-");
    try (StateStore state = StateStore.open(dataDir.resolve(StateStore.DIRECTORY_NAME))) {
      LogManager manager = LogManager.open(dataDir, state, new LogManagerConfig(Duration.ofHours(1), Duration.ofHours(1))
          .withCleaner(LogCleanerConfig.DEFAULT.withThreads(0).withDedupeBufferSize(dedupeBytes)), Clock.systemUTC());
      try {
        LogConfig config = LogConfig.fromMap(Map.of("cleanup.policy", "compact", "min.cleanable.dirty.ratio", "0",
            "segment.bytes", String.valueOf(128 << 20)), LogConfig.DEFAULT);
        PartitionLog log = manager.getOrCreateLog("bench", 0, "bench-topic-id-000000", config);
        Random random = new Random(42);
        byte[] value = new byte[valueBytes];
        random.nextBytes(value);
        long records = (long) keys * writesPerKey;
        int[] order = new int[(int) records];
        for (int i = 0; i < records; i++) {
          order[i] = i % keys;
        }
        for (int i = order.length - 1; i > 0; i--) {
          int j = random.nextInt(i + 1);
          int t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
        long writeStart = System.nanoTime();
        for (int i = 0; i < order.length; i += RECORDS_PER_BATCH) {
          int n = Math.min(RECORDS_PER_BATCH, order.length - i);
          log.appendAsLeader(batch(order, i, n, value), 0);
        }
        // One last batch in a fresh active segment, so everything written above is cleanable.
        log.updateConfig(LogConfig.fromMap(Map.of("segment.bytes", "100"), config));
        log.appendAsLeader(batch(order, 0, 1, value), 0);
        log.updateConfig(config);
        log.flush();
        long writeSeconds = (System.nanoTime() - writeStart) / 1_000_000_000L;
        log.updateHighWatermark(log.logEndOffset());
        long before = log.sizeInBytes();
        long start = System.nanoTime();
        int passes = manager.cleanLogs();
        double seconds = (System.nanoTime() - start) / 1e9;
        long after = log.sizeInBytes();
        System.out.printf("keys %d, writes per key %d, value %d B: wrote %d records, %.1f MB in %d s%n", keys,
            writesPerKey, valueBytes, records, before / 1e6, writeSeconds);
        System.out.printf("cleaned %.1f MB -> %.1f MB in %.2f s (%d passes): %.1f MB/s of dirty log%n", before / 1e6,
            after / 1e6, seconds, passes, before / 1e6 / seconds);
        System.out.printf("key map: %.1f MiB allocated once (log.cleaner.dedupe.buffer.size, 24 B a slot, %d keys"
            + " a pass)%n", dedupeBytes / 1048576.0, (long) (dedupeBytes / 24 * 0.9));
      } finally {
        manager.close();
      }
    }
  }

  private static BatchAppend batch(int[] order, int from, int n, byte[] value) throws IOException {
    ByteArrayOutputStream set = new ByteArrayOutputStream(n * (value.length + 40));
    CodedOutputStream out = CodedOutputStream.newInstance(set);
    long now = System.currentTimeMillis();
    for (int i = 0; i < n; i++) {
      byte[] key = ("key-" + order[from + i]).getBytes(StandardCharsets.UTF_8);
      int size = CodedOutputStream.computeUInt32Size(1, i) + CodedOutputStream.computeInt64Size(2, now)
          + CodedOutputStream.computeByteArraySize(3, key) + CodedOutputStream.computeByteArraySize(4, value);
      out.writeTag(1, 2);
      out.writeUInt32NoTag(size);
      out.writeUInt32(1, i);
      out.writeInt64(2, now);
      out.writeByteArray(3, key);
      out.writeByteArray(4, value);
    }
    out.flush();
    return new BatchAppend(n, now, now, -1, -1, -1, 1, 1, 0, ByteBuffer.wrap(set.toByteArray()));
  }
}
