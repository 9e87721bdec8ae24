package dev.runway.provisioner;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code runway_pool_degraded{pool}}: 1 while a provisioned pool is {@code Degraded}, else 0. Only
 * the replica that leads provisioning knows a pool's launch failures ({@link PoolHealth} lives on
 * its thread), so only it exports the series; a replica that loses the lead removes them, so that
 * {@code max by (pool)} over all replicas is the leader's truth and never a stale 1. Written by the
 * provisioning thread, read on scrape.
 */
public final class DegradedGauges {
  private final MeterRegistry registry;
  private final Map<String, Registered> pools = new ConcurrentHashMap<>();
  private volatile Map<String, String> degraded = Map.of();

  private record Registered(AtomicInteger value, Gauge gauge) {}

  public DegradedGauges(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * The leader's view after a cycle: exactly these provisioned pools, each with why it is degraded,
   * or empty when it is not.
   */
  public void set(Map<String, Optional<String>> byPool) {
    pools.entrySet().removeIf(e -> !byPool.containsKey(e.getKey()) && remove(e.getValue()));
    Map<String, String> now = new TreeMap<>();
    byPool.forEach(
        (pool, why) -> {
          pools.computeIfAbsent(pool, this::register).value().set(why.isPresent() ? 1 : 0);
          why.ifPresent(w -> now.put(pool, w));
        });
    degraded = Collections.unmodifiableMap(now);
  }

  /** This replica no longer leads: it knows nothing about the pools' health. */
  public void clear() {
    degraded = Map.of();
    pools.values().removeIf(this::remove);
  }

  /** Degraded pools by name, with why, as of the last {@link #set}. */
  public Map<String, String> degraded() {
    return degraded;
  }

  private Registered register(String pool) {
    AtomicInteger value = new AtomicInteger();
    // The map keeps the value strongly reachable; Micrometer holds it weakly.
    Gauge gauge =
        Gauge.builder("runway.pool.degraded", value, AtomicInteger::doubleValue)
            .description(
                "1 while a provisioned pool is Degraded (launch failures in a row), else 0;"
                    + " exported by the replica that leads provisioning")
            .tag("pool", pool)
            .register(registry);
    return new Registered(value, gauge);
  }

  private boolean remove(Registered r) {
    registry.remove(r.gauge());
    return true;
  }
}
