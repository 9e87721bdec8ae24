package dev.runway.claims;

import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.runway.claims.ClaimsFixture.ACME;
import static dev.runway.claims.ClaimsFixture.JIT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.github.GitHubStub;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A claim answers within {@code RUNWAY_CLAIM_DEADLINE}, whatever GitHub does: past it the claim is
 * released, the job is claimable again, and the agent gets 503 with {@code Retry-After}.
 */
class ClaimDeadlineIT {
  static final String POOLS = "pools:\n  - name: linux\n    labels: [linux]\n";
  static final String JIT_PATH = "/orgs/acme/actions/runners/generate-jitconfig";

  @TempDir Path dir;
  ClaimsFixture f;
  String token;

  @BeforeEach
  void start() throws Exception {
    f = ClaimsFixture.start(dir, POOLS, Map.of(RunwayConfig.CLAIM_DEADLINE, "1s"));
    f.account("acme", ACME, 10);
    token = f.token("linux");
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @Test
  void github_answering_after_the_deadline_releases_the_claim_and_answers_503() throws Exception {
    f.github
        .server()
        .stubFor(
            post(urlPathEqualTo(JIT_PATH))
                .willReturn(
                    GitHubStub.jsonResponse(
                            201,
                            "{\"runner\":{\"id\":5,\"name\":\"r\"},\"encoded_jit_config\":\""
                                + JIT
                                + "\"}")
                        .withFixedDelay(4_000)));
    f.queued(301, "acme", ACME, "linux");

    HttpResponse<String> r = f.claim("linux", token);

    // Without the deadline GitHub's late 201 would have made this a 200.
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("Retry-After")).isPresent();
    assertThat(f.body(r).get("error").asText()).contains("within 1000 ms", "claimable again");
    assertThat(f.status(301)).isEqualTo("queued");
    assertThat(f.string("select status || ' ' || end_reason from claims"))
        .isEqualTo("released deadline_exceeded");
    assertThat(f.svc.metric("runway_claims_total{pool=\"linux\",result=\"deadline_exceeded\"}"))
        .isEqualTo(1);
  }

  @Test
  void a_rate_limit_resetting_after_the_deadline_is_503_at_once_without_waiting() throws Exception {
    long reset = f.clock.instant().plusSeconds(30).getEpochSecond();
    f.github
        .server()
        .stubFor(
            post(urlPathEqualTo(JIT_PATH))
                .willReturn(
                    GitHubStub.jsonResponse(403, "{\"message\":\"API rate limit exceeded\"}")
                        .withHeader("X-RateLimit-Remaining", "0")
                        .withHeader("X-RateLimit-Reset", String.valueOf(reset))));
    f.queued(302, "acme", ACME, "linux");

    HttpResponse<String> r = f.claim("linux", token);

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("Retry-After")).isPresent();
    assertThat(f.sleeper.waits()).isEmpty();
    assertThat(f.status(302)).isEqualTo("queued");
  }
}
