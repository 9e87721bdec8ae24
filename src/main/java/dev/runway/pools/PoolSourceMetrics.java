package dev.runway.pools;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The meters every pool source exports, tagged {@code source=file|kubernetes}.
 *
 * <ul>
 *   <li>{@code runway_pool_snapshot_age_seconds}: age of the snapshot served, NaN when unavailable
 *   <li>{@code runway_pools}: pools in the snapshot served, NaN when unavailable
 *   <li>{@code runway_pool_source_available}: 1 when {@code current()} is available, else 0
 *   <li>{@code runway_pool_source_errors_total{reason}}: problems the source ran into
 *   <li>{@code runway_pool_invalid{pool}}: 1 for each pool whose latest version is invalid (it
 *       serves its last valid version, or none); absent for a valid pool
 * </ul>
 *
 * <p>Gauges are removed on {@link #close()}: Micrometer returns the existing gauge when one with
 * the same name and tags is registered again, so a leftover gauge would keep reading the closed
 * source.
 */
final class PoolSourceMetrics implements AutoCloseable {

  private final MeterRegistry registry;
  private final String sourceTag;
  private final List<Meter> gauges = new ArrayList<>();
  private final MultiGauge invalid;

  PoolSourceMetrics(
      MeterRegistry registry, String sourceTag, Supplier<PoolView> view, Clock clock) {
    this.registry = registry;
    this.sourceTag = sourceTag;
    this.invalid =
        MultiGauge.builder("runway.pool.invalid")
            .description(
                "1 while the pool's latest version is invalid (it keeps its last valid version)")
            .tag("source", sourceTag)
            .register(registry);
    gauge(
        "runway.pool.snapshot.age.seconds",
        "Age of the pool snapshot currently served, NaN while the source is unavailable",
        () -> view.get().fold(s -> s.age(clock).toMillis() / 1000.0, reason -> Double.NaN));
    gauge(
        "runway.pools",
        "Pools in the snapshot currently served, NaN while the source is unavailable",
        () ->
            view.get() instanceof PoolView.Available a ? a.snapshot().pools().size() : Double.NaN);
    gauge(
        "runway.pool.source.available",
        "1 when the pool source can answer, 0 when dispatch has to retry",
        () -> view.get().fold(s -> 1, reason -> 0));
  }

  /** Registers one more gauge for this source, removed on close. */
  synchronized void gauge(String name, String description, Supplier<Number> value) {
    gauges.add(
        Gauge.builder(name, value)
            .description(description)
            .tag("source", sourceTag)
            .register(registry));
  }

  /** Sets {@code runway_pool_invalid} to 1 for exactly these pools. */
  void invalidPools(Set<String> names) {
    invalid.register(
        names.stream().map(n -> MultiGauge.Row.of(Tags.of("pool", n), 1)).toList(), true);
  }

  /** Counts one problem, e.g. {@code parse}, {@code invalid}, {@code invalid_spec}. */
  void error(String reason) {
    Counter.builder("runway.pool.source.errors")
        .description("Problems a pool source ran into, by reason")
        .tag("source", sourceTag)
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  @Override
  public synchronized void close() {
    gauges.forEach(registry::remove);
    invalid.register(List.of(), true);
    gauges.clear();
  }
}
