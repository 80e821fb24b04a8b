package dev.skein.storage.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * One segment of a partition log: {@code <base>.log} holding whole entries back to back, with its
 * {@code <base>.index} ({@link OffsetIndex}) and {@code <base>.timeindex} ({@link TimeIndex}), where
 * {@code <base>} is the 20-digit zero-padded offset of its first batch.
 *
 * <p>Appends, truncation and index maintenance are single-writer (the owning log serializes them). Reads
 * are positional and take a {@code maxPosition} from the log's published end, so they never see bytes of a
 * batch still being written.
 */
final class LogSegment {

  private static final Logger log = LoggerFactory.getLogger(LogSegment.class);

  static final String LOG_SUFFIX = ".log";
  static final String INDEX_SUFFIX = ".index";
  static final String TIME_INDEX_SUFFIX = ".timeindex";
  /** How much a header-only scan reads at a time. */
  private static final int HEADER_SCAN_CHUNK = 64 * 1024;
  /** Below any real timestamp: a segment without batches has no maximum. */
  static final long NO_TIMESTAMP = Long.MIN_VALUE;

  /** How a segment's bytes held up when every batch was validated. */
  record Recovery(long nextOffset, int validBatches, long truncatedBytes, InvalidBatchException problem) {
    boolean truncated() {
      return problem != null;
    }
  }

  private final long baseOffset;
  private final Path logFile;
  private final FileChannel channel;
  private final OffsetIndex offsetIndex;
  private final TimeIndex timeIndex;
  private volatile int size;
  /**
   * Bytes of the log file known to be on disk: the size when the last fsync of its data began (a crash may
   * lose anything after it). Tests use it to simulate losing the page cache.
   */
  private volatile int durableSize;
  private volatile long maxTimestamp = NO_TIMESTAMP;

  // Writer state: touched only under the log's append lock (or while the log is being loaded).
  private long offsetOfMaxTimestamp;
  private int bytesSinceLastIndexEntry;
  /** When the segment's first batch arrived; segment.ms counts from here. -1 while empty. */
  private long rollingBaseTimeMs = -1;

  private LogSegment(long baseOffset, Path logFile, FileChannel channel, OffsetIndex offsetIndex,
            TimeIndex timeIndex, int size) {
    this.baseOffset = baseOffset;
    this.logFile = logFile;
    this.channel = channel;
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    this.size = size;
    // An existing file was validated (and fsynced) or trusted by the loader; a new one is empty.
    this.durableSize = size;
    this.offsetOfMaxTimestamp = baseOffset;
  }

  static String fileStem(long baseOffset) {
    if (baseOffset < 0) {
      throw new IllegalArgumentException("negative base offset " + baseOffset);
    }
    // Zero-padded to 20 digits by hand: String.format was 7 % of opening 10,000 logs.
    String digits = Long.toString(baseOffset);
    return "0".repeat(20 - digits.length()) + digits;
  }

  static Path logFile(Path dir, long baseOffset) {
    return dir.resolve(fileStem(baseOffset) + LOG_SUFFIX);
  }

  static Path indexFile(Path dir, long baseOffset) {
    return dir.resolve(fileStem(baseOffset) + INDEX_SUFFIX);
  }

  static Path timeIndexFile(Path dir, long baseOffset) {
    return dir.resolve(fileStem(baseOffset) + TIME_INDEX_SUFFIX);
  }

  /** Suffix of the files of a segment the cleaner is still writing; never part of the log. */
  static final String CLEANED_SUFFIX = ".cleaned";
  /** Suffix of the files of a cleaned segment committed to replace the segments it covers. */
  static final String SWAP_SUFFIX = ".swap";

  static Path withSuffix(Path file, String suffix) {
    return file.resolveSibling(file.getFileName() + suffix);
  }

  /**
   * Creates an empty, writable segment at {@code baseOffset} whose files carry {@link #CLEANED_SUFFIX}, for
   * the cleaner to fill next to the segments it replaces. Leftovers of an abandoned cleaning are replaced.
   */
  static LogSegment createCleaned(Path dir, long baseOffset, LogConfig config) throws IOException {
    Path file = withSuffix(logFile(dir, baseOffset), CLEANED_SUFFIX);
    Path index = withSuffix(indexFile(dir, baseOffset), CLEANED_SUFFIX);
    Path timeIndex = withSuffix(timeIndexFile(dir, baseOffset), CLEANED_SUFFIX);
    Files.deleteIfExists(file);
    Files.deleteIfExists(index);
    Files.deleteIfExists(timeIndex);
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    try {
      return new LogSegment(baseOffset, file, channel,
          new OffsetIndex(index, baseOffset, config.segmentIndexBytes(), true),
          new TimeIndex(timeIndex, baseOffset, config.segmentIndexBytes(), true), 0);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Sets the log file's modification time (a cleaned segment keeps that of the newest segment it replaces). */
  void setLastModifiedMs(long ms) throws IOException {
    Files.setLastModifiedTime(logFile, java.nio.file.attribute.FileTime.fromMillis(ms));
  }

  /** Creates an empty, writable segment starting at {@code baseOffset}. */
  static LogSegment create(Path dir, long baseOffset, LogConfig config) throws IOException {
    // Index files without a log are leftovers of a deleted segment: start them afresh.
    Files.deleteIfExists(indexFile(dir, baseOffset));
    Files.deleteIfExists(timeIndexFile(dir, baseOffset));
    Path file = logFile(dir, baseOffset);
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    try {
      return new LogSegment(baseOffset, file, channel,
          new OffsetIndex(indexFile(dir, baseOffset), baseOffset, config.segmentIndexBytes(), true),
          new TimeIndex(timeIndexFile(dir, baseOffset), baseOffset, config.segmentIndexBytes(), true), 0);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * Opens an existing segment. Its indexes are mapped as found (a missing index opens empty) and must be
   * checked with {@link #loadTrusted()} or {@link #verifyCleanTail()}, or rebuilt with {@link #recover}.
   */
  static LogSegment open(Path dir, long baseOffset, LogConfig config, boolean writable) throws IOException {
    Path file = logFile(dir, baseOffset);
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      long fileSize = channel.size();
      if (fileSize > Integer.MAX_VALUE) {
        throw new IOException("Segment " + file + " is " + fileSize + " bytes, larger than a segment can be");
      }
      channel.position(fileSize);
      return new LogSegment(baseOffset, file, channel,
          new OffsetIndex(indexFile(dir, baseOffset), baseOffset, config.segmentIndexBytes(), writable),
          new TimeIndex(timeIndexFile(dir, baseOffset), baseOffset, config.segmentIndexBytes(), writable),
          (int) fileSize);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  long baseOffset() {
    return baseOffset;
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** The largest max_timestamp of the segment's batches, or {@link #NO_TIMESTAMP}. */
  long maxTimestamp() {
    return maxTimestamp;
  }

  /** Whether this (active) segment holds data and is older than segment.ms, so it should roll even without an append. */
  boolean dueToRoll(long nowMs, LogConfig config) {
    return size > 0 && rollingBaseTimeMs >= 0 && nowMs - rollingBaseTimeMs >= config.segmentMs();
  }

  /** When the segment file was last written, for retention when no batch carries a timestamp. */
  long lastModifiedMs() {
    try {
      return java.nio.file.Files.getLastModifiedTime(logFile).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  Path logFile() {
    return logFile;
  }

  boolean indexFilesExistedAtOpen() {
    return offsetIndex.existedAtOpen() && timeIndex.existedAtOpen();
  }

  // ---------------------------------------------------------------- appends

  /**
   * Whether {@code batchCount} more batches of {@code bytes} in all, the last ending at {@code lastOffset},
   * belong in this segment, or a new one should be rolled first. An empty segment takes any single batch,
   * however large, so an oversized batch cannot get stuck.
   */
  boolean canAppend(long bytes, int batchCount, long lastOffset, long nowMs, LogConfig config) {
    if (size == 0 && batchCount <= 1) {
      return true;
    }
    return size + bytes <= config.segmentBytes()
        && lastOffset - baseOffset <= Integer.MAX_VALUE
        && offsetIndex.entries() + batchCount <= offsetIndex.maxEntries()
        && timeIndex.entries() + batchCount <= timeIndex.maxEntries() - 1
        && !(size > 0 && nowMs - rollingBaseTimeMs >= config.segmentMs());
  }

  /**
   * Appends whole entries with one gathering write and indexes them.
   *
   * @param sources the bytes, written in order without copying
   * @param batches the batches the sources hold, positions relative to the first byte written
   * @return the position the first byte was written at
   */
  int append(ByteBuffer[] sources, List<BatchLocation> batches, long nowMs, int indexIntervalBytes)
      throws IOException {
    int start = size;
    long total = 0;
    for (ByteBuffer source : sources) {
      total += source.remaining();
    }
    try {
      long written = 0;
      while (written < total) {
        written += channel.write(sources);
      }
    } catch (IOException e) {
      // Leave no partial entry behind: the next append must start at a batch boundary.
      try {
        channel.truncate(start);
        channel.position(start);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    if (start == 0) {
      rollingBaseTimeMs = nowMs;
    }
    for (BatchLocation batch : batches) {
      indexBatch(batch, start + batch.position(), indexIntervalBytes);
    }
    size = Math.toIntExact(start + total);
    return start;
  }

  private void indexBatch(BatchLocation batch, int position, int indexIntervalBytes) {
    if (batch.maxTimestamp() > maxTimestamp) {
      maxTimestamp = batch.maxTimestamp();
      offsetOfMaxTimestamp = batch.baseOffset();
    }
    // Appends never find an index full (canAppend rolls first); a rebuild can, if segment.index.bytes
    // shrank since the segment was written. Skipping entries only makes the indexes sparser.
    boolean room = !offsetIndex.isFull() && !timeIndex.isFull();
    if (room && (offsetIndex.entries() == 0 || bytesSinceLastIndexEntry >= indexIntervalBytes)) {
      offsetIndex.append(batch.baseOffset(), position);
      timeIndex.maybeAppend(maxTimestamp, offsetOfMaxTimestamp, false);
      bytesSinceLastIndexEntry = 0;
    }
    bytesSinceLastIndexEntry += batch.size();
  }

  /** Prepares for the end of appends (roll or close): records the final max timestamp, trims the indexes. */
  void seal() throws IOException {
    if (maxTimestamp != NO_TIMESTAMP) {
      timeIndex.maybeAppend(maxTimestamp, offsetOfMaxTimestamp, true);
    }
    offsetIndex.trimToEntries();
    timeIndex.trimToEntries();
  }

  /** Makes a sealed segment (the last one after loading or truncation) take appends again. */
  void makeWritable(LogConfig config) throws IOException {
    offsetIndex.makeWritable(config.segmentIndexBytes());
    timeIndex.makeWritable(config.segmentIndexBytes());
  }

  // ---------------------------------------------------------------- reads

  /** The header summary of the batch at {@code position}, which must be a batch boundary. */
  BatchLocation readLocation(int position) {
    ByteBuffer header = ByteBuffer.allocate(BatchLayout.HEADER_SIZE);
    readFully(header, position);
    try {
      return BatchLocation.fromHeader(header, 0, position);
    } catch (InvalidBatchException e) {
      throw new UncheckedIOException(new IOException(
          "Segment " + logFile + " holds a corrupt batch header at position " + position, e));
    }
  }

  /** The leader_epoch of the batch at {@code position}, which must be a batch boundary. */
  int leaderEpochAt(int position) {
    ByteBuffer field = ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    readFully(field, position + BatchLayout.LEADER_EPOCH_POSITION);
    return field.getInt(0);
  }

  /** Receives the header fields a header-only scan reads. */
  interface HeaderVisitor {
    void visit(long baseOffset, int leaderEpoch);
  }

  /** Receives each header a header-only scan finds: all of it is at {@code index} of {@code chunk} (little-endian). */
  interface RawHeaderVisitor {
    void visit(ByteBuffer chunk, int index);
  }

  /** As {@link #forEachRawHeader}, passing on base offset and leader epoch. */
  void forEachBatchHeader(int fromPosition, int maxPosition, HeaderVisitor visitor) {
    forEachRawHeader(fromPosition, maxPosition, (chunk, index) -> visitor.visit(
        chunk.getLong(index + BatchLayout.BASE_OFFSET_POSITION),
        chunk.getInt(index + BatchLayout.LEADER_EPOCH_POSITION)));
  }

  /**
   * Visits the batches in [{@code fromPosition}, {@code maxPosition}) in order, reading only what is needed
   * to find and parse their headers ({@value #HEADER_SCAN_CHUNK} bytes at a time; larger batches are
   * skipped over) and validating nothing: for data the log already trusts. {@code fromPosition} must be a
   * batch boundary.
   */
  void forEachRawHeader(int fromPosition, int maxPosition, RawHeaderVisitor visitor) {
    ByteBuffer chunk = ByteBuffer.allocate(HEADER_SCAN_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    long chunkStart = 0;
    chunk.limit(0);
    int position = fromPosition;
    while (position < maxPosition) {
      if (position + BatchLayout.HEADER_SIZE > chunkStart + chunk.limit()) {
        chunk.clear().limit(Math.min(HEADER_SCAN_CHUNK, maxPosition - position));
        if (chunk.limit() < BatchLayout.HEADER_SIZE) {
          throw corruptHeaderAt(position);
        }
        readFully(chunk, position);
        chunk.flip();
        chunkStart = position;
      }
      int index = (int) (position - chunkStart);
      int size;
      try {
        size = BatchLayout.declaredEntrySize(chunk, index); // at least HEADER_SIZE
      } catch (InvalidBatchException e) {
        throw corruptHeaderAt(position);
      }
      visitor.visit(chunk, index);
      position += size;
    }
  }

  private UncheckedIOException corruptHeaderAt(int position) {
    return new UncheckedIOException(new IOException("Segment " + logFile + " holds no whole batch header at position "
        + position));
  }

  /** The first batch before {@code maxPosition} whose last offset is at least {@code targetOffset}, or null. */
  BatchLocation locate(long targetOffset, int maxPosition) {
    return scan(offsetIndex.lookup(targetOffset).position(), maxPosition, b -> b.lastOffset() >= targetOffset);
  }

  /**
   * The first batch before {@code maxPosition} whose max_timestamp is at least {@code timestamp} and which
   * holds offsets at or above {@code minOffset}, or null. Starts from the time index.
   */
  BatchLocation findByTimestamp(long timestamp, long minOffset, int maxPosition) {
    TimeIndex.TimestampOffset entry = timeIndex.lookup(timestamp);
    long startOffset = Math.max(minOffset, entry == null ? baseOffset : entry.offset());
    return scan(offsetIndex.lookup(startOffset).position(), maxPosition,
        b -> b.maxTimestamp() >= timestamp && b.lastOffset() >= minOffset);
  }

  private BatchLocation scan(int fromPosition, int maxPosition, Predicate<BatchLocation> wanted) {
    int position = fromPosition;
    while (position < maxPosition) {
      BatchLocation batch = readLocation(position);
      if (wanted.test(batch)) {
        return batch;
      }
      position = batch.end();
    }
    return null;
  }

  /** Reads {@code length} bytes at {@code position} into a new heap buffer (position 0). */
  ByteBuffer read(int position, int length) {
    return read(position, length, ReadBuffers.FRESH);
  }

  /** Reads {@code length} bytes at {@code position} into a buffer from {@code buffers} (position 0). */
  ByteBuffer read(int position, int length, ReadBuffers buffers) {
    ByteBuffer buffer = buffers.take(length);
    readFully(buffer, position);
    return buffer.flip();
  }

  private void readFully(ByteBuffer buffer, long position) {
    try {
      long at = position;
      while (buffer.hasRemaining()) {
        int read = channel.read(buffer, at);
        if (read < 0) {
          throw new EOFException("Segment " + logFile + " ended at " + at + " while reading "
              + buffer.limit() + " bytes at " + position);
        }
        at += read;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---------------------------------------------------------------- loading and recovery

  /**
   * Accepts a segment below the recovery point as it is: checks its indexes (O(1)) and takes its maximum
   * timestamp from the time index's final entry.
   *
   * @throws CorruptIndexException if an index is missing or fails its check
   */
  void loadTrusted() {
    if (!indexFilesExistedAtOpen() && size > 0) {
      throw new CorruptIndexException("Index files of " + logFile + " are missing");
    }
    offsetIndex.sanityCheck(size);
    timeIndex.sanityCheck();
    checkLastIndexEntryPointsAtItsBatch();
    TimeIndex.TimestampOffset last = timeIndex.lastEntry();
    if (size > 0 && last == null) {
      throw new CorruptIndexException("Time index of " + logFile + " is empty");
    }
    if (last != null) {
      maxTimestamp = last.timestamp();
      offsetOfMaxTimestamp = last.offset();
    }
  }

  /** One header read: the last offset-index entry must point at a well-formed batch with its offset. */
  private void checkLastIndexEntryPointsAtItsBatch() {
    if (size == 0) {
      return;
    }
    OffsetIndex.OffsetPosition last = offsetIndex.lastEntry();
    if (size - last.position() < BatchLayout.HEADER_SIZE) {
      throw new CorruptIndexException("Offset index of " + logFile + " points at position " + last.position()
          + ", too close to the end of the " + size + "-byte log for a batch");
    }
    ByteBuffer header = ByteBuffer.allocate(BatchLayout.HEADER_SIZE);
    readFully(header, last.position());
    try {
      BatchLayout.validateHeader(header, 0);
    } catch (InvalidBatchException e) {
      throw new CorruptIndexException("Offset index of " + logFile + " points at position " + last.position()
          + ", where there is no batch header: " + e.getMessage());
    }
    long found = BatchLocation.fromHeader(header, 0, last.position()).baseOffset();
    if (found != last.offset()) {
      throw new CorruptIndexException("Offset index of " + logFile + " maps offset " + last.offset()
          + " to a batch at offset " + found);
    }
  }

  /**
   * For the last segment when the recovery point claims it is fully flushed: if its indexes pass their
   * checks and every batch from the last index entry to the end of the file is valid and dense, returns
   * the next offset (the cost is at most index.interval.bytes plus one batch). Otherwise empty, and the
   * segment must be recovered.
   */
  OptionalLong verifyCleanTail() throws IOException {
    try {
      loadTrusted();
    } catch (CorruptIndexException e) {
      log.info("Indexes of {} need rebuilding: {}", logFile, e.getMessage());
      return OptionalLong.empty();
    }
    OffsetIndex.OffsetPosition last = offsetIndex.lastEntry();
    ValidatingBatchScanner scanner = new ValidatingBatchScanner(channel, last.position(), size);
    long expected = last.offset();
    try {
      for (BatchLocation batch = scanner.next(); batch != null; batch = scanner.next()) {
        if (batch.baseOffset() != expected) {
          return OptionalLong.empty();
        }
        if (batch.maxTimestamp() > maxTimestamp) {
          maxTimestamp = batch.maxTimestamp();
          offsetOfMaxTimestamp = batch.baseOffset();
        }
        expected = batch.nextOffset();
      }
    } catch (InvalidBatchException e) {
      return OptionalLong.empty();
    }
    bytesSinceLastIndexEntry = size - last.position();
    return OptionalLong.of(expected);
  }

  /**
   * Validates every batch from the start of the file (layout, CRC, base offsets dense from the segment's
   * base offset, except for a gap the cleaner left and marked with {@link BatchLayout#FLAG_OFFSET_GAP_BEFORE}),
   * rebuilds both indexes, and truncates the file at the first torn or corrupt batch.
   * Leaves the indexes writable; the caller seals the segment if it is not the last.
   */
  Recovery recover(LogConfig config) throws IOException {
    offsetIndex.resetForRebuild(config.segmentIndexBytes());
    timeIndex.resetForRebuild(config.segmentIndexBytes());
    maxTimestamp = NO_TIMESTAMP;
    offsetOfMaxTimestamp = baseOffset;
    bytesSinceLastIndexEntry = 0;

    long fileSize = channel.size();
    ValidatingBatchScanner scanner = new ValidatingBatchScanner(channel, 0, fileSize);
    long expected = baseOffset;
    int batches = 0;
    int validBytes = 0;
    InvalidBatchException problem = null;
    while (true) {
      BatchLocation batch;
      try {
        batch = scanner.next();
      } catch (InvalidBatchException e) {
        problem = e;
        break;
      }
      if (batch == null) {
        break;
      }
      // Also before a segment's first batch: a follower that rolls just before a gap in its leader's
      // cleaned log starts the segment at its log end, below that batch.
      boolean markedGap = batch.baseOffset() > expected
          && (scanner.lastFlags() & BatchLayout.FLAG_OFFSET_GAP_BEFORE) != 0;
      if (batch.baseOffset() != expected && !markedGap) {
        problem = new InvalidBatchException(InvalidBatchException.Reason.INVALID_HEADER, "Batch at position "
            + batch.position() + " starts at offset " + batch.baseOffset() + ", expected " + expected);
        break;
      }
      indexBatch(batch, batch.position(), config.indexIntervalBytes());
      expected = batch.nextOffset();
      validBytes = batch.end();
      batches++;
    }
    if (validBytes < fileSize) {
      channel.truncate(validBytes);
    }
    channel.position(validBytes);
    size = validBytes;
    durableSize = Math.min(durableSize, validBytes);
    return new Recovery(expected, batches, fileSize - validBytes, problem);
  }

  /** Sets when segment.ms starts counting for a loaded segment: its first batch's max_timestamp if set. */
  void initRollingBaseTime(long nowMs) {
    if (size == 0) {
      rollingBaseTimeMs = -1;
      return;
    }
    long firstBatchTimestamp = readLocation(0).maxTimestamp();
    rollingBaseTimeMs = firstBatchTimestamp >= 0 ? firstBatchTimestamp : nowMs;
  }

  /**
   * Removes the batch containing {@code offset} and everything after it, and makes the file's new length
   * durable (so the removed history cannot come back after a crash). The segment becomes writable: it is
   * the last one afterwards. Readers must be excluded.
   *
   * @return bytes removed
   */
  int truncateTo(long offset, LogConfig config) throws IOException {
    BatchLocation first = locate(offset, size);
    if (first == null) {
      return 0;
    }
    makeWritable(config);
    int removed = size - first.position();
    offsetIndex.truncateTo(first.baseOffset());
    timeIndex.truncateTo(first.baseOffset());
    channel.truncate(first.position());
    channel.position(first.position());
    channel.force(true);
    size = first.position();
    durableSize = Math.min(durableSize, size);
    recomputeTailState();
    return removed;
  }

  /** Recomputes the writer state from the indexes and the batches after the last index entry. */
  private void recomputeTailState() {
    TimeIndex.TimestampOffset lastTime = timeIndex.lastEntry();
    maxTimestamp = lastTime == null ? NO_TIMESTAMP : lastTime.timestamp();
    offsetOfMaxTimestamp = lastTime == null ? baseOffset : lastTime.offset();
    OffsetIndex.OffsetPosition lastIndexed = offsetIndex.lastEntry();
    int position = lastIndexed.position();
    while (position < size) {
      BatchLocation batch = readLocation(position);
      if (batch.maxTimestamp() > maxTimestamp) {
        maxTimestamp = batch.maxTimestamp();
        offsetOfMaxTimestamp = batch.baseOffset();
      }
      position = batch.end();
    }
    bytesSinceLastIndexEntry = size - lastIndexed.position();
    if (size == 0) {
      rollingBaseTimeMs = -1;
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /** Forces the log data, then the indexes, to disk. */
  void flush() throws IOException {
    flushData();
    offsetIndex.flush();
    timeIndex.flush();
  }

  /**
   * Forces only the log data (and the file length) to disk: what durable topics need before an
   * acknowledgement. The indexes are left to the page cache: recovery rebuilds them for every segment above
   * the recovery point, which only a full {@link #flush()} moves.
   */
  void flushData() throws IOException {
    int covered = size; // everything written before this read is covered by the force below
    channel.force(false);
    durableSize = Math.max(durableSize, covered);
  }

  /** Bytes of the log file on disk for certain (see {@link #durableSize}). */
  int durableSize() {
    return durableSize;
  }

  void close() throws IOException {
    channel.close();
  }

  void deleteFiles() throws IOException {
    channel.close();
    Files.deleteIfExists(logFile);
    offsetIndex.deleteFile();
    timeIndex.deleteFile();
  }

  @Override
  public String toString() {
    return "LogSegment[" + logFile + ", size " + size + "]";
  }
}
