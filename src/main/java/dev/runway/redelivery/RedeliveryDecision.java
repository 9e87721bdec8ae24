package dev.runway.redelivery;

import dev.runway.platform.github.DeliverySummary;

/** What {@link RedeliveryPlanner} decided for one event (one GUID). */
public sealed interface RedeliveryDecision {

  /** The event's GUID, shared by its original delivery and every redelivery. */
  String guid();

  /**
   * No attempt succeeded: redeliver {@code attempt}, the newest failed one.
   *
   * @param failedAttempts how many failed attempts the GUID has in the scanned window
   */
  record Redeliver(String guid, DeliverySummary attempt, int failedAttempts)
      implements RedeliveryDecision {}

  /** Some attempt succeeded, so the receiver has the event: nothing to do. */
  record AlreadyDelivered(String guid, DeliverySummary success) implements RedeliveryDecision {}

  /**
   * Redelivered {@code redeliveries} times without success, which reached the planner's bound: left
   * alone for an operator to look at, since another attempt is unlikely to fare better.
   */
  record GivenUp(String guid, DeliverySummary newestFailed, int redeliveries)
      implements RedeliveryDecision {}
}
