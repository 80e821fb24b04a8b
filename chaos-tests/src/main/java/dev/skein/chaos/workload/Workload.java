package dev.skein.chaos.workload;

import dev.skein.chaos.history.HistoryWriter;
import dev.skein.chaos.nemesis.Nemesis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The clients of one run: two producer processes sharing the rate, one {@code assign} consumer
 * and two members of a consumer group. A client crash replaces a process with a new one under a
 * new name, as a restarted client would be.
 */
public final class Workload implements Nemesis.ClientCrasher, AutoCloseable {

  private static final int PRODUCERS = 2;
  private static final int GROUP_MEMBERS = 2;
  public static final String GROUP = "chaos-group";

  private final String bootstrap;
  private final String topic;
  private final int partitions;
  private final double ratePerProducer;
  private final HistoryWriter history;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final List<ProducerWorker> producers = new ArrayList<>();
  private final List<AssignConsumer> consumers = new ArrayList<>();
  private final List<GroupMember> members = new ArrayList<>();
  private int nextProducer;
  private int nextConsumer;
  private int nextMember;

  public Workload(String bootstrap, String topic, int partitions, int rate, HistoryWriter history) {
    this.bootstrap = bootstrap;
    this.topic = topic;
    this.partitions = partitions;
    this.ratePerProducer = (double) rate / PRODUCERS;
    this.history = history;
  }

  public synchronized void start() {
    for (int i = 0; i < PRODUCERS; i++) {
      startProducer();
    }
    startConsumer();
    for (int i = 0; i < GROUP_MEMBERS; i++) {
      startMember();
    }
  }

  private void startMember() {
    GroupMember m = new GroupMember("g" + nextMember++, GROUP, bootstrap, topic, history);
    members.add(m);
    threads.execute(m);
  }

  private void startProducer() {
    ProducerWorker p = new ProducerWorker("p" + nextProducer++, bootstrap, topic, partitions, ratePerProducer, history);
    producers.add(p);
    threads.execute(p);
  }

  private void startConsumer() {
    AssignConsumer c = new AssignConsumer("c" + nextConsumer++, bootstrap, topic, partitions, history);
    consumers.add(c);
    threads.execute(c);
  }

  @Override
  public synchronized String crashAndReplace(Random random) {
    ProducerWorker p = producers.remove(random.nextInt(producers.size()));
    p.crash();
    AssignConsumer c = consumers.remove(0);
    c.crash();
    GroupMember m = members.remove(random.nextInt(members.size()));
    m.crash();
    startProducer();
    startConsumer();
    startMember();
    return "client crash: producer " + p.process() + ", consumer " + c.process() + " and group member "
        + m.process() + " replaced";
  }

  /**
   * Every reader (the assign consumer and the group's members), producers keep going: for
   * scenarios that need acknowledged writes nobody has read yet.
   */
  public synchronized void crashConsumers() {
    consumers.forEach(AssignConsumer::crash);
    consumers.clear();
    members.forEach(GroupMember::crash);
    members.clear();
  }

  public synchronized void restartConsumers() {
    startConsumer();
    for (int i = 0; i < GROUP_MEMBERS; i++) {
      startMember();
    }
  }

  /**
   * Stops every client; returns once producers have closed, which waits (bounded) for their
   * sends in flight to complete.
   */
  @Override
  public void close() {
    synchronized (this) {
      producers.forEach(ProducerWorker::stop);
      consumers.forEach(AssignConsumer::stop);
      members.forEach(GroupMember::stop);
    }
    threads.shutdown();
    try {
      if (!threads.awaitTermination(60, TimeUnit.SECONDS)) {
        threads.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
