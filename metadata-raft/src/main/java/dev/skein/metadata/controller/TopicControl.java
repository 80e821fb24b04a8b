package dev.skein.metadata.controller;

import dev.skein.metadata.config.InvalidConfigException;
import dev.skein.metadata.config.TopicConfigs;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.ConfigResource;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.internal.v1.AlterConfigsRequest;
import dev.skein.proto.internal.v1.BrokerList;
import dev.skein.proto.internal.v1.ConfigRecord;
import dev.skein.proto.internal.v1.ConfigResourceType;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.CreatePartitionsRequest;
import dev.skein.proto.internal.v1.CreateTopicRequest;
import dev.skein.proto.internal.v1.CreateTopicResult;
import dev.skein.proto.internal.v1.DeleteTopicRequest;
import dev.skein.proto.internal.v1.MetadataRecord;
import dev.skein.proto.internal.v1.PartitionRecord;
import dev.skein.proto.internal.v1.RemoveTopicRecord;
import dev.skein.proto.internal.v1.TopicRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The controller's decisions about topics: creation (validation, placement), added partitions, deletion, configs. */
final class TopicControl {

  private static final Logger LOG = LoggerFactory.getLogger(TopicControl.class);
  /** Kafka's limit would be the int range; this keeps one request from building a huge batch. */
  static final int MAX_PARTITIONS = 100_000;

  private final Random random;

  TopicControl(Random random) {
    this.random = random;
  }

  ControllerDecision createTopic(CreateTopicRequest request, ClusterImage image) {
    String name = request.getName();
    Optional<String> nameProblem = TopicNames.problemWith(name);
    if (nameProblem.isPresent()) {
      return ControllerDecision.answer(ControllerError.INVALID_TOPIC_NAME.response(nameProblem.get()));
    }
    if (image.topics().byName(name).isPresent()) {
      return ControllerDecision.answer(ControllerError.TOPIC_ALREADY_EXISTS.response("topic '" + name + "' already exists"));
    }
    int partitions = request.getPartitions();
    if (partitions < 1 || partitions > MAX_PARTITIONS) {
      return ControllerDecision.answer(ControllerError.INVALID_PARTITIONS.response(
          "number of partitions must be between 1 and " + MAX_PARTITIONS + ", got " + partitions));
    }
    List<Integer> brokers = image.brokers().usableBrokerIds();
    int replicationFactor = request.getReplicationFactor();
    if (replicationFactor < 1) {
      return ControllerDecision.answer(ControllerError.INVALID_REPLICATION_FACTOR.response(
          "replication factor must be at least 1, got " + replicationFactor));
    }
    if (replicationFactor > brokers.size()) {
      return ControllerDecision.answer(ControllerError.INVALID_REPLICATION_FACTOR.response(
          "replication factor " + replicationFactor + " is larger than the " + brokers.size()
              + " available broker" + (brokers.size() == 1 ? "" : "s"),
          Map.of("available_brokers", String.valueOf(brokers.size()))));
    }
    try {
      TopicConfigs.validate(request.getConfigsMap());
    } catch (InvalidConfigException e) {
      return ControllerDecision.answer(ControllerError.INVALID_CONFIG.response(e.getMessage(),
          Map.of("config", e.configName())));
    }
    List<List<Integer>> assignment = ReplicaPlacer.place(brokers, partitions, replicationFactor, random);
    CreateTopicResult.Builder result = CreateTopicResult.newBuilder();
    assignment.forEach(replicas -> result.addAssignments(BrokerList.newBuilder().addAllBrokerIds(replicas)));
    if (request.getValidateOnly()) {
      return ControllerDecision.answer(ControllerResponse.newBuilder().setCreateTopic(result).build());
    }
    String topicId = UUID.randomUUID().toString();
    List<MetadataRecord> records = new ArrayList<>(1 + partitions + request.getConfigsCount());
    records.add(MetadataRecord.newBuilder().setTopic(TopicRecord.newBuilder()
        .setName(name).setTopicId(topicId).setInternal(request.getInternal())).build());
    for (int partition = 0; partition < partitions; partition++) {
      List<Integer> replicas = assignment.get(partition);
      records.add(MetadataRecord.newBuilder().setPartition(PartitionRecord.newBuilder()
          .setTopicId(topicId)
          .setPartition(partition)
          .addAllReplicas(replicas)
          .addAllIsr(replicas)
          .setLeader(replicas.get(0))
          .setLeaderEpoch(0)
          .setPartitionEpoch(0)).build());
    }
    request.getConfigsMap().forEach((key, value) -> records.add(topicConfig(topicId, key, value)));
    result.setTopicId(topicId);
    LOG.info("Creating topic {} ({}) with {} partitions, replication factor {}", name, topicId, partitions,
        replicationFactor);
    return new ControllerDecision(records, (index, after) -> ControllerResponse.newBuilder().setCreateTopic(result).build());
  }

  private static MetadataRecord topicConfig(String topicId, String key, String value) {
    ConfigRecord.Builder config = ConfigRecord.newBuilder()
        .setResourceType(ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC)
        .setResourceName(topicId)
        .setKey(key);
    if (value != null) {
      config.setValue(value);
    }
    return MetadataRecord.newBuilder().setConfig(config).build();
  }

  ControllerDecision deleteTopic(DeleteTopicRequest request, ClusterImage image) {
    Optional<TopicImage> topic = image.topics().byName(request.getName());
    if (topic.isEmpty()) {
      return ControllerDecision.answer(ControllerError.UNKNOWN_TOPIC.response("topic '" + request.getName() + "' does not exist"));
    }
    LOG.info("Deleting topic {} ({})", request.getName(), topic.get().id());
    return new ControllerDecision(List.of(MetadataRecord.newBuilder()
        .setRemoveTopic(RemoveTopicRecord.newBuilder().setTopicId(topic.get().id())).build()),
        (index, after) -> ControllerResponse.getDefaultInstance());
  }

  /**
   * Sets or removes configs of one topic, or of the cluster-wide topic config defaults (resource
   * type CLUSTER, empty name), after validating every key and value; writes only real changes.
   */
  ControllerDecision alterConfigs(AlterConfigsRequest request, ClusterImage image) {
    String resourceName;
    ConfigResourceType type = request.getResourceType();
    if (type == ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC) {
      Optional<TopicImage> topic = image.topics().byName(request.getResourceName());
      if (topic.isEmpty()) {
        return ControllerDecision.answer(ControllerError.UNKNOWN_TOPIC.response(
            "topic '" + request.getResourceName() + "' does not exist"));
      }
      resourceName = topic.get().id();
    } else if (type == ConfigResourceType.CONFIG_RESOURCE_TYPE_CLUSTER) {
      resourceName = "";
    } else {
      return ControllerDecision.answer(ControllerError.UNSUPPORTED.response(
          "configs of " + type + " cannot be altered; alter a topic's or the cluster-wide topic defaults"));
    }
    try {
      TopicConfigs.validate(request.getSetMap());
    } catch (InvalidConfigException e) {
      return ControllerDecision.answer(ControllerError.INVALID_CONFIG.response(e.getMessage(), Map.of("config", e.configName())));
    }
    for (String key : request.getDeleteList()) {
      if (TopicConfigs.find(key).isEmpty()) {
        return ControllerDecision.answer(ControllerError.INVALID_CONFIG.response("unknown topic config '" + key + "'",
            Map.of("config", key)));
      }
      if (request.containsSet(key)) {
        return ControllerDecision.answer(ControllerError.INVALID_CONFIG.response(
            "config '" + key + "' is both set and deleted", Map.of("config", key)));
      }
    }
    if (request.getValidateOnly()) {
      return ControllerDecision.answer(ControllerResponse.getDefaultInstance());
    }
    Map<String, String> current = image.configs().configsOf(type == ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC
        ? new ConfigResource(ConfigResource.Type.TOPIC, resourceName)
        : ConfigResource.CLUSTER);
    List<MetadataRecord> records = new ArrayList<>();
    request.getSetMap().forEach((key, value) -> {
      if (!value.equals(current.get(key))) {
        records.add(config(type, resourceName, key, value));
      }
    });
    for (String key : new HashSet<>(request.getDeleteList())) {
      if (current.containsKey(key)) {
        records.add(config(type, resourceName, key, null));
      }
    }
    LOG.info("Altering configs of {} '{}': set {}, delete {}", type, request.getResourceName(), request.getSetMap(),
        request.getDeleteList());
    return new ControllerDecision(records, (index, after) -> ControllerResponse.getDefaultInstance());
  }

  /** Adds partitions to a topic, placed like a new topic's; the count never goes down. */
  ControllerDecision createPartitions(CreatePartitionsRequest request, ClusterImage image) {
    Optional<TopicImage> found = image.topics().byName(request.getName());
    if (found.isEmpty()) {
      return ControllerDecision.answer(ControllerError.UNKNOWN_TOPIC.response(
          "topic '" + request.getName() + "' does not exist"));
    }
    TopicImage topic = found.get();
    int current = topic.partitionCount();
    int wanted = request.getPartitions();
    if (wanted <= current) {
      return ControllerDecision.answer(ControllerError.INVALID_PARTITIONS.response("topic '" + request.getName()
          + "' has " + current + " partitions; the count can only grow (asked for " + wanted + "): fewer partitions "
          + "would send keys to other partitions than the ones holding their records",
          Map.of("partitions", Integer.toString(current))));
    }
    if (wanted > MAX_PARTITIONS) {
      return ControllerDecision.answer(ControllerError.INVALID_PARTITIONS.response(
          "number of partitions must be at most " + MAX_PARTITIONS + ", got " + wanted));
    }
    int replicationFactor = topic.partitions().get(0).replicas().size();
    List<Integer> brokers = image.brokers().usableBrokerIds();
    if (replicationFactor > brokers.size()) {
      return ControllerDecision.answer(ControllerError.INVALID_REPLICATION_FACTOR.response(
          "the topic's replication factor " + replicationFactor + " is larger than the " + brokers.size()
              + " available broker" + (brokers.size() == 1 ? "" : "s") + "; the new partitions cannot be placed",
          Map.of("available_brokers", String.valueOf(brokers.size()))));
    }
    if (request.getValidateOnly()) {
      return ControllerDecision.answer(ControllerResponse.getDefaultInstance());
    }
    List<List<Integer>> assignment = ReplicaPlacer.place(brokers, wanted - current, replicationFactor, random);
    List<MetadataRecord> records = new ArrayList<>();
    for (int i = 0; i < assignment.size(); i++) {
      List<Integer> replicas = assignment.get(i);
      records.add(MetadataRecord.newBuilder().setPartition(PartitionRecord.newBuilder()
          .setTopicId(topic.id()).setPartition(current + i).addAllReplicas(replicas).addAllIsr(replicas)
          .setLeader(replicas.get(0)).setLeaderEpoch(0).setPartitionEpoch(0)).build());
    }
    LOG.info("Adding partitions {}..{} to topic {} ({})", current, wanted - 1, topic.name(), topic.id());
    return new ControllerDecision(records, (index, after) -> ControllerResponse.getDefaultInstance());
  }

  private static MetadataRecord config(ConfigResourceType type, String resourceName, String key, String value) {
    ConfigRecord.Builder config = ConfigRecord.newBuilder().setResourceType(type).setResourceName(resourceName)
        .setKey(key);
    if (value != null) {
      config.setValue(value);
    }
    return MetadataRecord.newBuilder().setConfig(config).build();
  }
}
