package dev.skein.broker.tls;

import dev.skein.metadata.QuorumTls;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * A broker's live TLS identity and trust: a key manager and a trust manager that re-read their
 * PEM files when these change (grpc-java's AdvancedTls managers check the files' modification
 * times every refresh interval). The SSL contexts are built once around them; the JDK asks the
 * managers on every handshake, so new connections get the new certificate without a restart,
 * while connections already open keep theirs.
 */
public final class TlsCredentials implements AutoCloseable {

  private final TlsConfig config;
  private final ScheduledExecutorService reloader;
  private final AdvancedTlsX509KeyManager keyManager = new AdvancedTlsX509KeyManager();
  private final AdvancedTlsX509TrustManager trustManager;
  private final AdvancedTlsX509KeyManager.Closeable keyReload;
  private final AdvancedTlsX509TrustManager.Closeable trustReload;

  private TlsCredentials(TlsConfig config, String name) throws IOException, GeneralSecurityException {
    this.config = config;
    this.reloader = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "skein-tls-reload-" + name);
      t.setDaemon(true);
      return t;
    });
    try {
      // Peers' and clients' certificates are checked against the trust bundle; a server's
      // certificate must also name the host it was reached at.
      this.trustManager = AdvancedTlsX509TrustManager.newBuilder()
          .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION)
          .build();
      long period = config.refreshInterval().toMillis();
      // Both load the files once before returning, so a bad file fails the start.
      this.keyReload = keyManager.updateIdentityCredentials(config.certificateChain().toFile(),
          config.privateKey().toFile(), period, TimeUnit.MILLISECONDS, reloader);
      this.trustReload = trustManager.updateTrustCredentials(config.trustBundle().toFile(), period,
          TimeUnit.MILLISECONDS, reloader);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      reloader.shutdownNow();
      throw e;
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
      throw new IllegalArgumentException("bad TLS files (" + config.certificateChain() + ", " + config.privateKey()
          + ", " + config.trustBundle() + "): " + e.getMessage(), e);
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

  /** The same managers for the Raft port (Ratis builds its own contexts from them). */
  public QuorumTls quorumTls() {
    return new QuorumTls(keyManager, trustManager);
  }

  @Override
  public void close() {
    keyReload.close();
    trustReload.close();
    reloader.shutdownNow();
  }
}
