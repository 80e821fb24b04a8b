package dev.skein.broker.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.skein.proto.v1.ClusterServiceGrpc;
import dev.skein.proto.v1.DescribeClusterRequest;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** max.connections.per.ip (with an override for 127.0.0.1) and max.connections. */
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

  private static Attributes from(String ip) {
    return Attributes.newBuilder().set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, new InetSocketAddress(ip, 40000)).build();
  }
}
