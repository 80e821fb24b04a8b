package dev.skein.broker.auth;

import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Who callers are and what they may do.
 *
 * @param principalMappingRules client certificate subject → user name ({@code --ssl-principal-mapping-rules})
 * @param authorizerEnabled check ACLs on every call ({@code --authorizer=acl}); off, every caller may do everything
 * @param superUsers principals allowed everything whatever the ACLs say ({@code --super-users}, Kafka's
 *     {@code super.users}); brokers' own principals belong here when the authorizer is on. Also
 *     exempt from the connection quota per principal, authorizer on or off
 * @param allowEveryoneIfNoAcl a resource no ACL names is open to everyone
 *     ({@code allow.everyone.if.no.acl.found}); by default such a resource is closed
 */
public record SecurityConfig(PrincipalMappingRules principalMappingRules, boolean authorizerEnabled,
    Set<String> superUsers, boolean allowEveryoneIfNoAcl) {

  /** Principals from certificates by the DEFAULT rule, no authorizer: what a broker had before ACLs. */
  public static final SecurityConfig DEFAULT = new SecurityConfig(PrincipalMappingRules.parse(
      PrincipalMappingRules.DEFAULT), false, Set.of(), false);

  public SecurityConfig {
    Objects.requireNonNull(principalMappingRules, "principalMappingRules");
    superUsers = Set.copyOf(superUsers);
    for (String user : superUsers) {
      if (!user.startsWith(Caller.USER_TYPE) || user.length() == Caller.USER_TYPE.length()) {
        throw new IllegalArgumentException("super user '" + user + "' must be User:<name>");
      }
    }
  }

  /** Kafka's super.users syntax: principals separated by semicolons ({@code User:a;User:b}). */
  public static Set<String> parseSuperUsers(String text) {
    if (text == null || text.isBlank()) {
      return Set.of();
    }
    return Arrays.stream(text.split(";")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
  }

  public SecurityConfig withAuthorizer(Set<String> users, boolean allowIfNoAcl) {
    return new SecurityConfig(principalMappingRules, true, users, allowIfNoAcl);
  }

  /** Super users without turning the authorizer on (they are also exempt from the connection quota per principal). */
  public SecurityConfig withSuperUsers(Set<String> users) {
    return new SecurityConfig(principalMappingRules, authorizerEnabled, users, allowEveryoneIfNoAcl);
  }

  public SecurityConfig withPrincipalMappingRules(PrincipalMappingRules rules) {
    return new SecurityConfig(rules, authorizerEnabled, superUsers, allowEveryoneIfNoAcl);
  }
}
