package dev.skein.rpc;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * SCRAM-SHA-512 (RFC 5802, RFC 7677) on the JDK's own primitives: PBKDF2WithHmacSHA512 is
 * exactly SCRAM's Hi(), plus HmacSHA512 and SHA-512. Shared by the client (which derives the
 * salted password and the proof) and the broker (which checks the proof).
 *
 * <p>Passwords are not SASLprep-normalized: the JDK has no stringprep, and both sides derive
 * from the same UTF-8 bytes, so only non-ASCII passwords typed in different normal forms differ.
 */
public final class Scram {

  public static final String MECHANISM = "SCRAM-SHA-512";
  public static final int DEFAULT_ITERATIONS = 4096;
  /** Fewest and most PBKDF2 rounds a credential may have (Kafka's bounds for SCRAM-SHA-512). */
  public static final int MIN_ITERATIONS = 4096;
  public static final int MAX_ITERATIONS = 16384;
  /** The GS2 header without channel binding, and its base64 ("biws") as sent in c=. */
  public static final String GS2_HEADER = "n,,";
  public static final String CHANNEL_BINDING = Base64.getEncoder().encodeToString(
      GS2_HEADER.getBytes(StandardCharsets.US_ASCII));

  /**
   * How a broker's answer to a token it does not know (any more) begins (its reason is
   * {@link ErrorReason#UNKNOWN_TOKEN}): the client then authenticates again and may retry the call.
   */
  public static final String UNKNOWN_TOKEN = "the token is unknown or expired";

  /** Whether a failure is a broker refusing a token it does not know, which authenticating again cures. */
  public static boolean isUnknownToken(Throwable failure) {
    return SkeinError.fromThrowable(failure).filter(e -> e.reason() == ErrorReason.UNKNOWN_TOKEN).isPresent();
  }

  private static final SecureRandom RANDOM = new SecureRandom();

  private Scram() {}

  /** Hi(password, salt, iterations): PBKDF2 with HMAC-SHA-512 and a 512-bit output. */
  public static byte[] saltedPassword(char[] password, byte[] salt, int iterations) {
    try {
      PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, 512);
      try {
        return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec).getEncoded();
      } finally {
        spec.clearPassword();
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA512 is not available", e);
    }
  }

  public static byte[] hmac(byte[] key, String text) {
    return hmac(key, text.getBytes(StandardCharsets.UTF_8));
  }

  public static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA512");
      mac.init(new SecretKeySpec(key, "HmacSHA512"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA512 is not available", e);
    }
  }

  public static byte[] sha512(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-512").digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-512 is not available", e);
    }
  }

  public static byte[] clientKey(byte[] saltedPassword) {
    return hmac(saltedPassword, "Client Key");
  }

  public static byte[] storedKey(byte[] saltedPassword) {
    return sha512(clientKey(saltedPassword));
  }

  public static byte[] serverKey(byte[] saltedPassword) {
    return hmac(saltedPassword, "Server Key");
  }

  public static byte[] xor(byte[] a, byte[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("lengths differ");
    }
    byte[] out = new byte[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = (byte) (a[i] ^ b[i]);
    }
    return out;
  }

  public static byte[] randomBytes(int count) {
    byte[] bytes = new byte[count];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  /** A printable random nonce (base64 of 24 random bytes: no comma). */
  public static String nonce() {
    return Base64.getEncoder().encodeToString(randomBytes(24));
  }

  /** saslname: ',' and '=' escaped as RFC 5802 asks. */
  public static String escape(String name) {
    return name.replace("=", "=3D").replace(",", "=2C");
  }

  public static String unescape(String saslName) {
    return saslName.replace("=2C", ",").replace("=3D", "=");
  }

  /**
   * A message's attributes ({@code k=v} separated by commas) in order.
   *
   * @throws IllegalArgumentException for a malformed message
   */
  public static Map<String, String> attributes(String message) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String part : message.split(",", -1)) {
      if (part.length() < 2 || part.charAt(1) != '=') {
        throw new IllegalArgumentException("malformed SCRAM message");
      }
      out.putIfAbsent(part.substring(0, 1), part.substring(2));
    }
    return out;
  }

  public static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  public static byte[] fromBase64(String text) {
    return Base64.getDecoder().decode(text);
  }
}
