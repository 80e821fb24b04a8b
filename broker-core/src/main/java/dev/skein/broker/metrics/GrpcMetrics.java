package dev.skein.broker.metrics;

import dev.skein.rpc.SkeinError;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per gRPC method: a latency histogram of calls, calls in flight, messages received, and failed calls by
 * status code and Skein error reason ({@code google.rpc.ErrorInfo.reason}, or {@code none} for statuses
 * gRPC made itself). A streaming call is timed from its start to its end, so the {@code type} label
 * tells unary calls (request latency) from streams (stream lifetime). Meters are per method, made on
 * first use; a call costs one map lookup.
 */
final class GrpcMetrics implements ServerInterceptor {

  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, MethodMeters> methods = new ConcurrentHashMap<>();

  GrpcMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  private final class MethodMeters {
    final String service;
    final String method;
    final String type;
    final Timer duration;
    final Counter messages;
    final AtomicInteger inFlight = new AtomicInteger();

    MethodMeters(MethodDescriptor<?, ?> descriptor) {
      this.service = descriptor.getServiceName() == null ? "" : descriptor.getServiceName();
      String bare = descriptor.getBareMethodName();
      this.method = bare == null ? descriptor.getFullMethodName() : bare;
      this.type = descriptor.getType() == MethodDescriptor.MethodType.UNARY ? "unary" : "stream";
      this.duration = Timer.builder("skein.rpc.server.duration")
          .description("gRPC calls handled, from start to close (for streams: the stream's lifetime)")
          .tags("service", service, "method", method, "type", type)
          .serviceLevelObjectives(BrokerMetrics.LATENCY_BUCKETS)
          .register(registry);
      this.messages = Counter.builder("skein.rpc.server.messages.received")
          .description("Request messages received (one per unary call; one per message of a stream)")
          .tags("service", service, "method", method)
          .register(registry);
      Gauge.builder("skein.rpc.server.in.flight", inFlight, AtomicInteger::get)
          .description("Calls (unary or streams) open now")
          .tags("service", service, "method", method)
          .register(registry);
    }

    void failed(Status.Code code, String reason) {
      Counter.builder("skein.rpc.server.errors")
          .description("gRPC calls that ended with a status other than OK, by code and Skein error reason")
          .tags("service", service, "method", method, "code", code.name(), "reason", reason)
          .register(registry)
          .increment();
    }
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    MethodDescriptor<Q, R> descriptor = call.getMethodDescriptor();
    MethodMeters meters = methods.get(descriptor.getFullMethodName());
    if (meters == null) {
      meters = methods.computeIfAbsent(descriptor.getFullMethodName(), n -> new MethodMeters(descriptor));
    }
    MethodMeters m = meters;
    long start = System.nanoTime();
    AtomicBoolean done = new AtomicBoolean();
    m.inFlight.incrementAndGet();
    ServerCall<Q, R> observed = new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        finish(m, start, done, status, trailers);
        super.close(status, trailers);
      }
    };
    ServerCall.Listener<Q> listener;
    try {
      listener = next.startCall(observed, headers);
    } catch (RuntimeException e) {
      finish(m, start, done, Status.fromThrowable(e), new Metadata());
      throw e;
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(Q message) {
        m.messages.increment();
        super.onMessage(message);
      }

      @Override
      public void onCancel() {
        finish(m, start, done, Status.CANCELLED, null);
        super.onCancel();
      }
    };
  }

  private static void finish(MethodMeters m, long start, AtomicBoolean done, Status status, Metadata trailers) {
    if (!done.compareAndSet(false, true)) {
      return;
    }
    m.inFlight.decrementAndGet();
    m.duration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    if (!status.isOk()) {
      String reason = "none";
      if (trailers != null) {
        reason = SkeinError.fromThrowable(status.asRuntimeException(trailers))
            .map(e -> e.reason().name()).orElse("none");
      }
      m.failed(status.getCode(), reason);
    }
  }
}
