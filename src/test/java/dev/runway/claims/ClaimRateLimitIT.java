package dev.runway.claims;

import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.runway.claims.ClaimsFixture.ACME;
import static dev.runway.claims.ClaimsFixture.JIT;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import dev.runway.platform.github.GitHubStub;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GitHub's rate limit is a state, not an error: after a 429 or a 403 that says when it resets, JIT
 * minting for that installation pauses until then. Claims answer 503 with that {@code Retry-After},
 * Runway sends GitHub nothing during the pause and one probe after it, and minting resumes once the
 * probe gets through.
 */
class ClaimRateLimitIT {
  static final String POOLS = "pools:\n  - name: linux\n    labels: [linux]\n";
  static final String JIT_PATH = "/orgs/acme/actions/runners/generate-jitconfig";

  @TempDir Path dir;
  ClaimsFixture f;
  String token;

  @BeforeEach
  void start() throws Exception {
    f = ClaimsFixture.start(dir, POOLS, Map.of());
    f.account("acme", ACME, 100);
    token = f.token("linux");
    for (long id = 1; id <= 8; id++) {
      f.queued(id, "acme", ACME, "linux");
    }
  }

  @AfterEach
  void stop() {
    f.close();
  }

  private void jitAnswers(ResponseDefinitionBuilder answer) {
    f.github.server().stubFor(post(urlPathEqualTo(JIT_PATH)).willReturn(answer));
  }

  private int jitRequests() {
    return f.github.count(postRequestedFor(urlPathEqualTo(JIT_PATH)));
  }

  private static long retryAfter(HttpResponse<String> r) {
    return Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
  }

  private double paused() throws Exception {
    return f.svc.metric("runway_github_paused{installation=\"" + ACME + "\"}");
  }

  private static final String OK =
      "{\"runner\":{\"id\":5,\"name\":\"r\"},\"encoded_jit_config\":\"" + JIT + "\"}";

  @Test
  void after_a_429_with_retry_after_claims_are_503_with_it_and_github_sees_nothing_more()
      throws Exception {
    jitAnswers(
        GitHubStub.jsonResponse(429, "{\"message\":\"You have exceeded a secondary rate limit\"}")
            .withHeader("Retry-After", "30"));

    HttpResponse<String> first = f.claim("linux", token);
    assertThat(first.statusCode()).isEqualTo(503);
    assertThat(retryAfter(first)).isEqualTo(30);
    assertThat(f.body(first).get("error").asText()).contains("rate limit", "claimable again");

    List<Long> retryAfters = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      f.clock.advance(Duration.ofSeconds(4));
      HttpResponse<String> r = f.claim("linux", token);
      assertThat(r.statusCode()).isEqualTo(503);
      retryAfters.add(retryAfter(r));
    }
    // Each agent is told when the pause ends, not a fixed back-off.
    assertThat(retryAfters).containsExactly(26L, 22L, 18L, 14L, 10L);
    assertThat(jitRequests()).isEqualTo(1);
    assertThat(paused()).isEqualTo(1);
    assertThat(f.svc.metric("runway_claims_total{pool=\"linux\",result=\"github_rate_limited\"}"))
        .isEqualTo(6);
    assertThat(f.svc.count("select count(*) from jobs where status = 'queued'")).isEqualTo(8);

    jitAnswers(GitHubStub.jsonResponse(201, OK));
    f.clock.advance(Duration.ofSeconds(11));
    assertThat(f.claim("linux", token).statusCode()).isEqualTo(200);
    assertThat(f.claim("linux", token).statusCode()).isEqualTo(200);
    assertThat(jitRequests()).isEqualTo(3);
    assertThat(paused()).isZero();
  }

  @Test
  void after_a_403_with_remaining_0_one_probe_goes_out_at_the_reset_and_the_others_wait()
      throws Exception {
    long reset = f.clock.instant().plusSeconds(40).getEpochSecond();
    jitAnswers(
        GitHubStub.jsonResponse(403, "{\"message\":\"API rate limit exceeded\"}")
            .withHeader("X-RateLimit-Remaining", "0")
            .withHeader("X-RateLimit-Reset", String.valueOf(reset)));
    HttpResponse<String> first = f.claim("linux", token);
    assertThat(first.statusCode()).isEqualTo(503);
    assertThat(retryAfter(first)).isBetween(39L, 42L);
    assertThat(f.claim("linux", token).statusCode()).isEqualTo(503);
    assertThat(jitRequests()).isEqualTo(1);

    // Past the reset, four claims at once: one is the probe, the others are told to come back
    // in a second instead of all meeting the limit again together.
    jitAnswers(GitHubStub.jsonResponse(201, OK).withFixedDelay(2_000));
    f.clock.advance(Duration.ofSeconds(45));
    List<CompletableFuture<HttpResponse<String>>> claims = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      claims.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return f.claim("linux", token);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              }));
    }
    List<HttpResponse<String>> answers = claims.stream().map(CompletableFuture::join).toList();

    assertThat(answers).filteredOn(r -> r.statusCode() == 200).hasSize(1);
    assertThat(answers)
        .filteredOn(r -> r.statusCode() != 200)
        .allMatch(r -> r.statusCode() == 503 && retryAfter(r) == 1);
    assertThat(jitRequests()).isEqualTo(2);
    assertThat(paused()).isZero();
    assertThat(f.claim("linux", token).statusCode()).isEqualTo(200);
  }
}
