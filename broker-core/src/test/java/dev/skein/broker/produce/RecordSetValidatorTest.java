package dev.skein.broker.produce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.skein.proto.v1.Compression;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordSet;
import dev.skein.rpc.RecordCompression;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RecordSetValidatorTest {

  private static RecordSet records(int count, long baseTimestamp) {
    RecordSet.Builder set = RecordSet.newBuilder();
    for (int i = 0; i < count; i++) {
      set.addRecords(Record.newBuilder().setOffsetDelta(i).setTimestampMs(baseTimestamp + (i * 7L) % 11)
          .setKey(ByteString.copyFromUtf8("k" + i)).setValue(ByteString.copyFromUtf8("v".repeat(i))));
    }
    return set.build();
  }

  @ParameterizedTest
  @EnumSource(value = Compression.class, names = {"COMPRESSION_UNSPECIFIED", "COMPRESSION_NONE", "COMPRESSION_GZIP",
      "COMPRESSION_SNAPPY", "COMPRESSION_LZ4", "COMPRESSION_ZSTD"})
  void countsRecordsAndFindsTimestampRange(Compression codec) throws Exception {
    ByteString payload = RecordCompression.compress(codec, records(50, 1_000).toByteString());
    RecordSetValidator.Summary summary = RecordSetValidator.validate(codec, payload);
    assertThat(summary).isEqualTo(new RecordSetValidator.Summary(50, 1_000, 1_010));
  }

  @Test
  void rejectsRecordsNumberedOutOfOrder() {
    RecordSet bad = records(3, 0).toBuilder()
        .setRecords(2, Record.newBuilder().setOffsetDelta(5)).build();
    assertThatThrownBy(() -> RecordSetValidator.validate(Compression.COMPRESSION_NONE, bad.toByteString()))
        .isInstanceOf(RecordSetValidator.InvalidRecordsException.class)
        .hasMessageContaining("record 2 of the batch has offset_delta 5");
  }

  @Test
  void rejectsAnEmptyBatch() {
    assertThatThrownBy(() -> RecordSetValidator.validate(Compression.COMPRESSION_NONE, ByteString.EMPTY))
        .hasMessageContaining("no records");
  }

  @Test
  void rejectsGarbage() {
    ByteString garbage = ByteString.copyFrom(new byte[] {0x0A, 0x7F, 0x01});
    assertThatThrownBy(() -> RecordSetValidator.validate(Compression.COMPRESSION_NONE, garbage))
        .hasMessageContaining("not a valid uncompressed RecordSet");
    assertThatThrownBy(() -> RecordSetValidator.validate(Compression.COMPRESSION_ZSTD, records(2, 0).toByteString()))
        .hasMessageContaining("not a valid zstd-compressed RecordSet");
  }
}
