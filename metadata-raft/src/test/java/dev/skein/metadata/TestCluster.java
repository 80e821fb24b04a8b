package dev.skein.metadata;

import static org.awaitility.Awaitility.await;

import dev.skein.metadata.image.ClusterImage;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.ControllerResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * Brokers in one JVM on loopback, each a metadata quorum member plus a broker lifecycle, with
 * its own ephemeral port and temporary data directory (kept across restarts of that broker).
 */
final class TestCluster implements AutoCloseable {

  static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Path baseDir;
  private final List<QuorumVoter> voters;
  private final Map<Integer, Integer> ports = new TreeMap<>();
  private final Map<Integer, Broker> running = new TreeMap<>();
  private final UnaryOperator<QuorumConfig.Builder> tweaks;

  /** A running broker. */
  record Broker(MetadataQuorum quorum, BrokerLifecycle lifecycle) {
    int id() {
      return quorum.nodeId();
    }
  }

  TestCluster(Path baseDir, int voterCount, UnaryOperator<QuorumConfig.Builder> tweaks) {
    this.baseDir = baseDir;
    this.tweaks = tweaks;
    List<QuorumVoter> list = new ArrayList<>();
    for (int id = 1; id <= voterCount; id++) {
      list.add(new QuorumVoter(id, "127.0.0.1", port(id)));
    }
    this.voters = List.copyOf(list);
  }

  TestCluster(Path baseDir, int voterCount) {
    this(baseDir, voterCount, UnaryOperator.identity());
  }

  List<QuorumVoter> voters() {
    return voters;
  }

  /** Starts the quorum member of every voter, without broker lifecycles. */
  void startVoters() {
    voters.forEach(voter -> startQuorum(voter.id()));
  }

  /** Starts every voter as a full broker (quorum member and lifecycle). */
  void startVoterBrokers() {
    voters.forEach(voter -> startQuorum(voter.id()));
    voters.forEach(voter -> startLifecycle(voter.id()));
  }

  MetadataQuorum startQuorum(int id) {
    QuorumConfig config = tweaks.apply(QuorumConfig.builder(id, voters, "127.0.0.1", port(id),
        baseDir.resolve("broker-" + id))).build();
    try {
      MetadataQuorum quorum = MetadataQuorum.start(config);
      running.put(id, new Broker(quorum, null));
      return quorum;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  BrokerLifecycle startLifecycle(int id) {
    Broker broker = running.get(id);
    BrokerLifecycle lifecycle = new BrokerLifecycle(broker.quorum(), "localhost", 19000 + id, "rack-" + (id % 2));
    lifecycle.start();
    running.put(id, new Broker(broker.quorum(), lifecycle));
    return lifecycle;
  }

  Broker startBroker(int id) {
    startQuorum(id);
    startLifecycle(id);
    return running.get(id);
  }

  /** Stops a broker's heartbeats only; its quorum member keeps running. */
  void stopLifecycle(int id) {
    Broker broker = running.get(id);
    if (broker.lifecycle() != null) {
      broker.lifecycle().close();
      running.put(id, new Broker(broker.quorum(), null));
    }
  }

  /** Stops a broker entirely, as if its process died (its data directory stays). */
  void stop(int id) {
    Broker broker = running.remove(id);
    if (broker != null) {
      if (broker.lifecycle() != null) {
        broker.lifecycle().close();
      }
      broker.quorum().close();
    }
  }

  Broker broker(int id) {
    return running.get(id);
  }

  MetadataQuorum quorum(int id) {
    return running.get(id).quorum();
  }

  Collection<Broker> running() {
    return running.values();
  }

  /** Waits until every running broker lifecycle has been unfenced. */
  void awaitAllUnfenced() {
    for (Broker broker : running.values()) {
      if (broker.lifecycle() != null) {
        broker.lifecycle().unfenced().orTimeout(TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS).join();
      }
    }
  }

  /** Waits until the running members agree on a leader, and returns it. */
  MetadataQuorum awaitLeader() {
    return await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(20)).until(this::currentLeader, leader -> leader != null);
  }

  /** The running member that leads, if the running members agree there is one. */
  MetadataQuorum currentLeader() {
    for (Broker broker : running.values()) {
      if (broker.quorum().isLeader()) {
        return broker.quorum();
      }
    }
    return null;
  }

  /** Waits until every running member has applied the same image (at the same offset), and returns it. */
  ClusterImage awaitConvergence() {
    return await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(20)).until(() -> {
      ClusterImage first = null;
      for (Broker broker : running.values()) {
        ClusterImage image = broker.quorum().image();
        if (first == null) {
          first = image;
        } else if (!first.equals(image)) {
          return null;
        }
      }
      return first;
    }, image -> image != null);
  }

  /** Sends a request through {@code id}'s channel and waits for the answer. */
  ControllerResponse send(int id, ControllerRequest request) {
    return quorum(id).controller().send(request, Duration.ofSeconds(20)).join();
  }

  int port(int id) {
    return ports.computeIfAbsent(id, key -> freePort());
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops every broker, in parallel: a Ratis server takes about a second to close. */
  @Override
  public void close() {
    List<Thread> stopping = new ArrayList<>();
    for (int id : new ArrayList<>(running.keySet())) {
      Broker broker = running.remove(id);
      Thread thread = new Thread(() -> {
        if (broker.lifecycle() != null) {
          broker.lifecycle().close();
        }
        broker.quorum().close();
      }, "stop-broker-" + id);
      thread.start();
      stopping.add(thread);
    }
    for (Thread thread : stopping) {
      try {
        thread.join(TIMEOUT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
