package dev.runway.ingest.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks {@code X-Hub-Signature-256} against every configured secret, so that a secret can be
 * rotated by listing the old and the new one for a while.
 *
 * <p>The comparison is constant-time ({@link MessageDigest#isEqual}) and every secret is tried even
 * after a match, so the time taken reveals neither the signature's prefix nor which secret matched.
 */
public final class SignatureVerifier {
  private static final String PREFIX = "sha256=";
  private static final int HEX_LENGTH = 64;

  private final List<SecretKeySpec> keys;

  public SignatureVerifier(List<String> secrets) {
    if (secrets.isEmpty()) {
      throw new IllegalArgumentException("at least one webhook secret is required");
    }
    this.keys =
        secrets.stream()
            .map(s -> new SecretKeySpec(s.getBytes(StandardCharsets.UTF_8), "HmacSHA256"))
            .toList();
  }

  /** True when {@code header} is a well-formed signature of {@code body} by any secret. */
  public boolean verify(String header, byte[] body) {
    Digest d = digest();
    d.update(body, 0, body.length);
    return d.matches(header);
  }

  /**
   * One HMAC per secret, fed as the body arrives, so that a body spilled to disk is hashed on the
   * way in and never read back unless it is signed.
   */
  Digest digest() {
    return new Digest(keys.stream().map(SignatureVerifier::mac).toList());
  }

  /** The HMACs of one body in progress; nothing secret is reachable from its {@code toString}. */
  static final class Digest {
    private final List<Mac> macs;

    private Digest(List<Mac> macs) {
      this.macs = macs;
    }

    void update(byte[] b, int off, int len) {
      for (Mac m : macs) {
        m.update(b, off, len);
      }
    }

    /** Whether {@code header} signs what was fed, by any secret; every secret is compared. */
    boolean matches(String header) {
      byte[] claimed = decode(header);
      boolean ok = false;
      for (Mac m : macs) {
        byte[] mac = m.doFinal();
        ok |= claimed != null && MessageDigest.isEqual(mac, claimed);
      }
      return ok;
    }

    @Override
    public String toString() {
      return "Digest[" + macs.size() + " secret(s)]";
    }
  }

  /** Computes the header value GitHub would send for {@code body} signed with {@code secret}. */
  public static String sign(String secret, byte[] body) {
    byte[] mac =
        hmac(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"), body);
    StringBuilder sb = new StringBuilder(PREFIX);
    for (byte b : mac) {
      sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return sb.toString();
  }

  /** Lowercase hex only, as GitHub sends it; anything else is not a signature. */
  private static byte[] decode(String header) {
    if (header == null
        || header.length() != PREFIX.length() + HEX_LENGTH
        || !header.startsWith(PREFIX)) {
      return null;
    }
    byte[] out = new byte[HEX_LENGTH / 2];
    for (int i = 0; i < out.length; i++) {
      int hi = lowerHex(header.charAt(PREFIX.length() + 2 * i));
      int lo = lowerHex(header.charAt(PREFIX.length() + 2 * i + 1));
      if (hi < 0 || lo < 0) {
        return null;
      }
      out[i] = (byte) ((hi << 4) | lo);
    }
    return out;
  }

  private static int lowerHex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  }

  private static byte[] hmac(SecretKeySpec key, byte[] body) {
    return mac(key).doFinal(body);
  }

  private static Mac mac(SecretKeySpec key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }
}
