package dev.runway.runners;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import dev.runway.claims.RunnerNames;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.GitHubException;
import dev.runway.platform.github.SelfHostedRunner;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the App's offline runner registrations named {@code runway-*} that belong to no live
 * claim: those of runners that died without their starter reporting, or whose deletion after a
 * failed start did not get through. A db-scheduler recurring task, so one replica at a time runs
 * it.
 *
 * <p>It looks where Runway registered runners recently (the organisations and user repositories of
 * the last {@link #LOOKBACK} of claims), deletes at most {@link #MAX_DELETES} per round, and ends
 * the round at GitHub's first rate-limit answer: the next round goes on.
 */
public final class OrphanedRunners {
  private static final Logger log = LoggerFactory.getLogger(OrphanedRunners.class);
  public static final String TASK = "orphaned-runners";
  static final Duration LOOKBACK = Duration.ofDays(7);
  static final int MAX_DELETES = 50;
  private static final int MAX_PAGES = 20;

  private final DataSource ds;
  private final GitHubClient github;
  private final Clock clock;
  private final ClaimStateRepository repo = new ClaimStateRepository();

  public OrphanedRunners(DataSource ds, GitHubClient github, Clock clock) {
    this.ds = ds;
    this.github = github;
    this.clock = clock;
  }

  public RecurringTask<Void> task(Duration interval) {
    return Tasks.recurring(TASK, Schedules.fixedDelay(interval))
        .execute((instance, ctx) -> runSafely());
  }

  private void runSafely() {
    try {
      run();
    } catch (SQLException | RuntimeException e) {
      // The next round tries again; a failed round must not end the schedule.
      log.warn("orphaned-runner round failed: {}", e.toString());
    }
  }

  /** One round; returns how many registrations it deleted. */
  public int run() throws SQLException {
    List<GitHubClient.RunnerScope> scopes;
    try (Connection c = ds.getConnection()) {
      scopes = repo.scopesSince(c, clock.instant().minus(LOOKBACK));
    }
    int deleted = 0;
    for (GitHubClient.RunnerScope s : scopes) {
      try {
        deleted += sweep(s, MAX_DELETES - deleted);
      } catch (GitHubException e) {
        if (e.rateLimited()) {
          log.info(
              "orphaned-runner round stops at GitHub's rate limit after {} deletions", deleted);
          return deleted;
        }
        log.warn("orphaned runners of {}: GitHub: {}", s.owner(), e.getMessage());
      }
      if (deleted >= MAX_DELETES) {
        break;
      }
    }
    if (deleted > 0) {
      log.info("deleted {} orphaned runner registration(s) at GitHub", deleted);
    }
    return deleted;
  }

  private int sweep(GitHubClient.RunnerScope s, int budget) throws SQLException {
    int deleted = 0;
    for (int page = 1; page <= MAX_PAGES && deleted < budget; page++) {
      List<SelfHostedRunner> runners = github.listRunners(s, null, page);
      for (SelfHostedRunner r : runners) {
        if (deleted >= budget) {
          break;
        }
        Optional<RunnerNames.Parsed> name = RunnerNames.parse(r.name());
        if (name.isEmpty() || !r.offline() || r.busy() || live(name.get().claimId())) {
          continue;
        }
        // A page of the list may be stale: the runner's own record decides, just before the
        // delete (GitHub also refuses to delete a busy one).
        Optional<SelfHostedRunner> now = github.getRunner(s, r.id());
        if (now.isEmpty() || !now.get().offline() || now.get().busy()) {
          continue;
        }
        github.deleteRunner(s, r.id(), null);
        log.info("deleted orphaned runner registration {} (id {})", r.name(), r.id());
        deleted++;
      }
      if (runners.size() < 100) {
        break;
      }
    }
    return deleted;
  }

  private boolean live(long claimId) throws SQLException {
    try (Connection c = ds.getConnection()) {
      return repo.live(c, claimId);
    }
  }
}
