package dev.runway.runners;

import dev.runway.claims.RunnerState;

/**
 * What a request for a runner state change came to.
 *
 * @param state the claim's state afterwards (null for an unknown claim)
 * @param detail for a refusal, why
 */
public record Transition(Kind kind, RunnerState state, String detail) {

  /** The four ways a transition ends. */
  public enum Kind {
    /** The claim moved to the requested state. */
    APPLIED,
    /** The claim was already there, or past it: a repeat, not an error. */
    ALREADY,
    /** The claim is in a state from which the request is impossible; nothing changed. */
    REFUSED,
    /** No such claim. */
    UNKNOWN_CLAIM
  }

  static Transition applied(RunnerState s) {
    return new Transition(Kind.APPLIED, s, null);
  }

  static Transition already(RunnerState s) {
    return new Transition(Kind.ALREADY, s, null);
  }

  static Transition refused(RunnerState s, String why) {
    return new Transition(Kind.REFUSED, s, why);
  }

  static Transition unknown() {
    return new Transition(Kind.UNKNOWN_CLAIM, null, null);
  }
}
