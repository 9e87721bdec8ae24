package dev.runway.providers;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.runway.platform.github.GitHubClient;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The runner downloads a bootstrap's {@code tools} list: GitHub's {@code GET
 * /orgs/{org}/actions/runners/downloads}, or {@code GET
 * /repos/{owner}/{repo}/actions/runners/downloads} for a repository of a user, with the
 * installation of the claim's account. Cached for an hour per place: a new runner version a day is
 * the most GitHub publishes.
 */
final class RunnerTools {
  static final Duration TTL = Duration.ofHours(1);

  private final DataSource ds;
  private final GitHubClient github;
  private final Cache<String, JsonNode> cache =
      Caffeine.newBuilder().expireAfterWrite(TTL).maximumSize(1_000).build();

  RunnerTools(DataSource ds, GitHubClient github) {
    this.ds = ds;
    this.github = github;
  }

  /** Where a claim's runner registers, and where its tools are asked for. */
  record Place(long installationId, String path, String repoUrl) {}

  /** The claim's place: its job's organisation or repository, or its warm claim's account. */
  Optional<Place> placeOf(long claimId, String webUrl) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "select a.installation_id, a.login, j.owner_login, j.owner_is_org, j.repository"
                    + " from claims cl join accounts a on a.id = cl.account_id"
                    + " left join jobs j on j.job_id = cl.job_id and j.run_attempt = cl.run_attempt"
                    + " where cl.id = ?")) {
      ps.setLong(1, claimId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next() || rs.getObject(1) == null) {
          return Optional.empty();
        }
        long installation = rs.getLong(1);
        String owner = rs.getString(3) != null ? rs.getString(3) : rs.getString(2);
        boolean org = rs.getObject(4) == null || rs.getBoolean(4);
        String repository = rs.getString(5);
        if (!org && repository != null && repository.contains("/")) {
          String repo = repository.substring(repository.indexOf('/') + 1);
          return Optional.of(
              new Place(
                  installation,
                  "/repos/"
                      + GitHubClient.pathSegment(owner)
                      + "/"
                      + GitHubClient.pathSegment(repo)
                      + "/actions/runners/downloads",
                  webUrl + "/" + owner + "/" + repo));
        }
        return Optional.of(
            new Place(
                installation,
                "/orgs/" + GitHubClient.pathSegment(owner) + "/actions/runners/downloads",
                webUrl + "/" + owner));
      }
    }
  }

  /**
   * GitHub's downloads for {@code place}, from the cache when it has them.
   *
   * @throws dev.runway.platform.github.GitHubException when GitHub does not answer
   */
  JsonNode tools(Place place) {
    return cache.get(
        place.installationId() + " " + place.path(),
        k -> {
          GitHubClient.Conditional r =
              github.getConditional(place.installationId(), place.path(), null);
          JsonNode body = r.body();
          if (body == null || !body.isArray()) {
            throw new IllegalStateException(place.path() + " did not answer a list");
          }
          return body;
        });
  }
}
