package dev.runway.platform.github;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.interfaces.RSAPrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Objects;

/**
 * Mints the RS256 JWTs a GitHub App authenticates with.
 *
 * <p>{@code iat} is backdated by 60 s to absorb clock drift between us and GitHub, and {@code exp}
 * lies {@link #LIFETIME} after {@code iat}, inside GitHub's 10-minute bound. A token is reused
 * until {@link #RENEW_BEFORE_EXPIRY} before it expires, so a burst of calls signs once.
 * Thread-safe.
 */
public final class AppJwtSigner {

  static final Duration BACKDATE = Duration.ofSeconds(60);
  static final Duration LIFETIME = Duration.ofMinutes(9);
  static final Duration RENEW_BEFORE_EXPIRY = Duration.ofMinutes(1);

  private final String appId;
  private final RSASSASigner signer;
  private final Clock clock;
  private Minted current;

  /**
   * @param appId the App id (or client id), sent as the {@code iss} claim
   * @param privateKey the App's private key
   * @param clock source of {@code iat} and {@code exp}
   */
  public AppJwtSigner(String appId, RSAPrivateKey privateKey, Clock clock) {
    if (appId == null || appId.isBlank()) {
      throw new IllegalArgumentException("the App id is empty");
    }
    this.appId = appId;
    this.signer = new RSASSASigner(Objects.requireNonNull(privateKey, "privateKey"));
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The App id this signer issues tokens for. */
  public String appId() {
    return appId;
  }

  /** A JWT valid for at least {@link #RENEW_BEFORE_EXPIRY} from now. */
  public synchronized String jwt() {
    Instant now = clock.instant();
    if (current == null || !now.isBefore(current.expiresAt.minus(RENEW_BEFORE_EXPIRY))) {
      current = mint(now);
    }
    return current.token;
  }

  private Minted mint(Instant now) {
    Instant issuedAt = now.minus(BACKDATE);
    Instant expiresAt = issuedAt.plus(LIFETIME);
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(appId)
            .issueTime(Date.from(issuedAt))
            .expirationTime(Date.from(expiresAt))
            .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign the App JWT for App " + appId, e);
    }
    return new Minted(jwt.serialize(), expiresAt);
  }

  @Override
  public String toString() {
    return "AppJwtSigner[appId=" + appId + "]";
  }

  private record Minted(String token, Instant expiresAt) {
    @Override
    public String toString() {
      return "Minted[token=<redacted>, expiresAt=" + expiresAt + "]";
    }
  }
}
