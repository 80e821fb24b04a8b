package dev.skein.broker.auth;

import io.grpc.Context;
import java.util.Objects;

/**
 * Who made the current call: a principal ({@code User:<name>}, {@code User:ANONYMOUS} without a
 * client certificate) and the address it connected from. {@link CallerInterceptor} puts it in the
 * gRPC {@link Context} of every call, so a service reads it with {@link #current()} on the call's
 * thread, and captures it there before handing work to another thread.
 *
 * @param host the peer's IP address as text, or empty if the transport has none (in-process)
 */
public record Caller(String principal, String host) {

  public static final String USER_TYPE = "User:";
  public static final String ANONYMOUS = USER_TYPE + "ANONYMOUS";

  /** What a call outside any gRPC call (the broker's own work) runs as: allowed everything. */
  public static final Caller BROKER_INTERNAL = new Caller("User:skein-broker-internal", "");

  static final Context.Key<Caller> KEY = Context.key("skein-caller");

  public Caller {
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(host, "host");
  }

  /** The caller of the call this thread runs for; anonymous when none was attached. */
  public static Caller current() {
    Caller caller = KEY.get();
    return caller == null ? new Caller(ANONYMOUS, "") : caller;
  }

  public static Caller user(String name, String host) {
    return new Caller(USER_TYPE + name, host);
  }
}
