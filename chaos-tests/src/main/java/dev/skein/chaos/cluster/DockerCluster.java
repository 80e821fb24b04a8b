package dev.skein.chaos.cluster;

import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.ExecCreateCmdResponse;
import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.Network.Ipam;
import dev.skein.chaos.ChaosConfig;
import dev.skein.client.ClientConfig;
import dev.skein.client.ClusterDescription;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.TopicDescription;
import dev.skein.proto.v1.BrokerState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;

/**
 * Brokers in containers on one Docker network, each at a fixed address so that a broker killed
 * and started again comes back where clients and peers expect it. The test JVM reaches them by
 * those bridge addresses (Linux), which the brokers also advertise. Faults act only from
 * outside the broker: Docker (kill, stop, pause) and iptables or rm inside the container, and,
 * when the run asks for it ({@link ChaosConfig#fakeClock()}), the wall clock libfaketime gives the
 * broker's JVM ({@link FakeClock}).
 */
public final class DockerCluster implements AutoCloseable {

  public static final String DATA_DIR = "/var/lib/skein";
  /** Tries of {@code docker pause} before {@link #pause} falls back to SIGSTOP. */
  private static final int PAUSE_ATTEMPTS = 5;

  private final ChaosConfig config;
  private final Network network;
  private final String subnetPrefix;
  private final List<GenericContainer<?>> containers = new ArrayList<>();
  private final DockerClient docker = DockerClientFactory.instance().client();
  /** Brokers frozen with SIGSTOP because the cgroup freezer refused ({@link #pause}). */
  private final Set<Integer> stoppedBySignal = ConcurrentHashMap.newKeySet();

  private DockerCluster(ChaosConfig config) {
    this.config = config;
    // A /24 of its own per cluster, so a leftover network from a crashed run never collides.
    this.subnetPrefix = "10.213." + ThreadLocalRandom.current().nextInt(1, 250);
    this.network = Network.builder().createNetworkCmdModifier(cmd -> cmd.withIpam(new Ipam()
        .withConfig(new Ipam.Config().withSubnet(subnetPrefix + ".0/24").withGateway(subnetPrefix + ".1")))).build();
  }

  public static DockerCluster start(ChaosConfig config) {
    DockerCluster cluster = new DockerCluster(config);
    try {
      cluster.startContainers();
      cluster.awaitAllRunning(Duration.ofSeconds(120));
      if (config.fakeClock()) {
        cluster.ids().forEach(cluster::checkFakeClock);
      }
      return cluster;
    } catch (RuntimeException e) {
      Path logs = config.out().resolve("failed-start-" + System.currentTimeMillis());
      try {
        cluster.saveLogs(logs);
      } catch (IOException | RuntimeException notSaved) {
        e.addSuppressed(notSaved);
      }
      cluster.close();
      throw new IllegalStateException("the cluster did not come up; its brokers' logs are in " + logs, e);
    }
  }

  /** Keeps every broker's log so far (a start that failed leaves nothing else to look at). */
  private void saveLogs(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (int id : ids()) {
      String text;
      try {
        text = logs(id);
      } catch (RuntimeException e) {
        text = "no log: " + e;   // the container never started
      }
      Files.writeString(dir.resolve("broker-" + id + ".log"), text);
    }
  }

  private void startContainers() {
    String voters = IntStream.rangeClosed(1, config.voters())
        .mapToObj(id -> id + "@" + ip(id) + ":9093").collect(Collectors.joining(","));
    for (int id = 1; id <= config.brokers(); id++) {
      String ip = ip(id);
      GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(config.image()))
          .withNetwork(network)
          .withNetworkAliases("skein-" + id)
          .withEnv(Map.of(
              "SKEIN_NODE_ID", Integer.toString(id),
              "SKEIN_ADVERTISED_ADDRESS", ip + ":9092",
              "SKEIN_QUORUM_VOTERS", voters,
              "SKEIN_HEAP", "384m",
              // Few offsets partitions: 50 (the default) of RF=3 would triple the replicas five
              // brokers on this 2-core machine replicate; coordination is the same with 4.
              "SKEIN_OFFSETS_TOPIC_NUM_PARTITIONS", "4",
              "SKEIN_LOG_LEVEL", "INFO"))
          .withCreateContainerCmdModifier(cmd -> {
            cmd.withIpv4Address(ip);
            cmd.getHostConfig().withCapAdd(Capability.NET_ADMIN);
            // The harness watches health over gRPC itself; a JVM per check in five
            // containers would take a good part of this 2-core machine.
            cmd.withHealthcheck(new HealthCheck().withTest(List.of("NONE")));
            if (config.fakeClock()) {
              cmd.withEntrypoint(FakeClock.ENTRYPOINT);
            }
          })
          .waitingFor(Wait.forLogMessage(".*Skein broker " + id + " started.*", 1)
              .withStartupTimeout(Duration.ofSeconds(120)));
      if (config.fakeClock()) {
        c.withEnv(FakeClock.ENV);
      }
      containers.add(c);
    }
    // Every broker at once, as `docker compose up` starts them: non-voters keep asking the Raft
    // leader to add them as listeners until one answers (ListenerMembership), so they need not
    // wait for the voters, nor for each other.
    Startables.deepStart(containers).join();
    awaitRunning(ids(), Duration.ofSeconds(120));
  }

  public String ip(int id) {
    return subnetPrefix + "." + (10 + id);
  }

  public List<Integer> ids() {
    return IntStream.rangeClosed(1, config.brokers()).boxed().toList();
  }

  public List<Integer> voterIds() {
    return IntStream.rangeClosed(1, config.voters()).boxed().toList();
  }

  public String bootstrap() {
    return ids().stream().map(id -> ip(id) + ":9092").collect(Collectors.joining(","));
  }

  public SkeinAdmin admin() {
    return SkeinAdmin.create(ClientConfig.from(Map.of("bootstrap.servers", bootstrap(), "request.timeout.ms", "3000")));
  }

  public TopicDescription createTopic(String name) {
    try (SkeinAdmin admin = admin()) {
      admin.createTopic(NewTopic.of(name, config.partitions(), config.replicationFactor())
          .withConfigs(Map.of("min.insync.replicas", Integer.toString(config.minInsyncReplicas()))));
      return await().pollInSameThread().atMost(Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> admin.describeTopics(List.of(name)).get(0),
              t -> t.partitions().stream().allMatch(p -> p.hasLeader() && p.isr().size() == config.replicationFactor()));
    }
  }

  /** Polls until every broker is registered and running and the quorum has a leader. */
  public void awaitAllRunning(Duration atMost) {
    awaitRunning(ids(), atMost);
  }

  private void awaitRunning(List<Integer> ids, Duration atMost) {
    String bootstrap = ids.stream().map(id -> ip(id) + ":9092").collect(Collectors.joining(","));
    try (SkeinAdmin admin = SkeinAdmin.create(ClientConfig.from(Map.of("bootstrap.servers", bootstrap,
        "request.timeout.ms", "3000")))) {
      await().pollInSameThread().atMost(atMost).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
        ClusterDescription d = admin.describeCluster();
        return d.quorum().leaderId() >= 0 && d.brokers().stream()
            .filter(b -> ids.contains(b.id()) && b.state() == BrokerState.BROKER_STATE_RUNNING).count() == ids.size();
      });
    }
  }

  /** The current view of a topic, asked of any broker that answers. */
  public TopicDescription describe(String topic) {
    // Asked again while no broker answers in time (a loaded host, brokers restarting): a
    // nemesis choosing its victim must not end the run.
    try (SkeinAdmin admin = admin()) {
      return await().pollInSameThread().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
          .ignoreExceptions().until(() -> admin.describeTopics(List.of(topic)).get(0), d -> true);
    }
  }

  public int raftLeader() {
    try (SkeinAdmin admin = admin()) {
      return await().pollInSameThread().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
          .ignoreExceptions().until(() -> admin.describeCluster().quorum().leaderId(), id -> true);
    }
  }

  public boolean everyPartitionHasALeader(String topic) {
    try (SkeinAdmin admin = admin()) {
      return admin.describeTopics(List.of(topic)).get(0).partitions().stream().allMatch(PartitionInfo::hasLeader);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Whether broker {@code id}'s gRPC server answers a health check, serving or not yet: its JVM
   * is up, has loaded its logs and listens. Not "serving", which waits for the quorum and the
   * controller to unfence it, part of what the liveness deadline after a heal measures. A fresh
   * channel each time, so no reconnect back-off from earlier refused connections delays the answer.
   */
  public boolean answers(int id) {
    ManagedChannel channel = Grpc.newChannelBuilderForAddress(ip(id), 9092, InsecureChannelCredentials.create())
        .build();
    try {
      HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance());
      return true;
    } catch (StatusRuntimeException e) {
      return false;
    } finally {
      channel.shutdownNow();
    }
  }

  private String containerId(int id) {
    return containers.get(id - 1).getContainerId();
  }

  /** kill -9 of the broker's JVM (the container's main process). */
  public void kill(int id) {
    stoppedBySignal.remove(id);
    if (running(id)) {
      docker.killContainerCmd(containerId(id)).withSignal("KILL").exec();
    }
  }

  /** SIGTERM and wait: the broker hands its leaderships over and stops cleanly. */
  public void stop(int id) {
    unpause(id);
    if (running(id)) {
      docker.stopContainerCmd(containerId(id)).withTimeout(45).exec();
    }
  }

  /** Starts a stopped or killed broker again with its data as it was left. */
  public void startAgain(int id) {
    if (!running(id)) {
      docker.startContainerCmd(containerId(id)).exec();
    }
  }

  public boolean running(int id) {
    Boolean running = docker.inspectContainerCmd(containerId(id)).exec().getState().getRunning();
    return Boolean.TRUE.equals(running);
  }

  /**
   * Freezes every process of broker {@code id}'s container ({@code docker pause}). The cgroup freezer
   * gives up when a process does not freeze within runc's short wait ("unable to freeze"), which a
   * busy 2-core machine makes happen now and then; a refused freeze is retried, and after the last
   * try the broker's JVM (the container's main process) is stopped with SIGSTOP instead, which
   * freezes the broker just the same and cannot be refused.
   */
  public void pause(int id) {
    for (int attempt = 1; ; attempt++) {
      try {
        docker.pauseContainerCmd(containerId(id)).exec();
        return;
      } catch (InternalServerErrorException e) {
        if (!String.valueOf(e.getMessage()).contains("freeze")) {
          throw e;
        }
        if (attempt == PAUSE_ATTEMPTS) {
          System.err.printf("docker pause of broker %d refused %d times (%s); stopping its JVM with SIGSTOP%n",
              id, attempt, e.getMessage().strip());
          docker.killContainerCmd(containerId(id)).withSignal("STOP").exec();
          stoppedBySignal.add(id);
          return;
        }
      }
    }
  }

  /** Wakes a broker frozen by {@link #pause}; a no-op when it is not frozen. */
  public void unpause(int id) {
    if (stoppedBySignal.remove(id)) {
      docker.killContainerCmd(containerId(id)).withSignal("CONT").exec();
    } else if (Boolean.TRUE.equals(docker.inspectContainerCmd(containerId(id)).exec().getState().getPaused())) {
      docker.unpauseContainerCmd(containerId(id)).exec();
    }
  }

  /** Drops packets from (and, unless {@code oneWay}, to) the given peers, inside broker {@code id}. */
  public void dropTraffic(int id, List<Integer> peers, boolean oneWay) {
    for (int peer : peers) {
      exec(id, "iptables", "-A", "INPUT", "-s", ip(peer), "-j", "DROP");
      if (!oneWay) {
        exec(id, "iptables", "-A", "OUTPUT", "-d", ip(peer), "-j", "DROP");
      }
    }
  }

  /** Removes every iptables rule inside a running broker's container. */
  public void healNetwork(int id) {
    if (running(id)) {
      exec(id, "iptables", "-F");
    }
  }

  /** Deletes one partition's directory on a running broker (its open files live on until it is killed). */
  public void wipePartition(int id, String topic, int partition) {
    exec(id, "rm", "-rf", DATA_DIR + "/logs/" + topic + "-" + partition);
  }

  public boolean fakeClock() {
    return config.fakeClock();
  }

  /**
   * Steps a running broker's wall clock to {@code offset} from real time ({@link Duration#ZERO}:
   * real time again); the broker's JVM sees it within a second.
   */
  public void setClockOffset(int id, Duration offset) {
    if (!config.fakeClock()) {
      throw new IllegalStateException("broker " + id + " does not run under libfaketime: the run needs "
          + "ChaosConfig.withFakeClock(true) (the skew nemesis in its set)");
    }
    exec(id, FakeClock.setCommand(offset).toArray(String[]::new));
  }

  /** Fails unless the broker's JVM has libfaketime loaded, so a skew cannot silently do nothing. */
  private void checkFakeClock(int id) {
    try {
      execAs("skein", id, FakeClock.CHECK_LOADED.toArray(String[]::new));
    } catch (IllegalStateException e) {
      throw new IllegalStateException("broker " + id + " runs without libfaketime; its log:\n" + logs(id), e);
    }
  }

  /** Runs a command as root inside a running broker's container; fails unless it exits 0. */
  public String exec(int id, String... command) {
    return execAs("root", id, command);
  }

  private String execAs(String user, int id, String... command) {
    ExecCreateCmdResponse created = docker.execCreateCmd(containerId(id)).withUser(user).withCmd(command)
        .withAttachStdout(true).withAttachStderr(true).exec();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    try {
      docker.execStartCmd(created.getId()).exec(new ResultCallback.Adapter<Frame>() {
        @Override
        public void onNext(Frame frame) {
          output.writeBytes(frame.getPayload());
        }
      }).awaitCompletion(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
    }
    Long exit = docker.inspectExecCmd(created.getId()).exec().getExitCodeLong();
    if (exit == null || exit != 0) {
      throw new IllegalStateException("broker " + id + ": '" + String.join(" ", command) + "' exited " + exit
          + ": " + output);
    }
    return output.toString();
  }

  /**
   * Every broker running, unpaused, with open network and (under libfaketime) real time; used
   * after the schedule ends.
   */
  public void healAll() {
    for (int id : ids()) {
      unpause(id);
      startAgain(id);
      healNetwork(id);
      if (config.fakeClock()) {
        setClockOffset(id, Duration.ZERO);
      }
    }
  }

  /** The broker's log so far, for a failed run's report. */
  public String logs(int id) {
    return containers.get(id - 1).getLogs();
  }

  /**
   * The broker's log so far, each line prefixed with the real time Docker received it: under a
   * fake clock the broker's own timestamps show its skewed wall clock next to it.
   */
  public String logsWithRealTime(int id) {
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    try {
      docker.logContainerCmd(containerId(id)).withStdOut(true).withStdErr(true).withTimestamps(true)
          .exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame frame) {
              output.writeBytes(frame.getPayload());
            }
          }).awaitCompletion(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return output.toString();
  }

  @Override
  public void close() {
    for (GenericContainer<?> c : containers) {
      try {
        if (c.getContainerId() != null) {
          unpause(containers.indexOf(c) + 1);
        }
        c.stop();
      } catch (RuntimeException e) {
        // Best effort: keep stopping the others.
      }
    }
    network.close();
  }
}
