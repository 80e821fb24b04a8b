package dev.skein.cli;

import dev.skein.client.SkeinException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code skein} command. */
@Command(
    name = "skein",
    mixinStandardHelpOptions = true,
    versionProvider = SkeinCli.Version.class,
    description = "Skein: a distributed commit log with an embedded Raft metadata quorum and a gRPC API.",
    subcommands = {
        BrokerCommand.class,
        DevCommand.class,
        TopicCommand.class,
        GroupCommand.class,
        MirrorCommand.class,
        ProduceCommand.class,
        ConsumeCommand.class,
        ClusterCommand.class,
        LogDirsCommand.class,
        AclCommand.class,
        UserCommand.class,
        HealthCommand.class,
        PerfCommand.class,
        CommandLine.HelpCommand.class
    },
    footer = {"", "Every option can also come from an environment variable: --node-id from SKEIN_NODE_ID, "
        + "--bootstrap from SKEIN_BOOTSTRAP, and so on."})
public final class SkeinCli implements Runnable {

  @Spec
  CommandSpec spec;

  /** Standard input for commands that read it; replaced in tests. */
  final InputStream stdin;

  SkeinCli(InputStream stdin) {
    this.stdin = stdin;
  }

  public static void main(String[] args) {
    // java.util.logging (Ratis's shaded gRPC uses it) goes through slf4j to logback, in the same format.
    org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
    org.slf4j.bridge.SLF4JBridgeHandler.install();
    // Commands that run servers (broker, dev) return only once those have stopped.
    System.exit(run(System.in, new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs one command line and returns its exit code: 0 success, 1 failure, 2 bad usage. */
  public static int run(InputStream in, PrintWriter out, PrintWriter err, String... args) {
    return run(in, out, err, System.getenv(), args);
  }

  /** As {@link #run(InputStream, PrintWriter, PrintWriter, String...)}, with option defaults from {@code environment}. */
  static int run(InputStream in, PrintWriter out, PrintWriter err, Map<String, String> environment, String... args) {
    CommandLine cli = new CommandLine(new SkeinCli(in));
    cli.setOut(out);
    cli.setErr(err);
    cli.setDefaultValueProvider(new EnvironmentDefaults(environment));
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println("error: " + oneLine(e));
      commandLine.getErr().flush();
      return 1;
    });
    int code = cli.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  /** The failure in one line a person can act on. */
  static String oneLine(Throwable e) {
    Throwable t = e;
    while ((t instanceof java.util.concurrent.CompletionException
        || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof SkeinException s) {
      return s.getMessage();
    }
    String message = t.getMessage();
    return (message == null || message.isBlank() ? t.getClass().getSimpleName() : message).replace('\n', ' ');
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = SkeinCli.class.getPackage().getImplementationVersion();
      return new String[] {"skein " + (version == null ? "0.1.0-SNAPSHOT" : version)};
    }
  }
}
