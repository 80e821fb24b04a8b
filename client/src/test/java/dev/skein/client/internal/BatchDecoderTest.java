package dev.skein.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.Header;
import dev.skein.proto.v1.Compression;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.RecordHeader;
import dev.skein.proto.v1.RecordSet;
import dev.skein.proto.v1.TimestampType;
import dev.skein.rpc.RecordCompression;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The hand-written record-set reader against protobuf's generated parser: both must give the
 * same records for anything a producer in any language may write, including fields this client
 * does not know.
 */
class BatchDecoderTest {

  private static final long BASE_OFFSET = 1_000;

  @ParameterizedTest
  @ValueSource(longs = {1L, 2L, 3L, 42L, 20261207L})
  void readsWhatTheGeneratedParserReads(long seed) throws Exception {
    Random random = new Random(seed);
    RecordSet set = randomSet(random);
    Compression codec = Compression.values()[1 + random.nextInt(5)];
    boolean logAppendTime = random.nextBoolean();
    RecordBatch batch = RecordBatch.newBuilder().setBaseOffset(BASE_OFFSET).setLeaderEpoch(7)
        .setLastOffsetDelta(set.getRecords(set.getRecordsCount() - 1).getOffsetDelta())
        .setRecordCount(set.getRecordsCount()).setMaxTimestampMs(1_800_000_000_000L)
        .setTimestampType(logAppendTime ? TimestampType.TIMESTAMP_TYPE_LOG_APPEND_TIME
            : TimestampType.TIMESTAMP_TYPE_CREATE_TIME)
        .setCompression(codec).setRecords(RecordCompression.compress(codec, set.toByteString())).build();
    long fromOffset = BASE_OFFSET + random.nextInt(set.getRecordsCount() * 2);

    List<ConsumerRecord> decoded = new ArrayList<>();
    BatchDecoder.decode("t", 4, batch, fromOffset, decoded);

    assertThat(decoded).as("seed %d, %s", seed, codec)
        .usingRecursiveFieldByFieldElementComparator()
        .containsExactlyElementsOf(reference(batch, set, fromOffset));
  }

  @Test
  void aBatchEntirelyBelowThePositionIsNotRead() throws Exception {
    RecordBatch batch = RecordBatch.newBuilder().setBaseOffset(BASE_OFFSET).setLastOffsetDelta(9)
        .setRecords(ByteString.copyFromUtf8("not a record set")).build();
    List<ConsumerRecord> out = new ArrayList<>();

    BatchDecoder.decode("t", 0, batch, BASE_OFFSET + 10, out);

    assertThat(out).isEmpty();
  }

  @Test
  void brokenRecordsAreAProtocolError() {
    byte[] truncated = randomSet(new Random(5)).toByteArray();
    RecordBatch batch = RecordBatch.newBuilder().setBaseOffset(BASE_OFFSET).setLastOffsetDelta(100)
        .setRecords(ByteString.copyFrom(truncated, 0, truncated.length - 3)).build();

    assertThatThrownBy(() -> BatchDecoder.decode("t", 0, batch, 0, new ArrayList<>()))
        .isInstanceOf(InvalidProtocolBufferException.class);
  }

  /** What the generated classes make of the batch: the decoder's specification. */
  private static List<ConsumerRecord> reference(RecordBatch batch, RecordSet set, long fromOffset) {
    boolean logAppendTime = batch.getTimestampType() == TimestampType.TIMESTAMP_TYPE_LOG_APPEND_TIME;
    List<ConsumerRecord> records = new ArrayList<>();
    for (Record r : set.getRecordsList()) {
      long offset = batch.getBaseOffset() + r.getOffsetDelta();
      if (offset < fromOffset) {
        continue;
      }
      List<Header> headers = r.getHeadersList().stream()
          .map(h -> new Header(h.getKey(), h.hasValue() ? h.getValue().toByteArray() : null)).toList();
      records.add(new ConsumerRecord("t", 4, offset, logAppendTime ? batch.getMaxTimestampMs() : r.getTimestampMs(),
          batch.getTimestampType(), r.hasKey() ? r.getKey().toByteArray() : null,
          r.hasValue() ? r.getValue().toByteArray() : null, headers, batch.getLeaderEpoch()));
    }
    return records;
  }

  /**
   * Records with and without keys (absent and empty differ), tombstones, headers with absent
   * values, gaps in offset deltas (as compaction leaves them) and unknown fields at every level.
   */
  private static RecordSet randomSet(Random random) {
    RecordSet.Builder set = RecordSet.newBuilder();
    int delta = 0;
    for (int i = 1 + random.nextInt(60); i > 0; i--) {
      delta += 1 + (random.nextInt(4) == 0 ? random.nextInt(1_000) : 0);
      Record.Builder r = Record.newBuilder().setOffsetDelta(delta)
          .setTimestampMs(random.nextInt(5) == 0 ? 0 : 1_700_000_000_000L + random.nextInt(1_000_000));
      switch (random.nextInt(3)) {
        case 0 -> { } // no key
        case 1 -> r.setKey(ByteString.EMPTY);
        default -> r.setKey(ByteString.copyFrom(bytes(random, 1 + random.nextInt(30))));
      }
      if (random.nextInt(6) != 0) {
        r.setValue(ByteString.copyFrom(bytes(random, random.nextInt(2_000))));
      }
      for (int h = random.nextInt(4); h > 0; h--) {
        RecordHeader.Builder header = RecordHeader.newBuilder().setKey("h" + h + (random.nextBoolean() ? "é" : ""));
        if (random.nextBoolean()) {
          header.setValue(ByteString.copyFrom(bytes(random, random.nextInt(12))));
        }
        if (random.nextInt(4) == 0) {
          header.setUnknownFields(unknownFields(random));
        }
        r.addHeaders(header);
      }
      if (random.nextInt(4) == 0) {
        r.setUnknownFields(unknownFields(random));
      }
      set.addRecords(r);
    }
    return set.setUnknownFields(unknownFields(random)).build();
  }

  /** Fields a newer producer might add: a varint, a fixed64 and a bytes field. */
  private static UnknownFieldSet unknownFields(Random random) {
    return UnknownFieldSet.newBuilder()
        .addField(90, UnknownFieldSet.Field.newBuilder().addVarint(random.nextLong()).build())
        .addField(91, UnknownFieldSet.Field.newBuilder().addFixed64(random.nextLong()).build())
        .addField(92, UnknownFieldSet.Field.newBuilder()
            .addLengthDelimited(ByteString.copyFrom(bytes(random, random.nextInt(20)))).build())
        .build();
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
