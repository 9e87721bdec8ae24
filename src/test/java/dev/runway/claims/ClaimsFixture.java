package dev.runway.claims;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.Main;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.github.GitHubStub;
import dev.runway.platform.github.MutableClock;
import dev.runway.platform.github.RecordingSleeper;
import dev.runway.platform.github.TestKeys;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.Signed;
import dev.runway.testing.TestDatabases;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The service with claims turned on: a GitHubStub as the App's GitHub (sharing the service's
 * movable clock), a pools file, accounts, and helpers to queue jobs, claim them and play a runner's
 * events.
 */
public final class ClaimsFixture implements AutoCloseable {
  public static final String APP_ID = "31337";
  public static final long ACME = 4242;
  public static final long GLOBEX = 4343;
  public static final String JIT = "ZW5jb2RlZC1qaXQtY29uZmln";
  public static final TestKeys KEYS = TestKeys.generate();

  public final MutableClock clock = MutableClock.startingNow();
  public final RecordingSleeper sleeper = new RecordingSleeper(clock);
  public final GitHubStub github;
  public final RunwayHarness svc;
  public final ObjectMapper json = new ObjectMapper();
  private final String poolsYaml;
  private final Map<String, String> replicaEnv;

  private ClaimsFixture(
      Path dir, String poolsYaml, Map<String, String> overrides, boolean app, String jdbcUrl)
      throws Exception {
    Files.writeString(dir.resolve("pools.yaml"), poolsYaml);
    github = GitHubStub.start(APP_ID, KEYS, clock, "");
    Map<String, String> env = new HashMap<>();
    if (app) {
      env.put(RunwayConfig.GITHUB_APP_ID, APP_ID);
      env.put(RunwayConfig.GITHUB_PRIVATE_KEY_FILE, KEYS.writePkcs1(dir, "app.pem").toString());
      env.put(RunwayConfig.GITHUB_API_URL, github.apiUrl().toString());
    }
    env.put(RunwayConfig.CLAIM_REAP_INTERVAL, "1s");
    env.putAll(overrides);
    svc = RunwayHarness.start(dir, jdbcUrl, env, clock, sleeper);
    this.poolsYaml = poolsYaml;
    this.replicaEnv = Map.copyOf(env);
    github.stubInstallationToken(ACME);
    github.stubInstallationToken(GLOBEX);
    github.stubOrgJitConfig("acme", 1, JIT);
    github.stubOrgJitConfig("globex", 2, JIT);
  }

  public static ClaimsFixture start(Path dir, String poolsYaml, Map<String, String> overrides)
      throws Exception {
    return new ClaimsFixture(dir, poolsYaml, overrides, true, TestDatabases.fresh());
  }

  /** As {@link #start}, against the database at {@code jdbcUrl} (a drill's own PostgreSQL). */
  public static ClaimsFixture start(
      Path dir, String poolsYaml, Map<String, String> overrides, String jdbcUrl) throws Exception {
    return new ClaimsFixture(dir, poolsYaml, overrides, true, jdbcUrl);
  }

  public static ClaimsFixture withoutGitHubApp(Path dir, String poolsYaml) throws Exception {
    return new ClaimsFixture(dir, poolsYaml, Map.of(), false, TestDatabases.fresh());
  }

  /** Creates an enabled account with that cap. */
  public void account(String login, long installationId, int maxConcurrent) throws Exception {
    try (Connection c = svc.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "insert into accounts (login, installation_id, runners_enabled, max_concurrent)"
                    + " values (?, ?, true, ?)")) {
      ps.setString(1, login);
      ps.setLong(2, installationId);
      ps.setInt(3, maxConcurrent);
      ps.executeUpdate();
    }
  }

  /** Runs the CLI against the service's database and returns {exit code, stdout, stderr}. */
  public String[] cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Map<String, String> env =
        Map.of(
            RunwayConfig.DATABASE_URL, svc.jdbcUrl,
            RunwayConfig.DATABASE_USER, "postgres",
            RunwayConfig.DATABASE_PASSWORD, "postgres");
    int code =
        Main.commandLine(env, new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new String[] {String.valueOf(code), out.toString(), err.toString()};
  }

  /** A new agent token for {@code pool}, made with {@code runway pools token create}. */
  public String token(String pool) {
    // --force: the service's pools are not in this CLI's environment.
    String[] r = cli("pools", "token", "create", pool, "--force");
    if (!r[0].equals("0")) {
      throw new IllegalStateException("token create failed: " + r[2]);
    }
    return r[1].trim();
  }

  public HttpResponse<String> claim(String pool, String token) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(svc.base().resolve("/api/v1/pools/" + pool + "/claims"))
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return svc.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  public JsonNode body(HttpResponse<String> r) throws Exception {
    return json.readTree(r.body());
  }

  /** Sends a workflow_job delivery for an organisation-owned repository of {@code owner}. */
  public void event(
      String action, long jobId, String owner, long inst, String runner, String... labels)
      throws Exception {
    String conclusion = action.equals("completed") ? "success" : null;
    String body = Signed.workflowJob(action, jobId, 1, owner, inst, runner, conclusion, labels);
    int status = svc.post("workflow_job", UUID.randomUUID().toString(), body).statusCode();
    if (status / 100 != 2) {
      throw new IllegalStateException("delivery answered " + status);
    }
  }

  public void queue(long jobId, String owner, long inst, String... labels) throws Exception {
    event("queued", jobId, owner, inst, null, labels);
  }

  /** Queues the job and waits until it is claimable. */
  public void queued(long jobId, String owner, long inst, String... labels) throws Exception {
    queue(jobId, owner, inst, labels);
    awaitStatus(jobId, "queued");
  }

  public String status(long jobId) throws Exception {
    return string("select status from jobs where job_id = ?", jobId);
  }

  public void awaitStatus(long jobId, String status) {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(25))
        .until(() -> status.equals(string("select status from jobs where job_id = ?", jobId)));
  }

  public String string(String sql, Object... args) throws Exception {
    try (Connection c = svc.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /**
   * A second replica on the same database, pools file and GitHub: what another Runway behind the
   * same load balancer is.
   */
  public RunwayHarness replica(Path dir) throws Exception {
    Files.writeString(dir.resolve("pools.yaml"), poolsYaml);
    Map<String, String> env = new HashMap<>(replicaEnv);
    env.put(RunwayConfig.GITHUB_PRIVATE_KEY_FILE, KEYS.writePkcs1(dir, "app.pem").toString());
    return RunwayHarness.start(dir, svc.jdbcUrl, env, clock, sleeper);
  }

  @Override
  public void close() {
    try {
      svc.close();
    } finally {
      github.close();
    }
  }
}
