package dev.skein.chaos.workload;

import dev.skein.chaos.history.Op;
import dev.skein.client.SkeinException;
import io.grpc.Status;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * What a failed send means for the history. Only an answer from the broker that says the batch
 * was not stored is a {@code fail}; a timeout, a lost connection or anything unexpected leaves
 * the outcome unknown ({@code info}), since the batch may have been appended before the answer
 * was lost.
 */
public final class Outcome {

  /** Reasons with which the broker says it may have stored the batch after all. */
  private static final Set<String> UNKNOWN_REASONS = Set.of("OUTCOME_UNKNOWN", "REQUEST_TIMED_OUT");

  private Outcome() {}

  public static Op.Type of(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof SkeinException e) {
      if (e.reason().isPresent()) {
        return UNKNOWN_REASONS.contains(e.reason().get().name()) ? Op.Type.info : Op.Type.fail;
      }
      // No reason: the broker did not answer (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, ...).
      return e.code() == Status.Code.INVALID_ARGUMENT ? Op.Type.fail : Op.Type.info;
    }
    return Op.Type.info;
  }

  public static String describe(Throwable failure) {
    Throwable t = unwrap(failure);
    String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return message.length() > 200 ? message.substring(0, 200) : message;
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
