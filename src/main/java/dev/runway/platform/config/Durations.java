package dev.runway.platform.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses human durations such as {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 3d}.
 */
public final class Durations {
  private static final Pattern SIMPLE = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  private Durations() {}

  /**
   * Writes {@code d} as people write it, in the largest unit that is exact, so {@link #parse} reads
   * it back: {@code 5m}, {@code 6h}, {@code 90m}, {@code 250ms}, {@code 0s}; never {@code PT5M}.
   */
  public static String format(Duration d) {
    if (d.isNegative()) {
      return "-" + format(d.negated());
    }
    long ms = d.toMillis();
    if (ms == 0) {
      return "0s";
    }
    long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1_000L};
    String[] units = {"d", "h", "m", "s"};
    for (int i = 0; i < sizes.length; i++) {
      if (ms % sizes[i] == 0) {
        return ms / sizes[i] + units[i];
      }
    }
    return ms + "ms";
  }

  /**
   * Parses {@code text} as a simple duration or an ISO-8601 one ({@code PT5M}).
   *
   * @throws IllegalArgumentException when the text is neither
   */
  public static Duration parse(String text) {
    String t = text.trim();
    Matcher m = SIMPLE.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    try {
      return Duration.parse(t);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration (use e.g. 250ms, 30s, 5m, 2h or PT5M)");
    }
  }
}
