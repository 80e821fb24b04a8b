package dev.skein.storage.log;

import dev.skein.storage.log.InvalidBatchException.Reason;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * Reads a region of a segment file batch by batch, validating each one completely (layout and CRC), for
 * recovery. Reads sequentially in fixed-size chunks and streams the CRC over the payload, so a corrupt
 * length can never make it allocate more than one chunk.
 */
final class ValidatingBatchScanner {

  private static final int CHUNK_SIZE = 1 << 20;

  private final FileChannel channel;
  private final long end;
  private final ByteBuffer chunk;
  private final CRC32C crc = new CRC32C();
  /** File position of chunk[0]; the chunk holds file bytes [chunkStart, chunkStart + chunk.limit()). */
  private long chunkStart;
  private long position;
  private int lastFlags;

  ValidatingBatchScanner(FileChannel channel, long start, long end) {
    this.channel = channel;
    this.end = end;
    // No bigger than the region: a restart verifies the tail of every log, usually a few batches,
    // and 10,000 logs with a 1 MiB chunk each were 10 GiB of zeroed allocations.
    this.chunk = ByteBuffer.allocate((int) Math.min(CHUNK_SIZE, Math.max(BatchLayout.HEADER_SIZE, end - start)))
        .order(ByteOrder.LITTLE_ENDIAN);
    this.position = start;
    this.chunkStart = start;
    chunk.limit(0);
  }

  /** File position of the next entry: after the last valid batch returned. */
  long position() {
    return position;
  }

  /** The flags field of the batch {@link #next()} returned last. */
  int lastFlags() {
    return lastFlags;
  }

  /**
   * The next batch, or null at the end of the region.
   *
   * @throws InvalidBatchException if the bytes at {@link #position()} are torn or corrupt
   */
  BatchLocation next() throws IOException {
    long remaining = end - position;
    if (remaining == 0) {
      return null;
    }
    if (remaining < BatchLayout.HEADER_SIZE) {
      throw new InvalidBatchException(Reason.TRUNCATED, remaining + " bytes at position " + position
          + " are fewer than a batch header");
    }
    if (position + BatchLayout.HEADER_SIZE > chunkStart + chunk.limit()) {
      fill(position);
    }
    int index = (int) (position - chunkStart);
    int size = BatchLayout.validateHeader(chunk, index);
    if (size > remaining) {
      throw new InvalidBatchException(Reason.TRUNCATED, "Batch at position " + position + " declares "
          + size + " bytes but only " + remaining + " remain");
    }
    BatchLocation batch = BatchLocation.fromHeader(chunk, index, Math.toIntExact(position));
    int storedCrc = chunk.getInt(index + BatchLayout.CRC_POSITION);
    int flags = chunk.getInt(index + BatchLayout.FLAGS_POSITION); // before crcOf, which may refill the chunk
    int computedCrc = crcOf(position + BatchLayout.CRC_COVERAGE_START, position + size);
    if (storedCrc != computedCrc) {
      throw new InvalidBatchException(Reason.CRC_MISMATCH, "CRC-32C mismatch in batch at position "
          + position + " (offset " + batch.baseOffset() + ")");
    }
    lastFlags = flags;
    position += size;
    return batch;
  }

  private int crcOf(long from, long to) throws IOException {
    crc.reset();
    long at = from;
    while (at < to) {
      if (at >= chunkStart + chunk.limit()) {
        fill(at);
      }
      int start = (int) (at - chunkStart);
      int stop = (int) Math.min(chunk.limit(), to - chunkStart);
      crc.update(chunk.duplicate().limit(stop).position(start));
      at += stop - start;
    }
    return (int) crc.getValue();
  }

  private void fill(long filePosition) throws IOException {
    chunk.clear();
    chunk.limit((int) Math.min(chunk.capacity(), end - filePosition));
    long at = filePosition;
    while (chunk.hasRemaining()) {
      int read = channel.read(chunk, at);
      if (read < 0) {
        throw new EOFException("Segment file ended at " + at + " while reading up to " + end);
      }
      at += read;
    }
    chunk.flip();
    chunkStart = filePosition;
  }
}
