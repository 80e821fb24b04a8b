package dev.skein.broker.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** For tests of connection quotas: the refusal a call got. */
public final class QuotaRefusal {

  private QuotaRefusal() {}

  /** The CONNECTION_QUOTA_EXCEEDED error {@code call} was refused with; fails the test if it was not. */
  public static SkeinError of(ThrowingCallable call) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call);
    assertThat(e).as("the call was refused").isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    SkeinError error = SkeinError.fromThrowable(e).orElseThrow();
    assertThat(error.reason()).isEqualTo(ErrorReason.CONNECTION_QUOTA_EXCEEDED);
    return error;
  }
}
