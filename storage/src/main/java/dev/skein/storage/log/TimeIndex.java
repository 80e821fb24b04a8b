package dev.skein.storage.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * A segment's sparse time index, Kafka's semantics: entries of (8-byte maximum timestamp seen so far in the
 * segment, 4-byte relative base offset of the batch that carries it), big-endian. At each offset-index point
 * an entry is added if the segment's maximum timestamp has risen since the last entry, so timestamps are
 * strictly increasing; when the segment is sealed a final entry records its overall maximum. One slot is
 * kept in reserve for that final entry.
 */
final class TimeIndex extends MappedIndex {

  static final int ENTRY_SIZE = 12;

  /** A maximum timestamp and the base offset of the batch that carries it. */
  record TimestampOffset(long timestamp, long offset) {
  }

  TimeIndex(Path file, long baseOffset, int maxIndexBytes, boolean writable) throws IOException {
    super(file, baseOffset, ENTRY_SIZE, maxIndexBytes, writable);
  }

  private static long timestampAt(ByteBuffer index, int slot) {
    return index.getLong(slot * ENTRY_SIZE);
  }

  private static long relativeOffsetAt(ByteBuffer index, int slot) {
    return index.getInt(slot * ENTRY_SIZE + 8);
  }

  private TimestampOffset entryAt(ByteBuffer index, int slot) {
    return new TimestampOffset(timestampAt(index, slot), baseOffset() + relativeOffsetAt(index, slot));
  }

  /** Full when only the slot reserved for the segment's final entry is left. */
  @Override
  boolean isFull() {
    return entries() >= maxEntries() - 1;
  }

  /**
   * The entry with the largest timestamp at most {@code timestamp}, or null. Every batch before that
   * entry's offset has a smaller maximum timestamp, so a scan for the first batch whose maximum reaches
   * {@code timestamp} can start there. A binary search.
   */
  TimestampOffset lookup(long timestamp) {
    int count = entries();
    ByteBuffer index = buffer();
    int slot = floorSlot(index, count, timestamp, TimeIndex::timestampAt);
    return slot < 0 ? null : entryAt(index, slot);
  }

  /** The last entry (the segment's maximum timestamp once sealed), or null. */
  TimestampOffset lastEntry() {
    int count = entries();
    return count == 0 ? null : entryAt(buffer(), count - 1);
  }

  /**
   * Writer: adds (timestamp, offset) if {@code timestamp} is above the last entry's. The final entry of a
   * sealed segment may use the reserved slot.
   */
  void maybeAppend(long timestamp, long offset, boolean isFinalEntry) {
    TimestampOffset last = lastEntry();
    if (last != null && timestamp <= last.timestamp()) {
      return;
    }
    if (!isFinalEntry && isFull()) {
      throw new IllegalStateException("Time index " + file() + " is full");
    }
    ByteBuffer index = buffer();
    if (entries() >= maxEntries()) {
      // Only when a rebuild filled the reserved slot too. Replacing the last entry keeps the index
      // increasing (the new maximum is later and larger) and its last entry the segment's maximum.
      int at = (entries() - 1) * ENTRY_SIZE;
      index.putLong(at, timestamp);
      index.putInt(at + 8, relativeOffset(offset));
      return;
    }
    int at = nextEntryPosition();
    index.putLong(at, timestamp);
    index.putInt(at + 8, relativeOffset(offset));
    commitEntry();
  }

  /** Writer: removes entries whose batch starts at or after {@code offset}. */
  void truncateTo(long offset) {
    // Offsets are nondecreasing, so the entries to keep are a prefix.
    int slot = floorSlot(buffer(), entries(), offset - baseOffset() - 1, TimeIndex::relativeOffsetAt);
    truncateToEntries(slot + 1);
  }

  /**
   * Rejects an index whose last two entries do not increase (as a zero tail left by a crash before
   * trimming does) or whose last offset is negative. O(1), like Kafka's check.
   */
  @Override
  void sanityCheck() {
    super.sanityCheck();
    int last = entries() - 1;
    ByteBuffer index = buffer();
    if (last < 0) {
      return;
    }
    if (relativeOffsetAt(index, last) < 0) {
      throw new CorruptIndexException("Time index " + file() + " has a negative offset in its last entry");
    }
    if (last > 0 && (timestampAt(index, last) <= timestampAt(index, last - 1)
        || relativeOffsetAt(index, last) < relativeOffsetAt(index, last - 1))) {
      throw new CorruptIndexException("Time index " + file() + " does not increase at its last entry");
    }
  }
}
