package dev.skein.storage.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A memory-mapped file of fixed-size, sorted entries, as Kafka keeps its indexes.
 *
 * <p>The active segment's index is preallocated to segment.index.bytes so appends only write into the
 * mapping; when the segment is sealed (rolled or closed) the file is trimmed to its entries. An index file
 * that was not trimmed therefore holds a zero tail, which the sanity checks reject, so an index left by a
 * crash is rebuilt rather than trusted.
 *
 * <p>Concurrency: one writer (the log's append lock); readers use absolute reads of entries below the
 * volatile {@code entries}, which the writer publishes after writing an entry. A replaced mapping is never
 * unmapped explicitly (the JDK has no safe way to); it is dropped when unreachable, so a reader still
 * holding it reads valid memory. Truncation runs only while the log excludes readers.
 */
abstract class MappedIndex {

  /** Finds the key of the entry in a slot (entries sorted by that key). */
  @FunctionalInterface
  interface SlotKey {
    long at(ByteBuffer index, int slot);
  }

  private static final int FIRST_PAGE_BYTES = 4096;

  private final Path file;
  private final long baseOffset;
  private final int entrySize;
  private final boolean existedAtOpen;
  private final long lengthAtOpen;
  private volatile MappedByteBuffer mmap;
  private volatile int entries;
  private int maxEntries;
  /** The file's length changed since the last fsync, so the next flush must sync metadata too. */
  private boolean lengthChanged;

  /**
   * Opens or creates the index. A writable index is extended to {@code maxIndexBytes} (or to its current
   * entries, if more); a read-only one is mapped at its current length.
   */
  MappedIndex(Path file, long baseOffset, int entrySize, int maxIndexBytes, boolean writable) throws IOException {
    this.file = file;
    this.baseOffset = baseOffset;
    this.entrySize = entrySize;
    this.existedAtOpen = Files.exists(file);
    this.lengthAtOpen = existedAtOpen ? Files.size(file) : 0;
    this.entries = (int) Math.min(lengthAtOpen / entrySize, Integer.MAX_VALUE / entrySize);
    remap(writable ? Math.max(maxIndexBytes / entrySize, entries) : entries, writable);
  }

  final long baseOffset() {
    return baseOffset;
  }

  final Path file() {
    return file;
  }

  final boolean existedAtOpen() {
    return existedAtOpen;
  }

  final int entries() {
    return entries;
  }

  final int maxEntries() {
    return maxEntries;
  }

  boolean isFull() {
    return entries >= maxEntries;
  }

  /** The current mapping; entries below {@link #entries()} (read first) are valid in it. */
  final ByteBuffer buffer() {
    return mmap;
  }

  final int relativeOffset(long offset) {
    long relative = offset - baseOffset;
    if (relative < 0 || relative > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("Offset " + offset + " is not within an int of segment base " + baseOffset);
    }
    return (int) relative;
  }

  /** Slot of the last of the first {@code count} entries whose key is at most {@code target}, or -1. */
  static int floorSlot(ByteBuffer index, int count, long target, SlotKey key) {
    int low = 0;
    int high = count - 1;
    int found = -1;
    while (low <= high) {
      int mid = (low + high) >>> 1;
      if (key.at(index, mid) <= target) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }

  /** Writer: the byte position for the next entry, if the file has room for one. */
  final int nextEntryPosition() {
    if (entries >= maxEntries) {
      throw new IllegalStateException("Index " + file + " is full (" + maxEntries + " entries)");
    }
    return entries * entrySize;
  }

  /** Writer: publishes the entry just written at {@link #nextEntryPosition()}. */
  final void commitEntry() {
    entries = entries + 1;
  }

  /**
   * Writer: keeps only the first {@code count} entries. In a writable index the removed entries are
   * zeroed, so the file never holds stale entries after its real ones (the sanity check relies on that).
   */
  final void truncateToEntries(int count) {
    int old = entries;
    if (count >= old) {
      return;
    }
    entries = count;
    MappedByteBuffer current = mmap;
    if (!current.isReadOnly()) {
      for (int position = count * entrySize; position < old * entrySize; position++) {
        current.put(position, (byte) 0);
      }
    }
  }

  /** Writer: empties the index and maps it writable at {@code maxIndexBytes}, for a rebuild. */
  final void resetForRebuild(int maxIndexBytes) throws IOException {
    entries = 0;
    remap(0, false);
    remap(maxIndexBytes / entrySize, true);
  }

  /** Checks the file's length before its entries: a partial entry means it was not trimmed cleanly. */
  void sanityCheck() {
    if (lengthAtOpen % entrySize != 0) {
      throw new CorruptIndexException("Index " + file + " has length " + lengthAtOpen
          + ", not a multiple of the entry size " + entrySize);
    }
  }

  /** Trims the file to its entries and maps it read-only: for a segment that no longer takes appends. */
  final void trimToEntries() throws IOException {
    remap(entries, false);
  }

  /** Extends the file to {@code maxIndexBytes} and maps it writable: for a segment that takes appends again. */
  final void makeWritable(int maxIndexBytes) throws IOException {
    remap(Math.max(maxIndexBytes / entrySize, entries), true);
  }

  // Synchronized with flush(): a flush must not force a mapping while a roll replaces it.
  private synchronized void remap(int capacityEntries, boolean writable) throws IOException {
    long length = (long) capacityEntries * entrySize;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      if (channel.size() != length) {
        // Shrinking or growing the file under an older mapping is safe: nothing reads that mapping
        // beyond the entries, which lie within both lengths.
        if (channel.size() > length) {
          channel.truncate(length);
        } else {
          if (writable && channel.size() == 0 && length > 0) {
            // A new index: write its first page's zeros through the file, so the page is in the
            // cache before the mapping touches it. Otherwise the first append faults on a hole
            // and the kernel reads ahead a run of the sparse file around it (zeros, often
            // hundreds of KiB), which for thousands of new segments at once is gigabytes of page
            // cache and a busy page reclaimer.
            channel.write(ByteBuffer.allocate((int) Math.min(FIRST_PAGE_BYTES, length)), 0);
          }
          channel.write(ByteBuffer.allocate(1), length - 1);
        }
        lengthChanged = true;
      }
      this.mmap = channel.map(writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY,
          0, length);
    }
    this.maxEntries = capacityEntries;
  }

  /** Forces written entries (and a changed length) to disk. */
  final synchronized void flush() throws IOException {
    MappedByteBuffer current = mmap;
    if (!current.isReadOnly()) {
      current.force();
    }
    if (lengthChanged) {
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      lengthChanged = false;
    }
  }

  final void deleteFile() {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not delete index " + file, e);
    }
  }
}
