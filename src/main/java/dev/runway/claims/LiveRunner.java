package dev.runway.claims;

import java.time.Instant;

/**
 * A claim whose runner may still be starting or running, as a provisioner sees it.
 *
 * @param bound whether an {@code in_progress} named its runner: the runner has a job
 * @param stateChangedAt when {@code state} was last set
 */
public record LiveRunner(
    long claimId, String pool, RunnerState state, boolean bound, Instant stateChangedAt) {}
