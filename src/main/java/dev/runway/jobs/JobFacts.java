package dev.runway.jobs;

import java.time.Instant;
import java.util.List;

/** Everything an event knows about a job, written on insert or merged into an update. */
public record JobFacts(
    long jobId,
    int runAttempt,
    Long runId,
    String repository,
    String ownerLogin,
    boolean ownerIsOrg,
    Long installationId,
    String name,
    String workflowName,
    List<String> labels,
    Instant createdAtGithub,
    Long runnerId,
    String runnerName,
    String conclusion,
    Instant startedAt,
    Instant completedAt) {}
