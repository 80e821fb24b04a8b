package dev.skein.metadata.image;

import dev.skein.proto.internal.v1.AclBinding;
import dev.skein.proto.internal.v1.AclBindingFilter;
import dev.skein.proto.internal.v1.AclPatternType;
import dev.skein.proto.internal.v1.AclResourceType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cluster's ACL bindings. Immutable; besides the set itself it keeps them indexed by resource
 * type, pattern type and name, because every authorized call looks up the bindings that apply to
 * one resource and must not scan them all.
 */
public final class AclsImage {

  public static final AclsImage EMPTY = new AclsImage(Set.of());

  /** The name of the one CLUSTER resource. */
  public static final String CLUSTER_NAME = "skein-cluster";
  /** A literal binding with this name applies to every resource of its type. */
  public static final String WILDCARD = "*";

  /** Sorts bindings for output and snapshots: resource, pattern, principal, host, operation, permission. */
  public static final Comparator<AclBinding> ORDER = Comparator
      .comparing(AclBinding::getResourceTypeValue)
      .thenComparing(AclBinding::getResourceName)
      .thenComparing(AclBinding::getPatternTypeValue)
      .thenComparing(AclBinding::getPrincipal)
      .thenComparing(AclBinding::getHost)
      .thenComparing(AclBinding::getOperationValue)
      .thenComparing(AclBinding::getPermissionValue);

  private final Set<AclBinding> bindings;
  private final Map<AclResourceType, Map<String, List<AclBinding>>> literal = new EnumMap<>(AclResourceType.class);
  private final Map<AclResourceType, Map<String, List<AclBinding>>> prefixed = new EnumMap<>(AclResourceType.class);

  public AclsImage(Collection<AclBinding> bindings) {
    this.bindings = Set.copyOf(bindings);
    for (AclBinding binding : this.bindings) {
      var index = binding.getPatternType() == AclPatternType.ACL_PATTERN_TYPE_PREFIXED ? prefixed : literal;
      index.computeIfAbsent(binding.getResourceType(), t -> new HashMap<>())
          .computeIfAbsent(binding.getResourceName(), n -> new ArrayList<>()).add(binding);
    }
  }

  public Set<AclBinding> bindings() {
    return bindings;
  }

  public boolean isEmpty() {
    return bindings.isEmpty();
  }

  /**
   * Every binding that applies to the resource, whoever it names: literal ones on its name or on
   * {@code *}, and prefixed ones on any prefix of its name.
   */
  public List<AclBinding> applyingTo(AclResourceType type, String name) {
    List<AclBinding> out = new ArrayList<>();
    Map<String, List<AclBinding>> exact = literal.getOrDefault(type, Map.of());
    out.addAll(exact.getOrDefault(name, List.of()));
    if (!name.equals(WILDCARD)) {
      out.addAll(exact.getOrDefault(WILDCARD, List.of()));
    }
    Map<String, List<AclBinding>> prefixes = prefixed.getOrDefault(type, Map.of());
    if (!prefixes.isEmpty()) {
      // One lookup per prefix length: names are short (topics at most 249 characters).
      for (int length = 1; length <= name.length(); length++) {
        out.addAll(prefixes.getOrDefault(name.substring(0, length), List.of()));
      }
    }
    return out;
  }

  /** The bindings a filter selects, sorted. */
  public List<AclBinding> matching(AclBindingFilter filter) {
    return bindings.stream().filter(b -> matches(filter, b)).sorted(ORDER).toList();
  }

  /** Whether the filter selects the binding; unset fields match anything. */
  public static boolean matches(AclBindingFilter filter, AclBinding binding) {
    if (filter.hasPrincipal() && !filter.getPrincipal().equals(binding.getPrincipal())) {
      return false;
    }
    if (filter.hasHost() && !filter.getHost().equals(binding.getHost())) {
      return false;
    }
    if (filter.getResourceType() != AclResourceType.ACL_RESOURCE_TYPE_UNSPECIFIED
        && filter.getResourceType() != binding.getResourceType()) {
      return false;
    }
    if (filter.getOperation() != dev.skein.proto.internal.v1.AclOperation.ACL_OPERATION_UNSPECIFIED
        && filter.getOperation() != binding.getOperation()) {
      return false;
    }
    if (filter.getPermission() != dev.skein.proto.internal.v1.AclPermission.ACL_PERMISSION_UNSPECIFIED
        && filter.getPermission() != binding.getPermission()) {
      return false;
    }
    if (filter.getMatchResource() && filter.hasResourceName()) {
      return appliesTo(binding, filter.getResourceName());
    }
    if (filter.getPatternType() != AclPatternType.ACL_PATTERN_TYPE_UNSPECIFIED
        && filter.getPatternType() != binding.getPatternType()) {
      return false;
    }
    return !filter.hasResourceName() || filter.getResourceName().equals(binding.getResourceName());
  }

  /** Whether a binding's resource pattern covers the resource {@code name} (of the binding's type). */
  public static boolean appliesTo(AclBinding binding, String name) {
    return switch (binding.getPatternType()) {
      case ACL_PATTERN_TYPE_PREFIXED -> name.startsWith(binding.getResourceName());
      case ACL_PATTERN_TYPE_LITERAL -> binding.getResourceName().equals(name)
          || binding.getResourceName().equals(WILDCARD);
      default -> false;
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AclsImage other && bindings.equals(other.bindings);
  }

  @Override
  public int hashCode() {
    return bindings.hashCode();
  }

  @Override
  public String toString() {
    return "AclsImage" + bindings.stream().sorted(ORDER).map(b -> b.toString().replace('\n', ' ')).toList();
  }
}
