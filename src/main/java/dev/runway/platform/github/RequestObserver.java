package dev.runway.platform.github;

import java.time.Duration;

/**
 * Sees every HTTP exchange {@link GitHubClient} makes, for verbose output and tests. It receives
 * the method, the path and query, the status and the time taken; never headers or bodies, so it
 * cannot leak a JWT or token.
 */
@FunctionalInterface
public interface RequestObserver {

  /**
   * @param status the HTTP status, or 0 when no response arrived
   * @param attempt 1 for the first attempt of a call
   */
  void exchanged(String method, String pathAndQuery, int status, Duration elapsed, int attempt);

  /** Observes nothing. */
  static RequestObserver none() {
    return (method, path, status, elapsed, attempt) -> {};
  }
}
