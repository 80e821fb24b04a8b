package dev.skein.rpc;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;

/**
 * Parses a message whose bytes fields are large (record batches in produce requests and fetch
 * responses) without copying them again: the message is read into one array and every bytes
 * field is a view of it. grpc-java's stock protobuf marshaller copies each bytes field out of
 * its read buffer. The views keep the whole array alive, which suits these messages: each is
 * handled and dropped as a unit.
 */
public final class AliasingMarshaller<T extends MessageLite> implements MethodDescriptor.Marshaller<T> {

  private final MethodDescriptor.Marshaller<T> stock;
  private final Parser<T> parser;

  public AliasingMarshaller(MethodDescriptor.Marshaller<T> stock, Parser<T> parser) {
    this.stock = stock;
    this.parser = parser;
  }

  /** The method with its responses parsed by an aliasing marshaller (for clients). */
  public static <Q, T extends MessageLite> MethodDescriptor<Q, T> aliasingResponses(MethodDescriptor<Q, T> method,
      Parser<T> parser) {
    return method.toBuilder(method.getRequestMarshaller(),
        new AliasingMarshaller<>(method.getResponseMarshaller(), parser)).build();
  }

  /** The method with its requests parsed by an aliasing marshaller (for servers). */
  public static <Q extends MessageLite, R> MethodDescriptor<Q, R> aliasingRequests(MethodDescriptor<Q, R> method,
      Parser<Q> parser) {
    return method.toBuilder(new AliasingMarshaller<>(method.getRequestMarshaller(), parser),
        method.getResponseMarshaller()).build();
  }

  @Override
  public InputStream stream(T value) {
    return stock.stream(value);
  }

  /** gRPC hands over a stream of known length: read it into one exact array, in one copy. */
  private static byte[] readFully(InputStream stream) throws IOException {
    if (!(stream instanceof KnownLength)) {
      return stream.readAllBytes();
    }
    byte[] bytes = new byte[stream.available()];
    int read = stream.readNBytes(bytes, 0, bytes.length);
    if (read != bytes.length || stream.read() != -1) {
      throw new IOException("the message is not the " + bytes.length + " bytes gRPC announced");
    }
    return bytes;
  }

  @Override
  public T parse(InputStream stream) {
    try {
      // Protobuf aliases bytes fields only when the input is marked immutable, which
      // CodedInputStream.newInstance(byte[]) does not do: it would copy every record batch
      // again. The array is this call's own and nothing writes to it after the read.
      CodedInputStream in = UnsafeByteOperations.unsafeWrap(readFully(stream)).newCodedInput();
      in.enableAliasing(true);
      in.setSizeLimit(Integer.MAX_VALUE);
      T message = parser.parseFrom(in);
      in.checkLastTagWas(0);
      return message;
    } catch (InvalidProtocolBufferException e) {
      throw Status.INTERNAL.withDescription("invalid protobuf in the message: " + e.getMessage()).withCause(e).asRuntimeException();
    } catch (IOException e) {
      throw Status.INTERNAL.withDescription("cannot read the message: " + e.getMessage()).withCause(e).asRuntimeException();
    }
  }
}
