package dev.skein.broker.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.auth.SecureTestBrokers;
import dev.skein.broker.auth.SecurityConfig;
import dev.skein.broker.limits.ServerLimits;
import dev.skein.broker.tls.ClientAuth;
import dev.skein.client.ClientConfig;
import dev.skein.client.NewTopic;

import dev.skein.client.ProducerConfig;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.CreateMirrorLinkRequest;
import dev.skein.proto.v1.DescribeMirrorLinkRequest;
import dev.skein.proto.v1.DescribeMirrorLinkResponse;
import dev.skein.proto.v1.MirrorLinkSpec;
import dev.skein.proto.v1.MirrorServiceGrpc;
import dev.skein.proto.v1.OffsetSpec;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mirroring between two clusters with TLS on every port and CAs of their own: the link reaches
 * the source over TLS with the source's CA stored in it, and the destination's own calls to itself
 * (group offsets copied through its group coordinator, describe gathered from its brokers) go over
 * the destination's TLS too.
 */
class MirrorTlsTest {

  @TempDir
  static Path dir;

  static SecureTestBrokers source;
  static SecureTestBrokers destination;
  static ManagedChannel destinationChannel;

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(dir.resolve("source"));
    Files.createDirectories(dir.resolve("destination"));
    CompletableFuture<SecureTestBrokers> src = CompletableFuture.supplyAsync(() -> {
      try {
        return SecureTestBrokers.start(dir.resolve("source"), "source-ca", 1, ClientAuth.REQUESTED,
            SecurityConfig.DEFAULT, ServerLimits.DEFAULT);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    destination = SecureTestBrokers.start(dir.resolve("destination"), "destination-ca", 2, ClientAuth.REQUESTED,
        SecurityConfig.DEFAULT, ServerLimits.DEFAULT);
    source = src.get(120, TimeUnit.SECONDS);
    destinationChannel = NettyChannelBuilder.forAddress("localhost", destination.brokers().get(0).port())
        .sslContext(GrpcSslContexts.forClient().trustManager(dir.resolve("destination/ca.pem").toFile()).build())
        .build();
  }

  @AfterAll
  static void stop() {
    if (destinationChannel != null) {
      destinationChannel.shutdownNow();
    }
    if (destination != null) {
      destination.close();
    }
    if (source != null) {
      source.close();
    }
  }

  static Map<String, String> settings(String cluster, SecureTestBrokers brokers) {
    Map<String, String> settings = new HashMap<>();
    settings.put("bootstrap.servers", bootstrap(brokers));
    settings.put("security.protocol", "SSL");
    settings.put("ssl.ca.location", dir.resolve(cluster).resolve("ca.pem").toString());
    settings.put("request.timeout.ms", "10000");
    return settings;
  }

  static String bootstrap(SecureTestBrokers brokers) {
    return String.join(",", brokers.brokers().stream().map(b -> b.config().advertised().toString()).toList());
  }

  private MirrorServiceGrpc.MirrorServiceBlockingStub mirrorApi() {
    return MirrorServiceGrpc.newBlockingStub(destinationChannel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private DescribeMirrorLinkResponse describe(String link) {
    return mirrorApi().describeMirrorLink(DescribeMirrorLinkRequest.newBuilder().setName(link).build());
  }

  @Test
  void aLinkMirrorsATlsSourceWithItsCaAndCopiesGroupOffsetsOverTheDestinationsTls() throws Exception {
    TopicPartition p0 = new TopicPartition("orders", 0);
    try (SkeinAdmin admin = SkeinAdmin.create(ClientConfig.from(settings("source", source)))) {
      admin.createTopic(NewTopic.of("orders", 1, 1));
      Map<String, String> producerSettings = settings("source", source);
      producerSettings.put("acks", "all");
      try (SkeinProducer producer = SkeinProducer.create(ProducerConfig.from(producerSettings))) {
        for (int i = 0; i < 100; i++) {
          producer.send(ProducerRecord.of("orders", "k" + i, "v" + i)).get(30, TimeUnit.SECONDS);
        }
      }
      admin.resetOffsets("billing", Map.of(p0, 60L));
    }

    mirrorApi().createMirrorLink(CreateMirrorLinkRequest.newBuilder().setLink(MirrorLinkSpec.newBuilder()
        .setName("secure").addSourceBootstrap(bootstrap(source)).addTopics("orders").addGroups("billing")
        .setSyncIntervalMs(300).setSourceCaPem(Files.readString(dir.resolve("source/ca.pem")))).build());

    try (SkeinAdmin admin = SkeinAdmin.create(ClientConfig.from(settings("destination", destination)))) {
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
        assertThat(admin.logOffsets(List.of(p0), OffsetSpec.OFFSET_SPEC_LATEST, 0)).containsEntry(p0, 100L);
        assertThat(admin.committedOffsets("billing")).containsEntry(p0, 60L);
      });
    }
    DescribeMirrorLinkResponse described = describe("secure");
    assertThat(described.hasSourceError()).as("source error: %s", described.getSourceError().getMessage()).isFalse();
    assertThat(described.getLink().getLink().getSourceTls()).isTrue();
  }

  @Test
  void aSourceCaThatHoldsNoCertificateIsRefusedByTheController() {
    assertThatThrownBy(() -> mirrorApi().createMirrorLink(CreateMirrorLinkRequest.newBuilder().setLink(
        MirrorLinkSpec.newBuilder().setName("bad-ca").addSourceBootstrap(bootstrap(source)).addTopics("t")
            .setSourceCaPem("not a certificate")).build()))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("INVALID_ARGUMENT").hasMessageContaining("source_ca_pem is not a list of PEM certificates");
  }

  @Test
  void aLinkThatDoesNotTrustTheSourcesCaOrSpeaksPlaintextReportsItCannotReachIt() throws Exception {
    String sourceCa = Files.readString(dir.resolve("source/ca.pem"));
    for (MirrorLinkSpec.Builder spec : List.of(
        // TLS with the JDK's default CAs, which know nothing of the source's.
        MirrorLinkSpec.newBuilder().setName("untrusted").setSourceTls(true),
        MirrorLinkSpec.newBuilder().setName("plaintext"),
        // This broker has a certificate, but the source does not trust its CA.
        MirrorLinkSpec.newBuilder().setName("foreign-certificate").setSourceCaPem(sourceCa)
            .setSourceUseBrokerCertificate(true))) {
      mirrorApi().createMirrorLink(CreateMirrorLinkRequest.newBuilder().setLink(spec
          .addSourceBootstrap(bootstrap(source)).addTopics("unreachable").setSyncIntervalMs(300)).build());
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(describe(spec.getName()).getSourceError()
          .getMessage()).as(spec.getName()).contains("no source broker of mirror link '" + spec.getName()
              + "' answered"));
    }
  }
}
