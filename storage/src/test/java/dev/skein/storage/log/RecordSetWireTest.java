package dev.skein.storage.log;

import com.google.protobuf.CodedOutputStream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordSetWireTest {

  private static byte[] record(int delta, String key, byte[] value, boolean withHeader) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeUInt32(1, delta);
    out.writeInt64(2, 1234);
    if (key != null) {
      out.writeByteArray(3, key.getBytes(StandardCharsets.UTF_8));
    }
    if (value != null) {
      out.writeByteArray(4, value);
    }
    if (withHeader) {
      out.writeByteArray(5, new byte[] {0x0A, 1, 'h'}); // RecordHeader{key="h"}
      out.writeFixed32(9, 77); // an unknown field from a newer producer
    }
    out.flush();
    return bytes.toByteArray();
  }

  private static ByteBuffer set(byte[]... records) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    for (byte[] r : records) {
      out.writeByteArray(1, r);
    }
    out.flush();
    return ByteBuffer.wrap(bytes.toByteArray());
  }

  @Test
  void readsKeysTombstonesAndDeltasAndSkipsWhatItDoesNotNeed() throws IOException {
    ByteBuffer plain = set(record(0, "a", "x".getBytes(StandardCharsets.UTF_8), true),
        record(3, "b", null, false), record(4, null, new byte[0], false));
    List<RecordSetWire.WireRecord> records = RecordSetWire.parse(plain);
    assertThat(records).extracting(RecordSetWire.WireRecord::offsetDelta).containsExactly(0L, 3L, 4L);
    assertThat(records.get(0).hasValue()).isTrue();
    assertThat(records.get(1).hasValue()).as("absent value: a tombstone").isFalse();
    assertThat(records.get(2).hasValue()).as("an empty value is a value").isTrue();
    assertThat(records.get(2).hasKey()).isFalse();
    RecordSetWire.WireRecord b = records.get(1);
    assertThat(new String(TestBatches.bytes(plain.duplicate().position(b.keyStart()).limit(b.keyStart() + b.keyLength())),
        StandardCharsets.UTF_8)).isEqualTo("b");
  }

  @Test
  void reencodesKeptRecordsByteForByte() throws IOException {
    byte[] first = record(0, "a", "1".getBytes(StandardCharsets.UTF_8), true);
    byte[] third = record(2, "c", "3".getBytes(StandardCharsets.UTF_8), false);
    ByteBuffer plain = set(first, record(1, "b", "2".getBytes(StandardCharsets.UTF_8), false), third);
    List<RecordSetWire.WireRecord> records = RecordSetWire.parse(plain);
    ByteBuffer kept = RecordSetWire.encode(plain, List.of(records.get(0), records.get(2)));
    assertThat(TestBatches.bytes(kept)).isEqualTo(TestBatches.bytes(set(first, third)));
  }

  @Test
  void refusesTruncatedSets() throws IOException {
    ByteBuffer plain = set(record(0, "a", "x".getBytes(StandardCharsets.UTF_8), false));
    plain.limit(plain.limit() - 1);
    assertThatThrownBy(() -> RecordSetWire.parse(plain)).isInstanceOf(IllegalArgumentException.class);
  }
}
