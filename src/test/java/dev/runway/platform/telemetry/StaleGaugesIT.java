package dev.runway.platform.telemetry;

import static org.awaitility.Awaitility.await;

import dev.runway.testing.PostgresProcess;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.ServiceProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With PostgreSQL stopped, the gauges read from it keep their last value but say how old it is, so
 * that a dashboard cannot show a healthy queue while nothing is read.
 */
class StaleGaugesIT {
  static final String JOBS_AGE = "runway_gauge_age_seconds{gauge=\"runway_jobs\"}";
  static final String DEPTH_AGE = "runway_gauge_age_seconds{gauge=\"runway_queue_depth\"}";
  static final String RUNNERS_AGE = "runway_gauge_age_seconds{gauge=\"runway_runners\"}";

  @TempDir Path dir;
  PostgresProcess pg;
  RunwayHarness svc;

  @AfterEach
  void stop() throws Exception {
    if (svc != null) {
      svc.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void with_the_database_stopped_the_gauge_ages_grow_and_reset_when_it_is_back() throws Exception {
    pg = new PostgresProcess(dir.resolve("pg"), ServiceProcess.freePort()).start();
    Files.writeString(
        dir.resolve("pools.yaml"), "pools:\n  - name: linux-x64\n    labels: [linux, x64]\n");
    svc = RunwayHarness.start(dir, pg.jdbcUrl(), Map.of());
    // The poller reads every 5 s: a fresh gauge is younger than that.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> svc.metric(JOBS_AGE) < 5 && svc.metric(DEPTH_AGE) < 5);

    pg.close();

    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                svc.metric(JOBS_AGE) > 15
                    && svc.metric(DEPTH_AGE) > 15
                    && svc.metric(RUNNERS_AGE) > 15);

    pg.start();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> svc.metric(JOBS_AGE) < 5 && svc.metric(DEPTH_AGE) < 5);
  }
}
