package dev.runway.runners;

import static dev.runway.claims.ClaimRepository.setTime;

import dev.runway.claims.ClaimRepository;
import dev.runway.claims.RunnerState;
import dev.runway.platform.github.GitHubClient;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads of the runner-state columns of {@code claims} ({@code state}, {@code exit_code}, {@code
 * stderr_line}, {@code runner_id}, …): a claim's state, start failures, live runners, and where a
 * runner was registered, for the GitHub runner clean-up. It writes nothing: {@link ClaimRepository}
 * is the one writer of {@code claims}, its runner columns included.
 */
final class ClaimStateRepository {

  /** What a state change needs to know of its claim. */
  record ClaimState(
      long id,
      long jobId,
      int runAttempt,
      String pool,
      String runnerName,
      String status,
      RunnerState state,
      boolean warm) {}

  /**
   * Where a claim's runner is registered at GitHub: at the organisation {@code owner}, or on the
   * repository {@code owner/repo} when the owner is a user.
   */
  private static final String COLUMNS =
      "select id, job_id, run_attempt, pool, runner_name, status, state, warm from claims"
          + " where id = ?";

  Optional<ClaimState> find(Connection c, long id) throws SQLException {
    return one(c, COLUMNS, id);
  }

  /** The claim, row-locked for this transaction. */
  Optional<ClaimState> lock(Connection c, long id) throws SQLException {
    return one(c, COLUMNS + " for update", id);
  }

  /**
   * A pool's runner starts that ended before a job, in a row: since its last runner that came up
   * ({@code running} or {@code done}) within the window, with the newest failure's exit code and
   * stderr line.
   */
  record StartFailures(String pool, int inARow, Integer exitCode, String stderrLine) {}

  /** Reasons that say the runner itself cannot start, not that someone stopped it. */
  static final List<String> START_FAILURE_REASONS =
      List.of(
          ClaimEvent.FailureReason.EXITED_BEFORE_JOB.label(),
          ClaimEvent.FailureReason.LAUNCH_ERROR.label(),
          ClaimEvent.FailureReason.RUNNER_OUTDATED.label());

  /** Per pool with at least {@code atLeast} start failures in a row since {@code since}. */
  List<StartFailures> startFailures(Connection c, Instant since, int atLeast) throws SQLException {
    List<StartFailures> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "with recent as ("
                + " select pool, state, state_reason, exit_code, stderr_line, state_changed_at"
                + " from claims where state in ('running', 'done', 'failed')"
                + " and state_changed_at >= ?),"
                + " up as (select pool, max(state_changed_at) as at from recent"
                + " where state in ('running', 'done') group by pool)"
                + " select r.pool, count(*),"
                + " (array_agg(r.exit_code order by r.state_changed_at desc))[1],"
                + " (array_agg(r.stderr_line order by r.state_changed_at desc))[1]"
                + " from recent r left join up on up.pool = r.pool"
                + " where r.state = 'failed' and r.state_reason = any (?)"
                + " and (up.at is null or r.state_changed_at > up.at)"
                + " group by r.pool having count(*) >= ? order by r.pool")) {
      setTime(ps, 1, since);
      ps.setArray(2, c.createArrayOf("text", START_FAILURE_REASONS.toArray()));
      ps.setInt(3, atLeast);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          int code = rs.getInt(3);
          out.add(
              new StartFailures(
                  rs.getString(1), rs.getInt(2), rs.wasNull() ? null : code, rs.getString(4)));
        }
      }
    }
    return out;
  }

  /** The {@code state} label of a warm runner that is up and has taken no job. */
  static final String IDLE = "idle";

  /**
   * Claims by pool and live state ({@code claimed}, {@code launching}, {@code running}), with the
   * running warm runners that took no job yet apart, as {@link #IDLE}.
   */
  Map<String, Map<String, Long>> liveCounts(Connection c) throws SQLException {
    Map<String, Map<String, Long>> out = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "select pool, case when warm and status = 'active' and state = 'running'"
                + " then '"
                + IDLE
                + "' else state end, count(*) from claims"
                + " where state in ('claimed', 'launching', 'running') group by 1, 2")) {
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.computeIfAbsent(rs.getString(1), p -> new HashMap<>())
              .put(rs.getString(2), rs.getLong(3));
        }
      }
    }
    return out;
  }

  /** The claims of {@code pools} whose runner may still be starting or running. */
  List<LiveRunner> liveIn(Connection c, Collection<String> pools) throws SQLException {
    List<LiveRunner> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "select id, pool, state, status, coalesce(state_changed_at, created_at) as"
                + " state_changed_at, warm, job_id is not null from claims"
                + " where pool = any (?) and state in ('claimed', 'launching', 'running')")) {
      ps.setArray(1, c.createArrayOf("text", pools.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new LiveRunner(
                  rs.getLong(1),
                  rs.getString(2),
                  RunnerState.of(rs.getString(3)),
                  rs.getString(4).equals("bound"),
                  ClaimRepository.time(rs, "state_changed_at"),
                  rs.getBoolean(6),
                  rs.getBoolean(7)));
        }
      }
    }
    return out;
  }

  /** The id GitHub gave the claim's runner; empty when unknown (an older claim). */
  Optional<Long> runnerId(Connection c, long claimId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("select runner_id from claims where id = ? and runner_id is not null")) {
      ps.setLong(1, claimId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
      }
    }
  }

  /** Whether the claim exists and its runner may still be starting or running. */
  boolean live(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select 1 from claims where id = ? and state in ('claimed', 'launching', 'running')")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * Where the claim's runner was registered: the claim's job's owner, at organisation level, or on
   * its repository for a user-owned one (as {@link Claims} registers it).
   */
  Optional<GitHubClient.RunnerScope> scope(Connection c, long claimId) throws SQLException {
    List<GitHubClient.RunnerScope> s = scopes(c, "where cl.id = ?", ps -> ps.setLong(1, claimId));
    return s.isEmpty() ? Optional.empty() : Optional.of(s.get(0));
  }

  /** Every place where claims created since {@code since} registered runners. */
  List<GitHubClient.RunnerScope> scopesSince(Connection c, Instant since) throws SQLException {
    return scopes(c, "where cl.created_at >= ?", ps -> setTime(ps, 1, since));
  }

  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private static List<GitHubClient.RunnerScope> scopes(Connection c, String where, Binder binder)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            // A warm claim says where its runner registered; a job claim's runner registered
            // where its job's owner is (and the runner follows jobs of that place only).
            "select distinct coalesce(j.installation_id, a.installation_id),"
                + " coalesce(cl.runner_owner, j.owner_login),"
                + " case when cl.runner_owner is null then j.repository"
                + "   else cl.runner_owner || '/' || coalesce(cl.runner_repo, '') end,"
                + " coalesce(cl.runner_org, j.owner_is_org, true)"
                + " from claims cl left join jobs j"
                + "   on j.job_id = cl.job_id and j.run_attempt = cl.run_attempt"
                + " left join accounts a on a.id = cl.account_id "
                + where)) {
      binder.bind(ps);
      // A set: rows that differ in the repository name an organisation once (one sweep each).
      java.util.Set<GitHubClient.RunnerScope> out = new java.util.LinkedHashSet<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long installation = rs.getLong(1);
          if (rs.wasNull()) {
            continue;
          }
          String repository = rs.getString(3) == null ? "" : rs.getString(3);
          int slash = repository.indexOf('/');
          String owner =
              rs.getString(2) != null
                  ? rs.getString(2)
                  : slash > 0 ? repository.substring(0, slash) : null;
          boolean org = rs.getBoolean(4);
          if (owner == null) {
            continue;
          }
          out.add(
              new GitHubClient.RunnerScope(
                  installation, owner, org ? null : repository.substring(slash + 1), org));
        }
      }
      return new ArrayList<>(out);
    }
  }

  private static Optional<ClaimState> one(Connection c, String sql, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new ClaimState(
                rs.getLong(1),
                rs.getLong(2),
                rs.getInt(3),
                rs.getString(4),
                rs.getString(5),
                rs.getString(6),
                RunnerState.of(rs.getString(7)),
                rs.getBoolean(8)));
      }
    }
  }
}
