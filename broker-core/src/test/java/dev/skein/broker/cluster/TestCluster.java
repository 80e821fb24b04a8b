package dev.skein.broker.cluster;

import static org.awaitility.Awaitility.await;

import dev.skein.broker.BrokerConfig;
import dev.skein.broker.HostPort;
import dev.skein.broker.SkeinBroker;
import dev.skein.broker.group.GroupConfig;
import dev.skein.broker.metrics.MetricsConfig;
import dev.skein.broker.replica.ReplicationConfig;
import dev.skein.client.ClientConfig;
import dev.skein.client.ConsumerConfig;
import dev.skein.client.ProducerConfig;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import dev.skein.metadata.QuorumVoter;
import dev.skein.storage.log.LogCleanerConfig;
import dev.skein.storage.log.LogConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * Brokers on loopback in this JVM, each with its own ports and data directory, for tests.
 * The first {@code voters} brokers vote in the metadata quorum; the rest are listeners.
 * Brokers can be stopped and started again with the same identity and data.
 */
public final class TestCluster implements AutoCloseable {

  /** The production defaults: tests see the failover times users get. */
  static final Duration HEARTBEAT = dev.skein.metadata.QuorumConfig.DEFAULT_HEARTBEAT_INTERVAL;
  static final Duration SESSION_TIMEOUT = dev.skein.metadata.QuorumConfig.DEFAULT_SESSION_TIMEOUT;

  private final List<BrokerConfig> configs = new ArrayList<>();
  private final Map<Integer, SkeinBroker> running = new HashMap<>();
  private final List<AutoCloseable> clients = new ArrayList<>();
  private final Map<Integer, ManagedChannel> channels = new HashMap<>();

  private TestCluster(Path dir, int brokers, int voters, LogConfig logDefaults, ReplicationConfig replication,
      GroupConfig groups, boolean partitionLevelMetrics) {
    this(dir, brokers, voters, logDefaults, replication, groups, partitionLevelMetrics, null);
  }

  private TestCluster(Path dir, int brokers, int voters, LogConfig logDefaults, ReplicationConfig replication,
      GroupConfig groups, boolean partitionLevelMetrics, dev.skein.broker.tls.TlsConfig tls) {
    List<QuorumVoter> quorum = new ArrayList<>();
    int[] ports = freePorts(brokers * 2);
    for (int id = 1; id <= voters; id++) {
      quorum.add(new QuorumVoter(id, "localhost", ports[2 * (id - 1) + 1]));
    }
    for (int id = 1; id <= brokers; id++) {
      int port = ports[2 * (id - 1)];
      HostPort address = new HostPort("localhost", port);
      BrokerConfig.Builder builder = BrokerConfig.builder(id, dir.resolve("broker-" + id));
      if (tls != null) {
        builder.tls(tls);
      }
      configs.add(builder
          .listen(address, address)
          .quorum(quorum, new HostPort("localhost", ports[2 * (id - 1) + 1]))
          .topicDefaults(1, 1, logDefaults)
          .membership(HEARTBEAT, SESSION_TIMEOUT, Duration.ofSeconds(10))
          .replication(replication)
          .leaderRebalance(true, Duration.ofSeconds(1))
          .retentionCheckInterval(Duration.ofMillis(200))
          .groups(groups)
          // Small maps (they are allocated up front) and a short rest, so tests see compaction soon.
          .cleaner(LogCleanerConfig.DEFAULT.withDedupeBufferSize(4 << 20).withBackoff(Duration.ofMillis(200)))
          // Port 0: each start binds a fresh port; see metricsPort().
          .metrics(MetricsConfig.listenOn(new HostPort("localhost", 0), partitionLevelMetrics))
          .build());
    }
  }

  /** Starts {@code brokers} brokers, all voting (up to three), and waits until every one serves. */
  public static TestCluster start(Path dir, int brokers) {
    return start(dir, brokers, Math.min(brokers, 3), LogConfig.DEFAULT);
  }

  public static TestCluster start(Path dir, int brokers, int voters, LogConfig logDefaults) {
    return start(dir, brokers, voters, logDefaults, ReplicationConfig.DEFAULT);
  }

  public static TestCluster start(Path dir, int brokers, int voters, LogConfig logDefaults,
      ReplicationConfig replication) {
    return start(dir, brokers, voters, logDefaults, replication, GroupConfig.DEFAULT);
  }

  /** Starts {@code brokers} brokers (up to three voting) with these group coordinator settings. */
  public static TestCluster start(Path dir, int brokers, GroupConfig groups) {
    return start(dir, brokers, Math.min(brokers, 3), LogConfig.DEFAULT, ReplicationConfig.DEFAULT, groups);
  }

  public static TestCluster start(Path dir, int brokers, int voters, LogConfig logDefaults,
      ReplicationConfig replication, GroupConfig groups) {
    return startCluster(new TestCluster(dir, brokers, voters, logDefaults, replication, groups, true));
  }

  /** Starts {@code brokers} brokers whose metrics endpoints export per-partition series or not. */
  public static TestCluster startWithMetrics(Path dir, int brokers, boolean partitionLevelMetrics) {
    return startCluster(new TestCluster(dir, brokers, Math.min(brokers, 3), LogConfig.DEFAULT,
        ReplicationConfig.DEFAULT, GroupConfig.DEFAULT, partitionLevelMetrics));
  }

  /**
   * Starts {@code brokers} brokers with TLS on every port. Only {@link #bootstrap()} and the
   * brokers are of use then: this class's clients and channels speak plaintext.
   */
  public static TestCluster startWithTls(Path dir, int brokers, dev.skein.broker.tls.TlsConfig tls) {
    return startCluster(new TestCluster(dir, brokers, Math.min(brokers, 3), LogConfig.DEFAULT,
        ReplicationConfig.DEFAULT, GroupConfig.DEFAULT, true, tls));
  }

  private static TestCluster startCluster(TestCluster cluster) {
    try {
      cluster.startAllAtOnce(cluster.configs.stream().map(BrokerConfig::nodeId).toList());
      cluster.awaitReady();
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  public void startBroker(int id) {
    startBroker(id, true);
  }

  private void startBroker(int id, boolean waitReady) {
    if (running.containsKey(id)) {
      throw new IllegalStateException("broker " + id + " is running");
    }
    try {
      SkeinBroker broker = startOnItsPorts(configs.get(id - 1));
      running.put(id, broker);
      if (waitReady) {
        broker.ready().get(60, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IllegalStateException("broker " + id + " did not become ready", e);
    }
  }

  /**
   * Starts these brokers side by side, without waiting until they serve. One after the other,
   * the last voter's Raft member came up after the others had elected a leader, whose appends to
   * it had failed meanwhile and were retried only after Ratis' backoff of 1 s and then 5 s: that
   * broker caught up with the metadata log 2-5 s late, at nearly every start of a cluster.
   */
  private void startAllAtOnce(List<Integer> ids) {
    for (int id : ids) {
      if (running.containsKey(id)) {
        throw new IllegalStateException("broker " + id + " is running");
      }
    }
    java.util.concurrent.ExecutorService starters = java.util.concurrent.Executors.newFixedThreadPool(ids.size());
    try {
      Map<Integer, java.util.concurrent.Future<SkeinBroker>> starting = new java.util.LinkedHashMap<>();
      for (int id : ids) {
        starting.put(id, starters.submit(() -> startOnItsPorts(configs.get(id - 1))));
      }
      IllegalStateException failure = null;
      for (Map.Entry<Integer, java.util.concurrent.Future<SkeinBroker>> e : starting.entrySet()) {
        try {
          running.put(e.getKey(), e.getValue().get());
        } catch (java.util.concurrent.ExecutionException | InterruptedException x) {
          if (x instanceof InterruptedException) {
            Thread.currentThread().interrupt();
          }
          if (failure == null) {
            failure = new IllegalStateException("broker " + e.getKey() + " did not start", x);
          } else {
            failure.addSuppressed(x);
          }
        }
      }
      if (failure != null) {
        throw failure;   // the brokers that did start are in running, for close()
      }
    } finally {
      starters.shutdown();
    }
  }

  /**
   * Starts a broker on the ports it had, again for up to 30 s while one of them is in use: when
   * a broker restarts at once, a port freed by the one before may still be held a moment (or,
   * where test ports come from the ephemeral range, be taken as the local port of another
   * connection on this host: see freePorts). Any other failure fails at once.
   */
  static SkeinBroker startOnItsPorts(BrokerConfig config) {
    AtomicReference<SkeinBroker> started = new AtomicReference<>();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
      try {
        started.set(SkeinBroker.start(config));
        return true;
      } catch (IOException | RuntimeException e) {
        if (portInUse(e)) {
          return false;   // tried again at the next poll
        }
        throw e;
      }
    });
    return started.get();
  }

  private static boolean portInUse(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (t instanceof BindException || message.contains("Address already in use")
          || message.contains("Failed to start Grpc server")) {
        return true;
      }
    }
    return false;
  }

  /** Stops a broker cleanly: controlled shutdown, then flush and checkpoint. */
  public void stopBroker(int id) {
    SkeinBroker broker = running.remove(id);
    if (broker == null) {
      throw new IllegalStateException("broker " + id + " is not running");
    }
    broker.close();
  }

  /** Stops a broker cleanly but without a controlled shutdown, as when the whole cluster stops. */
  public void stopBrokerWithoutHandoff(int id) {
    SkeinBroker broker = running.remove(id);
    if (broker == null) {
      throw new IllegalStateException("broker " + id + " is not running");
    }
    broker.stopWithoutHandoff();
  }

  /** Stops a broker as a crash would: no controlled shutdown, heartbeats and connections gone at once. */
  public void stopBrokerAbruptly(int id) {
    SkeinBroker broker = running.remove(id);
    if (broker == null) {
      throw new IllegalStateException("broker " + id + " is not running");
    }
    broker.crash();
  }

  /** The broker whose quorum member is the Raft leader (the active controller). */
  public int controllerId() {
    return running.values().iterator().next().quorum().leaderId().orElseThrow();
  }

  public void restartAll() {
    List<Integer> ids = new ArrayList<>(running.keySet());
    stopAllAtOnce(SkeinBroker::stopWithoutHandoff);
    startAllAtOnce(ids);
    awaitReady();
  }

  /**
   * Stops every running broker, all at the same time. (Clean stops once waited 5 s each for the
   * replication streams their peers held open, so one after the other they took about 5 s each;
   * a stop now ends those streams itself. A parallel stream ran them in turn on a 2-core machine.)
   */
  private void stopAllAtOnce(java.util.function.Consumer<SkeinBroker> stop) {
    List<Thread> stopping = new ArrayList<>();
    for (SkeinBroker broker : running.values()) {
      Thread t = new Thread(() -> stop.accept(broker), "stop-broker-" + broker.nodeId());
      t.start();
      stopping.add(t);
    }
    running.clear();
    for (Thread t : stopping) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while stopping the brokers", e);
      }
    }
  }

  public void awaitReady() {
    await().atMost(Duration.ofSeconds(60)).until(() -> running.values().stream().allMatch(b -> b.ready().isDone()));
  }

  public SkeinBroker broker(int id) {
    SkeinBroker broker = running.get(id);
    if (broker == null) {
      throw new IllegalStateException("broker " + id + " is not running");
    }
    return broker;
  }

  public List<Integer> runningIds() {
    return running.keySet().stream().sorted().toList();
  }

  /** Where the running broker {@code id} serves /metrics (its port changes at each start). */
  public String metricsUrl(int id, String path) {
    return "http://localhost:" + broker(id).metricsPort() + path;
  }

  public HostPort address(int id) {
    return configs.get(id - 1).advertised();
  }

  /** Bootstrap list of the running brokers. */
  public String bootstrap() {
    return running.keySet().stream().sorted().map(id -> address(id).toString()).collect(Collectors.joining(","));
  }

  public SkeinAdmin admin() {
    return track(SkeinAdmin.create(ClientConfig.of(bootstrap())));
  }

  public SkeinProducer producer(Map<String, String> settings) {
    Map<String, String> all = new HashMap<>(settings);
    all.put("bootstrap.servers", bootstrap());
    return track(SkeinProducer.create(ProducerConfig.from(all)));
  }

  public SkeinConsumer consumer(Map<String, String> settings) {
    Map<String, String> all = new HashMap<>(settings);
    all.put("bootstrap.servers", bootstrap());
    return track(SkeinConsumer.create(ConsumerConfig.from(all)));
  }

  /** A raw gRPC channel to one broker, for tests that speak the protocol directly. */
  public synchronized ManagedChannel channel(int id) {
    return channels.computeIfAbsent(id, i -> {
      HostPort a = address(i);
      return NettyChannelBuilder.forAddress(a.host(), a.port()).usePlaintext()
          .maxInboundMessageSize(128 * 1024 * 1024).build();
    });
  }

  private <T extends AutoCloseable> T track(T client) {
    clients.add(client);
    return client;
  }

  @Override
  public void close() {
    for (AutoCloseable c : clients) {
      try {
        c.close();
      } catch (Exception e) {
        // closing a test client must not hide the test's own failure
      }
    }
    channels.values().forEach(ManagedChannel::shutdownNow);
    // The test is over, so the brokers stop as a crash would: nothing is flushed or handed off.
    // (Clean teardowns once waited 5 s each for the streams their peers held open, about 5
    // minutes of the module's run; a clean stop now ends them itself, but a crash is still
    // quicker.) Clean stops are still what stopBroker and restartAll do.
    stopAllAtOnce(SkeinBroker::crash);
  }

  /**
   * Ports free at the moment of the call (another process may still take one before it is bound).
   *
   * <p>They come from below the kernel's ephemeral range, where neither an outgoing connection nor
   * a listener on port 0 on this host gets its port: so none of those takes a port between this
   * check and the broker's bind, or while a restarting broker is down (a restart binds the ports
   * it had). Each test JVM ({@code skein.test.fork}, set by surefire) hands out ports from its own
   * block, in turn, so the test JVMs of one build never pick the same port, and one JVM never picks
   * a port again until its block wraps. Where the ephemeral range leaves no room below it, the
   * kernel picks (port 0), as before.
   */
  public static int[] freePorts(int count) {
    if (PORT_BLOCK == null) {
      return ephemeralPorts(count);
    }
    int[] ports = new int[count];
    for (int i = 0; i < count; i++) {
      ports[i] = PORT_BLOCK.next();
    }
    return ports;
  }

  private static final PortBlock PORT_BLOCK = PortBlock.forThisJvm();

  /** A block of ports below the ephemeral range, handed out in turn from a random start. */
  private static final class PortBlock {
    private static final int FIRST = 10_000;
    private static final int SIZE = 4_000;

    private final int first;
    private int next;

    private PortBlock(int first, int start) {
      this.first = first;
      this.next = start;
    }

    static PortBlock forThisJvm() {
      int ephemeralLow = ephemeralRangeLow();
      int blocks = (ephemeralLow - FIRST) / SIZE;
      if (blocks < 1) {
        return null;
      }
      int fork;
      try {
        fork = Integer.parseInt(System.getProperty("skein.test.fork", "1"));
      } catch (NumberFormatException e) {
        fork = 1;   // not run by surefire's forks
      }
      int first = FIRST + Math.floorMod(fork - 1, blocks) * SIZE;
      // A random start, so that builds of other checkouts on the same host seldom meet.
      return new PortBlock(first, java.util.concurrent.ThreadLocalRandom.current().nextInt(SIZE));
    }

    synchronized int next() {
      for (int tries = 0; tries < SIZE; tries++) {
        int port = first + next;
        next = (next + 1) % SIZE;
        if (isFree(port)) {
          return port;
        }
      }
      throw new IllegalStateException("no free port in " + first + "-" + (first + SIZE - 1));
    }

    private static boolean isFree(int port) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.setReuseAddress(false);
        socket.bind(new java.net.InetSocketAddress(port));
        return true;
      } catch (IOException e) {
        return false;
      }
    }

    /** The low end of the kernel's ephemeral port range (Linux); 32768 where it cannot be read. */
    private static int ephemeralRangeLow() {
      try {
        // readAllLines, not readString: procfs reports a size of 0, and readString read one byte.
        String range = java.nio.file.Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0);
        return Integer.parseInt(range.trim().split("\\s+")[0]);
      } catch (IOException | RuntimeException e) {
        return 32_768;
      }
    }
  }

  private static int[] ephemeralPorts(int count) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0);
        sockets.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket s : sockets) {
        try {
          s.close();
        } catch (IOException e) {
          // the port is still free for our use
        }
      }
    }
  }
}
