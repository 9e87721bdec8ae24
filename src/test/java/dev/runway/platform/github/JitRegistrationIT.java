package dev.runway.platform.github;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static dev.runway.platform.github.GitHubStub.jsonResponse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code generate-jitconfig} is not safe to repeat, and every GitHub call ends within its deadline.
 * WireMock stands in for GitHub and checks the App's JWT and the installation token.
 */
class JitRegistrationIT {
  private static final TestKeys KEYS = TestKeys.generate();
  private static final String APP_ID = "4711";
  private static final String JIT = "/orgs/acme/actions/runners/generate-jitconfig";
  private static final String RUNNERS = "/orgs/acme/actions/runners";
  private static final String NAME = "runway-linux-42";
  private static final GitHubClient.RunnerScope ACME =
      new GitHubClient.RunnerScope(4242, "acme", "app", true);

  private final MutableClock clock = MutableClock.startingNow();
  // The deadlines' clock is the one the sleeper moves, so waits count without being spent.
  private final RecordingSleeper sleeper = new RecordingSleeper(clock);
  private final GitHubStub github = GitHubStub.start(APP_ID, KEYS, clock, "");

  @AfterEach
  void stop() {
    github.close();
  }

  private long nanos() {
    return clock.millis() * 1_000_000L;
  }

  private GitHubClient client(RetryPolicy policy) {
    return GitHubClient.builder(new AppJwtSigner(APP_ID, KEYS.privateKey(), clock))
        .apiUrl(github.apiUrl())
        .clock(clock)
        .sleeper(sleeper)
        .nanoTime(this::nanos)
        .meterRegistry(new SimpleMeterRegistry())
        .retryPolicy(policy)
        .build();
  }

  private GitHubClient client() {
    return client(RetryPolicy.defaults());
  }

  private JitConfig register(GitHubClient client) {
    return client.generateJitConfig(
        ACME, NAME, 1, List.of("self-hosted", "linux"), "_work", deadline(Duration.ofSeconds(20)));
  }

  private Deadline deadline(Duration d) {
    return Deadline.after(d, this::nanos);
  }

  /** {@code first} for the first JIT request, then a good registration. */
  private void jitAnswers(ResponseDefinitionBuilder first) {
    github
        .server()
        .stubFor(
            post(urlPathEqualTo(JIT))
                .inScenario("jit")
                .whenScenarioStateIs(STARTED)
                .willReturn(first)
                .willSetStateTo("second"));
    github
        .server()
        .stubFor(
            post(urlPathEqualTo(JIT))
                .inScenario("jit")
                .whenScenarioStateIs("second")
                .willReturn(
                    jsonResponse(
                        201,
                        "{\"runner\":{\"id\":902,\"name\":\""
                            + NAME
                            + "\"},\"encoded_jit_config\":\"c2Vjb25k\"}")));
  }

  private void runnersNamed(String name, long... ids) {
    StringBuilder runners = new StringBuilder();
    for (long id : ids) {
      runners
          .append(runners.length() == 0 ? "" : ",")
          .append("{\"id\":")
          .append(id)
          .append(",\"name\":\"")
          .append(name)
          .append("\",\"status\":\"offline\",\"busy\":false}");
    }
    github
        .server()
        .stubFor(
            get(urlPathEqualTo(RUNNERS))
                .withQueryParam("name", equalTo(NAME))
                .willReturn(
                    jsonResponse(
                        200,
                        "{\"total_count\":" + ids.length + ",\"runners\":[" + runners + "]}")));
    github
        .server()
        .stubFor(delete(urlPathEqualTo(RUNNERS + "/901")).willReturn(aResponse().withStatus(204)));
  }

  private int posts() {
    return github.count(postRequestedFor(urlPathEqualTo(JIT)));
  }

  private int deletes() {
    return github.count(deleteRequestedFor(urlPathEqualTo(RUNNERS + "/901")));
  }

  private int lookups() {
    return github.count(getRequestedFor(urlPathEqualTo(RUNNERS)));
  }

  @Test
  void after_a_connection_error_the_runner_that_was_created_is_deleted_and_registered_again() {
    github.stubInstallationToken(4242);
    jitAnswers(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    runnersNamed(NAME, 901);

    JitConfig config = register(client());

    assertThat(config.runnerId()).isEqualTo(902);
    assertThat(config.encodedJitConfig()).isEqualTo("c2Vjb25k");
    assertThat(posts()).isEqualTo(2);
    assertThat(lookups()).isEqualTo(1);
    assertThat(deletes()).isEqualTo(1);
    // No backoff was spent on the POST: it was not retried as such.
    assertThat(sleeper.waits()).isEmpty();
  }

  @Test
  void after_a_connection_error_with_no_runner_of_that_name_it_registers_again_without_deleting() {
    github.stubInstallationToken(4242);
    jitAnswers(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    runnersNamed(NAME);

    assertThat(register(client()).runnerId()).isEqualTo(902);
    assertThat(posts()).isEqualTo(2);
    assertThat(lookups()).isEqualTo(1);
    assertThat(deletes()).isZero();
  }

  @Test
  void a_server_error_on_the_post_is_looked_into_not_retried_blindly() {
    github.stubInstallationToken(4242);
    jitAnswers(jsonResponse(502, "{\"message\":\"Server Error\"}"));
    runnersNamed(NAME, 901);

    assertThat(register(client()).runnerId()).isEqualTo(902);
    assertThat(posts()).isEqualTo(2);
    assertThat(deletes()).isEqualTo(1);
  }

  @Test
  void a_409_name_conflict_deletes_the_old_registration_and_registers_again() {
    github.stubInstallationToken(4242);
    jitAnswers(
        jsonResponse(
            409, "{\"message\":\"Already exists - A runner with the name already exists.\"}"));
    runnersNamed(NAME, 901);

    assertThat(register(client()).runnerId()).isEqualTo(902);
    assertThat(deletes()).isEqualTo(1);
  }

  @Test
  void a_422_whose_errors_say_already_exists_is_a_name_conflict_too() {
    github.stubInstallationToken(4242);
    jitAnswers(
        jsonResponse(
            422,
            "{\"message\":\"Validation Failed\",\"errors\":[{\"resource\":\"Runner\","
                + "\"code\":\"already_exists\",\"message\":\"Already exists\"}]}"));
    runnersNamed(NAME, 901);

    assertThat(register(client()).runnerId()).isEqualTo(902);
    assertThat(deletes()).isEqualTo(1);
  }

  @Test
  void any_other_422_is_refused_without_looking_or_registering_again() {
    github.stubInstallationToken(4242);
    jitAnswers(
        jsonResponse(
            422, "{\"message\":\"Validation Failed\",\"errors\":[\"labels must not be empty\"]}"));
    runnersNamed(NAME, 901);

    assertThatThrownBy(() -> register(client()))
        .isInstanceOfSatisfying(
            GitHubException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(422);
              assertThat(e.getMessage()).contains("labels must not be empty");
            });
    assertThat(posts()).isEqualTo(1);
    assertThat(lookups()).isZero();
  }

  @Test
  void a_422_whose_message_says_already_exists_is_handled_as_a_conflict() {
    github.stubInstallationToken(4242);
    jitAnswers(jsonResponse(422, "{\"message\":\"Runner name already exists\"}"));
    runnersNamed(NAME, 901);

    assertThat(register(client()).runnerId()).isEqualTo(902);
    assertThat(deletes()).isEqualTo(1);
  }

  @Test
  void a_name_that_keeps_conflicting_is_given_up_after_a_bounded_number_of_registrations() {
    github.stubInstallationToken(4242);
    github
        .server()
        .stubFor(
            post(urlPathEqualTo(JIT))
                .willReturn(jsonResponse(409, "{\"message\":\"Already exists\"}")));
    runnersNamed(NAME, 901);

    assertThatThrownBy(() -> register(client()))
        .isInstanceOfSatisfying(
            GitHubException.class, e -> assertThat(e.statusCode()).isEqualTo(409));
    assertThat(posts()).isEqualTo(GitHubClient.MAX_REGISTRATIONS);
    assertThat(deletes()).isEqualTo(GitHubClient.MAX_REGISTRATIONS - 1);
  }

  @Test
  void retries_and_backoffs_stop_at_the_call_deadline() {
    github
        .server()
        .stubFor(
            get(urlPathEqualTo("/app/hook/deliveries"))
                .willReturn(jsonResponse(503, "{\"message\":\"unavailable\"}")));
    RetryPolicy policy =
        new RetryPolicy(
            20,
            Duration.ofSeconds(1),
            Duration.ofSeconds(8),
            0,
            Duration.ofSeconds(60),
            Duration.ofSeconds(30),
            Duration.ofSeconds(10));

    assertThatThrownBy(() -> client(policy).listDeliveries(100, null, null))
        .isInstanceOfSatisfying(
            DeadlineExceededException.class,
            e -> assertThat(e.getMessage()).contains("within its deadline of 10000 ms"));
    // 1 + 2 + 4 s of backoff fit in 10 s; the next 8 s would not, so it is not waited.
    assertThat(sleeper.waits())
        .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4));
    assertThat(github.listRequests()).isEqualTo(4);
  }

  @Test
  void a_rate_limit_resetting_after_the_deadline_fails_at_once_without_waiting() {
    github.stubInstallationToken(4242);
    github
        .server()
        .stubFor(
            post(urlPathEqualTo(JIT))
                .willReturn(
                    jsonResponse(429, "{\"message\":\"secondary rate limit\"}")
                        .withHeader("Retry-After", "30")));

    assertThatThrownBy(() -> register(client()))
        .isInstanceOfSatisfying(GitHubException.class, e -> assertThat(e.rateLimited()).isTrue());
    assertThat(sleeper.waits()).isEmpty();
    assertThat(posts()).isEqualTo(1);
  }

  @Test
  void the_installation_token_fetch_spends_the_same_deadline() {
    github
        .server()
        .stubFor(
            post(urlPathEqualTo("/app/installations/4242/access_tokens"))
                .willReturn(jsonResponse(500, "{\"message\":\"boom\"}")));
    RetryPolicy policy = RetryPolicy.defaults().withMaxAttempts(20);

    assertThatThrownBy(
            () ->
                client(policy)
                    .generateJitConfig(
                        ACME, NAME, 1, List.of("linux"), "_work", deadline(Duration.ofSeconds(3))))
        .isInstanceOf(DeadlineExceededException.class);
    assertThat(posts()).isZero();
    assertThat(sleeper.waits().stream().mapToLong(Duration::toMillis).sum()).isLessThan(3000);
  }
}
