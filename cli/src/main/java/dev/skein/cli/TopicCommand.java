package dev.skein.cli;

import dev.skein.client.ClientConfig;
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

/** {@code skein topic create|list|describe|delete|delete-records}. */
@Command(name = "topic", mixinStandardHelpOptions = true, description = "Create, list, describe and delete topics.",
    subcommands = {TopicCommand.Create.class, TopicCommand.ListTopics.class, TopicCommand.Describe.class,
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
}
