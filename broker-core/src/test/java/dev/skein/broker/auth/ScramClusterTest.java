package dev.skein.broker.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.ByteString;
import dev.skein.broker.SkeinBroker;
import dev.skein.broker.limits.ServerLimits;
import dev.skein.broker.tls.CertificateAuthority;
import dev.skein.broker.tls.ClientAuth;
import dev.skein.client.BrokerAddress;
import dev.skein.client.ClientConfig;
import dev.skein.client.ClientSasl;
import dev.skein.client.ClientTls;
import dev.skein.client.NewTopic;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinException;
import dev.skein.client.internal.BrokerChannels;
import dev.skein.proto.v1.AclBinding;
import dev.skein.proto.v1.AclOperation;
import dev.skein.proto.v1.AclPatternType;
import dev.skein.proto.v1.AclPermission;
import dev.skein.proto.v1.AclResourceType;
import dev.skein.proto.v1.ListTopicsRequest;
import dev.skein.proto.v1.AdminServiceGrpc;
import dev.skein.proto.v1.PartitionBatch;
import dev.skein.proto.v1.PartitionProduceResult;
import dev.skein.proto.v1.ProduceRequest;
import dev.skein.proto.v1.ProducerServiceGrpc;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.RecordSet;
import dev.skein.proto.v1.ScramCredentialInfo;
import dev.skein.rpc.ErrorReason;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two brokers with TLS, the ACL authorizer, SCRAM authentication and --require-authentication:
 * the brokers replicate to each other with their certificates, the admin has a certificate,
 * and users without one authenticate with SCRAM-SHA-512 passwords. Each test uses its own user.
 */
class ScramClusterTest {

  @TempDir
  static Path dir;

  static SecureTestBrokers cluster;
  static CertificateAuthority ca;
  static List<SkeinBroker> brokers;
  static final List<AutoCloseable> closeables = new ArrayList<>();
  static SkeinAdmin admin;

  @BeforeAll
  static void startCluster() throws Exception {
    SecurityConfig security = SecurityConfig.DEFAULT
        .withPrincipalMappingRules(PrincipalMappingRules.parse("RULE:^CN=([^,]+).*$/$1/L,DEFAULT"))
        .withAuthorizer(SecurityConfig.parseSuperUsers("User:broker; User:admin"), false)
        .withAuthentication(new SecurityConfig.Authentication(true, true, false, Duration.ofHours(1)));
    cluster = SecureTestBrokers.start(dir, "scram-test-ca", 2, ClientAuth.REQUESTED, security, ServerLimits.DEFAULT);
    ca = cluster.ca();
    brokers = cluster.brokers();
    ca.issue("admin", List.of(), Duration.ofDays(1)).write(dir.resolve("admin.pem"), dir.resolve("admin-key.pem"));
    admin = SkeinAdmin.create(ClientConfig.from(Map.of(
        "bootstrap.servers", brokers.get(0).config().advertised().toString(),
        "security.protocol", "SSL",
        "ssl.ca.location", dir.resolve("ca.pem").toString(),
        "ssl.certificate.location", dir.resolve("admin.pem").toString(),
        "ssl.key.location", dir.resolve("admin-key.pem").toString(),
        "request.timeout.ms", "10000")));
  }

  @AfterAll
  static void stopCluster() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    if (admin != null) {
      admin.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  static ClientTls tls() {
    return new ClientTls(true, Optional.of(dir.resolve("ca.pem")), Optional.empty(), Optional.empty());
  }

  /** Channels that authenticate as the user with the password. */
  static BrokerChannels channels(String user, String password) {
    BrokerChannels channels = new BrokerChannels(tls(), new ClientSasl("SCRAM-SHA-512", user, password));
    closeables.add(channels);
    return channels;
  }

  static BrokerAddress address(int broker) {
    return new BrokerAddress("localhost", brokers.get(broker).port());
  }

  static int leaderOf(String topic) {
    return admin.describeTopic(topic).partitions().get(0).leader() - 1;
  }

  static PartitionProduceResult produce(BrokerChannels channels, String topic) {
    RecordBatch batch = RecordBatch.newBuilder().setRecords(RecordSet.newBuilder()
        .addRecords(Record.newBuilder().setValue(ByteString.copyFromUtf8("v"))).build().toByteString()).build();
    return ProducerServiceGrpc.newBlockingStub(channels.channel(address(leaderOf(topic))))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .produce(ProduceRequest.newBuilder().addBatches(PartitionBatch.newBuilder().setTopic(topic).setPartition(0)
            .setBatch(batch)).build()).getResults(0);
  }

  static void grantWrite(String user, String topic) {
    admin.createAcls(List.of(AclBinding.newBuilder().setPrincipal("User:" + user).setHost("*")
        .setResourceType(AclResourceType.ACL_RESOURCE_TYPE_TOPIC).setResourceName(topic)
        .setPatternType(AclPatternType.ACL_PATTERN_TYPE_LITERAL).setOperation(AclOperation.ACL_OPERATION_WRITE)
        .setPermission(AclPermission.ACL_PERMISSION_ALLOW).build()));
    awaitBothBrokersCaughtUp();
  }

  static void awaitBothBrokersCaughtUp() {
    long offset = brokers.get(0).quorum().image().offset();
    await().atMost(Duration.ofSeconds(10)).until(() -> brokers.get(1).quorum().image().offset() >= offset);
  }

  static StatusRuntimeException listTopicsFails(ManagedChannel channel) {
    return org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .listTopics(ListTopicsRequest.getDefaultInstance()));
  }

  @Test
  void aUserWithThePasswordActsAsItsPrincipalOnEveryBroker() {
    admin.createTopic(NewTopic.of("scram-a", 1, 2));
    admin.createTopic(NewTopic.of("scram-b", 1, 2));
    admin.upsertScramCredential("alice", "alice-secret".toCharArray(), 4096);
    grantWrite("alice", "scram-a");

    BrokerChannels alice = channels("alice", "alice-secret");
    // Replicated to the other broker (acks all): the brokers reach each other with their certificates.
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(produce(alice, "scram-a").getError()
        .getMessage()).isEmpty());
    PartitionProduceResult refused = produce(alice, "scram-b");
    assertThat(refused.getError().getReason()).isEqualTo(ErrorReason.TOPIC_AUTHORIZATION_FAILED.name());
    assertThat(refused.getError().getMessage()).contains("User:alice");
    // Both brokers know her (each issues its own token).
    for (int broker = 0; broker < 2; broker++) {
      ManagedChannel channel = alice.channel(address(broker));
      assertThat(AdminServiceGrpc.newBlockingStub(channel).listTopics(ListTopicsRequest.getDefaultInstance())
          .getTopicsList()).isNotNull();
    }
    // The Java client, configured Kafka's way, is User:alice too.
    try (SkeinAdmin asAlice = SkeinAdmin.create(ClientConfig.from(Map.of(
        "bootstrap.servers", address(0).toString(), "security.protocol", "SASL_SSL",
        "ssl.ca.location", dir.resolve("ca.pem").toString(), "sasl.mechanism", "SCRAM-SHA-512",
        "sasl.username", "alice", "sasl.password", "alice-secret")))) {
      assertThatThrownBy(() -> asAlice.describeAcls(dev.skein.proto.v1.AclBindingFilter.getDefaultInstance()))
          .isInstanceOf(SkeinException.class).hasMessageContaining("User:alice");
    }
  }

  @Test
  void aWrongPasswordOrAnUnknownUserIsRefusedAndThePasswordIsNeverLogged() {
    admin.upsertScramCredential("bob", "bob-secret".toCharArray(), 8192);
    awaitBothBrokersCaughtUp();
    Logger root = (Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    root.addAppender(lines);
    Level level = root.getLevel();
    root.setLevel(Level.INFO);
    StatusRuntimeException wrong;
    StatusRuntimeException unknown;
    try {
      wrong = listTopicsFails(channels("bob", "not-bobs-password").channel(address(0)));
      unknown = listTopicsFails(channels("nobody", "whatever-password").channel(address(0)));
    } finally {
      root.detachAppender(lines);
      root.setLevel(level);
    }
    for (StatusRuntimeException e : List.of(wrong, unknown)) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(e.getStatus().getDescription()).isEqualTo(ScramAuthService.INVALID_CREDENTIALS);
      assertThat(dev.skein.rpc.SkeinError.fromThrowable(e).orElseThrow().reason())
          .isEqualTo(ErrorReason.SASL_AUTHENTICATION_FAILED);
    }
    assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage)
        .anyMatch(line -> line.contains("authentication of user 'bob'") && line.contains("failed"))
        .noneMatch(line -> line.contains("not-bobs-password") || line.contains("whatever-password")
            || line.contains("bob-secret"));
    // The right password still works.
    assertThat(AdminServiceGrpc.newBlockingStub(channels("bob", "bob-secret").channel(address(1)))
        .listTopics(ListTopicsRequest.getDefaultInstance())).isNotNull();
  }

  @Test
  void callsWithoutCertificateOrWithAForgedTokenAreUnauthenticated() throws Exception {
    ManagedChannel anonymous = NettyChannelBuilder.forAddress("localhost", brokers.get(0).port())
        .sslContext(GrpcSslContexts.forClient().trustManager(dir.resolve("ca.pem").toFile()).build()).build();
    closeables.add(anonymous::shutdownNow);
    StatusRuntimeException none = listTopicsFails(anonymous);
    assertThat(none.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(none.getStatus().getDescription()).isEqualTo(CallerInterceptor.AUTHENTICATION_REQUIRED);

    Metadata forged = new Metadata();
    forged.put(CallerInterceptor.AUTHORIZATION, "Bearer AAAAAAAAAAAAAAAAAAAAAA");
    StatusRuntimeException bad = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> AdminServiceGrpc.newBlockingStub(anonymous)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(forged))
            .listTopics(ListTopicsRequest.getDefaultInstance()));
    assertThat(bad.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(bad.getStatus().getDescription()).isEqualTo(CallerInterceptor.UNKNOWN_TOKEN);
  }

  @Test
  void describeNeverReturnsKeysAndDeletingAUserEndsItsTokensAndLogins() {
    admin.upsertScramCredential("carol", "carol-secret".toCharArray(), 4096);
    assertThat(admin.describeScramCredentials(List.of("carol"))).containsExactly(ScramCredentialInfo.newBuilder()
        .setName("carol").setMechanism("SCRAM-SHA-512").setIterations(4096).build());
    assertThat(ScramCredentialInfo.getDescriptor().getFields()).extracting(f -> f.getName())
        .containsExactly("name", "mechanism", "iterations");
    awaitBothBrokersCaughtUp();
    BrokerChannels carol = channels("carol", "carol-secret");
    ManagedChannel channel = carol.channel(address(0));
    assertThat(AdminServiceGrpc.newBlockingStub(channel).listTopics(ListTopicsRequest.getDefaultInstance()))
        .isNotNull();

    admin.deleteScramCredential("carol");
    assertThat(admin.describeScramCredentials(List.of())).extracting(ScramCredentialInfo::getName)
        .doesNotContain("carol");
    // Her token dies with her credential; the next call tries to authenticate again and fails.
    StatusRuntimeException tokenGone = listTopicsFails(channel);
    assertThat(tokenGone.getStatus().getDescription()).isEqualTo(CallerInterceptor.UNKNOWN_TOKEN);
    StatusRuntimeException loginGone = listTopicsFails(channel);
    assertThat(loginGone.getStatus().getDescription()).isEqualTo(ScramAuthService.INVALID_CREDENTIALS);
    assertThatThrownBy(() -> admin.deleteScramCredential("carol")).isInstanceOf(SkeinException.class)
        .hasMessageContaining("has no SCRAM-SHA-512 credential");
  }
}
