package dev.skein.chaos.history;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One line of a history. A client operation is an {@code invoke} followed by its completion:
 * {@code ok} (it happened), {@code fail} (it definitely did not) or {@code info} (unknown: a
 * timeout, a lost connection, a crash). Observations without an invoke (a record a consumer was
 * given, a fault starting) are single {@code ok} or {@code info} lines.
 *
 * @param type invoke, ok, fail or info
 * @param f what: see {@link F}
 * @param process who: a producer or consumer incarnation ("p3", "c1"), "nemesis", "drain"
 * @param time microseconds since the run started
 * @param partition partition, when the operation has one
 * @param offset offset, when known
 * @param value the unique value sent or read, or a description (nemesis)
 * @param group consumer group, for group operations
 * @param error why it failed or is unknown
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Op(Type type, String f, String process, long time, Integer partition, Long offset, String value,
    String group, String error) {

  public enum Type { invoke, ok, fail, info }

  /** The operation names the checker knows. */
  public static final class F {
    /** A producer's send of one value; invoke, then ok (with offset), fail or info. */
    public static final String SEND = "send";
    /** A record a consumer was given (ok only): an {@code assign} consumer, or a group member (with its group). */
    public static final String READ = "read";
    /** A consumer (re)starts reading its partitions from a new position: ordering restarts. */
    public static final String ASSIGN = "assign";
    /** A group member starts: it subscribes and waits for the coordinator's assignment (info, with the group). */
    public static final String SUBSCRIBE = "subscribe";
    /** A record the final drain was given (ok only). */
    public static final String DRAIN_READ = "drain-read";
    /** The final drain as a whole: invoke, then ok once it read every partition to its end. */
    public static final String DRAIN = "drain";
    /** A group member's committed offset (ok only; offset is the committed position). */
    public static final String COMMIT = "commit";
    /** A group member's partition-assigned / partition-revoked callback (ok only). */
    public static final String ASSIGNED = "assigned";
    public static final String REVOKED = "revoked";
    /** A client process crashed (info): it owns nothing any more. */
    public static final String CRASH = "crash";
    /** A fault begins (invoke) and ends (ok); value describes it. */
    public static final String FAULT = "fault";
    /** Every fault has been healed (info). */
    public static final String HEAL = "heal";
    /**
     * After the heal, every broker answers over gRPC again (info): its JVM is up and listening,
     * serving or not yet. The liveness deadlines count from here (from the heal when it is absent).
     */
    public static final String BROKERS_UP = "brokers-up";
    /** After the heal, every partition has a leader again (info). */
    public static final String LEADERS = "leaders";

    private F() {}
  }

  public static Op invoke(String f, String process, long time, Integer partition, String value) {
    return new Op(Type.invoke, f, process, time, partition, null, value, null, null);
  }

  public static Op ok(String f, String process, long time, Integer partition, Long offset, String value) {
    return new Op(Type.ok, f, process, time, partition, offset, value, null, null);
  }

  public static Op fail(String f, String process, long time, Integer partition, String value, String error) {
    return new Op(Type.fail, f, process, time, partition, null, value, null, error);
  }

  public static Op info(String f, String process, long time, Integer partition, String value, String error) {
    return new Op(Type.info, f, process, time, partition, null, value, null, error);
  }

  public Op withGroup(String newGroup) {
    return new Op(type, f, process, time, partition, offset, value, newGroup, error);
  }

  public boolean is(Type t, String name) {
    return type == t && f.equals(name);
  }
}
