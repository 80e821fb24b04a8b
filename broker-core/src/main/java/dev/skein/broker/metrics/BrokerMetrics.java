package dev.skein.broker.metrics;

import dev.skein.broker.fetch.PartitionReads;
import dev.skein.broker.group.GroupCoordinator;
import dev.skein.broker.replica.ReplicaManager;
import dev.skein.broker.replica.ReplicationStats;
import dev.skein.metadata.MetadataQuorum;
import dev.skein.proto.v1.Acks;
import dev.skein.proto.v1.FetchedPartition;
import dev.skein.storage.log.BatchLayout;
import dev.skein.storage.log.LogManager;
import dev.skein.storage.log.LogFlusher;
import dev.skein.storage.log.LogStats;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmHeapPressureMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One broker's meters, in a registry of its own (several brokers can share a JVM), rendered in the
 * Prometheus text formats by Micrometer's Prometheus registry.
 *
 * <p>Two kinds of series. Events (requests, bytes in and out, ISR changes, flushes) are Micrometer
 * counters and timers updated where they happen; the hot paths touch only meters they already hold
 * (per-topic meters are looked up once per batch, never per record). State (partition health, log
 * sizes and offsets, follower and group lag, the Raft state) is read lazily at scrape time by
 * {@link StateCollector}, so keeping it costs nothing between scrapes and nothing is registered per
 * partition.
 */
public final class BrokerMetrics implements AutoCloseable {

  /** What the state collector reads at scrape time. */
  public record Sources(int nodeId, MetadataQuorum quorum, ReplicaManager replicas, LogManager logs,
      GroupCoordinator groups) {}

  /** Request latency buckets: 0.5 ms to 10 s, about ×2–2.5 apart. */
  static final Duration[] LATENCY_BUCKETS = {
      Duration.ofMillis(1).dividedBy(2), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
      Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
      Duration.ofSeconds(5), Duration.ofSeconds(10)};

  /** fsync buckets: 0.1 ms to 5 s. */
  static final Duration[] FLUSH_BUCKETS = {
      Duration.ofNanos(100_000), Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(5),
      Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofSeconds(5)};

  private final MetricsConfig config;
  private final PrometheusMeterRegistry registry;
  private final GrpcMetrics grpc;
  private final ConcurrentHashMap<String, TopicMeters> topics = new ConcurrentHashMap<>();
  private final Timer[] produceByAcks = new Timer[Acks.values().length];
  private final AtomicInteger delayedProduceWaiting = new AtomicInteger();
  private final AtomicInteger delayedFetchWaiting = new AtomicInteger();
  private final Counter delayedProduceTotal;
  private final Counter delayedFetchTotal;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  public BrokerMetrics(MetricsConfig config) {
    this.config = config;
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Before any meter is registered, as Micrometer asks of filters.
    registry.config().meterFilter(MeterFilter.deny(id -> DENIED_BINDER_METERS.contains(id.getName())));
    this.grpc = new GrpcMetrics(registry);
    for (Acks acks : Acks.values()) {
      if (acks == Acks.UNRECOGNIZED) {
        continue;
      }
      String name = acks == Acks.ACKS_UNSPECIFIED ? "all" : acks.name().substring("ACKS_".length()).toLowerCase();
      produceByAcks[acks.ordinal()] = Timer.builder("skein.produce.request.duration")
          .description("Time from a produce request's arrival to its answer (unary or one message of a stream), "
              + "acks=all including replication")
          .tag("acks", name)
          .serviceLevelObjectives(LATENCY_BUCKETS)
          .register(registry);
    }
    Gauge.builder("skein.delayed.produce.waiting", delayedProduceWaiting, AtomicInteger::get)
        .description("acks=all produce batches waiting for replication now").register(registry);
    Gauge.builder("skein.delayed.fetch.waiting", delayedFetchWaiting, AtomicInteger::get)
        .description("Fetch requests waiting for min_bytes now").register(registry);
    this.delayedProduceTotal = Counter.builder("skein.delayed.produce")
        .description("acks=all produce batches that had to wait for replication").register(registry);
    this.delayedFetchTotal = Counter.builder("skein.delayed.fetch")
        .description("Fetch requests that had to wait for min_bytes").register(registry);
    bindJvm();
  }

  /**
   * Meters of Micrometer's binders that are dropped because reading them costs more per scrape
   * than everything else the scrape renders, and other series already answer their question.
   * Profiled on an idle broker at one scrape a second: {@code jvm.threads.states} takes a thread
   * dump of every thread (a VM operation) once per state, six per scrape; the CPU-load gauges read
   * several cgroup files each. Thread counts stay ({@code jvm.threads.live}, {@code .daemon},
   * {@code .peak}), and {@code rate(process_cpu_time_ns_total[1m]) / 1e9} is the process' CPU
   * in cores; the host's load belongs to a node exporter.
   */
  static final Set<String> DENIED_BINDER_METERS = Set.of("jvm.threads.states", "process.cpu.usage",
      "system.cpu.usage");

  private void bindJvm() {
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    closeables.add(gc);
    JvmHeapPressureMetrics pressure = new JvmHeapPressureMetrics();
    pressure.bindTo(registry);
    closeables.add(pressure);
    new JvmThreadMetrics().bindTo(registry);
    new JvmInfoMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  /** Starts reading the broker's state: registers the lazy counters and the state collector. */
  public void bind(Sources sources) {
    ReplicationStats replication = sources.replicas().stats();
    FunctionCounter.builder("skein.isr.shrinks", replication, ReplicationStats::isrShrinks)
        .description("ISR shrinks of partitions led here").register(registry);
    FunctionCounter.builder("skein.isr.expands", replication, ReplicationStats::isrExpands)
        .description("ISR expansions of partitions led here").register(registry);
    FunctionCounter.builder("skein.replica.fetches", replication, ReplicationStats::followerFetches)
        .description("Follower fetches answered here as a leader").register(registry);
    FunctionCounter.builder("skein.replica.fetch.partitions.asked", replication,
            ReplicationStats::followerFetchPartitionsAsked)
        .description("Partitions listed in those fetches (only the changed ones with fetch sessions)")
        .register(registry);
    FunctionCounter.builder("skein.replica.fetch.partitions.answered", replication,
            ReplicationStats::followerFetchPartitionsAnswered)
        .description("Partitions in the answers to those fetches").register(registry);

    LogStats logs = sources.logs().stats();
    Timer flush = Timer.builder("skein.log.flush.duration")
        .description("Time to fsync a log's unflushed segments (roll, flush.messages, flush.ms, shutdown)")
        .serviceLevelObjectives(FLUSH_BUCKETS)
        .register(registry);
    logs.observeFlushes(nanos -> flush.record(nanos, TimeUnit.NANOSECONDS));
    FunctionCounter.builder("skein.log.cleaner.runs", logs, LogStats::cleanerRuns)
        .description("Completed cleaning passes of compacted logs").register(registry);
    FunctionCounter.builder("skein.log.cleaner.read", logs, LogStats::cleanerBytesRead).baseUnit("bytes")
        .description("Bytes the log cleaners read (bytes cleaned)").register(registry);
    FunctionCounter.builder("skein.log.cleaner.written", logs, LogStats::cleanerBytesWritten).baseUnit("bytes")
        .description("Bytes the log cleaners wrote").register(registry);
    FunctionCounter.builder("skein.log.cleaner.records.removed", logs, LogStats::cleanerRecordsRemoved)
        .description("Records the log cleaners dropped").register(registry);
    FunctionCounter.builder("skein.log.loaded", logs, LogStats::logsLoaded)
        .description("Logs opened since start").register(registry);
    FunctionCounter.builder("skein.log.load", logs, s -> s.loadNanos() / 1e9).baseUnit("seconds")
        .description("Time spent opening logs, recovery included (most of it at start)").register(registry);
    FunctionCounter.builder("skein.log.segments.recovered", logs, LogStats::segmentsRecovered)
        .description("Segments re-validated when opening logs (0 after a clean shutdown)").register(registry);
    LogFlusher flusher = sources.logs().flusher();
    FunctionCounter.builder("skein.log.durable.flush.requests", flusher, LogFlusher::requests)
        .description("Appends to durable topics, and followers waiting for them, that asked for an fsync")
        .register(registry);
    FunctionCounter.builder("skein.log.durable.flush.rounds", flusher, LogFlusher::rounds)
        .description("Group-commit rounds: each fsyncs every durable log written since the previous one")
        .register(registry);
    FunctionCounter.builder("skein.log.durable.fsyncs", flusher, LogFlusher::logFlushes)
        .description("Durable logs fsynced by the group flusher (requests per fsync is the group-commit factor)")
        .register(registry);

    registry.getPrometheusRegistry().register(new StateCollector(sources, config.partitionLevel()));
  }

  public MetricsConfig config() {
    return config;
  }

  /** Per-call latency, errors and in-flight calls of every gRPC method. */
  public ServerInterceptor grpcInterceptor() {
    return grpc;
  }

  /** The meters of one topic, created on first use. */
  public TopicMeters topic(String topic) {
    TopicMeters meters = topics.get(topic);
    return meters != null ? meters : topics.computeIfAbsent(topic, t -> new TopicMeters(registry, t));
  }

  /** Forgets a deleted topic's meters. */
  public void removeTopic(String topic) {
    TopicMeters meters = topics.remove(topic);
    if (meters != null) {
      meters.remove(registry);
    }
  }

  /** Times one produce request from {@code startNanos} (from {@link System#nanoTime}) to now. */
  public void produceAnswered(Acks acks, long startNanos) {
    Timer timer = produceByAcks[acks == Acks.UNRECOGNIZED ? Acks.ACKS_ALL.ordinal() : acks.ordinal()];
    timer.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  /** Counts an acks=all batch waiting for replication until {@code waiting} completes. */
  public <T> CompletableFuture<T> delayedProduce(CompletableFuture<T> waiting) {
    delayedProduceTotal.increment();
    delayedProduceWaiting.incrementAndGet();
    waiting.whenComplete((ignored, failure) -> delayedProduceWaiting.decrementAndGet());
    return waiting;
  }

  public void delayedFetchStarted() {
    delayedFetchTotal.increment();
    delayedFetchWaiting.incrementAndGet();
  }

  public void delayedFetchFinished() {
    delayedFetchWaiting.decrementAndGet();
  }

  /** Counts the batches of a fetch or subscribe response sent to a consumer, per topic. */
  public void fetchSent(PartitionReads.Result result) {
    if (result.bytes() == 0 && !result.anyError()) {
      return;
    }
    for (PartitionReads.Read read : result.reads()) {
      if (read.failed() && read.frame().header() instanceof FetchedPartition failed) {
        partitionError("fetch", failed.getError().getReason());
        continue;
      }
      int bytes = read.frame().batchBytes();
      if (bytes > 0 && read.frame().header() instanceof FetchedPartition header) {
        topic(header.getTopic()).fetched(bytes, countRecords(read.frame().entries()));
      }
    }
  }

  /**
   * Counts a partition refused inside an answer that is itself OK (produce results, fetch frames):
   * these errors never reach the gRPC status, so the interceptor does not see them.
   */
  public void partitionError(String api, String reason) {
    Counter.builder("skein.partition.errors")
        .description("Per-partition errors inside produce and fetch answers, by Skein error reason")
        .tags("api", api, "reason", reason.isEmpty() ? "none" : reason)
        .register(registry)
        .increment();
  }

  /** Sums the record counts in the headers of consecutive stored batches (no payload is read). */
  static long countRecords(ByteBuffer entries) {
    ByteBuffer b = entries.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int pos = b.position();
    int limit = b.limit();
    long records = 0;
    while (pos + BatchLayout.HEADER_SIZE <= limit) {
      records += b.getInt(pos + BatchLayout.RECORD_COUNT_POSITION);
      long length = 0;
      for (int i = 0; i < BatchLayout.PADDED_VARINT_SIZE; i++) {
        length |= (long) (b.get(pos + BatchLayout.LENGTH_POSITION + i) & 0x7F) << (7 * i);
      }
      pos += BatchLayout.MESSAGE_START + (int) length;
    }
    return records;
  }

  /** The registry, for tests and embedders. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * The exposition: OpenMetrics if the scraper asks for it ({@code Accept: application/openmetrics-text}, as
   * Prometheus does), otherwise the Prometheus text format 0.0.4.
   */
  public Scrape scrape(String accept) {
    String contentType = accept != null && accept.contains("application/openmetrics-text")
        ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE;
    return new Scrape(contentType, registry.scrape(contentType));
  }

  public record Scrape(String contentType, String body) {}

  static final String OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";
  static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  @Override
  public void close() {
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        // a binder that fails to close leaves nothing behind worth reporting
      }
    }
    registry.close();
  }

  /** Tags for a counter or gauge of one topic. */
  static Tags topicTags(String topic) {
    return Tags.of("topic", topic);
  }
}
