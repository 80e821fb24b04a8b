package dev.skein.metadata;

import dev.skein.metadata.controller.ControllerError;
import dev.skein.proto.internal.v1.BrokerHeartbeatRequest;
import dev.skein.proto.internal.v1.BrokerHeartbeatResult;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.RegisterBrokerRecord;
import dev.skein.proto.internal.v1.RegisterBrokerRequest;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A broker's side of its relationship with the controller: it registers, heartbeats, asks to
 * be unfenced once its own metadata image has caught up with its registration, registers again
 * if the controller no longer knows its epoch, and, when asked, moves its leaderships away
 * before it stops (controlled shutdown).
 *
 * <p>All of it runs on one thread of its own; at most one request is in flight at a time.
 */
public final class BrokerLifecycle implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(BrokerLifecycle.class);
  private static final Duration REGISTRATION_RETRY = Duration.ofMillis(200);

  private final MetadataQuorum quorum;
  private final ControllerChannel controller;
  private final int brokerId;
  private final String host;
  private final int port;
  private final String rack;
  private final Duration heartbeatInterval;
  private final Duration requestTimeout;
  private final String incarnationId = UUID.randomUUID().toString();
  private final ScheduledExecutorService executor;
  private final CompletableFuture<Void> unfenced = new CompletableFuture<>();

  private volatile long brokerEpoch = -1;
  private volatile boolean fenced = true;
  // Only on the lifecycle thread:
  private boolean requestInFlight;
  private ScheduledFuture<?> nextHeartbeat;
  private final java.util.Set<Integer> unreachable = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private CompletableFuture<Boolean> shutdown;
  private boolean stopped;

  /**
   * @param host where clients and other brokers reach this broker's gRPC endpoint
   * @param rack the broker's rack, or null
   */
  public BrokerLifecycle(MetadataQuorum quorum, String host, int port, String rack) {
    this.quorum = Objects.requireNonNull(quorum, "quorum");
    this.controller = quorum.controller();
    this.brokerId = quorum.nodeId();
    this.host = Objects.requireNonNull(host, "host");
    this.port = port;
    this.rack = rack == null ? "" : rack;
    this.heartbeatInterval = quorum.config().heartbeatInterval();
    // A heartbeat keeps looking for a controller for as long as a session lasts.
    this.requestTimeout = quorum.config().sessionTimeout();
    ScheduledThreadPoolExecutor lifecycleThread = new ScheduledThreadPoolExecutor(1, runnable -> {
      Thread thread = new Thread(runnable, "skein-broker-lifecycle-" + brokerId);
      thread.setDaemon(true);
      return thread;
    });
    // Closing must not wait for timers (next heartbeat, controlled-shutdown deadline).
    lifecycleThread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    lifecycleThread.setRemoveOnCancelPolicy(true);
    this.executor = lifecycleThread;
  }

  /**
   * Reports that this broker lost its connection to {@code brokerId}; the next heartbeat
   * tells the controller, which fences that broker sooner if it has also gone silent.
   */
  public void reportUnreachable(int brokerId) {
    if (brokerId != this.brokerId && unreachable.add(brokerId)) {
      executor.execute(this::heartbeatNow);
    }
  }

  /** Registers and starts heartbeating. */
  public void start() {
    executor.execute(this::register);
  }

  /** Completes the first time the controller unfences this broker. */
  public CompletableFuture<Void> unfenced() {
    return unfenced;
  }

  /** Whether the controller last said this broker is fenced (true until the first unfence). */
  public boolean isFenced() {
    return fenced;
  }

  /** The epoch of the current registration, or -1 while not registered. */
  public long brokerEpoch() {
    return brokerEpoch;
  }

  public String incarnationId() {
    return incarnationId;
  }

  /**
   * Asks the controller to move this broker's leaderships away, and waits until it leads
   * nothing and this broker's own image shows it. Heartbeats stop once that is done.
   *
   * @return true if the shutdown was acknowledged, false if {@code timeout} passed first
   */
  public CompletableFuture<Boolean> controlledShutdown(Duration timeout) {
    CompletableFuture<Boolean> done = new CompletableFuture<>();
    executor.execute(() -> {
      if (stopped || brokerEpoch < 0) {
        // Not registered: it leads nothing.
        done.complete(true);
        stopHeartbeats();
        return;
      }
      LOG.info("Broker {} starts a controlled shutdown", brokerId);
      shutdown = done;
      heartbeatNow();
    });
    executor.schedule(() -> {
      if (done.complete(false)) {
        LOG.warn("Broker {}: controlled shutdown was not acknowledged within {} ms", brokerId, timeout.toMillis());
      }
    }, timeout.toMillis(), TimeUnit.MILLISECONDS);
    return done;
  }

  /** Stops heartbeating; the controller fences the broker when its session expires. */
  @Override
  public void close() {
    executor.execute(this::stopHeartbeats);
    executor.shutdown();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
  }

  // ---- on the lifecycle thread ----

  private void stopHeartbeats() {
    stopped = true;
    if (nextHeartbeat != null) {
      nextHeartbeat.cancel(false);
    }
  }

  private void register() {
    if (stopped) {
      return;
    }
    ControllerRequest request = ControllerRequest.newBuilder().setRegisterBroker(RegisterBrokerRequest.newBuilder()
        .setRegistration(RegisterBrokerRecord.newBuilder()
            .setBrokerId(brokerId)
            .setIncarnationId(incarnationId)
            .setHost(host)
            .setPort(port)
            .setRack(rack)
            .setRaftAddress(quorum.config().raftAddress())
            .setVoter(quorum.isVoter()))).build();
    requestInFlight = true;
    controller.send(request, requestTimeout).whenCompleteAsync((response, error) -> {
      requestInFlight = false;
      if (stopped) {
        return;
      }
      if (error != null || !response.getErrorReason().isEmpty()) {
        LOG.info("Broker {} could not register yet: {}", brokerId,
            error != null ? error.getMessage() : response.getErrorReason() + " " + response.getErrorMessage());
        executor.schedule(this::register, REGISTRATION_RETRY.toMillis(), TimeUnit.MILLISECONDS);
        return;
      }
      long epoch = response.getRegisterBroker().getBrokerEpoch();
      brokerEpoch = epoch;
      fenced = true;
      LOG.info("Broker {} registered with epoch {}", brokerId, epoch);
      if (shutdown != null) {
        heartbeatNow();
        return;
      }
      // The first heartbeat can ask to be unfenced only once the local image has the registration.
      quorum.awaitOffset(epoch)
          .orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
          .whenCompleteAsync((image, notYet) -> heartbeatNow(), executor);
    }, executor);
  }

  private void heartbeatNow() {
    if (nextHeartbeat != null) {
      nextHeartbeat.cancel(false);
      nextHeartbeat = null;
    }
    if (!requestInFlight) {
      heartbeat();
    }
  }

  private void scheduleHeartbeat(long delayMs) {
    nextHeartbeat = executor.schedule(this::heartbeat, Math.max(0, delayMs), TimeUnit.MILLISECONDS);
  }

  private void heartbeat() {
    if (stopped || requestInFlight) {
      return;
    }
    long epoch = brokerEpoch;
    long appliedIndex = quorum.image().offset();
    boolean wantShutdown = shutdown != null;
    List<Integer> suspects = List.copyOf(unreachable);
    unreachable.removeAll(suspects);
    BrokerHeartbeatRequest heartbeat = BrokerHeartbeatRequest.newBuilder()
        .setBrokerId(brokerId)
        .setBrokerEpoch(epoch)
        .setAppliedIndex(appliedIndex)
        .setWantUnfence(!wantShutdown && fenced && appliedIndex >= epoch)
        .setWantShutdown(wantShutdown)
        .addAllUnreachableBrokers(suspects)
        .build();
    long sentAt = System.nanoTime();
    requestInFlight = true;
    controller.send(ControllerRequest.newBuilder().setBrokerHeartbeat(heartbeat).build(), requestTimeout)
        .whenCompleteAsync((response, error) -> {
          requestInFlight = false;
          if (stopped) {
            return;
          }
          if (error == null && response.getErrorReason().isEmpty()) {
            if (onHeartbeatResponse(epoch, response)) {
              return;
            }
          } else {
            LOG.debug("Broker {} heartbeat failed: {}", brokerId,
                error != null ? error.getMessage() : ControllerError.of(response) + " " + response.getErrorMessage());
          }
          long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt);
          scheduleHeartbeat(shutdown != null ? 0 : heartbeatInterval.toMillis() - elapsedMs);
        }, executor);
  }

  /** @return true if heartbeats stop or are rescheduled by this response */
  private boolean onHeartbeatResponse(long epoch, ControllerResponse response) {
    BrokerHeartbeatResult result = response.getBrokerHeartbeat();
    if (result.getUnknownBrokerEpoch()) {
      LOG.info("Controller no longer knows broker {} epoch {}: registering again", brokerId, epoch);
      brokerEpoch = -1;
      fenced = true;
      register();
      return true;
    }
    if (fenced != result.getFenced()) {
      LOG.info("Broker {} is now {}", brokerId, result.getFenced() ? "fenced" : "unfenced");
    }
    fenced = result.getFenced();
    if (!fenced) {
      unfenced.complete(null);
    }
    if (shutdown != null && result.getShutdownReady()) {
      CompletableFuture<Boolean> done = shutdown;
      stopHeartbeats();
      // Done once this broker's own image shows that it leads nothing.
      quorum.awaitOffset(response.getAppliedIndex())
          .orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
          .whenComplete((image, error) -> {
            LOG.info("Broker {} completed its controlled shutdown", brokerId);
            done.complete(true);
          });
      return true;
    }
    return false;
  }
}
