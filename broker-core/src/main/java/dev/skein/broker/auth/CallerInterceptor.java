package dev.skein.broker.auth;

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

  private final PrincipalMappingRules rules;

  public CallerInterceptor(PrincipalMappingRules rules) {
    this.rules = rules;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String host = host(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
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
