package dev.skein.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.Header;
import dev.skein.proto.v1.Compression;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.RecordSet;
import dev.skein.rpc.RecordCompression;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class RecordSetWriterTest {

  @ParameterizedTest
  @ValueSource(longs = {1L, 7L, 42L, 20261122L})
  void writesWhatStockProtobufReadsBack(long seed) throws Exception {
    Random random = new Random(seed);
    RecordSetWriter writer = new RecordSetWriter(16);
    List<Record> expected = new ArrayList<>();
    int count = 1 + random.nextInt(200);
    for (int i = 0; i < count; i++) {
      byte[] key = random.nextInt(4) == 0 ? null : bytes(random, random.nextInt(40));
      byte[] value = random.nextInt(10) == 0 ? null : bytes(random, random.nextInt(3000));
      long timestamp = random.nextInt(5) == 0 ? 0 : 1_700_000_000_000L + random.nextInt(1_000_000);
      List<Header> headers = new ArrayList<>();
      for (int h = random.nextInt(3); h > 0; h--) {
        headers.add(new Header("h" + random.nextInt(100) + (h == 2 ? "" : "é"),
            random.nextBoolean() ? null : bytes(random, random.nextInt(10))));
      }
      int sizeBefore = writer.sizeInBytes();
      int delta = writer.append(timestamp, key, value, headers);
      assertThat(delta).isEqualTo(i);
      assertThat(writer.sizeInBytes() - sizeBefore)
          .as("encodedSize must predict the bytes written (seed %d)", seed)
          .isEqualTo(RecordSetWriter.encodedSize(i, timestamp, key, value, headers));
      Record.Builder r = Record.newBuilder().setOffsetDelta(i).setTimestampMs(timestamp);
      if (key != null) {
        r.setKey(ByteString.copyFrom(key));
      }
      if (value != null) {
        r.setValue(ByteString.copyFrom(value));
      }
      headers.forEach(h -> {
        var header = dev.skein.proto.v1.RecordHeader.newBuilder().setKey(h.key());
        if (h.value() != null) {
          header.setValue(ByteString.copyFrom(h.value()));
        }
        r.addHeaders(header);
      });
      expected.add(r.build());
    }
    RecordSet parsed = RecordSet.parseFrom(writer.payload(Compression.COMPRESSION_NONE));
    assertThat(parsed.getRecordsList()).as("seed %d", seed).isEqualTo(expected);
    assertThat(writer.payload(Compression.COMPRESSION_NONE))
        .isEqualTo(RecordSet.newBuilder().addAllRecords(expected).build().toByteString());
  }

  @ParameterizedTest
  @EnumSource(value = Compression.class, names = {"COMPRESSION_NONE", "COMPRESSION_GZIP", "COMPRESSION_SNAPPY",
      "COMPRESSION_LZ4", "COMPRESSION_ZSTD"})
  void everyCodecRoundTripsThroughTheDecoder(Compression codec) throws Exception {
    RecordSetWriter writer = new RecordSetWriter(64);
    for (int i = 0; i < 100; i++) {
      writer.append(1000 + i, ("k" + i).getBytes(), ("value-" + i).repeat(5).getBytes(),
          List.of(new Header("trace", ("t" + i).getBytes())));
    }
    ByteString payload = writer.payload(codec);
    assertThat(RecordSet.parseFrom(RecordCompression.decompress(codec, payload)).getRecordsCount()).isEqualTo(100);

    RecordBatch batch = RecordBatch.newBuilder().setBaseOffset(500).setLastOffsetDelta(99).setRecordCount(100)
        .setCompression(codec).setRecords(payload).build();
    List<ConsumerRecord> out = new ArrayList<>();
    BatchDecoder.decode("t", 3, batch, 550, out);
    assertThat(out).hasSize(50);
    assertThat(out.get(0).offset()).isEqualTo(550);
    assertThat(out.get(0).keyString()).isEqualTo("k50");
    assertThat(out.get(0).timestamp()).isEqualTo(1050);
    assertThat(out.get(0).headers()).containsExactly(new Header("trace", "t50".getBytes()));
    assertThat(out.get(49).offset()).isEqualTo(599);
    assertThat(BatchDecoder.nextOffset(batch)).isEqualTo(600);
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
