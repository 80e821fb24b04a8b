package dev.skein.broker.tls;

import dev.skein.metadata.QuorumTls;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A broker's live TLS identity and trust: a key manager and a trust manager whose contents are
 * replaced when the PEM files change. The SSL contexts are built once around them; every
 * handshake asks the managers, so new connections get the new certificate without a restart,
 * while connections already open keep theirs.
 *
 * <p>The files are checked every refresh interval by this class rather than by grpc-java's
 * file-watching methods, which silently raise any interval below one minute to a minute and
 * reload a key and certificate only when both changed, without checking that they match.
 */
public final class TlsCredentials implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(TlsCredentials.class);

  private final TlsConfig config;
  private final ScheduledExecutorService reloader;
  private final AdvancedTlsX509KeyManager keyManager = new AdvancedTlsX509KeyManager();
  private final AdvancedTlsX509TrustManager trustManager;
  /** Stamps of the files last installed, or last refused (so a bad pair is reported once). */
  private TlsFileStamps seen;
  /** Read by handshakes on Netty's threads, replaced by the reloader. */
  private volatile RevocationList revoked = RevocationList.NONE;

  private TlsCredentials(TlsConfig config, String name) throws IOException, GeneralSecurityException {
    this.config = config;
    // Peers' and clients' certificates are checked against the trust bundle; a server's
    // certificate must also name the host it was reached at.
    // After those checks, a certificate revoked by its CA is refused.
    this.trustManager = AdvancedTlsX509TrustManager.newBuilder()
        .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION)
        .setSslSocketAndEnginePeerVerifier(new RevocationCheck())
        .build();
    // Read once before returning, so bad files fail the start.
    this.seen = TlsFileStamps.of(config);
    install(TlsMaterial.read(config));
    this.reloader = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "skein-tls-reload-" + name);
      t.setDaemon(true);
      return t;
    });
    long period = config.refreshInterval().toMillis();
    reloader.scheduleWithFixedDelay(this::reloadIfChanged, period, period, TimeUnit.MILLISECONDS);
  }

  private void install(TlsMaterial material) throws IOException, GeneralSecurityException {
    // The revocations first: between the two, the old trust with the new list is only stricter.
    revoked = material.revoked();
    trustManager.updateTrustCredentials(material.trusted());
    keyManager.updateIdentityCredentials(material.chain(), material.key());
  }

  /** Refuses a peer whose chain holds a revoked certificate, and says so in the log. */
  private final class RevocationCheck implements AdvancedTlsX509TrustManager.SslSocketAndEnginePeerVerifier {

    private final Map<BigInteger, Long> lastLogged = new ConcurrentHashMap<>();

    @Override
    public void verifyPeerCertificate(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      check(chain, socket == null ? null : socket.getRemoteSocketAddress());
    }

    @Override
    public void verifyPeerCertificate(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      check(chain, engine == null || engine.getPeerHost() == null ? null
          : engine.getPeerHost() + ":" + engine.getPeerPort());
    }

    private void check(X509Certificate[] chain, Object peer) throws CertificateException {
      try {
        revoked.check(chain);
      } catch (CertificateException e) {
        // A revoked client retries: one line per certificate a minute is enough to find it.
        long now = System.nanoTime();
        Long last = lastLogged.get(chain[0].getSerialNumber());
        if (last == null || now - last > TimeUnit.MINUTES.toNanos(1)) {
          if (lastLogged.size() > 10_000) {
            lastLogged.clear();
          }
          lastLogged.put(chain[0].getSerialNumber(), now);
          log.info("TLS handshake with {} refused: {}", peer, e.getMessage());
        }
        throw e;
      }
    }
  }

  private void reloadIfChanged() {
    TlsFileStamps now = TlsFileStamps.of(config);
    if (now.equals(seen)) {
      return;
    }
    try {
      TlsMaterial material = TlsMaterial.read(config);
      install(material);
      seen = now;
      log.info("TLS files changed: now serving certificate {} (serial {}, valid until {}), {} revoked certificates",
          material.chain()[0].getSubjectX500Principal(), material.chain()[0].getSerialNumber().toString(16),
          material.chain()[0].getNotAfter().toInstant(), material.revoked().size());
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      // Perhaps the middle of a rotation (the key replaced, the certificate not yet): the previous
      // files stay in use, and the next change of any file is looked at again.
      seen = now;
      log.warn("TLS files changed but cannot be used, still serving the previous ones: {}", e.getMessage());
    }
  }

  /** Loads the files (failing on a missing or unreadable one) and starts watching them. */
  public static TlsCredentials load(TlsConfig config, String name) {
    config.requireReadable();
    try {
      return new TlsCredentials(config, name);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the TLS files: " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("bad TLS files (" + config.files() + "): " + e.getMessage(), e);
    }
  }

  public TlsConfig config() {
    return config;
  }

  /**
   * For the client port. A certificate is always asked for (not required unless
   * {@link ClientAuth#REQUIRED}), because brokers opening replication streams on this port
   * prove who they are with theirs; see {@link BrokerCertificateRequired}.
   */
  public SslContext serverContext() {
    io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth auth = config.clientAuth() == ClientAuth.REQUIRED
        ? io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth.REQUIRE
        : io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth.OPTIONAL;
    try {
      return GrpcSslContexts.configure(SslContextBuilder.forServer(keyManager))
          .trustManager(trustManager)
          .clientAuth(auth)
          .build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build the server's TLS context: " + e.getMessage(), e);
    }
  }

  /** For this broker's calls to other brokers: presents the broker certificate, checks theirs and their names. */
  public SslContext clientContext() {
    try {
      return GrpcSslContexts.configure(SslContextBuilder.forClient().keyManager(keyManager))
          .trustManager(trustManager)
          .build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build the broker's client TLS context: " + e.getMessage(), e);
    }
  }

  /** The certificate new handshakes are answered with. */
  public X509Certificate servedCertificate() {
    String alias = keyManager.chooseEngineServerAlias(null, null, null);
    return keyManager.getCertificateChain(alias)[0];
  }

  PrivateKey servedKey() {
    return keyManager.getPrivateKey(keyManager.chooseEngineServerAlias(null, null, null));
  }

  /** This broker's identity, for its calls to other clusters (a mirror link's source). */
  public X509ExtendedKeyManager keyManager() {
    return keyManager;
  }

  /** The same managers for the Raft port (Ratis builds its own contexts from them). */
  public QuorumTls quorumTls() {
    return new QuorumTls(keyManager, trustManager);
  }

  @Override
  public void close() {
    reloader.shutdownNow();
  }
}
