package dev.skein.broker.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.SkeinBroker;
import dev.skein.broker.auth.PrincipalMappingRules;
import dev.skein.broker.auth.SecureTestBrokers;
import dev.skein.broker.auth.SecurityConfig;
import dev.skein.broker.tls.CertificateAuthority;
import dev.skein.broker.tls.ClientAuth;
import dev.skein.client.ClientConfig;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.ProducerConfig;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinProducer;
import dev.skein.proto.v1.ClusterServiceGrpc;
import dev.skein.proto.v1.DescribeClusterRequest;
import dev.skein.rpc.SkeinError;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * max.connections.per.principal on a three-broker cluster with mutual TLS: 2 connections per
 * principal, 3 for {@code User:etl-service} (certificate CN=etl, through a mapping rule), and 1
 * for the brokers' own principal {@code User:CN=broker}, whose connections must be exempt: each
 * broker leads a partition that the other two replicate, so it has two connections from that
 * principal. Each test uses principals of its own.
 */
class PrincipalConnectionQuotaTest {

  @TempDir
  static Path dir;

  static SecureTestBrokers cluster;
  static CertificateAuthority ca;
  static List<SkeinBroker> brokers;
  static final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    SecurityConfig security = SecurityConfig.DEFAULT
        .withPrincipalMappingRules(PrincipalMappingRules.parse("RULE:^CN=etl$/etl-service/,DEFAULT"));
    ServerLimits limits = ServerLimits.DEFAULT.withPrincipalConnectionQuota(2,
        ServerLimits.parsePrincipalOverrides("User:etl-service=3,User:CN=broker=1"));
    cluster = SecureTestBrokers.start(dir, "quota-test-ca", 3, ClientAuth.REQUIRED, security, limits);
    ca = cluster.ca();
    brokers = cluster.brokers();
  }

  @AfterAll
  static void stopCluster() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (cluster != null) {
      cluster.close();
    }
  }

  /** The certificate and key for CN=name, issued on first use. */
  static synchronized Path[] certificate(String name) {
    Path cert = dir.resolve(name + ".pem");
    Path key = dir.resolve(name + "-key.pem");
    if (!cert.toFile().exists()) {
      ca.issue(name, List.of(), Duration.ofDays(1)).write(cert, key);
    }
    return new Path[] {cert, key};
  }

  /** A new channel, so a new connection, to broker 1 with the certificate CN=name. */
  static synchronized ManagedChannel channel(String name) throws Exception {
    Path[] files = name.equals("broker") ? new Path[] {dir.resolve("broker.pem"), dir.resolve("broker-key.pem")}
        : certificate(name);
    ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", brokers.get(0).port())
        .sslContext(GrpcSslContexts.forClient().trustManager(dir.resolve("ca.pem").toFile())
            .keyManager(files[0].toFile(), files[1].toFile()).build())
        .build();
    channels.add(channel);
    return channel;
  }

  static Map<String, String> clientSettings(String name) {
    Path[] files = certificate(name);
    Map<String, String> settings = new HashMap<>();
    settings.put("bootstrap.servers", brokers.stream().map(b -> b.config().advertised().toString())
        .collect(Collectors.joining(",")));
    settings.put("security.protocol", "SSL");
    settings.put("ssl.ca.location", dir.resolve("ca.pem").toString());
    settings.put("ssl.certificate.location", files[0].toString());
    settings.put("ssl.key.location", files[1].toString());
    settings.put("request.timeout.ms", "10000");
    return settings;
  }

  static boolean works(ManagedChannel channel) {
    return ConnectionQuotaTest.works(channel);
  }

  static SkeinError refusal(ManagedChannel channel) {
    return QuotaRefusal.of(() -> works(channel));
  }

  @Test
  void aThirdConnectionOfAPrincipalIsRefusedNamingItWhileOtherPrincipalsAreServed() throws Exception {
    ManagedChannel first = channel("client-a");
    ManagedChannel second = channel("client-a");
    ManagedChannel third = channel("client-a");
    assertThat(works(first)).isTrue();
    assertThat(works(second)).isTrue();

    SkeinError error = refusal(third);
    assertThat(error.message()).contains("too many connections of principal User:CN=client-a: 2 open",
        "the broker's max.connections.per.principal is 2");
    assertThat(error.metadata()).containsEntry("quota", "max.connections.per.principal")
        .containsEntry("limit", "2").containsEntry("principal", "User:CN=client-a");

    // Another principal from the same address, and the admitted connections, go on.
    assertThat(works(channel("client-b"))).isTrue();
    assertThat(works(first)).isTrue();
    assertThat(works(second)).isTrue();

    // Once one closes, the refused connection is admitted on its next call.
    first.shutdownNow();
    await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> works(third));
    assertThat(works(second)).isTrue();
  }

  @Test
  void anOverrideRaisesOnePrincipalsLimitUnderItsMappedName() throws Exception {
    // CN=etl is User:etl-service by the mapping rule, whose override is 3.
    for (int i = 0; i < 3; i++) {
      assertThat(works(channel("etl"))).isTrue();
    }
    SkeinError error = refusal(channel("etl"));
    assertThat(error.message()).contains("User:etl-service: 3 open",
        "the broker's max.connections.per.principal.overrides is 3");
    assertThat(error.metadata()).containsEntry("quota", "max.connections.per.principal.overrides")
        .containsEntry("limit", "3").containsEntry("principal", "User:etl-service");
  }

  @Test
  void brokersReplicateAndAreNeverRefusedAtAQuotaOfOneForTheirPrincipal() throws Exception {
    try (SkeinAdmin admin = SkeinAdmin.create(ClientConfig.from(clientSettings("admin")))) {
      admin.createTopic(NewTopic.of("replicated", 3, 3).withConfigs(Map.of("min.insync.replicas", "3")));
      Map<String, String> producerSettings = clientSettings("producer");
      producerSettings.put("acks", "all");
      try (SkeinProducer producer = SkeinProducer.create(ProducerConfig.from(producerSettings))) {
        List<CompletableFuture<?>> sent = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          sent.add(producer.send(ProducerRecord.of("replicated", "k" + i, "v" + i)));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      }
      // acks=all with min.insync.replicas=3: every follower fetched from every leader, so each
      // broker served two replication connections of User:CN=broker, over its override of 1.
      List<PartitionInfo> partitions = admin.describeTopic("replicated").partitions();
      assertThat(partitions).extracting(PartitionInfo::leader).containsExactlyInAnyOrder(1, 2, 3);
      for (PartitionInfo p : partitions) {
        assertThat(p.isr()).containsExactlyInAnyOrder(1, 2, 3);
      }
    }
    // Not only replication calls: the broker principal's connections are not counted at all.
    for (int i = 0; i < 3; i++) {
      assertThat(works(channel("broker"))).isTrue();
    }
  }
}
