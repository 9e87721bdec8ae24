package dev.runway.runners;

import dev.runway.claims.ClaimRepository;
import dev.runway.claims.RunnerLoss;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** SQL for {@code job_reruns}, the one writer of that table, and its reads of claims and jobs. */
final class RerunRepository {

  /** A lost runner whose job completed and whose rerun is not decided yet. */
  record Candidate(
      long claimId,
      String pool,
      RunnerLoss loss,
      long jobId,
      int runAttempt,
      Long runId,
      String repository,
      String jobName,
      String conclusion,
      Long installationId) {}

  List<Candidate> candidates(Connection c, Instant since, int limit) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select cl.id, cl.pool, cl.lost_reason, j.job_id, j.run_attempt, j.run_id,"
                + " j.repository, j.name, j.conclusion, j.installation_id"
                + " from claims cl join jobs j"
                + "   on j.job_id = cl.job_id and j.run_attempt = cl.run_attempt"
                + " where cl.lost_reason is not null and cl.created_at >= ?"
                + " and j.status = 'completed'"
                + " and not exists (select 1 from job_reruns r where r.claim_id = cl.id)"
                + " order by cl.id limit ?")) {
      ClaimRepository.setTime(ps, 1, since);
      ps.setInt(2, limit);
      List<Candidate> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Candidate(
                  rs.getLong(1),
                  rs.getString(2),
                  RunnerLoss.of(rs.getString(3)),
                  rs.getLong(4),
                  rs.getInt(5),
                  (Long) rs.getObject(6),
                  rs.getString(7),
                  rs.getString(8),
                  rs.getString(9),
                  (Long) rs.getObject(10)));
        }
      }
      return out;
    }
  }

  /** Reruns asked (or being asked) for this job, over all its attempts. */
  int spent(Connection c, Candidate job) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select count(*) from job_reruns where result in ('requesting', 'requested')"
                + " and ((run_id is not null and run_id = ? and repository = ? and job_name = ?)"
                + "   or job_id = ?)")) {
      if (job.runId() == null) {
        ps.setNull(1, java.sql.Types.BIGINT);
      } else {
        ps.setLong(1, job.runId());
      }
      ps.setString(2, job.repository());
      ps.setString(3, job.jobName());
      ps.setLong(4, job.jobId());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /**
   * Records the decision for the candidate's claim.
   *
   * @return false when another decision for that claim exists already
   */
  boolean decide(Connection c, Candidate job, String result, String detail, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "insert into job_reruns (claim_id, job_id, run_attempt, run_id, repository, job_name,"
                + " pool, reason, conclusion, result, detail, decided_at)"
                + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                + " on conflict (claim_id) do nothing")) {
      ps.setLong(1, job.claimId());
      ps.setLong(2, job.jobId());
      ps.setInt(3, job.runAttempt());
      ps.setObject(4, job.runId());
      ps.setString(5, job.repository());
      ps.setString(6, job.jobName());
      ps.setString(7, job.pool());
      ps.setString(8, job.loss().label());
      ps.setString(9, job.conclusion());
      ps.setString(10, result);
      ps.setString(11, detail);
      ClaimRepository.setTime(ps, 12, now);
      return ps.executeUpdate() == 1;
    }
  }

  /** Settles a {@code requesting} decision with GitHub's answer. */
  boolean settle(Connection c, long claimId, String result, String detail) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update job_reruns set result = ?, detail = ? where claim_id = ?"
                + " and result = 'requesting'")) {
      ps.setString(1, result);
      ps.setString(2, detail);
      ps.setLong(3, claimId);
      return ps.executeUpdate() == 1;
    }
  }

  /** Takes back a {@code requesting} decision whose request was not sent (a rate limit). */
  void undo(Connection c, long claimId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("delete from job_reruns where claim_id = ? and result = 'requesting'")) {
      ps.setLong(1, claimId);
      ps.executeUpdate();
    }
  }

  /** The rerun decisions of a job (every attempt of its run), oldest first. */
  List<RerunAttempt> forJob(Connection c, long jobId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select r.run_attempt, r.reason, r.conclusion, r.result, r.detail, r.decided_at"
                + " from job_reruns r where r.job_id = ? or (r.run_id, r.repository, r.job_name) in"
                + "  (select run_id, repository, name from jobs where job_id = ?)"
                + " order by r.decided_at, r.id")) {
      ps.setLong(1, jobId);
      ps.setLong(2, jobId);
      List<RerunAttempt> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new RerunAttempt(
                  rs.getInt(1),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getString(5),
                  ClaimRepository.time(rs, "decided_at")));
        }
      }
      return out;
    }
  }
}
