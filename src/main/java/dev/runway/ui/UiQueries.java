package dev.runway.ui;

import dev.runway.platform.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The read-only SQL behind the UI's overview and pools pages (the tables' owners write them). */
final class UiQueries {
  private UiQueries() {}

  /** A pool's jobs right now: claimable ones and their oldest, and those holding a runner. */
  record PoolLoad(long queued, Instant oldestQueued, long claimed, long inProgress) {
    static final PoolLoad NONE = new PoolLoad(0, null, 0, 0);
  }

  static Map<String, PoolLoad> poolLoad(Connection c) throws SQLException {
    try (PreparedStatement ps =
            c.prepareStatement(
                "select pool,"
                    + " count(*) filter (where status = 'queued' and outcome is null) as queued,"
                    + " min(received_at) filter (where status = 'queued' and outcome is null)"
                    + "   as oldest,"
                    + " count(*) filter (where status = 'claimed') as claimed,"
                    + " count(*) filter (where status = 'in_progress') as in_progress"
                    + " from jobs where pool is not null"
                    + " and status in ('queued', 'claimed', 'in_progress')"
                    + " group by pool order by pool");
        ResultSet rs = ps.executeQuery()) {
      Map<String, PoolLoad> out = new LinkedHashMap<>();
      while (rs.next()) {
        out.put(
            rs.getString("pool"),
            new PoolLoad(
                rs.getLong("queued"),
                Sql.instant(rs, "oldest"),
                rs.getLong("claimed"),
                rs.getLong("in_progress")));
      }
      return out;
    }
  }

  /**
   * Received → claimable per minute since {@code since}: the mean and the longest time from a job's
   * receipt to its dispatch into a pool, over the jobs dispatched in that minute. A redispatched
   * job counts from its receipt, so an ignored job that waited for a fix shows as the wait it was.
   */
  static MeterHistory.Series claimableLatency(Connection c, Instant since) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select extract(epoch from date_trunc('minute', dispatched_at))::bigint as m,"
                + " avg(extract(epoch from dispatched_at - received_at)) as mean,"
                + " max(extract(epoch from dispatched_at - received_at)) as longest"
                + " from jobs where dispatched_at >= ? and pool is not null and outcome is null"
                + " group by 1 order by 1")) {
      ps.setTimestamp(1, Timestamp.from(since));
      List<Long> xs = new ArrayList<>();
      Map<String, List<Double>> values = new TreeMap<>();
      values.put("mean", new ArrayList<>());
      values.put("longest", new ArrayList<>());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          xs.add(rs.getLong("m"));
          values.get("mean").add(rs.getDouble("mean"));
          values.get("longest").add(rs.getDouble("longest"));
        }
      }
      return new MeterHistory.Series(xs, values);
    }
  }

  /** A pool's runners that failed since some instant, per reason. */
  record LaunchFailure(String reason, long count, Instant last) {}

  static Map<String, List<LaunchFailure>> launchFailures(Connection c, Instant since)
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

  /** Every claim (just-in-time runner) made for one job attempt, oldest first. */
  static List<Views.ClaimRow> claims(Connection c, long jobId, int attempt) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select cl.id, cl.pool, cl.runner_name, cl.status, cl.state, cl.state_reason,"
                + " cl.state_changed_at, cl.created_at, cl.bound_at, cl.ended_at, cl.end_reason,"
                + " cl.lost_reason, r.result || coalesce(': ' || r.detail, '') as rerun"
                + " from claims cl left join job_reruns r on r.claim_id = cl.id"
                + " where cl.job_id = ? and cl.run_attempt = ? order by cl.created_at, cl.id")) {
      ps.setLong(1, jobId);
      ps.setInt(2, attempt);
      List<Views.ClaimRow> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Views.ClaimRow(
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
}
