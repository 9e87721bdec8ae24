package dev.runway.jobs;

import java.time.Instant;
import java.util.List;

/**
 * One attempt of one workflow job, as Runway tracks it. Which claim holds it is the claims' to say
 * (the live claim naming it, V38), not the job's.
 */
public record Job(
    long jobId,
    int runAttempt,
    Long runId,
    String repository,
    String ownerLogin,
    boolean ownerIsOrg,
    Long installationId,
    Long accountId,
    String name,
    String workflowName,
    List<String> labels,
    String pool,
    String status,
    String outcome,
    String outcomeDetail,
    String conclusion,
    Long runnerId,
    String runnerName,
    Instant createdAtGithub,
    Instant receivedAt,
    Instant dispatchedAt,
    Instant claimedAt,
    Instant leaseExpiresAt,
    Instant startedAt,
    Instant completedAt,
    Instant updatedAt,
    Instant inProgressAt,
    String source) {

  public JobStatus jobStatus() {
    return JobStatus.fromDb(status);
  }
}
