package dev.runway.claims;

import dev.runway.platform.db.Database;
import dev.runway.platform.github.Deadline;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.JitConfig;
import dev.runway.pools.Pool;
import dev.runway.pools.PoolSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes warm claims: claims with no job, for the {@code minIdle} runners of a provisioned pool that
 * wait for work.
 *
 * <p>A warm claim is made in the same kind of short transaction as a job claim (the pool lock, then
 * the account's), holds one place in the pool's {@code maxRunners} and the account's {@code
 * max_concurrent} while it is idle, and goes through the same runner states. Jobs come first: none
 * is made while the pool has a claimable job, or at its cap. The account is chosen by {@link
 * WarmAccounts}. The JIT config is minted after the commit; when GitHub refuses, the claim is
 * released at once.
 *
 * <p>A job reaches a warm runner in two ways: the claim transaction hands a claimable job to an
 * idle warm claim of the job's account ({@link Claims}), or GitHub gives the runner any matching
 * job and its {@code in_progress} binds it ({@link RunnerBinding}).
 */
public final class WarmClaims {
  private static final Logger log = LoggerFactory.getLogger(WarmClaims.class);
  private static final String WORK_FOLDER = "_work";

  private final DataSource ds;
  private final ClaimRepository repo = new ClaimRepository();
  private final PoolSource pools;
  private final Optional<GitHubClient> github;
  private final Clock clock;
  private final Duration lease;
  private final Duration deadline;

  public WarmClaims(
      DataSource ds,
      PoolSource pools,
      Optional<GitHubClient> github,
      Clock clock,
      Duration lease,
      Duration deadline) {
    this.ds = ds;
    this.pools = pools;
    this.github = github;
    this.clock = clock;
    this.lease = lease;
    this.deadline = deadline;
  }

  /** Starts one warm claim in {@code poolName} if it has fewer than {@code minIdle} idle ones. */
  public WarmOutcome start(String poolName, int minIdle) {
    Optional<Pool> pool =
        pools
            .current()
            .fold(
                snapshot ->
                    snapshot.pools().stream().filter(p -> p.name().equals(poolName)).findFirst(),
                reason -> Optional.empty());
    if (pool.isEmpty() || github.isEmpty()) {
      return new WarmOutcome.NotNow(WarmOutcome.Why.UNAVAILABLE, "pool source or GitHub App");
    }
    Reserved r;
    try {
      r = reserve(pool.get(), minIdle);
    } catch (SQLException e) {
      log.warn("warm runner for pool {}: database: {}", poolName, e.getMessage());
      return new WarmOutcome.NotNow(WarmOutcome.Why.UNAVAILABLE, "database busy or unavailable");
    }
    if (r.not() != null) {
      return r.not();
    }
    ClaimRepository.WarmScope s = r.scope();
    String account = s.org() ? s.owner() : s.owner() + "/" + s.repo();
    try {
      JitConfig registered =
          github
              .get()
              .generateJitConfig(
                  new GitHubClient.RunnerScope(s.installationId(), s.owner(), s.repo(), s.org()),
                  r.claim().runnerName(),
                  pool.get().runnerGroupId(),
                  Claims.runnerLabels(pool.get()),
                  WORK_FOLDER,
                  Deadline.after(deadline));
      ClaimRepository.rememberRunnerId(ds, r.claim().id(), registered.runnerId());
      String jit = registered.encodedJitConfig();
      log.info(
          "warm claim {} in pool {}: runner {} registered for {}",
          r.claim().id(),
          poolName,
          r.claim().runnerName(),
          account);
      return new WarmOutcome.Started(r.claim().id(), r.claim().runnerName(), account, jit);
    } catch (RuntimeException e) {
      // GitHubException, a deadline or a rate limit: no runner is registered under this claim.
      release(r.claim().id());
      log.warn(
          "warm claim {} in pool {} released: GitHub did not register the runner for {}: {}",
          r.claim().id(),
          poolName,
          account,
          e.getMessage());
      return new WarmOutcome.NotNow(
          WarmOutcome.Why.UNAVAILABLE, "GitHub did not register a runner for " + account);
    }
  }

  private record Reserved(
      ClaimRepository.Claim claim, ClaimRepository.WarmScope scope, WarmOutcome.NotNow not) {
    static Reserved not(WarmOutcome.Why why, String detail) {
      return new Reserved(null, null, new WarmOutcome.NotNow(why, detail));
    }
  }

  private Reserved reserve(Pool pool, int minIdle) throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        // A runner is registered at GitHub under this claim's id once this commits.
        Database.durableCommit(c);
        Reserved r = reserveIn(c, pool, minIdle);
        c.commit();
        return r;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /**
   * Under the pool lock, then the chosen account's, in the order of {@link ClaimLocks} like {@link
   * Claims}: the counts are exact.
   */
  private Reserved reserveIn(Connection c, Pool pool, int minIdle) throws SQLException {
    repo.lockPool(c, pool.name());
    long idle = repo.idleWarmCount(c, pool.name());
    if (idle >= minIdle) {
      return Reserved.not(WarmOutcome.Why.ENOUGH, idle + " idle warm runner(s)");
    }
    if (repo.hasClaimable(c, pool.name())) {
      return Reserved.not(WarmOutcome.Why.JOBS_WAITING, "claimable jobs get the capacity first");
    }
    if (pool.maxRunners() != null && repo.activeInPool(c, pool.name()) >= pool.maxRunners()) {
      return Reserved.not(
          WarmOutcome.Why.POOL_FULL, "the pool is at its maxRunners (" + pool.maxRunners() + ")");
    }
    Instant now = clock.instant();
    var recent = repo.recentAccounts(c, pool.name(), now.minus(WarmAccounts.RECENT));
    if (recent.isEmpty()) {
      return Reserved.not(
          WarmOutcome.Why.NO_RECENT_ACCOUNT,
          "no account with runners enabled had a job dispatched to this pool in the last 24h;"
              + " a warm runner is registered for an account that did");
    }
    ClaimLocks locks = new ClaimLocks(repo, c);
    for (WarmAccounts.Recent r : WarmAccounts.order(recent)) {
      // That order is not by id: an account held out of the lock order is skipped, not waited for.
      if (locks.account(r.scope().accountId()) && repo.accountHasRoom(c, r.scope().accountId())) {
        ClaimRepository.Claim claim =
            repo.insertWarmClaim(c, r.scope(), pool.name(), now, now.plus(lease));
        return new Reserved(claim, r.scope(), null);
      }
    }
    return Reserved.not(
        WarmOutcome.Why.ACCOUNTS_FULL,
        "every account that used the pool lately is at its max_concurrent");
  }

  /** GitHub registered no runner: the claim ends, and its place is free at once. */
  private void release(long claimId) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        Instant now = clock.instant();
        if (repo.release(c, claimId, "github_error", now).isPresent()) {
          new ClaimRepository().registrationFailed(c, claimId, now);
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      // Idle warm claims have no lease; the provisioner finds it without a Pod and releases it.
      log.warn("warm claim {} not released now: {}", claimId, e.getMessage());
    }
  }
}
