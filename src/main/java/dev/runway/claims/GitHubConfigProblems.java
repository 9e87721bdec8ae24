package dev.runway.claims;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configuration problem that last stopped claims of each pool (no GitHub App, a key GitHub
 * refuses, a missing permission), until a claim of that pool mints a runner again. The wait reason
 * {@code github_config} and the UI banner read it. Each distinct cause is logged once, not once per
 * claim, and again only after it was resolved and came back.
 *
 * <p>It is this replica's view: a replica that takes no claims knows of no problem. That is enough
 * for the answer it gives, because the agents of a pool that hit the problem keep claiming (every
 * minute at most) on whichever replica, and the UI of that replica shows it.
 */
public final class GitHubConfigProblems {
  private static final Logger log = LoggerFactory.getLogger(GitHubConfigProblems.class);

  /** What stopped a pool's claims, and since when. */
  public record Problem(String cause, Instant since) {}

  private final Map<String, Problem> byPool = new ConcurrentHashMap<>();
  private final Set<String> logged = ConcurrentHashMap.newKeySet();
  private final Clock clock;

  public GitHubConfigProblems(Clock clock) {
    this.clock = clock;
  }

  void failed(String pool, String cause) {
    byPool.compute(
        pool,
        (p, old) ->
            old != null && old.cause().equals(cause) ? old : new Problem(cause, clock.instant()));
    if (logged.add(cause)) {
      log.error(
          "claims cannot mint runners: configuration error: {} (first seen in pool {})",
          cause,
          pool);
    }
  }

  void resolved(String pool) {
    Problem gone = byPool.remove(pool);
    if (gone != null) {
      if (!byPool.values().stream().anyMatch(p -> p.cause().equals(gone.cause()))) {
        logged.remove(gone.cause());
      }
      log.info("claims of pool {} mint runners again (was: {})", pool, gone.cause());
    }
  }

  /** The pool's current problem, if its last claim that reached GitHub failed for one. */
  public Optional<Problem> of(String pool) {
    return Optional.ofNullable(byPool.get(pool));
  }

  /** Every pool with a problem, for a banner. */
  public Map<String, Problem> all() {
    return Map.copyOf(byPool);
  }
}
