package dev.runway.claims;

import dev.runway.platform.telemetry.Metrics;
import dev.runway.platform.telemetry.Poller;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * The claims' meters: {@code runway_claims_total{pool,result}}, {@code runway_jobs{pool,status}},
 * {@code runway_claim_queue_wait_seconds} (received to claimed) and {@code
 * runway_claim_start_latency_seconds} (claimed to in progress), and {@code
 * runway_jobs_oldest_age_seconds{pool,status}} (how long the oldest job in that state has been
 * known, which a queue-time alert needs: a count alone cannot tell a busy pool from a stuck one).
 * Names are contracts (README).
 */
public final class ClaimMetrics {
  private final Metrics metrics;
  private final Map<String, Timer> queueWait = new ConcurrentHashMap<>();
  private final Map<String, Timer> startLatency = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> jobs = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> oldestMillis = new ConcurrentHashMap<>();

  private final dev.runway.jobs.WaitStages stages;

  public ClaimMetrics(Metrics metrics) {
    this.metrics = metrics;
    this.stages = new dev.runway.jobs.WaitStages(metrics.registry());
  }

  /** {@code runway_job_wait_seconds}: the capacity stage ends at a claim, assign at a binding. */
  public dev.runway.jobs.WaitStages stages() {
    return stages;
  }

  void claim(String pool, String result) {
    metrics
        .counter(
            "runway.claims", "Claim requests by pool and result", "pool", pool, "result", result)
        .increment();
  }

  void queueWait(String pool, Duration d) {
    record(queueWait, "runway.claim.queue.wait", "Time from a job's receipt to its claim", pool, d);
  }

  public void startLatency(String pool, Duration d) {
    record(
        startLatency,
        "runway.claim.start.latency",
        "Time from a claim to its runner's in_progress",
        pool,
        d);
  }

  private void record(
      Map<String, Timer> timers, String name, String description, String pool, Duration d) {
    timers
        .computeIfAbsent(
            pool,
            p ->
                Timer.builder(name)
                    .description(description)
                    .tag("pool", p)
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(100))
                    .maximumExpectedValue(Duration.ofHours(24))
                    .register(metrics.registry()))
        // Receipt times come from the replica that received the delivery and claim times from
        // this one; a skew between the two must not drop the sample.
        .record(d.isNegative() ? Duration.ZERO : d);
  }

  /** Keeps the {@code runway_jobs} gauge current from {@code poller}'s thread. */
  public void pollJobs(Poller poller, DataSource ds) {
    poller.every(
        "runway_jobs",
        () -> {
          try (Connection c = ds.getConnection()) {
            refreshJobs(c);
          }
        });
  }

  /**
   * Reads the job counts by pool and status into the {@code runway_jobs} gauge. Called from a
   * background poller, never on scrape; a pool and status seen once stays, at 0 when empty.
   * Completed jobs are left out: their count only grows and would cost a scan.
   */
  public void refreshJobs(Connection c) throws SQLException {
    Map<String, Long> counts = new HashMap<>();
    Map<String, Long> oldest = new HashMap<>();
    // Ages are measured with the database's clock against each job's receipt time. A skew to the
    // clock that stamped the receipt moves them by that much at most, and they never go below 0.
    try (PreparedStatement ps =
        c.prepareStatement(
            "select coalesce(pool, 'none'), status, count(*),"
                + " (extract(epoch from now() - min(received_at)) * 1000)::bigint from jobs"
                + " where status in ('waiting', 'queued', 'claimed', 'in_progress')"
                + " group by 1, 2")) {
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String key = rs.getString(1) + '\u0000' + rs.getString(2);
          counts.put(key, rs.getLong(3));
          oldest.put(key, Math.max(0, rs.getLong(4)));
        }
      }
    }
    for (String key : counts.keySet()) {
      jobs.computeIfAbsent(key, this::register);
      oldestMillis.computeIfAbsent(key, this::registerOldest);
    }
    jobs.forEach((key, value) -> value.set(counts.getOrDefault(key, 0L)));
    oldestMillis.forEach((key, value) -> value.set(oldest.getOrDefault(key, 0L)));
  }

  private AtomicLong register(String key) {
    String[] parts = key.split("\u0000", 2);
    AtomicLong value = new AtomicLong();
    // The map keeps the value strongly reachable; Micrometer holds it weakly.
    Gauge.builder("runway.jobs", value, AtomicLong::doubleValue)
        .description("Jobs Runway tracks, by pool (none: not dispatched to one) and status")
        .tag("pool", parts[0])
        .tag("status", parts[1])
        .register(metrics.registry());
    return value;
  }

  private AtomicLong registerOldest(String key) {
    String[] parts = key.split("\u0000", 2);
    AtomicLong value = new AtomicLong();
    Gauge.builder("runway.jobs.oldest.age.seconds", value, v -> v.get() / 1000.0)
        .description(
            "Age of the oldest job in this pool and status, since its receipt; 0 when none")
        .tag("pool", parts[0])
        .tag("status", parts[1])
        .register(metrics.registry());
    return value;
  }
}
