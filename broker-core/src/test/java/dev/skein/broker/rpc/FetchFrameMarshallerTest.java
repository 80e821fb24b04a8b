package dev.skein.broker.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.skein.proto.v1.ErrorDetail;
import dev.skein.proto.v1.FetchResponse;
import dev.skein.proto.v1.FetchedPartition;
import dev.skein.proto.v1.RecordBatch;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class FetchFrameMarshallerTest {

  /** Stored batches are the encoding of FetchedPartition.batches, so any bytes of that shape stand in for them. */
  private static ByteBuffer storedBatches(RecordBatch... batches) {
    return ByteBuffer.wrap(FetchedPartition.newBuilder().addAllBatches(List.of(batches)).build().toByteArray());
  }

  @Test
  void framesParseAsAStockFetchResponse() throws Exception {
    RecordBatch first = RecordBatch.newBuilder().setBaseOffset(10).setRecordCount(2)
        .setRecords(ByteString.copyFromUtf8("payload-1")).build();
    RecordBatch second = RecordBatch.newBuilder().setBaseOffset(12).setRecordCount(1)
        .setRecords(ByteString.copyFrom(new byte[70_000])).build();
    FetchedPartition header = FetchedPartition.newBuilder().setTopic("orders").setPartition(3)
        .setHighWatermark(13).setLogStartOffset(0).build();
    FetchedPartition errorOnly = FetchedPartition.newBuilder().setTopic("orders").setPartition(4)
        .setError(ErrorDetail.newBuilder().setReason("NOT_LEADER").setCode(9)).build();
    ByteBuffer direct = ByteBuffer.allocateDirect(storedBatches(second).remaining());
    direct.put(storedBatches(second)).flip();

    FetchFrame frame = FetchFrame.consumer(List.of(
        new FetchFrame.Partition(header, storedBatches(first)),
        FetchFrame.Partition.of(errorOnly),
        new FetchFrame.Partition(header.toBuilder().setPartition(5).build(), direct)));

    InputStream drained = FetchFrameMarshaller.INSTANCE.stream(frame);
    int announced = drained.available();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int written = ((io.grpc.Drainable) drained).drainTo(out);
    assertThat(written).isEqualTo(announced).isEqualTo(out.size());

    FetchResponse parsed = FetchResponse.parseFrom(out.toByteArray());
    assertThat(parsed.getPartitionsList()).containsExactly(
        header.toBuilder().addBatches(first).build(),
        errorOnly,
        header.toBuilder().setPartition(5).addBatches(second).build());

    // Reading byte by byte gives the same bytes as draining.
    byte[] slowRead = FetchFrameMarshaller.INSTANCE.stream(frame).readAllBytes();
    assertThat(slowRead).isEqualTo(out.toByteArray());
  }

  @Test
  void replicaFramesCarryTheStoredBytesUntouched() throws Exception {
    ByteBuffer stored = storedBatches(RecordBatch.newBuilder().setBaseOffset(7).build(),
        RecordBatch.newBuilder().setBaseOffset(8).build());
    byte[] expected = new byte[stored.remaining()];
    stored.duplicate().get(expected);
    var header = dev.skein.proto.internal.v1.ReplicaFetchedPartition.newBuilder().setTopic("t").setPartition(1)
        .setHighWatermark(8).build();
    FetchFrame frame = FetchFrame.replica(42, List.of(new FetchFrame.Partition(header, stored),
        FetchFrame.Partition.of(header.toBuilder().setPartition(2).build())));
    var parsed = dev.skein.proto.internal.v1.ReplicaFetchResponse.parseFrom(
        FetchFrameMarshaller.INSTANCE.stream(frame).readAllBytes());
    assertThat(parsed.getCorrelationId()).isEqualTo(42);
    assertThat(parsed.getPartitions(0).getEntries().toByteArray()).isEqualTo(expected);
    assertThat(parsed.getPartitions(0).getHighWatermark()).isEqualTo(8);
    assertThat(parsed.getPartitions(1).getPartition()).isEqualTo(2);
    assertThat(parsed.getPartitions(1).getEntries().isEmpty()).isTrue();
  }

  @Test
  void drainingTwiceGivesTheSameBytes() throws Exception {
    FetchFrame frame = FetchFrame.consumer(List.of(new FetchFrame.Partition(
        FetchedPartition.newBuilder().setTopic("x").build(), storedBatches(RecordBatch.getDefaultInstance()))));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ((io.grpc.Drainable) FetchFrameMarshaller.INSTANCE.stream(frame)).drainTo(out);
    // Reading byte by byte gives the same bytes as draining.
    byte[] slow = FetchFrameMarshaller.INSTANCE.stream(frame).readAllBytes();
    assertThat(slow).isEqualTo(out.toByteArray());
  }
}
