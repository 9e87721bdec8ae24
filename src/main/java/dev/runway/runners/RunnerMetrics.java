package dev.runway.runners;

import dev.runway.claims.RunnerState;
import dev.runway.platform.telemetry.Metrics;
import io.micrometer.core.instrument.Gauge;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code runway_runners{pool,state}} (claims whose runner is {@code claimed}, {@code launching} or
 * {@code running}, and {@code idle}: warm runners that are up and took no job, which are not in
 * {@code running}; read from the database by a poller) and {@code
 * runway_runner_launch_failures_total{pool,reason}}. Names are contracts (README).
 */
public final class RunnerMetrics {
  private static final String[] LIVE = {
    RunnerState.CLAIMED.label(),
    RunnerState.LAUNCHING.label(),
    RunnerState.RUNNING.label(),
    ClaimStateRepository.IDLE
  };

  private final Metrics metrics;
  private final Map<String, AtomicLong> runners = new ConcurrentHashMap<>();

  public RunnerMetrics(Metrics metrics) {
    this.metrics = metrics;
  }

  /** {@code runway_job_wait_seconds}: the launch stage ends when a runner is reported up. */
  dev.runway.jobs.WaitStages stages() {
    return new dev.runway.jobs.WaitStages(metrics.registry());
  }

  void launchFailure(String pool, ClaimEvent.FailureReason reason) {
    metrics
        .counter(
            "runway.runner.launch.failures",
            "Runners that never ran a job, by pool and reason",
            "pool",
            pool,
            "reason",
            reason.label())
        .increment();
  }

  /**
   * Live runners by pool and state ({@code claimed}, {@code launching}, {@code running}, {@code
   * idle}), as {@code runway_runners} counts them; the web UI's pools page shows the same.
   */
  public static Map<String, Map<String, Long>> liveRunners(Connection c) throws SQLException {
    return new ClaimStateRepository().liveCounts(c);
  }

  /**
   * Reads the live runner counts into {@code runway_runners}. Called from a background poller,
   * never on scrape. A pool seen once keeps all its states, at 0 when empty.
   */
  public void refresh(Connection c) throws SQLException {
    Map<String, Map<String, Long>> counts = liveRunners(c);
    for (String pool : counts.keySet()) {
      for (String s : LIVE) {
        runners.computeIfAbsent(pool + '\u0000' + s, this::register);
      }
    }
    runners.forEach(
        (key, value) -> {
          String[] parts = key.split("\u0000", 2);
          value.set(counts.getOrDefault(parts[0], Map.of()).getOrDefault(parts[1], 0L));
        });
  }

  private AtomicLong register(String key) {
    String[] parts = key.split("\u0000", 2);
    AtomicLong value = new AtomicLong();
    // The map keeps the value strongly reachable; Micrometer holds it weakly.
    Gauge.builder("runway.runners", value, AtomicLong::doubleValue)
        .description("Claims whose runner is claimed, launching, running or idle (warm), by pool")
        .tag("pool", parts[0])
        .tag("state", parts[1])
        .register(metrics.registry());
    return value;
  }
}
