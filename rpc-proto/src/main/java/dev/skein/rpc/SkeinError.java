package dev.skein.rpc;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.skein.proto.v1.ErrorDetail;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.Map;
import java.util.Optional;

/**
 * One failure with its reason, message and metadata, convertible to and from the two ways
 * Skein sends errors: a gRPC status carrying a {@code google.rpc.ErrorInfo} (a call that
 * fails as a whole) and a {@code skein.v1.ErrorDetail} (one partition of a call).
 */
public record SkeinError(ErrorReason reason, String message, Map<String, String> metadata) {

  public SkeinError {
    metadata = Map.copyOf(metadata);
  }

  public static SkeinError of(ErrorReason reason, String message) {
    return new SkeinError(reason, message, Map.of());
  }

  public static SkeinError of(ErrorReason reason, String message, Map<String, String> metadata) {
    return new SkeinError(reason, message, metadata);
  }

  public boolean retriable() {
    return reason.retriable();
  }

  public ErrorDetail toDetail() {
    return ErrorDetail.newBuilder()
        .setCode(reason.code().value())
        .setReason(reason.name())
        .setMessage(message)
        .putAllMetadata(metadata)
        .setRetriable(reason.retriable())
        .build();
  }

  public StatusRuntimeException toStatusException() {
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(reason.code().value())
        .setMessage(message)
        .addDetails(Any.pack(ErrorInfo.newBuilder()
            .setReason(reason.name())
            .setDomain(ErrorReason.DOMAIN)
            .putAllMetadata(metadata)
            .build()))
        .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  /** Reads an ErrorDetail; an unknown reason from a newer broker keeps its code's meaning in the message. */
  public static SkeinError fromDetail(ErrorDetail detail) {
    return new SkeinError(ErrorReason.fromName(detail.getReason()), detail.getMessage(), detail.getMetadataMap());
  }

  /**
   * Reads the Skein error inside a failed call, if the status carries one. Statuses that
   * come from gRPC itself (a broker that is down, a deadline) carry none.
   */
  public static Optional<SkeinError> fromThrowable(Throwable error) {
    com.google.rpc.Status status = StatusProto.fromThrowable(error);
    if (status == null) {
      return Optional.empty();
    }
    for (Any detail : status.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        try {
          ErrorInfo info = detail.unpack(ErrorInfo.class);
          if (ErrorReason.DOMAIN.equals(info.getDomain())) {
            return Optional.of(new SkeinError(
                ErrorReason.fromName(info.getReason()), status.getMessage(), info.getMetadataMap()));
          }
        } catch (InvalidProtocolBufferException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  /** The gRPC status code of a failed call, whatever produced it. */
  public static Status.Code codeOf(Throwable error) {
    return Status.fromThrowable(error).getCode();
  }

  @Override
  public String toString() {
    return reason + ": " + message + (metadata.isEmpty() ? "" : " " + metadata);
  }
}
