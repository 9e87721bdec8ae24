package dev.runway.repos;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The read API of fair share: each repository's settings, running and queued jobs, and share, for
 * {@code runway repos list}, the UI and {@code runway_repository_running}. Lists only repositories
 * that have settings, or claimed, in-progress or claimable jobs, so its size is bounded by what
 * runs and waits now plus what an operator configured.
 */
public final class RepositoryShares {
  /**
   * One repository.
   *
   * @param account the login of the account its jobs belong to, or its owner when it has none yet
   * @param running its claimed and in-progress jobs, across all pools
   * @param queued its claimable jobs, across all pools
   * @param share running / weight: the lower, the sooner it gets the next runner of its account
   * @param atCap whether it is at its own {@code max_concurrent}: its queued jobs wait with the
   *     reason {@code repository_cap}
   * @param waitingIn the pools where it has claimable jobs
   */
  public record Share(
      String repository,
      String account,
      Integer maxConcurrent,
      double weight,
      boolean configured,
      long running,
      long queued,
      double share,
      boolean atCap,
      List<String> waitingIn) {}

  private static final String SQL =
      "with activity as ("
          + " select coalesce(j.repository, '') as repo, max(a.login) as login,"
          + "  count(*) filter (where j.status in ('claimed', 'in_progress')) as running,"
          + "  count(*) filter (where j.status = 'queued' and j.outcome is null"
          + "   and j.pool is not null) as queued,"
          + "  array_remove(array_agg(distinct j.pool) filter (where j.status = 'queued'"
          + "   and j.outcome is null), null) as pools"
          + " from jobs j left join accounts a on a.id = j.account_id"
          + " where j.status in ('queued', 'claimed', 'in_progress')"
          + " group by 1),"
          + " known as ("
          + " select coalesce(s.repository, t.repo) as repository,"
          + "  coalesce(t.login, split_part(coalesce(s.repository, t.repo), '/', 1)) as account,"
          + "  s.max_concurrent, coalesce(s.weight, 1) as weight, s.repository_key is not null as cfg,"
          + "  coalesce(t.running, 0) as running, coalesce(t.queued, 0) as queued,"
          + "  coalesce(t.pools, '{}') as pools"
          + " from repository_settings s"
          + " full join activity t on s.repository_key = lower(t.repo)"
          + " where s.repository_key is not null or t.running > 0 or t.queued > 0)"
          + " select * from known where (?::text is null or lower(account) = lower(?))"
          + " order by lower(account), lower(repository)";

  /** Every repository with settings or current jobs, of one account (by login) or all (null). */
  public List<Share> list(Connection c, String accountLogin) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SQL)) {
      ps.setString(1, accountLogin);
      ps.setString(2, accountLogin);
      List<Share> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Integer max = (Integer) rs.getObject("max_concurrent");
          double weight = rs.getDouble("weight");
          long running = rs.getLong("running");
          long queued = rs.getLong("queued");
          out.add(
              new Share(
                  rs.getString("repository"),
                  rs.getString("account"),
                  max,
                  weight,
                  rs.getBoolean("cfg"),
                  running,
                  queued,
                  running / weight,
                  max != null && running >= max,
                  List.of((String[]) rs.getArray("pools").getArray())));
        }
      }
      return out;
    }
  }

  /**
   * Whether the job is held by its repository's own cap: claimable, and its repository at its
   * {@code max_concurrent}. This is the {@code repository_cap} wait reason of a queued job; the
   * ledger's closed set of wait reasons asks it here.
   */
  public boolean heldByRepositoryCap(Connection c, long jobId, int runAttempt) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select s.max_concurrent <= (select count(*) from jobs k"
                + "  where k.account_id = j.account_id and k.status in ('claimed', 'in_progress')"
                + "  and coalesce(k.repository, '') = coalesce(j.repository, ''))"
                + " from jobs j join repository_settings s"
                + "  on s.repository_key = lower(coalesce(j.repository, ''))"
                + " where j.job_id = ? and j.run_attempt = ? and j.status = 'queued'"
                + " and j.outcome is null and s.max_concurrent is not null")) {
      ps.setLong(1, jobId);
      ps.setInt(2, runAttempt);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /**
   * In words, why {@code repository} of the account may not have one more job running ("acme/app is
   * at its cap: 4 of 4 running"), or empty when it may: the ledger's {@code repository_cap} wait
   * reason, counted as the claim counts it.
   */
  public Optional<String> atCap(Connection c, long accountId, String repository)
      throws SQLException {
    if (repository == null) {
      return Optional.empty();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "select s.max_concurrent, (select count(*) from jobs k"
                + "  where k.account_id = ? and k.status in ('claimed', 'in_progress')"
                + "  and lower(coalesce(k.repository, '')) = s.repository_key)"
                + " from repository_settings s"
                + " where s.repository_key = lower(?) and s.max_concurrent is not null")) {
      ps.setLong(1, accountId);
      ps.setString(2, repository);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        int max = rs.getInt(1);
        long running = rs.getLong(2);
        return running >= max
            ? Optional.of(repository + " is at its cap: " + running + " of " + max + " running")
            : Optional.empty();
      }
    }
  }
}
