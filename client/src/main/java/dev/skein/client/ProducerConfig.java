package dev.skein.client;

import dev.skein.client.internal.ConfigReader;
import dev.skein.proto.v1.Acks;
import dev.skein.proto.v1.Compression;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Producer settings, by Kafka's names and with Kafka's defaults.
 *
 * @param acks {@code acks}: 0, 1 or all (default all)
 * @param linger {@code linger.ms}: how long a batch waits for more records (default 5 ms)
 * @param batchSize {@code batch.size}: bytes per partition batch before it is sent (default 16384)
 * @param bufferMemory {@code buffer.memory}: bytes of unsent records before send() blocks (default 32 MiB)
 * @param maxBlock {@code max.block.ms}: how long send() may block for buffer space or metadata (default 60 s)
 * @param maxRequestSize {@code max.request.size}: largest record the producer accepts (default 1 MiB)
 * @param compression {@code compression.type}: none, gzip, snappy, lz4 or zstd (default none)
 * @param deliveryTimeout {@code delivery.timeout.ms}: give up on a record after this long, retries included (default 120 s)
 * @param idempotence {@code enable.idempotence}: number batches so a retry is stored only once (default true;
 *     off when acks is set to 0 or 1 without asking for it, as Kafka does)
 * @param maxInFlight {@code max.in.flight.requests.per.connection}: unanswered requests per broker (default 5);
 *     with idempotence up to this many batches per partition are in flight and order is still kept
 */
public record ProducerConfig(
    ClientConfig client,
    Acks acks,
    Duration linger,
    int batchSize,
    long bufferMemory,
    Duration maxBlock,
    int maxRequestSize,
    Compression compression,
    Duration deliveryTimeout,
    boolean idempotence,
    int maxInFlight) {

  private static final Set<String> KEYS = Set.of("acks", "linger.ms", "batch.size", "buffer.memory", "max.block.ms",
      "max.request.size", "compression.type", "delivery.timeout.ms", "enable.idempotence",
      "max.in.flight.requests.per.connection");

  public static ProducerConfig of(String bootstrapServers) {
    return from(Map.of("bootstrap.servers", bootstrapServers));
  }

  public static ProducerConfig from(Map<String, ?> settings) {
    ConfigReader reader = new ConfigReader(settings);
    ClientConfig client = ClientConfig.read(reader);
    Acks acks = parseAcks(reader.choice("acks", "all", Set.of("0", "1", "all", "-1")));
    boolean idempotenceAsked = settings.containsKey("enable.idempotence");
    boolean idempotence = reader.bool("enable.idempotence", true);
    if (idempotence && acks != Acks.ACKS_ALL) {
      if (idempotenceAsked) {
        throw new IllegalArgumentException("enable.idempotence=true needs acks=all");
      }
      idempotence = false;
    }
    int maxInFlight = reader.intValue("max.in.flight.requests.per.connection", 5, 1, 100);
    if (idempotence && maxInFlight > 5) {
      throw new IllegalArgumentException("max.in.flight.requests.per.connection must be at most 5 with "
          + "enable.idempotence=true (the broker remembers the last 5 batches of each producer), got " + maxInFlight);
    }
    ProducerConfig config = new ProducerConfig(
        client,
        acks,
        Duration.ofMillis(reader.longValue("linger.ms", 5, 0, Integer.MAX_VALUE)),
        reader.intValue("batch.size", 16_384, 1, Integer.MAX_VALUE),
        reader.longValue("buffer.memory", 32L * 1024 * 1024, 1024, Long.MAX_VALUE),
        Duration.ofMillis(reader.longValue("max.block.ms", 60_000, 0, Long.MAX_VALUE)),
        reader.intValue("max.request.size", 1024 * 1024, 1, Integer.MAX_VALUE),
        parseCompression(reader.choice("compression.type", "none", Set.of("none", "gzip", "snappy", "lz4", "zstd"))),
        Duration.ofMillis(reader.longValue("delivery.timeout.ms", 120_000, 1, Integer.MAX_VALUE)),
        idempotence,
        maxInFlight);
    Set<String> allowed = new HashSet<>(KEYS);
    allowed.addAll(ClientConfig.KEYS);
    reader.rejectUnknown(allowed);
    return config;
  }

  private static Acks parseAcks(String text) {
    return switch (text) {
      case "0" -> Acks.ACKS_NONE;
      case "1" -> Acks.ACKS_LEADER;
      default -> Acks.ACKS_ALL;
    };
  }

  private static Compression parseCompression(String text) {
    return switch (text) {
      case "gzip" -> Compression.COMPRESSION_GZIP;
      case "snappy" -> Compression.COMPRESSION_SNAPPY;
      case "lz4" -> Compression.COMPRESSION_LZ4;
      case "zstd" -> Compression.COMPRESSION_ZSTD;
      default -> Compression.COMPRESSION_NONE;
    };
  }
}
