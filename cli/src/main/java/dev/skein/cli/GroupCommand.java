package dev.skein.cli;

import dev.skein.client.ConsumerGroupDescription;
import dev.skein.client.ConsumerGroupListing;
import dev.skein.client.OffsetReset;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinException;
import dev.skein.client.TopicPartition;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code skein group list|describe|reset-offsets|delete}: kafka-consumer-groups for Skein. */
@Command(name = "group", mixinStandardHelpOptions = true,
    description = "List, describe, reset the offsets of, and delete consumer groups.",
    subcommands = {GroupCommand.ListGroups.class, GroupCommand.Describe.class, GroupCommand.ResetOffsets.class,
        GroupCommand.Delete.class})
final class GroupCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List consumer groups, one per line (with --state: GROUP STATE MEMBERS).")
  static final class ListGroups implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--state", description = "Also show each group's state and member count.")
    boolean state;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try (SkeinAdmin admin = TopicCommand.admin(client)) {
        List<ConsumerGroupListing> groups = admin.listGroups();
        if (!state) {
          groups.forEach(g -> out.println(g.groupId()));
          return 0;
        }
        Table table = new Table("GROUP", "STATE", "MEMBERS");
        groups.forEach(g -> table.row(g.groupId(), g.state(), Integer.toString(g.members())));
        table.print(out);
      }
      return 0;
    }
  }

  @Command(name = "describe", mixinStandardHelpOptions = true,
      description = {"Describe a group: per partition, the committed offset, the log end offset and the lag, and "
          + "which member owns it. Lag comes from the leaders' log end offsets; no record is read.",
          "--members lists members instead, --state the group's state."})
  static final class Describe implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--group", required = true, paramLabel = "GROUP", description = "The group. Repeatable.")
    List<String> groups;
    @Option(names = "--members", description = "One line per member: GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS.")
    boolean members;
    @Option(names = "--verbose", description = "With --members, also each member's ASSIGNMENT.")
    boolean verbose;
    @Option(names = "--state", description = "One line per group: GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS.")
    boolean state;

    @Override
    public Integer call() {
      if (members && state) {
        throw new ParameterException(spec.commandLine(), "--members and --state cannot be used together");
      }
      PrintWriter out = spec.commandLine().getOut();
      try (SkeinAdmin admin = TopicCommand.admin(client)) {
        Table table = members
            ? (verbose ? new Table("GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS", "ASSIGNMENT")
                : new Table("GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"))
            : state ? new Table("GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS")
            : new Table("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID",
                "HOST", "CLIENT-ID");
        for (String group : groups) {
          ConsumerGroupDescription d = admin.describeGroup(group);
          if (members) {
            for (ConsumerGroupDescription.Member m : d.members()) {
              List<String> row = new ArrayList<>(List.of(group, m.memberId(), m.host(), m.clientId(),
                  Integer.toString(m.assignment().size())));
              if (verbose) {
                row.add(assignment(m.assignment()));
              }
              table.row(row.toArray(String[]::new));
            }
          } else if (state) {
            table.row(group, "broker " + "(" + d.coordinatorId() + ")", d.assignor(), d.state(),
                Integer.toString(d.members().size()));
          } else {
            for (ConsumerGroupDescription.PartitionLag p : d.partitions()) {
              table.row(group, p.partition().topic(), Integer.toString(p.partition().partition()),
                  p.committedOffset() < 0 ? "-" : Long.toString(p.committedOffset()),
                  p.logEndOffset() < 0 ? "-" : Long.toString(p.logEndOffset()),
                  p.lag() < 0 ? "-" : Long.toString(p.lag()), dash(p.memberId()), dash(p.host()), dash(p.clientId()));
            }
          }
          if (!members && !state && d.members().isEmpty()) {
            spec.commandLine().getErr().printf("Consumer group '%s' has no active members.%n", group);
          }
        }
        table.print(out);
      }
      return 0;
    }

    private static String assignment(List<TopicPartition> partitions) {
      Map<String, List<String>> byTopic = new LinkedHashMap<>();
      partitions.stream().sorted().forEach(tp -> byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>())
          .add(Integer.toString(tp.partition())));
      List<String> parts = new ArrayList<>();
      byTopic.forEach((t, ps) -> parts.add(t + "(" + String.join(",", ps) + ")"));
      return parts.isEmpty() ? "-" : String.join(",", parts);
    }
  }

  @Command(name = "reset-offsets", mixinStandardHelpOptions = true,
      description = {"Move a group's committed offsets. Prints the plan (GROUP TOPIC PARTITION NEW-OFFSET) and changes "
          + "nothing unless --execute is given. Refused while the group has active members.",
          "Offsets are clamped to each partition's [log start, log end]."})
  static final class ResetOffsets implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--group", required = true, paramLabel = "GROUP")
    String group;
    @Option(names = "--topic", required = true, paramLabel = "TOPIC[:P,P...]",
        description = "A topic, or some of its partitions. Repeatable.")
    List<String> topics;
    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;
    @Option(names = "--execute", description = "Apply the plan.")
    boolean execute;
    @Option(names = "--dry-run", description = "Only print the plan (the default).")
    boolean dryRun;

    static final class Mode {
      @Option(names = "--to-earliest", description = "The log start offset.")
      boolean toEarliest;
      @Option(names = "--to-latest", description = "The log end offset.")
      boolean toLatest;
      @Option(names = "--to-offset", paramLabel = "N", description = "This offset.")
      Long toOffset;
      @Option(names = "--to-datetime", paramLabel = "ISO",
          description = "The first record at or after this time, e.g. 2026-12-05T08:00:00 (local time) or 2026-12-05T08:00:00Z.")
      String toDatetime;
      @Option(names = "--shift-by", paramLabel = "±N", description = "The committed offset plus N (negative goes back).")
      Long shiftBy;
      @Option(names = "--by-duration", paramLabel = "PnDTnHnM",
          description = "The first record at or after now minus this ISO-8601 duration, e.g. PT1H or P1DT12H.")
      String byDuration;
    }

    @Override
    public Integer call() {
      if (execute && dryRun) {
        throw new ParameterException(spec.commandLine(), "--execute and --dry-run cannot be used together");
      }
      OffsetReset reset = reset();
      PrintWriter out = spec.commandLine().getOut();
      try (SkeinAdmin admin = TopicCommand.admin(client)) {
        requireInactive(admin);
        List<TopicPartition> partitions = new ArrayList<>();
        for (String t : topics) {
          partitions.addAll(parseTopic(admin, t));
        }
        Map<TopicPartition, Long> plan = admin.planOffsetReset(group, partitions, reset);
        if (execute) {
          admin.resetOffsets(group, plan);
        }
        Table table = new Table("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET");
        plan.forEach((tp, offset) -> table.row(group, tp.topic(), Integer.toString(tp.partition()),
            Long.toString(offset)));
        table.print(out);
        if (!execute) {
          spec.commandLine().getErr().println("Dry run: nothing changed. Add --execute to apply.");
        }
      }
      return 0;
    }

    private void requireInactive(SkeinAdmin admin) {
      try {
        ConsumerGroupDescription d = admin.describeGroup(group);
        if (!d.members().isEmpty()) {
          throw new SkeinException(SkeinError.of(ErrorReason.GROUP_NOT_EMPTY, "group '" + group + "' has "
              + d.members().size() + " active member(s) and is " + d.state() + "; offsets can only be reset while "
              + "it has none: stop its consumers first"));
        }
      } catch (SkeinException e) {
        if (e.reason().filter(r -> r == ErrorReason.UNKNOWN_GROUP).isEmpty()) {
          throw e;
        }
        // A group that does not exist yet can be given offsets.
      }
    }

    private OffsetReset reset() {
      if (mode.toEarliest) {
        return new OffsetReset.ToEarliest();
      }
      if (mode.toLatest) {
        return new OffsetReset.ToLatest();
      }
      if (mode.toOffset != null) {
        if (mode.toOffset < 0) {
          throw new ParameterException(spec.commandLine(), "--to-offset must be >= 0");
        }
        return new OffsetReset.ToOffset(mode.toOffset);
      }
      if (mode.shiftBy != null) {
        return new OffsetReset.ShiftBy(mode.shiftBy);
      }
      if (mode.byDuration != null) {
        try {
          return new OffsetReset.ByDuration(Duration.parse(mode.byDuration));
        } catch (DateTimeParseException e) {
          throw new ParameterException(spec.commandLine(), "--by-duration must be an ISO-8601 duration such as "
              + "PT1H or P1DT12H, got '" + mode.byDuration + "'");
        }
      }
      return new OffsetReset.ToDatetime(parseTime(mode.toDatetime));
    }

    private Instant parseTime(String text) {
      try {
        return Instant.parse(text);
      } catch (DateTimeParseException notInstant) {
        try {
          return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException notOffset) {
          try {
            return LocalDateTime.parse(text).atZone(ZoneId.systemDefault()).toInstant();
          } catch (DateTimeParseException e) {
            throw new ParameterException(spec.commandLine(), "--to-datetime must look like 2026-12-05T08:00:00, "
                + "optionally with Z or +01:00, got '" + text + "'");
          }
        }
      }
    }

    private List<TopicPartition> parseTopic(SkeinAdmin admin, String spec) {
      int colon = spec.indexOf(':');
      if (colon < 0) {
        return admin.partitionsOf(spec);
      }
      String topic = spec.substring(0, colon);
      List<TopicPartition> out = new ArrayList<>();
      for (String p : spec.substring(colon + 1).split(",")) {
        try {
          out.add(new TopicPartition(topic, Integer.parseInt(p.trim())));
        } catch (IllegalArgumentException e) {
          throw new ParameterException(this.spec.commandLine(), "--topic " + spec
              + ": partitions must be numbers separated by commas");
        }
      }
      return out;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Delete groups without active members, with their committed offsets.")
  static final class Delete implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--group", required = true, paramLabel = "GROUP", description = "The group. Repeatable.")
    List<String> groups;

    @Override
    public Integer call() {
      try (SkeinAdmin admin = TopicCommand.admin(client)) {
        for (String g : groups) {
          admin.deleteGroup(g);
        }
      }
      spec.commandLine().getOut().printf("Deletion of requested consumer groups (%s) was successful.%n",
          String.join(", ", groups.stream().map(g -> "'" + g + "'").toList()));
      return 0;
    }
  }

  private static String dash(String s) {
    return s == null || s.isEmpty() ? "-" : s;
  }

  /** Columns padded to their widest cell, as kafka-consumer-groups prints them. */
  static final class Table {
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
      rows.add(header);
    }

    void row(String... cells) {
      rows.add(cells);
    }

    void print(PrintWriter out) {
      int columns = rows.get(0).length;
      int[] widths = new int[columns];
      for (String[] r : rows) {
        for (int i = 0; i < columns; i++) {
          widths[i] = Math.max(widths[i], r[i].length());
        }
      }
      for (String[] r : rows) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < columns; i++) {
          line.append(i == columns - 1 ? r[i] : String.format("%-" + (widths[i] + 2) + "s", r[i]));
        }
        out.println(line.toString().stripTrailing());
      }
    }
  }
}
