package dev.runway.cli.doctor;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.Main;
import dev.runway.accounts.AccountRepository;
import dev.runway.platform.db.Database;
import dev.runway.platform.github.DeliverySummary;
import dev.runway.platform.github.GitHubStub;
import dev.runway.platform.github.TestKeys;
import dev.runway.testing.TestDatabases;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runway doctor} against real parts: an embedded PostgreSQL, a pools file, a spool
 * directory, and WireMock standing in for GitHub, checking every App JWT's signature. A healthy
 * setup exits 0; each broken part gives its own failed line and exit 1.
 */
class DoctorIT {

  private static final String APP_ID = "4711";
  private static final TestKeys KEYS = TestKeys.generate();
  private static final String HEALTHY_APP =
      "{\"id\":4711,\"slug\":\"runway-acme\",\"name\":\"runway-acme\","
          + "\"html_url\":\"https://github.com/apps/runway-acme\","
          + "\"permissions\":{\"organization_self_hosted_runners\":\"write\",\"actions\":\"read\","
          + "\"metadata\":\"read\"},\"events\":[\"workflow_job\"]}";
  private static final String ACME_INSTALLATION =
      "[{\"id\":4242,\"account\":{\"login\":\"acme\",\"type\":\"Organization\"},"
          + "\"permissions\":{\"organization_self_hosted_runners\":\"write\",\"actions\":\"read\","
          + "\"metadata\":\"read\"},\"events\":[\"workflow_job\"],\"suspended_at\":null}]";

  @TempDir Path tmp;

  private final Map<String, String> env = new HashMap<>();
  private GitHubStub github;
  private String databaseUrl;

  record Result(int exit, String out, String err) {
    String line(String check) {
      return out.lines()
          .filter(l -> l.split("\\s+").length > 1 && l.split("\\s+")[1].equals(check))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no line for " + check + " in\n" + out));
    }
  }

  @BeforeEach
  void healthySetup() throws Exception {
    github = GitHubStub.start(APP_ID, KEYS);
    stubApp(HEALTHY_APP);
    stubInstallations(ACME_INSTALLATION);
    github
        .server()
        .stubFor(
            get(urlPathEqualTo("/app/hook/config"))
                .willReturn(
                    GitHubStub.jsonResponse(
                        200,
                        "{\"content_type\":\"json\",\"insecure_ssl\":\"0\",\"secret\":\"********\","
                            + "\"url\":\"https://runway.example.com/webhooks/github\"}")));
    Instant now = Instant.now();
    github.stubDeliveriesPages(
        List.of(
            List.of(
                GitHubStub.delivery(
                    3, "guid-b", now.minusSeconds(60), "workflow_job", "queued", 202),
                GitHubStub.delivery(
                    2, "guid-a", now.minusSeconds(90), "workflow_job", "queued", 202),
                // Failed once, then redelivered with success: nothing to do.
                GitHubStub.delivery(
                    1, "guid-a", now.minusSeconds(120), "workflow_job", "queued", 502))));

    databaseUrl = TestDatabases.fresh();
    try (Database db = Database.open(new Database.Target(databaseUrl, "postgres", "postgres"), 2)) {
      Database.migrate(db.main());
      try (Connection c = db.main().getConnection()) {
        new AccountRepository().set(c, "acme", 4242L, 20, true);
      }
    }
    Path pools = tmp.resolve("pools.yaml");
    Files.writeString(pools, "pools:\n  - name: linux-x64\n    labels: [linux, x64]\n");

    env.put("RUNWAY_WEBHOOK_SECRETS", "test-secret");
    env.put("RUNWAY_DATABASE_URL", databaseUrl);
    env.put("RUNWAY_DATABASE_USER", "postgres");
    env.put("RUNWAY_DATABASE_PASSWORD", "postgres");
    env.put("RUNWAY_DATA_DIR", tmp.resolve("data").toString());
    env.put("RUNWAY_SPOOL_DIR", tmp.resolve("spool").toString());
    env.put("RUNWAY_SPOOL_MAX_BYTES", "1048576");
    env.put("RUNWAY_POOLS", "file:" + pools);
    env.put("RUNWAY_GITHUB_APP_ID", APP_ID);
    env.put("RUNWAY_GITHUB_PRIVATE_KEY_FILE", KEYS.writePkcs1(tmp, "app.pem").toString());
    env.put("RUNWAY_GITHUB_API_URL", github.apiUrl().toString());
  }

  @AfterEach
  void stopGitHub() {
    github.close();
  }

  @Test
  void a_healthy_setup_passes_every_check() {
    Result r = doctor();

    assertThat(r.exit()).as(r.out()).isZero();
    assertThat(r.out().lines().filter(l -> !l.contains(" ok, ")))
        .as(r.out())
        .hasSize(9)
        .allSatisfy(l -> assertThat(l).startsWith("ok "));
    assertThat(r.line("database")).contains("schema current at version");
    assertThat(r.line("spool")).contains("free");
    assertThat(r.line("pools")).contains("1 pool(s): linux-x64 [linux,x64]");
    assertThat(r.line("app-key")).contains("App runway-acme (id 4711)");
    assertThat(r.line("installations")).contains("acme (installation 4242) enabled, max 20");
    assertThat(r.line("webhook"))
        .contains("delivering to https://runway.example.com/webhooks/github");
    assertThat(r.line("deliveries")).contains("2 event(s) in the last 24h, all delivered");
    assertThat(github.authRejections()).isEmpty();
  }

  @Test
  void json_gives_the_same_result_for_scripts() throws IOException {
    Result r = doctor("--format", "json");

    assertThat(r.exit()).isZero();
    JsonNode root = new ObjectMapper().readTree(r.out());
    assertThat(root.path("ok").asBoolean()).isTrue();
    assertThat(root.path("checks")).hasSize(9);
    assertThat(root.path("checks").findValuesAsText("check"))
        .containsExactly(
            "config",
            "database",
            "spool",
            "pools",
            "app-key",
            "app-permissions",
            "installations",
            "webhook",
            "deliveries");
    assertThat(root.path("checks").findValuesAsText("status")).containsOnly("ok");
  }

  @Test
  void a_missing_permission_fails_and_says_where_to_grant_it() {
    stubApp(HEALTHY_APP.replace("\"organization_self_hosted_runners\":\"write\",", ""));

    Result r = doctor();

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.line("app-permissions"))
        .startsWith("failed")
        .contains("the App lacks organization_self_hosted_runners: write")
        .contains("Fix: grant them in the App's settings (https://github.com/apps/runway-acme)");
  }

  @Test
  void a_pool_that_reruns_jobs_needs_actions_write() throws IOException {
    Path pools = tmp.resolve("pools-reruns.yaml");
    Files.writeString(
        pools, "pools:\n  - name: linux-x64\n    labels: [linux, x64]\n    rerunOnRunnerLoss: 1\n");
    env.put("RUNWAY_POOLS", "file:" + pools);

    Result r = doctor();

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.line("app-permissions"))
        .startsWith("failed")
        .contains("the App lacks actions: write");
  }

  @Test
  void a_key_of_another_app_fails_and_skips_what_needs_it() {
    env.put(
        "RUNWAY_GITHUB_PRIVATE_KEY_FILE",
        TestKeys.generate().writePkcs8(tmp, "other.pem").toString());

    Result r = doctor();

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.line("app-key"))
        .startsWith("failed")
        .contains("GitHub refuses the JWT signed with")
        .contains("(401): the key is not a key of that App");
    assertThat(r.line("installations")).startsWith("skipped");
    assertThat(github.authRejections()).isNotEmpty();
    assertThat(r.out() + r.err()).doesNotContain(KEYS.pkcs1Body().substring(0, 40));
    github.presentedCredentials().forEach(jwt -> assertThat(r.out() + r.err()).doesNotContain(jwt));
  }

  @Test
  void a_key_file_that_is_not_a_pem_key_fails_without_quoting_it() throws IOException {
    Path notAKey = Files.writeString(tmp.resolve("not-a-key.pem"), "hunter2-not-a-pem-key");
    env.put("RUNWAY_GITHUB_PRIVATE_KEY_FILE", notAKey.toString());

    Result r = doctor();

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.line("app-key"))
        .startsWith("failed")
        .contains("tried RUNWAY_GITHUB_PRIVATE_KEY_FILE " + notAKey)
        .contains("Fix: point RUNWAY_GITHUB_PRIVATE_KEY_FILE at the PEM key");
    assertThat(r.out() + r.err()).doesNotContain("hunter2");
    assertThat(github.server().getAllServeEvents()).isEmpty();
  }

  @Test
  void an_account_linked_to_an_installation_github_does_not_list_fails() throws Exception {
    try (Database db = Database.open(new Database.Target(databaseUrl, "postgres", "postgres"), 2);
        Connection c = db.main().getConnection()) {
      new AccountRepository().set(c, "globex", 999L, 5, true);
    }

    Result r = doctor();

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.line("installations"))
        .startsWith("failed")
        .contains(
            "account globex is linked to installation 999, which GitHub does not list for this"
                + " App")
        .contains(
            "Fix: install the App on globex (https://github.com/apps/runway-acme/installations/new)");
  }

  @Test
  void an_installation_without_an_enabled_account_is_a_failure_when_nothing_can_run()
      throws Exception {
    try (Database db = Database.open(new Database.Target(databaseUrl, "postgres", "postgres"), 2);
        Connection c = db.main().getConnection()) {
      new AccountRepository().set(c, "acme", null, null, false);
    }

    Result r = doctor();

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.line("installations"))
        .startsWith("failed")
        .contains("account acme has runners disabled")
        .contains("no installation has an enabled account")
        .contains("runway accounts set acme --enabled");
  }

  @Test
  void an_unreachable_database_fails_and_leaves_the_accounts_unchecked() throws IOException {
    env.put("RUNWAY_DATABASE_URL", "jdbc:postgresql://127.0.0.1:" + closedPort() + "/runway");

    Result r = doctor();

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.line("database"))
        .startsWith("failed")
        .contains("cannot connect to jdbc:postgresql://127.0.0.1:")
        .contains("Fix: start PostgreSQL, or fix RUNWAY_DATABASE_URL");
    assertThat(r.line("installations"))
        .startsWith("warning")
        .contains("accounts not checked: the database did not answer");
    assertThat(r.out()).doesNotContain("postgres@").doesNotContain("password=postgres");
  }

  @Test
  void a_pools_file_with_an_error_fails_with_the_error() throws IOException {
    Path pools = tmp.resolve("broken.yaml");
    Files.writeString(pools, "pools:\n  - name: linux\n    labels: [linux]\n    maxRunner: 3\n");
    env.put("RUNWAY_POOLS", "file:" + pools);

    Result r = doctor();

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.line("pools"))
        .startsWith("failed")
        .contains("does not answer")
        .contains("maxRunner")
        .contains("Fix: fix the file");
  }

  @Test
  void failing_deliveries_fail_with_the_last_failure_and_the_command_to_list_them() {
    Instant now = Instant.now();
    github.stubDeliveriesPages(
        List.of(
            List.of(
                GitHubStub.delivery(
                    7, "guid-y", now.minusSeconds(30), "workflow_job", "queued", 502),
                GitHubStub.delivery(6, "guid-x", now.minusSeconds(60), "workflow_job", "queued", 0),
                GitHubStub.delivery(
                    5, "guid-w", now.minusSeconds(90), "workflow_job", "queued", 202),
                // Older than the window: not counted.
                old(now))));

    Result r = doctor();

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.line("deliveries"))
        .startsWith("failed")
        .contains("2 of 3 event(s) in the last 24h failed to deliver")
        .contains("workflow_job.queued, Invalid HTTP Response: 502 (HTTP 502)")
        .contains("runway deliveries list --status failure --since 24h");
  }

  @Test
  void an_invalid_configuration_fails_first_and_skips_the_rest() {
    env.remove("RUNWAY_WEBHOOK_SECRETS");

    Result r = doctor();

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.line("config")).startsWith("failed").contains("RUNWAY_WEBHOOK_SECRETS");
    assertThat(r.line("database")).startsWith("skipped");
    assertThat(r.line("deliveries")).startsWith("skipped");
  }

  @Test
  void without_app_credentials_the_app_key_fails_with_how_to_create_the_app() {
    env.remove("RUNWAY_GITHUB_APP_ID");
    env.remove("RUNWAY_GITHUB_PRIVATE_KEY_FILE");

    Result r = doctor();

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.line("app-key"))
        .startsWith("failed")
        .contains("runway github-app create --url PUBLIC_URL");
  }

  // ---- helpers ----

  private Result doctor(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] all = new String[args.length + 1];
    all[0] = "doctor";
    System.arraycopy(args, 0, all, 1, args.length);
    int exit =
        Main.commandLine(Map.copyOf(env), new PrintWriter(out), new PrintWriter(err)).execute(all);
    return new Result(exit, out.toString(), err.toString());
  }

  private void stubApp(String body) {
    github
        .server()
        .stubFor(get(urlPathEqualTo("/app")).willReturn(GitHubStub.jsonResponse(200, body)));
  }

  private void stubInstallations(String body) {
    github
        .server()
        .stubFor(
            get(urlPathEqualTo("/app/installations"))
                .willReturn(GitHubStub.jsonResponse(200, body)));
  }

  private static DeliverySummary old(Instant now) {
    return GitHubStub.delivery(
        4, "guid-v", now.minus(Duration.ofDays(2)), "workflow_job", "queued", 502);
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
