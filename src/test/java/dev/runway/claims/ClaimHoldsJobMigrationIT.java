package dev.runway.claims;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runway.testing.TestDatabases;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * V38: the claim's {@code (job_id, run_attempt)} is the one record of which claim holds a job. An
 * upgraded database keeps every holder the job named, drops the stale links RunnerBinding left on
 * the claims' side, and from then on refuses a second live claim of one job at commit.
 */
class ClaimHoldsJobMigrationIT {

  @Test
  void the_holder_the_job_named_keeps_it_and_a_stale_claim_names_nothing() throws Exception {
    String url = TestDatabases.fresh();
    TestDatabases.migrations(url, "37").migrate();
    try (Connection c = DriverManager.getConnection(url)) {
      job(c, 1, "claimed", 10L);
      job(c, 2, "in_progress", 20L);
      // Job 3 was taken by a runner that is not Runway's: the job let claim 30 go, the claim
      // still named the job.
      job(c, 3, "in_progress", null);
      claim(c, 10, 1, "active");
      claim(c, 11, 1, "active"); // a hand-over's stale side: job 1 names 10
      claim(c, 20, 2, "bound");
      claim(c, 30, 3, "active");
      claim(c, 31, 1, "released"); // history: a released claim of job 1
    }

    TestDatabases.migrations(url, "latest").migrate();

    try (Connection c = DriverManager.getConnection(url)) {
      assertThat(text(c, "select job_id from claims where id = 10")).isEqualTo("1");
      assertThat(text(c, "select job_id from claims where id = 11")).isNull();
      assertThat(text(c, "select job_id from claims where id = 20")).isEqualTo("2");
      assertThat(text(c, "select job_id from claims where id = 30")).isNull();
      assertThat(text(c, "select status || ' ' || job_id from claims where id = 31"))
          .isEqualTo("released 1");
      assertThat(
              text(
                  c,
                  "select count(*) from information_schema.columns"
                      + " where table_name = 'jobs' and column_name = 'claim_id'"))
          .isEqualTo("0");
    }
  }

  @Test
  void a_second_live_claim_of_one_job_is_refused_at_commit_and_a_hand_over_is_not()
      throws Exception {
    String url = TestDatabases.fresh();
    TestDatabases.migrations(url, "latest").migrate();
    try (Connection c = DriverManager.getConnection(url)) {
      job(c, 1, "claimed", null);
      job(c, 2, "claimed", null);
      claim(c, 10, 1, "active");
      claim(c, 20, 2, "active");

      // A hand-over passes through both claims naming job 1; only the end state is checked.
      c.setAutoCommit(false);
      exec(c, "update claims set job_id = 1 where id = 20");
      exec(c, "update claims set job_id = 2 where id = 10");
      c.commit();
      assertThat(text(c, "select job_id from claims where id = 20")).isEqualTo("1");

      exec(c, "update claims set job_id = 1 where id = 10");
      assertThatThrownBy(c::commit)
          .isInstanceOf(SQLException.class)
          .extracting(e -> ((SQLException) e).getSQLState())
          .isEqualTo("23P01");
      c.rollback();
      c.setAutoCommit(true);

      // Ended claims are history: any number of them may name the job.
      exec(c, "update claims set status = 'released' where id = 10");
      claim(c, 11, 2, "released");
      assertThat(text(c, "select count(*) from claims where job_id = 2")).isEqualTo("2");
    }
  }

  private static void job(Connection c, long job, String status, Long claimId) throws SQLException {
    boolean before = claimId != null;
    try (PreparedStatement ps =
        c.prepareStatement(
            before
                ? "insert into jobs (job_id, run_attempt, status, received_at, claim_id)"
                    + " values (?, 1, ?, now(), ?)"
                : "insert into jobs (job_id, run_attempt, status, received_at)"
                    + " values (?, 1, ?, now())")) {
      ps.setLong(1, job);
      ps.setString(2, status);
      if (before) {
        ps.setLong(3, claimId);
      }
      ps.executeUpdate();
    }
  }

  private static void claim(Connection c, long id, long job, String status) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "insert into claims (id, job_id, run_attempt, pool, runner_name, status, leased_until,"
                + " created_at) values (?, ?, 1, 'linux', ?, ?, now(), now())")) {
      ps.setLong(1, id);
      ps.setLong(2, job);
      ps.setString(3, "runway-linux-" + id);
      ps.setString(4, status);
      ps.executeUpdate();
    }
  }

  private static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.executeUpdate(sql);
    }
  }

  private static String text(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }
}
