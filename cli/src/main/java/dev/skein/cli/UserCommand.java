package dev.skein.cli;

import dev.skein.client.SkeinAdmin;
import dev.skein.proto.v1.ScramCredentialInfo;
import dev.skein.rpc.Scram;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code skein user create|delete|list}: users' SCRAM-SHA-512 credentials (kafka-configs --alter --add-config SCRAM-...). */
@Command(name = "user", mixinStandardHelpOptions = true,
    description = "Manage users' SCRAM-SHA-512 credentials (for brokers started with --authentication=scram).",
    subcommands = {UserCommand.Create.class, UserCommand.Delete.class, UserCommand.List.class})
final class UserCommand implements Runnable {

  @ParentCommand
  SkeinCli root;
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = {"Create a user, or replace its password. The password is salted and hashed here; only the "
          + "salted password goes to the broker, which keeps keys derived from it.",
          "The password comes from --password-file, or else from the first line of standard input."})
  static final class Create implements Callable<Integer> {
    @ParentCommand
    UserCommand parent;
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--name", required = true, paramLabel = "NAME", description = "The user (its principal is "
        + "User:NAME).")
    String name;
    @Option(names = "--password-file", paramLabel = "FILE", description = "A file whose first line is the password.")
    Path passwordFile;
    @Option(names = "--iterations", defaultValue = "4096", paramLabel = "N",
        description = "PBKDF2 rounds, 4096 to 16384. Default: ${DEFAULT-VALUE}.")
    int iterations;

    @Override
    public Integer call() throws IOException {
      char[] password = password();
      if (password.length == 0) {
        throw new ParameterException(spec.commandLine(), "the password is empty");
      }
      try (SkeinAdmin admin = TopicCommand.admin(client)) {
        admin.upsertScramCredential(name, password, iterations);
      } finally {
        java.util.Arrays.fill(password, '\0');
      }
      spec.commandLine().getOut().printf("Stored the %s credential of user %s (%d iterations)%n", Scram.MECHANISM,
          name, iterations);
      return 0;
    }

    private char[] password() throws IOException {
      String line;
      if (passwordFile != null) {
        try (BufferedReader in = Files.newBufferedReader(passwordFile, StandardCharsets.UTF_8)) {
          line = in.readLine();
        }
      } else {
        line = new BufferedReader(new InputStreamReader(parent.root.stdin, StandardCharsets.UTF_8)).readLine();
      }
      return line == null ? new char[0] : line.toCharArray();
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Delete a user's credential: it can no longer authenticate, and its tokens stop working.")
  static final class Delete implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--name", required = true, paramLabel = "NAME", description = "The user.")
    String name;

    @Override
    public Integer call() {
      try (SkeinAdmin admin = TopicCommand.admin(client)) {
        admin.deleteScramCredential(name);
      }
      spec.commandLine().getOut().printf("Deleted the %s credential of user %s%n", Scram.MECHANISM, name);
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List users with a credential: name, mechanism and iterations (never salts or keys).")
  static final class List implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--name", paramLabel = "NAME", description = "Only this user. Repeatable.")
    java.util.List<String> names = new java.util.ArrayList<>();

    @Override
    public Integer call() {
      java.util.List<ScramCredentialInfo> users;
      try (SkeinAdmin admin = TopicCommand.admin(client)) {
        users = admin.describeScramCredentials(names);
      }
      PrintWriter out = spec.commandLine().getOut();
      out.printf("%-32s %-14s %s%n", "NAME", "MECHANISM", "ITERATIONS");
      users.forEach(u -> out.printf("%-32s %-14s %d%n", u.getName(), u.getMechanism(), u.getIterations()));
      return 0;
    }
  }
}
