package dev.skein.storage.log;

import dev.skein.storage.log.InvalidBatchException.Reason;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * What a leader appends: the header values the broker took from the producer's batch, and the opaque
 * records payload (a serialized, maybe compressed, {@code RecordSet}) which the log never decodes.
 * The log assigns base_offset and last_offset_delta, stamps the leader epoch and computes the CRC.
 *
 * @param payload read from its position to its limit; neither is changed by the log
 */
public record BatchAppend(int recordCount, long firstTimestamp, long maxTimestamp, long producerId,
             int producerEpoch, int baseSequence, int compression, int timestampType, int flags,
             ByteBuffer payload) {

  public BatchAppend {
    Objects.requireNonNull(payload, "payload");
    if (recordCount < 1) {
      throw new InvalidBatchException(Reason.INVALID_HEADER,
          "A batch must hold at least one record, not " + recordCount);
    }
    requireOneByteVarint(compression, "compression");
    requireOneByteVarint(timestampType, "timestamp_type");
  }

  private static void requireOneByteVarint(int value, String field) {
    if (value < 0 || value > BatchLayout.MAX_ONE_BYTE_VARINT) {
      throw new InvalidBatchException(Reason.INVALID_HEADER,
          field + " must be in [0, " + BatchLayout.MAX_ONE_BYTE_VARINT + "], not " + value);
    }
  }

  public int payloadSize() {
    return payload.remaining();
  }

  /** Size of the stored entry: header plus payload. */
  public long entrySize() {
    return BatchLayout.entrySize(payload.remaining());
  }
}
