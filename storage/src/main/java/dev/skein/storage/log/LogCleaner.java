package dev.skein.storage.log;

import dev.skein.storage.log.PartitionLog.CleanableSegment;
import dev.skein.storage.log.PartitionLog.CleanerView;
import dev.skein.storage.log.RecordSetWire.WireRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One cleaner thread's worker: compacts one log per {@link #clean} call (cleanup.policy=compact).
 *
 * <p>A pass (1) finds the cleanable part of the log: the closed segments wholly below the high watermark and
 * older than min.compaction.lag.ms; the part from the cleaned-up-to checkpoint on is dirty; (2) reads the dirty
 * records into the {@link OffsetMap} (key &rarr; latest offset), stopping where the map is full; (3) recopies
 * the segments from the log start to where the map ends, in groups of consecutive segments that together fit
 * one segment, keeping a record unless a later record of its key is in the map, or it is a tombstone below the
 * map's end in a segment last written more than delete.retention.ms ago. Each group becomes one cleaned
 * segment that {@link PartitionLog#replaceSegments} swaps in (crash-safe), so cleaning needs about one
 * segment of spare disk. The pass returns the offset up to which the log is now clean; the next pass starts
 * there.
 *
 * <p>What a cleaned batch keeps: its header (base offset, last_offset_delta, epoch, producer fields,
 * timestamps), with record_count, the payload (the kept records' encodings, recompressed with the batch's
 * codec) and the CRC re-stamped. A batch left without records is dropped, unless it is the first or last of
 * its group (so a cleaned segment spans exactly the offsets of the segments it replaces), the last batch
 * of an idempotent producer (so producer state rebuilt from headers stays right) or the first batch of a
 * leader epoch (so the epoch cache rebuilt from headers stays right); those stay with an empty,
 * uncompressed payload. A batch that follows a dropped one is marked {@link BatchLayout#FLAG_OFFSET_GAP_BEFORE}.
 * Batches whose codec the {@link PayloadCodec} lacks are kept whole.
 */
final class LogCleaner {

  private static final Logger log = LoggerFactory.getLogger(LogCleaner.class);
  private static final int READ_CHUNK = 1 << 20;
  private static final int WRITE_CHUNK = 1 << 20;

  /**
   * What one pass did.
   *
   * @param cleanedUpTo       the new cleaned-up-to point (the old one when nothing was cleanable)
   * @param firstUncleanable  where the cleanable part ended; the log is fully clean when cleanedUpTo reaches it
   */
  record Result(long firstDirty, long cleanedUpTo, long firstUncleanable, long bytesRead, long bytesWritten,
          int segmentsCleaned, int groups, long recordsRemoved, int mapEntries) {
    boolean cleanedAnything() {
      return segmentsCleaned > 0;
    }

    boolean complete() {
      return cleanedUpTo >= firstUncleanable;
    }
  }

  /** How dirty a log is; see {@link #assess}. */
  record Assessment(long firstDirty, long firstUncleanable, long cleanBytes, long dirtyBytes, boolean pastMaxLag) {
    double dirtyRatio() {
      long total = cleanBytes + dirtyBytes;
      return total == 0 ? 0 : (double) dirtyBytes / total;
    }

    boolean hasDirty() {
      return dirtyBytes > 0 && firstDirty < firstUncleanable;
    }
  }

  private final OffsetMap map;
  private final CleanerThrottle throttle;
  private final PayloadCodec codec;
  private final Clock clock;
  private final CleanerHook hook;
  /** Set by {@link #stop()}: the cleaning in progress gives up at its next batch. */
  private volatile boolean stopped;

  LogCleaner(OffsetMap map, CleanerThrottle throttle, PayloadCodec codec, Clock clock, CleanerHook hook) {
    this.map = map;
    this.throttle = throttle;
    this.codec = codec;
    this.clock = clock;
    this.hook = hook;
  }

  /** Makes the cleaning in progress (and any later one) abort soon, for shutdown. */
  void stop() {
    stopped = true;
  }

  /** The cleanable prefix of {@code view}'s closed segments and how much of it is dirty. */
  static Assessment assess(CleanerView view, long cleanedUpTo, long nowMs) {
    LogConfig config = view.config();
    long firstDirty = Math.max(cleanedUpTo, view.logStartOffset());
    long firstUncleanable = view.closedSegments().isEmpty() ? firstDirty
        : view.closedSegments().get(0).baseOffset();
    long clean = 0;
    long dirty = 0;
    boolean pastMaxLag = false;
    for (CleanableSegment segment : view.closedSegments()) {
      boolean tooNew = config.minCompactionLagMs() > 0 && segment.maxTimestampMs() != LogSegment.NO_TIMESTAMP
          && segment.maxTimestampMs() > nowMs - config.minCompactionLagMs();
      if (segment.nextOffset() > view.highWatermark() || tooNew) {
        break;
      }
      firstUncleanable = segment.nextOffset();
      if (segment.nextOffset() <= firstDirty) {
        clean += segment.sizeInBytes();
      } else {
        dirty += segment.sizeInBytes();
        if (segment.maxTimestampMs() != LogSegment.NO_TIMESTAMP
            && nowMs - segment.maxTimestampMs() > config.maxCompactionLagMs()) {
          pastMaxLag = true;
        }
      }
    }
    firstDirty = Math.max(firstDirty, view.closedSegments().isEmpty() ? firstDirty
        : view.closedSegments().get(0).baseOffset());
    return new Assessment(firstDirty, firstUncleanable, clean, dirty, pastMaxLag);
  }

  /**
   * Cleans {@code partitionLog} once from {@code cleanedUpTo} (the checkpoint; 0 if none).
   *
   * @throws CleaningAbortedException if the log was truncated, closed or lost segments meanwhile
   */
  Result clean(PartitionLog partitionLog, long cleanedUpTo) throws IOException {
    CleanerView view = partitionLog.cleanerView();
    long nowMs = clock.millis();
    Assessment assessment = assess(view, cleanedUpTo, nowMs);
    long firstDirty = assessment.firstDirty();
    long firstUncleanable = assessment.firstUncleanable();
    if (!assessment.hasDirty()) {
      return new Result(firstDirty, Math.max(cleanedUpTo, firstDirty), firstUncleanable, 0, 0, 0, 0, 0, 0);
    }
    List<CleanableSegment> cleanable = new ArrayList<>();
    for (CleanableSegment segment : view.closedSegments()) {
      if (segment.nextOffset() > firstUncleanable) {
        break;
      }
      cleanable.add(segment);
    }
    long startNanos = System.nanoTime();
    Counters counters = new Counters();
    map.clear();
    long mapEnd = buildMap(partitionLog, view.generation(), cleanable, firstDirty, firstUncleanable, counters);
    Set<Long> producerLastOffsets = partitionLog.producerLastOffsets();
    Set<Long> epochStarts = new java.util.HashSet<>();
    for (EpochEntry entry : partitionLog.epochEntries()) {
      epochStarts.add(entry.startOffset());
    }
    long deleteHorizonMs = nowMs - view.config().deleteRetentionMs();
    List<CleanableSegment> toClean = new ArrayList<>();
    for (CleanableSegment segment : cleanable) {
      if (segment.baseOffset() >= mapEnd) {
        break;
      }
      toClean.add(segment);
    }
    int groups = 0;
    for (List<CleanableSegment> group : groups(toClean, view.config())) {
      cleanGroup(partitionLog, view, group, mapEnd, deleteHorizonMs, producerLastOffsets, epochStarts, counters);
      groups++;
    }
    Result result = new Result(firstDirty, mapEnd, firstUncleanable, counters.read, counters.written,
        toClean.size(), groups, counters.removed, map.size());
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    log.info("Cleaned {}: offsets {}..{} dirty ({} keys), {} segments in {} groups, {} -> {} bytes, {} records removed"
        + " in {} s ({} MB/s)", partitionLog.dir(), firstDirty, mapEnd, map.size(), toClean.size(), groups,
        counters.read, counters.written, counters.removed, String.format("%.1f", seconds),
        String.format("%.1f", counters.read / 1e6 / Math.max(seconds, 1e-3)));
    return result;
  }

  private static final class Counters {
    long read;
    long written;
    long removed;
  }

  /** Fills the map from the dirty records; returns the offset it covers up to (exclusive). */
  private long buildMap(PartitionLog partitionLog, long generation, List<CleanableSegment> cleanable, long firstDirty,
              long firstUncleanable, Counters counters) {
    for (CleanableSegment segment : cleanable) {
      if (segment.nextOffset() <= firstDirty) {
        continue;
      }
      SegmentReader reader = new SegmentReader(partitionLog, generation, segment);
      for (StoredBatch batch = reader.next(); batch != null; batch = reader.next()) {
        if (batch.lastOffset() < firstDirty) {
          continue;
        }
        ByteBuffer plain = plainRecords(batch);
        if (plain == null) {
          continue;
        }
        for (WireRecord record : RecordSetWire.parse(plain)) {
          long offset = batch.baseOffset() + record.offsetDelta();
          if (offset < firstDirty || !record.hasKey()) {
            continue;
          }
          if (!map.put(plain, record.keyStart(), record.keyLength(), offset)) {
            return offset; // full: a later pass goes on from here
          }
        }
      }
      counters.read += segment.sizeInBytes();
    }
    return firstUncleanable;
  }

  /** The decompressed RecordSet of a batch, or null if it cannot be read (unknown codec or bad encoding). */
  private ByteBuffer plainRecords(StoredBatch batch) {
    if (!codec.supports(batch.compression())) {
      return null;
    }
    try {
      ByteBuffer plain = codec.decompress(batch.compression(), batch.payload());
      RecordSetWire.parse(plain); // validates before any decision relies on it
      return plain;
    } catch (IllegalArgumentException e) {
      log.warn("Batch at offset {} has unreadable records; kept as is: {}", batch.baseOffset(), e.getMessage());
      return null;
    }
  }

  /** Consecutive segments whose total size fits one segment (at least one per group). */
  static List<List<CleanableSegment>> groups(List<CleanableSegment> segments, LogConfig config) {
    List<List<CleanableSegment>> groups = new ArrayList<>();
    List<CleanableSegment> current = new ArrayList<>();
    long bytes = 0;
    for (CleanableSegment segment : segments) {
      boolean fits = current.isEmpty() || (bytes + segment.sizeInBytes() <= config.segmentBytes()
          && segment.nextOffset() - current.get(0).baseOffset() <= Integer.MAX_VALUE);
      if (!fits) {
        groups.add(current);
        current = new ArrayList<>();
        bytes = 0;
      }
      current.add(segment);
      bytes += segment.sizeInBytes();
    }
    if (!current.isEmpty()) {
      groups.add(current);
    }
    return groups;
  }

  private void cleanGroup(PartitionLog partitionLog, CleanerView view, List<CleanableSegment> group, long mapEnd,
              long deleteHorizonMs, Set<Long> producerLastOffsets, Set<Long> epochStarts, Counters counters)
      throws IOException {
    long groupBase = group.get(0).baseOffset();
    long groupEnd = group.get(group.size() - 1).nextOffset();
    LogConfig config = view.config();
    LogSegment cleaned = LogSegment.createCleaned(partitionLog.dir(), groupBase, config);
    try {
      Writer writer = new Writer(cleaned, config, clock.millis());
      long expected = groupBase;
      long lastModified = 0;
      for (CleanableSegment segment : group) {
        lastModified = Math.max(lastModified, segment.lastModifiedMs());
        boolean tombstonesExpired = segment.lastModifiedMs() < deleteHorizonMs;
        SegmentReader reader = new SegmentReader(partitionLog, view.generation(), segment);
        for (StoredBatch batch = reader.next(); batch != null; batch = reader.next()) {
          boolean firstOfGroup = batch.baseOffset() == groupBase;
          boolean lastOfGroup = batch.nextOffset() >= groupEnd;
          boolean producerLast = ProducerStateManager.isIdempotent(batch.producerId())
              && producerLastOffsets.contains(batch.lastOffset());
          ByteBuffer plain = plainRecords(batch);
          ByteBuffer entry;
          if (plain == null) {
            entry = withGapFlag(batch, batch.baseOffset() != expected);
          } else {
            List<WireRecord> records = RecordSetWire.parse(plain);
            List<WireRecord> kept = new ArrayList<>(records.size());
            for (WireRecord record : records) {
              if (retain(record, batch.baseOffset() + record.offsetDelta(), plain, mapEnd, tombstonesExpired)) {
                kept.add(record);
              }
            }
            counters.removed += records.size() - kept.size();
            // The first batch of a leader epoch stays too, so the epoch cache rebuilt from headers is unchanged.
            if (kept.isEmpty() && !firstOfGroup && !lastOfGroup && !producerLast
                && !epochStarts.contains(batch.baseOffset())) {
              continue; // dropped whole
            }
            boolean gap = batch.baseOffset() != expected;
            entry = kept.size() == records.size() ? withGapFlag(batch, gap) : rebuilt(batch, plain, kept, gap);
          }
          writer.add(entry, batch);
          expected = batch.nextOffset();
        }
        counters.read += segment.sizeInBytes();
      }
      if (expected != groupEnd) {
        throw new CleaningAbortedException("Segments " + groupBase + ".." + groupEnd + " of " + partitionLog.dir()
            + " end at offset " + expected + ", not at the next segment");
      }
      writer.finish();
      counters.written += cleaned.size();
      cleaned.seal();
      cleaned.flush();
      cleaned.close();
      cleaned.setLastModifiedMs(lastModified); // tombstones keep their delete.retention.ms clock
    } catch (IOException | RuntimeException e) {
      try {
        cleaned.deleteFiles();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    hook.reached(CleanerHook.Step.CLEANED_WRITTEN);
    List<LogSegment> replaced = new ArrayList<>(group.size());
    for (CleanableSegment segment : group) {
      replaced.add(segment.segment());
    }
    if (!partitionLog.replaceSegments(replaced, view.generation(), hook)) {
      throw new CleaningAbortedException(partitionLog.dir() + " changed while it was being cleaned");
    }
  }

  private boolean retain(WireRecord record, long offset, ByteBuffer plain, long mapEnd, boolean tombstonesExpired) {
    if (!record.hasKey()) {
      return true; // nothing to compact it by
    }
    if (map.get(plain, record.keyStart(), record.keyLength()) > offset) {
      return false; // superseded by a later record of its key
    }
    // A tombstone below the map's end has removed every older record of its key in this or an earlier pass.
    return record.hasValue() || offset >= mapEnd || !tombstonesExpired;
  }

  /** The batch's bytes, marked as following a gap if {@code gap}. */
  private static ByteBuffer withGapFlag(StoredBatch batch, boolean gap) {
    ByteBuffer original = batch.buffer();
    if (!gap || (batch.flags() & BatchLayout.FLAG_OFFSET_GAP_BEFORE) != 0) {
      return original;
    }
    ByteBuffer copy = ByteBuffer.allocate(original.remaining()).order(ByteOrder.LITTLE_ENDIAN);
    copy.put(original.duplicate()).flip();
    copy.putInt(BatchLayout.FLAGS_POSITION, batch.flags() | BatchLayout.FLAG_OFFSET_GAP_BEFORE);
    restampCrc(copy);
    return copy;
  }

  /** The batch with only {@code kept} records, same header otherwise. */
  private ByteBuffer rebuilt(StoredBatch batch, ByteBuffer plain, List<WireRecord> kept, boolean gap) {
    int compression = batch.compression();
    ByteBuffer payload;
    if (kept.isEmpty()) {
      compression = PayloadCodec.COMPRESSION_NONE; // an empty set needs no codec frame
      payload = ByteBuffer.allocate(0);
    } else {
      payload = codec.compress(compression, RecordSetWire.encode(plain, kept));
    }
    ByteBuffer entry = ByteBuffer.allocate(BatchLayout.HEADER_SIZE + payload.remaining()).order(ByteOrder.LITTLE_ENDIAN);
    entry.put(batch.buffer().limit(BatchLayout.HEADER_SIZE));
    entry.put(payload.duplicate());
    entry.flip();
    BatchLayout.writePaddedVarint(entry, BatchLayout.LENGTH_POSITION, BatchLayout.MESSAGE_OVERHEAD + payload.remaining());
    BatchLayout.writePaddedVarint(entry, BatchLayout.RECORDS_LENGTH_POSITION, payload.remaining());
    entry.putInt(BatchLayout.RECORD_COUNT_POSITION, kept.size());
    entry.put(BatchLayout.COMPRESSION_POSITION, (byte) compression);
    if (gap) {
      entry.putInt(BatchLayout.FLAGS_POSITION, batch.flags() | BatchLayout.FLAG_OFFSET_GAP_BEFORE);
    }
    restampCrc(entry);
    return entry;
  }

  private static void restampCrc(ByteBuffer entry) {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(entry.duplicate().position(BatchLayout.CRC_COVERAGE_START));
    entry.putInt(BatchLayout.CRC_POSITION, (int) crc.getValue());
  }

  /** Reads a closed segment batch by batch through the log (so a reshaped log aborts the cleaning), throttled. */
  private final class SegmentReader {
    private final PartitionLog partitionLog;
    private final long generation;
    private final CleanableSegment segment;
    private final int size;
    private int position;
    private ByteBuffer chunk = ByteBuffer.allocate(0);

    SegmentReader(PartitionLog partitionLog, long generation, CleanableSegment segment) {
      this.partitionLog = partitionLog;
      this.generation = generation;
      this.segment = segment;
      this.size = (int) segment.sizeInBytes();
    }

    StoredBatch next() {
      if (stopped) {
        throw new CleaningAbortedException("The cleaner is stopping");
      }
      if (!chunk.hasRemaining()) {
        if (position >= size) {
          return null;
        }
        ByteBuffer read = read(Math.min(READ_CHUNK, size - position));
        int whole = BatchLayout.lengthOfWholeEntries(read);
        if (whole == 0) {
          int entrySize = BatchLayout.declaredEntrySize(read, 0); // one batch larger than a chunk
          read = read(entrySize);
          whole = entrySize;
        }
        read.limit(whole);
        chunk = read.order(ByteOrder.LITTLE_ENDIAN);
        position += whole;
      }
      return StoredBatch.readFrom(chunk); // validated: a corrupt batch stops the cleaning, never spreads
    }

    private ByteBuffer read(int length) {
      throttle.acquire(length);
      return partitionLog.readForCleaner(segment.segment(), generation, position, length);
    }
  }

  /** Appends entries to the cleaned segment in runs of about {@value #WRITE_CHUNK} bytes. */
  private final class Writer {
    private final LogSegment segment;
    private final LogConfig config;
    private final long nowMs;
    private final List<ByteBuffer> pending = new ArrayList<>();
    private final List<BatchLocation> locations = new ArrayList<>();
    private int pendingBytes;

    Writer(LogSegment segment, LogConfig config, long nowMs) {
      this.segment = segment;
      this.config = config;
      this.nowMs = nowMs;
    }

    void add(ByteBuffer entry, StoredBatch original) throws IOException {
      locations.add(new BatchLocation(pendingBytes, entry.remaining(), original.baseOffset(), original.lastOffset(),
          original.maxTimestamp()));
      pending.add(entry);
      pendingBytes += entry.remaining();
      if (pendingBytes >= WRITE_CHUNK) {
        finish();
      }
    }

    void finish() throws IOException {
      if (pending.isEmpty()) {
        return;
      }
      throttle.acquire(pendingBytes);
      segment.append(pending.toArray(new ByteBuffer[0]), List.copyOf(locations), nowMs, config.indexIntervalBytes());
      pending.clear();
      locations.clear();
      pendingBytes = 0;
    }
  }
}
