package dev.skein.client;

import dev.skein.client.internal.ConfigReader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Settings every Skein client shares, by Kafka's names.
 *
 * @param bootstrap brokers to ask first for the cluster's metadata ({@code bootstrap.servers})
 * @param clientId a name for logs ({@code client.id})
 * @param requestTimeout deadline of one call to a broker ({@code request.timeout.ms}, default 30 s)
 * @param retryBackoff pause before retrying a retriable failure ({@code retry.backoff.ms}, default 100 ms)
 * @param metadataMaxAge refresh cached metadata at least this often ({@code metadata.max.age.ms}, default 5 min)
 * @param tls {@code security.protocol} and the {@code ssl.*} files
 * @param sasl {@code sasl.mechanism}, {@code sasl.username}, {@code sasl.password}
 */
public record ClientConfig(
    List<BrokerAddress> bootstrap,
    String clientId,
    Duration requestTimeout,
    Duration retryBackoff,
    Duration metadataMaxAge,
    ClientTls tls,
    ClientSasl sasl) {

  static final Set<String> KEYS = union(union(Set.of(
      "bootstrap.servers", "client.id", "request.timeout.ms", "retry.backoff.ms", "metadata.max.age.ms"),
      ClientTls.KEYS), ClientSasl.KEYS);

  public ClientConfig {
    bootstrap = List.copyOf(bootstrap);
    if (bootstrap.isEmpty()) {
      throw new IllegalArgumentException("bootstrap.servers must name at least one broker");
    }
    java.util.Objects.requireNonNull(tls, "tls");
    java.util.Objects.requireNonNull(sasl, "sasl");
  }

  public static ClientConfig of(String bootstrapServers) {
    return from(Map.of("bootstrap.servers", bootstrapServers));
  }

  public static ClientConfig from(Map<String, ?> settings) {
    return read(new ConfigReader(settings));
  }

  static ClientConfig read(ConfigReader reader) {
    return new ClientConfig(
        BrokerAddress.parseList(reader.string("bootstrap.servers", "localhost:9092")),
        reader.string("client.id", "skein-client"),
        Duration.ofMillis(reader.longValue("request.timeout.ms", 30_000, 1, Integer.MAX_VALUE)),
        Duration.ofMillis(reader.longValue("retry.backoff.ms", 100, 0, Integer.MAX_VALUE)),
        Duration.ofMillis(reader.longValue("metadata.max.age.ms", 300_000, 0, Long.MAX_VALUE)),
        ClientTls.read(reader),
        ClientSasl.read(reader, ClientTls.protocol(reader)));
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new java.util.HashSet<>(a);
    all.addAll(b);
    return Set.copyOf(all);
  }
}
