package dev.runway.cli.doctor;

import java.util.Objects;

/**
 * The answer of one doctor check: what was found, and what to do about it when it is not ok.
 *
 * @param name a stable id ({@code database}, {@code app-key}, ...), for scripts reading JSON
 * @param fix what to do, or null when there is nothing to do
 */
record Check(String name, Status status, String message, String fix) {

  /** How a check came out; only {@link #FAILED} makes {@code runway doctor} exit non-zero. */
  enum Status {
    OK,
    WARNING,
    FAILED,
    /** Not run, because a check it depends on failed. */
    SKIPPED;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  Check {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(message, "message");
  }

  static Check ok(String name, String message) {
    return new Check(name, Status.OK, message, null);
  }

  static Check warning(String name, String message, String fix) {
    return new Check(name, Status.WARNING, message, fix);
  }

  static Check failed(String name, String message, String fix) {
    return new Check(name, Status.FAILED, message, fix);
  }

  static Check skipped(String name, String why) {
    return new Check(name, Status.SKIPPED, why, null);
  }
}
