package dev.skein.broker;

import dev.skein.broker.fetch.ConsumerService;
import dev.skein.broker.fetch.DataWatchers;
import dev.skein.broker.group.GroupCoordinator;
import dev.skein.broker.mirror.MirrorFaults;
import dev.skein.broker.mirror.MirrorManager;
import dev.skein.broker.mirror.MirrorRpcService;
import dev.skein.broker.group.GroupService;
import dev.skein.broker.group.OffsetsTopic;
import dev.skein.broker.limits.CallGuard;
import dev.skein.broker.limits.OpenCalls;
import dev.skein.broker.limits.ServerHardening;
import dev.skein.broker.metrics.BrokerMetrics;
import dev.skein.broker.metrics.MetricsHttpServer;
import dev.skein.broker.produce.ProduceFaults;
import dev.skein.broker.produce.ProducerIdManager;
import dev.skein.broker.replica.PeerChannels;
import dev.skein.broker.replica.ReplicaManager;
import dev.skein.broker.replica.ReplicationService;
import dev.skein.broker.rpc.AdminService;
import dev.skein.broker.rpc.ClusterService;
import dev.skein.broker.rpc.ControllerCalls;
import dev.skein.broker.rpc.Errors;
import dev.skein.broker.rpc.ProducerService;
import dev.skein.broker.auth.Authorizer;
import dev.skein.broker.auth.Caller;
import dev.skein.broker.auth.CallerInterceptor;
import dev.skein.broker.auth.ScramAuthService;
import dev.skein.broker.auth.TokenStore;
import dev.skein.broker.auth.ClusterActionRequired;
import dev.skein.broker.tls.BrokerCertificateRequired;
import dev.skein.broker.tls.TlsCredentials;
import dev.skein.metadata.BrokerLifecycle;
import dev.skein.metadata.MetadataQuorum;
import dev.skein.proto.internal.v1.AllocateProducerIdsRequest;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.v1.AdminServiceGrpc;
import dev.skein.proto.v1.ClusterServiceGrpc;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.GroupServiceGrpc;
import dev.skein.proto.v1.ProducerServiceGrpc;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import dev.skein.storage.log.LogManager;
import dev.skein.storage.log.LogManagerConfig;
import dev.skein.storage.state.StateStore;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.buffer.AdaptiveByteBufAllocator;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Skein broker: its partition logs, its member of the metadata quorum, and its gRPC
 * service. {@link #start} returns once the gRPC port is open; the health service says
 * NOT_SERVING until the broker has joined the quorum, caught up and been unfenced.
 */
public final class SkeinBroker implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SkeinBroker.class);

  private static final List<String> SERVICE_NAMES = List.of(ClusterServiceGrpc.SERVICE_NAME,
      AdminServiceGrpc.SERVICE_NAME, ProducerServiceGrpc.SERVICE_NAME, ConsumerServiceGrpc.SERVICE_NAME,
      GroupServiceGrpc.SERVICE_NAME, dev.skein.proto.v1.MirrorServiceGrpc.SERVICE_NAME);

  /** One allocator for every connection of every broker in this JVM (see the server builder). */
  public static final AdaptiveByteBufAllocator ALLOCATOR = new AdaptiveByteBufAllocator(true, true);

  private final BrokerConfig config;
  private final StateStore stateStore;
  private final LogManager logs;
  private final ReplicaManager replicas;
  private final MetadataQuorum quorum;
  private final BrokerLifecycle lifecycle;
  private final HealthStatusManager health = new HealthStatusManager();
  private final Optional<TlsCredentials> tls;
  private final PeerChannels peers;
  private final ProduceFaults produceFaults = new ProduceFaults();
  private final ExecutorService fetchExecutor;
  private final ScheduledExecutorService timer;
  private final ConsumerService consumerService;
  private final GroupCoordinator groupCoordinator;
  private final MirrorManager mirrors;
  private final MirrorRpcService mirrorService;
  private final Server server;
  /** The calls {@link #server} serves, which a clean stop ends instead of waiting for them. */
  private final OpenCalls openCalls;
  private final BrokerMetrics metrics;
  private MetricsHttpServer metricsEndpoint;
  private boolean closed;

  private SkeinBroker(BrokerConfig config) throws IOException {
    this.config = config;
    this.tls = config.tls().map(t -> TlsCredentials.load(t, String.valueOf(config.nodeId())));
    this.peers = new PeerChannels(tls.map(TlsCredentials::clientContext));
    this.metrics = new BrokerMetrics(config.metrics());
    setHealth(ServingStatus.NOT_SERVING);
    this.stateStore = StateStore.open(config.stateDir());
    this.logs = LogManager.open(config.logsDir(), stateStore,
        LogManagerConfig.DEFAULT.withRetentionCheckInterval(config.retentionCheckInterval())
            .withCleaner(config.cleaner().withPayloadCodec(CleanerPayloadCodec.INSTANCE)),
        Clock.systemUTC());
    DataWatchers commitWatchers = new DataWatchers();
    DataWatchers logEndWatchers = new DataWatchers();
    try {
      this.quorum = MetadataQuorum.start(tls.isPresent()
          ? config.quorumConfig().withTls(tls.get().quorumTls()) : config.quorumConfig());
    } catch (IOException | RuntimeException e) {
      // Nothing else holds the logs and the state store yet: release them, so the same process
      // can start this broker again (the Raft port may be free a moment later).
      closeQuietly(logs);
      closeQuietly(stateStore);
      tls.ifPresent(SkeinBroker::closeQuietly);
      throw e;
    }
    this.lifecycle = new BrokerLifecycle(quorum, config.advertised().host(), config.advertised().port(), config.rack());
    this.replicas = new ReplicaManager(config.nodeId(), logs, config.logDefaults(), config.replication(),
        new ReplicaManager.Collaborators(commitWatchers, logEndWatchers, new ControllerIsrChannel(quorum, lifecycle),
            peers, lifecycle::brokerEpoch, System::currentTimeMillis, lifecycle::reportUnreachable),
        quorum::image);
    quorum.addListener(replicas::onMetadataUpdate);
    this.fetchExecutor = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
        threads("skein-fetch-" + config.nodeId()));
    this.timer = Executors.newSingleThreadScheduledExecutor(threads("skein-timer-" + config.nodeId()));
    replicas.start(timer);
    Errors errors = new Errors(quorum::image);
    Authorizer authorizer = new Authorizer(config.security(), quorum::image, metrics.registry());
    ControllerCalls controller = new ControllerCalls(quorum, Duration.ofSeconds(15));
    this.consumerService = new ConsumerService(replicas, commitWatchers, errors, fetchExecutor, timer, metrics,
        authorizer);
    this.groupCoordinator = new GroupCoordinator(config.nodeId(), config.groups(), new GroupCoordinator.Wiring(
        replicas, quorum::image, new OffsetsTopic(config.groups(), controller, quorum::image), commitWatchers,
        fetchExecutor, timer, System::currentTimeMillis));
    this.mirrors = new MirrorManager(config.nodeId(), config.advertised(), quorum, replicas, controller,
        new MirrorFaults(), peers, tls.map(TlsCredentials::keyManager));
    quorum.addListener(mirrors::onMetadataUpdate);
    this.mirrorService = new MirrorRpcService(config.nodeId(), quorum, controller, errors, mirrors,
        authorizer, peers);
    metrics.bind(new BrokerMetrics.Sources(config.nodeId(), quorum, replicas, logs, groupCoordinator));
    quorum.addListener((delta, image) -> delta.deletedTopics().forEach(t -> metrics.removeTopic(t.name())));
    var observed = metrics.grpcInterceptor();
    // Every call, replication included, learns who its caller is before any service code runs.
    var authentication = config.security().authentication();
    TokenStore tokens = authentication.scram()
        ? new TokenStore(authentication.tokenLifetime(), quorum::image, System::currentTimeMillis) : null;
    var callers = new CallerInterceptor(config.security().principalMappingRules(), tokens, authentication.required(),
        authentication.allowPlaintext());
    NettyServerBuilder serverBuilder = NettyServerBuilder
        .forAddress(new InetSocketAddress(config.listen().host(), config.listen().port()));
    // Size, stream, keepalive and connection limits; every service below goes through the guard.
    // The connection quota per principal never counts brokers' own connections: see isBrokerPrincipal.
    CallGuard guard = ServerHardening.apply(serverBuilder, config.limits(), timer,
        config.security().principalMappingRules(), this::isBrokerPrincipal,
        token -> tokens == null ? Optional.empty() : tokens.user(token).map(name -> Caller.USER_TYPE + name));
    UnaryOperator<ServerServiceDefinition> serve = s -> ServerInterceptors.intercept(guard.guard(s), observed, callers);
    this.openCalls = guard.openCalls();
    tls.ifPresent(t -> serverBuilder.sslContext(t.serverContext()));
    // A follower's stream that fails because this broker is stopping says nothing about the follower.
    var replication = new ReplicationService(replicas, commitWatchers, logEndWatchers, errors, fetchExecutor, timer,
        follower -> {
          if (!openCalls.ending()) {
            lifecycle.reportUnreachable(follower);
          }
        }).bindService();
    // Replication shares the client port; with TLS on, only peers with a certificate may replicate.
    io.grpc.ServerServiceDefinition guardedReplication = tls.isPresent()
        ? ServerInterceptors.intercept(replication, new BrokerCertificateRequired()) : replication;
    // With ACLs on, a certificate from the cluster's CA is not enough: the caller must be a broker
    // (a super user, or allowed CLUSTER_ACTION).
    guardedReplication = ServerInterceptors.intercept(guardedReplication, new ClusterActionRequired(authorizer));
    if (tokens != null) {
      // Not behind the CallerInterceptor: this is where a caller without a certificate gets a principal.
      serverBuilder.addService(ServerInterceptors.intercept(guard.guard(new ScramAuthService(quorum::image, tokens,
          authentication.allowPlaintext(), System::currentTimeMillis).definition()), observed));
    }
    this.server = serverBuilder
        // grpc-java's own pooled allocator frees a 2 MiB chunk as soon as it is empty, so every
        // fetch response (written in 1 MiB buffers) allocated and zeroed fresh direct chunks:
        // 70 % of the Subscribe pump's CPU in a profile. Netty 4.2's adaptive allocator keeps
        // chunks for reuse, also for the fetch threads that write the responses.
        .withChildOption(ChannelOption.ALLOCATOR, ALLOCATOR)
        .addService(serve.apply(new ClusterService(config.nodeId(), quorum, errors, authorizer).bindService()))
        .addService(serve.apply(new AdminService(config, quorum, controller, errors, replicas,
            commitWatchers, fetchExecutor, timer, authorizer).bindService()))
        .addService(serve.apply(new ProducerService(replicas, commitWatchers, errors, fetchExecutor,
            timer, new ProducerIdManager(this::allocateProducerIds), produceFaults, metrics,
            topicId -> quorum.image().mirrors().isReadOnly(topicId), authorizer).definition()))
        .addService(serve.apply(mirrorService.bindService()))
        .addService(serve.apply(consumerService.bindService()))
        .addService(serve.apply(new GroupService(groupCoordinator, errors, authorizer).definition()))
        // Its streams end last on a stop: an acks=all write in progress needs the followers.
        .addService(ServerInterceptors.intercept(guard.guardPeerService(guardedReplication), observed, callers))
        .addService(guard.guard(health.getHealthService().bindService()))
        .addService(guard.guard(ProtoReflectionServiceV1.newInstance().bindService()))
        .build();
  }

  /** Opens the logs, joins the metadata quorum, starts the gRPC service and registers with the controller. */
  public static SkeinBroker start(BrokerConfig config) throws IOException {
    SkeinBroker broker = new SkeinBroker(config);
    try {
      broker.server.start();
    } catch (IOException e) {
      broker.close();
      throw new IOException("cannot listen on " + config.listen() + ": " + e.getMessage(), e);
    }
    if (config.metrics().listen().isPresent()) {
      try {
        broker.metricsEndpoint = MetricsHttpServer.start(config.metrics().listen().get(), broker.metrics,
            config.nodeId());
      } catch (IOException e) {
        broker.close();
        throw new IOException("cannot listen for metrics on " + config.metrics().listen().get() + ": "
            + e.getMessage(), e);
      }
    }
    broker.lifecycle.start();
    broker.lifecycle.unfenced().thenRun(broker::onUnfenced);
    log.info("broker {} listening on {} (advertised as {}), metadata quorum member at {}, metrics at {}",
        config.nodeId(), config.listen(), config.advertised(), config.quorumConfig().raftAddress(),
        broker.metricsEndpoint == null ? "(no endpoint)" : "http://" + config.metrics().listen().get().withPort(
            broker.metricsEndpoint.port()) + "/metrics");
    return broker;
  }

  private void onUnfenced() {
    groupCoordinator.start();
    mirrors.start();
    setHealth(ServingStatus.SERVING);
    log.info("broker {} is serving", config.nodeId());
  }

  public BrokerConfig config() {
    return config;
  }

  public int nodeId() {
    return config.nodeId();
  }

  /** The port the gRPC service listens on. */
  public int port() {
    return server.getPort();
  }

  /** The services the gRPC port serves, as registered (for tests that cover every method). */
  public List<ServerServiceDefinition> services() {
    return server.getServices();
  }

  public MetadataQuorum quorum() {
    return quorum;
  }

  /** This broker's meters. */
  public BrokerMetrics metrics() {
    return metrics;
  }

  /** The port of the metrics endpoint, or -1 if it has none. */
  public int metricsPort() {
    return metricsEndpoint == null ? -1 : metricsEndpoint.port();
  }

  public ReplicaManager replicas() {
    return replicas;
  }

  /** Batch bytes this broker has sent on Subscribe streams. */
  public long subscriptionBytesSent() {
    return consumerService.subscriptionBytesSent();
  }

  /** The group coordinator (for tests and benchmarks). */
  public GroupCoordinator groupCoordinator() {
    return groupCoordinator;
  }

  /** This broker's mirror links runtime (for tests and benchmarks). */
  public MirrorManager mirrors() {
    return mirrors;
  }

  /** Switches for produce-path faults in tests and failure drills. */
  public ProduceFaults produceFaults() {
    return produceFaults;
  }

  /** Asks the controller for this broker's next block of producer ids. */
  private CompletableFuture<ProducerIdManager.Block> allocateProducerIds() {
    ControllerRequest request = ControllerRequest.newBuilder().setAllocateProducerIds(
        AllocateProducerIdsRequest.newBuilder().setBrokerId(config.nodeId()).setBrokerEpoch(lifecycle.brokerEpoch()))
        .build();
    return quorum.controller().send(request, Duration.ofSeconds(10)).thenApply(response -> {
      if (!response.getErrorReason().isEmpty()) {
        throw new IllegalStateException(response.getErrorReason() + ": " + response.getErrorMessage());
      }
      return new ProducerIdManager.Block(response.getAllocateProducerIds().getFirstProducerId(),
          response.getAllocateProducerIds().getBlockSize());
    });
  }

  /** Completes when the controller has unfenced this broker: it is registered, caught up and serving. */
  public CompletableFuture<Void> ready() {
    return lifecycle.unfenced();
  }

  private void setHealth(ServingStatus status) {
    health.setStatus("", status);
    SERVICE_NAMES.forEach(name -> health.setStatus(name, status));
  }

  /**
   * Stops cleanly: hands its leaderships back to the controller (bounded by the controlled
   * shutdown timeout), stops serving, leaves the quorum, flushes and checkpoints every log.
   */
  @Override
  public void close() {
    stop(true);
  }

  /**
   * Stops cleanly but without asking the controller to move leaderships first: for stopping
   * a whole cluster at once, where there is nobody to hand them to.
   */
  public void stopWithoutHandoff() {
    stop(false);
  }

  /**
   * Stops as a crash would look to the rest of the cluster: heartbeats and connections stop at
   * once, with no controlled shutdown and no draining of calls in progress. (The logs are
   * still closed, so a test or benchmark can restart the broker in the same process.)
   */
  public synchronized void crash() {
    if (closed) {
      return;
    }
    closed = true;
    log.info("broker {} crashing (simulated)", config.nodeId());
    closeQuietly(lifecycle);
    health.enterTerminalState();
    if (server != null) {
      server.shutdownNow();
    }
    closeQuietly(mirrors);
    closeQuietly(replicas);
    closeQuietly(peers);
    closeQuietly(quorum);
    if (timer != null) {
      timer.shutdown();
    }
    if (fetchExecutor != null) {
      fetchExecutor.shutdown();
    }
    closeQuietly(logs);
    closeQuietly(stateStore);
    closeQuietly(metricsEndpoint);
    closeQuietly(metrics);
    tls.ifPresent(SkeinBroker::closeQuietly);
  }

  private synchronized void stop(boolean handOffLeadership) {
    if (closed) {
      return;
    }
    closed = true;
    log.info("broker {} shutting down", config.nodeId());
    try {
      if (handOffLeadership && lifecycle != null && !lifecycle.isFenced()) {
        lifecycle.controlledShutdown(config.controlledShutdownTimeout())
            .get(config.controlledShutdownTimeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
      }
    } catch (Exception e) {
      log.warn("controlled shutdown did not finish: {}", e.toString());
    }
    health.enterTerminalState();
    if (server != null) {
      server.shutdown();
      // New calls are refused now. Streams never end by themselves: end them, so that only calls
      // in progress are waited for, 5 s at most. Their callers go to other brokers at once.
      openCalls.endAll(SkeinError.of(ErrorReason.BROKER_NOT_AVAILABLE, "broker " + config.nodeId()
          + " is shutting down; connect to another broker"));
      try {
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
          server.shutdownNow();
        }
      } catch (InterruptedException e) {
        server.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    closeQuietly(mirrors);
    closeQuietly(lifecycle);
    closeQuietly(quorum);
    // shutdown(), never shutdownNow(): interrupting a thread inside a FileChannel call closes the channel.
    if (timer != null) {
      timer.shutdown();
    }
    if (fetchExecutor != null) {
      fetchExecutor.shutdown();
    }
    closeQuietly(replicas);
    closeQuietly(peers);
    closeQuietly(logs);
    closeQuietly(stateStore);
    closeQuietly(metricsEndpoint);
    closeQuietly(metrics);
    tls.ifPresent(SkeinBroker::closeQuietly);
    log.info("broker {} stopped", config.nodeId());
  }

  /**
   * Whether a principal is a broker's, whose connections the connection quota per principal never
   * counts or refuses (as Kafka exempts its inter-broker listener from connection limits): a super
   * user ({@code --super-users}, which lists the brokers' principals when the authorizer is on),
   * or the principal of the certificate this broker serves now, mapped by the same rules, which
   * covers peers sharing its certificate (or whose certificates map to the same principal) without
   * any setting. Peers with principals of their own that are not super users, and every peer on a
   * plaintext port (all {@code User:ANONYMOUS} there), still replicate: {@code ConnectionQuotas}
   * lets replication calls past that quota.
   */
  private boolean isBrokerPrincipal(String principal) {
    if (config.security().superUsers().contains(principal)) {
      return true;
    }
    return tls.flatMap(t -> CallerInterceptor.principal(t.servedCertificate(), config.security()
        .principalMappingRules())).filter(principal::equals).isPresent();
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      log.warn("error while closing {}", c.getClass().getSimpleName(), e);
    }
  }

  private static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

}
