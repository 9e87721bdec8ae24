package dev.runway.pools;

import java.util.List;
import java.util.Objects;

/**
 * A pool of self-hosted runners that jobs can be dispatched to.
 *
 * <p>Validated on construction so that every {@code Pool} a source hands out is usable: the name is
 * not blank, the labels are non-blank strings (the list may be empty), {@code maxRunners} is either
 * absent or at least 1, and {@code runnerGroupId} is at least 1. Both pool sources turn the {@link
 * IllegalArgumentException} into their own "invalid pool" handling.
 *
 * @param name unique name of the pool (the Kubernetes resource name, or the {@code name} key)
 * @param labels the runner labels the pool offers, as written; matching ignores case
 * @param maxRunners optional cap on concurrently claimed jobs in this pool, {@code null} for none
 * @param runnerGroupId the GitHub runner group the pool's just-in-time runners join
 * @param rerunOnRunnerLoss how many times Runway asks GitHub to rerun a job of this pool that
 *     failed or was cancelled because Runway saw its runner end abnormally mid-job (0: never)
 * @param provider for a provider pool, the GARM-compatible executable that starts one machine per
 *     claim; null for a pool whose runners agents or Pods start
 */
public record Pool(
    String name,
    List<String> labels,
    Integer maxRunners,
    long runnerGroupId,
    int rerunOnRunnerLoss,
    ProviderSpec provider) {

  /** The runner group GitHub calls "Default". */
  public static final long DEFAULT_RUNNER_GROUP_ID = 1;

  public Pool {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("pool name must not be blank");
    }
    Objects.requireNonNull(labels, () -> "pool " + name + ": labels must be present");
    for (String label : labels) {
      if (label == null || label.isBlank()) {
        throw new IllegalArgumentException("pool " + name + ": labels must not be blank");
      }
    }
    labels = List.copyOf(labels);
    if (maxRunners != null && maxRunners < 1) {
      throw new IllegalArgumentException(
          "pool " + name + ": maxRunners must be at least 1, got " + maxRunners);
    }
    if (rerunOnRunnerLoss < 0) {
      throw new IllegalArgumentException(
          "pool " + name + ": rerunOnRunnerLoss must be at least 0, got " + rerunOnRunnerLoss);
    }
    if (runnerGroupId < 1) {
      throw new IllegalArgumentException(
          "pool " + name + ": runnerGroupId must be at least 1, got " + runnerGroupId);
    }
  }

  /** A pool whose runners agents or Pods start. */
  public Pool(
      String name, List<String> labels, Integer maxRunners, long runnerGroupId, int reruns) {
    this(name, labels, maxRunners, runnerGroupId, reruns, null);
  }

  /** A pool that never asks for a rerun. */
  public Pool(String name, List<String> labels, Integer maxRunners, long runnerGroupId) {
    this(name, labels, maxRunners, runnerGroupId, 0);
  }

  /** A pool without a runner cap, in the default runner group. */
  public Pool(String name, List<String> labels) {
    this(name, labels, null, DEFAULT_RUNNER_GROUP_ID);
  }
}
