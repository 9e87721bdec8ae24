package dev.runway.providers;

import dev.runway.platform.auth.BearerTokens;
import java.time.Instant;

/**
 * The bearer token of one instance, for its metadata and callback calls. It is {@code <instance
 * name>.<32 random bytes, base64url>}: the name finds the instance's row, whose SHA-256 of the
 * token is compared in constant time. Only the hash is stored; the token itself goes to the
 * provider in {@code CreateInstance}'s stdin and nowhere else. It opens nothing once its instance
 * is being deleted, after its bootstrap timeout, or for another instance's calls (the hash
 * differs).
 */
final class InstanceTokens {
  static final String PREFIX = "rwi_";

  /** A new token and its hash; the token is never logged. */
  record Minted(String token, byte[] hash) {
    @Override
    public String toString() {
      return "Minted[token=<redacted>]";
    }
  }

  Minted mint(String instanceName) {
    String token = instanceName + "." + BearerTokens.newSecret(PREFIX);
    return new Minted(token, BearerTokens.hash(token));
  }

  /** The instance a token names, or null when it is not of this shape. */
  static String instanceOf(String token) {
    if (token == null) {
      return null;
    }
    int dot = token.lastIndexOf('.');
    return dot <= 0 ? null : token.substring(0, dot);
  }

  /** Whether {@code presented} is this instance's live token. */
  static boolean valid(InstanceRepository.Access access, String presented, Instant now) {
    boolean same = BearerTokens.sameHash(BearerTokens.hash(presented), access.tokenHash());
    return same
        && now.isBefore(access.tokenExpiresAt())
        && !InstanceRepository.DELETING.equals(access.phase());
  }
}
