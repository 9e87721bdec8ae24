package dev.runway.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.GitHubException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;

/**
 * {@code runway audit} (issue 22 item 3): GitHub's queued and in-progress jobs, listed by the
 * sweep's own code, against Runway's {@code jobs} rows. A repair writes what the sweep would (a
 * delivery through the inbox), so dispatch decides and a row only moves forward.
 */
public final class Audit {
  /** One difference; {@code kind} is missing, stale or mismatched. */
  public record Difference(
      String kind,
      long jobId,
      int attempt,
      String repository,
      String githubStatus,
      String runwayStatus,
      long installation,
      JsonNode repo,
      JsonNode job) {}

  private static final Set<String> ACTIVE = Set.of("waiting", "queued", "in_progress");

  private final DataSource ds;
  private final Sweep sweep;

  public Audit(DataSource ds, Sweep sweep) {
    this.ds = ds;
    this.sweep = sweep.unbudgeted();
  }

  /** The installations audited: {@code only}, or every one the sweep visits. */
  public List<Long> installations(Long only) throws SQLException {
    return only != null ? List.of(only) : sweep.installations();
  }

  /** Every difference of {@code installation} for jobs created or received since {@code since}. */
  public List<Difference> differences(long installation, Instant since) throws SQLException {
    List<Difference> out = new ArrayList<>();
    Map<String, JsonNode> repos = new HashMap<>();
    Set<String> seen = new HashSet<>();
    sweep.list(
        installation,
        false,
        (repo, job) -> {
          repos.put(repo.path("full_name").asText(), repo);
          String status = job.path("status").asText("");
          if (!ACTIVE.contains(status) || before(job.path("created_at").asText(null), since)) {
            return;
          }
          long jobId = job.path("id").asLong();
          int attempt = job.path("run_attempt").asInt(1);
          seen.add(jobId + "/" + attempt);
          String runway = runwayStatus(jobId, attempt);
          String repository = repo.path("full_name").asText();
          if (runway == null) {
            out.add(
                new Difference(
                    "missing", jobId, attempt, repository, status, null, installation, repo, job));
          } else if (!agrees(status, runway)) {
            out.add(
                new Difference(
                    "mismatched",
                    jobId,
                    attempt,
                    repository,
                    status,
                    runway,
                    installation,
                    repo,
                    job));
          }
        });
    for (Row row : unfinished(installation, since)) {
      if (seen.contains(row.jobId + "/" + row.attempt)) {
        continue;
      }
      int slash = row.repository.indexOf('/');
      if (slash <= 0) {
        continue;
      }
      JsonNode job;
      try {
        job =
            sweep.getOnce(
                installation,
                "/repos/"
                    + GitHubClient.pathSegment(row.repository.substring(0, slash))
                    + "/"
                    + GitHubClient.pathSegment(row.repository.substring(slash + 1))
                    + "/actions/jobs/"
                    + row.jobId);
      } catch (GitHubException e) {
        if (e.statusCode() != 404) {
          throw e;
        }
        out.add(
            new Difference(
                "mismatched",
                row.jobId,
                row.attempt,
                row.repository,
                "not_found",
                row.status,
                installation,
                null,
                null));
        continue;
      }
      String status = job.path("status").asText("");
      JsonNode repo = repos.get(row.repository);
      if (job.path("run_attempt").asInt(row.attempt) != row.attempt || "completed".equals(status)) {
        // A later attempt on GitHub also means this attempt is over.
        out.add(
            new Difference(
                "stale",
                row.jobId,
                row.attempt,
                row.repository,
                "completed".equals(status) ? status : "superseded",
                row.status,
                installation,
                repo,
                job));
      } else if (!agrees(status, row.status)) {
        out.add(
            new Difference(
                "mismatched",
                row.jobId,
                row.attempt,
                row.repository,
                status,
                row.status,
                installation,
                repo,
                job));
      }
    }
    return out;
  }

  /**
   * Repairs a difference the way the sweep would: a missing job is written and dispatched, a stale
   * or mismatched one gets GitHub's current state (dispatch only moves it forward). Returns whether
   * a delivery was written.
   */
  public boolean fix(Difference d) throws SQLException {
    if (d.repo() == null || d.job() == null) {
      return false;
    }
    if (d.kind().equals("missing")) {
      return sweep.write(d.installation(), d.repo(), d.job());
    }
    if (d.kind().equals("stale") && !"completed".equals(d.githubStatus())) {
      return false;
    }
    return sweep.forward(d.installation(), d.repo(), d.job());
  }

  /** Whether GitHub's and Runway's statuses say the same: a claimed job may be either. */
  static boolean agrees(String github, String runway) {
    return switch (runway) {
      case "claimed" -> true;
      case "waiting", "queued" -> github.equals("waiting") || github.equals("queued");
      default -> github.equals(runway);
    };
  }

  private static boolean before(String createdAt, Instant since) {
    if (createdAt == null || since == null) {
      return false;
    }
    try {
      return Instant.parse(createdAt).isBefore(since);
    } catch (java.time.format.DateTimeParseException e) {
      return false;
    }
  }

  private String runwayStatus(long jobId, int attempt) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement("select status from jobs where job_id = ? and run_attempt = ?")) {
      ps.setLong(1, jobId);
      ps.setInt(2, attempt);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private record Row(long jobId, int attempt, String repository, String status) {}

  private List<Row> unfinished(long installation, Instant since) throws SQLException {
    List<Row> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "select job_id, run_attempt, repository, status from jobs"
                    + " where installation_id = ? and status <> 'completed'"
                    + " and repository is not null and received_at >= ?"
                    + " order by job_id, run_attempt")) {
      ps.setLong(1, installation);
      ps.setTimestamp(2, Timestamp.from(since == null ? Instant.EPOCH : since));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Row(rs.getLong(1), rs.getInt(2), rs.getString(3), rs.getString(4)));
        }
      }
    }
    return out;
  }
}
