package dev.runway.platform.github;

import java.io.CharArrayReader;
import java.io.IOException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.RSAPublicKeySpec;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * Reads the GitHub App's RSA private key from PEM text.
 *
 * <p>GitHub hands out PKCS#1 keys ({@code BEGIN RSA PRIVATE KEY}); keys converted with openssl are
 * often PKCS#8 ({@code BEGIN PRIVATE KEY}). Both are accepted. Error messages describe the shape of
 * the problem only and never echo any part of the input, because the input is a secret.
 */
public final class PemKeys {

  private PemKeys() {}

  /** Parses PEM text. The caller keeps ownership of {@code pem} and should clear it after use. */
  public static RSAPrivateKey parsePrivateKey(char[] pem) {
    Object parsed;
    try (PEMParser parser = new PEMParser(new CharArrayReader(pem))) {
      parsed = parser.readObject();
    } catch (IOException | RuntimeException e) {
      // The cause is dropped on purpose: parser messages may quote the offending input.
      throw new InvalidPrivateKeyException(
          "not a readable PEM private key (" + e.getClass().getSimpleName() + ")");
    }
    return toRsaKey(parsed);
  }

  /** Parses PEM text held in a String (for keys passed through the environment). */
  public static RSAPrivateKey parsePrivateKey(String pem) {
    return parsePrivateKey(pem.toCharArray());
  }

  /** Derives the public half of a key, so a caller can check signatures it produced. */
  public static RSAPublicKey publicKeyOf(RSAPrivateKey key) {
    if (!(key instanceof RSAPrivateCrtKey crt)) {
      throw new InvalidPrivateKeyException("the RSA key carries no public exponent");
    }
    try {
      return (RSAPublicKey)
          KeyFactory.getInstance("RSA")
              .generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent()));
    } catch (NoSuchAlgorithmException | InvalidKeySpecException e) {
      throw new IllegalStateException("the JDK cannot build an RSA public key", e);
    }
  }

  private static RSAPrivateKey toRsaKey(Object parsed) {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    PrivateKey key;
    try {
      if (parsed instanceof PEMKeyPair pair) {
        key = converter.getPrivateKey(pair.getPrivateKeyInfo());
      } else if (parsed instanceof PrivateKeyInfo info) {
        key = converter.getPrivateKey(info);
      } else if (parsed == null) {
        throw new InvalidPrivateKeyException(
            "no PEM block found (expected BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)");
      } else {
        throw new InvalidPrivateKeyException(
            "the PEM block is not an unencrypted private key (found "
                + parsed.getClass().getSimpleName()
                + ")");
      }
    } catch (IOException e) {
      throw new InvalidPrivateKeyException("the PEM private key cannot be decoded");
    }
    if (!(key instanceof RSAPrivateKey rsa)) {
      throw new InvalidPrivateKeyException(
          "the private key is " + key.getAlgorithm() + ", GitHub Apps use RSA");
    }
    return rsa;
  }

  /** The PEM text is not a usable RSA private key. The message never contains key material. */
  public static final class InvalidPrivateKeyException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    InvalidPrivateKeyException(String message) {
      super(message);
    }
  }
}
