package dev.skein.storage.log;

import java.nio.ByteBuffer;
import java.util.Arrays;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

/**
 * The cleaner's key &rarr; latest offset map, in a fixed amount of memory chosen up front
 * (log.cleaner.dedupe.buffer.size divided among the cleaner threads). Keys are stored as a 128-bit digest,
 * two XXH64 hashes under different seeds, so every entry costs 24 bytes whatever the key's size; two keys would
 * have to share both hashes for the cleaner to confuse them. Kafka uses MD5 for the same digest; XXH64 is as
 * unlikely to collide on keys that are not crafted to (and MD5 resists crafted collisions no better), and
 * hashing was the largest cost of building the map. Open addressing with linear probing, filled to at most
 * {@value #LOAD_FACTOR} of its slots: a log whose dirty part has more distinct keys is cleaned in several
 * passes. Not thread-safe: one per cleaner thread.
 */
final class OffsetMap {

  static final int BYTES_PER_ENTRY = 2 * Long.BYTES + Long.BYTES;
  static final double LOAD_FACTOR = 0.9;

  private final long[] hashHigh;
  private final long[] hashLow;
  /** -1 marks a free slot; offsets are never negative. */
  private final long[] offsets;
  private final int capacity;
  private final int maxEntries;
  private static final long SEED_HIGH = 0x5ce1_0f_a1L;
  private static final long SEED_LOW = 0x6b2f_93_d7L;
  private static final XXHash64 XXH64 = XXHashFactory.fastestInstance().hash64();
  private int entries;

  OffsetMap(long memoryBytes) {
    long slots = Math.max(2, memoryBytes / BYTES_PER_ENTRY);
    if (slots > Integer.MAX_VALUE - 8) {
      slots = Integer.MAX_VALUE - 8;
    }
    this.capacity = (int) slots;
    this.maxEntries = Math.max(1, (int) (capacity * LOAD_FACTOR));
    this.hashHigh = new long[capacity];
    this.hashLow = new long[capacity];
    this.offsets = new long[capacity];
    Arrays.fill(offsets, -1);
  }

  /** Memory held by the map's arrays. */
  long memoryBytes() {
    return (long) capacity * BYTES_PER_ENTRY;
  }

  int size() {
    return entries;
  }

  int maxEntries() {
    return maxEntries;
  }

  void clear() {
    Arrays.fill(offsets, -1);
    entries = 0;
  }

  /**
   * Records {@code offset} as the latest of {@code key} (bytes [start, start + length) of {@code buffer}) if it is
   * above what the map holds.
   *
   * @return false, changing nothing, when the key is new and the map is full
   */
  boolean put(ByteBuffer buffer, int start, int length, long offset) {
    digest(buffer, start, length);
    int slot = find();
    if (offsets[slot] >= 0) {
      if (offset > offsets[slot]) {
        offsets[slot] = offset;
      }
      return true;
    }
    if (entries >= maxEntries) {
      return false;
    }
    hashHigh[slot] = high;
    hashLow[slot] = low;
    offsets[slot] = offset;
    entries++;
    return true;
  }

  /** The latest offset of the key, or -1 if the map does not hold it. */
  long get(ByteBuffer buffer, int start, int length) {
    digest(buffer, start, length);
    return offsets[find()];
  }

  private long high;
  private long low;

  private void digest(ByteBuffer buffer, int start, int length) {
    high = XXH64.hash(buffer, start, length, SEED_HIGH);
    low = XXH64.hash(buffer, start, length, SEED_LOW);
  }

  /** The slot holding the current digest, or the free slot where it would go. */
  private int find() {
    int slot = (int) Long.remainderUnsigned(low, capacity);
    while (offsets[slot] >= 0 && (hashHigh[slot] != high || hashLow[slot] != low)) {
      slot = slot + 1 == capacity ? 0 : slot + 1;
    }
    return slot;
  }
}
