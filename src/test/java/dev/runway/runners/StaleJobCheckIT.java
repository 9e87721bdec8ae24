package dev.runway.runners;

import static dev.runway.claims.ClaimsFixture.ACME;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runway.claims.ClaimsFixture;
import dev.runway.platform.config.RunwayConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stale-job reconciler asks GitHub about jobs Runway heard nothing of, and settles them. */
class StaleJobCheckIT {
  static final String POOLS =
      """
      pools:
        - name: linux
          labels: [linux]
      """;

  @TempDir Path dir;
  ClaimsFixture f;

  @BeforeEach
  void start() throws Exception {
    f = ClaimsFixture.start(dir, POOLS, Map.of(RunwayConfig.STALE_CHECK_INTERVAL, "1s"));
    f.account("acme", ACME, 5);
  }

  @AfterEach
  void stop() {
    f.close();
  }

  private void githubSays(long jobId, String status, String conclusion, String runner) {
    f.github.stubJob(
        "acme",
        "app",
        jobId,
        """
        {"id":%d,"run_id":%d,"run_attempt":1,"name":"build","status":"%s","conclusion":%s,
         "created_at":"2026-05-19T15:20:04Z","started_at":"2026-05-19T15:20:04Z",
         "completed_at":%s,"labels":["self-hosted","linux"],"runner_id":%s,"runner_name":%s,
         "runner_group_id":1}"""
            .formatted(
                jobId,
                jobId * 10,
                status,
                conclusion == null ? "null" : '"' + conclusion + '"',
                conclusion == null ? "null" : "\"2026-05-19T16:00:00Z\"",
                runner == null ? "null" : "77",
                runner == null ? "null" : '"' + runner + '"'));
  }

  /** Moves time on; installation tokens the stub issued earlier have then expired. */
  private void advance(Duration d) {
    f.clock.advance(d);
    f.github.stubInstallationToken(ACME);
  }

  @Test
  void a_job_queued_too_long_that_github_reports_completed_is_settled() throws Exception {
    f.queued(301, "acme", ACME, "linux");
    githubSays(301, "completed", "cancelled", null);

    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> f.status(301).equals("queued"));
    advance(Duration.ofMinutes(61));

    f.awaitStatus(301, "completed");
    assertThat(f.string("select conclusion from jobs where job_id = 301")).isEqualTo("cancelled");
  }

  @Test
  void a_job_in_progress_too_long_that_github_reports_completed_is_settled_and_frees_its_claim()
      throws Exception {
    String token = f.token("linux");
    f.queued(311, "acme", ACME, "linux");
    JsonNode claim = f.body(f.claim("linux", token));
    String runner = claim.get("runner_name").asText();
    f.event("in_progress", 311, "acme", ACME, runner, "linux");
    f.awaitStatus(311, "in_progress");
    githubSays(311, "completed", "success", runner);

    advance(Duration.ofHours(5));
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> f.status(311).equals("in_progress"));
    advance(Duration.ofHours(2));

    f.awaitStatus(311, "completed");
    assertThat(f.string("select conclusion from jobs where job_id = 311")).isEqualTo("success");
    assertThat(f.string("select status from claims where runner_name = ?", runner))
        .isEqualTo("completed");
  }

  @Test
  void a_job_queued_a_day_that_github_still_reports_queued_is_completed_as_stale()
      throws Exception {
    f.queued(321, "acme", ACME, "linux");
    f.queued(322, "acme", ACME, "linux");
    githubSays(321, "queued", null, null);
    githubSays(322, "in_progress", null, "someone-elses-runner");

    advance(Duration.ofHours(2));
    f.awaitStatus(322, "in_progress");
    assertThat(f.status(321)).isEqualTo("queued");
    assertThat(f.string("select checked_at is not null from jobs where job_id = 321"))
        .isEqualTo("t");

    advance(Duration.ofHours(23));
    f.awaitStatus(321, "completed");
    assertThat(f.string("select conclusion from jobs where job_id = 321")).isEqualTo("stale");
  }
}
