package dev.runway.claims;

import dev.runway.jobs.JobFacts;
import dev.runway.jobs.JobListener;
import dev.runway.jobs.JobRepository;
import dev.runway.jobs.JobStatus;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Wakes long-polling claimers when dispatch changes what is claimable in a pool: a job became
 * claimable there ({@code queued} with a pool), or one ended and freed a place under the pool's and
 * its account's caps ({@code completed}). The signal is sent inside the dispatch transaction, so it
 * reaches every replica, this one included, when the job is visible.
 */
public final class ClaimableSignals implements JobListener {
  private final JobRepository jobs;

  public ClaimableSignals(JobRepository jobs) {
    this.jobs = jobs;
  }

  @Override
  public void onTransition(Connection c, JobFacts event, JobStatus status) throws SQLException {
    onTransitions(c, List.of(new Moved(event, status)));
  }

  /**
   * A dispatch batch: one query for the pools its queued and completed jobs touch, and one signal
   * per pool (a woken claimer that gets a job wakes the next, see {@link PoolWakeups}). One query
   * and one signal per job was a tenth of PostgreSQL's statements in a backlog drain.
   */
  @Override
  public void onTransitions(Connection c, List<Moved> moved) throws SQLException {
    List<long[]> keys =
        moved.stream()
            .filter(m -> m.status() == JobStatus.QUEUED || m.status() == JobStatus.COMPLETED)
            .map(m -> new long[] {m.job().jobId(), m.job().runAttempt()})
            .toList();
    if (keys.isEmpty()) {
      return;
    }
    for (String pool : jobs.claimableOrEndedPools(c, keys)) {
      PoolWakeups.notifyClaimable(c, pool);
    }
  }
}
