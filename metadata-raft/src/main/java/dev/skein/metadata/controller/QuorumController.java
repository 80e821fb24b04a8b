package dev.skein.metadata.controller;

import dev.skein.metadata.image.ClusterImage;
import dev.skein.proto.internal.v1.BrokerHeartbeatRequest;
import dev.skein.proto.internal.v1.ClusterRecord;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.MetadataBatch;
import dev.skein.proto.internal.v1.MetadataRecord;
import dev.skein.proto.internal.v1.AlterPartitionRequest;
import dev.skein.proto.internal.v1.AlterPartitionsRequest;
import dev.skein.proto.internal.v1.AlterPartitionsResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller: plain code that runs on the metadata quorum's Raft leader while it leads.
 *
 * <p>It checks each request against the latest image, turns an accepted one into a batch of
 * metadata records, writes the batch through Raft and answers once the batch is applied.
 * Requests it rejects write nothing. It also watches broker sessions: a broker that stops
 * heartbeating is fenced and its leaderships move to other in-sync replicas. And it moves
 * leaderships back to preferred leaders once they are usable and in sync again.
 *
 * <p>Events (requests, session checks, leader balance checks) run one at a time on one thread,
 * each to completion, so every decision sees every earlier one in the image. The image is the state machine's: the
 * controller keeps nothing of its own but broker heartbeat times.
 *
 * <p>The records' preconditions are checked again when they are applied, so a stale decision
 * (a controller that lost the leadership but did not know yet) is skipped, not applied.
 */
public final class QuorumController implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(QuorumController.class);

  private final int nodeId;
  private final ControllerSettings settings;
  private final Supplier<ClusterImage> images;
  private final BatchWriter writer;
  private final ControllerEventQueue events;
  private final AtomicBoolean leaderBalanceQueued = new AtomicBoolean();
  private final LongSupplier nanoClock;
  /** When this controller last asked Raft to write a batch (event thread only). */
  private long lastWriteNanos;
  private final BrokerControl brokers;
  private final TopicControl topics;
  private final MirrorControl mirrors;
  /** AlterPartition requests not yet decided; one event decides them all, in one batch. */
  private final List<PendingAlter> pendingAlters = new ArrayList<>();
  private volatile boolean closed;
  private final AtomicBoolean eventsClosed = new AtomicBoolean();

  /** At most this many partitions change in one AlterPartition batch (a Raft entry stays small). */
  static final int MAX_ALTER_PARTITIONS_PER_BATCH = 500;

  private record PendingAlter(AlterPartitionRequest request, CompletableFuture<ControllerResponse> result) {}

  /**
   * @param images the latest applied image (read on the controller's thread)
   * @param nanoClock monotonic time for broker sessions ({@code System::nanoTime}; tests step it)
   * @param random chooses where replica placement starts (a seeded one makes it reproducible)
   */
  public QuorumController(int nodeId, ControllerSettings settings, Supplier<ClusterImage> images,
      BatchWriter writer, LongSupplier nanoClock, Random random) {
    this.nodeId = nodeId;
    this.settings = settings;
    this.images = images;
    this.writer = writer;
    this.nanoClock = nanoClock;
    this.lastWriteNanos = nanoClock.getAsLong();
    this.events = new ControllerEventQueue("skein-controller-" + nodeId);
    this.brokers = new BrokerControl(settings, nanoClock);
    this.topics = new TopicControl(random);
    this.mirrors = new MirrorControl(topics);
  }

  /**
   * Starts the session, leader balance and idle checks and, in a new cluster, writes the
   * cluster id.
   */
  public void start() {
    LOG.info("Controller on node {} is active (image at offset {})", nodeId, images.get().offset());
    events.submit("activate", this::writeClusterIdIfMissing);
    events.schedulePeriodicEvent(settings.sessionCheckInterval(), "session-check", this::fenceExpiredBrokers);
    events.schedulePeriodicEvent(settings.maxIdleInterval(), "idle-check", this::writeNoOpIfIdle);
    if (settings.autoLeaderRebalance()) {
      events.schedulePeriodically(settings.leaderImbalanceCheckInterval(), this::queueLeaderBalance);
    }
  }

  /**
   * Handles a request; the response carries a {@link ControllerError} if it was refused. A
   * closed controller answers {@link ControllerError#NOT_CONTROLLER}.
   */
  public CompletableFuture<ControllerResponse> handle(ControllerRequest request) {
    if (closed) {
      return CompletableFuture.completedFuture(notController());
    }
    CompletableFuture<ControllerResponse> result;
    if (request.getRequestCase() == ControllerRequest.RequestCase.ALTER_PARTITION) {
      result = queueAlterPartitions(List.of(request.getAlterPartition())).get(0);
    } else if (request.getRequestCase() == ControllerRequest.RequestCase.ALTER_PARTITIONS) {
      result = alterPartitions(request.getAlterPartitions());
    } else {
      result = events.submit(request.getRequestCase().name(), () -> process(request));
    }
    return result
        .exceptionally(error -> {
          if (!closed) {
            LOG.warn("Controller request {} failed", request.getRequestCase(), error);
          }
          return notController();
        });
  }

  /**
   * Runs a session check now, for tests that step the clock. Completes when any fencing it
   * caused is applied.
   */
  public CompletableFuture<Void> checkSessions() {
    return events.submit("session-check", this::fenceExpiredBrokers);
  }

  /**
   * Runs the idle check now, for tests that step the clock: writes a no-op if nothing was
   * written for {@link ControllerSettings#maxIdleInterval()}. Completes once it is applied.
   */
  public CompletableFuture<Void> checkIdle() {
    return events.submit("idle-check", this::writeNoOpIfIdle);
  }

  /**
   * Runs the periodic leader balance check now, for tests that do not wait for its timer.
   * Completes once every partition that can move back to its preferred leader has (or a write
   * failed). Does nothing when auto leader rebalance is off.
   */
  public CompletableFuture<Void> checkLeaderBalance() {
    return events.submit("leader-balance", this::balanceLeaders)
        .thenCompose(more -> more ? checkLeaderBalance() : CompletableFuture.completedFuture(null));
  }

  @Override
  public void close() {
    closed = true;
    if (eventsClosed.compareAndSet(false, true)) {
      events.close();
      LOG.info("Controller on node {} stopped", nodeId);
    }
  }

  /**
   * A write failed because this member no longer leads: everything after answers NOT_CONTROLLER
   * and the periodic checks write nothing, without waiting for Raft's notification to close us.
   */
  private void onLeadershipLost(LeadershipLostException lost) {
    if (!closed) {
      closed = true;
      LOG.info("Controller on node {} stops: {}", nodeId, lost.getMessage());
    }
  }

  private static Throwable rootCause(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  private ControllerResponse notController() {
    return ControllerError.NOT_CONTROLLER.response("node " + nodeId + " is not the active controller");
  }

  // ---- the event loop ----

  private CompletableFuture<ControllerResponse> process(ControllerRequest request) {
    if (closed) {
      return CompletableFuture.completedFuture(notController());
    }
    ClusterImage image = images.get();
    ControllerDecision decision = switch (request.getRequestCase()) {
      case REGISTER_BROKER -> brokers.registerBroker(request.getRegisterBroker().getRegistration(), image);
      case BROKER_HEARTBEAT -> brokers.heartbeat(request.getBrokerHeartbeat(), image);
      case CONTROLLED_SHUTDOWN -> brokers.heartbeat(BrokerHeartbeatRequest.newBuilder()
          .setBrokerId(request.getControlledShutdown().getBrokerId())
          .setBrokerEpoch(request.getControlledShutdown().getBrokerEpoch())
          .setWantShutdown(true)
          .build(), image);
      case ALLOCATE_PRODUCER_IDS -> brokers.allocateProducerIds(request.getAllocateProducerIds(), image);
      case CREATE_TOPIC -> topics.createTopic(request.getCreateTopic(), image);
      case DELETE_TOPIC -> topics.deleteTopic(request.getDeleteTopic(), image);
      case ALTER_CONFIGS -> topics.alterConfigs(request.getAlterConfigs(), image);
      case CREATE_PARTITIONS -> topics.createPartitions(request.getCreatePartitions(), image);
      case ALTER_PARTITION -> PartitionControl.alterPartition(request.getAlterPartition(), image);
      // Never an event of its own: handle() queues each entry as an AlterPartition.
      case ALTER_PARTITIONS -> ControllerDecision.answer(
          ControllerError.INVALID_REQUEST.response("AlterPartitions is not processed as one event"));
      case PUT_MIRROR_LINK -> mirrors.putLink(request.getPutMirrorLink(), image);
      case DELETE_MIRROR_LINK -> mirrors.deleteLink(request.getDeleteMirrorLink(), image);
      case CREATE_MIRROR_TOPIC -> mirrors.createMirrorTopic(request.getCreateMirrorTopic(), image);
      case PROMOTE_MIRROR_TOPICS -> mirrors.promote(request.getPromoteMirrorTopics(), image);
      case RAISE_PRODUCER_IDS -> mirrors.raiseProducerIds(request.getRaiseProducerIds(), image);
      case CREATE_ACLS -> AclControl.createAcls(request.getCreateAcls(), image);
      case DELETE_ACLS -> AclControl.deleteAcls(request.getDeleteAcls(), image);
      case ALTER_USER_SCRAM_CREDENTIALS -> ScramControl.alter(request.getAlterUserScramCredentials(), image);
      case REQUEST_NOT_SET -> ControllerDecision.answer(
          ControllerError.INVALID_REQUEST.response("empty controller request"));
    };
    return commit(decision, image);
  }

  /** Writes a decision's records, if any, and answers once they are applied (on the event thread). */
  private CompletableFuture<ControllerResponse> commit(ControllerDecision decision, ClusterImage image) {
    if (decision.records().isEmpty()) {
      return CompletableFuture.completedFuture(decision.responder().respond(0, image));
    }
    CompletableFuture<ControllerResponse> answer = new CompletableFuture<>();
    return commit(decision, image, (index, after) -> answer.complete(decision.responder().respond(index, after)
        .toBuilder().setAppliedIndex(index).build()), answer::complete).thenCompose(ignored -> answer);
  }

  /**
   * Writes a decision's records and, on the event thread once they are applied, calls
   * {@code applied} with their index and the image after them, or {@code failed} with the error
   * response if they were not written or not applied.
   */
  private CompletableFuture<Void> commit(ControllerDecision decision, ClusterImage image,
      java.util.function.BiConsumer<Long, ClusterImage> applied,
      java.util.function.Consumer<ControllerResponse> failed) {
    MetadataBatch batch = MetadataBatch.newBuilder().addAllRecords(decision.records()).build();
    lastWriteNanos = nanoClock.getAsLong();
    return writer.write(batch)
        .orTimeout(settings.writeTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .handleAsync((written, error) -> {
          if (error != null) {
            LOG.info("Controller on node {} could not write a batch of {} records: {}", nodeId,
                batch.getRecordsCount(), error.toString());
            if (rootCause(error) instanceof LeadershipLostException lost) {
              onLeadershipLost(lost);
            }
            failed.accept(ControllerError.NOT_CONTROLLER.response(
                "node " + nodeId + " could not commit the change (" + error + "); it may no longer lead"));
            return null;
          }
          if (!written.isApplied()) {
            LOG.warn("Batch at index {} was skipped when applied: {}", written.index(), written.rejection());
            failed.accept(ControllerError.WRITE_REJECTED.response(
                "the change conflicted with a concurrent one and was not applied: " + written.rejection()));
            return null;
          }
          if (decision.balanceLeadersAfter()) {
            queueLeaderBalance();
          }
          applied.accept(written.index(), images.get());
          return null;
        }, events.executor());
  }

  // ---- AlterPartition, many at a time ----

  /**
   * Leaders propose ISR changes one partition at a time, and after a broker returns, thousands
   * arrive at once. Written one by one, each would cost a Raft round (an fsync on a majority)
   * and an image rebuild of its topic; instead the requests that wait while one event runs are
   * decided together by the next, against the same image, and written as one batch.
   */
  private List<CompletableFuture<ControllerResponse>> queueAlterPartitions(List<AlterPartitionRequest> requests) {
    List<CompletableFuture<ControllerResponse>> results = new ArrayList<>(requests.size());
    boolean first;
    synchronized (pendingAlters) {
      first = pendingAlters.isEmpty();
      for (AlterPartitionRequest request : requests) {
        CompletableFuture<ControllerResponse> result = new CompletableFuture<>();
        pendingAlters.add(new PendingAlter(request, result));
        results.add(result);
      }
    }
    if (first && !requests.isEmpty()) {
      submitAlterPartitions();
    }
    return results;
  }

  /**
   * A broker's proposals for several partitions: each is queued and decided as if it came
   * alone, and one that fails does not fail the others.
   */
  private CompletableFuture<ControllerResponse> alterPartitions(AlterPartitionsRequest request) {
    List<CompletableFuture<ControllerResponse>> answers = queueAlterPartitions(request.getPartitionsList())
        .stream()
        .map(answer -> answer.exceptionally(error -> {
          if (!closed) {
            LOG.warn("An AlterPartition failed", error);
          }
          return notController();
        }))
        .toList();
    return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
      AlterPartitionsResult.Builder result = AlterPartitionsResult.newBuilder();
      long appliedIndex = 0;
      for (CompletableFuture<ControllerResponse> answer : answers) {
        ControllerResponse response = answer.join();
        result.addResponses(response);
        appliedIndex = Math.max(appliedIndex, response.getAppliedIndex());
      }
      return ControllerResponse.newBuilder().setAppliedIndex(appliedIndex).setAlterPartitions(result).build();
    });
  }

  private void submitAlterPartitions() {
    events.submit("ALTER_PARTITION", this::processAlterPartitions).whenComplete((ignored, error) -> {
      if (error != null) {
        failPendingAlters(error);
      }
    });
  }

  private void failPendingAlters(Throwable error) {
    List<PendingAlter> failed;
    synchronized (pendingAlters) {
      failed = List.copyOf(pendingAlters);
      pendingAlters.clear();
    }
    failed.forEach(pending -> pending.result().completeExceptionally(error));
  }

  private CompletableFuture<Void> processAlterPartitions() {
    // Take the requests of distinct partitions (a second one for the same partition waits for
    // the next batch: decided against this image it could only conflict with the first).
    List<PendingAlter> taken = new ArrayList<>();
    synchronized (pendingAlters) {
      Set<String> partitions = new HashSet<>();
      var it = pendingAlters.iterator();
      while (it.hasNext() && taken.size() < MAX_ALTER_PARTITIONS_PER_BATCH) {
        PendingAlter pending = it.next();
        if (partitions.add(pending.request().getTopicId() + "-" + pending.request().getPartition())) {
          taken.add(pending);
          it.remove();
        }
      }
    }
    if (closed) {
      taken.forEach(pending -> pending.result().complete(notController()));
      failPendingAlters(new IllegalStateException("controller closed"));
      return CompletableFuture.completedFuture(null);
    }
    ClusterImage image = images.get();
    List<MetadataRecord> records = new ArrayList<>();
    List<PendingAlter> written = new ArrayList<>();
    List<ControllerDecision> decisions = new ArrayList<>();
    boolean balanceAfter = false;
    for (PendingAlter pending : taken) {
      ControllerDecision decision;
      try {
        decision = PartitionControl.alterPartition(pending.request(), image);
      } catch (RuntimeException e) {
        pending.result().completeExceptionally(e);
        continue;
      }
      if (decision.records().isEmpty()) {
        pending.result().complete(decision.responder().respond(0, image));
        continue;
      }
      records.addAll(decision.records());
      written.add(pending);
      decisions.add(decision);
      balanceAfter |= decision.balanceLeadersAfter();
    }
    CompletableFuture<Void> done;
    if (records.isEmpty()) {
      done = CompletableFuture.completedFuture(null);
    } else {
      List<ControllerDecision> answers = List.copyOf(decisions);
      ControllerDecision combined = new ControllerDecision(records, (index, after) -> null, balanceAfter);
      done = commit(combined, image, (index, after) -> {
        for (int i = 0; i < written.size(); i++) {
          written.get(i).result().complete(answers.get(i).responder().respond(index, after).toBuilder()
              .setAppliedIndex(index).build());
        }
      }, failure -> written.forEach(pending -> pending.result().complete(failure)));
    }
    // More may have arrived meanwhile: they go in the next event, after this batch is applied.
    return done.whenComplete((ignored, error) -> {
      boolean more;
      synchronized (pendingAlters) {
        more = !pendingAlters.isEmpty();
      }
      if (more) {
        submitAlterPartitions();
      }
    });
  }

  // ---- the controller's own writes ----

  private CompletableFuture<Void> writeClusterIdIfMissing() {
    if (images.get().hasClusterId()) {
      return CompletableFuture.completedFuture(null);
    }
    String clusterId = UUID.randomUUID().toString();
    LOG.info("No cluster id yet: writing {}", clusterId);
    List<MetadataRecord> records = List.of(MetadataRecord.newBuilder()
        .setCluster(ClusterRecord.newBuilder().setClusterId(clusterId)).build());
    return commit(new ControllerDecision(records, (index, image) -> ControllerResponse.getDefaultInstance()),
        images.get())
        .thenAccept(response -> logIfFailed("write the cluster id", response));
  }

  /**
   * Writes an empty batch if this controller has written nothing for the max idle interval. It
   * changes no image (members publish nothing for it) but moves the log on, which is what a
   * Ratis appender stuck sending heartbeats to a member needs (see {@link ControllerSettings}).
   */
  private CompletableFuture<Void> writeNoOpIfIdle() {
    if (closed || nanoClock.getAsLong() - lastWriteNanos < settings.maxIdleInterval().toNanos()) {
      return CompletableFuture.completedFuture(null);
    }
    ControllerDecision noOp = new ControllerDecision(List.of(), (index, image) -> ControllerResponse.getDefaultInstance());
    return commit(noOp, images.get(), (index, after) -> { }, response -> logIfFailed("write a no-op", response));
  }

  /** Fences, one batch after the other, every unfenced broker whose session has expired. */
  private CompletableFuture<Void> fenceExpiredBrokers() {
    if (closed) {
      return CompletableFuture.completedFuture(null);
    }
    ClusterImage image = images.get();
    return brokers.fenceExpiredBroker(image)
        .map(fence -> commit(fence, image).thenCompose(response -> {
          if (ControllerError.of(response).isPresent()) {
            logIfFailed("fence a broker", response);
            return CompletableFuture.<Void>completedFuture(null);
          }
          return fenceExpiredBrokers();
        }))
        .orElseGet(() -> CompletableFuture.completedFuture(null));
  }

  private void queueLeaderBalance() {
    // Like session checks, at most one waits in the queue. It reads the image when it runs, so
    // it sees every change queued before it.
    if (settings.autoLeaderRebalance() && !closed && leaderBalanceQueued.compareAndSet(false, true)) {
      events.submit("leader-balance", () -> {
        leaderBalanceQueued.set(false);
        return balanceLeaders();
      }).thenAccept(more -> {
        if (more) {
          queueLeaderBalance();
        }
      });
    }
  }

  /**
   * Moves one batch of partitions back to their preferred leaders. Completes with whether there
   * may be more: then the next batch is a new event, so requests and session checks queued
   * meanwhile are not held up by a large rebalance.
   */
  private CompletableFuture<Boolean> balanceLeaders() {
    if (closed || !settings.autoLeaderRebalance()) {
      return CompletableFuture.completedFuture(false);
    }
    ClusterImage image = images.get();
    int limit = LeadershipChanges.PREFERRED_LEADERS_PER_BATCH;
    List<MetadataRecord> records = LeadershipChanges.preferredLeaders(image, limit);
    if (records.isEmpty()) {
      return CompletableFuture.completedFuture(false);
    }
    LOG.info("Moving {} partition leaderships back to their preferred leaders", records.size());
    return commit(new ControllerDecision(records, (index, after) -> ControllerResponse.getDefaultInstance()), image)
        .thenApply(response -> {
          logIfFailed("move leaderships to preferred leaders", response);
          return response.getErrorReason().isEmpty() && records.size() >= limit;
        });
  }

  private static void logIfFailed(String what, ControllerResponse response) {
    if (!response.getErrorReason().isEmpty()) {
      LOG.warn("Controller could not {}: {} {}", what, response.getErrorReason(), response.getErrorMessage());
    }
  }
}
