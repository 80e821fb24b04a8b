package dev.skein.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import dev.skein.proto.v1.RecordBatch;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class ByteStringBuffersTest {

  @Test
  void aParsedFieldIsViewedInTheArrayItWasParsedFrom() throws Exception {
    byte[] records = random(100_000);
    byte[] wire = RecordBatch.newBuilder().setRecords(ByteString.copyFrom(records)).build().toByteArray();
    // As AliasingMarshaller parses: bytes fields alias an input marked immutable.
    CodedInputStream input = UnsafeByteOperations.unsafeWrap(wire).newCodedInput();
    input.enableAliasing(true);
    ByteString parsed = RecordBatch.parseFrom(input).getRecords();

    ByteBuffer view = ByteStringBuffers.readable(parsed);

    assertThat(view.hasArray()).isTrue();
    assertThat(view.array()).as("the wire array itself, not a copy").isSameAs(wire);
    assertThat(view.position()).isZero();
    assertThat(view.remaining()).isEqualTo(records.length);
    assertThat(bytes(view)).isEqualTo(records);
  }

  @Test
  void aSliceOfAWrappedArrayKeepsItsOffsetAndLength() {
    byte[] array = random(1_000);
    ByteString slice = UnsafeByteOperations.unsafeWrap(array, 100, 300);

    ByteBuffer view = ByteStringBuffers.readable(slice);

    assertThat(view.array()).isSameAs(array);
    assertThat(bytes(view)).isEqualTo(slice.toByteArray());
  }

  @Test
  void aRopeOfSeveralArraysFallsBackToTheReadOnlyCopyingView() {
    ByteString rope = ByteString.copyFrom(random(300)).concat(ByteString.copyFrom(random(400)));

    ByteBuffer view = ByteStringBuffers.readable(rope);

    assertThat(view.hasArray()).isFalse();
    assertThat(bytes(view)).isEqualTo(rope.toByteArray());
  }

  @Test
  void checksummingTheViewAllocatesNothingPerByte() {
    byte[] records = random(4 << 20);
    ByteString field = UnsafeByteOperations.unsafeWrap(records);
    crc(ByteStringBuffers.readable(field)); // loads and initialises the classes first
    crc(field.asReadOnlyByteBuffer());
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    long before = threads.getCurrentThreadAllocatedBytes();
    long viaView = crc(ByteStringBuffers.readable(field));
    long allocatedViaView = threads.getCurrentThreadAllocatedBytes() - before;
    before = threads.getCurrentThreadAllocatedBytes();
    long viaReadOnly = crc(field.asReadOnlyByteBuffer());
    long allocatedViaReadOnly = threads.getCurrentThreadAllocatedBytes() - before;

    assertThat(viaView).isEqualTo(viaReadOnly);
    assertThat(allocatedViaView).as("bytes allocated to checksum a view").isLessThan(1_024);
    // What the view avoids: the JDK copies a read-only heap buffer through a scratch array.
    assertThat(allocatedViaReadOnly).isGreaterThanOrEqualTo(4_096);
  }

  private static long crc(ByteBuffer buffer) {
    CRC32C crc = new CRC32C();
    crc.update(buffer.duplicate());
    return crc.getValue();
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }

  private static byte[] random(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    return bytes;
  }
}
