package dev.runway.ingest.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SignatureVerifierTest {
  private final byte[] body = "{\"action\":\"queued\"}".getBytes(StandardCharsets.UTF_8);
  private final SignatureVerifier verifier = new SignatureVerifier(List.of("old", "new"));

  @Test
  void a_signature_by_any_secret_of_a_rotated_list_verifies() {
    assertThat(verifier.verify(SignatureVerifier.sign("old", body), body)).isTrue();
    assertThat(verifier.verify(SignatureVerifier.sign("new", body), body)).isTrue();
  }

  @Test
  void a_digest_fed_in_pieces_as_a_body_arrives_verifies_like_the_whole_body() {
    for (String secret : List.of("old", "new", "other")) {
      SignatureVerifier.Digest d = verifier.digest();
      d.update(body, 0, 5);
      d.update(body, 5, 0);
      d.update(body, 5, body.length - 5);
      String header = SignatureVerifier.sign(secret, body);
      assertThat(d.matches(header)).as(secret).isEqualTo(verifier.verify(header, body));
    }
    SignatureVerifier.Digest partial = verifier.digest();
    partial.update(body, 0, body.length - 1);
    assertThat(partial.matches(SignatureVerifier.sign("old", body))).isFalse();
    assertThat(verifier.digest().matches(null)).isFalse();
    assertThat(verifier.digest().toString()).doesNotContain("old", "new");
  }

  @Test
  void a_signature_by_another_secret_does_not_verify() {
    assertThat(verifier.verify(SignatureVerifier.sign("other", body), body)).isFalse();
  }

  @Test
  void a_missing_header_does_not_verify() {
    assertThat(verifier.verify(null, body)).isFalse();
    assertThat(verifier.verify("", body)).isFalse();
  }

  @Test
  void the_legacy_sha1_form_does_not_verify() {
    String hex = SignatureVerifier.sign("old", body).substring("sha256=".length());
    assertThat(verifier.verify("sha1=" + hex.substring(0, 40), body)).isFalse();
    assertThat(verifier.verify("sha1=" + hex, body)).isFalse();
  }

  @Test
  void truncated_or_uppercase_hex_does_not_verify() {
    String good = SignatureVerifier.sign("old", body);
    assertThat(verifier.verify(good.substring(0, good.length() - 2), body)).isFalse();
    assertThat(verifier.verify("sha256=" + good.substring(7).toUpperCase(), body)).isFalse();
    assertThat(verifier.verify(good + "00", body)).isFalse();
  }

  @Test
  void a_body_changed_after_signing_does_not_verify() {
    String sig = SignatureVerifier.sign("old", body);
    byte[] changed = body.clone();
    changed[3] ^= 1;
    assertThat(verifier.verify(sig, changed)).isFalse();
  }

  @Test
  void sign_matches_githubs_documented_example() {
    // The example from GitHub's "Validating webhook deliveries" documentation.
    assertThat(
            SignatureVerifier.sign(
                "It's a Secret to Everybody", "Hello, World!".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  }
}
