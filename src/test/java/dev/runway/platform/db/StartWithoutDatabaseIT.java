package dev.runway.platform.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.testing.PostgresProcess;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.ServiceProcess;
import dev.runway.testing.Signed;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve} starts while PostgreSQL is down: webhooks go to the spool, and migrations, dispatch
 * and the reconcilers start once the database answers. Nothing accepted before is lost or
 * dispatched twice.
 */
class StartWithoutDatabaseIT {
  @TempDir Path dir;
  PostgresProcess pg;
  RunwayHarness svc;
  final ObjectMapper json = new ObjectMapper();

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
  void deliveries_taken_before_the_database_exists_are_dispatched_exactly_once_after_it_starts()
      throws Exception {
    int port = ServiceProcess.freePort();
    pg = new PostgresProcess(dir.resolve("pg"), port);
    svc = RunwayHarness.start(dir, "jdbc:postgresql://127.0.0.1:" + port + "/postgres", Map.of());

    HttpResponse<String> ready = svc.get("/readyz");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(json.readTree(ready.body()).get("database").asText()).isEqualTo("down");

    for (int i = 0; i < 100; i++) {
      HttpResponse<String> r =
          svc.post(
              "workflow_job", "before-db-" + i, Signed.workflowJob("queued", 8000 + i, "linux"));
      assertThat(r.statusCode()).isEqualTo(202);
      assertThat(json.readTree(r.body()).get("result").asText()).isEqualTo("spooled");
    }

    pg.start();

    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(250))
        // Until the migrations ran, the tables do not exist.
        .ignoreExceptions()
        .untilAsserted(
            () ->
                assertThat(
                        svc.count(
                            "select count(*) from inbox where guid like 'before-db-%'"
                                + " and settled_at is not null"))
                    .isEqualTo(100));
    assertThat(svc.count("select count(*) from inbox")).isEqualTo(100);
    assertThat(svc.count("select count(*) from inbox where dispatch_attempts <> 1")).isZero();
    assertThat(svc.count("select count(*) from jobs")).isEqualTo(100);
    assertThat(svc.count("select count(*) from scheduled_tasks where task_name = 'dispatch'"))
        .isZero();
    double dispatched =
        svc.metric("runway_dispatch_outcomes_total{action=\"queued\",outcome=\"no_account\"}");
    assertThat(dispatched).isEqualTo(100);
    assertThat(json.readTree(svc.get("/readyz").body()).get("database").asText()).isEqualTo("up");
    // The reconcilers were scheduled once the database answered.
    assertThat(
            svc.count(
                "select count(*) from scheduled_tasks where task_name in"
                    + " ('retention-prune', 'claims-lease-reaper')"))
        .isEqualTo(2);
    // Spooled again after the start? No: the spool is empty and the path goes to the database.
    HttpResponse<String> after =
        svc.post("workflow_job", "after-db", Signed.workflowJob("queued", 8999, "linux"));
    assertThat(json.readTree(after.body()).get("result").asText()).isEqualTo("accepted");
  }
}
