package dev.skein.cli;

import dev.skein.client.BrokerNode;
import dev.skein.client.ClientConfig;
import dev.skein.client.ClusterDescription;
import dev.skein.client.SkeinAdmin;
import java.io.PrintWriter;
import java.util.Comparator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code skein cluster describe}. */
@Command(name = "cluster", mixinStandardHelpOptions = true, description = "Inspect the cluster.",
    subcommands = {ClusterCommand.Describe.class})
final class ClusterCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "describe", mixinStandardHelpOptions = true,
      description = "Brokers and their state, and the metadata quorum: Raft leader, term, commit index, each member's progress.")
  static final class Describe implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      try (SkeinAdmin admin = SkeinAdmin.create(ClientConfig.from(client.settings()))) {
        print(spec.commandLine().getOut(), admin.describeCluster());
      }
      return 0;
    }

    static void print(PrintWriter out, ClusterDescription c) {
      out.printf("ClusterId: %s\tController: %s%n", c.clusterId(), c.controllerId() < 0 ? "none" : c.controllerId());
      out.println("Brokers:");
      for (BrokerNode b : c.brokers().stream().sorted(Comparator.comparingInt(BrokerNode::id)).toList()) {
        out.printf("\tId: %d\tAddress: %s\tRack: %s\tState: %s\tVoter: %s%n", b.id(), b.address(),
            b.rack().isEmpty() ? "-" : b.rack(), state(b), b.voter());
      }
      ClusterDescription.Quorum q = c.quorum();
      out.printf("Quorum:\tLeader: %s\tTerm: %d\tCommitIndex: %d%n", q.leaderId() < 0 ? "none" : q.leaderId(),
          q.term(), q.commitIndex());
      for (ClusterDescription.Member m : q.members().stream()
          .sorted(Comparator.comparingInt(ClusterDescription.Member::id)).toList()) {
        out.printf("\tId: %d\tAddress: %s\tRole: %s\tCommitIndex: %s\tLastContactMs: %s%n", m.id(), m.address(),
            m.role().name().replace("QUORUM_ROLE_", "").toLowerCase(),
            m.commitIndex() < 0 ? "unknown" : m.commitIndex(),
            m.lastContactMs() < 0 ? "unknown" : m.lastContactMs());
      }
      out.printf("(answered by broker %d at metadata offset %d)%n", c.answeredBy(), c.metadataOffset());
    }

    private static String state(BrokerNode b) {
      return switch (b.state()) {
        case BROKER_STATE_RUNNING -> "running";
        case BROKER_STATE_FENCED -> "fenced";
        case BROKER_STATE_SHUTTING_DOWN -> "shutting-down";
        default -> "unknown";
      };
    }
  }
}
