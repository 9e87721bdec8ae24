package dev.runway.telemetry;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One daemon thread that refreshes the gauges whose value needs a query. A refresh that fails
 * leaves its gauge at the last value; an outage shows in the spool and health signals instead.
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

  public Poller(Duration interval) {
    this.interval = interval;
  }

  /** A refresh that may fail. */
  public interface Refresh {
    void run() throws Exception;
  }

  /** Runs {@code refresh} now and then every interval. */
  public void every(Refresh refresh) {
    executor.scheduleWithFixedDelay(
        () -> {
          try {
            refresh.run();
          } catch (Exception e) {
            // The gauge keeps its last value.
          }
        },
        0,
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
