package dev.skein.broker.auth;

import dev.skein.broker.BrokerException;
import dev.skein.metadata.image.AclsImage;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.proto.internal.v1.AclOperation;
import dev.skein.proto.internal.v1.AclResourceType;
import dev.skein.rpc.ErrorReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the services ask before they act: may the caller do this to that? It reads the ACLs from
 * the broker's latest metadata image on every check, so an ACL created through any broker holds
 * here as soon as this broker has applied it, with no restart and no cache to invalidate.
 *
 * <p>Every denial is counted ({@code skein_authorization_denied_total} by operation and
 * resource type) and written to the audit log, the SLF4J logger {@code skein.audit}: denials at
 * INFO, allowed calls at DEBUG (as Kafka's authorizer logger does), so an operator can turn on
 * the full trail without drowning the broker log by default.
 *
 * <p>With the authorizer off ({@code --authorizer=none}) every check allows, without logging.
 */
public final class Authorizer {

  private static final Logger AUDIT = LoggerFactory.getLogger("skein.audit");

  private final SecurityConfig config;
  private final Supplier<ClusterImage> image;
  private final MeterRegistry registry;
  private final Map<String, Counter> denied = new ConcurrentHashMap<>();

  public Authorizer(SecurityConfig config, Supplier<ClusterImage> image, MeterRegistry registry) {
    this.config = config;
    this.image = image;
    this.registry = registry;
  }

  /** Allows everything: for tests and tools that run services without a broker. */
  public static Authorizer allowAll() {
    return new Authorizer(SecurityConfig.DEFAULT, () -> ClusterImage.EMPTY, null);
  }

  public boolean enabled() {
    return config.authorizerEnabled();
  }

  /** Whether the caller may; audited and counted. */
  public boolean allowed(Caller caller, AclOperation operation, AclResourceType type, String name) {
    if (!config.authorizerEnabled()) {
      return true;
    }
    boolean allowed = AclDecision.allowed(config, image.get().acls(), caller, operation, type, name);
    audit(caller, operation, type, name, allowed);
    return allowed;
  }

  /** Whether the caller may, without an audit line or a count: for filtering lists, where a miss is no denial. */
  public boolean visible(Caller caller, AclOperation operation, AclResourceType type, String name) {
    return !config.authorizerEnabled()
        || AclDecision.allowed(config, image.get().acls(), caller, operation, type, name);
  }

  /** Lets the call on, or throws the PERMISSION_DENIED error the client gets. */
  public void require(Caller caller, AclOperation operation, AclResourceType type, String name) {
    if (!allowed(caller, operation, type, name)) {
      throw denial(caller, operation, type, name);
    }
  }

  /** Like {@link #require}, satisfied by either of two resources (e.g. CREATE on the cluster or on the topic). */
  public void requireEither(Caller caller, AclOperation operation, AclResourceType firstType, String firstName,
      AclResourceType secondType, String secondName) {
    if (!config.authorizerEnabled()) {
      return;
    }
    AclsImage acls = image.get().acls();
    if (AclDecision.allowed(config, acls, caller, operation, firstType, firstName)) {
      audit(caller, operation, firstType, firstName, true);
      return;
    }
    require(caller, operation, secondType, secondName);
  }

  /** The idempotent producer's check: IDEMPOTENT_WRITE on the cluster, or WRITE allowed on some topic. */
  public void requireIdempotentWrite(Caller caller) {
    if (!config.authorizerEnabled()) {
      return;
    }
    AclsImage acls = image.get().acls();
    if (AclDecision.allowed(config, acls, caller, AclOperation.ACL_OPERATION_IDEMPOTENT_WRITE,
        AclResourceType.ACL_RESOURCE_TYPE_CLUSTER, AclsImage.CLUSTER_NAME)
        || AclDecision.mayWriteSomeTopic(config, acls, caller)) {
      audit(caller, AclOperation.ACL_OPERATION_IDEMPOTENT_WRITE, AclResourceType.ACL_RESOURCE_TYPE_CLUSTER,
          AclsImage.CLUSTER_NAME, true);
      return;
    }
    audit(caller, AclOperation.ACL_OPERATION_IDEMPOTENT_WRITE, AclResourceType.ACL_RESOURCE_TYPE_CLUSTER,
        AclsImage.CLUSTER_NAME, false);
    throw denial(caller, AclOperation.ACL_OPERATION_IDEMPOTENT_WRITE, AclResourceType.ACL_RESOURCE_TYPE_CLUSTER,
        AclsImage.CLUSTER_NAME);
  }

  /** The error for a denied operation (already audited). */
  public static BrokerException denial(Caller caller, AclOperation operation, AclResourceType type, String name) {
    ErrorReason reason = switch (type) {
      case ACL_RESOURCE_TYPE_TOPIC -> ErrorReason.TOPIC_AUTHORIZATION_FAILED;
      case ACL_RESOURCE_TYPE_GROUP -> ErrorReason.GROUP_AUTHORIZATION_FAILED;
      default -> ErrorReason.CLUSTER_AUTHORIZATION_FAILED;
    };
    return BrokerException.of(reason, "principal " + caller.principal() + " is not allowed to " + operationName(operation)
        + " " + resourceName(type) + " '" + name + "'", Map.of("principal", caller.principal(),
            "operation", operationName(operation), "resource_type", resourceName(type), "resource_name", name));
  }

  public static String operationName(AclOperation operation) {
    return operation.name().substring("ACL_OPERATION_".length());
  }

  public static String resourceName(AclResourceType type) {
    return type.name().substring("ACL_RESOURCE_TYPE_".length()).toLowerCase(Locale.ROOT).replace('_', ' ');
  }

  private void audit(Caller caller, AclOperation operation, AclResourceType type, String name, boolean allowed) {
    if (!allowed) {
      AUDIT.info("DENIED principal={} host={} operation={} resource={}:{}", caller.principal(), caller.host(),
          operationName(operation), resourceName(type), name);
      if (registry != null) {
        denied.computeIfAbsent(operation.name() + "/" + type.name(), key -> Counter
            .builder("skein_authorization_denied")
            .description("Calls (or partitions of a call) refused because the caller's principal lacked an ACL")
            .tag("operation", operationName(operation))
            .tag("resource_type", resourceName(type))
            .register(registry)).increment();
      }
    } else if (AUDIT.isDebugEnabled()) {
      AUDIT.debug("ALLOWED principal={} host={} operation={} resource={}:{}", caller.principal(), caller.host(),
          operationName(operation), resourceName(type), name);
    }
  }
}
