package dev.runway.claims;

import java.util.Locale;

/**
 * Where a claim's runner is: {@code claimed → launching → running → done}, or {@code → failed} with
 * a reason. The order is the order of the lifecycle; {@code done} and {@code failed} are both
 * terminal.
 */
public enum RunnerState {
  CLAIMED,
  LAUNCHING,
  RUNNING,
  DONE,
  FAILED;

  /** The value in {@code claims.state} and in the {@code state} label of {@code runway_runners}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean terminal() {
    return this == DONE || this == FAILED;
  }

  /** The states a transition to this state may start from. */
  public RunnerState[] predecessors() {
    return switch (this) {
      case CLAIMED -> new RunnerState[] {};
      case LAUNCHING -> new RunnerState[] {CLAIMED};
      case RUNNING -> new RunnerState[] {CLAIMED, LAUNCHING};
      case DONE, FAILED -> new RunnerState[] {CLAIMED, LAUNCHING, RUNNING};
    };
  }

  /**
   * Whether a claim in {@code current} has already been through this state (or is in it): then a
   * request for this state is a repeat, not an error. A terminal state is passed only by itself:
   * {@code failed} after {@code done} is a contradiction.
   */
  public boolean reachedBy(RunnerState current) {
    if (terminal() || current == FAILED) {
      return current == this;
    }
    return current.ordinal() >= ordinal();
  }

  public static RunnerState of(String label) {
    return valueOf(label.toUpperCase(Locale.ROOT));
  }
}
