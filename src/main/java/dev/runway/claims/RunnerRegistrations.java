package dev.runway.claims;

import dev.runway.github.GitHubClient;
import dev.runway.github.GitHubException;
import dev.runway.github.SelfHostedRunner;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
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
    /** GitHub has no runner of that name (already removed, or never registered). */
    NOT_FOUND,
    /** No GitHub App is configured, or the claim's job has no installation to ask with. */
    NOT_POSSIBLE,
    /** GitHub says the runner is running a job (listed {@code busy}, or the delete got a 422). */
    BUSY
  }

  /**
   * Deletes the runner registration of claim {@code claimId} at GitHub.
   *
   * @throws SQLException when the claim's scope cannot be read
   * @throws GitHubException when GitHub fails (after the client's retries)
   */
  public Deletion delete(long claimId) throws SQLException {
    if (github.isEmpty()) {
      return Deletion.NOT_POSSIBLE;
    }
    Optional<ClaimStateRepository.ClaimState> claim;
    Optional<ClaimStateRepository.Scope> scope;
    try (Connection c = ds.getConnection()) {
      claim = repo.find(c, claimId);
      scope = repo.scope(c, claimId);
    }
    if (claim.isEmpty() || scope.isEmpty()) {
      return Deletion.NOT_POSSIBLE;
    }
    ClaimStateRepository.Scope s = scope.get();
    String name = claim.get().runnerName();
    List<SelfHostedRunner> found =
        github.get().listRunners(s.installationId(), s.owner(), s.repo(), s.org(), name, 1);
    for (SelfHostedRunner r : found) {
      if (r.name().equals(name)) {
        if (r.busy()) {
          return Deletion.BUSY;
        }
        boolean deleted;
        try {
          deleted =
              github.get().deleteRunner(s.installationId(), s.owner(), s.repo(), s.org(), r.id());
        } catch (GitHubException e) {
          if (e.statusCode() == 422) {
            // GitHub refuses to delete a runner that is running a job.
            return Deletion.BUSY;
          }
          throw e;
        }
        log.info(
            "claim {}: runner registration {} (id {}) deleted at GitHub", claimId, name, r.id());
        return deleted ? Deletion.DELETED : Deletion.NOT_FOUND;
      }
    }
    return Deletion.NOT_FOUND;
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
