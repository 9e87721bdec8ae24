package dev.runway.redelivery;

import dev.runway.platform.github.DeliverySummary;
import java.time.Instant;

/**
 * Which delivery attempts a command looks at. Every field may be null, meaning "any". Shared by the
 * CLI and the in-service redelivery reconciler.
 *
 * @param since attempts delivered before this are outside the window; since the list is newest
 *     first, the first one seen ends the paging
 * @param until attempts delivered after this are skipped
 * @param status checked on each item, because older GitHub Enterprise Server ignores the parameter
 * @param workflowJobId keep only {@code workflow_job} deliveries whose payload has this job id
 *     (costs one detail request per candidate)
 */
public record DeliveryFilter(
    Instant since,
    Instant until,
    String event,
    String action,
    Status status,
    String guid,
    Long workflowJobId) {

  /** Everything. */
  public static final DeliveryFilter ALL =
      new DeliveryFilter(null, null, null, null, null, null, null);

  /** Success as GitHub defines it: {@code status == "OK"} or a 2xx code. */
  public enum Status {
    SUCCESS,
    FAILURE;

    /** The value of the list API's {@code status} parameter. */
    public String apiValue() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public DeliveryFilter {
    if (since != null && until != null && until.isBefore(since)) {
      // The CLI refuses this as a usage error first; a caller that gets here has a bug.
      throw new IllegalArgumentException("--until " + until + " is before --since " + since);
    }
  }

  /** A copy without the status filter (redelivery planning needs the successes too). */
  public DeliveryFilter withoutStatus() {
    return new DeliveryFilter(since, until, event, action, null, guid, workflowJobId);
  }

  /** Whether the attempt is older than the window, which ends the paging. */
  public boolean isBeforeWindow(DeliverySummary d) {
    return since != null && d.deliveredAt() != null && d.deliveredAt().isBefore(since);
  }

  /** Whether the attempt passes every filter that the list fields can decide. */
  public boolean matches(DeliverySummary d) {
    return !isBeforeWindow(d)
        && (until == null || d.deliveredAt() == null || !d.deliveredAt().isAfter(until))
        && (event == null || event.equalsIgnoreCase(d.event()))
        && (action == null || action.equalsIgnoreCase(d.action()))
        && (status == null || (status == Status.SUCCESS) == d.succeeded())
        && (guid == null || guid.equalsIgnoreCase(d.guid()))
        && (workflowJobId == null || "workflow_job".equals(d.event()));
  }
}
