package dev.skein.broker.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.skein.proto.v1.ClusterServiceGrpc;
import dev.skein.proto.v1.DescribeClusterRequest;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import dev.skein.broker.auth.PrincipalMappingRules;
import dev.skein.proto.internal.v1.ReplicationServiceGrpc;
import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * max.connections.per.ip (with an override for 127.0.0.1) and max.connections; per principal,
 * as far as plaintext connections (User:ANONYMOUS) show it (TLS principals:
 * {@link PrincipalConnectionQuotaTest}).
 */
class ConnectionQuotaTest {

  static boolean works(ManagedChannel channel) {
    return ClusterServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .describeCluster(DescribeClusterRequest.getDefaultInstance()) != null;
  }

  @Test
  void aConnectionOverItsAddressQuotaIsRefusedWithTheQuotaNamedAndTheOthersGoOn(@TempDir Path dir) throws Exception {
    ServerLimits limits = ServerLimits.DEFAULT.withConnectionQuotas(10_000, 1, Map.of("127.0.0.1", 2));
    try (OneBroker one = OneBroker.start(dir, limits)) {
      ManagedChannel first = one.newChannel();
      ManagedChannel second = one.newChannel();
      ManagedChannel third = one.newChannel();
      assertThat(works(first)).isTrue();
      assertThat(works(second)).isTrue();

      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> works(third));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      SkeinError error = SkeinError.fromThrowable(e).orElseThrow();
      assertThat(error.reason()).isEqualTo(ErrorReason.CONNECTION_QUOTA_EXCEEDED);
      assertThat(error.message()).contains("too many connections from 127.0.0.1",
          "max.connections.per.ip.overrides is 2");
      assertThat(error.metadata()).containsEntry("limit", "2").containsEntry("client_ip", "127.0.0.1")
          .containsEntry("quota", "max.connections.per.ip.overrides");
      // Every service is behind the quota, health included.
      StatusRuntimeException health = catchThrowableOfType(StatusRuntimeException.class, () ->
          HealthGrpc.newBlockingStub(third).withDeadlineAfter(10, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance()));
      assertThat(health.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);

      // The admitted connections are unaffected.
      assertThat(works(first)).isTrue();
      assertThat(works(second)).isTrue();

      // Once one closes, the refused connection is admitted on its next call.
      first.shutdownNow();
      await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> works(third));
      assertThat(works(second)).isTrue();
    }
  }

  @Test
  void maxConnectionsCountsEveryAddressAndAClosedConnectionFreesItsSlot() {
    ConnectionQuotas quotas = new ConnectionQuotas(ServerLimits.DEFAULT.withConnectionQuotas(2, 2, Map.of()));
    Attributes a = quotas.transportReady(from("10.0.0.1"));
    Attributes b = quotas.transportReady(from("10.0.0.2"));
    Attributes c = quotas.transportReady(from("10.0.0.3"));
    assertThat(a.get(ConnectionQuotas.CONNECTION).admitted).isTrue();
    assertThat(b.get(ConnectionQuotas.CONNECTION).admitted).isTrue();
    assertThat(c.get(ConnectionQuotas.CONNECTION).admitted).isFalse();
    assertThat(quotas.admitted()).isEqualTo(2);
    quotas.transportTerminated(c); // a refused connection frees nothing
    assertThat(quotas.admitted()).isEqualTo(2);
    quotas.transportTerminated(a);
    assertThat(quotas.admitted()).isEqualTo(1);
    assertThat(quotas.transportReady(from("10.0.0.4")).get(ConnectionQuotas.CONNECTION).admitted).isTrue();
  }

  @Test
  void overridesParseKafkaSyntax() {
    assertThat(ServerLimits.parseOverrides("127.0.0.1:200, broker-7:0,[::1]:5,fe80::1:3"))
        .containsExactly(Map.entry("127.0.0.1", 200), Map.entry("broker-7", 0), Map.entry("::1", 5),
            Map.entry("fe80::1", 3));
  }

  @Test
  void plaintextConnectionsCountAsAnonymousAgainstThePrincipalQuotaAndAClosedOneFreesItsSlot() {
    ConnectionQuotas quotas = new ConnectionQuotas(ServerLimits.DEFAULT.withPrincipalConnectionQuota(1, Map.of()));
    Attributes a = quotas.transportReady(from("10.0.0.1"));
    Attributes b = quotas.transportReady(from("10.0.0.2"));
    assertThat(quotas.countedFor("User:ANONYMOUS")).isEqualTo(1);
    // Refused by the principal quota only: not counted against its address or max.connections either.
    assertThat(quotas.admitted()).isEqualTo(1);

    FakeCall<?> refused = call(quotas, b, ClusterServiceGrpc.getDescribeClusterMethod());
    assertThat(refused.passed).isFalse();
    assertThat(refused.status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    SkeinError error = SkeinError.fromThrowable(refused.status.asRuntimeException(refused.trailers)).orElseThrow();
    assertThat(error.reason()).isEqualTo(ErrorReason.CONNECTION_QUOTA_EXCEEDED);
    assertThat(error.message()).contains("too many connections of principal User:ANONYMOUS: 1 open",
        "max.connections.per.principal is 1");
    assertThat(error.metadata()).containsEntry("quota", "max.connections.per.principal").containsEntry("limit", "1")
        .containsEntry("principal", "User:ANONYMOUS").containsEntry("client_ip", "10.0.0.2");

    quotas.transportTerminated(a);
    assertThat(quotas.countedFor("User:ANONYMOUS")).isZero();
    assertThat(call(quotas, b, ClusterServiceGrpc.getDescribeClusterMethod()).passed).isTrue();
    assertThat(quotas.countedFor("User:ANONYMOUS")).isEqualTo(1);
    assertThat(quotas.admitted()).isEqualTo(1);
  }

  @Test
  void anOverrideNamesItselfInTheRefusal() {
    ConnectionQuotas quotas = new ConnectionQuotas(ServerLimits.DEFAULT.withPrincipalConnectionQuota(5,
        Map.of("User:ANONYMOUS", 0)));
    FakeCall<?> refused = call(quotas, quotas.transportReady(from("10.0.0.1")),
        ClusterServiceGrpc.getDescribeClusterMethod());
    SkeinError error = SkeinError.fromThrowable(refused.status.asRuntimeException(refused.trailers)).orElseThrow();
    assertThat(error.message()).contains("max.connections.per.principal.overrides is 0");
    assertThat(error.metadata()).containsEntry("quota", "max.connections.per.principal.overrides")
        .containsEntry("limit", "0");
  }

  @Test
  void replicationCallsAndBrokerPrincipalsAreNeverRefusedByThePrincipalQuota() {
    // On a plaintext port a follower is User:ANONYMOUS like any client.
    ConnectionQuotas quotas = new ConnectionQuotas(ServerLimits.DEFAULT.withPrincipalConnectionQuota(1, Map.of()));
    Attributes client = quotas.transportReady(from("10.0.0.1"));
    Attributes follower = quotas.transportReady(from("10.0.0.2"));
    assertThat(call(quotas, client, ClusterServiceGrpc.getDescribeClusterMethod()).passed).isTrue();
    assertThat(call(quotas, follower, ReplicationServiceGrpc.getReplicateMethod()).passed).isTrue();
    // Served, so counted against its address and max.connections, but not against the principal...
    assertThat(quotas.admitted()).isEqualTo(2);
    assertThat(quotas.countedFor("User:ANONYMOUS")).isEqualTo(1);
    // ...and other calls on it are still refused.
    assertThat(call(quotas, follower, ClusterServiceGrpc.getDescribeClusterMethod()).passed).isFalse();
    quotas.transportTerminated(follower);
    assertThat(quotas.admitted()).isEqualTo(1);
    assertThat(quotas.countedFor("User:ANONYMOUS")).isEqualTo(1);
    // The per-address quota still holds for replication calls.
    ConnectionQuotas perIp = new ConnectionQuotas(ServerLimits.DEFAULT.withConnectionQuotas(10, 1, Map.of())
        .withPrincipalConnectionQuota(1, Map.of()));
    perIp.transportReady(from("10.0.0.3"));
    FakeCall<?> overAddress = call(perIp, perIp.transportReady(from("10.0.0.3")),
        ReplicationServiceGrpc.getReplicateMethod());
    assertThat(overAddress.passed).isFalse();
    assertThat(overAddress.status.getDescription()).contains("max.connections.per.ip is 1");

    // A broker's principal is not counted at all.
    ConnectionQuotas exempt = new ConnectionQuotas(ServerLimits.DEFAULT.withPrincipalConnectionQuota(1, Map.of()),
        PrincipalMappingRules.parse(PrincipalMappingRules.DEFAULT), "User:ANONYMOUS"::equals, token -> Optional.empty());
    for (int i = 1; i <= 3; i++) {
      Attributes broker = exempt.transportReady(from("10.0.1." + i));
      assertThat(call(exempt, broker, ClusterServiceGrpc.getDescribeClusterMethod()).passed).isTrue();
    }
    assertThat(exempt.countedFor("User:ANONYMOUS")).isZero();
    assertThat(exempt.admitted()).isEqualTo(3);
  }

  @Test
  void principalOverridesParseNamesWithEqualsSignsAndCommas() {
    assertThat(ServerLimits.parsePrincipalOverrides("User:CN=etl=50, User:ANONYMOUS=5,User:CN=a,OU=data,O=x=7,"
        + "User:alice=0"))
        .containsExactly(Map.entry("User:CN=etl", 50), Map.entry("User:ANONYMOUS", 5),
            Map.entry("User:CN=a,OU=data,O=x", 7), Map.entry("User:alice", 0));
    assertThat(ServerLimits.parsePrincipalOverrides(" ")).isEmpty();
    assertThatThrownBy(() -> ServerLimits.parsePrincipalOverrides("alice=5"))
        .hasMessage("max.connections.per.principal.overrides: 'alice=5' is not User:<name>=LIMIT");
    assertThatThrownBy(() -> ServerLimits.parsePrincipalOverrides("User:a=5,user:b=3"))
        .hasMessageContaining("'user:b=3' is not User:<name>=LIMIT");
    assertThatThrownBy(() -> ServerLimits.parsePrincipalOverrides("User:alice"))
        .hasMessageContaining("'User:alice' is not User:<name>=LIMIT");
    assertThatThrownBy(() -> ServerLimits.parsePrincipalOverrides("User:=5"))
        .hasMessageContaining("'User:=5' is not User:<name>=LIMIT");
    assertThatThrownBy(() -> ServerLimits.parsePrincipalOverrides("User:CN=etl=many"))
        .hasMessageContaining("'User:CN=etl=many' does not end in =LIMIT, a number of connections");
    assertThatThrownBy(() -> ServerLimits.parsePrincipalOverrides("User:a=1,User:a=2"))
        .hasMessageContaining("User:a is given twice");
    assertThatThrownBy(() -> ServerLimits.DEFAULT.withPrincipalConnectionQuota(1, Map.of("User:a", -1)))
        .hasMessageContaining("max.connections.per.principal.overrides (User:a) must be at least 0, got -1");
    assertThatThrownBy(() -> ServerLimits.DEFAULT.withPrincipalConnectionQuota(0, Map.of()))
        .hasMessageContaining("max.connections.per.principal must be at least 1, got 0");
  }

  /** A call on a connection with these transport attributes, through the quotas; whether it got past them. */
  private static <Q, R> FakeCall<R> call(ConnectionQuotas quotas, Attributes attributes,
      MethodDescriptor<Q, R> method) {
    FakeCall<R> call = new FakeCall<>(method, attributes);
    ServerCallHandler<Object, R> next = (c, headers) -> {
      call.passed = true;
      return new ServerCall.Listener<Object>() {};
    };
    quotas.interceptCall(call, new Metadata(), next);
    return call;
  }

  /** Records how the quotas ended it, if they did. */
  private static final class FakeCall<R> extends ServerCall<Object, R> {
    final MethodDescriptor<?, R> method;
    final Attributes attributes;
    boolean passed;
    Status status;
    Metadata trailers;

    FakeCall(MethodDescriptor<?, R> method, Attributes attributes) {
      this.method = method;
      this.attributes = attributes;
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void sendHeaders(Metadata headers) {}

    @Override
    public void sendMessage(R message) {}

    @Override
    public void close(Status status, Metadata trailers) {
      this.status = status;
      this.trailers = trailers;
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    @SuppressWarnings("unchecked")
    public MethodDescriptor<Object, R> getMethodDescriptor() {
      return (MethodDescriptor<Object, R>) method;
    }

    @Override
    public Attributes getAttributes() {
      return attributes;
    }
  }

  private static Attributes from(String ip) {
    return Attributes.newBuilder().set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, new InetSocketAddress(ip, 40000)).build();
  }
}
