package dev.skein.client.internal;

import io.grpc.Status;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateRevokedException;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * Turns the exceptions a failed TLS handshake leaves in a gRPC failure (often several causes
 * deep, worded by the JDK or BoringSSL) into one sentence saying what is wrong and which
 * setting to look at. Empty when the failure is not about TLS.
 */
public final class TlsFailures {

  private TlsFailures() {}

  /**
   * As {@link #explain(Throwable)}; a plaintext client also gets a hint when a broker closed the
   * connection without a word, which is what a TLS port does to a plaintext client.
   */
  public static Optional<String> explain(Throwable failure, boolean clientUsesTls) {
    Optional<String> tls = explain(failure);
    if (tls.isPresent() || clientUsesTls) {
      return tls;
    }
    Status status = Status.fromThrowable(failure);
    if (status.getCode() == Status.Code.UNAVAILABLE && status.getDescription() != null
        && status.getDescription().toLowerCase(Locale.ROOT).contains("network closed for unknown reason")) {
      return Optional.of("the broker closed the connection without answering; if the cluster uses TLS, "
          + "set security.protocol=SSL and ssl.ca.location");
    }
    return Optional.empty();
  }

  public static Optional<String> explain(Throwable failure) {
    StringBuilder messages = new StringBuilder();
    boolean tls = false;
    boolean expired = false;
    boolean untrusted = false;
    boolean revoked = false;
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      tls |= t instanceof SSLException;
      expired |= t instanceof CertificateExpiredException || t instanceof CertificateNotYetValidException;
      untrusted |= t instanceof CertPathBuilderException || t instanceof CertPathValidatorException;
      revoked |= t instanceof CertificateRevokedException;
      if (t.getMessage() != null) {
        messages.append(t.getMessage().toLowerCase(Locale.ROOT)).append('\n');
      }
    }
    Status status = Status.fromThrowable(failure);
    if (status.getDescription() != null) {
      messages.append(status.getDescription().toLowerCase(Locale.ROOT));
    }
    String m = messages.toString();
    // The broker's alerts about this client's certificate come first: they also mention certificates.
    if (m.contains("certificate_required")) {
      return tls("the broker requires a client certificate (set ssl.certificate.location and ssl.key.location)");
    }
    if (m.contains("alert: certificate_expired") || m.contains("alert_certificate_expired")) {
      return tls("the broker refused this client's certificate: it has expired");
    }
    if (m.contains("alert: certificate_revoked") || m.contains("alert_certificate_revoked")) {
      return tls("the broker refused this client's certificate: it has been revoked");
    }
    if (m.contains("alert: bad_certificate") || m.contains("alert: certificate_unknown")
        || m.contains("alert_bad_certificate") || m.contains("alert_certificate_unknown")
        || m.contains("alert: unknown_ca") || m.contains("alert_unknown_ca")) {
      return tls("the broker refused this client's certificate (expired, revoked, or not signed by a CA the cluster "
          + "trusts)");
    }
    if (revoked || m.contains("certificate has been revoked")) {
      return tls("the broker's certificate has been revoked by its CA");
    }
    if (expired || m.contains("certificate expired") || m.contains("notafter")) {
      return tls("the broker's certificate has expired or is not yet valid");
    }
    if (m.contains("no subject alternative") || m.contains("no name matching")
        || m.contains("hostname") && m.contains("verif")) {
      return tls("the broker's certificate does not name the address it was reached at "
          + "(connect by a name or address listed in the certificate)");
    }
    if (untrusted || m.contains("unable to find valid certification path") || m.contains("pkix path")
        || m.contains("certificate_verify_failed")) {
      return tls("certificate not trusted (is ssl.ca.location the cluster's CA?)");
    }
    if (m.contains("not an ssl/tls record") || m.contains("wrong_version_number") || m.contains("http_request")) {
      return tls("the broker does not speak TLS on this port (use security.protocol=PLAINTEXT)");
    }
    if (tls) {
      return tls(firstLine(m));
    }
    return Optional.empty();
  }

  private static Optional<String> tls(String what) {
    return Optional.of("TLS handshake failed: " + what);
  }

  private static String firstLine(String text) {
    int end = text.indexOf('\n');
    return end < 0 ? text : text.substring(0, end);
  }
}
