package dev.runway.cli.deliveries;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runway.cli.UsageException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimeSpecTest {

  private static final Instant NOW = Instant.parse("2026-05-19T16:00:00Z");

  @Test
  void relative_ages_count_back_from_now() {
    assertThat(TimeSpec.parse("90s", NOW, "--since")).isEqualTo(NOW.minusSeconds(90));
    assertThat(TimeSpec.parse("30m", NOW, "--since"))
        .isEqualTo(Instant.parse("2026-05-19T15:30:00Z"));
    assertThat(TimeSpec.parse("2h", NOW, "--since"))
        .isEqualTo(Instant.parse("2026-05-19T14:00:00Z"));
    assertThat(TimeSpec.parse("3d", NOW, "--since"))
        .isEqualTo(Instant.parse("2026-05-16T16:00:00Z"));
    assertThat(TimeSpec.parse("1w", NOW, "--since"))
        .isEqualTo(Instant.parse("2026-05-12T16:00:00Z"));
  }

  @Test
  void iso_instants_with_z_or_an_offset_are_read() {
    assertThat(TimeSpec.parse("2026-05-19T15:20:00Z", NOW, "--since"))
        .isEqualTo(Instant.parse("2026-05-19T15:20:00Z"));
    assertThat(TimeSpec.parse("2026-05-19T17:20:00+02:00", NOW, "--since"))
        .isEqualTo(Instant.parse("2026-05-19T15:20:00Z"));
  }

  @Test
  void anything_else_is_a_usage_error_naming_the_option() {
    assertThatThrownBy(() -> TimeSpec.parse("yesterday", NOW, "--until"))
        .isInstanceOf(UsageException.class)
        .hasMessageStartingWith("--until yesterday:");
  }
}
