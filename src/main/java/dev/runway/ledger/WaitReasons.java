package dev.runway.ledger;

import dev.runway.claims.GitHubConfigProblems;
import dev.runway.jobs.Job;
import dev.runway.platform.db.Sql;
import dev.runway.pools.Pool;
import dev.runway.pools.PoolSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Says why each job that is not running waits ({@link WaitReason}). It reads the jobs, accounts and
 * claims tables (never writes them), the pool source's snapshot for {@code maxRunners}, and what
 * the claims saw of GitHub ({@link GitHubConfigProblems}, the seams in {@link Seams}).
 *
 * <p>A claimable job's reasons are checked in this order, the first that holds wins: the App's
 * configuration (nothing can start until it is fixed), GitHub's rate limit, the account's cap, the
 * repository's cap, the pool's {@code maxRunners}, runners that fail to start, and last a runner
 * being started or none claimed yet ({@code launching}). A claimed job is {@code launching} until
 * its runner is up, then {@code waiting_for_github} until GitHub hands it a job.
 */
public final class WaitReasons {
  /** How far back a failed runner start still makes the pool's jobs {@code launch_failing}. */
  static final Duration RECENT_FAILURES = Duration.ofMinutes(15);

  /** At most this many waiting jobs are explained per refresh; more is an incident of its own. */
  static final int MAX_ROWS = 20_000;

  /** One job that is not running yet, and why. {@code since} is when its wait began. */
  public record Waiting(
      long jobId,
      int runAttempt,
      String pool,
      String repository,
      Instant since,
      WaitReason reason) {}

  private final PoolSource pools;
  private final GitHubConfigProblems config;
  private final Seams.JitPauses pauses;
  private final Seams.RepositoryCaps repositoryCaps;
  private final Clock clock;

  public WaitReasons(
      PoolSource pools,
      GitHubConfigProblems config,
      Seams.JitPauses pauses,
      Seams.RepositoryCaps repositoryCaps,
      Clock clock) {
    this.pools = pools;
    this.config = config;
    this.pauses = pauses;
    this.repositoryCaps = repositoryCaps;
    this.clock = clock;
  }

  GitHubConfigProblems configProblems() {
    return config;
  }

  /** A job row as the reasons read it. */
  record Row(
      long jobId,
      int runAttempt,
      String pool,
      String status,
      String outcome,
      String outcomeDetail,
      Long accountId,
      Long installationId,
      String repository,
      Long claimId,
      Instant receivedAt,
      Instant createdAtGithub) {
    /**
     * The wait began when GitHub created the job, or when Runway heard of it if that is earlier.
     */
    Instant since() {
      return createdAtGithub != null && createdAtGithub.isBefore(receivedAt)
          ? createdAtGithub
          : receivedAt;
    }
  }

  private static final String ROW_COLUMNS =
      "job_id, run_attempt, pool, status, outcome, outcome_detail, account_id, installation_id,"
          + " repository, received_at, created_at_github,"
          // The live claim naming the job is its holder (at most one, V38).
          + " (select h.id from claims h where h.job_id = jobs.job_id"
          + "   and h.run_attempt = jobs.run_attempt and h.status in ('active', 'bound')"
          + "   order by h.id desc limit 1) as claim_id";

  /** Every job that waits (waiting, queued or claimed), with its reason. */
  public List<Waiting> all(Connection c) throws SQLException {
    List<Row> rows = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "select "
                + ROW_COLUMNS
                + " from jobs where status in ('waiting', 'queued', 'claimed')"
                + " order by received_at limit ?")) {
      ps.setInt(1, MAX_ROWS);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(row(rs));
        }
      }
    }
    return explain(c, rows);
  }

  /** Why {@code job} waits; empty when it does not (in progress or completed). */
  public Optional<WaitReason> of(Connection c, Job job) throws SQLException {
    Row row =
        new Row(
            job.jobId(),
            job.runAttempt(),
            job.pool(),
            job.status(),
            job.outcome(),
            job.outcomeDetail(),
            job.accountId(),
            job.installationId(),
            job.repository(),
            holderOf(c, job.jobId(), job.runAttempt()),
            job.receivedAt(),
            job.createdAtGithub());
    List<Waiting> w = explain(c, List.of(row));
    return w.isEmpty() ? Optional.empty() : Optional.of(w.get(0).reason());
  }

  /** The live claim naming the job, its holder (at most one, V38), or null. */
  private static Long holderOf(Connection c, long jobId, int attempt) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select id from claims where job_id = ? and run_attempt = ?"
                + " and status in ('active', 'bound') order by id desc limit 1")) {
      ps.setLong(1, jobId);
      ps.setInt(2, attempt);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  private static Row row(ResultSet rs) throws SQLException {
    return new Row(
        rs.getLong("job_id"),
        rs.getInt("run_attempt"),
        rs.getString("pool"),
        rs.getString("status"),
        rs.getString("outcome"),
        rs.getString("outcome_detail"),
        (Long) rs.getObject("account_id"),
        (Long) rs.getObject("installation_id"),
        rs.getString("repository"),
        (Long) rs.getObject("claim_id"),
        Sql.instant(rs, "received_at"),
        Sql.instant(rs, "created_at_github"));
  }

  private List<Waiting> explain(Connection c, List<Row> rows) throws SQLException {
    List<Row> open =
        rows.stream()
            .filter(r -> List.of("waiting", "queued", "claimed").contains(r.status()))
            .toList();
    if (open.isEmpty()) {
      return List.of();
    }
    Facts facts = Facts.load(c, open, clock.instant().minus(RECENT_FAILURES));
    Map<String, Pool> byName = new HashMap<>();
    pools
        .current()
        .fold(s -> s.pools(), reason -> List.<Pool>of())
        .forEach(p -> byName.put(p.name(), p));
    List<Waiting> out = new ArrayList<>(open.size());
    for (Row r : open) {
      out.add(
          new Waiting(
              r.jobId(),
              r.runAttempt(),
              r.pool(),
              r.repository(),
              r.since(),
              reason(c, r, facts, byName)));
    }
    return out;
  }

  private WaitReason reason(Connection c, Row r, Facts f, Map<String, Pool> byName)
      throws SQLException {
    if (r.status().equals("waiting")) {
      return new WaitReason.WaitingForGitHub(
          "GitHub holds the job (waiting): a deployment protection rule or an approval");
    }
    if (r.status().equals("claimed")) {
      ClaimFacts claim = r.claimId() == null ? null : f.claims.get(r.claimId());
      if (claim != null && claim.state().equals("running")) {
        return new WaitReason.WaitingForGitHub(
            "runner "
                + claim.runnerName()
                + " is up since "
                + claim.runningAt()
                + "; GitHub has not given it a job yet");
      }
      return new WaitReason.Launching(
          claim == null
              ? "claimed; its runner is being started"
              : "runner " + claim.runnerName() + " is being started (" + claim.state() + ")");
    }
    // queued
    if (r.outcome() != null) {
      return new WaitReason.Ignored(r.outcome(), r.outcomeDetail());
    }
    String pool = r.pool();
    Optional<GitHubConfigProblems.Problem> problem = config.of(pool);
    if (problem.isPresent()) {
      return new WaitReason.GitHubConfig(problem.get().cause());
    }
    if (r.installationId() != null) {
      Optional<Instant> paused = pauses.pausedUntil(r.installationId());
      if (paused.isPresent() && paused.get().isAfter(clock.instant())) {
        return new WaitReason.GitHubRateLimited(paused.get());
      }
    }
    if (r.accountId() != null) {
      long[] cap = f.accounts.get(r.accountId());
      if (cap != null && cap[0] >= cap[1]) {
        return new WaitReason.AccountCap(cap[0], cap[1]);
      }
      Optional<String> repositoryCap = repositoryCaps.atCap(c, r.accountId(), r.repository());
      if (repositoryCap.isPresent()) {
        return new WaitReason.RepositoryCap(repositoryCap.get());
      }
    }
    Pool p = byName.get(pool);
    long active = f.poolActive.getOrDefault(pool, 0L);
    if (p != null && p.maxRunners() != null && active >= p.maxRunners()) {
      return new WaitReason.PoolFull(pool, active, p.maxRunners());
    }
    Failure failure = f.failures.get(pool);
    if (failure != null) {
      return new WaitReason.LaunchFailing(pool, failure.reason(), failure.at());
    }
    long starting = f.poolStarting.getOrDefault(pool, 0L);
    return new WaitReason.Launching(
        starting > 0
            ? starting + " runner(s) of pool " + pool + " are being started"
            : "claimable in pool " + pool + ", which has room; no runner has claimed it yet");
  }

  private record ClaimFacts(String state, String runnerName, Instant runningAt) {}

  private record Failure(String reason, Instant at) {}

  /** What the reasons of a set of rows need, in a handful of queries. */
  private static final class Facts {
    /** account id → {running (claimed, in progress and idle warm), max_concurrent}. */
    final Map<Long, long[]> accounts = new HashMap<>();

    /** pool → claimed, in progress and idle warm: what maxRunners counts. */
    final Map<String, Long> poolActive = new HashMap<>();

    /** pool → claims whose runner is claimed or launching and took no job. */
    final Map<String, Long> poolStarting = new HashMap<>();

    /** claim id → its runner. */
    final Map<Long, ClaimFacts> claims = new HashMap<>();

    /** pool → the latest failed runner start since the window, when no runner came up after it. */
    final Map<String, Failure> failures = new HashMap<>();

    static Facts load(Connection c, List<Row> rows, Instant recent) throws SQLException {
      Facts f = new Facts();
      Long[] accountIds =
          rows.stream()
              .map(Row::accountId)
              .filter(Objects::nonNull)
              .distinct()
              .toArray(Long[]::new);
      String[] pools =
          rows.stream().map(Row::pool).filter(Objects::nonNull).distinct().toArray(String[]::new);
      Long[] claimIds =
          rows.stream().map(Row::claimId).filter(Objects::nonNull).distinct().toArray(Long[]::new);
      if (accountIds.length > 0) {
        // The same count as the claim's cap check (ClaimRepository.accountHasRoom).
        try (PreparedStatement ps =
            c.prepareStatement(
                "select a.id, a.max_concurrent,"
                    + " (select count(*) from jobs j where j.account_id = a.id"
                    + "   and j.status in ('claimed', 'in_progress'))"
                    + " + (select count(*) from claims w where w.account_id = a.id and w.warm"
                    + "   and w.status = 'active' and w.job_id is null)"
                    + " from accounts a where a.id = any (?)")) {
          ps.setArray(1, c.createArrayOf("bigint", accountIds));
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              f.accounts.put(rs.getLong(1), new long[] {rs.getLong(3), rs.getLong(2)});
            }
          }
        }
      }
      if (pools.length > 0) {
        // The same count as the claim's maxRunners check (ClaimRepository.activeInPool).
        try (PreparedStatement ps =
            c.prepareStatement(
                "select p, (select count(*) from jobs where pool = p"
                    + "   and status in ('claimed', 'in_progress'))"
                    + " + (select count(*) from claims w where w.pool = p and w.warm"
                    + "   and w.status = 'active' and w.job_id is null),"
                    + " (select count(*) from claims s where s.pool = p"
                    + "   and s.state in ('claimed', 'launching') and s.status = 'active')"
                    + " from unnest(?::text[]) as t(p)")) {
          ps.setArray(1, c.createArrayOf("text", pools));
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              f.poolActive.put(rs.getString(1), rs.getLong(2));
              f.poolStarting.put(rs.getString(1), rs.getLong(3));
            }
          }
        }
        try (PreparedStatement ps =
            c.prepareStatement(
                "select distinct on (pool) pool, state_reason, state_changed_at from claims"
                    + " where pool = any (?) and state = 'failed' and state_changed_at >= ?"
                    + " and not exists (select 1 from claims r where r.pool = claims.pool"
                    + "   and r.running_at >= claims.state_changed_at)"
                    + " order by pool, state_changed_at desc")) {
          ps.setArray(1, c.createArrayOf("text", pools));
          Sql.setTime(ps, 2, recent);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              String reason = rs.getString(2);
              f.failures.put(
                  rs.getString(1),
                  new Failure(
                      reason == null ? "no reason given" : reason,
                      Sql.instant(rs, "state_changed_at")));
            }
          }
        }
      }
      if (claimIds.length > 0) {
        try (PreparedStatement ps =
            c.prepareStatement(
                "select id, state, runner_name, running_at from claims where id = any (?)")) {
          ps.setArray(1, c.createArrayOf("bigint", claimIds));
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              f.claims.put(
                  rs.getLong(1),
                  new ClaimFacts(rs.getString(2), rs.getString(3), Sql.instant(rs, "running_at")));
            }
          }
        }
      }
      return f;
    }
  }

  static Collection<String> labels() {
    return List.of(
        "account_cap",
        "pool_full",
        "launching",
        "launch_failing",
        "waiting_for_github",
        "github_config",
        "github_rate_limited",
        "repository_cap",
        "ignored:<outcome>");
  }
}
