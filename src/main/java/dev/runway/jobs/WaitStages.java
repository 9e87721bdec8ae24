package dev.runway.jobs;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code runway_job_wait_seconds{pool,stage}}: one observation per job and stage, made by whoever
 * moves the job past the stage's end (dispatch, the claim, the runner state machine, the runner
 * binding), after or inside the transaction that moved it.
 */
public final class WaitStages {
  private final MeterRegistry registry;
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  public WaitStages(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Records {@code from → to} for {@code stage}; nothing when either end is unknown. */
  public void observe(String pool, WaitStage stage, Instant from, Instant to) {
    if (from == null || to == null) {
      return;
    }
    Duration d = Duration.between(from, to);
    timers
        .computeIfAbsent(
            (pool == null ? "none" : pool) + '\u0000' + stage.label(),
            k ->
                Timer.builder("runway.job.wait")
                    .description("Time a job spent in each stage of its wait, by pool and stage")
                    .tag("pool", pool == null ? "none" : pool)
                    .tag("stage", stage.label())
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(10))
                    .maximumExpectedValue(Duration.ofHours(24))
                    .register(registry))
        // Two ends may come from two clocks (GitHub's and a replica's, or two replicas'); a skew
        // must not drop the sample.
        .record(d.isNegative() ? Duration.ZERO : d);
  }

  /** For wiring where no meters are wanted (the CLI). */
  public static WaitStages none() {
    return new WaitStages(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
  }
}
