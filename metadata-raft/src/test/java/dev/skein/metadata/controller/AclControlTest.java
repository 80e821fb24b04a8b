package dev.skein.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.metadata.image.AclsImage;
import dev.skein.proto.internal.v1.AclBinding;
import dev.skein.proto.internal.v1.AclBindingFilter;
import dev.skein.proto.internal.v1.AclOperation;
import dev.skein.proto.internal.v1.AclPatternType;
import dev.skein.proto.internal.v1.AclPermission;
import dev.skein.proto.internal.v1.AclResourceType;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.CreateAclsRequest;
import dev.skein.proto.internal.v1.DeleteAclsRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AclControlTest {

  private final ControllerFixture fixture = new ControllerFixture();

  @AfterEach
  void close() {
    fixture.close();
  }

  static AclBinding.Builder acl(String principal, String topic) {
    return AclBinding.newBuilder().setPrincipal(principal).setHost("*")
        .setResourceType(AclResourceType.ACL_RESOURCE_TYPE_TOPIC).setResourceName(topic)
        .setPatternType(AclPatternType.ACL_PATTERN_TYPE_LITERAL).setOperation(AclOperation.ACL_OPERATION_READ)
        .setPermission(AclPermission.ACL_PERMISSION_ALLOW);
  }

  private ControllerResponse create(AclBinding.Builder... bindings) {
    CreateAclsRequest.Builder request = CreateAclsRequest.newBuilder();
    for (AclBinding.Builder binding : bindings) {
      request.addBindings(binding);
    }
    return fixture.send(ControllerRequest.newBuilder().setCreateAcls(request).build());
  }

  @Test
  void createdBindingsAreInTheImageAndCreatingThemAgainWritesNothing() {
    ControllerResponse first = create(acl("User:alice", "orders"), acl("User:bob", "orders"));
    assertThat(first.getErrorReason()).isEmpty();
    assertThat(first.getAppliedIndex()).isPositive();
    assertThat(fixture.image().acls().bindings()).containsExactlyInAnyOrder(acl("User:alice", "orders").build(),
        acl("User:bob", "orders").build());
    ControllerResponse again = create(acl("User:alice", "orders"));
    assertThat(again.getErrorReason()).isEmpty();
    assertThat(again.getAppliedIndex()).as("nothing new to write").isZero();
  }

  @Test
  void invalidBindingsAreRefusedAndNoneOfTheRequestIsWritten() {
    assertRefused(create(acl("User:alice", "ok"), acl("alice", "orders")), "must be User:<name>");
    assertRefused(create(acl("User:alice", "orders").setHost("example.com")), "must be * or an IP address");
    assertRefused(create(acl("User:alice", "*").setPatternType(AclPatternType.ACL_PATTERN_TYPE_PREFIXED)),
        "wildcard only as a literal");
    assertRefused(create(acl("User:alice", "x").setResourceType(AclResourceType.ACL_RESOURCE_TYPE_CLUSTER)),
        "skein-cluster");
    assertRefused(create(acl("User:alice", "x").setOperation(AclOperation.ACL_OPERATION_UNSPECIFIED)),
        "needs an operation");
    assertRefused(create(acl("User:alice", "x").setPermission(AclPermission.ACL_PERMISSION_UNSPECIFIED)),
        "allow or deny");
    assertThat(fixture.image().acls()).isEqualTo(AclsImage.EMPTY);
    assertThat(create(acl("User:alice", "x").setHost("10.1.2.3")).getErrorReason()).isEmpty();
    assertThat(create(acl("User:alice", "x").setHost("::1")).getErrorReason()).isEmpty();
  }

  @Test
  void deleteRemovesWhatEachFilterSelectsAndSaysWhat() {
    create(acl("User:alice", "orders"), acl("User:alice", "payments"), acl("User:bob", "orders"),
        acl("User:bob", "ord").setPatternType(AclPatternType.ACL_PATTERN_TYPE_PREFIXED));
    ControllerResponse response = fixture.send(ControllerRequest.newBuilder().setDeleteAcls(DeleteAclsRequest.newBuilder()
        .addFilters(AclBindingFilter.newBuilder().setPrincipal("User:alice").setResourceName("orders"))
        .addFilters(AclBindingFilter.newBuilder().setPatternType(AclPatternType.ACL_PATTERN_TYPE_PREFIXED))
        .addFilters(AclBindingFilter.newBuilder().setPrincipal("User:nobody"))).build());
    assertThat(response.getErrorReason()).isEmpty();
    assertThat(response.getDeleteAcls().getDeletedList()).hasSize(3);
    assertThat(response.getDeleteAcls().getDeleted(0).getBindingsList()).containsExactly(acl("User:alice", "orders").build());
    assertThat(response.getDeleteAcls().getDeleted(1).getBindingsList()).hasSize(1);
    assertThat(response.getDeleteAcls().getDeleted(2).getBindingsList()).isEmpty();
    assertThat(fixture.image().acls().bindings()).containsExactlyInAnyOrder(acl("User:alice", "payments").build(),
        acl("User:bob", "orders").build());
  }

  private static void assertRefused(ControllerResponse response, String message) {
    assertThat(response.getErrorReason()).isEqualTo(ControllerError.INVALID_REQUEST.name());
    assertThat(response.getErrorMessage()).contains(message);
    assertThat(response.getAppliedIndex()).isZero();
  }
}
