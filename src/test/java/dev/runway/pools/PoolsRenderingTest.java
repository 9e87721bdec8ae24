package dev.runway.pools;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PoolsRenderingTest {

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-28T12:00:00Z"));
  private final PoolsRendering rendering = new PoolsRendering(clock);
  private final PoolView view =
      new PoolView.Available(
          new PoolSnapshot(
              List.of(
                  new Pool("macos-arm64", List.of("macOS", "ARM64"), 3, 2),
                  new Pool("linux", List.of("linux"))),
              clock.instant(),
              "kubernetes:ci"));

  @Test
  void renders_a_snapshot_as_an_aligned_table_sorted_by_name() {
    clock.advance(Duration.ofSeconds(12));

    assertThat(rendering.table(view))
        .isEqualTo(
            """
            source kubernetes:ci, 2 pool(s), observed at 2026-11-28T12:00:00Z (12s ago)
            NAME         LABELS       MAX RUNNERS  RUNNER GROUP
            linux        linux        -            1
            macos-arm64  macOS,ARM64  3            2
            """);
  }

  @Test
  void renders_a_snapshot_as_json() {
    assertThat(rendering.json(view))
        .contains("\"available\" : true")
        .contains("\"source\" : \"kubernetes:ci\"")
        .contains("\"observedAt\" : \"2026-11-28T12:00:00Z\"")
        .contains("\"name\" : \"macos-arm64\"")
        .contains("\"maxRunners\" : null")
        .contains("\"runnerGroupId\" : 2");
  }

  @Test
  void says_plainly_when_the_source_is_unavailable() {
    PoolView unavailable = new PoolView.Unavailable("not yet synced with the Kubernetes API");

    assertThat(rendering.table(unavailable))
        .isEqualTo("unavailable: not yet synced with the Kubernetes API\n");
    assertThat(rendering.json(unavailable))
        .contains("\"available\" : false")
        .contains("\"reason\" : \"not yet synced with the Kubernetes API\"");
  }
}
