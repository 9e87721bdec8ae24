package dev.runway.platform.github;

import java.time.Instant;

/**
 * GitHub told this installation (or the App) to stop until {@link #until()}, and the request was
 * not sent: during a pause the only request that goes out is one probe after the reset. Nothing
 * happened at GitHub.
 */
public final class GitHubPausedException extends GitHubException {
  private static final long serialVersionUID = 1L;

  private final Instant until;
  private final long retryAfterSeconds;

  GitHubPausedException(
      String message, String method, String path, Instant until, long retryAfterSeconds) {
    super(message, 0, method, path, true);
    this.until = until;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** When GitHub said the limit resets (a probe may be under way past it). */
  public Instant until() {
    return until;
  }

  /** Whole seconds to wait before trying again, at least 1: what a {@code Retry-After} says. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
