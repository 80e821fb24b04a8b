package dev.skein.client;

import dev.skein.client.internal.ConfigReader;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Consumer settings, by Kafka's names and with Kafka's defaults.
 *
 * @param autoOffsetReset {@code auto.offset.reset}: where to start without a position, or when the
 *     position is out of range: earliest, latest (default) or none (fail)
 * @param fetchMinBytes {@code fetch.min.bytes} (default 1)
 * @param fetchMaxBytes {@code fetch.max.bytes} (default 50 MiB)
 * @param fetchMaxWait {@code fetch.max.wait.ms} (default 500 ms)
 * @param maxPartitionFetchBytes {@code max.partition.fetch.bytes} (default 1 MiB)
 * @param maxPollRecords {@code max.poll.records} (default 500)
 * @param groupId {@code group.id}: the consumer group, needed to subscribe and commit; empty for none
 * @param groupInstanceId {@code group.instance.id}: a static member's stable identity; empty for none
 * @param enableAutoCommit {@code enable.auto.commit} (default true; only with a group id)
 * @param autoCommitInterval {@code auto.commit.interval.ms} (default 5 s)
 * @param groupRemoteAssignor {@code group.remote.assignor}: the broker-side assignor, uniform (default) or range
 */
public record ConsumerConfig(
    ClientConfig client,
    OffsetReset autoOffsetReset,
    int fetchMinBytes,
    int fetchMaxBytes,
    Duration fetchMaxWait,
    int maxPartitionFetchBytes,
    int maxPollRecords,
    String groupId,
    String groupInstanceId,
    boolean enableAutoCommit,
    Duration autoCommitInterval,
    String groupRemoteAssignor) {

  /** What to do without a valid position. */
  public enum OffsetReset { EARLIEST, LATEST, NONE }

  private static final Set<String> KEYS = Set.of("auto.offset.reset", "fetch.min.bytes", "fetch.max.bytes",
      "fetch.max.wait.ms", "max.partition.fetch.bytes", "max.poll.records", "group.id", "group.instance.id",
      "enable.auto.commit", "auto.commit.interval.ms", "group.remote.assignor");

  public static ConsumerConfig of(String bootstrapServers) {
    return from(Map.of("bootstrap.servers", bootstrapServers));
  }

  public static ConsumerConfig from(Map<String, ?> settings) {
    ConfigReader reader = new ConfigReader(settings);
    ClientConfig client = ClientConfig.read(reader);
    ConsumerConfig config = new ConsumerConfig(
        client,
        OffsetReset.valueOf(reader.choice("auto.offset.reset", "latest", Set.of("earliest", "latest", "none"))
            .toUpperCase()),
        reader.intValue("fetch.min.bytes", 1, 0, Integer.MAX_VALUE),
        reader.intValue("fetch.max.bytes", 50 * 1024 * 1024, 1, Integer.MAX_VALUE),
        Duration.ofMillis(reader.longValue("fetch.max.wait.ms", 500, 0, Integer.MAX_VALUE)),
        reader.intValue("max.partition.fetch.bytes", 1024 * 1024, 1, Integer.MAX_VALUE),
        reader.intValue("max.poll.records", 500, 1, Integer.MAX_VALUE),
        reader.string("group.id", ""),
        reader.string("group.instance.id", ""),
        reader.bool("enable.auto.commit", true),
        Duration.ofMillis(reader.longValue("auto.commit.interval.ms", 5_000, 1, Integer.MAX_VALUE)),
        reader.choice("group.remote.assignor", "uniform", Set.of("uniform", "range")));
    if (config.groupId().isEmpty() && !config.groupInstanceId().isEmpty()) {
      throw new IllegalArgumentException("group.instance.id needs a group.id");
    }
    Set<String> allowed = new HashSet<>(KEYS);
    allowed.addAll(ClientConfig.KEYS);
    reader.rejectUnknown(allowed);
    return config;
  }
}
