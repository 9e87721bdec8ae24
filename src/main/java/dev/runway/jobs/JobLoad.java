package dev.runway.jobs;

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

/**
 * The aggregate reads of {@code jobs} that the operator's overview and pools pages show: each
 * pool's load right now, and how long jobs took to become claimable. Reads only, like {@link
 * JobReads}; the jobs feature owns the table's shape, so its aggregates are written here and not in
 * the UI.
 */
public final class JobLoad {
  private JobLoad() {}

  /** A pool's jobs right now: claimable ones and their oldest, and those holding a runner. */
  public record PoolLoad(long queued, Instant oldestQueued, long claimed, long inProgress) {
    public static final PoolLoad NONE = new PoolLoad(0, null, 0, 0);
  }

  /** One minute's jobs dispatched into a pool: the mean and the longest receipt → dispatch. */
  public record MinuteLatency(long epochMinute, double meanSeconds, double longestSeconds) {}

  /** Every pool with open jobs, by name. */
  public static Map<String, PoolLoad> byPool(Connection c) throws SQLException {
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
   * Received → claimable per minute since {@code since}, over the jobs dispatched into a pool in
   * that minute. A redispatched job counts from its receipt, so an ignored job that waited for a
   * fix shows as the wait it was. Served by {@code jobs_dispatched_at_idx} (V21).
   */
  public static List<MinuteLatency> claimableLatency(Connection c, Instant since)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select extract(epoch from date_trunc('minute', dispatched_at))::bigint as m,"
                + " avg(extract(epoch from dispatched_at - received_at)) as mean,"
                + " max(extract(epoch from dispatched_at - received_at)) as longest"
                + " from jobs where dispatched_at >= ? and pool is not null and outcome is null"
                + " group by 1 order by 1")) {
      ps.setTimestamp(1, Timestamp.from(since));
      List<MinuteLatency> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new MinuteLatency(rs.getLong("m"), rs.getDouble("mean"), rs.getDouble("longest")));
        }
      }
      return out;
    }
  }
}
