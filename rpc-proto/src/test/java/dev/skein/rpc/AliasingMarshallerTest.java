package dev.skein.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.skein.proto.v1.Compression;
import dev.skein.proto.v1.PartitionBatch;
import dev.skein.proto.v1.ProduceRequest;
import dev.skein.proto.v1.ProducerServiceGrpc;
import dev.skein.proto.v1.RecordBatch;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AliasingMarshallerTest {

  private final MethodDescriptor.Marshaller<ProduceRequest> marshaller = AliasingMarshaller
      .aliasingRequests(ProducerServiceGrpc.getProduceMethod(), ProduceRequest.parser()).getRequestMarshaller();

  @Test
  void parsesWhatTheStockMarshallerWrites() throws Exception {
    ProduceRequest request = request(70_000);
    byte[] wire = ProducerServiceGrpc.getProduceMethod().getRequestMarshaller().stream(request).readAllBytes();

    assertThat(marshaller.parse(new KnownLengthStream(wire))).isEqualTo(request);
    assertThat(marshaller.parse(new ByteArrayInputStream(wire))).as("a stream of unknown length").isEqualTo(request);
  }

  @Test
  void recordBatchesAreViewsOfTheOneArrayReadFromGrpc() throws Exception {
    int recordBytes = 8 << 20;
    byte[] wire = request(recordBytes).toByteArray();
    marshaller.parse(new KnownLengthStream(wire)); // loads and initialises the classes first
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();

    ProduceRequest parsed = marshaller.parse(new KnownLengthStream(wire));

    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertThat(parsed.getBatches(0).getBatch().getRecords().size()).isEqualTo(recordBytes);
    // One copy out of gRPC's stream is the floor; a second copy of the records field (what
    // protobuf does unless the input is marked immutable) would double it.
    assertThat(allocated).as("bytes allocated to parse %d bytes of records", recordBytes)
        .isLessThan(recordBytes + recordBytes / 4);
  }

  @Test
  void aStreamShorterThanAnnouncedIsAnInternalError() throws Exception {
    byte[] wire = request(1_000).toByteArray();
    KnownLengthStream lying = new KnownLengthStream(wire) {
      @Override
      public int available() {
        return wire.length + 10;
      }
    };

    assertThatThrownBy(() -> marshaller.parse(lying))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL))
        .hasMessageContaining("not the " + (wire.length + 10) + " bytes");
  }

  @Test
  void garbageIsAnInternalError() {
    byte[] garbage = {(byte) 0x0A, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0x0F};

    assertThatThrownBy(() -> marshaller.parse(new KnownLengthStream(garbage)))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL));
  }

  private static ProduceRequest request(int recordBytes) {
    byte[] records = new byte[recordBytes];
    new Random(7).nextBytes(records);
    return ProduceRequest.newBuilder().setTimeoutMs(1_000).addBatches(PartitionBatch.newBuilder()
        .setTopic("t").setPartition(3)
        .setBatch(RecordBatch.newBuilder().setCompression(Compression.COMPRESSION_NONE)
            .setRecords(ByteString.copyFrom(records))))
        .build();
  }

  /** What gRPC hands a marshaller: a stream that knows its length. */
  private static class KnownLengthStream extends ByteArrayInputStream implements KnownLength {
    KnownLengthStream(byte[] bytes) {
      super(bytes);
    }
  }
}
