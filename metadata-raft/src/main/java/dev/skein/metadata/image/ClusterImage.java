package dev.skein.metadata.image;

import java.util.Objects;

/**
 * The whole cluster metadata as of one point of the metadata log. Immutable: every committed
 * batch produces a new image, sharing the parts it did not change with the previous one.
 *
 * <p>Two members that have applied the log up to the same index hold equal images.
 *
 * @param offset the Raft index of the last log entry this image reflects (-1 for none). Raft
 *     indexes are not dense: Ratis' own configuration and bookkeeping entries also advance it,
 *     so compare offsets with {@code >=}, never count on {@code offset + 1}.
 * @param clusterId empty until the first controller has written one
 * @param acls the ACL bindings the authorizer checks calls against
 * @param scram the users' SCRAM credentials (salted and hashed, never passwords)
 */
public record ClusterImage(
    long offset,
    String clusterId,
    BrokersImage brokers,
    TopicsImage topics,
    ConfigsImage configs,
    ProducerIdsImage producerIds,
    MirrorsImage mirrors,
    AclsImage acls,
    ScramCredentialsImage scram) {

  public static final ClusterImage EMPTY = new ClusterImage(-1, "", BrokersImage.EMPTY, TopicsImage.EMPTY,
      ConfigsImage.EMPTY, ProducerIdsImage.EMPTY, MirrorsImage.EMPTY, AclsImage.EMPTY, ScramCredentialsImage.EMPTY);

  /** An image without SCRAM credentials (as before they existed). */
  public ClusterImage(long offset, String clusterId, BrokersImage brokers, TopicsImage topics, ConfigsImage configs,
      ProducerIdsImage producerIds, MirrorsImage mirrors, AclsImage acls) {
    this(offset, clusterId, brokers, topics, configs, producerIds, mirrors, acls, ScramCredentialsImage.EMPTY);
  }

  /** An image without ACLs (as before they existed). */
  public ClusterImage(long offset, String clusterId, BrokersImage brokers, TopicsImage topics, ConfigsImage configs,
      ProducerIdsImage producerIds, MirrorsImage mirrors) {
    this(offset, clusterId, brokers, topics, configs, producerIds, mirrors, AclsImage.EMPTY);
  }

  /** An image without mirror links (as before they existed). */
  public ClusterImage(long offset, String clusterId, BrokersImage brokers, TopicsImage topics, ConfigsImage configs,
      ProducerIdsImage producerIds) {
    this(offset, clusterId, brokers, topics, configs, producerIds, MirrorsImage.EMPTY);
  }

  public ClusterImage {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(brokers, "brokers");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(configs, "configs");
    Objects.requireNonNull(producerIds, "producerIds");
    Objects.requireNonNull(mirrors, "mirrors");
    Objects.requireNonNull(acls, "acls");
    Objects.requireNonNull(scram, "scram");
  }

  /** The same metadata, as of a later log entry that did not change it. */
  public ClusterImage withOffset(long newOffset) {
    return new ClusterImage(newOffset, clusterId, brokers, topics, configs, producerIds, mirrors, acls, scram);
  }

  public boolean hasClusterId() {
    return !clusterId.isEmpty();
  }
}
