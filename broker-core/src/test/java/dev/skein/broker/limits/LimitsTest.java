package dev.skein.broker.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.skein.proto.v1.AdminServiceGrpc;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.CreateTopicRequest;
import dev.skein.proto.v1.FetchResponse;
import dev.skein.proto.v1.ListOffsetsRequest;
import dev.skein.proto.v1.ListTopicsRequest;
import dev.skein.proto.v1.OffsetQuery;
import dev.skein.proto.v1.OffsetSpec;
import dev.skein.proto.v1.PartitionBatch;
import dev.skein.proto.v1.ListTopicsResponse;
import dev.skein.proto.v1.PartitionPosition;
import dev.skein.proto.v1.ProduceRequest;
import dev.skein.proto.v1.ProduceResponse;
import dev.skein.proto.v1.ProducerServiceGrpc;
import dev.skein.proto.v1.SubscribeRequest;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client port's limits, each hit on purpose: what the client gets, and that the broker and
 * the client's other calls go on. One broker with small limits (1 MiB messages, 2 calls per
 * connection, 1 s idle and handshake timeouts).
 */
class LimitsTest {

  static final int MAX_MESSAGE = 1024 * 1024;

  @TempDir
  static Path dir;
  static OneBroker one;

  @BeforeAll
  static void start() throws Exception {
    one = OneBroker.start(dir, ServerLimits.DEFAULT.withMaxInboundMessageBytes(MAX_MESSAGE)
        .withMaxConcurrentCallsPerConnection(2)
        .withStreamIdleTimeout(Duration.ofSeconds(1))
        .withHandshakeTimeout(Duration.ofSeconds(1)));
  }

  @AfterAll
  static void stop() {
    if (one != null) {
      one.close();
    }
  }

  static AdminServiceGrpc.AdminServiceBlockingStub admin(ManagedChannel channel) {
    return AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @Test
  void aRequestOverTheMessageLimitIsRefusedWithItsReason() {
    ManagedChannel channel = one.newChannel();
    CreateTopicRequest big = CreateTopicRequest.newBuilder().setName("big")
        .putConfigs("padding", "x".repeat(MAX_MESSAGE + 1000)).build();
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> admin(channel).createTopic(big));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    SkeinError error = SkeinError.fromThrowable(e).orElseThrow();
    assertThat(error.reason()).isEqualTo(ErrorReason.REQUEST_TOO_LARGE);
    assertThat(error.message()).contains("CreateTopic request", "max.inbound.message.bytes (1048576)",
        big.getSerializedSize() + " bytes");
    assertThat(error.metadata()).containsEntry("limit", "1048576");

    // Far beyond the limit (and its 1 MiB of headroom) gRPC's transport stops reading: the
    // status is RESOURCE_EXHAUSTED with gRPC's own message, naming the hard cap.
    CreateTopicRequest huge = CreateTopicRequest.newBuilder().setName("huge")
        .putConfigs("padding", "x".repeat(3 * MAX_MESSAGE)).build();
    StatusRuntimeException cut = catchThrowableOfType(StatusRuntimeException.class,
        () -> admin(channel).createTopic(huge));
    assertThat(cut.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(cut.getStatus().getDescription()).contains("exceeds maximum size " + (2 * MAX_MESSAGE));

    // The same connection goes on working, and neither topic exists.
    assertThat(admin(channel).listTopics(ListTopicsRequest.getDefaultInstance()).getTopicsList())
        .noneMatch(t -> t.getName().equals("big") || t.getName().equals("huge"));
  }

  @Test
  void headersOverTheMetadataLimitAreRefused() {
    ManagedChannel channel = one.newChannel();
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("x-padding", Metadata.ASCII_STRING_MARSHALLER), "p".repeat(16 * 1024));
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> admin(channel)
        .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers))
        .listTopics(ListTopicsRequest.getDefaultInstance()));
    assertThat(e).isNotNull();
    assertThat(e.getStatus().getCode()).isIn(Status.Code.RESOURCE_EXHAUSTED, Status.Code.INTERNAL);
    assertThat(admin(channel).listTopics(ListTopicsRequest.getDefaultInstance())).isNotNull();
  }

  /**
   * With two calls per connection, a third waits in the client (gRPC queues streams beyond the
   * server's SETTINGS_MAX_CONCURRENT_STREAMS) until one ends; another connection is not affected.
   * The two Subscribe streams also outlive the 1 s idle timeout: they are exempt.
   */
  @Test
  void callsBeyondTheStreamLimitWaitForAFreeStream() {
    ManagedChannel channel = one.newChannel();
    admin(channel).createTopic(CreateTopicRequest.newBuilder().setName("quiet").setPartitions(1).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> !ConsumerServiceGrpc.newBlockingStub(channel)
        .listOffsets(ListOffsetsRequest.newBuilder().addQueries(OffsetQuery.newBuilder().setTopic("quiet")
            .setSpec(OffsetSpec.OFFSET_SPEC_LATEST)).build()).getResults(0).hasError());
    SubscribeRequest subscribe = SubscribeRequest.newBuilder()
        .addPartitions(PartitionPosition.newBuilder().setTopic("quiet").setPartition(0).setOffset(0)).build();
    AtomicReference<Throwable> streamFailure = new AtomicReference<>();
    Context.CancellableContext first = Context.current().withCancellation();
    Context.CancellableContext second = Context.current().withCancellation();
    for (Context.CancellableContext context : new Context.CancellableContext[] {first, second}) {
      context.run(() -> ConsumerServiceGrpc.newStub(channel).subscribe(subscribe, new StreamObserver<>() {
        @Override
        public void onNext(FetchResponse value) {}

        @Override
        public void onError(Throwable t) {
          if (Status.fromThrowable(t).getCode() != Status.Code.CANCELLED) {
            streamFailure.set(t);
          }
        }

        @Override
        public void onCompleted() {}
      }));
    }
    StatusRuntimeException waited = catchThrowableOfType(StatusRuntimeException.class, () ->
        AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(2500, TimeUnit.MILLISECONDS)
            .listTopics(ListTopicsRequest.getDefaultInstance()));
    assertThat(waited.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(streamFailure.get()).as("the Subscribe streams are still open").isNull();
    assertThat(admin(one.newChannel()).listTopics(ListTopicsRequest.getDefaultInstance())).isNotNull();
    first.cancel(null);
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() ->
        AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.SECONDS)
            .listTopics(ListTopicsRequest.getDefaultInstance()) != null);
    second.cancel(null);
  }

  @Test
  void aSilentStreamIsClosedWithAReasonButABusyOneIsNot() throws Exception {
    ManagedChannel channel = one.newChannel();
    CompletableFuture<Throwable> silentEnd = new CompletableFuture<>();
    ProducerServiceGrpc.newStub(channel).produceStream(observer(r -> {}, silentEnd));

    AtomicInteger answers = new AtomicInteger();
    CompletableFuture<Throwable> busyEnd = new CompletableFuture<>();
    StreamObserver<ProduceRequest> busy = ProducerServiceGrpc.newStub(channel)
        .produceStream(observer(r -> answers.incrementAndGet(), busyEnd));
    ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
    try {
      // A request every 300 ms (to a topic that does not exist: each is still answered).
      pacer.scheduleAtFixedRate(() -> busy.onNext(ProduceRequest.newBuilder().build()), 0, 300, TimeUnit.MILLISECONDS);
      Throwable silent = silentEnd.get(10, TimeUnit.SECONDS);
      assertThat(Status.fromThrowable(silent).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      SkeinError error = SkeinError.fromThrowable(silent).orElseThrow();
      assertThat(error.reason()).isEqualTo(ErrorReason.STREAM_IDLE_TIMEOUT);
      assertThat(error.message()).contains("every request answered", "1000 ms (stream.idle.timeout.ms)");
      await().atMost(Duration.ofSeconds(10)).until(() -> answers.get() >= 10);
      assertThat(busyEnd).isNotDone();
    } finally {
      pacer.shutdownNow();
      busy.onCompleted();
    }
  }

  @Test
  void aRequestThatNeverArrivesInFullTimesOut() throws Exception {
    ManagedChannel channel = one.newChannel();
    ClientCall<ListTopicsRequest, ListTopicsResponse> call =
        channel.newCall(AdminServiceGrpc.getListTopicsMethod(), CallOptions.DEFAULT);
    CompletableFuture<Status> closed = new CompletableFuture<>();
    Metadata[] trailers = new Metadata[1];
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata t) {
        trailers[0] = t;
        closed.complete(status);
      }
    }, new Metadata());
    call.request(1); // headers sent, the request message never is
    // grpc-java holds a unary call's headers back until its message; another call flushes them.
    assertThat(admin(channel).listTopics(ListTopicsRequest.getDefaultInstance())).isNotNull();
    Status status = closed.get(10, TimeUnit.SECONDS);
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    SkeinError error = SkeinError.fromThrowable(status.asRuntimeException(trailers[0])).orElseThrow();
    assertThat(error.reason()).isEqualTo(ErrorReason.STREAM_IDLE_TIMEOUT);
    assertThat(error.message()).contains("not received in full");
  }

  /**
   * A broken request on a stream whose earlier request is still unanswered (its answer held back
   * here) closes the stream as of unknown outcome, not as a refusal: that earlier request may have
   * been acted on.
   */
  @Test
  void aBrokenRequestOnAStreamWithAnswersPendingLeavesTheirOutcomeUnknown() throws Exception {
    MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder(FuzzTest.RAW, FuzzTest.RAW)
        .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName(ProducerServiceGrpc.getProduceStreamMethod().getFullMethodName()).build();
    one.broker.produceFaults().delayResponses(3000, 1);
    try {
      ClientCall<byte[], byte[]> call = one.newChannel().newCall(raw,
          CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS));
      CompletableFuture<Status> closed = new CompletableFuture<>();
      Metadata[] trailers = new Metadata[1];
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onClose(Status status, Metadata t) {
          trailers[0] = t;
          closed.complete(status);
        }
      }, new Metadata());
      call.request(10);
      call.sendMessage(ProduceRequest.newBuilder().setCorrelationId(1).addBatches(PartitionBatch.newBuilder()
          .setTopic("nowhere").setPartition(0)).build().toByteArray());
      call.sendMessage(new byte[] {(byte) 0xff, 0x01}); // field 31 with wire type 7: not a ProduceRequest
      Status status = closed.get(20, TimeUnit.SECONDS);
      assertThat(status.getCode()).isEqualTo(Status.Code.ABORTED);
      SkeinError error = SkeinError.fromThrowable(status.asRuntimeException(trailers[0])).orElseThrow();
      assertThat(error.reason()).isEqualTo(ErrorReason.OUTCOME_UNKNOWN);
      assertThat(error.metadata()).containsEntry("refusal_reason", "INVALID_REQUEST");
      assertThat(error.message()).contains("not a valid protobuf message", "1 earlier request(s) unanswered");
    } finally {
      one.broker.produceFaults().heal();
    }
  }

  /** A client that pings far more often than permit.keepalive.time.ms (5 s) is sent GOAWAY and cut off. */
  @Test
  void pingingTooOftenGetsTheConnectionClosed() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", one.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.write(frame(4, 0, new byte[0])); // empty SETTINGS
      for (int i = 0; i < 5; i++) {
        out.write(frame(6, 0, new byte[8])); // PING
      }
      out.flush();
      GoAway goAway = readUntilGoAway(new DataInputStream(socket.getInputStream()));
      assertThat(goAway.errorCode()).isEqualTo(0xb); // ENHANCE_YOUR_CALM
      assertThat(goAway.debug()).isEqualTo("too_many_pings");
      assertThat(readToEnd(socket)).as("the broker closes the connection").isTrue();
    }
  }

  @Test
  void aConnectionThatNeverSpeaksHttp2IsClosedAfterTheHandshakeTimeout() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", one.port())) {
      socket.setSoTimeout(10_000);
      long start = System.nanoTime();
      assertThat(readToEnd(socket)).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
    }
  }

  private static <T> StreamObserver<T> observer(java.util.function.Consumer<T> onNext,
      CompletableFuture<Throwable> end) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        onNext.accept(value);
      }

      @Override
      public void onError(Throwable t) {
        end.complete(t);
      }

      @Override
      public void onCompleted() {
        end.complete(null);
      }
    };
  }

  record GoAway(int errorCode, String debug) {}

  private static byte[] frame(int type, int flags, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(payload.length >>> 16);
    out.write(payload.length >>> 8);
    out.write(payload.length);
    out.write(type);
    out.write(flags);
    out.writeBytes(new byte[4]); // stream 0
    out.writeBytes(payload);
    return out.toByteArray();
  }

  private static GoAway readUntilGoAway(DataInputStream in) throws IOException {
    while (true) {
      int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
      int type = in.readUnsignedByte();
      in.readUnsignedByte();
      in.readInt();
      byte[] payload = in.readNBytes(length);
      if (type == 7) {
        DataInputStream body = new DataInputStream(new java.io.ByteArrayInputStream(payload));
        body.readInt();
        int code = body.readInt();
        return new GoAway(code, new String(body.readAllBytes(), StandardCharsets.US_ASCII));
      }
    }
  }

  /** Reads until the peer closes; true if it did (false if the read timed out). */
  private static boolean readToEnd(Socket socket) throws IOException {
    try {
      while (socket.getInputStream().read(new byte[4096]) >= 0) {
        // discard
      }
      return true;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (EOFException | java.net.SocketException e) {
      return true; // reset by the peer
    }
  }
}
