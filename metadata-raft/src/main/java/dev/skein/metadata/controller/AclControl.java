package dev.skein.metadata.controller;

import dev.skein.metadata.image.AclsImage;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.proto.internal.v1.AclBinding;
import dev.skein.proto.internal.v1.AclBindingFilter;
import dev.skein.proto.internal.v1.AclBindingList;
import dev.skein.proto.internal.v1.AclOperation;
import dev.skein.proto.internal.v1.AclPatternType;
import dev.skein.proto.internal.v1.AclPermission;
import dev.skein.proto.internal.v1.AclRecord;
import dev.skein.proto.internal.v1.AclResourceType;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.CreateAclsRequest;
import dev.skein.proto.internal.v1.DeleteAclsRequest;
import dev.skein.proto.internal.v1.DeleteAclsResult;
import dev.skein.proto.internal.v1.MetadataRecord;
import dev.skein.proto.internal.v1.RemoveAclRecord;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The controller's decisions about ACL bindings: validation, and the records for creating and deleting them. */
final class AclControl {

  private static final Logger LOG = LoggerFactory.getLogger(AclControl.class);
  private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

  private AclControl() {}

  /** What is wrong with a binding, if anything. */
  static Optional<String> problemWith(AclBinding binding) {
    String principal = binding.getPrincipal();
    if (!principal.startsWith("User:") || principal.length() == "User:".length()) {
      return Optional.of("principal '" + principal + "' must be User:<name> or User:*");
    }
    String host = binding.getHost();
    if (!host.equals("*") && !IPV4.matcher(host).matches() && !IPV6.matcher(host).matches()) {
      // Addresses only: a host name would need a DNS lookup on every check, and could change.
      return Optional.of("host '" + host + "' must be * or an IP address");
    }
    if (binding.getResourceType() == AclResourceType.ACL_RESOURCE_TYPE_UNSPECIFIED
        || binding.getResourceType() == AclResourceType.UNRECOGNIZED) {
      return Optional.of("an ACL needs a resource type (topic, group, cluster or mirror link)");
    }
    if (binding.getResourceName().isEmpty()) {
      return Optional.of("an ACL needs a resource name");
    }
    if (binding.getResourceType() == AclResourceType.ACL_RESOURCE_TYPE_CLUSTER
        && !binding.getResourceName().equals(AclsImage.CLUSTER_NAME)) {
      return Optional.of("the cluster resource is named '" + AclsImage.CLUSTER_NAME + "', not '"
          + binding.getResourceName() + "'");
    }
    if (binding.getPatternType() != AclPatternType.ACL_PATTERN_TYPE_LITERAL
        && binding.getPatternType() != AclPatternType.ACL_PATTERN_TYPE_PREFIXED) {
      return Optional.of("an ACL's pattern type must be literal or prefixed");
    }
    if (binding.getPatternType() == AclPatternType.ACL_PATTERN_TYPE_PREFIXED
        && binding.getResourceName().equals(AclsImage.WILDCARD)) {
      return Optional.of("'*' is a wildcard only as a literal name; a prefixed '*' would match nothing");
    }
    if (binding.getOperation() == AclOperation.ACL_OPERATION_UNSPECIFIED
        || binding.getOperation() == AclOperation.UNRECOGNIZED) {
      return Optional.of("an ACL needs an operation");
    }
    if (binding.getPermission() != AclPermission.ACL_PERMISSION_ALLOW
        && binding.getPermission() != AclPermission.ACL_PERMISSION_DENY) {
      return Optional.of("an ACL's permission must be allow or deny");
    }
    return Optional.empty();
  }

  static ControllerDecision createAcls(CreateAclsRequest request, ClusterImage image) {
    if (request.getBindingsCount() == 0) {
      return ControllerDecision.answer(ControllerError.INVALID_REQUEST.response("no ACL bindings to create"));
    }
    List<MetadataRecord> records = new ArrayList<>();
    Set<AclBinding> seen = new LinkedHashSet<>();
    for (AclBinding binding : request.getBindingsList()) {
      Optional<String> problem = problemWith(binding);
      if (problem.isPresent()) {
        return ControllerDecision.answer(ControllerError.INVALID_REQUEST.response(problem.get()));
      }
      // Only new bindings are written: creating one twice changes nothing.
      if (seen.add(binding) && !image.acls().bindings().contains(binding)) {
        records.add(MetadataRecord.newBuilder().setAcl(AclRecord.newBuilder().setBinding(binding)).build());
      }
    }
    if (!records.isEmpty()) {
      LOG.info("Creating {} ACL bindings", records.size());
    }
    return new ControllerDecision(records, (index, after) -> ControllerResponse.getDefaultInstance());
  }

  static ControllerDecision deleteAcls(DeleteAclsRequest request, ClusterImage image) {
    if (request.getFiltersCount() == 0) {
      return ControllerDecision.answer(ControllerError.INVALID_REQUEST.response("no ACL filters to delete by"));
    }
    DeleteAclsResult.Builder result = DeleteAclsResult.newBuilder();
    Set<AclBinding> removed = new LinkedHashSet<>();
    for (AclBindingFilter filter : request.getFiltersList()) {
      List<AclBinding> selected = image.acls().matching(filter);
      result.addDeleted(AclBindingList.newBuilder().addAllBindings(selected));
      removed.addAll(selected);
    }
    List<MetadataRecord> records = removed.stream().map(binding -> MetadataRecord.newBuilder()
        .setRemoveAcl(RemoveAclRecord.newBuilder().setBinding(binding)).build()).toList();
    if (!records.isEmpty()) {
      LOG.info("Deleting {} ACL bindings", records.size());
    }
    ControllerResponse response = ControllerResponse.newBuilder().setDeleteAcls(result).build();
    return new ControllerDecision(records, (index, after) -> response);
  }
}
