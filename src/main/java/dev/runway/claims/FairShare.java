package dev.runway.claims;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which job of an account a claim takes: fair share by repository (issue 23).
 *
 * <p>Among the account's claimable jobs of the pool, the claim takes the oldest job of the
 * repository with the lowest share, where a repository's share is its claimed and in-progress jobs
 * across all pools divided by its weight ({@code repository_settings.weight}, 1 when unset). Ties
 * go to the oldest job, so with no settings and no running jobs the rule is the old one (oldest
 * first). A repository at its own {@code max_concurrent} is skipped. Every count is exact because
 * the caller holds the account's lock: all claims for an account, in any pool, are serialised by
 * it, and a repository belongs to one account.
 *
 * <p>The read is a loose index scan over the account's repositories with claimable jobs in the pool
 * ({@code jobs_fair_idx}, V23), one probe per repository for its oldest job, and one pass over the
 * account's claimed and in-progress jobs (at most its cap) for the running counts: work
 * proportional to the account's repositories and cap, not to its queued jobs.
 */
final class FairShare {
  /** A repository with claimable jobs in the pool, ranked. */
  record Ranked(String repository, long running, double weight, Integer maxConcurrent) {
    boolean atCap() {
      return maxConcurrent != null && running >= maxConcurrent;
    }
  }

  /** What a pick found: a locked job, and whether a repository was skipped at its cap. */
  record Pick(Optional<ClaimRepository.Candidate> job, boolean repositoryCapped) {}

  /**
   * The account's repositories with claimable jobs in {@code pool}, lowest share first, then oldest
   * job. Repositories are compared as {@code coalesce(repository, '')}.
   */
  static final String RANK =
      "with recursive r(repo) as ("
          + " (select coalesce(repository, '') from jobs"
          + "   where status = 'queued' and outcome is null and pool = ? and account_id = ?"
          + "   order by coalesce(repository, '') limit 1)"
          + " union all"
          + " select (select coalesce(j.repository, '') from jobs j"
          + "   where j.status = 'queued' and j.outcome is null and j.pool = ? and j.account_id = ?"
          + "   and coalesce(j.repository, '') > r.repo"
          + "   order by coalesce(j.repository, '') limit 1)"
          + " from r where r.repo is not null),"
          // One pass over the account's claimed and in-progress jobs, which its cap bounds.
          + " act as (select coalesce(repository, '') as repo, count(*) as running from jobs"
          + "   where account_id = ? and status in ('claimed', 'in_progress') group by 1)"
          + " select * from (select r.repo, o.received_at, o.job_id,"
          + " coalesce(a.running, 0) as running,"
          + " coalesce(s.weight, 1) as weight, s.max_concurrent"
          + " from r"
          + " cross join lateral (select j.received_at, j.job_id from jobs j"
          + "   where j.status = 'queued' and j.outcome is null and j.pool = ? and j.account_id = ?"
          + "   and coalesce(j.repository, '') = r.repo"
          + "   order by j.received_at, j.job_id limit 1) o"
          + " left join act a on a.repo = r.repo"
          + " left join repository_settings s on s.repository_key = lower(r.repo)"
          + " where r.repo is not null) q"
          + " order by running / weight, received_at, job_id";

  /** The account's repositories with claimable jobs in {@code pool}, in the order of the rule. */
  static List<Ranked> rank(Connection c, String pool, long accountId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(RANK)) {
      bindRank(ps, pool, accountId);
      List<Ranked> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Ranked(
                  rs.getString(1), rs.getLong(4), rs.getDouble(5), (Integer) rs.getObject(6)));
        }
      }
      return out;
    }
  }

  /** Binds {@link #RANK}'s parameters (also for the bench's {@code EXPLAIN} of it). */
  static void bindRank(PreparedStatement ps, String pool, long accountId) throws SQLException {
    ps.setString(1, pool);
    ps.setLong(2, accountId);
    ps.setString(3, pool);
    ps.setLong(4, accountId);
    ps.setLong(5, accountId);
    ps.setString(6, pool);
    ps.setLong(7, accountId);
  }

  /**
   * The job the rule gives this claim, locked; rows another transaction holds (a dispatch writing
   * the job) are skipped. {@code onlyRepository}, when set, restricts the pick to that repository
   * (a user's repository-level warm runner can take only its own jobs).
   */
  static Pick pick(Connection c, String pool, long accountId, String onlyRepository)
      throws SQLException {
    boolean capped = false;
    for (Ranked r : rank(c, pool, accountId)) {
      if (onlyRepository != null && !onlyRepository.equalsIgnoreCase(r.repository())) {
        continue;
      }
      if (r.atCap()) {
        capped = true;
        continue;
      }
      Optional<ClaimRepository.Candidate> job = oldest(c, pool, accountId, r.repository());
      if (job.isPresent()) {
        return new Pick(job, capped);
      }
    }
    return new Pick(Optional.empty(), capped);
  }

  private static Optional<ClaimRepository.Candidate> oldest(
      Connection c, String pool, long accountId, String repository) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select job_id, run_attempt, account_id from jobs"
                + " where status = 'queued' and outcome is null and pool = ? and account_id = ?"
                + " and coalesce(repository, '') = ?"
                + " order by received_at, job_id limit 1 for update skip locked")) {
      ps.setString(1, pool);
      ps.setLong(2, accountId);
      ps.setString(3, repository);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(new ClaimRepository.Candidate(rs.getLong(1), rs.getInt(2), rs.getLong(3)))
            : Optional.empty();
      }
    }
  }

  private FairShare() {}
}
