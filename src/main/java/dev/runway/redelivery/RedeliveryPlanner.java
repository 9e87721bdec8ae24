package dev.runway.redelivery;

import dev.runway.platform.github.DeliverySummary;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides which delivery attempts to redeliver: for each GUID with no successful attempt, only its
 * newest failed attempt, because redelivering older attempts of the same event would send it
 * several times. Pure: it sees the attempts it is given and nothing else, so callers must hand it
 * every attempt of the window, successes included. Shared by the CLI ({@code redeliver --failed})
 * and the in-service reconciler.
 */
public final class RedeliveryPlanner {

  /** Newest first: by delivery time, then by id, which GitHub assigns increasingly. */
  static final Comparator<DeliverySummary> NEWEST_FIRST =
      Comparator.comparing(
              DeliverySummary::deliveredAt,
              Comparator.nullsFirst(Comparator.<Instant>naturalOrder()))
          .thenComparingLong(DeliverySummary::id)
          .reversed();

  private final int maxRedeliveries;

  /**
   * @param maxRedeliveries a GUID with this many failed redeliveries is given up; {@link
   *     Integer#MAX_VALUE} never gives up
   */
  public RedeliveryPlanner(int maxRedeliveries) {
    if (maxRedeliveries < 1) {
      throw new IllegalArgumentException("maxRedeliveries must be at least 1");
    }
    this.maxRedeliveries = maxRedeliveries;
  }

  /** A planner that never gives up, for an operator who asks explicitly. */
  public static RedeliveryPlanner unbounded() {
    return new RedeliveryPlanner(Integer.MAX_VALUE);
  }

  /** One decision per GUID, GUIDs ordered by their newest attempt, newest first. */
  public List<RedeliveryDecision> plan(Collection<DeliverySummary> attempts) {
    Map<String, List<DeliverySummary>> byGuid = new LinkedHashMap<>();
    attempts.stream()
        .sorted(NEWEST_FIRST)
        .forEach(a -> byGuid.computeIfAbsent(a.guid(), g -> new ArrayList<>()).add(a));
    List<RedeliveryDecision> decisions = new ArrayList<>(byGuid.size());
    byGuid.forEach((guid, newestFirst) -> decisions.add(decide(guid, newestFirst)));
    return decisions;
  }

  /** Only the decisions to act on. */
  public List<RedeliveryDecision.Redeliver> redeliveries(Collection<DeliverySummary> attempts) {
    return plan(attempts).stream()
        .filter(RedeliveryDecision.Redeliver.class::isInstance)
        .map(RedeliveryDecision.Redeliver.class::cast)
        .toList();
  }

  private RedeliveryDecision decide(String guid, List<DeliverySummary> newestFirst) {
    for (DeliverySummary attempt : newestFirst) {
      if (attempt.succeeded()) {
        return new RedeliveryDecision.AlreadyDelivered(guid, attempt);
      }
    }
    int redeliveries = (int) newestFirst.stream().filter(DeliverySummary::redelivery).count();
    if (redeliveries >= maxRedeliveries) {
      return new RedeliveryDecision.GivenUp(guid, newestFirst.get(0), redeliveries);
    }
    return new RedeliveryDecision.Redeliver(guid, newestFirst.get(0), newestFirst.size());
  }
}
