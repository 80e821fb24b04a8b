package dev.skein.storage.log;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.skein.storage.log.InvalidBatchException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StoredBatchTest {

  private static final byte[] PAYLOAD = "opaque records payload".getBytes();

  /** Every header value distinct, so a field read from the wrong place cannot pass. */
  private static StoredBatch sample() {
    BatchAppend append = new BatchAppend(7, 1_111_111_111_111L, 2_222_222_222_222L, 333_333_333L, 44, 555, 3, 1,
        0x0A0B0C0D, ByteBuffer.wrap(PAYLOAD));
    return StoredBatch.build(9_876_543_210L, 12, append);
  }

  private static byte[] sampleBytes() {
    return TestBatches.bytes(sample().buffer());
  }

  @Test
  void every_field_sits_at_its_documented_offset() {
    byte[] entry = sampleBytes();
    ByteBuffer b = ByteBuffer.wrap(entry).order(ByteOrder.LITTLE_ENDIAN);
    int p = PAYLOAD.length;

    assertThat(entry.length).isEqualTo(87 + p);
    assertThat(entry[0]).isEqualTo((byte) 0x7A);
    int l = 81 + p;
    assertThat(Arrays.copyOfRange(entry, 1, 6)).containsExactly(
        (byte) (l & 0x7F | 0x80), (byte) (l >>> 7 & 0x7F | 0x80), (byte) (l >>> 14 & 0x7F | 0x80),
        (byte) (l >>> 21 & 0x7F | 0x80), (byte) (l >>> 28));
    assertThat(entry[6]).isEqualTo((byte) 0x09);
    assertThat(b.getLong(7)).isEqualTo(9_876_543_210L);
    assertThat(entry[15]).isEqualTo((byte) 0x15);
    assertThat(b.getInt(16)).isEqualTo(12);
    assertThat(entry[20]).isEqualTo((byte) 0x1D);
    CRC32C crc = new CRC32C();
    crc.update(entry, 25, entry.length - 25);
    assertThat(b.getInt(21)).isEqualTo((int) crc.getValue());
    assertThat(entry[25]).isEqualTo((byte) 0x25);
    assertThat(b.getInt(26)).isEqualTo(6);
    assertThat(entry[30]).isEqualTo((byte) 0x2D);
    assertThat(b.getInt(31)).isEqualTo(7);
    assertThat(entry[35]).isEqualTo((byte) 0x31);
    assertThat(b.getLong(36)).isEqualTo(1_111_111_111_111L);
    assertThat(entry[44]).isEqualTo((byte) 0x39);
    assertThat(b.getLong(45)).isEqualTo(2_222_222_222_222L);
    assertThat(entry[53]).isEqualTo((byte) 0x41);
    assertThat(b.getLong(54)).isEqualTo(333_333_333L);
    assertThat(entry[62]).isEqualTo((byte) 0x4D);
    assertThat(b.getInt(63)).isEqualTo(44);
    assertThat(entry[67]).isEqualTo((byte) 0x55);
    assertThat(b.getInt(68)).isEqualTo(555);
    assertThat(entry[72]).isEqualTo((byte) 0x58);
    assertThat(entry[73]).isEqualTo((byte) 3);
    assertThat(entry[74]).isEqualTo((byte) 0x60);
    assertThat(entry[75]).isEqualTo((byte) 1);
    assertThat(entry[76]).isEqualTo((byte) 0x6D);
    assertThat(b.getInt(77)).isEqualTo(0x0A0B0C0D);
    assertThat(entry[81]).isEqualTo((byte) 0x7A);
    assertThat(Arrays.copyOfRange(entry, 82, 87)).containsExactly(
        (byte) (p | 0x80), (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0);
    assertThat(Arrays.copyOfRange(entry, 87, entry.length)).isEqualTo(PAYLOAD);
  }

  @Test
  void accessors_read_the_fields() {
    StoredBatch batch = sample();
    assertThat(batch.baseOffset()).isEqualTo(9_876_543_210L);
    assertThat(batch.leaderEpoch()).isEqualTo(12);
    assertThat(batch.lastOffsetDelta()).isEqualTo(6);
    assertThat(batch.lastOffset()).isEqualTo(9_876_543_216L);
    assertThat(batch.nextOffset()).isEqualTo(9_876_543_217L);
    assertThat(batch.recordCount()).isEqualTo(7);
    assertThat(batch.firstTimestamp()).isEqualTo(1_111_111_111_111L);
    assertThat(batch.maxTimestamp()).isEqualTo(2_222_222_222_222L);
    assertThat(batch.producerId()).isEqualTo(333_333_333L);
    assertThat(batch.producerEpoch()).isEqualTo(44);
    assertThat(batch.baseSequence()).isEqualTo(555);
    assertThat(batch.compression()).isEqualTo(3);
    assertThat(batch.timestampType()).isEqualTo(1);
    assertThat(batch.flags()).isEqualTo(0x0A0B0C0D);
    assertThat(batch.payloadSize()).isEqualTo(PAYLOAD.length);
    assertThat(TestBatches.bytes(batch.payload())).isEqualTo(PAYLOAD);
    assertThat(batch.sizeInBytes()).isEqualTo(87 + PAYLOAD.length);
    assertThat(batch.isValid()).isTrue();
    assertThat(batch.copy()).isEqualTo(batch);
  }

  @Test
  void a_stock_protobuf_parser_reads_entries_as_repeated_record_batch_field_15() throws Exception {
    byte[] first = sampleBytes();
    byte[] second = TestBatches.bytes(StoredBatch.build(5, 1,
        TestBatches.batch(2, 0, TestBatches.START_TIME)).buffer());
    byte[] both = ByteBuffer.allocate(first.length + second.length).put(first).put(second).array();

    UnknownFieldSet message = UnknownFieldSet.parseFrom(both);
    assertThat(message.asMap()).containsOnlyKeys(15);
    assertThat(message.getField(15).getLengthDelimitedList()).hasSize(2);

    UnknownFieldSet batch = UnknownFieldSet.parseFrom(message.getField(15).getLengthDelimitedList().get(0));
    assertThat(batch.getField(1).getFixed64List()).containsExactly(9_876_543_210L);
    assertThat(batch.getField(2).getFixed32List()).containsExactly(12);
    assertThat(batch.getField(4).getFixed32List()).containsExactly(6);
    assertThat(batch.getField(5).getFixed32List()).containsExactly(7);
    assertThat(batch.getField(6).getFixed64List()).containsExactly(1_111_111_111_111L);
    assertThat(batch.getField(7).getFixed64List()).containsExactly(2_222_222_222_222L);
    assertThat(batch.getField(8).getFixed64List()).containsExactly(333_333_333L);
    assertThat(batch.getField(9).getFixed32List()).containsExactly(44);
    assertThat(batch.getField(10).getFixed32List()).containsExactly(555);
    assertThat(batch.getField(11).getVarintList()).containsExactly(3L);
    assertThat(batch.getField(12).getVarintList()).containsExactly(1L);
    assertThat(batch.getField(13).getFixed32List()).containsExactly(0x0A0B0C0D);
    assertThat(batch.getField(15).getLengthDelimitedList()).containsExactly(ByteString.copyFrom(PAYLOAD));

    UnknownFieldSet empty = UnknownFieldSet.parseFrom(message.getField(15).getLengthDelimitedList().get(1));
    assertThat(empty.getField(1).getFixed64List()).containsExactly(5L);
    assertThat(empty.getField(15).getLengthDelimitedList()).containsExactly(ByteString.EMPTY);
  }

  @Test
  void crc_leaves_out_base_offset_and_leader_epoch_so_a_leader_can_stamp_them() {
    byte[] entry = sampleBytes();
    ByteBuffer b = ByteBuffer.wrap(entry).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(7, 1);
    b.putInt(16, 99);
    StoredBatch restamped = StoredBatch.readFrom(ByteBuffer.wrap(entry));
    assertThat(restamped.baseOffset()).isEqualTo(1);
    assertThat(restamped.leaderEpoch()).isEqualTo(99);
    assertThat(restamped.isValid()).isTrue();
  }

  @Test
  void verifying_a_batch_read_from_a_heap_buffer_does_not_copy_it() {
    byte[] payload = new byte[4 << 20];
    new java.util.Random(1).nextBytes(payload);
    byte[] entry = TestBatches.bytes(StoredBatch.build(0, 0, new BatchAppend(1, 1, 1, -1, -1, -1, 0, 0, 0,
        ByteBuffer.wrap(payload))).buffer());
    StoredBatch.readFrom(ByteBuffer.wrap(entry)); // loads and initialises the classes first
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    long before = threads.getCurrentThreadAllocatedBytes();
    StoredBatch batch = StoredBatch.readFrom(ByteBuffer.wrap(entry));
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;

    assertThat(batch.isValid()).isTrue();
    // CRC32C copies a read-only heap buffer through a 4 KiB scratch array; the view keeps the array.
    assertThat(allocated).as("bytes allocated to read and verify a %d-byte batch", entry.length).isLessThan(1_024);
  }

  @Test
  void every_buffer_it_hands_out_is_read_only() {
    StoredBatch batch = StoredBatch.readFrom(ByteBuffer.wrap(sampleBytes()));
    assertThat(batch.buffer().isReadOnly()).isTrue();
    assertThat(batch.payload().isReadOnly()).isTrue();
    assertThat(batch.copy().buffer().isReadOnly()).isTrue();
  }

  @Test
  void read_from_advances_past_the_entry_and_leaves_the_position_on_failure() {
    byte[] entry = sampleBytes();
    ByteBuffer twice = ByteBuffer.allocate(entry.length * 2 + 3).put(entry).put(entry).put(new byte[3]).flip();
    assertThat(StoredBatch.readFrom(twice).baseOffset()).isEqualTo(9_876_543_210L);
    assertThat(twice.position()).isEqualTo(entry.length);
    StoredBatch.readFrom(twice);
    assertThat(twice.position()).isEqualTo(entry.length * 2);
    assertThatThrownBy(() -> StoredBatch.readFrom(twice)).isInstanceOf(InvalidBatchException.class);
    assertThat(twice.position()).isEqualTo(entry.length * 2);
  }

  static IntStream tagPositions() {
    return Arrays.stream(BatchLayout.tagPositions());
  }

  @ParameterizedTest
  @MethodSource("tagPositions")
  void rejects_a_wrong_tag(int position) {
    byte[] entry = sampleBytes();
    entry[position] ^= 0x01;
    assertRejected(entry, Reason.MALFORMED);
  }

  @Test
  void rejects_a_length_without_continuation_bits() {
    byte[] entry = sampleBytes();
    entry[2] &= 0x7F;
    assertRejected(entry, Reason.MALFORMED);
    byte[] records = sampleBytes();
    records[83] &= 0x7F;
    assertRejected(records, Reason.MALFORMED);
  }

  @Test
  void rejects_a_length_whose_fifth_byte_overflows_an_int() {
    byte[] entry = sampleBytes();
    entry[5] = 0x08;
    assertRejected(entry, Reason.MALFORMED);
  }

  @Test
  void rejects_a_message_length_that_disagrees_with_the_records_length() {
    byte[] entry = sampleBytes();
    entry[82] = (byte) ((PAYLOAD.length - 1) | 0x80); // P one short, L unchanged
    assertRejected(entry, Reason.MALFORMED);
  }

  @Test
  void rejects_a_message_length_below_the_header() {
    byte[] entry = sampleBytes();
    ByteBuffer b = ByteBuffer.wrap(entry);
    BatchLayout.writePaddedVarint(b, 1, 80);
    assertRejected(entry, Reason.MALFORMED);
  }

  @Test
  void rejects_an_entry_that_is_cut_short() {
    byte[] entry = sampleBytes();
    assertRejected(Arrays.copyOf(entry, entry.length - 1), Reason.TRUNCATED);
    assertRejected(Arrays.copyOf(entry, 50), Reason.TRUNCATED);
    assertRejected(Arrays.copyOf(entry, 3), Reason.TRUNCATED);
  }

  @Test
  void rejects_a_multi_byte_compression_varint() {
    byte[] entry = withHeaderChange(buffer -> buffer.put(73, (byte) 0x83));
    assertRejected(entry, Reason.MALFORMED);
  }

  @Test
  void rejects_impossible_counts_even_with_a_matching_crc() {
    assertRejected(withHeaderChange(buffer -> buffer.putInt(31, -1)), Reason.INVALID_HEADER);
    assertRejected(withHeaderChange(buffer -> buffer.putInt(26, -1)), Reason.INVALID_HEADER);
    // more records than offsets
    assertRejected(withHeaderChange(buffer -> buffer.putInt(31, 8)), Reason.INVALID_HEADER);
    assertRejected(withHeaderChange(buffer -> buffer.putLong(7, -5)), Reason.INVALID_HEADER);
  }

  @Test
  void accepts_fewer_records_than_offsets_as_compaction_leaves_them() {
    byte[] entry = withHeaderChange(buffer -> buffer.putInt(31, 2));
    assertThat(StoredBatch.readFrom(ByteBuffer.wrap(entry)).recordCount()).isEqualTo(2);
  }

  @Test
  void rejects_a_flipped_bit_anywhere_the_crc_covers() {
    byte[] entry = sampleBytes();
    for (int position = BatchLayout.CRC_COVERAGE_START; position < entry.length; position++) {
      byte[] corrupt = entry.clone();
      corrupt[position] ^= 0x10;
      assertThatThrownBy(() -> StoredBatch.readFrom(ByteBuffer.wrap(corrupt)))
          .as("flipped byte %d", position)
          .isInstanceOf(InvalidBatchException.class);
    }
    byte[] payloadFlip = entry.clone();
    payloadFlip[entry.length - 1] ^= 0x01;
    assertRejected(payloadFlip, Reason.CRC_MISMATCH);
    byte[] producerIdFlip = entry.clone();
    producerIdFlip[55] ^= 0x01;
    assertRejected(producerIdFlip, Reason.CRC_MISMATCH);
  }

  @Test
  void is_valid_notices_changes_to_shared_bytes() {
    ByteBuffer shared = ByteBuffer.wrap(sampleBytes());
    StoredBatch batch = StoredBatch.readFrom(shared.duplicate());
    assertThat(batch.isValid()).isTrue();
    shared.put(shared.limit() - 1, (byte) (shared.get(shared.limit() - 1) ^ 1));
    assertThat(batch.isValid()).isFalse();
  }

  @Test
  void batch_append_rejects_values_the_layout_cannot_hold() {
    ByteBuffer payload = ByteBuffer.allocate(1);
    assertThatThrownBy(() -> new BatchAppend(0, 0, 0, -1, -1, -1, 0, 0, 0, payload))
        .isInstanceOf(InvalidBatchException.class).hasMessageContaining("at least one record");
    assertThatThrownBy(() -> new BatchAppend(1, 0, 0, -1, -1, -1, 128, 0, 0, payload))
        .isInstanceOf(InvalidBatchException.class).hasMessageContaining("compression");
    assertThatThrownBy(() -> new BatchAppend(1, 0, 0, -1, -1, -1, 0, -1, 0, payload))
        .isInstanceOf(InvalidBatchException.class).hasMessageContaining("timestamp_type");
  }

  /** The sample with a header change and the CRC recomputed, so only the change itself is wrong. */
  private static byte[] withHeaderChange(Consumer<ByteBuffer> change) {
    byte[] entry = sampleBytes();
    ByteBuffer b = ByteBuffer.wrap(entry).order(ByteOrder.LITTLE_ENDIAN);
    change.accept(b);
    CRC32C crc = new CRC32C();
    crc.update(entry, 25, entry.length - 25);
    b.putInt(21, (int) crc.getValue());
    return entry;
  }

  private static void assertRejected(byte[] entry, Reason reason) {
    assertThatThrownBy(() -> StoredBatch.readFrom(ByteBuffer.wrap(entry)))
        .isInstanceOfSatisfying(InvalidBatchException.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }
}
