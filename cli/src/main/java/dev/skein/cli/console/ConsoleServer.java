package dev.skein.cli.console;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.skein.broker.HostPort;
import dev.skein.client.ClientConfig;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web console of one broker, on the JDK's HTTP server (as the metrics endpoint): the page
 * and its script and style from the class path, the JSON API under {@code /api/}, and the live
 * stream at {@code /api/events}. It reads the cluster through the Java client pointed at its own
 * broker, the way the CLI does, so it shows what any client would see and needs no broker
 * internals. Every error is a JSON {@code {"error", "reason"}}, never a stack trace.
 */
public final class ConsoleServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ConsoleServer.class);
  /** The only files served besides the API; anything else is a 404, so no path reaches the class path. */
  /** How often pages get a fresh summary over server-sent events. */
  public static final Duration LIVE_INTERVAL = Duration.ofSeconds(2);

  private static final Map<String, String> ASSETS = Map.of(
      "index.html", "text/html; charset=utf-8",
      "console.js", "text/javascript; charset=utf-8",
      "console.css", "text/css; charset=utf-8");
  /** Request threads; live streams may hold at most half of them, so the API always has some. */
  private static final int THREADS = 16;
  /** Write requests must carry this header: a cross-site form cannot set it, so it cannot trigger a write. */
  static final String WRITE_HEADER = "X-Skein-Console";

  private final HttpServer server;
  private final ExecutorService executor;
  private final SkeinAdmin admin;
  private final ConsoleApi api;
  private final LiveUpdates live;

  private ConsoleServer(HttpServer server, ExecutorService executor, SkeinAdmin admin, ConsoleApi api,
      LiveUpdates live) {
    this.server = server;
    this.executor = executor;
    this.admin = admin;
    this.api = api;
    this.live = live;
  }

  /**
   * Binds {@code address} and serves the console of the cluster reached at {@code bootstrap}
   * (the broker's own advertised address). {@code writes} enables creating and deleting topics
   * and resetting group offsets.
   */
  public static ConsoleServer start(HostPort address, String bootstrap, boolean writes, int nodeId,
      Duration liveInterval) throws IOException {
    return start(address, Map.of("bootstrap.servers", bootstrap), writes, nodeId, liveInterval);
  }

  /**
   * As above, with the client settings the console connects with: {@code bootstrap.servers}
   * and, for a TLS cluster, {@code security.protocol} and the {@code ssl.*} files.
   */
  public static ConsoleServer start(HostPort address, Map<String, String> clientSettings, boolean writes, int nodeId,
      Duration liveInterval) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(address.host(), address.port()), 32);
    ExecutorService executor = Executors.newFixedThreadPool(THREADS, r -> {
      Thread t = new Thread(r, "skein-console-http-" + nodeId);
      t.setDaemon(true);
      return t;
    });
    // A short request timeout: a page waiting 30 s for an unreachable leader helps nobody.
    Map<String, String> adminSettings = new HashMap<>(clientSettings);
    adminSettings.put("client.id", "skein-console-" + nodeId);
    adminSettings.put("request.timeout.ms", "5000");
    SkeinAdmin admin = SkeinAdmin.create(ClientConfig.from(adminSettings));
    ConsoleApi api = new ConsoleApi(admin, new RecordBrowser(admin, clientSettings), writes, nodeId);
    LiveUpdates live = new LiveUpdates(api::summary, liveInterval, THREADS / 2, nodeId);
    ConsoleServer console = new ConsoleServer(server, executor, admin, api, live);
    server.createContext("/", console::handle);
    server.setExecutor(executor);
    server.start();
    return console;
  }

  public static ConsoleServer start(HostPort address, String bootstrap, boolean writes, int nodeId)
      throws IOException {
    return start(address, bootstrap, writes, nodeId, LIVE_INTERVAL);
  }

  /** The bound port (useful when binding port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) {
    try (exchange) {
      String path = exchange.getRequestURI().getRawPath();
      if (path.equals("/api/events")) {
        events(exchange);
      } else if (path.startsWith("/api/")) {
        api(exchange, path);
      } else {
        asset(exchange, path.equals("/") ? "index.html" : path.substring(1));
      }
    } catch (IOException e) {
      // The client left mid-answer.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void api(HttpExchange exchange, String rawPath) throws IOException {
    int status;
    Object body;
    try {
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && exchange.getRequestHeaders().getFirst(WRITE_HEADER) == null) {
        throw new ApiException(403, "MISSING_HEADER", "write requests must carry the header " + WRITE_HEADER
            + ": 1 (the console's page sends it; a form on another site cannot)");
      }
      List<String> segments = new ArrayList<>();
      for (String s : rawPath.substring("/api/".length()).split("/")) {
        if (!s.isEmpty()) {
          segments.add(Params.decode(s));
        }
      }
      body = api.handle(method, segments, Params.parse(exchange.getRequestURI().getRawQuery()));
      status = 200;
    } catch (ApiException e) {
      status = e.status();
      body = errorBody(e);
    } catch (SkeinException e) {
      status = statusOf(e);
      body = errorBody(e);
    } catch (RuntimeException e) {
      log.warn("console: {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
      status = 500;
      body = errorBody(e);
    }
    send(exchange, status, "application/json", JsonText.write(body) + "\n");
  }

  /** {@code {"error": sentence, "reason": CODE}} for any failure; never the stack. */
  static Map<String, Object> errorBody(RuntimeException e) {
    if (e instanceof ApiException a) {
      return ConsoleApi.map("error", a.getMessage(), "reason", a.reason());
    }
    if (e instanceof SkeinException s) {
      String reason = s.reason().map(Enum::name).orElse(s.code().name());
      String message = s.error().map(err -> err.message()).orElse(s.getMessage());
      return ConsoleApi.map("error", message, "reason", reason);
    }
    return ConsoleApi.map("error", "internal error in the console (" + e.getClass().getSimpleName()
        + "); the broker's log has the details", "reason", "INTERNAL");
  }

  /** The HTTP status for a broker's refusal, from its gRPC code. */
  static int statusOf(SkeinException e) {
    return switch (e.code()) {
      case NOT_FOUND -> 404;
      case INVALID_ARGUMENT, OUT_OF_RANGE -> 400;
      case ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED -> 409;
      case PERMISSION_DENIED -> 403;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED -> 503;
      default -> 502;
    };
  }

  private void events(HttpExchange exchange) throws IOException, InterruptedException {
    if (!exchange.getRequestMethod().equals("GET")) {
      send(exchange, 405, "application/json",
          JsonText.write(ConsoleApi.map("error", "use GET here", "reason", "METHOD_NOT_ALLOWED")) + "\n");
      return;
    }
    if (!live.hasRoom()) {
      send(exchange, 503, "application/json", JsonText.write(ConsoleApi.map("error",
          "too many open live views on this broker; close some pages", "reason", "TOO_MANY_STREAMS")) + "\n");
      return;
    }
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
    exchange.sendResponseHeaders(200, 0);
    try (OutputStream out = exchange.getResponseBody()) {
      live.stream(out);
    }
  }

  private void asset(HttpExchange exchange, String name) throws IOException {
    String type = ASSETS.get(name);
    if (type == null || !exchange.getRequestMethod().equals("GET")) {
      send(exchange, 404, "text/plain; charset=utf-8", "not found: /" + name + "\n");
      return;
    }
    byte[] bytes;
    try (InputStream in = ConsoleServer.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("console asset missing from the class path: " + name);
      }
      bytes = in.readAllBytes();
    }
    exchange.getResponseHeaders().set("Content-Type", type);
    // Everything the page loads comes from this server; nothing from the internet.
    exchange.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
    exchange.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    live.close();
    server.stop(0);
    executor.shutdownNow();
    admin.close();
  }
}
