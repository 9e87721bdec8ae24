package dev.runway.claims;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The one lock order of the claims side, for one transaction: <b>the pool, then accounts by id,
 * then jobs by id</b>. Every transaction that takes more than one of these locks goes through here
 * (accounts) or {@link dev.runway.jobs.JobRepository#lockAll} and {@link
 * dev.runway.jobs.JobRepository#lockInOrder} (jobs), so no two transactions can wait on each other
 * in a cycle.
 *
 * <ul>
 *   <li><b>Pool</b> ({@link ClaimRepository#lockPool}): first, at most one per transaction.
 *   <li><b>Accounts by id.</b> A claim steps past full accounts in the order of their oldest job,
 *       which is not the order of their ids, so an account lock is waited for only while its id is
 *       above every account this transaction already holds; below that, it is only tried ({@code
 *       pg_try_advisory_xact_lock}), and an account that another claim holds is skipped for this
 *       claim, exactly as a full one is (that claim is about to change its count anyway).
 *   <li><b>Jobs by id.</b> Dispatch locks a batch's jobs in ascending order. A job lock taken later
 *       (the runner binding writing its claim's other job) is waited for only above every job the
 *       transaction holds, and otherwise only tried; when that is busy the dispatch transaction
 *       fails with {@code 55P03} and is retried with backoff.
 *   <li>Row locks ({@code FOR UPDATE SKIP LOCKED} on job and claim rows) are taken under these and
 *       never waited for by the claim path.
 * </ul>
 *
 * <p>Account keys are {@code Long.hashCode(id)}, which is the id itself for every id below 2^31, as
 * GitHub's account ids are; ordering by the key is what makes the order total even where two ids
 * share one.
 */
final class ClaimLocks {
  private final ClaimRepository repo;
  private final Connection c;
  private long highestAccountKey = Long.MIN_VALUE;

  ClaimLocks(ClaimRepository repo, Connection c) {
    this.repo = repo;
    this.c = c;
  }

  /**
   * Takes {@code accountId}'s lock for this transaction in the lock order: waits for it when that
   * keeps the order, only tries it otherwise.
   *
   * @return whether this transaction now holds it; false only when it was held elsewhere and
   *     waiting would have broken the order
   */
  boolean account(long accountId) throws SQLException {
    long key = Long.hashCode(accountId);
    if (key > highestAccountKey) {
      repo.lockAccount(c, accountId);
      highestAccountKey = key;
      return true;
    }
    return repo.tryLockAccount(c, accountId);
  }

  /** Whether a lock query answered true; shared by the try-lock helpers. */
  static boolean firstBoolean(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() && rs.getBoolean(1);
    }
  }
}
