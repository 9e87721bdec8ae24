package dev.runway.platform.github;

/**
 * A GitHub operation did not finish within its {@link Deadline}: the remaining time could not hold
 * another attempt or the wait before it. Nothing is retried past this point.
 */
public final class DeadlineExceededException extends GitHubException {
  private static final long serialVersionUID = 1L;

  DeadlineExceededException(String message, int lastStatus, String method, String path) {
    super(message, lastStatus, method, path, false);
  }
}
