package dev.skein.storage.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * A segment's sparse offset index: entries of (4-byte offset relative to the segment base, 4-byte file
 * position of the batch that starts at that offset), big-endian, strictly increasing in both. The first
 * batch of a segment is always indexed, then one batch per index.interval.bytes of log.
 */
final class OffsetIndex extends MappedIndex {

  static final int ENTRY_SIZE = 8;

  /** A batch's base offset and its position in the segment file. */
  record OffsetPosition(long offset, int position) {
  }

  OffsetIndex(Path file, long baseOffset, int maxIndexBytes, boolean writable) throws IOException {
    super(file, baseOffset, ENTRY_SIZE, maxIndexBytes, writable);
  }

  private static long relativeOffsetAt(ByteBuffer index, int slot) {
    return index.getInt(slot * ENTRY_SIZE);
  }

  private OffsetPosition entryAt(ByteBuffer index, int slot) {
    return new OffsetPosition(baseOffset() + index.getInt(slot * ENTRY_SIZE),
        index.getInt(slot * ENTRY_SIZE + 4));
  }

  /**
   * The indexed batch with the largest base offset at most {@code targetOffset}, or the segment start:
   * where a forward scan for {@code targetOffset} begins. A binary search.
   */
  OffsetPosition lookup(long targetOffset) {
    int count = entries();
    ByteBuffer index = buffer();
    int slot = floorSlot(index, count, targetOffset - baseOffset(), OffsetIndex::relativeOffsetAt);
    return slot < 0 ? new OffsetPosition(baseOffset(), 0) : entryAt(index, slot);
  }

  /** The last entry, or the segment start if the index is empty. */
  OffsetPosition lastEntry() {
    int count = entries();
    return count == 0 ? new OffsetPosition(baseOffset(), 0) : entryAt(buffer(), count - 1);
  }

  /** Writer: indexes the batch starting at {@code offset}, which must follow the last indexed one. */
  void append(long offset, int position) {
    int relative = relativeOffset(offset);
    int count = entries();
    if (count > 0) {
      OffsetPosition last = lastEntry();
      if (offset <= last.offset() || position <= last.position()) {
        throw new IllegalStateException("Index entry (" + offset + ", " + position
            + ") does not follow the last one " + last + " in " + file());
      }
    }
    int at = nextEntryPosition();
    ByteBuffer index = buffer();
    index.putInt(at, relative);
    index.putInt(at + 4, position);
    commitEntry();
  }

  /** Writer: removes the entries for batches starting at or after {@code offset}. */
  void truncateTo(long offset) {
    int slot = floorSlot(buffer(), entries(), offset - baseOffset() - 1, OffsetIndex::relativeOffsetAt);
    truncateToEntries(slot + 1);
  }

  /**
   * Rejects an index that cannot describe a log of {@code logSize} bytes. Like Kafka's, the check is O(1):
   * the first entry must be the segment's first batch (position 0), the last two must increase (a zero tail left by a crash
   * before trimming fails this) and the last must point inside the log.
   */
  void sanityCheck(int logSize) {
    super.sanityCheck();
    int count = entries();
    ByteBuffer index = buffer();
    if (logSize > 0 && count == 0) {
      throw new CorruptIndexException("Offset index " + file() + " is empty but the log holds " + logSize + " bytes");
    }
    if (count == 0) {
      return;
    }
    // The first batch may start above the segment's base offset (after a gap the cleaner left), never
    // anywhere but at position 0.
    if (index.getInt(0) < 0 || index.getInt(4) != 0) {
      throw new CorruptIndexException("Offset index " + file() + " does not start with the segment's first batch");
    }
    int last = count - 1;
    if (last > 0 && (index.getInt(last * ENTRY_SIZE) <= index.getInt((last - 1) * ENTRY_SIZE)
        || index.getInt(last * ENTRY_SIZE + 4) <= index.getInt((last - 1) * ENTRY_SIZE + 4))) {
      throw new CorruptIndexException("Offset index " + file() + " does not increase at its last entry");
    }
    if (index.getInt(last * ENTRY_SIZE + 4) >= logSize) {
      throw new CorruptIndexException("Offset index " + file() + " points beyond the log's " + logSize + " bytes");
    }
  }
}
