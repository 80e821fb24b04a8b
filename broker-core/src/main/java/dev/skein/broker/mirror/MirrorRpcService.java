package dev.skein.broker.mirror;

import dev.skein.broker.BrokerException;
import dev.skein.broker.auth.Authorizer;
import dev.skein.broker.auth.Caller;
import dev.skein.metadata.image.AclsImage;
import dev.skein.proto.internal.v1.AclOperation;
import dev.skein.proto.internal.v1.AclResourceType;
import dev.skein.broker.HostPort;
import dev.skein.broker.replica.PeerChannels;
import dev.skein.broker.rpc.ControllerCalls;
import dev.skein.broker.rpc.Errors;
import dev.skein.metadata.MetadataQuorum;
import dev.skein.metadata.image.BrokerRegistration;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.MirrorsImage;
import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.DeleteMirrorLinkRequest;
import dev.skein.proto.internal.v1.MirrorLinkRecord;
import dev.skein.proto.internal.v1.PutMirrorLinkRequest;
import dev.skein.proto.v1.CreateMirrorLinkRequest;
import dev.skein.proto.v1.CreateMirrorLinkResponse;
import dev.skein.proto.v1.DeleteMirrorLinkResponse;
import dev.skein.proto.v1.DescribeMirrorLinkRequest;
import dev.skein.proto.v1.DescribeMirrorLinkResponse;
import dev.skein.proto.v1.ErrorDetail;
import dev.skein.proto.v1.GetMetadataResponse;
import dev.skein.proto.v1.ListMirrorLinksRequest;
import dev.skein.proto.v1.ListMirrorLinksResponse;
import dev.skein.proto.v1.MirrorLinkListing;
import dev.skein.proto.v1.MirrorLinkSpec;
import dev.skein.proto.v1.MirrorPartitionState;
import dev.skein.proto.v1.MirrorPartitionStatus;
import dev.skein.proto.v1.MirrorServiceGrpc;
import dev.skein.proto.v1.MirrorTopic;
import dev.skein.proto.v1.MirrorTopicState;
import dev.skein.proto.v1.PauseMirrorLinkRequest;
import dev.skein.proto.v1.PauseMirrorLinkResponse;
import dev.skein.proto.v1.PromoteMirrorTopicsRequest;
import dev.skein.proto.v1.PromoteMirrorTopicsResponse;
import dev.skein.proto.v1.ResumeMirrorLinkRequest;
import dev.skein.proto.v1.ResumeMirrorLinkResponse;
import dev.skein.proto.v1.TopicMetadata;
import dev.skein.rpc.ErrorReason;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * The public {@code MirrorService}: link changes go to the controller (answered once this
 * broker's image shows them); describe gathers each partition's state from the broker that
 * leads (and mirrors) it.
 */
public final class MirrorRpcService extends MirrorServiceGrpc.MirrorServiceImplBase {

  private static final long DESCRIBE_TIMEOUT_MS = 5_000;

  private final int nodeId;
  private final MetadataQuorum quorum;
  private final ControllerCalls controller;
  private final Errors errors;
  private final MirrorManager mirrors;
  /** The broker's channels to the other brokers (TLS as replication's): not closed here. */
  private final PeerChannels peers;
  private final Authorizer authorizer;

  public MirrorRpcService(int nodeId, MetadataQuorum quorum, ControllerCalls controller, Errors errors,
      MirrorManager mirrors, Authorizer authorizer, PeerChannels peers) {
    this.authorizer = authorizer;
    this.peers = peers;
    this.nodeId = nodeId;
    this.quorum = quorum;
    this.controller = controller;
    this.errors = errors;
    this.mirrors = mirrors;
  }

  static MirrorLinkRecord toRecord(MirrorLinkSpec spec, boolean paused) {
    return MirrorLinkRecord.newBuilder().setName(spec.getName()).addAllSourceBootstrap(spec.getSourceBootstrapList())
        .addAllTopics(spec.getTopicsList()).setIncludeRegex(spec.getIncludeRegex())
        .setExcludeRegex(spec.getExcludeRegex()).addAllGroups(spec.getGroupsList()).setGroupRegex(spec.getGroupRegex())
        .setMaxBytesPerSecond(spec.getMaxBytesPerSecond()).setSyncIntervalMs(spec.getSyncIntervalMs())
        .setSourceTls(spec.getSourceTls() || !spec.getSourceCaPem().isEmpty() || spec.getSourceUseBrokerCertificate())
        .setSourceCaPem(spec.getSourceCaPem()).setSourceUseBrokerCertificate(spec.getSourceUseBrokerCertificate())
        .setPaused(paused).build();
  }

  static MirrorLinkSpec toSpec(MirrorLinkRecord link) {
    return MirrorLinkSpec.newBuilder().setName(link.getName()).addAllSourceBootstrap(link.getSourceBootstrapList())
        .addAllTopics(link.getTopicsList()).setIncludeRegex(link.getIncludeRegex())
        .setExcludeRegex(link.getExcludeRegex()).addAllGroups(link.getGroupsList()).setGroupRegex(link.getGroupRegex())
        .setMaxBytesPerSecond(link.getMaxBytesPerSecond()).setSyncIntervalMs(link.getSyncIntervalMs())
        .setSourceTls(link.getSourceTls()).setSourceCaPem(link.getSourceCaPem())
        .setSourceUseBrokerCertificate(link.getSourceUseBrokerCertificate()).build();
  }

  @Override
  public void createMirrorLink(CreateMirrorLinkRequest request, StreamObserver<CreateMirrorLinkResponse> response) {
    if (!authorized(response, AclOperation.ACL_OPERATION_ALTER, request.getLink().getName())) {
      return;
    }
    if (request.getLink().getSourceUseBrokerCertificate()) {
      // The link would act as the brokers towards another cluster: a cluster operator's decision,
      // not one for whoever may alter this link.
      try {
        authorizer.require(Caller.current(), AclOperation.ACL_OPERATION_ALTER, AclResourceType.ACL_RESOURCE_TYPE_CLUSTER,
            AclsImage.CLUSTER_NAME);
      } catch (BrokerException e) {
        response.onError(e.error().toStatusException());
        return;
      }
    }
    complete(response, controller.call(ControllerRequest.newBuilder().setPutMirrorLink(PutMirrorLinkRequest.newBuilder()
        .setLink(toRecord(request.getLink(), false)).setCreate(true).setValidateOnly(request.getValidateOnly()))
        .build()).thenApply(applied -> CreateMirrorLinkResponse.getDefaultInstance()),
        "create mirror link " + request.getLink().getName());
  }

  @Override
  public void listMirrorLinks(ListMirrorLinksRequest request, StreamObserver<ListMirrorLinksResponse> response) {
    ClusterImage image = quorum.image();
    ListMirrorLinksResponse.Builder out = ListMirrorLinksResponse.newBuilder();
    Caller caller = Caller.current();
    boolean wholeCluster = authorizer.visible(caller, AclOperation.ACL_OPERATION_DESCRIBE,
        AclResourceType.ACL_RESOURCE_TYPE_CLUSTER, AclsImage.CLUSTER_NAME);
    image.mirrors().sortedLinks().values().stream()
        .filter(link -> wholeCluster || authorizer.visible(caller, AclOperation.ACL_OPERATION_DESCRIBE,
            AclResourceType.ACL_RESOURCE_TYPE_MIRROR_LINK, link.getName()))
        .forEach(link -> out.addLinks(listing(image, link)));
    response.onNext(out.build());
    response.onCompleted();
  }

  private static MirrorLinkListing listing(ClusterImage image, MirrorLinkRecord link) {
    MirrorLinkListing.Builder listing = MirrorLinkListing.newBuilder().setLink(toSpec(link)).setPaused(link.getPaused());
    mirrorTopics(image, link.getName()).forEach((topic, mirror) -> listing.addTopics(MirrorTopic.newBuilder()
        .setName(topic.name()).setState(mirror.promoted() ? MirrorTopicState.MIRROR_TOPIC_STATE_PROMOTED
            : link.getPaused() ? MirrorTopicState.MIRROR_TOPIC_STATE_PAUSED : MirrorTopicState.MIRROR_TOPIC_STATE_MIRRORING)));
    return listing.build();
  }

  /** The link's mirror topics, sorted by name. */
  private static Map<TopicImage, MirrorsImage.MirrorTopic> mirrorTopics(ClusterImage image, String link) {
    Map<TopicImage, MirrorsImage.MirrorTopic> out = new java.util.TreeMap<>(Comparator.comparing(TopicImage::name));
    image.mirrors().topics().values().stream().filter(m -> m.link().equals(link))
        .forEach(m -> image.topics().byId(m.topicId()).ifPresent(t -> out.put(t, m)));
    return out;
  }

  private MirrorLinkRecord requireLink(ClusterImage image, String name) {
    return image.mirrors().link(name).orElseThrow(() -> BrokerException.of(ErrorReason.UNKNOWN_MIRROR_LINK,
        "mirror link '" + name + "' does not exist", Map.of("link", name)));
  }

  @Override
  public void describeMirrorLink(DescribeMirrorLinkRequest request, StreamObserver<DescribeMirrorLinkResponse> response) {
    if (!authorized(response, AclOperation.ACL_OPERATION_DESCRIBE, request.getName())) {
      return;
    }
    CompletableFuture<DescribeMirrorLinkResponse> result;
    try {
      result = describe(request);
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    complete(response, result, "describe mirror link " + request.getName());
  }

  private CompletableFuture<DescribeMirrorLinkResponse> describe(DescribeMirrorLinkRequest request) {
    ClusterImage image = quorum.image();
    MirrorLinkRecord link = requireLink(image, request.getName());
    SourceCluster source = mirrors.source(link);
    DescribeMirrorLinkResponse.Builder out = DescribeMirrorLinkResponse.newBuilder().setLink(listing(image, link));
    Map<Integer, List<MirrorPartitionStatus>> remote = new HashMap<>();
    List<MirrorPartitionStatus> local = new ArrayList<>();
    mirrorTopics(image, link.getName()).forEach((topic, mirror) -> topic.partitions().forEach((p, registration) -> {
      MirrorPartitionStatus.Builder status = MirrorPartitionStatus.newBuilder().setTopic(topic.name()).setPartition(p)
          .setLeaderId(registration.leader()).setSourceLogEndOffset(-1).setDestinationLogEndOffset(-1);
      if (registration.leader() == nodeId) {
        local.add(localStatus(link, mirror, status));
      } else if (!request.getLocalOnly()) {
        remote.computeIfAbsent(registration.leader(), l -> new ArrayList<>()).add(status
            .setState(MirrorPartitionState.MIRROR_PARTITION_STATE_UNKNOWN).build());
      }
    }));
    List<CompletableFuture<List<MirrorPartitionStatus>>> parts = new ArrayList<>();
    parts.add(withLagMs(source, local));
    remote.forEach((leader, statuses) -> parts.add(remoteStatus(image, leader, link.getName(), statuses)));
    CompletableFuture<Void> probe = CompletableFuture.completedFuture(null);
    if (!request.getLocalOnly()) {
      probe = source.refreshMetadata(true).orTimeout(DESCRIBE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
          .handle((md, error) -> {
            if (error != null) {
              Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
              out.setSourceError(ErrorDetail.newBuilder().setCode(ErrorReason.MIRROR_SOURCE_UNAVAILABLE.code().value())
                  .setReason(ErrorReason.MIRROR_SOURCE_UNAVAILABLE.name()).setRetriable(true)
                  .setMessage("the source cluster of mirror link '" + link.getName() + "' (" + source.bootstrap()
                      + ") cannot be reached: " + cause.getMessage()));
            } else {
              Set<String> names = new TreeSet<>();
              md.getTopicsList().forEach(t -> names.add(t.getName()));
              link.getTopicsList().stream().filter(t -> !names.contains(t)).forEach(out::addMissingSourceTopics);
            }
            return null;
          });
    }
    CompletableFuture<Void> all = CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new));
    return CompletableFuture.allOf(all, probe).thenApply(ignored -> {
      List<MirrorPartitionStatus> statuses = new ArrayList<>();
      parts.forEach(f -> statuses.addAll(f.join()));
      statuses.sort(Comparator.comparing(MirrorPartitionStatus::getTopic).thenComparing(MirrorPartitionStatus::getPartition));
      return out.addAllPartitions(statuses).build();
    });
  }

  private MirrorPartitionStatus localStatus(MirrorLinkRecord link, MirrorsImage.MirrorTopic mirror,
      MirrorPartitionStatus.Builder status) {
    if (mirror.promoted()) {
      return status.setState(MirrorPartitionState.MIRROR_PARTITION_STATE_PROMOTED)
          .setDestinationLogEndOffset(localLogEnd(status)).build();
    }
    if (link.getPaused()) {
      return status.setState(MirrorPartitionState.MIRROR_PARTITION_STATE_PAUSED)
          .setDestinationLogEndOffset(localLogEnd(status)).build();
    }
    Optional<PartitionMirror> task = mirrors.task(status.getTopic(), status.getPartition());
    if (task.isEmpty()) {
      return status.setState(MirrorPartitionState.MIRROR_PARTITION_STATE_UNKNOWN)
          .setDestinationLogEndOffset(localLogEnd(status)).build();
    }
    PartitionMirror.Snapshot s = task.get().status();
    status.setState(s.error() == null ? MirrorPartitionState.MIRROR_PARTITION_STATE_MIRRORING
        : MirrorPartitionState.MIRROR_PARTITION_STATE_FAILING)
        .setSourceLogEndOffset(s.sourceLogEnd()).setDestinationLogEndOffset(s.destinationLogEnd())
        .setLagRecords(s.sourceLogEnd() < 0 ? 0 : Math.max(0, s.sourceLogEnd() - s.destinationLogEnd()))
        .setBytesCopied(s.bytesCopied())
        // Kept in lag_ms until withLagMs replaces it: the newest mirrored record time.
        .setLagMs(s.newestMirroredTs());
    if (s.error() != null) {
      status.setError(s.error());
    }
    return status.build();
  }

  private long localLogEnd(MirrorPartitionStatus.Builder status) {
    return mirrors.localLogEnd(status.getTopic(), status.getPartition());
  }

  /**
   * Replaces the newest mirrored record time each local status carries in lag_ms with the lag in
   * record time: the source's newest record time (the last batch below its high watermark,
   * read with one small fetch) minus ours. 0 when caught up; -1 when not known.
   */
  private CompletableFuture<List<MirrorPartitionStatus>> withLagMs(SourceCluster source,
      List<MirrorPartitionStatus> statuses) {
    List<CompletableFuture<MirrorPartitionStatus>> out = new ArrayList<>();
    for (MirrorPartitionStatus s : statuses) {
      if (s.getState() != MirrorPartitionState.MIRROR_PARTITION_STATE_MIRRORING
          && s.getState() != MirrorPartitionState.MIRROR_PARTITION_STATE_FAILING) {
        out.add(CompletableFuture.completedFuture(s.toBuilder().setLagMs(0).build()));
        continue;
      }
      long newestMirrored = s.getLagMs();
      if (s.getLagRecords() == 0) {
        out.add(CompletableFuture.completedFuture(s.toBuilder().setLagMs(0).build()));
        continue;
      }
      Optional<HostPort> leader = source.leaderOf(s.getTopic(), s.getPartition());
      if (leader.isEmpty() || newestMirrored < 0) {
        out.add(CompletableFuture.completedFuture(s.toBuilder().setLagMs(-1).build()));
        continue;
      }
      out.add(source.fetch(leader.get(), s.getTopic(), s.getPartition(), s.getSourceLogEndOffset() - 1, 1, 0)
          .orTimeout(DESCRIBE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
          .handle((bytes, error) -> {
            long lag = -1;
            if (bytes != null) {
              List<RawFetch.Fetched> fetched = RawFetch.parse(bytes);
              if (!fetched.isEmpty() && !fetched.get(0).hasError()) {
                long newestSource = MirrorBatches.maxTimestampOfLast(fetched.get(0).entries());
                if (newestSource >= 0) {
                  lag = Math.max(0, newestSource - newestMirrored);
                }
              }
            }
            return s.toBuilder().setLagMs(lag).build();
          }));
    }
    return CompletableFuture.allOf(out.toArray(CompletableFuture[]::new))
        .thenApply(ignored -> out.stream().map(CompletableFuture::join).toList());
  }

  private CompletableFuture<List<MirrorPartitionStatus>> remoteStatus(ClusterImage image, int leader, String link,
      List<MirrorPartitionStatus> unknown) {
    BrokerRegistration broker = image.brokers().brokers().get(leader);
    if (broker == null) {
      return CompletableFuture.completedFuture(unknown);
    }
    CompletableFuture<List<MirrorPartitionStatus>> result = new CompletableFuture<>();
    MirrorServiceGrpc.newStub(peers.channel(new HostPort(broker.host(), broker.port())))
        .withDeadlineAfter(DESCRIBE_TIMEOUT_MS * 2, TimeUnit.MILLISECONDS)
        .describeMirrorLink(DescribeMirrorLinkRequest.newBuilder().setName(link).setLocalOnly(true).build(),
            new StreamObserver<>() {
              @Override
              public void onNext(DescribeMirrorLinkResponse value) {
                Map<String, MirrorPartitionStatus> answered = new HashMap<>();
                value.getPartitionsList().forEach(p -> answered.put(p.getTopic() + "-" + p.getPartition(), p));
                result.complete(unknown.stream().map(u -> answered.getOrDefault(u.getTopic() + "-" + u.getPartition(), u))
                    .toList());
              }

              @Override
              public void onError(Throwable t) {
                result.complete(unknown.stream().map(u -> u.toBuilder().setError(ErrorDetail.newBuilder()
                    .setReason(ErrorReason.BROKER_NOT_AVAILABLE.name()).setCode(ErrorReason.BROKER_NOT_AVAILABLE.code().value())
                    .setMessage("leader " + leader + " did not answer: " + t.getMessage())).build()).toList());
              }

              @Override
              public void onCompleted() {
                result.complete(unknown);
              }
            });
    return result;
  }

  @Override
  public void pauseMirrorLink(PauseMirrorLinkRequest request, StreamObserver<PauseMirrorLinkResponse> response) {
    if (!authorized(response, AclOperation.ACL_OPERATION_ALTER, request.getName())) {
      return;
    }
    complete(response, setPaused(request.getName(), true).thenApply(a -> PauseMirrorLinkResponse.getDefaultInstance()),
        "pause mirror link " + request.getName());
  }

  @Override
  public void resumeMirrorLink(ResumeMirrorLinkRequest request, StreamObserver<ResumeMirrorLinkResponse> response) {
    if (!authorized(response, AclOperation.ACL_OPERATION_ALTER, request.getName())) {
      return;
    }
    complete(response, setPaused(request.getName(), false).thenApply(a -> ResumeMirrorLinkResponse.getDefaultInstance()),
        "resume mirror link " + request.getName());
  }

  private CompletableFuture<ControllerCalls.Applied> setPaused(String name, boolean paused) {
    try {
      MirrorLinkRecord link = requireLink(quorum.image(), name);
      return controller.call(ControllerRequest.newBuilder().setPutMirrorLink(PutMirrorLinkRequest.newBuilder()
          .setLink(link.toBuilder().setPaused(paused))).build());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public void promoteMirrorTopics(PromoteMirrorTopicsRequest request,
      StreamObserver<PromoteMirrorTopicsResponse> response) {
    if (!authorized(response, AclOperation.ACL_OPERATION_ALTER, request.getLink())) {
      return;
    }
    ClusterImage before = quorum.image();
    complete(response, controller.call(ControllerRequest.newBuilder().setPromoteMirrorTopics(
        dev.skein.proto.internal.v1.PromoteMirrorTopicsRequest.newBuilder().setLink(request.getLink())
            .addAllTopics(request.getTopicsList())).build()).thenApply(applied -> {
              PromoteMirrorTopicsResponse.Builder out = PromoteMirrorTopicsResponse.newBuilder();
              mirrorTopics(applied.image(), request.getLink()).forEach((topic, mirror) -> {
                boolean was = before.mirrors().topic(topic.id()).map(MirrorsImage.MirrorTopic::promoted).orElse(true);
                if (mirror.promoted() && !was) {
                  out.addPromoted(topic.name());
                }
              });
              return out.build();
            }), "promote mirror topics of " + request.getLink());
  }

  @Override
  public void deleteMirrorLink(dev.skein.proto.v1.DeleteMirrorLinkRequest request,
      StreamObserver<DeleteMirrorLinkResponse> response) {
    if (!authorized(response, AclOperation.ACL_OPERATION_ALTER, request.getName())) {
      return;
    }
    complete(response, controller.call(ControllerRequest.newBuilder().setDeleteMirrorLink(
        DeleteMirrorLinkRequest.newBuilder().setName(request.getName())).build())
        .thenApply(applied -> DeleteMirrorLinkResponse.getDefaultInstance()), "delete mirror link " + request.getName());
  }

  private <T> void complete(StreamObserver<T> response, CompletableFuture<T> result, String what) {
    result.whenComplete((value, failure) -> {
      if (failure != null) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause() : failure;
        response.onError(errors.toStatus(cause, what));
      } else {
        response.onNext(value);
        response.onCompleted();
      }
    });
  }

  /**
   * A mirror link is part of the cluster's configuration: the operation is allowed on the
   * cluster, or on the link by name. If not, the call has been answered with PERMISSION_DENIED.
   */
  private <T> boolean authorized(StreamObserver<T> response, AclOperation operation, String link) {
    try {
      authorizer.requireEither(Caller.current(), operation, AclResourceType.ACL_RESOURCE_TYPE_CLUSTER,
          AclsImage.CLUSTER_NAME, AclResourceType.ACL_RESOURCE_TYPE_MIRROR_LINK, link);
      return true;
    } catch (BrokerException e) {
      response.onError(e.error().toStatusException());
      return false;
    }
  }
}
