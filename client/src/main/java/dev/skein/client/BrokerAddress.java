package dev.skein.client;

import java.util.ArrayList;
import java.util.List;

/** A host and port where a broker's gRPC service listens. */
public record BrokerAddress(String host, int port) {

  public static final int DEFAULT_PORT = 9092;

  public BrokerAddress {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("broker host must not be empty");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("broker port must be 1-65535, got " + port);
    }
  }

  /** Parses {@code host:port}, {@code host} (port 9092) or {@code [v6addr]:port}. */
  public static BrokerAddress parse(String text) {
    String s = text.trim();
    if (s.isEmpty()) {
      throw new IllegalArgumentException("empty broker address");
    }
    String host;
    String portText = null;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("bad broker address '" + text + "': missing ']'");
      }
      host = s.substring(1, close);
      if (close + 1 < s.length()) {
        if (s.charAt(close + 1) != ':') {
          throw new IllegalArgumentException("bad broker address '" + text + "'");
        }
        portText = s.substring(close + 2);
      }
    } else {
      int colon = s.lastIndexOf(':');
      if (colon >= 0) {
        host = s.substring(0, colon);
        portText = s.substring(colon + 1);
      } else {
        host = s;
      }
    }
    int port = DEFAULT_PORT;
    if (portText != null) {
      try {
        port = Integer.parseInt(portText);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad port in broker address '" + text + "'");
      }
    }
    return new BrokerAddress(host, port);
  }

  /** Parses a comma-separated list such as {@code localhost:9092,localhost:9094}. */
  public static List<BrokerAddress> parseList(String text) {
    List<BrokerAddress> addresses = new ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        addresses.add(parse(part));
      }
    }
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("no broker addresses in '" + text + "'");
    }
    return List.copyOf(addresses);
  }

  @Override
  public String toString() {
    return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
  }
}
