package dev.runway.platform.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.Signed;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The public port serves only what GitHub and runner agents need; the management port serves
 * metrics, health and the operator APIs, the latter behind an operator token. Every 404 and 401 of
 * the split, against the real server on two free ports and a real PostgreSQL.
 */
class TwoListenersIT {
  @TempDir static Path dir;
  static RunwayHarness svc;
  static String guid;
  final HttpClient http = HttpClient.newHttpClient();
  final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    svc = RunwayHarness.start(dir);
    guid = UUID.randomUUID().toString();
    assertThat(
            svc.post("workflow_job", guid, Signed.workflowJob("queued", 9101, "linux"))
                .statusCode())
        .isEqualTo(202);
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  HttpResponse<String> send(URI base, String method, String path, String token) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void the_public_port_answers_404_to_everything_but_webhooks_claims_and_health() throws Exception {
    for (String path :
        List.of(
            "/metrics",
            "/api/v1/deliveries",
            "/api/v1/deliveries/" + guid,
            "/api/v1/jobs",
            "/ui",
            "/",
            "/nope")) {
      HttpResponse<String> r = send(svc.base(), "GET", path, svc.operatorToken());
      assertThat(r.statusCode()).as(path).isEqualTo(404);
      // Nothing of the delivery (its payload names the repository) leaks out.
      assertThat(r.body()).as(path).doesNotContain("acme/app", "workflow_job");
    }
    assertThat(send(svc.base(), "GET", "/webhooks/github", null).statusCode()).isEqualTo(404);
  }

  @Test
  void the_public_port_serves_health_webhooks_and_claims() throws Exception {
    assertThat(send(svc.base(), "GET", "/healthz", null).statusCode()).isEqualTo(200);
    assertThat(send(svc.base(), "GET", "/readyz", null).statusCode()).isEqualTo(200);
    // The claims endpoint is there: it wants a pool token, not an operator token.
    HttpResponse<String> claim = send(svc.base(), "POST", "/api/v1/pools/linux/claims", null);
    assertThat(claim.statusCode()).isEqualTo(401);
    assertThat(claim.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
  }

  @Test
  void the_management_port_serves_metrics_and_health_without_a_token() throws Exception {
    HttpResponse<String> metrics = send(svc.adminBase(), "GET", "/metrics", null);
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).contains("runway_webhook_requests_total");
    assertThat(send(svc.adminBase(), "GET", "/healthz", null).statusCode()).isEqualTo(200);
    assertThat(send(svc.adminBase(), "GET", "/readyz", null).statusCode()).isEqualTo(200);
  }

  @Test
  void the_management_port_sends_a_browser_at_its_root_to_the_ui() throws Exception {
    HttpResponse<String> root = send(svc.adminBase(), "GET", "/", null);

    assertThat(root.statusCode()).isEqualTo(303);
    assertThat(root.headers().firstValue("Location")).hasValue("/ui");
  }

  @Test
  void the_management_port_takes_no_webhooks_or_claims() throws Exception {
    assertThat(send(svc.adminBase(), "POST", "/webhooks/github", null).statusCode()).isEqualTo(404);
    assertThat(
            send(svc.adminBase(), "POST", "/api/v1/pools/linux/claims", svc.operatorToken())
                .statusCode())
        .isIn(401, 404);
  }

  @Test
  void every_operator_api_without_a_token_is_401_with_a_challenge_and_counted() throws Exception {
    double before = svc.metric("runway_admin_requests_total{result=\"missing_token\"}");
    List<String> paths =
        List.of("/api/v1/deliveries", "/api/v1/deliveries/" + guid, "/api/v1/jobs", "/api/v1/x");
    for (String path : paths) {
      HttpResponse<String> r = send(svc.adminBase(), "GET", path, null);
      assertThat(r.statusCode()).as(path).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate"))
          .as(path)
          .hasValue("Bearer realm=\"runway\"");
      assertThat(r.body()).as(path).doesNotContain("acme/app", "workflow_job");
    }
    assertThat(svc.metric("runway_admin_requests_total{result=\"missing_token\"}"))
        .isEqualTo(before + paths.size());
  }

  @Test
  void a_wrong_a_revoked_or_a_pool_token_is_401_too() throws Exception {
    String poolToken = svc.cli("pools", "token", "create", "linux", "--force").trim();
    String revoked = svc.cli("operators", "token", "create", "leaver").trim();
    svc.exec("update operator_tokens set revoked_at = now() where name = 'leaver'");
    double before = svc.metric("runway_admin_requests_total{result=\"invalid_token\"}");
    for (String token : List.of("rwo_wrong", poolToken, revoked, svc.operatorToken() + "x")) {
      HttpResponse<String> r = send(svc.adminBase(), "GET", "/api/v1/deliveries/" + guid, token);
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate")).isPresent();
    }
    assertThat(svc.metric("runway_admin_requests_total{result=\"invalid_token\"}"))
        .isEqualTo(before + 4);
  }

  @Test
  void an_operator_token_opens_the_operator_apis() throws Exception {
    double before = svc.metric("runway_admin_requests_total{result=\"authorized\"}");
    HttpResponse<String> one =
        send(svc.adminBase(), "GET", "/api/v1/deliveries/" + guid, svc.operatorToken());
    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(json.readTree(one.body()).at("/delivery/guid").asText()).isEqualTo(guid);
    assertThat(send(svc.adminBase(), "GET", "/api/v1/deliveries", svc.operatorToken()).statusCode())
        .isEqualTo(200);
    assertThat(send(svc.adminBase(), "GET", "/api/v1/jobs", svc.operatorToken()).statusCode())
        .isEqualTo(200);
    // An unknown path behind a valid token is a plain 404.
    assertThat(send(svc.adminBase(), "GET", "/api/v1/nope", svc.operatorToken()).statusCode())
        .isEqualTo(404);
    assertThat(svc.metric("runway_admin_requests_total{result=\"authorized\"}"))
        .isEqualTo(before + 4);
  }

  @Test
  void a_pruned_payload_reads_as_null_and_says_so() throws Exception {
    String pruned = UUID.randomUUID().toString();
    svc.post("workflow_job", pruned, Signed.workflowJob("queued", 9102, "linux"));
    // What retention does to a payload past RUNWAY_RETENTION_PAYLOADS (see PrunerIT).
    svc.exec(
        "update inbox set payload = '\\x'::bytea, payload_pruned_at = now() where guid = ?",
        pruned);
    HttpResponse<String> r =
        send(svc.adminBase(), "GET", "/api/v1/deliveries/" + pruned, svc.operatorToken());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json.readTree(r.body()).get("payload").isNull()).isTrue();
    assertThat(json.readTree(r.body()).get("payload_pruned").asBoolean()).isTrue();
  }
}
