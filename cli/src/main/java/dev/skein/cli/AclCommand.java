package dev.skein.cli;

import dev.skein.client.SkeinAdmin;
import dev.skein.proto.v1.AclBinding;
import dev.skein.proto.v1.AclBindingFilter;
import dev.skein.proto.v1.AclOperation;
import dev.skein.proto.v1.AclPatternType;
import dev.skein.proto.v1.AclPermission;
import dev.skein.proto.v1.AclResourceType;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code skein acl add|remove|list}: kafka-acls for Skein. */
@Command(name = "acl", mixinStandardHelpOptions = true,
    description = "Manage ACLs (checked by brokers started with --authorizer=acl).",
    subcommands = {AclCommand.Add.class, AclCommand.Remove.class, AclCommand.List.class})
final class AclCommand implements Runnable {

  static final String CLUSTER_NAME = "skein-cluster";

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options naming resources, shared by the three commands. */
  static final class Resources {
    @Option(names = "--topic", paramLabel = "NAME", description = "A topic (or with prefixed, a topic name prefix; "
        + "* is every topic). Repeatable.")
    java.util.List<String> topics = new ArrayList<>();
    @Option(names = "--group", paramLabel = "ID", description = "A consumer group (* is every group). Repeatable.")
    java.util.List<String> groups = new ArrayList<>();
    @Option(names = "--cluster", description = "The cluster itself (create topics, ACLs, configs defaults, ...).")
    boolean cluster;
    @Option(names = "--mirror-link", paramLabel = "NAME", description = "A mirror link. Repeatable.")
    java.util.List<String> links = new ArrayList<>();

    record Resource(AclResourceType type, String name) {}

    java.util.List<Resource> all() {
      java.util.List<Resource> out = new ArrayList<>();
      topics.forEach(t -> out.add(new Resource(AclResourceType.ACL_RESOURCE_TYPE_TOPIC, t)));
      groups.forEach(g -> out.add(new Resource(AclResourceType.ACL_RESOURCE_TYPE_GROUP, g)));
      if (cluster) {
        out.add(new Resource(AclResourceType.ACL_RESOURCE_TYPE_CLUSTER, CLUSTER_NAME));
      }
      links.forEach(l -> out.add(new Resource(AclResourceType.ACL_RESOURCE_TYPE_MIRROR_LINK, l)));
      return out;
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Allow or deny principals operations on resources: one binding per principal, operation and "
          + "resource given.")
  static final class Add implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Mixin
    Resources resources;
    @Option(names = "--allow-principal", paramLabel = "User:NAME", description = "Principal to allow (User:* is "
        + "everyone). Repeatable.")
    java.util.List<String> allow = new ArrayList<>();
    @Option(names = "--deny-principal", paramLabel = "User:NAME", description = "Principal to deny. Repeatable.")
    java.util.List<String> deny = new ArrayList<>();
    @Option(names = "--operation", paramLabel = "OP", required = true, description = "read, write, create, delete, "
        + "alter, describe, alter-configs, describe-configs, idempotent-write, cluster-action or all. Repeatable.")
    java.util.List<String> operations = new ArrayList<>();
    @Option(names = "--host", paramLabel = "IP", defaultValue = "*",
        description = "The caller address the bindings apply to. Default: ${DEFAULT-VALUE} (any).")
    String host;
    @Option(names = "--resource-pattern-type", paramLabel = "literal|prefixed", defaultValue = "literal",
        description = "Whether resource names are exact names or name prefixes. Default: ${DEFAULT-VALUE}.")
    String patternType;

    @Override
    public Integer call() {
      if (allow.isEmpty() && deny.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "give --allow-principal or --deny-principal");
      }
      if (resources.all().isEmpty()) {
        throw new ParameterException(spec.commandLine(), "give a resource: --topic, --group, --cluster or --mirror-link");
      }
      AclPatternType pattern = pattern(spec, patternType, false);
      java.util.List<AclBinding> bindings = new ArrayList<>();
      for (Resources.Resource resource : resources.all()) {
        for (String op : operations) {
          AclOperation operation = operation(spec, op);
          allow.forEach(p -> bindings.add(binding(p, host, resource, pattern, operation, AclPermission.ACL_PERMISSION_ALLOW)));
          deny.forEach(p -> bindings.add(binding(p, host, resource, pattern, operation, AclPermission.ACL_PERMISSION_DENY)));
        }
      }
      try (SkeinAdmin admin = TopicCommand.admin(client)) {
        admin.createAcls(bindings);
      }
      PrintWriter out = spec.commandLine().getOut();
      out.printf("Added %d ACL binding%s:%n", bindings.size(), bindings.size() == 1 ? "" : "s");
      print(out, bindings);
      return 0;
    }

    private static AclBinding binding(String principal, String host, Resources.Resource resource,
        AclPatternType pattern, AclOperation operation, AclPermission permission) {
      return AclBinding.newBuilder().setPrincipal(principal).setHost(host).setResourceType(resource.type())
          .setResourceName(resource.name()).setPatternType(pattern).setOperation(operation).setPermission(permission)
          .build();
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true,
      description = "Remove the bindings on the given resources, narrowed by principal, operation and host.")
  static final class Remove implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Mixin
    Resources resources;
    @Option(names = {"--principal", "--allow-principal", "--deny-principal"}, paramLabel = "User:NAME",
        description = "Only this principal's bindings. Repeatable.")
    java.util.List<String> principals = new ArrayList<>();
    @Option(names = "--operation", paramLabel = "OP", description = "Only bindings of this operation. Repeatable.")
    java.util.List<String> operations = new ArrayList<>();
    @Option(names = "--host", paramLabel = "IP", description = "Only bindings for this host.")
    String host;
    @Option(names = "--resource-pattern-type", paramLabel = "any|literal|prefixed", defaultValue = "any",
        description = "Only bindings of this pattern type. Default: ${DEFAULT-VALUE}.")
    String patternType;

    @Override
    public Integer call() {
      if (resources.all().isEmpty()) {
        throw new ParameterException(spec.commandLine(), "give a resource: --topic, --group, --cluster or --mirror-link");
      }
      AclPatternType pattern = pattern(spec, patternType, true);
      java.util.List<AclBindingFilter> filters = new ArrayList<>();
      java.util.List<String> anyPrincipal = principals.isEmpty() ? java.util.Collections.singletonList(null) : principals;
      java.util.List<String> anyOperation = operations.isEmpty() ? java.util.Collections.singletonList(null) : operations;
      for (Resources.Resource resource : resources.all()) {
        for (String principal : anyPrincipal) {
          for (String op : anyOperation) {
            AclBindingFilter.Builder filter = AclBindingFilter.newBuilder().setResourceType(resource.type())
                .setResourceName(resource.name()).setPatternType(pattern);
            if (principal != null) {
              filter.setPrincipal(principal);
            }
            if (op != null) {
              filter.setOperation(operation(spec, op));
            }
            if (host != null) {
              filter.setHost(host);
            }
            filters.add(filter.build());
          }
        }
      }
      java.util.List<AclBinding> removed = new ArrayList<>();
      try (SkeinAdmin admin = TopicCommand.admin(client)) {
        admin.deleteAcls(filters).forEach(removed::addAll);
      }
      PrintWriter out = spec.commandLine().getOut();
      java.util.List<AclBinding> distinct = removed.stream().distinct().toList();
      out.printf("Removed %d ACL binding%s%s%n", distinct.size(), distinct.size() == 1 ? "" : "s",
          distinct.isEmpty() ? "" : ":");
      if (!distinct.isEmpty()) {
        print(out, distinct);
      }
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List bindings: all, or those on the given resource (with --resource-pattern-type match, every "
          + "binding that applies to it: literal, * and prefixes).")
  static final class List implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Mixin
    Resources resources;
    @Option(names = "--principal", paramLabel = "User:NAME", description = "Only this principal's bindings.")
    String principal;
    @Option(names = "--resource-pattern-type", paramLabel = "any|literal|prefixed|match", defaultValue = "any",
        description = "Default: ${DEFAULT-VALUE}.")
    String patternType;

    @Override
    public Integer call() {
      java.util.List<Resources.Resource> named = resources.all();
      if (named.size() > 1) {
        throw new ParameterException(spec.commandLine(), "list takes at most one resource");
      }
      AclBindingFilter.Builder filter = AclBindingFilter.newBuilder();
      if (patternType.equalsIgnoreCase("match")) {
        if (named.isEmpty()) {
          throw new ParameterException(spec.commandLine(), "--resource-pattern-type match needs a resource");
        }
        filter.setMatchResource(true);
      } else {
        filter.setPatternType(pattern(spec, patternType, true));
      }
      if (!named.isEmpty()) {
        filter.setResourceType(named.get(0).type()).setResourceName(named.get(0).name());
      }
      if (principal != null) {
        filter.setPrincipal(principal);
      }
      try (SkeinAdmin admin = TopicCommand.admin(client)) {
        print(spec.commandLine().getOut(), admin.describeAcls(filter.build()));
      }
      return 0;
    }
  }

  static void print(PrintWriter out, java.util.List<AclBinding> bindings) {
    GroupCommand.Table table = new GroupCommand.Table("PRINCIPAL", "HOST", "RESOURCE-TYPE", "RESOURCE-NAME", "PATTERN",
        "OPERATION", "PERMISSION");
    for (AclBinding b : bindings) {
      table.row(b.getPrincipal(), b.getHost(), word(b.getResourceType().name(), "ACL_RESOURCE_TYPE_"),
          b.getResourceName(), word(b.getPatternType().name(), "ACL_PATTERN_TYPE_"),
          word(b.getOperation().name(), "ACL_OPERATION_"), word(b.getPermission().name(), "ACL_PERMISSION_"));
    }
    table.print(out);
  }

  private static String word(String enumName, String prefix) {
    return enumName.startsWith(prefix) ? enumName.substring(prefix.length()).toLowerCase(Locale.ROOT).replace('_', '-')
        : enumName;
  }

  static AclOperation operation(CommandSpec spec, String text) {
    String name = "ACL_OPERATION_" + text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    try {
      AclOperation op = AclOperation.valueOf(name);
      if (op != AclOperation.ACL_OPERATION_UNSPECIFIED && op != AclOperation.UNRECOGNIZED) {
        return op;
      }
    } catch (IllegalArgumentException e) {
      // reported below
    }
    throw new ParameterException(spec.commandLine(), "unknown operation '" + text + "'; one of read, write, create, "
        + "delete, alter, describe, alter-configs, describe-configs, idempotent-write, cluster-action, all");
  }

  static AclPatternType pattern(CommandSpec spec, String text, boolean anyAllowed) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "literal" -> AclPatternType.ACL_PATTERN_TYPE_LITERAL;
      case "prefixed" -> AclPatternType.ACL_PATTERN_TYPE_PREFIXED;
      case "any" -> {
        if (!anyAllowed) {
          throw new ParameterException(spec.commandLine(), "--resource-pattern-type must be literal or prefixed");
        }
        yield AclPatternType.ACL_PATTERN_TYPE_UNSPECIFIED;
      }
      default -> throw new ParameterException(spec.commandLine(), "--resource-pattern-type must be "
          + (anyAllowed ? "any, literal or prefixed" : "literal or prefixed") + ", got '" + text + "'");
    };
  }
}
