package dev.runway.platform.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PemKeysTest {

  private static final TestKeys KEYS = TestKeys.generate();

  @Test
  void parses_a_pkcs1_key_as_github_hands_it_out() {
    assertThat(KEYS.pkcs1Pem()).startsWith("-----BEGIN RSA PRIVATE KEY-----");

    assertThat(PemKeys.parsePrivateKey(KEYS.pkcs1Pem()).getModulus())
        .isEqualTo(KEYS.publicKey().getModulus());
  }

  @Test
  void parses_a_pkcs8_key_as_openssl_converts_it() {
    assertThat(KEYS.pkcs8Pem()).startsWith("-----BEGIN PRIVATE KEY-----");

    assertThat(PemKeys.parsePrivateKey(KEYS.pkcs8Pem()).getModulus())
        .isEqualTo(KEYS.publicKey().getModulus());
  }

  @Test
  void derives_the_public_half_of_a_parsed_key() {
    assertThat(PemKeys.publicKeyOf(PemKeys.parsePrivateKey(KEYS.pkcs1Pem())))
        .isEqualTo(KEYS.publicKey());
  }

  @Test
  void rejects_text_without_a_pem_block() {
    assertThatThrownBy(() -> PemKeys.parsePrivateKey("just some text"))
        .isInstanceOf(PemKeys.InvalidPrivateKeyException.class)
        .hasMessageContaining("no PEM block");
  }

  @Test
  void a_corrupted_key_is_rejected_without_quoting_it() {
    String pem = KEYS.pkcs1Pem();
    String corrupted = pem.substring(0, 120) + "!!!!" + pem.substring(124);

    assertThatThrownBy(() -> PemKeys.parsePrivateKey(corrupted))
        .isInstanceOf(PemKeys.InvalidPrivateKeyException.class)
        .satisfies(
            e -> {
              assertThat(e.getMessage()).doesNotContain(KEYS.pkcs1Body().substring(10, 40));
              assertThat(e.getCause()).isNull();
            });
  }

  @Test
  void a_public_key_pem_is_not_accepted_as_a_private_key() {
    String publicPem =
        "-----BEGIN PUBLIC KEY-----\n"
            + java.util.Base64.getMimeEncoder().encodeToString(KEYS.publicKey().getEncoded())
            + "\n-----END PUBLIC KEY-----\n";

    assertThatThrownBy(() -> PemKeys.parsePrivateKey(publicPem))
        .isInstanceOf(PemKeys.InvalidPrivateKeyException.class)
        .hasMessageContaining("not an unencrypted private key");
  }
}
