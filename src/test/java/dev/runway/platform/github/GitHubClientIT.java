package dev.runway.platform.github;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static dev.runway.platform.github.GitHubStub.delivery;
import static dev.runway.platform.github.GitHubStub.jsonResponse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GitHubClientIT {

  private static final TestKeys KEYS = TestKeys.generate();
  private static final String APP_ID = "4711";

  private final MutableClock clock = MutableClock.startingNow();
  private final RecordingSleeper sleeper = new RecordingSleeper(clock);
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final GitHubStub github = GitHubStub.start(APP_ID, KEYS, clock, "");

  @AfterEach
  void stop() {
    github.close();
  }

  private GitHubClient client(GitHubStub stub, TestKeys keys) {
    return GitHubClient.builder(new AppJwtSigner(APP_ID, keys.privateKey(), clock))
        .apiUrl(stub.apiUrl())
        .clock(clock)
        .sleeper(sleeper)
        .meterRegistry(registry)
        .retryPolicy(RetryPolicy.defaults())
        .build();
  }

  private GitHubClient client() {
    return client(github, KEYS);
  }

  @Test
  void lists_deliveries_with_a_jwt_the_stub_accepts_and_reads_the_next_cursor() {
    Instant at = Instant.parse("2026-05-19T15:20:04Z");
    github.stubDeliveriesPages(
        List.of(
            List.of(delivery(2, "g-2", at, "workflow_job", "queued", 502)),
            List.of(delivery(1, "g-1", at.minusSeconds(5), "ping", null, 200))));

    DeliveryPage page = client().listDeliveries(100, null, "failure");

    assertThat(page.deliveries())
        .containsExactly(delivery(2, "g-2", at, "workflow_job", "queued", 502));
    assertThat(page.nextCursor()).contains("page-2");
    assertThat(github.authRejections()).isEmpty();
    github
        .server()
        .verify(
            getRequestedFor(urlPathEqualTo("/app/hook/deliveries"))
                .withQueryParam("per_page", equalTo("100"))
                .withQueryParam("status", equalTo("failure"))
                .withHeader("Accept", equalTo("application/vnd.github+json"))
                .withHeader("X-GitHub-Api-Version", equalTo("2022-11-28"))
                .withHeader("User-Agent", equalTo("runway")));
  }

  @Test
  void a_jwt_signed_with_another_key_is_rejected_with_401() {
    github.stubDeliveriesPages(List.of());

    assertThatThrownBy(() -> client(github, TestKeys.generate()).listDeliveries(10, null, null))
        .isInstanceOfSatisfying(
            GitHubException.class, e -> assertThat(e.statusCode()).isEqualTo(401));
    assertThat(github.authRejections()).singleElement().asString().contains("signature");
  }

  @Test
  void a_server_error_is_retried_with_backoff_then_succeeds() {
    github
        .server()
        .stubFor(
            get(urlPathEqualTo("/app/hook/deliveries"))
                .inScenario("flaky")
                .whenScenarioStateIs(STARTED)
                .willReturn(jsonResponse(503, "{\"message\":\"unavailable\"}"))
                .willSetStateTo("healthy"));
    github
        .server()
        .stubFor(
            get(urlPathEqualTo("/app/hook/deliveries"))
                .inScenario("flaky")
                .whenScenarioStateIs("healthy")
                .willReturn(jsonResponse(200, "[]")));

    assertThat(client().listDeliveries(100, null, null).deliveries()).isEmpty();

    assertThat(github.listRequests()).isEqualTo(2);
    assertThat(sleeper.waits())
        .singleElement()
        .satisfies(d -> assertThat(d).isBetween(Duration.ofMillis(250), Duration.ofMillis(500)));
  }

  @Test
  void a_persistent_server_error_fails_after_the_allowed_attempts() {
    github
        .server()
        .stubFor(get(urlPathEqualTo("/app/hook/deliveries/9")).willReturn(jsonResponse(500, "{}")));

    assertThatThrownBy(() -> client().getDelivery(9))
        .isInstanceOfSatisfying(
            GitHubException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(500);
              assertThat(e.getMessage()).contains("GET /app/hook/deliveries/9 answered 500");
            });
    assertThat(github.detailRequests(9)).isEqualTo(RetryPolicy.defaults().maxAttempts());
    assertThat(sleeper.waits()).hasSize(RetryPolicy.defaults().maxAttempts() - 1);
  }

  @Test
  void connection_errors_are_retried_then_reported_with_status_zero() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    GitHubClient client =
        GitHubClient.builder(new AppJwtSigner(APP_ID, KEYS.privateKey(), clock))
            .apiUrl(URI.create("http://127.0.0.1:" + closedPort))
            .sleeper(sleeper)
            .retryPolicy(RetryPolicy.defaults().withMaxAttempts(3))
            .build();

    assertThatThrownBy(() -> client.redeliver(1))
        .isInstanceOfSatisfying(
            GitHubException.class,
            e -> {
              assertThat(e.statusCode()).isZero();
              assertThat(e.getMessage()).contains("no answer after 3 attempts");
            });
    assertThat(sleeper.waits()).hasSize(2);
  }

  @Test
  void a_403_rate_limit_waits_until_the_reset_then_succeeds() {
    long reset = clock.instant().plusSeconds(2).getEpochSecond();
    github
        .server()
        .stubFor(
            get(urlPathEqualTo("/app/hook/deliveries/7"))
                .inScenario("limit")
                .whenScenarioStateIs(STARTED)
                .willReturn(
                    jsonResponse(403, "{\"message\":\"API rate limit exceeded\"}")
                        .withHeader("X-RateLimit-Remaining", "0")
                        .withHeader("X-RateLimit-Reset", String.valueOf(reset)))
                .willSetStateTo("reset"));
    github
        .server()
        .stubFor(
            get(urlPathEqualTo("/app/hook/deliveries/7"))
                .inScenario("limit")
                .whenScenarioStateIs("reset")
                .willReturn(
                    jsonResponse(200, "{\"id\":7,\"guid\":\"g\"}")
                        .withHeader("X-RateLimit-Remaining", "4321")));
    Instant before = clock.instant();

    assertThat(client().getDelivery(7).id()).isEqualTo(7);

    assertThat(sleeper.waits())
        .singleElement()
        .satisfies(d -> assertThat(d).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(3)));
    assertThat(clock.instant()).isAfterOrEqualTo(Instant.ofEpochSecond(reset));
    assertThat(before).isBefore(Instant.ofEpochSecond(reset));
    assertThat(registry.scrape())
        .contains("runway_github_rate_limit_remaining{auth=\"app\"} 4321.0");
  }

  @Test
  void a_429_with_retry_after_waits_that_long() {
    github
        .server()
        .stubFor(
            get(urlPathEqualTo("/app/hook/deliveries"))
                .inScenario("secondary")
                .whenScenarioStateIs(STARTED)
                .willReturn(jsonResponse(429, "{}").withHeader("Retry-After", "1"))
                .willSetStateTo("ok"));
    github
        .server()
        .stubFor(
            get(urlPathEqualTo("/app/hook/deliveries"))
                .inScenario("secondary")
                .whenScenarioStateIs("ok")
                .willReturn(jsonResponse(200, "[]")));

    client().listDeliveries(100, null, null);

    assertThat(sleeper.waits()).containsExactly(Duration.ofSeconds(1));
  }

  @Test
  void a_rate_limit_that_resets_beyond_the_max_wait_fails_at_once() {
    github
        .server()
        .stubFor(
            get(urlPathEqualTo("/app/hook/deliveries"))
                .willReturn(
                    jsonResponse(403, "{\"message\":\"API rate limit exceeded\"}")
                        .withHeader("X-RateLimit-Remaining", "0")
                        .withHeader(
                            "X-RateLimit-Reset",
                            String.valueOf(clock.instant().plusSeconds(3600).getEpochSecond()))));

    assertThatThrownBy(() -> client().listDeliveries(100, null, null))
        .isInstanceOfSatisfying(GitHubException.class, e -> assertThat(e.rateLimited()).isTrue());
    assertThat(sleeper.waits()).isEmpty();
    assertThat(github.listRequests()).isEqualTo(1);
  }

  @Test
  void a_plain_403_is_not_retried() {
    github
        .server()
        .stubFor(
            get(urlPathEqualTo("/app/hook/deliveries"))
                .willReturn(jsonResponse(403, "{\"message\":\"Resource not accessible\"}")));

    assertThatThrownBy(() -> client().listDeliveries(100, null, null))
        .isInstanceOfSatisfying(
            GitHubException.class,
            e -> {
              assertThat(e.isClientError()).isTrue();
              assertThat(e.getMessage()).endsWith("answered 403: Resource not accessible");
            });
    assertThat(github.listRequests()).isEqualTo(1);
  }

  @Test
  void jit_config_for_an_organisation_repository_registers_at_organisation_level() {
    String token = github.stubInstallationToken(4242);
    github.stubOrgJitConfig("acme", 77, "c2VjcmV0LWppdA==");

    JitConfig config =
        client()
            .generateJitConfig(
                new GitHubClient.RunnerScope(4242, "acme", "app", true),
                "runway-linux-1",
                3,
                List.of("linux", "x64"),
                "_work",
                null);

    assertThat(config.runnerId()).isEqualTo(77);
    assertThat(config.runnerName()).isEqualTo("runway-linux-1");
    assertThat(config.encodedJitConfig()).isEqualTo("c2VjcmV0LWppdA==");
    github
        .server()
        .verify(
            postRequestedFor(urlPathEqualTo("/orgs/acme/actions/runners/generate-jitconfig"))
                .withHeader("Authorization", equalTo("Bearer " + token))
                .withRequestBody(
                    equalToJson(
                        "{\"name\":\"runway-linux-1\",\"runner_group_id\":3,"
                            + "\"labels\":[\"linux\",\"x64\"],\"work_folder\":\"_work\"}")));
  }

  @Test
  void jit_config_for_a_user_owned_repository_registers_on_the_repository() {
    github.stubInstallationToken(99);
    github.stubRepoJitConfig("octocat", "hello", 78, "dXNlci1qaXQ=");

    JitConfig config =
        client()
            .generateJitConfig(
                new GitHubClient.RunnerScope(99, "octocat", "hello", false),
                "runway-mac-2",
                1,
                List.of("macos"),
                "_work",
                null);

    assertThat(config.runnerId()).isEqualTo(78);
    assertThat(github.requestsTo("/repos/octocat/hello/actions/runners/generate-jitconfig"))
        .hasSize(1);
    assertThat(
            github.count(
                postRequestedFor(
                    urlPathEqualTo("/orgs/octocat/actions/runners/generate-jitconfig"))))
        .isZero();
  }

  @Test
  void the_installation_token_is_cached_across_calls() {
    github.stubInstallationToken(4242);
    github.stubOrgJitConfig("acme", 77, "aml0");
    GitHubClient client = client();

    client.generateJitConfig(
        new GitHubClient.RunnerScope(4242, "acme", "app", true),
        "r-1",
        1,
        List.of("linux"),
        "_work",
        null);
    client.generateJitConfig(
        new GitHubClient.RunnerScope(4242, "acme", "app", true),
        "r-2",
        1,
        List.of("linux"),
        "_work",
        null);

    assertThat(github.accessTokenRequests(4242)).isEqualTo(1);
  }

  @Test
  void the_installation_token_is_replaced_five_minutes_before_it_expires() {
    github.stubInstallationToken(4242);
    GitHubClient client = client();
    InstallationToken first = client.installationToken(4242);

    clock.advance(Duration.ofMinutes(54));
    assertThat(client.installationToken(4242)).isSameAs(first);

    clock.advance(Duration.ofMinutes(2));
    github.stubInstallationToken(4242);
    assertThat(client.installationToken(4242).token()).isNotEqualTo(first.token());
    assertThat(github.accessTokenRequests(4242)).isEqualTo(2);
  }

  @Test
  void reads_a_job_with_an_installation_token() {
    github.stubInstallationToken(4242);
    github.stubJob(
        "acme",
        "app",
        29679449,
        "{\"id\":29679449,\"run_id\":10293081,\"status\":\"completed\",\"conclusion\":\"success\","
            + "\"started_at\":\"2026-05-19T15:20:04Z\",\"completed_at\":\"2026-05-19T15:25:00Z\","
            + "\"runner_id\":12,\"runner_name\":\"runway-linux-1\",\"labels\":[\"linux\"],"
            + "\"steps\":[]}");

    WorkflowJob job = client().getJob(4242, "acme", "app", 29679449);

    assertThat(job.status()).isEqualTo("completed");
    assertThat(job.conclusion()).isEqualTo("success");
    assertThat(job.startedAt()).isEqualTo(Instant.parse("2026-05-19T15:20:04Z"));
    assertThat(job.completedAt()).isEqualTo(Instant.parse("2026-05-19T15:25:00Z"));
    assertThat(job.runnerName()).isEqualTo("runway-linux-1");
    assertThat(job.runnerId()).isEqualTo(12);
  }

  @Test
  void an_unissued_installation_token_is_rejected_by_the_stub() {
    github.stubJob("acme", "app", 1, "{\"id\":1}");
    github
        .server()
        .stubFor(
            com.github.tomakehurst.wiremock.client.WireMock.post(
                    urlPathEqualTo("/app/installations/5/access_tokens"))
                .willReturn(
                    jsonResponse(
                        201,
                        "{\"token\":\"ghs_forged\",\"expires_at\":\"2099-01-01T00:00:00Z\"}")));

    assertThatThrownBy(() -> client().getJob(5, "acme", "app", 1))
        .isInstanceOfSatisfying(
            GitHubException.class, e -> assertThat(e.statusCode()).isEqualTo(401));
  }

  @Test
  void a_ghes_base_path_is_kept_in_front_of_every_api_path() {
    try (GitHubStub ghes = GitHubStub.start(APP_ID, KEYS, clock, "/api/v3")) {
      ghes.stubRedeliver(31);

      client(ghes, KEYS).redeliver(31);

      assertThat(ghes.redeliveryRequests(31)).isEqualTo(1);
      assertThat(ghes.allRequests().get(0).getUrl())
          .isEqualTo("/api/v3/app/hook/deliveries/31/attempts");
    }
  }

  @Test
  void delivery_detail_exposes_the_workflow_job_id_of_the_payload() {
    DeliverySummary d =
        delivery(5, "g-5", Instant.parse("2026-05-19T15:20:04Z"), "workflow_job", "queued", 200);
    github.stubDeliveryDetail(d, GitHubStub.workflowJobPayload("queued", 29679449));

    DeliveryDetail detail = client().getDelivery(5);

    assertThat(detail.summary()).isEqualTo(d);
    assertThat(detail.workflowJobId()).isEqualTo(29679449);
    assertThat(detail.request().headers()).containsKey("X-Hub-Signature-256");
  }

  @Test
  void secrets_stay_out_of_to_string() {
    assertThat(new JitConfig(1, "r", "c2VjcmV0").toString()).doesNotContain("c2VjcmV0");
    assertThat(new InstallationToken("ghs_abc", Instant.EPOCH).toString())
        .doesNotContain("ghs_abc");
    assertThat(client().toString()).doesNotContain("BEGIN");
  }

  @Test
  void the_jitconfig_stub_checks_the_request_body() {
    github.stubInstallationToken(4242);
    github.stubOrgJitConfig("acme", 77, "aml0");
    github
        .server()
        .verify(
            0,
            postRequestedFor(urlPathEqualTo("/orgs/acme/actions/runners/generate-jitconfig"))
                .withRequestBody(matchingJsonPath("$.labels[0]")));

    assertThatThrownBy(
            () ->
                client()
                    .generateJitConfig(
                        new GitHubClient.RunnerScope(4242, "acme", "app", true),
                        "r",
                        1,
                        List.of(),
                        "_work",
                        null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
