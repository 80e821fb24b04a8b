package dev.skein.metadata.image;

import dev.skein.proto.internal.v1.AclRecord;
import dev.skein.proto.internal.v1.BrokerSnapshotRecord;
import dev.skein.proto.internal.v1.ClusterRecord;
import dev.skein.proto.internal.v1.ConfigRecord;
import dev.skein.proto.internal.v1.ConfigResourceType;
import dev.skein.proto.internal.v1.MetadataBatch;
import dev.skein.proto.internal.v1.MetadataRecord;
import dev.skein.proto.internal.v1.MirrorTopicRecord;
import dev.skein.proto.internal.v1.PartitionRecord;
import dev.skein.proto.internal.v1.ProducerIdsRecord;
import dev.skein.proto.internal.v1.RegisterBrokerRecord;
import dev.skein.proto.internal.v1.TopicRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes an image as metadata records and reads it back.
 *
 * <p>A snapshot is a sequence of length-delimited {@link MetadataBatch} messages (chunks of at
 * most {@value #RECORDS_PER_BATCH} records, so that no single message grows with the cluster).
 * Reading replays them onto the empty image with the same {@link ImageBuilder} as the log, so
 * restoring a snapshot and replaying the log cannot disagree about what a record means.
 * Records are written in a fixed order (brokers by id, topics by name), so equal images give
 * equal snapshot files.
 */
public final class ImageSnapshot {

  static final int RECORDS_PER_BATCH = 1000;

  private ImageSnapshot() {}

  /** The records that rebuild {@code image} (apart from its offset) from the empty image. */
  public static List<MetadataRecord> toRecords(ClusterImage image) {
    List<MetadataRecord> records = new ArrayList<>();
    if (image.hasClusterId()) {
      records.add(MetadataRecord.newBuilder()
          .setCluster(ClusterRecord.newBuilder().setClusterId(image.clusterId())).build());
    }
    for (BrokerRegistration broker : image.brokers().brokers().values()) {
      records.add(MetadataRecord.newBuilder().setBrokerSnapshot(BrokerSnapshotRecord.newBuilder()
          .setRegistration(RegisterBrokerRecord.newBuilder()
              .setBrokerId(broker.id())
              .setIncarnationId(broker.incarnationId())
              .setHost(broker.host())
              .setPort(broker.port())
              .setRack(broker.rack())
              .setRaftAddress(broker.raftAddress())
              .setVoter(broker.voter()))
          .setBrokerEpoch(broker.epoch())
          .setFenced(broker.fenced())
          .setInControlledShutdown(broker.inControlledShutdown())).build());
    }
    List<TopicImage> topics = new ArrayList<>(image.topics().byId().values());
    topics.sort(Comparator.comparing(TopicImage::name));
    for (TopicImage topic : topics) {
      records.add(MetadataRecord.newBuilder().setTopic(TopicRecord.newBuilder()
          .setName(topic.name()).setTopicId(topic.id()).setInternal(topic.internal())).build());
      topic.partitions().forEach((partition, registration) -> records.add(MetadataRecord.newBuilder()
          .setPartition(PartitionRecord.newBuilder()
              .setTopicId(topic.id())
              .setPartition(partition)
              .addAllReplicas(registration.replicas())
              .addAllIsr(registration.isr())
              .setLeader(registration.leader())
              .setLeaderEpoch(registration.leaderEpoch())
              .setPartitionEpoch(registration.partitionEpoch())).build()));
    }
    // Topic configs come after every topic: a config record needs its topic to exist.
    List<Map.Entry<ConfigResource, Map<String, String>>> configs = new ArrayList<>(image.configs().configs().entrySet());
    configs.sort(Map.Entry.comparingByKey(Comparator.comparing(ConfigResource::type).thenComparing(ConfigResource::name)));
    for (Map.Entry<ConfigResource, Map<String, String>> entry : configs) {
      new TreeMap<>(entry.getValue()).forEach((key, value) -> records.add(MetadataRecord.newBuilder()
          .setConfig(ConfigRecord.newBuilder()
              .setResourceType(toProto(entry.getKey().type()))
              .setResourceName(entry.getKey().name())
              .setKey(key)
              .setValue(value)).build()));
    }
    if (image.producerIds().nextProducerId() != ProducerIdsImage.EMPTY.nextProducerId()) {
      // An empty block starting at the next id moves "next" there without handing out any id.
      records.add(MetadataRecord.newBuilder().setProducerIds(ProducerIdsRecord.newBuilder()
          .setBrokerId(-1)
          .setFirstProducerId(image.producerIds().nextProducerId())
          .setBlockSize(0)).build());
    }
    // Links before mirror topics: a mirror topic record needs its link and its topic.
    image.mirrors().sortedLinks().values().forEach(link -> records.add(MetadataRecord.newBuilder()
        .setMirrorLink(link).build()));
    image.mirrors().topics().values().stream()
        .sorted(Comparator.comparing(MirrorsImage.MirrorTopic::topicId))
        .forEach(topic -> records.add(MetadataRecord.newBuilder().setMirrorTopic(MirrorTopicRecord.newBuilder()
            .setTopicId(topic.topicId()).setLink(topic.link()).setPromoted(topic.promoted())).build()));
    image.acls().bindings().stream().sorted(AclsImage.ORDER).forEach(binding -> records.add(
        MetadataRecord.newBuilder().setAcl(AclRecord.newBuilder().setBinding(binding)).build()));
    image.scram().sorted().values().forEach(credential -> records.add(
        MetadataRecord.newBuilder().setUserScramCredential(credential).build()));
    return records;
  }

  public static void write(ClusterImage image, OutputStream out) throws IOException {
    List<MetadataRecord> records = toRecords(image);
    for (int start = 0; start < records.size(); start += RECORDS_PER_BATCH) {
      List<MetadataRecord> chunk = records.subList(start, Math.min(records.size(), start + RECORDS_PER_BATCH));
      MetadataBatch.newBuilder().addAllRecords(chunk).build().writeDelimitedTo(out);
    }
  }

  /**
   * Rebuilds the image a snapshot holds.
   *
   * @param offset the Raft index the snapshot was taken at (it is in the snapshot's file name)
   * @throws IOException if the snapshot cannot be parsed or does not replay cleanly
   */
  public static ClusterImage read(InputStream in, long offset) throws IOException {
    ImageBuilder builder = new ImageBuilder(ClusterImage.EMPTY, offset);
    MetadataBatch batch;
    while ((batch = MetadataBatch.parseDelimitedFrom(in)) != null) {
      for (MetadataRecord record : batch.getRecordsList()) {
        try {
          builder.replay(record);
        } catch (RecordRejectedException | RuntimeException e) {
          throw new IOException("snapshot at offset " + offset + " does not replay: " + e.getMessage(), e);
        }
      }
    }
    try {
      return builder.build();
    } catch (RuntimeException e) {
      throw new IOException("snapshot at offset " + offset + " does not replay: " + e.getMessage(), e);
    }
  }

  private static ConfigResourceType toProto(ConfigResource.Type type) {
    return switch (type) {
      case TOPIC -> ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC;
      case BROKER -> ConfigResourceType.CONFIG_RESOURCE_TYPE_BROKER;
      case CLUSTER -> ConfigResourceType.CONFIG_RESOURCE_TYPE_CLUSTER;
    };
  }
}
