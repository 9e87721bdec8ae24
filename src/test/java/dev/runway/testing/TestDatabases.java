package dev.runway.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.flywaydb.core.Flyway;

/**
 * One real embedded PostgreSQL per test JVM, with a fresh database per test class, so tests are
 * isolated without paying for a server start each.
 */
public final class TestDatabases {
  private static final AtomicInteger SEQ = new AtomicInteger();
  private static EmbeddedPostgres shared;

  private TestDatabases() {}

  private static synchronized EmbeddedPostgres shared() {
    if (shared == null) {
      try {
        shared = EmbeddedPostgres.builder().start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return shared;
  }

  /** Creates an empty database on the shared server and returns its JDBC URL. */
  public static String fresh() {
    EmbeddedPostgres pg = shared();
    String name = "t" + ProcessHandle.current().pid() + "_" + SEQ.incrementAndGet();
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement st = c.createStatement()) {
      st.execute("create database " + name);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return pg.getJdbcUrl("postgres", name);
  }

  /** Runway's migrations on {@code url} up to version {@code target} ("latest" for all). */
  public static Flyway migrations(String url, String target) {
    return Flyway.configure()
        .dataSource(url, null, null)
        .locations("classpath:db/migration")
        .target(target)
        .load();
  }
}
