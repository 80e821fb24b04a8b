package dev.skein.cli.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.broker.HostPort;
import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.group.GroupConfig;
import dev.skein.client.Header;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's HTTP API against a live one-broker cluster: good answers, and for bad input
 * (unknown topic or partition, offset out of range, malformed parameters, writes while they are
 * off) a status and a JSON {@code {"error", "reason"}} with no stack trace.
 */
class ConsoleApiTest {

  @TempDir
  static Path dir;
  static TestCluster cluster;
  static ConsoleServer readOnly;
  static ConsoleServer writable;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws IOException {
    cluster = TestCluster.start(dir, 1, GroupConfig.DEFAULT.withOffsetsTopic(2, 1));
    cluster.admin().createTopic(NewTopic.of("api-orders", 2, 1));
    SkeinProducer producer = cluster.producer(Map.of());
    for (int i = 0; i < 5; i++) {
      producer.send(new ProducerRecord("api-orders", 0, ("k" + i).getBytes(StandardCharsets.UTF_8),
          ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8), null,
          List.of(new Header("source", "test".getBytes(StandardCharsets.UTF_8)))));
    }
    producer.send(new ProducerRecord("api-orders", 0, null, new byte[] {(byte) 0xff, 0x00, 0x7f}, null, List.of()));
    producer.flush();
    HostPort any = new HostPort("localhost", 0);
    readOnly = ConsoleServer.start(any, cluster.bootstrap(), false, 1);
    writable = ConsoleServer.start(any, cluster.bootstrap(), true, 1);
  }

  @AfterAll
  static void stop() {
    if (readOnly != null) {
      readOnly.close();
    }
    if (writable != null) {
      writable.close();
    }
    cluster.close();
  }

  record Answer(int status, String body, String contentType) {}

  static Answer call(ConsoleServer console, String method, String path, boolean withHeader) {
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + console.port() + path))
          .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.noBody());
      if (withHeader) {
        request.header(ConsoleServer.WRITE_HEADER, "1");
      }
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(response.statusCode(), response.body(),
          response.headers().firstValue("Content-Type").orElse(""));
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** GET over a plain socket, for request lines no HTTP client library would send. */
  static Answer rawGet(String path) {
    try (java.net.Socket socket = new java.net.Socket("localhost", readOnly.port())) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int status = Integer.parseInt(response.substring(9, 12));
      String head = response.substring(0, response.indexOf("\r\n\r\n"));
      String type = head.lines().filter(l -> l.toLowerCase(java.util.Locale.ROOT).startsWith("content-type:"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("");
      return new Answer(status, response.substring(head.length() + 4), type);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static Answer get(String path) {
    return call(readOnly, "GET", path, false);
  }

  /** A clear JSON error: the status, the reason, a sentence, and nothing of the server's insides. */
  static void assertError(Answer answer, int status, String reason, String mentions) {
    assertThat(answer.status()).as(answer.body()).isEqualTo(status);
    assertThat(answer.contentType()).startsWith("application/json");
    assertThat(answer.body()).startsWith("{\"error\":\"").contains("\"reason\":\"" + reason + "\"").contains(mentions);
    assertThat(answer.body()).doesNotContain("Exception", "\tat ", "dev.skein.", "java.");
  }

  @Test
  void readsTheClusterTopicsAndRecords() {
    Answer cluster = get("/api/cluster");
    assertThat(cluster.status()).as(cluster.body()).isEqualTo(200);
    assertThat(cluster.body()).contains("\"brokers\":[{\"id\":1,").contains("\"state\":\"RUNNING\"")
        .contains("\"quorum\":{\"leaderId\":1,");

    Answer topics = get("/api/topics");
    assertThat(topics.body()).contains("{\"name\":\"api-orders\",").contains("\"partitions\":2,");

    Answer topic = get("/api/topics/api-orders");
    assertThat(topic.status()).isEqualTo(200);
    assertThat(topic.body()).contains("{\"partition\":0,\"leader\":1,").contains("\"isr\":[1]")
        .contains("\"startOffset\":0,\"endOffset\":6,\"records\":6").contains("{\"name\":\"retention.ms\",");
    // Size on disk: the leader's, and each replica's, as the broker reports its own log.
    long stored = ConsoleApiTest.cluster.admin().describeLogDirs(List.of("api-orders"), List.of()).get(0)
        .replica(new TopicPartition("api-orders", 0)).orElseThrow().sizeBytes();
    assertThat(stored).isPositive();
    assertThat(topic.body()).contains("\"records\":6,\"sizeBytes\":" + stored
        + ",\"replicaSizes\":[{\"broker\":1,\"sizeBytes\":" + stored + ",\"segments\":1}]")
        .contains("\"records\":0,\"sizeBytes\":0,\"replicaSizes\":[{\"broker\":1,\"sizeBytes\":0,");

    Answer records = get("/api/topics/api-orders/partitions/0/records?offset=4&limit=10");
    assertThat(records.status()).as(records.body()).isEqualTo(200);
    assertThat(records.body()).contains("\"from\":4,").contains("\"offset\":4,")
        .contains("\"key\":{\"size\":2,\"text\":\"k4\",\"utf8\":true,\"hex\":\"6b34\"")
        .contains("\"value\":{\"size\":7,\"text\":\"{\\\"n\\\":4}\"")
        .contains("\"headers\":[{\"key\":\"source\",\"value\":{\"size\":4,\"text\":\"test\"")
        .contains("\"offset\":5,").contains("\"key\":null").contains("\"utf8\":false,\"hex\":\"ff007f\"")
        .doesNotContain("\"offset\":3,");

    // By default the newest records; from a timestamp in the future, none.
    assertThat(get("/api/topics/api-orders/partitions/0/records?limit=2").body()).contains("\"from\":4,");
    assertThat(get("/api/topics/api-orders/partitions/0/records?timestamp=2100-01-01T00:00:00Z").body())
        .contains("\"from\":6,").contains("\"records\":[]");
    assertThat(get("/api/topics/api-orders/partitions/0/records?timestamp=0").body()).contains("\"from\":0,");
  }

  @Test
  void unknownTopicOrPartitionIsA404() {
    assertError(get("/api/topics/no-such-topic"), 404, "UNKNOWN_TOPIC", "no-such-topic");
    assertError(get("/api/topics/no-such-topic/partitions/0/records"), 404, "UNKNOWN_TOPIC", "no-such-topic");
    assertError(get("/api/topics/api-orders/partitions/7/records"), 404, "UNKNOWN_PARTITION", "0 to 1");
    assertError(get("/api/nothing-here"), 404, "NOT_FOUND", "/api/nothing-here");
    Answer page = get("/etc/passwd");
    assertThat(page.status()).isEqualTo(404);
  }

  @Test
  void offsetOutOfRangeIsA400() {
    assertError(get("/api/topics/api-orders/partitions/0/records?offset=7"), 400, "OFFSET_OUT_OF_RANGE",
        "offsets 0 to 5");
    assertError(get("/api/topics/api-orders/partitions/0/records?offset=-1"), 400, "OFFSET_OUT_OF_RANGE",
        "offset -1");
    // The end itself is in range: nothing there yet.
    assertThat(get("/api/topics/api-orders/partitions/0/records?offset=6").body()).contains("\"records\":[]");
  }

  @Test
  void malformedParametersAreA400() {
    assertError(get("/api/topics/api-orders/partitions/zero/records"), 400, "BAD_PARAMETER", "zero");
    assertError(get("/api/topics/api-orders/partitions/0/records?offset=abc"), 400, "BAD_PARAMETER", "'offset'");
    assertError(get("/api/topics/api-orders/partitions/0/records?limit=0"), 400, "BAD_PARAMETER", "'limit'");
    assertError(get("/api/topics/api-orders/partitions/0/records?limit=100000"), 400, "BAD_PARAMETER", "500");
    assertError(get("/api/topics/api-orders/partitions/0/records?timestamp=yesterday"), 400, "BAD_PARAMETER",
        "ISO-8601");
    assertError(get("/api/topics/api-orders/partitions/0/records?offset=1&timestamp=5"), 400, "BAD_PARAMETER",
        "not both");
    // A broken %-escape: sent as raw bytes (Java's HTTP client refuses to build such a URI). The JDK's
    // HTTP server answers it before any handler runs, with its own one-line page ("400 Bad Request,
    // URISyntaxException thrown"): not the console's JSON, but a 400 and no stack trace.
    Answer broken = rawGet("/api/topics/api-orders/partitions/0/records?limit=%zz");
    assertThat(broken.status()).isEqualTo(400);
    assertThat(broken.body()).contains("400 Bad Request").doesNotContain("\tat ", "java.", "dev.skein.");
    assertError(call(readOnly, "POST", "/api/cluster", true), 405, "METHOD_NOT_ALLOWED", "GET");
  }

  @Test
  void writesAreRefusedWhenTheFlagIsOff() {
    assertError(call(readOnly, "POST", "/api/topics?name=made-here&partitions=1", true), 403, "WRITES_DISABLED",
        "--console-writes");
    assertError(call(readOnly, "DELETE", "/api/topics/api-orders", true), 403, "WRITES_DISABLED",
        "--console-writes");
    assertError(call(readOnly, "POST", "/api/groups/g/reset-offsets?topic=api-orders&to=earliest", true), 403,
        "WRITES_DISABLED", "read-only");
    assertThat(get("/api/topics").body()).doesNotContain("made-here").contains("api-orders");
    assertThat(get("/api/settings").body()).isEqualTo("{\"nodeId\":1,\"writes\":false}\n");
  }

  @Test
  void writesWhenEnabledAndTheirBadInput() {
    // Without the console's header a write is refused even when enabled: a form on another site cannot send it.
    assertError(call(writable, "POST", "/api/topics?name=made-here", false), 403, "MISSING_HEADER",
        ConsoleServer.WRITE_HEADER);
    assertError(call(writable, "POST", "/api/topics", true), 400, "BAD_PARAMETER", "'name'");
    assertError(call(writable, "POST", "/api/topics?name=made-here&partitions=many", true), 400, "BAD_PARAMETER",
        "'partitions'");

    Answer created = call(writable, "POST", "/api/topics?name=made-here&partitions=2&replicationFactor=1", true);
    assertThat(created.status()).as(created.body()).isEqualTo(200);
    assertThat(created.body()).contains("\"created\":\"made-here\"").contains("\"partitions\":2");
    assertError(call(writable, "POST", "/api/topics?name=made-here", true), 409, "TOPIC_ALREADY_EXISTS",
        "made-here");

    assertError(call(writable, "POST", "/api/groups/nobody/reset-offsets?topic=api-orders&to=sideways", true), 400,
        "BAD_PARAMETER", "'to'");
    assertError(call(writable, "POST", "/api/groups/nobody/reset-offsets?topic=gone&to=earliest", true), 404,
        "UNKNOWN_TOPIC", "gone");
    Answer reset = call(writable, "POST", "/api/groups/resetters/reset-offsets?topic=api-orders&to=offset&offset=3",
        true);
    assertThat(reset.status()).as(reset.body()).isEqualTo(200);
    assertThat(reset.body()).contains("\"api-orders-0\":3").contains("\"api-orders-1\":0");
    assertThat(get("/api/groups/resetters").body()).contains("\"lag\":3,");

    Answer deleted = call(writable, "DELETE", "/api/topics/made-here", true);
    assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
    assertError(call(writable, "DELETE", "/api/topics/made-here", true), 404, "UNKNOWN_TOPIC", "made-here");
  }

  @Test
  void pageAndAssetsComeFromTheBrokerAlone() {
    Answer page = get("/");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.contentType()).startsWith("text/html");
    for (String asset : List.of("/", "/console.js", "/console.css")) {
      Answer a = get(asset);
      assertThat(a.status()).isEqualTo(200);
      // Works without internet access: nothing is loaded from another host.
      assertThat(a.body()).doesNotContain("http://", "https://", "//cdn");
    }
  }
}
