package dev.runway.platform.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsFormatTest {
  @Test
  void durations_are_written_as_people_write_them_and_read_back() {
    assertThat(Durations.format(Duration.ofMinutes(5))).isEqualTo("5m");
    assertThat(Durations.format(Duration.ofHours(6))).isEqualTo("6h");
    assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("90m");
    assertThat(Durations.format(Duration.ofSeconds(30))).isEqualTo("30s");
    assertThat(Durations.format(Duration.ofMillis(250))).isEqualTo("250ms");
    assertThat(Durations.format(Duration.ofDays(2))).isEqualTo("2d");
    assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
    for (Duration d :
        new Duration[] {
          Duration.ofMinutes(5), Duration.ofMillis(1500), Duration.ofSeconds(61), Duration.ofDays(3)
        }) {
      assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
      assertThat(Durations.format(d)).doesNotStartWith("PT");
    }
  }
}
