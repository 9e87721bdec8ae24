package dev.runway.claims;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names of Runway's just-in-time runners: {@code runway-<pool>-<claim id>}. The claim id is
 * what binds an {@code in_progress} event back to its claim; the pool part is for people and is
 * checked against the claim, so a look-alike name from another system binds nothing.
 */
public final class RunnerNames {
  private static final Pattern NAME = Pattern.compile("^runway-(.+)-([0-9]{1,18})$");

  private RunnerNames() {}

  /** A runner name and what it says. */
  public record Parsed(String pool, long claimId) {}

  public static String of(String pool, long claimId) {
    return "runway-" + pool + "-" + claimId;
  }

  /** What a runner name says, or empty when it is not one of Runway's names. */
  public static Optional<Parsed> parse(String runnerName) {
    if (runnerName == null) {
      return Optional.empty();
    }
    Matcher m = NAME.matcher(runnerName);
    return m.matches()
        ? Optional.of(new Parsed(m.group(1), Long.parseLong(m.group(2))))
        : Optional.empty();
  }
}
