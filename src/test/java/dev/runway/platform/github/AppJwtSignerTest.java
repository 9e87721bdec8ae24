package dev.runway.platform.github;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AppJwtSignerTest {

  private static final TestKeys KEYS = TestKeys.generate();
  private static final Instant NOW = Instant.parse("2026-05-19T15:20:00Z");

  private final MutableClock clock = new MutableClock(NOW);

  @Test
  void a_jwt_minted_from_a_pkcs1_key_verifies_with_the_public_key() throws Exception {
    String jwt = new AppJwtSigner("12345", PemKeys.parsePrivateKey(KEYS.pkcs1Pem()), clock).jwt();

    assertVerifiedWithGitHubClaims(jwt);
  }

  @Test
  void a_jwt_minted_from_a_pkcs8_key_verifies_with_the_public_key() throws Exception {
    String jwt = new AppJwtSigner("12345", PemKeys.parsePrivateKey(KEYS.pkcs8Pem()), clock).jwt();

    assertVerifiedWithGitHubClaims(jwt);
  }

  @Test
  void a_jwt_signed_with_another_key_does_not_verify() throws Exception {
    String jwt = new AppJwtSigner("12345", TestKeys.generate().privateKey(), clock).jwt();

    assertThat(SignedJWT.parse(jwt).verify(new RSASSAVerifier(KEYS.publicKey()))).isFalse();
  }

  @Test
  void the_jwt_is_reused_until_shortly_before_it_expires() {
    AppJwtSigner signer = new AppJwtSigner("12345", KEYS.privateKey(), clock);
    String first = signer.jwt();

    clock.advance(Duration.ofMinutes(6));
    assertThat(signer.jwt()).isEqualTo(first);

    clock.advance(Duration.ofMinutes(1).plusSeconds(1));
    assertThat(signer.jwt()).isNotEqualTo(first);
  }

  @Test
  void to_string_shows_the_app_id_only() {
    assertThat(new AppJwtSigner("12345", KEYS.privateKey(), clock).toString())
        .isEqualTo("AppJwtSigner[appId=12345]");
  }

  private void assertVerifiedWithGitHubClaims(String jwt) throws Exception {
    SignedJWT parsed = SignedJWT.parse(jwt);
    assertThat(parsed.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
    assertThat(parsed.verify(new RSASSAVerifier(KEYS.publicKey()))).isTrue();
    JWTClaimsSet claims = parsed.getJWTClaimsSet();
    assertThat(claims.getIssuer()).isEqualTo("12345");
    Instant iat = claims.getIssueTime().toInstant();
    Instant exp = claims.getExpirationTime().toInstant();
    assertThat(iat).isEqualTo(NOW.minusSeconds(60));
    assertThat(exp).isAfter(NOW);
    assertThat(Duration.between(iat, exp)).isLessThanOrEqualTo(Duration.ofMinutes(10));
  }
}
