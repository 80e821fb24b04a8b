package dev.skein.broker.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.skein.client.BrokerAddress;
import dev.skein.client.ClientSasl;
import dev.skein.client.ClientTls;
import dev.skein.client.SkeinException;
import dev.skein.client.internal.BrokerChannels;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.ScramCredentialsImage;
import dev.skein.proto.internal.v1.ScramMechanism;
import dev.skein.proto.internal.v1.UserScramCredentialRecord;
import dev.skein.proto.v1.AuthServiceGrpc;
import dev.skein.proto.v1.ScramFirstRequest;
import dev.skein.rpc.Scram;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The SCRAM exchange, tokens and the client's channel interceptor together, on one plaintext
 * server (--scram-allow-plaintext) whose token clock the test moves: expiry, re-authentication,
 * and the exchange's own refusals.
 */
class ScramAuthenticationTest {

  private final AtomicLong now = new AtomicLong(1_000_000);
  private final AtomicReference<ClusterImage> image = new AtomicReference<>(withUser("alice", "alice-secret"));
  private final List<String> principals = new CopyOnWriteArrayList<>();
  private Server server;
  private BrokerChannels channels;

  static ClusterImage withUser(String name, String password) {
    return withUsers(Map.of(name, password));
  }

  /** An image holding a SCRAM-SHA-512 credential (4096 iterations) for each user name and password. */
  static ClusterImage withUsers(Map<String, String> passwords) {
    Map<String, UserScramCredentialRecord> credentials = new java.util.HashMap<>();
    passwords.forEach((name, password) -> {
      byte[] salt = Scram.randomBytes(32);
      byte[] salted = Scram.saltedPassword(password.toCharArray(), salt, 4096);
      credentials.put(name, UserScramCredentialRecord.newBuilder().setName(name)
          .setMechanism(ScramMechanism.SCRAM_MECHANISM_SCRAM_SHA_512).setSalt(ByteString.copyFrom(salt))
          .setIterations(4096).setStoredKey(ByteString.copyFrom(Scram.storedKey(salted)))
          .setServerKey(ByteString.copyFrom(Scram.serverKey(salted))).build());
    });
    ClusterImage e = ClusterImage.EMPTY;
    return new ClusterImage(1, "c", e.brokers(), e.topics(), e.configs(), e.producerIds(), e.mirrors(), e.acls(),
        new ScramCredentialsImage(credentials));
  }

  private BrokerAddress start(boolean allowPlaintext) throws Exception {
    TokenStore tokens = new TokenStore(Duration.ofMinutes(10), image::get, now::get);
    ServerInterceptor record = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        principals.add(Caller.current().principal());
        return next.startCall(call, headers);
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("localhost", 0))
        .addService(new ScramAuthService(image::get, tokens, allowPlaintext, now::get).definition())
        .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(), record,
            new CallerInterceptor(PrincipalMappingRules.parse("DEFAULT"), tokens, true, allowPlaintext)))
        .build().start();
    return new BrokerAddress("localhost", server.getPort());
  }

  @AfterEach
  void stop() {
    if (channels != null) {
      channels.close();
    }
    if (server != null) {
      server.shutdownNow();
    }
  }

  private io.grpc.health.v1.HealthCheckResponse check(BrokerAddress address) {
    return HealthGrpc.newBlockingStub(channels.channel(address)).check(HealthCheckRequest.getDefaultInstance());
  }

  @Test
  void anExpiredTokenFailsOneCallRetriablyAndTheNextAuthenticatesAgain() throws Exception {
    BrokerAddress address = start(true);
    channels = new BrokerChannels(ClientTls.PLAINTEXT, new ClientSasl(Scram.MECHANISM, "alice", "alice-secret"));
    check(address);
    check(address);
    assertThat(principals).containsExactly("User:alice", "User:alice");

    now.addAndGet(Duration.ofMinutes(10).toMillis());
    StatusRuntimeException expired = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> check(address));
    assertThat(expired.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(expired.getStatus().getDescription()).startsWith("the token is unknown or expired")
        .contains("authenticate again");
    assertThat(SkeinException.from(expired).retriable()).isTrue();
    assertThat(SkeinException.from(expired).reason()).contains(dev.skein.rpc.ErrorReason.UNKNOWN_TOKEN);
    check(address);
    assertThat(principals).containsExactly("User:alice", "User:alice", "User:alice");
  }

  @Test
  void theExchangeIsRefusedOverPlaintextUnlessAllowed() throws Exception {
    BrokerAddress address = start(false);
    channels = new BrokerChannels(ClientTls.PLAINTEXT, new ClientSasl(Scram.MECHANISM, "alice", "alice-secret"));
    StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> check(address));
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(refused.getStatus().getDescription()).contains("over TLS only").contains("--scram-allow-plaintext");
    assertThat(SkeinException.from(refused).retriable()).isFalse();
    assertThat(SkeinException.from(refused).reason()).contains(dev.skein.rpc.ErrorReason.SASL_AUTHENTICATION_FAILED);
  }

  @Test
  void malformedOrReplayedExchangesAreRefused() throws Exception {
    BrokerAddress address = start(true);
    channels = new BrokerChannels(ClientTls.PLAINTEXT);
    var auth = AuthServiceGrpc.newBlockingStub(channels.channel(address));
    StatusRuntimeException mechanism = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> auth.scramFirst(ScramFirstRequest.newBuilder().setMechanism("PLAIN").setClientFirst("n,,n=a,r=x")
            .build()));
    assertThat(mechanism.getStatus().getDescription()).contains("unsupported SASL mechanism 'PLAIN'");
    StatusRuntimeException binding = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> auth.scramFirst(ScramFirstRequest.newBuilder().setMechanism(Scram.MECHANISM)
            .setClientFirst("p=tls-unique,,n=a,r=x").build()));
    assertThat(binding.getStatus().getDescription()).contains("channel binding");
    var first = auth.scramFirst(ScramFirstRequest.newBuilder().setMechanism(Scram.MECHANISM)
        .setClientFirst("n,,n=alice,r=abc").build());
    assertThat(first.getServerFirst()).startsWith("r=abc").contains(",s=").endsWith(",i=4096");
    var wrongNonce = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> auth.scramFinal(dev.skein.proto.v1.ScramFinalRequest.newBuilder().setExchangeId(first.getExchangeId())
            .setClientFinal("c=biws,r=abc,p=" + Scram.base64(new byte[64])).build()));
    assertThat(wrongNonce.getStatus().getDescription()).contains("do not match the exchange");
    var replayed = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> auth.scramFinal(dev.skein.proto.v1.ScramFinalRequest.newBuilder().setExchangeId(first.getExchangeId())
            .setClientFinal("c=biws,r=abc,p=" + Scram.base64(new byte[64])).build()));
    assertThat(replayed.getStatus().getDescription()).contains("unknown or expired").contains("start again");
  }

  @Test
  void oneAddressHasABoundedNumberOfExchangesAndOversizedOrForgedInputIsRefused() throws Exception {
    BrokerAddress address = start(true);
    channels = new BrokerChannels(ClientTls.PLAINTEXT);
    var auth = AuthServiceGrpc.newBlockingStub(channels.channel(address));
    ScramFirstRequest valid = ScramFirstRequest.newBuilder().setMechanism(Scram.MECHANISM)
        .setClientFirst("n,,n=alice,r=abc").build();
    StatusRuntimeException huge = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> auth.scramFirst(valid.toBuilder().setClientFirst("n,,n=alice,r=" + "x".repeat(2_000)).build()));
    assertThat(huge.getStatus().getDescription()).contains("longer than 1024 characters");
    StatusRuntimeException forgedLine = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> auth.scramFirst(valid.toBuilder().setClientFirst("n,,n=alice\nUser:admin authenticated,r=abc")
            .build()));
    assertThat(forgedLine.getStatus().getDescription()).contains("without control characters");

    for (int i = 0; i < ScramAuthService.MAX_PENDING_PER_ADDRESS; i++) {
      assertThat(auth.scramFirst(valid).getExchangeId()).isNotEmpty();
    }
    StatusRuntimeException full = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> auth.scramFirst(valid));
    assertThat(full.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.RESOURCE_EXHAUSTED);
    assertThat(full.getStatus().getDescription()).contains("too many SCRAM exchanges in progress from");
    // Abandoned exchanges expire and give their places back.
    now.addAndGet(ScramAuthService.EXCHANGE_TIMEOUT_MILLIS);
    assertThat(auth.scramFirst(valid).getExchangeId()).isNotEmpty();
  }
}
