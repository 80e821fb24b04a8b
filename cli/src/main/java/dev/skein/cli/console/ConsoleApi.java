package dev.skein.cli.console;

import dev.skein.client.BrokerLogDirs;
import dev.skein.client.BrokerNode;
import dev.skein.client.ClusterDescription;
import dev.skein.client.ConfigEntry;
import dev.skein.client.ConsumerGroupDescription;
import dev.skein.client.ConsumerGroupListing;
import dev.skein.client.NewTopic;
import dev.skein.client.OffsetReset;
import dev.skein.client.PartitionInfo;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinException;
import dev.skein.client.TopicDescription;
import dev.skein.client.TopicListing;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.OffsetSpec;
import dev.skein.rpc.ErrorReason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The console's JSON API: each method answers one route with plain maps and lists, read through
 * {@link SkeinAdmin} exactly as {@code skein topic|group|cluster} read them. Refusals come back as
 * {@link ApiException}s; the broker's own refusals as {@link SkeinException}s, which
 * {@link ConsoleServer} turns into JSON errors.
 */
final class ConsoleApi {

  private final SkeinAdmin admin;
  private final RecordBrowser records;
  private final boolean writes;
  private final int nodeId;

  ConsoleApi(SkeinAdmin admin, RecordBrowser records, boolean writes, int nodeId) {
    this.admin = admin;
    this.records = records;
    this.writes = writes;
    this.nodeId = nodeId;
  }

  /** Answers {@code method} on {@code /api/<path...>}. */
  Object handle(String method, List<String> path, Params params) {
    String first = path.isEmpty() ? "" : path.get(0);
    int n = path.size();
    return switch (first) {
      case "settings" -> get(method, () -> settings());
      case "cluster" -> get(method, () -> cluster());
      case "summary" -> get(method, this::summary);
      case "topics" -> {
        if (n == 1) {
          yield method.equals("POST") ? write(() -> createTopic(params)) : get(method, () -> topics());
        }
        String topic = path.get(1);
        if (n == 2) {
          yield method.equals("DELETE") ? write(() -> deleteTopic(topic)) : get(method, () -> topic(topic));
        }
        if (n == 5 && path.get(2).equals("partitions") && path.get(4).equals("records")) {
          int partition = partitionNumber(path.get(3));
          yield get(method, () -> records.read(topic, partition, params));
        }
        throw unknownRoute(path);
      }
      case "groups" -> {
        if (n == 1) {
          yield get(method, () -> groups());
        }
        String group = path.get(1);
        if (n == 2) {
          yield get(method, () -> group(group));
        }
        if (n == 3 && path.get(2).equals("reset-offsets")) {
          if (!method.equals("POST")) {
            throw methodNotAllowed("POST");
          }
          yield write(() -> resetOffsets(group, params));
        }
        throw unknownRoute(path);
      }
      default -> throw unknownRoute(path);
    };
  }

  Map<String, Object> settings() {
    return map("nodeId", nodeId, "writes", writes);
  }

  /** Brokers, their state, and the metadata quorum as the local broker sees it. */
  Map<String, Object> cluster() {
    ClusterDescription c = admin.describeCluster();
    List<Object> brokers = new ArrayList<>();
    for (BrokerNode b : c.brokers()) {
      brokers.add(map("id", b.id(), "address", b.address().toString(), "rack", b.rack(),
          "state", stateName(b.state().name()), "voter", b.voter(), "controller", b.id() == c.controllerId()));
    }
    List<Object> members = new ArrayList<>();
    for (ClusterDescription.Member m : c.quorum().members()) {
      members.add(map("id", m.id(), "address", m.address(), "role", stateName(m.role().name()),
          "commitIndex", m.commitIndex(), "lag", Math.max(0, c.quorum().commitIndex() - m.commitIndex()),
          "lastContactMs", m.lastContactMs()));
    }
    return map("clusterId", c.clusterId(), "controllerId", c.controllerId(), "answeredBy", c.answeredBy(),
        "metadataOffset", c.metadataOffset(), "brokers", brokers,
        "quorum", map("leaderId", c.quorum().leaderId(), "term", c.quorum().term(),
            "commitIndex", c.quorum().commitIndex(), "members", members));
  }

  /** Every topic, internal ones included, with the health of its partitions. */
  List<Object> topics() {
    List<String> names = admin.listTopics(true).stream().map(TopicListing::name).sorted().toList();
    List<Object> out = new ArrayList<>();
    if (names.isEmpty()) {
      return out;
    }
    for (TopicDescription t : admin.describeTopics(names)) {
      long underReplicated = t.partitions().stream().filter(p -> p.isr().size() < p.replicas().size()).count();
      long offline = t.partitions().stream().filter(p -> !p.hasLeader()).count();
      out.add(map("name", t.name(), "topicId", t.topicId(), "internal", t.internal(),
          "partitions", t.partitionCount(), "replicationFactor", t.replicationFactor(),
          "underReplicated", underReplicated, "offline", offline));
    }
    out.sort((a, b) -> ((String) ((Map<?, ?>) a).get("name")).compareTo((String) ((Map<?, ?>) b).get("name")));
    return out;
  }

  /**
   * One topic: partitions (leader, replicas, ISR, start and end offsets, size on disk: the
   * leader's and each replica's) and configs with their sources.
   */
  Map<String, Object> topic(String name) {
    TopicDescription t = describe(name);
    List<TopicPartition> led = t.partitions().stream().filter(PartitionInfo::hasLeader)
        .map(p -> new TopicPartition(name, p.partition())).toList();
    Map<TopicPartition, Long> start = led.isEmpty() ? Map.of() : admin.logOffsets(led, OffsetSpec.OFFSET_SPEC_EARLIEST, 0);
    Map<TopicPartition, Long> end = led.isEmpty() ? Map.of() : admin.logOffsets(led, OffsetSpec.OFFSET_SPEC_LATEST, 0);
    Map<TopicPartition, Map<Integer, BrokerLogDirs.ReplicaLog>> stored = storedReplicas(name);
    List<Object> partitions = new ArrayList<>();
    for (PartitionInfo p : t.partitions()) {
      TopicPartition tp = new TopicPartition(name, p.partition());
      Long s = start.get(tp);
      Long e = end.get(tp);
      Map<Integer, BrokerLogDirs.ReplicaLog> onBrokers = stored.getOrDefault(tp, Map.of());
      List<Object> replicaSizes = new ArrayList<>();
      for (int broker : p.replicas()) {
        BrokerLogDirs.ReplicaLog r = onBrokers.get(broker);
        replicaSizes.add(map("broker", broker, "sizeBytes", r == null ? null : r.sizeBytes(),
            "segments", r == null ? null : r.segmentCount()));
      }
      BrokerLogDirs.ReplicaLog atLeader = onBrokers.get(p.leader());
      partitions.add(map("partition", p.partition(), "leader", p.leader(), "leaderEpoch", p.leaderEpoch(),
          "replicas", p.replicas(), "isr", p.isr(), "offline", p.offlineReplicas(),
          "startOffset", s, "endOffset", e, "records", s == null || e == null ? null : e - s,
          "sizeBytes", atLeader == null ? null : atLeader.sizeBytes(), "replicaSizes", replicaSizes));
    }
    List<Object> configs = new ArrayList<>();
    for (ConfigEntry c : admin.describeTopicConfigs(name)) {
      configs.add(map("name", c.name(), "value", c.value(), "source", c.source()));
    }
    return map("name", t.name(), "topicId", t.topicId(), "internal", t.internal(),
        "replicationFactor", t.replicationFactor(), "partitions", partitions, "configs", configs);
  }

  /**
   * Each partition's replicas of the topic by broker, as the brokers report their own logs. A
   * broker that does not answer just has no entry (its sizes show as unknown), and a refusal
   * (a broker that has not yet learnt of a topic created a moment ago) leaves every size
   * unknown for this read: sizes are one column of the page, not a reason to fail it.
   */
  private Map<TopicPartition, Map<Integer, BrokerLogDirs.ReplicaLog>> storedReplicas(String topic) {
    List<BrokerLogDirs> brokers;
    try {
      brokers = admin.describeLogDirs(List.of(topic), List.of());
    } catch (SkeinException e) {
      return Map.of();
    }
    Map<TopicPartition, Map<Integer, BrokerLogDirs.ReplicaLog>> out = new HashMap<>();
    for (BrokerLogDirs b : brokers) {
      for (BrokerLogDirs.ReplicaLog r : b.replicas()) {
        out.computeIfAbsent(r.partition(), tp -> new HashMap<>()).put(b.brokerId(), r);
      }
    }
    return out;
  }

  /** Every group with its state, members and total lag. */
  List<Object> groups() {
    List<Object> out = new ArrayList<>();
    for (ConsumerGroupListing g : admin.listGroups()) {
      Long lag = null;
      try {
        lag = admin.describeGroup(g.groupId()).totalLag();
      } catch (SkeinException e) {
        // The group went away or moved between the two calls; the next update shows it right.
      }
      out.add(map("groupId", g.groupId(), "state", g.state(), "members", g.members(),
          "coordinatorId", g.coordinatorId(), "lag", lag));
    }
    return out;
  }

  /** One group: members with their assignments, and committed offset, log end and lag per partition. */
  Map<String, Object> group(String groupId) {
    ConsumerGroupDescription d = admin.describeGroup(groupId);
    List<Object> members = new ArrayList<>();
    for (ConsumerGroupDescription.Member m : d.members()) {
      members.add(map("memberId", m.memberId(), "instanceId", m.instanceId(), "clientId", m.clientId(),
          "host", m.host(), "memberEpoch", m.memberEpoch(),
          "assignment", m.assignment().stream().map(TopicPartition::toString).toList()));
    }
    List<Object> partitions = new ArrayList<>();
    for (ConsumerGroupDescription.PartitionLag p : d.partitions()) {
      partitions.add(map("topic", p.partition().topic(), "partition", p.partition().partition(),
          "committedOffset", p.committedOffset() < 0 ? null : p.committedOffset(),
          "logEndOffset", p.logEndOffset() < 0 ? null : p.logEndOffset(),
          "lag", p.lag() < 0 ? null : p.lag(), "memberId", p.memberId(), "host", p.host(), "clientId", p.clientId()));
    }
    return map("groupId", d.groupId(), "state", d.state(), "groupEpoch", d.groupEpoch(), "assignor", d.assignor(),
        "coordinatorId", d.coordinatorId(), "lag", d.totalLag(), "members", members, "partitions", partitions);
  }

  /** What the live stream pushes: enough for the overview page; detail pages re-read on each push. */
  Map<String, Object> summary() {
    return map("settings", settings(), "cluster", cluster(), "topics", topics(), "groups", groups(),
        "at", System.currentTimeMillis());
  }

  private Map<String, Object> createTopic(Params params) {
    String name = params.required("name");
    NewTopic topic = new NewTopic(name,
        params.intValue("partitions", 1, 100_000).map(java.util.OptionalInt::of).orElse(java.util.OptionalInt.empty()),
        params.intValue("replicationFactor", 1, 100).map(java.util.OptionalInt::of)
            .orElse(java.util.OptionalInt.empty()),
        Map.of());
    TopicDescription created = admin.createTopic(topic);
    return map("created", created.name(), "topicId", created.topicId(), "partitions", created.partitionCount(),
        "replicationFactor", created.replicationFactor());
  }

  private Map<String, Object> deleteTopic(String name) {
    describe(name);
    admin.deleteTopic(name);
    return map("deleted", name);
  }

  /**
   * Sets a group's committed offsets for one topic (all its partitions, or {@code partition}) to
   * earliest, latest or a given offset, clamped to each log as {@code skein group reset-offsets}
   * does. The broker refuses while the group has members (GROUP_NOT_EMPTY).
   */
  private Map<String, Object> resetOffsets(String groupId, Params params) {
    String topic = params.required("topic");
    TopicDescription t = describe(topic);
    String to = params.choice("to", "", Set.of("earliest", "latest", "offset"));
    OffsetReset reset = switch (to) {
      case "earliest" -> new OffsetReset.ToEarliest();
      case "latest" -> new OffsetReset.ToLatest();
      default -> new OffsetReset.ToOffset(params.longValue("offset", 0, Long.MAX_VALUE)
          .orElseThrow(() -> ApiException.badParameter("to=offset needs parameter 'offset'")));
    };
    List<TopicPartition> partitions = params.intValue("partition", 0, Integer.MAX_VALUE)
        .map(p -> {
          checkPartition(t, p);
          return List.of(new TopicPartition(topic, p));
        })
        .orElseGet(() -> admin.partitionsOf(topic));
    Map<TopicPartition, Long> plan = admin.planOffsetReset(groupId, partitions, reset);
    admin.resetOffsets(groupId, plan);
    Map<String, Object> offsets = new TreeMap<>();
    plan.forEach((tp, o) -> offsets.put(tp.toString(), o));
    return map("group", groupId, "offsets", offsets);
  }

  /** The topic's description, or a 404 when there is no such topic. */
  TopicDescription describe(String name) {
    return describe(admin, name);
  }

  static TopicDescription describe(SkeinAdmin admin, String name) {
    try {
      return admin.describeTopic(name);
    } catch (SkeinException e) {
      if (e.reason().filter(r -> r == ErrorReason.UNKNOWN_TOPIC).isPresent()) {
        throw ApiException.notFound("UNKNOWN_TOPIC", "no topic named '" + name + "'");
      }
      throw e;
    } catch (IndexOutOfBoundsException e) {
      throw ApiException.notFound("UNKNOWN_TOPIC", "no topic named '" + name + "'");
    }
  }

  static void checkPartition(TopicDescription t, int partition) {
    if (partition < 0 || partition >= t.partitionCount()) {
      throw ApiException.notFound("UNKNOWN_PARTITION", "topic '" + t.name() + "' has partitions 0 to "
          + (t.partitionCount() - 1) + ", not " + partition);
    }
  }

  private static int partitionNumber(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw ApiException.badParameter("a partition is a whole number, got '" + text + "'");
    }
  }

  private Object write(java.util.function.Supplier<Object> action) {
    if (!writes) {
      throw new ApiException(403, "WRITES_DISABLED",
          "this console is read-only; start the broker with --console-writes to create, delete or reset");
    }
    return action.get();
  }

  private static Object get(String method, java.util.function.Supplier<Object> read) {
    if (!method.equals("GET")) {
      throw methodNotAllowed("GET");
    }
    return read.get();
  }

  private static ApiException methodNotAllowed(String allowed) {
    return new ApiException(405, "METHOD_NOT_ALLOWED", "use " + allowed + " here");
  }

  private static ApiException unknownRoute(List<String> path) {
    return ApiException.notFound("NOT_FOUND", "no such API: /api/" + String.join("/", path));
  }

  /** BROKER_STATE_RUNNING → RUNNING, QUORUM_ROLE_LEADER → LEADER. */
  private static String stateName(String protoName) {
    for (String prefix : List.of("BROKER_STATE_", "QUORUM_ROLE_")) {
      if (protoName.startsWith(prefix)) {
        return protoName.substring(prefix.length());
      }
    }
    return protoName;
  }

  /** An insertion-ordered map from alternating keys and values (values may be null, unlike Map.of). */
  static Map<String, Object> map(Object... keysAndValues) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      out.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return out;
  }
}
