package dev.runway.dispatch;

/**
 * The dispatch could not settle now (the database or the pool source did not answer) and must be
 * retried. It is never an outcome: unknown is not empty.
 */
final class DispatchRetry extends RuntimeException {
  public DispatchRetry(String message, Throwable cause) {
    super(message, cause);
  }

  public DispatchRetry(String message) {
    super(message);
  }
}
