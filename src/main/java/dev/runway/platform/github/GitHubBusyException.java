package dev.runway.platform.github;

/**
 * Every one of the process's GitHub request slots stayed taken until the caller's deadline: the
 * request was never sent. The caller comes back later (a claim answers 503 with {@code
 * Retry-After}); nothing happened at GitHub.
 */
public final class GitHubBusyException extends GitHubException {
  private static final long serialVersionUID = 1L;

  GitHubBusyException(String message, String method, String path) {
    super(message, 0, method, path, false);
  }
}
