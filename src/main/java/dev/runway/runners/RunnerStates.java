package dev.runway.runners;

import dev.runway.claims.ClaimRepository;
import dev.runway.claims.Claims;
import dev.runway.claims.PoolWakeups;
import dev.runway.claims.RunnerLoss;
import dev.runway.claims.RunnerState;
import dev.runway.jobs.JobRepository;
import dev.runway.jobs.WaitStage;
import dev.runway.jobs.WaitStages;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-claim runner state machine, kept in {@code claims.state}: {@code claimed → launching →
 * running → done}, or {@code → failed} with a reason. Whoever starts runners (the host agent
 * through {@code POST /api/v1/claims/{id}/events}, or a provisioner in-process) reports {@link
 * ClaimEvent}s here.
 *
 * <ul>
 *   <li>Every change is one conditional update on the expected previous states. A request for a
 *       state the claim is in or has passed is {@link Transition.Kind#ALREADY}, not an error; an
 *       impossible one (a {@code launching} for a failed claim, {@code done} after {@code failed})
 *       is logged with the claim id and {@link Transition.Kind#REFUSED}.
 *   <li>A runner that exits before any job ({@code failed}) and whose claim no {@code in_progress}
 *       bound releases the claim in the same transaction: the job is claimable again at once and
 *       waiting claimers of its pool are woken. Its registration is then deleted at GitHub, in the
 *       background, and {@code runway_runner_launch_failures_total{pool,reason}} counts it.
 *   <li>{@code runner_outdated} (exit code 7, or the runner's deprecated-version message) is logged
 *       loudly once per pool, with what to do.
 * </ul>
 *
 * An {@code in_progress} that names the runner moves it to {@code running} and the job's {@code
 * completed} to {@code done} ({@link ClaimRepository#bind}, {@link ClaimRepository#complete}), so a
 * runner whose starter never reports still ends up right.
 */
public final class RunnerStates {
  private static final Logger log = LoggerFactory.getLogger(RunnerStates.class);
  private static final int ATTEMPTS = 3;

  private final DataSource ds;
  private final JobRepository jobs;
  private final RunnerRegistrations registrations;
  private final RunnerMetrics metrics;
  private final Clock clock;
  private final Executor background;
  private final ClaimStateRepository repo = new ClaimStateRepository();
  private final ClaimRepository claims = new ClaimRepository();
  private final WaitStages stages;
  private final Set<String> outdatedPoolsLogged = ConcurrentHashMap.newKeySet();

  public RunnerStates(
      DataSource ds,
      JobRepository jobs,
      RunnerRegistrations registrations,
      RunnerMetrics metrics,
      Clock clock,
      Executor background) {
    this.ds = ds;
    this.jobs = jobs;
    this.registrations = registrations;
    this.metrics = metrics;
    this.stages = metrics.stages();
    this.clock = clock;
    this.background = background;
  }

  /** The claim's pool, for checking an agent's token; empty for an unknown claim. */
  public Optional<String> poolOf(long claimId) throws SQLException {
    try (Connection c = ds.getConnection()) {
      return repo.find(c, claimId).map(ClaimStateRepository.ClaimState::pool);
    }
  }

  /**
   * The claims of {@code pools} whose runner may still be starting or running ({@code claimed},
   * {@code launching}, {@code running}): what a provisioner matches its Pods against.
   */
  public List<LiveRunner> liveIn(Collection<String> pools) throws SQLException {
    if (pools.isEmpty()) {
      return List.of();
    }
    try (Connection c = ds.getConnection()) {
      return repo.liveIn(c, pools);
    }
  }

  /**
   * Records that claim {@code claimId}'s runner ended abnormally while it had a job (see {@link
   * RunnerLoss}); {@link RunnerLossReruns} decides on a rerun once the job completed.
   *
   * @return whether this was the first such observation of the claim
   */
  public boolean runnerLost(long claimId, RunnerLoss loss, boolean jobStarted) throws SQLException {
    try (Connection c = ds.getConnection()) {
      boolean first = claims.markLost(c, claimId, loss, jobStarted);
      if (first) {
        log.warn("claim {}: its runner was lost mid-job ({})", claimId, loss.label());
      }
      return first;
    }
  }

  /**
   * As {@link #record}, for a launcher's loop: null when the database did not answer, logged, and
   * the loop's next cycle reports again.
   */
  public Transition recordOrNull(long claimId, ClaimEvent event) {
    try {
      return record(claimId, event);
    } catch (SQLException e) {
      log.warn("claim {}: {} not recorded now: {}", claimId, event.target(), e.getMessage());
      return null;
    }
  }

  /** Applies {@code event} to claim {@code claimId}. */
  public Transition record(long claimId, ClaimEvent event) throws SQLException {
    if (event instanceof ClaimEvent.Exited exited) {
      if (exited.killed() == null && RunnerLoss.bySignal(exited.exitCode())) {
        // Killed by a signal its starter did not send (OOM killer, a kill -9): a loss, if it had
        // a job by then.
        runnerLost(claimId, RunnerLoss.SIGNAL, exited.jobStarted());
      }
      return exited(
          claimId,
          new End(
              exited.exitCode(),
              exited.jobStarted(),
              exited.failureReason(),
              false,
              exited.lastStderrLine()));
    }
    if (event instanceof ClaimEvent.LaunchFailed failed) {
      return exited(claimId, new End(null, false, failed.reason(), false, null));
    }
    RunnerState to = event.target();
    try (Connection c = ds.getConnection()) {
      Instant now = clock.instant();
      if (claims.move(c, claimId, to, null, null, null, now, to.predecessors())) {
        if (to == RunnerState.RUNNING) {
          // The launch stage of the claim's job ends with the first report that its runner is up.
          claims
              .markRunning(c, claimId, now)
              .filter(claim -> !claim.warm())
              .ifPresent(
                  claim -> stages.observe(claim.pool(), WaitStage.LAUNCH, claim.createdAt(), now));
        }
        return Transition.applied(to);
      }
      Optional<ClaimStateRepository.ClaimState> state = repo.find(c, claimId);
      return state.isEmpty() ? Transition.unknown() : judge(state.get(), to);
    }
  }

  /**
   * The runner is gone: {@code done} when it ran a job (by its starter's word, or because an {@code
   * in_progress} bound its claim), else {@code failed} with the release described above.
   */
  /**
   * How a runner ended, whoever reported it: {@code reason} applies if it ran no job. With {@code
   * onlyIfIdle}, nothing happens unless the claim's runner has no job (see {@link #retire}).
   */
  private record End(
      Integer exitCode,
      boolean jobStarted,
      ClaimEvent.FailureReason reason,
      boolean onlyIfIdle,
      String stderrLine) {}

  /**
   * Ends the claim of a runner that a scale-down stops ({@code failed}, {@code stopped}, the claim
   * released), but only while its runner has no job: not bound by an {@code in_progress}, and for a
   * warm claim not handed a job either. Otherwise nothing changes and the answer is {@link
   * Transition.Kind#REFUSED}: the caller keeps the runner.
   */
  public Transition retire(long claimId) throws SQLException {
    return exited(claimId, new End(null, false, ClaimEvent.FailureReason.STOPPED, true, null));
  }

  private Transition exited(long claimId, End exited) throws SQLException {
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        try {
          Optional<ExitResult> r = exitedIn(c, claimId, exited);
          if (r.isEmpty()) {
            // The claim moved to another job between the read and the job lock; read again.
            c.rollback();
            continue;
          }
          c.commit();
          after(claimId, r.get(), exited);
          return r.get().transition();
        } catch (SQLException | RuntimeException e) {
          c.rollback();
          throw e;
        }
      }
    }
    throw new SQLException("claim " + claimId + " kept moving between jobs; try again");
  }

  private record ExitResult(
      Transition transition,
      ClaimStateRepository.ClaimState claim,
      ClaimEvent.FailureReason reason,
      boolean released) {}

  /** Empty when the claim changed jobs under us; the caller retries. */
  private Optional<ExitResult> exitedIn(Connection c, long claimId, End exited)
      throws SQLException {
    Optional<ClaimStateRepository.ClaimState> peek = repo.find(c, claimId);
    if (peek.isEmpty()) {
      return Optional.of(new ExitResult(Transition.unknown(), null, null, false));
    }
    // Job lock first, then the claim row: the order the dispatch worker and the reaper use.
    jobs.lock(c, peek.get().jobId());
    ClaimStateRepository.ClaimState claim = repo.lock(c, claimId).orElseThrow();
    if (claim.jobId() != peek.get().jobId()) {
      return Optional.empty();
    }
    if (exited.onlyIfIdle()
        && (!claim.status().equals("active")
            || (claim.warm() && claim.jobId() != ClaimRepository.NO_JOB))) {
      return Optional.of(
          new ExitResult(
              Transition.refused(claim.state(), "its runner has a job"), claim, null, false));
    }
    boolean ranJob =
        exited.jobStarted() || claim.status().equals("bound") || claim.status().equals("completed");
    RunnerState to = ranJob ? RunnerState.DONE : RunnerState.FAILED;
    ClaimEvent.FailureReason reason = ranJob ? null : exited.reason();
    Instant now = clock.instant();
    boolean moved =
        claims.move(
            c,
            claimId,
            to,
            reason == null ? null : reason.label(),
            exited.exitCode(),
            exited.jobStarted(),
            now,
            to.predecessors());
    if (!moved) {
      return Optional.of(new ExitResult(judge(claim, to), claim, null, false));
    }
    if (exited.stderrLine() != null) {
      claims.stderrLine(c, claimId, exited.stderrLine());
    }
    boolean released = false;
    if (!ranJob && claim.status().equals("active")) {
      released =
          Claims.release(
              claims, jobs, c, claimId, "runner exited before a job: " + reason.label(), now);
      if (released) {
        PoolWakeups.notifyClaimable(c, claim.pool());
      }
    }
    return Optional.of(new ExitResult(Transition.applied(to), claim, reason, released));
  }

  private void after(long claimId, ExitResult r, End exited) {
    if (r.transition().kind() != Transition.Kind.APPLIED) {
      return;
    }
    ClaimStateRepository.ClaimState claim = r.claim();
    if (r.reason() == null) {
      log.info(
          "claim {} (runner {}): runner done, exit code {}",
          claimId,
          claim.runnerName(),
          exited.exitCode());
      return;
    }
    metrics.launchFailure(claim.pool(), r.reason());
    log.warn(
        "claim {} (runner {}, pool {}): runner failed before any job ({}, exit code {}){}",
        claimId,
        claim.runnerName(),
        claim.pool(),
        r.reason().label(),
        exited.exitCode(),
        r.released() && claim.jobId() != ClaimRepository.NO_JOB
            ? "; job " + claim.jobId() + "/" + claim.runAttempt() + " is claimable again"
            : "");
    if (r.reason() == ClaimEvent.FailureReason.RUNNER_OUTDATED
        && outdatedPoolsLogged.add(claim.pool())) {
      log.error(
          "pool {}: the Actions runner is outdated and GitHub will not give it jobs (exit code 7"
              + " or 'deprecated' message). Update the runner in the agent's --runner-dir (or the"
              + " pool's image) to the latest actions/runner release, and let it self-update"
              + " (do not pass --disableupdate with an old runner). Every claim of this pool"
              + " fails until then. Logged once per pool; runway_runner_launch_failures_total"
              + "{reason=\"runner_outdated\"} counts each.",
          claim.pool());
    }
    background.execute(() -> registrations.deleteQuietly(claimId));
  }

  /** Why a conditional update changed nothing: a repeat, or an impossible request. */
  private static Transition judge(ClaimStateRepository.ClaimState claim, RunnerState to) {
    if (to.reachedBy(claim.state())) {
      return Transition.already(claim.state());
    }
    String why = "claim is " + claim.state().label() + ", cannot become " + to.label();
    log.warn("claim {} (runner {}): refused: {}", claim.id(), claim.runnerName(), why);
    return Transition.refused(claim.state(), why);
  }
}
