package dev.skein.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code skein perf produce|consume}: Kafka's perf tools, same options and output lines. */
@Command(name = "perf", mixinStandardHelpOptions = true,
    description = {"Measure produce and consume throughput and latency.",
        "Options and output lines follow kafka-producer-perf-test and kafka-consumer-perf-test, so one script can "
            + "read both."},
    subcommands = {PerfProduceCommand.class, PerfConsumeCommand.class})
final class PerfCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
