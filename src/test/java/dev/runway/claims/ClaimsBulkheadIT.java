package dev.runway.claims;

import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.runway.claims.ClaimsFixture.ACME;
import static dev.runway.claims.ClaimsFixture.JIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.platform.github.GitHubStub;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.Signed;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claims cannot slow the webhook (issue 20, item 1): with GitHub answering after 15 s and 300
 * claims at once, the claims wait on threads of their own, the rest are refused with 503 at once,
 * and every webhook sent meanwhile is answered 2xx while the claims are still blocked on GitHub.
 */
class ClaimsBulkheadIT {
  static final String POOLS = "pools:\n  - name: linux\n    labels: [linux]\n";
  static final int CLAIMS = 300;

  /** RUNWAY_CLAIM_THREADS + RUNWAY_CLAIM_QUEUE at their defaults. */
  static final int ACCEPTED = 32 + 64;

  static final int WEBHOOKS = 60;

  @TempDir Path dir;
  ClaimsFixture f;
  String token;
  final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  @BeforeEach
  void start() throws Exception {
    f = ClaimsFixture.start(dir, POOLS, Map.of());
    f.account("acme", ACME, 10_000);
    token = f.token("linux");
    for (long id = 1; id <= ACCEPTED + 4; id++) {
      f.queue(id, "acme", ACME, "linux");
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> f.svc.count("select count(*) from jobs where status = 'queued'") >= ACCEPTED);
    // From now on GitHub answers every call after 15 s: the token and the JIT config alike.
    String installationToken = f.github.stubInstallationToken(ACME);
    f.github
        .server()
        .stubFor(
            post(urlPathEqualTo("/app/installations/" + ACME + "/access_tokens"))
                .willReturn(
                    GitHubStub.jsonResponse(
                            201,
                            "{\"token\":\""
                                + installationToken
                                + "\",\"expires_at\":\""
                                + f.clock.instant().plusSeconds(3600)
                                + "\"}")
                        .withFixedDelay(15_000)));
    f.github
        .server()
        .stubFor(
            post(urlPathEqualTo("/orgs/acme/actions/runners/generate-jitconfig"))
                .willReturn(
                    GitHubStub.jsonResponse(
                            201,
                            "{\"runner\":{\"id\":5,\"name\":\"r\"},\"encoded_jit_config\":\""
                                + JIT
                                + "\"}")
                        .withFixedDelay(15_000)));
  }

  @AfterEach
  void stop() {
    f.close();
  }

  private CompletableFuture<HttpResponse<String>> claim() {
    HttpRequest r =
        HttpRequest.newBuilder(f.svc.base().resolve("/api/v1/pools/linux/claims"))
            .timeout(Duration.ofSeconds(90))
            .header("Authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build();
    return http.sendAsync(r, HttpResponse.BodyHandlers.ofString());
  }

  private static boolean refusedByBulkhead(HttpResponse<String> r) {
    return r.statusCode() == 503
        && r.headers().firstValue("Retry-After").isPresent()
        && r.body().contains("too many requests in flight");
  }

  @Test
  void every_webhook_is_answered_while_300_claims_are_blocked_on_a_slow_github() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> claims = new ArrayList<>();
    for (int i = 0; i < CLAIMS; i++) {
      claims.add(claim());
    }
    // Past the bulkhead's threads and queue, claims are refused at once: they need no GitHub.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> claims.stream().filter(c -> c.isDone()).count() >= CLAIMS - ACCEPTED);
    List<HttpResponse<String>> early =
        claims.stream().filter(CompletableFuture::isDone).map(CompletableFuture::join).toList();
    assertThat(early).hasSize(CLAIMS - ACCEPTED).allMatch(ClaimsBulkheadIT::refusedByBulkhead);
    assertThat(f.svc.metric("runway_bulkhead_active{bulkhead=\"claims\"}")).isEqualTo(32);

    // The webhook, meanwhile, has its listener's threads to itself.
    List<CompletableFuture<HttpResponse<String>>> webhooks = new ArrayList<>();
    for (int i = 0; i < WEBHOOKS; i++) {
      String body = Signed.workflowJob("queued", 10_000 + i, 1, "acme", ACME, null, null, "linux");
      webhooks.add(
          http.sendAsync(
              Signed.request(
                      f.svc.base(),
                      "workflow_job",
                      UUID.randomUUID().toString(),
                      body,
                      RunwayHarness.SECRET)
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    CompletableFuture.allOf(webhooks.toArray(CompletableFuture[]::new)).join();
    long stillBlocked = claims.stream().filter(c -> !c.isDone()).count();

    assertThat(webhooks).allMatch(w -> w.join().statusCode() / 100 == 2);
    // Every webhook was answered before any accepted claim came back from GitHub.
    assertThat(stillBlocked).isEqualTo(ACCEPTED);
    // Nothing accepted is lost.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                f.svc.count("select count(*) from jobs where job_id >= 10000 and status = 'queued'")
                    == WEBHOOKS);

    // The blocked claims end within their deadline, as 503s the agent retries; none is a 5xx of
    // another kind, and none leaves its job claimed.
    CompletableFuture.allOf(claims.toArray(CompletableFuture[]::new))
        .get(90, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(claims)
        .allMatch(
            c ->
                c.join().statusCode() == 503
                    && c.join().headers().firstValue("Retry-After").isPresent());
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> f.svc.count("select count(*) from jobs where status = 'claimed'") == 0);
  }
}
