package dev.skein.storage.log;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Whole entries read from a log, ready to send as the {@code batches} field of a protobuf message.
 *
 * @param entries               from position 0, the reader's own copy of the log's bytes (nothing else
 *                              refers to it, so it is not wrapped read-only); empty if nothing could be returned
 * @param firstBatchBaseOffset  base offset of the first entry (it may be below the offset asked for), or
 *                              {@link #NO_OFFSET} if empty
 * @param nextOffset            the offset after the last entry: where the next read continues; or
 *                              {@link #NO_OFFSET} if empty
 * @param logStartOffset        the log start offset when the read ran
 * @param logEndOffset          the log end offset the read was bounded by
 * @param highWatermark         the high watermark when the read ran
 */
public record LogReadResult(ByteBuffer entries, long firstBatchBaseOffset, long nextOffset, long logStartOffset,
              long logEndOffset, long highWatermark) {

  public static final long NO_OFFSET = -1;

  static LogReadResult empty(long logStartOffset, long logEndOffset, long highWatermark) {
    return new LogReadResult(ByteBuffer.allocate(0), NO_OFFSET, NO_OFFSET, logStartOffset,
        logEndOffset, highWatermark);
  }

  public boolean isEmpty() {
    return !entries.hasRemaining();
  }

  public int sizeInBytes() {
    return entries.remaining();
  }

  /** The entries as validated {@link StoredBatch} views sharing this result's bytes. */
  public List<StoredBatch> batches() {
    List<StoredBatch> batches = new ArrayList<>();
    ByteBuffer cursor = entries.duplicate();
    while (cursor.hasRemaining()) {
      batches.add(StoredBatch.readFrom(cursor));
    }
    return batches;
  }
}
