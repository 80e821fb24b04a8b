package dev.skein.storage.log;

import dev.skein.storage.state.PartitionCheckpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static dev.skein.storage.log.TestBatches.START_TIME;
import static dev.skein.storage.log.TestBatches.batch;
import static dev.skein.storage.log.TestBatches.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PartitionLogRecoveryTest {

  private static final LogConfig CONFIG = config("segment.bytes", "2000", "index.interval.bytes", "500");
  private static final int BATCHES = 25;

  @TempDir
  Path tempDir;

  private final MutableClock clock = new MutableClock(START_TIME);
  private final List<PartitionLog> opened = new ArrayList<>();
  /** What the log held before it was damaged, in order. */
  private List<StoredBatch> written;

  @AfterEach
  void closeLogs() {
    opened.stream().filter(log -> !log.isClosed()).forEach(PartitionLog::close);
  }

  private Path dir() {
    return tempDir.resolve("topic-0");
  }

  private PartitionLog open(PartitionCheckpoint checkpoint) {
    PartitionLog log = PartitionLog.open(dir(), CONFIG, checkpoint, clock);
    opened.add(log);
    return log;
  }

  /** Writes {@link #BATCHES} batches over about five segments, closes cleanly, returns the checkpoint. */
  private PartitionCheckpoint writeLog() {
    PartitionLog log = open(PartitionCheckpoint.NONE);
    Random random = new Random(42);
    for (int i = 0; i < BATCHES; i++) {
      log.appendAsLeader(batch(1 + random.nextInt(5), 200 + random.nextInt(200), START_TIME + i, i), 3);
    }
    written = readAll(log);
    log.close();
    return log.checkpoint();
  }

  private static List<StoredBatch> readAll(PartitionLog log) {
    List<StoredBatch> all = new ArrayList<>();
    log.batchesFrom(log.logStartOffset()).forEachRemaining(all::add);
    return all;
  }

  private List<Path> segmentFiles(String suffix) throws IOException {
    try (Stream<Path> files = Files.list(dir())) {
      return files.filter(f -> f.getFileName().toString().endsWith(suffix)).sorted().toList();
    }
  }

  private static long baseOffsetOf(Path segmentFile) {
    return Long.parseLong(segmentFile.getFileName().toString().substring(0, 20));
  }

  /** Positions of the batches in a segment file. */
  private static List<Integer> batchPositions(Path segmentFile) throws IOException {
    ByteBuffer content = ByteBuffer.wrap(Files.readAllBytes(segmentFile));
    List<Integer> positions = new ArrayList<>();
    while (content.hasRemaining()) {
      positions.add(content.position());
      StoredBatch.readFrom(content);
    }
    return positions;
  }

  private static void flipByte(Path file, long position) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      channel.read(one, position);
      one.put(0, (byte) (one.get(0) ^ 0x01)).rewind();
      channel.write(one, position);
    }
  }

  private static void cut(Path file, long size) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.truncate(size);
    }
  }

  private List<StoredBatch> writtenBelow(long offset) {
    return written.stream().filter(b -> b.baseOffset() < offset).toList();
  }

  /** The log ends exactly before {@code badOffset}, serves nothing from there, and grows densely from it. */
  private void assertCutAt(PartitionLog log, long badOffset) {
    assertThat(log.logEndOffset()).isEqualTo(badOffset);
    assertThat(readAll(log)).isEqualTo(writtenBelow(badOffset));
    assertThat(log.read(badOffset, 100_000, Long.MAX_VALUE, true).isEmpty()).isTrue();
    assertThatThrownBy(() -> log.read(badOffset + 1, 100_000, Long.MAX_VALUE, true))
        .isInstanceOf(OffsetOutOfRangeException.class);
    assertThat(log.findFirstBatchAtOrAfterTimestamp(START_TIME + BATCHES)).isEmpty();
    LogAppendResult next = log.appendAsLeader(batch(2, 10, START_TIME + 100), 4);
    assertThat(next.firstOffset()).isEqualTo(badOffset);
    List<StoredBatch> after = readAll(log);
    for (int i = 1; i < after.size(); i++) {
      assertThat(after.get(i).baseOffset()).isEqualTo(after.get(i - 1).nextOffset());
    }
  }

  @Test
  void a_segment_cut_mid_batch_is_truncated_there_and_later_segments_are_deleted() throws IOException {
    writeLog();
    List<Path> segments = segmentFiles(".log");
    assertThat(segments).hasSizeGreaterThanOrEqualTo(4);
    Path damaged = segments.get(2);
    List<Integer> positions = batchPositions(damaged);
    long tornOffset = written.stream().filter(b -> b.baseOffset() >= baseOffsetOf(damaged)).toList().get(1).baseOffset();
    long originalSize = Files.size(damaged);
    long laterBytes = 0;
    for (Path later : segments.subList(3, segments.size())) {
      laterBytes += Files.size(later);
    }
    cut(damaged, positions.get(1) + 40); // torn inside its second batch's header

    // A crash after the first segment was flushed: recovery starts at the second segment.
    PartitionLog log = open(new PartitionCheckpoint(baseOffsetOf(segments.get(1)), 0, 0));

    RecoveryReport report = log.recoveryReport();
    assertThat(report.truncated()).isTrue();
    assertThat(report.truncatedAtOffset()).isEqualTo(tornOffset);
    assertThat(report.segmentsRecovered()).isEqualTo(2);
    assertThat(report.segmentsDeleted()).isEqualTo(segments.size() - 3);
    assertThat(report.bytesTruncated()).isEqualTo(40 + laterBytes);
    assertThat(originalSize).isGreaterThan(positions.get(1) + 40);
    assertThat(log.segmentBaseOffsets()).containsExactly(baseOffsetOf(segments.get(0)),
        baseOffsetOf(segments.get(1)), baseOffsetOf(damaged));
    for (Path later : segments.subList(3, segments.size())) {
      assertThat(later).doesNotExist();
    }
    assertThat(log.recoveryPoint()).isEqualTo(tornOffset);
    assertCutAt(log, tornOffset);

    List<StoredBatch> afterRecovery = readAll(log);
    log.close();
    PartitionLog reopened = open(log.checkpoint());
    assertThat(reopened.recoveryReport().recoveryRan()).isFalse();
    assertThat(readAll(reopened)).isEqualTo(afterRecovery);
  }

  @ParameterizedTest(name = "flip byte {0} ({1})")
  @CsvSource({
      "0, outer tag",
      "3, message length",
      "8, base offset (not under the CRC: caught by offset density)",
      "27, last offset delta",
      "46, max timestamp",
      "55, producer id",
      "84, records length",
      "100, payload",
  })
  void a_flipped_byte_in_a_batch_truncates_the_log_at_that_batch(int byteInBatch, String field) throws IOException {
    writeLog();
    List<Path> segments = segmentFiles(".log");
    Path damaged = segments.get(1);
    List<Integer> positions = batchPositions(damaged);
    StoredBatch bad = written.stream().filter(b -> b.baseOffset() >= baseOffsetOf(damaged)).toList().get(2);
    flipByte(damaged, positions.get(2) + byteInBatch);

    PartitionLog log = open(PartitionCheckpoint.NONE); // crash before anything was flushed

    assertThat(log.recoveryReport().truncatedAtOffset()).isEqualTo(bad.baseOffset());
    assertThat(log.segmentBaseOffsets()).containsExactly(baseOffsetOf(segments.get(0)), baseOffsetOf(damaged));
    assertThat(Files.size(damaged)).isEqualTo((long) positions.get(2));
    assertCutAt(log, bad.baseOffset());
  }

  @Test
  void a_crash_with_an_unflushed_tail_recovers_from_the_recovery_point() throws IOException {
    PartitionLog log = open(PartitionCheckpoint.NONE);
    for (int i = 0; i < 10; i++) {
      log.appendAsLeader(batch(2, 300, START_TIME + i), 1);
    }
    log.flush();
    for (int i = 10; i < 15; i++) {
      log.appendAsLeader(batch(2, 300, START_TIME + i), 1);
    }
    written = readAll(log);
    PartitionCheckpoint checkpoint = log.checkpoint();
    assertThat(checkpoint.recoveryPoint()).isEqualTo(20);
    log.abandon(); // no flush, no index trimming: what a crash leaves

    Path last = segmentFiles(".log").get(segmentFiles(".log").size() - 1);
    List<Integer> positions = batchPositions(last);
    cut(last, Files.size(last) - 1);

    PartitionLog recovered = open(checkpoint);
    long lastBatchOffset = written.get(written.size() - 1).baseOffset();
    assertThat(recovered.recoveryReport().recoveryRan()).isTrue();
    assertThat(recovered.recoveryReport().truncatedAtOffset()).isEqualTo(lastBatchOffset);
    assertThat(Files.size(last)).isEqualTo((long) positions.get(positions.size() - 1));
    assertCutAt(recovered, lastBatchOffset);
  }

  @Test
  void a_crash_without_damage_loses_nothing() {
    PartitionLog log = open(PartitionCheckpoint.NONE);
    for (int i = 0; i < 15; i++) {
      log.appendAsLeader(batch(2, 300, START_TIME + i), 1);
    }
    written = readAll(log);
    PartitionCheckpoint checkpoint = log.checkpoint();
    log.abandon();

    PartitionLog recovered = open(checkpoint);
    assertThat(recovered.recoveryReport().recoveryRan()).isTrue();
    assertThat(recovered.recoveryReport().truncated()).isFalse();
    assertThat(readAll(recovered)).isEqualTo(written);
    assertThat(recovered.recoveryPoint()).isEqualTo(recovered.logEndOffset());
  }

  @Test
  void missing_index_files_are_rebuilt_identically() throws IOException {
    PartitionCheckpoint checkpoint = writeLog();
    Map<Path, byte[]> indexes = new HashMap<>();
    for (Path file : concat(segmentFiles(".index"), segmentFiles(".timeindex"))) {
      indexes.put(file, Files.readAllBytes(file));
      Files.delete(file);
    }
    int segments = segmentFiles(".log").size();

    PartitionLog log = open(checkpoint);
    RecoveryReport report = log.recoveryReport();
    assertThat(report.indexesRebuilt()).isEqualTo(segments - 1); // the last is recovered as a whole
    assertThat(report.segmentsRecovered()).isEqualTo(segments);
    assertThat(report.truncated()).isFalse();
    assertThat(readAll(log)).isEqualTo(written);
    assertThat(log.findFirstBatchAtOrAfterTimestamp(START_TIME + 17))
        .hasValueSatisfying(b -> assertThat(b).isEqualTo(written.get(17)));
    log.close();

    for (Map.Entry<Path, byte[]> index : indexes.entrySet()) {
      assertThat(Files.readAllBytes(index.getKey())).as(index.getKey().toString()).isEqualTo(index.getValue());
    }
    PartitionLog reopened = open(log.checkpoint());
    assertThat(reopened.recoveryReport().recoveryRan()).isFalse();
  }

  @Test
  void a_corrupt_index_is_rebuilt() throws IOException {
    PartitionCheckpoint checkpoint = writeLog();
    Path index = segmentFiles(".index").get(1);
    Files.write(index, new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1}); // maps offset base+9 into a batch

    PartitionLog log = open(checkpoint);
    assertThat(log.recoveryReport().indexesRebuilt()).isEqualTo(1);
    assertThat(log.recoveryReport().segmentsRecovered()).isEqualTo(1);
    assertThat(readAll(log)).isEqualTo(written);
    for (StoredBatch batch : written) {
      assertThat(log.read(batch.lastOffset(), 1, Long.MAX_VALUE, true).batches()).containsExactly(batch);
    }
  }

  @Test
  void a_segment_that_does_not_continue_the_log_is_dropped() throws IOException {
    writeLog();
    List<Path> segments = segmentFiles(".log");
    Path last = segments.get(segments.size() - 1);
    long base = baseOffsetOf(last);
    Files.move(last, dir().resolve(LogSegment.fileStem(base + 1) + ".log"));
    Files.delete(dir().resolve(LogSegment.fileStem(base) + ".index"));
    Files.delete(dir().resolve(LogSegment.fileStem(base) + ".timeindex"));

    PartitionLog log = open(PartitionCheckpoint.NONE);
    assertThat(log.recoveryReport().segmentsDeleted()).isEqualTo(1);
    assertCutAt(log, base);
  }

  @Test
  void recovery_copes_with_indexes_that_shrank_since_the_segments_were_written() {
    PartitionLog log = PartitionLog.open(dir(), config("index.interval.bytes", "0"), PartitionCheckpoint.NONE, clock);
    for (int i = 0; i < 40; i++) {
      log.appendAsLeader(batch(1, 20, START_TIME + i), 1);
    }
    written = readAll(log);
    log.close();

    PartitionLog recovered = PartitionLog.open(dir(),
        config("index.interval.bytes", "0", "segment.index.bytes", "48"), PartitionCheckpoint.NONE, clock);
    opened.add(recovered);
    assertThat(recovered.recoveryReport().truncated()).isFalse();
    assertThat(readAll(recovered)).isEqualTo(written);
    for (int i = 0; i < 40; i += 3) {
      assertThat(recovered.findFirstBatchAtOrAfterTimestamp(START_TIME + i)).contains(written.get(i));
      assertThat(recovered.read(i, 1, Long.MAX_VALUE, true).batches()).containsExactly(written.get(i));
    }
    recovered.appendAsLeader(batch(1, 20, START_TIME + 100), 1); // a full index rolls
    assertThat(recovered.segmentBaseOffsets()).containsExactly(0L, 40L);
  }

  private static List<Path> concat(List<Path> a, List<Path> b) {
    List<Path> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
