package dev.skein.metadata;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One voting member of the metadata quorum: a node id and the address of its Raft endpoint.
 * The voters are given to every broker as {@code --quorum-voters 1@host:port,2@host:port,...}
 * (KRaft's {@code controller.quorum.voters}).
 */
public record QuorumVoter(int id, String host, int port) {

  public QuorumVoter {
    Objects.requireNonNull(host, "host");
    if (id < 0) {
      throw new IllegalArgumentException("voter id " + id + " is negative");
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException("voter " + id + " has no host");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("voter " + id + " port " + port + " is not between 1 and 65535");
    }
  }

  /** host:port, with IPv6 hosts in brackets. */
  public String address() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return id + "@" + address();
  }

  /**
   * Parses {@code id@host:port[,id@host:port...]}; IPv6 hosts go in brackets ({@code 1@[::1]:9093}).
   *
   * @throws IllegalArgumentException naming the entry at fault and what is wrong with it
   */
  public static List<QuorumVoter> parseList(String voters) {
    if (voters == null || voters.isBlank()) {
      throw new IllegalArgumentException("the quorum voters list is empty; expected id@host:port[,id@host:port...]");
    }
    List<QuorumVoter> parsed = new ArrayList<>();
    Set<Integer> ids = new HashSet<>();
    Map<String, Integer> addresses = new HashMap<>();
    for (String entry : voters.split(",", -1)) {
      QuorumVoter voter = parse(entry.trim());
      if (!ids.add(voter.id())) {
        throw new IllegalArgumentException("voter id " + voter.id() + " is listed twice in '" + voters + "'");
      }
      Integer other = addresses.put(voter.address(), voter.id());
      if (other != null) {
        throw new IllegalArgumentException("voters " + other + " and " + voter.id() + " have the same address "
            + voter.address());
      }
      parsed.add(voter);
    }
    return List.copyOf(parsed);
  }

  /** Parses one {@code id@host:port}. */
  public static QuorumVoter parse(String entry) {
    String expected = "; expected id@host:port, for example 1@broker-1:9093";
    if (entry.isEmpty()) {
      throw new IllegalArgumentException("empty voter entry" + expected);
    }
    int at = entry.indexOf('@');
    if (at < 0) {
      throw new IllegalArgumentException("voter '" + entry + "' has no '@'" + expected);
    }
    int id;
    try {
      id = Integer.parseInt(entry.substring(0, at).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("voter '" + entry + "': id '" + entry.substring(0, at) + "' is not a number"
          + expected);
    }
    if (id < 0) {
      throw new IllegalArgumentException("voter '" + entry + "': id " + id + " is negative");
    }
    String address = entry.substring(at + 1).trim();
    int colon = address.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("voter '" + entry + "' has no port" + expected);
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new IllegalArgumentException("voter '" + entry + "': put an IPv6 address in brackets, as in 1@[::1]:9093");
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException("voter '" + entry + "' has no host" + expected);
    }
    int port;
    try {
      port = Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("voter '" + entry + "': port '" + address.substring(colon + 1)
          + "' is not a number between 1 and 65535");
    }
    return new QuorumVoter(id, host, port);
  }
}
