package dev.skein.cli;

import dev.skein.client.BrokerLogDirs;
import dev.skein.client.SkeinAdmin;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code skein log-dirs describe}: kafka-log-dirs for Skein. */
@Command(name = "log-dirs", mixinStandardHelpOptions = true,
    description = "Inspect the partition logs on the brokers' disks.",
    subcommands = {LogDirsCommand.Describe.class})
final class LogDirsCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "describe", mixinStandardHelpOptions = true,
      description = {"Every partition replica on each broker's disk: BROKER DIR TOPIC PARTITION SIZE SEGMENTS "
          + "LOG-START LOG-END LEADER. Each broker reports its own logs; a broker that does not answer is named "
          + "on stderr and the command exits 1 after printing what the others reported.",
          "Without --broker every broker that is not fenced is asked."})
  static final class Describe implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--topic", paramLabel = "NAME", description = "Only this topic's replicas. Repeatable.")
    List<String> topics = List.of();
    @Option(names = "--broker", paramLabel = "ID", description = "Only this broker. Repeatable.")
    List<Integer> brokers = List.of();
    @Option(names = "--bytes", description = "Print sizes in bytes instead of KiB, MiB, GiB.")
    boolean bytes;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      int silent = 0;
      try (SkeinAdmin admin = TopicCommand.admin(client)) {
        GroupCommand.Table table = new GroupCommand.Table("BROKER", "DIR", "TOPIC", "PARTITION", "SIZE", "SEGMENTS",
            "LOG-START", "LOG-END", "LEADER");
        for (BrokerLogDirs broker : admin.describeLogDirs(topics, brokers)) {
          if (!broker.answered()) {
            silent++;
            err.printf("Broker %d (%s) did not answer: %s%n", broker.brokerId(), broker.address(),
                SkeinCli.oneLine(broker.error().orElseThrow()));
            continue;
          }
          for (BrokerLogDirs.LogDir dir : broker.logDirs()) {
            for (BrokerLogDirs.ReplicaLog r : dir.replicas()) {
              table.row(Integer.toString(broker.brokerId()), dir.path(), r.partition().topic(),
                  Integer.toString(r.partition().partition()),
                  bytes ? Long.toString(r.sizeBytes()) : human(r.sizeBytes()), Integer.toString(r.segmentCount()),
                  Long.toString(r.logStartOffset()), Long.toString(r.logEndOffset()), r.leader() ? "yes" : "no");
            }
          }
        }
        table.print(out);
      }
      return silent == 0 ? 0 : 1;
    }
  }

  /**
   * Bytes as a person reads them, in binary units with one decimal (1536 is 1.5KiB); without a
   * space, so each size stays one word for {@code awk} and {@code sort -h}.
   */
  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + "B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f%s", value, units[unit]);
  }
}
