package dev.skein.broker.limits;

import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.Attributes;
import io.grpc.KnownLength;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Wraps a service so that bad requests get a Skein error instead of whatever gRPC would make of
 * them, and idle calls are closed:
 *
 * <ul>
 *   <li>A request that does not parse as its message type is refused with INVALID_ARGUMENT and
 *       {@code INVALID_REQUEST}. (gRPC itself would answer UNKNOWN "Application error processing
 *       RPC": the parse happens inside its call machinery, before any interceptor sees the
 *       message, so the request marshaller is wrapped to hand over the failure instead.)</li>
 *   <li>A request larger than max.inbound.message.bytes is refused with RESOURCE_EXHAUSTED and
 *       {@code REQUEST_TOO_LARGE} before it is parsed.</li>
 *   <li>A call is closed with {@code STREAM_IDLE_TIMEOUT} when its request has not arrived in full
 *       within stream.idle.timeout.ms, or, for client- and bidi-streaming calls, when every
 *       request has been answered (Skein's streams answer each request once) and nothing went
 *       either way for that long. A server-streaming call (Subscribe) is exempt once its request
 *       is in, since a consumer without credit or on a quiet topic is idle by design.</li>
 * </ul>
 *
 * <p>Closing a call from outside its service (a timer, or the listener while a stream's service
 * is sending) needs the call's operations serialized, which {@code ServerCall} does not promise:
 * the service sees a {@link GuardedCall} that takes a lock per operation and ignores operations
 * after such a close. The service is then told the call was cancelled, as if the client had gone.
 *
 * <p>Every guarded call is in {@link #openCalls()} while it is open, so that a stop of the broker
 * can end the long-lived ones (see {@link OpenCalls}).
 */
public final class CallGuard {

  private final int maxMessageBytes;
  private final long idleNanos;
  private final Duration idleTimeout;
  private final Set<GuardedCall<?, ?>> watched = ConcurrentHashMap.newKeySet();
  private final OpenCalls openCalls = new OpenCalls();

  /** Sweeps for idle calls on {@code timer} (shut down with the broker) at a quarter of the timeout, at most every second. */
  public CallGuard(ServerLimits limits, ScheduledExecutorService timer) {
    this.maxMessageBytes = limits.maxInboundMessageBytes();
    this.idleTimeout = limits.streamIdleTimeout();
    this.idleNanos = idleTimeout.toNanos();
    long period = Math.max(20, Math.min(1000, idleTimeout.toMillis() / 4));
    timer.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
  }

  /** Calls being watched for idleness now (for tests). */
  public int watchedCalls() {
    return watched.size();
  }

  /** The calls open now, which a stop of the broker ends. */
  public OpenCalls openCalls() {
    return openCalls;
  }

  /** The same service, every method guarded; descriptors (and so reflection) unchanged. */
  public ServerServiceDefinition guard(ServerServiceDefinition service) {
    return guard(service, false);
  }

  /**
   * As {@link #guard(ServerServiceDefinition)}, for a service whose callers are other brokers
   * (replication): on a stop its calls end only once every other call has (see {@link OpenCalls}).
   */
  public ServerServiceDefinition guardPeerService(ServerServiceDefinition service) {
    return guard(service, true);
  }

  private ServerServiceDefinition guard(ServerServiceDefinition service, boolean servesPeers) {
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      ServerMethodDefinition<?, ?> guarded = guard(method, servesPeers);
      methods.add(guarded);
      descriptor.addMethod(guarded.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(builder::addMethod);
    return builder.build();
  }

  private <Q, R> ServerMethodDefinition<Parsed<Q>, R> guard(ServerMethodDefinition<Q, R> method,
      boolean servesPeer) {
    MethodDescriptor<Q, R> original = method.getMethodDescriptor();
    MethodDescriptor<Parsed<Q>, R> descriptor = original.toBuilder(
        new LenientMarshaller<>(original.getRequestMarshaller(), original, maxMessageBytes),
        original.getResponseMarshaller()).build();
    ServerCallHandler<Q, R> handler = method.getServerCallHandler();
    return ServerMethodDefinition.create(descriptor, (call, headers) -> {
      GuardedCall<Q, R> guarded = new GuardedCall<>(call, original, servesPeer);
      watched.add(guarded);
      ServerCall.Listener<Q> inner;
      try {
        inner = handler.startCall(guarded, headers);
      } catch (RuntimeException e) {
        watched.remove(guarded);
        throw e;
      }
      // After the start, so the service is ready for a close; the listener hears of none before it is returned.
      openCalls.opened(guarded);
      return new GuardListener<>(guarded, inner);
    });
  }

  private void sweep() {
    long now = System.nanoTime();
    for (GuardedCall<?, ?> call : watched) {
      if (call.closed) {
        watched.remove(call);
      } else if (now - call.lastActivity > idleNanos) {
        String what = call.oneRequest ? "the request was not received in full within "
            : "the stream had every request answered and no message either way for ";
        if (call.closeIfIdle(now, idleNanos, SkeinError.of(ErrorReason.STREAM_IDLE_TIMEOUT, "closed by the broker: "
            + what + idleTimeout.toMillis() + " ms (stream.idle.timeout.ms); open a new call when needed",
            Map.of("limit", Long.toString(idleTimeout.toMillis()))))) {
          watched.remove(call);
        }
      }
    }
  }

  /**
   * Error messages often quote the request (a topic name, a link name), so a request can make
   * them as large as itself. Trailers beyond the client's header limit (8 KiB in gRPC) are a
   * protocol error that makes the client drop the whole connection, every other call on it
   * failing with INTERNAL "http2 exception": so messages and ErrorInfo metadata are cut short.
   */
  static Status boundedStatus(Status status) {
    String description = status.getDescription();
    return description == null || description.length() <= limitFor(description) ? status
        : status.withDescription(shorten(description));
  }

  /** Where {@code StatusProto} puts the {@code google.rpc.Status} (with the ErrorInfo) in the trailers. */
  private static final Metadata.Key<com.google.rpc.Status> DETAILS = Metadata.Key.of("grpc-status-details-bin",
      io.grpc.protobuf.ProtoUtils.metadataMarshaller(com.google.rpc.Status.getDefaultInstance()));
  private static final int MAX_METADATA_VALUE = 256;

  static Metadata boundedTrailers(Metadata trailers) {
    com.google.rpc.Status details = trailers == null ? null : trailers.get(DETAILS);
    if (details == null || details.getSerializedSize() <= 2 * 1024) {
      return trailers;
    }
    com.google.rpc.Status.Builder shorter = details.toBuilder().setMessage(shorten(details.getMessage()))
        .clearDetails();
    for (com.google.protobuf.Any any : details.getDetailsList()) {
      if (any.is(com.google.rpc.ErrorInfo.class)) {
        try {
          com.google.rpc.ErrorInfo info = any.unpack(com.google.rpc.ErrorInfo.class);
          com.google.rpc.ErrorInfo.Builder cut = info.toBuilder().clearMetadata();
          info.getMetadataMap().forEach((k, v) -> cut.putMetadata(k, v.length() <= MAX_METADATA_VALUE ? v
              : v.substring(0, MAX_METADATA_VALUE) + "…"));
          shorter.addDetails(com.google.protobuf.Any.pack(cut.build()));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          // an ErrorInfo we cannot read is dropped, not sent oversized
        }
      }
    }
    trailers.removeAll(DETAILS);
    trailers.put(DETAILS, shorter.build());
    return trailers;
  }

  /** 1024 characters, or fewer when gRPC will percent-encode them to three bytes each. */
  private static int limitFor(String text) {
    return text.chars().allMatch(c -> c >= 0x20 && c < 0x7f) ? 1024 : 300;
  }

  private static String shorten(String text) {
    int limit = limitFor(text);
    return text.length() <= limit ? text
        : text.substring(0, limit) + "… (cut, " + text.length() + " characters in all)";
  }

  /** A request as parsed: the message, or why there is none. */
  record Parsed<T>(T value, SkeinError error) {}

  /** Parses with the method's own marshaller, but reports failure as a value instead of throwing. */
  private static final class LenientMarshaller<T> implements MethodDescriptor.Marshaller<Parsed<T>> {
    private final MethodDescriptor.Marshaller<T> delegate;
    private final String type;
    private final int maxBytes;

    LenientMarshaller(MethodDescriptor.Marshaller<T> delegate, MethodDescriptor<T, ?> method, int maxBytes) {
      this.delegate = delegate;
      this.type = method.getBareMethodName() + " request of " + method.getServiceName();
      this.maxBytes = maxBytes;
    }

    @Override
    public InputStream stream(Parsed<T> value) {
      return delegate.stream(value.value());
    }

    @Override
    public Parsed<T> parse(InputStream stream) {
      CountingStream counted = null;
      try {
        if (stream instanceof KnownLength) {
          int size = stream.available();
          if (size > maxBytes) {
            return new Parsed<>(null, tooLarge(size));
          }
        } else {
          // A compressed message: its size is known only as it is inflated.
          stream = counted = new CountingStream(stream, maxBytes);
        }
        return new Parsed<>(delegate.parse(stream), null);
      } catch (IOException | RuntimeException e) {
        return new Parsed<>(null, counted != null && counted.exceeded ? tooLarge(-1) : invalid(e));
      }
    }

    private SkeinError tooLarge(long size) {
      return SkeinError.of(ErrorReason.REQUEST_TOO_LARGE, "the " + type + " is "
          + (size < 0 ? "more than " + maxBytes : size) + " bytes, larger than the broker's max.inbound.message.bytes ("
          + maxBytes + ")", size < 0 ? Map.of("limit", Integer.toString(maxBytes))
          : Map.of("limit", Integer.toString(maxBytes), "size", Long.toString(size)));
    }

    private SkeinError invalid(Throwable e) {
      Throwable cause = e;
      while (cause.getCause() != null && cause.getCause() != cause) {
        cause = cause.getCause();
      }
      String detail = cause.getMessage() != null ? cause.getMessage()
          : e instanceof StatusRuntimeException s ? String.valueOf(s.getStatus().getDescription())
          : cause.getClass().getSimpleName();
      return SkeinError.of(ErrorReason.INVALID_REQUEST, "the " + type + " is not a valid protobuf message: " + detail);
    }
  }

  /** Thrown by {@link CountingStream}; unchecked so it passes through parsers unchanged. */
  private static final class TooLarge extends RuntimeException {
    TooLarge() {
      super("message too large", null, false, false);
    }
  }

  private static final class CountingStream extends FilterInputStream {
    private final long max;
    private long count;
    boolean exceeded;

    CountingStream(InputStream in, long max) {
      super(in);
      this.max = max;
    }

    private void add(long n) {
      if (n > 0) {
        count += n;
        if (count > max) {
          exceeded = true;
          throw new TooLarge();
        }
      }
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      add(b < 0 ? 0 : 1);
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      add(n);
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(n);
      add(skipped);
      return skipped;
    }
  }

  /** A ServerCall whose operations are serialized and which can be closed from outside its service. */
  final class GuardedCall<Q, R> extends ServerCall<Q, R> implements OpenCalls.Call {
    private final ServerCall<Parsed<Q>, R> delegate;
    private final MethodDescriptor<Q, R> method;
    private final boolean servesPeer;
    volatile boolean closed;
    volatile boolean forced;
    /** Set when the broker stops: a stream takes no more requests and closes with this once all are answered. */
    private volatile SkeinError ending;
    /** Unary and server-streaming: exactly one request message, and only its arrival is timed. */
    final boolean oneRequest;
    volatile long lastActivity = System.nanoTime();
    /** Requests arrived and answers sent; written under the lock, read without it for the sweep's first look. */
    volatile int received;
    volatile int sent;

    GuardedCall(ServerCall<Parsed<Q>, R> delegate, MethodDescriptor<Q, R> method, boolean servesPeer) {
      this.delegate = delegate;
      this.method = method;
      this.servesPeer = servesPeer;
      this.oneRequest = method.getType().clientSendsOneMessage();
    }

    /**
     * Counts an arriving request, unless the call is closed or ending; under the lock, so neither
     * an idle close nor a stop can pass it.
     */
    synchronized boolean admit() {
      if (closed || ending != null) {
        return false;
      }
      received++;
      lastActivity = System.nanoTime();
      return true;
    }

    /**
     * Closes the call if it is still idle: nothing for {@code idleNanos} and, for a stream, every
     * request answered. Checked under the lock, so a request counted by {@link #admit} just now
     * (and perhaps acted on) keeps the stream open: nothing that may have taken effect is pending.
     */
    synchronized boolean closeIfIdle(long now, long idleNanos, SkeinError error) {
      if (closed || now - lastActivity <= idleNanos || (!oneRequest && sent < received)) {
        return closed;
      }
      forceClose(error);
      return true;
    }

    synchronized void forceClose(SkeinError error) {
      if (closed) {
        return;
      }
      closed = true;
      forced = true;
      StatusRuntimeException status = error.toStatusException();
      delegate.close(boundedStatus(status.getStatus()),
          boundedTrailers(status.getTrailers() == null ? new Metadata() : status.getTrailers()));
    }

    @Override
    public synchronized void request(int numMessages) {
      if (!closed) {
        delegate.request(numMessages);
      }
    }

    @Override
    public synchronized void sendHeaders(Metadata headers) {
      if (!closed) {
        delegate.sendHeaders(headers);
      }
    }

    @Override
    public synchronized void sendMessage(R message) {
      if (!closed) {
        delegate.sendMessage(message);
        sent++;
        lastActivity = System.nanoTime();
        if (ending != null && sent >= received) {
          forceClose(ending); // the last answer a stopping stream owed
        }
      }
    }

    @Override
    public boolean servesPeer() {
      return servesPeer;
    }

    /**
     * For a stop: a unary call is left to its service; a bidi stream takes no more requests and
     * closes once each one it took is answered (Skein's streams answer each request once), now if
     * they are; any other stream closes now. Skein has no client-streaming methods; one would be
     * closed now too.
     */
    @Override
    public synchronized void endWhenAnswered(SkeinError why) {
      if (closed || method.getType() == MethodDescriptor.MethodType.UNARY) {
        return;
      }
      if (method.getType() != MethodDescriptor.MethodType.BIDI_STREAMING || sent >= received) {
        forceClose(why);
      } else {
        ending = why;
      }
    }

    @Override
    public void endNow(SkeinError why) {
      forceClose(why);
    }

    @Override
    public boolean isReady() {
      return !closed && delegate.isReady();
    }

    @Override
    public synchronized void close(Status status, Metadata trailers) {
      if (!closed) {
        closed = true;
        watched.remove(this);
        delegate.close(boundedStatus(status), boundedTrailers(trailers));
      }
    }

    @Override
    public boolean isCancelled() {
      return forced || delegate.isCancelled();
    }

    @Override
    public synchronized void setMessageCompression(boolean enabled) {
      if (!closed) {
        delegate.setMessageCompression(enabled);
      }
    }

    @Override
    public synchronized void setCompression(String compressor) {
      if (!closed) {
        delegate.setCompression(compressor);
      }
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      delegate.setOnReadyThreshold(numBytes);
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return delegate.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return delegate.getAttributes();
    }

    @Override
    public String getAuthority() {
      return delegate.getAuthority();
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return method;
    }
  }

  /** Unwraps parsed requests for the service; a failed parse closes the call instead. */
  private final class GuardListener<Q, R> extends ServerCall.Listener<Parsed<Q>> {
    private final GuardedCall<Q, R> call;
    private final ServerCall.Listener<Q> inner;

    GuardListener(GuardedCall<Q, R> call, ServerCall.Listener<Q> inner) {
      this.call = call;
      this.inner = inner;
    }

    @Override
    public void onMessage(Parsed<Q> message) {
      if (call.forced) {
        return;
      }
      if (!call.admit()) {
        return;
      }
      SkeinError error = message.error();
      if (error == null && call.oneRequest && call.received > 1) {
        // gRPC's own handlers would answer INTERNAL "Too many requests".
        error = SkeinError.of(ErrorReason.INVALID_REQUEST, "a " + call.method.getFullMethodName()
            + " call carries exactly one request message; a second one came");
      }
      int unanswered = call.received - 1 - call.sent;
      if (error != null && !call.oneRequest && unanswered > 0) {
        // Earlier requests on this stream may have been acted on (a batch appended, awaiting
        // acks=all): closing the stream ends them too, so the client must not read "refused".
        Map<String, String> metadata = new java.util.HashMap<>(error.metadata());
        metadata.put("refusal_reason", error.reason().name());
        error = SkeinError.of(ErrorReason.OUTCOME_UNKNOWN, error.message() + "; the stream is closed with "
            + unanswered + " earlier request(s) unanswered, which may or may not have taken effect", metadata);
      }
      if (error != null) {
        watched.remove(call);
        call.forceClose(error);
        return;
      }
      inner.onMessage(message.value());
    }

    @Override
    public void onHalfClose() {
      if (call.forced) {
        return;
      }
      if (call.oneRequest && call.received == 0) {
        // gRPC's own handlers would answer INTERNAL "Half-closed without a request".
        watched.remove(call);
        call.forceClose(SkeinError.of(ErrorReason.INVALID_REQUEST, "a " + call.method.getFullMethodName()
            + " call carries exactly one request message; the client ended the call without one"));
        return;
      }
      if (call.oneRequest) {
        watched.remove(call); // the request is in; the service's own logic bounds the rest
      } else {
        call.lastActivity = System.nanoTime();
      }
      inner.onHalfClose();
    }

    @Override
    public void onCancel() {
      watched.remove(call);
      openCalls.closed(call);
      inner.onCancel();
    }

    @Override
    public void onComplete() {
      watched.remove(call);
      openCalls.closed(call);
      if (call.forced) {
        inner.onCancel(); // the service never closed this call: to it, the client went away
      } else {
        inner.onComplete();
      }
    }

    @Override
    public void onReady() {
      if (!call.forced) {
        inner.onReady();
      }
    }
  }
}
