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
 * @param authentication SCRAM authentication and whether calls must be authenticated
 */
public record SecurityConfig(PrincipalMappingRules principalMappingRules, boolean authorizerEnabled,
    Set<String> superUsers, boolean allowEveryoneIfNoAcl, Authentication authentication) {

  /** Principals from certificates by the DEFAULT rule, no authorizer: what a broker had before ACLs. */
  public static final SecurityConfig DEFAULT = new SecurityConfig(PrincipalMappingRules.parse(
      PrincipalMappingRules.DEFAULT), false, Set.of(), false, Authentication.NONE);

  /**
   * How callers without a certificate prove who they are.
   *
   * @param scram serve the SCRAM-SHA-512 exchange ({@code --authentication=scram}) and accept its tokens
   * @param required refuse, with UNAUTHENTICATED, every call that has neither a client certificate
   *     nor a valid token ({@code --require-authentication})
   * @param allowPlaintext let the exchange and tokens run over plaintext connections
   *     ({@code --scram-allow-plaintext}, Kafka's SASL_PLAINTEXT); off, only over TLS
   * @param tokenLifetime how long a token from the exchange stays valid ({@code --scram-token-lifetime-ms})
   */
  public record Authentication(boolean scram, boolean required, boolean allowPlaintext,
      java.time.Duration tokenLifetime) {

    public static final Authentication NONE = new Authentication(false, false, false, java.time.Duration.ofHours(1));

    public Authentication {
      Objects.requireNonNull(tokenLifetime, "tokenLifetime");
      if (tokenLifetime.isNegative() || tokenLifetime.isZero()) {
        throw new IllegalArgumentException("the token lifetime must be positive");
      }
    }
  }

  public SecurityConfig {
    Objects.requireNonNull(principalMappingRules, "principalMappingRules");
    Objects.requireNonNull(authentication, "authentication");
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
    return new SecurityConfig(principalMappingRules, true, users, allowIfNoAcl, authentication);
  }

  /** Super users without turning the authorizer on (they are also exempt from the connection quota per principal). */
  public SecurityConfig withSuperUsers(Set<String> users) {
    return new SecurityConfig(principalMappingRules, authorizerEnabled, users, allowEveryoneIfNoAcl, authentication);
  }

  public SecurityConfig withPrincipalMappingRules(PrincipalMappingRules rules) {
    return new SecurityConfig(rules, authorizerEnabled, superUsers, allowEveryoneIfNoAcl, authentication);
  }

  public SecurityConfig withAuthentication(Authentication value) {
    return new SecurityConfig(principalMappingRules, authorizerEnabled, superUsers, allowEveryoneIfNoAcl, value);
  }
}
