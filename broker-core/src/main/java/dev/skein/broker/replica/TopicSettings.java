package dev.skein.broker.replica;

import dev.skein.proto.v1.TimestampType;
import dev.skein.storage.log.LogConfig;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * The effective settings of one topic on this broker: its configs over the broker's defaults.
 *
 * @param log segment, flush, retention and size settings of the partition logs
 * @param minInsyncReplicas {@code min.insync.replicas}: replicas an acks=all write needs
 * @param timestampType {@code message.timestamp.type}: CreateTime keeps the producer's times,
 *     LogAppendTime stamps each batch with the leader's clock
 */
public record TopicSettings(LogConfig log, int minInsyncReplicas, TimestampType timestampType,
    boolean uncleanLeaderElection) {

  public static TopicSettings from(Map<String, String> topicConfigs, LogConfig logDefaults) {
    LogConfig log;
    try {
      log = LogConfig.fromMap(topicConfigs, logDefaults);
    } catch (IllegalArgumentException e) {
      // The controller validated these; a value this broker cannot use (say, from a newer
      // version's rules) must not stop it from hosting the partition.
      LoggerFactory.getLogger(TopicSettings.class).error(
          "ignoring the topic's log configs and using the broker defaults: {}", e.getMessage());
      log = logDefaults;
    }
    int minIsr = Integer.parseInt(topicConfigs.getOrDefault("min.insync.replicas", "1"));
    TimestampType type = "LogAppendTime".equalsIgnoreCase(topicConfigs.get("message.timestamp.type"))
        ? TimestampType.TIMESTAMP_TYPE_LOG_APPEND_TIME : TimestampType.TIMESTAMP_TYPE_CREATE_TIME;
    boolean unclean = Boolean.parseBoolean(topicConfigs.getOrDefault("unclean.leader.election.enable", "false"));
    return new TopicSettings(log, minIsr, type, unclean);
  }
}
