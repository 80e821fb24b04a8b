package dev.skein.broker.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.limits.QuotaRefusal;
import dev.skein.broker.limits.ServerHardening;
import dev.skein.broker.limits.ServerLimits;
import dev.skein.client.BrokerAddress;
import dev.skein.client.ClientSasl;
import dev.skein.client.ClientTls;
import dev.skein.client.internal.BrokerChannels;
import dev.skein.rpc.Scram;
import dev.skein.rpc.SkeinError;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.MetadataUtils;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The connection quota per principal with SCRAM: a connection counts against the user its token
 * names, not against the certificate-less User:ANONYMOUS every SCRAM connection would otherwise
 * share; the exchange that gets the token counts against no principal.
 */
class ScramConnectionQuotaTest {

  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final List<BrokerChannels> clients = new ArrayList<>();
  private final List<ManagedChannel> plain = new ArrayList<>();
  private final dev.skein.metadata.image.ClusterImage image = withUsersImage();
  private TokenStore tokens;
  private Server server;
  private BrokerAddress address;

  @BeforeEach
  void start() throws Exception {
    tokens = new TokenStore(Duration.ofMinutes(10), () -> image, System::currentTimeMillis);
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("localhost", 0));
    ServerLimits limits = ServerLimits.DEFAULT.withPrincipalConnectionQuota(1,
        ServerLimits.parsePrincipalOverrides("User:bob=2"));
    var guard = ServerHardening.apply(builder, limits, timer, PrincipalMappingRules.parse("DEFAULT"), p -> false,
        token -> tokens.user(token).map(name -> Caller.USER_TYPE + name));
    server = builder
        .addService(guard.guard(new ScramAuthService(() -> image, tokens, true, System::currentTimeMillis)
            .definition()))
        .addService(guard.guard(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(),
            new CallerInterceptor(PrincipalMappingRules.parse("DEFAULT"), tokens, false, true))))
        .build().start();
    address = new BrokerAddress("localhost", server.getPort());
  }

  private static dev.skein.metadata.image.ClusterImage withUsersImage() {
    return ScramAuthenticationTest.withUsers(Map.of("alice", "alice-secret", "bob", "bob-secret"));
  }

  @AfterEach
  void stop() {
    clients.forEach(BrokerChannels::close);
    plain.forEach(ManagedChannel::shutdownNow);
    server.shutdownNow();
    timer.shutdownNow();
  }

  /** A new client, so a new connection, authenticating as {@code user}. */
  private ManagedChannel connectionOf(String user) {
    BrokerChannels channels = new BrokerChannels(ClientTls.PLAINTEXT,
        new ClientSasl(Scram.MECHANISM, user, user + "-secret"));
    clients.add(channels);
    return channels.channel(address);
  }

  private ManagedChannel anonymousConnection() {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", server.getPort()).usePlaintext().build();
    plain.add(channel);
    return channel;
  }

  private static void check(ManagedChannel channel) {
    HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance());
  }

  private static SkeinError refusal(ManagedChannel channel) {
    return QuotaRefusal.of(() -> check(channel));
  }

  @Test
  void eachScramUserHasItsOwnQuotaApartFromAnonymousConnections() {
    ManagedChannel alice = connectionOf("alice");
    check(alice);
    // Alice's second connection authenticates (the exchange counts against no one), then is refused by name.
    SkeinError error = refusal(connectionOf("alice"));
    assertThat(error.message()).contains("too many connections of principal User:alice: 1 open");
    assertThat(error.metadata()).containsEntry("principal", "User:alice").containsEntry("limit", "1");

    // Bob (override 2) and one anonymous connection are counted apart from Alice and each other.
    check(connectionOf("bob"));
    check(connectionOf("bob"));
    assertThat(refusal(connectionOf("bob")).metadata()).containsEntry("principal", "User:bob")
        .containsEntry("quota", "max.connections.per.principal.overrides");
    ManagedChannel anonymous = anonymousConnection();
    check(anonymous);
    assertThat(refusal(anonymousConnection()).metadata()).containsEntry("principal", "User:ANONYMOUS");
    check(alice);
  }

  @Test
  void aCallWithoutATokenFirstDoesNotLetALaterTokenCallPastTheUsersQuota() {
    check(connectionOf("alice"));
    // A call without a token first (a health check) counts a connection against User:ANONYMOUS;
    // Alice's token on it later must still count against her, and be refused.
    ManagedChannel anonymousFirst = anonymousConnection();
    check(anonymousFirst);
    // A connection served as User:ANONYMOUS moves to Alice only if she is under her quota: she is not.
    assertThat(refusal(anonymousFirst, tokenFor("alice")).metadata()).containsEntry("principal", "User:alice");
    // Refused, it holds no principal's slot: served again as User:ANONYMOUS, under that quota of 1.
    check(anonymousFirst);
    assertThat(refusal(anonymousConnection()).metadata()).containsEntry("principal", "User:ANONYMOUS");
  }

  /** A token for {@code user}, as the AuthService would issue it after an exchange. */
  private String tokenFor(String user) {
    return tokens.issue(user, image.scram().credential(user).orElseThrow().getStoredKey().toByteArray());
  }

  private static SkeinError refusal(ManagedChannel channel, String token) {
    Metadata headers = new Metadata();
    headers.put(CallerInterceptor.AUTHORIZATION, CallerInterceptor.BEARER + token);
    return QuotaRefusal.of(() -> HealthGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .check(HealthCheckRequest.getDefaultInstance()));
  }

  @Test
  void aRefusedUsersConnectionIsAdmittedOnceAnotherOfTheirsCloses() {
    ManagedChannel first = connectionOf("alice");
    check(first);
    ManagedChannel second = connectionOf("alice");
    refusal(second);

    clients.get(0).close();
    await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() -> check(second));
  }
}
