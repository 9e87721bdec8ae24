package dev.runway.claims;

import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static dev.runway.claims.ClaimsFixture.ACME;
import static dev.runway.claims.ClaimsFixture.JIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runway.platform.github.GitHubStub;
import dev.runway.testing.Signed;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The claim endpoint, runner binding and lease expiry against real PostgreSQL and WireMock. */
class ClaimsIT {
  static final String POOLS =
      """
      pools:
        - name: linux
          labels: [linux, x64]
          runnerGroupId: 7
        - name: mac
          labels: [macos]
      """;
  static final String JIT_PATH = "/orgs/acme/actions/runners/generate-jitconfig";
  static final String RUNNERS_PATH = "/orgs/acme/actions/runners";

  @TempDir Path dir;
  ClaimsFixture f;
  String token;

  @BeforeEach
  void start() throws Exception {
    f = ClaimsFixture.start(dir, POOLS, Map.of());
    f.account("acme", ACME, 10);
    token = f.token("linux");
  }

  @AfterEach
  void stop() {
    f.close();
  }

  private HttpResponse<String> claim() throws Exception {
    return f.claim("linux", token);
  }

  @Test
  void a_claim_gets_the_oldest_queued_job_and_a_jit_config_named_after_the_claim()
      throws Exception {
    f.queued(101, "acme", ACME, "self-hosted", "linux");
    f.queued(102, "acme", ACME, "self-hosted", "linux", "x64");

    HttpResponse<String> r = claim();

    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body = f.body(r);
    long claimId = body.get("claim_id").asLong();
    assertThat(body.at("/job/job_id").asLong()).isEqualTo(101);
    assertThat(body.at("/job/repository").asText()).isEqualTo("acme/app");
    assertThat(body.at("/job/pool").asText()).isEqualTo("linux");
    assertThat(body.get("runner_name").asText()).isEqualTo("runway-linux-" + claimId);
    assertThat(body.get("encoded_jit_config").asText()).isEqualTo(JIT);
    assertThat(Instant.parse(body.get("lease_expires_at").asText()))
        .isEqualTo(f.clock.instant().plus(Duration.ofMinutes(5)));
    assertThat(f.status(101)).isEqualTo("claimed");
    assertThat(
            f.string("select id from claims where job_id = 101 and status in ('active', 'bound')"))
        .isEqualTo(String.valueOf(claimId));
    assertThat(f.status(102)).isEqualTo("queued");
    f.github
        .server()
        .verify(
            postRequestedFor(urlPathEqualTo(JIT_PATH))
                .withRequestBody(
                    equalToJson(
                        "{\"name\":\"runway-linux-"
                            + claimId
                            + "\",\"runner_group_id\":7,"
                            + "\"labels\":[\"self-hosted\",\"linux\",\"x64\"],"
                            + "\"work_folder\":\"_work\"}")));
    assertThat(f.github.authRejections()).isEmpty();

    JsonNode second = f.body(claim());
    assertThat(second.at("/job/job_id").asLong()).isEqualTo(102);
    assertThat(claim().statusCode()).isEqualTo(204);
    assertThat(f.svc.metric("runway_claims_total{pool=\"linux\",result=\"claimed\"}")).isEqualTo(2);
    assertThat(f.svc.metric("runway_claims_total{pool=\"linux\",result=\"empty\"}")).isEqualTo(1);
    assertThat(f.svc.metric("runway_claim_queue_wait_seconds_count{pool=\"linux\"}")).isEqualTo(2);
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () ->
                assertThat(f.svc.metric("runway_jobs{pool=\"linux\",status=\"claimed\"}"))
                    .isEqualTo(2));
  }

  @Test
  void a_user_owned_repository_gets_a_repository_level_runner() throws Exception {
    f.account("octocat", 5151, 2);
    f.github.stubInstallationToken(5151);
    f.github.stubRepoJitConfig("octocat", "app", 9, JIT);
    String body =
        Signed.workflowJob("queued", 111, 1, "octocat", 5151L, null, null, "linux")
            .replace("\"type\":\"Organization\"", "\"type\":\"User\"");
    f.svc.post("workflow_job", UUID.randomUUID().toString(), body);
    f.awaitStatus(111, "queued");

    assertThat(claim().statusCode()).isEqualTo(200);
    assertThat(f.github.requestsTo("/repos/octocat/app/actions/runners/generate-jitconfig"))
        .hasSize(1);
    assertThat(f.github.requestsTo("/orgs/octocat/actions/runners/generate-jitconfig")).isEmpty();
  }

  @Test
  void nothing_claimable_is_204_and_an_unknown_pool_is_404() throws Exception {
    HttpResponse<String> empty = claim();
    assertThat(empty.statusCode()).isEqualTo(204);
    assertThat(empty.headers().firstValue("Runway-Claim-Result")).contains("empty");

    String ghost = f.token("ghost");
    HttpResponse<String> unknown = f.claim("ghost", ghost);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(f.body(unknown).get("error").asText()).contains("ghost");
  }

  @Test
  void wrong_revoked_other_pool_and_missing_tokens_each_get_401() throws Exception {
    f.queued(121, "acme", ACME, "linux");
    String macToken = f.token("mac");
    String revoked = f.token("linux");
    String revokedId = f.string("select max(id) from pool_tokens where pool = 'linux'");
    String[] revoke = f.cli("pools", "token", "revoke", revokedId);
    assertThat(revoke[0]).isEqualTo("0");

    assertThat(f.claim("linux", token + "x").statusCode()).isEqualTo(401);
    assertThat(f.claim("linux", "rwy_" + "A".repeat(43)).statusCode()).isEqualTo(401);
    assertThat(f.claim("linux", revoked).statusCode()).isEqualTo(401);
    assertThat(f.claim("linux", macToken).statusCode()).isEqualTo(401);
    assertThat(f.claim("linux", null).statusCode()).isEqualTo(401);
    assertThat(f.status(121)).isEqualTo("queued");
    assertThat(claim().statusCode()).isEqualTo(200);

    String[] list = f.cli("pools", "token", "list");
    assertThat(list[1]).contains("linux", "mac").doesNotContain(token, macToken, revoked);
    assertThat(f.string("select count(*) from pool_tokens where revoked_at is not null"))
        .isEqualTo("1");
  }

  @Test
  void a_claim_whose_runner_never_starts_is_released_when_the_lease_runs_out() throws Exception {
    f.queued(131, "acme", ACME, "linux");
    long first = f.body(claim()).get("claim_id").asLong();
    assertThat(f.status(131)).isEqualTo("claimed");

    f.clock.advance(Duration.ofMinutes(4));
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> f.status(131).equals("claimed"));

    f.clock.advance(Duration.ofMinutes(2));
    f.awaitStatus(131, "queued");
    assertThat(f.string("select status from claims where id = ?", first)).isEqualTo("released");
    assertThat(f.string("select end_reason from claims where id = ?", first))
        .isEqualTo("lease expired");

    JsonNode again = f.body(claim());
    assertThat(again.at("/job/job_id").asLong()).isEqualTo(131);
    assertThat(again.get("claim_id").asLong()).isNotEqualTo(first);
  }

  @Test
  void a_runner_that_takes_another_job_moves_its_claim_and_both_jobs_end_right() throws Exception {
    f.queued(141, "acme", ACME, "linux");
    f.queued(142, "acme", ACME, "linux");
    JsonNode x = f.body(claim());
    assertThat(x.at("/job/job_id").asLong()).isEqualTo(141);
    String runnerX = x.get("runner_name").asText();

    // GitHub gives X's runner job 142, not the 141 it was started for.
    f.event("in_progress", 142, "acme", ACME, runnerX, "linux");
    f.awaitStatus(142, "in_progress");
    f.awaitStatus(141, "queued");
    assertThat(
            f.string("select id from claims where job_id = 142 and status in ('active', 'bound')"))
        .isEqualTo(x.get("claim_id").asText());
    assertThat(
            f.string("select id from claims where job_id = 141 and status in ('active', 'bound')"))
        .isNull();
    assertThat(
            f.string("select status || ' ' || job_id from claims where runner_name = ?", runnerX))
        .isEqualTo("bound 142");

    JsonNode y = f.body(claim());
    assertThat(y.at("/job/job_id").asLong()).isEqualTo(141);
    String runnerY = y.get("runner_name").asText();
    f.event("in_progress", 141, "acme", ACME, runnerY, "linux");
    f.awaitStatus(141, "in_progress");

    f.event("completed", 142, "acme", ACME, runnerX, "linux");
    f.event("completed", 141, "acme", ACME, runnerY, "linux");
    f.awaitStatus(141, "completed");
    f.awaitStatus(142, "completed");
    assertThat(f.string("select count(*) from claims where status = 'completed'")).isEqualTo("2");
    assertThat(f.string("select count(*) from claims")).isEqualTo("2");
    assertThat(f.svc.metric("runway_claim_start_latency_seconds_count{pool=\"linux\"}"))
        .isEqualTo(2);
  }

  @Test
  void a_job_a_foreign_runner_takes_leaves_its_claim_holding_nothing_until_the_lease_ends_it()
      throws Exception {
    f.queued(161, "acme", ACME, "linux");
    JsonNode x = f.body(claim());
    long id = x.get("claim_id").asLong();

    f.event("in_progress", 161, "acme", ACME, "hosted-runner-7", "linux");
    f.awaitStatus(161, "in_progress");
    // One record of who holds a job: the claim names none now, and nothing names the claim.
    assertThat(f.string("select status || ' ' || coalesce(job_id, 0) from claims where id = ?", id))
        .isEqualTo("active 0");

    f.clock.advance(Duration.ofMinutes(6));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> "released".equals(f.string("select status from claims where id = ?", id)));
    assertThat(f.string("select end_reason from claims where id = ?", id))
        .isEqualTo("lease expired");
    assertThat(f.status(161)).isEqualTo("in_progress");
  }

  @Test
  void a_runner_whose_claim_the_lease_ended_takes_its_job_back_from_the_claim_made_after()
      throws Exception {
    f.queued(171, "acme", ACME, "linux");
    JsonNode x = f.body(claim());
    f.clock.advance(Duration.ofMinutes(6));
    f.awaitStatus(171, "queued");
    JsonNode y = f.body(claim());
    assertThat(y.at("/job/job_id").asLong()).isEqualTo(171);

    // X's runner was slow, not gone: it takes the job. X holds it now, and Y, whose runner is
    // still starting, holds nothing: one live claim per job.
    f.event("in_progress", 171, "acme", ACME, x.get("runner_name").asText(), "linux");
    f.awaitStatus(171, "in_progress");
    assertThat(
            f.string("select id from claims where job_id = 171 and status in ('active', 'bound')"))
        .isEqualTo(x.get("claim_id").asText());
    assertThat(
            f.string(
                "select status || ' ' || coalesce(job_id, 0) from claims where id = ?",
                y.get("claim_id").asLong()))
        .isEqualTo("active 0");
  }

  @Test
  void a_runner_that_takes_a_job_another_claim_holds_swaps_places_with_that_claim()
      throws Exception {
    f.queued(151, "acme", ACME, "linux");
    f.queued(152, "acme", ACME, "linux");
    JsonNode x = f.body(claim());
    JsonNode y = f.body(claim());
    assertThat(y.at("/job/job_id").asLong()).isEqualTo(152);

    f.event("in_progress", 152, "acme", ACME, x.get("runner_name").asText(), "linux");
    f.awaitStatus(152, "in_progress");
    // Y's runner is still starting: it keeps a place, now on 151, so the caps still count it.
    assertThat(f.status(151)).isEqualTo("claimed");
    assertThat(
            f.string("select id from claims where job_id = 151 and status in ('active', 'bound')"))
        .isEqualTo(y.get("claim_id").asText());
    assertThat(claim().statusCode()).isEqualTo(204);

    f.event("in_progress", 151, "acme", ACME, y.get("runner_name").asText(), "linux");
    f.awaitStatus(151, "in_progress");
    assertThat(f.string("select string_agg(status, ',') from claims")).isEqualTo("bound,bound");
  }

  @Test
  void a_github_500_is_looked_into_then_registered_again_and_the_claim_succeeds() throws Exception {
    // generate-jitconfig creates a runner: after a 500 Runway looks for one of that name (none
    // here) before it registers again, instead of repeating the POST blindly.
    noRunnersListed();
    f.github
        .server()
        .stubFor(
            post(urlPathEqualTo(JIT_PATH))
                .inScenario("flaky")
                .whenScenarioStateIs(STARTED)
                .willReturn(GitHubStub.jsonResponse(500, "{\"message\":\"Server Error\"}"))
                .willSetStateTo("up"));
    f.github
        .server()
        .stubFor(
            post(urlPathEqualTo(JIT_PATH))
                .inScenario("flaky")
                .whenScenarioStateIs("up")
                .willReturn(jitAnswer()));
    f.queued(161, "acme", ACME, "linux");

    HttpResponse<String> r = claim();

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(f.github.requestsTo(JIT_PATH)).hasSize(2);
    assertThat(f.github.count(getRequestedFor(urlPathEqualTo(RUNNERS_PATH)))).isEqualTo(1);
  }

  private void noRunnersListed() {
    f.github
        .server()
        .stubFor(
            get(urlPathEqualTo(RUNNERS_PATH))
                .willReturn(GitHubStub.jsonResponse(200, "{\"total_count\":0,\"runners\":[]}")));
  }

  @Test
  void a_persistent_github_500_is_502_and_the_job_stays_claimable() throws Exception {
    noRunnersListed();
    f.github
        .server()
        .stubFor(
            post(urlPathEqualTo(JIT_PATH))
                .willReturn(GitHubStub.jsonResponse(500, "{\"message\":\"Server Error\"}")));
    f.queued(171, "acme", ACME, "linux");

    HttpResponse<String> r = claim();

    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(f.body(r).get("error").asText())
        .contains("GitHub did not register the runner", "claimable again", "500");
    assertThat(f.github.requestsTo(JIT_PATH))
        .hasSize(dev.runway.platform.github.GitHubClient.MAX_REGISTRATIONS);
    assertThat(f.status(171)).isEqualTo("queued");
    assertThat(f.string("select status || ' ' || end_reason from claims"))
        .isEqualTo("released github_error");
    assertThat(f.svc.metric("runway_claims_total{pool=\"linux\",result=\"github_error\"}"))
        .isEqualTo(1);

    f.github.server().stubFor(post(urlPathEqualTo(JIT_PATH)).willReturn(jitAnswer()));
    JsonNode again = f.body(claim());
    assertThat(again.at("/job/job_id").asLong()).isEqualTo(171);
  }

  @Test
  void a_rate_limited_jit_request_waits_for_the_reset_then_claims() throws Exception {
    // Within the claim deadline (20 s by default); a later reset is ClaimDeadlineIT's.
    long reset = f.clock.instant().plusSeconds(10).getEpochSecond();
    f.github
        .server()
        .stubFor(
            post(urlPathEqualTo(JIT_PATH))
                .inScenario("limited")
                .whenScenarioStateIs(STARTED)
                .willReturn(
                    GitHubStub.jsonResponse(403, "{\"message\":\"API rate limit exceeded\"}")
                        .withHeader("X-RateLimit-Remaining", "0")
                        .withHeader("X-RateLimit-Reset", String.valueOf(reset)))
                .willSetStateTo("reset"));
    f.github
        .server()
        .stubFor(
            post(urlPathEqualTo(JIT_PATH))
                .inScenario("limited")
                .whenScenarioStateIs("reset")
                .willReturn(jitAnswer()));
    f.queued(181, "acme", ACME, "linux");
    Instant before = f.clock.instant();

    assertThat(claim().statusCode()).isEqualTo(200);
    assertThat(f.sleeper.waits()).hasSize(1);
    assertThat(f.sleeper.waits().get(0)).isBetween(Duration.ofSeconds(10), Duration.ofSeconds(12));
    assertThat(f.clock.instant()).isAfterOrEqualTo(Instant.ofEpochSecond(reset));
    assertThat(Duration.between(before, f.clock.instant())).isLessThan(Duration.ofMinutes(1));
  }

  private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder jitAnswer() {
    return GitHubStub.jsonResponse(
        201, "{\"runner\":{\"id\":5,\"name\":\"r\"},\"encoded_jit_config\":\"" + JIT + "\"}");
  }
}
