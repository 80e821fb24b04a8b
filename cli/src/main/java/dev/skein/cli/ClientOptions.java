package dev.skein.cli;

import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options of every command that talks to a cluster. */
final class ClientOptions {

  @Option(names = {"--bootstrap", "-b"}, paramLabel = "HOST:PORT[,HOST:PORT...]", defaultValue = "localhost:9092",
      description = "Brokers to contact first (default: ${DEFAULT-VALUE}).")
  String bootstrap;

  @Option(names = "--request-timeout-ms", paramLabel = "MS", defaultValue = "30000",
      description = "Deadline of one call to a broker (default: ${DEFAULT-VALUE}).")
  long requestTimeoutMs;

  @picocli.CommandLine.Mixin
  TlsOptions tls = new TlsOptions();

  Map<String, String> settings() {
    Map<String, String> settings = new HashMap<>();
    settings.put("bootstrap.servers", bootstrap);
    settings.put("request.timeout.ms", Long.toString(requestTimeoutMs));
    settings.putAll(tls.settings());
    return settings;
  }
}
