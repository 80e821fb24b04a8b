package dev.skein.broker.mirror;

import dev.skein.proto.internal.v1.MirrorLinkRecord;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * How a mirror link's channels to its source cluster are secured: plaintext, or TLS trusting the
 * CAs stored in the link (the JDK's default trust store without them), presenting this broker's
 * own certificate if the link asks for it (a source that requires client certificates).
 *
 * <p>Not by default: brokers ask every client for a certificate (replication shares the port), and
 * one offered must be valid, so a certificate from a CA the source does not trust would fail a
 * handshake that would succeed without one.
 *
 * @param tls whether the source is reached over TLS
 * @param caPem the CA certificates trusted for the source, as PEM text; empty for the JDK's defaults
 * @param useBrokerCertificate whether this broker's certificate is offered to the source
 */
record SourceTls(boolean tls, String caPem, boolean useBrokerCertificate) {

  static SourceTls of(MirrorLinkRecord link) {
    return new SourceTls(link.getSourceTls() || !link.getSourceCaPem().isEmpty()
        || link.getSourceUseBrokerCertificate(), link.getSourceCaPem(), link.getSourceUseBrokerCertificate());
  }

  /** The client context for the source's brokers, or empty for plaintext. */
  Optional<SslContext> context(Optional<X509ExtendedKeyManager> identity) {
    if (!tls) {
      return Optional.empty();
    }
    SslContextBuilder builder = GrpcSslContexts.forClient();
    if (!caPem.isEmpty()) {
      builder.trustManager(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII)));
    }
    if (useBrokerCertificate) {
      builder.keyManager(identity.orElseThrow(() -> new IllegalArgumentException("the mirror link asks for this "
          + "broker's certificate, but the broker has no TLS certificate (--tls-cert-file)")));
    }
    try {
      return Optional.of(builder.build());
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot use the source CA certificates of the mirror link: " + e.getMessage(),
          e);
    }
  }
}
