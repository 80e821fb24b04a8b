package dev.skein.broker.tls;

import io.grpc.util.CertificateUtils;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;

/**
 * What a broker's three PEM files hold, read together and checked to belong together: the
 * private key must be the one the first certificate of the chain was issued for. A rotation
 * replaces two files one after the other; reading between the two writes finds a pair that does
 * not match, and is refused here rather than served. A revocation list, when configured, is read
 * with them and must be signed by a CA of the trust bundle.
 */
record TlsMaterial(PrivateKey key, X509Certificate[] chain, X509Certificate[] trusted, RevocationList revoked) {

  private static final byte[] PROBE = "skein: does this key match its certificate?".getBytes();

  static TlsMaterial read(TlsConfig config) throws IOException, GeneralSecurityException {
    PrivateKey key;
    try (InputStream in = Files.newInputStream(config.privateKey())) {
      key = CertificateUtils.getPrivateKey(in);
    }
    X509Certificate[] chain = certificates(config.certificateChain());
    X509Certificate[] trusted = certificates(config.trustBundle());
    requireMatch(key, chain[0], config);
    RevocationList revoked = config.revocationList() == null ? RevocationList.NONE
        : RevocationList.read(config.revocationList(), trusted);
    return new TlsMaterial(key, chain, trusted, revoked);
  }

  private static X509Certificate[] certificates(Path file) throws IOException, GeneralSecurityException {
    X509Certificate[] certificates;
    try (InputStream in = Files.newInputStream(file)) {
      certificates = CertificateUtils.getX509Certificates(in);
    }
    if (certificates.length == 0) {
      throw new GeneralSecurityException(file + " holds no PEM certificate");
    }
    return certificates;
  }

  /** Signs a probe with the key and verifies it with the certificate: works for any key type. */
  private static void requireMatch(PrivateKey key, X509Certificate leaf, TlsConfig config)
      throws GeneralSecurityException {
    Signature signer = Signature.getInstance(signatureAlgorithm(key));
    signer.initSign(key);
    signer.update(PROBE);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(signatureAlgorithm(key));
    verifier.initVerify(leaf.getPublicKey());
    verifier.update(PROBE);
    if (!verifier.verify(signature)) {
      throw new GeneralSecurityException("the private key " + config.privateKey()
          + " does not belong to the certificate " + config.certificateChain() + " ("
          + leaf.getSubjectX500Principal() + ")");
    }
  }

  private static String signatureAlgorithm(PrivateKey key) throws GeneralSecurityException {
    return switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      case "Ed448" -> "Ed448";
      default -> throw new GeneralSecurityException("unsupported private key type " + key.getAlgorithm());
    };
  }
}
