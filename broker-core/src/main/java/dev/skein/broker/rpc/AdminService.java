package dev.skein.broker.rpc;

import dev.skein.broker.BrokerConfig;
import dev.skein.broker.BrokerException;
import dev.skein.broker.auth.AclMapping;
import dev.skein.broker.auth.Authorizer;
import dev.skein.broker.auth.Caller;
import dev.skein.metadata.image.AclsImage;
import dev.skein.proto.internal.v1.AclOperation;
import dev.skein.proto.internal.v1.AclResourceType;
import dev.skein.proto.v1.CreateAclsRequest;
import dev.skein.proto.v1.CreateAclsResponse;
import dev.skein.proto.v1.DeleteAclsRequest;
import dev.skein.proto.v1.DeleteAclsResponse;
import dev.skein.proto.v1.DeletedAcls;
import dev.skein.proto.v1.DescribeAclsRequest;
import dev.skein.proto.v1.DescribeAclsResponse;
import dev.skein.metadata.MetadataQuorum;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.internal.v1.BrokerList;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.v1.AdminServiceGrpc;
import dev.skein.proto.v1.CreateTopicRequest;
import dev.skein.proto.v1.CreateTopicResponse;
import dev.skein.broker.fetch.DataWatchers;
import dev.skein.broker.replica.ReplicaManager;
import dev.skein.proto.v1.AlterConfigsRequest;
import dev.skein.proto.v1.AlterConfigsResponse;
import dev.skein.proto.v1.ConfigResourceType;
import dev.skein.proto.v1.CreatePartitionsRequest;
import dev.skein.proto.v1.CreatePartitionsResponse;
import dev.skein.proto.v1.DescribeConfigsRequest;
import dev.skein.proto.v1.DescribeConfigsResponse;
import dev.skein.proto.v1.DescribeLogDirsRequest;
import dev.skein.proto.v1.DescribeLogDirsResponse;
import dev.skein.proto.v1.DeleteRecordsRequest;
import dev.skein.proto.v1.DeleteRecordsResponse;
import dev.skein.proto.v1.DeleteTopicRequest;
import dev.skein.proto.v1.DeleteTopicResponse;
import dev.skein.proto.v1.DescribeTopicsRequest;
import dev.skein.proto.v1.DescribeTopicsResponse;
import dev.skein.proto.v1.ListTopicsRequest;
import dev.skein.proto.v1.ListTopicsResponse;
import dev.skein.proto.v1.PartitionMetadata;
import dev.skein.proto.v1.TopicListing;
import dev.skein.proto.v1.TopicMetadata;
import dev.skein.rpc.ErrorReason;
import io.grpc.stub.StreamObserver;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Topic administration: topics, partitions and configs go to the controller, and the answer
 * comes once this broker's own metadata shows the change, so a client can use a topic it just
 * created; DeleteRecords acts on the partition leaders here, and DescribeLogDirs reports this
 * broker's own replicas.
 */
public final class AdminService extends AdminServiceGrpc.AdminServiceImplBase {

  private final BrokerConfig config;
  private final MetadataQuorum quorum;
  private final ControllerCalls controller;
  private final Errors errors;
  private final RecordDeletion recordDeletion;
  private final ConfigDescriber configDescriber;
  private final LogDirDescriber logDirs;
  private final Authorizer authorizer;

  public AdminService(BrokerConfig config, MetadataQuorum quorum, ControllerCalls controller, Errors errors,
      ReplicaManager replicas, DataWatchers commitWatchers, Executor executor, ScheduledExecutorService timer,
      Authorizer authorizer) {
    this.config = config;
    this.authorizer = authorizer;
    this.quorum = quorum;
    this.controller = controller;
    this.errors = errors;
    this.recordDeletion = new RecordDeletion(replicas, commitWatchers, errors, executor, timer);
    this.configDescriber = new ConfigDescriber(config.logDefaults());
    this.logDirs = new LogDirDescriber(config.nodeId(), config.logsDir(), replicas, quorum::image);
  }

  @Override
  public void alterConfigs(AlterConfigsRequest request, StreamObserver<AlterConfigsResponse> response) {
    dev.skein.proto.internal.v1.ConfigResourceType type;
    if (request.getResourceType() == ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC) {
      type = dev.skein.proto.internal.v1.ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC;
    } else if (request.getResourceType() == ConfigResourceType.CONFIG_RESOURCE_TYPE_BROKER_DEFAULTS) {
      type = dev.skein.proto.internal.v1.ConfigResourceType.CONFIG_RESOURCE_TYPE_CLUSTER;
    } else {
      response.onError(BrokerException.of(ErrorReason.INVALID_REQUEST, "resource_type must be "
          + "CONFIG_RESOURCE_TYPE_TOPIC or CONFIG_RESOURCE_TYPE_BROKER_DEFAULTS").error().toStatusException());
      return;
    }
    if (!authorized(response, AclOperation.ACL_OPERATION_ALTER_CONFIGS, configResource(request.getResourceType()),
        configResourceName(request.getResourceType(), request.getResourceName()))) {
      return;
    }
    ControllerRequest alter = ControllerRequest.newBuilder().setAlterConfigs(
        dev.skein.proto.internal.v1.AlterConfigsRequest.newBuilder().setResourceType(type)
            .setResourceName(request.getResourceName()).putAllSet(request.getSetMap())
            .addAllDelete(request.getDeleteList()).setValidateOnly(request.getValidateOnly()))
        .build();
    complete(response, controller.call(alter).thenApply(applied -> AlterConfigsResponse.getDefaultInstance()),
        "alter configs of " + request.getResourceName());
  }

  @Override
  public void describeConfigs(DescribeConfigsRequest request, StreamObserver<DescribeConfigsResponse> response) {
    if (request.getResourceType() != ConfigResourceType.CONFIG_RESOURCE_TYPE_UNSPECIFIED
        && !authorized(response, AclOperation.ACL_OPERATION_DESCRIBE_CONFIGS, configResource(request.getResourceType()),
            configResourceName(request.getResourceType(), request.getResourceName()))) {
      return;
    }
    ClusterImage image = quorum.image();
    DescribeConfigsResponse.Builder out = DescribeConfigsResponse.newBuilder();
    if (request.getResourceType() == ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC) {
      TopicImage topic = image.topics().byName(request.getResourceName()).orElse(null);
      if (topic == null) {
        response.onError(BrokerException.of(ErrorReason.UNKNOWN_TOPIC, "topic '" + request.getResourceName()
            + "' does not exist").error().toStatusException());
        return;
      }
      out.addAllEntries(configDescriber.forTopic(image.configs().topicConfigs(topic.id()), image.configs()));
    } else if (request.getResourceType() == ConfigResourceType.CONFIG_RESOURCE_TYPE_BROKER_DEFAULTS) {
      out.addAllEntries(configDescriber.clusterDefaults(image.configs()));
    } else {
      response.onError(BrokerException.of(ErrorReason.INVALID_REQUEST, "resource_type must be "
          + "CONFIG_RESOURCE_TYPE_TOPIC or CONFIG_RESOURCE_TYPE_BROKER_DEFAULTS").error().toStatusException());
      return;
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void createPartitions(CreatePartitionsRequest request, StreamObserver<CreatePartitionsResponse> response) {
    if (!authorized(response, AclOperation.ACL_OPERATION_ALTER, AclResourceType.ACL_RESOURCE_TYPE_TOPIC,
        request.getTopic())) {
      return;
    }
    ControllerRequest create = ControllerRequest.newBuilder().setCreatePartitions(
        dev.skein.proto.internal.v1.CreatePartitionsRequest.newBuilder().setName(request.getTopic())
            .setPartitions(request.getPartitions()).setValidateOnly(request.getValidateOnly()))
        .build();
    complete(response, controller.call(create).thenApply(applied -> {
      TopicImage topic = applied.image().topics().byName(request.getTopic()).orElseThrow(() -> BrokerException.of(
          ErrorReason.UNKNOWN_TOPIC, "topic '" + request.getTopic() + "' was deleted meanwhile"));
      return CreatePartitionsResponse.newBuilder().setTopic(MetadataMapping.topic(applied.image(), topic)).build();
    }), "add partitions to " + request.getTopic());
  }

  @Override
  public void deleteRecords(DeleteRecordsRequest request, StreamObserver<DeleteRecordsResponse> response) {
    if (request.getPartitionsCount() == 0 || request.getTimeoutMs() < 0) {
      response.onError(BrokerException.of(ErrorReason.INVALID_REQUEST,
          "delete records needs at least one partition and timeout_ms >= 0").error().toStatusException());
      return;
    }
    Caller caller = Caller.current();
    for (var partition : request.getPartitionsList()) {
      if (!authorized(response, caller, AclOperation.ACL_OPERATION_DELETE, AclResourceType.ACL_RESOURCE_TYPE_TOPIC,
          partition.getTopic())) {
        return;
      }
    }
    complete(response, recordDeletion.handle(request), "delete records");
  }

  @Override
  public void describeLogDirs(DescribeLogDirsRequest request, StreamObserver<DescribeLogDirsResponse> response) {
    if (!authorized(response, AclOperation.ACL_OPERATION_DESCRIBE, AclResourceType.ACL_RESOURCE_TYPE_CLUSTER,
        AclsImage.CLUSTER_NAME)) {
      return;
    }
    DescribeLogDirsResponse answer;
    try {
      answer = logDirs.describe(request);
    } catch (RuntimeException e) {
      response.onError(errors.toStatus(e, "describe log dirs"));
      return;
    }
    response.onNext(answer);
    response.onCompleted();
  }

  @Override
  public void createTopic(CreateTopicRequest request, StreamObserver<CreateTopicResponse> response) {
    try {
      authorizer.requireEither(Caller.current(), AclOperation.ACL_OPERATION_CREATE,
          AclResourceType.ACL_RESOURCE_TYPE_CLUSTER, AclsImage.CLUSTER_NAME, AclResourceType.ACL_RESOURCE_TYPE_TOPIC,
          request.getName());
    } catch (BrokerException e) {
      response.onError(e.error().toStatusException());
      return;
    }
    int partitions = request.hasPartitions() ? request.getPartitions() : config.numPartitions();
    int replicationFactor = request.hasReplicationFactor() ? request.getReplicationFactor()
        : config.defaultReplicationFactor();
    ControllerRequest create = ControllerRequest.newBuilder().setCreateTopic(
        dev.skein.proto.internal.v1.CreateTopicRequest.newBuilder()
            .setName(request.getName()).setPartitions(partitions).setReplicationFactor(replicationFactor)
            .putAllConfigs(request.getConfigsMap()).setValidateOnly(request.getValidateOnly()))
        .build();
    complete(response, controller.call(create).thenApply(applied -> {
      if (request.getValidateOnly()) {
        return CreateTopicResponse.newBuilder().setTopic(wouldBe(request, applied.response().getCreateTopic()
            .getAssignmentsList())).build();
      }
      String topicId = applied.response().getCreateTopic().getTopicId();
      ClusterImage image = applied.image();
      TopicImage topic = image.topics().byId(topicId).orElseThrow(() -> BrokerException.of(
          ErrorReason.UNKNOWN_TOPIC, "topic '" + request.getName() + "' was deleted right after it was created"));
      return CreateTopicResponse.newBuilder().setTopic(MetadataMapping.topic(image, topic)).build();
    }), "create topic " + request.getName());
  }

  private static TopicMetadata wouldBe(CreateTopicRequest request, List<BrokerList> assignments) {
    TopicMetadata.Builder topic = TopicMetadata.newBuilder().setName(request.getName())
        .putAllConfigs(request.getConfigsMap());
    for (int p = 0; p < assignments.size(); p++) {
      List<Integer> replicas = assignments.get(p).getBrokerIdsList();
      topic.addPartitions(PartitionMetadata.newBuilder().setPartition(p).setLeaderId(replicas.get(0))
          .addAllReplicas(replicas).addAllIsr(replicas));
    }
    return topic.build();
  }

  @Override
  public void deleteTopic(DeleteTopicRequest request, StreamObserver<DeleteTopicResponse> response) {
    if (!authorized(response, AclOperation.ACL_OPERATION_DELETE, AclResourceType.ACL_RESOURCE_TYPE_TOPIC,
        request.getName())) {
      return;
    }
    String topicId = quorum.image().topics().byName(request.getName()).map(TopicImage::id).orElse("");
    ControllerRequest delete = ControllerRequest.newBuilder().setDeleteTopic(
        dev.skein.proto.internal.v1.DeleteTopicRequest.newBuilder().setName(request.getName())).build();
    complete(response, controller.call(delete)
        .thenApply(applied -> DeleteTopicResponse.newBuilder().setTopicId(topicId).build()),
        "delete topic " + request.getName());
  }

  @Override
  public void listTopics(ListTopicsRequest request, StreamObserver<ListTopicsResponse> response) {
    ListTopicsResponse.Builder out = ListTopicsResponse.newBuilder();
    Caller caller = Caller.current();
    quorum.image().topics().byName().values().stream()
        .filter(t -> request.getIncludeInternal() || !t.internal())
        .filter(t -> describable(caller, t.name()))
        .sorted(Comparator.comparing(TopicImage::name))
        .forEach(t -> out.addTopics(TopicListing.newBuilder().setName(t.name()).setTopicId(t.id())
            .setPartitionCount(t.partitionCount()).setInternal(t.internal())
            .setReplicationFactor(t.partitions().isEmpty() ? 0 : t.partitions().get(0).replicas().size())));
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void describeTopics(DescribeTopicsRequest request, StreamObserver<DescribeTopicsResponse> response) {
    ClusterImage image = quorum.image();
    DescribeTopicsResponse.Builder out = DescribeTopicsResponse.newBuilder();
    Caller caller = Caller.current();
    if (request.getNamesCount() == 0) {
      image.topics().byName().values().stream().filter(t -> !t.internal()).filter(t -> describable(caller, t.name()))
          .sorted(Comparator.comparing(TopicImage::name))
          .forEach(t -> out.addTopics(MetadataMapping.topic(image, t)));
    } else {
      for (String name : request.getNamesList()) {
        if (!authorized(response, caller, AclOperation.ACL_OPERATION_DESCRIBE, AclResourceType.ACL_RESOURCE_TYPE_TOPIC,
            name)) {
          return;
        }
        TopicImage topic = image.topics().byName(name).orElse(null);
        if (topic == null) {
          response.onError(BrokerException.of(ErrorReason.UNKNOWN_TOPIC, "topic '" + name + "' does not exist")
              .error().toStatusException());
          return;
        }
        out.addTopics(MetadataMapping.topic(image, topic));
      }
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  // ---- ACLs ----

  @Override
  public void createAcls(CreateAclsRequest request, StreamObserver<CreateAclsResponse> response) {
    if (!authorized(response, AclOperation.ACL_OPERATION_ALTER, AclResourceType.ACL_RESOURCE_TYPE_CLUSTER,
        AclsImage.CLUSTER_NAME)) {
      return;
    }
    dev.skein.proto.internal.v1.CreateAclsRequest.Builder create = dev.skein.proto.internal.v1.CreateAclsRequest
        .newBuilder();
    request.getBindingsList().forEach(binding -> create.addBindings(AclMapping.toInternal(binding)));
    complete(response, controller.call(ControllerRequest.newBuilder().setCreateAcls(create).build())
        .thenApply(applied -> CreateAclsResponse.getDefaultInstance()), "create ACLs");
  }

  @Override
  public void deleteAcls(DeleteAclsRequest request, StreamObserver<DeleteAclsResponse> response) {
    if (!authorized(response, AclOperation.ACL_OPERATION_ALTER, AclResourceType.ACL_RESOURCE_TYPE_CLUSTER,
        AclsImage.CLUSTER_NAME)) {
      return;
    }
    dev.skein.proto.internal.v1.DeleteAclsRequest.Builder delete = dev.skein.proto.internal.v1.DeleteAclsRequest
        .newBuilder();
    request.getFiltersList().forEach(filter -> delete.addFilters(AclMapping.toInternal(filter)));
    complete(response, controller.call(ControllerRequest.newBuilder().setDeleteAcls(delete).build())
        .thenApply(applied -> {
          DeleteAclsResponse.Builder out = DeleteAclsResponse.newBuilder();
          applied.response().getDeleteAcls().getDeletedList().forEach(list -> out.addResults(DeletedAcls.newBuilder()
              .addAllBindings(list.getBindingsList().stream().map(AclMapping::toPublic).toList())));
          return out.build();
        }), "delete ACLs");
  }

  @Override
  public void describeAcls(DescribeAclsRequest request, StreamObserver<DescribeAclsResponse> response) {
    if (!authorized(response, AclOperation.ACL_OPERATION_DESCRIBE, AclResourceType.ACL_RESOURCE_TYPE_CLUSTER,
        AclsImage.CLUSTER_NAME)) {
      return;
    }
    DescribeAclsResponse.Builder out = DescribeAclsResponse.newBuilder();
    quorum.image().acls().matching(AclMapping.toInternal(request.getFilter()))
        .forEach(binding -> out.addBindings(AclMapping.toPublic(binding)));
    response.onNext(out.build());
    response.onCompleted();
  }

  // ---- SCRAM credentials ----

  @Override
  public void alterUserScramCredentials(dev.skein.proto.v1.AlterUserScramCredentialsRequest request,
      StreamObserver<dev.skein.proto.v1.AlterUserScramCredentialsResponse> response) {
    if (!authorized(response, AclOperation.ACL_OPERATION_ALTER, AclResourceType.ACL_RESOURCE_TYPE_CLUSTER,
        AclsImage.CLUSTER_NAME)) {
      return;
    }
    var alter = dev.skein.proto.internal.v1.AlterUserScramCredentialsRequest.newBuilder();
    for (var upsertion : request.getUpsertionsList()) {
      if (!dev.skein.rpc.Scram.MECHANISM.equals(upsertion.getMechanism())) {
        response.onError(BrokerException.of(ErrorReason.INVALID_REQUEST, "unsupported SCRAM mechanism '"
            + upsertion.getMechanism() + "': only " + dev.skein.rpc.Scram.MECHANISM).error().toStatusException());
        return;
      }
      if (upsertion.getSaltedPassword().size() != 64) {
        response.onError(BrokerException.of(ErrorReason.INVALID_REQUEST, "a SCRAM-SHA-512 salted password is 64 bytes")
            .error().toStatusException());
        return;
      }
      // Only the keys derived from the salted password are kept: it could log in as the user.
      byte[] salted = upsertion.getSaltedPassword().toByteArray();
      alter.addUpsertions(dev.skein.proto.internal.v1.UserScramCredentialRecord.newBuilder()
          .setName(upsertion.getName())
          .setMechanism(dev.skein.proto.internal.v1.ScramMechanism.SCRAM_MECHANISM_SCRAM_SHA_512)
          .setSalt(upsertion.getSalt())
          .setIterations(upsertion.getIterations())
          .setStoredKey(com.google.protobuf.ByteString.copyFrom(dev.skein.rpc.Scram.storedKey(salted)))
          .setServerKey(com.google.protobuf.ByteString.copyFrom(dev.skein.rpc.Scram.serverKey(salted))));
      java.util.Arrays.fill(salted, (byte) 0);
    }
    for (var deletion : request.getDeletionsList()) {
      if (!deletion.getMechanism().isEmpty() && !dev.skein.rpc.Scram.MECHANISM.equals(deletion.getMechanism())) {
        response.onError(BrokerException.of(ErrorReason.INVALID_REQUEST, "unsupported SCRAM mechanism '"
            + deletion.getMechanism() + "': only " + dev.skein.rpc.Scram.MECHANISM).error().toStatusException());
        return;
      }
      alter.addDeletions(dev.skein.proto.internal.v1.RemoveUserScramCredentialRecord.newBuilder()
          .setName(deletion.getName()));
    }
    complete(response, controller.call(ControllerRequest.newBuilder().setAlterUserScramCredentials(alter).build())
        .thenApply(applied -> dev.skein.proto.v1.AlterUserScramCredentialsResponse.getDefaultInstance()),
        "alter SCRAM credentials");
  }

  @Override
  public void describeUserScramCredentials(dev.skein.proto.v1.DescribeUserScramCredentialsRequest request,
      StreamObserver<dev.skein.proto.v1.DescribeUserScramCredentialsResponse> response) {
    if (!authorized(response, AclOperation.ACL_OPERATION_DESCRIBE, AclResourceType.ACL_RESOURCE_TYPE_CLUSTER,
        AclsImage.CLUSTER_NAME)) {
      return;
    }
    var out = dev.skein.proto.v1.DescribeUserScramCredentialsResponse.newBuilder();
    java.util.Set<String> names = java.util.Set.copyOf(request.getNamesList());
    // Names and iterations only: salts and keys never leave the brokers.
    quorum.image().scram().sorted().values().stream()
        .filter(c -> names.isEmpty() || names.contains(c.getName()))
        .forEach(c -> out.addCredentials(dev.skein.proto.v1.ScramCredentialInfo.newBuilder().setName(c.getName())
            .setMechanism(dev.skein.rpc.Scram.MECHANISM).setIterations(c.getIterations())));
    response.onNext(out.build());
    response.onCompleted();
  }

  // ---- authorization ----

  private boolean describable(Caller caller, String topic) {
    return authorizer.visible(caller, AclOperation.ACL_OPERATION_DESCRIBE, AclResourceType.ACL_RESOURCE_TYPE_TOPIC,
        topic);
  }

  private <T> boolean authorized(StreamObserver<T> response, AclOperation operation, AclResourceType type,
      String name) {
    return authorized(response, Caller.current(), operation, type, name);
  }

  /** Whether the caller may; if not, the call has been answered with PERMISSION_DENIED. */
  private <T> boolean authorized(StreamObserver<T> response, Caller caller, AclOperation operation,
      AclResourceType type, String name) {
    if (authorizer.allowed(caller, operation, type, name)) {
      return true;
    }
    response.onError(Authorizer.denial(caller, operation, type, name).error().toStatusException());
    return false;
  }

  private static AclResourceType configResource(ConfigResourceType type) {
    return type == ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC ? AclResourceType.ACL_RESOURCE_TYPE_TOPIC
        : AclResourceType.ACL_RESOURCE_TYPE_CLUSTER;
  }

  private static String configResourceName(ConfigResourceType type, String name) {
    return type == ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC ? name : AclsImage.CLUSTER_NAME;
  }

  private <T> void complete(StreamObserver<T> response, CompletableFuture<T> result, String what) {
    result.whenComplete((value, failure) -> {
      if (failure != null) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
            ? failure.getCause() : failure;
        response.onError(errors.toStatus(cause, what));
      } else {
        response.onNext(value);
        response.onCompleted();
      }
    });
  }
}
