package dev.runway.runners;

import dev.runway.platform.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the operator's views read of runners: the claims (just-in-time runners) made for one job
 * attempt with their lifecycle, and the runners that failed to start, per pool and reason. Reads
 * only; the runner lifecycle is this feature's, so its views of {@code claims} and {@code
 * job_reruns} are written here and not in the UI.
 */
public final class RunnerReads {
  private RunnerReads() {}

  /** One claim made for a job attempt, and the rerun its loss asked for, if any. */
  public record JobClaim(
      long id,
      String pool,
      String runnerName,
      String status,
      String state,
      String stateReason,
      Instant stateChangedAt,
      Instant createdAt,
      Instant boundAt,
      Instant endedAt,
      String endReason,
      String lostReason,
      String rerun) {}

  /** Runners of a pool that failed for one reason: how many, and the last one's time. */
  public record LaunchFailure(String reason, long count, Instant last) {}

  /** Every claim made for one job attempt, oldest first. */
  public static List<JobClaim> claimsOf(Connection c, long jobId, int attempt) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select cl.id, cl.pool, cl.runner_name, cl.status, cl.state, cl.state_reason,"
                + " cl.state_changed_at, cl.created_at, cl.bound_at, cl.ended_at, cl.end_reason,"
                + " cl.lost_reason, r.result || coalesce(': ' || r.detail, '') as rerun"
                + " from claims cl left join job_reruns r on r.claim_id = cl.id"
                + " where cl.job_id = ? and cl.run_attempt = ? order by cl.created_at, cl.id")) {
      ps.setLong(1, jobId);
      ps.setInt(2, attempt);
      List<JobClaim> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new JobClaim(
                  rs.getLong("id"),
                  rs.getString("pool"),
                  rs.getString("runner_name"),
                  rs.getString("status"),
                  rs.getString("state"),
                  rs.getString("state_reason"),
                  Sql.instant(rs, "state_changed_at"),
                  Sql.instant(rs, "created_at"),
                  Sql.instant(rs, "bound_at"),
                  Sql.instant(rs, "ended_at"),
                  rs.getString("end_reason"),
                  rs.getString("lost_reason"),
                  rs.getString("rerun")));
        }
      }
      return out;
    }
  }

  /** Per pool, the runners that failed since {@code since}, by reason, most frequent first. */
  public static Map<String, List<LaunchFailure>> launchFailures(Connection c, Instant since)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select pool, coalesce(state_reason, 'unknown'), count(*), max(state_changed_at) as last"
                + " from claims where state = 'failed' and state_changed_at >= ?"
                + " group by 1, 2 order by 1, 3 desc")) {
      ps.setTimestamp(1, Timestamp.from(since));
      Map<String, List<LaunchFailure>> out = new TreeMap<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
              .add(new LaunchFailure(rs.getString(2), rs.getLong(3), Sql.instant(rs, "last")));
        }
      }
      return out;
    }
  }
}
