package dev.runway.platform.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The parts every bearer token of Runway shares (pool tokens, operator tokens): 32 random bytes in
 * base64url after a prefix that says what the token is for, stored only as its SHA-256, compared in
 * constant time.
 */
public final class BearerTokens {
  private static final SecureRandom RANDOM = new SecureRandom();

  private BearerTokens() {}

  /** A new secret: {@code prefix} followed by 32 random bytes, base64url without padding. */
  public static String newSecret(String prefix) {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The SHA-256 of a token, which is all that is stored. */
  public static byte[] hash(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Compares two hashes in time that does not depend on where they differ. */
  public static boolean sameHash(byte[] a, byte[] b) {
    return MessageDigest.isEqual(a, b);
  }

  /** The token of an {@code Authorization: Bearer ...} header, or null when there is none. */
  public static String fromHeader(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = authorization.substring(7).trim();
    return token.isEmpty() ? null : token;
  }
}
