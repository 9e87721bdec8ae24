package dev.runway.archleft;

import dev.runway.archright.Right;
import dev.runway.jobs.JobRepository;

/** A deliberate rule breaker: proves the architecture rules can fail. Not part of the product. */
public final class Left {
  public Right right() {
    return new Right();
  }

  /** A jobs write from outside jobs. */
  public JobRepository writer() {
    return new JobRepository();
  }
}
