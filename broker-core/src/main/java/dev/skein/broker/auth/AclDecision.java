package dev.skein.broker.auth;

import dev.skein.metadata.image.AclsImage;
import dev.skein.proto.internal.v1.AclBinding;
import dev.skein.proto.internal.v1.AclOperation;
import dev.skein.proto.internal.v1.AclPermission;
import dev.skein.proto.internal.v1.AclResourceType;
import java.util.List;

/**
 * Whether one caller may perform one operation on one resource, by Kafka's rules (read for the
 * ideas, not copied): super users may do everything; a matching DENY wins over any ALLOW; an
 * ALLOW matches its own operation, ALL, and the operations it implies (READ, WRITE, DELETE and
 * ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS); a DENY matches only its own
 * operation or ALL, so denying DESCRIBE does not deny READ. A resource no binding applies to is
 * open only with {@code allow.everyone.if.no.acl.found}. Pure: the ACLs are an argument.
 */
public final class AclDecision {

  private AclDecision() {}

  public static boolean allowed(SecurityConfig config, AclsImage acls, Caller caller, AclOperation operation,
      AclResourceType type, String name) {
    if (config.superUsers().contains(caller.principal())) {
      return true;
    }
    List<AclBinding> applying = acls.applyingTo(type, name);
    if (applying.isEmpty()) {
      return config.allowEveryoneIfNoAcl();
    }
    boolean allowed = false;
    for (AclBinding binding : applying) {
      if (!namesCaller(binding, caller)) {
        continue;
      }
      if (binding.getPermission() == AclPermission.ACL_PERMISSION_DENY) {
        if (binding.getOperation() == AclOperation.ACL_OPERATION_ALL || binding.getOperation() == operation) {
          return false;
        }
      } else if (binding.getPermission() == AclPermission.ACL_PERMISSION_ALLOW && implies(binding.getOperation(),
          operation)) {
        allowed = true;
      }
    }
    return allowed;
  }

  /**
   * Whether the caller may write to some topic: an ALLOW of WRITE (or ALL) on any topic pattern
   * for its principal, not cancelled by a DENY of WRITE (or ALL) on every topic. Idempotent
   * producers need this or IDEMPOTENT_WRITE on the cluster to get a producer id, as in Kafka.
   */
  public static boolean mayWriteSomeTopic(SecurityConfig config, AclsImage acls, Caller caller) {
    if (config.superUsers().contains(caller.principal())) {
      return true;
    }
    boolean allowed = false;
    for (AclBinding binding : acls.bindings()) {
      if (binding.getResourceType() != AclResourceType.ACL_RESOURCE_TYPE_TOPIC || !namesCaller(binding, caller)) {
        continue;
      }
      boolean write = binding.getOperation() == AclOperation.ACL_OPERATION_WRITE
          || binding.getOperation() == AclOperation.ACL_OPERATION_ALL;
      if (!write) {
        continue;
      }
      if (binding.getPermission() == AclPermission.ACL_PERMISSION_DENY
          && binding.getResourceName().equals(AclsImage.WILDCARD)
          && binding.getPatternType() == dev.skein.proto.internal.v1.AclPatternType.ACL_PATTERN_TYPE_LITERAL) {
        return false;
      }
      if (binding.getPermission() == AclPermission.ACL_PERMISSION_ALLOW) {
        allowed = true;
      }
    }
    return allowed;
  }

  private static boolean namesCaller(AclBinding binding, Caller caller) {
    boolean principal = binding.getPrincipal().equals(caller.principal()) || binding.getPrincipal().equals("User:*");
    boolean host = binding.getHost().equals("*") || binding.getHost().equals(caller.host());
    return principal && host;
  }

  /** Whether an ALLOW of {@code granted} allows {@code requested}. */
  static boolean implies(AclOperation granted, AclOperation requested) {
    if (granted == requested || granted == AclOperation.ACL_OPERATION_ALL) {
      return true;
    }
    return switch (requested) {
      case ACL_OPERATION_DESCRIBE -> granted == AclOperation.ACL_OPERATION_READ
          || granted == AclOperation.ACL_OPERATION_WRITE || granted == AclOperation.ACL_OPERATION_DELETE
          || granted == AclOperation.ACL_OPERATION_ALTER;
      case ACL_OPERATION_DESCRIBE_CONFIGS -> granted == AclOperation.ACL_OPERATION_ALTER_CONFIGS;
      default -> false;
    };
  }
}
