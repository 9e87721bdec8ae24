package dev.runway.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The agent's side of Runway's claims API: {@code POST /api/v1/pools/{pool}/claims?wait=...} and
 * {@code POST /api/v1/claims/{id}/events}, with the pool's bearer token. Error texts carry the
 * status and Runway's message, never the token or a JIT config.
 */
final class RunwayApi {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /** Beyond the long-poll wait, how long an answer may take. */
  private static final Duration ANSWER_MARGIN = Duration.ofSeconds(15);

  private final URI base;
  private final String pool;
  private final String token;
  private final Duration wait;
  private final HttpClient http;
  private final ObjectMapper json = new ObjectMapper();

  RunwayApi(URI base, String pool, String token, Duration wait) {
    String b = base.toString();
    this.base = URI.create(b.endsWith("/") ? b : b + "/");
    this.pool = pool;
    this.token = token;
    this.wait = wait;
    this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
  }

  /** One claim request, waiting up to the long-poll wait for a job. */
  ClaimAnswer claim() throws InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(
                base.resolve(
                    "api/v1/pools/"
                        + URLEncoder.encode(pool, StandardCharsets.UTF_8).replace("+", "%20")
                        + "/claims?wait="
                        + wait.toMillis()
                        + "ms"))
            .timeout(wait.plus(ANSWER_MARGIN))
            .header("Authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build();
    HttpResponse<String> r;
    try {
      r = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return new ClaimAnswer.Transient("cannot reach Runway: " + e);
    }
    int status = r.statusCode();
    if (status == 200) {
      return claimed(r.body());
    }
    if (status == 204) {
      return new ClaimAnswer.Nothing();
    }
    String why = status + " " + error(r.body());
    if (status == 503
        && r.headers().firstValue("Runway-Claim-Result").orElse("").equals("github_config")) {
      Duration d = retryAfter(r);
      return new ClaimAnswer.ConfigError(
          d.compareTo(MAX_CONFIG_RETRY) > 0 ? MAX_CONFIG_RETRY : d, why);
    }
    if (status == 503) {
      return new ClaimAnswer.RetryAfter(retryAfter(r), why);
    }
    if (status == 401) {
      return new ClaimAnswer.Fatal(
          "Runway refused the token for pool " + pool + " (" + why + "): check --token-file");
    }
    if (status == 404) {
      // Not fatal: "unknown" is not "never". The pool may not exist yet (a RunnerPool applied after
      // the agent started, a pools.yaml not yet reloaded) or this replica's pool source has not
      // synced; a typo in --pool or --url also looks like this, so the log says both.
      return new ClaimAnswer.Transient(
          "Runway does not know pool "
              + pool
              + " ("
              + why
              + "): the pool may not exist yet, or --pool or --url is wrong; retrying");
    }
    if (status >= 500) {
      return new ClaimAnswer.Transient(why);
    }
    return new ClaimAnswer.Fatal("Runway answered " + why);
  }

  private ClaimAnswer claimed(String body) {
    try {
      JsonNode n = json.readTree(body);
      JsonNode job = n.path("job");
      String jit = n.path("encoded_jit_config").asText(null);
      if (!n.path("claim_id").canConvertToLong() || jit == null) {
        return new ClaimAnswer.Transient("a claim answer without claim_id or JIT config");
      }
      return new ClaimAnswer.Claimed(
          n.path("claim_id").asLong(),
          n.path("runner_name").asText(""),
          job.path("job_id").asLong(),
          job.path("run_attempt").asInt(1),
          job.path("repository").asText(""),
          jit);
    } catch (IOException e) {
      // The body holds a JIT config: the parser's message may quote it, so it is not repeated.
      return new ClaimAnswer.Transient("an unreadable claim answer");
    }
  }

  /**
   * Posts one claim event.
   *
   * @return the HTTP status and Runway's {@code state}, or {@code status = -1} when Runway could
   *     not be reached
   */
  EventAnswer event(long claimId, ObjectNode event) throws InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve("api/v1/claims/" + claimId + "/events"))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(event.toString()))
            .build();
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      String state = null;
      try {
        state = json.readTree(r.body()).path("state").asText(null);
      } catch (IOException notJson) {
        // The status says enough.
      }
      return new EventAnswer(r.statusCode(), state, error(r.body()));
    } catch (IOException e) {
      return new EventAnswer(-1, null, e.toString());
    }
  }

  /** An event's answer. */
  record EventAnswer(int status, String state, String message) {
    boolean retryable() {
      return status == -1 || status >= 500;
    }
  }

  ObjectNode newEvent(String name) {
    return json.createObjectNode().put("event", name);
  }

  private String error(String body) {
    if (body == null || body.isBlank()) {
      return "";
    }
    try {
      return json.readTree(body).path("error").asText("");
    } catch (IOException e) {
      return "";
    }
  }

  /** The longest an agent waits after a configuration error, whatever Runway asks. */
  static final Duration MAX_CONFIG_RETRY = Duration.ofMinutes(1);

  private static Duration retryAfter(HttpResponse<String> r) {
    try {
      long s = Long.parseLong(r.headers().firstValue("Retry-After").orElse("5").trim());
      return Duration.ofSeconds(Math.max(1, Math.min(s, 300)));
    } catch (NumberFormatException e) {
      return Duration.ofSeconds(5);
    }
  }
}
