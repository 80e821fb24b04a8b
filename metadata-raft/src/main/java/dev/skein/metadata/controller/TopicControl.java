package dev.skein.metadata.controller;

import dev.skein.metadata.config.InvalidConfigException;
import dev.skein.metadata.config.TopicConfigs;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.internal.v1.AlterConfigsRequest;
import dev.skein.proto.internal.v1.BrokerList;
import dev.skein.proto.internal.v1.ConfigRecord;
import dev.skein.proto.internal.v1.ConfigResourceType;
import dev.skein.proto.internal.v1.ControllerResponse;
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

/** The controller's decisions about topics: creation (validation, placement), deletion, configs. */
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

  ControllerDecision alterConfigs(AlterConfigsRequest request, ClusterImage image) {
    if (request.getResourceType() != ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC) {
      return ControllerDecision.answer(ControllerError.UNSUPPORTED.response(
          "only topic configs can be altered; " + request.getResourceType() + " is not supported yet"));
    }
    Optional<TopicImage> topic = image.topics().byName(request.getResourceName());
    if (topic.isEmpty()) {
      return ControllerDecision.answer(ControllerError.UNKNOWN_TOPIC.response(
          "topic '" + request.getResourceName() + "' does not exist"));
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
    String topicId = topic.get().id();
    Map<String, String> current = image.configs().topicConfigs(topicId);
    List<MetadataRecord> records = new ArrayList<>();
    request.getSetMap().forEach((key, value) -> {
      if (!value.equals(current.get(key))) {
        records.add(topicConfig(topicId, key, value));
      }
    });
    for (String key : new HashSet<>(request.getDeleteList())) {
      if (current.containsKey(key)) {
        records.add(topicConfig(topicId, key, null));
      }
    }
    return new ControllerDecision(records, (index, after) -> ControllerResponse.getDefaultInstance());
  }
}
