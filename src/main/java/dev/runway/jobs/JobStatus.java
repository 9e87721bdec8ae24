package dev.runway.jobs;

/** A job's lifecycle. The order is the only direction a job moves (but a stale claim). */
public enum JobStatus {
  WAITING,
  QUEUED,
  CLAIMED,
  IN_PROGRESS,
  COMPLETED;

  public String db() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static JobStatus fromDb(String s) {
    return valueOf(s.toUpperCase(java.util.Locale.ROOT));
  }

  /** Whether moving from this status to {@code next} is forward. */
  public boolean before(JobStatus next) {
    return ordinal() < next.ordinal();
  }
}
