package dev.runway.runners;

import java.time.Instant;

/**
 * One rerun decision for a job whose runner was lost, as the job's page and API show it.
 *
 * @param runAttempt the attempt that failed
 * @param reason how the runner was lost ({@link RunnerLoss#label()})
 * @param conclusion the failed attempt's conclusion
 * @param result {@code requested}, {@code failed}, {@code over_budget}, {@code off}, {@code
 *     not_failed} or (briefly) {@code requesting}
 * @param detail why, in words; null when requested
 */
public record RerunAttempt(
    int runAttempt, String reason, String conclusion, String result, String detail, Instant at) {}
