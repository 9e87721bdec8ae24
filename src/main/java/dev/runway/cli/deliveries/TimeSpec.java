package dev.runway.cli.deliveries;

import dev.runway.cli.UsageException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code --since} and {@code --until}: an ISO-8601 instant ({@code 2026-05-19T15:20:00Z} or
 * with an offset), or a time relative to now such as {@code 90s}, {@code 30m}, {@code 2h}, {@code
 * 3d}, {@code 1w}.
 */
final class TimeSpec {

  private static final Pattern RELATIVE = Pattern.compile("(\\d+)\\s*([smhdw])");

  private TimeSpec() {}

  static Instant parse(String text, Instant now, String option) {
    String value = text.trim();
    Matcher relative = RELATIVE.matcher(value);
    if (relative.matches()) {
      return now.minus(unit(relative.group(2)).multipliedBy(Long.parseLong(relative.group(1))));
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      try {
        return OffsetDateTime.parse(value).toInstant();
      } catch (DateTimeParseException ignored) {
        throw new UsageException(
            option
                + " "
                + text
                + ": expected an ISO-8601 instant (2026-05-19T15:20:00Z) or an age (30m, 2h, 3d)");
      }
    }
  }

  private static Duration unit(String unit) {
    return switch (unit) {
      case "s" -> Duration.ofSeconds(1);
      case "m" -> Duration.ofMinutes(1);
      case "h" -> Duration.ofHours(1);
      case "d" -> Duration.ofDays(1);
      case "w" -> Duration.ofDays(7);
      default -> throw new IllegalArgumentException(unit);
    };
  }
}
