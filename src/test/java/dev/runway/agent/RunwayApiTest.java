package dev.runway.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How the agent reads each answer of the claims endpoint (a local stub server plays Runway). */
class RunwayApiTest {
  private HttpServer server;
  private final AtomicReference<Answer> next = new AtomicReference<>();
  private final AtomicReference<String> seenAuth = new AtomicReference<>();
  private final AtomicReference<String> seenQuery = new AtomicReference<>();
  private RunwayApi api;

  record Answer(int status, String body, String retryAfter, String claimResult) {
    Answer(int status, String body, String retryAfter) {
      this(status, body, retryAfter, null);
    }
  }

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        ex -> {
          seenAuth.set(ex.getRequestHeaders().getFirst("Authorization"));
          seenQuery.set(ex.getRequestURI().getRawQuery());
          Answer a = next.get();
          if (a.retryAfter() != null) {
            ex.getResponseHeaders().add("Retry-After", a.retryAfter());
          }
          if (a.claimResult() != null) {
            ex.getResponseHeaders().add("Runway-Claim-Result", a.claimResult());
          }
          byte[] body = a.body() == null ? new byte[0] : a.body().getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(a.status(), a.status() == 204 ? -1 : body.length);
          if (a.status() != 204) {
            ex.getResponseBody().write(body);
          }
          ex.close();
        });
    server.start();
    api =
        new RunwayApi(
            URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
            "linux",
            "rwy_secret",
            Duration.ofSeconds(30));
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private ClaimAnswer answer(int status, String body, String retryAfter) throws Exception {
    next.set(new Answer(status, body, retryAfter));
    return api.claim();
  }

  @Test
  void a_claim_is_read_with_its_jit_config_and_hidden_from_to_string() throws Exception {
    ClaimAnswer a =
        answer(
            200,
            "{\"job\":{\"job_id\":5,\"run_attempt\":2,\"repository\":\"acme/app\"},"
                + "\"claim_id\":9,\"runner_name\":\"runway-linux-9\","
                + "\"encoded_jit_config\":\"SECRETJIT\"}",
            null);

    assertThat(a).isInstanceOf(ClaimAnswer.Claimed.class);
    ClaimAnswer.Claimed c = (ClaimAnswer.Claimed) a;
    assertThat(c.claimId()).isEqualTo(9);
    assertThat(c.jitConfig()).isEqualTo("SECRETJIT");
    assertThat(c.label()).isEqualTo("claim 9 job 5/2");
    assertThat(c.toString()).doesNotContain("SECRETJIT");
    assertThat(seenAuth.get()).isEqualTo("Bearer rwy_secret");
    assertThat(seenQuery.get()).isEqualTo("wait=30000ms");
  }

  @Test
  void each_answer_maps_to_what_the_agent_does() throws Exception {
    assertThat(answer(204, null, null)).isInstanceOf(ClaimAnswer.Nothing.class);
    ClaimAnswer busy = answer(503, "{\"error\":\"too many claimers\"}", "7");
    assertThat(busy).isInstanceOf(ClaimAnswer.RetryAfter.class);
    assertThat(((ClaimAnswer.RetryAfter) busy).delay()).isEqualTo(Duration.ofSeconds(7));
    assertThat(answer(500, "{\"error\":\"internal error\"}", null))
        .isInstanceOf(ClaimAnswer.Transient.class);
    assertThat(answer(502, "{\"error\":\"GitHub did not register\"}", null))
        .isInstanceOf(ClaimAnswer.Transient.class);
    assertThat(answer(401, "{\"error\":\"a live bearer token\"}", null))
        .isInstanceOf(ClaimAnswer.Fatal.class);
    // A pool Runway does not know yet is retried, with both likely causes in the log line.
    ClaimAnswer unknown = answer(404, "{\"error\":\"no pool linux\"}", null);
    assertThat(unknown).isInstanceOf(ClaimAnswer.Transient.class);
    assertThat(((ClaimAnswer.Transient) unknown).why())
        .contains("404 no pool linux")
        .contains("may not exist yet")
        .contains("--pool or --url is wrong");
    assertThat(answer(200, "{\"claim_id\":9}", null)).isInstanceOf(ClaimAnswer.Transient.class);
  }

  @Test
  void a_configuration_error_is_its_own_answer_and_waits_at_most_a_minute() throws Exception {
    next.set(
        new Answer(
            503,
            "{\"error\":\"configuration error: no GitHub App configured\"}",
            "300",
            "github_config"));

    ClaimAnswer a = api.claim();

    assertThat(a).isInstanceOf(ClaimAnswer.ConfigError.class);
    assertThat(((ClaimAnswer.ConfigError) a).delay()).isEqualTo(Duration.ofMinutes(1));
    assertThat(((ClaimAnswer.ConfigError) a).why()).contains("configuration error");
    // Without the result header a 503 is still a busy Runway, with the wait it asks for.
    assertThat(answer(503, "{\"error\":\"busy\"}", "300"))
        .isEqualTo(new ClaimAnswer.RetryAfter(Duration.ofSeconds(300), "503 busy"));
  }

  @Test
  void a_refusal_never_quotes_the_token() throws Exception {
    ClaimAnswer a = answer(401, "{\"error\":\"a live bearer token of pool linux\"}", null);

    assertThat(((ClaimAnswer.Fatal) a).why()).contains("401").doesNotContain("rwy_secret");
  }

  @Test
  void an_unreachable_runway_is_transient() throws Exception {
    server.stop(0);

    assertThat(api.claim()).isInstanceOf(ClaimAnswer.Transient.class);
  }
}
