package dev.skein.cli;

import dev.skein.client.ClientConfig;
import dev.skein.client.ClusterDescription;
import dev.skein.client.PartitionInfo;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.TopicDescription;
import io.grpc.ManagedChannel;
import dev.skein.client.internal.BrokerChannels;
import dev.skein.client.internal.TlsFailures;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code skein health}: is one broker serving? Meant for container health checks and scripts,
 * so it prints one line and answers with its exit code: 0 healthy, 1 not (and why).
 */
@Command(name = "health", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Ask one broker's gRPC health service whether it is serving; exit 0 only if it is, "
        + "otherwise exit 1 with a one-line reason.",
        "With --cluster, also require that the metadata quorum has a leader and that no partition is offline."})
final class HealthCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  // One broker, not a bootstrap list: a container's health check asks about its own broker.
  @Option(names = {"--bootstrap", "-b"}, paramLabel = "HOST:PORT", defaultValue = "localhost:9092",
      description = "The broker to ask (default: ${DEFAULT-VALUE}).")
  String broker;

  @Option(names = "--cluster", description = "Also check the cluster as this broker sees it: a quorum leader, "
      + "and a leader for every partition.")
  boolean cluster;

  @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = "5000",
      description = "Deadline of each call (default: ${DEFAULT-VALUE}).")
  long timeoutMs;

  @picocli.CommandLine.Mixin
  TlsOptions tls = new TlsOptions();

  @Override
  public Integer call() {
    if (broker.contains(",")) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--bootstrap names one broker for health, got '" + broker + "'");
    }
    String problem = brokerProblem();
    if (problem == null && cluster) {
      problem = clusterProblem();
    }
    if (problem != null) {
      spec.commandLine().getErr().println("unhealthy: " + problem);
      return 1;
    }
    spec.commandLine().getOut().println("healthy: broker " + broker + " is serving"
        + (cluster ? "; the quorum has a leader and every partition has a leader" : ""));
    return 0;
  }

  /** Null when the broker's health service says SERVING, otherwise the reason. */
  private String brokerProblem() {
    ClientConfig config = clientConfig();
    BrokerChannels channels = new BrokerChannels(config.tls(), config.sasl());
    ManagedChannel channel = channels.channel(config.bootstrap().get(0));
    try {
      ServingStatus status = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus();
      return status == ServingStatus.SERVING ? null : "broker " + broker + " is " + status;
    } catch (StatusRuntimeException e) {
      String detail = TlsFailures.explain(e, config.tls().enabled()).orElse(e.getStatus().getDescription());
      return "cannot reach broker " + broker + ": " + e.getStatus().getCode()
          + (detail == null ? "" : " (" + detail.replace('\n', ' ') + ")");
    } finally {
      channels.close();
    }
  }

  private ClientConfig clientConfig() {
    Map<String, String> settings = new java.util.HashMap<>(tls.settings());
    settings.put("bootstrap.servers", broker);
    settings.put("request.timeout.ms", Long.toString(timeoutMs));
    return ClientConfig.from(settings);
  }

  /** Null when the quorum has a leader and every partition has one, as this broker sees it. */
  private String clusterProblem() {
    ClientConfig config = clientConfig();
    try (SkeinAdmin admin = SkeinAdmin.create(config)) {
      ClusterDescription description = admin.describeCluster();
      if (description.quorum().leaderId() < 0) {
        return "the metadata quorum has no leader";
      }
      List<String> offline = new ArrayList<>();
      for (TopicDescription topic : admin.describeTopics(List.of())) {
        for (PartitionInfo p : topic.partitions()) {
          if (!p.hasLeader()) {
            offline.add(topic.name() + "-" + p.partition());
          }
        }
      }
      if (!offline.isEmpty()) {
        return offline.size() + " partition(s) offline (no leader): "
            + String.join(", ", offline.subList(0, Math.min(10, offline.size())))
            + (offline.size() > 10 ? ", …" : "");
      }
      return null;
    } catch (RuntimeException e) {
      return "cannot describe the cluster through " + broker + ": " + SkeinCli.oneLine(e);
    }
  }
}
