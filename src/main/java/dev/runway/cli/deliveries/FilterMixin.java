package dev.runway.cli.deliveries;

import dev.runway.cli.UsageException;
import dev.runway.redelivery.DeliveryFilter;
import java.time.Instant;
import picocli.CommandLine.Option;

/**
 * The delivery filters shared by {@code list}, {@code histogram} and {@code redeliver --failed}.
 */
final class FilterMixin {

  @Option(
      names = "--since",
      paramLabel = "TIME",
      description =
          "Only deliveries at or after TIME: ISO-8601 instant or an age like 30m, 2h, 3d.")
  String since;

  @Option(
      names = "--until",
      paramLabel = "TIME",
      description = "Only deliveries at or before TIME: ISO-8601 instant or an age.")
  String until;

  @Option(names = "--event", paramLabel = "EVENT", description = "e.g. workflow_job")
  String event;

  @Option(names = "--action", paramLabel = "ACTION", description = "e.g. queued")
  String action;

  @Option(names = "--guid", paramLabel = "GUID", description = "One event's GUID.")
  String guid;

  @Option(
      names = "--workflow-job-id",
      paramLabel = "N",
      description =
          "Only workflow_job deliveries whose payload has this job id"
              + " (fetches the detail of workflow_job deliveries in the window).")
  Long workflowJobId;

  @Option(
      names = "--parallelism",
      paramLabel = "N",
      defaultValue = "8",
      description = "Detail requests in flight for --workflow-job-id (default: ${DEFAULT-VALUE}).")
  int parallelism;

  DeliveryFilter filter(Instant now, DeliveryFilter.Status status) {
    Instant from = since == null ? null : TimeSpec.parse(since, now, "--since");
    Instant to = until == null ? null : TimeSpec.parse(until, now, "--until");
    if (from != null && to != null && to.isBefore(from)) {
      throw new UsageException("--until " + to + " is before --since " + from);
    }
    return new DeliveryFilter(from, to, event, action, status, guid, workflowJobId);
  }

  /** {@code --parallelism}, refused as a usage error below 1. */
  int parallelism() {
    if (parallelism < 1) {
      throw new UsageException("--parallelism must be at least 1");
    }
    return parallelism;
  }

  boolean isEmpty() {
    return since == null
        && until == null
        && event == null
        && action == null
        && guid == null
        && workflowJobId == null;
  }
}
