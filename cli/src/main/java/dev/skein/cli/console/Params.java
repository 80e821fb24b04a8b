package dev.skein.cli.console;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A request's query parameters, read with checks that turn bad input into a 400 naming the parameter. */
record Params(Map<String, String> values) {

  static Params parse(String rawQuery) {
    Map<String, String> out = new HashMap<>();
    if (rawQuery != null && !rawQuery.isEmpty()) {
      for (String pair : rawQuery.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String key = decode(eq < 0 ? pair : pair.substring(0, eq));
        out.putIfAbsent(key, eq < 0 ? "" : decode(pair.substring(eq + 1)));
      }
    }
    return new Params(Map.copyOf(out));
  }

  static String decode(String text) {
    try {
      return URLDecoder.decode(text, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ApiException.badParameter("malformed %-escape in the request: " + text);
    }
  }

  Optional<String> string(String name) {
    return Optional.ofNullable(values.get(name)).filter(v -> !v.isBlank()).map(String::trim);
  }

  String required(String name) {
    return string(name).orElseThrow(() -> ApiException.badParameter("missing parameter '" + name + "'"));
  }

  Optional<Long> longValue(String name, long min, long max) {
    return string(name).map(v -> {
      long parsed;
      try {
        parsed = Long.parseLong(v);
      } catch (NumberFormatException e) {
        throw ApiException.badParameter("parameter '" + name + "' must be a whole number, got '" + v + "'");
      }
      if (parsed < min || parsed > max) {
        throw ApiException.badParameter("parameter '" + name + "' must be between " + min + " and " + max
            + ", got " + parsed);
      }
      return parsed;
    });
  }

  Optional<Integer> intValue(String name, int min, int max) {
    return longValue(name, min, max).map(Long::intValue);
  }

  /** Milliseconds since the epoch, or an ISO-8601 instant such as 2026-12-05T18:00:00Z. */
  Optional<Long> timestamp(String name) {
    return string(name).map(v -> {
      if (v.chars().allMatch(Character::isDigit)) {
        return longValue(name, 0, Long.MAX_VALUE).orElseThrow();
      }
      try {
        return Instant.parse(v).toEpochMilli();
      } catch (DateTimeParseException e) {
        throw ApiException.badParameter("parameter '" + name
            + "' must be milliseconds since the epoch or an ISO-8601 time like 2026-12-05T18:00:00Z, got '" + v + "'");
      }
    });
  }

  String choice(String name, String fallback, Set<String> allowed) {
    String v = string(name).orElse(fallback);
    if (!allowed.contains(v)) {
      throw ApiException.badParameter("parameter '" + name + "' must be one of " + allowed + ", got '" + v + "'");
    }
    return v;
  }
}
