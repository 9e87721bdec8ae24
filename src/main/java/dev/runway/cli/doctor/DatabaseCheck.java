package dev.runway.cli.doctor;

import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.db.Database;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Optional;
import java.util.Properties;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationState;

/**
 * Whether the database answers and its schema is the one this version of Runway expects.
 *
 * <p>It opens one plain JDBC connection with short timeouts rather than the service's pools: a
 * check must end quickly, and must not leave pools retrying in the background (or start an embedded
 * PostgreSQL: when none is running, it says that {@code serve} starts one).
 */
final class DatabaseCheck {

  static final String NAME = "database";

  private final RunwayConfig config;
  private Target target;

  DatabaseCheck(RunwayConfig config) {
    this.config = config;
  }

  /** Where the database is, once {@link #run} found it answering. */
  Optional<Target> reachable() {
    return Optional.ofNullable(target);
  }

  /** A JDBC URL and its credentials; {@code toString} leaves the password out. */
  record Target(String url, String user, String password) {
    Connection connect() throws SQLException {
      Properties p = new Properties();
      if (user != null) {
        p.setProperty("user", user);
      }
      if (password != null) {
        p.setProperty("password", password);
      }
      p.setProperty("connectTimeout", "3");
      p.setProperty("loginTimeout", "3");
      p.setProperty("socketTimeout", "10");
      p.setProperty("ApplicationName", "runway-doctor");
      return DriverManager.getConnection(url, p);
    }

    @Override
    public String toString() {
      return "Target[" + url + ", user=" + user + "]";
    }
  }

  Check run() {
    String shown = String.valueOf(config.redacted().get(RunwayConfig.DATABASE_URL));
    Target candidate;
    boolean embedded = config.databaseUrl().isEmpty();
    if (embedded) {
      Path recorded = config.dataDir().resolve(Database.EMBEDDED_URL_FILE);
      Optional<String> url = readRecorded(recorded);
      if (url.isEmpty()) {
        return Check.warning(
            NAME,
            "no database configured and no embedded PostgreSQL running in " + config.dataDir(),
            "runway serve starts the embedded one; set "
                + RunwayConfig.DATABASE_URL
                + " to use your own PostgreSQL");
      }
      candidate = new Target(url.get(), "postgres", "postgres");
      shown = "the embedded PostgreSQL of " + config.dataDir();
    } else {
      candidate =
          new Target(
              config.databaseUrl().get(),
              config.databaseUser().orElse(null),
              config.databasePassword().orElse(null));
    }
    try (Connection c = candidate.connect()) {
      c.isValid(3);
    } catch (SQLException e) {
      if (embedded) {
        return Check.warning(
            NAME,
            "the embedded PostgreSQL of " + config.dataDir() + " is not running",
            "runway serve starts it");
      }
      return Check.failed(
          NAME,
          "cannot connect to " + shown + ": " + firstSentence(e.getMessage()),
          "start PostgreSQL, or fix "
              + RunwayConfig.DATABASE_URL
              + ", "
              + RunwayConfig.DATABASE_USER
              + " and "
              + RunwayConfig.DATABASE_PASSWORD);
    }
    target = candidate;
    return migrations(candidate, shown);
  }

  private static Check migrations(Target t, String shown) {
    MigrationInfoService info;
    try {
      info =
          Flyway.configure()
              .dataSource(t.url(), t.user(), t.password())
              .locations("classpath:db/migration")
              .load()
              .info();
    } catch (RuntimeException e) {
      return Check.failed(
          NAME,
          "PostgreSQL answers at "
              + shown
              + ", but its migrations cannot be read: "
              + firstSentence(e.getMessage()),
          "check that the user may read the schema history (flyway_schema_history)");
    }
    MigrationInfo current = info.current();
    String version = current == null ? "none" : current.getVersion().getVersion();
    long future =
        Arrays.stream(info.all())
            .filter(
                m ->
                    m.getState() == MigrationState.FUTURE_SUCCESS
                        || m.getState() == MigrationState.FUTURE_FAILED)
            .count();
    if (future > 0) {
      return Check.failed(
          NAME,
          "the schema (version " + version + ") is newer than this Runway knows",
          "run the Runway version that migrated it, or a newer one");
    }
    int pending = info.pending().length;
    if (pending > 0) {
      return Check.warning(
          NAME,
          "PostgreSQL answers at "
              + shown
              + "; schema at version "
              + version
              + ", "
              + pending
              + " migration(s) pending",
          "runway migrate (runway serve also migrates at start)");
    }
    return Check.ok(
        NAME, "PostgreSQL answers at " + shown + "; schema current at version " + version);
  }

  private static Optional<String> readRecorded(Path file) {
    try {
      return Files.exists(file)
          ? Optional.of(Files.readString(file).trim()).filter(s -> !s.isEmpty())
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** PostgreSQL's driver explains at length; the first sentence is the fact. */
  static String firstSentence(String message) {
    if (message == null) {
      return "no reason given";
    }
    String one = message.strip().replaceAll("\\s+", " ");
    int end = one.indexOf(". ");
    return end > 0 ? one.substring(0, end) : one;
  }
}
