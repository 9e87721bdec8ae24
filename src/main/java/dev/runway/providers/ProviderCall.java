package dev.runway.providers;

import java.time.Duration;

/**
 * What one call of a provider executable came to. Exit code 30 is GARM's "not found": for {@link
 * ProviderExecutable#delete} it means the instance is already gone, which is success.
 */
sealed interface ProviderCall {

  /** Exit code 0; {@code stdout} is what the executable printed (JSON, or nothing). */
  record Ok(String stdout) implements ProviderCall {}

  /** Exit code 30: the provider has no such instance. */
  record NotFound() implements ProviderCall {}

  /**
   * Any other exit code.
   *
   * @param lastStderrLine the last line the executable wrote to stderr, with any secret of the call
   *     removed, at most 300 characters; null when it wrote none
   */
  record Failed(int exitCode, String lastStderrLine) implements ProviderCall {}

  /** The call ran past its timeout and was destroyed, with every process it started. */
  record TimedOut(Duration after) implements ProviderCall {}

  /** The executable could not be started at all (missing, not executable). */
  record NotStarted(String why) implements ProviderCall {}

  /** Words for a log line: never stdout, which may carry what the provider was given. */
  static String describe(ProviderCall call) {
    if (call instanceof Ok) {
      return "ok";
    } else if (call instanceof NotFound) {
      return "not found (exit code 30)";
    } else if (call instanceof Failed f) {
      return "exit code "
          + f.exitCode()
          + (f.lastStderrLine() == null ? "" : ": " + f.lastStderrLine());
    } else if (call instanceof TimedOut t) {
      return "timed out after " + t.after() + " and was destroyed";
    } else if (call instanceof NotStarted n) {
      return "not started: " + n.why();
    }
    throw new IllegalStateException("unknown call outcome " + call);
  }
}
