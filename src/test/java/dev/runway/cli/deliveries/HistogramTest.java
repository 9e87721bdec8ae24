package dev.runway.cli.deliveries;

import static dev.runway.platform.github.GitHubStub.delivery;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runway.cli.UsageException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistogramTest {

  private static final Instant T = Instant.parse("2026-05-19T15:20:00Z");

  @Test
  void counts_groups_most_frequent_first_with_stable_ties() {
    Histogram histogram = new Histogram(List.of("event", "action", "status_code"));
    histogram.add(delivery(1, "a", T, "workflow_job", "queued", 502));
    histogram.add(delivery(2, "b", T, "ping", null, 200));
    histogram.add(delivery(3, "c", T, "workflow_job", "queued", 502));
    histogram.add(delivery(4, "d", T, "workflow_job", "queued", 200));

    assertThat(histogram.rows())
        .containsExactly(
            new Histogram.Row(List.of("workflow_job", "queued", 502), 2),
            new Histogram.Row(Arrays.asList("ping", null, 200), 1),
            new Histogram.Row(List.of("workflow_job", "queued", 200), 1));
  }

  @Test
  void unknown_fields_are_refused() {
    assertThatThrownBy(() -> new Histogram(List.of("event", "colour")))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("--by colour");
  }
}
