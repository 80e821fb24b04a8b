package dev.skein.broker.auth;

import dev.skein.broker.rpc.CallRefusal;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Attaches the {@link Caller} to every call: the principal comes from the client certificate the
 * TLS layer verified (its subject through the {@link PrincipalMappingRules}), {@code User:ANONYMOUS}
 * without one (plaintext, or TLS without a client certificate). The name is worked out per call
 * from the session, which TLS already holds; mapping one subject costs a regex match.
 *
 * <p>A certificate whose subject no rule maps is refused with UNAUTHENTICATED, as Kafka refuses
 * the connection: silently treating it as anonymous could grant what anonymous users may do.
 */
public final class CallerInterceptor implements ServerInterceptor {

  /** Where a SCRAM token travels: {@code authorization: Bearer <token>}. */
  public static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
      Metadata.ASCII_STRING_MARSHALLER);
  public static final String BEARER = "Bearer ";
  public static final String UNKNOWN_TOKEN = dev.skein.rpc.Scram.UNKNOWN_TOKEN + " (tokens last a limited time, are "
      + "known only to the broker that issued them, and end when their user is deleted); authenticate again";
  public static final String AUTHENTICATION_REQUIRED = "this broker requires authentication: present a client "
      + "certificate, or authenticate with SCRAM-SHA-512 (sasl.mechanism=SCRAM-SHA-512) and send the token";

  private final PrincipalMappingRules rules;
  private final TokenStore tokens;
  private final boolean required;
  private final boolean allowPlaintext;

  public CallerInterceptor(PrincipalMappingRules rules) {
    this(rules, null, false, false);
  }

  /**
   * @param tokens the SCRAM tokens this broker issued, or null if it does not authenticate with SCRAM
   * @param required refuse callers with neither a certificate nor a valid token
   * @param allowPlaintext accept tokens on plaintext connections
   */
  public CallerInterceptor(PrincipalMappingRules rules, TokenStore tokens, boolean required, boolean allowPlaintext) {
    this.rules = rules;
    this.tokens = tokens;
    this.required = required;
    this.allowPlaintext = allowPlaintext;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String host = host(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    String authorization = headers.get(AUTHORIZATION);
    if (authorization != null && authorization.startsWith(BEARER)) {
      // A token names the caller even on a connection with a certificate, as a SASL principal does in Kafka.
      SkeinError refusal = null;
      Optional<String> user = Optional.empty();
      if (tokens == null) {
        refusal = SkeinError.of(ErrorReason.SASL_AUTHENTICATION_FAILED,
            "this broker does not accept tokens (it was not started with --authentication=scram)");
      } else if (session == null && !allowPlaintext) {
        refusal = SkeinError.of(ErrorReason.SASL_AUTHENTICATION_FAILED,
            "tokens are accepted over TLS only (this broker was not started with --scram-allow-plaintext)");
      } else {
        user = tokens.user(authorization.substring(BEARER.length()).trim());
        if (user.isEmpty()) {
          refusal = SkeinError.of(ErrorReason.UNKNOWN_TOKEN, UNKNOWN_TOKEN);
        }
      }
      if (refusal != null) {
        return CallRefusal.refuse(call, refusal);
      }
      Caller caller = Caller.user(user.get(), host);
      return Contexts.interceptCall(Context.current().withValue(Caller.KEY, caller), call, headers, next);
    }
    if (required && subject(session).isEmpty()) {
      return CallRefusal.refuse(call, SkeinError.of(ErrorReason.SASL_AUTHENTICATION_FAILED, AUTHENTICATION_REQUIRED));
    }
    Optional<String> principal = principal(session, rules);
    if (principal.isEmpty()) {
      call.close(Status.UNAUTHENTICATED.withDescription("no principal mapping rule matches the client "
          + "certificate's subject '" + subject(session).orElse("") + "' (--ssl-principal-mapping-rules is '"
          + rules + "')"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Caller caller = new Caller(principal.get(), host);
    return Contexts.interceptCall(Context.current().withValue(Caller.KEY, caller), call, headers, next);
  }

  /**
   * The principal of a connection with this TLS session ({@code null} for plaintext):
   * {@code User:ANONYMOUS} without a verified client certificate, {@code User:<name>} with one
   * whose subject the rules map, empty for one they do not map (whose calls are refused). The
   * session is the connection's, so this is also known before any call (the connection quotas
   * read it from the transport's attributes).
   */
  public static Optional<String> principal(SSLSession session, PrincipalMappingRules rules) {
    Optional<String> subject = subject(session);
    if (subject.isEmpty()) {
      return Optional.of(Caller.ANONYMOUS);
    }
    return rules.map(subject.get()).map(name -> Caller.USER_TYPE + name);
  }

  /** The principal a peer presenting this certificate is, or empty if no rule maps its subject. */
  public static Optional<String> principal(X509Certificate certificate, PrincipalMappingRules rules) {
    return rules.map(certificate.getSubjectX500Principal().getName()).map(name -> Caller.USER_TYPE + name);
  }

  /** The verified peer certificate's subject, if the call came over TLS with one. */
  static Optional<String> subject(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length > 0 && chain[0] instanceof X509Certificate certificate) {
        return Optional.of(certificate.getSubjectX500Principal().getName());
      }
    } catch (SSLPeerUnverifiedException e) {
      // No client certificate: an anonymous caller.
    }
    return Optional.empty();
  }

  private static String host(SocketAddress address) {
    if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
      return inet.getAddress().getHostAddress();
    }
    return "";
  }
}
