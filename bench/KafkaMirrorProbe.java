import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The load and the measurements of bench/kafka-mirror.sh, shaped like Skein's MirrorBenchmark
 * (broker-core/src/test/java/dev/skein/broker/bench/MirrorBenchmark.java): 1 KiB records, 6 partitions,
 * record i to partition i % 6, producer acks=all, linger.ms=5, batch.size=262144.
 *
 * <pre>
 * load    SRC_BOOTSTRAP TOPIC RECORDS                 produce the backlog (MirrorMaker 2 not running yet)
 * catchup DST_BOOTSTRAP TOPIC RECORDS LAUNCH_MS       wait until the destination has RECORDS records
 * steady  SRC_BOOTSTRAP SRC_TOPIC DST_BOOTSTRAP DST_TOPIC RATE SECONDS
 * </pre>
 *
 * The destination topic uses message.timestamp.type=LogAppendTime, so a destination record's timestamp is
 * the time its destination leader appended it: the same instant as Skein's "destination leader's log end
 * passed the record". Each steady-phase record carries its creation time (taken just before send, as in
 * MirrorBenchmark) in its first 8 bytes; lag = destination append time - creation time.
 */
public class KafkaMirrorProbe {
  static final int PARTITIONS = 6;

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "load" -> load(args[1], args[2], Integer.parseInt(args[3]));
      case "catchup" -> catchUp(args[1], args[2], Integer.parseInt(args[3]), Long.parseLong(args[4]));
      case "steady" -> steady(args[1], args[2], args[3], args[4], Integer.parseInt(args[5]), Integer.parseInt(args[6]));
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("acks", "all");
    p.put("linger.ms", "5");
    p.put("batch.size", "262144");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("enable.auto.commit", "false");
    p.put("fetch.max.wait.ms", "5");
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) throws InterruptedException {
    while (true) {
      var infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
      if (infos != null && infos.size() == PARTITIONS) {
        return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
  }

  static void load(String bootstrap, String topic, int records) throws Exception {
    byte[] value = new byte[1024];
    Arrays.fill(value, (byte) 'x');
    long start = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
      List<Future<RecordMetadata>> sent = new ArrayList<>(records);
      for (int i = 0; i < records; i++) {
        sent.add(producer.send(new ProducerRecord<>(topic, i % PARTITIONS, null, value)));
      }
      for (Future<RecordMetadata> f : sent) {
        f.get(120, TimeUnit.SECONDS);
      }
    }
    System.out.printf("backlog: %d records of 1 KiB produced at the source (acks=all) in %.2f s%n", records,
        (System.nanoTime() - start) / 1e9);
  }

  /** Reads the destination topic from the beginning until RECORDS records are there. */
  static void catchUp(String bootstrap, String topic, int records, long launchMs) throws Exception {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap)) {
      List<TopicPartition> tps = partitions(consumer, topic);
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      long count = 0, first = Long.MAX_VALUE, last = Long.MIN_VALUE;
      long deadline = System.currentTimeMillis() + 600_000;
      while (count < records) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("destination has only " + count + " of " + records + " records after 600 s");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          if (r.timestampType() != TimestampType.LOG_APPEND_TIME) {
            throw new IllegalStateException("destination topic is not LogAppendTime: " + r.timestampType());
          }
          count++;
          first = Math.min(first, r.timestamp());
          last = Math.max(last, r.timestamp());
        }
      }
      double window = (last - first) / 1e3;
      double fromLaunch = (last - launchMs) / 1e3;
      double mb = records * 1024 / 1e6;
      System.out.printf("catch-up: %d records of 1 KiB (%.1f MB) in %.2f s = %.0f records/s, %.1f MB/s "
          + "(first to last destination append); %.2f s = %.1f MB/s from MirrorMaker 2's launch "
          + "(its start-up included)%n", records, mb, window, records / window, mb / window, fromLaunch,
          mb / fromLaunch);
    }
  }

  static void steady(String srcBootstrap, String srcTopic, String dstBootstrap, String dstTopic, int rate,
      int seconds) throws Exception {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(dstBootstrap);
        KafkaProducer<byte[], byte[]> producer = producer(srcBootstrap)) {
      List<TopicPartition> tps = partitions(consumer, dstTopic);
      consumer.assign(tps);
      consumer.seekToEnd(tps);
      for (TopicPartition tp : tps) {
        consumer.position(tp); // resolve the end offsets now, before anything new is produced
      }
      AtomicLong acked = new AtomicLong();
      AtomicBoolean done = new AtomicBoolean();
      long[] lags = new long[rate * seconds + rate];
      int[] seen = {0};
      // The destination reader: its own thread, as MirrorBenchmark's sampler; the lag comes from the
      // destination's LogAppendTime, so when it polls does not change the figure.
      Thread reader = new Thread(() -> {
        long deadline = Long.MAX_VALUE;
        while (!done.get() || seen[0] < acked.get()) {
          if (done.get() && deadline == Long.MAX_VALUE) {
            deadline = System.currentTimeMillis() + 120_000;
          }
          if (System.currentTimeMillis() > deadline) {
            break;
          }
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
            long created = ByteBuffer.wrap(r.value()).getLong();
            if (seen[0] < lags.length) {
              lags[seen[0]++] = Math.max(0, r.timestamp() - created);
            }
          }
        }
      });
      reader.start();
      long intervalNanos = 1_000_000_000L / rate;
      long next = System.nanoTime();
      long end = next + TimeUnit.SECONDS.toNanos(seconds);
      int n = 0;
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      while (System.nanoTime() < end) {
        byte[] value = new byte[1024];
        Arrays.fill(value, (byte) 'x');
        long ts = System.currentTimeMillis();
        ByteBuffer.wrap(value).putLong(ts);
        sent.add(producer.send(new ProducerRecord<>(srcTopic, n++ % PARTITIONS, ts, null, value),
            (md, e) -> { if (e == null) acked.incrementAndGet(); }));
        next += intervalNanos;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
      }
      for (Future<RecordMetadata> f : sent) {
        f.get(60, TimeUnit.SECONDS);
      }
      done.set(true);
      reader.join();
      long[] sorted = Arrays.copyOf(lags, seen[0]);
      Arrays.sort(sorted);
      System.out.printf("steady state at %d records/s for %d s (%d records, %d seen at the destination): lag from "
          + "record creation to destination append p50 %d ms, p99 %d ms, max %d ms%n", rate, seconds, acked.get(),
          sorted.length, percentile(sorted, 50), percentile(sorted, 99),
          sorted.length == 0 ? -1 : sorted[sorted.length - 1]);
    }
  }

  static long percentile(long[] sorted, double p) {
    return sorted.length == 0 ? -1 : sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
  }
}
