package dev.skein.storage.log;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Where a batch sits and the header values the log needs to find, index and bound it, without its payload.
 *
 * @param position byte position of the entry (in its segment, or in the buffer it was read from)
 */
record BatchLocation(int position, int size, long baseOffset, long lastOffset, long maxTimestamp) {

  /** Reads the summary from a header at {@code index} whose shape has been or is trusted to be valid. */
  static BatchLocation fromHeader(ByteBuffer buffer, int index, int position) {
    ByteBuffer b = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int size = BatchLayout.declaredEntrySize(b, index);
    long baseOffset = b.getLong(index + BatchLayout.BASE_OFFSET_POSITION);
    int lastOffsetDelta = b.getInt(index + BatchLayout.LAST_OFFSET_DELTA_POSITION);
    return new BatchLocation(position, size, baseOffset, baseOffset + lastOffsetDelta,
        b.getLong(index + BatchLayout.MAX_TIMESTAMP_POSITION));
  }

  static BatchLocation of(StoredBatch batch, int position) {
    return new BatchLocation(position, batch.sizeInBytes(), batch.baseOffset(), batch.lastOffset(),
        batch.maxTimestamp());
  }

  int end() {
    return position + size;
  }

  long nextOffset() {
    return lastOffset + 1;
  }
}
