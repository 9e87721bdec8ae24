package dev.runway.pools;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a pool source answered: the pools it listed and when that answer was last known current.
 *
 * <p>An empty {@link #pools()} list is a real answer ("zero pools are configured"), which is why a
 * source that cannot answer returns {@link PoolView.Unavailable} instead of an empty snapshot.
 *
 * @param pools the pools, sorted by name
 * @param observedAt the last time the source confirmed these pools were current; a snapshot kept
 *     while the source is broken keeps its old {@code observedAt}, so its age grows
 * @param source the source that produced it, as {@link PoolSource#describe()} says
 * @param unknown pools the source lists but has never been able to read (a {@code RunnerPool} that
 *     was never valid), by name, with the problem: they might match any job, so a job that matches
 *     none of {@link #pools()} is retried while this is not empty instead of becoming {@code
 *     no_pools} or {@code no_matching_pool} ("unknown is not empty")
 */
public record PoolSnapshot(
    List<Pool> pools, Instant observedAt, String source, Map<String, String> unknown) {

  public PoolSnapshot {
    pools = pools.stream().sorted(Comparator.comparing(Pool::name)).toList();
    Objects.requireNonNull(observedAt, "observedAt");
    Objects.requireNonNull(source, "source");
    unknown = Collections.unmodifiableMap(new TreeMap<>(unknown));
  }

  /** A snapshot in which every pool the source lists could be read. */
  public PoolSnapshot(List<Pool> pools, Instant observedAt, String source) {
    this(pools, observedAt, source, Map.of());
  }

  /** How long ago the source last confirmed this snapshot, never negative. */
  public Duration age(Clock clock) {
    Duration age = Duration.between(observedAt, clock.instant());
    return age.isNegative() ? Duration.ZERO : age;
  }
}
