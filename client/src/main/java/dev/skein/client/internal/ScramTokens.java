package dev.skein.client.internal;

import dev.skein.client.ClientSasl;
import dev.skein.proto.v1.AuthServiceGrpc;
import dev.skein.proto.v1.ScramFinalRequest;
import dev.skein.proto.v1.ScramFinalResponse;
import dev.skein.proto.v1.ScramFirstRequest;
import dev.skein.proto.v1.ScramFirstResponse;
import dev.skein.rpc.Scram;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The SCRAM-SHA-512 side of one broker's channel: before the first call it runs the exchange
 * with that broker (over the channel itself) and then sends the token it got as
 * {@code authorization: Bearer <token>} on every call. A token is renewed when 80 % of its
 * lifetime has passed, and dropped when a call is refused with UNAUTHENTICATED (the broker
 * restarted, say), so the next call authenticates again. A failed exchange fails the call that
 * needed it with the broker's UNAUTHENTICATED status; the password is never in a message.
 */
final class ScramTokens implements ClientInterceptor {

  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
      Metadata.ASCII_STRING_MARSHALLER);
  private static final long EXCHANGE_DEADLINE_SECONDS = 30;

  private record Token(String value, long renewAtNanos) {}

  private final ClientSasl sasl;
  private volatile Token token;

  ScramTokens(ClientSasl sasl) {
    this.sasl = sasl;
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    if (method.getServiceName() != null && method.getServiceName().equals(AuthServiceGrpc.SERVICE_NAME)) {
      return next.newCall(method, options);
    }
    Token current;
    try {
      current = current(next);
    } catch (StatusRuntimeException e) {
      return new FailedCall<>(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
    }
    return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        headers.put(AUTHORIZATION, "Bearer " + current.value());
        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
          @Override
          public void onClose(Status status, Metadata trailers) {
            if (status.getCode() == Status.Code.UNAUTHENTICATED) {
              invalidate(current);
            }
            super.onClose(status, trailers);
          }
        }, headers);
      }
    };
  }

  private void invalidate(Token stale) {
    synchronized (this) {
      if (token == stale) {
        token = null;
      }
    }
  }

  private Token current(Channel channel) {
    Token known = token;
    if (known != null && System.nanoTime() - known.renewAtNanos() < 0) {
      return known;
    }
    synchronized (this) {
      known = token;
      if (known == null || System.nanoTime() - known.renewAtNanos() >= 0) {
        token = known = authenticate(channel);
      }
      return known;
    }
  }

  private Token authenticate(Channel channel) {
    AuthServiceGrpc.AuthServiceBlockingStub auth = AuthServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(EXCHANGE_DEADLINE_SECONDS, TimeUnit.SECONDS);
    String clientNonce = Scram.nonce();
    String clientFirstBare = "n=" + Scram.escape(sasl.username()) + ",r=" + clientNonce;
    ScramFirstResponse first = auth.scramFirst(ScramFirstRequest.newBuilder().setMechanism(Scram.MECHANISM)
        .setClientFirst(Scram.GS2_HEADER + clientFirstBare).build());
    Map<String, String> serverFirst;
    byte[] salt;
    int iterations;
    try {
      serverFirst = Scram.attributes(first.getServerFirst());
      salt = Scram.fromBase64(serverFirst.getOrDefault("s", ""));
      iterations = Integer.parseInt(serverFirst.getOrDefault("i", ""));
    } catch (IllegalArgumentException e) {
      throw Status.UNAUTHENTICATED.withDescription("the broker's server-first message is malformed").asRuntimeException();
    }
    String nonce = serverFirst.getOrDefault("r", "");
    // Fewer rounds than any credential may have would make our proof cheap to attack offline
    // (a broker impersonated on a plaintext port could ask for one); no salt is no credential.
    if (!nonce.startsWith(clientNonce) || nonce.length() == clientNonce.length()
        || iterations < Scram.MIN_ITERATIONS || iterations > 1_000_000 || salt.length == 0) {
      throw Status.UNAUTHENTICATED.withDescription("the broker's server-first message does not continue the exchange")
          .asRuntimeException();
    }
    char[] password = sasl.password().toCharArray();
    byte[] salted = Scram.saltedPassword(password, salt, iterations);
    java.util.Arrays.fill(password, '\0');
    String withoutProof = "c=" + Scram.CHANNEL_BINDING + ",r=" + nonce;
    String authMessage = clientFirstBare + "," + first.getServerFirst() + "," + withoutProof;
    byte[] clientKey = Scram.clientKey(salted);
    byte[] proof = Scram.xor(clientKey, Scram.hmac(Scram.sha512(clientKey), authMessage));
    byte[] expectedServerSignature = Scram.hmac(Scram.serverKey(salted), authMessage);
    java.util.Arrays.fill(salted, (byte) 0);
    ScramFinalResponse last = auth.scramFinal(ScramFinalRequest.newBuilder().setExchangeId(first.getExchangeId())
        .setClientFinal(withoutProof + ",p=" + Scram.base64(proof)).build());
    String serverSignature = last.getServerFinal().startsWith("v=") ? last.getServerFinal().substring(2) : "";
    if (!MessageDigest.isEqual(Scram.base64(expectedServerSignature).getBytes(StandardCharsets.US_ASCII),
        serverSignature.getBytes(StandardCharsets.US_ASCII))) {
      throw Status.UNAUTHENTICATED.withDescription("the broker's SCRAM server signature is wrong: it does not hold "
          + "this user's credential").asRuntimeException();
    }
    long lifetimeNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, last.getLifetimeMs()));
    return new Token(last.getToken(), System.nanoTime() + lifetimeNanos * 8 / 10);
  }

  /** A call that fails as soon as it starts, with the status of the exchange that failed. */
  private static final class FailedCall<Q, R> extends ClientCall<Q, R> {
    private final Status status;
    private final Metadata trailers;

    FailedCall(Status status, Metadata trailers) {
      this.status = status;
      this.trailers = trailers;
    }

    @Override
    public void start(Listener<R> listener, Metadata headers) {
      listener.onClose(status, trailers);
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void cancel(String message, Throwable cause) {}

    @Override
    public void halfClose() {}

    @Override
    public void sendMessage(Q message) {}
  }
}
