package dev.runway.dispatch;

import dev.runway.accounts.Account;
import dev.runway.accounts.AccountDirectory;
import dev.runway.pools.MatchResult;
import dev.runway.pools.PoolMatcher;
import dev.runway.pools.PoolSnapshot;
import dev.runway.pools.PoolSource;
import dev.runway.pools.PoolView;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Decides where a queued job belongs: its account, whether that account may run runners, and the
 * one pool whose labels match. Used for a new queued job and for a redispatch alike.
 */
final class JobEvaluator {
  /** What a queued job's account and pools say, with the account it belongs to. */
  record Evaluation(Long accountId, DispatchOutcome outcome) {}

  /** Finds the account of a job, on the caller's connection; throws when it does not answer. */
  interface AccountLookup {
    Optional<Account> lookup(Connection c, Long installationId, String ownerLogin)
        throws SQLException;
  }

  private final AccountLookup accounts;
  private final Supplier<PoolView> pools;

  JobEvaluator(AccountDirectory accounts, PoolSource pools) {
    this(accounts::lookup, pools::current);
  }

  JobEvaluator(AccountLookup accounts, Supplier<PoolView> pools) {
    this.accounts = accounts;
    this.pools = pools;
  }

  /**
   * Resolves the account (a cache miss is read on {@code c}) and matches a pool.
   *
   * @throws DispatchRetry when the database or the pool source cannot answer: unknown is not empty
   */
  Evaluation evaluate(Connection c, Long installationId, String ownerLogin, List<String> labels) {
    Optional<Account> account;
    try {
      account = accounts.lookup(c, installationId, ownerLogin);
    } catch (SQLException e) {
      throw new DispatchRetry("account lookup: " + e.getMessage(), e);
    }
    if (account.isEmpty()) {
      return new Evaluation(null, new DispatchOutcome.NoAccount(ownerLogin, installationId));
    }
    Account a = account.get();
    if (!a.runnersAllowed()) {
      String why =
          a.installationSuspended()
              ? "installation suspended"
              : !a.runnersEnabled() ? "runners disabled" : "max_concurrent is 0";
      return new Evaluation(a.id(), new DispatchOutcome.RunnersDisabled(why));
    }
    PoolSnapshot snapshot =
        pools
            .get()
            .fold(
                available -> available,
                reason -> {
                  throw new DispatchRetry("pool source unavailable: " + reason);
                });
    MatchResult match = PoolMatcher.match(labels, snapshot.pools());
    if (!snapshot.unknown().isEmpty()
        && (match instanceof MatchResult.NoPools || match instanceof MatchResult.NoMatchingPool)) {
      // A RunnerPool that was never valid may be the one this job is for: unknown, not "none".
      throw new DispatchRetry(
          "no readable pool matches, and "
              + snapshot.unknown().size()
              + " pool(s) cannot be read: "
              + describe(snapshot.unknown()));
    }
    DispatchOutcome outcome =
        match.fold(
            pool -> new DispatchOutcome.Queued(pool.name()),
            () -> new DispatchOutcome.NoPools(snapshot.source()),
            () -> new DispatchOutcome.NoMatchingPool(labels),
            DispatchOutcome.AmbiguousPool::new);
    return new Evaluation(a.id(), outcome);
  }

  private static String describe(Map<String, String> unknown) {
    StringBuilder b = new StringBuilder();
    unknown.forEach(
        (name, problem) ->
            b.append(b.length() == 0 ? "" : "; ").append(name).append(": ").append(problem));
    return b.toString();
  }
}
