package dev.skein.cli;

import dev.skein.client.ClientConfig;
import dev.skein.client.ConfigEntry;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.TopicDescription;
import dev.skein.client.TopicListing;
import dev.skein.client.TopicPartition;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code skein topic create|list|describe|alter|alter-config|describe-configs|delete|delete-records}. */
@Command(name = "topic", mixinStandardHelpOptions = true,
    description = "Create, list, describe, alter and delete topics; change their configs; delete records.",
    subcommands = {TopicCommand.Create.class, TopicCommand.ListTopics.class, TopicCommand.Describe.class,
        TopicCommand.Alter.class, TopicCommand.AlterConfig.class, TopicCommand.DescribeConfigs.class,
        TopicCommand.Delete.class, TopicCommand.DeleteRecords.class})
final class TopicCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static SkeinAdmin admin(ClientOptions client) {
    return SkeinAdmin.create(ClientConfig.from(client.settings()));
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a topic.")
  static final class Create implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--topic", required = true, paramLabel = "NAME", description = "Topic name: 1-249 of [a-zA-Z0-9._-].")
    String topic;
    @Option(names = "--partitions", paramLabel = "N", description = "Partition count (default: the broker's num.partitions).")
    Integer partitions;
    @Option(names = "--replication-factor", paramLabel = "N",
        description = "Replicas per partition (default: the broker's default.replication.factor).")
    Integer replicationFactor;
    @Option(names = "--config", paramLabel = "KEY=VALUE", description = "A topic config, e.g. retention.ms=86400000. Repeatable.")
    Map<String, String> configs = new TreeMap<>();
    @Option(names = "--if-not-exists", description = "Succeed quietly if the topic exists already.")
    boolean ifNotExists;
    @Option(names = "--validate-only", description = "Check the request and show the result without creating anything.")
    boolean validateOnly;

    @Override
    public Integer call() {
      NewTopic request = new NewTopic(topic,
          partitions == null ? OptionalInt.empty() : OptionalInt.of(partitions),
          replicationFactor == null ? OptionalInt.empty() : OptionalInt.of(replicationFactor), configs);
      PrintWriter out = spec.commandLine().getOut();
      try (SkeinAdmin admin = admin(client)) {
        if (validateOnly) {
          TopicDescription t = admin.validateTopic(request);
          out.printf("Topic %s would be created with %d partitions.%n", t.name(), t.partitionCount());
          return 0;
        }
        try {
          TopicDescription t = admin.createTopic(request);
          out.printf("Created topic %s (%d partitions, replication factor %d).%n", t.name(), t.partitionCount(),
              t.replicationFactor());
        } catch (dev.skein.client.SkeinException e) {
          boolean exists = e.reason().filter(r -> r == dev.skein.rpc.ErrorReason.TOPIC_ALREADY_EXISTS).isPresent();
          if (!(ifNotExists && exists)) {
            throw e;
          }
        }
      }
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List topic names, one per line.")
  static final class ListTopics implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--include-internal", description = "Also list internal topics.")
    boolean includeInternal;

    @Override
    public Integer call() {
      try (SkeinAdmin admin = admin(client)) {
        admin.listTopics(includeInternal).stream().map(TopicListing::name).sorted()
            .forEach(spec.commandLine().getOut()::println);
      }
      return 0;
    }
  }

  @Command(name = "describe", mixinStandardHelpOptions = true,
      description = "Describe topics: one line per topic, then one line per partition with Leader, Replicas and Isr.")
  static final class Describe implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--topic", paramLabel = "NAME", description = "Topic to describe (default: every topic). Repeatable.")
    List<String> topics = List.of();
    @Option(names = {"--under-replicated-partitions", "--under-replicated"},
        description = "Show only partitions whose ISR is smaller than their replica list.")
    boolean underReplicated;
    @Option(names = {"--under-min-isr-partitions", "--under-min-isr"},
        description = "Show only partitions whose ISR is smaller than the topic's min.insync.replicas.")
    boolean underMinIsr;
    @Option(names = {"--unavailable-partitions", "--unavailable"},
        description = "Show only partitions that have no leader.")
    boolean unavailable;

    @Override
    public Integer call() {
      try (SkeinAdmin admin = admin(client)) {
        PrintWriter out = spec.commandLine().getOut();
        boolean filtered = underReplicated || underMinIsr || unavailable;
        for (TopicDescription t : admin.describeTopics(topics)) {
          if (filtered) {
            t.partitions().stream().filter(p -> matches(t, p)).forEach(p -> printPartition(out, t, p));
          } else {
            print(out, t);
          }
        }
      }
      return 0;
    }

    private boolean matches(TopicDescription t, PartitionInfo p) {
      int minIsr = Integer.parseInt(t.configs().getOrDefault("min.insync.replicas", "1"));
      return (underReplicated && p.isr().size() < p.replicas().size())
          || (underMinIsr && p.isr().size() < minIsr)
          || (unavailable && !p.hasLeader());
    }

    static void print(PrintWriter out, TopicDescription t) {
      String configs = new TreeMap<>(t.configs()).entrySet().stream()
          .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
      out.printf("Topic: %s\tTopicId: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s%n",
          t.name(), t.topicId(), t.partitionCount(), t.replicationFactor(), configs);
      for (PartitionInfo p : t.partitions()) {
        printPartition(out, t, p);
      }
    }

    static void printPartition(PrintWriter out, TopicDescription t, PartitionInfo p) {
      out.printf("\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s%s%n", t.name(), p.partition(),
          p.hasLeader() ? Integer.toString(p.leader()) : "none", ids(p.replicas()), ids(p.isr()),
          p.offlineReplicas().isEmpty() ? "" : "\tOffline: " + ids(p.offlineReplicas()));
    }

    static String ids(List<Integer> ids) {
      return ids.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a topic and all its records.")
  static final class Delete implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--topic", required = true, paramLabel = "NAME", description = "Topic to delete.")
    String topic;

    @Override
    public Integer call() {
      try (SkeinAdmin admin = admin(client)) {
        admin.deleteTopic(topic);
        spec.commandLine().getOut().printf("Deleted topic %s.%n", topic);
      }
      return 0;
    }
  }

  @Command(name = "delete-records", mixinStandardHelpOptions = true,
      description = "Delete a partition's records below an offset (Kafka's kafka-delete-records): the log start "
          + "offset moves there on every in-sync replica; offsets do not change.")
  static final class DeleteRecords implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--topic", required = true, paramLabel = "NAME", description = "Topic.")
    String topic;
    @Option(names = "--partition", required = true, paramLabel = "P", description = "Partition.")
    int partition;
    @Option(names = "--before-offset", required = true, paramLabel = "N",
        description = "Delete the records below this offset; -1 deletes everything committed (up to the high "
            + "watermark).")
    long beforeOffset;

    @Override
    public Integer call() {
      try (SkeinAdmin admin = admin(client)) {
        TopicPartition tp = new TopicPartition(topic, partition);
        long start = admin.deleteRecords(Map.of(tp, beforeOffset)).get(tp);
        spec.commandLine().getOut().printf("Partition: %s  Low watermark: %d%n", tp, start);
      }
      return 0;
    }
  }

  @Command(name = "alter", mixinStandardHelpOptions = true,
      description = "Raise a topic's partition count (a decrease is refused: keys would move to other partitions).")
  static final class Alter implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--topic", required = true, paramLabel = "NAME", description = "Topic.")
    String topic;
    @Option(names = "--partitions", required = true, paramLabel = "N", description = "The new partition count.")
    int partitions;

    @Override
    public Integer call() {
      try (SkeinAdmin admin = admin(client)) {
        TopicDescription t = admin.createPartitions(topic, partitions);
        spec.commandLine().getOut().printf("Topic %s now has %d partitions.%n", t.name(), t.partitionCount());
      }
      return 0;
    }
  }

  /** Which configs {@code alter-config} and {@code describe-configs} act on. */
  static final class ConfigTarget {
    @Option(names = "--topic", paramLabel = "NAME", description = "A topic.")
    String topic;
    @Option(names = "--entity", paramLabel = "broker-defaults",
        description = "broker-defaults: the cluster-wide defaults of every topic without its own value.")
    String entity;

    boolean brokerDefaults() {
      if (entity == null) {
        return false;
      }
      if (!entity.equals("broker-defaults")) {
        throw new IllegalArgumentException("--entity must be broker-defaults, not '" + entity + "'");
      }
      return true;
    }
  }

  @Command(name = "alter-config", mixinStandardHelpOptions = true,
      description = "Set or remove configs of a running topic, or the cluster-wide topic defaults (as kafka-configs "
          + "--alter). Every replica applies the change without a restart.")
  static final class AlterConfig implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @picocli.CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    ConfigTarget target;
    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A config to set. Repeatable.")
    Map<String, String> set = new TreeMap<>();
    @Option(names = "--delete", paramLabel = "KEY", description = "A config to remove. Repeatable.")
    List<String> delete = new java.util.ArrayList<>();

    @Override
    public Integer call() {
      if (set.isEmpty() && delete.isEmpty()) {
        throw new IllegalArgumentException("nothing to change: give --set KEY=VALUE or --delete KEY");
      }
      try (SkeinAdmin admin = admin(client)) {
        if (target.brokerDefaults()) {
          admin.alterBrokerDefaults(set, delete);
          spec.commandLine().getOut().println("Altered the broker defaults.");
        } else {
          admin.alterTopicConfigs(target.topic, set, delete);
          spec.commandLine().getOut().printf("Altered the configs of topic %s.%n", target.topic);
        }
      }
      return 0;
    }
  }

  @Command(name = "describe-configs", mixinStandardHelpOptions = true,
      description = "Every config of a topic with its value and source (TOPIC, BROKER_DEFAULTS, STATIC_BROKER, "
          + "DEFAULT), or the cluster-wide defaults that are set.")
  static final class DescribeConfigs implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @picocli.CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    ConfigTarget target;

    @Override
    public Integer call() {
      try (SkeinAdmin admin = admin(client)) {
        List<ConfigEntry> entries = target.brokerDefaults() ? admin.describeBrokerDefaults()
            : admin.describeTopicConfigs(target.topic);
        for (ConfigEntry e : entries) {
          spec.commandLine().getOut().printf("%s=%s\tsource=%s%n", e.name(), e.value(), e.source());
        }
      }
      return 0;
    }
  }
}
