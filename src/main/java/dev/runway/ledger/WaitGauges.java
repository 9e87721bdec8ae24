package dev.runway.ledger;

import dev.runway.platform.telemetry.Poller;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * {@code runway_jobs_waiting{pool,reason}} and {@code runway_job_oldest_wait_seconds{pool,reason}}:
 * how many jobs wait for each reason, and for how long the oldest has (since GitHub created it, or
 * since Runway heard of it if that is earlier). Refreshed by the gauge poller, never on scrape. A
 * series seen once stays, at 0 when no job waits for it, so an alert sees it end.
 */
public final class WaitGauges {
  private final WaitReasons reasons;
  private final MeterRegistry registry;
  private final Clock clock;
  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> oldestMillis = new ConcurrentHashMap<>();

  public WaitGauges(WaitReasons reasons, MeterRegistry registry, Clock clock) {
    this.reasons = reasons;
    this.registry = registry;
    this.clock = clock;
  }

  /** Keeps the gauges current from {@code poller}'s thread. */
  public void poll(Poller poller, DataSource ds) {
    poller.every(
        () -> {
          try (Connection c = ds.getConnection()) {
            refresh(c);
          }
        });
  }

  /** Reads every waiting job's reason into the gauges. */
  public void refresh(Connection c) throws SQLException {
    Map<String, Long> n = new HashMap<>();
    Map<String, Long> oldest = new HashMap<>();
    long now = clock.millis();
    for (WaitReasons.Waiting w : reasons.all(c)) {
      String key = (w.pool() == null ? "none" : w.pool()) + '\u0000' + w.reason().label();
      n.merge(key, 1L, Long::sum);
      oldest.merge(key, Math.max(0, now - w.since().toEpochMilli()), Math::max);
    }
    for (String key : n.keySet()) {
      counts.computeIfAbsent(key, k -> register(k, "runway.jobs.waiting", false));
      oldestMillis.computeIfAbsent(key, k -> register(k, "runway.job.oldest.wait.seconds", true));
    }
    counts.forEach((key, v) -> v.set(n.getOrDefault(key, 0L)));
    oldestMillis.forEach((key, v) -> v.set(oldest.getOrDefault(key, 0L)));
  }

  private AtomicLong register(String key, String name, boolean seconds) {
    String[] parts = key.split("\u0000", 2);
    AtomicLong value = new AtomicLong();
    // The map keeps the value strongly reachable; Micrometer holds it weakly.
    Gauge.builder(name, value, v -> seconds ? v.get() / 1000.0 : v.get())
        .description(
            seconds
                ? "How long the oldest job waiting for this reason has waited; 0 when none"
                : "Jobs that are not running yet, by pool and the reason they wait")
        .tag("pool", parts[0])
        .tag("reason", parts[1])
        .register(registry);
    return value;
  }
}
