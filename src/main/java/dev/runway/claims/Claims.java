package dev.runway.claims;

import dev.runway.db.Database;
import dev.runway.github.Deadline;
import dev.runway.github.DeadlineExceededException;
import dev.runway.github.GitHubClient;
import dev.runway.github.GitHubException;
import dev.runway.github.JitConfig;
import dev.runway.jobs.JobRepository;
import dev.runway.jobs.JobRepository.ClaimedJob;
import dev.runway.pools.Pool;
import dev.runway.pools.PoolSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims a pool's oldest claimable job for a runner agent and registers a just-in-time runner for
 * it.
 *
 * <p>The claim is one short transaction that holds no connection while GitHub is called: the pool
 * lock, then for each candidate its account's lock, the cap counts and the mark. The JIT config is
 * minted after the commit; if GitHub fails (after the client's own retries), the claim is released
 * in the same request and the job is claimable again. A crash in between leaves a claim whose lease
 * runs out, and {@link LeaseReaper} releases it.
 */
public final class Claims {
  private static final Logger log = LoggerFactory.getLogger(Claims.class);

  /** Accounts over their cap that one claim steps past before it gives up. */
  private static final int MAX_ACCOUNTS_SKIPPED = 100;

  private static final String WORK_FOLDER = "_work";

  private final DataSource ds;
  private final ClaimRepository repo;
  private final JobRepository jobs;
  private final PoolSource pools;
  private final Optional<GitHubClient> github;
  private final ClaimMetrics metrics;
  private final Clock clock;
  private final Duration lease;
  private final Duration deadline;

  /**
   * Retries releases that failed because the database was gone: without them, the job would wait
   * out the whole lease (5 minutes by default) once the database is back.
   */
  private final ScheduledExecutorService releaseRetries =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "claim-release-retry");
            t.setDaemon(true);
            return t;
          });

  private static final Duration FIRST_RELEASE_RETRY = Duration.ofMillis(500);
  private static final Duration MAX_RELEASE_RETRY = Duration.ofSeconds(5);
  private static final int MAX_RELEASE_ATTEMPTS = 60;

  /**
   * @param deadline how long one claim may take, every GitHub call, retry and wait included; past
   *     it the claim is released and the agent is told to come back
   */
  public Claims(
      DataSource ds,
      JobRepository jobs,
      PoolSource pools,
      Optional<GitHubClient> github,
      ClaimMetrics metrics,
      Clock clock,
      Duration lease,
      Duration deadline) {
    this.deadline = deadline;
    this.ds = ds;
    this.repo = new ClaimRepository();
    this.jobs = jobs;
    this.pools = pools;
    this.github = github;
    this.metrics = metrics;
    this.clock = clock;
    this.lease = lease;
  }

  /** Claims a job of {@code poolName}. The caller has authenticated the agent for that pool. */
  public ClaimOutcome claim(String poolName) {
    Deadline until = Deadline.after(deadline);
    ClaimOutcome outcome =
        pools
            .current()
            .fold(
                snapshot ->
                    snapshot.pools().stream()
                        .filter(p -> p.name().equals(poolName))
                        .findFirst()
                        .map(pool -> claimIn(pool, until))
                        .orElseGet(() -> new ClaimOutcome.UnknownPool(poolName)),
                reason -> new ClaimOutcome.Unavailable("pool source unavailable: " + reason, 5));
    outcome.metricResult().ifPresent(result -> metrics.claim(poolName, result));
    return outcome;
  }

  private ClaimOutcome claimIn(Pool pool, Deadline until) {
    if (github.isEmpty()) {
      return new ClaimOutcome.Unavailable(
          "GitHub App not configured: set RUNWAY_GITHUB_APP_ID and RUNWAY_GITHUB_PRIVATE_KEY_FILE",
          300);
    }
    Reservation r;
    try {
      r = reserve(pool);
    } catch (SQLException e) {
      log.warn("claim in pool {}: database: {}", pool.name(), e.getMessage());
      return new ClaimOutcome.Unavailable("database busy or unavailable", 5);
    }
    if (r.nothing() != null) {
      return new ClaimOutcome.Nothing(r.nothing());
    }
    ClaimedJob job = r.job();
    ClaimRepository.Claim claim = r.claim();
    JitConfig jit;
    try {
      jit = mint(pool, job, claim.runnerName(), until);
    } catch (DeadlineExceededException | RateLimitedBeyondDeadline e) {
      release(claim, job, "deadline_exceeded");
      log.warn(
          "claim {} of job {}/{} in pool {} released: {}",
          claim.id(),
          job.jobId(),
          job.runAttempt(),
          pool.name(),
          e.getMessage());
      return new ClaimOutcome.DeadlineExceeded(
          "GitHub did not register the runner within "
              + deadline.toMillis()
              + " ms (the job is claimable again)",
          5);
    } catch (GitHubException | IllegalArgumentException e) {
      release(claim, job, "github_error");
      log.warn(
          "claim {} of job {}/{} in pool {} released: GitHub did not register the runner: {}",
          claim.id(),
          job.jobId(),
          job.runAttempt(),
          pool.name(),
          e.getMessage());
      return new ClaimOutcome.GitHubFailed(
          "GitHub did not register the runner (the job is claimable again): " + e.getMessage());
    }
    RunnerRegistrations.remember(ds, claim.id(), jit.runnerId());
    metrics.queueWait(pool.name(), Duration.between(job.receivedAt(), claim.createdAt()));
    log.info(
        "job {}/{} of {} claimed in pool {} for runner {}",
        job.jobId(),
        job.runAttempt(),
        job.repository(),
        pool.name(),
        claim.runnerName());
    return new ClaimOutcome.Claimed(
        new ClaimOutcome.Job(
            job.jobId(),
            job.runAttempt(),
            job.runId(),
            job.repository(),
            job.name(),
            job.workflowName(),
            job.labels(),
            job.pool()),
        claim.id(),
        claim.runnerName(),
        jit.encodedJitConfig(),
        claim.createdAt().plus(lease));
  }

  /** Either a claimed job and its claim, or why there is none. */
  private record Reservation(
      ClaimedJob job, ClaimRepository.Claim claim, ClaimOutcome.Reason nothing) {}

  /**
   * The claim transaction. The pool lock makes the pool's count exact while it is held; each
   * candidate's account lock does the same for the account's count across pools. Locks are always
   * taken pool first, then account, so two claims never wait on each other in a cycle.
   */
  private Reservation reserve(Pool pool) throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        // A runner is registered at GitHub under this claim's id once this commits.
        Database.durableCommit(c);
        Reservation r = reserveIn(c, pool);
        c.commit();
        return r;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private Reservation reserveIn(Connection c, Pool pool) throws SQLException {
    repo.lockPool(c, pool.name());
    handToWarm(c, pool);
    if (pool.maxRunners() != null && repo.activeInPool(c, pool.name()) >= pool.maxRunners()) {
      return new Reservation(null, null, ClaimOutcome.Reason.OVER_POOL_CAP);
    }
    Set<Long> full = new HashSet<>();
    while (full.size() < MAX_ACCOUNTS_SKIPPED) {
      Optional<ClaimRepository.Candidate> candidate = repo.nextCandidate(c, pool.name(), full);
      if (candidate.isEmpty()) {
        break;
      }
      long account = candidate.get().accountId();
      repo.lockAccount(c, account);
      if (!repo.accountHasRoom(c, account)) {
        full.add(account);
        continue;
      }
      Instant now = clock.instant();
      Instant leasedUntil = now.plus(lease);
      ClaimRepository.Claim claim =
          repo.insertClaim(c, candidate.get(), pool.name(), now, leasedUntil);
      ClaimedJob job =
          jobs.markClaimed(
              c,
              candidate.get().jobId(),
              candidate.get().runAttempt(),
              claim.id(),
              now,
              leasedUntil);
      return new Reservation(job, claim, null);
    }
    return new Reservation(
        null,
        null,
        full.isEmpty() ? ClaimOutcome.Reason.EMPTY : ClaimOutcome.Reason.OVER_ACCOUNT_CAP);
  }

  /**
   * Hands claimable jobs to the pool's idle warm runners that can take them (same account, and same
   * repository for a user's repository-level runner), before any new runner is claimed for them.
   * The job becomes {@code claimed} by the warm claim, so neither this claim nor any other starts a
   * second runner for it; the warm runner is already registered and waiting, and GitHub gives it
   * the job (or another one: its {@code in_progress} then fixes the binding, as for any claim).
   * Counting idle warm runners against claimable jobs instead would leave each job claimable by
   * agents of the same pool, which would start runners for jobs a warm one covers. No cap changes:
   * the warm claim's place passes to the job it now holds.
   */
  private void handToWarm(Connection c, Pool pool) throws SQLException {
    for (ClaimRepository.IdleWarm w : repo.idleWarm(c, pool.name())) {
      Optional<ClaimRepository.Candidate> job =
          repo.candidateFor(c, pool.name(), w.accountId(), w.repository());
      if (job.isEmpty()) {
        continue;
      }
      Instant now = clock.instant();
      Instant leasedUntil = now.plus(lease);
      jobs.markClaimed(c, job.get().jobId(), job.get().runAttempt(), w.claimId(), now, leasedUntil);
      repo.assign(c, w.claimId(), job.get().jobId(), job.get().runAttempt(), leasedUntil);
      log.info(
          "job {}/{} handed to warm claim {} in pool {}",
          job.get().jobId(),
          job.get().runAttempt(),
          w.claimId(),
          pool.name());
    }
  }

  /** A rate limit that resets after the claim's deadline: the agent should come back later. */
  private static final class RateLimitedBeyondDeadline extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RateLimitedBeyondDeadline(GitHubException e) {
      super(e.getMessage(), e);
    }
  }

  private JitConfig mint(Pool pool, ClaimedJob job, String runnerName, Deadline until) {
    if (job.installationId() == null) {
      throw new IllegalArgumentException("the job's account has no GitHub App installation");
    }
    String repository = job.repository() == null ? "" : job.repository();
    int slash = repository.indexOf('/');
    String owner =
        job.ownerLogin() != null
            ? job.ownerLogin()
            : slash > 0 ? repository.substring(0, slash) : "";
    String repoName = slash >= 0 ? repository.substring(slash + 1) : repository;
    try {
      return github
          .get()
          .generateJitConfig(
              new GitHubClient.RunnerScope(job.installationId(), owner, repoName, job.ownerIsOrg()),
              runnerName,
              pool.runnerGroupId(),
              runnerLabels(pool),
              WORK_FOLDER,
              until);
    } catch (GitHubException e) {
      if (e.rateLimited()) {
        throw new RateLimitedBeyondDeadline(e);
      }
      throw e;
    }
  }

  /**
   * The runner's labels: the pool's, plus {@code self-hosted}, which every self-hosted job asks for
   * and which pool matching ignores.
   */
  static List<String> runnerLabels(Pool pool) {
    List<String> labels = new ArrayList<>();
    boolean selfHosted = false;
    for (String l : pool.labels()) {
      labels.add(l);
      selfHosted |= l.toLowerCase(Locale.ROOT).equals("self-hosted");
    }
    if (!selfHosted) {
      labels.add(0, "self-hosted");
    }
    return labels;
  }

  /**
   * Ends an active claim and puts the job it held back to {@code queued}, claimable again. The
   * caller holds the job's lock.
   *
   * @return whether the claim was active
   */
  static boolean release(
      ClaimRepository repo,
      JobRepository jobs,
      Connection c,
      long claimId,
      String reason,
      Instant now)
      throws SQLException {
    Optional<ClaimRepository.Claim> claim = repo.release(c, claimId, reason, now);
    if (claim.isEmpty()) {
      return false;
    }
    jobs.requeue(c, claimId, claim.get().jobId(), claim.get().runAttempt(), now);
    return true;
  }

  /** Releases the claim in its own transaction, under its job's lock like every job change. */
  private void release(ClaimRepository.Claim claim, ClaimedJob job, String reason) {
    releaseAttempt(claim, job, reason, 1, FIRST_RELEASE_RETRY);
  }

  private void releaseAttempt(
      ClaimRepository.Claim claim, ClaimedJob job, String reason, int attempt, Duration backoff) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        jobs.lock(c, job.jobId());
        if (release(repo, jobs, c, claim.id(), reason, clock.instant())) {
          // No runner was registered: the claim's runner state ends here, and the job is
          // claimable again.
          RunnerStates.registrationFailed(c, claim.id(), clock.instant());
          PoolWakeups.notifyClaimable(c, job.pool());
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
      if (attempt > 1) {
        log.info("claim {} released after {} attempts", claim.id(), attempt);
      }
    } catch (SQLException e) {
      if (attempt >= MAX_RELEASE_ATTEMPTS || releaseRetries.isShutdown()) {
        // The lease runs out and LeaseReaper releases it; the job waits that long.
        log.warn(
            "claim {} could not be released ({}); its lease will release it",
            claim.id(),
            e.getMessage());
        return;
      }
      if (attempt == 1) {
        log.warn(
            "claim {} could not be released now ({}); retrying until the database answers",
            claim.id(),
            e.getMessage());
      }
      Duration next = backoff.multipliedBy(2);
      releaseRetries.schedule(
          () ->
              releaseAttempt(
                  claim,
                  job,
                  reason,
                  attempt + 1,
                  next.compareTo(MAX_RELEASE_RETRY) > 0 ? MAX_RELEASE_RETRY : next),
          backoff.toMillis(),
          TimeUnit.MILLISECONDS);
    }
  }
}
