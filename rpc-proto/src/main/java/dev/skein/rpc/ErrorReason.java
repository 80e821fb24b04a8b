package dev.skein.rpc;

import io.grpc.Status;

/**
 * The stable, machine-readable reasons Skein gives for a failure, with the gRPC code each
 * one travels under and whether retrying (after refreshing metadata) can help.
 *
 * <p>A reason is what clients switch on; the code is what generic gRPC tooling sees; the
 * message is for people. The names are the strings sent in {@code google.rpc.ErrorInfo.reason}
 * and {@code skein.v1.ErrorDetail.reason}, so they never change once published.
 */
public enum ErrorReason {
  /** This broker does not lead the partition; metadata names the leader if known. */
  NOT_LEADER(Status.Code.FAILED_PRECONDITION, true),
  /** The partition has no leader right now (its replicas are down or an election is under way). */
  LEADER_NOT_AVAILABLE(Status.Code.UNAVAILABLE, true),
  UNKNOWN_TOPIC(Status.Code.NOT_FOUND, false),
  UNKNOWN_PARTITION(Status.Code.NOT_FOUND, false),
  TOPIC_ALREADY_EXISTS(Status.Code.ALREADY_EXISTS, false),
  INVALID_TOPIC_NAME(Status.Code.INVALID_ARGUMENT, false),
  INVALID_PARTITIONS(Status.Code.INVALID_ARGUMENT, false),
  INVALID_REPLICATION_FACTOR(Status.Code.INVALID_ARGUMENT, false),
  INVALID_CONFIG(Status.Code.INVALID_ARGUMENT, false),
  /** A request that is malformed as a whole (missing fields, out-of-range numbers). */
  INVALID_REQUEST(Status.Code.INVALID_ARGUMENT, false),
  /** A batch larger than the topic's max.message.bytes. */
  RECORD_TOO_LARGE(Status.Code.INVALID_ARGUMENT, false),
  /** A batch whose records cannot be decoded or are numbered wrongly. */
  INVALID_RECORD(Status.Code.INVALID_ARGUMENT, false),
  /** A fetch position below the log start offset or above the log end offset. */
  OFFSET_OUT_OF_RANGE(Status.Code.OUT_OF_RANGE, false),
  /** Fewer in-sync replicas than min.insync.replicas: an acks=all write is refused. */
  NOT_ENOUGH_REPLICAS(Status.Code.UNAVAILABLE, true),
  /**
   * Outcome unknown: the leader appended the batch but replication did not confirm it before
   * the request's timeout. It may still be committed, or lost in a later failover. A retry is
   * safe only for an idempotent producer (the leader then deduplicates it).
   */
  REQUEST_TIMED_OUT(Status.Code.DEADLINE_EXCEEDED, true),
  /**
   * Outcome unknown: the request was acted on but could not be confirmed, and may or may not
   * have taken effect. For a produce: the batch was appended, then leadership moved or too few
   * replicas had it when it was committed; metadata says what is known ({@code appended_offset},
   * the new {@code leader_id} and {@code leader_address}). For an admin change: the controller
   * did not answer in time after it may have received the request. A retry is safe only when it
   * is idempotent (an idempotent producer's batch; a change checked first with describe).
   */
  OUTCOME_UNKNOWN(Status.Code.ABORTED, true),
  /** The request names an older leader epoch than the leader's: the sender's metadata is stale. */
  FENCED_LEADER_EPOCH(Status.Code.FAILED_PRECONDITION, true),
  /** The request names a newer leader epoch than this broker knows: its metadata is behind. */
  UNKNOWN_LEADER_EPOCH(Status.Code.UNAVAILABLE, true),
  /**
   * An idempotent producer's batch does not continue its sequence on this partition (an
   * earlier batch is missing). The producer resends in order, or restarts its numbering.
   */
  OUT_OF_ORDER_SEQUENCE(Status.Code.FAILED_PRECONDITION, false),
  /** The producer's epoch is older than one the partition has seen: a newer incarnation exists. */
  INVALID_PRODUCER_EPOCH(Status.Code.FAILED_PRECONDITION, false),
  /** The partition has no state for this producer id (expired); the producer restarts its numbering. */
  UNKNOWN_PRODUCER_ID(Status.Code.FAILED_PRECONDITION, false),
  /** The metadata quorum has no leader, so no metadata change can be made now. */
  CONTROLLER_NOT_AVAILABLE(Status.Code.UNAVAILABLE, true),
  /** The broker is starting or stopping and does not serve this request now. */
  BROKER_NOT_AVAILABLE(Status.Code.UNAVAILABLE, true),
  /** This broker does not coordinate the group; metadata has coordinator_id and coordinator_address. */
  NOT_COORDINATOR(Status.Code.FAILED_PRECONDITION, true),
  /**
   * The group's coordinator cannot answer now: its __consumer_offsets partition has no leader,
   * or a write to it was not confirmed (nothing was acknowledged). Retry.
   */
  COORDINATOR_NOT_AVAILABLE(Status.Code.UNAVAILABLE, true),
  /** The coordinator does not know the member (it left or its session timed out): join again with epoch 0. */
  UNKNOWN_MEMBER_ID(Status.Code.NOT_FOUND, false),
  /** The member epoch is not one the coordinator gave this member. */
  FENCED_MEMBER_EPOCH(Status.Code.FAILED_PRECONDITION, false),
  /** No such consumer group. */
  UNKNOWN_GROUP(Status.Code.NOT_FOUND, false),
  /** A group id that is empty or longer than 255 characters. */
  INVALID_GROUP_ID(Status.Code.INVALID_ARGUMENT, false),
  /** A subscription's regular expression does not compile. */
  INVALID_REGULAR_EXPRESSION(Status.Code.INVALID_ARGUMENT, false),
  /** An assignor name the coordinator does not have. */
  UNSUPPORTED_ASSIGNOR(Status.Code.INVALID_ARGUMENT, false),
  /** The group has active members, and the operation (reset, delete, commit without membership) needs none. */
  GROUP_NOT_EMPTY(Status.Code.FAILED_PRECONDITION, false),
  /** A commit below the committed offset: offsets move backwards only by an explicit reset. */
  OFFSET_REGRESSION(Status.Code.FAILED_PRECONDITION, false),
  /**
   * The topic is a mirror of a topic in another cluster (a mirror link copies it there) and
   * takes no producers until it is promoted ({@code skein mirror promote}).
   */
  MIRROR_TOPIC_READ_ONLY(Status.Code.FAILED_PRECONDITION, false),
  /** No mirror link has this name. */
  UNKNOWN_MIRROR_LINK(Status.Code.NOT_FOUND, false),
  MIRROR_LINK_ALREADY_EXISTS(Status.Code.ALREADY_EXISTS, false),
  /** The source cluster of a mirror link cannot be reached. */
  MIRROR_SOURCE_UNAVAILABLE(Status.Code.UNAVAILABLE, true),
  /**
   * A request message larger than the broker's max.inbound.message.bytes; metadata has
   * {@code limit} and {@code size} (bytes). Nothing of it was acted on.
   */
  REQUEST_TOO_LARGE(Status.Code.RESOURCE_EXHAUSTED, false),
  /**
   * The connection is over a connection quota (max.connections.per.ip, its overrides, or
   * max.connections); metadata has {@code limit}, {@code quota} and {@code client_ip}. Its calls
   * are refused until another connection from the same address closes; nothing was acted on.
   */
  CONNECTION_QUOTA_EXCEEDED(Status.Code.RESOURCE_EXHAUSTED, true),
  /**
   * The broker closed a call that sat idle longer than stream.idle.timeout.ms: a stream with
   * every request answered and no message either way, or a request never received in full.
   * Nothing was pending on it; open a new one.
   */
  STREAM_IDLE_TIMEOUT(Status.Code.UNAVAILABLE, true),
  /**
   * The caller's principal may not perform the operation on the topic (no ACL allows it, or one
   * denies it). The message names the principal, operation and topic; metadata has
   * {@code principal}, {@code operation}, {@code resource_type} and {@code resource_name}.
   */
  TOPIC_AUTHORIZATION_FAILED(Status.Code.PERMISSION_DENIED, false),
  /** As TOPIC_AUTHORIZATION_FAILED, for a consumer group. */
  GROUP_AUTHORIZATION_FAILED(Status.Code.PERMISSION_DENIED, false),
  /** As TOPIC_AUTHORIZATION_FAILED, for the cluster (or a mirror link, which is part of its configuration). */
  CLUSTER_AUTHORIZATION_FAILED(Status.Code.PERMISSION_DENIED, false),
  /**
   * The caller could not be authenticated: a wrong password or an unknown user (not told apart),
   * neither a client certificate nor a token on a broker that requires one, or a SCRAM exchange
   * the broker refuses (plaintext, malformed). Nothing was done.
   */
  SASL_AUTHENTICATION_FAILED(Status.Code.UNAUTHENTICATED, false),
  /**
   * The broker does not know the call's SCRAM token: it expired, the broker restarted (tokens
   * live in its memory), the user was deleted, or it was never issued. Nothing was done;
   * authenticate again and retry.
   */
  UNKNOWN_TOKEN(Status.Code.UNAUTHENTICATED, true),
  /** A feature the cluster does not support yet. */
  UNSUPPORTED(Status.Code.UNIMPLEMENTED, false),
  /** A bug or an I/O failure on the broker; the broker log has details. */
  UNKNOWN_SERVER_ERROR(Status.Code.INTERNAL, false);

  /** The {@code google.rpc.ErrorInfo.domain} of every Skein error. */
  public static final String DOMAIN = "skein.dev";

  private final Status.Code code;
  private final boolean retriable;

  ErrorReason(Status.Code code, boolean retriable) {
    this.code = code;
    this.retriable = retriable;
  }

  public Status.Code code() {
    return code;
  }

  public boolean retriable() {
    return retriable;
  }

  /**
   * Whether a failure with this reason leaves the outcome of a write unknown: it may have been
   * stored or applied. Every other reason means the write was refused and nothing of it was
   * stored. A reason is never both.
   */
  public boolean outcomeUnknown() {
    return this == REQUEST_TIMED_OUT || this == OUTCOME_UNKNOWN;
  }

  /** The reason named by {@code name}, or {@link #UNKNOWN_SERVER_ERROR} for a name this version does not know. */
  public static ErrorReason fromName(String name) {
    for (ErrorReason reason : values()) {
      if (reason.name().equals(name)) {
        return reason;
      }
    }
    return UNKNOWN_SERVER_ERROR;
  }
}
