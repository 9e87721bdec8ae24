package dev.runway.ledger;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.runway.claims.ClaimsFixture.ACME;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.Main;
import dev.runway.claims.ClaimsFixture;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.github.GitHubStub;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runway audit} against WireMock as GitHub (the App's JWT checked) and embedded PostgreSQL:
 * each kind of difference, its JSON, its exit code, and {@code --fix} through the sweep's path. The
 * service's own sweep is off, so only the audit repairs anything.
 */
class AuditIT {
  @TempDir Path dir;

  private static final String POOLS = "pools:\n  - name: linux\n    labels: [linux]\n";

  @Test
  void audit_reports_each_difference_exits_3_and_fix_repairs_them() throws Exception {
    try (ClaimsFixture f =
        ClaimsFixture.start(dir, POOLS, Map.of(RunwayConfig.SWEEP_ENABLED, "false"))) {
      f.account("acme", ACME, 5);
      // 802: Runway has it queued, GitHub completed it (its completed webhook was lost).
      f.queued(802, "acme", ACME, "self-hosted", "linux");
      // 803: Runway has it queued, GitHub runs it (the in_progress webhook was lost).
      f.queued(803, "acme", ACME, "self-hosted", "linux");
      // 801: on GitHub only.
      stubGitHub(f);

      String[] first = audit(f, "--format", "json");
      assertThat(first[0]).as(first[2]).isEqualTo("3");
      JsonNode report = new ObjectMapper().readTree(first[1]);
      assertThat(report.path("missing")).hasSize(1);
      assertThat(report.path("missing").get(0).path("job_id").asLong()).isEqualTo(801);
      assertThat(report.path("missing").get(0).path("repository").asText()).isEqualTo("acme/app");
      assertThat(report.path("missing").get(0).path("github_status").asText()).isEqualTo("queued");
      assertThat(report.path("missing").get(0).path("runway_status").isNull()).isTrue();
      assertThat(report.path("stale")).hasSize(1);
      assertThat(report.path("stale").get(0).path("job_id").asLong()).isEqualTo(802);
      assertThat(report.path("stale").get(0).path("github_status").asText()).isEqualTo("completed");
      assertThat(report.path("stale").get(0).path("runway_status").asText()).isEqualTo("queued");
      assertThat(report.path("mismatched")).hasSize(1);
      assertThat(report.path("mismatched").get(0).path("job_id").asLong()).isEqualTo(803);
      assertThat(report.path("mismatched").get(0).path("github_status").asText())
          .isEqualTo("in_progress");
      assertThat(report.path("mismatched").get(0).path("runway_status").asText())
          .isEqualTo("queued");
      // A report changes nothing.
      assertThat(f.string("select count(*) from jobs where job_id = 801")).isEqualTo("0");

      String[] table = audit(f);
      assertThat(table[0]).isEqualTo("3");
      assertThat(table[1]).contains("missing").contains("801").contains("acme/app");

      String[] fix = audit(f, "--fix");
      assertThat(fix[0]).as(fix[2]).isEqualTo("3");
      f.awaitStatus(801, "queued");
      assertThat(f.string("select source from jobs where job_id = 801")).isEqualTo("sweep");
      f.awaitStatus(802, "completed");
      f.awaitStatus(803, "in_progress");

      String[] after = audit(f, "--format", "json");
      assertThat(after[0]).as(after[1] + after[2]).isEqualTo("0");
      assertThat(f.string("select count(*) from jobs where job_id = 801")).isEqualTo("1");
      assertThat(f.github.authRejections()).isEmpty();
      assertThat(first[1] + first[2] + fix[1] + fix[2]).doesNotContain("BEGIN");
    }
  }

  private String[] audit(ClaimsFixture f, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Map<String, String> env =
        Map.of(
            RunwayConfig.DATABASE_URL,
            f.svc.jdbcUrl,
            RunwayConfig.DATABASE_USER,
            "postgres",
            RunwayConfig.DATABASE_PASSWORD,
            "postgres",
            RunwayConfig.GITHUB_APP_ID,
            ClaimsFixture.APP_ID,
            RunwayConfig.GITHUB_PRIVATE_KEY_FILE,
            dir.resolve("app.pem").toString(),
            RunwayConfig.GITHUB_API_URL,
            f.github.apiUrl().toString());
    String[] full = new String[args.length + 1];
    full[0] = "audit";
    System.arraycopy(args, 0, full, 1, args.length);
    int code =
        Main.commandLine(env, new PrintWriter(out, true), new PrintWriter(err, true)).execute(full);
    return new String[] {String.valueOf(code), out.toString(), err.toString()};
  }

  private static String job(long id, long run, String status) {
    return "{\"id\":"
        + id
        + ",\"run_id\":"
        + run
        + ",\"run_attempt\":1,\"status\":\""
        + status
        + "\",\"conclusion\":"
        + (status.equals("completed") ? "\"success\"" : "null")
        + ",\"name\":\"build\",\"workflow_name\":\"CI\","
        + "\"labels\":[\"self-hosted\",\"linux\"],"
        + "\"created_at\":\""
        + Instant.now()
        + "\",\"started_at\":null,\"completed_at\":null,"
        + (status.equals("queued") ? "\"runner_id\":null,\"runner_name\":null," : "")
        + (status.equals("queued") ? "" : "\"runner_id\":7,\"runner_name\":\"r-7\",")
        + "\"head_branch\":\"main\"}";
  }

  private static void stubGitHub(ClaimsFixture f) {
    var wm = f.github.server();
    wm.stubFor(
        get(urlPathEqualTo(f.github.path("/installation/repositories")))
            .willReturn(
                GitHubStub.jsonResponse(
                    200,
                    "{\"total_count\":1,\"repositories\":[{\"id\":1296269,\"name\":\"app\","
                        + "\"full_name\":\"acme/app\",\"owner\":{\"login\":\"acme\","
                        + "\"type\":\"Organization\"},\"pushed_at\":\""
                        + Instant.now()
                        + "\"}]}")));
    String runs = f.github.path("/repos/acme/app/actions/runs");
    wm.stubFor(
        get(urlPathEqualTo(runs))
            .withQueryParam("status", equalTo("queued"))
            .willReturn(
                GitHubStub.jsonResponse(
                    200, "{\"total_count\":1,\"workflow_runs\":[{\"id\":77,\"run_attempt\":1}]}")));
    wm.stubFor(
        get(urlPathEqualTo(runs))
            .withQueryParam("status", equalTo("in_progress"))
            .willReturn(
                GitHubStub.jsonResponse(
                    200, "{\"total_count\":1,\"workflow_runs\":[{\"id\":78,\"run_attempt\":1}]}")));
    wm.stubFor(
        get(urlPathEqualTo(runs + "/77/jobs"))
            .willReturn(
                GitHubStub.jsonResponse(
                    200, "{\"total_count\":1,\"jobs\":[" + job(801, 77, "queued") + "]}")));
    wm.stubFor(
        get(urlPathEqualTo(runs + "/78/jobs"))
            .willReturn(
                GitHubStub.jsonResponse(
                    200, "{\"total_count\":1,\"jobs\":[" + job(803, 78, "in_progress") + "]}")));
    wm.stubFor(
        get(urlPathEqualTo(f.github.path("/repos/acme/app/actions/jobs/802")))
            .willReturn(GitHubStub.jsonResponse(200, job(802, 76, "completed"))));
  }
}
