package dev.runway.runners;

import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.GitHubException;
import dev.runway.platform.github.SelfHostedRunner;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the GitHub runner registration of a claim whose runner will never run a job, so offline
 * registrations do not pile up at GitHub. The registration is found by the claim's runner name
 * ({@code runway-<pool>-<claim id>}) where {@link Claims} registered it: at the organisation, or on
 * the repository of a user-owned job.
 */
public final class RunnerRegistrations {
  private static final Logger log = LoggerFactory.getLogger(RunnerRegistrations.class);

  private final DataSource ds;
  private final Optional<GitHubClient> github;
  private final ClaimStateRepository repo = new ClaimStateRepository();

  public RunnerRegistrations(DataSource ds, Optional<GitHubClient> github) {
    this.ds = ds;
    this.github = github;
  }

  /** What {@link #delete} did. */
  public enum Deletion {
    DELETED,
    /** GitHub answered 404 for the runner's id: it is gone (removed, or never registered). */
    NOT_FOUND,
    /**
     * Nothing is known for sure: no GitHub App is configured, the claim's job has no installation
     * to ask with, or the runner's id is unknown and a list did not show it.
     */
    NOT_POSSIBLE,
    /** GitHub says the runner is running a job ({@code busy}, or the delete got a 422). */
    BUSY
  }

  /** What GitHub says of a claim's runner registration, by {@link #lookup}. */
  public enum Registration {
    /** Registered and running a job: never stop it. */
    BUSY,
    /** Registered and not running a job. */
    IDLE,
    /** A direct lookup by its id answered 404. */
    GONE,
    /** Not known: no App, no scope, GitHub failed, or no id and a list did not show it. */
    UNKNOWN
  }

  /** Where the runner registered, and GitHub's answer: its registration, or null when gone. */
  private record Found(GitHubClient.RunnerScope scope, SelfHostedRunner runner) {
    boolean gone() {
      return runner == null;
    }
  }

  /**
   * Looks the runner up where it registered: by name on GitHub's filtered list first, where the
   * list showing it is evidence enough of its registration. A list that does not show it proves
   * nothing (a page may be stale or partial), so then {@code GET .../runners/{id}} decides, and
   * only its 404 means {@link Registration#GONE}; without a recorded id (an older claim) the answer
   * is {@link Registration#UNKNOWN}.
   */
  private Optional<Found> find(long claimId) throws SQLException {
    if (github.isEmpty()) {
      return Optional.empty();
    }
    Optional<ClaimStateRepository.ClaimState> claim;
    Optional<GitHubClient.RunnerScope> scope;
    Optional<Long> runnerId;
    try (Connection c = ds.getConnection()) {
      claim = repo.find(c, claimId);
      scope = repo.scope(c, claimId);
      runnerId = repo.runnerId(c, claimId);
    }
    if (claim.isEmpty() || scope.isEmpty()) {
      return Optional.empty();
    }
    GitHubClient.RunnerScope s = scope.get();
    String name = claim.get().runnerName();
    Optional<SelfHostedRunner> listed =
        github.get().listRunners(s, name, 1).stream()
            .filter(r -> r.name().equals(name))
            .findFirst();
    if (listed.isPresent()) {
      return Optional.of(new Found(s, listed.get()));
    }
    if (runnerId.isEmpty()) {
      return Optional.empty();
    }
    // Not on the page: only the runner's own record may say it is gone.
    Optional<SelfHostedRunner> direct = github.get().getRunner(s, runnerId.get());
    return Optional.of(new Found(s, direct.orElse(null)));
  }

  /** What GitHub says of claim {@code claimId}'s runner now; never throws. */
  public Registration lookup(long claimId) {
    try {
      Optional<Found> f = find(claimId);
      if (f.isEmpty()) {
        return Registration.UNKNOWN;
      }
      if (f.get().gone()) {
        return Registration.GONE;
      }
      return f.get().runner().busy() ? Registration.BUSY : Registration.IDLE;
    } catch (SQLException | RuntimeException e) {
      log.warn("claim {}: runner registration not looked up now ({})", claimId, e.getMessage());
      return Registration.UNKNOWN;
    }
  }

  /**
   * Deletes the runner registration of claim {@code claimId} at GitHub, unless GitHub says it is
   * busy.
   *
   * @throws SQLException when the claim's scope cannot be read
   * @throws GitHubException when GitHub fails (after the client's retries)
   */
  public Deletion delete(long claimId) throws SQLException {
    Optional<Found> found = find(claimId);
    if (found.isEmpty()) {
      return Deletion.NOT_POSSIBLE;
    }
    if (found.get().gone()) {
      return Deletion.NOT_FOUND;
    }
    GitHubClient.RunnerScope s = found.get().scope();
    SelfHostedRunner r = found.get().runner();
    if (r.busy()) {
      return Deletion.BUSY;
    }
    boolean deleted;
    try {
      deleted = github.get().deleteRunner(s, r.id(), null);
    } catch (GitHubException e) {
      if (e.statusCode() == 422) {
        // GitHub refuses to delete a runner that is running a job.
        return Deletion.BUSY;
      }
      throw e;
    }
    log.info(
        "claim {}: runner registration {} (id {}) deleted at GitHub", claimId, r.name(), r.id());
    // A 404 to a DELETE by id is the same direct answer as one to a GET.
    return deleted ? Deletion.DELETED : Deletion.NOT_FOUND;
  }

  /** As {@link #delete}, logging instead of throwing: the orphan reconciler is the safety net. */
  public Deletion deleteQuietly(long claimId) {
    try {
      return delete(claimId);
    } catch (SQLException | RuntimeException e) {
      log.warn(
          "claim {}: runner registration not deleted now ({}); the orphaned-runner reconciler"
              + " will",
          claimId,
          e.getMessage());
      return Deletion.NOT_POSSIBLE;
    }
  }
}
