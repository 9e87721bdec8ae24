package dev.runway.platform.telemetry;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One daemon thread that refreshes the gauges whose value needs a query.
 *
 * <p>A refresh that fails leaves its gauge at the last value it read: dropping it would make a
 * dashboard draw a gap that looks like "zero jobs" in some panels. So that the last value is never
 * taken for a current one, each named refresh also exports {@code runway_gauge_age_seconds{gauge}}:
 * the time since that refresh last succeeded (since the poller started, before the first success).
 * During a database outage it grows; an alert or a panel can grey out the gauge once it passes a
 * few intervals.
 */
public final class Poller implements AutoCloseable {
  private final ScheduledExecutorService executor =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "gauge-poller");
            t.setDaemon(true);
            return t;
          });
  private final Duration interval;
  private final MeterRegistry registry;
  private final Clock clock;
  private final List<Meter> ages = new ArrayList<>();

  /** A poller without age gauges, for refreshes that read no database. */
  public Poller(Duration interval) {
    this(interval, null, Clock.systemUTC());
  }

  /** A poller whose named refreshes export {@code runway_gauge_age_seconds} to {@code registry}. */
  public Poller(Duration interval, MeterRegistry registry, Clock clock) {
    this.interval = interval;
    this.registry = registry;
    this.clock = clock;
  }

  /** A refresh that may fail. */
  public interface Refresh {
    void run() throws Exception;
  }

  /** Runs {@code refresh} now and then every interval; a failure keeps the gauge's last value. */
  public void every(Refresh refresh) {
    schedule(refresh, () -> {});
  }

  /**
   * Runs {@code refresh} now and then every interval, and exports how long ago it last succeeded as
   * {@code runway_gauge_age_seconds{gauge=name}}.
   *
   * @param gauge the Prometheus name of the gauge the refresh sets, such as {@code runway_jobs}
   */
  public void every(String gauge, Refresh refresh) {
    AtomicReference<Instant> last = new AtomicReference<>(clock.instant());
    if (registry != null) {
      synchronized (ages) {
        ages.add(
            Gauge.builder(
                    "runway.gauge.age.seconds",
                    () -> {
                      Duration age = Duration.between(last.get(), clock.instant());
                      return age.isNegative() ? 0 : age.toMillis() / 1000.0;
                    })
                .description(
                    "Seconds since the gauge's last successful read from the database; it keeps"
                        + " its last value while this grows")
                .tag("gauge", gauge)
                .register(registry));
      }
    }
    schedule(refresh, () -> last.set(clock.instant()));
  }

  private void schedule(Refresh refresh, Runnable succeeded) {
    executor.scheduleWithFixedDelay(
        () -> {
          try {
            refresh.run();
            succeeded.run();
          } catch (Exception e) {
            // The gauge keeps its last value; its age says how old that is.
          }
        },
        0,
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    executor.shutdownNow();
    if (registry != null) {
      synchronized (ages) {
        ages.forEach(registry::remove);
        ages.clear();
      }
    }
  }
}
