package dev.skein.broker.metrics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.skein.broker.HostPort;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's operations endpoint on the JDK's HTTP server: {@code GET /metrics} (Prometheus or
 * OpenMetrics text, by the scraper's {@code Accept}), {@code GET /loglevel?logger=NAME} and
 * {@code POST /loglevel?logger=NAME&level=LEVEL}. Anything else is a 404; a failure is a one-line
 * 500, never a stack trace.
 */
public final class MetricsHttpServer implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Logger log = LoggerFactory.getLogger(MetricsHttpServer.class);

  private final HttpServer server;
  private final ExecutorService executor;
  private final BrokerMetrics metrics;

  private MetricsHttpServer(HttpServer server, ExecutorService executor, BrokerMetrics metrics) {
    this.server = server;
    this.executor = executor;
    this.metrics = metrics;
  }

  /** Binds {@code address} and starts serving. */
  public static MetricsHttpServer start(HostPort address, BrokerMetrics metrics, int nodeId) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(address.host(), address.port()), 16);
    ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "skein-metrics-http-" + nodeId);
      t.setDaemon(true);
      return t;
    });
    MetricsHttpServer endpoint = new MetricsHttpServer(server, executor, metrics);
    server.createContext("/", endpoint::handle);
    server.setExecutor(executor);
    server.start();
    return endpoint;
  }

  /** The bound port (useful when binding port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      String method = exchange.getRequestMethod();
      switch (path) {
        case "/metrics" -> {
          if (!method.equals("GET") && !method.equals("HEAD")) {
            send(exchange, 405, "text/plain; charset=utf-8", "use GET /metrics\n");
            return;
          }
          BrokerMetrics.Scrape scrape = metrics.scrape(exchange.getRequestHeaders().getFirst("Accept"));
          send(exchange, 200, scrape.contentType(), method.equals("HEAD") ? "" : scrape.body());
        }
        case "/loglevel" -> logLevel(exchange, method);
        case "/" -> send(exchange, 200, "text/plain; charset=utf-8",
            "Skein broker operations endpoint\n  GET  /metrics\n  GET  /loglevel?logger=NAME\n"
                + "  POST /loglevel?logger=NAME&level=LEVEL\n");
        default -> send(exchange, 404, "text/plain; charset=utf-8",
            "not found: " + path + " (try /metrics or /loglevel)\n");
      }
    } catch (Exception e) {
      log.warn("metrics endpoint: {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
      try {
        send(exchange, 500, "text/plain; charset=utf-8", "internal error: " + e.getClass().getSimpleName() + "\n");
      } catch (IOException | RuntimeException ignored) {
        // the response had started, or the client left
      }
    }
  }

  private void logLevel(HttpExchange exchange, String method) throws IOException {
    Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
    try {
      LogLevels.Level level;
      if (method.equals("GET")) {
        level = LogLevels.get(query.get("logger"));
      } else if (method.equals("POST") || method.equals("PUT")) {
        if (!query.containsKey("level")) {
          throw new LogLevels.BadRequest("give a level: &level=DEBUG (one of " + LogLevels.LEVELS + " or INHERIT)");
        }
        level = LogLevels.set(query.get("logger"), query.get("level"));
        log.info("log level of {} set to {} through the metrics endpoint", level.logger(),
            level.configured().orElse("(inherited)"));
      } else {
        send(exchange, 405, "application/json", "{\"error\":\"use GET to read a level, POST to change it\"}\n");
        return;
      }
      Map<String, String> answer = new LinkedHashMap<>();
      answer.put("logger", level.logger());
      answer.put("configured", level.configured().orElse(null));
      answer.put("effective", level.effective());
      send(exchange, 200, "application/json", json(answer));
    } catch (LogLevels.BadRequest e) {
      send(exchange, 400, "application/json", json(Map.of("error", e.getMessage())));
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      try {
        String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        out.putIfAbsent(key, value);
      } catch (IllegalArgumentException malformed) {
        // a broken escape: ignore the pair, the request then lacks it and is answered 400
      }
    }
    return out;
  }

  /** One JSON object per answer, on one line. */
  static String json(Map<String, ?> fields) {
    try {
      return JSON.writeValueAsString(fields) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings always has a JSON form", e);
    }
  }

  private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdown();
  }
}
