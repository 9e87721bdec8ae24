package dev.runway.runners;

import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.runway.claims.ClaimsFixture.ACME;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import dev.runway.claims.ClaimsFixture;
import dev.runway.platform.github.AppJwtSigner;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.GitHubStub;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Long-poll claims, the per-claim runner state machine behind {@code POST
 * /api/v1/claims/{id}/events}, the release of a claim whose runner failed, its deletion at GitHub,
 * and the orphaned-runner reconciler: real PostgreSQL, the real HTTP server, WireMock as GitHub.
 */
class RunnerStatesIT {
  static final String POOLS =
      """
      pools:
        - name: linux
          labels: [linux]
        - name: mac
          labels: [macos]
      """;
  static final String RUNNERS = "/orgs/acme/actions/runners";

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

  private HttpResponse<String> claim(String query) throws Exception {
    return f.svc.http.send(claimRequest(query), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest claimRequest(String query) {
    return HttpRequest.newBuilder(f.svc.base().resolve("/api/v1/pools/linux/claims" + query))
        .timeout(Duration.ofSeconds(90))
        .header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.noBody())
        .build();
  }

  private HttpResponse<String> event(long claimId, String json, String bearer) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(f.svc.base().resolve("/api/v1/claims/" + claimId + "/events"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return f.svc.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> event(long claimId, String json) throws Exception {
    return event(claimId, json, token);
  }

  private long claimJob(long jobId) throws Exception {
    f.queued(jobId, "acme", ACME, "linux");
    HttpResponse<String> r = claim("");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body = f.body(r);
    assertThat(body.at("/job/job_id").asLong()).isEqualTo(jobId);
    return body.get("claim_id").asLong();
  }

  private String state(long claimId) throws Exception {
    return f.string("select state from claims where id = ?", claimId);
  }

  private void stubRunnerLookup(long claimId, long runnerId) {
    f.github
        .server()
        .stubFor(
            get(urlPathEqualTo(RUNNERS))
                .withQueryParam("name", equalTo("runway-linux-" + claimId))
                .willReturn(
                    GitHubStub.jsonResponse(
                        200,
                        "{\"total_count\":1,\"runners\":[{\"id\":"
                            + runnerId
                            + ",\"name\":\"runway-linux-"
                            + claimId
                            + "\",\"status\":\"offline\",\"busy\":false}]}")));
    f.github
        .server()
        .stubFor(
            delete(urlPathEqualTo(RUNNERS + "/" + runnerId))
                .willReturn(WireMock.aResponse().withStatus(204)));
  }

  @Test
  void a_long_polling_claim_gets_a_job_queued_while_it_waits() throws Exception {
    CompletableFuture<HttpResponse<String>> waiting =
        f.svc.http.sendAsync(claimRequest("?wait=30s"), HttpResponse.BodyHandlers.ofString());
    await().atMost(Duration.ofSeconds(20)).until(() -> f.svc.metric("runway_claim_waiters") == 1);

    f.queue(301, "acme", ACME, "linux");

    HttpResponse<String> r = waiting.get();
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(f.body(r).at("/job/job_id").asLong()).isEqualTo(301);
    assertThat(f.status(301)).isEqualTo("claimed");
    assertThat(f.svc.metric("runway_claim_waiters")).isZero();
  }

  @Test
  void a_long_poll_that_finds_nothing_answers_204_when_its_wait_ends() throws Exception {
    HttpResponse<String> r = claim("?wait=1s");

    assertThat(r.statusCode()).isEqualTo(204);
    assertThat(r.headers().firstValue("Runway-Claim-Result")).hasValue("empty");
  }

  @Test
  void a_wait_that_is_not_a_duration_is_400_and_a_waiting_claim_still_needs_its_token()
      throws Exception {
    assertThat(claim("?wait=soon").statusCode()).isEqualTo(400);
    HttpResponse<String> unauthenticated =
        f.svc.http.send(
            HttpRequest.newBuilder(f.svc.base().resolve("/api/v1/pools/linux/claims?wait=30s"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(unauthenticated.statusCode()).isEqualTo(401);
  }

  @Test
  void events_walk_the_state_machine_and_a_repeat_is_not_an_error() throws Exception {
    long id = claimJob(310);
    assertThat(state(id)).isEqualTo("claimed");

    HttpResponse<String> launching = event(id, "{\"event\":\"launching\"}");
    assertThat(launching.statusCode()).isEqualTo(200);
    assertThat(f.body(launching).get("result").asText()).isEqualTo("applied");
    HttpResponse<String> again = event(id, "{\"event\":\"launching\"}");
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(f.body(again).get("result").asText()).isEqualTo("already");
    assertThat(f.body(again).get("state").asText()).isEqualTo("launching");
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> f.svc.metric("runway_runners{pool=\"linux\",state=\"launching\"}") == 1);

    assertThat(event(id, "{\"event\":\"started\"}").statusCode()).isEqualTo(200);
    assertThat(state(id)).isEqualTo("running");
    // A late launching after started: already happened.
    assertThat(f.body(event(id, "{\"event\":\"launching\"}")).get("result").asText())
        .isEqualTo("already");
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                f.svc.metric("runway_runners{pool=\"linux\",state=\"running\"}") == 1
                    && f.svc.metric("runway_runners{pool=\"linux\",state=\"launching\"}") == 0);

    f.event("in_progress", 310, "acme", ACME, "runway-linux-" + id, "linux");
    f.awaitStatus(310, "in_progress");
    f.event("completed", 310, "acme", ACME, "runway-linux-" + id, "linux");
    f.awaitStatus(310, "completed");
    assertThat(state(id)).isEqualTo("done");

    HttpResponse<String> exited =
        event(id, "{\"event\":\"exited\",\"exit_code\":0,\"job_started\":true}");
    assertThat(exited.statusCode()).isEqualTo(200);
    assertThat(f.body(exited).get("result").asText()).isEqualTo("already");
    assertThat(f.body(exited).get("state").asText()).isEqualTo("done");
  }

  @Test
  void a_runner_that_exits_before_a_job_frees_its_claim_at_once_and_leaves_github()
      throws Exception {
    long id = claimJob(320);
    stubRunnerLookup(id, 55);
    event(id, "{\"event\":\"launching\"}");
    event(id, "{\"event\":\"started\"}");

    HttpResponse<String> exited =
        event(id, "{\"event\":\"exited\",\"exit_code\":1,\"job_started\":false}");

    assertThat(exited.statusCode()).isEqualTo(200);
    assertThat(f.body(exited).get("state").asText()).isEqualTo("failed");
    // Released in the event's own transaction: claimable again before the answer.
    assertThat(f.status(320)).isEqualTo("queued");
    assertThat(f.string("select status from claims where id = ?", id)).isEqualTo("released");
    assertThat(f.string("select state_reason from claims where id = ?", id))
        .isEqualTo("exited_before_job");
    assertThat(
            f.svc.metric(
                "runway_runner_launch_failures_total{pool=\"linux\",reason=\"exited_before_job\"}"))
        .isEqualTo(1);
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () -> f.github.server().verify(1, deleteRequestedFor(urlPathEqualTo(RUNNERS + "/55"))));
    assertThat(f.github.authRejections()).isEmpty();

    HttpResponse<String> next = claim("");
    assertThat(next.statusCode()).isEqualTo(200);
    assertThat(f.body(next).at("/job/job_id").asLong()).isEqualTo(320);
    assertThat(f.body(next).get("claim_id").asLong()).isNotEqualTo(id);
  }

  @Test
  void impossible_transitions_are_refused_and_change_nothing() throws Exception {
    long id = claimJob(330);
    stubRunnerLookup(id, 56);
    event(id, "{\"event\":\"exited\",\"exit_code\":1,\"job_started\":false}");

    HttpResponse<String> launching = event(id, "{\"event\":\"launching\"}");
    HttpResponse<String> done =
        event(id, "{\"event\":\"exited\",\"exit_code\":0,\"job_started\":true}");
    HttpResponse<String> repeat =
        event(id, "{\"event\":\"exited\",\"exit_code\":1,\"job_started\":false}");

    assertThat(launching.statusCode()).isEqualTo(409);
    assertThat(f.body(launching).get("state").asText()).isEqualTo("failed");
    assertThat(done.statusCode()).isEqualTo(409);
    assertThat(repeat.statusCode()).isEqualTo(200);
    assertThat(f.body(repeat).get("result").asText()).isEqualTo("already");
    assertThat(state(id)).isEqualTo("failed");
    assertThat(
            f.svc.metric(
                "runway_runner_launch_failures_total{pool=\"linux\",reason=\"exited_before_job\"}"))
        .isEqualTo(1);
  }

  @Test
  void exit_code_7_fails_the_claim_as_runner_outdated() throws Exception {
    long id = claimJob(340);
    stubRunnerLookup(id, 57);

    event(id, "{\"event\":\"exited\",\"exit_code\":7,\"job_started\":false}");

    assertThat(f.string("select state_reason from claims where id = ?", id))
        .isEqualTo("runner_outdated");
    assertThat(
            f.svc.metric(
                "runway_runner_launch_failures_total{pool=\"linux\",reason=\"runner_outdated\"}"))
        .isEqualTo(1);
    assertThat(f.status(340)).isEqualTo("queued");
  }

  @Test
  void an_exit_after_the_runner_took_its_job_is_done_and_keeps_the_job() throws Exception {
    long id = claimJob(350);
    f.event("in_progress", 350, "acme", ACME, "runway-linux-" + id, "linux");
    f.awaitStatus(350, "in_progress");
    assertThat(state(id)).isEqualTo("running");

    // The agent missed the job's start; the in_progress binding decides.
    HttpResponse<String> exited =
        event(id, "{\"event\":\"exited\",\"exit_code\":1,\"job_started\":false}");

    assertThat(f.body(exited).get("state").asText()).isEqualTo("done");
    assertThat(f.status(350)).isEqualTo("in_progress");
  }

  @Test
  void
      an_agent_runner_reported_started_keeps_its_job_past_the_lease_and_its_exit_by_signal_is_a_loss()
          throws Exception {
    long id = claimJob(385);
    assertThat(event(id, "{\"event\":\"launching\"}").statusCode()).isEqualTo(200);
    assertThat(event(id, "{\"event\":\"started\"}").statusCode()).isEqualTo(200);

    // Its in_progress is late: the lease must not take the job from a runner that runs.
    f.clock.advance(Duration.ofMinutes(6));
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                "claimed".equals(f.status(385))
                    && "running:active"
                        .equals(
                            f.string(
                                "select state || ':' || status from claims where id = ?", id)));
    // The runner took the job, then died of SIGKILL (137) that the agent did not send.
    assertThat(
            event(id, "{\"event\":\"exited\",\"exit_code\":137,\"job_started\":true}").statusCode())
        .isEqualTo(200);
    assertThat(f.string("select state || ':' || lost_reason from claims where id = ?", id))
        .isEqualTo("done:signal");
  }

  @Test
  void a_claim_nobody_starts_fails_with_lease_expired_and_its_job_is_claimable_again()
      throws Exception {
    long id = claimJob(380);

    f.clock.advance(Duration.ofMinutes(6));

    await().atMost(Duration.ofSeconds(30)).until(() -> "queued".equals(f.status(380)));
    assertThat(f.string("select state || ':' || state_reason from claims where id = ?", id))
        .isEqualTo("failed:lease_expired");
    assertThat(event(id, "{\"event\":\"launching\"}").statusCode()).isEqualTo(409);
  }

  @Test
  void a_claim_github_registered_no_runner_for_fails_with_github_error() throws Exception {
    f.github
        .server()
        .stubFor(
            WireMock.post(urlPathEqualTo("/orgs/acme/actions/runners/generate-jitconfig"))
                .atPriority(1)
                .willReturn(GitHubStub.jsonResponse(422, "{\"message\":\"Validation Failed\"}")));
    f.queued(390, "acme", ACME, "linux");

    assertThat(claim("").statusCode()).isEqualTo(502);

    assertThat(f.string("select state || ':' || state_reason from claims where job_id = 390"))
        .isEqualTo("failed:github_error");
    assertThat(f.status(390)).isEqualTo("queued");
  }

  @Test
  void events_need_a_token_of_the_claims_pool_and_a_well_formed_body() throws Exception {
    long id = claimJob(360);
    String macToken = f.token("mac");

    assertThat(event(id, "{\"event\":\"launching\"}", macToken).statusCode()).isEqualTo(401);
    assertThat(event(id, "{\"event\":\"launching\"}", null).statusCode()).isEqualTo(401);
    assertThat(event(id, "{\"event\":\"launching\"}", "rwy_forged").statusCode()).isEqualTo(401);
    assertThat(event(999999, "{\"event\":\"launching\"}").statusCode()).isEqualTo(404);
    assertThat(event(id, "not json").statusCode()).isEqualTo(400);
    assertThat(event(id, "{\"event\":\"exited\"}").statusCode()).isEqualTo(400);
    assertThat(state(id)).isEqualTo("claimed");
  }

  @Test
  void the_reconciler_deletes_offline_runway_runners_of_no_live_claim_only() throws Exception {
    long live = claimJob(370);
    long failed = claimJob(371);
    stubRunnerLookup(failed, 61);
    event(failed, "{\"event\":\"exited\",\"exit_code\":1,\"job_started\":false}");
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () -> f.github.server().verify(1, deleteRequestedFor(urlPathEqualTo(RUNNERS + "/61"))));
    f.github.server().resetRequests();
    String list =
        "{\"total_count\":6,\"runners\":["
            + runner(60, "runway-linux-" + live, "offline", false)
            + ","
            + runner(61, "runway-linux-" + failed, "offline", false)
            + ","
            + runner(62, "runway-linux-999999", "offline", false)
            + ","
            + runner(63, "runway-linux-888888", "online", false)
            + ","
            + runner(64, "build-box-1", "offline", false)
            + ","
            + runner(65, "runway-linux-777777", "offline", true)
            + "]}";
    f.github
        .server()
        .stubFor(
            get(urlPathEqualTo(RUNNERS))
                .withQueryParam("page", equalTo("1"))
                .atPriority(1)
                .willReturn(GitHubStub.jsonResponse(200, list)));
    for (int runnerId = 60; runnerId <= 65; runnerId++) {
      f.github
          .server()
          .stubFor(
              delete(urlPathEqualTo(RUNNERS + "/" + runnerId))
                  .willReturn(WireMock.aResponse().withStatus(204)));
    }
    // Each runner's own record (read by id before a delete) agrees with the list page, except
    // 62's, which the page shows offline but which has just come online with a job: kept.
    String[] records = {
      runner(60, "runway-linux-" + live, "offline", false),
      runner(61, "runway-linux-" + failed, "offline", false),
      runner(62, "runway-linux-999999", "online", true),
      runner(63, "runway-linux-888888", "online", false),
      runner(64, "build-box-1", "offline", false),
      runner(65, "runway-linux-777777", "offline", true)
    };
    for (int i = 0; i < records.length; i++) {
      f.github
          .server()
          .stubFor(
              get(urlPathEqualTo(RUNNERS + "/" + (60 + i)))
                  .willReturn(GitHubStub.jsonResponse(200, records[i])));
    }
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(f.svc.jdbcUrl);
    ds.setUser("postgres");
    ds.setPassword("postgres");
    GitHubClient gh =
        GitHubClient.builder(
                new AppJwtSigner(ClaimsFixture.APP_ID, ClaimsFixture.KEYS.privateKey(), f.clock))
            .apiUrl(f.github.apiUrl())
            .clock(f.clock)
            .sleeper(f.sleeper)
            .build();

    int deleted = new OrphanedRunners(ds, gh, f.clock).run();

    assertThat(deleted).isEqualTo(1);
    var server = f.github.server();
    server.verify(1, deleteRequestedFor(urlPathEqualTo(RUNNERS + "/61")));
    for (int kept : new int[] {60, 62, 63, 64, 65}) {
      server.verify(0, deleteRequestedFor(urlPathEqualTo(RUNNERS + "/" + kept)));
    }
    assertThat(f.github.authRejections()).isEmpty();
  }

  private static String runner(long id, String name, String status, boolean busy) {
    return "{\"id\":"
        + id
        + ",\"name\":\""
        + name
        + "\",\"status\":\""
        + status
        + "\",\"busy\":"
        + busy
        + "}";
  }
}
