package dev.runway.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runway.jobs.JobFacts;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** The parts of a {@code workflow_job} payload that dispatch uses. */
record WorkflowJobEvent(String action, JobFacts facts) {

  /**
   * Reads the event from a payload.
   *
   * @throws IllegalArgumentException when the payload has no usable {@code workflow_job.id}
   */
  public static WorkflowJobEvent parse(JsonNode root) {
    JsonNode job = root.path("workflow_job");
    if (!job.path("id").canConvertToLong()) {
      throw new IllegalArgumentException("workflow_job.id is missing");
    }
    JsonNode repo = root.path("repository");
    JsonNode owner = repo.path("owner");
    List<String> labels = new ArrayList<>();
    job.path("labels").forEach(l -> labels.add(l.asText()));
    String ownerType = text(owner.get("type"));
    JobFacts facts =
        new JobFacts(
            job.get("id").asLong(),
            job.path("run_attempt").canConvertToInt() ? job.get("run_attempt").asInt() : 1,
            longOrNull(job.get("run_id")),
            text(repo.get("full_name")),
            text(owner.get("login")),
            !"User".equals(ownerType),
            longOrNull(root.path("installation").get("id")),
            text(job.get("name")),
            text(job.get("workflow_name")),
            List.copyOf(labels),
            time(job.get("created_at")),
            longOrNull(job.get("runner_id")),
            text(job.get("runner_name")),
            text(job.get("conclusion")),
            time(job.get("started_at")),
            time(job.get("completed_at")));
    return new WorkflowJobEvent(text(root.get("action")), facts);
  }

  private static String text(JsonNode n) {
    return n == null || n.isNull() ? null : n.asText();
  }

  private static Long longOrNull(JsonNode n) {
    return n != null && n.canConvertToLong() ? n.asLong() : null;
  }

  private static Instant time(JsonNode n) {
    if (n == null || !n.isTextual()) {
      return null;
    }
    try {
      return Instant.parse(n.asText());
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
