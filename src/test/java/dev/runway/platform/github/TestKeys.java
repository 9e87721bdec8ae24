package dev.runway.platform.github;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * An RSA key pair generated at test time, with its private half as PKCS#1 PEM (the form GitHub
 * hands out) and as PKCS#8 PEM (the form openssl converts to). No key file is ever committed.
 */
public record TestKeys(RSAPrivateKey privateKey, RSAPublicKey publicKey) {

  /** A fresh 2048-bit pair (the minimum nimbus accepts for RS256). */
  public static TestKeys generate() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      KeyPair pair = generator.generateKeyPair();
      return new TestKeys((RSAPrivateKey) pair.getPrivate(), (RSAPublicKey) pair.getPublic());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code -----BEGIN RSA PRIVATE KEY-----}. */
  public String pkcs1Pem() {
    try {
      byte[] pkcs1 =
          PrivateKeyInfo.getInstance(privateKey.getEncoded())
              .parsePrivateKey()
              .toASN1Primitive()
              .getEncoded();
      return pem("RSA PRIVATE KEY", pkcs1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code -----BEGIN PRIVATE KEY-----}. */
  public String pkcs8Pem() {
    return pem("PRIVATE KEY", privateKey.getEncoded());
  }

  /** The base64 body of the PKCS#1 PEM, without armour lines: what must never leak. */
  public String pkcs1Body() {
    return body(pkcs1Pem());
  }

  /** The base64 body of the PKCS#8 PEM, without armour lines. */
  public String pkcs8Body() {
    return body(pkcs8Pem());
  }

  /** Writes the PKCS#1 PEM to {@code dir/name} and returns the file. */
  public Path writePkcs1(Path dir, String name) {
    return write(dir.resolve(name), pkcs1Pem());
  }

  /** Writes the PKCS#8 PEM to {@code dir/name} and returns the file. */
  public Path writePkcs8(Path dir, String name) {
    return write(dir.resolve(name), pkcs8Pem());
  }

  @Override
  public String toString() {
    return "TestKeys[<redacted>]";
  }

  private static Path write(Path file, String text) {
    try {
      return Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String body(String pem) {
    return pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
  }

  private static String pem(String type, byte[] der) {
    StringWriter out = new StringWriter();
    try (PemWriter writer = new PemWriter(out)) {
      writer.writeObject(new PemObject(type, der));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }
}
