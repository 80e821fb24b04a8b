package dev.skein.metadata.quorum;

import dev.skein.metadata.controller.ControllerError;
import dev.skein.metadata.controller.ControllerSettings;
import dev.skein.metadata.controller.QuorumController;
import dev.skein.metadata.image.ApplyOutcome;
import dev.skein.metadata.image.BatchApplier;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.ImageSnapshot;
import dev.skein.metadata.image.MetadataDelta;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.MetadataBatch;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis state machine of the metadata quorum: turns committed {@link MetadataBatch} entries
 * into {@link ClusterImage}s, snapshots them, and hosts the controller while this member leads.
 *
 * <p>Threads: Ratis calls {@code applyTransaction}, {@code notifyTermIndexUpdated},
 * {@code takeSnapshot} and {@code reinitialize} from one apply thread, in log order; that
 * thread alone replaces the image. Everyone else reads the volatile image, which is immutable.
 * {@code query} comes from RPC threads and is handed to the controller's own thread.
 */
public final class MetadataStateMachine extends BaseStateMachine {

  private static final Logger LOG = LoggerFactory.getLogger(MetadataStateMachine.class);

  private final int nodeId;
  private final ControllerSettings controllerSettings;
  private final MetadataPublisher publisher;
  private final OffsetWaiters waiters;
  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  private final AtomicLong snapshotsInstalled = new AtomicLong();

  private volatile ClusterImage image = ClusterImage.EMPTY;
  private volatile QuorumController controller;

  public MetadataStateMachine(int nodeId, ControllerSettings controllerSettings, MetadataPublisher publisher,
      OffsetWaiters waiters) {
    this.nodeId = nodeId;
    this.controllerSettings = controllerSettings;
    this.publisher = publisher;
    this.waiters = waiters;
  }

  /** The latest applied image. */
  public ClusterImage image() {
    return image;
  }

  /** How many snapshots this member has installed from the leader (to catch up after falling behind). */
  public long snapshotsInstalled() {
    return snapshotsInstalled.get();
  }

  // ---- lifecycle ----

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
    super.initialize(server, groupId, raftStorage);
    storage.init(raftStorage);
    getLifeCycle().startAndTransition(() -> loadLatestSnapshot("startup"));
  }

  /** Ratis pauses the state machine right before it swaps in a snapshot installed from the leader. */
  @Override
  public void pause() {
    if (getLifeCycle().compareAndTransition(LifeCycle.State.RUNNING, LifeCycle.State.PAUSING)) {
      getLifeCycle().transition(LifeCycle.State.PAUSED);
    }
  }

  /**
   * Loads the snapshot Ratis just installed. It must read the storage directory again
   * ({@code loadLatestSnapshot}): the cached latest snapshot is this member's own, older one.
   */
  @Override
  public void reinitialize() throws IOException {
    loadLatestSnapshot("installed from the leader");
    snapshotsInstalled.incrementAndGet();
    if (getLifeCycle().getCurrentState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  @Override
  public SimpleStateMachineStorage getStateMachineStorage() {
    return storage;
  }

  @Override
  public void close() {
    stopController();
  }

  // ---- the log ----

  /**
   * Applies one committed batch. Never throws (Ratis would stop the server): a batch that does
   * not parse or whose preconditions fail is skipped, the same way on every member, and only
   * the offset moves.
   */
  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    long index = entry.getIndex();
    ClusterImage previous = image;
    ApplyOutcome outcome;
    try {
      outcome = apply(previous, entry.getStateMachineLogEntry().getLogData(), index);
    } catch (RuntimeException e) {
      LOG.error("Node {} could not apply the entry at index {}; skipping it", nodeId, index, e);
      outcome = new ApplyOutcome.Rejected(previous.withOffset(index), e.toString());
    }
    image = outcome.image();
    updateLastAppliedTermIndex(entry.getTerm(), index);
    ControllerResponse.Builder reply = ControllerResponse.newBuilder().setAppliedIndex(index);
    if (outcome instanceof ApplyOutcome.Rejected rejected) {
      LOG.debug("Skipped the batch at index {}: {}", index, rejected.reason());
      reply.setErrorReason(ControllerError.WRITE_REJECTED.name())
          .setErrorCode(ControllerError.WRITE_REJECTED.code())
          .setErrorMessage(rejected.reason());
    } else if (outcome instanceof ApplyOutcome.Applied applied) {
      publish(applied.delta(), applied.image());
    }
    waiters.advance(outcome.image());
    return CompletableFuture.completedFuture(toMessage(reply.build()));
  }

  private static ApplyOutcome apply(ClusterImage image, ByteString data, long index) {
    MetadataBatch batch;
    try {
      batch = MetadataBatch.parseFrom(data.asReadOnlyByteBuffer());
    } catch (IOException | RuntimeException e) {
      return new ApplyOutcome.Rejected(image.withOffset(index), "entry is not a MetadataBatch: " + e.getMessage());
    }
    return BatchApplier.apply(image, batch.getRecordsList(), index);
  }

  /** Raft's own entries (configuration changes, commit markers) do not change the image but do advance it. */
  @Override
  public void notifyTermIndexUpdated(long term, long index) {
    super.notifyTermIndexUpdated(term, index);
    ClusterImage advanced = image.withOffset(index);
    image = advanced;
    waiters.advance(advanced);
  }

  private void publishChange(ClusterImage previous, ClusterImage next) {
    publish(MetadataDelta.between(previous, next), next);
  }

  private void publish(MetadataDelta delta, ClusterImage next) {
    if (!delta.isEmpty()) {
      publisher.publish(delta, next);
    }
  }

  // ---- snapshots ----

  @Override
  public long takeSnapshot() throws IOException {
    ClusterImage snapshot = image;
    TermIndex applied = getLastAppliedTermIndex();
    if (applied == null || applied.getIndex() < 0) {
      return RaftLog.INVALID_LOG_INDEX;
    }
    if (snapshot.offset() != applied.getIndex()) {
      // Both move together on the apply thread, which is the thread calling us.
      throw new IOException("image offset " + snapshot.offset() + " differs from applied index " + applied);
    }
    File file = storage.getSnapshotFile(applied.getTerm(), applied.getIndex());
    Path temporary = file.toPath().resolveSibling(file.getName() + ".tmp");
    try (FileOutputStream fileOut = new FileOutputStream(temporary.toFile());
        OutputStream out = new BufferedOutputStream(fileOut)) {
      ImageSnapshot.write(snapshot, out);
      out.flush();
      fileOut.getFD().sync();
    }
    Files.move(temporary, file.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
    storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), applied));
    LOG.info("Node {} took a metadata snapshot at index {} ({} brokers, {} topics, {} bytes)", nodeId,
        applied.getIndex(), snapshot.brokers().brokers().size(), snapshot.topics().size(), file.length());
    return applied.getIndex();
  }

  private void loadLatestSnapshot(String why) throws IOException {
    SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
    if (snapshot == null) {
      publishChange(ClusterImage.EMPTY, image);
      return;
    }
    Path path = snapshot.getFile().getPath();
    if (snapshot.getFile().getFileDigest() != null) {
      MD5FileUtil.verifySavedMD5(path.toFile(), snapshot.getFile().getFileDigest());
    }
    ClusterImage loaded;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
      loaded = ImageSnapshot.read(in, snapshot.getIndex());
    }
    ClusterImage previous = image;
    image = loaded;
    setLastAppliedTermIndex(snapshot.getTermIndex());
    LOG.info("Node {} loaded the metadata snapshot at index {} ({})", nodeId, snapshot.getIndex(), why);
    publishChange(previous, loaded);
    waiters.advance(loaded);
  }

  // ---- the controller ----

  @Override
  public void notifyLeaderReady() {
    stopController();
    RaftServer server = getServer().join();
    QuorumController started = new QuorumController(nodeId, controllerSettings, this::image,
        new RaftBatchWriter(server, getGroupId()), System::nanoTime, new SecureRandom());
    controller = started;
    started.start();
  }

  /** Whether the controller runs on this member now (it is the ready Raft leader). */
  public boolean controllerActive() {
    return controller != null;
  }

  @Override
  public void notifyNotLeader(Collection<TransactionContext> pendingEntries) {
    stopController();
  }

  private void stopController() {
    QuorumController stopping = controller;
    controller = null;
    if (stopping != null) {
      stopping.close();
    }
  }

  /**
   * Ratis calls this only on the ready leader (read option DEFAULT): it is the controller's
   * entry point. A request that arrives before the controller has started, or after it stopped,
   * is answered with NOT_CONTROLLER, which the caller retries.
   */
  @Override
  public CompletableFuture<Message> query(Message request) {
    ControllerResponse response;
    try {
      ControllerRequest parsed = ControllerRequest.parseFrom(request.getContent().asReadOnlyByteBuffer());
      QuorumController active = controller;
      if (active != null) {
        return active.handle(parsed).thenApply(MetadataStateMachine::toMessage);
      }
      response = ControllerError.NOT_CONTROLLER.response("node " + nodeId + " has no active controller");
    } catch (IOException | RuntimeException e) {
      response = ControllerError.INVALID_REQUEST.response("not a ControllerRequest: " + e.getMessage());
    }
    return CompletableFuture.completedFuture(toMessage(response));
  }

  private static Message toMessage(ControllerResponse response) {
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(response.toByteArray()));
  }
}
