package dev.skein.broker.metrics;

import dev.skein.broker.HostPort;
import java.util.Optional;

/**
 * The broker's metrics endpoint.
 *
 * @param listen where the HTTP endpoint ({@code /metrics}, {@code /loglevel}) binds; empty for none (the
 *     meters are still kept, for tests and embedders that read the registry directly)
 * @param partitionLevel whether series per partition (log size, offsets, follower lag, group lag per
 *     partition) are exported; off for brokers with very many partitions
 */
public record MetricsConfig(Optional<HostPort> listen, boolean partitionLevel) {

  /** The command line's default port. */
  public static final int DEFAULT_PORT = 9644;

  /** No endpoint, partition-level series on: the default for brokers embedded in a JVM (tests). */
  public static final MetricsConfig NO_ENDPOINT = new MetricsConfig(Optional.empty(), true);

  public MetricsConfig {
    listen = listen == null ? Optional.empty() : listen;
  }

  public static MetricsConfig listenOn(HostPort address, boolean partitionLevel) {
    return new MetricsConfig(Optional.of(address), partitionLevel);
  }
}
