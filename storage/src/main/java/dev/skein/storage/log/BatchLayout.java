package dev.skein.storage.log;

import dev.skein.storage.log.InvalidBatchException.Reason;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The byte layout of one stored batch entry: a fixed contract shared with every other module.
 *
 * <p>An entry is, byte for byte, the protobuf wire encoding of one element of
 * {@code repeated RecordBatch batches = 15}, so a contiguous run of entries read from disk is a valid
 * message body for any protobuf client. Every field is present and fixed-width, and both lengths are
 * 5-byte "padded" varints, which is what makes the header positions constant. Integers are little-endian.
 *
 * <pre>
 * 0      0x7A                  tag: field 15, wire type 2 (the outer "batches" field)
 * 1..5   padded varint L       entry size - 6 (length of the RecordBatch message)
 * 6      0x09, 7..14           base_offset        sfixed64 (field 1)
 * 15     0x15, 16..19          leader_epoch       sfixed32 (field 2)
 * 20     0x1D, 21..24          crc32c             fixed32  (field 3), CRC-32C of bytes [25, entry end)
 * 25     0x25, 26..29          last_offset_delta  sfixed32 (field 4)
 * 30     0x2D, 31..34          record_count       sfixed32 (field 5)
 * 35     0x31, 36..43          first_timestamp    sfixed64 (field 6)
 * 44     0x39, 45..52          max_timestamp      sfixed64 (field 7)
 * 53     0x41, 54..61          producer_id        sfixed64 (field 8)
 * 62     0x4D, 63..66          producer_epoch     sfixed32 (field 9)
 * 67     0x55, 68..71          base_sequence      sfixed32 (field 10)
 * 72     0x58, 73              compression        one-byte varint (field 11)
 * 74     0x60, 75              timestamp_type     one-byte varint (field 12)
 * 76     0x6D, 77..80          flags              fixed32  (field 13)
 * 81     0x7A, 82..86          records length P   padded varint (field 15)
 * 87 ..  87+P                  records payload    (opaque: a serialized, maybe compressed, RecordSet)
 * </pre>
 *
 * The CRC leaves out base_offset and leader_epoch so that a leader can stamp them without recomputing
 * it, as Kafka does.
 */
public final class BatchLayout {

  public static final int OUTER_TAG_POSITION = 0;
  public static final int LENGTH_POSITION = 1;
  public static final int BASE_OFFSET_POSITION = 7;
  public static final int LEADER_EPOCH_POSITION = 16;
  public static final int CRC_POSITION = 21;
  /** First byte covered by the CRC: the tag of last_offset_delta. */
  public static final int CRC_COVERAGE_START = 25;
  public static final int LAST_OFFSET_DELTA_POSITION = 26;
  public static final int RECORD_COUNT_POSITION = 31;
  public static final int FIRST_TIMESTAMP_POSITION = 36;
  public static final int MAX_TIMESTAMP_POSITION = 45;
  public static final int PRODUCER_ID_POSITION = 54;
  public static final int PRODUCER_EPOCH_POSITION = 63;
  public static final int BASE_SEQUENCE_POSITION = 68;
  public static final int COMPRESSION_POSITION = 73;
  public static final int TIMESTAMP_TYPE_POSITION = 75;
  public static final int FLAGS_POSITION = 77;
  public static final int RECORDS_LENGTH_POSITION = 82;
  public static final int HEADER_SIZE = 87;

  /** Bytes before the RecordBatch message: the outer tag and the padded length. */
  public static final int MESSAGE_START = 6;
  /** L - P: the RecordBatch message's size without its payload. */
  public static final int MESSAGE_OVERHEAD = HEADER_SIZE - MESSAGE_START;
  public static final int PADDED_VARINT_SIZE = 5;
  /** The largest payload whose entry size still fits an int (positions in a segment are ints). */
  public static final int MAX_PAYLOAD_SIZE = Integer.MAX_VALUE - HEADER_SIZE;

  /** The value of {@code TimestampType.TIMESTAMP_TYPE_LOG_APPEND_TIME}. */
  public static final int TIMESTAMP_TYPE_LOG_APPEND_TIME = 2;
  /**
   * Bit of {@code flags} set by the log cleaner on a batch whose base offset is above the end of the batch
   * before it in the same segment (the batches between were compacted away). Recovery and follower appends
   * accept such a gap only before a batch carrying it; the bit is covered by the CRC, so a corrupt
   * base_offset is still caught in batches that do not carry it. Kept clear of the low bits, which Kafka
   * uses for transactions and control batches.
   */
  public static final int FLAG_OFFSET_GAP_BEFORE = 1 << 16;

  /** Largest value a one-byte varint (compression, timestamp_type) can hold. */
  public static final int MAX_ONE_BYTE_VARINT = 0x7F;

  /** Every tag byte of the header, by position. */
  private static final int[] TAG_POSITIONS = {0, 6, 15, 20, 25, 30, 35, 44, 53, 62, 67, 72, 74, 76, 81};
  private static final byte[] TAGS =
      {0x7A, 0x09, 0x15, 0x1D, 0x25, 0x2D, 0x31, 0x39, 0x41, 0x4D, 0x55, 0x58, 0x60, 0x6D, 0x7A};

  private BatchLayout() {
  }

  /** Positions of the tag bytes in the header (a copy; for tests and tools). */
  public static int[] tagPositions() {
    return TAG_POSITIONS.clone();
  }

  /** Stored size of an entry with a payload of {@code payloadSize} bytes. */
  public static long entrySize(long payloadSize) {
    return HEADER_SIZE + payloadSize;
  }

  /**
   * Writes the header of an entry into {@code header} at absolute positions [0, 87), with the CRC field
   * left zero; see {@link #crc(ByteBuffer, ByteBuffer)}. Does not move the buffer's position.
   */
  static void writeHeader(ByteBuffer header, long baseOffset, int leaderEpoch, BatchAppend batch,
              long maxTimestamp) {
    ByteBuffer h = header.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int payloadSize = batch.payloadSize();
    for (int i = 0; i < TAG_POSITIONS.length; i++) {
      h.put(TAG_POSITIONS[i], TAGS[i]);
    }
    writePaddedVarint(h, LENGTH_POSITION, MESSAGE_OVERHEAD + payloadSize);
    h.putLong(BASE_OFFSET_POSITION, baseOffset);
    h.putInt(LEADER_EPOCH_POSITION, leaderEpoch);
    h.putInt(CRC_POSITION, 0);
    h.putInt(LAST_OFFSET_DELTA_POSITION, batch.recordCount() - 1);
    h.putInt(RECORD_COUNT_POSITION, batch.recordCount());
    h.putLong(FIRST_TIMESTAMP_POSITION, batch.firstTimestamp());
    h.putLong(MAX_TIMESTAMP_POSITION, maxTimestamp);
    h.putLong(PRODUCER_ID_POSITION, batch.producerId());
    h.putInt(PRODUCER_EPOCH_POSITION, batch.producerEpoch());
    h.putInt(BASE_SEQUENCE_POSITION, batch.baseSequence());
    h.put(COMPRESSION_POSITION, (byte) batch.compression());
    h.put(TIMESTAMP_TYPE_POSITION, (byte) batch.timestampType());
    h.putInt(FLAGS_POSITION, batch.flags());
    writePaddedVarint(h, RECORDS_LENGTH_POSITION, payloadSize);
  }

  /** CRC-32C of header bytes [25, 87) followed by the payload. Reads neither buffer's position. */
  static int crc(ByteBuffer header, ByteBuffer payload) {
    CRC32C crc = new CRC32C();
    crc.update(header.duplicate().limit(HEADER_SIZE).position(CRC_COVERAGE_START));
    crc.update(payload.duplicate());
    return (int) crc.getValue();
  }

  /**
   * Writes {@code value} as a 5-byte varint: four bytes with the continuation bit set carrying the low
   * 28 bits, then the high 4 bits. Protobuf parsers accept such non-minimal encodings.
   */
  static void writePaddedVarint(ByteBuffer buffer, int index, int value) {
    for (int i = 0; i < 4; i++) {
      buffer.put(index + i, (byte) (((value >>> (7 * i)) & 0x7F) | 0x80));
    }
    buffer.put(index + 4, (byte) (value >>> 28));
  }

  /**
   * Reads a padded varint written by {@link #writePaddedVarint}; throws {@link InvalidBatchException}
   * unless it has exactly that shape and holds a non-negative int.
   */
  static int readPaddedVarint(ByteBuffer buffer, int index, String field) {
    int value = 0;
    for (int i = 0; i < 4; i++) {
      int b = buffer.get(index + i) & 0xFF;
      if ((b & 0x80) == 0) {
        throw new InvalidBatchException(Reason.MALFORMED,
            field + " is not a 5-byte padded varint (byte " + i + " lacks the continuation bit)");
      }
      value |= (b & 0x7F) << (7 * i);
    }
    int last = buffer.get(index + 4) & 0xFF;
    if (last > 0x07) {
      throw new InvalidBatchException(Reason.MALFORMED,
          field + " is not a 5-byte padded varint holding a non-negative int (last byte 0x"
              + Integer.toHexString(last) + ")");
    }
    return value | (last << 28);
  }

  /**
   * The size the entry at {@code index} declares, from its outer tag and length alone (6 bytes must be
   * available). Lets a scanner decide how many bytes to read before validating the rest.
   */
  static int declaredEntrySize(ByteBuffer buffer, int index) {
    if (buffer.get(index) != TAGS[0]) {
      throw new InvalidBatchException(Reason.MALFORMED, "Entry does not start with tag 0x7A (found 0x"
          + Integer.toHexString(buffer.get(index) & 0xFF) + ")");
    }
    int messageLength = readPaddedVarint(buffer, index + LENGTH_POSITION, "Batch length");
    if (messageLength < MESSAGE_OVERHEAD || messageLength > Integer.MAX_VALUE - MESSAGE_START) {
      throw new InvalidBatchException(Reason.MALFORMED, "Batch length " + messageLength
          + " is outside [" + MESSAGE_OVERHEAD + ", " + (Integer.MAX_VALUE - MESSAGE_START) + "]");
    }
    return MESSAGE_START + messageLength;
  }

  /**
   * Validates the 87-byte header at {@code index} (tags, padded varints, L == 81 + P, one-byte varints,
   * counts and offsets) and returns the entry size. Does not check the CRC or that the payload is present.
   */
  static int validateHeader(ByteBuffer buffer, int index) {
    ByteBuffer b = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int entrySize = declaredEntrySize(b, index);
    for (int i = 1; i < TAG_POSITIONS.length; i++) {
      byte found = b.get(index + TAG_POSITIONS[i]);
      if (found != TAGS[i]) {
        throw new InvalidBatchException(Reason.MALFORMED, "Expected tag 0x"
            + Integer.toHexString(TAGS[i]) + " at header byte " + TAG_POSITIONS[i] + ", found 0x"
            + Integer.toHexString(found & 0xFF));
      }
    }
    int payloadSize = readPaddedVarint(b, index + RECORDS_LENGTH_POSITION, "Records length");
    if (entrySize != HEADER_SIZE + (long) payloadSize) {
      throw new InvalidBatchException(Reason.MALFORMED, "Batch length " + (entrySize - MESSAGE_START)
          + " does not equal " + MESSAGE_OVERHEAD + " + records length " + payloadSize);
    }
    checkOneByteVarint(b.get(index + COMPRESSION_POSITION), "compression");
    checkOneByteVarint(b.get(index + TIMESTAMP_TYPE_POSITION), "timestamp_type");
    long baseOffset = b.getLong(index + BASE_OFFSET_POSITION);
    int lastOffsetDelta = b.getInt(index + LAST_OFFSET_DELTA_POSITION);
    int recordCount = b.getInt(index + RECORD_COUNT_POSITION);
    // Compaction (later) may drop records but keeps last_offset_delta, so a batch may hold fewer
    // records than its offset span; it never holds more.
    if (recordCount < 0 || lastOffsetDelta < 0 || lastOffsetDelta < recordCount - 1) {
      throw new InvalidBatchException(Reason.INVALID_HEADER, "Impossible counts: record_count "
          + recordCount + ", last_offset_delta " + lastOffsetDelta);
    }
    if (baseOffset < 0 || baseOffset > Long.MAX_VALUE - lastOffsetDelta) {
      throw new InvalidBatchException(Reason.INVALID_HEADER, "Impossible base_offset " + baseOffset);
    }
    return entrySize;
  }

  private static void checkOneByteVarint(byte value, String field) {
    if ((value & 0x80) != 0) {
      throw new InvalidBatchException(Reason.MALFORMED,
          field + " is not a one-byte varint (0x" + Integer.toHexString(value & 0xFF) + ")");
    }
  }

  /** Position of the last entry in {@code entries}, which must hold whole entries only (at least one). */
  static int lastEntryStart(ByteBuffer entries) {
    int position = entries.position();
    int last = position;
    while (position < entries.limit()) {
      last = position;
      position += declaredEntrySize(entries, position);
    }
    return last;
  }

  /** The offset after the entry at {@code index}: base_offset + last_offset_delta + 1. */
  static long nextOffsetOf(ByteBuffer buffer, int index) {
    ByteBuffer b = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    return b.getLong(index + BASE_OFFSET_POSITION) + b.getInt(index + LAST_OFFSET_DELTA_POSITION) + 1;
  }

  /**
   * Length of the longest prefix of {@code entries} (from its position) made of whole entries, reading
   * only the declared sizes. For slicing reads of trusted log data at an entry boundary.
   */
  static int lengthOfWholeEntries(ByteBuffer entries) {
    int start = entries.position();
    int end = entries.limit();
    int position = start;
    while (end - position >= MESSAGE_START) {
      int size = declaredEntrySize(entries, position);
      if (size > end - position) {
        break;
      }
      position += size;
    }
    return position - start;
  }
}
