package dev.runway.testing;

import dev.runway.Runway;
import dev.runway.operators.OperatorTokens;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.github.Sleeper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/** The service started in-process on a free port against a real PostgreSQL. */
public final class RunwayHarness implements AutoCloseable {
  public static final String SECRET = "test-secret-1";

  public final Runway runway;
  public final String jdbcUrl;
  public final HttpClient http = HttpClient.newHttpClient();

  private RunwayHarness(Runway runway, String jdbcUrl) {
    this.runway = runway;
    this.jdbcUrl = jdbcUrl;
  }

  /** Starts with a fresh database, a spool in {@code dir}, and {@code overrides} on top. */
  public static RunwayHarness start(Path dir, String jdbcUrl, Map<String, String> overrides)
      throws Exception {
    return start(dir, jdbcUrl, overrides, Clock.systemUTC(), Sleeper.system(), null);
  }

  /** As above, with the Kubernetes client a {@code kubernetes:} pool source uses. */
  public static RunwayHarness start(
      Path dir,
      String jdbcUrl,
      Map<String, String> overrides,
      java.util.function.Supplier<io.fabric8.kubernetes.client.KubernetesClient> kubernetes)
      throws Exception {
    return start(dir, jdbcUrl, overrides, Clock.systemUTC(), Sleeper.system(), kubernetes);
  }

  /** As above, with the service's clock and the GitHub client's sleeper given by the test. */
  public static RunwayHarness start(
      Path dir, String jdbcUrl, Map<String, String> overrides, Clock clock, Sleeper sleeper)
      throws Exception {
    return start(dir, jdbcUrl, overrides, clock, sleeper, null);
  }

  /** The general form: clock, GitHub sleeper and Kubernetes client given by the test. */
  public static RunwayHarness start(
      Path dir,
      String jdbcUrl,
      Map<String, String> overrides,
      Clock clock,
      Sleeper sleeper,
      java.util.function.Supplier<io.fabric8.kubernetes.client.KubernetesClient> kubernetes)
      throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put(RunwayConfig.PORT, "0");
    env.put(RunwayConfig.ADMIN_PORT, "0");
    env.put(RunwayConfig.DATABASE_URL, jdbcUrl);
    env.put(RunwayConfig.DATABASE_USER, "postgres");
    env.put(RunwayConfig.WEBHOOK_SECRETS, SECRET);
    env.put(RunwayConfig.DATA_DIR, dir.toString());
    env.put(RunwayConfig.SPOOL_DIR, dir.resolve("spool").toString());
    env.put(RunwayConfig.DRAIN_INTERVAL, "200ms");
    env.put(RunwayConfig.POOLS, "file:" + dir.resolve("pools.yaml"));
    env.put(RunwayConfig.SHUTDOWN_GRACE, "2s");
    env.putAll(overrides);
    return new RunwayHarness(
        Runway.start(RunwayConfig.from(env), clock, sleeper, kubernetes), jdbcUrl);
  }

  public static RunwayHarness start(Path dir) throws Exception {
    return start(dir, TestDatabases.fresh(), Map.of());
  }

  /** The public listener: webhooks, claims, health. */
  public URI base() {
    return URI.create("http://127.0.0.1:" + runway.port());
  }

  /** The management listener: metrics, health, the operator APIs. */
  public URI adminBase() {
    return URI.create("http://127.0.0.1:" + runway.adminPort());
  }

  private String operatorToken;

  /**
   * An operator token for this service's database, made on first use (the database may be down when
   * the service starts).
   */
  public synchronized String operatorToken() throws Exception {
    if (operatorToken == null) {
      try (Connection c = connect()) {
        operatorToken = new OperatorTokens().create(c, "harness").secret();
      }
    }
    return operatorToken;
  }

  /** Runs the CLI against this service's database and returns its standard output. */
  public String cli(String... args) {
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    int exit =
        dev.runway.Main.commandLine(
                Map.of(
                    RunwayConfig.DATABASE_URL, jdbcUrl,
                    RunwayConfig.DATABASE_USER, "postgres",
                    RunwayConfig.DATABASE_PASSWORD, "postgres"),
                new java.io.PrintWriter(out, true),
                new java.io.PrintWriter(err, true))
            .execute(args);
    if (exit != 0) {
      throw new IllegalStateException(String.join(" ", args) + " exited " + exit + ": " + err);
    }
    return out.toString();
  }

  public HttpResponse<String> post(String event, String guid, String body) throws Exception {
    return Signed.send(http, base(), event, guid, body, SECRET);
  }

  /**
   * A GET as whoever would send it: {@code /metrics} to the management port as Prometheus does,
   * {@code /api/v1/...} to the management port with an operator token, anything else to the public
   * port.
   */
  public HttpResponse<String> get(String path) throws Exception {
    HttpRequest.Builder b;
    if (path.startsWith("/api/v1/")) {
      b =
          HttpRequest.newBuilder(adminBase().resolve(path))
              .header("Authorization", "Bearer " + operatorToken());
    } else if (path.startsWith("/metrics")) {
      b = HttpRequest.newBuilder(adminBase().resolve(path));
    } else {
      b = HttpRequest.newBuilder(base().resolve(path));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The value of one Prometheus sample, or 0 when it is absent. */
  public double metric(String sample) throws Exception {
    for (String line : get("/metrics").body().split("\n")) {
      if (line.startsWith(sample + " ")) {
        return Double.parseDouble(line.substring(sample.length() + 1).trim());
      }
    }
    return 0;
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl, "postgres", "postgres");
  }

  /** Runs a query returning one string (or null). */
  public String text(String sql, Object... args) throws SQLException {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /** Runs an update. */
  public void exec(String sql, Object... args) throws SQLException {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      ps.execute();
    }
  }

  /** Runs a query returning one long. */
  public long count(String sql, Object... args) throws SQLException {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Override
  public void close() {
    runway.close();
  }
}
