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

    FetchFrame frame = new FetchFrame(List.of(
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
    byte[] slow = FetchFrameMarshaller.INSTANCE.stream(frame).readAllBytes();
    assertThat(slow).isEqualTo(out.toByteArray());
  }
}
