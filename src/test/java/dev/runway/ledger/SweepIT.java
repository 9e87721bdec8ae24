package dev.runway.ledger;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.runway.claims.ClaimsFixture.ACME;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.claims.ClaimsFixture;
import dev.runway.platform.config.RunwayConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep finds the jobs GitHub has queued that no webhook brought, against WireMock as GitHub
 * (the App's JWT checked), and dispatches them through the webhook's own path.
 */
class SweepIT {
  @TempDir Path dir;

  private static final String POOLS = "pools:\n  - name: linux\n    labels: [linux]\n";

  @Test
  void a_job_only_on_github_is_found_and_dispatched_and_a_late_webhook_changes_nothing()
      throws Exception {
    try (ClaimsFixture f =
        ClaimsFixture.start(dir, POOLS, Map.of(RunwayConfig.SWEEP_INTERVAL, "1s"))) {
      stubQueue(f, 901);
      f.account("acme", ACME, 5);

      f.awaitStatus(901, "queued");
      assertThat(f.string("select pool from jobs where job_id = 901")).isEqualTo("linux");
      assertThat(f.string("select source from jobs where job_id = 901")).isEqualTo("sweep");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> f.svc.metric("runway_sweep_jobs_found_total{installation=\"4242\"}") == 1.0);
      // Later sweeps see the same answers (304: free) and write nothing more.
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> f.svc.metric("runway_sweep_requests_total{result=\"not_modified\"}") >= 3.0);
      assertThat(f.svc.metric("runway_sweep_jobs_found_total{installation=\"4242\"}"))
          .isEqualTo(1.0);
      assertThat(
              f.github.count(
                  getRequestedFor(urlPathEqualTo(f.github.path("/installation/repositories")))
                      .withHeader("If-None-Match", equalTo("\"repos-1\""))))
          .isPositive();

      // The webhook GitHub sent late: no duplicate, and the job keeps what it is.
      f.queue(901, "acme", ACME, "self-hosted", "linux");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  "ignored"
                      .equals(
                          f.string(
                              "select outcome from inbox where workflow_job_id = 901"
                                  + " and guid not like 'sweep-%'")));
      assertThat(f.string("select count(*) from jobs where job_id = 901")).isEqualTo("1");
      assertThat(f.status(901)).isEqualTo("queued");
      assertThat(f.string("select source from jobs where job_id = 901")).isEqualTo("sweep");
      assertThat(f.github.authRejections()).isEmpty();
    }
  }

  /**
   * GitHub reports a limit of 20 an hour, so the sweep may spend 2: the repositories and the queued
   * runs. The run's jobs wait for the next hour; meanwhile the repositories' 304s still go out
   * (free). In the next hour the 304 leaves both requests of the budget for the runs and the jobs,
   * so the job is found: had the 304 cost one, the jobs would stay out of budget.
   */
  @Test
  void the_sweep_stops_at_its_budget_and_resumes_in_the_next_hour_and_a_304_is_free()
      throws Exception {
    try (ClaimsFixture f =
        ClaimsFixture.start(dir, POOLS, Map.of(RunwayConfig.SWEEP_INTERVAL, "1s"))) {
      stubQueue(f, 902, 20);
      f.account("acme", ACME, 5);

      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> f.svc.metric("runway_sweep_requests_total{result=\"not_modified\"}") >= 2.0);
      assertThat(f.svc.metric("runway_sweep_requests_total{result=\"budget_exhausted\"}"))
          .isGreaterThanOrEqualTo(2.0);
      assertThat(f.string("select count(*) from jobs where job_id = 902")).isEqualTo("0");
      assertThat(
              f.github.count(
                  getRequestedFor(
                      urlPathEqualTo(f.github.path("/repos/acme/app/actions/runs/77/jobs")))))
          .isZero();

      f.clock.advance(Duration.ofHours(1).plusSeconds(1));
      // The stub serves one token valid for an hour of its clock: a new one for the new hour.
      f.github.stubInstallationToken(ACME);
      f.awaitStatus(902, "queued");
      assertThat(f.string("select source from jobs where job_id = 902")).isEqualTo("sweep");
      assertThat(f.github.authRejections()).isEmpty();
    }
  }

  /**
   * Long lists come in pages: the second page of the repositories, of a repository's queued runs
   * and of a run's jobs is read too, by the Link header's next page.
   */
  @Test
  void every_page_of_a_long_list_is_read() throws Exception {
    try (ClaimsFixture f =
        ClaimsFixture.start(dir, POOLS, Map.of(RunwayConfig.SWEEP_INTERVAL, "1s"))) {
      stubQueue(f, 901);
      var wm = f.github.server();
      String repos = f.github.path("/installation/repositories");
      wm.stubFor(
          get(urlPathEqualTo(repos))
              .withQueryParam("page", absent())
              .atPriority(2)
              .willReturn(
                  json(200, "{\"total_count\":2,\"repositories\":[" + repo("app") + "]}", 5000)
                      .withHeader("Link", next(repos + "?per_page=100", 2))));
      wm.stubFor(
          get(urlPathEqualTo(repos))
              .withQueryParam("page", equalTo("2"))
              .atPriority(2)
              .willReturn(
                  json(200, "{\"total_count\":2,\"repositories\":[" + repo("lib") + "]}", 5000)));
      String runs = f.github.path("/repos/acme/lib/actions/runs");
      wm.stubFor(
          get(urlPathEqualTo(runs))
              .withQueryParam("status", equalTo("queued"))
              .withQueryParam("page", absent())
              .willReturn(
                  json(200, "{\"total_count\":2,\"workflow_runs\":[{\"id\":88}]}", 5000)
                      .withHeader("Link", next(runs + "?status=queued&per_page=100", 2))));
      wm.stubFor(
          get(urlPathEqualTo(runs))
              .withQueryParam("status", equalTo("queued"))
              .withQueryParam("page", equalTo("2"))
              .willReturn(json(200, "{\"total_count\":2,\"workflow_runs\":[{\"id\":89}]}", 5000)));
      wm.stubFor(
          get(urlPathEqualTo(runs))
              .withQueryParam("status", equalTo("in_progress"))
              .willReturn(json(200, "{\"total_count\":0,\"workflow_runs\":[]}", 5000)));
      wm.stubFor(get(urlPathEqualTo(runs + "/88/jobs")).willReturn(json(200, jobs(88, 903), 5000)));
      String jobs89 = runs + "/89/jobs";
      wm.stubFor(
          get(urlPathEqualTo(jobs89))
              .withQueryParam("page", absent())
              .willReturn(
                  json(200, jobs(89, 904), 5000)
                      .withHeader("Link", next(jobs89 + "?filter=latest&per_page=100", 2))));
      wm.stubFor(
          get(urlPathEqualTo(jobs89))
              .withQueryParam("page", equalTo("2"))
              .willReturn(json(200, jobs(89, 905), 5000)));
      f.account("acme", ACME, 5);

      for (long job : new long[] {901, 903, 904, 905}) {
        f.awaitStatus(job, "queued");
        assertThat(f.string("select source from jobs where job_id = " + job)).isEqualTo("sweep");
      }
      assertThat(f.github.authRejections()).isEmpty();
    }
  }

  private static String repo(String name) {
    return "{\"id\":1,\"name\":\""
        + name
        + "\",\"full_name\":\"acme/"
        + name
        + "\",\"owner\":{\"login\":\"acme\",\"type\":\"Organization\"},\"pushed_at\":\""
        + Instant.now()
        + "\"}";
  }

  private static String next(String pathAndQuery, int page) {
    String url = "https://api.github.com" + pathAndQuery + "&page=" + page;
    return "<" + url + ">; rel=\"next\", <" + url + ">; rel=\"last\"";
  }

  private static String jobs(long run, long jobId) {
    return "{\"total_count\":1,\"jobs\":[{\"id\":"
        + jobId
        + ",\"run_id\":"
        + run
        + ",\"run_attempt\":1,\"status\":\"queued\",\"conclusion\":null,\"name\":\"build\","
        + "\"workflow_name\":\"CI\",\"labels\":[\"self-hosted\",\"linux\"],"
        + "\"created_at\":\"2026-05-19T15:20:04Z\",\"started_at\":null,\"completed_at\":null,"
        + "\"runner_id\":null,\"runner_name\":null,\"head_branch\":\"main\"}]}";
  }

  private static void stubQueue(ClaimsFixture f, long jobId) {
    stubQueue(f, jobId, 5000);
  }

  /** The queue of one repository, every answer reporting {@code rateLimit} an hour. */
  private static void stubQueue(ClaimsFixture f, long jobId, long rateLimit) {
    var wm = f.github.server();
    wm.stubFor(
        get(urlPathEqualTo(f.github.path("/installation/repositories")))
            .willReturn(
                json(
                        200,
                        "{\"total_count\":1,\"repositories\":[{\"id\":1296269,\"name\":\"app\","
                            + "\"full_name\":\"acme/app\",\"owner\":{\"login\":\"acme\","
                            + "\"type\":\"Organization\"},\"pushed_at\":\""
                            + Instant.now()
                            + "\"}]}",
                        rateLimit)
                    .withHeader("ETag", "\"repos-1\"")));
    wm.stubFor(
        get(urlPathEqualTo(f.github.path("/installation/repositories")))
            .withHeader("If-None-Match", equalTo("\"repos-1\""))
            .atPriority(1)
            .willReturn(json(304, "", rateLimit)));
    wm.stubFor(
        get(urlPathEqualTo(f.github.path("/repos/acme/app/actions/runs")))
            .withQueryParam("status", equalTo("queued"))
            .willReturn(
                json(
                    200,
                    "{\"total_count\":1,\"workflow_runs\":[{\"id\":77,\"run_attempt\":1}]}",
                    rateLimit)));
    wm.stubFor(
        get(urlPathEqualTo(f.github.path("/repos/acme/app/actions/runs")))
            .withQueryParam("status", equalTo("in_progress"))
            .willReturn(json(200, "{\"total_count\":0,\"workflow_runs\":[]}", rateLimit)));
    wm.stubFor(
        get(urlPathEqualTo(f.github.path("/repos/acme/app/actions/runs/77/jobs")))
            .withQueryParam("filter", equalTo("latest"))
            .willReturn(
                json(
                    200,
                    "{\"total_count\":1,\"jobs\":[{\"id\":"
                        + jobId
                        + ",\"run_id\":77,\"run_attempt\":1,\"status\":\"queued\","
                        + "\"conclusion\":null,\"name\":\"build\",\"workflow_name\":\"CI\","
                        + "\"labels\":[\"self-hosted\",\"linux\"],"
                        + "\"created_at\":\"2026-05-19T15:20:04Z\",\"started_at\":null,"
                        + "\"completed_at\":null,\"runner_id\":null,\"runner_name\":null,"
                        + "\"head_branch\":\"main\"}]}",
                    rateLimit)));
  }

  private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder json(
      int status, String body, long rateLimit) {
    return com.github.tomakehurst.wiremock.client.WireMock.aResponse()
        .withStatus(status)
        .withHeader("Content-Type", "application/json; charset=utf-8")
        .withHeader("X-RateLimit-Limit", String.valueOf(rateLimit))
        .withBody(body);
  }
}
