package dev.skein.broker.auth;

import dev.skein.proto.internal.v1.AclBinding;
import dev.skein.proto.internal.v1.AclBindingFilter;

/**
 * Public ({@code skein.v1}) ACL messages to and from the metadata records' ({@code skein.internal.v1}).
 * The two sets of enums are kept number for number equal on purpose, so a value maps by its
 * number; an unknown number becomes UNRECOGNIZED, which the controller refuses.
 */
public final class AclMapping {

  private AclMapping() {}

  public static AclBinding toInternal(dev.skein.proto.v1.AclBinding binding) {
    return AclBinding.newBuilder()
        .setPrincipal(binding.getPrincipal())
        .setHost(binding.getHost())
        .setResourceTypeValue(binding.getResourceTypeValue())
        .setResourceName(binding.getResourceName())
        .setPatternTypeValue(binding.getPatternTypeValue())
        .setOperationValue(binding.getOperationValue())
        .setPermissionValue(binding.getPermissionValue())
        .build();
  }

  public static dev.skein.proto.v1.AclBinding toPublic(AclBinding binding) {
    return dev.skein.proto.v1.AclBinding.newBuilder()
        .setPrincipal(binding.getPrincipal())
        .setHost(binding.getHost())
        .setResourceTypeValue(binding.getResourceTypeValue())
        .setResourceName(binding.getResourceName())
        .setPatternTypeValue(binding.getPatternTypeValue())
        .setOperationValue(binding.getOperationValue())
        .setPermissionValue(binding.getPermissionValue())
        .build();
  }

  public static AclBindingFilter toInternal(dev.skein.proto.v1.AclBindingFilter filter) {
    AclBindingFilter.Builder out = AclBindingFilter.newBuilder()
        .setResourceTypeValue(filter.getResourceTypeValue())
        .setPatternTypeValue(filter.getPatternTypeValue())
        .setOperationValue(filter.getOperationValue())
        .setPermissionValue(filter.getPermissionValue())
        .setMatchResource(filter.getMatchResource());
    if (filter.hasPrincipal()) {
      out.setPrincipal(filter.getPrincipal());
    }
    if (filter.hasHost()) {
      out.setHost(filter.getHost());
    }
    if (filter.hasResourceName()) {
      out.setResourceName(filter.getResourceName());
    }
    return out.build();
  }
}
