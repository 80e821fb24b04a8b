package dev.skein.metadata.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.proto.internal.v1.AclBinding;
import dev.skein.proto.internal.v1.AclBindingFilter;
import dev.skein.proto.internal.v1.AclOperation;
import dev.skein.proto.internal.v1.AclPatternType;
import dev.skein.proto.internal.v1.AclPermission;
import dev.skein.proto.internal.v1.AclRecord;
import dev.skein.proto.internal.v1.AclResourceType;
import dev.skein.proto.internal.v1.MetadataRecord;
import dev.skein.proto.internal.v1.RemoveAclRecord;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class AclsImageTest {

  static AclBinding acl(String principal, AclResourceType type, String name, AclPatternType pattern) {
    return AclBinding.newBuilder().setPrincipal(principal).setHost("*").setResourceType(type).setResourceName(name)
        .setPatternType(pattern).setOperation(AclOperation.ACL_OPERATION_READ)
        .setPermission(AclPermission.ACL_PERMISSION_ALLOW).build();
  }

  static final AclBinding LITERAL = acl("User:a", AclResourceType.ACL_RESOURCE_TYPE_TOPIC, "orders",
      AclPatternType.ACL_PATTERN_TYPE_LITERAL);
  static final AclBinding WILDCARD = acl("User:b", AclResourceType.ACL_RESOURCE_TYPE_TOPIC, "*",
      AclPatternType.ACL_PATTERN_TYPE_LITERAL);
  static final AclBinding PREFIX = acl("User:c", AclResourceType.ACL_RESOURCE_TYPE_TOPIC, "ord",
      AclPatternType.ACL_PATTERN_TYPE_PREFIXED);
  static final AclBinding OTHER_PREFIX = acl("User:c", AclResourceType.ACL_RESOURCE_TYPE_TOPIC, "pay",
      AclPatternType.ACL_PATTERN_TYPE_PREFIXED);
  static final AclBinding GROUP = acl("User:a", AclResourceType.ACL_RESOURCE_TYPE_GROUP, "orders",
      AclPatternType.ACL_PATTERN_TYPE_LITERAL);

  private static MetadataRecord add(AclBinding binding) {
    return MetadataRecord.newBuilder().setAcl(AclRecord.newBuilder().setBinding(binding)).build();
  }

  private static MetadataRecord remove(AclBinding binding) {
    return MetadataRecord.newBuilder().setRemoveAcl(RemoveAclRecord.newBuilder().setBinding(binding)).build();
  }

  @Test
  void bindingsApplyByLiteralNameWildcardAndPrefix() {
    AclsImage acls = new AclsImage(List.of(LITERAL, WILDCARD, PREFIX, OTHER_PREFIX, GROUP));
    assertThat(acls.applyingTo(AclResourceType.ACL_RESOURCE_TYPE_TOPIC, "orders"))
        .containsExactlyInAnyOrder(LITERAL, WILDCARD, PREFIX);
    assertThat(acls.applyingTo(AclResourceType.ACL_RESOURCE_TYPE_TOPIC, "ordinal")).containsExactlyInAnyOrder(WILDCARD,
        PREFIX);
    assertThat(acls.applyingTo(AclResourceType.ACL_RESOURCE_TYPE_TOPIC, "or")).containsExactly(WILDCARD);
    assertThat(acls.applyingTo(AclResourceType.ACL_RESOURCE_TYPE_GROUP, "orders")).containsExactly(GROUP);
    assertThat(acls.applyingTo(AclResourceType.ACL_RESOURCE_TYPE_CLUSTER, "skein-cluster")).isEmpty();
  }

  @Test
  void filtersSelectExactlyOrByTheResourceTheyApplyTo() {
    AclsImage acls = new AclsImage(List.of(LITERAL, WILDCARD, PREFIX, OTHER_PREFIX, GROUP));
    assertThat(acls.matching(AclBindingFilter.getDefaultInstance())).hasSize(5);
    assertThat(acls.matching(AclBindingFilter.newBuilder().setResourceName("orders").build()))
        .containsExactlyInAnyOrder(LITERAL, GROUP);
    assertThat(acls.matching(AclBindingFilter.newBuilder().setResourceType(AclResourceType.ACL_RESOURCE_TYPE_TOPIC)
        .setResourceName("orders").setMatchResource(true).build())).containsExactlyInAnyOrder(LITERAL, WILDCARD, PREFIX);
    assertThat(acls.matching(AclBindingFilter.newBuilder().setPrincipal("User:c")
        .setPatternType(AclPatternType.ACL_PATTERN_TYPE_PREFIXED).build())).containsExactly(PREFIX, OTHER_PREFIX);
  }

  @Test
  void recordsAddAndRemoveBindingsIdempotentlyAndSnapshotsKeepThem() throws Exception {
    ClusterImage image = BatchApplier.apply(ClusterImage.EMPTY, List.of(add(LITERAL), add(PREFIX), add(LITERAL)), 5)
        .image();
    assertThat(image.acls().bindings()).containsExactlyInAnyOrder(LITERAL, PREFIX);
    ClusterImage next = BatchApplier.apply(image, List.of(remove(PREFIX), remove(GROUP), add(GROUP)), 6).image();
    assertThat(next.acls().bindings()).containsExactlyInAnyOrder(LITERAL, GROUP);
    assertThat(MetadataDelta.between(image, next).aclsChanged()).isTrue();
    assertThat(MetadataDelta.between(next, next.withOffset(7)).aclsChanged()).isFalse();

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageSnapshot.write(next, out);
    assertThat(ImageSnapshot.read(new ByteArrayInputStream(out.toByteArray()), 6)).isEqualTo(next);
  }

  @Test
  void aBindingWithUnspecifiedPartsRejectsItsBatch() {
    AclBinding partial = LITERAL.toBuilder().clearOperation().build();
    ApplyOutcome outcome = BatchApplier.apply(ClusterImage.EMPTY, List.of(add(LITERAL), add(partial)), 3);
    assertThat(outcome).isInstanceOf(ApplyOutcome.Rejected.class);
    assertThat(outcome.image().acls()).isEqualTo(AclsImage.EMPTY);
  }
}
