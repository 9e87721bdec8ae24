package dev.runway.claims;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Which account the next warm runner of a pool is registered for.
 *
 * <p>A just-in-time runner is registered in one organisation (or on one repository of a user), and
 * GitHub hands it only jobs from there, so a warm runner is useful only to an account that will
 * queue jobs in its pool. The rule: the accounts that had jobs dispatched to the pool in the last
 * {@link #RECENT} share its {@code minIdle} in proportion to how many jobs each had, seat by seat:
 * the next runner goes to the account with the most recent jobs per idle warm runner it already
 * has, counting the new one ({@code jobs / (idle + 1)}, the D'Hondt rule), ties to the account with
 * more jobs, then to the lower account id. With no such account, no warm runner is started.
 */
public final class WarmAccounts {
  /** How far back a pool's jobs make an account one that gets warm runners. */
  public static final Duration RECENT = Duration.ofHours(24);

  private WarmAccounts() {}

  /**
   * An account with jobs in the pool lately.
   *
   * @param scope where its runners register
   * @param jobs its jobs dispatched to the pool in the last {@link #RECENT}
   * @param idle its idle warm runners in the pool now
   */
  record Recent(ClaimRepository.WarmScope scope, long jobs, int idle) {}

  /** The accounts in the order they should get the next warm runner; the caller skips full ones. */
  static List<Recent> order(List<Recent> recent) {
    List<Recent> out = new ArrayList<>(recent);
    out.sort(
        Comparator.comparingDouble((Recent r) -> -(double) r.jobs() / (r.idle() + 1))
            .thenComparing(Comparator.comparingLong(Recent::jobs).reversed())
            .thenComparingLong(r -> r.scope().accountId()));
    return out;
  }
}
