package dev.skein.storage.log;

import dev.skein.storage.log.InvalidBatchException.Reason;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * A flyweight view of one stored entry (see {@link BatchLayout}); accessors read the fields in place,
 * and every buffer it hands out is read-only. Instances made by {@link #readFrom} have been fully
 * validated.
 */
public final class StoredBatch {

  /**
   * Little-endian, position 0, limit = entry size. Never written, and never handed out as it is: it
   * stays writable when its source is because {@link CRC32C} reads a buffer with an accessible
   * array in place, but copies a read-only heap buffer through a 4 KiB scratch array.
   */
  private final ByteBuffer entry;

  private StoredBatch(ByteBuffer entry) {
    this.entry = entry;
  }

  /**
   * Validates the entry at {@code source}'s position (tags, padded varints, L == 81 + P, counts, CRC),
   * advances the position past it, and returns a view sharing {@code source}'s content.
   *
   * @throws InvalidBatchException if the bytes are not one whole, valid entry; the position is unchanged
   */
  public static StoredBatch readFrom(ByteBuffer source) {
    int start = source.position();
    int available = source.remaining();
    if (available < BatchLayout.MESSAGE_START) {
      throw new InvalidBatchException(Reason.TRUNCATED,
          "Only " + available + " bytes left, fewer than an entry's length prefix");
    }
    int size = BatchLayout.declaredEntrySize(source, start);
    if (size > available) {
      throw new InvalidBatchException(Reason.TRUNCATED,
          "Entry declares " + size + " bytes but only " + available + " are present");
    }
    BatchLayout.validateHeader(source, start);
    StoredBatch batch = new StoredBatch(
        source.slice(start, size).order(ByteOrder.LITTLE_ENDIAN));
    int computed = batch.computeCrc();
    if (computed != batch.crc()) {
      throw new InvalidBatchException(Reason.CRC_MISMATCH, "CRC-32C mismatch in batch at offset "
          + batch.baseOffset() + ": stored 0x" + Integer.toHexString(batch.crc()) + ", computed 0x"
          + Integer.toHexString(computed));
    }
    source.position(start + size);
    return batch;
  }

  /**
   * Builds a complete entry in a new heap buffer, as a leader would store it (copies the payload; the
   * log's own append path does not). For tests, tools and replication fixtures.
   */
  public static StoredBatch build(long baseOffset, int leaderEpoch, BatchAppend batch) {
    long size = batch.entrySize();
    if (size > Integer.MAX_VALUE) {
      throw new InvalidBatchException(Reason.INVALID_HEADER, "Entry of " + size + " bytes is too large");
    }
    ByteBuffer buffer = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    BatchLayout.writeHeader(buffer, baseOffset, leaderEpoch, batch, batch.maxTimestamp());
    buffer.put(BatchLayout.HEADER_SIZE, batch.payload().slice(), 0, batch.payloadSize());
    buffer.putInt(BatchLayout.CRC_POSITION,
        BatchLayout.crc(buffer, buffer.slice(BatchLayout.HEADER_SIZE, batch.payloadSize())));
    return readFrom(buffer);
  }

  public long baseOffset() {
    return entry.getLong(BatchLayout.BASE_OFFSET_POSITION);
  }

  public int leaderEpoch() {
    return entry.getInt(BatchLayout.LEADER_EPOCH_POSITION);
  }

  public int crc() {
    return entry.getInt(BatchLayout.CRC_POSITION);
  }

  public int lastOffsetDelta() {
    return entry.getInt(BatchLayout.LAST_OFFSET_DELTA_POSITION);
  }

  public long lastOffset() {
    return baseOffset() + lastOffsetDelta();
  }

  /** The offset after this batch. */
  public long nextOffset() {
    return lastOffset() + 1;
  }

  public int recordCount() {
    return entry.getInt(BatchLayout.RECORD_COUNT_POSITION);
  }

  public long firstTimestamp() {
    return entry.getLong(BatchLayout.FIRST_TIMESTAMP_POSITION);
  }

  public long maxTimestamp() {
    return entry.getLong(BatchLayout.MAX_TIMESTAMP_POSITION);
  }

  public long producerId() {
    return entry.getLong(BatchLayout.PRODUCER_ID_POSITION);
  }

  public int producerEpoch() {
    return entry.getInt(BatchLayout.PRODUCER_EPOCH_POSITION);
  }

  public int baseSequence() {
    return entry.getInt(BatchLayout.BASE_SEQUENCE_POSITION);
  }

  public int compression() {
    return entry.get(BatchLayout.COMPRESSION_POSITION);
  }

  public int timestampType() {
    return entry.get(BatchLayout.TIMESTAMP_TYPE_POSITION);
  }

  public int flags() {
    return entry.getInt(BatchLayout.FLAGS_POSITION);
  }

  public int payloadSize() {
    return entry.limit() - BatchLayout.HEADER_SIZE;
  }

  /** The opaque records payload (read-only, shares this batch's bytes). */
  public ByteBuffer payload() {
    return entry.slice(BatchLayout.HEADER_SIZE, payloadSize()).asReadOnlyBuffer();
  }

  public int sizeInBytes() {
    return entry.limit();
  }

  /** The whole entry as stored (read-only, little-endian, position 0). */
  public ByteBuffer buffer() {
    return entry.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  public int computeCrc() {
    CRC32C crc = new CRC32C();
    crc.update(entry.duplicate().position(BatchLayout.CRC_COVERAGE_START));
    return (int) crc.getValue();
  }

  /** Whether the stored CRC still matches the bytes (they may be shared with a mutable buffer). */
  public boolean isValid() {
    return computeCrc() == crc();
  }

  /** A copy that owns its bytes, independent of the buffer this view was read from. */
  public StoredBatch copy() {
    ByteBuffer copy = ByteBuffer.allocate(entry.limit());
    copy.put(entry.duplicate());
    return new StoredBatch(copy.flip().order(ByteOrder.LITTLE_ENDIAN));
  }

  /** Equal when the stored bytes are equal. */
  @Override
  public boolean equals(Object other) {
    return other instanceof StoredBatch that && entry.equals(that.entry);
  }

  @Override
  public int hashCode() {
    return entry.hashCode();
  }

  @Override
  public String toString() {
    return "StoredBatch[offsets " + baseOffset() + ".." + lastOffset() + ", records " + recordCount()
        + ", leaderEpoch " + leaderEpoch() + ", maxTimestamp " + maxTimestamp() + ", size "
        + sizeInBytes() + "]";
  }
}
