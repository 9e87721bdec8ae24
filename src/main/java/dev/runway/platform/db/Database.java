package dev.runway.platform.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL the service stands on: connection pools with a bound on every wait, and the
 * embedded server when no URL is configured.
 *
 * <p>There are two pools on purpose. The intake pool serves only the webhook path: it is small and
 * its checkout times out after 250 ms, so a slow database turns into a spooled delivery instead of
 * a hung request. The main pool serves the queue workers, reconcilers and APIs; it cannot starve
 * the intake pool.
 */
public final class Database implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Database.class);

  private final HikariDataSource main;
  private final HikariDataSource intake;
  private final Optional<EmbeddedPostgres> embedded;

  private Database(
      HikariDataSource main, HikariDataSource intake, Optional<EmbeddedPostgres> embedded) {
    this.main = main;
    this.intake = intake;
    this.embedded = embedded;
  }

  /** Connection settings resolved from the configuration or from the embedded server. */
  public record Target(String jdbcUrl, String user, String password) {
    @Override
    public String toString() {
      return "Target[" + jdbcUrl + ", user=" + user + "]";
    }
  }

  /** Small pools whose every commit is durable, for operator commands. */
  private static Database openDurable(Target target) {
    return new Database(
        pool(target, "runway-cli", 2, Duration.ofSeconds(5), true),
        pool(target, "runway-cli-intake", 1, Duration.ofSeconds(5), true),
        Optional.empty());
  }

  /** Where {@code serve} records the JDBC URL of its embedded server for the CLI. */
  public static final String EMBEDDED_URL_FILE = "embedded-jdbc-url";

  /**
   * The database for a CLI command: {@code url} when given; otherwise the embedded server a running
   * {@code serve} recorded in {@code dataDir}; otherwise the embedded server started here.
   */
  public static Database forCli(String url, String user, String password, Path dataDir)
      throws IOException {
    return forCli(url, user, password, dataDir, notice -> {});
  }

  /**
   * As {@link #forCli(String, String, String, Path)}, telling {@code notice} (the command's stderr)
   * before it starts an embedded server of its own, which takes seconds.
   */
  public static Database forCli(
      String url,
      String user,
      String password,
      Path dataDir,
      java.util.function.Consumer<String> notice)
      throws IOException {
    if (url != null && !url.isBlank()) {
      return openDurable(new Target(url, user, password));
    }
    Path recorded = dataDir.resolve(EMBEDDED_URL_FILE);
    if (Files.exists(recorded)) {
      Database db =
          openDurable(new Target(Files.readString(recorded).trim(), "postgres", "postgres"));
      try (var c = db.main().getConnection()) {
        return db;
      } catch (java.sql.SQLException notRunning) {
        db.close();
      }
    }
    notice.accept(
        "runway: no RUNWAY_DATABASE_URL and no running `runway serve` with its data in "
            + dataDir
            + ": starting a temporary embedded PostgreSQL on that data (a few seconds); it stops"
            + " when this command ends");
    Database db = openEmbedded(dataDir, 2);
    migrate(db.main());
    return db;
  }

  /** Opens the pools against {@code target}. Nothing is connected until first use. */
  public static Database open(Target target, int mainPoolSize) {
    return new Database(
        pool(target, "runway-main", mainPoolSize, Duration.ofSeconds(5), false),
        pool(target, "runway-intake", 4, Duration.ofMillis(250), true),
        Optional.empty());
  }

  /**
   * Makes the current transaction's commit wait for its WAL flush even on the main pool. For
   * transactions whose commit lets something else be forgotten: the spool drain (the segment is
   * deleted afterwards) and a claim (a runner is registered at GitHub afterwards).
   */
  public static void durableCommit(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("set local synchronous_commit = on");
    }
  }

  /**
   * Starts (or restarts, keeping its data) an embedded PostgreSQL in {@code dataDir/postgres} and
   * opens the pools against it.
   */
  public static Database openEmbedded(Path dataDir, int mainPoolSize) throws IOException {
    return openEmbedded(dataDir, mainPoolSize, true);
  }

  /**
   * As {@link #openEmbedded(Path, int)}, for {@code serve}: the server stops only in {@link
   * #close}, after the pools, as the last step of the service's ordered stop. The library's own
   * shutdown hook would stop it while dispatch threads still hold connections (their errors, and
   * PostgreSQL's "terminating connection due to administrator command", in every stop's log).
   */
  public static Database openEmbeddedForService(Path dataDir, int mainPoolSize) throws IOException {
    return openEmbedded(dataDir, mainPoolSize, false);
  }

  private static Database openEmbedded(Path dataDir, int mainPoolSize, boolean stopOnExit)
      throws IOException {
    Path pgDir = dataDir.resolve("postgres").toAbsolutePath();
    Files.createDirectories(pgDir);
    EmbeddedPostgres pg;
    try {
      pg =
          EmbeddedPostgres.builder()
              .setDataDirectory(pgDir)
              .setCleanDataDirectory(false)
              .setPGStartupWait(Duration.ofSeconds(60))
              .setRegisterShutdownHook(stopOnExit)
              .setPgBinaryResolver(EmbeddedBinaries.INSTANCE)
              // The library's defaults suit throwaway test databases (no fsync, asynchronous
              // commit). Here a commit is what lets the service acknowledge a delivery, so it must
              // be durable.
              .setServerConfig("fsync", "on")
              .setServerConfig("synchronous_commit", "on")
              .setServerConfig("full_page_writes", "on")
              .start();
    } catch (IOException | RuntimeException e) {
      // An external database may be down at start (the spool covers it); the embedded one is
      // ours to start, and a start without it would only spool until someone notices.
      throw new IllegalStateException(
          "embedded PostgreSQL in "
              + pgDir
              + " did not start ("
              + oneLine(e)
              + "); see the server log in that directory, or set RUNWAY_DATABASE_URL",
          e);
    }
    log.info("embedded PostgreSQL running on port {} with its data in {}", pg.getPort(), pgDir);
    Target t = new Target(pg.getJdbcUrl("postgres", "postgres"), "postgres", "postgres");
    // The CLI (accounts, jobs, pools tokens) finds the running embedded server through this file.
    Files.writeString(dataDir.resolve(EMBEDDED_URL_FILE), t.jdbcUrl());
    Database db = open(t, mainPoolSize);
    return new Database(db.main, db.intake, Optional.of(pg));
  }

  /**
   * @param durable whether every commit waits for its WAL flush. The intake pool's do: a delivery
   *     is acknowledged once its commit returns. The main pool's do not: its work (dispatch,
   *     reaper, APIs) is idempotent and re-runs from the durably stored inbox and queue if a
   *     database crash loses its last commits, so waiting for each flush would only cost
   *     throughput. Transactions that must be durable there call {@link #durableCommit}.
   */
  static HikariDataSource pool(
      Target t, String name, int size, Duration checkout, boolean durable) {
    HikariConfig c = new HikariConfig();
    c.setPoolName(name);
    c.setJdbcUrl(t.jdbcUrl());
    c.setUsername(t.user());
    c.setPassword(t.password());
    c.setMaximumPoolSize(size);
    // A pool whose checkout is short keeps all its connections open: opening one on demand takes
    // longer than the checkout allows, which would spool a burst's first deliveries for nothing.
    boolean fixed = checkout.compareTo(Duration.ofSeconds(1)) < 0;
    int minIdle = fixed ? size : Math.min(2, size);
    c.setMinimumIdle(minIdle);
    c.setConnectionTimeout(checkout.toMillis());
    c.setValidationTimeout(250);
    // The pool exists even while the database is down, and refills itself when it is back; the
    // spool covers intake meanwhile. (Start still needs the database once, for the migrations.)
    c.setInitializationFailTimeout(-1);
    c.setMaxLifetime(Duration.ofMinutes(10).toMillis());
    // Only a pool that can shrink has an idle timeout; on a fixed-size pool (the CLI's two
    // connections) Hikari would print a warning on stderr for every command.
    if (minIdle < size) {
      c.setIdleTimeout(Duration.ofMinutes(5).toMillis());
    }
    c.setKeepaliveTime(Duration.ofSeconds(60).toMillis());
    // Half-open connections (the incident's SSL drops) must not hang a thread forever.
    c.addDataSourceProperty("connectTimeout", 3);
    c.addDataSourceProperty("socketTimeout", 15);
    c.addDataSourceProperty("tcpKeepAlive", true);
    c.addDataSourceProperty("loginTimeout", 3);
    // synchronous_commit is set per pool whatever the server's default (see durable above).
    c.addDataSourceProperty(
        "options",
        "-c statement_timeout=10000 -c lock_timeout=5000 -c synchronous_commit="
            + (durable ? "on" : "off"));
    c.addDataSourceProperty("ApplicationName", name);
    return new HikariDataSource(c);
  }

  private static String oneLine(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e; t != null && sb.length() < 400; t = t.getCause()) {
      sb.append(sb.length() == 0 ? "" : ": ")
          .append(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
    }
    return sb.toString().replaceAll("\\s+", " ");
  }

  /** Applies the Flyway migrations in {@code db/migration}. */
  public static void migrate(DataSource ds) {
    Flyway flyway =
        Flyway.configure()
            .dataSource(ds)
            .locations("classpath:db/migration")
            .connectRetries(5)
            .load();
    var result = flyway.migrate();
    // The result names a target version only when it applied something; after a restart with
    // nothing to apply, the schema's version is the current one in the history table.
    String version =
        result.targetSchemaVersion != null
            ? result.targetSchemaVersion
            : Optional.ofNullable(flyway.info().current())
                .map(m -> m.getVersion().getVersion())
                .orElse("none");
    log.info(
        "database schema at version {} ({} migration(s) applied)",
        version,
        result.migrationsExecuted);
  }

  public DataSource main() {
    return main;
  }

  public DataSource intake() {
    return intake;
  }

  @Override
  public void close() {
    intake.close();
    main.close();
    embedded.ifPresent(
        pg -> {
          try {
            pg.close();
          } catch (IOException e) {
            log.warn("embedded PostgreSQL did not stop cleanly: {}", e.toString());
          }
        });
  }
}
