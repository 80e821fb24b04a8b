package dev.skein.broker.auth;

import com.google.protobuf.ByteString;
import dev.skein.broker.rpc.CallRefusal;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.proto.internal.v1.ScramMechanism;
import dev.skein.proto.internal.v1.UserScramCredentialRecord;
import dev.skein.proto.v1.AuthServiceGrpc;
import dev.skein.proto.v1.ScramFinalRequest;
import dev.skein.proto.v1.ScramFinalResponse;
import dev.skein.proto.v1.ScramFirstRequest;
import dev.skein.proto.v1.ScramFirstResponse;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.Scram;
import dev.skein.rpc.SkeinError;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SCRAM-SHA-512 exchange (RFC 5802 without channel binding): ScramFirst answers the
 * client-first message with the user's salt and iterations and a server nonce; ScramFinal checks
 * the client's proof against the stored key and, if it holds, answers the server signature and a
 * bearer token from the {@link TokenStore}. An unknown user gets a made-up salt and the same
 * failure as a wrong password, at the same step. Nothing secret is logged: the broker never sees
 * a password, and proofs and tokens are not written anywhere.
 */
public final class ScramAuthService extends AuthServiceGrpc.AuthServiceImplBase {

  private static final Logger LOG = LoggerFactory.getLogger(ScramAuthService.class);

  /** The one answer to a failed exchange: which of user or password was wrong is not told. */
  public static final String INVALID_CREDENTIALS =
      "authentication failed: invalid SCRAM-SHA-512 credentials (unknown user or wrong password)";
  static final long EXCHANGE_TIMEOUT_MILLIS = 10_000;
  private static final int MAX_PENDING_EXCHANGES = 10_000;
  /**
   * Exchanges one client address may have open at once, so that nobody can fill the table and
   * lock every other client out (a client needs one at a time per broker).
   */
  static final int MAX_PENDING_PER_ADDRESS = 32;
  /** Longest client-first message: RFC 5802's is a user name and a nonce, well under this. */
  static final int MAX_CLIENT_FIRST_CHARS = 1024;
  /** Longest client-final message: channel binding, the nonce and an 88-character proof. */
  static final int MAX_CLIENT_FINAL_CHARS = 2048;
  /** Longest user name (as the controller enforces for credentials). */
  private static final int MAX_USER_CHARS = 255;
  private static final Context.Key<String> PEER = Context.key("skein-scram-peer");

  private record Exchange(String user, boolean known, UserScramCredentialRecord credential, String gs2Header,
      String clientFirstBare, String serverFirst, String nonce, String address, long expiresAtMillis) {}

  private final Supplier<ClusterImage> image;
  private final TokenStore tokens;
  private final boolean allowPlaintext;
  private final LongSupplier clock;
  private final byte[] fakeSaltKey = Scram.randomBytes(32);
  private final Map<String, Exchange> exchanges = new ConcurrentHashMap<>();
  private final Map<String, Integer> pendingByAddress = new HashMap<>();

  public ScramAuthService(Supplier<ClusterImage> image, TokenStore tokens, boolean allowPlaintext, LongSupplier clock) {
    this.image = image;
    this.tokens = tokens;
    this.allowPlaintext = allowPlaintext;
    this.clock = clock;
  }

  /** The service, refusing plaintext connections unless they are allowed. */
  public ServerServiceDefinition definition() {
    return ServerInterceptors.intercept(bindService(), new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        if (!allowPlaintext && call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION) == null) {
          return CallRefusal.refuse(call, SkeinError.of(ErrorReason.SASL_AUTHENTICATION_FAILED, "SCRAM "
              + "authentication runs over TLS only (this broker was not started with --scram-allow-plaintext)"));
        }
        SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        String address = peer instanceof InetSocketAddress inet && inet.getAddress() != null
            ? inet.getAddress().getHostAddress() : String.valueOf(peer);
        return Contexts.interceptCall(Context.current().withValue(PEER, address), call, headers, next);
      }
    });
  }

  @Override
  public void scramFirst(ScramFirstRequest request, StreamObserver<ScramFirstResponse> response) {
    if (!Scram.MECHANISM.equals(request.getMechanism())) {
      fail(response, "unsupported SASL mechanism '" + request.getMechanism() + "': this broker offers "
          + Scram.MECHANISM);
      return;
    }
    String message = request.getClientFirst();
    if (message.length() > MAX_CLIENT_FIRST_CHARS) {
      fail(response, "malformed client-first message: longer than " + MAX_CLIENT_FIRST_CHARS + " characters");
      return;
    }
    // gs2-header: "n,," (no channel binding) or "y,," (client could, thinks the server cannot); no authzid.
    if (!(message.startsWith("n,,") || message.startsWith("y,,"))) {
      fail(response, "malformed client-first message: expected a gs2 header 'n,,' (channel binding and "
          + "authorization identities are not supported)");
      return;
    }
    String gs2Header = message.substring(0, 3);
    String bare = message.substring(3);
    Map<String, String> attributes;
    try {
      attributes = Scram.attributes(bare);
    } catch (IllegalArgumentException e) {
      fail(response, "malformed client-first message");
      return;
    }
    String user = Scram.unescape(attributes.getOrDefault("n", ""));
    String clientNonce = attributes.getOrDefault("r", "");
    if (user.isEmpty() || clientNonce.isEmpty() || attributes.containsKey("m")) {
      fail(response, "malformed client-first message: it needs n=<user> and r=<nonce>, and no extensions");
      return;
    }
    // Names reach the log: no control characters (a forged line), nothing no credential could have.
    if (user.length() > MAX_USER_CHARS || user.chars().anyMatch(Character::isISOControl)
        || !clientNonce.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      fail(response, "malformed client-first message: the user name must be at most " + MAX_USER_CHARS
          + " characters without control characters, and the nonce printable ASCII");
      return;
    }
    long now = clock.getAsLong();
    String address = PEER.get();
    Optional<String> refusal = reserve(address, now);
    if (refusal.isPresent()) {
      response.onError(Status.RESOURCE_EXHAUSTED.withDescription(refusal.get()).asRuntimeException());
      return;
    }
    UserScramCredentialRecord credential = image.get().scram().credential(user).orElse(null);
    boolean known = credential != null;
    if (!known) {
      // A stable made-up salt, so that a prober cannot tell unknown users from known ones.
      credential = UserScramCredentialRecord.newBuilder().setName(user)
          .setMechanism(ScramMechanism.SCRAM_MECHANISM_SCRAM_SHA_512)
          .setSalt(ByteString.copyFrom(Arrays.copyOf(Scram.hmac(fakeSaltKey, user), 32)))
          .setIterations(Scram.DEFAULT_ITERATIONS)
          .setStoredKey(ByteString.copyFrom(Scram.randomBytes(64)))
          .setServerKey(ByteString.copyFrom(Scram.randomBytes(64))).build();
    }
    String nonce = clientNonce + Scram.nonce();
    String serverFirst = "r=" + nonce + ",s=" + Scram.base64(credential.getSalt().toByteArray()) + ",i="
        + credential.getIterations();
    String id = Scram.nonce();
    exchanges.put(id, new Exchange(user, known, credential, gs2Header, bare, serverFirst, nonce, address,
        now + EXCHANGE_TIMEOUT_MILLIS));
    response.onNext(ScramFirstResponse.newBuilder().setExchangeId(id).setServerFirst(serverFirst).build());
    response.onCompleted();
  }

  @Override
  public void scramFinal(ScramFinalRequest request, StreamObserver<ScramFinalResponse> response) {
    Exchange exchange = exchanges.remove(request.getExchangeId());
    if (exchange != null) {
      release(exchange.address());
    }
    if (exchange == null || exchange.expiresAtMillis() <= clock.getAsLong()) {
      fail(response, "the SCRAM exchange is unknown or expired (each is good for one ScramFinal within "
          + EXCHANGE_TIMEOUT_MILLIS / 1000 + " s); start again with ScramFirst");
      return;
    }
    String message = request.getClientFinal();
    if (message.length() > MAX_CLIENT_FINAL_CHARS) {
      fail(response, "malformed client-final message: longer than " + MAX_CLIENT_FINAL_CHARS + " characters");
      return;
    }
    int proofAt = message.lastIndexOf(",p=");
    Map<String, String> attributes;
    byte[] proof;
    try {
      attributes = Scram.attributes(message);
      proof = Scram.fromBase64(attributes.getOrDefault("p", ""));
    } catch (IllegalArgumentException e) {
      fail(response, "malformed client-final message");
      return;
    }
    String expectedBinding = Scram.base64(exchange.gs2Header().getBytes(StandardCharsets.US_ASCII));
    if (proofAt < 0 || !expectedBinding.equals(attributes.get("c")) || !exchange.nonce().equals(attributes.get("r"))
        || proof.length != 64) {
      fail(response, "malformed client-final message: channel binding, nonce or proof do not match the exchange");
      return;
    }
    String authMessage = exchange.clientFirstBare() + "," + exchange.serverFirst() + ","
        + message.substring(0, proofAt);
    byte[] storedKey = exchange.credential().getStoredKey().toByteArray();
    byte[] clientSignature = Scram.hmac(storedKey, authMessage);
    byte[] clientKey = Scram.xor(proof, clientSignature);
    boolean valid = MessageDigest.isEqual(Scram.sha512(clientKey), storedKey) && exchange.known();
    String peer = PEER.get();
    if (!valid) {
      LOG.info("SCRAM-SHA-512 authentication of user '{}' from {} failed: unknown user or wrong password",
          exchange.user(), peer);
      fail(response, INVALID_CREDENTIALS);
      return;
    }
    String serverSignature = Scram.base64(Scram.hmac(exchange.credential().getServerKey().toByteArray(),
        authMessage));
    String token = tokens.issue(exchange.user(), storedKey);
    LOG.info("User:{} authenticated with SCRAM-SHA-512 from {}", exchange.user(), peer);
    response.onNext(ScramFinalResponse.newBuilder().setServerFinal("v=" + serverSignature).setToken(token)
        .setLifetimeMs(tokens.lifetime().toMillis()).build());
    response.onCompleted();
  }

  /**
   * Takes a place for a new exchange from {@code address}, or says why there is none: the
   * address has {@link #MAX_PENDING_PER_ADDRESS} open, or the broker {@link #MAX_PENDING_EXCHANGES}.
   * Expired exchanges give their places back here (one ScramFinal ends an exchange too).
   */
  private synchronized Optional<String> reserve(String address, long now) {
    if (exchanges.size() >= MAX_PENDING_EXCHANGES
        || pendingByAddress.getOrDefault(address, 0) >= MAX_PENDING_PER_ADDRESS) {
      // remove(key, value): an exchange a concurrent ScramFinal took (and released) is not released twice.
      exchanges.forEach((id, e) -> {
        if (e.expiresAtMillis() <= now && exchanges.remove(id, e)) {
          release(e.address());
        }
      });
    }
    if (pendingByAddress.getOrDefault(address, 0) >= MAX_PENDING_PER_ADDRESS) {
      return Optional.of("too many SCRAM exchanges in progress from " + address + " (at most "
          + MAX_PENDING_PER_ADDRESS + "); finish or abandon some, and retry in " + EXCHANGE_TIMEOUT_MILLIS / 1000
          + " s");
    }
    if (exchanges.size() >= MAX_PENDING_EXCHANGES) {
      return Optional.of("too many SCRAM exchanges in progress on this broker; retry");
    }
    pendingByAddress.merge(address, 1, Integer::sum);
    return Optional.empty();
  }

  private synchronized void release(String address) {
    pendingByAddress.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
  }

  private static void fail(StreamObserver<?> response, String reason) {
    response.onError(SkeinError.of(ErrorReason.SASL_AUTHENTICATION_FAILED, reason).toStatusException());
  }
}
