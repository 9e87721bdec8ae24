package dev.runway.redelivery;

import dev.runway.platform.github.DeliverySummary;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;

/**
 * What the redelivery reconciler does about one event (one GUID) in one cycle. {@link #triage}
 * decides it from GitHub's attempts, the local inbox and the reconciler's own records; it is pure,
 * so every rule can be tested without GitHub or a database.
 */
sealed interface RedeliveryStep {

  /**
   * A redelivery GitHub accepted shows up in its list as a new attempt within seconds. Until it
   * does, the same attempt is not asked for again; after this long without a new attempt, it is
   * (and that request counts toward the bound like any other).
   */
  Duration PENDING = Duration.ofMinutes(10);

  String guid();

  /** Carries the step out through {@code actions}; false ends the cycle early. */
  boolean applyTo(Actions actions) throws SQLException;

  /** What a step can do; one method per step kind, so a new kind fails to compile until handled. */
  interface Actions {
    boolean redeliver(Redeliver step) throws SQLException;

    void giveUp(GiveUp step) throws SQLException;

    void skip(Skip step);
  }

  /**
   * Ask GitHub to redeliver {@code attempt}, the event's newest failed attempt.
   *
   * @param priorAttempts redelivery requests already made for this event
   */
  record Redeliver(String guid, DeliverySummary attempt, int priorAttempts)
      implements RedeliveryStep {
    @Override
    public boolean applyTo(Actions actions) throws SQLException {
      return actions.redeliver(this);
    }
  }

  /** Redelivered {@code attempts} times without success: report it, once, and leave it. */
  record GiveUp(String guid, DeliverySummary newestFailed, int attempts) implements RedeliveryStep {
    @Override
    public boolean applyTo(Actions actions) throws SQLException {
      actions.giveUp(this);
      return true;
    }
  }

  /**
   * Nothing to do.
   *
   * @param result the {@code runway_redeliveries_total} label, or null when the skip is the normal
   *     case and not worth counting (the event was delivered, or was given up before)
   */
  record Skip(String guid, String result) implements RedeliveryStep {
    @Override
    public boolean applyTo(Actions actions) {
      actions.skip(this);
      return true;
    }
  }

  /**
   * Decides what to do about one event.
   *
   * @param decision the planner's verdict on the event's attempts in the listed window
   * @param inInbox whether the local inbox holds the GUID, which means Runway has the event
   *     whatever GitHub recorded (it stored the delivery but answered too late, say)
   * @param record the reconciler's record of the GUID, or null if it never touched it
   */
  static RedeliveryStep triage(
      RedeliveryDecision decision,
      boolean inInbox,
      RedeliveryRepository.Row record,
      Instant now,
      int maxAttempts) {
    String guid = decision.guid();
    if (decision instanceof RedeliveryDecision.AlreadyDelivered) {
      return new Skip(guid, null);
    }
    if (inInbox) {
      return new Skip(guid, "skipped_in_inbox");
    }
    if (record != null && record.givenUp()) {
      return new Skip(guid, null);
    }
    int attempts = record == null ? 0 : record.attempts();
    if (decision instanceof RedeliveryDecision.GivenUp g) {
      return new GiveUp(guid, g.newestFailed(), Math.max(attempts, g.redeliveries()));
    }
    if (!(decision instanceof RedeliveryDecision.Redeliver r)) {
      throw new IllegalStateException("unknown decision " + decision.getClass().getSimpleName());
    }
    if (attempts >= maxAttempts) {
      return new GiveUp(guid, r.attempt(), attempts);
    }
    if (record != null
        && record.deliveryId() == r.attempt().id()
        && RedeliveryRepository.REDELIVERED.equals(record.lastResult())
        && now.isBefore(record.lastAttemptAt().plus(PENDING))) {
      return new Skip(guid, "skipped_pending");
    }
    return new Redeliver(guid, r.attempt(), attempts);
  }
}
