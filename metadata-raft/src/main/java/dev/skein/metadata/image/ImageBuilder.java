package dev.skein.metadata.image;

import dev.skein.proto.internal.v1.AclBinding;
import dev.skein.proto.internal.v1.AclOperation;
import dev.skein.proto.internal.v1.AclPatternType;
import dev.skein.proto.internal.v1.AclPermission;
import dev.skein.proto.internal.v1.AclResourceType;
import dev.skein.proto.internal.v1.ScramMechanism;
import dev.skein.proto.internal.v1.UserScramCredentialRecord;
import dev.skein.proto.internal.v1.BrokerRegistrationChangeRecord;
import dev.skein.proto.internal.v1.BrokerSnapshotRecord;
import dev.skein.proto.internal.v1.ClusterRecord;
import dev.skein.proto.internal.v1.ConfigRecord;
import dev.skein.proto.internal.v1.MetadataRecord;
import dev.skein.proto.internal.v1.MirrorLinkRecord;
import dev.skein.proto.internal.v1.MirrorTopicRecord;
import dev.skein.proto.internal.v1.RemoveMirrorLinkRecord;
import dev.skein.proto.internal.v1.PartitionChangeRecord;
import dev.skein.proto.internal.v1.PartitionRecord;
import dev.skein.proto.internal.v1.ProducerIdsRecord;
import dev.skein.proto.internal.v1.RegisterBrokerRecord;
import dev.skein.proto.internal.v1.RemoveTopicRecord;
import dev.skein.proto.internal.v1.TopicRecord;
import dev.skein.proto.internal.v1.UnregisterBrokerRecord;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Replays metadata records onto an image, checking each record's precondition first, and builds
 * the next image. Single use, single thread.
 *
 * <p>Everything here is a pure function of the base image, the records and the offset: the
 * same inputs give an equal image on every member, which is what keeps the members in step.
 * Unchanged parts are shared with the base image: topics and their partitions are persistent
 * maps, so a record that changes one partition costs O(log n), whatever the cluster's size; the
 * smaller maps (brokers, configs) are copied once, when a record first changes them.
 */
final class ImageBuilder {

  private final ClusterImage base;
  private final long offset;

  private String clusterId;
  private TreeMap<Integer, BrokerRegistration> brokers;
  /** Persistent: each change makes a new one sharing the rest, so untouched topics cost nothing. */
  private TopicsImage topics;
  /** Topics created, removed or changed, by id, with the partitions changed; in the order first touched. */
  private final Map<String, SortedSet<Integer>> touchedPartitions = new LinkedHashMap<>();
  private Map<ConfigResource, Map<String, String>> configs;
  private final Set<ConfigResource> copiedConfigs = new HashSet<>();
  private long nextProducerId;
  private Map<String, MirrorLinkRecord> mirrorLinks;
  private Map<String, MirrorsImage.MirrorTopic> mirrorTopics;
  private Set<AclBinding> acls;
  private Map<String, UserScramCredentialRecord> scram;

  /**
   * @param offset the Raft index the records were committed at; a broker registered by them
   *     gets it as its epoch, and the built image reflects it
   */
  ImageBuilder(ClusterImage base, long offset) {
    this.base = base;
    this.offset = offset;
    this.clusterId = base.clusterId();
    this.nextProducerId = base.producerIds().nextProducerId();
    this.topics = base.topics();
  }

  void replay(MetadataRecord record) throws RecordRejectedException {
    switch (record.getRecordCase()) {
      case REGISTER_BROKER -> registerBroker(record.getRegisterBroker(), offset, true, false);
      case BROKER_REGISTRATION_CHANGE -> changeBroker(record.getBrokerRegistrationChange());
      case UNREGISTER_BROKER -> unregisterBroker(record.getUnregisterBroker());
      case BROKER_SNAPSHOT -> restoreBroker(record.getBrokerSnapshot());
      case TOPIC -> createTopic(record.getTopic());
      case PARTITION -> addPartition(record.getPartition());
      case PARTITION_CHANGE -> changePartition(record.getPartitionChange());
      case REMOVE_TOPIC -> removeTopic(record.getRemoveTopic());
      case CONFIG -> setConfig(record.getConfig());
      case PRODUCER_IDS -> allocateProducerIds(record.getProducerIds());
      case CLUSTER -> setClusterId(record.getCluster());
      case MIRROR_LINK -> putMirrorLink(record.getMirrorLink());
      case REMOVE_MIRROR_LINK -> removeMirrorLink(record.getRemoveMirrorLink());
      case MIRROR_TOPIC -> putMirrorTopic(record.getMirrorTopic());
      case ACL -> addAcl(record.getAcl().getBinding());
      case REMOVE_ACL -> removeAcl(record.getRemoveAcl().getBinding());
      case USER_SCRAM_CREDENTIAL -> putScramCredential(record.getUserScramCredential());
      case REMOVE_USER_SCRAM_CREDENTIAL -> mutableScram().remove(record.getRemoveUserScramCredential().getName());
      case RECORD_NOT_SET -> throw new RecordRejectedException("empty metadata record");
    }
  }

  ClusterImage build() {
    BrokersImage brokersImage = brokers == null ? base.brokers() : new BrokersImage(brokers);
    ConfigsImage configsImage = configs == null ? base.configs() : new ConfigsImage(configs);
    ProducerIdsImage producerIds = nextProducerId == base.producerIds().nextProducerId()
        ? base.producerIds() : new ProducerIdsImage(nextProducerId);
    MirrorsImage mirrors = mirrorLinks == null && mirrorTopics == null ? base.mirrors()
        : new MirrorsImage(mirrorLinks == null ? base.mirrors().links() : mirrorLinks,
            mirrorTopics == null ? base.mirrors().topics() : mirrorTopics);
    AclsImage aclsImage = acls == null ? base.acls() : new AclsImage(acls);
    ScramCredentialsImage scramImage = scram == null ? base.scram() : new ScramCredentialsImage(scram);
    return new ClusterImage(offset, clusterId, brokersImage, topics, configsImage, producerIds, mirrors,
        aclsImage, scramImage);
  }

  // ---- brokers ----

  private void registerBroker(RegisterBrokerRecord record, long epoch, boolean fenced, boolean inControlledShutdown)
      throws RecordRejectedException {
    require(record.getBrokerId() >= 0, "broker id %d is negative", record.getBrokerId());
    mutableBrokers().put(record.getBrokerId(), new BrokerRegistration(record.getBrokerId(), epoch,
        record.getIncarnationId(), record.getHost(), record.getPort(), record.getRack(), record.getRaftAddress(),
        record.getVoter(), fenced, inControlledShutdown));
  }

  private void restoreBroker(BrokerSnapshotRecord record) throws RecordRejectedException {
    // A new registration starts fenced; a snapshot restores the state the broker had.
    registerBroker(record.getRegistration(), record.getBrokerEpoch(), record.getFenced(),
        record.getInControlledShutdown());
  }

  private void changeBroker(BrokerRegistrationChangeRecord record) throws RecordRejectedException {
    BrokerRegistration broker = currentBroker(record.getBrokerId(), record.getBrokerEpoch());
    if (record.hasFenced()) {
      broker = broker.withFenced(record.getFenced());
    }
    if (record.hasInControlledShutdown()) {
      broker = broker.withInControlledShutdown(record.getInControlledShutdown());
    }
    mutableBrokers().put(broker.id(), broker);
  }

  private void unregisterBroker(UnregisterBrokerRecord record) throws RecordRejectedException {
    currentBroker(record.getBrokerId(), record.getBrokerEpoch());
    mutableBrokers().remove(record.getBrokerId());
  }

  private BrokerRegistration currentBroker(int brokerId, long epoch) throws RecordRejectedException {
    BrokerRegistration broker = brokers().get(brokerId);
    require(broker != null, "broker %d is not registered", brokerId);
    require(broker.epoch() == epoch, "broker %d has epoch %d, not %d", brokerId, broker.epoch(), epoch);
    return broker;
  }

  private SortedMap<Integer, BrokerRegistration> brokers() {
    return brokers == null ? base.brokers().brokers() : brokers;
  }

  private TreeMap<Integer, BrokerRegistration> mutableBrokers() {
    if (brokers == null) {
      brokers = new TreeMap<>(base.brokers().brokers());
    }
    return brokers;
  }

  // ---- topics and partitions ----

  private void createTopic(TopicRecord record) throws RecordRejectedException {
    require(!record.getTopicId().isEmpty(), "topic id is empty");
    require(!record.getName().isEmpty(), "topic name is empty");
    require(!topics().containsKey(record.getTopicId()), "topic id %s is taken", record.getTopicId());
    require(!topics.byName().containsKey(record.getName()), "topic %s already exists", record.getName());
    topics = topics.with(TopicImage.create(record.getTopicId(), record.getName(), record.getInternal()));
    touch(record.getTopicId());
  }

  private void addPartition(PartitionRecord record) throws RecordRejectedException {
    TopicImage topic = existingTopic(record.getTopicId());
    require(record.getPartition() >= 0, "partition %d is negative", record.getPartition());
    require(!topic.partitions().containsKey(record.getPartition()), "partition %d of topic %s exists",
        record.getPartition(), record.getTopicId());
    require(record.getLeaderEpoch() >= 0 && record.getPartitionEpoch() >= 0, "negative epochs");
    PartitionRegistration partition = new PartitionRegistration(record.getReplicasList(), record.getIsrList(),
        record.getLeader(), record.getLeaderEpoch(), record.getPartitionEpoch());
    checkConsistent(partition, false);
    topics = topics.with(topic.withPartition(record.getPartition(), partition));
    touch(record.getTopicId()).add(record.getPartition());
  }

  private void changePartition(PartitionChangeRecord record) throws RecordRejectedException {
    TopicImage topic = existingTopic(record.getTopicId());
    PartitionRegistration current = topic.partitions().get(record.getPartition());
    require(current != null, "partition %d of topic %s does not exist", record.getPartition(), record.getTopicId());
    require(current.partitionEpoch() == record.getExpectedPartitionEpoch(),
        "partition %s-%d has partition epoch %d, not %d", record.getTopicId(), record.getPartition(),
        current.partitionEpoch(), record.getExpectedPartitionEpoch());
    List<Integer> replicas = record.hasReplicas() ? record.getReplicas().getBrokerIdsList() : current.replicas();
    List<Integer> isr = record.hasIsr() ? record.getIsr().getBrokerIdsList() : current.isr();
    int leader = record.hasLeader() ? record.getLeader() : current.leader();
    int leaderEpoch = leader == current.leader() ? current.leaderEpoch() : current.leaderEpoch() + 1;
    PartitionRegistration next = new PartitionRegistration(replicas, isr, leader, leaderEpoch,
        current.partitionEpoch() + 1);
    checkConsistent(next, record.getUnclean());
    topics = topics.with(topic.withPartition(record.getPartition(), next));
    touch(record.getTopicId()).add(record.getPartition());
  }

  /** The invariants every partition registration keeps, whichever record made it. */
  private static void checkConsistent(PartitionRegistration partition, boolean unclean) throws RecordRejectedException {
    require(!partition.replicas().isEmpty(), "a partition needs at least one replica");
    require(new HashSet<>(partition.replicas()).size() == partition.replicas().size(),
        "replicas %s repeat a broker", partition.replicas());
    require(new HashSet<>(partition.isr()).size() == partition.isr().size(), "ISR %s repeats a broker",
        partition.isr());
    require(partition.replicas().containsAll(partition.isr()), "ISR %s is not a subset of replicas %s",
        partition.isr(), partition.replicas());
    if (partition.hasLeader()) {
      // Invariant 4: only an ISR member leads; an unclean election makes its winner the ISR.
      require(partition.isInIsr(partition.leader()), "leader %d is not in ISR %s%s", partition.leader(),
          partition.isr(), unclean ? " (unclean elections must reset the ISR to the leader)" : "");
    } else {
      require(partition.leader() == PartitionRegistration.NO_LEADER, "leader %d is not a broker id",
          partition.leader());
    }
  }

  private void removeTopic(RemoveTopicRecord record) throws RecordRejectedException {
    TopicImage topic = topics().get(record.getTopicId());
    require(topic != null, "topic %s does not exist", record.getTopicId());
    topics = topics.without(record.getTopicId());
    touch(record.getTopicId());
    ConfigResource resource = ConfigResource.topic(record.getTopicId());
    if (configs().containsKey(resource)) {
      mutableConfigs().remove(resource);
    }
    if (mirrorTopics().containsKey(record.getTopicId())) {
      mutableMirrorTopics().remove(record.getTopicId());
    }
  }

  private SortedSet<Integer> touch(String topicId) {
    return touchedPartitions.computeIfAbsent(topicId, id -> new TreeSet<>());
  }

  /**
   * What the replayed records may have changed among topics: by topic id, every topic created,
   * removed or changed, with the partitions added or changed in it. Everything else in the
   * built image is the base image's own object.
   */
  Map<String, SortedSet<Integer>> touchedPartitions() {
    return touchedPartitions;
  }

  private TopicImage existingTopic(String topicId) throws RecordRejectedException {
    TopicImage topic = topics.byId().get(topicId);
    require(topic != null, "topic %s does not exist", topicId);
    return topic;
  }

  private Map<String, TopicImage> topics() {
    return topics.byId();
  }

  // ---- configs, producer ids, cluster ----

  private void setConfig(ConfigRecord record) throws RecordRejectedException {
    ConfigResource resource = switch (record.getResourceType()) {
      case CONFIG_RESOURCE_TYPE_TOPIC -> ConfigResource.topic(record.getResourceName());
      case CONFIG_RESOURCE_TYPE_BROKER -> new ConfigResource(ConfigResource.Type.BROKER, record.getResourceName());
      case CONFIG_RESOURCE_TYPE_CLUSTER -> new ConfigResource(ConfigResource.Type.CLUSTER, record.getResourceName());
      default -> throw new RecordRejectedException("config record without a resource type");
    };
    require(!record.getKey().isEmpty(), "config key is empty");
    if (resource.type() == ConfigResource.Type.TOPIC) {
      require(topics().containsKey(resource.name()), "topic %s does not exist", resource.name());
    }
    Map<ConfigResource, Map<String, String>> all = mutableConfigs();
    Map<String, String> values = all.get(resource);
    if (values == null || !copiedConfigs.contains(resource)) {
      values = values == null ? new HashMap<>() : new HashMap<>(values);
      all.put(resource, values);
      copiedConfigs.add(resource);
    }
    if (record.hasValue()) {
      values.put(record.getKey(), record.getValue());
    } else {
      values.remove(record.getKey());
    }
  }

  private Map<ConfigResource, Map<String, String>> configs() {
    return configs == null ? base.configs().configs() : configs;
  }

  private Map<ConfigResource, Map<String, String>> mutableConfigs() {
    if (configs == null) {
      configs = new HashMap<>(base.configs().configs());
    }
    return configs;
  }

  private void allocateProducerIds(ProducerIdsRecord record) throws RecordRejectedException {
    require(record.getBlockSize() >= 0, "producer id block size %d is negative", record.getBlockSize());
    // Ids are never handed out twice: a block starts at or above everything given so far.
    require(record.getFirstProducerId() >= nextProducerId, "producer id %d was already allocated (next is %d)",
        record.getFirstProducerId(), nextProducerId);
    nextProducerId = Math.addExact(record.getFirstProducerId(), record.getBlockSize());
  }

  private void setClusterId(ClusterRecord record) throws RecordRejectedException {
    require(!record.getClusterId().isEmpty(), "cluster id is empty");
    require(clusterId.isEmpty() || clusterId.equals(record.getClusterId()), "cluster id is already %s", clusterId);
    clusterId = record.getClusterId();
  }

  // ---- mirror links ----

  private void putMirrorLink(MirrorLinkRecord record) throws RecordRejectedException {
    require(!record.getName().isEmpty(), "mirror link name is empty");
    require(record.getSourceBootstrapCount() > 0, "mirror link %s has no source address", record.getName());
    if (mirrorLinks == null) {
      mirrorLinks = new HashMap<>(base.mirrors().links());
    }
    mirrorLinks.put(record.getName(), record);
  }

  private void removeMirrorLink(RemoveMirrorLinkRecord record) throws RecordRejectedException {
    Map<String, MirrorLinkRecord> links = mirrorLinks == null ? base.mirrors().links() : mirrorLinks;
    require(links.containsKey(record.getName()), "mirror link %s does not exist", record.getName());
    if (mirrorLinks == null) {
      mirrorLinks = new HashMap<>(base.mirrors().links());
    }
    mirrorLinks.remove(record.getName());
    // Its mirror topics become ordinary topics.
    mutableMirrorTopics().values().removeIf(topic -> topic.link().equals(record.getName()));
  }

  private void putMirrorTopic(MirrorTopicRecord record) throws RecordRejectedException {
    Map<String, MirrorLinkRecord> links = mirrorLinks == null ? base.mirrors().links() : mirrorLinks;
    require(links.containsKey(record.getLink()), "mirror link %s does not exist", record.getLink());
    require(topics().containsKey(record.getTopicId()), "topic %s does not exist", record.getTopicId());
    MirrorsImage.MirrorTopic current = mirrorTopics().get(record.getTopicId());
    require(current == null || current.link().equals(record.getLink()), "topic %s is a mirror of link %s",
        record.getTopicId(), current == null ? "" : current.link());
    mutableMirrorTopics().put(record.getTopicId(),
        new MirrorsImage.MirrorTopic(record.getTopicId(), record.getLink(), record.getPromoted()));
  }

  private Map<String, MirrorsImage.MirrorTopic> mirrorTopics() {
    return mirrorTopics == null ? base.mirrors().topics() : mirrorTopics;
  }

  private Map<String, MirrorsImage.MirrorTopic> mutableMirrorTopics() {
    if (mirrorTopics == null) {
      mirrorTopics = new HashMap<>(base.mirrors().topics());
    }
    return mirrorTopics;
  }

  // ---- SCRAM credentials ----

  private void putScramCredential(UserScramCredentialRecord record) throws RecordRejectedException {
    require(!record.getName().isEmpty() && !record.getSalt().isEmpty() && record.getIterations() > 0
        && !record.getStoredKey().isEmpty() && !record.getServerKey().isEmpty(),
        "SCRAM credential without a name, salt, iteration count or keys for user '%s'", record.getName());
    require(record.getMechanism() == ScramMechanism.SCRAM_MECHANISM_SCRAM_SHA_512,
        "SCRAM credential of user '%s' has an unknown mechanism", record.getName());
    mutableScram().put(record.getName(), record);
  }

  private Map<String, UserScramCredentialRecord> mutableScram() {
    if (scram == null) {
      scram = new HashMap<>(base.scram().byName());
    }
    return scram;
  }

  // ---- ACLs ----

  private void addAcl(AclBinding binding) throws RecordRejectedException {
    // The controller validates bindings fully; here only what would make one meaningless.
    require(!binding.getPrincipal().isEmpty() && !binding.getHost().isEmpty() && !binding.getResourceName().isEmpty(),
        "ACL binding without principal, host or resource name: %s", binding);
    require(binding.getResourceType() != AclResourceType.ACL_RESOURCE_TYPE_UNSPECIFIED
        && binding.getPatternType() != AclPatternType.ACL_PATTERN_TYPE_UNSPECIFIED
        && binding.getOperation() != AclOperation.ACL_OPERATION_UNSPECIFIED
        && binding.getPermission() != AclPermission.ACL_PERMISSION_UNSPECIFIED,
        "ACL binding with an unspecified type, pattern, operation or permission: %s", binding);
    mutableAcls().add(binding);
  }

  private void removeAcl(AclBinding binding) {
    mutableAcls().remove(binding);
  }

  private Set<AclBinding> mutableAcls() {
    if (acls == null) {
      acls = new HashSet<>(base.acls().bindings());
    }
    return acls;
  }

  private static void require(boolean condition, String format, Object... args) throws RecordRejectedException {
    if (!condition) {
      throw new RecordRejectedException(String.format(format, args));
    }
  }
}
