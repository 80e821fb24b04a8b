package dev.skein.broker.tls;

import static dev.skein.broker.cluster.TestCluster.freePorts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.BrokerConfig;
import dev.skein.broker.HostPort;
import dev.skein.broker.SkeinBroker;
import dev.skein.client.ClientConfig;
import dev.skein.client.ConsumerConfig;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.ProducerConfig;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinException;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import dev.skein.metadata.QuorumVoter;
import dev.skein.proto.internal.v1.ReplicaFetchRequest;
import dev.skein.proto.internal.v1.ReplicaFetchResponse;
import dev.skein.proto.internal.v1.ReplicationServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three brokers with TLS on all three ports (client, replication, Raft), certificates from a
 * throwaway CA that name only "localhost". One cluster for the whole class: each test looks at
 * one way in, allowed or refused.
 */
class TlsClusterTest {

  @TempDir
  static Path dir;

  static CertificateAuthority ca;
  static Path caFile;
  static Path crlFile;
  static Path clientCert;
  static Path clientKey;
  static final List<SkeinBroker> brokers = new ArrayList<>();
  static final List<BrokerConfig> configs = new ArrayList<>();
  static List<QuorumVoter> voters;

  @BeforeAll
  static void startCluster() throws Exception {
    ca = CertificateAuthority.create("skein-test-ca", Duration.ofDays(1));
    caFile = dir.resolve("ca.pem");
    ca.writeCertificate(caFile);
    crlFile = dir.resolve("revoked.pem");
    ca.writeRevocationList(crlFile, List.of());
    ca.issue("broker", List.of("localhost"), Duration.ofDays(1))
        .write(dir.resolve("broker.pem"), dir.resolve("broker-key.pem"));
    clientCert = dir.resolve("client.pem");
    clientKey = dir.resolve("client-key.pem");
    ca.issue("client-1", List.of(), Duration.ofDays(1)).write(clientCert, clientKey);
    int[] ports = freePorts(8);
    voters = List.of(new QuorumVoter(1, "localhost", ports[1]), new QuorumVoter(2, "localhost", ports[3]),
        new QuorumVoter(3, "localhost", ports[5]));
    for (int id = 1; id <= 3; id++) {
      // Broker 1 has its own copy of the files: the rotation test replaces them.
      Path cert = dir.resolve(id == 1 ? "broker-1.pem" : "broker.pem");
      Path key = dir.resolve(id == 1 ? "broker-1-key.pem" : "broker-key.pem");
      if (id == 1) {
        Files.copy(dir.resolve("broker.pem"), cert);
        Files.copy(dir.resolve("broker-key.pem"), key);
      }
      TlsConfig tls = TlsConfig.of(cert, key, caFile).withClientAuth(ClientAuth.REQUESTED)
          .withRefreshInterval(Duration.ofMillis(200)).withRevocationList(crlFile);
      configs.add(config(id, ports[2 * (id - 1)], ports[2 * (id - 1) + 1], voters, tls));
    }
    for (BrokerConfig config : configs) {
      brokers.add(SkeinBroker.start(config));
    }
    CompletableFuture.allOf(brokers.stream().map(SkeinBroker::ready).toArray(CompletableFuture[]::new))
        .get(60, TimeUnit.SECONDS);
  }

  static BrokerConfig config(int id, int port, int raftPort, List<QuorumVoter> quorum, TlsConfig tls) {
    HostPort address = new HostPort("localhost", port);
    BrokerConfig.Builder builder = BrokerConfig.builder(id, dir.resolve("broker-" + id))
        .listen(address, address)
        .quorum(quorum, new HostPort("localhost", raftPort))
        .topicDefaults(1, 3, dev.skein.storage.log.LogConfig.DEFAULT);
    return tls == null ? builder.build() : builder.tls(tls).build();
  }

  @AfterAll
  static void stopCluster() {
    brokers.parallelStream().forEach(SkeinBroker::stopWithoutHandoff);
  }

  static String bootstrap() {
    return configs.stream().map(c -> c.advertised().toString()).collect(Collectors.joining(","));
  }

  static Map<String, String> tlsSettings(String bootstrap) {
    Map<String, String> settings = new HashMap<>();
    settings.put("bootstrap.servers", bootstrap);
    settings.put("security.protocol", "SSL");
    settings.put("ssl.ca.location", caFile.toString());
    settings.put("request.timeout.ms", "5000");
    return settings;
  }

  @Test
  void replicatesAndServesTheJavaClientOverTls() {
    try (SkeinAdmin admin = SkeinAdmin.create(ClientConfig.from(tlsSettings(bootstrap())))) {
      admin.createTopic(NewTopic.of("secure", 3, 3).withConfigs(Map.of("min.insync.replicas", "3")));
      Map<String, String> producerSettings = tlsSettings(bootstrap());
      producerSettings.put("acks", "all");
      try (SkeinProducer producer = SkeinProducer.create(ProducerConfig.from(producerSettings))) {
        List<CompletableFuture<?>> sent = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
          sent.add(producer.send(ProducerRecord.of("secure", "k" + i, "v" + i)));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).join();
      }
      // acks=all with min.insync.replicas=3 succeeded: every follower fetched over TLS.
      for (PartitionInfo p : admin.describeTopic("secure").partitions()) {
        assertThat(p.isr()).containsExactlyInAnyOrder(1, 2, 3);
      }
      assertThat(admin.describeCluster().quorum().members()).hasSize(3);
    }
    Map<String, String> consumerSettings = tlsSettings(bootstrap());
    consumerSettings.put("auto.offset.reset", "earliest");
    try (SkeinConsumer consumer = SkeinConsumer.create(ConsumerConfig.from(consumerSettings))) {
      List<TopicPartition> partitions = consumer.partitionsFor("secure");
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      List<ConsumerRecord> got = new ArrayList<>();
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        got.addAll(consumer.poll(Duration.ofMillis(200)));
        return got.size() >= 300;
      });
      assertThat(got).hasSize(300);
    }
  }

  @Test
  void aClientWithoutTheClusterCaIsRefused() {
    Map<String, String> settings = tlsSettings(bootstrap());
    settings.remove("ssl.ca.location");   // the JDK's default trust store knows nothing of the test CA
    assertThatThrownBy(() -> describe(settings)).isInstanceOf(SkeinException.class)
        .hasMessageContaining("TLS handshake failed: certificate not trusted (is ssl.ca.location the cluster's CA?)");
  }

  @Test
  void aClientReachingTheBrokerByANameNotInItsCertificateIsRefused() {
    // The certificates name "localhost" only.
    Map<String, String> settings = tlsSettings("127.0.0.1:" + configs.get(0).advertised().port());
    assertThatThrownBy(() -> describe(settings)).isInstanceOf(SkeinException.class)
        .hasMessageContaining("TLS handshake failed: the broker's certificate does not name the address");
  }

  @Test
  void aClientWithAnExpiredCertificateIsRefused() {
    Instant now = Instant.now();
    ca.issue("old-client", List.of(), now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)))
        .write(dir.resolve("expired.pem"), dir.resolve("expired-key.pem"));
    Map<String, String> settings = tlsSettings(bootstrap());
    settings.put("ssl.certificate.location", dir.resolve("expired.pem").toString());
    settings.put("ssl.key.location", dir.resolve("expired-key.pem").toString());
    assertThatThrownBy(() -> describe(settings)).isInstanceOf(SkeinException.class)
        .hasMessageContaining("TLS handshake failed: the broker refused this client's certificate");
  }

  @Test
  void aBrokerWithAnExpiredCertificateIsRefused() throws Exception {
    // A bare gRPC server stands in for a broker whose certificate has run out.
    Instant now = Instant.now();
    ca.issue("expired-broker", List.of("localhost"), now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)))
        .write(dir.resolve("expired-broker.pem"), dir.resolve("expired-broker-key.pem"));
    io.grpc.Server server = io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forPort(0)
        .sslContext(GrpcSslContexts.forServer(dir.resolve("expired-broker.pem").toFile(),
            dir.resolve("expired-broker-key.pem").toFile()).build())
        .addService(new io.grpc.protobuf.services.HealthStatusManager().getHealthService())
        .build().start();
    try {
      assertThatThrownBy(() -> describe(tlsSettings("localhost:" + server.getPort())))
          .isInstanceOf(SkeinException.class)
          .hasMessageContaining("TLS handshake failed: the broker's certificate has expired or is not yet valid");
    } finally {
      server.shutdownNow();
    }
  }

  @Test
  void aClientCertificateRevokedOnDiskIsRefusedWithoutARestart() {
    CertificateAuthority.Issued soonRevoked = ca.issue("soon-revoked", List.of(), Duration.ofDays(1));
    soonRevoked.write(dir.resolve("soon-revoked.pem"), dir.resolve("soon-revoked-key.pem"));
    Map<String, String> settings = tlsSettings(bootstrap());
    settings.put("ssl.certificate.location", dir.resolve("soon-revoked.pem").toString());
    settings.put("ssl.key.location", dir.resolve("soon-revoked-key.pem").toString());
    assertThat(describe(settings)).as("served before it is revoked").isEqualTo(3);

    ca.writeRevocationList(crlFile, List.of(soonRevoked.serial()));

    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThatThrownBy(() -> describe(settings))
        .isInstanceOf(SkeinException.class)
        .hasMessageContaining("TLS handshake failed: the broker refused this client's certificate: it has been revoked"));
    // Only the listed certificate: another client of the same CA is still served.
    assertThat(describe(tlsSettingsWithClientCertificate())).isEqualTo(3);
  }

  private static Map<String, String> tlsSettingsWithClientCertificate() {
    Map<String, String> settings = tlsSettings(bootstrap());
    settings.put("ssl.certificate.location", clientCert.toString());
    settings.put("ssl.key.location", clientKey.toString());
    return settings;
  }

  @Test
  void aPlaintextClientIsRefused() {
    Map<String, String> settings = Map.of("bootstrap.servers", bootstrap(), "request.timeout.ms", "5000");
    assertThatThrownBy(() -> describe(settings)).isInstanceOf(SkeinException.class)
        .hasMessageContaining("security.protocol=SSL");
  }

  @Test
  void aClientWithACertificateFromTheClusterCaIsServed() {
    assertThat(describe(tlsSettingsWithClientCertificate())).isEqualTo(3);
  }

  @Test
  void aRotatedCertificateIsServedWithoutARestart() throws Exception {
    int port = configs.get(0).advertised().port();
    BigInteger before = serverCertificateSerial(port);
    CertificateAuthority.Issued next = ca.issue("broker-rotated", List.of("localhost"), Duration.ofDays(2));
    assertThat(next.serial()).isNotEqualTo(before);
    // The key first, then the certificate, each replaced whole: a reload between the two would
    // pair the old certificate with the new key for one refresh interval at most.
    next.write(dir.resolve("broker-1.pem"), dir.resolve("broker-1-key.pem"));
    await().atMost(Duration.ofSeconds(20)).until(() -> serverCertificateSerial(port).equals(next.serial()));
    // Clients still get in with the rotated certificate.
    assertThat(describe(tlsSettings("localhost:" + port))).isEqualTo(3);
  }

  @Test
  void aConnectionWithoutABrokerCertificateCannotOpenAReplicationStream() throws Exception {
    HostPort leader = configs.get(1).advertised();
    ManagedChannel channel = NettyChannelBuilder.forAddress(leader.host(), leader.port())
        .sslContext(GrpcSslContexts.forClient().trustManager(caFile.toFile()).build()).build();
    try {
      CompletableFuture<Throwable> failed = new CompletableFuture<>();
      StreamObserver<ReplicaFetchRequest> requests = ReplicationServiceGrpc.newStub(channel)
          .replicate(new StreamObserver<>() {
            @Override
            public void onNext(ReplicaFetchResponse value) {
              failed.completeExceptionally(new AssertionError("got a replication response: " + value));
            }

            @Override
            public void onError(Throwable t) {
              failed.complete(t);
            }

            @Override
            public void onCompleted() {
              failed.completeExceptionally(new AssertionError("stream completed"));
            }
          });
      requests.onNext(ReplicaFetchRequest.newBuilder().setReplicaId(9).setMaxWaitMs(100).build());
      Throwable error = failed.get(10, TimeUnit.SECONDS);
      assertThat(Status.fromThrowable(error).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(Status.fromThrowable(error).getDescription()).contains("replication needs a broker certificate");
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void aProcessWithoutABrokerCertificateCannotJoinTheQuorum() throws Exception {
    // A fourth broker, listener of the quorum, first plaintext, then with a certificate from another CA.
    int[] ports = freePorts(2);
    CertificateAuthority rogue = CertificateAuthority.create("rogue-ca", Duration.ofDays(1));
    rogue.writeCertificate(dir.resolve("rogue-ca.pem"));
    rogue.issue("rogue", List.of("localhost"), Duration.ofDays(1))
        .write(dir.resolve("rogue.pem"), dir.resolve("rogue-key.pem"));
    TlsConfig rogueTls = TlsConfig.of(dir.resolve("rogue.pem"), dir.resolve("rogue-key.pem"), caFile);
    for (TlsConfig tls : java.util.Arrays.asList(null, rogueTls)) {
      BrokerConfig config = config(4, ports[0], ports[1], voters, tls);
      SkeinBroker intruder = SkeinBroker.start(config);
      try {
        // It never gets the metadata log, so it never registers, and the voters never add it.
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6))
            .until(() -> !intruder.ready().isDone()
                && brokers.get(0).quorum().image().brokers().get(4).isEmpty()
                && !intruder.quorum().image().hasClusterId());
      } finally {
        intruder.crash();
      }
    }
    try (SkeinAdmin admin = SkeinAdmin.create(ClientConfig.from(tlsSettings(bootstrap())))) {
      assertThat(admin.describeCluster().quorum().members()).extracting(m -> m.id()).containsExactlyInAnyOrder(1, 2, 3);
    }
  }

  @Test
  void requiredClientAuthRefusesAClientWithoutACertificate() throws Exception {
    int[] ports = freePorts(2);
    List<QuorumVoter> alone = List.of(new QuorumVoter(1, "localhost", ports[1]));
    TlsConfig tls = TlsConfig.of(dir.resolve("broker.pem"), dir.resolve("broker-key.pem"), caFile)
        .withClientAuth(ClientAuth.REQUIRED);
    BrokerConfig config = BrokerConfig.builder(1, dir.resolve("required"))
        .listen(new HostPort("localhost", ports[0]), new HostPort("localhost", ports[0]))
        .quorum(alone, new HostPort("localhost", ports[1]))
        .tls(tls)
        .build();
    try (SkeinBroker broker = SkeinBroker.start(config)) {
      broker.ready().get(60, TimeUnit.SECONDS);
      String address = "localhost:" + ports[0];
      assertThatThrownBy(() -> describe(tlsSettings(address))).isInstanceOf(SkeinException.class)
          .hasMessageContaining("TLS handshake failed: the broker requires a client certificate");
      Map<String, String> withCertificate = tlsSettings(address);
      withCertificate.put("ssl.certificate.location", clientCert.toString());
      withCertificate.put("ssl.key.location", clientKey.toString());
      assertThat(describe(withCertificate)).isEqualTo(1);
    }
  }

  /** Asks the cluster to describe itself; returns the number of brokers. */
  private static int describe(Map<String, String> settings) {
    try (SkeinAdmin admin = SkeinAdmin.create(ClientConfig.from(settings))) {
      return admin.describeCluster().brokers().size();
    }
  }

  /** The serial of the certificate a broker presents to a fresh handshake (no session to resume). */
  private static BigInteger serverCertificateSerial(int port) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(caFile)) {
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("localhost", port)) {
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }
}
