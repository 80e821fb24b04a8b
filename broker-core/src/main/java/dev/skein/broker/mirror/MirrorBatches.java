package dev.skein.broker.mirror;

import dev.skein.storage.log.BatchLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Reading headers of stored batches (see {@link BatchLayout}) without decoding records. */
final class MirrorBatches {

  private MirrorBatches() {}

  /** The size of the stored entry at {@code position}. */
  static int entrySize(ByteBuffer buffer, int position) {
    long value = 0;
    for (int i = 0; i < BatchLayout.PADDED_VARINT_SIZE; i++) {
      int b = buffer.get(position + BatchLayout.LENGTH_POSITION + i) & 0xFF;
      value |= (long) (b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        break;
      }
    }
    return BatchLayout.MESSAGE_START + (int) value;
  }

  /** The max timestamp of the last entry, or -1 if there is none. */
  static long maxTimestampOfLast(ByteBuffer entries) {
    ByteBuffer b = entries.slice().order(ByteOrder.LITTLE_ENDIAN);
    long ts = -1;
    int position = 0;
    while (position < b.limit()) {
      ts = b.getLong(position + BatchLayout.MAX_TIMESTAMP_POSITION);
      position += entrySize(b, position);
    }
    return ts;
  }
}
