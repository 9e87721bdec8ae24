package dev.runway.pools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilePoolSourceTest {

  private static final String TWO_POOLS =
      """
      - name: linux
        labels: [linux, x64]
        maxRunners: 3
      - name: macos
        labels: [macOS, ARM64]
        runnerGroupId: 7
      """;

  @TempDir Path dir;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-28T12:00:00Z"));
  private FilePoolSource source;

  @AfterEach
  void close() {
    if (source != null) {
      source.close();
    }
  }

  @Test
  void serves_the_pools_of_the_file_once_started() throws IOException {
    Path file = write(TWO_POOLS);

    start(file);

    assertThat(pools())
        .containsExactly(
            new Pool("linux", List.of("linux", "x64"), 3, 1),
            new Pool("macos", List.of("macOS", "ARM64"), null, 7));
    assertThat(snapshot().source()).isEqualTo("file:" + file);
    assertThat(gauge("runway.pools")).isEqualTo(2);
    assertThat(gauge("runway.pool.source.valid")).isEqualTo(1);
    assertThat(gauge("runway.pool.source.available")).isEqualTo(1);
  }

  @Test
  void accepts_a_top_level_pools_key() throws IOException {
    start(write("pools:\n  - name: gpu\n    labels: [gpu]\n"));

    assertThat(pools()).containsExactly(new Pool("gpu", List.of("gpu")));
  }

  @Test
  void an_explicit_empty_list_is_an_answer_with_zero_pools() throws IOException {
    start(write("pools: []\n"));

    assertThat(pools()).isEmpty();
    assertThat(gauge("runway.pools")).isZero();
  }

  @Test
  void editing_the_file_in_place_changes_the_snapshot() throws IOException {
    Path file = write(TWO_POOLS);
    start(file);

    Files.writeString(file, TWO_POOLS + "- name: gpu\n  labels: [gpu]\n");

    await().untilAsserted(() -> assertThat(names()).containsExactly("gpu", "linux", "macos"));
  }

  @Test
  void an_editor_saving_by_rename_is_picked_up() throws IOException {
    start(write(TWO_POOLS));

    write("- {name: x, labels: []}");

    await().untilAsserted(() -> assertThat(names()).containsExactly("x"));
  }

  @Test
  void a_broken_edit_keeps_the_old_pools_and_counts_one_error_per_bad_version() throws IOException {
    Path file = write(TWO_POOLS);
    start(file);

    write("- name: linux\n  labels: [linux\n");

    await().untilAsserted(() -> assertThat(errors("parse")).isEqualTo(1));
    assertThat(names()).containsExactly("linux", "macos");
    assertThat(gauge("runway.pool.source.valid")).isZero();
    assertThat(gauge("runway.pool.source.available")).isEqualTo(1);
    // Polled many times over, the same bad version is still one error.
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> errors("parse") == 1);

    write("- name: linux\n  labels: [linux]\n  maxRunners: 0\n");
    await().untilAsserted(() -> assertThat(errors("invalid")).isEqualTo(1));
    assertThat(names()).containsExactly("linux", "macos");

    write("- name: fixed\n  labels: [linux]\n");
    await().untilAsserted(() -> assertThat(names()).containsExactly("fixed"));
    assertThat(gauge("runway.pool.source.valid")).isEqualTo(1);
  }

  @Test
  void the_snapshot_ages_while_the_file_is_broken_and_not_while_it_is_valid() throws IOException {
    Path file = write(TWO_POOLS);
    start(file);

    clock.advance(Duration.ofSeconds(30));
    // The next poll confirms the unchanged file, so what is served is current again.
    await().untilAsserted(() -> assertThat(gauge("runway.pool.snapshot.age.seconds")).isZero());

    write("not: [valid");
    await().untilAsserted(() -> assertThat(gauge("runway.pool.source.valid")).isZero());
    clock.advance(Duration.ofSeconds(30));

    assertThat(gauge("runway.pool.snapshot.age.seconds")).isEqualTo(30);
  }

  @Test
  void a_missing_file_at_start_is_unavailable_not_empty_until_it_appears() throws IOException {
    Path file = dir.resolve("pools.yaml");

    start(file);

    assertThat(source.current())
        .isInstanceOfSatisfying(
            PoolView.Unavailable.class,
            unavailable -> assertThat(unavailable.reason()).contains("does not exist"));
    assertThat(gauge("runway.pools")).isNaN();
    assertThat(gauge("runway.pool.source.available")).isZero();
    assertThat(errors("missing")).isEqualTo(1);

    write(TWO_POOLS);
    await().untilAsserted(() -> assertThat(names()).containsExactly("linux", "macos"));
  }

  @Test
  void an_invalid_file_at_start_is_unavailable_and_says_why() throws IOException {
    start(write("- name: a\n  labels: [x]\n  maxRunner: 3\n- name: A\n  labels: [y]\n"));

    assertThat(source.current())
        .isInstanceOfSatisfying(
            PoolView.Unavailable.class,
            unavailable ->
                assertThat(unavailable.reason())
                    .contains("unknown key \"maxRunner\"")
                    .contains("duplicate pool name \"A\""));
  }

  @Test
  void an_empty_file_is_unavailable_because_a_half_written_file_looks_empty() throws IOException {
    start(write(""));

    assertThat(source.current()).isInstanceOf(PoolView.Unavailable.class);
  }

  @Test
  void a_file_deleted_after_a_valid_load_keeps_the_old_pools() throws IOException {
    Path file = write(TWO_POOLS);
    start(file);

    Files.delete(file);

    await().untilAsserted(() -> assertThat(errors("missing")).isEqualTo(1));
    assertThat(names()).containsExactly("linux", "macos");
  }

  @Test
  void closing_removes_the_gauges_so_a_new_source_can_register_them() throws IOException {
    Path file = write(TWO_POOLS);
    start(file);
    source.close();

    source = new FilePoolSource(file, registry, Duration.ofMillis(20), clock);
    source.start();

    assertThat(gauge("runway.pools")).isEqualTo(2);
  }

  @Test
  void exports_the_documented_prometheus_names() throws IOException {
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Path file = dir.resolve("pools.yaml");
    source = new FilePoolSource(file, prometheus, Duration.ofMillis(20), clock);
    source.start();
    write(TWO_POOLS);
    await().until(() -> source.current() instanceof PoolView.Available);

    assertThat(prometheus.scrape())
        .contains("runway_pool_snapshot_age_seconds{source=\"file\"} 0.0")
        .contains("runway_pools{source=\"file\"} 2.0")
        .contains("runway_pool_source_available{source=\"file\"} 1.0")
        .contains("runway_pool_source_valid{source=\"file\"} 1.0")
        .contains("runway_pool_source_errors_total{reason=\"missing\",source=\"file\"} 1.0");
  }

  private void start(Path file) {
    source = new FilePoolSource(file, registry, Duration.ofMillis(20), clock);
    source.start();
  }

  /**
   * Replaces the file the way most editors save, by renaming: a poll can then never see a
   * half-written file, which would count as one more bad version.
   */
  private Path write(String content) throws IOException {
    Path next = Files.writeString(dir.resolve("pools.yaml.next"), content);
    return Files.move(
        next,
        dir.resolve("pools.yaml"),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  private PoolSnapshot snapshot() {
    assertThat(source.current()).isInstanceOf(PoolView.Available.class);
    return ((PoolView.Available) source.current()).snapshot();
  }

  private List<Pool> pools() {
    return snapshot().pools();
  }

  private List<String> names() {
    return pools().stream().map(Pool::name).toList();
  }

  private double gauge(String name) {
    return registry.get(name).tag("source", "file").gauge().value();
  }

  private double errors(String reason) {
    Counter counter =
        registry
            .find("runway.pool.source.errors")
            .tags("source", "file", "reason", reason)
            .counter();
    return counter == null ? 0 : counter.count();
  }
}
