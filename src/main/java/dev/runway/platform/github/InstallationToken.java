package dev.runway.platform.github;

import java.time.Instant;

/** An installation access token. {@link #toString()} hides the token. */
record InstallationToken(String token, Instant expiresAt) {
  @Override
  public String toString() {
    return "InstallationToken[token=<redacted>, expiresAt=" + expiresAt + "]";
  }
}
