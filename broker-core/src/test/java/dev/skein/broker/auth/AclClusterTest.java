package dev.skein.broker.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.skein.broker.SkeinBroker;
import dev.skein.broker.limits.ServerLimits;
import dev.skein.broker.tls.CertificateAuthority;
import dev.skein.broker.tls.ClientAuth;
import dev.skein.client.ClientConfig;
import dev.skein.client.NewTopic;
import dev.skein.client.SkeinAdmin;
import dev.skein.proto.v1.AclBinding;
import dev.skein.proto.v1.AclBindingFilter;
import dev.skein.proto.v1.AclOperation;
import dev.skein.proto.v1.AclPatternType;
import dev.skein.proto.v1.AclPermission;
import dev.skein.proto.v1.AclResourceType;
import dev.skein.proto.v1.AdminServiceGrpc;
import dev.skein.proto.v1.AlterConfigsRequest;
import dev.skein.proto.v1.ClusterServiceGrpc;
import dev.skein.proto.v1.CommitOffsetsRequest;
import dev.skein.proto.v1.ConfigResourceType;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.CreateAclsRequest;
import dev.skein.proto.v1.CreateMirrorLinkRequest;
import dev.skein.proto.v1.CreateTopicRequest;
import dev.skein.proto.v1.DeleteTopicRequest;
import dev.skein.proto.v1.DescribeAclsRequest;
import dev.skein.proto.v1.DescribeConfigsRequest;
import dev.skein.proto.v1.FetchRequest;
import dev.skein.proto.v1.FetchedPartition;
import dev.skein.proto.v1.FindCoordinatorRequest;
import dev.skein.proto.v1.GetMetadataRequest;
import dev.skein.proto.v1.GroupServiceGrpc;
import dev.skein.proto.v1.HeartbeatRequest;
import dev.skein.proto.v1.InitProducerIdRequest;
import dev.skein.proto.v1.ListOffsetsRequest;
import dev.skein.proto.v1.ListTopicsRequest;
import dev.skein.proto.v1.MirrorLinkSpec;
import dev.skein.proto.v1.MirrorServiceGrpc;
import dev.skein.proto.v1.OffsetCommit;
import dev.skein.proto.v1.OffsetQuery;
import dev.skein.proto.v1.OffsetSpec;
import dev.skein.proto.v1.PartitionBatch;
import dev.skein.proto.v1.PartitionPosition;
import dev.skein.proto.v1.PartitionProduceResult;
import dev.skein.proto.v1.ProduceRequest;
import dev.skein.proto.v1.ProducerServiceGrpc;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.RecordSet;
import dev.skein.proto.v1.SubscribeRequest;
import dev.skein.proto.v1.TopicMetadata;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two brokers with TLS and the ACL authorizer on; principals from client certificates
 * ({@code CN=alice} → {@code User:alice}). The brokers and {@code User:admin} are super users.
 * Each test uses its own principal and topics, so the tests do not see each other's ACLs.
 */
class AclClusterTest {

  @TempDir
  static Path dir;

  static SecureTestBrokers cluster;
  static CertificateAuthority ca;
  static List<SkeinBroker> brokers;
  static final Map<String, List<ManagedChannel>> channels = new HashMap<>();
  static SkeinAdmin admin;

  @BeforeAll
  static void startCluster() throws Exception {
    SecurityConfig security = SecurityConfig.DEFAULT
        .withPrincipalMappingRules(PrincipalMappingRules.parse("RULE:^CN=([^,]+).*$/$1/L,DEFAULT"))
        .withAuthorizer(SecurityConfig.parseSuperUsers("User:broker; User:admin"), false);
    cluster = SecureTestBrokers.start(dir, "acl-test-ca", 2, ClientAuth.REQUESTED, security, ServerLimits.DEFAULT);
    ca = cluster.ca();
    brokers = cluster.brokers();
    admin = SkeinAdmin.create(ClientConfig.from(clientSettings("Admin", 0)));
  }

  @AfterAll
  static void stopCluster() {
    if (admin != null) {
      admin.close();
    }
    channels.values().forEach(list -> list.forEach(ManagedChannel::shutdownNow));
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Client settings for a user with a certificate (CN=user), talking to one broker. */
  static Map<String, String> clientSettings(String user, int broker) {
    Path cert = dir.resolve(user + ".pem");
    if (!cert.toFile().exists()) {
      ca.issue(user, List.of(), Duration.ofDays(1)).write(cert, dir.resolve(user + "-key.pem"));
    }
    Map<String, String> settings = new HashMap<>();
    settings.put("bootstrap.servers", brokers.get(broker).config().advertised().toString());
    settings.put("security.protocol", "SSL");
    settings.put("ssl.ca.location", dir.resolve("ca.pem").toString());
    settings.put("ssl.certificate.location", cert.toString());
    settings.put("ssl.key.location", dir.resolve(user + "-key.pem").toString());
    settings.put("request.timeout.ms", "10000");
    return settings;
  }

  /** A channel to a broker as the user (null: no client certificate, so User:ANONYMOUS). */
  static synchronized ManagedChannel as(String user, int broker) {
    List<ManagedChannel> list = channels.computeIfAbsent(user == null ? "" : user, u -> {
      List<ManagedChannel> made = new ArrayList<>();
      if (user != null) {
        clientSettings(user, 0);
      }
      for (SkeinBroker b : brokers) {
        try {
          var ssl = GrpcSslContexts.forClient().trustManager(dir.resolve("ca.pem").toFile());
          if (user != null) {
            ssl.keyManager(dir.resolve(user + ".pem").toFile(), dir.resolve(user + "-key.pem").toFile());
          }
          made.add(NettyChannelBuilder.forAddress("localhost", b.port()).sslContext(ssl.build()).build());
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
      return made;
    });
    return list.get(broker);
  }

  static AclBinding acl(String principal, AclResourceType type, String name, AclOperation operation) {
    return AclBinding.newBuilder().setPrincipal(principal).setHost("*").setResourceType(type).setResourceName(name)
        .setPatternType(AclPatternType.ACL_PATTERN_TYPE_LITERAL).setOperation(operation)
        .setPermission(AclPermission.ACL_PERMISSION_ALLOW).build();
  }

  static AclBinding topicAcl(String principal, String topic, AclOperation operation) {
    return acl(principal, AclResourceType.ACL_RESOURCE_TYPE_TOPIC, topic, operation);
  }

  /** Adds ACLs through broker 1 and waits until broker 2 has them too. */
  static void grant(AclBinding... bindings) {
    admin.createAcls(List.of(bindings));
    long offset = brokers.get(0).quorum().image().offset();
    await().atMost(Duration.ofSeconds(10)).until(() -> brokers.get(1).quorum().image().offset() >= offset);
  }

  static void assertDenied(Executable call, ErrorReason reason, String message) {
    StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, call);
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(SkeinError.fromThrowable(e).orElseThrow().reason()).isEqualTo(reason);
    assertThat(e.getStatus().getDescription()).contains(message);
  }

  static int leaderOf(String topic) {
    return admin.describeTopic(topic).partitions().get(0).leader() - 1;
  }

  static RecordBatch batch(String value) {
    return RecordBatch.newBuilder().setRecords(RecordSet.newBuilder()
        .addRecords(Record.newBuilder().setValue(ByteString.copyFromUtf8(value))).build().toByteString()).build();
  }

  static PartitionProduceResult produce(String user, String topic) {
    return ProducerServiceGrpc.newBlockingStub(as(user, leaderOf(topic))).produce(ProduceRequest.newBuilder()
        .addBatches(PartitionBatch.newBuilder().setTopic(topic).setPartition(0).setBatch(batch("v"))).build())
        .getResults(0);
  }

  /** Produces as the user and expects it to succeed (right after creation a leader may still be opening its log). */
  static void produces(String user, String topic) {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(produce(user, topic).getError().getMessage())
        .isEmpty());
  }

  static FetchedPartition fetch(String user, String topic) {
    return ConsumerServiceGrpc.newBlockingStub(as(user, leaderOf(topic))).fetch(FetchRequest.newBuilder()
        .addPartitions(PartitionPosition.newBuilder().setTopic(topic).setPartition(0).setOffset(0))
        .build()).getPartitions(0);
  }

  // ---- the matrix: each call, without and with the ACL it needs ----

  @Test
  void produceNeedsWriteOnTheTopic() {
    admin.createTopic(NewTopic.of("produce-t", 1, 2));
    ch.qos.logback.classic.Logger audit = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("skein.audit");
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
        new ch.qos.logback.core.read.ListAppender<>();
    lines.start();
    audit.addAppender(lines);
    ch.qos.logback.classic.Level level = audit.getLevel();
    audit.setLevel(ch.qos.logback.classic.Level.INFO);   // the test configuration logs WARN and up
    PartitionProduceResult refused;
    try {
      refused = produce("p1", "produce-t");
    } finally {
      audit.detachAppender(lines);
      audit.setLevel(level);
    }
    assertThat(lines.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
        .anyMatch(line -> line.matches("DENIED principal=User:p1 host=\\S+ operation=WRITE resource=topic:produce-t"));
    assertThat(refused.getError().getReason()).isEqualTo(ErrorReason.TOPIC_AUTHORIZATION_FAILED.name());
    assertThat(refused.getError().getMessage()).contains("User:p1").contains("WRITE").contains("produce-t");
    grant(topicAcl("User:p1", "produce-t", AclOperation.ACL_OPERATION_WRITE));
    produces("p1", "produce-t");
    assertThat(brokers.stream().mapToDouble(b -> b.metrics().registry().find("skein_authorization_denied")
        .tag("operation", "WRITE").counters().stream().mapToDouble(c -> c.count()).sum()).sum()).isPositive();
  }

  @Test
  void idempotentProducerIdsNeedIdempotentWriteOrWriteOnSomeTopic() {
    assertDenied(() -> ProducerServiceGrpc.newBlockingStub(as("p2", 0)).initProducerId(
        InitProducerIdRequest.getDefaultInstance()), ErrorReason.CLUSTER_AUTHORIZATION_FAILED, "IDEMPOTENT_WRITE");
    grant(topicAcl("User:p2", "any-topic", AclOperation.ACL_OPERATION_WRITE));
    assertThat(ProducerServiceGrpc.newBlockingStub(as("p2", 0)).initProducerId(
        InitProducerIdRequest.getDefaultInstance()).getProducerId()).isNotNegative();
  }

  @Test
  void fetchAndListOffsetsNeedReadOnTheTopic() {
    admin.createTopic(NewTopic.of("fetch-t", 1, 2));
    FetchedPartition refused = fetch("c1", "fetch-t");
    assertThat(refused.getError().getReason()).isEqualTo(ErrorReason.TOPIC_AUTHORIZATION_FAILED.name());
    var offsets = ConsumerServiceGrpc.newBlockingStub(as("c1", leaderOf("fetch-t"))).listOffsets(
        ListOffsetsRequest.newBuilder().addQueries(OffsetQuery.newBuilder().setTopic("fetch-t").setPartition(0)
            .setSpec(OffsetSpec.OFFSET_SPEC_LATEST)).build()).getResults(0);
    assertThat(offsets.getError().getReason()).isEqualTo(ErrorReason.TOPIC_AUTHORIZATION_FAILED.name());
    // A subscription to only refused partitions: one message with their errors, then the end.
    var stream = ConsumerServiceGrpc.newBlockingStub(as("c1", leaderOf("fetch-t")))
        .withDeadlineAfter(10, TimeUnit.SECONDS).subscribe(SubscribeRequest.newBuilder()
            .addPartitions(PartitionPosition.newBuilder().setTopic("fetch-t").setPartition(0).setOffset(0)).build());
    assertThat(stream.next().getPartitions(0).getError().getReason())
        .isEqualTo(ErrorReason.TOPIC_AUTHORIZATION_FAILED.name());
    assertThat(stream.hasNext()).isFalse();
    grant(topicAcl("User:c1", "fetch-t", AclOperation.ACL_OPERATION_READ));
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(fetch("c1", "fetch-t").getError()
        .getMessage()).isEmpty());
    assertThat(ConsumerServiceGrpc.newBlockingStub(as("c1", leaderOf("fetch-t"))).listOffsets(
        ListOffsetsRequest.newBuilder().addQueries(OffsetQuery.newBuilder().setTopic("fetch-t").setPartition(0)
            .setSpec(OffsetSpec.OFFSET_SPEC_LATEST)).build()).getResults(0).hasError()).isFalse();
  }

  @Test
  void groupCallsNeedReadOnTheGroupAndCommitsReadOnTheTopic() {
    admin.createTopic(NewTopic.of("group-t", 1, 2));
    var groups = GroupServiceGrpc.newBlockingStub(as("g1", 0));
    HeartbeatRequest join = HeartbeatRequest.newBuilder().setGroupId("g1-group").setMemberId("m1").setMemberEpoch(0)
        .addSubscribedTopicNames("group-t").build();
    assertDenied(() -> groups.heartbeat(join), ErrorReason.GROUP_AUTHORIZATION_FAILED, "User:g1");
    assertDenied(() -> groups.findCoordinator(FindCoordinatorRequest.newBuilder().setGroupId("g1-group").build()),
        ErrorReason.GROUP_AUTHORIZATION_FAILED, "DESCRIBE");
    grant(acl("User:g1", AclResourceType.ACL_RESOURCE_TYPE_GROUP, "g1-group", AclOperation.ACL_OPERATION_READ));
    // The first group call creates __consumer_offsets; its leaders take a moment to start.
    var coordinator = await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> groups.findCoordinator(
        FindCoordinatorRequest.newBuilder().setGroupId("g1-group").build()), c -> true);
    var atCoordinator = GroupServiceGrpc.newBlockingStub(as("g1", coordinator.getCoordinatorId() - 1));
    CommitOffsetsRequest commit = CommitOffsetsRequest.newBuilder().setGroupId("g1-group").setMemberEpoch(-1)
        .addOffsets(OffsetCommit.newBuilder().setTopic("group-t").setPartition(0).setOffset(0)).build();
    assertDenied(() -> atCoordinator.commitOffsets(commit), ErrorReason.TOPIC_AUTHORIZATION_FAILED, "group-t");
    grant(topicAcl("User:g1", "group-t", AclOperation.ACL_OPERATION_READ));
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> atCoordinator.commitOffsets(commit));
    assertThat(atCoordinator.heartbeat(join).getMemberId()).isEqualTo("m1");
  }

  @Test
  void topicAdministrationNeedsCreateDeleteAndConfigRights() {
    var stub = AdminServiceGrpc.newBlockingStub(as("a1", 0));
    assertDenied(() -> stub.createTopic(CreateTopicRequest.newBuilder().setName("a1-topic").build()),
        ErrorReason.TOPIC_AUTHORIZATION_FAILED, "CREATE");
    grant(topicAcl("User:a1", "a1-topic", AclOperation.ACL_OPERATION_CREATE));
    stub.createTopic(CreateTopicRequest.newBuilder().setName("a1-topic").build());
    assertDenied(() -> stub.alterConfigs(AlterConfigsRequest.newBuilder()
        .setResourceType(ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC).setResourceName("a1-topic")
        .putSet("retention.ms", "1000").build()), ErrorReason.TOPIC_AUTHORIZATION_FAILED, "ALTER_CONFIGS");
    assertDenied(() -> stub.describeConfigs(DescribeConfigsRequest.newBuilder()
        .setResourceType(ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC).setResourceName("a1-topic").build()),
        ErrorReason.TOPIC_AUTHORIZATION_FAILED, "DESCRIBE_CONFIGS");
    assertDenied(() -> stub.deleteTopic(DeleteTopicRequest.newBuilder().setName("a1-topic").build()),
        ErrorReason.TOPIC_AUTHORIZATION_FAILED, "DELETE");
    // ALTER_CONFIGS implies DESCRIBE_CONFIGS.
    grant(topicAcl("User:a1", "a1-topic", AclOperation.ACL_OPERATION_ALTER_CONFIGS),
        topicAcl("User:a1", "a1-topic", AclOperation.ACL_OPERATION_DELETE));
    stub.alterConfigs(AlterConfigsRequest.newBuilder().setResourceType(ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC)
        .setResourceName("a1-topic").putSet("retention.ms", "1000").build());
    assertThat(stub.describeConfigs(DescribeConfigsRequest.newBuilder()
        .setResourceType(ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC).setResourceName("a1-topic").build())
        .getEntriesList()).isNotEmpty();
    stub.deleteTopic(DeleteTopicRequest.newBuilder().setName("a1-topic").build());
  }

  @Test
  void aclAndMirrorAdministrationNeedRightsOnTheCluster() {
    var stub = AdminServiceGrpc.newBlockingStub(as("a2", 0));
    assertDenied(() -> stub.createAcls(CreateAclsRequest.newBuilder()
        .addBindings(topicAcl("User:a2", "x", AclOperation.ACL_OPERATION_ALL)).build()),
        ErrorReason.CLUSTER_AUTHORIZATION_FAILED, "principal User:a2 is not allowed to ALTER cluster 'skein-cluster'");
    assertDenied(() -> stub.describeAcls(DescribeAclsRequest.getDefaultInstance()),
        ErrorReason.CLUSTER_AUTHORIZATION_FAILED, "DESCRIBE");
    CreateMirrorLinkRequest link = CreateMirrorLinkRequest.newBuilder().setValidateOnly(true)
        .setLink(MirrorLinkSpec.newBuilder().setName("a2-link").addSourceBootstrap("localhost:1").addTopics("t"))
        .build();
    assertDenied(() -> MirrorServiceGrpc.newBlockingStub(as("a2", 0)).createMirrorLink(link),
        ErrorReason.CLUSTER_AUTHORIZATION_FAILED, "ALTER");
    grant(acl("User:a2", AclResourceType.ACL_RESOURCE_TYPE_CLUSTER, "skein-cluster", AclOperation.ACL_OPERATION_ALTER),
        acl("User:a2", AclResourceType.ACL_RESOURCE_TYPE_MIRROR_LINK, "a2-link", AclOperation.ACL_OPERATION_ALTER));
    // ALTER implies DESCRIBE.
    assertThat(stub.describeAcls(DescribeAclsRequest.newBuilder().setFilter(AclBindingFilter.newBuilder()
        .setPrincipal("User:a2")).build()).getBindingsList()).hasSize(2);
    MirrorServiceGrpc.newBlockingStub(as("a2", 0)).createMirrorLink(link);
  }

  @Test
  void aLinkPresentingTheBrokersCertificateNeedsAlterOnTheClusterNotJustTheLink() {
    grant(acl("User:a3", AclResourceType.ACL_RESOURCE_TYPE_MIRROR_LINK, "a3-link", AclOperation.ACL_OPERATION_ALTER));
    MirrorLinkSpec.Builder spec = MirrorLinkSpec.newBuilder().setName("a3-link").addSourceBootstrap("localhost:1")
        .addTopics("t");
    var mirrors = MirrorServiceGrpc.newBlockingStub(as("a3", 0));
    mirrors.createMirrorLink(CreateMirrorLinkRequest.newBuilder().setValidateOnly(true).setLink(spec).build());
    assertDenied(() -> mirrors.createMirrorLink(CreateMirrorLinkRequest.newBuilder().setValidateOnly(true)
        .setLink(spec.clone().setSourceUseBrokerCertificate(true)).build()),
        ErrorReason.CLUSTER_AUTHORIZATION_FAILED, "principal User:a3 is not allowed to ALTER cluster 'skein-cluster'");
  }

  // ---- semantics across the cluster ----

  @Test
  void metadataAndListingsLeaveOutTopicsThePrincipalMayNotDescribe() {
    admin.createTopic(NewTopic.of("visible-t", 1, 2));
    admin.createTopic(NewTopic.of("hidden-t", 1, 2));
    grant(topicAcl("User:m1", "visible-t", AclOperation.ACL_OPERATION_READ));
    List<String> names = ClusterServiceGrpc.newBlockingStub(as("m1", 1)).getMetadata(GetMetadataRequest.newBuilder()
        .setAllTopics(true).build()).getTopicsList().stream().map(TopicMetadata::getName).toList();
    assertThat(names).containsExactly("visible-t");
    assertThat(AdminServiceGrpc.newBlockingStub(as("m1", 0)).listTopics(ListTopicsRequest.newBuilder()
        .setIncludeInternal(true).build()).getTopicsList()).extracting(t -> t.getName()).containsExactly("visible-t");
    TopicMetadata named = ClusterServiceGrpc.newBlockingStub(as("m1", 0)).getMetadata(GetMetadataRequest.newBuilder()
        .addTopics("hidden-t").build()).getTopics(0);
    assertThat(named.getError().getReason()).isEqualTo(ErrorReason.TOPIC_AUTHORIZATION_FAILED.name());
    // No certificate: User:ANONYMOUS, who may describe nothing.
    assertThat(ClusterServiceGrpc.newBlockingStub(as(null, 0)).getMetadata(GetMetadataRequest.newBuilder()
        .setAllTopics(true).build()).getTopicsList()).isEmpty();
  }

  @Test
  void denyWinsOverAllowAndPrefixesMatch() {
    admin.createTopic(NewTopic.of("pay-eu", 1, 2));
    admin.createTopic(NewTopic.of("pay-us", 1, 2));
    grant(AclBinding.newBuilder(topicAcl("User:d1", "pay-", AclOperation.ACL_OPERATION_WRITE))
        .setPatternType(AclPatternType.ACL_PATTERN_TYPE_PREFIXED).build());
    produces("d1", "pay-eu");
    produces("d1", "pay-us");
    grant(AclBinding.newBuilder(topicAcl("User:d1", "pay-us", AclOperation.ACL_OPERATION_WRITE))
        .setPermission(AclPermission.ACL_PERMISSION_DENY).build());
    assertThat(produce("d1", "pay-us").getError().getReason()).isEqualTo(ErrorReason.TOPIC_AUTHORIZATION_FAILED.name());
    produces("d1", "pay-eu");
  }

  @Test
  void anAclAddedThroughOneBrokerHoldsOnEveryBroker() {
    admin.createTopic(NewTopic.of("spread-t", 1, 2));
    for (int b = 0; b < 2; b++) {
      var stub = AdminServiceGrpc.newBlockingStub(as("s1", b));
      assertThat(stub.listTopics(ListTopicsRequest.getDefaultInstance()).getTopicsList()).isEmpty();
    }
    // Through broker 2 only; no waiting for broker 1 here.
    try (SkeinAdmin viaSecond = SkeinAdmin.create(ClientConfig.from(clientSettings("Admin", 1)))) {
      viaSecond.createAcls(List.of(topicAcl("User:s1", "spread-t", AclOperation.ACL_OPERATION_DESCRIBE)));
    }
    for (int b = 0; b < 2; b++) {
      var stub = AdminServiceGrpc.newBlockingStub(as("s1", b));
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(stub.listTopics(
          ListTopicsRequest.getDefaultInstance()).getTopicsList()).extracting(t -> t.getName()).containsExactly("spread-t"));
    }
  }

  @Test
  void aclsCanBeListedAndRemovedByFilter() {
    grant(topicAcl("User:r1", "r1-a", AclOperation.ACL_OPERATION_READ),
        topicAcl("User:r1", "r1-b", AclOperation.ACL_OPERATION_READ));
    AclBindingFilter mine = AclBindingFilter.newBuilder().setPrincipal("User:r1").build();
    assertThat(admin.describeAcls(mine)).hasSize(2);
    List<List<AclBinding>> removed = admin.deleteAcls(List.of(AclBindingFilter.newBuilder().setPrincipal("User:r1")
        .setResourceName("r1-a").build()));
    assertThat(removed).hasSize(1);
    assertThat(removed.get(0)).containsExactly(topicAcl("User:r1", "r1-a", AclOperation.ACL_OPERATION_READ));
    assertThat(admin.describeAcls(mine)).containsExactly(topicAcl("User:r1", "r1-b", AclOperation.ACL_OPERATION_READ));
    assertThatThrownBy(() -> admin.createAcls(List.of(topicAcl("alice", "x", AclOperation.ACL_OPERATION_READ))))
        .hasMessageContaining("User:<name>");
  }
}
