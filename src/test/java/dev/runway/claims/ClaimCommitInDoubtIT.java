package dev.runway.claims;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.runway.jobs.JobRepository;
import dev.runway.platform.db.Database;
import dev.runway.platform.telemetry.Metrics;
import dev.runway.pools.Pool;
import dev.runway.testing.TestDatabases;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A claim whose commit lands on the server while the connection breaks before the answer (a
 * database killed mid-commit): nobody gets the claim, so its job must be claimable again once the
 * database answers, not after the lease (minutes). Real PostgreSQL; the connection's {@code
 * commit()} commits and then throws, as a broken connection does.
 */
class ClaimCommitInDoubtIT {
  private static final Pool LINUX = new Pool("linux", List.of("linux"));

  private Database db;
  private Claims claims;

  /** Which commit from now on breaks: 1 the next, 2 the one after it; 0 none. */
  private final AtomicInteger breakCommit = new AtomicInteger();

  @BeforeEach
  void setUp() throws Exception {
    db = Database.open(new Database.Target(TestDatabases.fresh(), "postgres", null), 4);
    Database.migrate(db.main());
    try (Connection c = db.main().getConnection();
        Statement st = c.createStatement()) {
      st.executeUpdate(
          "insert into accounts (id, login, installation_id, runners_enabled, max_concurrent)"
              + " values (1, 'acme', 4242, true, 10)");
      st.executeUpdate(
          "insert into jobs (job_id, run_attempt, repository, owner_login, account_id, pool,"
              + " status, labels, received_at, dispatched_at, updated_at) values (901, 1,"
              + " 'acme/app', 'acme', 1, 'linux', 'queued', array['linux'], now(), now(), now())");
    }
    claims =
        new Claims(
            breaking(db.main()),
            new JobRepository(),
            null,
            Optional.empty(),
            new ClaimMetrics(new Metrics()),
            Clock.systemUTC(),
            Duration.ofMinutes(5),
            Duration.ofSeconds(20));
  }

  @AfterEach
  void tearDown() {
    if (claims != null) {
      claims.close();
    }
    if (db != null) {
      db.close();
    }
  }

  @Test
  void a_claim_committed_behind_a_broken_connection_is_released_not_left_to_its_lease()
      throws Exception {
    breakCommit.set(1);
    assertThatThrownBy(() -> claims.reserve(LINUX)).isInstanceOf(SQLException.class);
    // The commit landed: the job is claimed by a claim nobody was told of.
    assertThat(breakCommit.get()).isZero();
    assertReleasedAndClaimableAgain();
  }

  /**
   * The claim's own commit does not wait for the disk (V37); the wait for its flush that follows is
   * a second commit. When that one breaks, nobody knows whether the claim is on disk, and nobody
   * was told of it: it is released as above.
   */
  @Test
  void a_claim_whose_flush_wait_breaks_is_released_too() throws Exception {
    breakCommit.set(2);
    assertThatThrownBy(() -> claims.reserve(LINUX)).isInstanceOf(SQLException.class);
    assertThat(breakCommit.get()).isZero();
    assertReleasedAndClaimableAgain();
  }

  /** The claim commits without waiting for the disk: its setting ends with claims_claim. */
  @Test
  void the_claim_transaction_commits_asynchronously_and_its_flush_wait_durably() throws Exception {
    try (Connection c = db.main().getConnection()) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("set local synchronous_commit = off");
        st.execute(
            "select * from claims_claim('linux', 1, 2, 3, null, now(),"
                + " now() + interval '5 minutes', 100)");
        assertThat(setting(st)).isEqualTo("off");
        ClaimRepository repo = new ClaimRepository();
        long id = Long.parseLong(text("select max(id) from claims", c));
        c.commit();
        repo.awaitDurable(c, List.of(id));
      }
    }
  }

  private static String setting(Statement st) throws SQLException {
    try (ResultSet rs = st.executeQuery("show synchronous_commit")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static String text(String sql, Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private void assertReleasedAndClaimableAgain() throws Exception {

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> "queued".equals(text("select status from jobs where job_id = 901")));
    assertThat(text("select status || ' ' || end_reason from claims"))
        .isEqualTo("released " + Claims.COMMIT_IN_DOUBT);
    assertThat(
            text(
                "select not exists (select 1 from claims where job_id = 901 and status in ('active', 'bound'))"))
        .isEqualTo("t");

    // And the next claim takes it.
    assertThat(claims.reserve(LINUX).job().jobId()).isEqualTo(901);
  }

  @Test
  void a_claim_whose_commit_did_not_land_releases_nothing() throws Exception {
    try (Connection c = db.main().getConnection();
        Statement st = c.createStatement()) {
      st.executeUpdate("update jobs set status = 'completed' where job_id = 901");
    }
    // No job to claim: nothing is reserved, so nothing is in doubt.
    assertThat(claims.reserve(LINUX).job()).isNull();
    assertThat(text("select count(*) from claims")).isEqualTo("0");
  }

  private String text(String sql) throws SQLException {
    try (Connection c = db.main().getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /** A data source whose connections, once asked to, commit and then throw as if broken. */
  private DataSource breaking(DataSource real) {
    return (DataSource)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {DataSource.class},
            (proxy, method, args) -> {
              Object result = invoke(real, method, args);
              if (method.getName().equals("getConnection")) {
                return connection((Connection) result);
              }
              return result;
            });
  }

  private Connection connection(Connection real) {
    return (Connection)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {Connection.class},
            (proxy, method, args) -> {
              Object result = invoke(real, method, args);
              if (method.getName().equals("commit")
                  && breakCommit.get() > 0
                  && breakCommit.decrementAndGet() == 0) {
                throw new SQLException(
                    "An I/O error occurred while sending to the backend.", "08006");
              }
              return result;
            });
  }

  private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args)
      throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
