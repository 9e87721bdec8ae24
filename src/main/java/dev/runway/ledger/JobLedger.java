package dev.runway.ledger;

import dev.runway.claims.GitHubConfigProblems;
import dev.runway.jobs.Job;
import dev.runway.jobs.JobRepository;
import dev.runway.platform.db.Sql;
import dev.runway.runners.Reruns;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One job's ledger: the time of each stage (from GitHub's and Runway's timestamps), the duration of
 * each stage of its wait, and why it waits. What {@code GET /api/v1/jobs/{id}} and the job page
 * show. Reads only.
 */
public final class JobLedger {
  private final JobRepository jobs;
  private final WaitReasons reasons;

  public JobLedger(JobRepository jobs, WaitReasons reasons) {
    this.jobs = jobs;
    this.reasons = reasons;
  }

  /** The job's attempt, or its latest attempt when {@code attempt} is null. */
  public Optional<Job> find(Connection c, long jobId, Integer attempt) throws SQLException {
    return attempt == null ? jobs.findLatest(c, jobId) : jobs.find(c, jobId, attempt);
  }

  /** The stage times of a job, in order, null where the job has not reached (or skipped) one. */
  public record Stages(
      Instant createdOnGithub,
      Instant received,
      Instant claimable,
      Instant claimed,
      Instant runnerStarted,
      Instant inProgress,
      Instant completed) {

    /** Each stage of the wait that has both ends, in seconds: the histogram's stages. */
    public Map<String, Double> waits() {
      Map<String, Double> out = new LinkedHashMap<>();
      put(out, "github_delay", createdOnGithub, received);
      put(out, "dispatch", received, claimable);
      put(out, "capacity", claimable, claimed);
      put(out, "launch", claimed, runnerStarted);
      put(out, "assign", runnerStarted, inProgress);
      return out;
    }

    private static void put(Map<String, Double> out, String stage, Instant from, Instant to) {
      if (from != null && to != null) {
        out.put(stage, Math.max(0, Duration.between(from, to).toMillis()) / 1000.0);
      }
    }
  }

  /**
   * The stages of {@code job}; its runner's start comes from the claim that holds it, or held it
   * when it completed (a released claim let it go).
   */
  public Stages stages(Connection c, Job job) throws SQLException {
    Instant runnerStarted = null;
    try (PreparedStatement ps =
        c.prepareStatement(
            "select running_at from claims where job_id = ? and run_attempt = ?"
                + " and status <> 'released' order by id desc limit 1")) {
      ps.setLong(1, job.jobId());
      ps.setInt(2, job.runAttempt());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          runnerStarted = Sql.instant(rs, "running_at");
        }
      }
    }
    boolean claimable = job.outcome() == null && !job.status().equals("waiting");
    return new Stages(
        job.createdAtGithub(),
        job.receivedAt(),
        claimable ? job.dispatchedAt() : null,
        job.claimedAt(),
        runnerStarted,
        job.inProgressAt(),
        job.completedAt());
  }

  /** Why {@code job} waits; empty once it runs. */
  public Optional<WaitReason> reason(Connection c, Job job) throws SQLException {
    return reasons.of(c, job);
  }

  /** The pools whose claims stop on a configuration error, with the cause: the UI's banner. */
  public Map<String, GitHubConfigProblems.Problem> configProblems() {
    return reasons.configProblems().all();
  }

  /** The job, its stages and waits, and its wait reason (null once it runs). */
  public Map<String, Object> detail(Connection c, Job job) throws SQLException {
    Stages s = stages(c, job);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("job", job);
    out.put("source", job.source());
    Map<String, Object> stages = new LinkedHashMap<>();
    stages.put("created_on_github", s.createdOnGithub());
    stages.put("received", s.received());
    stages.put("claimable", s.claimable());
    stages.put("claimed", s.claimed());
    stages.put("runner_started", s.runnerStarted());
    stages.put("in_progress", s.inProgress());
    stages.put("completed", s.completed());
    out.put("stages", stages);
    out.put("wait_seconds", s.waits());
    Optional<WaitReason> reason = reasons.of(c, job);
    out.put(
        "reason",
        reason.isEmpty()
            ? null
            : Map.of("code", reason.get().label(), "words", reason.get().words()));
    // Each rerun Runway asked for (or decided against) after a runner loss, and why.
    out.put("reruns", Reruns.of(c, job.jobId()));
    return out;
  }
}
