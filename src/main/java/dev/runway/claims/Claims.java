// Over 400 lines because the claim transaction and what follows it (the mint at GitHub, each way it
// can fail, the release and its retries) read best as one story; each step is a short method.
package dev.runway.claims;

import dev.runway.jobs.JobRepository;
import dev.runway.jobs.JobRepository.ClaimedJob;
import dev.runway.jobs.WaitStage;
import dev.runway.platform.db.Database;
import dev.runway.platform.github.Deadline;
import dev.runway.platform.github.DeadlineExceededException;
import dev.runway.platform.github.GitHubBusyException;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.GitHubException;
import dev.runway.platform.github.JitConfig;
import dev.runway.platform.retry.Backoff;
import dev.runway.pools.Pool;
import dev.runway.pools.PoolSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims a job of a pool for a runner agent and registers a just-in-time runner for it: the account
 * of the pool's oldest claimable job that has room, and inside it the job of the fair-share rule
 * ({@link ClaimRepository#claim}).
 *
 * <p>The claim is one short transaction, one statement and its commit, that holds no connection
 * while GitHub is called: the pool lock, then for each candidate its account's lock, the cap counts
 * and the mark. The JIT config is minted after the commit; if GitHub fails (after the client's own
 * retries), the claim is released in the same request and the job is claimable again. A crash in
 * between leaves a claim whose lease runs out, and {@link LeaseReaper} releases it.
 */
public final class Claims implements AutoCloseable {
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
  private final GitHubConfigProblems configProblems;

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

  private static final String RATE_LIMITED = "github_rate_limited";

  /** What a claim that found GitHub busy is told to wait: slots free within one request. */
  private static final long BUSY_RETRY_AFTER_SECONDS = 2;

  /** What a rate-limited claim is told to wait when GitHub named no reset. */
  private static final long UNHINTED_RETRY_AFTER_SECONDS = 60;

  /** The end reason of a claim whose commit failed in a way that may have committed. */
  static final String COMMIT_IN_DOUBT = "commit_in_doubt";

  private static final Backoff RELEASE_RETRY =
      new Backoff(Duration.ofMillis(500), Duration.ofSeconds(5));
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
    this.configProblems = new GitHubConfigProblems(clock);
  }

  /** The configuration problems that stop this replica's claims, by pool (wait reasons, the UI). */
  public GitHubConfigProblems configProblems() {
    return configProblems;
  }

  /**
   * Stops the release retries. A release still waiting for the database is dropped: its claim's
   * lease releases it ({@link LeaseReaper}), as after a crash.
   */
  @Override
  public void close() {
    int dropped = releaseRetries.shutdownNow().size();
    if (dropped > 0) {
      log.info("{} claim release(s) left to their leases at shutdown", dropped);
    }
  }

  /** Whether {@link #close} has stopped the release retries' thread. */
  boolean closed() {
    return releaseRetries.isTerminated();
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
      configProblems.failed(pool.name(), NO_APP);
      return new ClaimOutcome.ConfigError(NO_APP, CONFIG_RETRY_SECONDS);
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
    // The claim committed: the job's capacity stage (claimable → claimed) is over, whatever GitHub
    // answers next (a failed mint makes it claimable again, and its next claim ends it again).
    metrics
        .stages()
        .observe(pool.name(), WaitStage.CAPACITY, job.dispatchedAt(), claim.createdAt());
    JitConfig jit;
    try {
      jit = mint(pool, job, claim.runnerName(), until);
    } catch (GitHubBusyException e) {
      released(claim, job, pool, "github_busy", e.getMessage());
      return new ClaimOutcome.GitHubHeld(
          ClaimOutcome.Hold.BUSY,
          "GitHub busy: Runway's GitHub requests are all in flight (the job is claimable again)",
          BUSY_RETRY_AFTER_SECONDS);
    } catch (RateLimitedBeyondDeadline e) {
      release(claim, job, RATE_LIMITED);
      long retryAfter = retryAfterPause(job.installationId());
      // Not logged per claim while the pause lasts: the pause itself is logged once, where it
      // starts, and shown in runway_github_paused.
      log.debug("claim {} released: {}", claim.id(), e.getMessage());
      return new ClaimOutcome.GitHubHeld(
          ClaimOutcome.Hold.RATE_LIMITED,
          "GitHub's rate limit pauses runner registration for this installation; retry after "
              + retryAfter
              + " s (the job is claimable again)",
          retryAfter);
    } catch (DeadlineExceededException e) {
      released(claim, job, pool, "deadline_exceeded", e.getMessage());
      return new ClaimOutcome.DeadlineExceeded(
          "GitHub did not register the runner within "
              + deadline.toMillis()
              + " ms (the job is claimable again)",
          5);
    } catch (GitHubException e) {
      Optional<String> cause = configCause(e);
      if (cause.isEmpty()) {
        return gitHubFailed(pool, job, claim, e);
      }
      release(claim, job, "github_config");
      configProblems.failed(pool.name(), cause.get());
      return new ClaimOutcome.ConfigError(cause.get(), CONFIG_RETRY_SECONDS);
    } catch (IllegalArgumentException e) {
      return gitHubFailed(pool, job, claim, e);
    }
    ClaimRepository.rememberRunnerId(ds, claim.id(), jit.runnerId());
    configProblems.resolved(pool.name());
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

  /** Releases the claim GitHub did not register a runner for, and says why once. */
  private void released(
      ClaimRepository.Claim claim, ClaimedJob job, Pool pool, String reason, String why) {
    release(claim, job, reason);
    log.warn(
        "claim {} of job {}/{} in pool {} released: {}",
        claim.id(),
        job.jobId(),
        job.runAttempt(),
        pool.name(),
        why);
  }

  private ClaimOutcome gitHubFailed(
      Pool pool, ClaimedJob job, ClaimRepository.Claim claim, RuntimeException e) {
    released(
        claim, job, pool, "github_error", "GitHub did not register the runner: " + e.getMessage());
    return new ClaimOutcome.GitHubFailed(
        "GitHub did not register the runner (the job is claimable again): " + e.getMessage());
  }

  /** Why claims cannot mint runners at all, in words: {@code RUNWAY_GITHUB_APP_*} is unset. */
  static final String NO_APP =
      "no GitHub App configured: set RUNWAY_GITHUB_APP_ID and RUNWAY_GITHUB_PRIVATE_KEY_FILE";

  /**
   * How soon an agent comes back after a configuration error: soon enough that a fix shows within a
   * minute, seldom enough that a broken setup costs little.
   */
  static final long CONFIG_RETRY_SECONDS = 60;

  /**
   * The configuration problem a refusal of GitHub's stands for, if it is one: a 401 (GitHub does
   * not accept the App's JWT: a wrong key or App id), or a 403 that is not a rate limit (the App or
   * its installation lacks a permission). Other failures are GitHub's own and stay {@code
   * github_error}. The words come from GitHub's answer and the call, never from a credential.
   */
  static Optional<String> configCause(GitHubException e) {
    if (e.rateLimited()) {
      return Optional.empty();
    }
    String call = e.method() + " " + e.path();
    if (e.statusCode() == 401) {
      return Optional.of(
          "GitHub refused the App's credentials (401 on "
              + call
              + "): check RUNWAY_GITHUB_APP_ID and that the private key is the App's current one");
    }
    if (e.statusCode() == 403) {
      return Optional.of(
          "GitHub refused "
              + call
              + " (403): the App or its installation lacks a permission (organization"
              + " self-hosted runners: write for an organisation, administration: write for a"
              + " user's repository), or the owner has not accepted it");
    }
    return Optional.empty();
  }

  /** Either a claimed job and its claim, or why there is none. */
  /**
   * What one claim transaction decided; {@code written} names the claims it wrote (the new one, and
   * warm ones handed a job), whose flush the caller awaits.
   */
  record Reservation(
      ClaimedJob job,
      ClaimRepository.Claim claim,
      ClaimOutcome.Reason nothing,
      List<Long> written) {}

  /**
   * The claim transaction. The pool lock makes the pool's count exact while it is held; each
   * candidate's account lock does the same for the account's count across pools, and for its
   * repositories' counts. Locks follow the one order of {@link ClaimLocks} (pool, accounts by id,
   * jobs by id), so two claims never wait on each other in a cycle.
   */
  Reservation reserve(Pool pool) throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      Reservation r = null;
      try {
        // The claim's SQL makes this commit durable: a runner is registered at GitHub under the
        // claim's id once it commits.
        r = reserveIn(c, pool);
        // Returns once the commit is written, its locks released (V37); the flush is awaited here,
        // before anyone is told of the claim.
        c.commit();
        if (!r.written().isEmpty()) {
          repo.awaitDurable(c, r.written());
        }
        return r;
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // The connection is broken: the server rolled back, or had already committed.
        }
        if (r != null && r.claim() != null) {
          releaseInDoubt(r);
        }
        throw e;
      }
    }
  }

  /**
   * The commit of a claim failed, and may still have landed: the connection can break after the
   * server committed (a database killed mid-commit). Nobody got the claim's answer, so nobody will
   * start its runner; left alone, the job would wait for the lease (minutes). The claim is released
   * as soon as the database answers, on the release retries' thread; when the commit did not land
   * there is no such claim and the release does nothing.
   */
  private void releaseInDoubt(Reservation r) {
    try {
      releaseRetries.schedule(
          () -> releaseAttempt(r.claim(), r.job(), COMMIT_IN_DOUBT, 1, RELEASE_RETRY.first()),
          RELEASE_RETRY.first().toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException stopping) {
      // Stopping: the lease releases it, as after a crash.
    }
  }

  /**
   * The claim, decided in one round trip ({@link ClaimRepository#claim}). Idle warm runners of the
   * pool take claimable jobs first, each by the same fair-share rule under its account's lock, so
   * no agent starts a second runner for a job a warm one covers; the warm claim's place passes to
   * the job, so no cap changes. Its runner is registered and waiting already, and GitHub gives it
   * the job (or another one: its {@code in_progress} then fixes the binding, as for any claim).
   */
  private Reservation reserveIn(Connection c, Pool pool) throws SQLException {
    Instant now = clock.instant();
    ClaimRepository.Decision d = repo.claim(c, pool, now, now.plus(lease), MAX_ACCOUNTS_SKIPPED);
    for (ClaimRepository.Handoff h : d.handoffs()) {
      log.info(
          "job {}/{} handed to warm claim {} in pool {}",
          h.jobId(),
          h.runAttempt(),
          h.claimId(),
          pool.name());
    }
    List<Long> written = new ArrayList<>();
    d.handoffs().forEach(h -> written.add(h.claimId()));
    if (d.claim() != null) {
      written.add(d.claim().id());
    }
    return new Reservation(d.job(), d.claim(), d.nothing(), written);
  }

  /** A rate limit that resets after the claim's deadline: the agent should come back later. */
  private static final class RateLimitedBeyondDeadline extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RateLimitedBeyondDeadline(GitHubException e) {
      super(e.getMessage(), e);
    }
  }

  /**
   * Seconds until the pause that held this claim ends: the installation's, or the App's when the
   * installation token could not be fetched.
   */
  private long retryAfterPause(Long installationId) {
    GitHubClient client = github.get();
    Optional<Instant> until =
        installationId == null ? Optional.empty() : client.pausedUntil(installationId);
    Optional<Instant> app = client.appPausedUntil();
    if (until.isEmpty() || (app.isPresent() && app.get().isAfter(until.get()))) {
      until = app;
    }
    return until
        .map(u -> Math.max(1, (Duration.between(clock.instant(), u).toMillis() + 999) / 1000))
        .orElse(UNHINTED_RETRY_AFTER_SECONDS);
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
  public static boolean release(
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
    // It was active, so it held the job it names (claims_one_holder_per_job, V38).
    if (claim.get().hasJob()) {
      jobs.requeue(c, claim.get().jobId(), claim.get().runAttempt(), now);
    }
    return true;
  }

  /** Releases the claim in its own transaction, under its job's lock like every job change. */
  private void release(ClaimRepository.Claim claim, ClaimedJob job, String reason) {
    releaseAttempt(claim, job, reason, 1, RELEASE_RETRY.first());
  }

  private void releaseAttempt(
      ClaimRepository.Claim claim, ClaimedJob job, String reason, int attempt, Duration backoff) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        // Durable, as the claim it undoes: the main pool commits asynchronously, and a release
        // lost with a crashed server would leave its job claimed, by a claim nobody holds, until
        // the lease (ClaimsOutageDrillIT saw exactly that: the release committed 12 ms before
        // PostgreSQL was killed, and the job came back claimed).
        Database.durableCommit(c);
        jobs.lock(c, job.jobId());
        if (release(repo, jobs, c, claim.id(), reason, clock.instant())) {
          // No runner was registered: the claim's runner state ends here, and the job is
          // claimable again.
          new ClaimRepository().registrationFailed(c, claim.id(), clock.instant());
          if (!reason.equals(RATE_LIMITED)) {
            // Not while GitHub's rate limit holds the installation: a woken claimer would only
            // meet the same pause and wake the next, through every waiter. The periodic re-check
            // finds the job once the pause is over.
            PoolWakeups.notifyClaimable(c, job.pool());
          }
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
      Duration next = RELEASE_RETRY.after(backoff);
      releaseRetries.schedule(
          () -> releaseAttempt(claim, job, reason, attempt + 1, next),
          backoff.toMillis(),
          TimeUnit.MILLISECONDS);
    }
  }
}
