package dev.runway.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.github.tomakehurst.wiremock.client.WireMock;
import dev.runway.Main;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.github.GitHubStub;
import dev.runway.platform.github.TestKeys;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.Signed;
import dev.runway.testing.TestDatabases;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every PromQL expression in the Grafana dashboard and in the Prometheus rules names only metrics
 * that a running Runway exports. The test runs a scenario that touches every feature the
 * expressions watch (webhooks accepted and refused, a dispatch, a claim through a GitHub App, a
 * redelivery cycle), scrapes {@code /metrics}, and compares sample names exactly: a renamed meter
 * or a typo in a panel fails here, not on an operator's empty graph.
 */
class ObservabilityMetricsIT {
  static final Path DASHBOARD = Path.of("deploy/grafana/runway.json");
  static final Path RULES = Path.of("deploy/prometheus/runway-rules.yaml");

  /**
   * Metrics that Runway exports only while it provisions a Kubernetes {@code RunnerPool} (one with
   * a {@code template}), and only on the replica that leads provisioning. This scenario runs with
   * file pools, so they are absent here; {@link #PROVISIONED_POOL_PROOF} scrapes each of them
   * instead. Any other referenced name must be exported by this scenario.
   */
  static final Set<String> PROVISIONED_POOL_ONLY = Set.of("runway_pool_degraded");

  /** The test that provisions a pool and asserts every {@link #PROVISIONED_POOL_ONLY} sample. */
  static final Path PROVISIONED_POOL_PROOF =
      Path.of("src/test/java/dev/runway/provisioner/ProvisionerLifecycleIT.java");

  private static final Pattern METRIC = Pattern.compile("\\brunway_[a-zA-Z0-9_]+");
  private static final String APP_ID = "8086";
  private static final long INSTALLATION = 4242;

  @Test
  void every_expression_names_a_metric_that_runway_exports(@TempDir Path dir) throws Exception {
    Map<String, Set<String>> referenced = referencedMetrics();
    Set<String> names = new TreeSet<>(referenced.keySet());
    assertThat(names).as("metrics named by the dashboard and the rules").isNotEmpty();
    assertThat(names)
        .as("every provisioned-pool-only metric is still referenced")
        .containsAll(PROVISIONED_POOL_ONLY);
    String proof = Files.readString(PROVISIONED_POOL_PROOF);
    assertThat(PROVISIONED_POOL_ONLY)
        .as("proven by %s", PROVISIONED_POOL_PROOF)
        .allSatisfy(name -> assertThat(proof).contains("\"" + name + "{pool="));

    TestKeys keys = TestKeys.generate();
    try (GitHubStub github = GitHubStub.start(APP_ID, keys);
        RunwayHarness svc = start(dir, github, keys)) {
      playScenario(svc);

      Set<String> required = new TreeSet<>(names);
      required.removeAll(PROVISIONED_POOL_ONLY);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(250))
          .untilAsserted(
              () -> {
                Set<String> missing = new TreeSet<>(required);
                missing.removeAll(exported(svc));
                assertThat(missing)
                    .as(
                        "metrics referenced (where: %s) but not exported",
                        where(referenced, missing))
                    .isEmpty();
              });
      // Exported without a provisioned pool would mean the set's documented reason is false.
      Set<String> exportedAnyway = new TreeSet<>(PROVISIONED_POOL_ONLY);
      exportedAnyway.retainAll(exported(svc));
      assertThat(exportedAnyway)
          .as("exported without a provisioned pool: not PROVISIONED_POOL_ONLY")
          .isEmpty();
    }
  }

  @Test
  void the_dashboard_has_the_panels_the_issue_lists() throws IOException {
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    List<String> titles = new ArrayList<>();
    dashboard.path("panels").forEach(p -> titles.add(p.path("title").asText()));

    assertThat(titles)
        .contains(
            "Webhook requests by result",
            "Webhook acknowledgement latency",
            "Spool depth",
            "Spool bytes",
            "Dispatch queue depth",
            "Dispatch outcomes",
            "Received → claimable latency",
            "Jobs by pool and status",
            "Claims by result",
            "Runners by pool and state",
            "Runner launch failures by reason",
            "Redeliveries by result",
            "Pool source available",
            "Pool snapshot age",
            "GitHub rate limit left");
    dashboard
        .path("panels")
        .forEach(
            p -> {
              if (!p.path("type").asText().equals("row")) {
                assertThat(p.path("targets")).as(p.path("title").asText()).isNotEmpty();
              }
            });
  }

  /** Metric name to the places (panel title or alert name) whose expressions name it. */
  static Map<String, Set<String>> referencedMetrics() throws IOException {
    Map<String, Set<String>> refs = new HashMap<>();
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        collect(target.path("expr").asText(), "panel " + panel.path("title").asText(), refs);
      }
    }
    JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile());
    for (JsonNode group : rules.path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        collect(rule.path("expr").asText(), "alert " + rule.path("alert").asText(), refs);
      }
    }
    return refs;
  }

  private static void collect(String expr, String where, Map<String, Set<String>> refs) {
    Matcher m = METRIC.matcher(expr);
    boolean any = false;
    while (m.find()) {
      refs.computeIfAbsent(m.group(), k -> new TreeSet<>()).add(where);
      any = true;
    }
    assertThat(any).as(where + " names no runway_ metric: " + expr).isTrue();
  }

  private static String where(Map<String, Set<String>> refs, Set<String> names) {
    StringBuilder b = new StringBuilder();
    for (String n : names) {
      b.append(n).append(" in ").append(refs.get(n)).append("; ");
    }
    return b.toString();
  }

  /** Sample names in the Prometheus exposition ({@code _bucket}, {@code _total} included). */
  static Set<String> exported(RunwayHarness svc) throws Exception {
    Set<String> names = new TreeSet<>();
    for (String line : svc.get("/metrics").body().split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int end = line.length();
      for (char c : new char[] {'{', ' '}) {
        int i = line.indexOf(c);
        if (i >= 0 && i < end) {
          end = i;
        }
      }
      names.add(line.substring(0, end));
    }
    return names;
  }

  private static RunwayHarness start(Path dir, GitHubStub github, TestKeys keys) throws Exception {
    Files.writeString(
        dir.resolve("pools.yaml"), "pools:\n  - name: linux\n    labels: [linux, x64]\n");
    github.stubInstallationToken(INSTALLATION);
    github.stubOrgJitConfig("acme", 1, "ZW5jb2RlZC1qaXQtY29uZmln");
    // A runner that exits before taking a job has its registration deleted.
    github
        .server()
        .stubFor(
            WireMock.delete(WireMock.urlPathEqualTo(github.path("/orgs/acme/actions/runners/1")))
                .willReturn(WireMock.aResponse().withStatus(204)));
    // One failed delivery that Runway never received: the reconciler redelivers it.
    github.stubDeliveriesPages(
        List.of(
            List.of(
                GitHubStub.delivery(
                    77,
                    "0f1e2d3c-0000-4000-8000-00000000f00d",
                    Instant.now().minusSeconds(60),
                    "workflow_job",
                    "queued",
                    502))));
    // GitHub sends its rate-limit headers on every answer; the stub's default answers leave them
    // out.
    github
        .server()
        .stubFor(
            WireMock.post(WireMock.urlPathEqualTo(github.path("/app/hook/deliveries/77/attempts")))
                .willReturn(
                    GitHubStub.jsonResponse(202, "{}")
                        .withHeader("X-RateLimit-Remaining", "4990")));
    Map<String, String> env = new HashMap<>();
    env.put(RunwayConfig.GITHUB_APP_ID, APP_ID);
    env.put(RunwayConfig.GITHUB_PRIVATE_KEY_FILE, keys.writePkcs1(dir, "app.pem").toString());
    env.put(RunwayConfig.GITHUB_API_URL, github.apiUrl().toString());
    env.put(RunwayConfig.REDELIVERY_INTERVAL, "1s");
    return RunwayHarness.start(dir, TestDatabases.fresh(), env);
  }

  /**
   * Webhooks accepted and refused, a queued job dispatched to a pool, a claim, and its runner
   * exiting before it took a job (a launch failure).
   */
  private static void playScenario(RunwayHarness svc) throws Exception {
    svc.exec(
        "insert into accounts (login, installation_id, runners_enabled, max_concurrent)"
            + " values ('acme', ?, true, 5)",
        INSTALLATION);
    String body =
        Signed.workflowJob(
            "queued", 501, 1, "acme", INSTALLATION, null, null, "self-hosted", "linux");
    assertThat(svc.post("workflow_job", "guid-501", body).statusCode()).isEqualTo(202);
    assertThat(
            Signed.send(svc.http, svc.base(), "workflow_job", "guid-bad", body, "wrong")
                .statusCode())
        .isEqualTo(401);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                svc.count(
                        "select count(*) from jobs where job_id = 501 and pool = 'linux'"
                            + " and status = 'queued'")
                    == 1);

    String token = token(svc, "linux");
    HttpResponse<String> claim =
        svc.http.send(
            HttpRequest.newBuilder(svc.base().resolve("/api/v1/pools/linux/claims"))
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(claim.statusCode()).as(claim.body()).isEqualTo(200);

    // runway_runners is read from the claims every few seconds; catch it while the runner is
    // claimed.
    await().atMost(Duration.ofSeconds(30)).until(() -> exported(svc).contains("runway_runners"));
    long claimId = new ObjectMapper().readTree(claim.body()).path("claim_id").asLong();
    HttpResponse<String> exited =
        svc.http.send(
            HttpRequest.newBuilder(svc.base().resolve("/api/v1/claims/" + claimId + "/events"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"event\":\"exited\",\"exit_code\":1,\"job_started\":false,"
                            + "\"deprecated_version\":false,\"killed\":null}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(exited.statusCode()).as(exited.body()).isEqualTo(200);
  }

  private static String token(RunwayHarness svc, String pool) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Map<String, String> env =
        Map.of(
            RunwayConfig.DATABASE_URL, svc.jdbcUrl,
            RunwayConfig.DATABASE_USER, "postgres",
            RunwayConfig.DATABASE_PASSWORD, "postgres");
    int exit =
        Main.commandLine(env, new PrintWriter(out, true), new PrintWriter(err, true))
            .execute("pools", "token", "create", pool, "--force");
    assertThat(exit).as(err.toString()).isZero();
    return out.toString().trim();
  }
}
