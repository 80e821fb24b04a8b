package dev.skein.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.TopicDescription;
import dev.skein.proto.v1.PartitionProduceResult;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.storage.log.BatchLayout;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scrapes the /metrics endpoints of live in-JVM clusters over HTTP and checks that the numbers an
 * operator watches move as they should.
 */
class MetricsTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void threeBrokerClusterReportsHealthRequestsAndBytes(@TempDir Path dir) throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      SkeinAdmin admin = cluster.admin();

      // One active controller in the cluster, and each broker says whether it is the Raft leader.
      await().atMost(WAIT).untilAsserted(() ->
          assertThat(Scrape.sumOverBrokers(cluster, "skein_controller_active")).isEqualTo(1.0));
      assertThat(Scrape.sumOverBrokers(cluster, "skein_raft_leader")).isEqualTo(1.0);
      int controller = cluster.controllerId();
      assertThat(Scrape.of(cluster, controller).sum("skein_controller_active")).isEqualTo(1.0);
      assertThat(Scrape.of(cluster, controller).sum("skein_controller_registered_brokers")).isEqualTo(3.0);
      assertThat(Scrape.of(cluster, controller).sum("skein_raft_term")).isPositive();

      TopicDescription topic = admin.createTopic(NewTopic.of("metered", 3, 3));
      RawCalls.awaitLeadersServing(cluster, dev.skein.proto.v1.TopicMetadata.newBuilder().setName("metered")
          .addAllPartitions(topic.partitions().stream().map(p -> dev.skein.proto.v1.PartitionMetadata.newBuilder()
              .setPartition(p.partition()).setLeaderId(p.leader()).build()).toList()).build());
      await().atMost(WAIT).untilAsserted(() ->
          assertThat(Scrape.sumOverBrokers(cluster, "skein_partitions_leader")).isGreaterThanOrEqualTo(3.0));
      assertThat(Scrape.sumOverBrokers(cluster, "skein_partitions_under_replicated")).isZero();

      // Produce bytes and records grow by exactly what is sent; every request is in the histograms.
      int leader = topic.partitions().get(0).leader();
      Scrape before = Scrape.of(cluster, leader);
      int requests = 7;
      long expectedBytes = 0;
      for (int i = 0; i < requests; i++) {
        RecordBatch batch = RawCalls.batch(5, 100 + i);
        expectedBytes += BatchLayout.entrySize(batch.getRecords().size());
        List<PartitionProduceResult> results = RawCalls.produce(cluster.channel(leader), "metered", 0, batch);
        assertThat(results.get(0).hasError()).as("produce result %s", results).isFalse();
      }
      Scrape after = Scrape.of(cluster, leader);
      Files.writeString(Path.of("target", "metrics-sample.txt"), after.body());
      assertThat(after.sum("skein_produce_bytes_total", "topic", "metered")
          - before.sum("skein_produce_bytes_total", "topic", "metered")).isEqualTo((double) expectedBytes);
      assertThat(after.sum("skein_produce_records_total", "topic", "metered")
          - before.sum("skein_produce_records_total", "topic", "metered")).isEqualTo(requests * 5.0);
      String[] produce = {"service", "skein.v1.ProducerService", "method", "Produce"};
      assertThat(after.sum("skein_rpc_server_duration_seconds_count", produce)
          - before.sum("skein_rpc_server_duration_seconds_count", produce)).isEqualTo(requests);
      assertThat(after.sum("skein_rpc_server_duration_seconds_bucket", append(produce, "le", "+Inf"))
          - before.sum("skein_rpc_server_duration_seconds_bucket", append(produce, "le", "+Inf")))
          .isEqualTo(requests);
      assertThat(after.sum("skein_produce_request_duration_seconds_count", "acks", "all")
          - before.sum("skein_produce_request_duration_seconds_count", "acks", "all")).isEqualTo(requests);
      assertThat(after.sum("skein_delayed_produce_total") - before.sum("skein_delayed_produce_total"))
          .isBetween(0.0, (double) requests);
      // Per-partition series are on by default.
      assertThat(after.sum("skein_log_end_offset", "topic", "metered", "partition", "0"))
          .isEqualTo(requests * 5.0);
      assertThat(after.sum("skein_log_size_bytes", "topic", "metered", "partition", "0"))
          .isEqualTo((double) expectedBytes);
      assertThat(after.has("jvm_memory_used_bytes")).isTrue();
      assertThat(after.has("process_uptime_seconds")).isTrue();
      assertThat(after.has("jvm_threads_live_threads")).isTrue();
      assertThat(after.has("process_cpu_time_ns_total")).isTrue();
      assertThat(after.has("process_files_open_files")).isTrue();
      // The binders' meters that cost most per scrape are not there (BrokerMetrics.DENIED_BINDER_METERS).
      assertThat(after.has("jvm_threads_states_threads")).isFalse();
      assertThat(after.has("process_cpu_usage")).isFalse();
      assertThat(after.has("system_cpu_usage")).isFalse();

      // A call that fails with a Skein error is counted under its reason.
      Scrape beforeError = Scrape.of(cluster, leader);
      List<PartitionProduceResult> refused = RawCalls.produce(cluster.channel(leader), "no-such-topic", 0,
          RawCalls.batchOf("x"));
      assertThat(refused.get(0).hasError()).isTrue();
      assertThat(Scrape.of(cluster, leader).sum("skein_rpc_server_duration_seconds_count", produce)
          - beforeError.sum("skein_rpc_server_duration_seconds_count", produce)).isEqualTo(1);
      assertThat(Scrape.of(cluster, leader).sum("skein_partition_errors_total", "api", "produce",
          "reason", "UNKNOWN_TOPIC")).isEqualTo(1.0);
      try {
        dev.skein.proto.v1.AdminServiceGrpc.newBlockingStub(cluster.channel(leader)).deleteTopic(
            dev.skein.proto.v1.DeleteTopicRequest.newBuilder().setName("no-such-topic").build());
      } catch (io.grpc.StatusRuntimeException expected) {
        // counted below
      }
      assertThat(Scrape.of(cluster, leader).sum("skein_rpc_server_errors_total", "method", "DeleteTopic",
          "reason", "UNKNOWN_TOPIC")).isEqualTo(1.0);

      // Fetch bytes and records: a consumer reads all 35 records once.
      SkeinConsumer consumer = cluster.consumer(Map.of("auto.offset.reset", "earliest"));
      consumer.assign(List.of(new dev.skein.client.TopicPartition("metered", 0)));
      int[] read = {0};
      await().atMost(WAIT).until(() -> {
        read[0] += consumer.poll(Duration.ofMillis(200)).size();
        return read[0] >= requests * 5;
      });
      await().atMost(WAIT).untilAsserted(() -> assertThat(Scrape.of(cluster, leader)
          .sum("skein_fetch_records_total", "topic", "metered")).isEqualTo(requests * 5.0));
      assertThat(Scrape.of(cluster, leader).sum("skein_fetch_bytes_total", "topic", "metered"))
          .isEqualTo((double) expectedBytes);

      // A group's lag: 0 once it has committed everything, 5 after 5 more records it has not read.
      SkeinConsumer member = cluster.consumer(Map.of("group.id", "readers", "auto.offset.reset", "earliest",
          "enable.auto.commit", "false"));
      member.subscribe(List.of("metered"));
      int[] consumed = {0};
      await().atMost(WAIT).until(() -> {
        consumed[0] += member.poll(Duration.ofMillis(200)).size();
        return consumed[0] >= requests * 5;
      });
      member.commitSync();
      String[] readers = {"group", "readers", "topic", "metered"};
      await().atMost(WAIT).untilAsserted(() -> {
        assertThat(Scrape.sumOverBrokers(cluster, "skein_group_members", "group", "readers")).isEqualTo(1.0);
        assertThat(Scrape.sumOverBrokers(cluster, "skein_group_state", "group", "readers", "state", "stable"))
            .isEqualTo(1.0);
        assertThat(Scrape.sumOverBrokers(cluster, "skein_group_lag_records", "group", "readers", "partition", "0"))
            .isZero();
      });
      assertThat(Scrape.sumOverBrokers(cluster, "skein_group_topic_lag_records", readers)).isZero();
      member.close();
      RawCalls.produce(cluster.channel(leader), "metered", 0, RawCalls.batch(5, 10));
      await().atMost(WAIT).untilAsserted(() ->
          assertThat(Scrape.sumOverBrokers(cluster, "skein_group_topic_lag_records", readers)).isEqualTo(5.0));

      // Every skein_ metric the Grafana dashboard queries is exported by these brokers.
      String dashboard = Files.readString(Path.of("..", "deploy", "grafana", "skein-dashboard.json"));
      java.util.regex.Matcher names =
          java.util.regex.Pattern.compile("\\b((?:skein|jvm|process)_[a-z_]+)").matcher(dashboard);
      java.util.Set<String> queried = new java.util.TreeSet<>();
      while (names.find()) {
        queried.add(names.group(1));
      }
      assertThat(queried).hasSizeGreaterThan(20);
      // jvm_gc_pause_seconds exists from the JVM's first collection on (Micrometer registers it
      // on the first GC notification, which arrives asynchronously); make sure there was one.
      System.gc();
      await().atMost(WAIT).untilAsserted(() -> {
        java.util.Set<String> exported = new java.util.TreeSet<>();
        for (int id : cluster.runningIds()) {
          Scrape.of(cluster, id).samples().forEach(sample -> exported.add(sample.name()));
        }
        assertThat(exported).containsAll(queried);
      });

      // Kill a broker that is not the controller: partitions it replicated become under-replicated...
      int victim = cluster.runningIds().stream().filter(id -> id != cluster.controllerId()).findFirst().orElseThrow();
      cluster.stopBrokerAbruptly(victim);
      await().atMost(WAIT).untilAsserted(() ->
          assertThat(Scrape.sumOverBrokers(cluster, "skein_partitions_under_replicated")).isGreaterThanOrEqualTo(3.0));
      await().atMost(WAIT).untilAsserted(() ->
          assertThat(Scrape.sumOverBrokers(cluster, "skein_controller_fenced_brokers")).isEqualTo(1.0));
      // Leaders that stayed leaders saw their ISR shrink (the victim's own leaderships moved instead).
      assertThat(Scrape.sumOverBrokers(cluster, "skein_isr_shrinks_total")).isPositive();
      // ...and healthy again once it is back.
      cluster.startBroker(victim);
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
          assertThat(Scrape.sumOverBrokers(cluster, "skein_partitions_under_replicated")).isZero());
      assertThat(Scrape.sumOverBrokers(cluster, "skein_isr_expands_total")).isPositive();
      // On a loaded machine a broker may miss a heartbeat and be fenced for a moment: wait for calm.
      await().atMost(WAIT).untilAsserted(() -> {
        assertThat(Scrape.sumOverBrokers(cluster, "skein_controller_active")).isEqualTo(1.0);
        assertThat(Scrape.sumOverBrokers(cluster, "skein_controller_fenced_brokers")).isZero();
      });
    }
  }

  @Test
  void endpointAnswersBadRequestsWithoutStackTracesAndChangesLogLevels(@TempDir Path dir) {
    try (TestCluster cluster = TestCluster.start(dir, 1)) {
      HttpResponse<String> missing = Scrape.get(cluster.metricsUrl(1, "/nope"));
      assertThat(missing.statusCode()).isEqualTo(404);
      assertThat(missing.body()).doesNotContain("Exception").doesNotContain("\tat ");
      assertThat(Scrape.get(cluster.metricsUrl(1, "/metrics/extra")).statusCode()).isEqualTo(404);
      HttpResponse<String> post = Scrape.send(HttpRequest.newBuilder(URI.create(cluster.metricsUrl(1, "/metrics")))
          .POST(HttpRequest.BodyPublishers.noBody()).build());
      assertThat(post.statusCode()).isEqualTo(405);

      HttpResponse<String> openMetrics = Scrape.send(HttpRequest.newBuilder(URI.create(cluster.metricsUrl(1,
          "/metrics"))).header("Accept", "application/openmetrics-text; version=1.0.0").GET().build());
      assertThat(openMetrics.headers().firstValue("Content-Type")).hasValueSatisfying(
          type -> assertThat(type).startsWith("application/openmetrics-text"));
      assertThat(openMetrics.body()).contains("skein_partitions_under_replicated").endsWith("# EOF\n");

      HttpResponse<String> badLevel = setLevel(cluster, "dev.skein.metrics.test", "LOUD");
      assertThat(badLevel.statusCode()).isEqualTo(400);
      assertThat(badLevel.body()).startsWith("{\"error\":").contains("unknown level").doesNotContain("Exception");
      assertThat(setLevel(cluster, "", "DEBUG").statusCode()).isEqualTo(400);
      assertThat(setLevel(cluster, "bad name!", "DEBUG").statusCode()).isEqualTo(400);

      HttpResponse<String> set = setLevel(cluster, "dev.skein.metrics.test", "debug");
      assertThat(set.statusCode()).isEqualTo(200);
      assertThat(set.body()).contains("\"configured\":\"DEBUG\"");
      assertThat(org.slf4j.LoggerFactory.getLogger("dev.skein.metrics.test").isDebugEnabled()).isTrue();
      HttpResponse<String> read = Scrape.get(cluster.metricsUrl(1, "/loglevel?logger=dev.skein.metrics.test"));
      assertThat(read.body()).contains("\"effective\":\"DEBUG\"");
      assertThat(setLevel(cluster, "dev.skein.metrics.test", "inherit").body()).contains("\"configured\":null");
      assertThat(org.slf4j.LoggerFactory.getLogger("dev.skein.metrics.test").isDebugEnabled()).isFalse();
    }
  }

  @Test
  void partitionLevelOffDropsPerPartitionSeries(@TempDir Path dir) {
    try (TestCluster cluster = TestCluster.startWithMetrics(dir, 1, false)) {
      TopicDescription topic = cluster.admin().createTopic(NewTopic.of("quiet", 4, 1));
      assertThat(topic.partitions()).extracting(PartitionInfo::leader).containsOnly(1);
      await().atMost(WAIT).untilAsserted(() ->
          assertThat(Scrape.of(cluster, 1).sum("skein_partitions_leader")).isEqualTo(4.0));
      RawCalls.produce(cluster.channel(1), "quiet", 0, RawCalls.batch(3, 10));
      Scrape scrape = Scrape.of(cluster, 1);
      assertThat(scrape.samples()).noneMatch(s -> s.labels().containsKey("partition"));
      assertThat(scrape.has("skein_log_size_bytes")).isFalse();
      assertThat(scrape.has("skein_log_end_offset")).isFalse();
      // Broker-level sums and per-topic counters stay.
      assertThat(scrape.sum("skein_logs_size_bytes")).isPositive();
      assertThat(scrape.sum("skein_produce_records_total", "topic", "quiet")).isEqualTo(3.0);
    }
  }

  private static HttpResponse<String> setLevel(TestCluster cluster, String logger, String level) {
    return Scrape.send(HttpRequest.newBuilder(URI.create(cluster.metricsUrl(1, "/loglevel?logger="
            + java.net.URLEncoder.encode(logger, java.nio.charset.StandardCharsets.UTF_8) + "&level=" + level)))
        .POST(HttpRequest.BodyPublishers.noBody()).build());
  }

  private static String[] append(String[] labels, String... more) {
    String[] out = java.util.Arrays.copyOf(labels, labels.length + more.length);
    System.arraycopy(more, 0, out, labels.length, more.length);
    return out;
  }
}
