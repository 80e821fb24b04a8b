package dev.skein.broker.limits;

import dev.skein.rpc.SkeinError;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The calls the broker is serving, so that a clean stop can end the long-lived ones at once.
 * After {@code server.shutdown()} (new calls refused) gRPC waits for every open call, and streams
 * never end by themselves: followers' {@code Replicate} streams, consumers' {@code Subscribe}
 * streams, producers' {@code ProduceStream}s. {@link #endAll} ends them, each with the status
 * it is given (UNAVAILABLE {@code BROKER_NOT_AVAILABLE}: retriable, go elsewhere), so that only
 * calls in progress are waited for:
 *
 * <ul>
 *   <li>a unary call is left to finish (the stop's grace period bounds it);</li>
 *   <li>a server-streaming call ({@code Subscribe}, health {@code Watch}) ends at once;</li>
 *   <li>a bidi stream ({@code ProduceStream}) takes no more requests and ends once every request
 *       it took is answered, so a request that may have taken effect (an appended batch awaiting
 *       acks=all) is never cut off; one it did not take was not acted on, which is what the
 *       status says;</li>
 *   <li>a call that serves a peer ({@code Replicate}) ends once no other call is left: an acks=all
 *       write still in progress needs its followers to fetch.</li>
 * </ul>
 *
 * <p>A call that starts after {@link #endAll} (accepted by the transport just before the
 * shutdown) is ended the same way as it registers. Lock-free: a call registers (or deregisters)
 * and then reads {@link #ending}, while {@link #endAll} writes it and then reads the sets, so at
 * least one of the two sees the other; ending a call twice does nothing more.
 */
public final class OpenCalls {

  /** What the registry needs of a call; {@code CallGuard.GuardedCall} is the one implementation. */
  interface Call {
    /** Whether the call serves another broker (replication), and so ends last. */
    boolean servesPeer();

    /** Ends the call as described for its kind above (for calls that do not serve a peer). */
    void endWhenAnswered(SkeinError why);

    /** Ends the call now. */
    void endNow(SkeinError why);
  }

  private final Set<Call> clients = ConcurrentHashMap.newKeySet();
  private final Set<Call> peers = ConcurrentHashMap.newKeySet();
  /** Null until {@link #endAll}; then the status every call ends with. */
  private volatile SkeinError ending;

  void opened(Call call) {
    (call.servesPeer() ? peers : clients).add(call);
    SkeinError why = ending;
    if (why != null) {
      if (call.servesPeer()) {
        endPeersIfAlone(why);
      } else {
        call.endWhenAnswered(why);
      }
    }
  }

  void closed(Call call) {
    boolean client = !call.servesPeer() && clients.remove(call);
    if (!client) {
      peers.remove(call);
      return;
    }
    SkeinError why = ending;
    if (why != null) {
      endPeersIfAlone(why);
    }
  }

  /** Ends every call as described above, and every call that starts from now on. */
  public void endAll(SkeinError why) {
    ending = why;
    clients.forEach(call -> call.endWhenAnswered(why));
    endPeersIfAlone(why);
  }

  /** Whether {@link #endAll} was called: a stream failing now was ended by this broker. */
  public boolean ending() {
    return ending != null;
  }

  /** Calls open now, peers' included (for tests). */
  public int size() {
    return clients.size() + peers.size();
  }

  private void endPeersIfAlone(SkeinError why) {
    if (clients.isEmpty()) {
      peers.forEach(call -> call.endNow(why));
    }
  }
}
