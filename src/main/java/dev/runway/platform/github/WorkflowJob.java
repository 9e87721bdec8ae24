package dev.runway.platform.github;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;

/**
 * A job's current state from {@code GET /repos/{owner}/{repo}/actions/jobs/{job_id}}. The runner
 * fields are null while the job is queued; {@code conclusion} is null until it completes.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record WorkflowJob(
    @JsonProperty("id") long id,
    @JsonProperty("run_id") long runId,
    @JsonProperty("run_attempt") int runAttempt,
    @JsonProperty("name") String name,
    @JsonProperty("status") String status,
    @JsonProperty("conclusion") String conclusion,
    @JsonProperty("created_at") Instant createdAt,
    @JsonProperty("started_at") Instant startedAt,
    @JsonProperty("completed_at") Instant completedAt,
    @JsonProperty("labels") List<String> labels,
    @JsonProperty("runner_id") Long runnerId,
    @JsonProperty("runner_name") String runnerName,
    @JsonProperty("runner_group_id") Long runnerGroupId) {}
