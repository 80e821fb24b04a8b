package dev.skein.broker.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.metadata.image.AclsImage;
import dev.skein.proto.internal.v1.AclBinding;
import dev.skein.proto.internal.v1.AclOperation;
import dev.skein.proto.internal.v1.AclPatternType;
import dev.skein.proto.internal.v1.AclPermission;
import dev.skein.proto.internal.v1.AclResourceType;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AclDecisionTest {

  static final SecurityConfig CONFIG = SecurityConfig.DEFAULT.withAuthorizer(Set.of("User:root"), false);
  static final Caller ALICE = new Caller("User:alice", "10.0.0.1");
  static final AclResourceType TOPIC = AclResourceType.ACL_RESOURCE_TYPE_TOPIC;

  static AclBinding acl(String principal, String name, AclPatternType pattern, AclOperation operation,
      AclPermission permission, String host) {
    return AclBinding.newBuilder().setPrincipal(principal).setHost(host).setResourceType(TOPIC).setResourceName(name)
        .setPatternType(pattern).setOperation(operation).setPermission(permission).build();
  }

  static AclBinding allow(String principal, String name, AclOperation operation) {
    return acl(principal, name, AclPatternType.ACL_PATTERN_TYPE_LITERAL, operation, AclPermission.ACL_PERMISSION_ALLOW,
        "*");
  }

  static boolean allowed(SecurityConfig config, List<AclBinding> acls, Caller caller, AclOperation op, String topic) {
    return AclDecision.allowed(config, new AclsImage(acls), caller, op, TOPIC, topic);
  }

  @Test
  void superUsersMayDoAnythingAndOthersNothingWithoutAcls() {
    assertThat(allowed(CONFIG, List.of(), new Caller("User:root", ""), AclOperation.ACL_OPERATION_DELETE, "t")).isTrue();
    assertThat(allowed(CONFIG, List.of(), ALICE, AclOperation.ACL_OPERATION_READ, "t")).isFalse();
  }

  @Test
  void allowEveryoneIfNoAclFoundOpensOnlyResourcesNoAclNames() {
    SecurityConfig open = SecurityConfig.DEFAULT.withAuthorizer(Set.of(), true);
    List<AclBinding> acls = List.of(allow("User:bob", "guarded", AclOperation.ACL_OPERATION_READ));
    assertThat(allowed(open, acls, ALICE, AclOperation.ACL_OPERATION_WRITE, "free")).isTrue();
    assertThat(allowed(open, acls, ALICE, AclOperation.ACL_OPERATION_READ, "guarded")).isFalse();
  }

  @Test
  void allowsImplyDescribeButDeniesMatchOnlyTheirOperation() {
    for (AclOperation granted : List.of(AclOperation.ACL_OPERATION_READ, AclOperation.ACL_OPERATION_WRITE,
        AclOperation.ACL_OPERATION_DELETE, AclOperation.ACL_OPERATION_ALTER, AclOperation.ACL_OPERATION_ALL)) {
      assertThat(allowed(CONFIG, List.of(allow("User:alice", "t", granted)), ALICE, AclOperation.ACL_OPERATION_DESCRIBE,
          "t")).as("%s implies DESCRIBE", granted).isTrue();
    }
    assertThat(allowed(CONFIG, List.of(allow("User:alice", "t", AclOperation.ACL_OPERATION_ALTER_CONFIGS)), ALICE,
        AclOperation.ACL_OPERATION_DESCRIBE_CONFIGS, "t")).isTrue();
    assertThat(allowed(CONFIG, List.of(allow("User:alice", "t", AclOperation.ACL_OPERATION_CREATE)), ALICE,
        AclOperation.ACL_OPERATION_DESCRIBE, "t")).isFalse();
    assertThat(allowed(CONFIG, List.of(allow("User:alice", "t", AclOperation.ACL_OPERATION_READ)), ALICE,
        AclOperation.ACL_OPERATION_WRITE, "t")).isFalse();
    // Denying DESCRIBE leaves READ alone; denying ALL denies READ.
    AclBinding denyDescribe = acl("User:alice", "t", AclPatternType.ACL_PATTERN_TYPE_LITERAL,
        AclOperation.ACL_OPERATION_DESCRIBE, AclPermission.ACL_PERMISSION_DENY, "*");
    AclBinding denyAll = denyDescribe.toBuilder().setOperation(AclOperation.ACL_OPERATION_ALL).build();
    AclBinding read = allow("User:alice", "t", AclOperation.ACL_OPERATION_READ);
    assertThat(allowed(CONFIG, List.of(read, denyDescribe), ALICE, AclOperation.ACL_OPERATION_READ, "t")).isTrue();
    assertThat(allowed(CONFIG, List.of(read, denyDescribe), ALICE, AclOperation.ACL_OPERATION_DESCRIBE, "t")).isFalse();
    assertThat(allowed(CONFIG, List.of(read, denyAll), ALICE, AclOperation.ACL_OPERATION_READ, "t")).isFalse();
  }

  @Test
  void denyWinsWhereverItComesFrom() {
    AclBinding allowAllTopics = allow("User:*", "*", AclOperation.ACL_OPERATION_WRITE);
    AclBinding denyPrefix = acl("User:alice", "secret-", AclPatternType.ACL_PATTERN_TYPE_PREFIXED,
        AclOperation.ACL_OPERATION_WRITE, AclPermission.ACL_PERMISSION_DENY, "*");
    List<AclBinding> acls = List.of(allowAllTopics, denyPrefix);
    assertThat(allowed(CONFIG, acls, ALICE, AclOperation.ACL_OPERATION_WRITE, "public")).isTrue();
    assertThat(allowed(CONFIG, acls, ALICE, AclOperation.ACL_OPERATION_WRITE, "secret-plans")).isFalse();
    assertThat(allowed(CONFIG, acls, new Caller("User:bob", ""), AclOperation.ACL_OPERATION_WRITE, "secret-plans"))
        .isTrue();
  }

  @Test
  void hostsMustMatch() {
    AclBinding fromOneHost = acl("User:alice", "t", AclPatternType.ACL_PATTERN_TYPE_LITERAL,
        AclOperation.ACL_OPERATION_READ, AclPermission.ACL_PERMISSION_ALLOW, "10.0.0.1");
    assertThat(allowed(CONFIG, List.of(fromOneHost), ALICE, AclOperation.ACL_OPERATION_READ, "t")).isTrue();
    assertThat(allowed(CONFIG, List.of(fromOneHost), new Caller("User:alice", "10.0.0.2"),
        AclOperation.ACL_OPERATION_READ, "t")).isFalse();
  }

  @Test
  void idempotentWriteNeedsAWriteAllowSomewhere() {
    assertThat(AclDecision.mayWriteSomeTopic(CONFIG, new AclsImage(List.of(allow("User:alice", "t",
        AclOperation.ACL_OPERATION_READ))), ALICE)).isFalse();
    assertThat(AclDecision.mayWriteSomeTopic(CONFIG, new AclsImage(List.of(allow("User:alice", "t",
        AclOperation.ACL_OPERATION_WRITE))), ALICE)).isTrue();
  }
}
