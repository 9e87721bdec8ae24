package dev.runway.platform.github;

/**
 * A GitHub API call failed for good: the answer was not the expected one, or the retries ran out.
 * The message names the method, the path and GitHub's own message; it never contains a JWT, a token
 * or a request body.
 */
public class GitHubException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int statusCode;
  private final String method;
  private final String path;
  private final boolean rateLimited;
  private final boolean outcomeUnknown;

  GitHubException(String message, int statusCode, String method, String path, boolean rateLimited) {
    super(message);
    this.statusCode = statusCode;
    this.method = method;
    this.path = path;
    this.rateLimited = rateLimited;
    this.outcomeUnknown = false;
  }

  GitHubException(String message, String method, String path, Throwable cause) {
    super(message, cause);
    this.statusCode = 0;
    this.method = method;
    this.path = path;
    this.rateLimited = false;
    this.outcomeUnknown = false;
  }

  /** A call that is not safe to repeat failed in a way that leaves its effect unknown. */
  GitHubException(String message, int statusCode, String method, String path, Throwable cause) {
    super(message, cause);
    this.statusCode = statusCode;
    this.method = method;
    this.path = path;
    this.rateLimited = false;
    this.outcomeUnknown = true;
  }

  /**
   * Whether GitHub may have carried out a call that is not safe to repeat (a connection error or a
   * 5xx answer to a POST that creates something): the caller must look before trying again.
   */
  public boolean outcomeUnknown() {
    return outcomeUnknown;
  }

  /** The HTTP status of the last answer, or 0 when no answer arrived (connection error). */
  public int statusCode() {
    return statusCode;
  }

  /** The HTTP method of the failed call. */
  public String method() {
    return method;
  }

  /** The path (and query) of the failed call, relative to the API base URL. */
  public String path() {
    return path;
  }

  /** Whether the call failed because GitHub's rate limit did not reset in time. */
  public boolean rateLimited() {
    return rateLimited;
  }

  /** Whether the call failed with a 4xx answer, which retrying would not fix. */
  public boolean isClientError() {
    return statusCode >= 400 && statusCode < 500 && !rateLimited;
  }
}
