package dev.runway.ledger;

import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.runway.claims.ClaimsFixture.ACME;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runway.claims.ClaimsFixture;
import dev.runway.platform.github.GitHubStub;
import java.net.CookieManager;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every job that is not running says why, on GET /api/v1/jobs/{id} and in runway_jobs_waiting; and
 * every stage of a job's wait gets its observation in runway_job_wait_seconds.
 */
class WaitReasonsIT {
  @TempDir Path dir;

  private static final String POOLS =
      "pools:\n  - name: linux\n    labels: [linux]\n  - name: small\n    labels: [small]\n"
          + "    maxRunners: 1\n";

  @Test
  void a_claim_refused_for_a_missing_app_shows_as_github_config_on_the_job_and_in_the_metrics()
      throws Exception {
    try (ClaimsFixture f = ClaimsFixture.withoutGitHubApp(dir, POOLS)) {
      f.account("acme", ACME, 5);
      f.queued(401, "acme", ACME, "linux");

      HttpResponse<String> r = f.claim("linux", f.token("linux"));

      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.headers().firstValue("Runway-Claim-Result")).hasValue("github_config");
      assertThat(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow()))
          .isBetween(1L, 60L);
      assertThat(f.body(r).get("error").asText())
          .startsWith("configuration error: no GitHub App configured");
      assertThat(f.status(401)).isEqualTo("queued");
      assertThat(f.svc.metric("runway_claims_total{pool=\"linux\",result=\"github_config\"}"))
          .isEqualTo(1.0);
      JsonNode reason = job(f, 401).get("reason");
      assertThat(reason.get("code").asText()).isEqualTo("github_config");
      assertThat(reason.get("words").asText()).contains("RUNWAY_GITHUB_APP_ID");
      awaitMetric(f, "runway_jobs_waiting{pool=\"linux\",reason=\"github_config\"}", 1.0);

      // The UI: a banner on every page, the pool's verdict, and the job's reason in words.
      HttpClient ui = ui(f);
      String pools = page(f, ui, "/ui/pools");
      assertThat(pools).contains("Claims of pool linux cannot start runners");
      assertThat(pools).contains("configuration error").doesNotContain(">starved<");
      assertThat(page(f, ui, "/ui/jobs/401/1"))
          .contains("github_config: configuration error: no GitHub App configured");
    }
  }

  /** A browser's session on the UI: the login form's CSRF cookie, then the session cookie. */
  private static HttpClient ui(ClaimsFixture f) throws Exception {
    HttpClient c = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
    String form =
        c.send(
                HttpRequest.newBuilder(f.svc.adminBase().resolve("/ui/login")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    Matcher csrf = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(form);
    assertThat(csrf.find()).isTrue();
    String body =
        "_csrf="
            + URLEncoder.encode(csrf.group(1), StandardCharsets.UTF_8)
            + "&token="
            + URLEncoder.encode(f.svc.operatorToken(), StandardCharsets.UTF_8);
    HttpResponse<String> r =
        c.send(
            HttpRequest.newBuilder(f.svc.adminBase().resolve("/ui/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isIn(302, 303);
    return c;
  }

  private static String page(ClaimsFixture f, HttpClient ui, String path) throws Exception {
    HttpResponse<String> r =
        ui.send(
            HttpRequest.newBuilder(f.svc.adminBase().resolve(path)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path).isEqualTo(200);
    return r.body();
  }

  @Test
  void a_permission_github_refuses_is_github_config_until_a_claim_mints_again() throws Exception {
    try (ClaimsFixture f = ClaimsFixture.start(dir, POOLS, Map.of())) {
      f.account("acme", ACME, 5);
      String token = f.token("linux");
      f.queued(402, "acme", ACME, "linux");
      var refused =
          f.github
              .server()
              .stubFor(
                  post(urlPathEqualTo(
                          f.github.path("/orgs/acme/actions/runners/generate-jitconfig")))
                      .atPriority(1)
                      .willReturn(
                          GitHubStub.jsonResponse(
                              403, "{\"message\":\"Resource not accessible by integration\"}")));

      HttpResponse<String> r = f.claim("linux", token);

      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.headers().firstValue("Runway-Claim-Result")).hasValue("github_config");
      assertThat(f.body(r).get("error").asText()).contains("403").contains("permission");
      // Nothing accepted is lost: the job is claimable again.
      f.awaitStatus(402, "queued");
      assertThat(job(f, 402).at("/reason/code").asText()).isEqualTo("github_config");
      assertThat(f.svc.metric("runway_claims_total{pool=\"linux\",result=\"github_config\"}"))
          .isEqualTo(1.0);

      f.github.server().removeStub(refused);
      assertThat(f.claim("linux", token).statusCode()).isEqualTo(200);
      assertThat(job(f, 402).at("/reason/code").asText()).isEqualTo("launching");
    }
  }

  @Test
  void each_reason_is_said_in_words_with_its_numbers() throws Exception {
    try (ClaimsFixture f = ClaimsFixture.start(dir, POOLS, Map.of())) {
      f.account("acme", ACME, 1);
      String linux = f.token("linux");
      f.queued(501, "acme", ACME, "linux");
      assertThat(job(f, 501).at("/reason/code").asText()).isEqualTo("launching");
      assertThat(job(f, 501).at("/reason/words").asText()).contains("no runner has claimed it");

      long claim = f.body(f.claim("linux", linux)).get("claim_id").asLong();
      assertThat(job(f, 501).at("/reason/code").asText()).isEqualTo("launching");
      event(f, claim, linux, "{\"event\":\"started\"}");
      assertThat(job(f, 501).at("/reason/code").asText()).isEqualTo("waiting_for_github");

      f.queued(502, "acme", ACME, "linux");
      JsonNode cap = job(f, 502).get("reason");
      assertThat(cap.get("code").asText()).isEqualTo("account_cap");
      assertThat(cap.get("words").asText()).contains("1 of 1 running");

      f.queued(503, "acme", ACME, "riscv");
      assertThat(job(f, 503).at("/reason/code").asText()).isEqualTo("ignored:no_matching_pool");

      f.event("in_progress", 501, "acme", ACME, runnerName(f, claim), "linux");
      f.awaitStatus(501, "in_progress");
      assertThat(job(f, 501).get("reason").isNull()).isTrue();
      awaitMetric(f, "runway_jobs_waiting{pool=\"linux\",reason=\"account_cap\"}", 1.0);
      awaitMetric(f, "runway_jobs_waiting{pool=\"none\",reason=\"ignored:no_matching_pool\"}", 1.0);
      assertThat(
              f.svc.metric("runway_job_oldest_wait_seconds{pool=\"linux\",reason=\"account_cap\"}"))
          .isPositive();
    }
  }

  @Test
  void a_full_pool_and_failing_launches_are_their_own_reasons() throws Exception {
    try (ClaimsFixture f = ClaimsFixture.start(dir, POOLS, Map.of())) {
      f.account("acme", ACME, 10);
      String small = f.token("small");
      f.queued(601, "acme", ACME, "small");
      long claim = f.body(f.claim("small", small)).get("claim_id").asLong();
      f.queued(602, "acme", ACME, "small");
      JsonNode full = job(f, 602).get("reason");
      assertThat(full.get("code").asText()).isEqualTo("pool_full");
      assertThat(full.get("words").asText()).contains("1 of maxRunners 1");

      event(f, claim, small, "{\"event\":\"exited\",\"exit_code\":1,\"job_started\":false}");
      f.awaitStatus(601, "queued");
      JsonNode failing = job(f, 601).get("reason");
      assertThat(failing.get("code").asText()).isEqualTo("launch_failing");
      assertThat(failing.get("words").asText()).contains("exited_before_job");
    }
  }

  @Test
  void each_stage_metric_gets_its_observation() throws Exception {
    try (ClaimsFixture f = ClaimsFixture.start(dir, POOLS, Map.of())) {
      f.account("acme", ACME, 5);
      String linux = f.token("linux");
      f.queued(701, "acme", ACME, "linux");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> stageCount(f, "dispatch") == 1.0 && stageCount(f, "github_delay") == 1.0);

      long claim = f.body(f.claim("linux", linux)).get("claim_id").asLong();
      assertThat(stageCount(f, "capacity")).isEqualTo(1.0);
      event(f, claim, linux, "{\"event\":\"launching\"}");
      event(f, claim, linux, "{\"event\":\"started\"}");
      assertThat(stageCount(f, "launch")).isEqualTo(1.0);
      f.event("in_progress", 701, "acme", ACME, runnerName(f, claim), "linux");
      f.awaitStatus(701, "in_progress");
      assertThat(stageCount(f, "assign")).isEqualTo(1.0);

      JsonNode detail = job(f, 701);
      assertThat(detail.get("source").asText()).isEqualTo("webhook");
      for (String stage :
          new String[] {
            "created_on_github", "received", "claimable", "claimed", "runner_started", "in_progress"
          }) {
        assertThat(detail.at("/stages/" + stage).isNull()).as(stage).isFalse();
      }
      assertThat(detail.get("wait_seconds").fieldNames())
          .toIterable()
          .containsExactly("github_delay", "dispatch", "capacity", "launch", "assign");
      // Observed once per job: a second in_progress changes nothing.
      f.event("in_progress", 701, "acme", ACME, runnerName(f, claim), "linux");
      assertThat(stageCount(f, "assign")).isEqualTo(1.0);
    }
  }

  /**
   * A job ignored at first (no account yet) and made claimable by {@code jobs redispatch} gets its
   * github_delay and dispatch observations then, the dispatch stage ending at the redispatch.
   */
  @Test
  void a_redispatched_job_gets_its_dispatch_observation_when_it_becomes_claimable()
      throws Exception {
    try (ClaimsFixture f = ClaimsFixture.start(dir, POOLS, Map.of())) {
      f.queued(702, "acme", ACME, "linux");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> "no_account".equals(f.string("select outcome from jobs where job_id = 702")));
      assertThat(stageCount(f, "dispatch")).isZero();

      f.account("acme", ACME, 5);
      String[] r = f.cli("jobs", "redispatch", "--outcome", "no_account");
      assertThat(r[0]).as(r[2]).isEqualTo("0");
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> stageCount(f, "dispatch") == 1.0 && stageCount(f, "github_delay") == 1.0);
      assertThat(f.string("select pool from jobs where job_id = 702")).isEqualTo("linux");
    }
  }

  @Test
  void an_unknown_job_is_404_and_a_bad_id_400() throws Exception {
    try (ClaimsFixture f = ClaimsFixture.start(dir, POOLS, Map.of())) {
      assertThat(f.svc.get("/api/v1/jobs/999").statusCode()).isEqualTo(404);
      assertThat(f.svc.get("/api/v1/jobs/x").statusCode()).isEqualTo(400);
      assertThat(f.svc.get("/api/v1/jobs/1?attempt=y").statusCode()).isEqualTo(400);
    }
  }

  private static double stageCount(ClaimsFixture f, String stage) throws Exception {
    return f.svc.metric("runway_job_wait_seconds_count{pool=\"linux\",stage=\"" + stage + "\"}");
  }

  private static String runnerName(ClaimsFixture f, long claim) throws Exception {
    return f.string("select runner_name from claims where id = ?", claim);
  }

  private static JsonNode job(ClaimsFixture f, long id) throws Exception {
    HttpResponse<String> r = f.svc.get("/api/v1/jobs/" + id);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return f.json.readTree(r.body());
  }

  private static void event(ClaimsFixture f, long claim, String token, String json)
      throws Exception {
    HttpResponse<String> r =
        f.svc.http.send(
            HttpRequest.newBuilder(f.svc.base().resolve("/api/v1/claims/" + claim + "/events"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  private static void awaitMetric(ClaimsFixture f, String sample, double value) {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> f.svc.metric(sample) == value);
  }
}
