package dev.skein.chaos.checker;

import dev.skein.chaos.checker.Anomaly.Kind;
import dev.skein.chaos.history.Op;
import dev.skein.chaos.history.Op.F;
import dev.skein.chaos.history.Op.Type;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks a history of unique-value sends, reads, a final drain, group callbacks and faults
 * against what a replicated log promises. Values are unique per run, so a value names its send.
 * Each anomaly is reported once per value (or offset) with an example a person can look up in
 * the history.
 */
public final class Checker {

  /**
   * Every partition must have a leader again this soon after every broker answers again (the
   * {@code brokers-up} op), or after the heal in a history without it. Counting from the heal would
   * charge the cluster for JVM start and log recovery, which took 14 s on a loaded host
   * (docs/chaos-findings.md §3).
   */
  public static final long LEADER_DEADLINE_MICROS = 30_000_000L;

  /** How a send ended. */
  private record Send(String process, int partition, long invokeTime, Type outcome, Long offset, long endTime) {}

  private record At(int partition, long offset) {}

  public CheckResult check(List<Op> history) {
    List<Anomaly> anomalies = new ArrayList<>();
    Map<String, Send> sends = sends(history);
    List<Op> reads = history.stream().filter(op -> op.is(Type.ok, F.READ)).toList();
    List<Op> drained = history.stream().filter(op -> op.is(Type.ok, F.DRAIN_READ)).toList();
    boolean drainDone = history.stream().anyMatch(op -> op.is(Type.ok, F.DRAIN));
    if (!drainDone) {
      anomalies.add(new Anomaly(Kind.DRAIN_INCOMPLETE, null, "no completed final drain in the history"));
    }

    // What was seen where, by anyone (consumers and the drain).
    Map<At, Set<String>> valuesAt = new TreeMap<>(java.util.Comparator.comparingInt(At::partition)
        .thenComparingLong(At::offset));
    Map<String, Set<At>> placesOf = new HashMap<>();
    Map<Integer, Long> maxOffsetRead = new HashMap<>();
    for (Op op : concat(reads, drained)) {
      At at = new At(op.partition(), op.offset());
      valuesAt.computeIfAbsent(at, k -> new TreeSet<>()).add(op.value());
      placesOf.computeIfAbsent(op.value(), k -> new java.util.LinkedHashSet<>()).add(at);
      maxOffsetRead.merge(op.partition(), op.offset(), Math::max);
    }
    Map<At, String> drainedAt = new HashMap<>();
    Set<String> drainedValues = new java.util.HashSet<>();
    for (Op op : drained) {
      drainedAt.put(new At(op.partition(), op.offset()), op.value());
      drainedValues.add(op.value());
    }

    valuesAt.forEach((at, values) -> {
      if (values.size() > 1) {
        anomalies.add(new Anomaly(Kind.INCONSISTENT_OFFSET, at.partition(),
            "offset " + at.offset() + " read with values " + values));
      }
    });
    placesOf.forEach((value, places) -> {
      if (places.size() > 1) {
        anomalies.add(new Anomaly(Kind.DUPLICATE, places.iterator().next().partition(),
            "value " + value + " read at offsets " + places.stream().map(At::offset).toList()));
      }
    });

    sends.forEach((value, send) -> {
      if (send.outcome() != Type.ok) {
        return;
      }
      Set<At> seen = placesOf.getOrDefault(value, Set.of());
      if (send.offset() != null) {
        At acked = new At(send.partition(), send.offset());
        Set<String> there = valuesAt.getOrDefault(acked, Set.of());
        if (!there.isEmpty() && !there.contains(value)) {
          anomalies.add(new Anomaly(Kind.INCONSISTENT_OFFSET, send.partition(), "value " + value
              + " acknowledged at offset " + send.offset() + " but " + there + " read there"));
        }
        long max = maxOffsetRead.getOrDefault(send.partition(), -1L);
        if (seen.isEmpty() && max > send.offset()) {
          anomalies.add(new Anomaly(Kind.LOST_WRITE, send.partition(), "value " + value + " acknowledged at offset "
              + send.offset() + " never read, though offsets up to " + max + " were"));
        }
      }
      if (drainDone && !drainedValues.contains(value)) {
        anomalies.add(new Anomaly(Kind.UNSEEN, send.partition(), "value " + value + " acknowledged"
            + (send.offset() == null ? "" : " at offset " + send.offset()) + " is not in the final drain"));
      }
    });

    for (Op read : concat(reads, drained)) {
      Send send = sends.get(read.value());
      if (send == null) {
        anomalies.add(new Anomaly(Kind.NEVER_SENT, read.partition(), "value " + read.value() + " read at offset "
            + read.offset() + " by " + read.process() + " was never sent"));
      } else if (send.outcome() == Type.fail) {
        anomalies.add(new Anomaly(Kind.READ_OF_FAILED_WRITE, read.partition(), "value " + read.value()
            + " read at offset " + read.offset() + " by " + read.process() + " but its send failed"));
      }
    }

    if (drainDone) {
      Set<At> reported = new java.util.HashSet<>();
      for (Op read : reads) {
        At at = new At(read.partition(), read.offset());
        if (!read.value().equals(drainedAt.get(at)) && reported.add(at)) {
          anomalies.add(new Anomaly(Kind.VISIBLE_THEN_MISSING, read.partition(), "value " + read.value()
              + " read at offset " + read.offset() + " by " + read.process() + ", final drain has "
              + Objects.requireNonNullElse(drainedAt.get(at), "nothing") + " there"));
        }
      }
    }

    checkMonotonicReads(history, anomalies);
    checkCommits(history, anomalies);
    checkOwnership(history, anomalies);
    Liveness liveness = checkLiveness(history, sends, anomalies);

    long duration = history.isEmpty() ? 0 : history.get(history.size() - 1).time() - history.get(0).time();
    CheckResult.Counts counts = new CheckResult.Counts(
        sends.values().stream().filter(s -> s.outcome() == Type.ok).count(),
        sends.values().stream().filter(s -> s.outcome() == Type.fail).count(),
        sends.values().stream().filter(s -> s.outcome() == Type.info || s.outcome() == Type.invoke).count(),
        reads.size(), drained.size(), history.stream().filter(op -> op.is(Type.ok, F.COMMIT)).count(), duration);
    return new CheckResult(anomalies, counts, liveness.leaders(), liveness.recovery());
  }

  /** Each send's value with how it ended ({@code invoke} if it never did, which counts as unknown). */
  private static Map<String, Send> sends(List<Op> history) {
    Map<String, Send> sends = new HashMap<>();
    for (Op op : history) {
      if (!op.f().equals(F.SEND)) {
        continue;
      }
      if (op.type() == Type.invoke) {
        sends.put(op.value(), new Send(op.process(), op.partition(), op.time(), Type.invoke, null, op.time()));
      } else {
        Send invoked = sends.get(op.value());
        if (invoked != null) {
          sends.put(op.value(), new Send(invoked.process(), invoked.partition(), invoked.invokeTime(), op.type(),
              op.offset(), op.time()));
        }
      }
    }
    return sends;
  }

  /**
   * One consumer sees a partition's offsets strictly increasing until it re-seeks: under
   * {@code assign} until it seeks again, in a group until the partition is assigned to it again
   * (it then resumes from the committed offset, which may repeat what it read).
   */
  private static void checkMonotonicReads(List<Op> history, List<Anomaly> anomalies) {
    Map<String, Map<Integer, Long>> last = new HashMap<>();
    for (Op op : history) {
      if (op.f().equals(F.ASSIGN) || op.f().equals(F.CRASH)) {
        last.remove(op.process());
      } else if (op.is(Type.ok, F.ASSIGNED)) {
        last.getOrDefault(op.process(), new HashMap<>()).remove(op.partition());
      } else if (op.is(Type.ok, F.READ)) {
        Map<Integer, Long> mine = last.computeIfAbsent(op.process(), k -> new HashMap<>());
        Long previous = mine.put(op.partition(), op.offset());
        if (previous != null && op.offset() <= previous) {
          anomalies.add(new Anomaly(Kind.NON_MONOTONIC_READ, op.partition(), op.process() + " read offset "
              + op.offset() + " after offset " + previous));
        }
      }
    }
  }

  private record GroupPartition(String group, int partition) {}

  private static void checkCommits(List<Op> history, List<Anomaly> anomalies) {
    Map<GroupPartition, Long> committed = new HashMap<>();
    for (Op op : history) {
      if (op.is(Type.ok, F.COMMIT)) {
        GroupPartition key = new GroupPartition(op.group(), op.partition());
        Long previous = committed.get(key);
        if (previous != null && op.offset() < previous) {
          anomalies.add(new Anomaly(Kind.COMMIT_BACKWARDS, op.partition(), "group " + op.group()
              + " committed " + op.offset() + " (by " + op.process() + ") after " + previous));
        } else {
          committed.put(key, op.offset());
        }
      }
    }
  }

  /**
   * A partition of a group has one owner in the coordinator's view: the member that was assigned
   * it last. The member it was taken from learns of it only when it next reaches the coordinator
   * (a member cut off from it gets its revoked/lost callback seconds later; Kafka's consumer has the
   * same window), so callbacks that overlap are no anomaly by themselves. It is DOUBLE_OWNERSHIP
   * when the superseded member acts on the partition in that window: an ok read or an ok commit
   * of it after the new owner's {@code assigned} and before its own {@code revoked} (or crash, or
   * getting the partition back). A failed or unknown commit is not acting: the coordinator refused
   * it, or may have.
   */
  private static void checkOwnership(List<Op> history, List<Anomaly> anomalies) {
    Map<GroupPartition, String> owner = new HashMap<>();
    // Per partition: members another was assigned it over, each with that assignment, until they let go.
    Map<GroupPartition, Map<String, Op>> superseded = new HashMap<>();
    for (Op op : history) {
      if (op.is(Type.ok, F.ASSIGNED)) {
        GroupPartition key = new GroupPartition(op.group(), op.partition());
        Map<String, Op> old = superseded.computeIfAbsent(key, k -> new HashMap<>());
        String holder = owner.put(key, op.process());
        if (holder != null && !holder.equals(op.process())) {
          old.putIfAbsent(holder, op);
        }
        old.remove(op.process());
      } else if (op.is(Type.ok, F.REVOKED)) {
        GroupPartition key = new GroupPartition(op.group(), op.partition());
        owner.remove(key, op.process());
        superseded.getOrDefault(key, Map.of()).remove(op.process());
      } else if (op.f().equals(F.CRASH)) {
        owner.values().removeIf(op.process()::equals);
        superseded.values().forEach(old -> old.remove(op.process()));
      } else if (op.group() != null && (op.is(Type.ok, F.READ) || op.is(Type.ok, F.COMMIT))) {
        Map<String, Op> old = superseded.getOrDefault(new GroupPartition(op.group(), op.partition()), Map.of());
        Op over = old.get(op.process());
        // Strictly later by the clock too: ops are timed before they are appended, so a read
        // given to the old owner just before the assignment may land just after it in the history.
        if (over != null && op.time() > over.time()) {
          old.remove(op.process());   // one report per overlap: its later actions are the same finding
          anomalies.add(new Anomaly(Kind.DOUBLE_OWNERSHIP, op.partition(), "group " + op.group() + ": "
              + op.process() + (op.f().equals(F.READ) ? " read offset " : " committed offset ") + op.offset()
              + " " + (op.time() - over.time()) / 1000 + " ms after " + over.process()
              + " was assigned the partition and before " + op.process() + "'s own revocation"));
        }
      }
    }
  }

  private record Liveness(OptionalLong leaders, OptionalLong recovery) {}

  /**
   * Liveness after the final heal, counted from when every broker answers again ({@code brokers-up})
   * if the history says so, else from the heal itself (older histories): a leader for every
   * partition within {@link #LEADER_DEADLINE_MICROS}, then a send invoked after that start
   * acknowledged on every partition that took writes, a read, and a group commit. The times
   * reported ({@link Liveness}) are from the heal, as the report says.
   */
  private static Liveness checkLiveness(List<Op> history, Map<String, Send> sends, List<Anomaly> anomalies) {
    Op heal = null;
    Op up = null;
    for (Op op : history) {
      if (op.f().equals(F.HEAL)) {
        heal = op;
        up = null;
      } else if (op.f().equals(F.BROKERS_UP) && heal != null && up == null) {
        up = op;
      }
    }
    if (heal == null) {
      return new Liveness(OptionalLong.empty(), OptionalLong.empty());
    }
    long healTime = heal.time();
    long start = up == null ? healTime : Math.max(healTime, up.time());
    String since = up == null ? "the heal" : "every broker answered again ("
        + (start - healTime) / 1000 + " ms after the heal)";
    OptionalLong leaders = history.stream().filter(op -> op.f().equals(F.LEADERS) && op.time() >= healTime)
        .mapToLong(op -> op.time() - healTime).findFirst();
    if (leaders.isEmpty()) {
      anomalies.add(new Anomaly(Kind.NO_LEADER_AFTER_HEAL, null,
          "some partition never had a leader again after the heal"));
    } else if (healTime + leaders.getAsLong() - start > LEADER_DEADLINE_MICROS) {
      anomalies.add(new Anomaly(Kind.NO_LEADER_AFTER_HEAL, null, "every partition had a leader only "
          + (healTime + leaders.getAsLong() - start) / 1000 + " ms after " + since));
    }
    // Recovery: until every partition that took writes took an acknowledged one invoked after the start.
    Map<Integer, Long> firstAfterStart = new HashMap<>();
    Set<Integer> written = new TreeSet<>();
    for (Send s : sends.values()) {
      written.add(s.partition());
      if (s.outcome() == Type.ok && s.invokeTime() >= start) {
        firstAfterStart.merge(s.partition(), s.endTime(), Math::min);
      }
    }
    boolean readAfterStart = history.stream().anyMatch(op -> op.is(Type.ok, F.READ) && op.time() >= start);
    OptionalLong recovery = OptionalLong.empty();
    if (firstAfterStart.isEmpty() || !readAfterStart) {
      anomalies.add(new Anomaly(Kind.NO_PROGRESS, null, firstAfterStart.isEmpty()
          ? "no send invoked after " + since + " succeeded" : "no consumer read anything after " + since));
    } else {
      if (firstAfterStart.keySet().containsAll(written)) {
        recovery = OptionalLong.of(firstAfterStart.values().stream().mapToLong(Long::longValue).max().orElseThrow()
            - healTime);
      } else {
        Set<Integer> stuck = new TreeSet<>(written);
        stuck.removeAll(firstAfterStart.keySet());
        anomalies.add(new Anomaly(Kind.NO_PROGRESS, stuck.iterator().next(),
            "no send invoked after " + since + " succeeded on partitions " + stuck));
      }
    }
    boolean groupWorkload = history.stream().anyMatch(op -> op.group() != null);
    if (groupWorkload && history.stream().noneMatch(op -> op.is(Type.ok, F.COMMIT) && op.time() >= start)) {
      anomalies.add(new Anomaly(Kind.NO_PROGRESS, null, "no group member committed anything after " + since));
    }
    return new Liveness(leaders, recovery);
  }

  private static List<Op> concat(List<Op> a, List<Op> b) {
    List<Op> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
