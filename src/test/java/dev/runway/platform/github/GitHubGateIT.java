package dev.runway.platform.github;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.runway.platform.github.GitHubStub.jsonResponse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client's gate in front of GitHub: one cap on requests in flight, shared by every caller, and
 * GitHub's rate limit as a pause of the installation that met it, with one probe after the reset.
 */
class GitHubGateIT {
  private static final TestKeys KEYS = TestKeys.generate();
  private static final String APP_ID = "4711";
  private static final String JIT = "/orgs/acme/actions/runners/generate-jitconfig";
  private static final GitHubClient.RunnerScope ACME =
      new GitHubClient.RunnerScope(4242, "acme", "app", true);
  private static final String OK =
      "{\"runner\":{\"id\":902,\"name\":\"r\"},\"encoded_jit_config\":\"c2Vjb25k\"}";

  private final MutableClock clock = MutableClock.startingNow();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private GitHubStub github;

  @AfterEach
  void stop() {
    github.close();
  }

  private GitHubClient client(Clock c, int maxConcurrency) {
    return GitHubClient.builder(new AppJwtSigner(APP_ID, KEYS.privateKey(), c))
        .apiUrl(github.apiUrl())
        .clock(c)
        .sleeper(new RecordingSleeper(c instanceof MutableClock m ? m : null))
        .meterRegistry(registry)
        .maxConcurrency(maxConcurrency)
        .build();
  }

  private JitConfig register(GitHubClient client, Duration deadline) {
    return client.generateJitConfig(
        ACME, "runner-1", 1, List.of("self-hosted", "linux"), "_work", Deadline.after(deadline));
  }

  private int jitPosts() {
    return github.count(postRequestedFor(urlPathEqualTo(JIT)));
  }

  private void jitAnswers(com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder r) {
    github.server().stubFor(post(urlPathEqualTo(JIT)).willReturn(r));
  }

  @Test
  void a_call_that_gets_no_request_slot_within_its_deadline_is_github_busy_and_sends_nothing() {
    github = GitHubStub.start(APP_ID, KEYS);
    github.stubInstallationToken(4242);
    github
        .server()
        .stubFor(
            get(urlPathEqualTo("/repos/acme/app/actions/jobs/1"))
                .willReturn(jsonResponse(200, "{\"id\":1}").withFixedDelay(3_000)));
    jitAnswers(jsonResponse(201, OK));
    GitHubClient client = client(Clock.systemUTC(), 1);
    client.installationToken(4242);
    // A slow call of another caller (a reconciler) holds the only slot.
    CompletableFuture<WorkflowJob> slow =
        CompletableFuture.supplyAsync(() -> client.getJob(4242, "acme", "app", 1));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> registry.get("runway.github.requests.in.flight").gauge().value() == 1);

    assertThatThrownBy(() -> register(client, Duration.ofMillis(300)))
        .isInstanceOf(GitHubBusyException.class)
        .hasMessageContaining("GitHub busy")
        .hasMessageContaining("1 request slots");
    assertThat(jitPosts()).isZero();
    assertThat(registry.get("runway.github.busy").counter().count()).isEqualTo(1);
    assertThat(slow.join().id()).isEqualTo(1);
    // The slot is free again: the same call goes through.
    assertThat(register(client, Duration.ofSeconds(10)).encodedJitConfig()).isEqualTo("c2Vjb25k");
  }

  @Test
  void a_429_with_retry_after_pauses_the_installation_and_nothing_is_sent_until_the_reset() {
    github = GitHubStub.start(APP_ID, KEYS, clock, "");
    github.stubInstallationToken(4242);
    github.stubInstallationToken(4343);
    jitAnswers(
        jsonResponse(429, "{\"message\":\"secondary rate limit\"}")
            .withHeader("Retry-After", "30"));
    GitHubClient client = client(clock, 20);

    // The reset is past the caller's deadline: it fails at once instead of waiting.
    assertThatThrownBy(() -> register(client, Duration.ofSeconds(20)))
        .isInstanceOf(GitHubException.class)
        .matches(e -> ((GitHubException) e).rateLimited());
    assertThat(client.pausedUntil(4242)).contains(clock.instant().plusSeconds(30));
    assertThat(client.pausedUntil(4343)).isEmpty();
    assertThat(registry.get("runway.github.paused").tag("installation", "4242").gauge().value())
        .isEqualTo(1);

    for (int i = 0; i < 5; i++) {
      clock.advance(Duration.ofSeconds(5));
      assertThatThrownBy(() -> register(client, Duration.ofSeconds(20)))
          .isInstanceOfSatisfying(
              GitHubPausedException.class,
              e -> assertThat(e.retryAfterSeconds()).isBetween(1L, 25L));
    }
    assertThat(jitPosts()).isEqualTo(1);

    jitAnswers(jsonResponse(201, OK));
    clock.advance(Duration.ofSeconds(6));
    assertThat(register(client, Duration.ofSeconds(20)).encodedJitConfig()).isEqualTo("c2Vjb25k");
    assertThat(client.pausedUntil(4242)).isEmpty();
    assertThat(registry.get("runway.github.paused").tag("installation", "4242").gauge().value())
        .isZero();
    assertThat(jitPosts()).isEqualTo(2);
  }

  @Test
  void after_the_reset_one_probe_goes_out_and_the_others_wait_for_its_answer() {
    github = GitHubStub.start(APP_ID, KEYS, clock, "");
    github.stubInstallationToken(4242);
    long reset = clock.instant().plusSeconds(40).getEpochSecond();
    jitAnswers(
        jsonResponse(403, "{\"message\":\"API rate limit exceeded\"}")
            .withHeader("X-RateLimit-Remaining", "0")
            .withHeader("X-RateLimit-Reset", String.valueOf(reset)));
    GitHubClient client = client(clock, 20);
    assertThatThrownBy(() -> register(client, Duration.ofSeconds(20)))
        .isInstanceOf(GitHubException.class);
    assertThat(client.pausedUntil(4242)).isPresent();

    jitAnswers(jsonResponse(201, OK).withFixedDelay(2_000));
    clock.advance(Duration.ofSeconds(42));
    CompletableFuture<JitConfig> probe =
        CompletableFuture.supplyAsync(() -> register(client, Duration.ofSeconds(20)));
    await().atMost(Duration.ofSeconds(10)).until(() -> jitPosts() == 2);

    assertThatThrownBy(() -> register(client, Duration.ofSeconds(20)))
        .isInstanceOfSatisfying(
            GitHubPausedException.class, e -> assertThat(e.retryAfterSeconds()).isEqualTo(1));
    assertThat(jitPosts()).isEqualTo(2);
    assertThat(probe.join().encodedJitConfig()).isEqualTo("c2Vjb25k");
    assertThat(client.pausedUntil(4242)).isEmpty();
  }

  @Test
  void a_caller_that_waits_out_a_short_reset_is_the_probe_and_succeeds() {
    github = GitHubStub.start(APP_ID, KEYS, clock, "");
    github.stubInstallationToken(4242);
    github
        .server()
        .stubFor(
            post(urlPathEqualTo(JIT))
                .inScenario("limit")
                .whenScenarioStateIs(com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED)
                .willReturn(jsonResponse(429, "{}").withHeader("Retry-After", "2"))
                .willSetStateTo("open"));
    github
        .server()
        .stubFor(
            post(urlPathEqualTo(JIT))
                .inScenario("limit")
                .whenScenarioStateIs("open")
                .willReturn(jsonResponse(201, OK)));
    GitHubClient client = client(clock, 20);

    assertThat(register(client, Duration.ofSeconds(20)).encodedJitConfig()).isEqualTo("c2Vjb25k");
    assertThat(jitPosts()).isEqualTo(2);
    assertThat(client.pausedUntil(4242)).isEmpty();
  }
}
